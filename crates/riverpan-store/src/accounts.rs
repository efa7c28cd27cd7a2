//! The write side's tables (migration 4): login accounts, API tokens and scheduled deletions.
//!
//! The store keeps rows, not secrets: password hashes (argon2id PHC strings) and token digests
//! (sha256 hex) are computed by the caller, which also decides what a scope means. A token's
//! public `token_id` names it in listings and revocations; its secret is never stored.
//!
//! Deletions follow PAUSE (`deletes` table, executed later by cron): a row is scheduled with a
//! due time, may be cancelled (undelete) before it is due, and is marked done in the same
//! transaction that drops the file's packages from the index.

use rusqlite::{params, OptionalExtension};

use crate::{IndexTransaction, Store, StoreError};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE accounts (
        userid        TEXT NOT NULL PRIMARY KEY,
        password_hash TEXT,
        is_admin      INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE api_tokens (
        id            INTEGER PRIMARY KEY,
        token_id      TEXT NOT NULL UNIQUE,
        userid        TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        scope         TEXT NOT NULL,
        description   TEXT NOT NULL DEFAULT '',
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER,
        revoked_at    INTEGER,
        last_used_at  INTEGER
    ) STRICT;
    CREATE INDEX api_tokens_by_user ON api_tokens (userid);
    CREATE TABLE deletions (
        id           INTEGER PRIMARY KEY,
        upload_id    INTEGER NOT NULL REFERENCES uploads (id),
        path         TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        due_at       INTEGER NOT NULL,
        state        TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (state IN ('scheduled', 'cancelled', 'done', 'failed')),
        finished_at  INTEGER,
        error        TEXT
    ) STRICT;
    CREATE UNIQUE INDEX deletions_one_pending ON deletions (upload_id) WHERE state = 'scheduled';
    CREATE INDEX deletions_due ON deletions (state, due_at);
";

/// A login account: a PAUSE id that may authenticate, with its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The PAUSE id.
    pub userid: String,
    /// The argon2id PHC string, or `None` when the account logs in with tokens only.
    pub password_hash: Option<String>,
    /// Administrators may upload and delete for other authors.
    pub is_admin: bool,
}

/// An API token as stored (the secret itself is never stored, only its sha256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's public name (shown in listings, used to revoke it).
    pub token_id: String,
    /// Whose token it is.
    pub userid: String,
    /// sha256 of the secret, lower-case hex.
    pub secret_sha256: String,
    /// What the token may do, e.g. `upload` or `upload:Foo::*,Bar`.
    pub scope: String,
    /// Free text given at creation.
    pub description: String,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// Seconds since the epoch; `None` never expires.
    pub expires_at: Option<i64>,
    /// Seconds since the epoch; `None` while the token is valid.
    pub revoked_at: Option<i64>,
    /// When the token last authenticated a request.
    pub last_used_at: Option<i64>,
}

/// A deletion, scheduled or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRecord {
    /// The deletion's id (`/api/v1/deletions/{id}`).
    pub id: i64,
    /// The upload being deleted.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// Who asked.
    pub requested_by: String,
    /// When it was asked (seconds since the epoch).
    pub requested_at: i64,
    /// When it runs (seconds since the epoch).
    pub due_at: i64,
    /// `scheduled`, `cancelled`, `done` or `failed`.
    pub state: String,
    /// When it was executed or cancelled.
    pub finished_at: Option<i64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

const TOKEN_COLUMNS: &str = "token_id, userid, secret_sha256, scope, description, created_at, \
                             expires_at, revoked_at, last_used_at";
const DELETION_COLUMNS: &str =
    "id, upload_id, path, requested_by, requested_at, due_at, state, finished_at, error";

impl Store {
    /// The account `userid`, if there is one.
    pub fn account(&self, userid: &str) -> Result<Option<AccountRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT userid, password_hash, is_admin FROM accounts WHERE userid = ?1",
                [userid],
                |row| {
                    Ok(AccountRecord {
                        userid: row.get(0)?,
                        password_hash: row.get(1)?,
                        is_admin: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// How many accounts exist (0 on a new data directory: time for the admin bootstrap).
    pub fn account_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM accounts", [], |row| row.get(0))?)
    }

    /// Creates the account, or replaces its password hash and admin flag.
    pub fn upsert_account(&self, account: &AccountRecord, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO accounts (userid, password_hash, is_admin, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (userid) DO UPDATE SET password_hash = excluded.password_hash,
                 is_admin = excluded.is_admin, updated_at = excluded.updated_at",
            params![account.userid, account.password_hash, account.is_admin, now],
        )?;
        Ok(())
    }

    /// Stores a new token.
    pub fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO api_tokens (token_id, userid, secret_sha256, scope, description,
                 created_at, expires_at, revoked_at, last_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                token.token_id,
                token.userid,
                token.secret_sha256,
                token.scope,
                token.description,
                token.created_at,
                token.expires_at,
                token.revoked_at,
                token.last_used_at
            ],
        )?;
        Ok(())
    }

    /// The token named `token_id`, revoked or not.
    pub fn token(&self, token_id: &str) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_id = ?1"),
                [token_id],
                token_from_row,
            )
            .optional()?)
    }

    /// Every token of `userid`, oldest first.
    pub fn tokens_of(&self, userid: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE userid = ?1 ORDER BY id"
        ))?;
        let rows = statement.query_map([userid], token_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes the token; `false` when there is no such token or it was revoked already.
    pub fn revoke_token(&self, token_id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE token_id = ?1 AND revoked_at IS NULL",
            params![token_id, now],
        )?;
        Ok(changed == 1)
    }

    /// Records that the token authenticated a request now.
    pub fn touch_token(&self, token_id: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE token_id = ?1",
            params![token_id, now],
        )?;
        Ok(())
    }

    /// Schedules the deletion of upload `upload_id` (at `path`) at `due_at`; fails with a
    /// constraint error when one is already scheduled (see [`Store::pending_deletion`]).
    pub fn schedule_deletion(
        &self,
        upload_id: i64,
        path: &str,
        requested_by: &str,
        now: i64,
        due_at: i64,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO deletions (upload_id, path, requested_by, requested_at, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![upload_id, path, requested_by, now, due_at],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The deletion `id`.
    pub fn deletion(&self, id: i64) -> Result<Option<DeletionRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {DELETION_COLUMNS} FROM deletions WHERE id = ?1"),
                [id],
                deletion_from_row,
            )
            .optional()?)
    }

    /// The deletion of upload `upload_id` that is scheduled and not yet executed, if any.
    pub fn pending_deletion(&self, upload_id: i64) -> Result<Option<DeletionRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {DELETION_COLUMNS} FROM deletions
                     WHERE upload_id = ?1 AND state = 'scheduled'"
                ),
                [upload_id],
                deletion_from_row,
            )
            .optional()?)
    }

    /// Cancels (undeletes) a scheduled deletion; `false` when it is not scheduled any more.
    pub fn cancel_deletion(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE deletions SET state = 'cancelled', finished_at = ?2
             WHERE id = ?1 AND state = 'scheduled'",
            params![id, now],
        )?;
        Ok(changed == 1)
    }

    /// Scheduled deletions due at or before `now`, oldest first.
    pub fn due_deletions(&self, now: i64) -> Result<Vec<DeletionRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {DELETION_COLUMNS} FROM deletions
             WHERE state = 'scheduled' AND due_at <= ?1 ORDER BY due_at, id"
        ))?;
        let rows = statement.query_map([now], deletion_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When the next scheduled deletion is due, if any is scheduled.
    pub fn next_deletion_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT min(due_at) FROM deletions WHERE state = 'scheduled'",
            [],
            |row| row.get(0),
        )?)
    }

    /// When upload `upload_id` was deleted (`None` while it is on CPAN, or when unknown).
    pub fn upload_deleted_at(&self, upload_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT deleted_at FROM uploads WHERE id = ?1",
                [upload_id],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Marks a scheduled deletion failed (it is not retried; an administrator looks at `error`).
    pub fn fail_deletion(&self, id: i64, now: i64, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE deletions SET state = 'failed', finished_at = ?2, error = ?3
             WHERE id = ?1 AND state = 'scheduled'",
            params![id, now, error],
        )?;
        Ok(())
    }
}

impl IndexTransaction<'_> {
    /// The packages whose index entry points at `dist` (a path below `authors/id/`).
    pub fn packages_of_dist(&self, dist: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self.prepare("SELECT package FROM packages WHERE dist = ?1")?;
        let rows = statement.query_map([dist], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks the upload deleted (it leaves the upload history a rebuild replays, the queue and
    /// CHECKSUMS; its name stays used forever, as on PAUSE).
    pub fn mark_upload_deleted(&self, upload_id: i64, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE uploads SET deleted_at = ?2 WHERE id = ?1",
            params![upload_id, now],
        )?;
        Ok(())
    }

    /// Marks the deletion executed (in the transaction that dropped the packages).
    pub fn finish_deletion(&self, id: i64, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE deletions SET state = 'done', finished_at = ?2 WHERE id = ?1",
            params![id, now],
        )?;
        Ok(())
    }

    /// Whether upload `upload_id` is deleted.
    pub fn upload_is_deleted(&self, upload_id: i64) -> Result<bool, StoreError> {
        let deleted: Option<Option<i64>> = self
            .query_row(
                "SELECT deleted_at FROM uploads WHERE id = ?1",
                [upload_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(matches!(deleted, Some(Some(_))))
    }
}

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        token_id: row.get(0)?,
        userid: row.get(1)?,
        secret_sha256: row.get(2)?,
        scope: row.get(3)?,
        description: row.get(4)?,
        created_at: row.get(5)?,
        expires_at: row.get(6)?,
        revoked_at: row.get(7)?,
        last_used_at: row.get(8)?,
    })
}

fn deletion_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeletionRecord> {
    Ok(DeletionRecord {
        id: row.get(0)?,
        upload_id: row.get(1)?,
        path: row.get(2)?,
        requested_by: row.get(3)?,
        requested_at: row.get(4)?,
        due_at: row.get(5)?,
        state: row.get(6)?,
        finished_at: row.get(7)?,
        error: row.get(8)?,
    })
}
