//! Every format reads the same small dist identically, and the tar dialects (GNU long names,
//! pax records, base-256 sizes, V7 directories, "./" prefixes) read as expected.

mod common;

use common::*;
use cpan_archive::{read_archive, ArchiveFormat, Entry, EntryKind, Limits};

const FILES: [(&str, u32, &[u8]); 4] = [
    ("Foo-1/META.json", 0o644, b"{\"name\":\"Foo\"}"),
    (
        "Foo-1/lib/Foo.pm",
        0o644,
        b"package Foo;\nour $VERSION = '1';\n1;\n",
    ),
    ("Foo-1/script/foo", 0o755, b"#!perl\nprint 1;\n"),
    ("Foo-1/README", 0o644, b"Foo\n"),
];

fn tar_dist() -> Tar {
    let mut tar = Tar::new();
    tar.dir("Foo-1").dir("Foo-1/lib").dir("Foo-1/script");
    for (name, mode, data) in FILES {
        tar.file_mode(name, mode, data);
    }
    tar.symlink("Foo-1/README.md", "README");
    tar
}

fn zip_dist() -> Vec<u8> {
    let mut members = vec![
        ZipMember::Dir("Foo-1/"),
        ZipMember::Dir("Foo-1/lib/"),
        ZipMember::Dir("Foo-1/script/"),
    ];
    for (name, mode, data) in FILES {
        members.push(ZipMember::File(name, mode, data));
    }
    members.push(ZipMember::Symlink("Foo-1/README.md", "README"));
    zip_of(&members)
}

fn without_mtime(entries: &[Entry]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| Entry {
            mtime: 0,
            ..e.clone()
        })
        .collect()
}

#[test]
fn every_format_reads_the_same_dist() {
    let plain = tar_dist().finish();
    let mut results = Vec::new();
    for format in TAR_FORMATS {
        let bytes = compress(format, &plain);
        assert_eq!(ArchiveFormat::sniff(&bytes), Some(format));
        let listing = read_archive(bytes.as_slice(), format, &Limits::default(), &mut |e| {
            e.path.ends_with(".pm") || e.path.ends_with("META.json")
        })
        .unwrap();
        assert_eq!(listing.compressed_size, bytes.len() as u64);
        assert!(listing.entries.iter().all(|e| e.mtime == MTIME as i64));
        results.push((format, listing));
    }
    let zip = zip_dist();
    assert_eq!(ArchiveFormat::sniff(&zip), Some(ArchiveFormat::Zip));
    let listing = read_archive(
        zip.as_slice(),
        ArchiveFormat::Zip,
        &Limits::default(),
        &mut |e| e.path.ends_with(".pm") || e.path.ends_with("META.json"),
    )
    .unwrap();
    results.push((ArchiveFormat::Zip, listing));

    let (_, reference) = &results[0];
    assert_eq!(reference.entries.len(), 8);
    assert_eq!(reference.contents.len(), 2);
    assert_eq!(reference.contents["Foo-1/lib/Foo.pm"], FILES[1].2);
    assert_eq!(
        reference.entries[7].kind,
        EntryKind::Symlink {
            target: "README".into()
        }
    );
    assert_eq!(reference.entries[5].mode, 0o755);
    assert_eq!(reference.root(), Some("Foo-1"));
    for (format, listing) in &results {
        assert_eq!(listing.format, *format);
        assert_eq!(
            without_mtime(&listing.entries),
            without_mtime(&reference.entries),
            "{format:?}"
        );
        assert_eq!(listing.contents, reference.contents, "{format:?}");
        assert_eq!(listing.findings(), reference.findings(), "{format:?}");
    }
}

#[test]
fn format_from_file_name() {
    use ArchiveFormat::*;
    for (name, format) in [
        ("Foo-1.tar.gz", Some(TarGz)),
        ("Foo-1.tgz", Some(TarGz)),
        ("Foo-1.tar.bz2", Some(TarBz2)),
        ("Foo-1.tbz", Some(TarBz2)),
        ("Foo-1.tar.xz", Some(TarXz)),
        ("Foo-1.txz", Some(TarXz)),
        ("Foo-1.tar", Some(Tar)),
        ("Foo-1.zip", Some(Zip)),
        ("Foo-1.TAR.GZ", None),
        ("Foo-1.tar.Z", None),
        ("Foo-1.pm.gz", None),
    ] {
        assert_eq!(ArchiveFormat::from_file_name(name), format, "{name}");
    }
    assert_eq!(ArchiveFormat::sniff(b"hello"), None);
}

#[test]
fn gnu_long_names_and_links() {
    let name = format!("Foo-1/{}/file.txt", "long".repeat(40));
    let target = format!("{}/target", "t".repeat(120));
    let mut tar = Tar::new();
    tar.file(&name, b"data");
    tar.symlink(&format!("Foo-1/{}", "l".repeat(110)), &target);
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(listing.entries[0].path, name);
    assert_eq!(listing.contents[&name], b"data");
    assert_eq!(listing.entries[1].kind, EntryKind::Symlink { target });
}

#[test]
fn pax_records() {
    let mut tar = Tar::new();
    tar.pax(&[
        ("path", "Foo-1/ünïcode-path".as_bytes()),
        ("mtime", b"1234567890.5"),
        ("comment", b"ignored"),
    ])
    .file("Foo-1/short", b"abc");
    tar.pax(&[("linkpath", "ünïcode-path".as_bytes())])
        .symlink("Foo-1/link", "x");
    // pax size overrides the header's (here zero) size.
    tar.pax(&[("size", b"5")]);
    tar.entry(b"Foo-1/sized", b'0', 0o644, b"", b"");
    tar.out.extend_from_slice(b"12345");
    tar.out.resize(tar.out.len() + 507, 0);
    tar.file("Foo-1/after", b"z");
    let listing = read_tar_gz(&tar).unwrap();
    let paths: Vec<&str> = listing.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Foo-1/ünïcode-path",
            "Foo-1/link",
            "Foo-1/sized",
            "Foo-1/after"
        ]
    );
    assert_eq!(listing.entries[0].mtime, 1_234_567_890);
    assert_eq!(
        listing.entries[1].kind,
        EntryKind::Symlink {
            target: "ünïcode-path".into()
        }
    );
    assert_eq!(listing.contents["Foo-1/sized"], b"12345");
    assert_eq!(listing.contents["Foo-1/after"], b"z");
}

#[test]
fn base256_size_and_ustar_prefix() {
    let mut tar = Tar::new();
    let mut h = header(b"file.txt", b'0', 0, 0o644, b"");
    h[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    h[345..350].copy_from_slice(b"Foo-1");
    set_checksum(&mut h);
    tar.out.extend_from_slice(&h);
    tar.out.extend_from_slice(b"abc");
    tar.out.resize(1024, 0);
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(listing.entries[0].path, "Foo-1/file.txt");
    assert_eq!(listing.contents["Foo-1/file.txt"], b"abc");
}

#[test]
fn v7_directory_and_unknown_types() {
    let mut tar = Tar::new();
    // Old-style directory: a regular-file type with a trailing slash.
    tar.entry(b"Foo-1/", 0, 0o755, b"", b"");
    // GNU tar extracts unknown types as regular files.
    tar.entry(b"Foo-1/odd", b'Q', 0o644, b"qq", b"");
    tar.entry(b"Foo-1/contig", b'7', 0o644, b"cc", b"");
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(listing.entries[0].kind, EntryKind::Directory);
    assert_eq!(listing.entries[0].path, "Foo-1");
    assert_eq!(listing.contents["Foo-1/odd"], b"qq");
    assert_eq!(listing.contents["Foo-1/contig"], b"cc");
}

#[test]
fn sizes_reported() {
    let tar = tar_dist();
    let plain = tar.finish();
    let bytes = compress(ArchiveFormat::TarGz, &plain);
    let listing = read_archive(
        bytes.as_slice(),
        ArchiveFormat::TarGz,
        &Limits::default(),
        &mut |_| false,
    )
    .unwrap();
    assert!(listing.contents.is_empty());
    assert_eq!(listing.uncompressed_size, plain.len() as u64);
    assert_eq!(listing.compressed_size, bytes.len() as u64);
    let total: u64 = FILES.iter().map(|(_, _, d)| d.len() as u64).sum();
    assert_eq!(listing.entries.iter().map(|e| e.size).sum::<u64>(), total);
    assert_eq!(
        cpan_archive::decompress_only(bytes.as_slice(), ArchiveFormat::TarGz).unwrap(),
        plain.len() as u64
    );
    assert_eq!(
        cpan_archive::decompress_only(zip_dist().as_slice(), ArchiveFormat::Zip).unwrap(),
        total + "README".len() as u64
    );
}

/// The observer sees the whole decompressed stream, trailing tar padding included, then one
/// empty slice; a corrupt stream never gets the empty slice.
#[test]
fn the_observer_sees_the_whole_decompressed_stream_then_the_end() {
    let mut plain = tar_dist().finish();
    // Extra zero blocks after the end-of-archive marker are part of the stream too.
    plain.extend_from_slice(&[0u8; 4096]);
    for format in TAR_FORMATS {
        if format == ArchiveFormat::Tar {
            continue;
        }
        let bytes = compress(format, &plain);
        let mut seen = Vec::new();
        let mut ends = 0;
        let mut observe = |chunk: &[u8]| {
            if chunk.is_empty() {
                ends += 1;
            } else {
                assert_eq!(ends, 0, "bytes after the end");
                seen.extend_from_slice(chunk);
            }
        };
        let listing = cpan_archive::read_archive_observed(
            bytes.as_slice(),
            format,
            &Limits::default(),
            &mut |_| false,
            &mut observe,
        );
        assert!(listing.is_ok(), "{format:?}: {listing:?}");
        assert_eq!(ends, 1, "{format:?}");
        assert_eq!(seen, plain, "{format:?}");

        // Cut short: an error, and no end.
        let cut = &bytes[..bytes.len() - 8];
        let mut ends = 0;
        let result = cpan_archive::read_archive_observed(
            cut,
            format,
            &Limits::default(),
            &mut |_| false,
            &mut |chunk: &[u8]| ends += usize::from(chunk.is_empty()),
        );
        assert!(result.is_err(), "{format:?}");
        assert_eq!(ends, 0, "{format:?}");
    }
}
