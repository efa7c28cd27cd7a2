//! One distribution's work directory: expanded with `cpan-archive`'s limits (a dependency's
//! tarball is as untrusted as an upload), configured, built and tested with the toolchain's
//! environment, each step a child process with standard input closed and a timeout.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cpan_archive::{ArchiveFormat, EntryKind, Limits};

use crate::InstallError;

/// Writes the archive's members below `dest` and returns the distribution's root directory.
/// `cpan-archive` has already refused `..`, absolute paths, links out of the tree and devices,
/// and bounded sizes, counts and ratio.
pub fn expand(name: &str, bytes: &[u8], dest: &Path) -> Result<PathBuf, InstallError> {
    let refused = |why: String| InstallError::Archive {
        name: name.to_string(),
        why,
    };
    let format = ArchiveFormat::from_file_name(name)
        .or_else(|| ArchiveFormat::sniff(bytes))
        .ok_or_else(|| refused("not an archive riverpan can read".into()))?;
    let listing = cpan_archive::read_archive(bytes, format, &Limits::default(), &mut |_| true)
        .map_err(|error| refused(error.to_string()))?;
    let io = |what: &Path, error: std::io::Error| refused(format!("{}: {error}", what.display()));
    std::fs::create_dir_all(dest).map_err(|e| io(dest, e))?;
    let mut links = Vec::new();
    for entry in &listing.entries {
        if entry.path == "." {
            continue;
        }
        let target = dest.join(&entry.path);
        match &entry.kind {
            EntryKind::Directory => std::fs::create_dir_all(&target).map_err(|e| io(&target, e))?,
            EntryKind::File => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
                }
                let content = listing
                    .contents
                    .get(&entry.path)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                std::fs::write(&target, content).map_err(|e| io(&target, e))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    // Owner read/write always; execute bits as archived; nothing setuid.
                    let mode = (entry.mode & 0o755) | 0o600;
                    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| io(&target, e))?;
                }
            }
            EntryKind::Symlink { target: link } | EntryKind::Hardlink { target: link } => {
                links.push((entry.path.clone(), link.clone(), entry.kind.clone()));
            }
        }
    }
    // Links become copies of what they point at (inside the tree, as checked): a build never
    // follows a link out of its directory.
    for (path, link, kind) in links {
        let from = match kind {
            EntryKind::Symlink { .. } => Path::new(&path)
                .parent()
                .map(|dir| dir.join(&link))
                .unwrap_or_else(|| PathBuf::from(&link)),
            _ => PathBuf::from(&link),
        };
        let source = dest.join(&from);
        let target = dest.join(&path);
        if source.is_file() {
            std::fs::copy(&source, &target).map_err(|e| io(&target, e))?;
        }
    }
    let root = listing
        .root()
        .map(|root| dest.join(root))
        .unwrap_or_else(|| dest.to_path_buf());
    Ok(root)
}

/// What a step needs to run.
#[derive(Debug, Clone)]
pub struct StepEnvironment {
    /// The perl every step runs with.
    pub perl: PathBuf,
    /// Directories of the dependencies' build output (`blib/lib`, `blib/arch`), in order.
    pub perl5lib: Vec<PathBuf>,
    /// Directories of their scripts (`blib/script`, `blib/bin`).
    pub path: Vec<PathBuf>,
    /// Extra variables (the testing contexts; `PUREPERL_ONLY`).
    pub extra: BTreeMap<String, String>,
    /// How long a step may take.
    pub timeout: Duration,
}

/// The outcome of one child process.
#[derive(Debug, Clone)]
pub struct StepOutput {
    /// Whether it exited 0 in time.
    pub success: bool,
    /// Its standard output and error, interleaved as it wrote them.
    pub log: String,
    /// How long it ran.
    pub elapsed: Duration,
    /// Its exit code (`None`: killed by a signal, or stopped at the time limit).
    pub exit_code: Option<i32>,
    /// Stopped because it ran past the step's time limit.
    pub timed_out: bool,
}

/// Runs `program args` in `dir` with the toolchain environment (cpan-packaging.md; the
/// Lancaster consensus): `PERL_MM_USE_DEFAULT=1`, `NONINTERACTIVE_TESTING=1`,
/// `PERL5_CPAN_IS_RUNNING`, `PERL5_CPANPLUS_IS_RUNNING`, `PERL5_CPANM_IS_RUNNING`,
/// `PERL_USE_UNSAFE_INC=1` (unless set); the caller's `PERL5LIB`, `PERL_MM_OPT`,
/// `PERL_MB_OPT` and `PERL_LOCAL_LIB_ROOT` never leak in; `AUTOMATED_TESTING`,
/// `RELEASE_TESTING`, `AUTHOR_TESTING` and `EXTENDED_TESTING` pass through as the caller set
/// them and are never set here. Standard input is closed, so a prompt cannot hang the step.
pub fn run_step(
    dir: &Path,
    program: &Path,
    args: &[&str],
    env: &StepEnvironment,
) -> Result<StepOutput, InstallError> {
    let started = Instant::now();
    let log = tempfile_in(dir)?;
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(InstallError::io("a step's log"))?)
        .stderr(log.try_clone().map_err(InstallError::io("a step's log"))?);
    for variable in [
        "PERL5LIB",
        "PERL_MM_OPT",
        "PERL_MB_OPT",
        "PERL_LOCAL_LIB_ROOT",
        "PERL5OPT",
    ] {
        command.env_remove(variable);
    }
    let pid = std::process::id().to_string();
    command
        .env("PERL_MM_USE_DEFAULT", "1")
        .env("NONINTERACTIVE_TESTING", "1")
        .env("PERL5_CPAN_IS_RUNNING", &pid)
        .env("PERL5_CPANPLUS_IS_RUNNING", &pid)
        .env("PERL5_CPANM_IS_RUNNING", &pid);
    if std::env::var_os("PERL_USE_UNSAFE_INC").is_none() {
        command.env("PERL_USE_UNSAFE_INC", "1");
    }
    if !env.perl5lib.is_empty() {
        command.env("PERL5LIB", join_paths(&env.perl5lib));
    }
    let mut path = env.path.clone();
    if let Some(perl_dir) = env.perl.parent().filter(|p| !p.as_os_str().is_empty()) {
        path.push(perl_dir.to_path_buf());
    }
    if let Some(existing) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&existing));
    }
    command.env("PATH", join_paths(&path));
    for (key, value) in &env.extra {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .map_err(InstallError::io(format!("running {}", program.display())))?;
    let deadline = started + env.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                return Err(InstallError::io(format!(
                    "waiting for {}",
                    program.display()
                ))(error))
            }
        }
    };
    let mut text = String::new();
    let mut reader = log;
    std::io::Seek::rewind(&mut reader).map_err(InstallError::io("a step's log"))?;
    let mut bytes = Vec::new();
    reader
        .take(16 * 1024 * 1024)
        .read_to_end(&mut bytes)
        .map_err(InstallError::io("a step's log"))?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    let success = match status {
        Some(status) => status.success(),
        None => {
            text.push_str(&format!(
                "\n[riverpan: stopped after {} s, the step's time limit]\n",
                env.timeout.as_secs()
            ));
            false
        }
    };
    Ok(StepOutput {
        success,
        log: text,
        elapsed: started.elapsed(),
        exit_code: status.and_then(|status| status.code()),
        timed_out: status.is_none(),
    })
}

/// An unnamed temporary file next to the work (removed when closed).
fn tempfile_in(dir: &Path) -> Result<std::fs::File, InstallError> {
    let path = dir.join(format!(
        ".riverpan-log-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(InstallError::io(format!("creating {}", path.display())))?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

fn join_paths(paths: &[PathBuf]) -> std::ffi::OsString {
    std::env::join_paths(paths).unwrap_or_default()
}

/// How a distribution is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildTool {
    /// `perl Build.PL`, `./Build`, `./Build test`.
    ModuleBuild,
    /// `perl Makefile.PL`, `make`, `make test`.
    MakeMaker,
    /// META's `x_static_install: 1`: configured and built by riverpan itself, tested with
    /// `TAP::Harness::Env` (see `static_install`).
    Static,
}

impl BuildTool {
    /// `Build.PL` when it exists (cpan-packaging.md: it wins when both exist), else
    /// `Makefile.PL`.
    pub fn of(root: &Path) -> Option<BuildTool> {
        if root.join("Build.PL").is_file() {
            Some(BuildTool::ModuleBuild)
        } else if root.join("Makefile.PL").is_file() {
            Some(BuildTool::MakeMaker)
        } else {
            None
        }
    }
}

/// The prerequisites of a distribution from its `MYMETA.json`/`MYMETA.yml` (after configure)
/// or `META.json`/`META.yml` (before): phase → relationship → module → requirement.
pub fn read_prereqs(root: &Path, after_configure: bool) -> Option<cpan_meta::CpanMeta> {
    let names: &[&str] = if after_configure {
        &["MYMETA.json", "MYMETA.yml", "META.json", "META.yml"]
    } else {
        &["META.json", "META.yml"]
    };
    for name in names {
        let Ok(bytes) = std::fs::read(root.join(name)) else {
            continue;
        };
        let Ok(raw) = cpan_meta::parse_file_content(name, &bytes) else {
            continue;
        };
        if let Ok(meta) = cpan_meta::CpanMeta::from_raw(&raw) {
            return Some(meta);
        }
    }
    None
}

/// Creates the build directories a MakeMaker `Makefile` would create one `perl
/// -MExtUtils::Command -e mkpath`, `chmod` and `touch` at a time (`$(INST_LIB)$(DFSEP).exists ::
/// Makefile.PL`, eight rules, three processes each): the same directories with the same mode
/// and the same `.exists` stamps, newer than `Makefile.PL`, so `make` finds those targets up to
/// date. Only for a Makefile MakeMaker wrote, only rules of exactly that shape, only
/// directories inside the build directory; anything else is left to `make`. Returns how many
/// rules it satisfied.
pub fn prepare_makemaker_dirs(root: &Path) -> usize {
    let Ok(makefile) = std::fs::read_to_string(root.join("Makefile")) else {
        return 0;
    };
    if !makefile
        .lines()
        .take(5)
        .any(|line| line.contains("generated automatically by MakeMaker"))
    {
        return 0;
    }
    let mut variables: BTreeMap<&str, &str> = BTreeMap::new();
    for line in makefile.lines() {
        if let Some((name, value)) = line.split_once('=') {
            let name = name.trim_end();
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                variables.insert(name, value.trim());
            }
        }
    }
    let expand = |text: &str| -> Option<String> {
        let mut value = text.to_string();
        for _ in 0..8 {
            let Some(start) = value.find("$(") else {
                return Some(value);
            };
            let end = start + value[start..].find(')')?;
            let name = &value[start + 2..end];
            let replacement = variables.get(name)?.to_string();
            value.replace_range(start..=end, &replacement);
        }
        None
    };
    let lines: Vec<&str> = makefile.lines().collect();
    let perm = variables
        .get("PERM_DIR")
        .and_then(|mode| u32::from_str_radix(mode, 8).ok())
        .unwrap_or(0o755);
    let mut prepared = 0;
    for (n, line) in lines.iter().enumerate() {
        let Some(variable) = line
            .strip_suffix("$(DFSEP).exists :: Makefile.PL")
            .or_else(|| line.strip_suffix("$(DFSEP).exists :: Makefile.PL $(CONFIGDEP)"))
        else {
            continue;
        };
        // Exactly MakeMaker's body, for the same directory: mkpath, chmod, touch.
        let body = [
            format!("\t$(NOECHO) $(MKPATH) {variable}"),
            format!("\t$(NOECHO) $(CHMOD) $(PERM_DIR) {variable}"),
            format!("\t$(NOECHO) $(TOUCH) {variable}$(DFSEP).exists"),
        ];
        let matches = lines.get(n + 1..n + 4).is_some_and(|next| {
            next.iter()
                .zip(&body)
                .all(|(have, want)| *have == want.as_str())
        });
        if !matches {
            continue;
        }
        let Some(dir) = expand(variable) else {
            continue;
        };
        let relative = Path::new(&dir);
        if dir.is_empty()
            || relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        let path = root.join(relative);
        if std::fs::create_dir_all(&path).is_err() {
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(perm));
        }
        #[cfg(not(unix))]
        let _ = perm;
        if std::fs::write(path.join(".exists"), b"").is_ok() {
            prepared += 1;
        }
    }
    prepared
}

/// The files below `dir` (anything that is not a directory; links are not followed), relative
/// to it and sorted; none when it does not exist.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(_) => found.push(path),
                Err(_) => {}
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod makemaker_dirs_tests {
    use super::prepare_makemaker_dirs;

    const MAKEFILE: &str = "# This Makefile is for the Foo::Bar extension to perl.\n#\n\
        # It was generated automatically by MakeMaker version\n\
        DIRFILESEP = /\nDFSEP = $(DIRFILESEP)\nPERM_DIR = 755\nINST_LIB = blib/lib\n\
        FULLEXT = Foo/Bar\nINST_AUTODIR     = $(INST_LIB)/auto/$(FULLEXT)\nEVIL = ../outside\n\
        \n$(INST_LIB)$(DFSEP).exists :: Makefile.PL $(CONFIGDEP)\n\
        \t$(NOECHO) $(MKPATH) $(INST_LIB)\n\t$(NOECHO) $(CHMOD) $(PERM_DIR) $(INST_LIB)\n\
        \t$(NOECHO) $(TOUCH) $(INST_LIB)$(DFSEP).exists\n\n\
        $(INST_AUTODIR)$(DFSEP).exists :: Makefile.PL\n\
        \t$(NOECHO) $(MKPATH) $(INST_AUTODIR)\n\t$(NOECHO) $(CHMOD) $(PERM_DIR) $(INST_AUTODIR)\n\
        \t$(NOECHO) $(TOUCH) $(INST_AUTODIR)$(DFSEP).exists\n\n\
        $(EVIL)$(DFSEP).exists :: Makefile.PL\n\
        \t$(NOECHO) $(MKPATH) $(EVIL)\n\t$(NOECHO) $(CHMOD) $(PERM_DIR) $(EVIL)\n\
        \t$(NOECHO) $(TOUCH) $(EVIL)$(DFSEP).exists\n\n\
        $(INST_LIB)$(DFSEP).other :: Makefile.PL\n\tsomething else\n";

    #[test]
    fn makemaker_directory_rules_are_satisfied_inside_the_build_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Foo-Bar-1.0");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("Makefile"), MAKEFILE).unwrap();
        assert_eq!(prepare_makemaker_dirs(&root), 2);
        assert!(root.join("blib/lib/.exists").is_file());
        assert!(root.join("blib/lib/auto/Foo/Bar/.exists").is_file());
        assert!(!dir.path().join("outside").exists());
        // Not MakeMaker's: nothing.
        let other = dir.path().join("Other");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(
            other.join("Makefile"),
            MAKEFILE.replace("MakeMaker", "hand"),
        )
        .unwrap();
        assert_eq!(prepare_makemaker_dirs(&other), 0);
    }
}
