//! Atomic replacement: readers never see a partial file, a failed write leaves the old one, gz and txt agree.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use riverpan_publish::{
    details_body, gz_path, packages_details, read_gz_text, write_atomically, write_atomically_with,
    write_gz_only, write_text_and_gz, FileHeader, IndexedPackage,
};

/// A 02packages text whose every version is `generation`, large enough that a non-atomic write would be observed
/// half-done.
fn generation_text(generation: usize) -> String {
    let names: Vec<String> = (0..5_000)
        .map(|n| format!("Package{n:05}::Module"))
        .collect();
    let version = generation.to_string();
    let rows: Vec<IndexedPackage> = names
        .iter()
        .map(|name| IndexedPackage {
            package: name,
            version: &version,
            dist: "G/GE/GEN/Gen-1.tar.gz",
        })
        .collect();
    packages_details(
        &rows,
        &FileHeader::at(UNIX_EPOCH + Duration::from_secs(generation as u64)),
    )
}

/// A complete file of one generation: Line-Count matches and every line carries the same version.
fn check_complete(text: &str) -> Result<(), String> {
    let count_line = text
        .lines()
        .find(|line| line.starts_with("Line-Count:"))
        .ok_or("no Line-Count")?;
    let count: usize = count_line["Line-Count:".len()..]
        .trim()
        .parse()
        .map_err(|_| "bad Line-Count")?;
    let body = details_body(text);
    let lines: Vec<&str> = body.lines().collect();
    if lines.len() != count || !body.ends_with('\n') {
        return Err(format!("{} lines for Line-Count {count}", lines.len()));
    }
    let versions: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    if versions.len() != 1 {
        return Err(format!("mixed versions {versions:?}"));
    }
    Ok(())
}

#[test]
fn readers_never_see_a_partial_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("02packages.details.txt");
    write_text_and_gz(&path, &generation_text(0)).expect("first write");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = Arc::clone(&done);
        let path = path.clone();
        std::thread::spawn(move || -> Result<usize, String> {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).map_err(|error| error.to_string())?;
                check_complete(&text).map_err(|error| format!("txt: {error}"))?;
                let gz = read_gz_text(&gz_path(&path))
                    .map_err(|error| error.to_string())?
                    .ok_or("gz vanished")?;
                check_complete(&gz).map_err(|error| format!("gz: {error}"))?;
                reads += 1;
            }
            Ok(reads)
        })
    };
    for generation in 1..=30 {
        write_text_and_gz(&path, &generation_text(generation)).expect("write");
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader
        .join()
        .expect("reader thread")
        .expect("every read saw a complete file");
    assert!(reads > 0);
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        generation_text(30)
    );
    assert_eq!(
        read_gz_text(&gz_path(&path)).expect("read gz"),
        Some(generation_text(30))
    );
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_temporary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("CHECKSUMS");
    write_atomically(&path, b"old content\n").expect("first write");
    let result = write_atomically_with(&path, |writer| {
        writer.write_all(&vec![b'x'; 1 << 20])?;
        Err(io::Error::other("disk full, say"))
    });
    assert_eq!(
        result.expect_err("the failure is reported").to_string(),
        "disk full, say"
    );
    assert_eq!(std::fs::read(&path).expect("read"), b"old content\n");
    let entries = std::fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(entries, 1, "the temporary file was removed");
}

#[test]
fn a_write_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing").join("01mailrc.txt.gz");
    assert!(write_gz_only(&path, "alias X \"X <x@cpan.org>\"\n").is_err());
}

#[test]
fn gz_output_is_deterministic_and_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("a.gz");
    let second = dir.path().join("b.gz");
    let text = generation_text(7);
    write_gz_only(&first, &text).expect("write");
    write_gz_only(&second, &text).expect("write");
    assert_eq!(
        std::fs::read(&first).expect("read"),
        std::fs::read(&second).expect("read")
    );
    assert_eq!(read_gz_text(&first).expect("read"), Some(text));
    assert_eq!(
        read_gz_text(&dir.path().join("absent.gz")).expect("absent is not an error"),
        None
    );
}

#[cfg(unix)]
#[test]
fn published_files_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("06perms.txt");
    write_text_and_gz(&path, "x\n").expect("write");
    for file in [path.clone(), gz_path(&path)] {
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", file.display());
    }
}
