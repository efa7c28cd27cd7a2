//! `riverpan ids …` and `riverpan cleanup` end to end, with the binary: account states, deleting
//! ids (allowed and refused), the inactive-ids report, and the cleanup of old releases uploaded
//! with an old clock (`RIVERPAN_NOW`), dry run and real, then undeleted with `riverpan delete`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// `riverpan --data DATA` without the developer's RIVERPAN_* settings.
fn riverpan(data: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command
        .arg("--data")
        .arg(data)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_CONFIG")
        .env_remove("RIVERPAN_NOW")
        .env_remove("RIVERPAN_SMTP_RELAY")
        .env_remove("RIVERPAN_CLEANUP_DELAY")
        .env_remove("RUST_LOG");
    command
}

fn run(command: &mut Command) -> Result<Output, Box<dyn Error>> {
    Ok(command.output()?)
}

fn ok(command: &mut Command) -> Result<String, Box<dyn Error>> {
    let output = run(command)?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// `NAME-VERSION.tar.gz` in `dir` with a META.yml and the module named after the dist.
fn tarball(dir: &Path, name: &str, version: &str) -> Result<PathBuf, Box<dyn Error>> {
    let root = format!("{name}-{version}");
    let package = name.replace('-', "::");
    let module = dir
        .join(&root)
        .join("lib")
        .join(format!("{}.pm", package.replace("::", "/")));
    std::fs::create_dir_all(module.parent().ok_or("no parent")?)?;
    std::fs::write(
        &module,
        format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
    )?;
    std::fs::write(
        dir.join(&root).join("META.yml"),
        format!("---\nname: {name}\nversion: {version}\nlicense: perl\n"),
    )?;
    let archive = dir.join(format!("{root}.tar.gz"));
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
fn help_has_examples() -> TestResult {
    let scratch = tempfile::tempdir()?;
    for command in ["ids", "cleanup"] {
        let help = ok(riverpan(scratch.path()).args([command, "--help"]))?;
        assert!(help.contains("Examples:"), "{help}");
    }
    Ok(())
}

#[test]
fn ids_states_deletion_and_the_inactive_report() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;
    for id in ["NEILB", "UNUSED"] {
        ok(riverpan(&data).args(["user", "add", id, "--name", "Some One"]))?;
    }
    ok(riverpan(&data).args(["passwd", "NEILB"]))?;
    ok(riverpan(&data)
        .args(["upload", "--as", "NEILB"])
        .arg(tarball(&dists, "Foo-Bar", "1.0")?))?;

    let requests: Value =
        serde_json::from_str(&ok(riverpan(&data).args(["ids", "requests", "--json"]))?)?;
    assert_eq!(requests, serde_json::json!([]));
    assert!(
        ok(riverpan(&data).args(["ids", "state", "NEILB", "nologin"]))?
            .contains("active -> nologin")
    );
    assert!(
        !run(riverpan(&data).args(["ids", "state", "NEILB", "deleted"]))?
            .status
            .success()
    );
    assert!(
        !run(riverpan(&data).args(["ids", "state", "UNUSED", "nologin"]))?
            .status
            .success(),
        "no account"
    );

    let refused = run(riverpan(&data).args(["ids", "delete", "NEILB"]))?;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("BackPAN"));
    ok(riverpan(&data).args(["ids", "delete", "UNUSED"]))?;

    // An id registered long ago that never did anything.
    ok(riverpan(&data)
        .args(["user", "add", "SLEEPY", "--name", "Rip Van Winkle"])
        .env("RIVERPAN_NOW", "1000000000"))?;
    let report: Value =
        serde_json::from_str(&ok(riverpan(&data).args(["ids", "inactive", "--json"]))?)?;
    let ids: Vec<&str> = report["ids"]
        .as_array()
        .ok_or("no ids")?
        .iter()
        .filter_map(|id| id["userid"].as_str())
        .collect();
    assert_eq!(ids, ["SLEEPY"]);
    // Not reminded, so never reclaimed; reminders need a mail relay.
    let reclaim: Value =
        serde_json::from_str(&ok(riverpan(&data).args(["ids", "reclaim", "--json"]))?)?;
    assert_eq!(reclaim["ids"], serde_json::json!([]));
    assert!(!run(riverpan(&data).args(["ids", "inactive", "--warn"]))?
        .status
        .success());
    Ok(())
}

#[test]
fn cleanup_dry_run_then_real_then_undeleted() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;
    ok(riverpan(&data).args(["user", "add", "NEILB", "--name", "Neil Bowers"]))?;
    // Four releases in 2001, 2002, 2003, 2004: the newest is in 02packages.
    for (index, version) in ["1.0", "2.0", "3.0", "4.0"].iter().enumerate() {
        let when = 1_000_000_000 + index as i64 * 31_557_600;
        ok(riverpan(&data)
            .args(["upload", "--as", "NEILB"])
            .arg(tarball(&dists, "Old-Dist", version)?)
            .env("RIVERPAN_NOW", when.to_string()))?;
    }
    let dry: Value = serde_json::from_str(&ok(riverpan(&data).args([
        "cleanup",
        "--dry-run",
        "--json",
    ]))?)?;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["authors"][0]["userid"], "NEILB");
    assert_eq!(
        dry["authors"][0]["paths"],
        serde_json::json!(["N/NE/NEILB/Old-Dist-1.0.tar.gz"])
    );
    ok(riverpan(&data).args(["ids", "cleanup-opt-out", "NEILB"]))?;
    let opted: Value = serde_json::from_str(&ok(riverpan(&data).args([
        "cleanup",
        "--dry-run",
        "--json",
    ]))?)?;
    assert_eq!(opted["opted_out"], serde_json::json!(["NEILB"]));
    assert_eq!(opted["authors"], serde_json::json!([]));
    ok(riverpan(&data).args(["ids", "cleanup-opt-out", "NEILB", "--off"]))?;
    let other: Value = serde_json::from_str(&ok(riverpan(&data).args([
        "cleanup",
        "--dry-run",
        "--json",
        "--author",
        "OTHER",
    ]))?)?;
    assert_eq!(other["authors"], serde_json::json!([]));

    let real = ok(riverpan(&data)
        .arg("cleanup")
        .env("RIVERPAN_CLEANUP_DELAY", "1h"))?;
    assert!(real.contains("NEILB: scheduled 1 file(s)"), "{real}");
    assert!(ok(riverpan(&data).arg("cleanup"))?.contains("nothing to clean up"));
    // The usual undelete.
    let undone =
        ok(riverpan(&data).args(["delete", "N/NE/NEILB/Old-Dist-1.0.tar.gz", "--undelete"]))?;
    assert!(undone.contains("cancelled"), "{undone}");
    // Kept from now on: a cancelled deletion of the cleanup is not scheduled again.
    assert!(ok(riverpan(&data).arg("cleanup"))?.contains("nothing to clean up"));
    assert!(data
        .join("cpan/authors/id/N/NE/NEILB/Old-Dist-1.0.tar.gz")
        .exists());
    Ok(())
}
