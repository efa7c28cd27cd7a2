//! The readers of what a mirror publishes (`cpan-index`) on arbitrary input: 02packages and
//! CHECKSUMS come from the network, so they must never panic, and what they accept must be
//! consistent (every package line found again by its name).
#![no_main]

use cpan_index::{parse_checksums, PackageIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(index) = PackageIndex::parse(&text) {
        let body = text
            .lines()
            .skip_while(|line| !line.trim().is_empty())
            .filter(|line| !line.trim().is_empty());
        for line in body {
            let package = line.split_whitespace().next().unwrap_or_default();
            assert!(index.get(package).is_some(), "{package} lost");
        }
    }
    if let Ok(files) = parse_checksums(&text) {
        for record in files.values() {
            if let Some(size) = &record.fields.get("size") {
                assert_eq!(record.size, size.parse().ok());
            }
        }
    }
});
