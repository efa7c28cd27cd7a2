//! The tables of the package index: authors, permissions (`perms` for everyone with upload
//! rights, `primeur` for the first-come owner, as PAUSE keeps them), the `packages` index, every
//! file ever uploaded, and the indexer's report for each upload.
//!
//! The store knows rows, not rules: the indexer decides, and writes its decisions back through
//! an [`IndexTransaction`], so that an upload's changes are one SQLite transaction.

use std::collections::BTreeSet;

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::{Store, StoreError};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE authors (
        userid     TEXT NOT NULL PRIMARY KEY,
        fullname   TEXT NOT NULL DEFAULT '',
        email      TEXT,
        pumpking   INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE perms (
        package    TEXT NOT NULL,
        lc_package TEXT NOT NULL,
        userid     TEXT NOT NULL,
        PRIMARY KEY (package, userid)
    ) STRICT;
    CREATE INDEX perms_by_lc ON perms (lc_package);
    CREATE TABLE primeur (
        package    TEXT NOT NULL PRIMARY KEY,
        lc_package TEXT NOT NULL,
        userid     TEXT NOT NULL
    ) STRICT;
    CREATE INDEX primeur_by_lc ON primeur (lc_package);
    CREATE TABLE packages (
        package    TEXT NOT NULL PRIMARY KEY,
        lc_package TEXT NOT NULL,
        version    TEXT NOT NULL,
        dist       TEXT NOT NULL,
        file       TEXT NOT NULL,
        dist_mtime INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX packages_by_lc ON packages (lc_package);
    CREATE INDEX packages_by_dist ON packages (dist);
    CREATE TABLE uploads (
        id          INTEGER PRIMARY KEY,
        path        TEXT NOT NULL UNIQUE,
        userid      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        mtime       INTEGER NOT NULL,
        uploaded_at INTEGER NOT NULL,
        state       TEXT NOT NULL DEFAULT 'stored',
        deleted_at  INTEGER
    ) STRICT;
    CREATE TABLE admin_grants (
        seq           INTEGER PRIMARY KEY,
        package       TEXT NOT NULL,
        userid        TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('first-come', 'co-maint', 'revoke')),
        before_upload INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE reports (
        upload_id  INTEGER NOT NULL PRIMARY KEY REFERENCES uploads (id),
        policy     TEXT NOT NULL,
        status     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        text       TEXT NOT NULL,
        json       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
";

/// A CPAN author (a PAUSE id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorRecord {
    /// The PAUSE id, upper case.
    pub userid: String,
    /// The name shown in 01mailrc.
    pub fullname: String,
    /// The address, when known (else `lc(userid)@cpan.org` is published).
    pub email: Option<String>,
    /// May upload perl itself.
    pub pumpking: bool,
}

/// One row of the package index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRecord {
    /// The package, in the case it is indexed with.
    pub package: String,
    /// The version as PAUSE records it.
    pub version: String,
    /// The distribution file below `authors/id/`.
    pub dist: String,
    /// The file declaring the package, relative to the dist root.
    pub file: String,
    /// The distribution file's mtime (seconds).
    pub dist_mtime: i64,
}

/// A `perms` or `primeur` row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PermissionRecord {
    /// The package, case preserved.
    pub package: String,
    /// The PAUSE id.
    pub userid: String,
}

/// A file ever uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    /// Row id (also the upload's id in the API).
    pub id: i64,
    /// Path below `authors/id/`, e.g. `N/NE/NEILB/Foo-1.0.tar.gz`.
    pub path: String,
    /// Who uploaded it.
    pub userid: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// The file's mtime (seconds), PAUSE's `tmt`.
    pub mtime: i64,
    /// When riverpan accepted it (seconds).
    pub uploaded_at: i64,
    /// `stored`, `indexed`.
    pub state: String,
}

/// A permission an administrator granted or revoked (`riverpan perms`), kept so that a rebuild
/// replays it at the same point of the upload history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminGrant {
    /// The package.
    pub package: String,
    /// The PAUSE id.
    pub userid: String,
    /// `first-come`, `co-maint` or `revoke`.
    pub action: String,
    /// The id the next upload would get when it was made: it is replayed before that upload.
    pub before_upload: i64,
}

/// The indexer's report on one upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRecord {
    /// The upload.
    pub upload_id: i64,
    /// The policy it was indexed under.
    pub policy: String,
    /// Overall status heading.
    pub status: String,
    /// The mail subject.
    pub subject: String,
    /// The report for a person.
    pub text: String,
    /// The machine-readable report.
    pub json: String,
}

impl Store {
    /// Starts a write transaction (taking SQLite's write lock at once, so two indexers queue
    /// instead of failing half-way).
    pub fn index_transaction(&mut self) -> Result<IndexTransaction<'_>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(IndexTransaction { tx })
    }

    /// A read-only view, without a transaction.
    pub fn reader(&self) -> IndexReader<'_> {
        IndexReader { conn: &self.conn }
    }
}

/// Reads of the index tables.
pub struct IndexReader<'a> {
    conn: &'a rusqlite::Connection,
}

/// Writes of the index tables inside one transaction; dropped without [`IndexTransaction::commit`]
/// it rolls back.
pub struct IndexTransaction<'a> {
    tx: Transaction<'a>,
}

impl std::ops::Deref for IndexTransaction<'_> {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.tx
    }
}

macro_rules! reads {
    () => {
        /// The author `userid` (exact), if registered.
        pub fn author(&self, userid: &str) -> Result<Option<AuthorRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT userid, fullname, email, pumpking FROM authors WHERE userid = ?1",
                    [userid],
                    author_from_row,
                )
                .optional()?)
        }

        /// Every author, by id.
        pub fn authors(&self) -> Result<Vec<AuthorRecord>, StoreError> {
            let mut statement = self
                .conn()
                .prepare("SELECT userid, fullname, email, pumpking FROM authors ORDER BY userid")?;
            let rows = statement.query_map([], author_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// Package rows whose lower-case name is in `lc_names`.
        pub fn packages_named(
            &self,
            lc_names: &BTreeSet<String>,
        ) -> Result<Vec<PackageRecord>, StoreError> {
            let mut statement = self.conn().prepare_cached(
                "SELECT package, version, dist, file, dist_mtime FROM packages WHERE lc_package = ?1",
            )?;
            let mut out = Vec::new();
            for name in lc_names {
                let rows = statement.query_map([name], package_from_row)?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        }

        /// `perms` (or, with `first_come`, `primeur`) rows whose lower-case package is in `lc_names`.
        pub fn permissions_named(
            &self,
            lc_names: &BTreeSet<String>,
            first_come: bool,
        ) -> Result<Vec<PermissionRecord>, StoreError> {
            let sql = if first_come {
                "SELECT package, userid FROM primeur WHERE lc_package = ?1"
            } else {
                "SELECT package, userid FROM perms WHERE lc_package = ?1"
            };
            let mut statement = self.conn().prepare_cached(sql)?;
            let mut out = Vec::new();
            for name in lc_names {
                let rows = statement.query_map([name], permission_from_row)?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        }

        /// Every package row, by package.
        pub fn all_packages(&self) -> Result<Vec<PackageRecord>, StoreError> {
            let mut statement = self.conn().prepare(
                "SELECT package, version, dist, file, dist_mtime FROM packages ORDER BY lc_package, package",
            )?;
            let rows = statement.query_map([], package_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// Every `perms` (or `primeur`) row.
        pub fn all_permissions(&self, first_come: bool) -> Result<Vec<PermissionRecord>, StoreError> {
            let sql = if first_come {
                "SELECT package, userid FROM primeur ORDER BY package, userid"
            } else {
                "SELECT package, userid FROM perms ORDER BY package, userid"
            };
            let mut statement = self.conn().prepare(sql)?;
            let rows = statement.query_map([], permission_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The ids of the pumpkings.
        pub fn pumpkings(&self) -> Result<Vec<String>, StoreError> {
            let mut statement = self
                .conn()
                .prepare_cached("SELECT userid FROM authors WHERE pumpking = 1 ORDER BY userid")?;
            let rows = statement.query_map([], |row| row.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The upload of `path` (below `authors/id/`), deleted or not.
        pub fn upload_by_path(&self, path: &str) -> Result<Option<UploadRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT id, path, userid, size, sha256, mtime, uploaded_at, state
                     FROM uploads WHERE path = ?1",
                    [path],
                    upload_from_row,
                )
                .optional()?)
        }

        /// Every upload that is not deleted, in upload order (the replay order of a rebuild).
        pub fn uploads(&self) -> Result<Vec<UploadRecord>, StoreError> {
            let mut statement = self.conn().prepare(
                "SELECT id, path, userid, size, sha256, mtime, uploaded_at, state
                 FROM uploads WHERE deleted_at IS NULL ORDER BY id",
            )?;
            let rows = statement.query_map([], upload_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// Every index entry `package` (exact) ever had, oldest first: (version, dist).
        pub fn package_history(&self, package: &str) -> Result<Vec<(String, String)>, StoreError> {
            let mut statement = self.conn().prepare_cached(
                "SELECT version, dist FROM package_history WHERE package = ?1 ORDER BY seq",
            )?;
            let rows = statement.query_map([package], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// Uploads stored but not yet indexed (the durable queue), oldest first.
        pub fn queued_uploads(&self) -> Result<Vec<UploadRecord>, StoreError> {
            let mut statement = self.conn().prepare(
                "SELECT id, path, userid, size, sha256, mtime, uploaded_at, state
                 FROM uploads WHERE state = 'stored' AND deleted_at IS NULL ORDER BY id",
            )?;
            let rows = statement.query_map([], upload_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The upload with row id `id`.
        pub fn upload_by_id(&self, id: i64) -> Result<Option<UploadRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT id, path, userid, size, sha256, mtime, uploaded_at, state
                     FROM uploads WHERE id = ?1",
                    [id],
                    upload_from_row,
                )
                .optional()?)
        }

        /// Every administrator's permission change, oldest first.
        pub fn admin_grants(&self) -> Result<Vec<AdminGrant>, StoreError> {
            let mut statement = self.conn().prepare(
                "SELECT package, userid, action, before_upload FROM admin_grants ORDER BY seq",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(AdminGrant {
                    package: row.get(0)?,
                    userid: row.get(1)?,
                    action: row.get(2)?,
                    before_upload: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The report of upload `upload_id`.
        pub fn report(&self, upload_id: i64) -> Result<Option<ReportRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT upload_id, policy, status, subject, text, json FROM reports WHERE upload_id = ?1",
                    [upload_id],
                    |row| {
                        Ok(ReportRecord {
                            upload_id: row.get(0)?,
                            policy: row.get(1)?,
                            status: row.get(2)?,
                            subject: row.get(3)?,
                            text: row.get(4)?,
                            json: row.get(5)?,
                        })
                    },
                )
                .optional()?)
        }
    };
}

impl IndexReader<'_> {
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        self.conn
    }
    reads!();
}

impl IndexTransaction<'_> {
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        &self.tx
    }
    reads!();

    /// Commits everything written through this transaction.
    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    /// Registers an author, or updates the name and address of an existing one.
    pub fn upsert_author(&self, author: &AuthorRecord, now: i64) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO authors (userid, fullname, email, pumpking, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (userid) DO UPDATE SET fullname = excluded.fullname,
                 email = excluded.email, pumpking = excluded.pumpking",
            params![
                author.userid,
                author.fullname,
                author.email,
                author.pumpking,
                now
            ],
        )?;
        Ok(())
    }

    /// The value of the repository setting `key` (as [`crate::Store::setting`]), in this
    /// transaction.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT value FROM repository WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Counts one more change of the index (in this transaction): the publisher compares it with
    /// the generation it last published to know whether the files lag behind the database.
    pub fn bump_generation(&self) -> Result<(), StoreError> {
        self.bump_counter("index.generation")
    }

    /// Counts one more change of the permissions or authors (`what` is `perms` or `authors`), so
    /// that the publisher rewrites 06perms / 01mailrc only when they can have changed.
    pub fn bump_counter(&self, key: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO repository (key, value) VALUES (?1, '1')
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
            [key],
        )?;
        Ok(())
    }

    /// Records an administrator's permission change for later rebuilds.
    pub fn record_admin_grant(
        &self,
        package: &str,
        userid: &str,
        action: &str,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO admin_grants (package, userid, action, before_upload)
             VALUES (?1, ?2, ?3, (SELECT coalesce(max(id), 0) + 1 FROM uploads))",
            params![package, userid, action],
        )?;
        Ok(())
    }

    /// Inserts or replaces the package row `record.package`, and appends to the package's
    /// history when its version or distribution changed.
    pub fn upsert_package(&self, record: &PackageRecord) -> Result<(), StoreError> {
        let current: Option<(String, String)> = self
            .tx
            .prepare_cached("SELECT version, dist FROM packages WHERE package = ?1")?
            .query_row([&record.package], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        if current.as_ref() != Some(&(record.version.clone(), record.dist.clone())) {
            self.tx
                .prepare_cached(
                    "INSERT INTO package_history (package, version, dist, indexed_at)
                     VALUES (?1, ?2, ?3, CAST(strftime('%s', 'now') AS INTEGER))",
                )?
                .execute(params![record.package, record.version, record.dist])?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO packages (package, lc_package, version, dist, file, dist_mtime)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (package) DO UPDATE SET version = excluded.version,
                     dist = excluded.dist, file = excluded.file, dist_mtime = excluded.dist_mtime",
            )?
            .execute(params![
                record.package,
                record.package.to_lowercase(),
                record.version,
                record.dist,
                record.file,
                record.dist_mtime
            ])?;
        Ok(())
    }

    /// Deletes the package row `package` (exact).
    pub fn delete_package(&self, package: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM packages WHERE package = ?1")?
            .execute([package])?;
        Ok(())
    }

    /// Inserts a `perms` (or `primeur`) row; an existing identical row is kept.
    pub fn insert_permission(
        &self,
        record: &PermissionRecord,
        first_come: bool,
    ) -> Result<(), StoreError> {
        let sql = if first_come {
            "INSERT OR IGNORE INTO primeur (package, lc_package, userid) VALUES (?1, ?2, ?3)"
        } else {
            "INSERT OR IGNORE INTO perms (package, lc_package, userid) VALUES (?1, ?2, ?3)"
        };
        self.tx.prepare_cached(sql)?.execute(params![
            record.package,
            record.package.to_lowercase(),
            record.userid
        ])?;
        Ok(())
    }

    /// Deletes a `perms` (or `primeur`) row.
    pub fn delete_permission(
        &self,
        record: &PermissionRecord,
        first_come: bool,
    ) -> Result<(), StoreError> {
        let sql = if first_come {
            "DELETE FROM primeur WHERE package = ?1 AND userid = ?2"
        } else {
            "DELETE FROM perms WHERE package = ?1 AND userid = ?2"
        };
        self.tx
            .prepare_cached(sql)?
            .execute(params![record.package, record.userid])?;
        Ok(())
    }

    /// Records a new upload; fails with [`StoreError::FileExists`] when the path was used before.
    pub fn insert_upload(
        &self,
        path: &str,
        userid: &str,
        size: i64,
        sha256: &str,
        mtime: i64,
        uploaded_at: i64,
    ) -> Result<i64, StoreError> {
        if self.upload_by_path(path)?.is_some() {
            return Err(StoreError::FileExists(path.to_string()));
        }
        self.tx.execute(
            "INSERT INTO uploads (path, userid, size, sha256, mtime, uploaded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![path, userid, size, sha256, mtime, uploaded_at],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Replaces an overwritable file (the README-like and document names PAUSE lets an author
    /// upload again) and returns its upload id.
    ///
    /// PAUSE deletes the old `uris` row and inserts a new one; here the row is updated in place,
    /// so that what refers to the upload (its deletions, the URLs of its id) stays valid and the
    /// file stays one upload. What was derived from the old file — its report and release
    /// record — is dropped (the new file is indexed afresh), a deletion still pending for the old
    /// file is cancelled (it was asked for a file that is gone), and a deleted file comes back.
    /// Without an existing row this is [`IndexTransaction::insert_upload`].
    pub fn replace_upload(
        &self,
        path: &str,
        userid: &str,
        size: i64,
        sha256: &str,
        mtime: i64,
        uploaded_at: i64,
    ) -> Result<i64, StoreError> {
        let existing: Option<i64> = self
            .tx
            .query_row("SELECT id FROM uploads WHERE path = ?1", [path], |row| {
                row.get(0)
            })
            .optional()?;
        let Some(id) = existing else {
            return self.insert_upload(path, userid, size, sha256, mtime, uploaded_at);
        };
        for table in ["reports", "release_prereqs", "releases"] {
            self.tx
                .execute(&format!("DELETE FROM {table} WHERE upload_id = ?1"), [id])?;
        }
        self.tx.execute(
            "UPDATE deletions SET state = 'cancelled', finished_at = ?2,
                 error = 'the file was replaced by a new upload'
             WHERE upload_id = ?1 AND state = 'scheduled'",
            params![id, uploaded_at],
        )?;
        self.tx.execute(
            "UPDATE uploads SET userid = ?2, size = ?3, sha256 = ?4, mtime = ?5, uploaded_at = ?6,
                 state = 'stored', deleted_at = NULL
             WHERE id = ?1",
            params![id, userid, size, sha256, mtime, uploaded_at],
        )?;
        Ok(id)
    }

    /// Marks an upload indexed and stores its report.
    pub fn save_report(&self, report: &ReportRecord, now: i64) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO reports (upload_id, policy, status, subject, text, json, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                report.upload_id,
                report.policy,
                report.status,
                report.subject,
                report.text,
                report.json,
                now
            ],
        )?;
        self.tx.execute(
            "UPDATE uploads SET state = 'indexed' WHERE id = ?1",
            [report.upload_id],
        )?;
        Ok(())
    }

    /// Empties the package index, the permissions and the reports (for a rebuild; authors,
    /// uploads and admin-granted permissions are replayed by the caller).
    pub fn clear_index(&self) -> Result<(), StoreError> {
        self.tx.execute_batch(
            "DELETE FROM packages; DELETE FROM perms; DELETE FROM primeur; DELETE FROM reports;
             DELETE FROM package_history;
             UPDATE uploads SET state = 'stored';",
        )?;
        Ok(())
    }
}

fn author_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuthorRecord> {
    Ok(AuthorRecord {
        userid: row.get(0)?,
        fullname: row.get(1)?,
        email: row.get(2)?,
        pumpking: row.get(3)?,
    })
}

fn package_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PackageRecord> {
    Ok(PackageRecord {
        package: row.get(0)?,
        version: row.get(1)?,
        dist: row.get(2)?,
        file: row.get(3)?,
        dist_mtime: row.get(4)?,
    })
}

fn permission_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PermissionRecord> {
    Ok(PermissionRecord {
        package: row.get(0)?,
        userid: row.get(1)?,
    })
}

fn upload_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        id: row.get(0)?,
        path: row.get(1)?,
        userid: row.get(2)?,
        size: row.get(3)?,
        sha256: row.get(4)?,
        mtime: row.get(5)?,
        uploaded_at: row.get(6)?,
        state: row.get(7)?,
    })
}
