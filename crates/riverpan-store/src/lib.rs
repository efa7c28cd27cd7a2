//! riverpan's embedded store: one SQLite file, `DIR/riverpan.sqlite`, inside the data directory
//! given with `--data DIR`.
//!
//! [`Store::open`] creates the directory and the database when they do not exist, switches the
//! database to WAL (readers never block the writer, which the server needs), turns foreign keys
//! on, sets a busy timeout, and then brings the schema up to date with the ordered list of
//! migrations in this crate.  The schema version is SQLite's `PRAGMA user_version`; every
//! migration runs in its own transaction together with the bump of that number, so a store is
//! always at exactly one known version even when a migration fails half-way or two processes
//! open the same new store at once.
//!
//! Today the schema holds only the `repository` table (key/value settings of this riverpan
//! instance: when the store was created, which schema version it is at).  Authors, permissions,
//! packages and uploads arrive as later migrations.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let store = riverpan_store::Store::open(dir.path())?;
//! assert_eq!(store.schema_version()?, riverpan_store::SCHEMA_VERSION);
//! store.set_setting("mirror.name", "darkpan")?;
//! assert_eq!(store.setting("mirror.name")?.as_deref(), Some("darkpan"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior};

mod accounts;
mod index;
mod lifecycle;
mod perms;
mod river;
mod testers;
pub use accounts::*;
pub use index::*;
pub use lifecycle::*;
pub use perms::*;
pub use river::*;
pub use testers::TESTERS_TABLES;

/// Name of the database file inside the data directory.
pub const STORE_FILE_NAME: &str = "riverpan.sqlite";

/// The schema version this build of riverpan creates and understands: the number of migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// `PRAGMA application_id` of a riverpan store (the bytes `RvPn`), so that `file(1)` and riverpan
/// itself can tell a riverpan store from some other application's SQLite database.
pub const APPLICATION_ID: i32 = 0x5276_506e;

/// How long a statement waits for another connection's lock before failing with "database is
/// locked".  Generous, because the indexer may hold a write transaction for a while.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Keys of the `repository` settings table that the store itself maintains.
pub mod keys {
    /// When the store was created (UTC, `YYYY-MM-DDTHH:MM:SSZ`); written once by migration 1.
    pub const CREATED_AT: &str = "created_at";
    /// The schema version the store is at, mirrored from `PRAGMA user_version` after every
    /// migration so that it is visible to anyone browsing the table.
    pub const SCHEMA_VERSION: &str = "schema_version";

    /// Keys that [`crate::Store::set_setting`] refuses to write: they record facts about the
    /// store that only the store may change.
    pub const RESERVED: &[&str] = &[CREATED_AT, SCHEMA_VERSION];
}

/// One step of the schema: applied once, in order, inside a transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The schema version the store is at after this migration; migrations are numbered 1, 2, …
    pub version: u32,
    /// A few words saying what the migration adds, for logs and error messages.
    pub name: &'static str,
    /// The SQL run by the migration (several statements allowed).
    pub sql: &'static str,
}

/// Every migration, oldest first.  Never edit or reorder a migration that has been released:
/// add a new one at the end instead.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "repository settings",
        sql: "
        CREATE TABLE repository (
            key        TEXT NOT NULL PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        ) STRICT, WITHOUT ROWID;
        INSERT INTO repository (key, value)
            VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
    ",
    },
    Migration {
        version: 2,
        name: "authors, permissions, the package index, uploads and their reports",
        sql: index::SCHEMA,
    },
    Migration {
        version: 3,
        name: "the history of every package's index entry (cpanmetadb /v1.0/history)",
        sql: "
        CREATE TABLE package_history (
            seq        INTEGER PRIMARY KEY,
            package    TEXT NOT NULL,
            version    TEXT NOT NULL,
            dist       TEXT NOT NULL,
            indexed_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX package_history_by_package ON package_history (package, seq);
    ",
    },
    Migration {
        version: 4,
        name: "login accounts, API tokens and scheduled deletions",
        sql: accounts::SCHEMA,
    },
    Migration {
        version: 5,
        name: "CPAN Testers reports, their summaries and Metabase profiles",
        sql: testers::SCHEMA,
    },
    Migration {
        version: 6,
        name: "releases with their prerequisites, and river positions",
        sql: river::SCHEMA,
    },
    Migration {
        version: 7,
        name: "web sessions; indexes for the testers read API and per-author pages",
        sql: "
        CREATE TABLE IF NOT EXISTS web_sessions (
            id_sha256  TEXT NOT NULL PRIMARY KEY,
            userid     TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX IF NOT EXISTS web_sessions_expiry ON web_sessions (expires_at);
        CREATE INDEX IF NOT EXISTS testers_reports_by_perl ON testers_reports (perl, submitted_at);
        CREATE INDEX IF NOT EXISTS testers_reports_by_osname ON testers_reports (osname, submitted_at);
        CREATE INDEX IF NOT EXISTS testers_releases_by_author ON testers_releases (author);
        CREATE INDEX IF NOT EXISTS uploads_by_userid ON uploads (userid, id);
    ",
    },
    Migration {
        version: 8,
        name: "an index of the pumpkings (read for every upload indexed)",
        sql: "CREATE INDEX IF NOT EXISTS authors_pumpkings ON authors (userid) WHERE pumpking = 1;",
    },
    Migration {
        version: 9,
        name: "permission management: the log of operations, ownership offers, adoption requests",
        sql: perms::SCHEMA,
    },
    Migration {
        version: 10,
        name: "the author life-cycle: account states (active, nologin), id requests, inactive-id \
               reminders, deleted ids, the cleanup opt-out and cleanup notices",
        sql: lifecycle::SCHEMA,
    },
];

/// Everything that can go wrong when opening or using the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory does not exist and could not be created.
    #[error("cannot create the data directory {dir}: {source}")]
    CreateDir {
        /// The data directory.
        dir: PathBuf,
        /// Why creating it failed.
        source: std::io::Error,
    },
    /// The database file exists but is not an SQLite database, or is damaged.
    #[error(
        "{path} is corrupt or not an SQLite database ({source}); \
         move it away or choose another --data directory"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's own report.
        source: rusqlite::Error,
    },
    /// The database file is a healthy SQLite database that riverpan did not create.
    #[error("{path} is not a riverpan store: {reason}")]
    NotARiverpanStore {
        /// The database file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The store was written by a newer riverpan whose schema this build does not know.
    #[error(
        "{path} is at schema version {found}, but this riverpan only knows versions up to \
         {supported}; use a newer riverpan"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The store's schema version.
        found: u32,
        /// [`SCHEMA_VERSION`] of this build.
        supported: u32,
    },
    /// A migration failed; the store was left at the version before it.
    #[error("migration {version} ({name}) of {path} failed: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// The version the failed migration would have produced.
        version: u32,
        /// The failed migration's name.
        name: &'static str,
        /// SQLite's report.
        source: rusqlite::Error,
    },
    /// A caller tried to overwrite a setting that the store maintains itself.
    #[error("the setting {0:?} is maintained by the store and cannot be set")]
    ReservedSetting(String),
    /// A file of that name was uploaded before; CPAN file names are never reused.
    #[error(
        "{0} was uploaded before: a CPAN file name can never be reused (upload a new version)"
    )]
    FileExists(String),
    /// Any other SQLite failure.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// An open riverpan store.  One `Store` is one SQLite connection: it is `Send` but not `Sync`,
/// so share it between threads behind a mutex, or open one per thread (WAL allows many).
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
    dir: PathBuf,
    path: PathBuf,
}

impl Store {
    /// Opens the store in the data directory `dir`, creating the directory, the database file and
    /// the schema as needed, and applying any migrations this build has that the store lacks.
    ///
    /// Opening the same directory again (or concurrently, from several processes) is harmless.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir {
            dir: dir.clone(),
            source,
        })?;
        let path = dir.join(STORE_FILE_NAME);
        // Several processes opening a new store at once: SQLite answers SQLITE_BUSY without
        // waiting while one of them switches the file to WAL (the busy handler is not called
        // there), so a busy open is tried again, with a growing pause.
        let mut attempt: u64 = 0;
        loop {
            match Store::open_file(&path) {
                Err(error) if error.is_busy() && attempt < OPEN_RETRIES => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
                }
                Err(error) => return Err(error),
                Ok(conn) => return Ok(Store { conn, dir, path }),
            }
        }
    }

    /// One attempt of [`Store::open`]: the connection, configured, checked and migrated.
    fn open_file(path: &Path) -> Result<Connection, StoreError> {
        let conn = Connection::open(path).map_err(|e| classify_open_error(path, e))?;
        configure_connection(&conn).map_err(|e| classify_open_error(path, e))?;
        check_identity(&conn, path)?;
        apply_migrations(&conn, path, MIGRATIONS)?;
        Ok(conn)
    }

    /// The SQLite connection, for crates whose tables live in the same file (CPAN Testers,
    /// the web pages' read queries); the index tables are written through
    /// [`Store::index_transaction`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The SQLite connection itself, for a crate that keeps its own connection to the same
    /// file (CPAN Testers ingest) after the store has brought the schema up to date.
    pub fn into_connection(self) -> Connection {
        self.conn
    }

    /// The data directory the store was opened in.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// The database file, `DIR/riverpan.sqlite`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the store is at (`PRAGMA user_version`); after [`Store::open`] this is
    /// [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(user_version(&self.conn)?)
    }

    /// How many times the index tables were changed (see [`IndexTransaction::bump_generation`]).
    pub fn index_generation(&self) -> Result<u64, StoreError> {
        self.counter("index.generation")
    }

    /// A counter kept with [`IndexTransaction::bump_counter`] (0 when never bumped).
    pub fn counter(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self
            .setting(key)?
            .and_then(|value| value.parse().ok())
            .unwrap_or(0))
    }

    /// The value of the repository setting `key`, or `None` when it was never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = self
            .conn
            .query_row(
                "SELECT value FROM repository WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()?;
        Ok(value)
    }

    /// Sets the repository setting `key` to `value`, replacing any previous value.
    ///
    /// The keys in [`keys::RESERVED`] belong to the store and are refused.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        if keys::RESERVED.contains(&key) {
            return Err(StoreError::ReservedSetting(key.to_owned()));
        }
        write_setting(&self.conn, key, value)?;
        Ok(())
    }
}

/// Per-connection settings: they are not stored in the file, so every open sets them.
fn configure_connection(conn: &Connection) -> rusqlite::Result<()> {
    // Set first: the statements below may already meet a lock held by another process.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets the server read while the indexer writes.  The pragma answers with the mode in
    // force; on file systems without shared memory SQLite stays in its rollback journal, which is
    // slower but correct, so that answer is not an error.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    // In WAL mode NORMAL is durable against application crashes and much faster than FULL.
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    Ok(())
}

/// Refuses SQLite files that some other program created, before migrations write to them.
fn check_identity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    // One statement, so that the three facts come from one snapshot: another process may be
    // running migration 1 right now, and a mix of before and after would look like a foreign
    // database.
    let (application_id, version, tables): (i32, u32, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id()),
                    (SELECT user_version FROM pragma_user_version()),
                    (SELECT count(*) FROM sqlite_master WHERE type = 'table')",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(|e| classify_open_error(path, e))?;
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(StoreError::NotARiverpanStore {
            path: path.to_path_buf(),
            reason: format!("its application_id is {application_id:#010x}, not riverpan's"),
        });
    }
    if application_id == 0 {
        // A new, empty file is fine: migration 1 will claim it.  Anything else was made by
        // someone else, and migrating it would mix riverpan's tables into their database.
        if version != 0 || tables != 0 {
            return Err(StoreError::NotARiverpanStore {
                path: path.to_path_buf(),
                reason: format!(
                    "it already holds {tables} table(s) at user_version {version} \
                     but no riverpan application_id"
                ),
            });
        }
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies, in order, every migration newer than the store's `user_version`.
///
/// Each migration takes the write lock first (`BEGIN IMMEDIATE`) and re-reads the version under
/// it, so that when two processes open a new store at the same moment the second one finds the
/// work done instead of running it twice.
fn apply_migrations(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    for migration in migrations {
        let fail = |source| StoreError::Migration {
            path: path.to_path_buf(),
            version: migration.version,
            name: migration.name,
            source,
        };
        if user_version(conn)? >= migration.version {
            continue;
        }
        // `new_unchecked` because the store holds a shared `&Connection`; nothing else can have a
        // transaction open on it while `open` runs.
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(fail)?;
        if user_version(&tx)? >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(fail)?;
        // PRAGMA takes no bound parameters; the version is our own integer, not input.
        tx.execute_batch(&format!(
            "PRAGMA user_version = {}; PRAGMA application_id = {APPLICATION_ID};",
            migration.version
        ))
        .map_err(fail)?;
        write_setting(&tx, keys::SCHEMA_VERSION, &migration.version.to_string()).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn write_setting(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO repository (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE
             SET value = excluded.value,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        [key, value],
    )?;
    Ok(())
}

/// Turns "file is not a database" and "database disk image is malformed" into
/// [`StoreError::Corrupt`], which names the file and says what to do.
/// Busy opens tried again by [`Store::open`] (about 4 s of pauses in all).
const OPEN_RETRIES: u64 = 40;

impl StoreError {
    /// Another connection held a lock SQLite would not wait for.
    fn is_busy(&self) -> bool {
        let source = match self {
            StoreError::Sqlite(source) | StoreError::Migration { source, .. } => source,
            _ => return false,
        };
        matches!(
            source.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    }
}

fn classify_open_error(path: &Path, error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_path_buf(),
            source: error,
        },
        _ => StoreError::Sqlite(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_one_two_three() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1, "{}", migration.name);
        }
    }

    #[test]
    fn connection_has_foreign_keys_and_wal() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let foreign_keys: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))?;
        assert_eq!(foreign_keys, 1);
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        assert_eq!(mode, "wal");
        let application_id: i32 = store
            .conn
            .query_row("PRAGMA application_id", [], |row| row.get(0))?;
        assert_eq!(application_id, APPLICATION_ID);
        Ok(())
    }

    #[test]
    fn failed_migration_leaves_the_previous_version() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let next = SCHEMA_VERSION + 1;
        let mut broken = MIGRATIONS.to_vec();
        broken.push(Migration {
            version: next,
            name: "half-broken",
            sql: "CREATE TABLE half_done (x INTEGER); SELECT no_such_function();",
        });
        let error = apply_migrations(&store.conn, store.path(), &broken)
            .expect_err("the broken migration must fail");
        assert!(
            matches!(error, StoreError::Migration { version, .. } if version == next),
            "{error}"
        );
        assert!(error.to_string().contains("half-broken"), "{error}");
        assert_eq!(store.schema_version()?, SCHEMA_VERSION);
        let half_done: i64 = store.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(
            half_done, 0,
            "the failed migration's table must be rolled back"
        );
        Ok(())
    }

    #[test]
    fn later_migrations_apply_on_top_of_earlier_ones() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        let created_at = store.setting(keys::CREATED_AT)?;
        let next = SCHEMA_VERSION + 1;
        let mut extended = MIGRATIONS.to_vec();
        extended.push(Migration {
            version: next,
            name: "extra",
            sql: "CREATE TABLE extra (cpanid TEXT PRIMARY KEY) STRICT;",
        });
        apply_migrations(&store.conn, store.path(), &extended)?;
        apply_migrations(&store.conn, store.path(), &extended)?;
        assert_eq!(store.schema_version()?, next);
        assert_eq!(
            store.setting(keys::SCHEMA_VERSION)?.as_deref(),
            Some(next.to_string().as_str())
        );
        assert_eq!(store.setting(keys::CREATED_AT)?, created_at);
        Ok(())
    }
}
