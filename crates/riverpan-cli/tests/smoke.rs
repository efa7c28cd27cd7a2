//! `riverpan smoke` end to end, on 127.0.0.1 only: a riverpan with hand-made distributions is
//! smoked and its own CPAN Testers API is asked what arrived; a downriver run names what a
//! candidate breaks; `--watch` smokes an upload made after it started.

mod install_support;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use install_support::*;

const TESTER: &str = "Smoke Er <smoker@example.org>";

fn summary(server: &Server, dist: &str) -> Result<serde_json::Value, Box<dyn Error>> {
    let body = Command::new("curl")
        .args(["-s", &format!("{}v3/summary/{dist}", server.url())])
        .output()?;
    let value: serde_json::Value = serde_json::from_slice(&body.stdout)?;
    // No report: the API answers 404 with an error object.
    Ok(match value {
        serde_json::Value::Array(_) => value,
        _ => serde_json::Value::Array(Vec::new()),
    })
}

fn grades(server: &Server, dist: &str) -> Result<Vec<String>, Box<dyn Error>> {
    Ok(summary(server, dist)?
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| row["grade"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default())
}

/// The system perl under a second path (a copy: `$^X` differs, so its identity does too).
fn second_perl(scratch: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let output = Command::new("perl").args(["-e", "print $^X"]).output()?;
    let system = String::from_utf8(output.stdout)?;
    let dir = scratch.join("perl2/bin");
    std::fs::create_dir_all(&dir)?;
    let copy = dir.join("perl");
    std::fs::copy(system.trim(), &copy)?;
    Ok(copy)
}

#[test]
fn uploads_are_smoked_graded_as_cpan_reporter_and_reported_once_per_perl() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = riverpan_with(
        scratch,
        &[
            Dist {
                name: "Smoke-Pass",
                version: "1.0",
                // Passes only in the automated-testing context the smoker sets.
                test:
                    "print $ENV{AUTOMATED_TESTING} ? \"ok 1\\n\" : \"not ok 1 # not automated\\n\";",
                ..Dist::default()
            },
            Dist {
                name: "Smoke-Fail",
                version: "1.0",
                test: FAIL,
                ..Dist::default()
            },
            Dist {
                name: "Smoke-NewPerl",
                version: "1.0",
                makefile_extra: "use 5.999;",
                ..Dist::default()
            },
            Dist {
                name: "Smoke-NoOS",
                version: "1.0",
                makefile_extra: "die \"OS unsupported\\n\";",
                ..Dist::default()
            },
            Dist {
                name: "Smoke-Missing",
                version: "1.0",
                requires: &["Not::There::Anywhere"],
                ..Dist::default()
            },
            Dist {
                name: "Smoke-Hang",
                version: "1.0",
                test: "sleep 600;",
                ..Dist::default()
            },
        ],
    )?;
    let server = Server::start(&data)?;
    let perl2 = second_perl(scratch)?;
    let smoke = |extra: &[&str]| {
        let mut command = riverpan(scratch);
        command
            .arg("smoke")
            .args(["--from", &server.url(), "--report", &server.url()])
            .args(["--tester", TESTER, "--perl", "perl", "--perl"])
            .arg(&perl2)
            .args(["--timeouts", "60,600,5", "-j", "2"])
            .args(extra);
        run(&mut command)
    };
    let output = smoke(&[])?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert_eq!(
        grades(&server, "Smoke-Pass")?,
        ["pass", "pass"],
        "{printed}"
    );
    assert_eq!(
        grades(&server, "Smoke-Fail")?,
        ["fail", "fail"],
        "{printed}"
    );
    assert_eq!(grades(&server, "Smoke-NewPerl")?, ["na", "na"], "{printed}");
    assert_eq!(grades(&server, "Smoke-NoOS")?, ["na", "na"], "{printed}");
    // Discards: nothing reported, the reason shown.
    assert!(grades(&server, "Smoke-Missing")?.is_empty(), "{printed}");
    assert!(grades(&server, "Smoke-Hang")?.is_empty(), "{printed}");
    assert!(printed.contains("Not::There::Anywhere"), "{printed}");
    assert!(
        printed.contains("DISCARD  A/AL/ALICE/Smoke-Hang-1.0.tar.gz"),
        "{printed}"
    );
    // The summary: per perl, per grade.
    let perl2_line = format!("({}): 2 discard, 1 fail, 2 na, 1 pass", perl2.display());
    assert!(printed.contains(&perl2_line), "{printed}");
    assert!(printed.contains("smoked 12 release(s)"), "{printed}");
    // A report says it came from an automated run, and the context it ran in.
    let rows = summary(&server, "Smoke-Pass")?;
    let guid = rows[0]["guid"].as_str().ok_or("no guid")?;
    let report = Command::new("curl")
        .args(["-sf", &format!("{}v3/report/{guid}", server.url())])
        .output()?;
    let report: serde_json::Value = serde_json::from_slice(&report.stdout)?;
    assert!(
        report["result"]["output"]["test"]
            .as_str()
            .is_some_and(|t| t.contains("ok 1") || t.contains("PASS")),
        "{report}"
    );
    assert_eq!(
        report["environment"]["system"]["variables"]["AUTOMATED_TESTING"], "1",
        "{report}"
    );
    // History: a second run tests nothing.
    let output = smoke(&["--json"])?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    let last = printed
        .lines()
        .rfind(|line| line.starts_with('{'))
        .ok_or("no JSON")?;
    let last: serde_json::Value = serde_json::from_str(last)?;
    assert_eq!(last["event"], "summary", "{printed}");
    assert_eq!(last["total"], 0, "{printed}");
    assert_eq!(grades(&server, "Smoke-Pass")?.len(), 2);
    server.stop();
    Ok(())
}

/// Rewrites `dir/NAME-VERSION/lib/...pm` without `sub hello` and packs it again: a release that
/// removes a function its dependents call.
fn without_hello(dist: &Dist<'_>, dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let archive = dist.make(dir)?;
    let root = format!("{}-{}", dist.name, dist.version);
    let module = dir
        .join(&root)
        .join("lib")
        .join(format!("{}.pm", dist.name.replace('-', "/")));
    let code = std::fs::read_to_string(&module)?;
    std::fs::write(&module, code.replace("sub hello", "sub renamed_hello"))?;
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg(&root)
        .status()?;
    if !status.success() {
        return Err("tar failed".into());
    }
    Ok(archive)
}

#[test]
fn downriver_names_the_dependent_a_candidate_breaks() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let calls_hello =
        "use Down::B; print defined(eval { Down::A::hello() }) ? \"ok 1\\n\" : \"not ok 1 # $@\\n\";";
    let data = riverpan_with(
        scratch,
        &[
            Dist {
                name: "Down-A",
                version: "1.0",
                ..Dist::default()
            },
            Dist {
                name: "Down-B",
                version: "1.0",
                requires: &["Down::A"],
                test: calls_hello,
                ..Dist::default()
            },
            Dist {
                name: "Down-C",
                version: "1.0",
                requires: &["Down::A"],
                ..Dist::default()
            },
            Dist {
                name: "Down-D",
                version: "1.0",
                requires: &["Down::A"],
                ..Dist::default()
            },
        ],
    )?;
    let candidates = scratch.join("candidate");
    std::fs::create_dir_all(&candidates)?;
    let candidate = without_hello(
        &Dist {
            name: "Down-A",
            version: "2.0",
            ..Dist::default()
        },
        &candidates,
    )?;
    let server = Server::start(&data)?;
    let output = run(riverpan(scratch)
        .arg("smoke")
        .args(["--from", &server.url(), "--all", "--downriver"])
        .arg(&candidate))?;
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    let verdict = |dist: &str| -> String {
        printed
            .lines()
            .find(|line| line.starts_with(dist))
            .map(|line| {
                line.split_whitespace()
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    assert_eq!(verdict("Down-B"), "PASS FAIL newly broken", "{printed}");
    assert_eq!(verdict("Down-C"), "PASS PASS ok", "{printed}");
    assert_eq!(verdict("Down-D"), "PASS PASS ok", "{printed}");
    assert!(printed.contains("1 dependent(s) newly broken"), "{printed}");
    // The logs named exist and hold the failing test's output.
    let log = printed
        .lines()
        .filter_map(|line| line.trim().strip_prefix("log: "))
        .find(|path| path.contains("Down-B.candidate"))
        .ok_or("no log for Down-B with the candidate")?;
    let content = std::fs::read_to_string(log)?;
    assert!(content.contains("Result: FAIL"), "{log}:\n{content}");
    // As JSON, and with the dependents the first run built (Down-A 1.0 and the candidate)
    // taken from the build cache.
    let output = run(riverpan(scratch)
        .arg("smoke")
        .args([
            "--from",
            &server.url(),
            "--top",
            "2",
            "--json",
            "--downriver",
        ])
        .arg(&candidate))?;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(value["dist"], "Down-A");
    assert_eq!(
        value["dependents"].as_array().map(Vec::len),
        Some(2),
        "{value}"
    );
    assert_eq!(value["newly_broken"], 1, "{value}");
    server.stop();
    Ok(())
}

#[test]
fn watch_smokes_an_upload_made_after_it_started() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = riverpan_with(
        scratch,
        &[Dist {
            name: "Watch-Old",
            version: "1.0",
            ..Dist::default()
        }],
    )?;
    let server = Server::start(&data)?;
    let watcher = riverpan(scratch)
        .arg("smoke")
        .args(["--from", &server.url(), "--report", &server.url()])
        .args(["--tester", TESTER, "--watch", "--interval", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Let it read the index as it is before the upload.
    std::thread::sleep(Duration::from_secs(3));
    let archive = Dist {
        name: "Watch-New",
        version: "1.0",
        ..Dist::default()
    }
    .make(&scratch.join("dists"))?;
    upload(scratch, &data, &archive)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while grades(&server, "Watch-New")?.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    let status = Command::new("kill")
        .args(["-TERM", &watcher.id().to_string()])
        .status()?;
    assert!(status.success());
    let output = watcher.wait_with_output()?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert_eq!(grades(&server, "Watch-New")?, ["pass"], "{printed}");
    // What was indexed before it started is not smoked by a watch without a choice.
    assert!(grades(&server, "Watch-Old")?.is_empty(), "{printed}");
    assert!(printed.contains("smoked 1 release(s)"), "{printed}");
    server.stop();
    Ok(())
}
