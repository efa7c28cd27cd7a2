//! Differential test: CPAN::Reporter's own `_compute_PL_grade`, `_compute_make_grade` and
//! `_compute_test_grade` (with `_downgrade_known_causes`) against [`cpan_reporter::grade`] on
//! every case of `common/mod.rs`.  Needs perl with CPAN::Reporter (Debian:
//! `libcpan-reporter-perl`); skipped, saying so, when that is missing.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use cpan_reporter::{grade, prereq_report, Harness, Phase, PhaseRun, Verdict};
use serde_json::{json, Value};

fn cpan_reporter_available() -> bool {
    Command::new("perl")
        .args(["-MCPAN::Reporter", "-e", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The files CPAN::Reporter looks at for these build-directory facts.
fn files(c: &common::Case) -> Value {
    let make = cpan_reporter::is_make(c.command);
    let mut files = serde_json::Map::new();
    files.insert("Makefile.PL".into(), "# top\n".into());
    if c.build_dir.build_file_written {
        if make {
            let body = if c.build_dir.makefile_has_test_target {
                "all :: pure_all\n\ntest :: $(TEST_TYPE)\n"
            } else {
                "all :: pure_all\n"
            };
            files.insert("Makefile".into(), body.into());
        } else {
            files.insert("Build".into(), "#!perl\n".into());
        }
    } else if c.phase != Phase::Configure && make && c.build_dir.makefile_has_test_target {
        unreachable!("{}: a test target needs a Makefile", c.name);
    }
    if c.build_dir.has_test_pl {
        files.insert("test.pl".into(), "print qq{ok\\n};\n".into());
    }
    if c.build_dir.recursive_make {
        files.insert("Sub/Makefile.PL".into(), "# nested\n".into());
    }
    Value::Object(files)
}

/// Runs CPAN::Reporter's grading on `cases`: its version and one `{grade, msg, is_make}` each.
fn perl_grades(cases: &[common::Case]) -> (f64, Vec<Value>) {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            let lines: Vec<&str> = c.output.split_inclusive('\n').collect();
            json!({
                "phase": c.phase.cpan_reporter_name(),
                "command": c.command,
                "lines": lines,
                "exit_value": if c.timed_out { 9 } else { c.exit.wait_status() },
                "prereq_pm": prereq_report(&c.prereqs),
                "harness_version": match c.harness { Harness::Tap => "3.44", Harness::Legacy => "2.64" },
                "files": files(c),
            })
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cpan_reporter_grade.pl");
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new("perl")
        .arg(script)
        // Keep CPAN::Reporter away from any real ~/.cpanreporter configuration.
        .env("HOME", home.path())
        .env("PERL_CPAN_REPORTER_DIR", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let version: f64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("CPAN::Reporter "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answer = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no answer from perl:\n{stdout}\n{stderr}"));
    let perl: Vec<Value> = serde_json::from_str(answer).unwrap();
    assert_eq!(perl.len(), cases.len());
    (version, perl)
}

/// Ours as CPAN::Reporter would say it: (grade, message).
fn ours(c: &common::Case) -> (&'static str, String) {
    let v = grade(&PhaseRun {
        phase: c.phase,
        command: c.command,
        exit: c.exit,
        timed_out: c.timed_out,
        output: &c.output,
        prerequisites: &c.prereqs,
        build_dir: c.build_dir,
        harness: c.harness,
    });
    match v {
        Verdict::Report { grade, reason, .. } => (grade.as_str(), reason),
        Verdict::Discard { reason, .. } => ("discard", reason),
        // CPAN::Reporter grades it `pass` and simply sends nothing.
        Verdict::Continue { .. } => ("pass", "No errors".to_string()),
    }
}

#[test]
fn grades_agree_with_cpan_reporter() {
    if !cpan_reporter_available() {
        eprintln!("SKIPPED: perl -MCPAN::Reporter is not available (apt-get install libcpan-reporter-perl)");
        return;
    }
    let cases = common::cases();
    let (version, perl) = perl_grades(&cases);
    let mut disagreements = Vec::new();
    for (c, p) in cases.iter().zip(&perl) {
        let (ours, msg) = ours(c);
        let theirs = p["grade"].as_str().unwrap_or_default();
        let their_msg = p["msg"].as_str().unwrap_or_default();
        if p["is_make"].as_bool() != Some(cpan_reporter::is_make(c.command)) {
            disagreements.push(format!("{}: _is_make({:?}) differs", c.name, c.command));
        }
        if c.since_1_2020 && version < 1.2020 {
            // The installed CPAN::Reporter predates the rule; the grade still agrees here.
            if ours != theirs {
                disagreements.push(format!("{}: grade {ours} vs {theirs}", c.name));
            }
            continue;
        }
        if ours != theirs || msg != their_msg {
            disagreements.push(format!(
                "{}: ours {ours} {msg:?}, CPAN::Reporter {version} {theirs} {their_msg:?}",
                c.name
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    eprintln!("{} cases agree with CPAN::Reporter {version}", cases.len());
}

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.next() % one_in == 0
    }
}

/// Random outputs assembled from fragments that sit on and near every pattern, graded by
/// both sides.
#[test]
fn random_outputs_agree_with_cpan_reporter() {
    use cpan_reporter::{BuildDir, ExitStatus, Have, Prereq, PrereqSection};
    if !cpan_reporter_available() {
        eprintln!("SKIPPED: perl -MCPAN::Reporter is not available");
        return;
    }
    const FRAGMENTS: &[&str] = &[
        "Result: PASS",
        "Result: FAIL",
        "Result: NOTESTS",
        "Result:  PASSED",
        "Result:",
        "Result:\tFAIL",
        " Result: PASS",
        "All tests successful.",
        "Failed 1/3 subtests ",
        "Failed 1/1 test programs. 1/3 subtests failed.",
        "FAILED--no tests were run",
        "FAILED--1 test script could be run, alas--no output ever seen",
        "FAILED--Further testing stopped: db",
        "Bailout called.  Further testing stopped:  x",
        "Bailout called.Further testing stopped",
        "Dubious, test returned 255 (wstat 65280, 0xff00)",
        "No tests defined.",
        "xNo tests defined",
        "xyNo tests defined",
        "Files=1, Tests=3,  0 wallclock secs",
        "t/01.t .. ok",
        "make: *** [Makefile:807: test_dynamic] Error 1",
        "",
        "\r",
        "random noise é",
    ];
    // The lines that downgrade (na, discard): rarer, or they would decide almost every case.
    const DOWNGRADES: &[&str] = &[
        "OS unsupported",
        "No support for OS",
        "os unsupported",
        "Perl v5.999.0 required--this is only v5.36.0",
        "skipped: Perl v5.40 required--this is only v5.36",
        "perl 5.8 required --this is only",
        "Perl version 5.40 or higher required. We run 5.36.",
        "ERROR: perl: Version 5.36 is installed, but we need version >= 5.40",
        "ERROR: perl (5.36) is installed, but we need version 5.40",
        "Error evaling version line 'BEGIN { }'",
        "Could not eval '",
        "open3: IO::Pipe: Can't spawn-NOWAIT at TAP/Parser/Iterator/Process.pm line 1.",
        "Makefile out-of-date with respect to Makefile.PL",
    ];
    const COMMANDS: &[&str] = &[
        "make test",
        "./Build test",
        "make",
        "./Build",
        "perl Makefile.PL",
        "perl Build.PL",
        "./Build test -j2",
        "/usr/bin/gmake test",
    ];
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut cases = Vec::new();
    for i in 0..1000 {
        let phase = *rng.pick(&[Phase::Configure, Phase::Build, Phase::Test]);
        let command = *rng.pick(COMMANDS);
        let mut output = String::new();
        for _ in 0..(rng.next() % 6) {
            let from = if rng.chance(6) { DOWNGRADES } else { FRAGMENTS };
            let piece: &&str = rng.pick(from);
            output.push_str(piece);
            output.push_str(if rng.chance(8) { "" } else { "\n" });
        }
        let exit = if rng.chance(10) {
            ExitStatus::Signaled(*rng.pick(&[2, 9, 11, 15]))
        } else {
            ExitStatus::Exited(*rng.pick(&[0, 0, 1, 2, 255]))
        };
        let mut c = common::case(&format!("random #{i}"), phase, command, output, 0, "", "");
        c.exit = exit;
        c.timed_out = rng.chance(10);
        c.harness = if rng.chance(4) {
            Harness::Legacy
        } else {
            Harness::Tap
        };
        c.build_dir = BuildDir {
            build_file_written: !rng.chance(4),
            makefile_has_test_target: true,
            has_test_pl: rng.chance(6),
            recursive_make: rng.chance(6),
        };
        // Without a Makefile there is no test target either (CPAN::Reporter reads the file).
        c.build_dir.makefile_has_test_target = c.build_dir.build_file_written && !rng.chance(6);
        c.prereqs = match rng.next() % 8 {
            0 | 5 | 6 | 7 => vec![],
            1 => vec![Prereq::new(
                PrereqSection::Requires,
                "Not::There",
                "1",
                Have::Missing,
            )],
            2 => vec![Prereq::new(
                PrereqSection::BuildRequires,
                "Test::More",
                "99",
                Have::Version("1.3".into()),
            )],
            3 => vec![Prereq::new(
                PrereqSection::ConfigureRequires,
                "perl",
                "5.040",
                Have::Version("5.036000".into()),
            )],
            _ => vec![Prereq::new(
                PrereqSection::Requires,
                "Moo",
                "2",
                Have::Broken,
            )],
        };
        cases.push(c);
    }
    let (version, perl) = perl_grades(&cases);
    let mut disagreements = Vec::new();
    for (c, p) in cases.iter().zip(&perl) {
        let (ours, msg) = ours(c);
        let theirs = p["grade"].as_str().unwrap_or_default();
        let their_msg = p["msg"].as_str().unwrap_or_default();
        // 1.2020's extra TAP rule (`FAILED--Further testing stopped`) is ours alone.
        let newer_rule = version < 1.2020
            && c.harness == Harness::Tap
            && c.output.contains("FAILED--Further testing stopped");
        if (ours != theirs || msg != their_msg) && !newer_rule {
            disagreements.push(format!(
                "{} ({:?} {:?} {:?} timed_out={} {:?} {:?}):\n{:?}\n  ours {ours} {msg:?}\n  CPAN::Reporter {theirs} {their_msg:?}",
                c.name, c.phase, c.command, c.exit, c.timed_out, c.harness, c.build_dir, c.output
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    let mut seen = std::collections::BTreeMap::new();
    for p in &perl {
        *seen
            .entry(p["grade"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    // The generator must reach every outcome, or the comparison proves little.
    assert_eq!(seen.len(), 5, "{seen:?}");
    eprintln!(
        "{} random cases agree with CPAN::Reporter {version}: {seen:?}",
        cases.len()
    );
}
