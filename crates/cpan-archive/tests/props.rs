//! Random bytes and mutated valid archives never panic, and whatever is accepted obeys the
//! limits. `RIVERPAN_PROPTEST_CASES` raises the number of cases.

mod common;

use common::*;
use cpan_archive::{read_archive, ArchiveFormat, EntryKind, Limits};
use proptest::prelude::*;

fn config(n: u32) -> ProptestConfig {
    let cases = std::env::var("RIVERPAN_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn limits() -> Limits {
    Limits {
        max_compressed_size: 1 << 20,
        max_total_size: 1 << 20,
        max_entry_size: 1 << 18,
        max_entries: 200,
        max_path_len: 256,
        max_depth: 16,
        max_ratio: 50,
        ratio_floor: 1 << 16,
    }
}

const ALL: [ArchiveFormat; 5] = [
    ArchiveFormat::Tar,
    ArchiveFormat::TarGz,
    ArchiveFormat::TarBz2,
    ArchiveFormat::TarXz,
    ArchiveFormat::Zip,
];

fn seed_archive(format: ArchiveFormat) -> Vec<u8> {
    if format == ArchiveFormat::Zip {
        return zip_of(&[
            ZipMember::Dir("Foo-1/"),
            ZipMember::File("Foo-1/META.json", 0o644, b"{\"name\":\"Foo\"}"),
            ZipMember::File("Foo-1/lib/Foo.pm", 0o644, b"package Foo; 1;"),
            ZipMember::Symlink("Foo-1/README", "META.json"),
        ]);
    }
    let mut tar = Tar::new();
    tar.dir("Foo-1")
        .file("Foo-1/META.json", b"{\"name\":\"Foo\"}")
        .pax(&[("path", b"Foo-1/lib/Foo.pm")])
        .file("x", b"package Foo; 1;")
        .symlink("Foo-1/README", "META.json")
        .hardlink("Foo-1/copy", "Foo-1/META.json")
        .file(&format!("Foo-1/{}", "n".repeat(120)), b"long");
    compress(format, &tar.finish())
}

/// Reads and checks the invariants of anything accepted.
fn check(bytes: &[u8], format: ArchiveFormat) {
    let limits = limits();
    if let Ok(listing) = read_archive(bytes, format, &limits, &mut |_| true) {
        assert!(listing.entries.len() as u64 <= limits.max_entries);
        let mut total = 0;
        for entry in &listing.entries {
            assert!(entry.path.len() <= limits.max_path_len * 3);
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
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for format in ALL {
            check(&bytes, format);
        }
    }

    #[test]
    fn mutated_archives_never_panic(
        format_index in 0usize..5,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let format = ALL[format_index];
        let mut bytes = seed_archive(format);
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            let at = cut.index(bytes.len());
            bytes.truncate(at);
        }
        check(&bytes, format);
    }

    #[test]
    fn mutated_plain_tar_headers_never_panic(
        flips in proptest::collection::vec((0usize..512, any::<u8>()), 1..6),
    ) {
        // Mutations of the first header, with its checksum fixed, reach the header parser.
        let mut tar = seed_archive(ArchiveFormat::Tar);
        let mut first = [0u8; 512];
        first.copy_from_slice(&tar[..512]);
        for (at, value) in flips {
            if !(148..156).contains(&at) {
                first[at] = value;
            }
        }
        set_checksum(&mut first);
        tar[..512].copy_from_slice(&first);
        check(&tar, ArchiveFormat::Tar);
        let gz = compress(ArchiveFormat::TarGz, &tar);
        check(&gz, ArchiveFormat::TarGz);
    }
}

#[test]
fn seeds_are_valid() {
    for format in ALL {
        let listing = read_archive(
            seed_archive(format).as_slice(),
            format,
            &limits(),
            &mut |_| true,
        )
        .unwrap();
        assert!(
            listing.contents.contains_key("Foo-1/lib/Foo.pm"),
            "{format:?}"
        );
    }
}
