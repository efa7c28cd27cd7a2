//! A project's dependencies: its `cpanfile` as top-level requirements, and its lock file,
//! Carton's `cpanfile.snapshot` (with the tarballs' SHA-256 in the sidecar
//! `cpanfile.snapshot.sha256`), written from what the local lib holds as Carton writes it
//! (`Carton::Snapshot::find_installs`) and read back for `--locked` and `--frozen`.

use std::collections::BTreeMap;
use std::path::Path;

use cpan_cpanfile::{Cpanfile, Snapshot, SnapshotDistribution};
use cpan_plan::{Phase, Relationship, Requirement};

use crate::perl::LocalLib;
use crate::InstallError;

/// Which parts of a cpanfile (or a META) are installed.
#[derive(Debug, Clone, Default)]
pub struct PrereqSelection {
    /// `--with-develop`.
    pub develop: bool,
    /// `--with-recommends`.
    pub recommends: bool,
    /// `--with-suggests`.
    pub suggests: bool,
    /// `--feature NAME`.
    pub features: Vec<String>,
}

impl PrereqSelection {
    fn wants_phase(&self, phase: Phase) -> bool {
        phase != Phase::Develop || self.develop
    }

    fn wants_relationship(&self, relationship: Relationship) -> bool {
        match relationship {
            Relationship::Requires => true,
            Relationship::Recommends => self.recommends,
            Relationship::Suggests => self.suggests,
            Relationship::Conflicts => false,
        }
    }
}

/// The top-level requirements of a cpanfile (its main prerequisites plus the chosen features').
pub fn cpanfile_requirements(
    path: &Path,
    selection: &PrereqSelection,
) -> Result<(Cpanfile, Vec<Requirement>), InstallError> {
    let text = std::fs::read_to_string(path)
        .map_err(InstallError::io(format!("reading {}", path.display())))?;
    let cpanfile = Cpanfile::parse(&text)
        .map_err(|error| InstallError::Target(format!("{}: {error}", path.display())))?;
    for feature in &selection.features {
        if cpanfile.feature(feature).is_none() {
            return Err(InstallError::Target(format!(
                "{}: no feature {feature:?}",
                path.display()
            )));
        }
    }
    let features: Vec<&str> = selection.features.iter().map(String::as_str).collect();
    let prereqs = cpanfile
        .effective_prereqs(&features)
        .map_err(|error| InstallError::Target(format!("{}: {error}", path.display())))?;
    let mut out = Vec::new();
    for (phase, relationship, requirements) in prereqs.iter() {
        let (Some(phase), Some(relationship)) = (
            Phase::parse(phase.as_str()),
            Relationship::parse(relationship.as_str()),
        ) else {
            continue;
        };
        if !selection.wants_phase(phase) || !selection.wants_relationship(relationship) {
            continue;
        }
        for (module, range) in requirements.as_string_hash() {
            out.push(
                Requirement::parse(&module, &range, phase, relationship).map_err(|error| {
                    InstallError::Target(format!("{}: {module}: {error}", path.display()))
                })?,
            );
        }
    }
    Ok((cpanfile, out))
}

/// The prerequisites of the distribution in `dir` (its `META.json` or `META.yml`), as
/// `cpanm --installdeps .` takes them.
pub fn meta_requirements(
    dir: &Path,
    selection: &PrereqSelection,
) -> Result<Vec<Requirement>, InstallError> {
    let meta = crate::work::read_prereqs(dir, false).ok_or_else(|| {
        InstallError::Target(
            "nothing to install: name modules, or run where a cpanfile or a META.json is".into(),
        )
    })?;
    let mut out = Vec::new();
    for (phase, relationship, requirements) in meta.prereqs.iter() {
        let (Some(phase), Some(relationship)) = (
            Phase::parse(phase.as_str()),
            Relationship::parse(relationship.as_str()),
        ) else {
            continue;
        };
        if !selection.wants_phase(phase) || !selection.wants_relationship(relationship) {
            continue;
        }
        for (module, range) in requirements.as_string_hash() {
            if let Ok(requirement) = Requirement::parse(&module, &range, phase, relationship) {
                out.push(requirement);
            }
        }
    }
    Ok(out)
}

/// A lock to install from: `--locked` (the snapshot's releases wherever it has them) or
/// `--frozen` (nothing outside it).
#[derive(Debug, Clone)]
pub struct LockedSnapshot {
    /// The snapshot, with the SHA-256s of its sidecar when there is one.
    pub snapshot: Snapshot,
    /// Refuse to resolve anything the snapshot lacks.
    pub frozen: bool,
}

impl LockedSnapshot {
    /// Reads `cpanfile.snapshot` (and its sidecar when present) from `dir`.
    pub fn read(dir: &Path, frozen: bool) -> Result<LockedSnapshot, InstallError> {
        let path = dir.join("cpanfile.snapshot");
        let text = std::fs::read_to_string(&path).map_err(|error| {
            InstallError::Target(format!(
                "{}: {error} (--locked and --frozen install from the snapshot a previous install \
                 wrote)",
                path.display()
            ))
        })?;
        let mut snapshot = Snapshot::parse(&text)
            .map_err(|error| InstallError::Target(format!("{}: {error}", path.display())))?;
        let sidecar = dir.join(cpan_cpanfile::SHA256_SIDECAR_FILE_NAME);
        if let Ok(text) = std::fs::read_to_string(&sidecar) {
            snapshot
                .apply_sha256_sidecar(&text)
                .map_err(|error| InstallError::Target(format!("{}: {error}", sidecar.display())))?;
        }
        Ok(LockedSnapshot { snapshot, frozen })
    }

    /// The locked distribution providing `module`.
    pub fn find(&self, module: &str) -> Option<&SnapshotDistribution> {
        self.snapshot.find(module)
    }

    /// The SHA-256 the sidecar records for `pathname`.
    pub fn sha256_of(&self, pathname: &str) -> Option<String> {
        self.snapshot
            .distributions
            .iter()
            .find(|d| d.pathname == pathname)
            .and_then(|d| d.sha256.as_ref())
            .map(|sha| sha.to_hex())
    }

    /// `--locked`: every top-level requirement must be in the snapshot, at a version it
    /// accepts.
    pub fn check_targets(&self, targets: &[Requirement]) -> Result<(), InstallError> {
        let mut missing = Vec::new();
        for target in targets {
            if target.module() == "perl" {
                continue;
            }
            match self.find(target.module()) {
                None => missing.push(format!("{} (not in the snapshot)", target.spec())),
                Some(dist) => {
                    let version = dist
                        .provides
                        .get(target.module())
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| "0".to_string());
                    if !target.range().accepts_str(&version).unwrap_or(false) {
                        missing.push(format!(
                            "{} (the snapshot has {} {version})",
                            target.spec(),
                            dist.name
                        ));
                    }
                }
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(InstallError::Target(format!(
                "cpanfile.snapshot does not satisfy the cpanfile: {}; run without --locked to \
                 update it",
                missing.join(", ")
            )))
        }
    }
}

/// The snapshot of what `local` holds, as Carton builds it: one distribution per main module
/// (the newest when there are several), with its `provides` from `install.json` and its
/// `configure`, `build` and `runtime` requirements from `MYMETA.json`; the SHA-256 riverpan
/// recorded in `install.json` goes to the sidecar.
pub fn snapshot_of(local: &LocalLib) -> Result<Snapshot, InstallError> {
    let meta_dir = local.arch.join(".meta");
    let mut by_name: BTreeMap<String, (cpan_version::Version, SnapshotDistribution)> =
        BTreeMap::new();
    let entries = match std::fs::read_dir(&meta_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Snapshot::default())
        }
        Err(error) => {
            return Err(InstallError::io(format!("reading {}", meta_dir.display()))(
                error,
            ))
        }
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let Ok(text) = std::fs::read_to_string(dir.join("install.json")) else {
            continue;
        };
        let Ok(record) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let text_of = |key: &str| record[key].as_str().map(str::to_string);
        let (Some(name), Some(dist)) = (text_of("name"), text_of("dist")) else {
            continue;
        };
        let mut provides = BTreeMap::new();
        if let Some(map) = record["provides"].as_object() {
            for (package, info) in map {
                let version = match &info["version"] {
                    serde_json::Value::String(v) => Some(v.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                provides.insert(package.clone(), version);
            }
        }
        let mut requirements = cpan_version::Requirements::new();
        if let Some(meta) = crate::work::read_prereqs(&dir, true) {
            for (phase, relationship, reqs) in meta.prereqs.iter() {
                let counted = matches!(phase.as_str(), "configure" | "build" | "runtime")
                    && relationship.as_str() == "requires";
                if counted {
                    let _ = requirements.add_requirements(reqs);
                }
            }
        }
        let version_text = provides
            .get(&name)
            .cloned()
            .flatten()
            .or_else(|| text_of("version"))
            .unwrap_or_else(|| "0".to_string());
        let version = cpan_version::Version::parse(&version_text)
            .or_else(|_| cpan_version::Version::parse("0"))
            .map_err(|error| InstallError::Target(format!("{dist}: {error}")))?;
        let sha256 = text_of("sha256").and_then(|hex| cpan_cpanfile::Sha256::from_hex(&hex));
        let distribution = SnapshotDistribution {
            name: dist,
            pathname: text_of("pathname").unwrap_or_default(),
            provides,
            requirements: requirements.as_string_hash(),
            sha256,
        };
        match by_name.get(&name) {
            Some((existing, _)) if *existing > version => {}
            _ => {
                by_name.insert(name, (version, distribution));
            }
        }
    }
    Ok(Snapshot {
        distributions: by_name.into_values().map(|(_, d)| d).collect(),
    })
}

/// Writes `cpanfile.snapshot` and its SHA-256 sidecar into `dir` (each atomically).
pub fn write_snapshot(dir: &Path, snapshot: &Snapshot) -> Result<(), InstallError> {
    let text = snapshot
        .emit()
        .map_err(|error| InstallError::Target(format!("writing cpanfile.snapshot: {error}")))?;
    let sidecar = snapshot
        .emit_sha256_sidecar()
        .map_err(|error| InstallError::Target(format!("writing the sidecar: {error}")))?;
    for (name, content) in [
        ("cpanfile.snapshot", text),
        (cpan_cpanfile::SHA256_SIDECAR_FILE_NAME, sidecar),
    ] {
        let path = dir.join(name);
        let temp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&temp, content)
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(InstallError::io(format!("writing {}", path.display())))?;
    }
    Ok(())
}
