//! Real upload clients against the real binary: `riverpan serve` on 127.0.0.1:0, Debian's
//! `cpan-upload` (CPAN::Uploader, `libcpan-uploader-perl`) pointed at it with
//! `CPAN_UPLOADER_UPLOAD_URI`, with a password and with a token; the account commands
//! (`passwd`, `token`), the admin bootstrap, `delete`, and the queue across a restart.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");
const WAIT: Duration = Duration::from_secs(30);

fn have_cpan_upload() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v cpan-upload"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!(
            "cpan-upload is missing: apt-get install libcpan-uploader-perl (scripts/test does)"
        );
    }
    found
}

fn riverpan(data: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command
        .arg("--data")
        .arg(data)
        .env_remove("RIVERPAN_ADMIN_PASSWORD");
    command
}

fn run(command: &mut Command, stdin: Option<&str>) -> Result<Output, Box<dyn Error>> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    drop(child.stdin.take());
    Ok(child.wait_with_output()?)
}

fn ok(command: &mut Command, stdin: Option<&str>) -> Result<String, Box<dyn Error>> {
    let output = run(command, stdin)?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `riverpan serve` with its log drained on a thread (so a full pipe never blocks it).
struct Server {
    child: Child,
    authority: String,
    startup_log: String,
    log: std::thread::JoinHandle<String>,
}

impl Server {
    fn start(data: &Path, envs: &[(&str, &str)]) -> Result<Server, Box<dyn Error>> {
        let mut command = riverpan(data);
        command.args(["serve", "--listen", "127.0.0.1:0"]);
        command.env("RIVERPAN_DELETION_DELAY", "1s");
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut log = BufReader::new(child.stderr.take().ok_or("no stderr")?);
        let deadline = Instant::now() + WAIT;
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if log.read_line(&mut line)? == 0 || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("riverpan serve did not start; log:\n{seen}").into());
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("serving http://").nth(1) {
                let authority = rest.split('/').next().ok_or("no URL")?.to_owned();
                let log = std::thread::spawn(move || {
                    let mut rest = String::new();
                    let _ = log.read_to_string(&mut rest);
                    rest
                });
                return Ok(Server {
                    child,
                    authority,
                    startup_log: seen,
                    log,
                });
            }
        }
    }

    fn upload_uri(&self) -> String {
        format!("http://{}/pause/authenquery", self.authority)
    }

    /// SIGTERM, and the rest of the log.
    fn stop(mut self) -> Result<String, Box<dyn Error>> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Err("riverpan serve ignored SIGTERM".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(self.log.join().unwrap_or_default())
    }
}

/// `cpan-upload -u USER -p PASSWORD FILE` against `server`, with an empty HOME (no ~/.pause).
fn cpan_upload(
    server: &Server,
    home: &Path,
    user: &str,
    password: &str,
    file: &Path,
) -> Result<Output, Box<dyn Error>> {
    run(
        Command::new("cpan-upload")
            .env("HOME", home)
            .env("CPAN_UPLOADER_UPLOAD_URI", server.upload_uri())
            .args(["-u", user, "-p", password])
            .arg(file),
        None,
    )
}

fn make_dist(dir: &Path, dist: &str, version: &str) -> Result<PathBuf, Box<dyn Error>> {
    let package = dist.replace('-', "::");
    let root_name = format!("{dist}-{version}");
    let root = dir.join(&root_name);
    let module = root
        .join("lib")
        .join(format!("{}.pm", package.replace("::", "/")));
    std::fs::create_dir_all(module.parent().ok_or("no parent")?)?;
    std::fs::write(
        &module,
        format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
    )?;
    std::fs::write(
        root.join("META.json"),
        format!(
            r#"{{"name":"{dist}","version":"{version}","abstract":"test","author":["T"],
"license":["perl_5"],"dynamic_config":0,"release_status":"stable","generated_by":"hand",
"meta-spec":{{"version":2}}}}"#
        ),
    )?;
    std::fs::write(
        root.join("Makefile.PL"),
        "use ExtUtils::MakeMaker;\nWriteMakefile(NAME => 'x');\n",
    )?;
    let archive = dir.join(format!("{root_name}.tar.gz"));
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg(&root_name)
        .status()?;
    if !status.success() {
        return Err("tar failed".into());
    }
    Ok(archive)
}

/// Waits until `path` is indexed and published (02packages names it).
fn wait_indexed(data: &Path, path: &str) -> TestResult {
    let deadline = Instant::now() + WAIT;
    loop {
        let store = riverpan_store::Store::open(data)?;
        if store
            .reader()
            .upload_by_path(path)?
            .is_some_and(|upload| upload.state == "indexed")
            && packages_details(data)?.contains(path)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{path} was not indexed").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn packages_details(data: &Path) -> Result<String, Box<dyn Error>> {
    let output = Command::new("gzip")
        .arg("-dc")
        .arg(data.join("cpan/modules/02packages.details.txt.gz"))
        .output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn cpan_upload_with_a_password_and_a_token_then_409_then_delete() -> TestResult {
    if !have_cpan_upload() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    ok(riverpan(&data).args(["user", "add", "NEILB"]), None)?;
    ok(
        riverpan(&data).args(["passwd", "NEILB", "--password-stdin"]),
        Some("pa55 word\n"),
    )?;
    let token = ok(
        riverpan(&data).args(["token", "create", "NEILB", "--expires", "1d"]),
        None,
    )?;
    let token = token.trim().to_string();
    assert!(token.starts_with("NEILB:"), "{token}");

    let server = Server::start(&data, &[("RIVERPAN_ADMIN_PASSWORD", "admin pw")])?;
    // NEILB's account exists, so there is no bootstrap (that is for an empty data directory).
    assert!(
        !server.startup_log.contains("administrator account"),
        "{}",
        server.startup_log
    );

    let first = make_dist(scratch.path(), "Foo-Bar", "1.0")?;
    let output = cpan_upload(&server, &home, "neilb", "pa55 word", &first)?;
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("PAUSE add message sent ok [200]"),
        "{}",
        text(&output)
    );

    let second = make_dist(scratch.path(), "Foo-Bar", "1.1")?;
    let output = cpan_upload(&server, &home, "NEILB", &token, &second)?;
    assert!(output.status.success(), "with a token: {}", text(&output));

    // The same name again: PAUSE's 409, which cpan-upload reports and fails on.
    let output = cpan_upload(&server, &home, "NEILB", "pa55 word", &first)?;
    assert!(!output.status.success());
    assert!(text(&output).contains("409"), "{}", text(&output));

    // A document may be sent again under its name (PAUSE's may_overwrite_file): cpan-upload
    // succeeds each time and the file served is the last one.
    let notes = scratch.path().join("Release-Notes.md");
    for round in 1..=3 {
        std::fs::write(&notes, format!("# Notes, take {round}\n"))?;
        let output = cpan_upload(&server, &home, "NEILB", "pa55 word", &notes)?;
        assert!(output.status.success(), "round {round}: {}", text(&output));
        assert!(
            text(&output).contains("PAUSE add message sent ok [200]"),
            "{}",
            text(&output)
        );
    }
    let notes_path = data.join("cpan/authors/id/N/NE/NEILB/Release-Notes.md");
    assert_eq!(std::fs::read_to_string(&notes_path)?, "# Notes, take 3\n");
    let notes_upload = riverpan_store::Store::open(&data)?
        .reader()
        .upload_by_path("N/NE/NEILB/Release-Notes.md")?
        .ok_or("no upload row for the notes")?;
    assert_eq!(notes_upload.size, "# Notes, take 3\n".len() as i64);

    // 1.1 replaces 1.0 in the index, so only 1.1 can be waited for in 02packages.
    wait_indexed(&data, "N/NE/NEILB/Foo-Bar-1.1.tar.gz")?;
    let first_state = riverpan_store::Store::open(&data)?
        .reader()
        .upload_by_path("N/NE/NEILB/Foo-Bar-1.0.tar.gz")?
        .map(|upload| upload.state);
    assert_eq!(first_state.as_deref(), Some("indexed"));
    let details = packages_details(&data)?;
    assert!(
        details
            .lines()
            .any(|line| line.starts_with("Foo::Bar ")
                && line.ends_with("N/NE/NEILB/Foo-Bar-1.1.tar.gz")),
        "{details}"
    );

    // The token was used; revoking it stops it.
    let listed: serde_json::Value = serde_json::from_str(&ok(
        riverpan(&data).args(["token", "list", "NEILB", "--json"]),
        None,
    )?)?;
    assert_eq!(listed[0]["state"], "valid");
    assert!(listed[0]["last_used_at"].is_i64(), "{listed}");
    let token_id = listed[0]["token_id"]
        .as_str()
        .ok_or("no token_id")?
        .to_string();
    ok(riverpan(&data).args(["token", "revoke", &token_id]), None)?;
    let third = make_dist(scratch.path(), "Foo-Bar", "1.2")?;
    let output = cpan_upload(&server, &home, "NEILB", &token, &third)?;
    assert!(!output.status.success());
    assert!(text(&output).contains("401"), "{}", text(&output));

    // `riverpan delete`: schedule, undelete, then delete at once.
    let file = "N/NE/NEILB/Foo-Bar-1.1.tar.gz";
    let scheduled = ok(riverpan(&data).args(["delete", file]), None)?;
    assert!(scheduled.contains("scheduled"), "{scheduled}");
    let cancelled = ok(riverpan(&data).args(["delete", file, "--undelete"]), None)?;
    assert!(cancelled.contains("cancelled"), "{cancelled}");
    let deleted = ok(riverpan(&data).args(["delete", file, "--now"]), None)?;
    assert!(deleted.contains("1 package(s) left the index"), "{deleted}");
    assert!(data.join("backpan/authors/id").join(file).is_file());
    assert!(!data.join("cpan/authors/id").join(file).exists());
    assert!(!packages_details(&data)?.contains("Foo::Bar "));

    let log = server.stop()?;
    assert!(!log.contains("panicked"), "{log}");
    Ok(())
}

#[test]
fn the_admin_gets_a_one_time_password_and_the_queue_survives_a_restart() -> TestResult {
    if !have_cpan_upload() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    // The worker holds the queue (test switch): the upload stays `stored`.
    let server = Server::start(&data, &[("RIVERPAN_TEST_HOLD_QUEUE", "1")])?;
    let password = server
        .startup_log
        .split("one-time password")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| format!("no one-time password in\n{}", server.startup_log))?
        .to_string();
    let dist = make_dist(scratch.path(), "Admin-Dist", "0.01")?;
    let output = cpan_upload(&server, &home, "ADMIN", &password, &dist)?;
    assert!(output.status.success(), "{}", text(&output));
    server.stop()?;
    let path = "A/AD/ADMIN/Admin-Dist-0.01.tar.gz";
    let upload = riverpan_store::Store::open(&data)?
        .reader()
        .upload_by_path(path)?
        .ok_or("no upload row")?;
    assert_eq!(upload.state, "stored");

    // A second start neither creates another admin nor prints a password; it indexes the queue.
    let server = Server::start(&data, &[])?;
    assert!(
        !server.startup_log.contains("one-time password"),
        "{}",
        server.startup_log
    );
    wait_indexed(&data, path)?;
    assert!(packages_details(&data)?.contains("Admin::Dist "));
    server.stop()?;
    Ok(())
}
