//! The testers tables in the riverpan store file (`DIR/riverpan.sqlite`).
//!
//! They are migration 5 of the store (`riverpan_store::MIGRATIONS`), under a `testers_` prefix.
//! Reads never touch the reports table for counts:
//! `testers_summary` is kept current in the same transaction as each insert, so summaries, the
//! matrix and BBC are index lookups whatever the number of reports.

use std::io::Read;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// Errors of the testers store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored report could not be decompressed or decoded.
    #[error("stored report {id} is corrupt: {reason}")]
    Corrupt {
        /// The report id.
        id: String,
        /// What went wrong.
        reason: String,
    },
}

/// The schema; every statement is idempotent. It is migration 5 of the store
/// (`riverpan-store`), repeated here for connections that did not come from [`open`].
pub const SCHEMA: &str = riverpan_store::TESTERS_TABLES;

/// Creates the testers tables when missing.
pub fn ensure_schema(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// Opens `DIR/riverpan.sqlite` (creating the directory and file when missing) through the
/// store, whose settings (WAL, `synchronous=NORMAL`, a busy timeout) and migrations (the testers
/// tables are migration 5) apply; a store newer than this build is refused there.
pub fn open(dir: &Path) -> Result<Connection, StoreError> {
    let store = riverpan_store::Store::open(dir).map_err(|e| StoreError::Corrupt {
        id: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let conn = store.into_connection();
    // 256 MiB of page cache (the default is 2 MiB; pages are allocated only when used): ingest
    // updates B-trees keyed by random ids and dist names, which otherwise go to the OS for most
    // pages once the store holds millions of reports.
    conn.pragma_update(None, "cache_size", -262_144)?;
    Ok(conn)
}

/// Compresses stored reports (zlib, fast level: reports are large and written once).  It
/// keeps one deflate state for all reports: setting a fresh one up zeroes a few hundred KiB,
/// which cost more than compressing a typical report.
pub struct Compressor {
    state: flate2::Compress,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor {
            state: flate2::Compress::new(flate2::Compression::fast(), true),
        }
    }
}

impl Compressor {
    /// Compresses one report into a complete zlib stream.
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        self.state.reset();
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        loop {
            let consumed = (self.state.total_in() as usize).min(data.len());
            match self.state.compress_vec(
                &data[consumed..],
                &mut out,
                flate2::FlushCompress::Finish,
            ) {
                Ok(flate2::Status::StreamEnd) => return out,
                // Out of room: grow and go on.
                Ok(_) => out.reserve(out.capacity().max(1024)),
                // Cannot happen with a valid state; an empty blob is reported as corrupt on read.
                Err(_) => return Vec::new(),
            }
        }
    }
}

/// Compresses one report with a fresh [`Compressor`].
pub fn compress(data: &[u8]) -> Vec<u8> {
    Compressor::default().compress(data)
}

/// Decompresses what [`compress`] wrote.
pub fn decompress(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data).read_to_end(&mut out)?;
    Ok(out)
}

/// The stored JSON of one report (the v3 `Report` shape), or `None` when the id is unknown.
pub fn report_json(conn: &Connection, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .query_row(
            "SELECT report_z FROM testers_reports WHERE guid = ?1",
            params![id.to_ascii_lowercase()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(blob) = blob else { return Ok(None) };
    let corrupt = |reason: String| StoreError::Corrupt {
        id: id.to_string(),
        reason,
    };
    let raw = decompress(&blob).map_err(|e| corrupt(e.to_string()))?;
    let value = serde_json::from_slice(&raw).map_err(|e| corrupt(e.to_string()))?;
    Ok(Some(value))
}

/// Recounts the summary from the reports table (for consistency checks and repairs):
/// rows `(dist, version, perl, osname, grade, prereq_failure, count)` in key order.
pub fn recount(conn: &Connection) -> Result<Vec<SummaryRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT dist, version, perl, osname, grade, prereq_failure, COUNT(*) FROM testers_reports
         GROUP BY dist, version, perl, osname, grade, prereq_failure
         ORDER BY dist, version, perl, osname, grade, prereq_failure",
    )?;
    let rows = stmt.query_map([], SummaryRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The maintained summary table, in key order.
pub fn summary_rows(conn: &Connection) -> Result<Vec<SummaryRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT dist, version, perl, osname, grade, prereq_failure, count FROM testers_summary
         ORDER BY dist, version, perl, osname, grade, prereq_failure",
    )?;
    let rows = stmt.query_map([], SummaryRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// Distribution name.
    pub dist: String,
    /// Distribution version.
    pub version: String,
    /// Canonical perl.
    pub perl: String,
    /// OS name.
    pub osname: String,
    /// Legacy grade.
    pub grade: String,
    /// Prerequisite failure flag.
    pub prereq_failure: bool,
    /// Number of reports.
    pub count: u64,
}

impl SummaryRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SummaryRow> {
        Ok(SummaryRow {
            dist: r.get(0)?,
            version: r.get(1)?,
            perl: r.get(2)?,
            osname: r.get(3)?,
            grade: r.get(4)?,
            prereq_failure: r.get(5)?,
            count: r.get::<_, i64>(6)?.max(0) as u64,
        })
    }
}

/// Total number of stored reports.
pub fn report_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM testers_reports", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_round_trips() {
        let data = b"hello hello hello hello".repeat(100);
        let z = compress(&data);
        assert!(z.len() < data.len());
        assert_eq!(decompress(&z).unwrap(), data);
        let mut c = Compressor::default();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for d in [&data[..], &big[..], b"", &data[..]] {
            assert_eq!(decompress(&c.compress(d)).unwrap(), d);
        }
    }

    #[test]
    fn schema_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path()).unwrap();
        ensure_schema(&c).unwrap();
        assert_eq!(report_count(&c).unwrap(), 0);
        assert!(report_json(&c, "nope").unwrap().is_none());
    }
}
