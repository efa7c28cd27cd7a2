//! Crash safety: the `riverpan` process is killed at many points of an upload and of an import
//! (abort at named failpoints, and SIGKILL at arbitrary moments); after each crash the published
//! files must agree with the database, and nothing accepted may be lost.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use riverpan_store::Store;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

fn riverpan(data: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command
        .arg("--data")
        .arg(data)
        .env_remove("RIVERPAN_FAILPOINT")
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_SMTP_RELAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn ok(command: &mut Command) -> TestResult {
    let status = command.status()?;
    assert!(status.success(), "{command:?} failed: {status}");
    Ok(())
}

/// `dir/Name-VERSION.tar.gz` with META.yml and one module per package, made with GNU tar.
fn make_dist(
    dir: &Path,
    name: &str,
    version: &str,
    packages: &[&str],
) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let root = format!("{name}-{version}");
    let src = dir.join(format!("src-{root}"));
    std::fs::create_dir_all(dir)?;
    std::fs::create_dir_all(src.join(&root))?;
    std::fs::write(
        src.join(&root).join("META.yml"),
        format!("---\nname: {name}\nversion: {version}\n"),
    )?;
    for package in packages {
        let file = src
            .join(&root)
            .join("lib")
            .join(format!("{}.pm", package.replace("::", "/")));
        std::fs::create_dir_all(file.parent().ok_or("parent")?)?;
        std::fs::write(
            &file,
            format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
        )?;
    }
    let archive = dir.join(format!("{root}.tar.gz"));
    let status = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-czf")
        .arg(&archive)
        .arg(&root)
        .status()?;
    assert!(status.success());
    Ok(archive)
}

fn sha256_hex(path: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new("sha256sum").arg(path).output()?;
    let text = String::from_utf8(output.stdout)?;
    Ok(text
        .split_whitespace()
        .next()
        .ok_or("no digest")?
        .to_string())
}

fn gunzip(path: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new("gzip").arg("-dc").arg(path).output()?;
    assert!(
        output.status.success(),
        "{} is not valid gzip",
        path.display()
    );
    Ok(String::from_utf8(output.stdout)?)
}

fn body_lines(text: &str) -> Vec<String> {
    text.split_once("\n\n")
        .map_or("", |(_, body)| body)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The invariants: every accepted upload has its file (same digest); 02packages and 06perms
/// (text and gz) say exactly what the database says; each CHECKSUMS lists exactly the accepted
/// uploads of its directory. Returns the accepted paths.
fn check_consistency(data: &Path) -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    // Opening through the binary lets riverpan catch up with a crash (as any command does).
    // (`report` of an unknown upload exits 1; only the opening matters here.)
    let _ = riverpan(data).args(["report", "none/such"]).status()?;
    let store = Store::open(data)?;
    let reader = store.reader();
    let cpan = data.join("cpan");
    let mut accepted = BTreeSet::new();
    let mut by_dir: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for upload in reader.uploads()? {
        let file = cpan.join("authors/id").join(&upload.path);
        assert!(
            file.exists(),
            "accepted upload {} lost its file",
            upload.path
        );
        assert_eq!(
            sha256_hex(&file)?,
            upload.sha256,
            "{} has other bytes than accepted",
            upload.path
        );
        let (dir, name) = upload.path.rsplit_once('/').ok_or("path")?;
        by_dir
            .entry(dir.to_string())
            .or_default()
            .insert(name.to_string());
        accepted.insert(upload.path.clone());
    }
    let mut expected: Vec<String> = reader
        .all_packages()?
        .iter()
        .map(|p| format!("{} {} {}", p.package, p.version, p.dist))
        .collect();
    expected.sort_by_key(|line| line.to_lowercase());
    {
        let path = "modules/02packages.details.txt";
        let text = std::fs::read_to_string(cpan.join(path))?;
        let gz = gunzip(&cpan.join(format!("{path}.gz")))?;
        assert_eq!(text, gz, "{path} and its .gz differ");
        let mut lines: Vec<String> = body_lines(&text)
            .iter()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        lines.sort_by_key(|line| line.to_lowercase());
        assert_eq!(lines, expected, "02packages disagrees with the database");
    }
    let mut perms: BTreeSet<String> = BTreeSet::new();
    for row in reader.all_permissions(false)? {
        perms.insert(format!("{},{}", row.package, row.userid));
    }
    for row in reader.all_permissions(true)? {
        perms.insert(format!("{},{}", row.package, row.userid));
    }
    let text = std::fs::read_to_string(cpan.join("modules/06perms.txt"))?;
    let listed: BTreeSet<String> = body_lines(&text)
        .iter()
        .filter_map(|line| line.rsplit_once(',').map(|(head, _)| head.to_string()))
        .collect();
    assert_eq!(listed, perms, "06perms disagrees with the database");
    for (dir, names) in by_dir {
        let checksums =
            std::fs::read_to_string(cpan.join("authors/id").join(&dir).join("CHECKSUMS"))?;
        let listed: BTreeSet<String> = checksums
            .lines()
            .filter_map(|line| line.strip_prefix("  '"))
            .filter_map(|rest| rest.split_once("' => {").map(|(name, _)| name.to_string()))
            .collect();
        assert_eq!(
            listed, names,
            "CHECKSUMS of {dir} disagrees with the accepted uploads"
        );
    }
    Ok(accepted)
}

#[test]
fn killed_at_every_failpoint_of_an_upload() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    ok(riverpan(data.path()).args(["init", "--policy", "pause"]))?;
    ok(riverpan(data.path()).args(["user", "add", "ALICE"]))?;
    let failpoints = [
        "after_file_stored",
        "before_commit",
        "after_commit",
        "after_02packages",
        "before_published_mark",
    ];
    for (round, failpoint) in failpoints.iter().enumerate() {
        let version = format!("1.{round}");
        let archive = make_dist(
            work.path(),
            "Crash-Test",
            &version,
            &["Crash::Test", "Crash::Test::Helper"],
        )?;
        let status = riverpan(data.path())
            .args(["upload", "--as", "ALICE"])
            .arg(&archive)
            .env("RIVERPAN_FAILPOINT", failpoint)
            .status()?;
        assert!(!status.success(), "the failpoint {failpoint} did not fire");
        let accepted = check_consistency(data.path())?;
        let path = format!("A/AL/ALICE/Crash-Test-{version}.tar.gz");
        // Retrying is always safe: either the first attempt was accepted (and the name is taken)
        // or it was not (and the retry is accepted).
        let retry = riverpan(data.path())
            .args(["upload", "--as", "ALICE"])
            .arg(&archive)
            .status()?;
        if accepted.contains(&path) {
            assert!(
                !retry.success(),
                "{failpoint}: an accepted name was accepted twice"
            );
        } else {
            assert!(
                retry.success(),
                "{failpoint}: the retry of an unaccepted upload failed"
            );
        }
        let accepted = check_consistency(data.path())?;
        assert!(
            accepted.contains(&path),
            "{failpoint}: the upload is not accepted after the retry"
        );
    }
    Ok(())
}

#[test]
fn import_killed_at_random_moments() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let tree = work.path().join("tree/authors/id");
    for (i, author) in ["AAA", "BBB", "CCC"].iter().enumerate() {
        let dir = tree.join(&author[..1]).join(&author[..2]).join(author);
        std::fs::create_dir_all(&dir)?;
        for n in 0..40 {
            let name = format!("Dist{i}-N{n}");
            let package = format!("Dist{i}::N{n}");
            let made = make_dist(&work.path().join("scratch"), &name, "1.0", &[&package])?;
            std::fs::rename(&made, dir.join(made.file_name().ok_or("name")?))?;
        }
    }
    ok(riverpan(data.path()).args(["init", "--policy", "pause"]))?;
    let mut seen_partial = false;
    for delay_ms in [5u64, 40, 90, 150, 250, 400] {
        let mut child = riverpan(data.path())
            .arg("import")
            .arg(work.path().join("tree"))
            .env("RIVERPAN_IMPORT_BATCH", "7")
            .spawn()?;
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let accepted = check_consistency(data.path())?;
        seen_partial |= !accepted.is_empty() && accepted.len() < 120;
    }
    // Finishing the import afterwards accepts everything exactly once.
    let mut output = String::new();
    let mut child = riverpan(data.path())
        .arg("import")
        .arg(work.path().join("tree"))
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdout
        .take()
        .ok_or("stdout")?
        .read_to_string(&mut output)?;
    assert!(child.wait()?.success());
    let accepted = check_consistency(data.path())?;
    assert_eq!(accepted.len(), 120);
    eprintln!("a kill landed in the middle of an import: {seen_partial}");

    // Killed after a batch's files were made durable, before its rows commit: nothing of
    // that batch is accepted, the batches before it are, and importing again finishes it.
    let data = tempfile::tempdir()?;
    ok(riverpan(data.path()).args(["init", "--policy", "pause"]))?;
    let status = riverpan(data.path())
        .arg("import")
        .arg(work.path().join("tree"))
        .env("RIVERPAN_IMPORT_BATCH", "50")
        .env("RIVERPAN_FAILPOINT", "import_before_commit")
        .stderr(Stdio::null())
        .status()?;
    assert!(!status.success());
    let accepted = check_consistency(data.path())?;
    assert!(accepted.is_empty(), "{accepted:?}");
    ok(riverpan(data.path())
        .arg("import")
        .arg(work.path().join("tree")))?;
    assert_eq!(check_consistency(data.path())?.len(), 120);
    Ok(())
}
