//! Every archive of the CPAN corpus reads with the default limits, and its entry list
//! (paths, kinds, file sizes) equals what Python's tarfile/zipfile list.
//!
//! Skips (with a message) when the corpus is absent or `RIVERPAN_SKIP_CORPUS=1`; the Python
//! comparison is skipped when python3 is missing. `CPAN_CORPUS_DIR` overrides the corpus
//! location (default `~/.cache/cpan-corpus`).

use cpan_archive::{read_file, EntryKind, Limits};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn corpus_dir() -> Option<PathBuf> {
    if std::env::var("RIVERPAN_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!("RIVERPAN_SKIP_CORPUS=1: corpus test skipped");
        return None;
    }
    let base = match std::env::var_os("CPAN_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/cpan-corpus"),
    };
    let orig = base.join("orig");
    if !orig.is_dir() {
        eprintln!(
            "corpus not found at {}: corpus test skipped",
            orig.display()
        );
        return None;
    }
    Some(orig)
}

/// One member line as Python prints it, normalized like `Entry::path`.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Member {
    kind: String,
    size: u64,
    path: String,
}

fn normalize(path: &str) -> String {
    let mut rest = path;
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped.trim_start_matches('/');
    }
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        ".".to_string()
    } else {
        rest.to_string()
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Python's view of every archive: path -> Ok(members) or Err(message).
fn python_listing(archives: &[PathBuf]) -> Option<BTreeMap<PathBuf, Result<Vec<Member>, String>>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/list_members.py");
    let mut child = match Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            eprintln!("python3 not available ({error}): comparison skipped");
            return None;
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    let paths: Vec<PathBuf> = archives.to_vec();
    let writer = std::thread::spawn(move || {
        for path in paths {
            writeln!(stdin, "{}", path.display()).unwrap();
        }
    });
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut result = BTreeMap::new();
    let mut current: Option<(PathBuf, Vec<Member>)> = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(path) = line.strip_prefix("BEGIN ") {
            current = Some((PathBuf::from(path), Vec::new()));
        } else if let Some(end) = line.strip_prefix("END ") {
            let (path, members) = current.take().unwrap();
            let value = if end == "ok" {
                Ok(members)
            } else {
                Err(end.to_string())
            };
            result.insert(path, value);
        } else {
            let mut fields = line.splitn(3, '\t');
            let kind = fields.next().unwrap().to_string();
            let size: u64 = fields.next().unwrap().parse().unwrap();
            let name = unhex(fields.next().unwrap());
            let path = normalize(&String::from_utf8_lossy(&name));
            let size = if kind == "file" { size } else { 0 };
            current
                .as_mut()
                .unwrap()
                .1
                .push(Member { kind, size, path });
        }
    }
    writer.join().unwrap();
    child.wait().unwrap();
    Some(result)
}

fn our_kind(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Directory => "dir",
        EntryKind::Symlink { .. } => "symlink",
        EntryKind::Hardlink { .. } => "hardlink",
    }
}

/// The members `scripts/corpus-unpack` writes out.
fn wanted(path: &str) -> bool {
    [".pm", ".pm.PL", "META.json", "META.yml"]
        .iter()
        .any(|suffix| path.ends_with(suffix))
}

fn files_under(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            files_under(&entry.path(), &relative, out);
        } else {
            out.push((relative, entry.path()));
        }
    }
}

/// Compares the kept contents with what `scripts/corpus-unpack` (Python) wrote, where it ran.
/// Returns (files compared, mismatches).
fn compare_with_unpacked(
    unpacked: &Path,
    contents: &BTreeMap<String, Vec<u8>>,
) -> (usize, Vec<String>) {
    let mut files = Vec::new();
    files_under(unpacked, "", &mut files);
    let mut mismatches = Vec::new();
    for (relative, path) in &files {
        match contents.get(relative) {
            Some(ours) if *ours == std::fs::read(path).unwrap() => {}
            Some(_) => mismatches.push(format!("{relative}: different bytes")),
            None => mismatches.push(format!("{relative}: not kept by us")),
        }
    }
    (files.len(), mismatches)
}

#[test]
fn corpus_reads_like_python() {
    let Some(orig) = corpus_dir() else {
        return;
    };
    let mut archives: Vec<PathBuf> = std::fs::read_dir(&orig)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    archives.sort();
    assert!(!archives.is_empty(), "no archives in {}", orig.display());
    let python_archives = archives.clone();
    let python = std::thread::spawn(move || python_listing(&python_archives));

    let unpacked_root = orig.parent().unwrap().join("unpacked");
    let mut unpacked_compared = 0usize;
    let mut unpacked_mismatches = Vec::new();
    let limits = Limits::default();
    let mut ours = BTreeMap::new();
    let mut refused = Vec::new();
    for path in &archives {
        match read_file(path, &limits, &mut |entry| wanted(&entry.path)) {
            Ok(listing) => {
                let unpacked = unpacked_root.join(file_name(path));
                if unpacked.is_dir() {
                    let (count, mismatches) = compare_with_unpacked(&unpacked, &listing.contents);
                    unpacked_compared += count;
                    for mismatch in mismatches {
                        unpacked_mismatches.push(format!("{}: {mismatch}", file_name(path)));
                    }
                }
                for (name, bytes) in &listing.contents {
                    let entry = listing.entries.iter().rev().find(|e| &e.path == name);
                    assert_eq!(entry.map(|e| e.size), Some(bytes.len() as u64), "{name}");
                }
                let members: Vec<Member> = listing
                    .entries
                    .iter()
                    .map(|entry| Member {
                        kind: our_kind(&entry.kind).to_string(),
                        size: entry.size,
                        path: entry.path.clone(),
                    })
                    .collect();
                ours.insert(path.clone(), members);
            }
            Err(error) => refused.push((path.clone(), error.code(), error.to_string())),
        }
    }
    for (path, code, message) in &refused {
        eprintln!("REFUSED {} [{code}] {message}", file_name(path));
    }

    let python = python.join().unwrap();
    let mut agree = 0usize;
    let mut disagree = Vec::new();
    if let Some(python) = &python {
        for path in &archives {
            match (ours.get(path), python.get(path)) {
                (Some(ours), Some(Ok(theirs))) if ours == theirs => agree += 1,
                (Some(ours), Some(Ok(theirs))) => {
                    let first = ours
                        .iter()
                        .zip(theirs.iter())
                        .find(|(a, b)| a != b)
                        .map(|(a, b)| format!("ours {a:?} python {b:?}"))
                        .unwrap_or_else(|| {
                            format!("{} entries vs {} entries", ours.len(), theirs.len())
                        });
                    disagree.push(format!("{}: {first}", file_name(path)));
                }
                (None, Some(Ok(_))) => {}
                (Some(_), Some(Err(error))) => {
                    disagree.push(format!("{}: python fails: {error}", file_name(path)))
                }
                (_, other) => disagree.push(format!("{}: python: {other:?}", file_name(path))),
            }
        }
        for line in &disagree {
            eprintln!("DIFFERS {line}");
        }
    }
    eprintln!(
        "corpus: {} archives, {} read, {} refused; python comparison: {} agree, {} differ",
        archives.len(),
        ours.len(),
        refused.len(),
        agree,
        disagree.len()
    );
    for mismatch in &unpacked_mismatches {
        eprintln!("CONTENT {mismatch}");
    }
    eprintln!(
        "contents: {unpacked_compared} files written by scripts/corpus-unpack compared, {} differ",
        unpacked_mismatches.len()
    );
    assert!(refused.is_empty(), "{} archives refused", refused.len());
    assert!(
        unpacked_mismatches.is_empty(),
        "kept contents differ from Python's"
    );
    assert!(
        disagree.is_empty(),
        "{} archives differ from Python",
        disagree.len()
    );
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}
