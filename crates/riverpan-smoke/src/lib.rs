//! `riverpan smoke`: CPAN::Reporter::Smoker's job on top of `riverpan install`, and the Berlin
//! consensus's downriver test before a release.
//!
//! * Pure decisions, tested with plain values: what to smoke ([`select`]: the latest indexed
//!   release of each distribution, newest uploads first), what is never smoked ([`exclude`]),
//!   what a perl tested before ([`history`]'s line format), the downriver verdicts
//!   ([`downriver`]) and the summary ([`summary`]).
//! * The runs ([`run`]): each release is installed with `--test` into a fresh target of its
//!   own, its dependencies taken from the shared build cache untested, every step in the
//!   automated-testing context ([`AUTOMATED_ENV`]); its runs are graded as CPAN::Reporter grades
//!   them and sent as a CPAN Testers v3 report (`riverpan_install::report`).

pub mod downriver;
pub mod exclude;
pub mod history;
pub mod remote;
pub mod run;
pub mod select;
pub mod smoker;
pub mod summary;

pub use downriver::{most_upriver, verdict, Dependent, DownriverVerdict, PassResult};
pub use exclude::Exclusions;
pub use history::{History, HistoryEntry};
pub use run::{
    grade_of, perl_harness, test_release, CandidateRelease, Settings, TestRun, AUTOMATED_ENV,
};
pub use select::{choose, latest_releases, Choice, LeftOut, Release, Upload};
pub use smoker::{smoke_all, Outcome, SmokePerl, SmokeResult};
pub use summary::Summary;

/// What can stop a smoke run (a release that fails is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SmokeError {
    /// The client could not run at all.
    #[error(transparent)]
    Install(#[from] riverpan_install::InstallError),
    /// A source answered something unreadable.
    #[error("{what}: {why}")]
    Source {
        /// What was asked.
        what: String,
        /// Why its answer is unusable.
        why: String,
    },
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What riverpan was doing.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}
