//! The author life-cycle's tables (one migration): account states (`active`, `nologin`) with
//! the last sign-in, the authors' secret address (PAUSE's `secretemail`: mailed, never
//! published), the queue of PAUSE id requests, reminders sent to inactive unused ids, ids
//! deleted (by their owner or reclaimed), the per-author opt-out of the automatic cleanup of old
//! releases and the cleanup notices sent.
//!
//! As everywhere in the store, rows and not rules: which request is spam, which id is inactive
//! and which file the cleanup takes are decided by `riverpan-repository`.

use rusqlite::{params, OptionalExtension};

use crate::{IndexTransaction, Store, StoreError};

pub(crate) const SCHEMA: &str = "
    ALTER TABLE accounts ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'nologin'));
    ALTER TABLE accounts ADD COLUMN state_changed_at INTEGER;
    ALTER TABLE accounts ADD COLUMN state_changed_by TEXT;
    ALTER TABLE accounts ADD COLUMN last_login_at INTEGER;
    ALTER TABLE authors ADD COLUMN cleanup_opt_out INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE authors ADD COLUMN secret_email TEXT;
    CREATE TABLE id_requests (
        id            INTEGER PRIMARY KEY,
        userid        TEXT NOT NULL,
        fullname      TEXT NOT NULL,
        email         TEXT NOT NULL,
        homepage      TEXT NOT NULL DEFAULT '',
        rationale     TEXT NOT NULL,
        client_ip     TEXT NOT NULL DEFAULT '',
        requested_at  INTEGER NOT NULL,
        state         TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'approved', 'rejected')),
        decided_at    INTEGER,
        decided_by    TEXT,
        decision_note TEXT
    ) STRICT;
    CREATE INDEX id_requests_by_state ON id_requests (state, id);
    CREATE INDEX id_requests_by_email ON id_requests (lower(email), requested_at);
    CREATE INDEX id_requests_by_time ON id_requests (requested_at);
    CREATE UNIQUE INDEX id_requests_one_pending_per_id ON id_requests (userid)
        WHERE state = 'pending';
    CREATE TABLE inactive_id_warnings (
        userid    TEXT NOT NULL PRIMARY KEY,
        warned_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE deleted_ids (
        id         INTEGER PRIMARY KEY,
        userid     TEXT NOT NULL,
        deleted_at INTEGER NOT NULL,
        deleted_by TEXT NOT NULL,
        reason     TEXT NOT NULL
    ) STRICT;
    CREATE TABLE cleanup_notices (
        id        INTEGER PRIMARY KEY,
        userid    TEXT NOT NULL,
        sent_at   INTEGER NOT NULL,
        files     INTEGER NOT NULL,
        due_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX cleanup_notices_by_user ON cleanup_notices (userid, sent_at);
";

/// An account's state as PAUSE's `ustatus` has it (without `unused`, which riverpan derives
/// from the uploads, and `delete`, which riverpan carries out at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStateRecord {
    /// `active` or `nologin`.
    pub state: String,
    /// When an administrator last changed it.
    pub changed_at: Option<i64>,
    /// Which administrator.
    pub changed_by: Option<String>,
    /// The last successful sign-in (password, web or token), seconds since the epoch.
    pub last_login_at: Option<i64>,
}

/// A request for a PAUSE id, as submitted on the public form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRequestRecord {
    /// The request's number (0 before it is stored).
    pub id: i64,
    /// The id asked for, upper case.
    pub userid: String,
    /// The requester's name.
    pub fullname: String,
    /// Where the decision is mailed.
    pub email: String,
    /// An optional web page.
    pub homepage: String,
    /// Why they want an id.
    pub rationale: String,
    /// The address the form came from (for the per-address limit).
    pub client_ip: String,
    /// Seconds since the epoch.
    pub requested_at: i64,
    /// `pending`, `approved` or `rejected`.
    pub state: String,
    /// When decided.
    pub decided_at: Option<i64>,
    /// Who decided (`AUTO` for the automatic approval).
    pub decided_by: Option<String>,
    /// The administrator's note (the rejection's reason).
    pub decision_note: Option<String>,
}

/// What the store knows about one author's activity, for the report of inactive unused ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdActivityRecord {
    /// The PAUSE id.
    pub userid: String,
    /// When the author was registered.
    pub created_at: i64,
    /// The latest of: account created, last sign-in, last token use.
    pub last_activity_at: i64,
    /// Whether the id can sign in at all (has an account).
    pub has_account: bool,
    /// Administrators are never reported.
    pub is_admin: bool,
    /// Files ever uploaded into the id's directory or by the id (deleted ones included).
    pub uploads: i64,
    /// Permission rows (`perms` or `primeur`) the id holds.
    pub permissions: i64,
    /// When the reminder to sign in was sent, if it was.
    pub warned_at: Option<i64>,
}

/// A file on CPAN as the cleanup sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveUploadRecord {
    /// The upload's id.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// The file's mtime (seconds): its age on CPAN.
    pub mtime: i64,
    /// Some package of 02packages points at it.
    pub indexed: bool,
    /// A deletion of it is scheduled already.
    pub deletion_pending: bool,
    /// A deletion of it requested by the requester given to [`Store::live_uploads`] was
    /// cancelled (the author wants to keep it).
    pub deletion_cancelled: bool,
}

const ID_REQUEST_COLUMNS: &str = "id, userid, fullname, email, homepage, rationale, client_ip, \
     requested_at, state, decided_at, decided_by, decision_note";

fn id_request_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<IdRequestRecord> {
    Ok(IdRequestRecord {
        id: row.get(0)?,
        userid: row.get(1)?,
        fullname: row.get(2)?,
        email: row.get(3)?,
        homepage: row.get(4)?,
        rationale: row.get(5)?,
        client_ip: row.get(6)?,
        requested_at: row.get(7)?,
        state: row.get(8)?,
        decided_at: row.get(9)?,
        decided_by: row.get(10)?,
        decision_note: row.get(11)?,
    })
}

impl Store {
    /// The state of `userid`'s account, if there is an account.
    pub fn account_state(&self, userid: &str) -> Result<Option<AccountStateRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT state, state_changed_at, state_changed_by, last_login_at
                 FROM accounts WHERE userid = ?1",
                [userid],
                |row| {
                    Ok(AccountStateRecord {
                        state: row.get(0)?,
                        changed_at: row.get(1)?,
                        changed_by: row.get(2)?,
                        last_login_at: row.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Sets the state (`active` or `nologin`) of `userid`'s account, recording who did it; with
    /// `nologin` the account's web sessions end at once. `false` when there is no such account.
    pub fn set_account_state(
        &self,
        userid: &str,
        state: &str,
        changed_by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute(
            "UPDATE accounts SET state = ?2, state_changed_at = ?3, state_changed_by = ?4,
                 updated_at = ?3
             WHERE userid = ?1",
            params![userid, state, now, changed_by],
        )?;
        if state != "active" {
            tx.execute("DELETE FROM web_sessions WHERE userid = ?1", [userid])?;
        }
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Records a successful sign-in of `userid` (Lancaster: a login counts as activity).
    pub fn record_login(&self, userid: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE accounts SET last_login_at = ?2 WHERE userid = ?1",
            params![userid, now],
        )?;
        Ok(())
    }

    /// How many files `userid` ever uploaded or has in its directory (deleted ones count: they
    /// are on BackPAN under that id).
    pub fn uploads_ever(&self, userid: &str, author_dir: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM uploads WHERE userid = ?1 OR substr(path, 1, length(?2) + 1) = ?2 || '/'",
            params![userid, author_dir],
            |row| row.get(0),
        )?)
    }

    /// How many permission rows (`perms` and `primeur`) `userid` holds.
    pub fn permissions_held(&self, userid: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM perms WHERE userid = ?1)
                  + (SELECT count(*) FROM primeur WHERE userid = ?1)",
            [userid],
            |row| row.get(0),
        )?)
    }

    /// Stores a new id request (state `pending`) and returns its number; fails with a
    /// constraint error when a request for the same id is pending already.
    pub fn insert_id_request(&self, request: &IdRequestRecord) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO id_requests (userid, fullname, email, homepage, rationale, client_ip,
                 requested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                request.userid,
                request.fullname,
                request.email,
                request.homepage,
                request.rationale,
                request.client_ip,
                request.requested_at
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The id request `id`.
    pub fn id_request(&self, id: i64) -> Result<Option<IdRequestRecord>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ID_REQUEST_COLUMNS} FROM id_requests WHERE id = ?1"),
                [id],
                id_request_from_row,
            )
            .optional()?)
    }

    /// Id requests in `state` (every state with `None`), oldest first.
    pub fn id_requests(&self, state: Option<&str>) -> Result<Vec<IdRequestRecord>, StoreError> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {ID_REQUEST_COLUMNS} FROM id_requests
             WHERE ?1 IS NULL OR state = ?1 ORDER BY id"
        ))?;
        let rows = statement.query_map([state], id_request_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether a request for `userid` is pending.
    pub fn id_request_pending_for(&self, userid: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM id_requests WHERE userid = ?1 AND state = 'pending'")?
            .exists([userid])?)
    }

    /// Requests submitted since `since`: in all, from e-mail address `email`
    /// (case-insensitive), and from client address `client_ip`.
    pub fn id_requests_since(
        &self,
        since: i64,
        email: &str,
        client_ip: &str,
    ) -> Result<(i64, i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*),
                    coalesce(sum(lower(email) = lower(?2)), 0),
                    coalesce(sum(client_ip = ?3 AND ?3 <> ''), 0)
             FROM id_requests WHERE requested_at >= ?1",
            params![since, email, client_ip],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?)
    }

    /// How many requests `decided_by` approved since `since` (the automatic approval's cap).
    pub fn id_requests_approved_by_since(
        &self,
        decided_by: &str,
        since: i64,
    ) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM id_requests
             WHERE state = 'approved' AND decided_by = ?1 AND decided_at >= ?2",
            params![decided_by, since],
            |row| row.get(0),
        )?)
    }

    /// Where mail for `userid` goes: the secret address (PAUSE's `secretemail`, given when the
    /// id was requested; never published), else the public one.
    pub fn contact_email(&self, userid: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT coalesce(nullif(secret_email, ''), nullif(email, ''))
                 FROM authors WHERE userid = ?1",
                [userid],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Whether the author opted out of the automatic cleanup of old releases.
    pub fn cleanup_opt_out(&self, userid: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT cleanup_opt_out FROM authors WHERE userid = ?1",
                [userid],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Sets the author's cleanup opt-out; `false` when there is no such author.
    pub fn set_cleanup_opt_out(&self, userid: &str, opt_out: bool) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE authors SET cleanup_opt_out = ?2 WHERE userid = ?1",
            params![userid, opt_out],
        )? == 1)
    }

    /// The authors who opted out of the cleanup.
    pub fn cleanup_opt_outs(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT userid FROM authors WHERE cleanup_opt_out <> 0 ORDER BY userid")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every file on CPAN (not deleted) with what the cleanup needs to know of it; deletions
    /// requested by `requester` and cancelled are flagged.
    pub fn live_uploads(&self, requester: &str) -> Result<Vec<LiveUploadRecord>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT u.id, u.path, u.mtime,
                    EXISTS (SELECT 1 FROM packages p WHERE p.dist = u.path),
                    EXISTS (SELECT 1 FROM deletions d
                            WHERE d.upload_id = u.id AND d.state = 'scheduled'),
                    EXISTS (SELECT 1 FROM deletions d WHERE d.upload_id = u.id
                            AND d.state = 'cancelled' AND d.requested_by = ?1)
             FROM uploads u WHERE u.deleted_at IS NULL ORDER BY u.id",
        )?;
        let rows = statement.query_map([requester], |row| {
            Ok(LiveUploadRecord {
                upload_id: row.get(0)?,
                path: row.get(1)?,
                mtime: row.get(2)?,
                indexed: row.get(3)?,
                deletion_pending: row.get(4)?,
                deletion_cancelled: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When `userid` last got a cleanup notice.
    pub fn last_cleanup_notice(&self, userid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT max(sent_at) FROM cleanup_notices WHERE userid = ?1",
            [userid],
            |row| row.get(0),
        )?)
    }

    /// Records a cleanup notice to `userid` about `files` files due at `due_at`.
    pub fn record_cleanup_notice(
        &self,
        userid: &str,
        now: i64,
        files: i64,
        due_at: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO cleanup_notices (userid, sent_at, files, due_at) VALUES (?1, ?2, ?3, ?4)",
            params![userid, now, files, due_at],
        )?;
        Ok(())
    }

    /// Every author with what the report of inactive unused ids needs, by id.
    pub fn id_activity(&self) -> Result<Vec<IdActivityRecord>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT a.userid, a.created_at,
                    max(a.created_at, coalesce(acc.created_at, 0),
                        coalesce(acc.last_login_at, 0),
                        coalesce((SELECT max(t.last_used_at) FROM api_tokens t
                                  WHERE t.userid = a.userid), 0)),
                    acc.userid IS NOT NULL,
                    coalesce(acc.is_admin, 0),
                    (SELECT count(*) FROM uploads u WHERE u.userid = a.userid
                        OR substr(u.path, 1, length(a.userid) + 6) =
                           substr(a.userid, 1, 1) || '/' || substr(a.userid, 1, 2) || '/'
                           || a.userid || '/'),
                    (SELECT count(*) FROM perms p WHERE p.userid = a.userid)
                      + (SELECT count(*) FROM primeur f WHERE f.userid = a.userid),
                    w.warned_at
             FROM authors a
             LEFT JOIN accounts acc ON acc.userid = a.userid
             LEFT JOIN inactive_id_warnings w ON w.userid = a.userid
             ORDER BY a.userid",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(IdActivityRecord {
                userid: row.get(0)?,
                created_at: row.get(1)?,
                last_activity_at: row.get(2)?,
                has_account: row.get(3)?,
                is_admin: row.get(4)?,
                uploads: row.get(5)?,
                permissions: row.get(6)?,
                warned_at: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that `userid` was reminded to sign in at `now`.
    pub fn record_inactive_warning(&self, userid: &str, now: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO inactive_id_warnings (userid, warned_at) VALUES (?1, ?2)
             ON CONFLICT (userid) DO UPDATE SET warned_at = excluded.warned_at",
            params![userid, now],
        )?;
        Ok(())
    }

    /// Ids deleted so far: (userid, when, by whom, why), oldest first.
    pub fn deleted_ids(&self) -> Result<Vec<(String, i64, String, String)>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT userid, deleted_at, deleted_by, reason FROM deleted_ids ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl IndexTransaction<'_> {
    /// Decides pending id request `id` (`approved` or `rejected`); `false` when it is not
    /// pending any more (decided by someone else in the meantime).
    pub fn decide_id_request(
        &self,
        id: i64,
        state: &str,
        decided_by: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE id_requests SET state = ?2, decided_at = ?3, decided_by = ?4,
                 decision_note = ?5
             WHERE id = ?1 AND state = 'pending'",
            params![id, state, now, decided_by, note],
        )? == 1)
    }

    /// Sets `userid`'s secret address (mailed, never published).
    pub fn set_secret_email(&self, userid: &str, email: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE authors SET secret_email = ?2 WHERE userid = ?1",
            params![userid, email],
        )?;
        Ok(())
    }

    /// Creates the login account of a newly approved id with `password_hash` (or replaces the
    /// password of an existing one), in the transaction that registers the author.
    pub fn create_account(
        &self,
        userid: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO accounts (userid, password_hash, is_admin, created_at, updated_at)
             VALUES (?1, ?2, 0, ?3, ?3)
             ON CONFLICT (userid) DO UPDATE SET password_hash = excluded.password_hash,
                 updated_at = excluded.updated_at",
            params![userid, password_hash, now],
        )?;
        Ok(())
    }

    /// Removes the id `userid` (author, account, tokens, sessions, reminder) and records why;
    /// the caller has checked that it never uploaded and holds no permission.
    pub fn delete_id(
        &self,
        userid: &str,
        deleted_by: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM web_sessions WHERE userid = ?1",
            "DELETE FROM api_tokens WHERE userid = ?1",
            "DELETE FROM accounts WHERE userid = ?1",
            "DELETE FROM inactive_id_warnings WHERE userid = ?1",
            "DELETE FROM authors WHERE userid = ?1",
        ] {
            self.execute(sql, [userid])?;
        }
        self.execute(
            "INSERT INTO deleted_ids (userid, deleted_at, deleted_by, reason)
             VALUES (?1, ?2, ?3, ?4)",
            params![userid, now, deleted_by, reason],
        )?;
        Ok(())
    }
}
