//! What riverpan asks the target perl: its identity, which modules it (or the local lib)
//! already has at which version, and — at the very end — to copy each built distribution into
//! the target with `ExtUtils::Install`, as cpm's final install does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::InstallError;

/// The perl every step runs with.
#[derive(Debug, Clone)]
pub struct Perl {
    /// Its path (as given, or `perl` on `PATH`).
    pub path: PathBuf,
    /// Its `$^X`: the absolute path of the executable (scripts' `#!` lines name it).
    pub executable: PathBuf,
    /// `$Config{version}`, e.g. `5.36.0`.
    pub version: String,
    /// `$Config{archname}`, e.g. `x86_64-linux-gnu-thread-multi`.
    pub archname: String,
    /// The directories of the perl itself that count as "already installed" for a
    /// self-contained local lib (as `cpanm -L` and cpm): vendor and core, not site.
    pub core_inc: Vec<PathBuf>,
    /// Which of `core_inc` are the vendor directories (what the OS packages install).
    pub vendor_inc: Vec<PathBuf>,
    /// SHA-256 of the perl's path and `Config::myconfig()`: two perls built differently never
    /// share a build.
    pub identity: String,
}

impl Perl {
    /// Asks `path` once.
    pub fn probe(path: &Path) -> Result<Perl, InstallError> {
        const SCRIPT: &str = r#"use Config; print join("\n", $Config{version}, $Config{archname},
            (map { "vendor:$_" } grep { defined && length } @Config{qw(vendorarchexp vendorlibexp)}),
            grep { defined && length } @Config{qw(archlibexp privlibexp)}), "\n";
            print "--\n", $^X, "\n", Config::myconfig();"#;
        let output = Command::new(path)
            .args(["-e", SCRIPT])
            .stdin(Stdio::null())
            .env_remove("PERL5LIB")
            .env_remove("PERL5OPT")
            .output()
            .map_err(InstallError::io(format!("running {}", path.display())))?;
        if !output.status.success() {
            return Err(InstallError::Perl(format!(
                "{} -e 'use Config' failed: {}",
                path.display(),
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let (text, config) = text.split_once("\n--\n").unwrap_or((&text, ""));
        let identity = crate::source::sha256_hex(config.as_bytes());
        let executable = config
            .lines()
            .next()
            .filter(|line| line.starts_with('/'))
            .map_or_else(|| path.to_path_buf(), PathBuf::from);
        let mut lines = text.lines();
        let (Some(version), Some(archname)) = (lines.next(), lines.next()) else {
            return Err(InstallError::Perl(format!(
                "{} did not say its version and archname",
                path.display()
            )));
        };
        let core_inc: Vec<(bool, PathBuf)> = lines
            .by_ref()
            .map(|line| match line.strip_prefix("vendor:") {
                Some(dir) => (true, PathBuf::from(dir)),
                None => (false, PathBuf::from(line)),
            })
            .collect();
        Ok(Perl {
            path: path.to_path_buf(),
            executable,
            version: version.to_string(),
            archname: archname.to_string(),
            vendor_inc: core_inc
                .iter()
                .filter(|(vendor, _)| *vendor)
                .map(|(_, dir)| dir.clone())
                .collect(),
            core_inc: core_inc.into_iter().map(|(_, dir)| dir).collect(),
            identity,
        })
    }

    /// The version each module has in `inc` (the local lib's directories, then the perl's
    /// own), read statically with `Module::Metadata` (core since 5.14): `None` for a module
    /// that is not there, `Some("undef")` for one without a version.
    pub fn installed_versions(
        &self,
        inc: &[PathBuf],
        modules: &[String],
    ) -> Result<BTreeMap<String, Option<String>>, InstallError> {
        InstalledOracle::start(self, inc)?.versions(modules)
    }
}

/// One perl process, kept for the whole install, that answers "which version of this module
/// is installed?" as [`Perl::installed_versions`] does, without starting perl again for every
/// round of resolutions.
pub struct InstalledOracle {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl InstalledOracle {
    /// Starts the process, looking in `inc`.
    pub fn start(perl: &Perl, inc: &[PathBuf]) -> Result<InstalledOracle, InstallError> {
        const SCRIPT: &str = r#"use Module::Metadata; my @inc = @ARGV; $| = 1;
            while (my $m = <STDIN>) { chomp $m;
              my $meta = length $m ? eval { Module::Metadata->new_from_module($m, inc => \@inc, collect_pod => 0) } : undef;
              if (!$meta) { print "$m\t-\n"; next }
              my $v = eval { $meta->version($m) }; print "$m\t", (defined $v ? "$v" : "undef"), "\n" }"#;
        let mut child = Command::new(&perl.path)
            .arg("-e")
            .arg(SCRIPT)
            .args(inc)
            .env_remove("PERL5LIB")
            .env_remove("PERL5OPT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(InstallError::io("asking perl which modules are installed"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(InstallError::Perl("no pipes to the perl process".into()));
        };
        Ok(InstalledOracle {
            child,
            stdin,
            stdout: std::io::BufReader::new(stdout),
        })
    }

    /// The installed version of each module (`None`: not installed; `Some("undef")`: no
    /// version).
    pub fn versions(
        &mut self,
        modules: &[String],
    ) -> Result<BTreeMap<String, Option<String>>, InstallError> {
        use std::io::{BufRead, Write};
        let failed = InstallError::io("asking perl which modules are installed");
        let mut question = String::new();
        for module in modules {
            // A name with a line break would desynchronise the answers.
            question.push_str(&module.replace(['\n', '\r'], " "));
            question.push('\n');
        }
        if let Err(error) = self
            .stdin
            .write_all(question.as_bytes())
            .and_then(|()| self.stdin.flush())
        {
            return Err(failed(error));
        }
        let mut found = BTreeMap::new();
        for module in modules {
            let mut line = String::new();
            match self.stdout.read_line(&mut line) {
                Ok(0) => {
                    return Err(InstallError::Perl(
                        "the perl answering which modules are installed stopped".into(),
                    ))
                }
                Ok(_) => {}
                Err(error) => return Err(InstallError::io("reading perl's answer")(error)),
            }
            let version = line
                .trim_end()
                .split_once('\t')
                .map(|(_, version)| version.to_string())
                .filter(|version| version != "-");
            found.insert(module.clone(), version);
        }
        Ok(found)
    }
}

impl Drop for InstalledOracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a global install goes (`--global`, `--installdirs`), as `perl Makefile.PL
/// INSTALLDIRS=…` would put it (cpan-packaging.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallDirs {
    /// The site directories (`installsitelib`, `installsitearch`, `installsitebin`): the default.
    Site,
    /// The vendor directories, for OS packages.
    Vendor,
    /// perl's own directories (`installprivlib`, `installarchlib`, `installbin`).
    Perl,
}

impl std::str::FromStr for InstallDirs {
    type Err = InstallError;
    fn from_str(text: &str) -> Result<InstallDirs, InstallError> {
        match text {
            "site" => Ok(InstallDirs::Site),
            "vendor" => Ok(InstallDirs::Vendor),
            "perl" | "core" => Ok(InstallDirs::Perl),
            other => Err(InstallError::Target(format!(
                "--installdirs takes site, vendor or perl, not {other:?}"
            ))),
        }
    }
}

impl Perl {
    /// The target of a global install into `dirs`, below `destdir` when given (staging for a
    /// package: the files go to `DESTDIR/usr/...`).
    pub fn global_target(
        &self,
        dirs: InstallDirs,
        destdir: Option<&Path>,
    ) -> Result<LocalLib, InstallError> {
        let keys = match dirs {
            InstallDirs::Site => "installsitelib installsitearch installsitebin",
            InstallDirs::Vendor => "installvendorlib installvendorarch installvendorbin",
            InstallDirs::Perl => "installprivlib installarchlib installbin",
        };
        let output = Command::new(&self.path)
            .args([
                "-MConfig",
                "-e",
                "print join qq{\n}, map { $Config{$_} // q{} } @ARGV",
            ])
            .args(keys.split(' '))
            .stdin(Stdio::null())
            .env_remove("PERL5LIB")
            .output()
            .map_err(InstallError::io(format!("running {}", self.path.display())))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let dirs_found: Vec<&str> = text.lines().collect();
        let [lib, arch, bin] = dirs_found.as_slice() else {
            return Err(InstallError::Perl(format!(
                "{} did not say where {keys} are",
                self.path.display()
            )));
        };
        if lib.is_empty() || arch.is_empty() || bin.is_empty() {
            return Err(InstallError::Perl(format!(
                "this perl has no {keys} (built without them)"
            )));
        }
        let place = |dir: &str| match destdir {
            Some(destdir) => destdir.join(dir.trim_start_matches('/')),
            None => PathBuf::from(dir),
        };
        Ok(LocalLib {
            base: destdir.map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
            lib: place(lib),
            arch: place(arch),
            bin: place(bin),
        })
    }
}

/// The directories of a local::lib-style target `L` (`cpanm -L`, Carton's `local/`).
#[derive(Debug, Clone)]
pub struct LocalLib {
    /// `L`.
    pub base: PathBuf,
    /// `L/lib/perl5`.
    pub lib: PathBuf,
    /// `L/lib/perl5/<archname>`.
    pub arch: PathBuf,
    /// `L/bin`.
    pub bin: PathBuf,
}

impl LocalLib {
    /// The layout of `base` for `perl`.
    pub fn new(base: &Path, perl: &Perl) -> LocalLib {
        let lib = base.join("lib/perl5");
        LocalLib {
            base: base.to_path_buf(),
            arch: lib.join(&perl.archname),
            lib,
            bin: base.join("bin"),
        }
    }

    /// Where modules are looked for: the local lib, then the perl's own (vendor and core).
    pub fn search_inc(&self, perl: &Perl) -> Vec<PathBuf> {
        let mut inc = vec![self.arch.clone(), self.lib.clone()];
        inc.extend(perl.core_inc.iter().cloned());
        inc
    }

    /// As [`LocalLib::search_inc`] without the vendor directories (`--exclude-vendor`, as cpm's:
    /// what the OS packages does not count as installed).
    pub fn search_inc_without_vendor(&self, perl: &Perl) -> Vec<PathBuf> {
        let mut inc = self.search_inc(perl);
        inc.retain(|dir| !perl.vendor_inc.contains(dir));
        inc
    }
}

/// What the final install records for a distribution (cpanm's and cpm's
/// `.meta/<distvname>/install.json`, which Carton and cpm read).
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallRecord {
    /// The main module (`Foo::Bar` for `Foo-Bar`).
    pub name: String,
    /// The module that was asked for.
    pub target: String,
    /// The distribution's version.
    pub version: String,
    /// `Foo-Bar-1.23`.
    pub dist: String,
    /// `A/AU/AUTHOR/Foo-Bar-1.23.tar.gz`.
    pub pathname: String,
    /// Package → `{file, version}` (what the index says the file provides).
    pub provides: BTreeMap<String, serde_json::Value>,
    /// The tarball's SHA-256 (riverpan's addition; cpanm, cpm and Carton ignore the key): the
    /// lock file's sidecar is written from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Installs built distributions into `target`, in order, with one perl process running
/// `ExtUtils::Install` for each (what [`install_built`] does for one, without starting perl
/// again for every distribution). Returns, per distribution, `Ok` or the installer's error.
pub fn install_all_built(
    perl: &Perl,
    target: &LocalLib,
    dists: &[(PathBuf, InstallRecord)],
) -> Result<Vec<Result<(), String>>, InstallError> {
    const SCRIPT: &str = r#"use ExtUtils::Install; use Cwd (); $| = 1; my $start = Cwd::getcwd();
        while (my $line = <STDIN>) { chomp $line;
          my ($n, $root, $lib, $arch, $bin, $packlist) = split /\t/, $line;
          my $ok = eval { chdir $root or die "chdir $root: $!\n";
            install({ 'read' => '', 'write' => $packlist, 'blib/lib' => $lib, 'blib/arch' => $arch,
                      'blib/script' => $bin, 'blib/bin' => $bin }, 0, 0, 0); 1 };
          chdir $start; my $error = $@; $error =~ s/\s+/ /g;
          print "\x01riverpan\t$n\t", ($ok ? "ok" : "failed\t$error"), "\n" }"#;
    use std::io::Write;
    let mut child = Command::new(&perl.path)
        .arg("-e")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_remove("PERL5LIB")
        .spawn()
        .map_err(InstallError::io("running ExtUtils::Install"))?;
    let mut input = String::new();
    for (n, (root, record)) in dists.iter().enumerate() {
        let packlist = target
            .arch
            .join("auto")
            .join(record.name.replace("::", "/"))
            .join(".packlist");
        let fields = [
            n.to_string(),
            root.to_string_lossy().into_owned(),
            target.lib.to_string_lossy().into_owned(),
            target.arch.to_string_lossy().into_owned(),
            target.bin.to_string_lossy().into_owned(),
            packlist.to_string_lossy().into_owned(),
        ];
        if fields.iter().any(|f| f.contains(['\t', '\n'])) {
            return Err(InstallError::Install {
                dist: record.dist.clone(),
                why: "a path with a tab or a line break".into(),
            });
        }
        input.push_str(&fields.join("\t"));
        input.push('\n');
    }
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(InstallError::io("running ExtUtils::Install"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(InstallError::io("running ExtUtils::Install"))?;
    let mut results: Vec<Result<(), String>> =
        vec![Err("the installer stopped before it".to_string()); dists.len()];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(rest) = line.strip_prefix("\x01riverpan\t") else {
            continue;
        };
        let mut parts = rest.splitn(3, '\t');
        let (Some(n), Some(state)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some((index, (root, record))) = n
            .parse::<usize>()
            .ok()
            .and_then(|index| dists.get(index).map(|dist| (index, dist)))
        else {
            continue;
        };
        results[index] = if state == "ok" {
            write_meta(target, root, record)
        } else {
            Err(parts.next().unwrap_or("failed").to_string())
        };
    }
    Ok(results)
}

/// Writes a distribution's `.meta/<distvname>/{install.json,MYMETA.json}`.
fn write_meta(target: &LocalLib, root: &Path, record: &InstallRecord) -> Result<(), String> {
    let meta = target.arch.join(".meta").join(&record.dist);
    std::fs::create_dir_all(&meta).map_err(|e| format!("creating {}: {e}", meta.display()))?;
    let json = serde_json::to_string_pretty(record).unwrap_or_default();
    std::fs::write(meta.join("install.json"), json + "\n")
        .map_err(|e| format!("writing install.json: {e}"))?;
    let mymeta = root.join("MYMETA.json");
    if mymeta.is_file() {
        std::fs::copy(&mymeta, meta.join("MYMETA.json"))
            .map_err(|e| format!("copying MYMETA.json: {e}"))?;
    }
    Ok(())
}

/// `PERL5LIB`, `PATH` and `PERL_LOCAL_LIB_ROOT` for a command run with the local lib `base`
/// (as `carton exec`): `base/lib/perl5` (perl adds its archname directory itself) and
/// `base/bin` first, then what the caller had.
pub fn exec_environment(base: &Path) -> Vec<(String, std::ffi::OsString)> {
    let mut perl5lib = vec![base.join("lib/perl5")];
    if let Some(existing) = std::env::var_os("PERL5LIB") {
        perl5lib.extend(std::env::split_paths(&existing));
    }
    let mut path = vec![base.join("bin")];
    if let Some(existing) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&existing));
    }
    vec![
        (
            "PERL5LIB".to_string(),
            std::env::join_paths(perl5lib).unwrap_or_default(),
        ),
        (
            "PATH".to_string(),
            std::env::join_paths(path).unwrap_or_default(),
        ),
        (
            "PERL_LOCAL_LIB_ROOT".to_string(),
            base.as_os_str().to_owned(),
        ),
    ]
}
