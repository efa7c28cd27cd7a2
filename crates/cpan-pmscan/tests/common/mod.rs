//! The Perl oracle process (`oracle.pl`) and corpus helpers shared by the differential tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `None` (with a message) when tests needing Perl are switched off.
pub fn perl_enabled() -> bool {
    if std::env::var("RIVERPAN_SKIP_PERL").is_ok_and(|v| v == "1") {
        eprintln!("skipping: RIVERPAN_SKIP_PERL=1");
        return false;
    }
    true
}

/// The unpacked corpus directory, or `None` (with a message) when absent or switched off.
pub fn corpus_dir() -> Option<PathBuf> {
    if std::env::var("RIVERPAN_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!("skipping: RIVERPAN_SKIP_CORPUS=1");
        return None;
    }
    let base = match std::env::var("CPAN_CORPUS_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/cpan-corpus")
        }
    };
    let dir = base.join("unpacked");
    if !dir.is_dir() {
        eprintln!(
            "skipping: no corpus at {} (run scripts/corpus-unpack)",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// Every `.pm`/`.pm.PL` of the corpus: (tarball, path inside the archive, absolute path).
pub fn corpus_pm_files(dir: &std::path::Path) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    let mut tarballs: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    tarballs.sort_by_key(|e| e.file_name());
    for t in tarballs {
        let tname = t.file_name().to_string_lossy().into_owned();
        if tname.ends_with(".tmp") {
            continue;
        }
        let mut stack = vec![t.path()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let name = p.to_string_lossy();
                    if name.ends_with(".pm") || name.ends_with(".pm.PL") {
                        let rel = p
                            .strip_prefix(t.path())
                            .unwrap()
                            .to_string_lossy()
                            .into_owned();
                        out.push((tname.clone(), rel, p.clone()));
                    }
                }
            }
        }
    }
    out.sort();
    out
}

pub struct PerlOracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl PerlOracle {
    pub fn start() -> PerlOracle {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/oracle.pl");
        let mut child = Command::new("perl")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("perl must be installed");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        PerlOracle {
            child,
            stdin,
            stdout,
        }
    }

    pub fn send(&mut self, request: &str) {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "perl oracle exited");
        line.trim_end_matches('\n').to_string()
    }

    pub fn ask(&mut self, request: &str) -> String {
        self.send(request);
        self.read_line()
    }
}

impl Drop for PerlOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Codepoints joined the way oracle.pl prints them.
pub fn codepoints(s: &str) -> String {
    s.chars()
        .map(|c| format!("{:x}", c as u32))
        .collect::<Vec<_>>()
        .join(".")
}
