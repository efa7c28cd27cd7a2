//! Successful builds kept for reuse (what Carmel does, and cpm only for three hard-coded
//! mirrors): a built distribution directory (`blib/`, `MYMETA.json`, …) is stored under a key
//! made of the tarball's SHA-256, the perl's identity (version, archname and a hash of its
//! configuration) and the build options; a later install anywhere — another project, a fresh
//! local lib — takes it instead of configuring and building again.
//!
//! Known limit (cpm's too): the key does not include the versions of the dependencies an XS
//! distribution was compiled against.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::perl::Perl;
use crate::source::sha256_hex;

/// `CACHE/builds/<key>/dist/` with a `.complete` marker beside `dist/`.
#[derive(Debug, Clone)]
pub struct BuildCache {
    dir: PathBuf,
}

/// Bumped when what is stored changes shape.
const FORMAT: &str = "riverpan-build-1";

impl BuildCache {
    /// The cache below `dir`.
    pub fn new(dir: &Path) -> BuildCache {
        BuildCache {
            dir: dir.to_path_buf(),
        }
    }

    /// The directory of the cache.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a build of the tarball `sha256` with `perl` and these options.
    pub fn key(sha256: &str, perl: &Perl, pureperl: bool) -> String {
        sha256_hex(
            format!(
                "{FORMAT}\n{sha256}\n{}\n{}\n{}\npureperl={pureperl}\n",
                perl.version, perl.archname, perl.identity
            )
            .as_bytes(),
        )
    }

    /// The built distribution stored under `key`, if any (marked as used, for `prune`).
    pub fn lookup(&self, key: &str) -> Option<PathBuf> {
        let entry = self.dir.join(key);
        let marker = entry.join(".complete");
        if !marker.is_file() {
            return None;
        }
        if let Ok(file) = std::fs::File::options().write(true).open(&marker) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(entry.join("dist"))
    }

    /// Stores a copy of the built distribution `root` under `key` (atomically: a reader sees
    /// the whole entry or none). Failing to cache is not an install error.
    pub fn store(&self, key: &str, root: &Path) {
        let entry = self.dir.join(key);
        if entry.join(".complete").is_file() {
            return;
        }
        let temp = self.dir.join(format!(
            ".{key}.{}.{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let stored = keep_build(root, &temp.join("dist"))
            .and_then(|()| std::fs::write(temp.join(".complete"), b""))
            .and_then(|()| std::fs::rename(&temp, &entry));
        if let Err(error) = stored {
            let _ = std::fs::remove_dir_all(&temp);
            tracing::debug!("could not cache the build of {}: {error}", root.display());
        }
    }

    /// Removes the entries not used for `unused_for`; returns how many.
    pub fn prune(&self, unused_for: Duration) -> std::io::Result<usize> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(0);
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let used = std::fs::metadata(path.join(".complete")).and_then(|m| m.modified());
            let stale = match used {
                Ok(time) => time.elapsed().unwrap_or_default() > unused_for,
                Err(_) => true, // an unfinished entry left by a crash
            };
            if stale {
                std::fs::remove_dir_all(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// What a later install of the build needs: its `blib/` (hard-linked when the cache and the
/// work directory share a file system — what a build wrote there is never rewritten in place —
/// else copied) and the files at its top (`Makefile.PL`/`Build.PL`, `META`, `MYMETA`: copied).
/// The sources and tests are not kept.
fn keep_build(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() && entry.file_name() == "blib" {
            copy_tree(&entry.path(), &target, true)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies a directory tree (files with their permissions; links are copied as what they point
/// at when that is a file inside the tree, otherwise left out); with `link`, files are
/// hard-linked when they can be.
fn copy_tree(from: &Path, to: &Path, link: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, link)?;
        } else if kind.is_file() {
            if !link || std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target)?;
            }
        } else if kind.is_symlink() {
            let resolved = std::fs::canonicalize(entry.path());
            if let Ok(resolved) = resolved {
                if resolved.starts_with(from) && resolved.is_file() {
                    std::fs::copy(&resolved, &target)?;
                }
            }
        }
    }
    Ok(())
}
