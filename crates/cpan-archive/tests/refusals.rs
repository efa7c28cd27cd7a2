//! Every limit and refusal, with archives built here.

mod common;

use common::*;
use cpan_archive::{read_archive, read_file, ArchiveError, ArchiveFormat, EntryKind, Limits};
use std::io::Write;

fn small() -> Limits {
    Limits {
        max_compressed_size: 1 << 20,
        max_total_size: 1 << 20,
        max_entry_size: 1 << 16,
        max_entries: 100,
        max_path_len: 64,
        max_depth: 4,
        max_ratio: 50,
        ratio_floor: 1 << 16,
    }
}

#[test]
fn compressed_size_over_limit() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", &[7u8; 5000]);
    let bytes = tar_gz(&tar);
    let limits = Limits {
        max_compressed_size: bytes.len() as u64 - 1,
        ..Limits::default()
    };
    let error = read_all(&bytes, ArchiveFormat::TarGz, &limits).unwrap_err();
    assert_eq!(error.code(), "compressed_too_large");
    assert!(error.to_string().contains(&format!("{}", bytes.len() - 1)));
    let limits = Limits {
        max_compressed_size: bytes.len() as u64,
        ..Limits::default()
    };
    assert!(read_all(&bytes, ArchiveFormat::TarGz, &limits).is_ok());
}

#[test]
fn compressed_size_over_limit_zip() {
    let bytes = zip_of(&[ZipMember::File("Foo-1/a", 0o644, b"hello")]);
    let limits = Limits {
        max_compressed_size: 10,
        ..Limits::default()
    };
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &limits)),
        "compressed_too_large"
    );
}

#[test]
fn total_size_over_limit() {
    let mut tar = Tar::new();
    for i in 0..20 {
        tar.file(&format!("Foo-1/f{i}"), &[1u8; 60_000]);
    }
    let error = read_all(&tar.finish(), ArchiveFormat::Tar, &small()).unwrap_err();
    assert_eq!(error.code(), "total_too_large");
    assert!(error.to_string().contains("1048576"), "{error}");
    assert!(error.to_string().contains("Foo-1/f17"), "{error}");
}

#[test]
fn entry_over_limit() {
    let mut tar = Tar::new();
    tar.file("Foo-1/big", &vec![1u8; 70_000]);
    let error = read_all(&tar.finish(), ArchiveFormat::Tar, &small()).unwrap_err();
    assert_eq!(error.code(), "entry_too_large");
    assert!(error.to_string().contains("Foo-1/big"));
    assert!(error.to_string().contains("65536"));
}

#[test]
fn entry_size_declared_huge_is_refused_before_reading() {
    // A header claiming 8 GiB followed by nothing: refused by the limit, not by truncation.
    let mut tar = Tar::new();
    let mut h = header(b"Foo-1/huge", b'0', 0, 0o644, b"");
    h[124..136].copy_from_slice(b"77777777777\0");
    set_checksum(&mut h);
    tar.out.extend_from_slice(&h);
    let error = read_tar_gz(&tar).unwrap_err();
    assert_eq!(error.code(), "entry_too_large");
}

#[test]
fn too_many_entries() {
    let mut tar = Tar::new();
    for i in 0..101 {
        tar.file(&format!("Foo-1/f{i}"), b"");
    }
    let error = read_all(&tar.finish(), ArchiveFormat::Tar, &small()).unwrap_err();
    assert_eq!(error.code(), "too_many_entries");
    assert!(error.to_string().contains("100"));
    let mut tar = Tar::new();
    for i in 0..100 {
        tar.file(&format!("Foo-1/f{i}"), b"");
    }
    assert!(read_all(&tar.finish(), ArchiveFormat::Tar, &small()).is_ok());
}

#[test]
fn too_many_entries_zip() {
    let names: Vec<String> = (0..101).map(|i| format!("Foo-1/f{i}")).collect();
    let members: Vec<ZipMember> = names
        .iter()
        .map(|n| ZipMember::File(n, 0o644, b""))
        .collect();
    let bytes = zip_of(&members);
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &small())),
        "too_many_entries"
    );
}

#[test]
fn path_too_long() {
    let long = format!("Foo-1/{}", "a".repeat(200));
    let mut tar = Tar::new();
    tar.file(&long, b"x");
    let error = read_all(&tar.finish(), ArchiveFormat::Tar, &small()).unwrap_err();
    assert_eq!(error.code(), "path_too_long");
    assert!(error.to_string().contains("206 bytes"), "{error}");
    assert!(error.to_string().contains("64"), "{error}");
    // The same path is fine under the default limit, read through a GNU long name.
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(listing.entries[0].path, long);
}

#[test]
fn path_too_deep() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a/b/c/d", b"x");
    let error = read_all(&tar.finish(), ArchiveFormat::Tar, &small()).unwrap_err();
    assert_eq!(error.code(), "path_too_deep");
    assert!(error.to_string().contains("5 components"), "{error}");
    let deep = (0..65).map(|_| "d").collect::<Vec<_>>().join("/");
    let mut tar = Tar::new();
    tar.file(&deep, b"x");
    assert_eq!(code_of(read_tar_gz(&tar)), "path_too_deep");
}

#[test]
fn updir_component() {
    for path in ["Foo-1/../evil", "../evil", "Foo-1/a/../../..", "Foo-1/.."] {
        let mut tar = Tar::new();
        tar.file("Foo-1/ok", b"x").file(path, b"x");
        let error = read_tar_gz(&tar).unwrap_err();
        assert_eq!(error.code(), "path_traversal", "{path}");
        assert!(error.to_string().contains("updir detected"), "{error}");
    }
    // A name merely containing dots is fine.
    let mut tar = Tar::new();
    tar.file("Foo-1/..a/b..", b"x");
    assert!(read_tar_gz(&tar).is_ok());
}

#[test]
fn updir_in_zip_with_backslashes() {
    let bytes = zip_of(&[ZipMember::File("Foo-1\\..\\..\\evil", 0o644, b"x")]);
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &Limits::default())),
        "path_traversal"
    );
}

#[test]
fn absolute_paths() {
    let mut tar = Tar::new();
    tar.file("/abs", b"x");
    assert_eq!(code_of(read_tar_gz(&tar)), "absolute_path");
    for name in ["/abs", "C:/Windows/evil", "\\evil", "c:evil"] {
        let bytes = zip_of(&[ZipMember::File(name, 0o644, b"x")]);
        let result = read_all(&bytes, ArchiveFormat::Zip, &Limits::default());
        assert_eq!(code_of(result), "absolute_path", "{name}");
    }
}

#[test]
fn absolute_path_via_pax() {
    let mut tar = Tar::new();
    tar.pax(&[("path", b"/etc/passwd")]).file("innocent", b"x");
    assert_eq!(code_of(read_tar_gz(&tar)), "absolute_path");
}

#[test]
fn nul_in_names() {
    let mut tar = Tar::new();
    tar.pax(&[("path", b"Foo-1/a\0b")]).file("innocent", b"x");
    assert_eq!(code_of(read_tar_gz(&tar)), "nul_in_path");
    let bytes = zip_of(&[ZipMember::File("Foo-1/a\0b", 0o644, b"x")]);
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &Limits::default())),
        "nul_in_path"
    );
}

#[test]
fn symlink_out_of_tree() {
    let mut tar = Tar::new();
    tar.dir("Foo-1").symlink("Foo-1/x", "../../etc/passwd");
    let error = read_tar_gz(&tar).unwrap_err();
    assert_eq!(error.code(), "symlink_escape");
    assert!(error.to_string().contains("../../etc/passwd"));
    let mut tar = Tar::new();
    tar.symlink("Foo-1/x", "/etc/passwd");
    assert_eq!(code_of(read_tar_gz(&tar)), "symlink_escape");
    let bytes = zip_of(&[ZipMember::Symlink("Foo-1/x", "../../etc/passwd")]);
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &Limits::default())),
        "symlink_escape"
    );
}

#[test]
fn symlink_inside_tree_is_kept() {
    let mut tar = Tar::new();
    tar.file("Foo-1/lib/A.pm", b"package A;")
        .symlink("Foo-1/t/A.pm", "../lib/A.pm")
        .symlink("Foo-1/long", &format!("{}/x", "./a".repeat(60)));
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(
        listing.entries[1].kind,
        EntryKind::Symlink {
            target: "../lib/A.pm".into()
        }
    );
    let bytes = zip_of(&[ZipMember::Symlink("Foo-1/x", "y")]);
    let listing = read_all(&bytes, ArchiveFormat::Zip, &Limits::default()).unwrap();
    assert_eq!(
        listing.entries[0].kind,
        EntryKind::Symlink { target: "y".into() }
    );
}

#[test]
fn hardlinks() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", b"x").hardlink("Foo-1/b", "Foo-1/a");
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(
        listing.entries[1].kind,
        EntryKind::Hardlink {
            target: "Foo-1/a".into()
        }
    );
    for target in ["/etc/passwd", "../outside", "Foo-1/later", "Foo-1/../x"] {
        let mut tar = Tar::new();
        tar.file("Foo-1/a", b"x")
            .hardlink("Foo-1/b", target)
            .file("Foo-1/later", b"y");
        let error = read_tar_gz(&tar).unwrap_err();
        assert_eq!(error.code(), "hardlink_outside", "{target}");
        assert!(error.to_string().contains(target));
    }
}

#[test]
fn device_and_fifo_entries() {
    for (typeflag, word) in [
        (b'3', "character device"),
        (b'4', "block device"),
        (b'6', "FIFO"),
    ] {
        let mut tar = Tar::new();
        tar.file("Foo-1/a", b"x")
            .entry(b"Foo-1/dev", typeflag, 0o644, b"", b"");
        let error = read_tar_gz(&tar).unwrap_err();
        assert_eq!(error.code(), "special_file");
        assert!(error.to_string().contains(word), "{error}");
        assert!(error.to_string().contains("Foo-1/dev"), "{error}");
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A tar.gz of one file of `megabytes` MiB of zeros. It is a multi-member gzip whose 1 MiB
/// members of zeros are compressed once and repeated, so building it is cheap.
fn zero_bomb(megabytes: u64) -> Vec<u8> {
    let size = megabytes << 20;
    let mut bomb = gz(&header(b"Foo-1/zeros", b'0', size, 0o644, b""));
    let zeros = gz(&vec![0u8; 1 << 20]);
    for _ in 0..megabytes {
        bomb.extend_from_slice(&zeros);
    }
    bomb.extend(gz(&[0u8; 1024]));
    bomb
}

#[test]
fn gzip_bomb_refused_by_ratio() {
    let bomb = zero_bomb(100);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let error = read_archive(
        bomb.as_slice(),
        ArchiveFormat::TarGz,
        &Limits::default(),
        &mut |_| true,
    )
    .unwrap_err();
    let ArchiveError::RatioExceeded {
        uncompressed,
        compressed,
        limit,
    } = error
    else {
        panic!("{error}");
    };
    assert_eq!(limit, 200);
    // Stopped soon after the floor, long before the 100 MB were produced.
    assert!(uncompressed < 20 * 1024 * 1024, "{uncompressed}");
    assert!(uncompressed > 200 * compressed);
    assert!(compressed <= bomb.len() as u64);
}

#[test]
fn ratio_below_floor_passes() {
    // Highly compressible but small: under the floor the ratio is not enforced.
    let bomb = zero_bomb(1);
    let listing = read_all(&bomb, ArchiveFormat::TarGz, &Limits::default()).unwrap();
    assert_eq!(listing.entries[0].size, 1024 * 1024);
    assert_eq!(listing.contents["Foo-1/zeros"].len(), 1024 * 1024);
}

#[test]
fn zip_bomb_refused_by_ratio() {
    let zeros = vec![0u8; 1 << 20];
    let bytes = zip_of(&[ZipMember::File("Foo-1/zeros", 0o644, &zeros)]);
    let limits = Limits {
        ratio_floor: 1000,
        ..Limits::default()
    };
    assert_eq!(
        code_of(read_all(&bytes, ArchiveFormat::Zip, &limits)),
        "ratio_exceeded"
    );
}

#[test]
fn corrupt_gzip() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", &[b'x'; 10_000]);
    let mut bytes = tar_gz(&tar);
    let crc_at = bytes.len() - 8;
    bytes[crc_at] ^= 0xff;
    let error = read_all(&bytes, ArchiveFormat::TarGz, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "corrupt", "{error}");
    // Not gzip at all.
    let error = read_all(b"hello world", ArchiveFormat::TarGz, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "corrupt", "{error}");
}

#[test]
fn truncated_archives() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", &[b'x'; 10_000]).file("Foo-1/b", b"y");
    let plain = tar.finish();
    let error = read_all(&plain[..3000], ArchiveFormat::Tar, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "truncated", "{error}");
    let error = read_all(&plain[..700], ArchiveFormat::Tar, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "truncated", "{error}");
    for format in [
        ArchiveFormat::TarGz,
        ArchiveFormat::TarBz2,
        ArchiveFormat::TarXz,
    ] {
        let bytes = compress(format, &plain);
        let cut = &bytes[..bytes.len() / 2];
        let error = read_all(cut, format, &Limits::default()).unwrap_err();
        assert!(
            matches!(error.code(), "truncated" | "corrupt"),
            "{format:?}: {error}"
        );
    }
    let bytes = zip_of(&[ZipMember::File("Foo-1/a", 0o644, &[b'x'; 1000])]);
    let error = read_all(
        &bytes[..bytes.len() - 30],
        ArchiveFormat::Zip,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(error.code(), "truncated" | "corrupt"), "{error}");
}

#[test]
fn bad_header_checksum() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", b"x");
    let mut bytes = tar.finish();
    bytes[0] = b'G';
    let error = read_all(&bytes, ArchiveFormat::Tar, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "corrupt");
    assert!(error.to_string().contains("not a tar archive"), "{error}");
}

#[test]
fn unsupported_formats() {
    let dir = std::env::temp_dir().join(format!("cpan-archive-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let z = dir.join("Foo-1.tar.Z");
    std::fs::write(&z, [0x1f, 0x9d, 0x90, 0x00, 0x00]).unwrap();
    let error = read_file(&z, &Limits::default(), &mut |_| true).unwrap_err();
    assert_eq!(error.code(), "unsupported_format");
    assert!(error.to_string().contains(".Z"), "{error}");
    let other = dir.join("Foo-1.rar");
    std::fs::write(&other, b"Rar!\x1a\x07\x00").unwrap();
    let error = read_file(&other, &Limits::default(), &mut |_| true).unwrap_err();
    assert_eq!(error.code(), "unsupported_format");
    let missing = dir.join("missing.tar.gz");
    let error = read_file(&missing, &Limits::default(), &mut |_| true).unwrap_err();
    assert_eq!(error.code(), "io");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn read_file_sniffs_unknown_names() {
    let dir = std::env::temp_dir().join(format!("cpan-archive-sniff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut tar = Tar::new();
    tar.file("Foo-1/a", b"x");
    for (name, bytes) in [
        ("upload1", tar_gz(&tar)),
        ("upload2", compress(ArchiveFormat::TarBz2, &tar.finish())),
        ("upload3", compress(ArchiveFormat::TarXz, &tar.finish())),
        ("upload4", tar.finish()),
        (
            "upload5",
            zip_of(&[ZipMember::File("Foo-1/a", 0o644, b"x")]),
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let listing = read_file(&path, &Limits::default(), &mut |_| true).unwrap();
        assert_eq!(listing.contents["Foo-1/a"], b"x", "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sets the "encrypted" flag of every local and central header of a zip.
fn mark_encrypted(bytes: &mut [u8]) {
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if &bytes[i..i + 4] == b"PK\x03\x04" {
            bytes[i + 6] |= 1;
        } else if &bytes[i..i + 4] == b"PK\x01\x02" {
            bytes[i + 8] |= 1;
        }
        i += 1;
    }
}

#[test]
fn encrypted_zip_entry() {
    let mut bytes = zip_of(&[ZipMember::File("Foo-1/secret", 0o644, b"x")]);
    mark_encrypted(&mut bytes);
    let error = read_all(&bytes, ArchiveFormat::Zip, &Limits::default()).unwrap_err();
    assert_eq!(error.code(), "encrypted_entry");
    assert!(error.to_string().contains("Foo-1/secret"));
}

#[test]
fn lenient_like_gnu_tar() {
    let mut tar = Tar::new();
    tar.file("Foo-1/a", b"hello");
    // gzip followed by trailing garbage (and by zero padding).
    for tail in [&b"garbage after the stream"[..], &[0u8; 4096][..]] {
        let mut bytes = tar_gz(&tar);
        bytes.extend_from_slice(tail);
        let listing = read_all(&bytes, ArchiveFormat::TarGz, &Limits::default()).unwrap();
        assert_eq!(listing.contents["Foo-1/a"], b"hello");
    }
    // No end-of-archive blocks.
    let bytes = compress(ArchiveFormat::TarGz, &tar.out);
    let listing = read_all(&bytes, ArchiveFormat::TarGz, &Limits::default()).unwrap();
    assert_eq!(listing.entries.len(), 1);
    // Two gzip members, the tar split across them.
    let whole = tar.finish();
    let mut bytes = compress(ArchiveFormat::TarGz, &whole[..700]);
    bytes.extend(compress(ArchiveFormat::TarGz, &whole[700..]));
    let listing = read_all(&bytes, ArchiveFormat::TarGz, &Limits::default()).unwrap();
    assert_eq!(listing.contents["Foo-1/a"], b"hello");
    // bzip2 with trailing garbage.
    let mut bytes = compress(ArchiveFormat::TarBz2, &whole);
    bytes.extend_from_slice(b"junk");
    assert!(read_all(&bytes, ArchiveFormat::TarBz2, &Limits::default()).is_ok());
}

#[test]
fn bzip2_and_xz_bombs_refused_by_ratio() {
    for format in [ArchiveFormat::TarBz2, ArchiveFormat::TarXz] {
        // Multi-stream files: a header stream, then one 1 MiB stream of zeros repeated.
        let mut bomb = compress(format, &header(b"Foo-1/zeros", b'0', 100 << 20, 0o644, b""));
        let zeros = compress(format, &vec![0u8; 1 << 20]);
        for _ in 0..100 {
            bomb.extend_from_slice(&zeros);
        }
        let error = read_all(&bomb, format, &Limits::default()).unwrap_err();
        let ArchiveError::RatioExceeded { uncompressed, .. } = error else {
            panic!("{format:?}: {error}");
        };
        assert!(uncompressed < 20 << 20, "{format:?}: {uncompressed}");
    }
}
