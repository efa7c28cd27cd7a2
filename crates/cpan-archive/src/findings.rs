//! Dist-level findings PAUSE's indexer acts on (`PAUSE::dist` `check_blib`,
//! `check_multiple_root`, `check_world_writable`, `extract_readme_and_meta`).

use crate::{ArchiveListing, Entry, EntryKind};
use std::collections::BTreeSet;

/// How many directory levels PAUSE's `check_blib` steps down before giving up.
const BLIB_MAX_STEPS: usize = 11;

/// Something about a distribution's layout that stops PAUSE from indexing it (or that PAUSE
/// reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistFinding {
    /// More than one top-level entry, or a single top-level file (PAUSE `check_multiple_root`).
    MultipleRoots {
        /// The top-level names, sorted.
        roots: Vec<String>,
    },
    /// A `blib/` directory (PAUSE `check_blib`).
    Blib {
        /// The first entry found inside (or being) the blib directory.
        path: String,
    },
    /// World-writable files or directories.
    WorldWritable {
        /// The world-writable entries, in archive order.
        paths: Vec<String>,
    },
    /// The META file PAUSE would read is a symlink (PAUSE ignores it).
    SymlinkedMeta {
        /// The META file.
        path: String,
    },
    /// The README PAUSE would copy is a symlink (PAUSE ignores it).
    SymlinkedReadme {
        /// The README.
        path: String,
    },
}

impl DistFinding {
    /// A stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            DistFinding::MultipleRoots { .. } => "multiple_roots",
            DistFinding::Blib { .. } => "blib",
            DistFinding::WorldWritable { .. } => "world_writable",
            DistFinding::SymlinkedMeta { .. } => "symlinked_meta",
            DistFinding::SymlinkedReadme { .. } => "symlinked_readme",
        }
    }

    /// The sentence PAUSE's indexer report uses (or would use) for this finding.
    pub fn message(&self) -> String {
        match self {
            DistFinding::MultipleRoots { roots } => format!(
                "The distribution does not unpack into a single directory and is therefore not \
                 being indexed. Hint: try 'make dist' or 'Build dist'. (The directory entries \
                 found were: {})",
                roots.join(" ")
            ),
            DistFinding::Blib { .. } => "The distribution contains a blib/ directory and is \
                 therefore not being indexed. Hint: try 'make dist'."
                .to_string(),
            DistFinding::WorldWritable { paths } => format!(
                "The distribution contains the following world writable directories or files \
                 and is therefore considered a security breach and as such not being indexed: {}",
                paths.join(", ")
            ),
            DistFinding::SymlinkedMeta { path } => {
                format!("found {path} but it was a symlink, ignoring")
            }
            DistFinding::SymlinkedReadme { .. } => {
                "found README but it was a symlink, ignoring".to_string()
            }
        }
    }
}

fn first_component(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// What PAUSE's `ExtUtils::Manifest::manifind` sees after extraction: every non-directory,
/// sorted by path (the archive root "." is not a path).
fn manifound(listing: &ArchiveListing) -> Vec<&Entry> {
    let mut found: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| entry.kind != EntryKind::Directory && entry.path != ".")
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    found
}

fn top_level_names(paths: &[&str]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|path| first_component(path).to_string())
        .collect()
}

pub(crate) fn root(listing: &ArchiveListing) -> Option<&str> {
    let relevant: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|entry| entry.path != ".")
        .collect();
    let files: Vec<&str> = relevant
        .iter()
        .filter(|entry| entry.kind != EntryKind::Directory)
        .map(|entry| entry.path.as_str())
        .collect();
    // An archive of empty directories only still has a root.
    let basis: Vec<&str> = if files.is_empty() {
        relevant.iter().map(|entry| entry.path.as_str()).collect()
    } else {
        files
    };
    let top = first_component(basis.first()?);
    if basis.iter().any(|path| first_component(path) != top) {
        return None;
    }
    // The single top-level name must be a directory, not a file.
    let below = relevant.iter().any(|entry| {
        entry
            .path
            .strip_prefix(top)
            .is_some_and(|rest| rest.starts_with('/'))
    });
    let top_is_not_directory = relevant
        .iter()
        .any(|entry| entry.path == top && entry.kind != EntryKind::Directory);
    let top_is_directory_entry = relevant
        .iter()
        .any(|entry| entry.path == top && entry.kind == EntryKind::Directory);
    if top_is_not_directory || !(below || top_is_directory_entry) {
        return None;
    }
    Some(top)
}

/// PAUSE's `check_blib`, including its walk down a chain of single-child directories.
fn blib(listing: &ArchiveListing, found: &[&Entry]) -> Option<String> {
    let direct = |path: &str| {
        let mut parts = path.splitn(3, '/');
        parts.next();
        parts.next() == Some("blib")
    };
    if let Some(entry) = listing
        .entries
        .iter()
        .find(|entry| direct(&entry.path) && entry.path.contains('/'))
    {
        return Some(entry.path.clone());
    }
    // (original path, what remains after stepping down)
    let mut remaining: Vec<(&str, &str)> = found
        .iter()
        .map(|entry| (entry.path.as_str(), entry.path.as_str()))
        .collect();
    for _ in 0..BLIB_MAX_STEPS {
        let tops = top_level_names(&remaining.iter().map(|(_, r)| *r).collect::<Vec<_>>());
        if tops.len() == 1 {
            let top = tops.into_iter().next()?;
            let prefix = format!("{top}/");
            let mut stepped = false;
            for (_, rest) in remaining.iter_mut() {
                if let Some(stripped) = rest.strip_prefix(prefix.as_str()) {
                    *rest = stripped;
                    stepped = true;
                }
            }
            if !stepped {
                return None;
            }
            continue;
        }
        return remaining
            .iter()
            .find(|(_, rest)| rest.starts_with("blib/"))
            .map(|(original, _)| original.to_string());
    }
    None
}

/// PAUSE's choice of the META file: the shortest `*/META.json` not under a `/t/`, unless it
/// is more than one byte longer than the shortest `*/META.yml`.
fn chosen_meta<'e>(found: &[&'e Entry]) -> Option<&'e Entry> {
    let shortest = |suffix: &str| {
        found
            .iter()
            .filter(|entry| entry.path.ends_with(suffix) && !entry.path.contains("/t/"))
            .fold(None::<&Entry>, |best, entry| match best {
                Some(best) if best.path.len() <= entry.path.len() => Some(best),
                _ => Some(entry),
            })
    };
    let json = shortest("/META.json");
    let yaml = shortest("/META.yml");
    match (json, yaml) {
        (Some(json), Some(yaml)) if json.path.len() > yaml.path.len() + 1 => Some(yaml),
        (Some(json), _) => Some(json),
        (None, yaml) => yaml,
    }
}

/// PAUSE's README: the shortest path with a component starting with "readme" (any case).
fn chosen_readme<'e>(found: &[&'e Entry]) -> Option<&'e Entry> {
    found
        .iter()
        .filter(|entry| {
            entry.path.split('/').any(|part| {
                part.get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case("readme"))
            })
        })
        .fold(None, |best: Option<&Entry>, entry| match best {
            Some(best) if best.path.len() <= entry.path.len() => Some(best),
            _ => Some(entry),
        })
}

pub(crate) fn findings(listing: &ArchiveListing) -> Vec<DistFinding> {
    let mut findings = Vec::new();
    let found = manifound(listing);
    let found_paths: Vec<&str> = found.iter().map(|entry| entry.path.as_str()).collect();
    let tops = top_level_names(&found_paths);
    let single_file_root = tops.len() == 1 && found_paths.iter().any(|path| !path.contains('/'));
    if tops.len() > 1 || single_file_root {
        findings.push(DistFinding::MultipleRoots {
            roots: tops.into_iter().collect(),
        });
    }
    if let Some(path) = blib(listing, &found) {
        findings.push(DistFinding::Blib { path });
    }
    let world_writable: Vec<String> = listing
        .entries
        .iter()
        .filter(|entry| {
            matches!(entry.kind, EntryKind::File | EntryKind::Directory) && entry.mode & 0o002 != 0
        })
        .map(|entry| entry.path.clone())
        .collect();
    if !world_writable.is_empty() {
        findings.push(DistFinding::WorldWritable {
            paths: world_writable,
        });
    }
    if let Some(meta) = chosen_meta(&found) {
        if matches!(meta.kind, EntryKind::Symlink { .. }) {
            findings.push(DistFinding::SymlinkedMeta {
                path: meta.path.clone(),
            });
        }
    }
    if let Some(readme) = chosen_readme(&found) {
        if matches!(readme.kind, EntryKind::Symlink { .. }) {
            findings.push(DistFinding::SymlinkedReadme {
                path: readme.path.clone(),
            });
        }
    }
    findings
}
