//! A riverpan repository on disk: the data directory with its store (`riverpan.sqlite`) and its
//! CPAN tree (`cpan/`), and the operations that change them — registering authors, granting
//! permissions, accepting an upload (stored under `cpan/authors/id/X/XX/ID/`), indexing it with
//! PAUSE's rules ([`riverpan_indexer`]) and publishing the files every CPAN client reads
//! ([`riverpan_publish`]).
//!
//! Durability: an upload is *accepted* when its row is committed. The file is written (temp file,
//! fsync, rename) before the row, so an accepted upload always has its file; a file without a row
//! (a crash in between) is not accepted and is overwritten by the next upload of that name. The
//! indexing of an upload — package rows, permissions and the report — is one SQLite transaction.
//! The published files are regenerated from the database after each commit, each one atomically,
//! and [`Repository::open`] republishes, so they always catch up with the database.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use riverpan_indexer::{Change, IndexOptions, IndexReport, IndexState, Policy, Upload};
use riverpan_inspect::DistInspection;
use riverpan_store::{
    AuthorRecord, IndexTransaction, PackageRecord, PermissionRecord, ReportRecord, Store,
    StoreError,
};
use sha2::{Digest, Sha256};

mod check;
mod cleanup;
mod deletion;
mod ids;
mod import;
mod mail;
pub mod permissions;
mod publish;
mod river;
pub use check::{ConsistencyReport, Inconsistency};
pub use cleanup::*;
pub use deletion::DeletedUpload;
pub use ids::*;
pub use import::ImportSummary;
pub use mail::{MailConfig, MailError};
pub use river::{river_from_store, river_requires, RiverRefresh, RIVER_PHASES, RIVER_RELATIONSHIP};

/// The index generation the published files reflect.
const PUBLISHED_GENERATION: &str = "published.generation";

/// Crash-test hook: `RIVERPAN_FAILPOINT=name` aborts the process at the named point, the way a
/// power cut or `kill -9` would (used by the crash-safety test; a no-op otherwise).
pub(crate) fn failpoint(name: &str) {
    if std::env::var("RIVERPAN_FAILPOINT").is_ok_and(|wanted| wanted == name) {
        std::process::abort();
    }
}

/// Repository settings keys in the store.
pub mod settings {
    /// `pause` or `proposed`.
    pub const POLICY: &str = "index.policy";
    /// `off`, `warn` or `refuse`.
    pub const UPLOAD_PRECHECK: &str = "index.upload_precheck";
    /// The address clients reach this riverpan at (`http://cpan.example.org/`), which reports
    /// quote in commands; `riverpan serve` sets it.
    pub const PUBLIC_URL: &str = "server.public_url";
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What riverpan was doing.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The uploader is not a registered author.
    #[error("{0} is not a registered author (add it with `riverpan user add {0}`)")]
    UnknownAuthor(String),
    /// A PAUSE id must be letters, digits and dashes, starting with a letter.
    #[error("{0:?} is not a valid PAUSE id (upper-case letters, digits and '-', starting with a letter)")]
    BadUserid(String),
    /// The file name cannot be stored on CPAN.
    #[error("{0}")]
    BadFileName(String),
    /// The upload was refused before it was stored (`upload_precheck = refuse`).
    #[error("upload refused: {0}")]
    Refused(String),
    /// A setting has a value riverpan does not know.
    #[error("{0}")]
    BadSetting(String),
    /// No upload (that is not deleted) has that path.
    #[error("no such upload: {0}")]
    NoSuchUpload(String),
    /// A request for a PAUSE id was refused.
    #[error("{0}")]
    IdRequest(#[from] IdRequestRefusal),
    /// The thing named (an id request, an account) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the current state (decided already, an id that uploaded).
    #[error("{0}")]
    Conflict(String),
    /// A permission operation was refused; nothing changed.
    #[error("{0}")]
    PermissionRefused(permissions::PermRefusal),
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RepositoryError {
    let what = what.into();
    move |source| RepositoryError::Io { what, source }
}

/// What `upload_precheck` does when the uploader has no permission on the distribution's package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadPrecheck {
    /// Do nothing before storing (PAUSE's behaviour).
    Off,
    /// Store the upload, and put the warning at the top of the report.
    Warn,
    /// Refuse the upload; nothing is stored.
    Refuse,
}

impl std::str::FromStr for UploadPrecheck {
    type Err = RepositoryError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "off" => Ok(UploadPrecheck::Off),
            "warn" => Ok(UploadPrecheck::Warn),
            "refuse" => Ok(UploadPrecheck::Refuse),
            other => Err(RepositoryError::BadSetting(format!(
                "upload_precheck must be off, warn or refuse, not {other:?}"
            ))),
        }
    }
}

impl UploadPrecheck {
    /// The setting's text.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadPrecheck::Off => "off",
            UploadPrecheck::Warn => "warn",
            UploadPrecheck::Refuse => "refuse",
        }
    }
}

/// The result of one upload.
#[derive(Debug)]
pub struct UploadOutcome {
    /// The upload's id.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// The indexer's decisions.
    pub report: IndexReport,
    /// The precheck's warning, when `upload_precheck = warn` found one.
    pub precheck_warning: Option<String>,
}

/// An open repository.
pub struct Repository {
    store: Store,
    cpan: PathBuf,
    mail: Option<MailConfig>,
    /// Fixed clock for reproducible tests and rebuilds (`RIVERPAN_NOW`, seconds).
    clock: Option<i64>,
    /// The river as last computed, with what was indexed since (see `river.rs`).
    river: river::RiverCache,
}

impl Repository {
    /// Opens (creating when needed) the repository in `data_dir`, and brings the published files
    /// up to date with the database (they may lag after a crash).
    pub fn open(data_dir: &Path) -> Result<Repository, RepositoryError> {
        let store = Store::open(data_dir)?;
        let cpan = data_dir.join("cpan");
        std::fs::create_dir_all(cpan.join("authors/id"))
            .map_err(io_error(format!("creating {}", cpan.display())))?;
        std::fs::create_dir_all(cpan.join("modules"))
            .map_err(io_error(format!("creating {}", cpan.display())))?;
        let clock = std::env::var("RIVERPAN_NOW")
            .ok()
            .and_then(|value| value.parse().ok());
        let repository = Repository {
            store,
            cpan,
            mail: None,
            clock,
            river: river::RiverCache::default(),
        };
        // After a crash between a commit and the publishing, the files lag: catch up.
        let published = repository
            .store
            .setting(PUBLISHED_GENERATION)?
            .and_then(|value| value.parse::<u64>().ok());
        if published != Some(repository.store.index_generation()?) {
            repository.publish()?;
        }
        Ok(repository)
    }

    /// Sends each upload's report by mail through this relay.
    pub fn set_mail(&mut self, mail: Option<MailConfig>) {
        self.mail = mail;
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The CPAN tree (`DIR/cpan`).
    pub fn cpan_root(&self) -> &Path {
        &self.cpan
    }

    fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    /// The indexing policy (a new repository uses `proposed`).
    pub fn policy(&self) -> Result<Policy, RepositoryError> {
        match self.store.setting(settings::POLICY)? {
            None => Ok(Policy::Proposed),
            Some(text) => text
                .parse()
                .map_err(|_| RepositoryError::BadSetting(format!("unknown policy {text:?}"))),
        }
    }

    /// Sets the indexing policy.
    pub fn set_policy(&self, policy: Policy) -> Result<(), RepositoryError> {
        self.store
            .set_setting(settings::POLICY, &policy.to_string())?;
        Ok(())
    }

    /// The `upload_precheck` option.
    pub fn upload_precheck(&self) -> Result<UploadPrecheck, RepositoryError> {
        match self.store.setting(settings::UPLOAD_PRECHECK)? {
            None => Ok(UploadPrecheck::Off),
            Some(text) => text.parse(),
        }
    }

    /// Sets the `upload_precheck` option.
    pub fn set_upload_precheck(&self, precheck: UploadPrecheck) -> Result<(), RepositoryError> {
        self.store
            .set_setting(settings::UPLOAD_PRECHECK, precheck.as_str())?;
        Ok(())
    }

    /// Registers (or updates) an author.
    pub fn add_author(&mut self, author: &AuthorRecord) -> Result<(), RepositoryError> {
        check_userid(&author.userid)?;
        let now = self.now();
        let tx = self.store.index_transaction()?;
        tx.upsert_author(author, now)?;
        tx.bump_generation()?;
        tx.bump_counter(publish::AUTHORS_COUNTER)?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        Ok(())
    }

    /// Grants `userid` first-come or co-maint on `package` (an administrator's act).
    pub fn grant(
        &mut self,
        package: &str,
        userid: &str,
        first_come: bool,
    ) -> Result<(), RepositoryError> {
        self.require_author(userid)?;
        let action = if first_come { "first-come" } else { "co-maint" };
        self.change_permissions(package, userid, action, |state| {
            state.grant(package, userid, first_come)
        })
    }

    /// Seeds many permissions at once, as an administrator's grants, in one transaction: rows
    /// `(package, userid, first_come)` as 06perms lists them (`f`/`m` first-come, `c`
    /// co-maint). Unknown authors are registered (as `import` registers a tree's authors), so a
    /// private CPAN can take PAUSE's 06perms before its first import. Returns the rows applied.
    pub fn import_permissions(
        &mut self,
        rows: &[(String, String, bool)],
    ) -> Result<usize, RepositoryError> {
        for (_, userid, _) in rows {
            check_userid(userid)?;
        }
        let now = self.now();
        let names: BTreeSet<String> = rows.iter().map(|(p, _, _)| p.to_lowercase()).collect();
        let tx = self.store.index_transaction()?;
        let mut authors_added = false;
        for (package, userid, first_come) in rows {
            if tx.author(userid)?.is_none() {
                tx.upsert_author(
                    &AuthorRecord {
                        userid: userid.clone(),
                        fullname: userid.clone(),
                        email: None,
                        pumpking: false,
                    },
                    now,
                )?;
                authors_added = true;
            }
            let action = if *first_come {
                "first-come"
            } else {
                "co-maint"
            };
            tx.record_admin_grant(package, userid, action)?;
        }
        if authors_added {
            tx.bump_counter(publish::AUTHORS_COUNTER)?;
        }
        tx.bump_generation()?;
        let mut state = load_state(&tx, &names)?;
        for (package, userid, first_come) in rows {
            state.grant(package, userid, *first_come);
        }
        apply_changes(&tx, state.take_changes())?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        Ok(rows.len())
    }

    /// Takes every permission of `userid` on `package` away.
    pub fn revoke(&mut self, package: &str, userid: &str) -> Result<(), RepositoryError> {
        self.change_permissions(package, userid, "revoke", |state| {
            state.revoke(package, userid)
        })
    }

    fn change_permissions(
        &mut self,
        package: &str,
        userid: &str,
        action: &str,
        change: impl FnOnce(&mut IndexState),
    ) -> Result<(), RepositoryError> {
        let names: BTreeSet<String> = [package.to_lowercase()].into();
        let tx = self.store.index_transaction()?;
        tx.record_admin_grant(package, userid, action)?;
        tx.bump_generation()?;
        let mut state = load_state(&tx, &names)?;
        change(&mut state);
        apply_changes(&tx, state.take_changes())?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        Ok(())
    }

    /// Who holds which permission on `package` (any case), as 06perms shows it.
    pub fn permissions(
        &self,
        package: &str,
    ) -> Result<Vec<(String, String, char)>, RepositoryError> {
        let names: BTreeSet<String> = [package.to_lowercase()].into();
        let reader = self.store.reader();
        let mut best: BTreeMap<(String, String), char> = BTreeMap::new();
        for row in reader.permissions_named(&names, true)? {
            best.insert((row.package, row.userid), 'f');
        }
        for row in reader.permissions_named(&names, false)? {
            best.entry((row.package, row.userid)).or_insert('c');
        }
        Ok(best
            .into_iter()
            .map(|((package, userid), kind)| (package, userid, kind))
            .collect())
    }

    /// The author with the address mail goes to (the secret one when known) as its `email`.
    fn author_to_mail(&self, userid: &str) -> Result<Option<AuthorRecord>, RepositoryError> {
        let contact = self.store.contact_email(userid)?;
        Ok(self
            .store
            .reader()
            .author(userid)?
            .map(|author| AuthorRecord {
                email: contact.or(author.email),
                ..author
            }))
    }

    fn require_author(&self, userid: &str) -> Result<AuthorRecord, RepositoryError> {
        self.store
            .reader()
            .author(userid)?
            .ok_or_else(|| RepositoryError::UnknownAuthor(userid.to_string()))
    }

    /// Uploads `file` as `userid`: stores it under `authors/id/`, indexes it and publishes.
    pub fn upload(&mut self, userid: &str, file: &Path) -> Result<UploadOutcome, RepositoryError> {
        let bytes = std::fs::read(file).map_err(io_error(format!("reading {}", file.display())))?;
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| {
                RepositoryError::BadFileName(format!("{} has no usable file name", file.display()))
            })?
            .to_string();
        let mtime = self.now();
        let outcome = self.accept(userid, &name, &bytes, mtime)?;
        let dir: BTreeSet<String> = outcome
            .path
            .rsplit_once('/')
            .map(|(dir, _)| dir.to_string())
            .into_iter()
            .collect();
        self.publish_scoped(publish::ChecksumScope::Only(&dir))?;
        self.keep_river_current();
        if let Some(mail) = &self.mail {
            if outcome.report.should_mail() {
                let author = self.author_to_mail(userid)?;
                if let Err(error) = mail.send_report(author.as_ref(), &outcome.report) {
                    tracing::warn!("could not mail the report of {}: {error}", outcome.path);
                }
            }
        }
        Ok(outcome)
    }

    /// [`Repository::upload`] without the publishing step (for benchmarks that time the two
    /// apart; call [`Repository::publish_upload_dir`] afterwards).
    pub fn upload_without_publishing(
        &mut self,
        userid: &str,
        file: &Path,
    ) -> Result<UploadOutcome, RepositoryError> {
        let bytes = std::fs::read(file).map_err(io_error(format!("reading {}", file.display())))?;
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| {
                RepositoryError::BadFileName(format!("{} has no usable file name", file.display()))
            })?
            .to_string();
        let mtime = self.now();
        self.accept(userid, &name, &bytes, mtime)
    }

    /// Publishes after an upload of `path`: the index files and that author's CHECKSUMS.
    pub fn publish_upload_dir(&self, path: &str) -> Result<(), RepositoryError> {
        let dir: BTreeSet<String> = path
            .rsplit_once('/')
            .map(|(dir, _)| dir.to_string())
            .into_iter()
            .collect();
        self.publish_scoped(publish::ChecksumScope::Only(&dir))
    }

    /// Stores and indexes one upload (no publishing).
    fn accept(
        &mut self,
        userid: &str,
        name: &str,
        bytes: &[u8],
        mtime: i64,
    ) -> Result<UploadOutcome, RepositoryError> {
        let author = self.require_author(userid)?;
        check_file_name(name)?;
        let path = format!("{}/{name}", author_dir(&author.userid));
        let existing = self.store.reader().upload_by_path(&path)?;
        let overwrite = existing.is_some() && may_overwrite_file(name);
        if existing.is_some() && !overwrite {
            return Err(StoreError::FileExists(path).into());
        }
        let policy = self.policy()?;
        let precheck_warning = match self.upload_precheck()? {
            UploadPrecheck::Off => None,
            mode => {
                let warning = self.precheck(&author.userid, &path)?;
                if let (UploadPrecheck::Refuse, Some(reason)) = (mode, &warning) {
                    return Err(RepositoryError::Refused(reason.clone()));
                }
                warning
            }
        };
        let target = self.cpan.join("authors/id").join(&path);
        write_file_durably(&target, bytes, mtime)?;
        failpoint("after_file_stored");
        let sha256 = hex(&Sha256::digest(bytes));
        let inspection = riverpan_inspect::inspect_reader(
            &format!("authors/id/{path}"),
            std::io::Cursor::new(bytes),
            &cpan_archive::Limits::default(),
        )
        .map_err(|error| RepositoryError::Io {
            what: format!("inspecting {path}"),
            source: std::io::Error::other(error.to_string()),
        })?;
        let now = self.now();
        let tx = self.store.index_transaction()?;
        let upload_id = if overwrite {
            tx.replace_upload(
                &path,
                &author.userid,
                bytes.len() as i64,
                &sha256,
                mtime,
                now,
            )?
        } else {
            tx.insert_upload(
                &path,
                &author.userid,
                bytes.len() as i64,
                &sha256,
                mtime,
                now,
            )?
        };
        let upload = Upload {
            uploader: author.userid.clone(),
            dist: path.clone(),
            mtime,
        };
        let report = index_in(&tx, upload_id, &upload, &inspection, policy, now)?;
        failpoint("before_commit");
        tx.commit()?;
        failpoint("after_commit");
        self.river.indexed(upload_id, &path, &report);
        Ok(UploadOutcome {
            upload_id,
            path,
            report,
            precheck_warning,
        })
    }

    /// Stores an upload and queues it for indexing (the server's path: the upload is answered at
    /// once and [`Repository::index_queued`] indexes it later). The queue is the `uploads` table
    /// itself (rows in state `stored`), so it survives restarts.
    pub fn store_upload(
        &mut self,
        userid: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<QueuedUpload, RepositoryError> {
        let author = self.require_author(userid)?;
        check_file_name(name)?;
        let path = format!("{}/{name}", author_dir(&author.userid));
        let existing = self.store.reader().upload_by_path(&path)?;
        let overwrite = existing.is_some() && may_overwrite_file(name);
        if existing.is_some() && !overwrite {
            return Err(StoreError::FileExists(path).into());
        }
        let precheck_warning = match self.upload_precheck()? {
            UploadPrecheck::Off => None,
            mode => {
                let warning = self.precheck(&author.userid, &path)?;
                if let (UploadPrecheck::Refuse, Some(reason)) = (mode, &warning) {
                    return Err(RepositoryError::Refused(reason.clone()));
                }
                warning
            }
        };
        let mtime = self.now();
        let target = self.cpan.join("authors/id").join(&path);
        write_file_durably(&target, bytes, mtime)?;
        let sha256 = hex(&Sha256::digest(bytes));
        let tx = self.store.index_transaction()?;
        let size = bytes.len() as i64;
        let upload_id = if overwrite {
            tx.replace_upload(&path, &author.userid, size, &sha256, mtime, mtime)?
        } else {
            tx.insert_upload(&path, &author.userid, size, &sha256, mtime, mtime)?
        };
        tx.commit()?;
        Ok(QueuedUpload {
            upload_id,
            path,
            precheck_warning,
        })
    }

    /// Indexes every queued upload, oldest first (one transaction each), publishes once, mails
    /// the reports; returns them.
    pub fn index_queued(&mut self) -> Result<Vec<(i64, IndexReport)>, RepositoryError> {
        let queued = self.store.reader().queued_uploads()?;
        if queued.is_empty() {
            return Ok(Vec::new());
        }
        let policy = self.policy()?;
        let mut done = Vec::new();
        let mut dirs = BTreeSet::new();
        for record in queued {
            let file = self.cpan.join("authors/id").join(&record.path);
            let inspection =
                riverpan_inspect::inspect_file(&file, &cpan_archive::Limits::default()).map_err(
                    |error| RepositoryError::Io {
                        what: format!("inspecting {}", record.path),
                        source: std::io::Error::other(error.to_string()),
                    },
                )?;
            let upload = Upload {
                uploader: record.userid.clone(),
                dist: record.path.clone(),
                mtime: record.mtime,
            };
            let now = self.now();
            let tx = self.store.index_transaction()?;
            let report = index_in(&tx, record.id, &upload, &inspection, policy, now)?;
            tx.commit()?;
            self.river.indexed(record.id, &record.path, &report);
            if let Some((dir, _)) = record.path.rsplit_once('/') {
                dirs.insert(dir.to_string());
            }
            if let Some(mail) = &self.mail {
                if report.should_mail() {
                    let author = self.author_to_mail(&record.userid)?;
                    if let Err(error) = mail.send_report(author.as_ref(), &report) {
                        tracing::warn!("could not mail the report of {}: {error}", record.path);
                    }
                }
            }
            done.push((record.id, report));
        }
        self.publish_scoped(publish::ChecksumScope::Only(&dirs))?;
        self.keep_river_current();
        Ok(done)
    }

    /// `upload_precheck`: the reason the upload would be refused, if any.
    pub fn precheck(&self, userid: &str, path: &str) -> Result<Option<String>, RepositoryError> {
        let main = main_package(path);
        let Some(main) = main else {
            return Ok(None);
        };
        let names: BTreeSet<String> = [main.to_lowercase()].into();
        let reader = self.store.reader();
        let mut state = IndexState::new();
        for row in reader.permissions_named(&names, false)? {
            state.load_perm(riverpan_indexer::PermRow {
                package: row.package,
                userid: row.userid,
            });
        }
        for row in reader.permissions_named(&names, true)? {
            state.load_primeur(riverpan_indexer::PrimeurRow {
                package: row.package,
                userid: row.userid,
            });
        }
        Ok(match riverpan_indexer::precheck(&state, userid, path) {
            riverpan_indexer::PrecheckOutcome::Refused { package, owners } => {
                let mut holders: Vec<String> = owners
                    .first_come
                    .iter()
                    .map(|id| format!("{id} (first-come)"))
                    .collect();
                holders.extend(owners.comaints.iter().map(|id| format!("{id} (co-maint)")));
                let holders = if holders.is_empty() {
                    "the pumpkings".to_string()
                } else {
                    holders.join(", ")
                };
                Some(format!(
                    "{userid} has no permission on {package}, the package named after this distribution; it belongs to {holders}. Ask them for co-maint on {package}, or name the distribution after a package you own."
                ))
            }
            _ => None,
        })
    }

    /// The stored report of the upload at `path` (below `authors/id/`, or a file name of
    /// `userid`'s directory).
    pub fn report(&self, path: &str) -> Result<Option<ReportRecord>, RepositoryError> {
        let reader = self.store.reader();
        let path = path.trim_start_matches("authors/id/");
        let Some(upload) = reader.upload_by_path(path)? else {
            return Ok(None);
        };
        Ok(reader.report(upload.id)?)
    }

    /// Recomputes the index from the upload history (in upload order, with the permissions an
    /// administrator granted replayed first) and republishes. Unchanged files are not rewritten,
    /// so the result is byte-identical when nothing changed.
    pub fn rebuild(&mut self) -> Result<usize, RepositoryError> {
        let policy = self.policy()?;
        let uploads = self.store.reader().uploads()?;
        let admin_grants = self.store.reader().admin_grants()?;
        let tx = self.store.index_transaction()?;
        tx.clear_index()?;
        tx.bump_generation()?;
        tx.bump_counter(publish::PERMS_COUNTER)?;
        let mut grants = admin_grants.into_iter().peekable();
        for upload_record in &uploads {
            while let Some(grant) = grants.next_if(|grant| grant.before_upload <= upload_record.id)
            {
                replay_grant(&tx, &grant)?;
            }
            let file = self.cpan.join("authors/id").join(&upload_record.path);
            let inspection =
                riverpan_inspect::inspect_file(&file, &cpan_archive::Limits::default()).map_err(
                    |error| RepositoryError::Io {
                        what: format!("inspecting {}", upload_record.path),
                        source: std::io::Error::other(error.to_string()),
                    },
                )?;
            let upload = Upload {
                uploader: upload_record.userid.clone(),
                dist: upload_record.path.clone(),
                mtime: upload_record.mtime,
            };
            index_in(
                &tx,
                upload_record.id,
                &upload,
                &inspection,
                policy,
                upload_record.uploaded_at,
            )?;
        }
        for grant in grants {
            replay_grant(&tx, &grant)?;
        }
        tx.commit()?;
        self.publish()?;
        self.keep_river_current();
        Ok(uploads.len())
    }

    /// Rewrites every published file from the database (each only when its content changed).
    pub fn publish(&self) -> Result<(), RepositoryError> {
        self.publish_scoped(publish::ChecksumScope::All)
    }

    fn publish_scoped(&self, scope: publish::ChecksumScope<'_>) -> Result<(), RepositoryError> {
        self.publish_with(scope, None)
    }

    /// Publishes, taking CHECKSUMS entries from `known` where they still describe the file.
    fn publish_with(
        &self,
        scope: publish::ChecksumScope<'_>,
        known: Option<&import::KnownChecksums>,
    ) -> Result<(), RepositoryError> {
        let generation = self.store.index_generation()?;
        publish::publish_all(&self.store, &self.cpan, self.now(), scope, known)?;
        failpoint("before_published_mark");
        self.store
            .set_setting(PUBLISHED_GENERATION, &generation.to_string())?;
        Ok(())
    }

    /// Reads the file of an upload (for serving and tests).
    pub fn read_upload(&self, path: &str) -> Result<Vec<u8>, RepositoryError> {
        let mut bytes = Vec::new();
        std::fs::File::open(self.cpan.join("authors/id").join(path))
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(io_error(format!("reading {path}")))?;
        Ok(bytes)
    }
}

/// An upload stored and waiting in the indexing queue.
#[derive(Debug, Clone)]
pub struct QueuedUpload {
    /// The upload's id (`GET /api/v1/uploads/{id}`).
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// The precheck's warning, when `upload_precheck = warn` found one.
    pub precheck_warning: Option<String>,
}

fn replay_grant(
    tx: &IndexTransaction<'_>,
    grant: &riverpan_store::AdminGrant,
) -> Result<(), RepositoryError> {
    let names: BTreeSet<String> = [grant.package.to_lowercase()].into();
    let mut state = load_state(tx, &names)?;
    match grant.action.as_str() {
        "first-come" => state.grant(&grant.package, &grant.userid, true),
        "co-maint" => state.grant(&grant.package, &grant.userid, false),
        _ => state.revoke(&grant.package, &grant.userid),
    }
    apply_changes(tx, state.take_changes())
}

/// Indexes one stored upload inside `tx` and saves its report.
fn index_in(
    tx: &IndexTransaction<'_>,
    upload_id: i64,
    upload: &Upload,
    inspection: &DistInspection,
    policy: Policy,
    now: i64,
) -> Result<IndexReport, RepositoryError> {
    let names = riverpan_indexer::packages_touched(upload, inspection);
    tx.bump_generation()?;
    save_release(tx, upload_id, &upload.dist, inspection)?;
    let mut state = load_state(tx, &names)?;
    let mut report =
        riverpan_indexer::index_upload(&mut state, upload, inspection, &IndexOptions { policy });
    apply_changes(tx, state.take_changes())?;
    report.river = river::river_note(tx, &upload.dist)?;
    let json = serde_json::to_string(&report).map_err(|error| RepositoryError::Io {
        what: "serialising the report".into(),
        source: std::io::Error::other(error.to_string()),
    })?;
    tx.save_report(
        &ReportRecord {
            upload_id,
            policy: policy.to_string(),
            status: format!("{:?}", report.status()),
            subject: report.subject(),
            text: report.render_text(),
            json,
        },
        now,
    )?;
    Ok(report)
}

/// Records the release an upload is (name, version, declared prerequisites) for the river.
fn save_release(
    tx: &IndexTransaction<'_>,
    upload_id: i64,
    path: &str,
    inspection: &DistInspection,
) -> Result<(), RepositoryError> {
    let info = cpan_distname::DistnameInfo::new(path);
    let dist = info.dist().unwrap_or(path).to_string();
    let version = info.version().unwrap_or("").to_string();
    let prereqs: Vec<riverpan_store::ReleasePrerequisite> = inspection
        .prereqs
        .iter()
        .map(|p| riverpan_store::ReleasePrerequisite {
            phase: p.phase.to_string(),
            relationship: p.relationship.to_string(),
            module: p.module.clone(),
            requirement: p.requirement.clone(),
        })
        .collect();
    tx.save_release(upload_id, &dist, &version, &prereqs)?;
    Ok(())
}

/// Loads the rows an upload's decisions can read into an [`IndexState`].
fn load_state(
    tx: &IndexTransaction<'_>,
    names: &BTreeSet<String>,
) -> Result<IndexState, RepositoryError> {
    let mut state = IndexState::new();
    for row in tx.packages_named(names)? {
        state.load_package(riverpan_indexer::PackageRow {
            package: row.package,
            version: row.version,
            dist: row.dist,
            file: row.file,
            dist_mtime: row.dist_mtime,
        });
    }
    for row in tx.permissions_named(names, false)? {
        state.load_perm(riverpan_indexer::PermRow {
            package: row.package,
            userid: row.userid,
        });
    }
    for row in tx.permissions_named(names, true)? {
        state.load_primeur(riverpan_indexer::PrimeurRow {
            package: row.package,
            userid: row.userid,
        });
    }
    for userid in tx.pumpkings()? {
        state.add_pumpking(&userid);
    }
    Ok(state)
}

/// Writes the indexer's journal into the transaction.
fn apply_changes(tx: &IndexTransaction<'_>, changes: Vec<Change>) -> Result<(), RepositoryError> {
    let permissions_changed = changes.iter().any(|change| {
        !matches!(
            change,
            Change::PackageUpsert(_) | Change::PackageDelete { .. }
        )
    });
    if permissions_changed {
        tx.bump_counter(publish::PERMS_COUNTER)?;
    }
    for change in changes {
        match change {
            Change::PackageUpsert(row) => tx.upsert_package(&PackageRecord {
                package: row.package,
                version: row.version,
                dist: row.dist,
                file: row.file,
                dist_mtime: row.dist_mtime,
            })?,
            Change::PackageDelete { package } => tx.delete_package(&package)?,
            Change::PermInsert(row) => tx.insert_permission(
                &PermissionRecord {
                    package: row.package,
                    userid: row.userid,
                },
                false,
            )?,
            Change::PermDelete(row) => tx.delete_permission(
                &PermissionRecord {
                    package: row.package,
                    userid: row.userid,
                },
                false,
            )?,
            Change::PrimeurInsert(row) => tx.insert_permission(
                &PermissionRecord {
                    package: row.package,
                    userid: row.userid,
                },
                true,
            )?,
            Change::PrimeurDelete(row) => tx.delete_permission(
                &PermissionRecord {
                    package: row.package,
                    userid: row.userid,
                },
                true,
            )?,
        }
    }
    Ok(())
}

/// `X/XX/USERID`.
pub fn author_dir(userid: &str) -> String {
    let first: String = userid.chars().take(1).collect();
    let two: String = userid.chars().take(2).collect();
    format!("{first}/{two}/{userid}")
}

/// PAUSE ids: upper-case letters, digits and `-`, starting with a letter (new PAUSE ids are
/// `[A-Z]{3,9}`; older ones are longer or have digits and dashes).
pub fn check_userid(userid: &str) -> Result<(), RepositoryError> {
    let mut chars = userid.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && userid.len() >= 2
        && userid.len() <= 32;
    if valid {
        Ok(())
    } else {
        Err(RepositoryError::BadUserid(userid.to_string()))
    }
}

fn check_file_name(name: &str) -> Result<(), RepositoryError> {
    if name.is_empty() || name.starts_with('.') || name.contains('/') || name.contains('\\') {
        return Err(RepositoryError::BadFileName(format!(
            "{name:?} is not a file name CPAN can hold (no path, no leading dot)"
        )));
    }
    if name.starts_with("CHECKSUMS") {
        return Err(RepositoryError::BadFileName(
            "Files with the name CHECKSUMS cannot be uploaded: CPAN writes them itself".into(),
        ));
    }
    if name.len() > 255 || name.chars().any(char::is_control) {
        return Err(RepositoryError::BadFileName(format!(
            "{name:?} is too long or has control characters"
        )));
    }
    Ok(())
}

/// PAUSE's `may_overwrite_file`: README-like and document files may be replaced; archives never.
pub fn may_overwrite_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower
        .strip_suffix(".gz")
        .or_else(|| lower.strip_suffix(".bz2"))
        .unwrap_or(&lower);
    if base.ends_with("readme") {
        return true;
    }
    const DOCUMENTS: [&str; 10] = [
        ".html", ".txt", ".mkdn", ".md", ".xml", ".yml", ".json", ".pdf", ".rdf", ".pod",
    ];
    DOCUMENTS.iter().any(|suffix| base.ends_with(suffix))
}

/// The package named after the distribution (`Foo-Bar-1.0.tar.gz` → `Foo::Bar`), or `None`
/// when the file name has no distribution name; the indexer's own rule.
pub fn main_package(path: &str) -> Option<String> {
    let package = riverpan_indexer::main_package(&format!("authors/id/{path}"));
    (!package.is_empty()).then_some(package)
}

/// Writes `bytes` to `target` durably (temp file in the same directory, fsync, rename) and sets
/// its mtime.
fn write_file_durably(target: &Path, bytes: &[u8], mtime: i64) -> Result<(), RepositoryError> {
    let dir = target.parent().ok_or_else(|| {
        RepositoryError::BadFileName(format!("{} has no directory", target.display()))
    })?;
    std::fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
    riverpan_publish::write_atomically(target, bytes)
        .map_err(io_error(format!("writing {}", target.display())))?;
    let time = UNIX_EPOCH + Duration::from_secs(mtime.max(0) as u64);
    let file = std::fs::File::options()
        .write(true)
        .open(target)
        .map_err(io_error(format!("opening {}", target.display())))?;
    file.set_modified(time).map_err(io_error(format!(
        "setting the mtime of {}",
        target.display()
    )))?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_dirs_and_ids() {
        assert_eq!(author_dir("NEILB"), "N/NE/NEILB");
        assert!(check_userid("ANDK").is_ok());
        assert!(check_userid("andk").is_err());
        assert!(check_userid("A").is_err());
    }

    #[test]
    fn overwritable_names_follow_pause() {
        for name in [
            "readme",
            "README",
            "README.md",
            "docs.txt",
            "spec.mkdn",
            "01-Super-Important.pdf",
            "README.gz",
            "docs.txt.bz2",
        ] {
            assert!(may_overwrite_file(name), "{name}");
        }
        for name in [
            "Dist-Zilla",
            "Dist-Zilla.pm",
            "Dist-Zilla.tar",
            "Dist-Zilla.tar.gz",
            "Dist-Zilla.tar.bz2",
        ] {
            assert!(!may_overwrite_file(name), "{name}");
        }
    }

    #[test]
    fn main_packages() {
        assert_eq!(
            main_package("O/OP/OPRIME/XForm-Rollout-1.00.tar.gz").as_deref(),
            Some("XForm::Rollout")
        );
        assert_eq!(
            main_package("G/GA/GAAS/libwww-perl-6.06.tar.gz").as_deref(),
            Some("libwww::perl")
        );
    }
}
