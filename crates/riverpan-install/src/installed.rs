//! The installed-distributions database of the Lancaster consensus: the
//! `<archlib>/.meta/<distvname>/install.json` records (with each distribution's `MYMETA.json`)
//! that cpanm, cpm and `riverpan install` write, read for `riverpan list`, and the `.packlist`
//! of each distribution, followed for `riverpan uninstall`.
//!
//! The decisions are pure functions over plain values ([`parse_install_json`],
//! [`parse_packlist`], [`select_dists`], [`find_blockers`], [`runtime_requires`]); the I/O
//! around them reads the records ([`list_installed`]), plans a removal ([`plan_uninstall`],
//! every `.packlist` entry checked to be a file inside the local lib) and carries it out
//! ([`execute_uninstall`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{InstallError, LocalLib, Perl};

/// What one `install.json` says (the keys cpanm, cpm and riverpan write).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstallJson {
    /// The main module (`Foo::Bar`): its `.packlist` is `auto/Foo/Bar/.packlist`.
    pub name: String,
    /// The module that was asked for.
    pub target: String,
    /// The version.
    pub version: String,
    /// The distvname (`Foo-Bar-1.23`); empty when the record has none.
    pub dist: String,
    /// `A/AU/AUTHOR/Foo-Bar-1.23.tar.gz`; empty when the record has none.
    pub pathname: String,
    /// Provided package → its version (`None`: none or `undef`).
    pub provides: BTreeMap<String, Option<String>>,
}

/// A JSON scalar as Perl would print it (`JSON::PP` may write a version as a number).
fn json_scalar(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether `name` is a Perl package name (`Foo::Bar`, `Foo::Bar2::_Baz`).
pub fn is_module_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .split("::")
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Reads an `install.json`. The main module (`name`) is required and must be a package name:
/// it says where the `.packlist` is.
pub fn parse_install_json(text: &str) -> Result<InstallJson, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let name = json_scalar(object.get("name")).ok_or("no \"name\" (the main module)")?;
    if !is_module_name(&name) {
        return Err(format!("\"name\" is not a module name: {name:?}"));
    }
    let mut provides = BTreeMap::new();
    if let Some(serde_json::Value::Object(packages)) = object.get("provides") {
        for (package, entry) in packages {
            let version = json_scalar(entry.get("version")).filter(|v| v != "undef");
            provides.insert(package.clone(), version);
        }
    }
    Ok(InstallJson {
        target: json_scalar(object.get("target")).unwrap_or_else(|| name.clone()),
        version: json_scalar(object.get("version")).unwrap_or_default(),
        dist: json_scalar(object.get("dist")).unwrap_or_default(),
        pathname: json_scalar(object.get("pathname")).unwrap_or_default(),
        provides,
        name,
    })
}

/// The distribution name (`Foo-Bar`) of a distvname, from its CPAN path when there is one.
pub fn dist_name_of(distvname: &str, pathname: &str) -> String {
    let from_path = (!pathname.is_empty())
        .then(|| {
            cpan_distname::DistnameInfo::new(pathname)
                .dist()
                .map(str::to_string)
        })
        .flatten();
    from_path
        .or_else(|| {
            cpan_distname::DistnameInfo::new(&format!("{distvname}.tar.gz"))
                .dist()
                .map(str::to_string)
        })
        .unwrap_or_else(|| distvname.to_string())
}

/// `Foo::Bar` → `Foo/Bar.pm`.
pub fn module_file(package: &str) -> PathBuf {
    PathBuf::from(format!("{}.pm", package.replace("::", "/")))
}

/// One installed distribution, as its `.meta` record says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InstalledDist {
    /// The distvname (`Foo-Bar-1.23`).
    pub dist: String,
    /// The distribution name (`Foo-Bar`).
    pub dist_name: String,
    /// The main module.
    pub name: String,
    /// The version.
    pub version: String,
    /// The CPAN path it was installed from (empty when the record does not say).
    pub pathname: String,
    /// Where it is installed: the `@INC` directory whose `.meta` holds the record.
    pub location: PathBuf,
    /// Whether that is the local lib (`-L`).
    pub local: bool,
    /// Provided package → version.
    pub provides: BTreeMap<String, Option<String>>,
    /// Provided packages whose file an earlier `@INC` directory has: perl loads that one.
    pub shadowed: Vec<String>,
    /// `.meta/<distvname>` (the directory entry as found).
    #[serde(skip)]
    pub meta_dir: PathBuf,
}

impl InstalledDist {
    /// The record of `meta_dir` (`.../.meta/<distvname>`), its `install.json` already parsed.
    pub fn from_record(
        record: InstallJson,
        meta_dir: &Path,
        location: &Path,
        local: bool,
    ) -> InstalledDist {
        let dist = if record.dist.is_empty() {
            meta_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            record.dist
        };
        InstalledDist {
            dist_name: dist_name_of(&dist, &record.pathname),
            dist,
            name: record.name,
            version: record.version,
            pathname: record.pathname,
            location: location.to_path_buf(),
            local,
            provides: record.provides,
            shadowed: Vec::new(),
            meta_dir: meta_dir.to_path_buf(),
        }
    }
}

/// Where `.meta` directories may be for the search directories `dirs` (in order):
/// `<dir>/.meta` and `<dir>/<archname>/.meta`, each with the index of its directory.
pub fn meta_root_candidates(dirs: &[PathBuf], archname: &str) -> Vec<(usize, PathBuf)> {
    let mut candidates = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        candidates.push((i, dir.join(".meta")));
        candidates.push((i, dir.join(archname).join(".meta")));
    }
    candidates
}

/// The perl's own `@INC` (without `PERL5LIB`), its absolute directories only, asked once.
pub fn perl_inc(perl: &Perl) -> Result<Vec<PathBuf>, InstallError> {
    let output = Command::new(&perl.path)
        .args(["-e", r#"print join "\n", @INC"#])
        .stdin(Stdio::null())
        .env_remove("PERL5LIB")
        .env_remove("PERL5OPT")
        .env_remove("PERL_USE_UNSAFE_INC")
        .output()
        .map_err(InstallError::io(format!("running {}", perl.path.display())))?;
    if !output.status.success() {
        return Err(InstallError::Perl(format!(
            "{} -e 'print @INC' failed: {}",
            perl.path.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .collect())
}

/// The records below one `.meta` directory, sorted by distvname. Unreadable records are
/// reported in `problems` and skipped.
pub fn read_meta_root(
    meta_root: &Path,
    location: &Path,
    local: bool,
    problems: &mut Vec<String>,
) -> Vec<InstalledDist> {
    let Ok(entries) = std::fs::read_dir(meta_root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let mut found = Vec::new();
    for dir in dirs {
        let file = dir.join("install.json");
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                problems.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        match parse_install_json(&text) {
            Ok(record) => found.push(InstalledDist::from_record(record, &dir, location, local)),
            Err(why) => problems.push(format!("{}: {why}", file.display())),
        }
    }
    found
}

/// The installed distributions, stacked in `@INC` order: those of the local lib first (when
/// given), then those of each directory of `inc` (`<dir>/.meta` or `<dir>/<archname>/.meta`).
/// Each says which of its packages an earlier directory also has (a file `Foo/Bar.pm`).
/// Returns the records and the problems met (unreadable records).
pub fn list_installed(
    local: Option<&LocalLib>,
    inc: &[PathBuf],
    archname: &str,
) -> (Vec<InstalledDist>, Vec<String>) {
    let mut dirs = Vec::new();
    if let Some(local) = local {
        dirs.push(local.arch.clone());
        dirs.push(local.lib.clone());
    }
    let local_dirs = dirs.len();
    dirs.extend(inc.iter().cloned());
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    let mut all = Vec::new();
    for (i, root) in meta_root_candidates(&dirs, archname) {
        if !root.is_dir() {
            continue;
        }
        let canonical = root.canonicalize().unwrap_or_else(|_| root.clone());
        if !seen.insert(canonical) {
            continue;
        }
        let location = root.parent().unwrap_or(&root).to_path_buf();
        for mut dist in read_meta_root(&root, &location, i < local_dirs, &mut problems) {
            dist.shadowed = dist
                .provides
                .keys()
                .filter(|package| {
                    let file = module_file(package);
                    dirs[..i]
                        .iter()
                        .any(|earlier| earlier.join(&file).is_file())
                })
                .cloned()
                .collect();
            all.push(dist);
        }
    }
    (all, problems)
}

/// The runtime `requires` of a distribution's `MYMETA.json` / `MYMETA.yml` (module →
/// requirement string), `None` when the file cannot be read as CPAN metadata.
pub fn runtime_requires(file_name: &str, bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    let raw = cpan_meta::parse_file_content(file_name, bytes).ok()?;
    let meta = cpan_meta::CpanMeta::from_raw(&raw).ok()?;
    Some(
        meta.prereqs
            .requirements(cpan_meta::Phase::Runtime, cpan_meta::Relationship::Requires)
            .map(|r| r.as_string_hash())
            .unwrap_or_default(),
    )
}

/// The records of `installed` that `wanted` names — a distvname (`Foo-Bar-1.0`), a
/// distribution name (`Foo-Bar`) or a main module (`Foo::Bar`) — together with every other
/// record of the same main module (they share its `.packlist`: an upgrade leaves the old
/// record behind). Indexes into `installed`, in order.
pub fn select_dists(installed: &[InstalledDist], wanted: &str) -> Vec<usize> {
    let names: BTreeSet<&str> = installed
        .iter()
        .filter(|d| d.dist == wanted || d.dist_name == wanted || d.name == wanted)
        .map(|d| d.name.as_str())
        .collect();
    installed
        .iter()
        .enumerate()
        .filter(|(_, d)| names.contains(d.name.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// Why a distribution may not be removed: another one still needs a module it provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// The distvname that would be removed.
    pub dist: String,
    /// The module it provides.
    pub module: String,
    /// The distvname that requires the module.
    pub needed_by: String,
    /// Its requirement (`0`, `>= 1.2`).
    pub requirement: String,
}

/// Whether `version` (`None`: no version, as `0`) satisfies `requirement` for `module`.
pub fn satisfies(module: &str, requirement: &str, version: Option<&str>) -> bool {
    cpan_version::Requirements::from_string_hash([(module, requirement)])
        .and_then(|r| r.accepts_module(module, version.unwrap_or("0")))
        .unwrap_or(false)
}

/// What blocks removing `removing`: each runtime requirement of a `remaining` distribution
/// (with its requirements) on a module that a removed distribution provides and that neither
/// another remaining distribution nor `elsewhere` (module → version found outside the local
/// lib, e.g. in the perl's core) provides at a sufficient version.
pub fn find_blockers(
    removing: &[&InstalledDist],
    remaining: &[(&InstalledDist, BTreeMap<String, String>)],
    elsewhere: &BTreeMap<String, Option<String>>,
) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    for (dependent, requires) in remaining {
        for (module, requirement) in requires {
            let Some(removed) = removing.iter().find(|d| d.provides.contains_key(module)) else {
                continue;
            };
            let still_there = remaining.iter().any(|(other, _)| {
                other
                    .provides
                    .get(module)
                    .is_some_and(|v| satisfies(module, requirement, v.as_deref()))
            }) || elsewhere
                .get(module)
                .is_some_and(|v| satisfies(module, requirement, v.as_deref()));
            if !still_there {
                blockers.push(Blocker {
                    dist: removed.dist.clone(),
                    module: module.clone(),
                    needed_by: dependent.dist.clone(),
                    requirement: requirement.clone(),
                });
            }
        }
    }
    blockers
}

/// The file names of a `.packlist`, as `ExtUtils::Packlist` reads them (a name may be
/// followed by ` key=value` pairs, e.g. `type=link from=...`).
pub fn parse_packlist(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| {
            // /^(.*?)( \w+=.*)$/: the first " word=" starts the attributes.
            let mut cut = line.len();
            for (i, _) in line.match_indices(' ') {
                let rest = &line[i + 1..];
                let word_len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if word_len > 0 && rest[word_len..].starts_with('=') {
                    cut = i;
                    break;
                }
            }
            line[..cut].to_string()
        })
        .collect()
}

/// The `.packlist` of the main module `name` in the arch directory `arch`, `None` when `name`
/// is not a module name.
pub fn packlist_path(arch: &Path, name: &str) -> Option<PathBuf> {
    is_module_name(name).then(|| {
        arch.join("auto")
            .join(name.replace("::", "/"))
            .join(".packlist")
    })
}

/// What a `.packlist` entry (or another path to remove) turns out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryCheck {
    /// A file (or a symbolic link) inside the local lib: its canonical path (the link itself,
    /// not its target).
    Inside(PathBuf),
    /// Not there (already removed).
    Missing,
    /// Not to be removed, and why.
    Refused(String),
}

/// Where `entry` is once its directory is canonicalized (the last component is not followed:
/// a link is itself), if that is inside the canonical `base`: `Ok(None)` when its directory
/// does not exist, `Err(why)` when it is not inside `base`.
fn locate_inside(base: &Path, entry: &Path) -> Result<Option<PathBuf>, String> {
    if !entry.is_absolute() {
        return Err("not an absolute path".to_string());
    }
    let (Some(parent), Some(Component::Normal(file_name))) =
        (entry.parent(), entry.components().next_back())
    else {
        return Err("not a file name".to_string());
    };
    let parent = match parent.canonicalize() {
        Ok(parent) => parent,
        // A directory that is gone cannot hold the file, wherever it was.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let path = parent.join(file_name);
    if path.starts_with(base) && path != base {
        Ok(Some(path))
    } else {
        Err(format!("outside {}", base.display()))
    }
}

/// Checks `entry` against the canonical local lib `base`: absolute, a file (not a
/// directory), and inside `base` once its directory is canonicalized.
pub fn check_entry(base: &Path, entry: &Path) -> EntryCheck {
    let path = match locate_inside(base, entry) {
        Ok(Some(path)) => path,
        Ok(None) => return EntryCheck::Missing,
        Err(why) => return EntryCheck::Refused(why),
    };
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_dir() => EntryCheck::Refused("a directory".to_string()),
        Ok(_) => EntryCheck::Inside(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => EntryCheck::Missing,
        Err(e) => EntryCheck::Refused(e.to_string()),
    }
}

/// The removal of one distribution (one main module: all its records).
#[derive(Debug, Clone, Default)]
pub struct UninstallPlan {
    /// The records removed (distvnames; more than one when an upgrade left an old record).
    pub dists: Vec<String>,
    /// The files of the `.packlist` to remove (canonical, inside the local lib).
    pub files: Vec<PathBuf>,
    /// Entries already gone.
    pub missing: Vec<PathBuf>,
    /// Entries left alone, with why (outside the local lib, a directory, …).
    pub refused: Vec<(PathBuf, String)>,
    /// The `.packlist` (`None` when there is none: the files are unknown).
    pub packlist: Option<PathBuf>,
    /// Where the `.packlist` was looked for.
    pub packlist_expected: Option<PathBuf>,
    /// The `.meta/<distvname>` directories (canonical, inside the local lib).
    pub meta_dirs: Vec<PathBuf>,
}

/// What `riverpan uninstall` would do.
#[derive(Debug, Clone, Default)]
pub struct UninstallOutcome {
    /// One plan per distribution named.
    pub plans: Vec<UninstallPlan>,
    /// Names that match no record of the local lib.
    pub unknown: Vec<String>,
    /// What still needs a distribution to be removed.
    pub blockers: Vec<Blocker>,
    /// Records that could not be read.
    pub problems: Vec<String>,
}

/// Plans removing the distributions `wanted` from the local lib `local`: their records,
/// what blocks the removal (other distributions of the local lib that still require a module
/// only they provide; the perl's vendor and core directories count as providers) and, per
/// distribution, the `.packlist` entries sorted into files to remove, files already gone and
/// entries refused.
pub fn plan_uninstall(
    local: &LocalLib,
    perl: &Perl,
    wanted: &[String],
) -> Result<UninstallOutcome, InstallError> {
    let base = local
        .base
        .canonicalize()
        .map_err(InstallError::io(format!("{}", local.base.display())))?;
    let mut outcome = UninstallOutcome::default();
    let installed = read_meta_root(
        &local.arch.join(".meta"),
        &local.arch,
        true,
        &mut outcome.problems,
    );
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut chosen = BTreeSet::new();
    for name in wanted {
        let selected = select_dists(&installed, name);
        if selected.is_empty() {
            outcome.unknown.push(name.clone());
            continue;
        }
        let fresh: Vec<usize> = selected.into_iter().filter(|&i| chosen.insert(i)).collect();
        if !fresh.is_empty() {
            groups.push(fresh);
        }
    }
    let removing: Vec<&InstalledDist> = chosen.iter().map(|&i| &installed[i]).collect();
    let remaining: Vec<(&InstalledDist, BTreeMap<String, String>)> = installed
        .iter()
        .enumerate()
        .filter(|(i, _)| !chosen.contains(i))
        .map(|(_, dist)| (dist, recorded_requires(&dist.meta_dir)))
        .collect();
    let mut blockers = find_blockers(&removing, &remaining, &BTreeMap::new());
    if !blockers.is_empty() {
        // Perhaps the perl itself has them (vendor, core): ask it about those only.
        let modules: Vec<String> = blockers
            .iter()
            .map(|b| b.module.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let elsewhere: BTreeMap<String, Option<String>> = perl
            .installed_versions(&perl.core_inc, &modules)?
            .into_iter()
            .filter_map(|(module, version)| version.map(|v| (module, (v != "undef").then_some(v))))
            .collect();
        blockers = find_blockers(&removing, &remaining, &elsewhere);
    }
    outcome.blockers = blockers;
    for group in groups {
        outcome
            .plans
            .push(plan_one(&base, local, &group, &installed)?);
    }
    Ok(outcome)
}

/// The runtime requires a record keeps in its `.meta` directory (none when it keeps no
/// `MYMETA`).
fn recorded_requires(meta_dir: &Path) -> BTreeMap<String, String> {
    for name in ["MYMETA.json", "MYMETA.yml"] {
        if let Ok(bytes) = std::fs::read(meta_dir.join(name)) {
            if let Some(requires) = runtime_requires(name, &bytes) {
                return requires;
            }
        }
    }
    BTreeMap::new()
}

fn plan_one(
    base: &Path,
    local: &LocalLib,
    group: &[usize],
    installed: &[InstalledDist],
) -> Result<UninstallPlan, InstallError> {
    let mut plan = UninstallPlan::default();
    let first = &installed[group[0]];
    for &i in group {
        let dist = &installed[i];
        plan.dists.push(dist.dist.clone());
        match locate_inside(base, &dist.meta_dir) {
            Ok(Some(path)) => plan.meta_dirs.push(path),
            Ok(None) => {}
            Err(why) => plan.refused.push((dist.meta_dir.clone(), why)),
        }
    }
    plan.packlist_expected = packlist_path(&local.arch, &first.name);
    let Some(expected) = &plan.packlist_expected else {
        return Ok(plan);
    };
    let packlist = match check_entry(base, expected) {
        EntryCheck::Inside(path) => path,
        EntryCheck::Missing => return Ok(plan),
        EntryCheck::Refused(why) => {
            plan.refused.push((expected.clone(), why));
            return Ok(plan);
        }
    };
    let text = std::fs::read_to_string(&packlist)
        .map_err(InstallError::io(format!("reading {}", packlist.display())))?;
    let mut seen = BTreeSet::new();
    for entry in parse_packlist(&text) {
        let entry = PathBuf::from(entry);
        match check_entry(base, &entry) {
            EntryCheck::Inside(path) if path == packlist => {}
            EntryCheck::Inside(path) => {
                if seen.insert(path.clone()) {
                    plan.files.push(path);
                }
            }
            EntryCheck::Missing => plan.missing.push(entry),
            EntryCheck::Refused(why) => plan.refused.push((entry, why)),
        }
    }
    plan.packlist = Some(packlist);
    Ok(plan)
}

/// Removes what `plan` lists: its files, its `.packlist`, its `.meta` directories, then the
/// directories left empty (up to, never including, the local lib's base `local.base`).
/// Returns the directories removed.
pub fn execute_uninstall(
    local: &LocalLib,
    plan: &UninstallPlan,
) -> Result<Vec<PathBuf>, InstallError> {
    let base = local
        .base
        .canonicalize()
        .map_err(InstallError::io(format!("{}", local.base.display())))?;
    let mut removed = Vec::new();
    for file in plan.files.iter().chain(plan.packlist.iter()) {
        // Checked again: the tree may have changed since the plan.
        if let EntryCheck::Inside(path) = check_entry(&base, file) {
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(InstallError::Io {
                        what: format!("removing {}", path.display()),
                        source: e,
                    })
                }
            }
        }
    }
    for dir in &plan.meta_dirs {
        if !dir.starts_with(&base) || dir == &base {
            continue;
        }
        let is_link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        let result = if is_link {
            std::fs::remove_file(dir)
        } else {
            std::fs::remove_dir_all(dir)
        };
        match result {
            Ok(()) => removed.push(dir.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(InstallError::Io {
                    what: format!("removing {}", dir.display()),
                    source: e,
                })
            }
        }
    }
    Ok(prune_empty_dirs(&base, &removed))
}

/// Removes the directories of `removed` paths that are now empty, walking up to `base`
/// (never `base` itself, never above it). Returns those removed.
pub fn prune_empty_dirs(base: &Path, removed: &[PathBuf]) -> Vec<PathBuf> {
    let mut pruned = Vec::new();
    let parents: BTreeSet<&Path> = removed.iter().filter_map(|p| p.parent()).collect();
    for parent in parents {
        let mut dir = parent.to_path_buf();
        while dir.starts_with(base) && dir != base {
            if std::fs::remove_dir(&dir).is_err() {
                break;
            }
            pruned.push(dir.clone());
            if !dir.pop() {
                break;
            }
        }
    }
    pruned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(distvname: &str, name: &str, provides: &[(&str, Option<&str>)]) -> InstalledDist {
        InstalledDist {
            dist: distvname.to_string(),
            dist_name: dist_name_of(distvname, ""),
            name: name.to_string(),
            version: String::new(),
            pathname: String::new(),
            location: PathBuf::from("/l"),
            local: true,
            provides: provides
                .iter()
                .map(|(p, v)| (p.to_string(), v.map(str::to_string)))
                .collect(),
            shadowed: Vec::new(),
            meta_dir: PathBuf::from(format!("/l/.meta/{distvname}")),
        }
    }

    fn requires(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(m, r)| (m.to_string(), r.to_string()))
            .collect()
    }

    #[test]
    fn install_json_as_cpanm_and_riverpan_write_it() {
        let cpanm = r#"{"dist":"Try-Tiny-0.31","name":"Try::Tiny","pathname":"E/ET/ETHER/Try-Tiny-0.31.tar.gz",
            "provides":{"Try::Tiny":{"file":"lib/Try/Tiny.pm","version":"0.31"},"Try::Tiny::Catch":{"file":"lib/Try/Tiny.pm"}},
            "target":"Try::Tiny","version":0.31}"#;
        let record = parse_install_json(cpanm).unwrap();
        assert_eq!(record.name, "Try::Tiny");
        assert_eq!(record.version, "0.31");
        assert_eq!(record.dist, "Try-Tiny-0.31");
        assert_eq!(record.pathname, "E/ET/ETHER/Try-Tiny-0.31.tar.gz");
        assert_eq!(record.provides["Try::Tiny"].as_deref(), Some("0.31"));
        assert_eq!(record.provides["Try::Tiny::Catch"], None);
        let riverpan = r#"{"name":"Foo::Bar","target":"Foo::Bar","version":"1.0","dist":"Foo-Bar-1.0",
            "pathname":"A/AL/ALICE/Foo-Bar-1.0.tar.gz","provides":{"Foo::Bar":{"version":"undef"}}}"#;
        let record = parse_install_json(riverpan).unwrap();
        assert_eq!(record.provides["Foo::Bar"], None);
        assert!(parse_install_json("[]").is_err());
        assert!(parse_install_json(r#"{"dist":"X-1"}"#).is_err());
        assert!(parse_install_json(r#"{"name":"../../etc"}"#).is_err());
        assert!(parse_install_json("{").is_err());
    }

    #[test]
    fn module_names_and_dist_names() {
        assert!(is_module_name("Foo::Bar2::_x"));
        assert!(is_module_name("strict"));
        for bad in [
            "", "Foo::", "::Foo", "Foo/Bar", "../x", "Foo::..", "9Foo", "Foo Bar",
        ] {
            assert!(!is_module_name(bad), "{bad}");
        }
        assert_eq!(dist_name_of("Foo-Bar-1.0", ""), "Foo-Bar");
        assert_eq!(
            dist_name_of("libwww-perl-6.72", "O/OA/OALDERS/libwww-perl-6.72.tar.gz"),
            "libwww-perl"
        );
        assert_eq!(dist_name_of("Foo-Bar-1.24-TRIAL", ""), "Foo-Bar");
        assert_eq!(
            module_file("Foo::Bar::Baz"),
            PathBuf::from("Foo/Bar/Baz.pm")
        );
        assert_eq!(
            packlist_path(Path::new("/l/arch"), "Foo::Bar"),
            Some(PathBuf::from("/l/arch/auto/Foo/Bar/.packlist"))
        );
        assert_eq!(packlist_path(Path::new("/l/arch"), "../../x"), None);
    }

    #[test]
    fn meta_roots_in_inc_order() {
        let dirs = [PathBuf::from("/a"), PathBuf::from("/b")];
        assert_eq!(
            meta_root_candidates(&dirs, "x86_64-linux"),
            vec![
                (0, PathBuf::from("/a/.meta")),
                (0, PathBuf::from("/a/x86_64-linux/.meta")),
                (1, PathBuf::from("/b/.meta")),
                (1, PathBuf::from("/b/x86_64-linux/.meta")),
            ]
        );
    }

    #[test]
    fn packlists_as_extutils_packlist_reads_them() {
        let text = "/l/lib/perl5/Foo/Bar.pm\n/l/bin/foo type=file\n\
            /l/lib/perl5/With Space.pm\n/l/bin/link type=link from=/l/bin/foo\r\n\n";
        assert_eq!(
            parse_packlist(text),
            vec![
                "/l/lib/perl5/Foo/Bar.pm",
                "/l/bin/foo",
                "/l/lib/perl5/With Space.pm",
                "/l/bin/link",
            ]
        );
    }

    #[test]
    fn selecting_by_distvname_name_or_module_takes_every_record_of_the_module() {
        let installed = [
            dist("Foo-Bar-1.0", "Foo::Bar", &[]),
            dist("Foo-Bar-1.1", "Foo::Bar", &[]),
            dist("Foo-Bar-Baz-2", "Foo::Bar::Baz", &[]),
        ];
        assert_eq!(select_dists(&installed, "Foo-Bar"), vec![0, 1]);
        assert_eq!(select_dists(&installed, "Foo-Bar-1.0"), vec![0, 1]);
        assert_eq!(select_dists(&installed, "Foo::Bar::Baz"), vec![2]);
        assert_eq!(select_dists(&installed, "Foo-Bar-Baz-2"), vec![2]);
        assert!(select_dists(&installed, "Foo").is_empty());
    }

    #[test]
    fn a_module_still_required_blocks_unless_someone_else_provides_it() {
        let leaf = dist(
            "Leaf-Dist-1.0",
            "Leaf::Dist",
            &[("Leaf::Dist", Some("1.0"))],
        );
        let mid = dist("Mid-Dist-1.1", "Mid::Dist", &[("Mid::Dist", Some("1.1"))]);
        let top = dist("Top-Dist-2.0", "Top::Dist", &[("Top::Dist", Some("2.0"))]);
        let none = BTreeMap::new();
        // Removing the leaf: Mid needs it.
        let remaining = [
            (&mid, requires(&[("Leaf::Dist", "0"), ("perl", "5.008")])),
            (&top, requires(&[("Mid::Dist", "0")])),
        ];
        assert_eq!(
            find_blockers(&[&leaf], &remaining, &none),
            vec![Blocker {
                dist: "Leaf-Dist-1.0".into(),
                module: "Leaf::Dist".into(),
                needed_by: "Mid-Dist-1.1".into(),
                requirement: "0".into(),
            }]
        );
        // Removing the top: nobody needs it; removing mid and top together: none left needs.
        let remaining_leaf_mid = [
            (&leaf, BTreeMap::new()),
            (&mid, requires(&[("Leaf::Dist", "0")])),
        ];
        assert!(find_blockers(&[&top], &remaining_leaf_mid, &none).is_empty());
        assert!(find_blockers(&[&mid, &top], &[(&leaf, BTreeMap::new())], &none).is_empty());
        // The perl itself has it, recent enough or not.
        let core = BTreeMap::from([("Leaf::Dist".to_string(), Some("1.0".to_string()))]);
        assert!(find_blockers(&[&leaf], &remaining[..1], &core).is_empty());
        let old_core = BTreeMap::from([("Leaf::Dist".to_string(), Some("0.5".to_string()))]);
        let strict = [(&mid, requires(&[("Leaf::Dist", ">= 0.9")]))];
        assert_eq!(find_blockers(&[&leaf], &strict, &old_core).len(), 1);
        // Another installed dist provides it.
        let other = dist(
            "Leaf-Fork-1.0",
            "Leaf::Fork",
            &[("Leaf::Dist", Some("1.0"))],
        );
        let remaining = [
            (&mid, requires(&[("Leaf::Dist", "0")])),
            (&other, BTreeMap::new()),
        ];
        assert!(find_blockers(&[&leaf], &remaining, &none).is_empty());
        assert!(satisfies("X", "0", None));
        assert!(!satisfies("X", "1", None));
        assert!(satisfies("X", ">= 1.2, < 2", Some("1.5")));
    }

    #[test]
    fn runtime_requires_of_a_mymeta() {
        let mymeta = br#"{"name":"Mid-Dist","version":"1.1","abstract":"x","author":["T"],"license":["perl_5"],
            "dynamic_config":0,"release_status":"stable","generated_by":"hand","meta-spec":{"version":2},
            "prereqs":{"runtime":{"requires":{"Leaf::Dist":"0","perl":"5.008"}},"test":{"requires":{"Test::More":"0"}}}}"#;
        assert_eq!(
            runtime_requires("MYMETA.json", mymeta),
            Some(requires(&[("Leaf::Dist", "0"), ("perl", "5.008")]))
        );
        assert_eq!(runtime_requires("MYMETA.json", b"not json"), None);
    }

    #[test]
    fn records_are_stacked_in_inc_order_with_what_is_shadowed() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let record = |dir: &Path, dist: &str, name: &str| {
            let meta = dir.join(".meta").join(dist);
            std::fs::create_dir_all(&meta).unwrap();
            let json = format!(
                r#"{{"name":"{name}","dist":"{dist}","version":"1","pathname":"A/AB/ABC/{dist}.tar.gz",
                "provides":{{"{name}":{{"version":"1"}}}}}}"#
            );
            std::fs::write(meta.join("install.json"), json).unwrap();
        };
        let local = LocalLib {
            base: root.join("local"),
            lib: root.join("local/lib/perl5"),
            arch: root.join("local/lib/perl5/arch"),
            bin: root.join("local/bin"),
        };
        record(&local.arch, "Foo-1", "Foo");
        std::fs::write(local.lib.join("Foo.pm"), "1;").unwrap();
        // The site: cpanm's layout (<sitelib>/<archname>/.meta), Foo again and Bar.
        let site = root.join("site");
        record(&site.join("arch"), "Foo-0.5", "Foo");
        record(&site.join("arch"), "Bar-2", "Bar");
        std::fs::write(site.join("Bar.pm"), "1;").unwrap();
        let bad = root.join("core/.meta/Broken-1");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(bad.join("install.json"), "{").unwrap();
        let inc = [site.clone(), root.join("core"), local.lib.clone()];
        let (listed, problems) = list_installed(Some(&local), &inc, "arch");
        let summary: Vec<(&str, bool, Vec<String>)> = listed
            .iter()
            .map(|d| (d.dist.as_str(), d.local, d.shadowed.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("Foo-1", true, vec![]),
                ("Bar-2", false, vec![]),
                ("Foo-0.5", false, vec!["Foo".to_string()]),
            ]
        );
        assert_eq!(listed[0].location, local.arch);
        assert_eq!(listed[1].location, site.join("arch"));
        assert_eq!(listed[1].pathname, "A/AB/ABC/Bar-2.tar.gz");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("Broken-1"));
        // Without the local lib, nothing shadows the site's Foo.
        let (listed, _) = list_installed(None, &inc, "arch");
        assert!(listed.iter().all(|d| d.shadowed.is_empty() && !d.local));
    }

    #[test]
    fn entries_outside_the_lib_or_directories_are_refused() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path().canonicalize().unwrap();
        let base = root.join("lib");
        std::fs::create_dir_all(base.join("a/b")).unwrap();
        std::fs::write(base.join("a/b/f.pm"), "1;").unwrap();
        std::fs::write(root.join("outside.txt"), "keep").unwrap();
        assert_eq!(
            check_entry(&base, &base.join("a/b/f.pm")),
            EntryCheck::Inside(base.join("a/b/f.pm"))
        );
        assert_eq!(
            check_entry(&base, &base.join("a/b/../b/f.pm")),
            EntryCheck::Inside(base.join("a/b/f.pm"))
        );
        assert!(matches!(
            check_entry(&base, &base.join("a/../../outside.txt")),
            EntryCheck::Refused(_)
        ));
        assert!(matches!(
            check_entry(&base, &root.join("outside.txt")),
            EntryCheck::Refused(_)
        ));
        assert!(matches!(
            check_entry(&base, Path::new("relative.pm")),
            EntryCheck::Refused(_)
        ));
        assert!(matches!(
            check_entry(&base, &base.join("a/b")),
            EntryCheck::Refused(_)
        ));
        assert!(matches!(
            check_entry(&base, &base.join("a/..")),
            EntryCheck::Refused(_)
        ));
        assert_eq!(
            check_entry(&base, &base.join("a/b/gone.pm")),
            EntryCheck::Missing
        );
        assert_eq!(
            check_entry(&base, &base.join("no/such/dir/x.pm")),
            EntryCheck::Missing
        );
        // A link inside the lib pointing out: the link is removed, never its target.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("outside.txt"), base.join("a/link")).unwrap();
            assert_eq!(
                check_entry(&base, &base.join("a/link")),
                EntryCheck::Inside(base.join("a/link"))
            );
            // A directory link leading out of the lib.
            std::os::unix::fs::symlink(&root, base.join("a/up")).unwrap();
            assert!(matches!(
                check_entry(&base, &base.join("a/up/outside.txt")),
                EntryCheck::Refused(_)
            ));
        }
        // Pruning stops at the base.
        std::fs::remove_file(base.join("a/b/f.pm")).unwrap();
        #[cfg(unix)]
        {
            std::fs::remove_file(base.join("a/link")).unwrap();
            std::fs::remove_file(base.join("a/up")).unwrap();
        }
        let pruned = prune_empty_dirs(&base, &[base.join("a/b/f.pm")]);
        assert_eq!(pruned, vec![base.join("a/b"), base.join("a")]);
        assert!(base.is_dir());
        assert!(root.join("outside.txt").is_file());
    }
}
