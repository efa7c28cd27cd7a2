//! `riverpan check`: does every path the store names exist on disk as the store describes it?
//!
//! The store and the CPAN tree can drift apart behind riverpan's back (a file removed or edited
//! by hand, a disk restored from an older backup, an import that once put files at the wrong
//! place), and everything downstream — 02packages, CHECKSUMS, cpanmetadb, the river — trusts
//! the store's paths. This check reads both sides and lists every disagreement; it changes
//! nothing.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{hex, io_error, Repository, RepositoryError};

/// One disagreement between the store and the CPAN tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inconsistency {
    /// What is wrong: `missing_file`, `size_differs`, `sha256_differs`, `index_names_no_upload`,
    /// `index_names_deleted_upload`, `file_without_upload`, `checksums_missing`,
    /// `checksums_out_of_date`.
    pub kind: &'static str,
    /// The path below `authors/id/`.
    pub path: String,
    /// A sentence for a person.
    pub detail: String,
}

/// What [`Repository::check`] found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ConsistencyReport {
    /// Live uploads looked at.
    pub uploads: u64,
    /// Files below `authors/id/` looked at.
    pub files: u64,
    /// Every disagreement, by path.
    pub problems: Vec<Inconsistency>,
}

impl Repository {
    /// Compares the store with the CPAN tree: every live upload's file exists with its recorded
    /// size (and, unless `quick`, its SHA-256); every package of the index points at a live
    /// upload; every file below `authors/id/` (but CHECKSUMS and dot files) is an upload; every
    /// author directory with uploads has a CHECKSUMS that lists them. Hashing runs on all cores.
    pub fn check(&self, quick: bool) -> Result<ConsistencyReport, RepositoryError> {
        use rayon::prelude::*;
        let reader = self.store.reader();
        let uploads = reader.uploads()?;
        let id_root = self.cpan.join("authors/id");
        let mut problems: Vec<Inconsistency> = uploads
            .par_iter()
            .filter_map(|upload| {
                file_problem(&id_root, &upload.path, upload.size, &upload.sha256, quick)
            })
            .collect();

        let live: BTreeSet<&str> = uploads.iter().map(|u| u.path.as_str()).collect();
        let indexed: BTreeSet<String> = reader
            .all_packages()?
            .into_iter()
            .map(|package| package.dist)
            .collect();
        for dist in &indexed {
            if live.contains(dist.as_str()) {
                continue;
            }
            let (kind, why) = match reader.upload_by_path(dist)? {
                Some(_) => ("index_names_deleted_upload", "was deleted"),
                None => ("index_names_no_upload", "was never uploaded"),
            };
            problems.push(Inconsistency {
                kind,
                path: dist.clone(),
                detail: format!("02packages lists packages of {dist}, which {why}"),
            });
        }

        let mut on_disk = Vec::new();
        list_files(&id_root, &id_root, &mut on_disk)?;
        for path in &on_disk {
            let name = path.rsplit('/').next().unwrap_or(path);
            if name == "CHECKSUMS" || name.starts_with('.') || live.contains(path.as_str()) {
                continue;
            }
            problems.push(Inconsistency {
                kind: "file_without_upload",
                path: path.clone(),
                detail: format!(
                    "{path} is on disk but is no accepted upload (served by the mirror, in no \
                     index)"
                ),
            });
        }

        let dirs: BTreeSet<&str> = live
            .iter()
            .filter_map(|path| path.rsplit_once('/').map(|(dir, _)| dir))
            .collect();
        for dir in dirs {
            let checksums = id_root.join(dir).join("CHECKSUMS");
            let Ok(text) = std::fs::read_to_string(&checksums) else {
                problems.push(Inconsistency {
                    kind: "checksums_missing",
                    path: format!("{dir}/CHECKSUMS"),
                    detail: format!("{dir} has uploads but no CHECKSUMS"),
                });
                continue;
            };
            for path in live.iter().filter(|path| {
                path.rsplit_once('/').is_some_and(|(d, name)| {
                    d == dir && !riverpan_publish::is_excluded_from_checksums(name)
                })
            }) {
                let name = path.rsplit('/').next().unwrap_or(path);
                if !text.contains(&format!("'{name}' => {{")) {
                    problems.push(Inconsistency {
                        kind: "checksums_out_of_date",
                        path: path.to_string(),
                        detail: format!("{dir}/CHECKSUMS does not list {name}"),
                    });
                }
            }
        }
        problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.kind.cmp(b.kind)));
        Ok(ConsistencyReport {
            uploads: uploads.len() as u64,
            files: on_disk.len() as u64,
            problems,
        })
    }
}

/// What is wrong with one upload's file, if anything.
fn file_problem(
    id_root: &Path,
    path: &str,
    size: i64,
    sha256: &str,
    quick: bool,
) -> Option<Inconsistency> {
    let file = id_root.join(path);
    let problem = |kind: &'static str, detail: String| {
        Some(Inconsistency {
            kind,
            path: path.to_string(),
            detail,
        })
    };
    let metadata = match std::fs::metadata(&file) {
        Ok(metadata) if metadata.is_file() => metadata,
        Ok(_) => return problem("missing_file", format!("{path} is not a file")),
        Err(error) => {
            return problem(
                "missing_file",
                format!("{path} is an upload but its file cannot be read: {error}"),
            )
        }
    };
    if metadata.len() as i64 != size {
        return problem(
            "size_differs",
            format!(
                "{path} has {} bytes on disk, {size} when it was uploaded",
                metadata.len()
            ),
        );
    }
    if quick {
        return None;
    }
    match std::fs::read(&file) {
        Ok(bytes) if hex(&Sha256::digest(&bytes)) == sha256 => None,
        Ok(_) => problem(
            "sha256_differs",
            format!("{path} has other bytes on disk than were uploaded"),
        ),
        Err(error) => problem("missing_file", format!("{path} cannot be read: {error}")),
    }
}

/// Every file below `dir`, as paths relative to `root` (links are not followed).
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), RepositoryError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(io_error(format!("reading {}", dir.display()))(error)),
    };
    for entry in entries {
        let entry = entry.map_err(io_error(format!("reading {}", dir.display())))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(io_error(format!("stat {}", path.display())))?;
        if kind.is_dir() {
            list_files(root, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            out.push(relative.to_string_lossy().into_owned());
        }
    }
    Ok(())
}
