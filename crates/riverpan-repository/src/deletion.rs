//! Deleting uploads, as PAUSE does (`pause.md` §1.4), with BackPAN kept locally.
//!
//! A deletion is first *scheduled* (a `deletions` row with a due time; cancelling it before then
//! is PAUSE's "undelete"), then *executed*: the file moves from `DIR/cpan/authors/id/…` to
//! `DIR/backpan/authors/id/…` (so BackPAN keeps serving it), the packages whose index entry
//! points at it leave the index (no fallback to an older release, as on PAUSE; permissions stay),
//! the upload is marked deleted (its name is never usable again), and 02packages and the
//! author's CHECKSUMS are republished.
//!
//! Crash safety: the file is moved before the transaction that records the deletion, and a
//! repeated execution accepts a file that is already in BackPAN, so a crash in between is
//! repaired by running the (still scheduled) deletion again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use riverpan_store::DeletionRecord;

use crate::{apply_changes, io_error, load_state, publish, Repository, RepositoryError};

/// What one executed deletion did.
#[derive(Debug, Clone)]
pub struct DeletedUpload {
    /// The upload's id.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// Where the file is now.
    pub backpan_file: PathBuf,
    /// The packages that left the index.
    pub packages_dropped: Vec<String>,
}

impl Repository {
    /// `DIR/backpan`: deleted files, under `authors/id/` as on backpan.perl.org.
    pub fn backpan_root(&self) -> PathBuf {
        self.store.data_dir().join("backpan")
    }

    /// Resolves what a user names for deletion — `authors/id/X/XX/ID/file`, `X/XX/ID/file`, or
    /// a bare file name in `userid`'s directory — to an upload that is not deleted.
    pub fn deletable_upload(
        &self,
        userid: &str,
        name: &str,
    ) -> Result<riverpan_store::UploadRecord, RepositoryError> {
        let trimmed = name
            .trim_start_matches('/')
            .trim_start_matches("authors/id/");
        if trimmed
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
        {
            return Err(RepositoryError::BadFileName(format!(
                "{name:?} is not a path CPAN can hold"
            )));
        }
        if trimmed
            .rsplit('/')
            .next()
            .is_some_and(|file| file.starts_with("CHECKSUMS"))
        {
            return Err(RepositoryError::BadFileName(
                "CHECKSUMS files are not erasable: CPAN writes them itself".into(),
            ));
        }
        let path = if trimmed.contains('/') {
            trimmed.to_string()
        } else {
            format!("{}/{trimmed}", crate::author_dir(userid))
        };
        let upload = self
            .store
            .reader()
            .upload_by_path(&path)?
            .ok_or_else(|| RepositoryError::NoSuchUpload(path.clone()))?;
        if self.store.upload_deleted_at(upload.id)?.is_some() {
            return Err(RepositoryError::NoSuchUpload(format!(
                "{path} (deleted already)"
            )));
        }
        Ok(upload)
    }

    /// Schedules the deletion of `upload` after `delay`; answers the existing schedule when the
    /// file is already scheduled for deletion.
    pub fn schedule_deletion(
        &self,
        upload: &riverpan_store::UploadRecord,
        requested_by: &str,
        delay: Duration,
    ) -> Result<DeletionRecord, RepositoryError> {
        if let Some(pending) = self.store.pending_deletion(upload.id)? {
            return Ok(pending);
        }
        let now = self.now();
        let due = now.saturating_add(i64::try_from(delay.as_secs()).unwrap_or(i64::MAX));
        let id = self
            .store
            .schedule_deletion(upload.id, &upload.path, requested_by, now, due)?;
        self.store
            .deletion(id)?
            .ok_or_else(|| RepositoryError::NoSuchUpload(format!("deletion {id}")))
    }

    /// Undeletes: cancels scheduled deletion `id`; `false` when it is not scheduled any more
    /// (executed, cancelled before, or unknown).
    pub fn cancel_deletion(&self, id: i64) -> Result<bool, RepositoryError> {
        Ok(self.store.cancel_deletion(id, self.now())?)
    }

    /// Executes every scheduled deletion that is due. A deletion that fails is marked failed
    /// (with its error) and the others still run. Returns the ones executed.
    pub fn execute_due_deletions(&mut self) -> Result<Vec<DeletedUpload>, RepositoryError> {
        let due = self.store.due_deletions(self.now())?;
        let mut done = Vec::new();
        for deletion in due {
            match self.delete_now(&deletion.path, Some(deletion.id)) {
                Ok(deleted) => done.push(deleted),
                Err(error) => {
                    tracing::error!(path = %deletion.path, %error, "deletion failed");
                    self.store
                        .fail_deletion(deletion.id, self.now(), &error.to_string())?;
                }
            }
        }
        Ok(done)
    }

    /// Deletes the upload at `path` (below `authors/id/`) now, marking scheduled deletion
    /// `deletion_id` done in the same transaction.
    pub fn delete_now(
        &mut self,
        path: &str,
        deletion_id: Option<i64>,
    ) -> Result<DeletedUpload, RepositoryError> {
        let upload = self
            .store
            .reader()
            .upload_by_path(path)?
            .ok_or_else(|| RepositoryError::NoSuchUpload(path.to_string()))?;
        let source = self.cpan.join("authors/id").join(path);
        let backpan_file = self.backpan_root().join("authors/id").join(path);
        move_to_backpan(&source, &backpan_file)?;
        crate::failpoint("after_backpan_move");
        let now = self.now();
        let tx = self.store.index_transaction()?;
        if tx.upload_is_deleted(upload.id)? {
            return Err(RepositoryError::NoSuchUpload(format!(
                "{path} (deleted already)"
            )));
        }
        let packages = tx.packages_of_dist(path)?;
        let names: BTreeSet<String> = packages.iter().map(|name| name.to_lowercase()).collect();
        let mut state = load_state(&tx, &names)?;
        state.forget_dist(path);
        apply_changes(&tx, state.take_changes())?;
        tx.mark_upload_deleted(upload.id, now)?;
        if let Some(id) = deletion_id {
            tx.finish_deletion(id, now)?;
        }
        tx.bump_generation()?;
        tx.commit()?;
        let dir: BTreeSet<String> = path
            .rsplit_once('/')
            .map(|(dir, _)| dir.to_string())
            .into_iter()
            .collect();
        self.publish_scoped(publish::ChecksumScope::Only(&dir))?;
        self.keep_river_current();
        tracing::info!(%path, dropped = packages.len(), "upload deleted (moved to BackPAN)");
        Ok(DeletedUpload {
            upload_id: upload.id,
            path: path.to_string(),
            backpan_file,
            packages_dropped: packages,
        })
    }
}

/// Moves `source` to `target` durably; a file already moved (a repeated execution after a
/// crash) is accepted.
fn move_to_backpan(source: &Path, target: &Path) -> Result<(), RepositoryError> {
    let dir = target.parent().ok_or_else(|| {
        RepositoryError::BadFileName(format!("{} has no directory", target.display()))
    })?;
    std::fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
    match std::fs::rename(source, target) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && target.exists() => {
            return Ok(());
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            // The file is gone from both places (removed by hand): the index must still drop it.
            tracing::warn!(file = %source.display(), "file to delete is missing; deleting its record");
            return Ok(());
        }
        Err(error) => {
            return Err(RepositoryError::Io {
                what: format!("moving {} to {}", source.display(), target.display()),
                source: error,
            })
        }
    }
    // The rename is durable once both directories are synced.
    for dir in [Some(dir), source.parent()].into_iter().flatten() {
        if let Ok(handle) = std::fs::File::open(dir) {
            handle
                .sync_all()
                .map_err(io_error(format!("syncing {}", dir.display())))?;
        }
    }
    Ok(())
}
