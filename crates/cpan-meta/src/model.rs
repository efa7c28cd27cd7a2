//! The spec-2 model built from the converted structure.

use crate::convert::convert_to_2;
use crate::error::{ErrorKind, MetaError};
use crate::RawValue;
use cpan_version::Requirements;
use std::collections::BTreeMap;

/// `release_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReleaseStatus {
    /// `stable`
    Stable,
    /// `testing`
    Testing,
    /// `unstable`
    Unstable,
}

impl ReleaseStatus {
    /// The spec's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Stable => "stable",
            ReleaseStatus::Testing => "testing",
            ReleaseStatus::Unstable => "unstable",
        }
    }
}

/// A prerequisite phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// `configure`
    Configure,
    /// `build`
    Build,
    /// `test`
    Test,
    /// `runtime`
    Runtime,
    /// `develop`
    Develop,
}

impl Phase {
    /// Every phase, in the spec's order.
    pub const ALL: [Phase; 5] = [
        Phase::Configure,
        Phase::Build,
        Phase::Test,
        Phase::Runtime,
        Phase::Develop,
    ];

    /// The spec's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Build => "build",
            Phase::Test => "test",
            Phase::Runtime => "runtime",
            Phase::Develop => "develop",
        }
    }
}

/// A prerequisite relationship.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// `requires`
    Requires,
    /// `recommends`
    Recommends,
    /// `suggests`
    Suggests,
    /// `conflicts`
    Conflicts,
}

impl Relationship {
    /// Every relationship, in the spec's order.
    pub const ALL: [Relationship; 4] = [
        Relationship::Requires,
        Relationship::Recommends,
        Relationship::Suggests,
        Relationship::Conflicts,
    ];

    /// The spec's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Requires => "requires",
            Relationship::Recommends => "recommends",
            Relationship::Suggests => "suggests",
            Relationship::Conflicts => "conflicts",
        }
    }
}

/// `prereqs`: phase × relationship → requirements (only the pairs present in the file).
#[derive(Clone, Debug, Default)]
pub struct Prereqs {
    entries: BTreeMap<(Phase, Relationship), Requirements>,
}

impl Prereqs {
    /// The requirements of one phase and relationship, if the metadata lists any.
    pub fn requirements(&self, phase: Phase, relationship: Relationship) -> Option<&Requirements> {
        self.entries.get(&(phase, relationship))
    }

    /// Every (phase, relationship, requirements) present.
    pub fn iter(&self) -> impl Iterator<Item = (Phase, Relationship, &Requirements)> {
        self.entries.iter().map(|((p, r), req)| (*p, *r, req))
    }

    fn from_raw(raw: Option<&RawValue>) -> Result<Prereqs, MetaError> {
        let mut entries = BTreeMap::new();
        for phase in Phase::ALL {
            let Some(rels) = raw.and_then(|r| r.get(phase.as_str())) else {
                continue;
            };
            for rel in Relationship::ALL {
                let Some(RawValue::Map(modules)) = rels.get(rel.as_str()) else {
                    continue;
                };
                let pairs: Vec<(String, String)> = modules
                    .iter()
                    .map(|(m, v)| (m.clone(), v.as_perl_string().unwrap_or_default()))
                    .collect();
                let req = Requirements::from_string_hash(
                    pairs.iter().map(|(m, v)| (m.as_str(), v.as_str())),
                )
                .map_err(|e| MetaError::new(ErrorKind::Conversion, e.to_string()))?;
                entries.insert((phase, rel), req);
            }
        }
        Ok(Prereqs { entries })
    }
}

/// One `provides` entry.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProvidedPackage {
    /// The file the package is in.
    pub file: Option<String>,
    /// Its version, cleaned up as `_clean_version` does.
    pub version: Option<String>,
}

/// `no_index`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NoIndex {
    /// File paths.
    pub file: Vec<String>,
    /// Directory paths.
    pub directory: Vec<String>,
    /// Package names.
    pub package: Vec<String>,
    /// Namespaces (their packages and everything below them).
    pub namespace: Vec<String>,
}

/// `resources.bugtracker`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Bugtracker {
    /// The web page.
    pub web: Option<String>,
    /// The mail address.
    pub mailto: Option<String>,
}

/// `resources.repository`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Repository {
    /// The URL to clone or check out.
    pub url: Option<String>,
    /// The web page.
    pub web: Option<String>,
    /// `git`, `svn`, ….
    pub type_: Option<String>,
}

/// `resources`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Resources {
    /// The home page.
    pub homepage: Option<String>,
    /// The bug tracker.
    pub bugtracker: Option<Bugtracker>,
    /// The source repository.
    pub repository: Option<Repository>,
    /// URLs of the license texts.
    pub license: Vec<String>,
    /// The `x_` keys, as they are.
    pub x_: BTreeMap<String, RawValue>,
}

/// One `optional_features` entry.
#[derive(Clone, Debug, Default)]
pub struct OptionalFeature {
    /// Its description.
    pub description: Option<String>,
    /// Its prerequisites.
    pub prereqs: Prereqs,
}

/// Distribution metadata in the spec-2 form `CPAN::Meta` gives.
#[derive(Clone, Debug)]
pub struct CpanMeta {
    /// `meta-spec.version` (always `2` after conversion).
    pub meta_spec_version: String,
    /// `name`.
    pub name: Option<String>,
    /// `version`, as written.
    pub version: Option<String>,
    /// `abstract` (`unknown` when missing).
    pub abstract_: Option<String>,
    /// `author`.
    pub author: Vec<String>,
    /// `license`: spec-2 names.
    pub license: Vec<String>,
    /// `release_status`.
    pub release_status: ReleaseStatus,
    /// `dynamic_config`.
    pub dynamic_config: bool,
    /// `generated_by` (with the converter's signature appended, as Perl does).
    pub generated_by: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `prereqs`.
    pub prereqs: Prereqs,
    /// `provides`.
    pub provides: BTreeMap<String, ProvidedPackage>,
    /// `no_index`.
    pub no_index: NoIndex,
    /// `resources`.
    pub resources: Resources,
    /// `optional_features`.
    pub optional_features: BTreeMap<String, OptionalFeature>,
    /// `x_authority`.
    pub x_authority: Option<String>,
    /// `x_breaks`: module → requirement string.
    pub x_breaks: BTreeMap<String, String>,
    /// Every other custom (`x_`/`X_`) top-level key, as it is.
    pub extensions: BTreeMap<String, RawValue>,
    /// The whole converted structure (what `as_struct` returns).
    pub converted: RawValue,
}

fn scalar(v: Option<&RawValue>) -> Option<String> {
    v.and_then(RawValue::as_perl_string)
}

fn strings(v: Option<&RawValue>) -> Vec<String> {
    match v {
        Some(RawValue::Array(items)) => items.iter().filter_map(RawValue::as_perl_string).collect(),
        Some(other) => other.as_perl_string().into_iter().collect(),
        None => Vec::new(),
    }
}

impl CpanMeta {
    /// `CPAN::Meta->new($raw, { lazy_validation => 1 })`: converts (from spec 1.0–1.4 or
    /// cleans up spec 2) and validates as `CPAN::Meta::Converter` does; fails where it dies.
    pub fn from_raw(raw: &RawValue) -> Result<CpanMeta, MetaError> {
        let converted = convert_to_2(raw)?;
        let get = |k: &str| converted.get(k);
        let release_status = match scalar(get("release_status")).as_deref() {
            Some("testing") => ReleaseStatus::Testing,
            Some("unstable") => ReleaseStatus::Unstable,
            _ => ReleaseStatus::Stable,
        };
        let mut provides = BTreeMap::new();
        if let Some(RawValue::Map(m)) = get("provides") {
            for (package, entry) in m {
                provides.insert(
                    package.clone(),
                    ProvidedPackage {
                        file: scalar(entry.get("file")),
                        version: scalar(entry.get("version")),
                    },
                );
            }
        }
        let no_index_raw = get("no_index");
        let no_index = NoIndex {
            file: strings(no_index_raw.and_then(|n| n.get("file"))),
            directory: strings(no_index_raw.and_then(|n| n.get("directory"))),
            package: strings(no_index_raw.and_then(|n| n.get("package"))),
            namespace: strings(no_index_raw.and_then(|n| n.get("namespace"))),
        };
        let res = get("resources");
        let resources = Resources {
            homepage: scalar(res.and_then(|r| r.get("homepage"))),
            bugtracker: res.and_then(|r| r.get("bugtracker")).map(|b| Bugtracker {
                web: scalar(b.get("web")),
                mailto: scalar(b.get("mailto")),
            }),
            repository: res.and_then(|r| r.get("repository")).map(|b| Repository {
                url: scalar(b.get("url")),
                web: scalar(b.get("web")),
                type_: scalar(b.get("type")),
            }),
            license: strings(res.and_then(|r| r.get("license"))),
            x_: match res {
                Some(RawValue::Map(m)) => m
                    .iter()
                    .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x_"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                _ => BTreeMap::new(),
            },
        };
        let mut optional_features = BTreeMap::new();
        if let Some(RawValue::Map(m)) = get("optional_features") {
            for (name, feature) in m {
                optional_features.insert(
                    name.clone(),
                    OptionalFeature {
                        description: scalar(feature.get("description")),
                        prereqs: Prereqs::from_raw(feature.get("prereqs"))?,
                    },
                );
            }
        }
        let mut x_breaks = BTreeMap::new();
        if let Some(RawValue::Map(m)) = get("x_breaks") {
            for (module, requirement) in m {
                x_breaks.insert(
                    module.clone(),
                    requirement.as_perl_string().unwrap_or_default(),
                );
            }
        }
        let extensions = match &converted {
            RawValue::Map(m) => m
                .iter()
                .filter(|(k, _)| {
                    k.to_ascii_lowercase().starts_with("x_")
                        && k.as_str() != "x_authority"
                        && k.as_str() != "x_breaks"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => BTreeMap::new(),
        };
        Ok(CpanMeta {
            meta_spec_version: scalar(get("meta-spec").and_then(|m| m.get("version")))
                .unwrap_or_else(|| "2".to_string()),
            name: scalar(get("name")),
            version: scalar(get("version")),
            abstract_: scalar(get("abstract")),
            author: strings(get("author")),
            license: strings(get("license")),
            release_status,
            dynamic_config: get("dynamic_config").is_some_and(RawValue::is_truthy),
            generated_by: scalar(get("generated_by")),
            description: scalar(get("description")),
            keywords: strings(get("keywords")),
            prereqs: Prereqs::from_raw(get("prereqs"))?,
            provides,
            no_index,
            resources,
            optional_features,
            x_authority: scalar(get("x_authority")),
            x_breaks,
            extensions,
            converted: converted.clone(),
        })
    }

    /// The license as an SPDX expression (`perl_5` → `Artistic-1.0-Perl OR
    /// GPL-1.0-or-later`); `None` when any name has no SPDX equivalent (`open_source`,
    /// `restricted`, `unrestricted`, `unknown`) or there is none.
    pub fn license_spdx(&self) -> Option<String> {
        let mut parts = Vec::new();
        for name in &self.license {
            let spdx = match name.as_str() {
                "agpl_3" => "AGPL-3.0-only",
                "apache_1_1" => "Apache-1.1",
                "apache_2_0" => "Apache-2.0",
                "artistic_1" => "Artistic-1.0",
                "artistic_2" => "Artistic-2.0",
                "bsd" => "BSD-3-Clause",
                "freebsd" => "BSD-2-Clause-FreeBSD",
                "gfdl_1_2" => "GFDL-1.2-or-later",
                "gfdl_1_3" => "GFDL-1.3-or-later",
                "gpl_1" => "GPL-1.0-only",
                "gpl_2" => "GPL-2.0-only",
                "gpl_3" => "GPL-3.0-only",
                "lgpl_2_1" => "LGPL-2.1-only",
                "lgpl_3_0" => "LGPL-3.0-only",
                "mit" => "MIT",
                "mozilla_1_0" => "MPL-1.0",
                "mozilla_1_1" => "MPL-1.1",
                "openssl" => "OpenSSL",
                "perl_5" => "Artistic-1.0-Perl OR GPL-1.0-or-later",
                "qpl_1_0" => "QPL-1.0",
                "ssleay" => "SSLeay-standalone",
                "sun" => "SISSL",
                "zlib" => "Zlib",
                _ => return None,
            };
            if !parts.contains(&spdx) {
                parts.push(spdx);
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.first().map(|s| s.to_string()),
            _ => Some(
                parts
                    .iter()
                    .map(|p| {
                        if p.contains(" OR ") {
                            format!("({p})")
                        } else {
                            p.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
        }
    }
}
