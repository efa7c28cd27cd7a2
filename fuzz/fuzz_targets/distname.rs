//! `DistnameInfo::new` on arbitrary UTF-8: it must never panic, and the fields must keep their
//! structural relations (pathname without `//`, filename a suffix of it, ...).
#![no_main]

use cpan_distname::DistnameInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let d = DistnameInfo::new(path);
    let fields = d.fields().map(|(_, value)| value);
    let _ = (d.maturity_kind(), d.is_developer(), d.properties());

    let pathname = d.pathname().unwrap_or_default();
    let filename = d.filename().unwrap_or_default();
    assert!(!pathname.contains("//"));
    assert!(pathname.ends_with(filename));
    assert!(d.maturity().is_some());
    assert_eq!(d.distvname().is_some(), d.extension().is_some());
    if d.distvname().is_none() {
        assert!(d.dist().is_none() && d.version().is_none());
    }
    // Every field is valid UTF-8 by construction; touch them all.
    let total: usize = fields.iter().flatten().map(|f| f.len()).sum();
    assert!(total >= pathname.len());
});
