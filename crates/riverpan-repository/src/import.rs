//! `riverpan import`: a CPAN tree (a mirror, a minicpan, another riverpan's `cpan/`) taken in as
//! uploads, oldest file first, and indexed with the repository's policy.
//!
//! The work per file is split by what it needs. Reading, hashing and inspecting an archive is
//! independent per file: it runs on every core, one batch ahead of the rest. Storing and
//! indexing is sequential: one transaction per batch. The guarantee is an upload's — a file is
//! durable before the row that accepts it commits — paid once per batch instead of once per
//! file: the batch's files are written (temp file, rename) without waiting for the disk, made
//! durable together (one `syncfs` on Linux, an fsync per file and directory elsewhere), and
//! only then is the transaction committed. A crash loses at most the batch in progress, whose
//! files are simply imported again.
//!
//! Each file is read once: the CHECKSUMS entry (digests of the file and of its decompressed
//! stream) is computed while the archive is inspected, from the stream the inspection
//! decompresses anyway, and handed to the publishing, which would otherwise read and
//! decompress every file a second time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use riverpan_indexer::Upload;
use riverpan_inspect::DistInspection;
use riverpan_publish::ChecksumEntry;
use riverpan_store::AuthorRecord;
use sha2::{Digest, Sha256};

use crate::{
    author_dir, check_userid, failpoint, hex, index_in, io_error, publish, Repository,
    RepositoryError,
};

/// Files per batch (one transaction, one sync) unless `RIVERPAN_IMPORT_BATCH` says otherwise.
const DEFAULT_BATCH_FILES: usize = 500;
/// A batch also ends at this many bytes, so that memory stays bounded whatever the tree holds.
const BATCH_BYTES: u64 = 256 * 1024 * 1024;

/// What `import` did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Files uploaded.
    pub uploaded: u64,
    /// Files not uploaded, with why.
    pub skipped: Vec<String>,
}

/// A file found in the tree.
struct FoundFile {
    /// Path below the tree's `authors/id/` (or the tree itself).
    path: String,
    mtime: i64,
    size: u64,
}

/// A file read, hashed, inspected and staged, ready to be accepted and indexed.
struct PreparedUpload {
    /// Where it goes below `authors/id/`.
    path: String,
    userid: String,
    /// A copy written beside its place (a dot file: not listed, not served), renamed into place
    /// when the upload is accepted; `None` when the tree is the repository's own.
    staged: Option<Staged>,
    size: u64,
    sha256: String,
    mtime: i64,
    inspection: DistInspection,
    /// Its CHECKSUMS entry (`None` for names CHECKSUMS leaves out).
    checksum: Option<ChecksumEntry>,
}

/// A staged copy and where it goes. Removed when dropped unless it was moved into place.
struct Staged {
    temp: PathBuf,
    target: PathBuf,
    placed: bool,
}

impl Staged {
    fn place(mut self) -> Result<PathBuf, RepositoryError> {
        std::fs::rename(&self.temp, &self.target).map_err(io_error(format!(
            "moving {} into place",
            self.target.display()
        )))?;
        self.placed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            // Best effort: a leftover dot file is not part of CPAN and is replaced next time.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// CHECKSUMS entries computed by the import, by path below `authors/id/`; the publishing uses
/// one only while the file still has the size and mtime it describes.
pub(crate) type KnownChecksums = BTreeMap<String, ChecksumEntry>;

impl Repository {
    /// Imports a CPAN tree (`TREE/authors/id/X/XX/AUTHOR/...`, or `TREE/X/XX/AUTHOR/...`, or a
    /// flat `TREE/AUTHOR/...`): registers unknown authors and uploads every file in mtime
    /// order. A file of a tree in CPAN's layout keeps exactly its path (a mirror's URLs stay
    /// valid); files already uploaded are skipped, so an interrupted import can be run again.
    /// `progress(done, total)` is called as files are processed.
    pub fn import(
        &mut self,
        tree: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<ImportSummary, RepositoryError> {
        let started = Instant::now();
        let id_root = if tree.join("authors/id").is_dir() {
            tree.join("authors/id")
        } else {
            tree.to_path_buf()
        };
        let mut files = Vec::new();
        let mut summary = ImportSummary::default();
        collect_files(&id_root, &id_root, &mut files, &mut summary.skipped)?;
        files.sort_by(|a, b| a.mtime.cmp(&b.mtime).then_with(|| a.path.cmp(&b.path)));
        let cpan_ids = self.cpan.join("authors/id");
        // Two files of the tree for one place (`AUTHOR/x` beside `A/AU/AUTHOR/x`): the first
        // is imported, the other reported, so that no two staged copies race for one path.
        let mut places = BTreeSet::new();
        files.retain(|found| match import_location(&found.path) {
            Some((_, path)) if !places.insert(path.clone()) => {
                summary.skipped.push(format!(
                    "{}: {path} comes from another file of the tree",
                    found.path
                ));
                false
            }
            _ => true,
        });
        let total = files.len() as u64;
        let batch_files: usize = std::env::var("RIVERPAN_IMPORT_BATCH")
            .ok()
            .and_then(|value| value.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_BATCH_FILES);
        let batches = batches(&files, batch_files, BATCH_BYTES);
        let policy = self.policy()?;
        let mut known = KnownChecksums::new();
        let mut touched = BTreeSet::new();
        let mut done = 0u64;
        let mut timings = Timings::default();

        std::thread::scope(|scope| -> Result<(), RepositoryError> {
            // One batch ahead: while this thread stores and indexes batch k, the other prepares
            // batch k + 1 on every core.
            let (sender, receiver) = std::sync::mpsc::sync_channel(1);
            let id_root = &id_root;
            let cpan_ids = &cpan_ids;
            let files = &files;
            scope.spawn(move || {
                use rayon::prelude::*;
                for range in batches {
                    let Some(batch) = files.get(range) else {
                        break;
                    };
                    let prepared: Vec<Result<PreparedUpload, RepositoryError>> = batch
                        .par_iter()
                        .map(|found| prepare(id_root, cpan_ids, found))
                        .collect();
                    if sender.send(prepared).is_err() {
                        break; // the indexing side stopped on an error
                    }
                }
            });
            for batch in receiver {
                let waited = Instant::now();
                self.import_batch(
                    batch,
                    policy,
                    &mut summary,
                    (&mut known, &mut touched),
                    &mut timings,
                    &mut |count| {
                        done += count;
                        progress(done, total);
                    },
                )?;
                timings.batches += waited.elapsed();
            }
            Ok(())
        })?;

        let publishing = Instant::now();
        // Only the directories the import wrote into have new CHECKSUMS.
        self.publish_with(publish::ChecksumScope::Only(&touched), Some(&known))?;
        let publish_time = publishing.elapsed();
        let river = Instant::now();
        self.keep_river_current();
        tracing::info!(
            files = total,
            uploaded = summary.uploaded,
            total_s = started.elapsed().as_secs_f64(),
            store_and_index_s = timings.batches.as_secs_f64(),
            of_which_writing_s = timings.writing.as_secs_f64(),
            of_which_syncing_s = timings.syncing.as_secs_f64(),
            of_which_committing_s = timings.committing.as_secs_f64(),
            publish_s = publish_time.as_secs_f64(),
            river_s = river.elapsed().as_secs_f64(),
            "import finished"
        );
        Ok(summary)
    }

    /// Stores and indexes one prepared batch in one transaction.
    fn import_batch(
        &mut self,
        batch: Vec<Result<PreparedUpload, RepositoryError>>,
        policy: riverpan_indexer::Policy,
        summary: &mut ImportSummary,
        (known, touched): (&mut KnownChecksums, &mut BTreeSet<String>),
        timings: &mut Timings,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), RepositoryError> {
        let tx = self.store.index_transaction()?;
        let mut written = Vec::new();
        let mut accepted = Vec::new();
        for prepared in batch {
            progress(1);
            let prepared = match prepared {
                Ok(prepared) => prepared,
                Err(error) => {
                    summary.skipped.push(error.to_string());
                    continue;
                }
            };
            if tx.upload_by_path(&prepared.path)?.is_some() {
                summary
                    .skipped
                    .push(format!("{}: already uploaded", prepared.path));
                continue;
            }
            if tx.author(&prepared.userid)?.is_none() {
                tx.upsert_author(
                    &AuthorRecord {
                        userid: prepared.userid.clone(),
                        fullname: prepared.userid.clone(),
                        email: None,
                        pumpking: false,
                    },
                    prepared.mtime,
                )?;
                tx.bump_counter(publish::AUTHORS_COUNTER)?;
            }
            if let Some(staged) = prepared.staged {
                let writing = Instant::now();
                written.push(staged.place()?);
                timings.writing += writing.elapsed();
            }
            let upload_id = tx.insert_upload(
                &prepared.path,
                &prepared.userid,
                prepared.size as i64,
                &prepared.sha256,
                prepared.mtime,
                prepared.mtime,
            )?;
            let upload = Upload {
                uploader: prepared.userid.clone(),
                dist: prepared.path.clone(),
                mtime: prepared.mtime,
            };
            index_in(
                &tx,
                upload_id,
                &upload,
                &prepared.inspection,
                policy,
                prepared.mtime,
            )?;
            summary.uploaded += 1;
            accepted.push((prepared.path, prepared.checksum));
        }
        // The files of the batch are durable before the rows that accept them commit.
        let syncing = Instant::now();
        if !written.is_empty() {
            riverpan_publish::make_durable(&written)
                .map_err(io_error("making the imported files durable"))?;
        }
        timings.syncing += syncing.elapsed();
        failpoint("import_before_commit");
        let committing = Instant::now();
        tx.commit()?;
        timings.committing += committing.elapsed();
        for (path, checksum) in accepted {
            if let Some((dir, _)) = path.rsplit_once('/') {
                touched.insert(dir.to_string());
            }
            if let Some(checksum) = checksum {
                known.insert(path, checksum);
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Timings {
    batches: Duration,
    writing: Duration,
    syncing: Duration,
    committing: Duration,
}

/// Splits `files` into consecutive ranges of at most `max_files` files and (unless one file is
/// larger) `max_bytes` bytes.
fn batches(files: &[FoundFile], max_files: usize, max_bytes: u64) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0usize, 0u64);
    for (at, file) in files.iter().enumerate() {
        let full = at - start >= max_files || (at > start && bytes + file.size > max_bytes);
        if full {
            out.push(start..at);
            start = at;
            bytes = 0;
        }
        bytes += file.size;
    }
    if start < files.len() {
        out.push(start..files.len());
    }
    out
}

/// The files of the tree, and what was passed over with why. Symbolic links are never followed
/// (a link could point anywhere on the machine, or loop); names PAUSE would not have accepted
/// (`[A-Za-z0-9_-.@+]`; dot files are skipped) are reported. (Today's PAUSE refuses `.` in
/// directory names too, but CPAN holds older ones such as `TOMC/scripts/whenon.dir/`.)
fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<FoundFile>,
    passed_over: &mut Vec<String>,
) -> Result<(), RepositoryError> {
    let entries = std::fs::read_dir(dir).map_err(io_error(format!("reading {}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_error(format!("reading {}", dir.display())))?;
        let path = entry.path();
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let relative = relative.to_string_lossy().into_owned();
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        if name.starts_with('.') {
            continue;
        }
        let metadata = std::fs::symlink_metadata(&path)
            .map_err(io_error(format!("stat {}", path.display())))?;
        if metadata.file_type().is_symlink() {
            passed_over.push(format!(
                "{relative}: a symbolic link (links are not followed)"
            ));
            continue;
        }
        if metadata.is_dir() {
            if name.bytes().all(is_pause_name_byte) {
                collect_files(root, &path, out, passed_over)?;
            } else {
                passed_over.push(format!("{relative}/: not a directory name PAUSE accepts"));
            }
            continue;
        }
        if !metadata.is_file() {
            passed_over.push(format!("{relative}: not a regular file"));
            continue;
        }
        if name.starts_with("CHECKSUMS") {
            continue;
        }
        if !name.bytes().all(is_pause_name_byte) {
            passed_over.push(format!("{relative}: not a file name PAUSE accepts"));
            continue;
        }
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        out.push(FoundFile {
            path: relative,
            mtime,
            size: metadata.len(),
        });
    }
    Ok(())
}

/// PAUSE's `is_valid` characters for a file name: `[A-Za-z0-9_\-.@+]`.
fn is_pause_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.' | b'@' | b'+')
}

/// Where a file of an imported tree goes: its author and its path below `authors/id/`.
///
/// A tree in CPAN's layout (`X/XX/AUTHOR/...`) is a mirror whose URLs clients already have, so
/// the path is kept exactly, subdirectories included; the author is the third component, never
/// a later one that merely looks like an id (`J/JV/JV/JV/...` is JV's subdirectory `JV`). A
/// flat tree of author directories (`AUTHOR/...`) is placed at `X/XX/AUTHOR/...`.
pub(crate) fn import_location(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts
        .iter()
        .any(|part| part.is_empty() || *part == "." || *part == "..")
    {
        return None;
    }
    let cpan_layout = parts.len() >= 4
        && parts[0].len() == 1
        && parts[1].len() == 2
        && parts[1].starts_with(parts[0])
        && parts[2].starts_with(parts[1]);
    if cpan_layout {
        let userid = parts[2];
        check_userid(userid).ok()?;
        return Some((userid.to_string(), path.to_string()));
    }
    let (userid, rest) = path.split_once('/')?;
    check_userid(userid).ok()?;
    Some((userid.to_string(), format!("{}/{rest}", author_dir(userid))))
}

/// Reads, hashes, inspects and stages one file (any thread).
fn prepare(
    root: &Path,
    id_root: &Path,
    found: &FoundFile,
) -> Result<PreparedUpload, RepositoryError> {
    let (userid, path) = import_location(&found.path).ok_or_else(|| {
        RepositoryError::BadFileName(format!(
            "{}: not below an author directory (X/XX/AUTHOR/)",
            found.path
        ))
    })?;
    let source = root.join(&found.path);
    let bytes =
        std::fs::read(&source).map_err(io_error(format!("reading {}", source.display())))?;
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let listed = !riverpan_publish::is_excluded_from_checksums(&name);
    // The decompressed stream's digests, fed by the inspection as it reads the archive.
    let mut decoded = (listed && riverpan_publish::has_decompressed_digests(&name))
        .then(riverpan_publish::StreamDigests::default);
    let mut complete = None;
    let mut observe = |chunk: &[u8]| match decoded.as_mut() {
        Some(_) if chunk.is_empty() => complete = decoded.take(),
        Some(digests) => digests.update(chunk),
        None => {}
    };
    let inspection = riverpan_inspect::inspect_reader_observed(
        &format!("authors/id/{path}"),
        std::io::Cursor::new(&bytes),
        &cpan_archive::Limits::default(),
        &mut observe,
    )
    .map_err(|error| RepositoryError::Io {
        what: format!("inspecting {path}"),
        source: std::io::Error::other(error.to_string()),
    })?;
    let mtime = UNIX_EPOCH + Duration::from_secs(found.mtime.max(0) as u64);
    let checksum = if listed {
        // Without a complete stream from the inspection (not an archive it read to the end),
        // the entry decompresses the bytes itself, as CPAN::Checksums would.
        let decoded = complete.map(riverpan_publish::StreamDigests::finish);
        Some(
            riverpan_publish::checksum_entry_of_bytes(&name, &bytes, mtime, decoded)
                .map_err(io_error(format!("checksumming {path}")))?,
        )
    } else {
        None
    };
    let sha256 = match &checksum {
        Some(entry) => entry.sha256.clone(),
        None => hex(&Sha256::digest(&bytes)),
    };
    let target = id_root.join(&path);
    let staged = if target == source {
        None
    } else {
        Some(stage(&target, &bytes, mtime)?)
    };
    Ok(PreparedUpload {
        path,
        userid,
        staged,
        size: bytes.len() as u64,
        sha256,
        mtime: found.mtime,
        inspection,
        checksum,
    })
}

/// Writes `bytes` to a dot file beside `target` with mode 0644 and the given mtime (not synced:
/// the batch is made durable before it commits).
fn stage(
    target: &Path,
    bytes: &[u8],
    mtime: std::time::SystemTime,
) -> Result<Staged, RepositoryError> {
    use std::io::Write;
    let dir = target.parent().ok_or_else(|| {
        RepositoryError::BadFileName(format!("{} has no directory", target.display()))
    })?;
    std::fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staged = Staged {
        temp: dir.join(format!(".{name}.import-{}", std::process::id())),
        target: target.to_path_buf(),
        placed: false,
    };
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&staged.temp)?;
        file.write_all(bytes)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        file.set_modified(mtime)
    })();
    written.map_err(io_error(format!("writing {}", staged.temp.display())))?;
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_locations() {
        let at = import_location;
        let both = |userid: &str, path: &str| Some((userid.to_string(), path.to_string()));
        assert_eq!(
            at("N/NE/NEILB/Foo-1.tar.gz"),
            both("NEILB", "N/NE/NEILB/Foo-1.tar.gz")
        );
        assert_eq!(
            at("NEILB/Foo-1.tar.gz"),
            both("NEILB", "N/NE/NEILB/Foo-1.tar.gz")
        );
        assert_eq!(
            at("J/JV/JV/Data-Report-1.001.tar.gz"),
            both("JV", "J/JV/JV/Data-Report-1.001.tar.gz")
        );
        assert_eq!(at("J/JV/JV/JV/x.tar.gz"), both("JV", "J/JV/JV/JV/x.tar.gz"));
        assert_eq!(at("JV/JV/x.tar.gz"), both("JV", "J/JV/JV/JV/x.tar.gz"));
        assert_eq!(at("J/JV/x.tar.gz"), None);
        assert_eq!(at("N/NE/NEILB/../x.tar.gz"), None);
        assert_eq!(at("n/ne/neilb/x.tar.gz"), None);
    }

    #[test]
    fn batches_bound_files_and_bytes() {
        let files: Vec<FoundFile> = [5u64, 5, 5, 20, 1, 1, 1]
            .iter()
            .map(|&size| FoundFile {
                path: String::new(),
                mtime: 0,
                size,
            })
            .collect();
        assert_eq!(batches(&files, 2, 100), vec![0..2, 2..4, 4..6, 6..7]);
        assert_eq!(batches(&files, 10, 10), vec![0..2, 2..3, 3..4, 4..7]);
        assert_eq!(batches(&[], 10, 10), Vec::<std::ops::Range<usize>>::new());
    }

    proptest::proptest! {
        /// Whatever the id and however often its letters recur below it, an imported file keeps
        /// its exact CPAN path, and a flat tree's file goes to its author's CPAN directory.
        #[test]
        fn import_keeps_cpan_paths(
            id in "[A-Z]{1,3}",
            repeat in 1usize..4,
            tail in "[A-Z0-9-]{0,4}",
            subdirs in proptest::collection::vec(
                proptest::prop_oneof![
                    "[A-Za-z0-9_@+-]{1,9}",
                    proptest::strategy::Just(String::from("ID")),
                    proptest::strategy::Just(String::from("TWO")),
                    proptest::strategy::Just(String::from("ONE")),
                ],
                0..4,
            ),
            name in "[A-Za-z][A-Za-z0-9._-]{0,20}",
        ) {
            let userid: String = format!("{}{tail}", id.repeat(repeat)).chars().take(9).collect();
            proptest::prop_assume!(userid.len() >= 2 && check_userid(&userid).is_ok());
            let dir = author_dir(&userid);
            let (one, two) = (&dir[..1], &dir[2..4]);
            let subdirs: Vec<String> = subdirs
                .into_iter()
                .map(|part| match part.as_str() {
                    "ID" => userid.clone(),
                    "TWO" => two.to_string(),
                    "ONE" => one.to_string(),
                    _ => part,
                })
                .collect();
            let mut rest = subdirs.join("/");
            if !rest.is_empty() {
                rest.push('/');
            }
            rest.push_str(&name);
            let path = format!("{dir}/{rest}");
            proptest::prop_assert_eq!(
                import_location(&path),
                Some((userid.clone(), path.clone()))
            );
            proptest::prop_assert_eq!(
                import_location(&format!("{userid}/{rest}")),
                Some((userid.clone(), path))
            );
        }
    }
}
