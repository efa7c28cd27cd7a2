//! What the client tests (`install.rs`, `installed.rs`) share: `riverpan` run with a clean
//! environment, and distributions with real `Makefile.PL`s (ExtUtils::MakeMaker, core perl).
#![allow(dead_code)] // each test binary uses its own part

use std::error::Error;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn Error>>;

pub const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// A test that passes and one that fails.
pub const PASS: &str = "print \"ok 1\\n\";";
pub const FAIL: &str = "print \"not ok 1\\n\";";

/// Whether `make` and ExtUtils::MakeMaker are here (the tests skip, saying so, when not).
pub fn have_make() -> bool {
    let ok = Command::new("make").arg("--version").output().is_ok()
        && Command::new("perl")
            .args(["-MExtUtils::MakeMaker", "-e1"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("make or ExtUtils::MakeMaker is missing: scripts/test installs them; skipping");
    }
    ok
}

/// `riverpan` with a clean environment (none of the caller's riverpan, local::lib or testing
/// variables) and its caches in `scratch`.
pub fn riverpan(scratch: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command.current_dir(scratch);
    for variable in [
        "RIVERPAN_DATA",
        "RIVERPAN_CONFIG",
        "RIVERPAN_INSTALL_FROM",
        "PERL5LIB",
        "PERL_MM_OPT",
        "PERL_MB_OPT",
        "PERL_LOCAL_LIB_ROOT",
        "AUTOMATED_TESTING",
        "RELEASE_TESTING",
        "AUTHOR_TESTING",
    ] {
        command.env_remove(variable);
    }
    command.env("RIVERPAN_CACHE_DIR", scratch.join("cache"));
    command
}

pub fn run(command: &mut Command) -> Result<Output, Box<dyn Error>> {
    Ok(command.stdin(Stdio::null()).output()?)
}

/// Standard output and error.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs the command; its standard output, or an error with everything it said.
pub fn ok(command: &mut Command) -> Result<String, Box<dyn Error>> {
    let output = run(command)?;
    if !output.status.success() {
        return Err(format!("{command:?} failed:\n{}", text(&output)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `riverpan install --from DATA -L LIB` (add targets and options).
pub fn install_into(scratch: &Path, data: &Path, lib: &Path) -> Command {
    let mut command = riverpan(scratch);
    command
        .arg("install")
        .arg("--from")
        .arg(data)
        .arg("-L")
        .arg(lib);
    command
}

/// A distribution to build.
#[derive(Default)]
pub struct Dist<'a> {
    /// `Foo-Bar` (its module is `Foo::Bar`).
    pub name: &'a str,
    pub version: &'a str,
    /// Modules it requires at run time (Makefile.PL's PREREQ_PM and META's runtime requires).
    pub requires: &'a [&'a str],
    /// The body of `t/basic.t` after its plan (default: [`PASS`]).
    pub test: &'a str,
    /// Perl code run by Makefile.PL before `WriteMakefile`.
    pub makefile_extra: &'a str,
    /// More top-level META.json keys (`"x_breaks": {...},`).
    pub meta_extra: &'a str,
    /// Install `script/<name>` too.
    pub script: bool,
    /// META's runtime `perl` requirement (empty: none).
    pub min_perl: &'a str,
}

impl Dist<'_> {
    /// Writes `dir/NAME-VERSION.tar.gz` and returns its path.
    pub fn make(&self, dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
        let (dist, version) = (self.name, self.version);
        let package = dist.replace('-', "::");
        let root_name = format!("{dist}-{version}");
        let root = dir.join(&root_name);
        let module = root
            .join("lib")
            .join(format!("{}.pm", package.replace("::", "/")));
        std::fs::create_dir_all(module.parent().ok_or("no parent")?)?;
        let uses: String = self
            .requires
            .iter()
            .map(|m| format!("use {m};\n"))
            .collect();
        std::fs::write(
            &module,
            format!(
                "package {package};\n{uses}our $VERSION = '{version}';\nsub hello {{ '{dist}' }}\n1;\n"
            ),
        )?;
        std::fs::create_dir_all(root.join("t"))?;
        let test = if self.test.is_empty() {
            PASS
        } else {
            self.test
        };
        std::fs::write(
            root.join("t/basic.t"),
            format!("use strict;\nprint \"1..1\\n\";\n{test}\n"),
        )?;
        let exe_files = if self.script {
            let name = dist.to_lowercase();
            std::fs::create_dir_all(root.join("script"))?;
            std::fs::write(
                root.join("script").join(&name),
                format!("#!perl\nuse {package};\nprint {package}::hello(), \"\\n\";\n"),
            )?;
            format!("EXE_FILES => ['script/{name}'],")
        } else {
            String::new()
        };
        let prereqs: Vec<String> = self
            .requires
            .iter()
            .map(|m| format!("'{m}' => 0"))
            .collect();
        std::fs::write(
            root.join("Makefile.PL"),
            format!(
                "use ExtUtils::MakeMaker;\n{}\nWriteMakefile(NAME => '{package}', VERSION => \
                 '{version}', {exe_files} PREREQ_PM => {{ {} }});\n",
                self.makefile_extra,
                prereqs.join(", ")
            ),
        )?;
        let mut runtime: Vec<String> = self
            .requires
            .iter()
            .map(|m| format!("\"{m}\":\"0\""))
            .collect();
        if !self.min_perl.is_empty() {
            runtime.push(format!("\"perl\":\"{}\"", self.min_perl));
        }
        std::fs::write(
            root.join("META.json"),
            format!(
                r#"{{{}"name":"{dist}","version":"{version}","abstract":"test","author":["T"],
"license":["perl_5"],"dynamic_config":1,"release_status":"stable","generated_by":"hand",
"prereqs":{{"configure":{{"requires":{{"ExtUtils::MakeMaker":"0"}}}},"runtime":{{"requires":{{{}}}}}}},
"meta-spec":{{"version":2}}}}"#,
                self.meta_extra,
                runtime.join(",")
            ),
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
}

/// A riverpan data directory `scratch/data` with the author ALICE, holding `dists` (built in
/// `scratch/dists`).
pub fn riverpan_with(scratch: &Path, dists: &[Dist<'_>]) -> Result<PathBuf, Box<dyn Error>> {
    let data = scratch.join("data");
    let dir = scratch.join("dists");
    std::fs::create_dir_all(&dir)?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["init", "--policy", "pause"]))?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["user", "add", "ALICE"]))?;
    for dist in dists {
        let archive = dist.make(&dir)?;
        upload(scratch, &data, &archive)?;
    }
    Ok(data)
}

/// `riverpan upload --as ALICE FILE` into `data`.
pub fn upload(scratch: &Path, data: &Path, archive: &Path) -> Result<(), Box<dyn Error>> {
    ok(riverpan(scratch)
        .arg("--data")
        .arg(data)
        .args(["upload", "--as", "ALICE"])
        .arg(archive))?;
    Ok(())
}

/// `riverpan serve` on a free port.
pub struct Server {
    child: Child,
    authority: String,
}

impl Server {
    pub fn start(data: &Path) -> Result<Server, Box<dyn Error>> {
        let mut child = Command::new(RIVERPAN)
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("RIVERPAN_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut log = BufReader::new(child.stderr.take().ok_or("no stderr")?);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if log.read_line(&mut line)? == 0 || Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("riverpan serve did not start:\n{seen}").into());
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("serving http://").nth(1) {
                let authority = rest.split('/').next().ok_or("no URL")?.to_owned();
                std::thread::spawn(move || {
                    let mut rest = String::new();
                    let _ = log.read_to_string(&mut rest);
                });
                return Ok(Server { child, authority });
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.authority)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The install issue's corpus fixture (install_corpus.rs, smoke_corpus.rs).

/// The fetched fixture, or `None` (with the reason on stderr) when it was not fetched.
pub fn fixture_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RIVERPAN_INSTALL_FIXTURE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/riverpan-install-fixture"))
        })?;
    if dir.join("manifest.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "WARNING: the install corpus fixture is missing ({}): run scripts/fetch-install-fixture \
             (scripts/test does); skipping",
            dir.display()
        );
        None
    }
}

pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A riverpan data directory holding the fixture: permissions from the real index first,
/// then the tree.
pub fn corpus_riverpan(scratch: &Path, corpus: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let tree = scratch.join("tree");
    let made = Command::new("python3")
        .arg(repository_root().join("scripts/install-fixture"))
        .arg("--corpus")
        .arg(corpus)
        .arg("--out")
        .arg(&tree)
        .output()?;
    assert!(made.status.success(), "{}", text(&made));
    let data = scratch.join("data");
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["init", "--policy", "pause"]))?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["perms", "import"])
        .arg(tree.join("06perms.txt")))?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .arg("import")
        .arg(&tree))?;
    Ok(data)
}
