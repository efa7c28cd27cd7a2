#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = cpan_pmscan::examine_pmfile(
        "Fuzz-1.0/lib/Fuzz.pm",
        data,
        &cpan_pmscan::ScanOptions::default(),
    );
    for package in &outcome.packages {
        assert!(!package.name.is_empty());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cpan_pmscan::evaluate_version_line(text);
        let _ = cpan_pmscan::normalize_version(text);
    }
});
