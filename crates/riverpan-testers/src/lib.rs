//! CPAN Testers in riverpan: the core the HTTP endpoints and the CLI use.
//!
//! * [`perl`]: perl versions as testers report them, classified and ordered; the latest stable
//!   and development perls are computed from the data.
//! * [`grade`]: the four grades plus riverpan's prerequisite-failure category (Berlin
//!   consensus), with the rule documented there.
//! * [`store`]: the `testers_*` tables in `DIR/riverpan.sqlite`.
//! * [`ingest`]: v3 `NewReport` validation, the legacy Metabase fact, and batch ingestion
//!   that keeps the summary tables current in the same transaction.
//! * [`query`]: summaries, the perl × OS matrix, Blead Breaks CPAN and andk's
//!   `beforemaintrelease` format.
//! * [`read`]: the v3 read lists (summary, release, upload), the legacy `/show/<dist>.json`
//!   records and `tail/log.txt`.
//! * [`generate`]: a deterministic generator of realistic synthetic reports.

pub mod generate;
pub mod grade;
pub mod ingest;
pub mod perl;
pub mod query;
pub mod read;
pub mod store;

pub use grade::{Grade, LegacyGrade};
pub use ingest::{ingest, Ingested, NewReport};
pub use perl::{PerlKind, PerlVersion};
/// The SQLite binding the store functions take connections of.
pub use rusqlite;
