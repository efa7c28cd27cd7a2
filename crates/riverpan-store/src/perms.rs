//! The tables of permission management (one migration): the record of every permission
//! operation and of each row it changed, ownership offers (a transfer the recipient accepts),
//! adoption requests, and the `nologin` flag of an account.
//!
//! PAUSE keeps no trace of who changed a permission; here every operation is one
//! `perm_operations` row (who acted, on whose behalf, through which interface, why) with its
//! `perm_changes` (which package's owner or co-maintainer went from what to what). The store
//! knows rows, not rules: who may do what is decided by the caller.

use rusqlite::{params, OptionalExtension};

use crate::{IndexReader, IndexTransaction, Store, StoreError};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE perm_operations (
        id           INTEGER PRIMARY KEY,
        at           INTEGER NOT NULL,
        actor        TEXT NOT NULL,
        on_behalf_of TEXT,
        interface    TEXT NOT NULL CHECK (interface IN ('web', 'api', 'cli')),
        operation    TEXT NOT NULL,
        scope        TEXT NOT NULL CHECK (scope IN ('package', 'distribution')),
        subject      TEXT NOT NULL,
        lc_subject   TEXT NOT NULL,
        argument     TEXT,
        reason       TEXT,
        skipped      TEXT NOT NULL DEFAULT '[]'
    ) STRICT;
    CREATE INDEX perm_operations_by_subject ON perm_operations (scope, lc_subject);
    CREATE TABLE perm_changes (
        operation_id INTEGER NOT NULL REFERENCES perm_operations (id),
        seq          INTEGER NOT NULL,
        package      TEXT NOT NULL,
        lc_package   TEXT NOT NULL,
        dist         TEXT,
        role         TEXT NOT NULL CHECK (role IN ('owner', 'co-maintainer')),
        before       TEXT,
        after        TEXT,
        PRIMARY KEY (operation_id, seq)
    ) STRICT;
    CREATE INDEX perm_changes_by_package ON perm_changes (lc_package);
    CREATE INDEX perm_changes_by_dist ON perm_changes (dist);
    CREATE TABLE ownership_offers (
        id          INTEGER PRIMARY KEY,
        scope       TEXT NOT NULL CHECK (scope IN ('package', 'distribution')),
        subject     TEXT NOT NULL,
        from_userid TEXT NOT NULL,
        to_userid   TEXT NOT NULL,
        packages    TEXT NOT NULL,
        offered_by  TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'accepted', 'expired', 'withdrawn')),
        decided_at  INTEGER
    ) STRICT;
    CREATE INDEX ownership_offers_by_recipient ON ownership_offers (to_userid, state);
    CREATE TABLE adoption_requests (
        id          INTEGER PRIMARY KEY,
        dist        TEXT NOT NULL,
        userid      TEXT NOT NULL,
        reason      TEXT NOT NULL DEFAULT '',
        held_by     TEXT NOT NULL,
        immediate   INTEGER NOT NULL,
        total       INTEGER NOT NULL,
        bucket      INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'granted', 'refused')),
        decided_by  TEXT,
        decided_at  INTEGER,
        rationale   TEXT
    ) STRICT;
    CREATE INDEX adoption_requests_by_dist ON adoption_requests (dist);
    CREATE UNIQUE INDEX adoption_requests_one_pending
        ON adoption_requests (dist, userid) WHERE state = 'pending';
";

/// One permission operation as recorded (the heading of a log entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermOperationRecord {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// When (seconds since the epoch).
    pub at: i64,
    /// The PAUSE id that acted (an administrator acting for someone else is recorded here).
    pub actor: String,
    /// The PAUSE id the actor acted for, when not themself.
    pub on_behalf_of: Option<String>,
    /// `web`, `api` or `cli`.
    pub interface: String,
    /// What was done: `add-comaint`, `remove-comaint`, `transfer-offer`, `transfer`, `give-up`,
    /// `give-up-comaint`, `marker`, `adoption`.
    pub operation: String,
    /// `package` or `distribution`.
    pub scope: String,
    /// The package or distribution name.
    pub subject: String,
    /// The operation's argument (a PAUSE id, a marker, an offer id), when it has one.
    pub argument: Option<String>,
    /// Why, as the actor said.
    pub reason: Option<String>,
    /// JSON list of `{"package", "reason"}`: packages of a distribution left untouched.
    pub skipped: String,
}

/// One changed permission row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermChangeRecord {
    /// The package, case preserved.
    pub package: String,
    /// The distribution the package belongs to, when known.
    pub dist: Option<String>,
    /// `owner` or `co-maintainer`.
    pub role: String,
    /// Who held it before (`None`: nobody, a row was added).
    pub before: Option<String>,
    /// Who holds it after (`None`: nobody, a row was removed).
    pub after: Option<String>,
}

/// A transfer of ownership offered to an author, who accepts it (or lets it expire).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferRecord {
    /// Row id (`/api/v1/transfers/{id}`).
    pub id: i64,
    /// `package` or `distribution`.
    pub scope: String,
    /// The package or distribution offered.
    pub subject: String,
    /// The owner offering.
    pub from_userid: String,
    /// The recipient.
    pub to_userid: String,
    /// The packages offered (JSON list of names).
    pub packages: String,
    /// Who made the offer (the owner, or an administrator for them).
    pub offered_by: String,
    /// When (seconds since the epoch).
    pub created_at: i64,
    /// When the offer lapses.
    pub expires_at: i64,
    /// `pending`, `accepted`, `expired` or `withdrawn`.
    pub state: String,
    /// When it was accepted, found expired or withdrawn.
    pub decided_at: Option<i64>,
}

/// A request to adopt a distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptionRecord {
    /// Row id.
    pub id: i64,
    /// The distribution.
    pub dist: String,
    /// Who asks.
    pub userid: String,
    /// What they wrote.
    pub reason: String,
    /// Why it can be adopted: `ADOPTME`, `HANDOFF` or `NEEDHELP`.
    pub held_by: String,
    /// Direct dependents when asked.
    pub immediate: i64,
    /// Transitive dependents when asked.
    pub total: i64,
    /// MetaCPAN's river bucket when asked.
    pub bucket: i64,
    /// When asked.
    pub created_at: i64,
    /// `pending`, `granted` or `refused`.
    pub state: String,
    /// The administrator who decided (`None` while pending; the requester's own id when the
    /// first-come rule granted it).
    pub decided_by: Option<String>,
    /// When decided.
    pub decided_at: Option<i64>,
    /// The published rationale.
    pub rationale: Option<String>,
}

const OPERATION_COLUMNS: &str =
    "id, at, actor, on_behalf_of, interface, operation, scope, subject, argument, reason, skipped";
const OFFER_COLUMNS: &str = "id, scope, subject, from_userid, to_userid, packages, offered_by, \
                             created_at, expires_at, state, decided_at";
const ADOPTION_COLUMNS: &str = "id, dist, userid, reason, held_by, immediate, total, bucket, \
                                created_at, state, decided_by, decided_at, rationale";

impl Store {
    /// Whether the account `userid` is barred from signing in (`nologin`); `false` for an id
    /// without an account.
    pub fn is_nologin(&self, userid: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT state = 'nologin' FROM accounts WHERE userid = ?1",
                [userid],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Sets (`nologin`) or clears (`active`) the account state of `userid`, as an
    /// administrator (see [`Store::set_account_state`]); `false` when there is no such account.
    pub fn set_nologin(&self, userid: &str, nologin: bool) -> Result<bool, StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let state = if nologin { "nologin" } else { "active" };
        self.set_account_state(userid, state, "ADMIN", now)
    }
}

macro_rules! perm_reads {
    () => {
        /// Whether the account `userid` is `nologin` (as [`Store::is_nologin`]).
        pub fn is_nologin(&self, userid: &str) -> Result<bool, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT state = 'nologin' FROM accounts WHERE userid = ?1",
                    [userid],
                    |row| row.get(0),
                )
                .optional()?
                .unwrap_or(false))
        }

        /// The operations that changed a permission of `package` (any case) or were made on it,
        /// newest first, each with its changes.
        pub fn perm_log_of_package(
            &self,
            package: &str,
        ) -> Result<Vec<(PermOperationRecord, Vec<PermChangeRecord>)>, StoreError> {
            let lc = package.to_lowercase();
            self.perm_log_where(
                "id IN (SELECT operation_id FROM perm_changes WHERE lc_package = ?1)
                 OR (scope = 'package' AND lc_subject = ?1)",
                &lc,
            )
        }

        /// The operations that changed a permission of a package of `dist`, or were made on
        /// the distribution, newest first.
        pub fn perm_log_of_dist(
            &self,
            dist: &str,
        ) -> Result<Vec<(PermOperationRecord, Vec<PermChangeRecord>)>, StoreError> {
            self.perm_log_where(
                "id IN (SELECT operation_id FROM perm_changes WHERE dist = ?1)
                 OR (scope = 'distribution' AND subject = ?1)",
                dist,
            )
        }

        fn perm_log_where(
            &self,
            condition: &str,
            value: &str,
        ) -> Result<Vec<(PermOperationRecord, Vec<PermChangeRecord>)>, StoreError> {
            let conn = self.conn();
            let mut statement = conn.prepare(&format!(
                "SELECT {OPERATION_COLUMNS} FROM perm_operations WHERE {condition}
                 ORDER BY id DESC LIMIT 1000"
            ))?;
            let operations: Vec<PermOperationRecord> = statement
                .query_map([value], operation_from_row)?
                .collect::<Result<_, _>>()?;
            let mut changes = conn.prepare_cached(
                "SELECT package, dist, role, before, after FROM perm_changes
                 WHERE operation_id = ?1 ORDER BY seq",
            )?;
            let mut out = Vec::with_capacity(operations.len());
            for operation in operations {
                let rows: Vec<PermChangeRecord> = changes
                    .query_map([operation.id], |row| {
                        Ok(PermChangeRecord {
                            package: row.get(0)?,
                            dist: row.get(1)?,
                            role: row.get(2)?,
                            before: row.get(3)?,
                            after: row.get(4)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                out.push((operation, rows));
            }
            Ok(out)
        }

        /// The ownership offer `id`.
        pub fn offer(&self, id: i64) -> Result<Option<OfferRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    &format!("SELECT {OFFER_COLUMNS} FROM ownership_offers WHERE id = ?1"),
                    [id],
                    offer_from_row,
                )
                .optional()?)
        }

        /// Offers made to `userid` still in state `pending` (expired ones included: the
        /// caller compares `expires_at` with its clock), oldest first.
        pub fn pending_offers_to(&self, userid: &str) -> Result<Vec<OfferRecord>, StoreError> {
            let mut statement = self.conn().prepare(&format!(
                "SELECT {OFFER_COLUMNS} FROM ownership_offers
                 WHERE to_userid = ?1 AND state = 'pending' ORDER BY id"
            ))?;
            let rows = statement.query_map([userid], offer_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The adoption request `id`.
        pub fn adoption(&self, id: i64) -> Result<Option<AdoptionRecord>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    &format!("SELECT {ADOPTION_COLUMNS} FROM adoption_requests WHERE id = ?1"),
                    [id],
                    adoption_from_row,
                )
                .optional()?)
        }

        /// Adoption requests of `dist` (every state), newest first.
        pub fn adoptions_of_dist(&self, dist: &str) -> Result<Vec<AdoptionRecord>, StoreError> {
            let mut statement = self.conn().prepare(&format!(
                "SELECT {ADOPTION_COLUMNS} FROM adoption_requests WHERE dist = ?1 ORDER BY id DESC"
            ))?;
            let rows = statement.query_map([dist], adoption_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// Adoption requests waiting for an administrator, oldest first.
        pub fn pending_adoptions(&self) -> Result<Vec<AdoptionRecord>, StoreError> {
            let mut statement = self.conn().prepare(&format!(
                "SELECT {ADOPTION_COLUMNS} FROM adoption_requests WHERE state = 'pending' ORDER BY id"
            ))?;
            let rows = statement.query_map([], adoption_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The index's packages whose file is a release of distribution `dist`.
        pub fn indexed_packages_of_dist(&self, dist: &str) -> Result<Vec<String>, StoreError> {
            let mut statement = self.conn().prepare(
                "SELECT p.package FROM packages p JOIN uploads u ON u.path = p.dist
                 JOIN releases r ON r.upload_id = u.id WHERE r.dist = ?1 ORDER BY p.package",
            )?;
            let rows = statement.query_map([dist], |row| row.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        }

        /// The distribution name of the release the index entry of `package` (exact) points at.
        pub fn dist_of_package(&self, package: &str) -> Result<Option<String>, StoreError> {
            Ok(self
                .conn()
                .query_row(
                    "SELECT r.dist FROM packages p JOIN uploads u ON u.path = p.dist
                     JOIN releases r ON r.upload_id = u.id WHERE p.package = ?1",
                    [package],
                    |row| row.get(0),
                )
                .optional()?)
        }

        /// Uploads (not deleted) whose path contains `/{fragment}`, newest first: the candidates
        /// for the latest release of a distribution (the caller checks each name).
        pub fn uploads_named_like(&self, fragment: &str) -> Result<Vec<(i64, String)>, StoreError> {
            let escaped = fragment
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let mut statement = self.conn().prepare(
                "SELECT id, path FROM uploads WHERE deleted_at IS NULL
                 AND path LIKE ?1 ESCAPE '\\' ORDER BY id DESC LIMIT 200",
            )?;
            let rows = statement.query_map([format!("%/{escaped}%")], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        }
    };
}

impl IndexReader<'_> {
    perm_reads!();
}

impl IndexTransaction<'_> {
    perm_reads!();

    /// Records an operation and its changed rows; returns the operation's id.
    pub fn record_perm_operation(
        &self,
        operation: &PermOperationRecord,
        changes: &[PermChangeRecord],
    ) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO perm_operations (at, actor, on_behalf_of, interface, operation, scope,
                 subject, lc_subject, argument, reason, skipped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                operation.at,
                operation.actor,
                operation.on_behalf_of,
                operation.interface,
                operation.operation,
                operation.scope,
                operation.subject,
                operation.subject.to_lowercase(),
                operation.argument,
                operation.reason,
                operation.skipped,
            ],
        )?;
        let id = self.conn().last_insert_rowid();
        let mut insert = self.conn().prepare_cached(
            "INSERT INTO perm_changes (operation_id, seq, package, lc_package, dist, role, before, after)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (seq, change) in changes.iter().enumerate() {
            insert.execute(params![
                id,
                seq as i64,
                change.package,
                change.package.to_lowercase(),
                change.dist,
                change.role,
                change.before,
                change.after,
            ])?;
        }
        Ok(id)
    }

    /// Stores a new offer (its `id` and `state` are ignored); returns its id.
    pub fn insert_offer(&self, offer: &OfferRecord) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO ownership_offers (scope, subject, from_userid, to_userid, packages,
                 offered_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                offer.scope,
                offer.subject,
                offer.from_userid,
                offer.to_userid,
                offer.packages,
                offer.offered_by,
                offer.created_at,
                offer.expires_at,
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Moves a pending offer to `state` (`accepted`, `expired`, `withdrawn`); `false` when it
    /// was not pending any more.
    pub fn close_offer(&self, id: i64, state: &str, now: i64) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE ownership_offers SET state = ?2, decided_at = ?3
             WHERE id = ?1 AND state = 'pending'",
            params![id, state, now],
        )? == 1)
    }

    /// Withdraws the pending offers of the same subject from the same owner (a new offer
    /// replaces them); returns how many.
    pub fn withdraw_offers(
        &self,
        scope: &str,
        subject: &str,
        from_userid: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE ownership_offers SET state = 'withdrawn', decided_at = ?4
             WHERE scope = ?1 AND subject = ?2 AND from_userid = ?3 AND state = 'pending'",
            params![scope, subject, from_userid, now],
        )?)
    }

    /// Stores a new adoption request (its `id` is ignored); returns its id.
    pub fn insert_adoption(&self, adoption: &AdoptionRecord) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO adoption_requests (dist, userid, reason, held_by, immediate, total,
                 bucket, created_at, state, decided_by, decided_at, rationale)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                adoption.dist,
                adoption.userid,
                adoption.reason,
                adoption.held_by,
                adoption.immediate,
                adoption.total,
                adoption.bucket,
                adoption.created_at,
                adoption.state,
                adoption.decided_by,
                adoption.decided_at,
                adoption.rationale,
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Decides a pending adoption request; `false` when it was not pending any more.
    pub fn decide_adoption(
        &self,
        id: i64,
        granted: bool,
        decided_by: &str,
        rationale: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE adoption_requests SET state = ?2, decided_by = ?3, rationale = ?4,
                 decided_at = ?5
             WHERE id = ?1 AND state = 'pending'",
            params![
                id,
                if granted { "granted" } else { "refused" },
                decided_by,
                rationale,
                now
            ],
        )? == 1)
    }
}

fn operation_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PermOperationRecord> {
    Ok(PermOperationRecord {
        id: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        on_behalf_of: row.get(3)?,
        interface: row.get(4)?,
        operation: row.get(5)?,
        scope: row.get(6)?,
        subject: row.get(7)?,
        argument: row.get(8)?,
        reason: row.get(9)?,
        skipped: row.get(10)?,
    })
}

fn offer_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OfferRecord> {
    Ok(OfferRecord {
        id: row.get(0)?,
        scope: row.get(1)?,
        subject: row.get(2)?,
        from_userid: row.get(3)?,
        to_userid: row.get(4)?,
        packages: row.get(5)?,
        offered_by: row.get(6)?,
        created_at: row.get(7)?,
        expires_at: row.get(8)?,
        state: row.get(9)?,
        decided_at: row.get(10)?,
    })
}

fn adoption_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AdoptionRecord> {
    Ok(AdoptionRecord {
        id: row.get(0)?,
        dist: row.get(1)?,
        userid: row.get(2)?,
        reason: row.get(3)?,
        held_by: row.get(4)?,
        immediate: row.get(5)?,
        total: row.get(6)?,
        bucket: row.get(7)?,
        created_at: row.get(8)?,
        state: row.get(9)?,
        decided_by: row.get(10)?,
        decided_at: row.get(11)?,
        rationale: row.get(12)?,
    })
}
