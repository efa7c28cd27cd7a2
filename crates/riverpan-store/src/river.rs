//! What the river is computed from (migration 6): each indexed upload's distribution name,
//! version and declared prerequisites, and the river positions last computed from them.
//!
//! A release row is written in the transaction that indexes the upload, so the prerequisites
//! and the package index always describe the same uploads. Uploads indexed before this
//! migration have no row; [`IndexReader::uploads_without_release`] lists them so the repository
//! can fill them in by reading their files once.

use std::collections::BTreeMap;

use rusqlite::params;

use crate::{IndexReader, IndexTransaction, StoreError};

/// Migration 6.
pub(crate) const SCHEMA: &str = "
    CREATE TABLE releases (
        upload_id INTEGER NOT NULL PRIMARY KEY REFERENCES uploads (id),
        dist      TEXT NOT NULL,
        version   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX releases_by_dist ON releases (dist);
    CREATE TABLE release_prereqs (
        upload_id    INTEGER NOT NULL REFERENCES uploads (id),
        phase        TEXT NOT NULL,
        relationship TEXT NOT NULL,
        module       TEXT NOT NULL,
        requirement  TEXT NOT NULL,
        PRIMARY KEY (upload_id, phase, relationship, module)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX release_prereqs_by_module ON release_prereqs (module);
    CREATE TABLE river_positions (
        dist      TEXT NOT NULL PRIMARY KEY,
        immediate INTEGER NOT NULL,
        total     INTEGER NOT NULL,
        bucket    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
";

/// One prerequisite of a release, as its META file declares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReleasePrerequisite {
    /// `configure`, `build`, `test`, `runtime` or `develop`.
    pub phase: String,
    /// `requires`, `recommends`, `suggests` or `conflicts`.
    pub relationship: String,
    /// The module (or `perl`).
    pub module: String,
    /// The version requirement (`0`, `>= 1.2, < 2`).
    pub requirement: String,
}

/// The release of a distribution whose packages the index currently points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedRelease {
    /// The distribution name (`Foo-Bar`).
    pub dist: String,
    /// The release's version.
    pub version: String,
    /// The upload it came from.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// The uploader.
    pub userid: String,
    /// Every declared prerequisite.
    pub prereqs: Vec<ReleasePrerequisite>,
}

/// A stored river position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredRiverPosition {
    /// Direct dependents.
    pub immediate: u64,
    /// Distinct transitive dependents.
    pub total: u64,
    /// MetaCPAN's bucket, 0–5.
    pub bucket: u8,
}

impl IndexTransaction<'_> {
    /// Records an indexed upload's distribution, version and prerequisites (replacing any earlier
    /// record of the same upload).
    pub fn save_release(
        &self,
        upload_id: i64,
        dist: &str,
        version: &str,
        prereqs: &[ReleasePrerequisite],
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO releases (upload_id, dist, version) VALUES (?1, ?2, ?3)",
            params![upload_id, dist, version],
        )?;
        conn.execute(
            "DELETE FROM release_prereqs WHERE upload_id = ?1",
            [upload_id],
        )?;
        let mut insert = conn.prepare_cached(
            "INSERT OR REPLACE INTO release_prereqs (upload_id, phase, relationship, module, requirement)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for prereq in prereqs {
            insert.execute(params![
                upload_id,
                prereq.phase,
                prereq.relationship,
                prereq.module,
                prereq.requirement
            ])?;
        }
        Ok(())
    }

    /// Writes changed river positions and drops those of distributions no longer in the river.
    pub fn save_river_positions(
        &self,
        changed: &[(String, StoredRiverPosition)],
        removed: &[String],
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut upsert = conn.prepare_cached(
            "INSERT OR REPLACE INTO river_positions (dist, immediate, total, bucket) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (dist, position) in changed {
            upsert.execute(params![
                dist,
                position.immediate as i64,
                position.total as i64,
                i64::from(position.bucket)
            ])?;
        }
        let mut delete = conn.prepare_cached("DELETE FROM river_positions WHERE dist = ?1")?;
        for dist in removed {
            delete.execute([dist])?;
        }
        Ok(())
    }

    /// The stored river position of `dist` (as [`IndexReader::river_position`]).
    pub fn river_position(&self, dist: &str) -> Result<Option<StoredRiverPosition>, StoreError> {
        river_position(self.conn(), dist)
    }

    /// Replaces every stored river position.
    pub fn replace_river_positions(
        &self,
        all: &[(String, StoredRiverPosition)],
    ) -> Result<(), StoreError> {
        self.conn().execute("DELETE FROM river_positions", [])?;
        self.save_river_positions(all, &[])
    }
}

impl IndexReader<'_> {
    /// Indexed uploads (not deleted) that have no release record yet.
    pub fn uploads_without_release(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut statement = self.conn().prepare(
            "SELECT u.id, u.path FROM uploads u
             WHERE u.state = 'indexed' AND u.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM releases r WHERE r.upload_id = u.id)
             ORDER BY u.id",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The release of each distribution the package index points at, with its prerequisites:
    /// for every distribution name among the files in `packages`, the most recently uploaded of
    /// them (MetaCPAN's rule for "latest": driven by 02packages, newest upload wins).
    pub fn indexed_releases(&self) -> Result<Vec<IndexedRelease>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT u.id, u.path, u.userid, r.dist, r.version
             FROM (SELECT DISTINCT dist AS path FROM packages) p
             JOIN uploads u ON u.path = p.path
             JOIN releases r ON r.upload_id = u.id
             WHERE u.deleted_at IS NULL
             ORDER BY u.id",
        )?;
        let mut latest: BTreeMap<String, IndexedRelease> = BTreeMap::new();
        let rows = statement.query_map([], |row| {
            Ok(IndexedRelease {
                upload_id: row.get(0)?,
                path: row.get(1)?,
                userid: row.get(2)?,
                dist: row.get(3)?,
                version: row.get(4)?,
                prereqs: Vec::new(),
            })
        })?;
        for row in rows {
            let release = row?;
            // Ordered by upload id: a later upload of the same name replaces an earlier one.
            latest.insert(release.dist.clone(), release);
        }
        let mut out = Vec::with_capacity(latest.len());
        for (_, mut release) in latest {
            release.prereqs = prereqs_of(conn, release.upload_id)?;
            out.push(release);
        }
        Ok(out)
    }

    /// Whether any package of the index belongs to a file of distribution `dist`.
    pub fn dist_has_packages(&self, dist: &str) -> Result<bool, StoreError> {
        let mut statement = self.conn().prepare_cached(
            "SELECT 1 FROM releases r JOIN uploads u ON u.id = r.upload_id
             JOIN packages p ON p.dist = u.path WHERE r.dist = ?1 LIMIT 1",
        )?;
        Ok(statement.exists([dist])?)
    }

    /// Whether any package of the index points at the file `path`.
    pub fn path_has_packages(&self, path: &str) -> Result<bool, StoreError> {
        let mut statement = self
            .conn()
            .prepare_cached("SELECT 1 FROM packages WHERE dist = ?1 LIMIT 1")?;
        Ok(statement.exists([path])?)
    }

    /// One upload as an [`IndexedRelease`] (with its prerequisites), if it has a release record.
    pub fn indexed_release_of_upload(
        &self,
        upload_id: i64,
    ) -> Result<Option<IndexedRelease>, StoreError> {
        use rusqlite::OptionalExtension;
        let conn = self.conn();
        let release = conn
            .query_row(
                "SELECT u.id, u.path, u.userid, r.dist, r.version FROM uploads u
                 JOIN releases r ON r.upload_id = u.id WHERE u.id = ?1",
                [upload_id],
                |row| {
                    Ok(IndexedRelease {
                        upload_id: row.get(0)?,
                        path: row.get(1)?,
                        userid: row.get(2)?,
                        dist: row.get(3)?,
                        version: row.get(4)?,
                        prereqs: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut release) = release else {
            return Ok(None);
        };
        release.prereqs = prereqs_of(conn, upload_id)?;
        Ok(Some(release))
    }

    /// The release record of one upload.
    pub fn release_of_upload(
        &self,
        upload_id: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                "SELECT dist, version FROM releases WHERE upload_id = ?1",
                [upload_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// Every package of the index with the distribution name of its file.
    pub fn package_providers(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut statement = self.conn().prepare(
            "SELECT p.package, r.dist FROM packages p
             JOIN uploads u ON u.path = p.dist
             JOIN releases r ON r.upload_id = u.id
             ORDER BY p.package",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored river position of `dist`.
    pub fn river_position(&self, dist: &str) -> Result<Option<StoredRiverPosition>, StoreError> {
        river_position(self.conn(), dist)
    }

    /// Every stored river position, by distribution name.
    pub fn river_positions(&self) -> Result<Vec<(String, StoredRiverPosition)>, StoreError> {
        let mut statement = self
            .conn()
            .prepare("SELECT dist, immediate, total, bucket FROM river_positions ORDER BY dist")?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                StoredRiverPosition {
                    immediate: row.get::<_, i64>(1)?.max(0) as u64,
                    total: row.get::<_, i64>(2)?.max(0) as u64,
                    bucket: row.get::<_, i64>(3)?.clamp(0, 5) as u8,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The declared prerequisites of one upload.
fn prereqs_of(
    conn: &rusqlite::Connection,
    upload_id: i64,
) -> Result<Vec<ReleasePrerequisite>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT phase, relationship, module, requirement FROM release_prereqs
         WHERE upload_id = ?1 ORDER BY phase, relationship, module",
    )?;
    let rows = statement.query_map([upload_id], |row| {
        Ok(ReleasePrerequisite {
            phase: row.get(0)?,
            relationship: row.get(1)?,
            module: row.get(2)?,
            requirement: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn river_position(
    conn: &rusqlite::Connection,
    dist: &str,
) -> Result<Option<StoredRiverPosition>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT immediate, total, bucket FROM river_positions WHERE dist = ?1",
            [dist],
            position_from_row,
        )
        .optional()?)
}

fn position_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRiverPosition> {
    Ok(StoredRiverPosition {
        immediate: row.get::<_, i64>(0)?.max(0) as u64,
        total: row.get::<_, i64>(1)?.max(0) as u64,
        bucket: row.get::<_, i64>(2)?.clamp(0, 5) as u8,
    })
}
