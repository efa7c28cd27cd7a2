//! A Perl process running `oracle.pl`, and riverpan's answers in the same shape, so the
//! differential tests compare strings.

#![allow(dead_code)]

use cpan_version::{is_lax, is_strict, vcmp, Version};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

pub fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The Perl side, kept running across requests (proptest asks it one case at a time).
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
            .spawn()
            .expect("perl must be installed (README: scripts/test installs it)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut oracle = PerlOracle {
            child,
            stdin,
            stdout,
        };
        // Fail loudly here if version.pm or CPAN::Version is missing.
        assert_eq!(
            oracle.ask("k\t31\t32"),
            "-1",
            "the Perl oracle does not answer"
        );
        oracle
    }

    pub fn ask(&mut self, request: &str) -> String {
        writeln!(self.stdin, "{request}").expect("write to perl");
        self.stdin.flush().expect("flush to perl");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from perl");
        assert!(!line.is_empty(), "perl exited while answering {request}");
        line.trim_end_matches('\n').to_string()
    }

    /// Many requests at once: a writer thread keeps the pipe from filling up.
    pub fn batch(&mut self, requests: &[String]) -> Vec<String> {
        let mut answers = Vec::with_capacity(requests.len());
        std::thread::scope(|scope| {
            let stdin = &mut self.stdin;
            scope.spawn(move || {
                let mut out = std::io::BufWriter::new(stdin);
                for r in requests {
                    writeln!(out, "{r}").expect("write to perl");
                }
                out.flush().expect("flush to perl");
            });
            for _ in requests {
                let mut line = String::new();
                self.stdout.read_line(&mut line).expect("read from perl");
                answers.push(line.trim_end_matches('\n').to_string());
            }
        });
        answers
    }
}

impl Drop for PerlOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `f` with the test binary's one Perl process.
pub fn with_oracle<R>(f: impl FnOnce(&mut PerlOracle) -> R) -> R {
    static ORACLE: Mutex<Option<PerlOracle>> = Mutex::new(None);
    let mut guard = ORACLE.lock().unwrap_or_else(|e| e.into_inner());
    let oracle = guard.get_or_insert_with(PerlOracle::start);
    f(oracle)
}

pub fn parse_request(s: &str) -> String {
    format!("p\t{}", hex(s))
}
pub fn declare_request(s: &str) -> String {
    format!("q\t{}", hex(s))
}
pub fn cmp_request(a: &str, b: &str) -> String {
    format!("c\t{}\t{}", hex(a), hex(b))
}
pub fn vcmp_request(a: &str, b: &str) -> String {
    format!("k\t{}\t{}", hex(a), hex(b))
}

fn describe(s: &str, result: Result<Version, cpan_version::VersionError>) -> String {
    let lax = u8::from(is_lax(s));
    let strict = u8::from(is_strict(s));
    match result {
        Err(e) => format!("err\t{lax}\t{strict}\t{}", hex(e.class())),
        Ok(v) => format!(
            "ok\t{lax}\t{strict}\t{}\t{}\t{}\t{}\t{}",
            hex(&v.stringify()),
            hex(&v.numify()),
            hex(&v.normal()),
            u8::from(v.is_alpha()),
            u8::from(v.is_qv())
        ),
    }
}

pub fn parse_answer(s: &str) -> String {
    describe(s, Version::parse(s))
}
pub fn declare_answer(s: &str) -> String {
    describe(s, Version::declare(s))
}
pub fn cmp_answer(a: &str, b: &str) -> String {
    match (Version::parse(a), Version::parse(b)) {
        (Ok(a), Ok(b)) => (a.cmp(&b) as i8).to_string(),
        (Err(e), _) | (_, Err(e)) => format!("err\t{}", hex(e.class())),
    }
}
pub fn vcmp_answer(a: &str, b: &str) -> String {
    (vcmp(a, b) as i8).to_string()
}

/// Decodes the hex fields of an answer, for readable failure messages.
pub fn readable(answer: &str) -> String {
    answer
        .split('\t')
        .map(|f| {
            if f.len() > 1 && f.len() % 2 == 0 && f.bytes().all(|b| b.is_ascii_hexdigit()) {
                let bytes: Vec<u8> = (0..f.len())
                    .step_by(2)
                    .filter_map(|i| u8::from_str_radix(&f[i..i + 2], 16).ok())
                    .collect();
                format!("{:?}", String::from_utf8_lossy(&bytes))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Perl died inside `CPAN::Version->vcmp` for a reason riverpan deliberately does not copy
/// (see the crate README, "Deliberate differences").
pub fn is_documented_vcmp_death(answer: &str) -> bool {
    let Some(message) = answer.strip_prefix("die\t") else {
        return false;
    };
    let message = readable(message);
    message.contains("Use of code point") || message.contains("Cannot pack")
}

/// Compares a batch and returns readable descriptions of the mismatches.
pub fn mismatches(
    requests: &[String],
    inputs: &[String],
    perl: &[String],
    ours: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..requests.len() {
        if perl[i] != ours[i] && !is_documented_vcmp_death(&perl[i]) {
            out.push(format!(
                "input {}\n   perl:     {}\n   riverpan: {}",
                inputs[i],
                readable(&perl[i]),
                readable(&ours[i])
            ));
        }
    }
    out
}
