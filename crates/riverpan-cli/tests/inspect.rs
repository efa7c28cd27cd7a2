//! `riverpan inspect` end to end: archives made with the system's `tar`, the binary run as a user
//! runs it, its JSON shape, human output and exit status.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write;

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// Writes `files` under `dir/root/` and packs them as `dir/name` with GNU tar.
fn make_dist(
    dir: &Path,
    name: &str,
    root: &str,
    files: &[(&str, &str)],
) -> Result<PathBuf, Box<dyn Error>> {
    let src = dir.join(format!("src-{name}"));
    for (path, content) in files {
        let full = src.join(root).join(path);
        std::fs::create_dir_all(full.parent().ok_or("no parent")?)?;
        std::fs::write(&full, content)?;
    }
    let archive = dir.join(name);
    let status = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-czf")
        .arg(&archive)
        .arg(root)
        .status()?;
    assert!(status.success(), "tar failed");
    Ok(archive)
}

fn inspect(args: &[&str], stdin: &str) -> Result<Output, Box<dyn Error>> {
    let mut child = Command::new(RIVERPAN)
        .arg("inspect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

fn good_dist(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    make_dist(
        dir,
        "Foo-Bar-1.23.tar.gz",
        "Foo-Bar-1.23",
        &[
            ("META.json", r#"{"name":"Foo-Bar","version":"1.23","meta-spec":{"version":2},"release_status":"stable"}"#),
            ("lib/Foo/Bar.pm", "package Foo::Bar;\nour $VERSION = '1.23';\n1;\n"),
            ("lib/Foo/Bar/Util.pm", "package Foo::Bar::Util;\nuse version; our $VERSION = qv('1.2.3');\npackage Foo::Bar::Util::Inner;\n1;\n"),
            ("t/lib/Helper.pm", "package Helper;\nour $VERSION = '9';\n1;\n"),
        ],
    )
}

#[test]
fn json_output_has_the_documented_keys_in_order() -> TestResult {
    let dir = tempfile::tempdir()?;
    let archive = good_dist(dir.path())?;
    let path = archive.to_str().ok_or("path")?;
    let output = inspect(&["--json", path], "")?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout)?;
    let expected = format!(
        concat!(
            r#"{{"file":"{}","skip":null,"meta":"Foo-Bar-1.23/META.json","method":"files","packages":{{"#,
            r#""Foo::Bar":{{"version":"1.23","file":"lib/Foo/Bar.pm"}},"#,
            r#""Foo::Bar::Util":{{"version":"1.002003","file":"lib/Foo/Bar/Util.pm"}},"#,
            r#""Foo::Bar::Util::Inner":{{"version":"1.002003","file":"lib/Foo/Bar/Util.pm"}}}},"problems":[]}}"#,
            "\n"
        ),
        path
    );
    assert_eq!(stdout, expected);
    Ok(())
}

#[test]
fn human_output_and_paths_from_stdin() -> TestResult {
    let dir = tempfile::tempdir()?;
    let archive = good_dist(dir.path())?;
    let trial = make_dist(
        dir.path(),
        "Foo-Bar-1.24-TRIAL.tar.gz",
        "Foo-Bar-1.24",
        &[
            ("META.yml", "---\nname: Foo-Bar\n"),
            (
                "lib/Foo/Bar.pm",
                "package Foo::Bar;\nour $VERSION = '1.24';\n1;\n",
            ),
        ],
    )?;
    let stdin = format!("{}\n{}\n", archive.display(), trial.display());
    let output = inspect(&[], &stdin)?;
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout)?;
    assert!(stdout.contains("indexed by PAUSE: yes"), "{stdout}");
    assert!(
        stdout.contains("Foo::Bar::Util::Inner  1.002003  lib/Foo/Bar/Util.pm"),
        "{stdout}"
    );
    assert!(
        stdout.contains("not indexed: This is a developer release"),
        "{stdout}"
    );
    assert!(stdout.contains("[developer_release]"), "{stdout}");
    Ok(())
}

#[test]
fn unreadable_files_fail_but_refused_archives_do_not() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = good_dist(dir.path())?;
    let corrupt = dir.path().join("Broken-1.0.tar.gz");
    std::fs::write(&corrupt, b"\x1f\x8b\x08\x00 this is not really gzip")?;
    let missing = dir.path().join("Missing-1.0.tar.gz");

    // A hostile archive: a symlink pointing out of the tree.
    let src = dir.path().join("hostile");
    std::fs::create_dir_all(src.join("Evil-1.0"))?;
    std::fs::write(src.join("Evil-1.0/META.yml"), "---\nname: Evil\n")?;
    std::os::unix::fs::symlink("../../../../etc/passwd", src.join("Evil-1.0/Evil.pm"))?;
    let hostile = dir.path().join("Evil-1.0.tar.gz");
    let status = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-czf")
        .arg(&hostile)
        .arg("Evil-1.0")
        .status()?;
    assert!(status.success());

    let output = inspect(&["--json", hostile.to_str().ok_or("path")?], "")?;
    assert!(
        output.status.success(),
        "a refused archive is still an answer"
    );
    let line: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert!(
        line["skip"].as_str().ok_or("skip")?.contains("outside"),
        "{line}"
    );
    assert_eq!(line["problems"][0]["code"], "symlink_escape");

    let args = [
        "--json",
        good.to_str().ok_or("path")?,
        corrupt.to_str().ok_or("path")?,
        missing.to_str().ok_or("path")?,
    ];
    let output = inspect(&args, "")?;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout)?;
    assert_eq!(
        stdout.lines().count(),
        2,
        "good and corrupt get an object: {stdout}"
    );
    let corrupt_line: serde_json::Value =
        serde_json::from_str(stdout.lines().nth(1).ok_or("line")?)?;
    assert!(corrupt_line["skip"].is_string());
    let stderr = String::from_utf8(output.stderr)?;
    assert!(stderr.contains("Missing-1.0.tar.gz"), "{stderr}");
    Ok(())
}

#[test]
fn help_documents_the_json_keys() -> TestResult {
    let output = Command::new(RIVERPAN)
        .args(["inspect", "--help"])
        .output()?;
    let help = String::from_utf8(output.stdout)?;
    for key in [
        "file",
        "skip",
        "meta",
        "method",
        "packages",
        "problems",
        "Exit status",
    ] {
        assert!(help.contains(key), "help lacks {key}");
    }
    Ok(())
}
