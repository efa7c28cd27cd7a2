//! Every entry point of cpan-version on arbitrary input: parsing must never panic, and what it
//! accepts must be self-consistent (ordering total, normal forms re-parse to an equal version).
#![no_main]

use cpan_version::{is_lax, is_strict, vcmp, Version, VersionRange};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One input, split in two for the binary operations.
    let (a, b) = text.split_once('\t').unwrap_or((text, "1.0"));
    let _ = (is_lax(a), is_strict(a), vcmp(a, b), vcmp(b, a));
    let _ = Version::parse_strict(a);
    for parsed in [Version::parse(a), Version::declare(a)] {
        if let Ok(v) = parsed {
            let (n, normal) = (v.numify(), v.normal());
            let _ = (v.stringify(), v.is_alpha(), v.is_qv());
            // normal() is always a valid dotted-decimal equal to the version.
            let again = Version::parse(&normal).expect("normal() re-parses");
            assert_eq!(again, v, "normal {normal} of {a:?}");
            let _ = Version::parse(&n);
            if let Ok(w) = Version::parse(b) {
                assert_eq!(v.cmp(&w), w.cmp(&v).reverse());
            }
        }
    }
    if let Ok(range) = VersionRange::parse(a) {
        let _ = range.to_string();
        if let Ok(other) = VersionRange::parse(b) {
            let _ = range.intersect(&other);
        }
        if let Ok(v) = Version::parse(b) {
            let _ = range.accepts(&v);
        }
    }
});
