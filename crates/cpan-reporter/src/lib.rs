//! CPAN::Reporter's vocabulary, for a client that sends CPAN Testers reports.
//!
//! * [`grade`]: one configure, build or test run graded exactly as CPAN::Reporter grades it
//!   (the rules and the Perl code each ports are listed there) into a [`Verdict`]: a report
//!   with a [`Grade`], a discard (send nothing), or "passed, go on".
//! * [`prereq`]: prerequisites as CPAN::Reporter checks them and prints its `PREREQUISITES`
//!   table, which grading reads.
//! * [`perlv`]: the perl's identity read from the text of `perl -V`.
//! * [`report`]: the CPAN Testers v3 report JSON, with CPAN::Reporter's output limit.
//!
//! Pure functions over plain values: the caller runs the commands and perl, looks at the
//! build directory, and sends the JSON.

pub mod grade;
pub mod perlv;
pub mod prereq;
pub mod report;
mod text;

pub use grade::{
    grade, has_recursive_make, is_make, makefile_has_test_target, BuildDir, ExitStatus, Grade,
    Harness, Phase, PhaseRun, Verdict,
};
pub use perlv::PerlIdentity;
pub use prereq::{prereq_report, Have, Prereq, PrereqSection};
pub use report::{
    build_report, tester_comment, truncate_output, DistributionId, PhaseOutput, ReportInput,
    Reporter, MAX_OUTPUT_LENGTH,
};

/// Why something could not be read or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text is not `perl -V` output, or lacks something a report needs.
    #[error("not usable `perl -V` output: missing {missing}")]
    PerlV {
        /// What was missing.
        missing: &'static str,
    },
    /// The distribution's name and version cannot be read from this path.
    #[error("no distribution name and version in {path:?}")]
    Distribution {
        /// The path given.
        path: String,
    },
    /// The verdict sends no report (a discard, or a passing configure/build); the reason.
    #[error("nothing to report: {0}")]
    NotReportable(String),
    /// No phase output was given; a v3 report needs at least one.
    #[error("a report needs the output of at least one phase")]
    NoOutput,
    /// The reporter has no e-mail address.
    #[error("a report needs the tester's e-mail address")]
    NoEmail,
}
