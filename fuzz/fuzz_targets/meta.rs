#![no_main]
//! Feeds bytes to both META readers and, when one succeeds, to the spec-2 conversion.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for parsed in [cpan_meta::parse_yaml(data), cpan_meta::parse_json(data)] {
        if let Ok(raw) = parsed {
            if let Ok(meta) = cpan_meta::CpanMeta::from_raw(&raw) {
                let _ = meta.license_spdx();
            }
        }
    }
});
