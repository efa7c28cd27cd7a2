//! Running the Perl reference implementations (Module::CPANfile, Carton) from the tests.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The perl binary (`PERL`, default `perl`).
pub fn perl() -> String {
    std::env::var("PERL").unwrap_or_else(|_| "perl".to_string())
}

/// Whether the Perl side can run with these modules loaded; prints why not (the test then
/// skips). `RIVERPAN_SKIP_PERL=1` skips too.
pub fn perl_with(modules: &[&str], package: &str) -> bool {
    if std::env::var("RIVERPAN_SKIP_PERL").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED (RIVERPAN_SKIP_PERL=1): not compared with Perl");
        return false;
    }
    let mut command = Command::new(perl());
    for module in modules {
        command.arg(format!("-M{module}"));
    }
    let probe = command
        .args(["-e", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match probe {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!(
                "SKIPPED: perl cannot load {} ({}); install Debian's {package} \
                 (scripts/test does)",
                modules.join(", "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("SKIPPED: cannot run {}: {e}", perl());
            false
        }
    }
}

/// Runs a Perl script with arguments and standard input; returns its standard output. Fails
/// the test when perl fails.
pub fn run_perl(script: &str, args: &[&Path], stdin: &[u8]) -> String {
    let mut child = Command::new(perl())
        .arg("-e")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn perl");
    let mut input = child.stdin.take().expect("perl stdin");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        input.write_all(&stdin).expect("write to perl");
    });
    let out = child.wait_with_output().expect("wait for perl");
    writer.join().expect("writer thread");
    assert!(
        out.status.success(),
        "perl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("perl's output is UTF-8 JSON")
}

/// The crate's `tests/fixtures/NAME` directory.
pub fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The files of a directory with this extension, sorted.
pub fn files_in(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// Perl's error message without the final ` at FILE line N.` and the stack trace.
pub fn strip_perl_location(message: &str) -> String {
    // `confess` adds a stack trace on the lines after the message.
    let message = message.lines().next().unwrap_or("").trim_end();
    let message = match message.rfind(" at ") {
        Some(i) if message[i..].contains(" line ") => &message[..i],
        _ => message,
    };
    message.to_string()
}

/// A small deterministic random number generator (xorshift64*), so that generated cases are
/// the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
