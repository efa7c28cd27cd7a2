//! The `riverpan` binary, run as a user or a script would run it.
//!
//! `version` and `distname` are a stable scripting interface: these tests pin their exact
//! output (key order included), their input handling and their exit codes, and compare them with
//! Perl's own `version.pm`, `CPAN::Version` and `CPAN::DistnameInfo` (the scripts in
//! `tests/oracle/`; `scripts/test` installs perl and libcpan-distnameinfo-perl).

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// How long a `serve` test waits for the server to come up or go down.
const SERVER_TIMEOUT: Duration = Duration::from_secs(30);

/// `riverpan` with a clean environment: no RIVERPAN_* or RUST_LOG from the developer's shell,
/// and a scratch working directory so that the default `./riverpan-data` lands there.
fn riverpan(cwd: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command
        .current_dir(cwd)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_CONFIG")
        .env_remove("RIVERPAN_LISTEN")
        .env_remove("RUST_LOG");
    command
}

/// Runs `riverpan ARGS` with `stdin` as standard input.
fn run(args: &[&str], stdin: &str) -> Result<Output, Box<dyn Error>> {
    let scratch = tempfile::tempdir()?;
    run_in(scratch.path(), args, stdin)
}

fn run_in(cwd: &Path, args: &[&str], stdin: &str) -> Result<Output, Box<dyn Error>> {
    let mut child = riverpan(cwd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut child_stdin = child.stdin.take().ok_or("no stdin")?;
    let input = stdin.to_owned();
    // Write from another thread: a large input could otherwise fill the pipe while the child
    // waits for us to read its output.
    let writer =
        std::thread::spawn(move || ignore_broken_pipe(child_stdin.write_all(input.as_bytes())));
    let output = child.wait_with_output()?;
    writer.join().map_err(|_| "stdin writer panicked")??;
    Ok(output)
}

/// A child that exits without reading all of its input (`riverpan version ARGS` ignores stdin)
/// closes the pipe; that is not the test's failure.
fn ignore_broken_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn stdout_of(output: &Output) -> Result<String, Box<dyn Error>> {
    Ok(String::from_utf8(output.stdout.clone())?)
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a reference Perl script from `tests/oracle/` on `stdin`.
fn perl_oracle(script: &str, stdin: &str) -> Result<String, Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(script);
    let mut child = Command::new("perl")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            format!("cannot run perl ({error}); ./scripts/test installs it with its modules")
        })?;
    let mut child_stdin = child.stdin.take().ok_or("no stdin")?;
    let input = stdin.to_owned();
    let writer =
        std::thread::spawn(move || ignore_broken_pipe(child_stdin.write_all(input.as_bytes())));
    let output = child.wait_with_output()?;
    writer.join().map_err(|_| "stdin writer panicked")??;
    if !output.status.success() {
        return Err(format!("perl {script} failed: {}", stderr_of(&output)).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Compares line by line so that a failure names the first differing input.
fn assert_same_lines(ours: &str, reference: &str, what: &str) {
    for (index, (our_line, reference_line)) in ours.lines().zip(reference.lines()).enumerate() {
        assert_eq!(
            our_line,
            reference_line,
            "{what}: line {} differs (left: riverpan, right: Perl)",
            index + 1
        );
    }
    assert_eq!(
        ours.lines().count(),
        reference.lines().count(),
        "{what}: line counts differ"
    );
}

// ---------------------------------------------------------------------------------------------
// help and version

#[test]
fn every_command_has_help_with_examples() -> TestResult {
    for (args, must_contain) in [
        (&["--help"][..], "self-hostable CPAN"),
        (&["-h"][..], "A self-hostable CPAN in one binary"),
        (&["serve", "--help"][..], "riverpan serve --listen"),
        (
            &["version", "--help"][..],
            "input, valid, lax, strict, stringify, numify, normal, is_alpha, is_qv",
        ),
        (
            &["distname", "--help"][..],
            "dist, version, maturity, cpanid, distvname, extension, filename, pathname",
        ),
        (&["help", "version"][..], "Exit status"),
    ] {
        let output = run(args, "")?;
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        let help = stdout_of(&output)?;
        assert!(
            help.contains("Examples:"),
            "{args:?} has no examples:\n{help}"
        );
        assert!(
            help.contains(must_contain),
            "{args:?} lacks {must_contain:?}:\n{help}"
        );
    }
    Ok(())
}

#[test]
fn version_flag_prints_the_crate_version() -> TestResult {
    let output = run(&["--version"], "")?;
    assert!(output.status.success());
    assert_eq!(
        stdout_of(&output)?,
        format!("riverpan {}\n", env!("CARGO_PKG_VERSION"))
    );
    Ok(())
}

#[test]
fn usage_errors_exit_2() -> TestResult {
    for args in [
        &["no-such-command"][..],
        &["version", "--json", "--cmp"][..],
        &["version", "--cmp", "--vcmp"][..],
        &["version", "--cmp", "1.0"][..],
        &["version", "--vcmp", "1", "2", "3"][..],
        &["distname", "--bogus"][..],
    ] {
        let output = run(args, "")?;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// riverpan version

const JSON_1_02_03: &str = r#"{"input":"1.02_03","valid":true,"lax":true,"strict":false,"stringify":"1.02_03","numify":"1.020300","normal":"v1.20.300","is_alpha":true,"is_qv":false}"#;
const JSON_V1_2_3_0: &str = r#"{"input":"v1.2.3_0","valid":true,"lax":true,"strict":false,"stringify":"v1.2.3_0","numify":"1.002030","normal":"v1.2.30","is_alpha":true,"is_qv":true}"#;
const JSON_ABC: &str = r#"{"input":"abc","valid":false,"lax":false,"strict":false,"stringify":null,"numify":null,"normal":null,"is_alpha":null,"is_qv":null,"error":"non-numeric data"}"#;
const JSON_1_2_3: &str = r#"{"input":"1.2.3","valid":true,"lax":true,"strict":false,"stringify":"1.2.3","numify":"1.002003","normal":"v1.2.3","is_alpha":false,"is_qv":true}"#;
const JSON_V1_2_3: &str = r#"{"input":"v1.2.3","valid":true,"lax":true,"strict":true,"stringify":"v1.2.3","numify":"1.002003","normal":"v1.2.3","is_alpha":false,"is_qv":true}"#;

#[test]
fn version_json_known_answers_in_key_order() -> TestResult {
    // Expected lines as Perl 5.36's version.pm 0.9929 answers, keys in the specified order.
    let output = run(
        &[
            "version", "--json", "1.02_03", "v1.2.3_0", "abc", "1.2.3", "v1.2.3",
        ],
        "",
    )?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output)?,
        [
            JSON_1_02_03,
            JSON_V1_2_3_0,
            JSON_ABC,
            JSON_1_2_3,
            JSON_V1_2_3
        ]
        .join("\n")
            + "\n"
    );
    Ok(())
}

#[test]
fn version_reads_stdin_lines_when_there_are_no_arguments() -> TestResult {
    let from_args = run(&["version", "--json", "1.02_03", "v1.2.3_0", "abc"], "")?;
    // CRLF and a last line without a newline are accepted.
    let from_stdin = run(&["version", "--json"], "1.02_03\r\nv1.2.3_0\nabc")?;
    assert!(from_stdin.status.success(), "{}", stderr_of(&from_stdin));
    assert_eq!(stdout_of(&from_stdin)?, stdout_of(&from_args)?);
    // Arguments win: stdin is not read when there are any.
    let ignored_stdin = run(&["version", "--json", "1.02_03"], "abc\n")?;
    assert_eq!(stdout_of(&ignored_stdin)?, format!("{JSON_1_02_03}\n"));
    Ok(())
}

#[test]
fn version_keeps_white_space_other_than_the_line_ending() -> TestResult {
    let output = run(&["version", "--json"], " 1.0\n1.0 \r\n\n")?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = stdout_of(&output)?;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with(r#"{"input":" 1.0","valid":true,"lax":false,"#),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(r#"{"input":"1.0 ","valid":true,"lax":false,"#),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        r#"{"input":"","valid":false,"lax":false,"strict":false,"stringify":null,"numify":null,"normal":null,"is_alpha":null,"is_qv":null,"error":"version required"}"#
    );
    Ok(())
}

#[test]
fn version_invalid_input_is_a_result_not_a_failure() -> TestResult {
    let output = run(&["version", "--json", "abc"], "")?;
    assert_eq!(output.status.code(), Some(0));
    let human = run(&["version", "abc"], "")?;
    assert_eq!(human.status.code(), Some(0));
    Ok(())
}

#[test]
fn version_human_form() -> TestResult {
    let output = run(&["version", "1.02_03", "v1.2.3_0", "abc"], "")?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output)?,
        "1.02_03  stringify=1.02_03 numify=1.020300 normal=v1.20.300 alpha lax\n\
         v1.2.3_0  stringify=v1.2.3_0 numify=1.002030 normal=v1.2.30 alpha qv lax\n\
         abc  invalid (non-numeric data)\n"
    );
    Ok(())
}

#[test]
fn version_arguments_starting_with_a_dash_follow_double_dash() -> TestResult {
    let output = run(&["version", "--json", "--", "-1"], "")?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(
        stdout_of(&output)?.starts_with(r#"{"input":"-1","valid":false,"#),
        "{}",
        stdout_of(&output)?
    );
    Ok(())
}

#[test]
fn version_cmp_prints_one_answer_per_line_and_fails_at_the_end() -> TestResult {
    let output = run(
        &["version", "--cmp"],
        "1.10 1.9\nv1.10 v1.9\n1.2 v1.200.0\nabc 1\n1.0\n1.0_1\t1.01\n",
    )?;
    assert_eq!(
        stdout_of(&output)?,
        "-1\n1\n0\nerror: Invalid version format (non-numeric data)\n\
         error: expected two versions separated by white space or a tab\n0\n"
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));

    let all_good = run(&["version", "--cmp"], "1.10   1.9\r\n")?;
    assert_eq!(stdout_of(&all_good)?, "-1\n");
    assert_eq!(all_good.status.code(), Some(0));
    Ok(())
}

#[test]
fn version_cmp_takes_two_arguments() -> TestResult {
    let output = run(&["version", "--cmp", "v1.10", "v1.9"], "")?;
    assert_eq!(stdout_of(&output)?, "1\n");
    assert_eq!(output.status.code(), Some(0));
    let output = run(&["version", "--cmp", "1.0", "junk"], "")?;
    assert_eq!(
        stdout_of(&output)?,
        "error: Invalid version format (non-numeric data)\n"
    );
    assert_eq!(output.status.code(), Some(1));
    Ok(())
}

#[test]
fn version_vcmp_never_fails_on_strings() -> TestResult {
    let output = run(&["version", "--vcmp"], "1.10 1.9\nabc 1\n1.0-TRIAL\t1.0\n")?;
    assert_eq!(stdout_of(&output)?, "-1\n-1\n1\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    Ok(())
}

/// Inputs for the comparisons with Perl: ordinary versions and the usual mistakes.
const VERSION_INPUTS: &[&str] = &[
    "1.02_03",
    "v1.2.3_0",
    "abc",
    "1.2.3",
    "undef",
    "",
    " 1.0",
    "1.0 ",
    "1_2",
    "1.2_3_4",
    "v1.2",
    "1.",
    "-1",
    "01.02",
    "v1.22.333",
    "0.000001",
    "1.234567",
    "1.9",
    "1.10",
    "0",
    "0.1",
    "v0",
    "1.2.3.4.5",
    "1.23_01",
    "v1.2_3",
    "2.00000001",
    "1..2",
    "1.2a",
    "v",
    ".1",
    "1e3",
];

#[test]
fn version_json_matches_perl() -> TestResult {
    let input = VERSION_INPUTS.join("\n") + "\n";
    let ours = run(&["version", "--json"], &input)?;
    assert!(ours.status.success(), "{}", stderr_of(&ours));
    assert_same_lines(
        &stdout_of(&ours)?,
        &perl_oracle("version.pl", &input)?,
        "version --json",
    );
    Ok(())
}

#[test]
fn version_cmp_and_vcmp_match_perl() -> TestResult {
    let pairs: Vec<String> = [
        ("1.10", "1.9"),
        ("v1.10", "v1.9"),
        ("1.2", "v1.200.0"),
        ("1.02_03", "1.0203"),
        ("1.0_1", "1.01"),
        ("v1.2.3", "1.2.3"),
        ("0.001", "v0.1"),
        ("1.00", "1"),
        ("abc", "1"),
        ("1.0", "junk"),
        ("1.0-TRIAL", "1.0"),
        ("undef", "0"),
    ]
    .iter()
    .map(|(a, b)| format!("{a}\t{b}"))
    .collect();
    let input = pairs.join("\n") + "\n";
    let reference = perl_oracle("compare.pl", &input)?;
    let (expected_cmp, expected_vcmp): (Vec<&str>, Vec<&str>) = reference
        .lines()
        .map(|line| line.split_once('\t').unwrap_or((line, "")))
        .unzip();
    let cmp = run(&["version", "--cmp"], &input)?;
    assert_same_lines(
        &stdout_of(&cmp)?,
        &(expected_cmp.join("\n") + "\n"),
        "--cmp",
    );
    let vcmp = run(&["version", "--vcmp"], &input)?;
    assert_same_lines(
        &stdout_of(&vcmp)?,
        &(expected_vcmp.join("\n") + "\n"),
        "--vcmp",
    );
    Ok(())
}

#[test]
fn version_output_to_a_closed_pipe_is_not_an_error() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let mut child = riverpan(scratch.path())
        .args(["version", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut child_stdin = child.stdin.take().ok_or("no stdin")?;
    // Like `riverpan version --json < many | head -n 1`.
    let writer = std::thread::spawn(move || {
        let line = b"1.02_03\n".repeat(1000);
        for _ in 0..200 {
            if child_stdin.write_all(&line).is_err() {
                break;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut first = String::new();
    stdout.read_line(&mut first)?;
    assert_eq!(first, format!("{JSON_1_02_03}\n"));
    drop(stdout);
    let output = child.wait_with_output()?;
    writer.join().map_err(|_| "writer panicked")?;
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(output.stderr.is_empty(), "{}", stderr_of(&output));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// riverpan distname

const JSON_FOO_BAR: &str = r#"{"dist":"Foo-Bar","version":"1.23","maturity":"released","cpanid":"NEILB","distvname":"Foo-Bar-1.23","extension":"tar.gz","filename":"Foo-Bar-1.23.tar.gz","pathname":"authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz"}"#;

#[test]
fn distname_json_known_answer_in_key_order() -> TestResult {
    let output = run(
        &[
            "distname",
            "--json",
            "authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz",
        ],
        "",
    )?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output)?, format!("{JSON_FOO_BAR}\n"));
    Ok(())
}

#[test]
fn distname_json_has_all_eight_keys_even_when_undef() -> TestResult {
    let output = run(&["distname", "--json", "foo"], "")?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output)?,
        r#"{"dist":null,"version":null,"maturity":"released","cpanid":null,"distvname":null,"extension":null,"filename":"foo","pathname":"foo"}"#
            .to_owned()
            + "\n"
    );
    Ok(())
}

#[test]
fn distname_reads_stdin_lines_when_there_are_no_arguments() -> TestResult {
    let path = "authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz";
    let output = run(&["distname", "--json"], &format!("{path}\r\n{path}"))?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output)?,
        format!("{JSON_FOO_BAR}\n{JSON_FOO_BAR}\n")
    );
    Ok(())
}

#[test]
fn distname_human_form_is_an_aligned_block_per_path() -> TestResult {
    let output = run(
        &[
            "distname",
            "authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz",
            "foo",
        ],
        "",
    )?;
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output)?,
        "dist:      Foo-Bar\n\
         version:   1.23\n\
         maturity:  released\n\
         cpanid:    NEILB\n\
         distvname: Foo-Bar-1.23\n\
         extension: tar.gz\n\
         filename:  Foo-Bar-1.23.tar.gz\n\
         pathname:  authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz\n\
         \n\
         dist:      (undef)\n\
         version:   (undef)\n\
         maturity:  released\n\
         cpanid:    (undef)\n\
         distvname: (undef)\n\
         extension: (undef)\n\
         filename:  foo\n\
         pathname:  foo\n"
    );
    Ok(())
}

#[test]
fn distname_json_matches_perl() -> TestResult {
    let paths = [
        "authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz",
        "authors/id/M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz",
        "authors/id/G/GB/GBARR/CPAN-DistnameInfo-0.12.tar.gz",
        "authors/id/E/ET/ETHER/Moose-2.2207-TRIAL.tar.gz",
        "authors/id/S/SH/SHAY/perl-5.39.10.tar.gz",
        "authors/id/R/RJ/RJBS/perl-5.38.2.tar.xz",
        "authors/id/A/AB/ABC/subdir/Foo-v1.2.3.tgz",
        "authors/id/X/XY/XYZ/Foo-Bar.tar.gz",
        "Foo-Bar-1.23.zip",
        "id/D/DA/DAGOLDEN/Path-Tiny-0.144.tar.gz",
        "foo",
        "",
    ];
    let input = paths.join("\n") + "\n";
    let ours = run(&["distname", "--json"], &input)?;
    assert!(ours.status.success(), "{}", stderr_of(&ours));
    assert_same_lines(
        &stdout_of(&ours)?,
        &perl_oracle("distname.pl", &input)?,
        "distname --json",
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// riverpan serve

/// A `riverpan serve` process and the URL it logged.
struct ServeProcess {
    child: Child,
    base_url_authority: String,
    /// The log up to and including the "serving" line.
    startup_log: String,
    log: BufReader<std::process::ChildStderr>,
}

impl ServeProcess {
    /// Starts `riverpan ARGS` (which must include `serve`) and waits for the "serving" log line.
    fn start(command: &mut Command) -> Result<ServeProcess, Box<dyn Error>> {
        let mut child = command
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let mut log = BufReader::new(child.stderr.take().ok_or("no stderr")?);
        let deadline = Instant::now() + SERVER_TIMEOUT;
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if log.read_line(&mut line)? == 0 || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("riverpan serve did not report its URL; log:\n{seen}").into());
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("serving http://").nth(1) {
                let authority = rest.split('/').next().ok_or("no URL")?.to_owned();
                return Ok(ServeProcess {
                    child,
                    base_url_authority: authority,
                    startup_log: seen,
                    log,
                });
            }
        }
    }

    fn get(&self, path: &str) -> Result<(u16, String), Box<dyn Error>> {
        let mut stream = TcpStream::connect(&self.base_url_authority)?;
        stream.set_read_timeout(Some(SERVER_TIMEOUT))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.base_url_authority
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response.split(' ').nth(1).ok_or("no status")?.parse()?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        Ok((status, body))
    }

    /// Sends `signal` (e.g. "TERM") and returns the exit code and the rest of the log.
    fn stop(mut self, signal: &str) -> Result<(Option<i32>, String), Box<dyn Error>> {
        let status = Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", self.child.id())])
            .status()?;
        assert!(status.success(), "kill failed");
        let deadline = Instant::now() + SERVER_TIMEOUT;
        loop {
            if let Some(exit) = self.child.try_wait()? {
                let mut rest = String::new();
                self.log.read_to_string(&mut rest)?;
                return Ok((exit.code(), rest));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Err(format!("riverpan serve ignored SIG{signal}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn serve_creates_the_store_serves_and_stops_on_sigterm() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let server =
        ServeProcess::start(riverpan(scratch.path()).args(["serve", "--listen", "127.0.0.1:0"]))?;
    // The default data directory is ./riverpan-data.
    assert!(scratch
        .path()
        .join("riverpan-data/riverpan.sqlite")
        .is_file());
    assert_eq!(server.get("/healthz")?, (200, "ok".to_owned()));
    let (status, page) = server.get("/status")?;
    assert_eq!(status, 200);
    assert!(page.contains("riverpan-data"), "{page}");
    let (status, json) = server.get("/api/v1/status")?;
    assert_eq!(status, 200);
    assert!(
        json.contains(&format!(r#""version":"{}""#, env!("CARGO_PKG_VERSION"))),
        "{json}"
    );
    assert_eq!(server.get("/nope")?.0, 404);
    let (code, log) = server.stop("TERM")?;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
    Ok(())
}

#[test]
fn serve_stops_on_sigint_and_logs_more_with_v() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let server = ServeProcess::start(riverpan(scratch.path()).args([
        "-v",
        "--data",
        "elsewhere",
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]))?;
    assert!(scratch.path().join("elsewhere/riverpan.sqlite").is_file());
    // -v turns on debug logs of the binary's own modules.
    assert!(
        server.startup_log.contains("DEBUG")
            && server.startup_log.contains("listen address chosen"),
        "{}",
        server.startup_log
    );
    let (code, log) = server.stop("INT")?;
    assert_eq!(code, Some(0), "{log}");
    Ok(())
}

#[test]
fn serve_listen_precedence_is_flag_then_env_then_file() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    std::fs::create_dir_all(&data)?;
    // An address that cannot be bound: whenever it is chosen, serve fails.
    let unusable = "192.0.2.1:1";
    std::fs::write(
        data.join("riverpan.toml"),
        format!("[server]\nlisten = \"{unusable}\"\n"),
    )?;
    let data_arg = data.to_str().ok_or("temp path is not UTF-8")?;

    // The file alone: its address is used (and fails).
    let output = run_in(scratch.path(), &["--data", data_arg, "serve"], "")?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains(&format!("cannot listen on {unusable}")),
        "{}",
        stderr_of(&output)
    );

    // The environment wins over the file.
    let server = ServeProcess::start(
        riverpan(scratch.path())
            .args(["--data", data_arg, "serve"])
            .env("RIVERPAN_LISTEN", "127.0.0.1:0"),
    )?;
    assert_eq!(server.stop("TERM")?.0, Some(0));

    // The flag wins over the environment.
    let server = ServeProcess::start(
        riverpan(scratch.path())
            .args(["--data", data_arg, "serve", "--listen", "127.0.0.1:0"])
            .env("RIVERPAN_LISTEN", unusable),
    )?;
    assert_eq!(server.stop("TERM")?.0, Some(0));

    // RIVERPAN_DATA and --config work too.
    let config = scratch.path().join("other.toml");
    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:0\"\n")?;
    let server = ServeProcess::start(
        riverpan(scratch.path())
            .args(["serve", "--config", config.to_str().ok_or("not UTF-8")?])
            .env("RIVERPAN_DATA", &data),
    )?;
    assert_eq!(server.stop("TERM")?.0, Some(0));
    Ok(())
}

#[test]
fn serve_reports_a_bad_config_file() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let config = scratch.path().join("riverpan.toml");
    std::fs::write(&config, "[server]\nlisen = \"127.0.0.1:0\"\n")?;
    let output = run_in(scratch.path(), &["--config", "riverpan.toml", "serve"], "")?;
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("invalid config file riverpan.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("lisen"), "{stderr}");

    let output = run_in(scratch.path(), &["--config", "missing.toml", "serve"], "")?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("cannot read the config file missing.toml"),
        "{}",
        stderr_of(&output)
    );
    Ok(())
}

#[test]
fn serve_refuses_a_corrupt_store() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("riverpan-data");
    std::fs::create_dir_all(&data)?;
    std::fs::write(data.join("riverpan.sqlite"), "garbage ".repeat(1000))?;
    let output = run_in(scratch.path(), &["serve", "--listen", "127.0.0.1:0"], "")?;
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.starts_with("riverpan: error: "), "{stderr}");
    assert!(
        stderr.contains("corrupt or not an SQLite database"),
        "{stderr}"
    );
    Ok(())
}

/// `riverpan upload` of a document twice is accepted both times (PAUSE's may_overwrite_file);
/// of an archive twice is refused with PAUSE's reason, never with a store error.
#[test]
fn upload_twice_overwrites_documents_and_refuses_archives() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let dir = scratch.path();
    let ok = |args: &[&str]| -> Result<String, Box<dyn Error>> {
        let output = run_in(dir, args, "")?;
        assert!(
            output.status.success(),
            "riverpan {args:?}: {}",
            stderr_of(&output)
        );
        stdout_of(&output)
    };
    ok(&["init"])?;
    ok(&["user", "add", "NOTARY"])?;
    for take in 1..=2 {
        std::fs::write(dir.join("Release-Notes.md"), format!("take {take}\n"))?;
        ok(&["upload", "--as", "NOTARY", "Release-Notes.md"])?;
    }
    let stored = dir.join("riverpan-data/cpan/authors/id/N/NO/NOTARY/Release-Notes.md");
    assert_eq!(std::fs::read_to_string(stored)?, "take 2\n");

    std::fs::write(dir.join("Foo-1.0.tar.gz"), b"not really an archive")?;
    ok(&["upload", "--as", "NOTARY", "Foo-1.0.tar.gz"])?;
    let again = run_in(dir, &["upload", "--as", "NOTARY", "Foo-1.0.tar.gz"], "")?;
    assert_eq!(again.status.code(), Some(1));
    let message = stderr_of(&again);
    assert!(message.contains("uploaded before"), "{message}");
    assert!(!message.contains("store:"), "{message}");

    // The store and the tree agree; a file removed by hand is reported, exit status 1.
    let report: serde_json::Value = serde_json::from_str(&ok(&["check", "--json"])?)?;
    assert_eq!(report["uploads"], 2, "{report}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    std::fs::remove_file(dir.join("riverpan-data/cpan/authors/id/N/NO/NOTARY/Foo-1.0.tar.gz"))?;
    let check = run_in(dir, &["check"], "")?;
    assert_eq!(check.status.code(), Some(1));
    let listed = stdout_of(&check)?;
    assert!(
        listed.starts_with("missing_file\tN/NO/NOTARY/Foo-1.0.tar.gz\t"),
        "{listed}"
    );
    Ok(())
}
