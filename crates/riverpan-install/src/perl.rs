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

/// Installs built distributions into `target`, in order, each atomically: one perl process
/// runs `ExtUtils::Install` for every distribution into a staging directory of its own beside
/// the target (so a failing installer leaves nothing of that distribution in the target), then
/// each staged file is renamed into place and its `.packlist` written with the final paths.
/// Returns, per distribution, `Ok` or why it was not installed.
pub fn install_all_built(
    perl: &Perl,
    target: &LocalLib,
    dists: &[(PathBuf, InstallRecord)],
    depends_on: &[Vec<usize>],
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
    // Beside the target's files (same file system, so renames are atomic); a dot directory, so
    // nothing left by a crash is ever loaded as a module.
    let staging = target
        .arch
        .join(format!(".riverpan-staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(InstallError::io(format!("creating {}", staging.display())))?;
    let stages: Vec<Stage> = (0..dists.len())
        .map(|n| Stage::new(&staging.join(n.to_string())))
        .collect();
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
    for (n, ((root, record), stage)) in dists.iter().zip(&stages).enumerate() {
        let fields = [
            n.to_string(),
            root.to_string_lossy().into_owned(),
            stage.lib.to_string_lossy().into_owned(),
            stage.arch.to_string_lossy().into_owned(),
            stage.bin.to_string_lossy().into_owned(),
            stage.packlist.to_string_lossy().into_owned(),
        ];
        if fields.iter().any(|f| f.contains(['\t', '\n'])) {
            let _ = child.kill();
            let _ = std::fs::remove_dir_all(&staging);
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
    let mut staged: Vec<Result<(), String>> =
        vec![Err("the installer stopped before it".to_string()); dists.len()];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(rest) = line.strip_prefix("\x01riverpan\t") else {
            continue;
        };
        let mut parts = rest.splitn(3, '\t');
        let (Some(n), Some(state)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(index) = n.parse::<usize>().ok().filter(|index| *index < dists.len()) else {
            continue;
        };
        staged[index] = if state == "ok" {
            Ok(())
        } else {
            Err(parts.next().unwrap_or("failed").to_string())
        };
    }
    // In dependency order: a distribution reaches the target only once it is wholly staged,
    // and only when what it was built against (`depends_on`, earlier indices) got there too.
    let mut results: Vec<Result<(), String>> = Vec::with_capacity(dists.len());
    for (n, (staged, ((root, record), stage))) in staged
        .into_iter()
        .zip(dists.iter().zip(&stages))
        .enumerate()
    {
        let missing = depends_on
            .get(n)
            .into_iter()
            .flatten()
            .find(|&&dependency| results.get(dependency).is_some_and(Result::is_err));
        let result = match (staged, missing) {
            (Err(error), _) => Err(error),
            (Ok(()), Some(&dependency)) => Err(format!(
                "not installed: {} could not be installed",
                dists[dependency].1.dist
            )),
            (Ok(()), None) => stage
                .move_into(target, record)
                .and_then(|()| write_meta(target, root, record)),
        };
        results.push(result);
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(results)
}

/// One distribution's staging directory: what `ExtUtils::Install` fills instead of the target.
struct Stage {
    lib: PathBuf,
    arch: PathBuf,
    bin: PathBuf,
    packlist: PathBuf,
}

impl Stage {
    fn new(dir: &Path) -> Stage {
        Stage {
            lib: dir.join("lib"),
            arch: dir.join("arch"),
            bin: dir.join("bin"),
            packlist: dir.join("packlist"),
        }
    }

    /// Renames every staged file into the target and writes the `.packlist` with the final
    /// paths.
    fn move_into(&self, target: &LocalLib, record: &InstallRecord) -> Result<(), String> {
        let mut moves = Vec::new();
        for (from, to) in [
            (&self.lib, &target.lib),
            (&self.arch, &target.arch),
            (&self.bin, &target.bin),
        ] {
            for relative in crate::work::files_below(from) {
                moves.push((from.join(&relative), to.join(&relative)));
            }
        }
        // First every directory: what fails here (a file in the way, no permission) fails
        // before a single file of the distribution has reached the target.
        let mut created: Vec<PathBuf> = Vec::new();
        let prepared = moves.iter().try_for_each(|(_, destination)| {
            if let Some(dir) = destination.parent() {
                let mut first_missing = None;
                for ancestor in dir.ancestors() {
                    if ancestor.exists() {
                        break;
                    }
                    first_missing = Some(ancestor.to_path_buf());
                }
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("creating {}: {e}", dir.display()))?;
                created.extend(first_missing);
            }
            if destination.is_dir() {
                return Err(format!("{} is a directory", destination.display()));
            }
            Ok(())
        });
        if let Err(error) = prepared {
            // Take back the (still empty) directories made for it.
            for dir in created.iter().rev() {
                remove_empty_dirs(dir);
            }
            return Err(error);
        }
        for (source, destination) in &moves {
            move_file(source, destination)
                .map_err(|e| format!("installing {}: {e}", destination.display()))?;
        }
        if let Ok(text) = std::fs::read_to_string(&self.packlist) {
            // ExtUtils::Install listed the staged paths; the packlist names the final ones.
            let mut fixed = String::with_capacity(text.len());
            for line in text.lines() {
                let mut line = line.to_string();
                for (from, to) in [
                    (&self.arch, &target.arch),
                    (&self.lib, &target.lib),
                    (&self.bin, &target.bin),
                ] {
                    let from = from.to_string_lossy();
                    if let Some(rest) = line.strip_prefix(from.as_ref()) {
                        line = format!("{}{rest}", to.to_string_lossy());
                        break;
                    }
                }
                fixed.push_str(&line);
                fixed.push('\n');
            }
            let packlist = target
                .arch
                .join("auto")
                .join(record.name.replace("::", "/"))
                .join(".packlist");
            if let Some(dir) = packlist.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            }
            let temporary = packlist.with_extension(format!("riverpan-{}", std::process::id()));
            std::fs::write(&temporary, fixed)
                .and_then(|()| std::fs::rename(&temporary, &packlist))
                .map_err(|e| format!("writing {}: {e}", packlist.display()))?;
        }
        Ok(())
    }
}

/// Removes `dir` and the directories below it when they hold no file.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_empty_dirs(&entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Renames `from` to `to` (replacing it); across file systems, copies beside `to` first and
/// renames that, so `to` is never half written.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(error) if error.raw_os_error() == Some(18) => {
            let temporary = to.with_file_name(format!(
                ".{}.riverpan-{}",
                to.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                std::process::id()
            ));
            std::fs::copy(from, &temporary)?;
            std::fs::rename(&temporary, to)?;
            std::fs::remove_file(from)
        }
        Err(error) => Err(error),
    }
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
