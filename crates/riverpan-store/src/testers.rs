//! The CPAN Testers tables (migration 5). The crate `riverpan-testers` reads and writes them;
//! they live here so that the store's one ordered list of migrations creates them.
//!
//! The statements keep `IF NOT EXISTS` because builds before this migration existed created the
//! same tables on the fly; such a store adopts them as they are, and [`TESTERS_TABLES`] can be
//! run on any connection (tests use in-memory databases). Metabase profiles now keep a hash of
//! the secret, in `testers_metabase_profiles`; the secret-less `testers_metabase_users` of those
//! builds is dropped (its profiles register again, which the Metabase client does by itself on
//! a 401).

macro_rules! testers_tables {
    () => {
        "
CREATE TABLE IF NOT EXISTS testers_reports (
    rowid_ INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,          -- the report id (Metabase guid or v3 uuid), lower case
    dist TEXT NOT NULL,
    version TEXT NOT NULL,
    author TEXT,                        -- PAUSE id when the report says (Metabase distfile)
    perl TEXT NOT NULL,                 -- canonical PerlVersion string
    perl_raw TEXT NOT NULL,             -- what the tester sent
    osname TEXT NOT NULL,
    osvers TEXT NOT NULL,
    archname TEXT NOT NULL,
    grade TEXT NOT NULL,                -- legacy grade: pass fail na unknown
    prereq_failure INTEGER NOT NULL,    -- 1 when riverpan classified it as a prerequisite failure
    tester TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    report_z BLOB NOT NULL              -- zlib of the report JSON (v3 shape, text included)
);
CREATE INDEX IF NOT EXISTS testers_reports_release ON testers_reports(dist, version, perl, grade);
CREATE TABLE IF NOT EXISTS testers_summary (
    dist TEXT NOT NULL,
    version TEXT NOT NULL,
    perl TEXT NOT NULL,
    osname TEXT NOT NULL,
    grade TEXT NOT NULL,
    prereq_failure INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (dist, version, perl, osname, grade, prereq_failure)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS testers_releases (
    dist TEXT NOT NULL,
    version TEXT NOT NULL,
    author TEXT,
    developer INTEGER NOT NULL,
    reports INTEGER NOT NULL,
    PRIMARY KEY (dist, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS testers_latest (
    dist TEXT PRIMARY KEY,              -- latest non-developer release seen in reports
    version TEXT NOT NULL,
    author TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS testers_perls (
    perl TEXT PRIMARY KEY,              -- canonical PerlVersion string
    reports INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS testers_metabase_profiles (
    guid TEXT PRIMARY KEY,              -- profile guid, lower case
    fullname TEXT NOT NULL,
    email TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,        -- hex SHA-256 of the Metabase::User::Secret content
    registered_at INTEGER NOT NULL
) WITHOUT ROWID;
"
    };
}

/// The testers tables; every statement is idempotent.
pub const TESTERS_TABLES: &str = testers_tables!();

/// Migration 5.
pub(crate) const SCHEMA: &str = concat!(
    testers_tables!(),
    "DROP TABLE IF EXISTS testers_metabase_users;"
);
