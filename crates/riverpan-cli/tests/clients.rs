//! The real CPAN clients against a real `riverpan serve`, end to end: cpanm (mirror-only,
//! `--verify`, and a pinned older version through cpanmetadb `/v1.0/history`), CPAN.pm, minicpan
//! and Carton each install `Greeting::App` with its prerequisite `Greeting::Base`, built and
//! uploaded by the test, into a local lib; each test then asks perl for the installed version.
//!
//! Nothing may leave 127.0.0.1: HOME is a temporary directory, and every client gets a proxy on a
//! closed local port for anything that is not 127.0.0.1, so that a fallback to public CPAN
//! (Carton always adds cpan.metacpan.org; cpanm pushes backpan.perl.org to the front for an
//! older version) fails at once instead of reaching the network.  A test whose tool is not
//! installed is skipped with a message (`scripts/test` installs them on Debian).

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

type TestResult = Result<(), Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// How long `riverpan serve` may take to report its URL.
const SERVER_TIMEOUT: Duration = Duration::from_secs(30);

/// A proxy address where nothing listens: requests that should never leave the machine fail.
const NOWHERE_PROXY: &str = "http://127.0.0.1:9";

/// Where `program` is on PATH.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether `program` is on PATH; prints why the test is skipped when it is not.
fn have(program: &str, package: &str) -> bool {
    let found = which(program).is_some();
    if !found {
        eprintln!("skipped: {program} is not installed (Debian package {package})");
    }
    found
}

/// Whether perl has `module`; prints why the test is skipped when it has not.
fn have_module(module: &str, package: &str) -> bool {
    let found = Command::new("perl")
        .args([&format!("-M{module}"), "-e1"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("skipped: perl module {module} is not installed (Debian package {package})");
    }
    found
}

/// A command with an environment that cannot reach anything but 127.0.0.1 and knows nothing
/// of the user's Perl setup.
fn isolated(program: &str, home: &Path) -> Command {
    let mut command = Command::new(program);
    command.env("HOME", home).current_dir(home);
    for name in [
        "PERL5LIB",
        "PERL_LOCAL_LIB_ROOT",
        "PERL_MB_OPT",
        "PERL_MM_OPT",
        "PERL_CARTON_PATH",
        "PERL_CARTON_CPANFILE",
        "CPAN_MINI_CONFIG",
        "PERL_CPANM_HOME",
        "all_proxy",
        "ALL_PROXY",
    ] {
        command.env_remove(name);
    }
    for name in [
        "http_proxy",
        "https_proxy",
        "ftp_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
    ] {
        command.env(name, NOWHERE_PROXY);
    }
    command
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("PERL_CPANM_OPT", "")
        .env("PERL_MM_USE_DEFAULT", "1")
        .env("NONINTERACTIVE_TESTING", "1")
        .stdin(Stdio::null());
    command
}

/// Runs `command`, failing with its output when it fails.
fn run(command: &mut Command) -> Result<Output, Box<dyn Error>> {
    let output = command.output()?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(output)
}

/// Both streams of a finished command, for assertions on what a client printed.
fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The version of `module` installed in the local lib `lib` (`perl -Ilib/lib/perl5 -MModule`).
fn installed_version(lib: &Path, module: &str) -> Result<String, Box<dyn Error>> {
    let output = run(Command::new("perl")
        .arg(format!("-I{}", lib.join("lib/perl5").display()))
        .arg(format!("-M{module}"))
        .arg("-e")
        .arg(format!("print {module}->VERSION")))?;
    Ok(String::from_utf8(output.stdout)?)
}

/// Writes `root/relative` (creating directories).
fn write(root: &Path, relative: &str, content: &str) -> TestResult {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
    std::fs::write(path, content)?;
    Ok(())
}

/// `work/Greeting-NAME-VERSION.tar.gz`: an ExtUtils::MakeMaker distribution with one module
/// and one test; `requires` lists runtime prerequisites (in META.json and Makefile.PL).
fn make_dist(
    work: &Path,
    name: &str,
    version: &str,
    requires: &[(&str, &str)],
) -> Result<PathBuf, Box<dyn Error>> {
    let dist = format!("Greeting-{name}");
    let module = format!("Greeting::{name}");
    let root_name = format!("{dist}-{version}");
    let src = work.join(format!("src-{root_name}"));
    let root = src.join(&root_name);
    let prereq_pm: String = requires
        .iter()
        .map(|(module, version)| format!("'{module}' => '{version}', "))
        .collect();
    let prereq_json: Vec<String> = requires
        .iter()
        .map(|(module, version)| format!("\"{module}\": \"{version}\""))
        .collect();
    write(
        &root,
        "Makefile.PL",
        &format!(
            "use ExtUtils::MakeMaker;\n\
             WriteMakefile(NAME => '{module}', VERSION_FROM => 'lib/Greeting/{name}.pm',\n\
             \x20   ABSTRACT => 'says hello', AUTHOR => 'Alice <alice\\@example.org>',\n\
             \x20   LICENSE => 'perl', PREREQ_PM => {{ {prereq_pm} }});\n"
        ),
    )?;
    write(
        &root,
        "META.json",
        &format!(
            "{{\n  \"name\": \"{dist}\", \"version\": \"{version}\", \"abstract\": \"says hello\",\n\
             \x20 \"author\": [\"Alice <alice@example.org>\"], \"license\": [\"perl_5\"],\n\
             \x20 \"dynamic_config\": 0, \"release_status\": \"stable\",\n\
             \x20 \"generated_by\": \"riverpan tests\",\n\
             \x20 \"meta-spec\": {{ \"version\": 2 }},\n\
             \x20 \"provides\": {{ \"{module}\": {{ \"file\": \"lib/Greeting/{name}.pm\", \"version\": \"{version}\" }} }},\n\
             \x20 \"prereqs\": {{\n\
             \x20   \"configure\": {{ \"requires\": {{ \"ExtUtils::MakeMaker\": \"0\" }} }},\n\
             \x20   \"runtime\": {{ \"requires\": {{ {} }} }}\n\
             \x20 }}\n}}\n",
            prereq_json.join(", ")
        ),
    )?;
    let uses: String = requires
        .iter()
        .map(|(module, _)| format!("use {module};\n"))
        .collect();
    write(
        &root,
        &format!("lib/Greeting/{name}.pm"),
        &format!(
            "package {module};\nuse strict;\n{uses}our $VERSION = '{version}';\n\
             sub hello {{ 'hello from {module}' }}\n1;\n"
        ),
    )?;
    write(
        &root,
        "t/hello.t",
        &format!(
            "use strict;\nuse Test::More tests => 1;\nuse {module};\n\
             is({module}::hello(), 'hello from {module}');\n"
        ),
    )?;
    write(
        &root,
        "MANIFEST",
        &format!("Makefile.PL\nMETA.json\nMANIFEST\nlib/Greeting/{name}.pm\nt/hello.t\n"),
    )?;
    let archive = work.join(format!("{root_name}.tar.gz"));
    run(Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-czf")
        .arg(&archive)
        .arg(&root_name))?;
    Ok(archive)
}

/// A data directory with the author ALICE and `Greeting-Base-1.0`, `Greeting-App-1.0`
/// uploaded with `riverpan upload --as`.
fn repository(scratch: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let data = scratch.join("data");
    let work = scratch.join("work");
    riverpan_ok(
        &data,
        &[
            "user",
            "add",
            "ALICE",
            "--name",
            "Alice Example",
            "--email",
            "alice@example.org",
        ],
    )?;
    let base = make_dist(&work, "Base", "1.0", &[])?;
    let app = make_dist(&work, "App", "1.0", &[("Greeting::Base", "1.0")])?;
    for archive in [base, app] {
        upload(&data, &archive)?;
    }
    Ok(data)
}

/// `riverpan --data DATA ARGS`, which must succeed.
fn riverpan_ok(data: &Path, args: &[&str]) -> Result<Output, Box<dyn Error>> {
    run(Command::new(RIVERPAN)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_SMTP_RELAY"))
}

/// `riverpan upload --as ALICE ARCHIVE`.
fn upload(data: &Path, archive: &Path) -> TestResult {
    let archive = archive.to_str().ok_or("path not UTF-8")?;
    riverpan_ok(data, &["upload", "--as", "ALICE", archive])?;
    Ok(())
}

/// A `riverpan serve` process, killed when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    url: String,
}

impl Server {
    fn start(data: &Path) -> Result<Server, Box<dyn Error>> {
        let mut child = Command::new(RIVERPAN)
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("RIVERPAN_DATA")
            .env_remove("RIVERPAN_LISTEN")
            .env_remove("RIVERPAN_SMTP_RELAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut log = BufReader::new(child.stderr.take().ok_or("no stderr")?);
        let deadline = Instant::now() + SERVER_TIMEOUT;
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if log.read_line(&mut line)? == 0 || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("riverpan serve did not report its URL:\n{seen}").into());
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("serving http://").nth(1) {
                let authority = rest.split('/').next().ok_or("no URL")?.trim().to_owned();
                // Keep reading the log, or the server blocks once the pipe is full.
                std::thread::spawn(move || {
                    let mut sink = String::new();
                    while log.read_line(&mut sink).is_ok_and(|read| read > 0) {
                        sink.clear();
                    }
                });
                return Ok(Server {
                    child,
                    url: format!("http://{authority}"),
                });
            }
        }
    }
}

impl Server {
    /// The body of `GET path` (HTTP/1.1 over a TCP socket; the status must be 200).
    fn get(&self, path: &str) -> Result<String, Box<dyn Error>> {
        use std::io::{Read, Write};
        let authority = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(authority)?;
        stream.set_read_timeout(Some(SERVER_TIMEOUT))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let (head, body) = response.split_once("\r\n\r\n").ok_or("no header end")?;
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("GET {path}: {head}").into());
        }
        Ok(body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn cpanm_installs_with_prerequisites_from_the_mirror() -> TestResult {
    if !have("cpanm", "cpanminus") {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    let lib = home.join("local");
    run(isolated("cpanm", &home)
        .args(["--mirror", &server.url, "--mirror-only", "-L"])
        .arg(&lib)
        .arg("Greeting::App"))?;
    assert_eq!(installed_version(&lib, "Greeting::App")?, "1.0");
    assert_eq!(installed_version(&lib, "Greeting::Base")?, "1.0");
    Ok(())
}

#[test]
fn cpanm_verify_checks_the_checksums_file() -> TestResult {
    if !have("cpanm", "cpanminus")
        || !have("cpansign", "libmodule-signature-perl")
        || !have_module("Module::Signature", "libmodule-signature-perl")
    {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    let lib = home.join("local");
    let output = run(isolated("cpanm", &home)
        .args([
            "--verify",
            "-v",
            "--mirror",
            &server.url,
            "--mirror-only",
            "-L",
        ])
        .arg(&lib)
        .arg("Greeting::App"))?;
    let log = all_output(&output);
    for file in ["Greeting-App-1.0.tar.gz", "Greeting-Base-1.0.tar.gz"] {
        assert!(
            log.contains(&format!("Checksum for {file}: Verified!")),
            "{file} not verified:\n{log}"
        );
    }
    assert_eq!(installed_version(&lib, "Greeting::App")?, "1.0");

    // A CHECKSUMS that does not match the archive stops the install.
    let checksums = data.join("cpan/authors/id/A/AL/ALICE/CHECKSUMS");
    let text = std::fs::read_to_string(&checksums)?;
    let tampered = text.replace("'sha256' => '", "'sha256' => '0");
    assert_ne!(text, tampered);
    std::fs::write(&checksums, tampered)?;
    let other_home = scratch.path().join("home2");
    std::fs::create_dir_all(&other_home)?;
    let refused = isolated("cpanm", &other_home)
        .args(["--verify", "--mirror", &server.url, "--mirror-only", "-L"])
        .arg(other_home.join("local"))
        .arg("Greeting::Base")
        .output()?;
    assert!(!refused.status.success(), "{}", all_output(&refused));
    Ok(())
}

#[test]
fn cpanm_installs_a_pinned_older_version_through_cpanmetadb_history() -> TestResult {
    if !have("cpanm", "cpanminus") {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let newer = make_dist(&scratch.path().join("work"), "Base", "1.1", &[])?;
    upload(&data, &newer)?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;

    // The latest through /v1.0/package/.
    let latest = home.join("latest");
    run(isolated("cpanm", &home)
        .args([
            "--cpanmetadb",
            &format!("{}/v1.0/", server.url),
            "--mirror",
            &server.url,
            "-L",
        ])
        .arg(&latest)
        .arg("Greeting::Base"))?;
    assert_eq!(installed_version(&latest, "Greeting::Base")?, "1.1");

    // `@1.0` is `== 1.0`: cpanm asks /v1.0/history/, and, the match not being the latest, puts
    // backpan.perl.org in front of the mirrors; that fails (the proxy goes nowhere) and the
    // file comes from riverpan, which still has it.
    let pinned = home.join("pinned");
    let output = run(isolated("cpanm", &home)
        .args([
            "-v",
            "--cpanmetadb",
            &format!("{}/v1.0/", server.url),
            "--mirror",
            &server.url,
            "-L",
        ])
        .arg(&pinned)
        .arg("Greeting::Base@1.0"))?;
    assert_eq!(installed_version(&pinned, "Greeting::Base")?, "1.0");
    let log = all_output(&output);
    assert!(
        log.contains("Greeting::Base (== 1.0) on cpanmetadb"),
        "{log}"
    );
    let metrics = server.get("/metrics")?;
    assert!(
        metrics.contains(
            r#"riverpan_http_requests_total{path="/v1.0/history/{module}",status="200"} 1"#
        ),
        "{metrics}"
    );
    Ok(())
}

#[test]
fn cpan_pm_installs_and_checks_checksums() -> TestResult {
    if !have_module("CPAN", "perl") {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    let cpan_home = home.join(".cpan");
    let lib = home.join("local");
    let quote = |path: &Path| format!("'{}'", path.display());
    // Everything CPAN.pm would ask on first use, so that it never prompts nor probes mirrors.
    write(
        &cpan_home,
        "CPAN/MyConfig.pm",
        &format!(
            "$CPAN::Config = {{\n\
             \x20 'cpan_home' => {cpan_home},\n\
             \x20 'build_dir' => {build},\n\
             \x20 'keep_source_where' => {sources},\n\
             \x20 'prefs_dir' => {prefs},\n\
             \x20 'histfile' => {histfile},\n\
             \x20 'urllist' => [q[{url}/]],\n\
             \x20 'pushy_https' => 0,\n\
             \x20 'check_sigs' => 0,\n\
             \x20 'connect_to_internet_ok' => 1,\n\
             \x20 'makepl_arg' => q[INSTALL_BASE={lib}],\n\
             \x20 'mbuildpl_arg' => q[--install_base {lib}],\n\
             \x20 'make_install_arg' => q[],\n\
             \x20 'mbuild_install_arg' => q[],\n\
             \x20 'make' => q[{make}],\n\
             \x20 'prerequisites_policy' => q[follow],\n\
             \x20 'build_requires_install_policy' => q[yes],\n\
             \x20 'recommends_policy' => 0,\n\
             \x20 'suggests_policy' => 0,\n\
             \x20 'index_expire' => 1,\n\
             \x20 'inactivity_timeout' => 0,\n\
             \x20 'halt_on_failure' => 1,\n\
             \x20 'auto_commit' => 0,\n\
             \x20 'use_sqlite' => 0,\n\
             \x20 'test_report' => 0,\n\
             \x20 'build_cache' => 100,\n\
             \x20 'cache_metadata' => 0,\n\
             \x20 'scan_cache' => q[never],\n\
             \x20 'term_ornaments' => 0,\n\
             \x20 'yaml_load_code' => 0,\n\
             \x20 'load_module_verbosity' => q[none],\n\
             \x20 'tar_verbosity' => q[none],\n\
             \x20 'trust_test_report_history' => 0,\n\
             \x20 'install_help' => q[manual],\n\
             \x20 'no_proxy' => q[127.0.0.1,localhost],\n\
             \x20 'http_proxy' => q[{proxy}],\n\
             \x20 'ftp_proxy' => q[{proxy}],\n\
             }};\n1;\n",
            cpan_home = quote(&cpan_home),
            build = quote(&cpan_home.join("build")),
            sources = quote(&cpan_home.join("sources")),
            prefs = quote(&cpan_home.join("prefs")),
            histfile = quote(&cpan_home.join("histfile")),
            url = server.url,
            lib = lib.display(),
            proxy = NOWHERE_PROXY,
            make = which("make").ok_or("no make")?.display(),
        ),
    )?;
    // As local::lib would set it up: the prerequisites installed into the local lib must be
    // found when the dependent distribution is tested.
    let output = run(isolated("perl", &home)
        .env("PERL5LIB", lib.join("lib/perl5"))
        .arg(format!("-I{}", cpan_home.display()))
        .args([
            "-MCPAN::MyConfig",
            "-MCPAN",
            "-e",
            "CPAN::Shell->install('Greeting::App'); \
             exit(CPAN::Shell->expand('Module', 'Greeting::App')->uptodate ? 0 : 1)",
        ]))?;
    let log = all_output(&output);
    for file in ["Greeting-App-1.0.tar.gz", "Greeting-Base-1.0.tar.gz"] {
        assert!(
            log.lines().any(|line| line.contains("Checksum for")
                && line.contains(file)
                && line.ends_with("ok")),
            "CPAN.pm did not check CHECKSUMS of {file}:\n{log}"
        );
    }
    assert_eq!(installed_version(&lib, "Greeting::App")?, "1.0");
    assert_eq!(installed_version(&lib, "Greeting::Base")?, "1.0");
    Ok(())
}

#[test]
fn minicpan_mirrors_riverpan_and_cpanm_installs_from_the_copy() -> TestResult {
    if !have("minicpan", "libcpan-mini-perl") || !have("cpanm", "cpanminus") {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    let copy = home.join("minicpan");
    run(isolated("minicpan", &home)
        .args(["-r", &format!("{}/", server.url), "-l"])
        .arg(&copy))?;
    for file in [
        "modules/02packages.details.txt.gz",
        "authors/01mailrc.txt.gz",
        "authors/id/A/AL/ALICE/Greeting-App-1.0.tar.gz",
        "authors/id/A/AL/ALICE/Greeting-Base-1.0.tar.gz",
        "authors/id/A/AL/ALICE/CHECKSUMS",
    ] {
        assert!(copy.join(file).is_file(), "minicpan did not copy {file}");
    }
    // The copy works without riverpan.
    drop(server);
    let lib = home.join("local");
    run(isolated("cpanm", &home)
        .args([
            "--mirror",
            &format!("file://{}", copy.display()),
            "--mirror-only",
            "-L",
        ])
        .arg(&lib)
        .arg("Greeting::App"))?;
    assert_eq!(installed_version(&lib, "Greeting::App")?, "1.0");
    Ok(())
}

#[test]
fn carton_installs_from_riverpan_alone() -> TestResult {
    if !have("carton", "carton") {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let data = repository(scratch.path())?;
    let server = Server::start(&data)?;
    let home = scratch.path().join("home");
    let project = home.join("project");
    write(&project, "cpanfile", "requires 'Greeting::App';\n")?;
    // Carton adds cpan.metacpan.org and backpan.perl.org after the custom mirror; the proxy
    // makes them fail, so everything must come from riverpan.
    run(isolated("carton", &home)
        .current_dir(&project)
        .env("PERL_CARTON_MIRROR", format!("{}/", server.url))
        .arg("install"))?;
    let lib = project.join("local");
    assert_eq!(installed_version(&lib, "Greeting::App")?, "1.0");
    assert_eq!(installed_version(&lib, "Greeting::Base")?, "1.0");
    let snapshot = std::fs::read_to_string(project.join("cpanfile.snapshot"))?;
    assert!(
        snapshot.contains("pathname: A/AL/ALICE/Greeting-App-1.0.tar.gz"),
        "{snapshot}"
    );
    Ok(())
}
