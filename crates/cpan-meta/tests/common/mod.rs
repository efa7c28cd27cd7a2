//! The Perl oracle process (`oracle.pl`) and riverpan's answers in the same shape.

#![allow(dead_code)]

use cpan_meta::{CpanMeta, RawValue};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn perl_skipped() -> bool {
    if std::env::var_os("RIVERPAN_SKIP_PERL").is_some_and(|v| v == "1") {
        eprintln!("RIVERPAN_SKIP_PERL=1: skipping a test that needs Perl");
        return true;
    }
    false
}

/// The corpus's unpacked directory, or `None` (with a message) when it is absent or skipped.
pub fn corpus_dir() -> Option<PathBuf> {
    if std::env::var_os("RIVERPAN_SKIP_CORPUS").is_some_and(|v| v == "1") {
        eprintln!("RIVERPAN_SKIP_CORPUS=1: skipping the corpus test");
        return None;
    }
    let base = match std::env::var_os("CPAN_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/cpan-corpus"),
    };
    let unpacked = base.join("unpacked");
    if !unpacked.is_dir() {
        eprintln!(
            "no corpus at {} (run scripts/corpus-unpack): skipping",
            unpacked.display()
        );
        return None;
    }
    Some(unpacked)
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
            .spawn()
            .expect("perl must be installed");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        PerlOracle {
            child,
            stdin,
            stdout,
        }
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
                assert!(!line.is_empty(), "perl exited");
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

pub fn with_oracle<R>(f: impl FnOnce(&mut PerlOracle) -> R) -> R {
    static ORACLE: Mutex<Option<PerlOracle>> = Mutex::new(None);
    let mut guard = ORACLE.lock().unwrap_or_else(|e| e.into_inner());
    let oracle = guard.get_or_insert_with(PerlOracle::start);
    f(oracle)
}

/// A value with every scalar as the string Perl prints (the oracle's `plain`).
pub fn plain(v: &RawValue) -> Value {
    match v {
        RawValue::Null => Value::Null,
        RawValue::Array(items) => Value::Array(items.iter().map(plain).collect()),
        RawValue::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), plain(v))).collect()),
        scalar => Value::String(scalar.as_perl_string().unwrap_or_default()),
    }
}

/// An oracle answer split into (raw, converted), each `Ok(value)` or `Err(message)`.
pub type Answer = (Result<Value, String>, Result<Value, String>);

fn one(v: &Value) -> Result<Value, String> {
    match v.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()),
    }
}

pub fn parse_answer(line: &str) -> Answer {
    let (raw, conv) = line.split_once('\t').expect("two fields");
    let raw: Value = serde_json::from_str(raw).expect("raw json");
    let conv: Value = serde_json::from_str(conv).expect("conv json");
    (one(&raw), one(&conv))
}

/// riverpan's answer for a parse result.
pub fn ours(parsed: Result<RawValue, cpan_meta::MetaError>) -> Answer {
    match parsed {
        Err(e) => (Err(e.to_string()), Err("raw failed".into())),
        Ok(raw) => {
            let conv = CpanMeta::from_raw(&raw)
                .map(|m| plain(&m.converted))
                .map_err(|e| e.to_string());
            (Ok(plain(&raw)), conv)
        }
    }
}

/// Whether two sides agree: both failed, or both succeeded with equal values.
pub fn same(a: &Result<Value, String>, b: &Result<Value, String>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x == y,
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

pub fn describe(r: &Result<Value, String>) -> String {
    let s = match r {
        Ok(v) => format!("ok {v}"),
        Err(e) => format!("error {e}"),
    };
    s.chars().take(300).collect()
}

pub fn unused() -> Value {
    json!(null)
}
