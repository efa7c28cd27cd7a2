//! Feeds arbitrary bytes through `cpan_archive::read_archive` as every format, with small
//! limits and every file wanted, and checks what is accepted obeys the limits.
#![no_main]
use cpan_archive::{read_archive, ArchiveFormat, EntryKind, Limits};
use libfuzzer_sys::fuzz_target;

const FORMATS: [ArchiveFormat; 5] = [
    ArchiveFormat::Tar,
    ArchiveFormat::TarGz,
    ArchiveFormat::TarBz2,
    ArchiveFormat::TarXz,
    ArchiveFormat::Zip,
];

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_compressed_size: 1 << 20,
        max_total_size: 4 << 20,
        max_entry_size: 1 << 20,
        max_entries: 1000,
        max_path_len: 512,
        max_depth: 32,
        max_ratio: 100,
        ratio_floor: 1 << 20,
    };
    for format in FORMATS {
        let Ok(listing) = read_archive(data, format, &limits, &mut |_| true) else {
            continue;
        };
        assert!(listing.entries.len() as u64 <= limits.max_entries);
        let mut total = 0u64;
        for entry in &listing.entries {
            assert!(!entry.path.starts_with('/'));
            assert!(!entry.path.split('/').any(|c| c == ".."));
            assert!(entry.size <= limits.max_entry_size);
            if entry.kind == EntryKind::File {
                total += entry.size;
            }
        }
        assert!(total <= limits.max_total_size);
        for (path, bytes) in &listing.contents {
            assert!(listing
                .entries
                .iter()
                .any(|e| &e.path == path && e.size == bytes.len() as u64));
        }
        let _ = listing.findings();
        let _ = listing.root();
    }
});
