//! Build planning and scheduling for a CPAN client, in cpm v1's phase-gated model: which
//! distributions to resolve, fetch, configure, build and test, in what order and in parallel,
//! which build outputs each step needs on `PERL5LIB`, what a failure stops, how dependency
//! cycles are named and broken, and in which order the finished distributions are installed.
//!
//! The crate knows nothing of HTTP, processes, files or riverpan's store: the caller runs the
//! [`Task`]s the [`Scheduler`] hands out (on a worker pool) and reports what happened as events;
//! the scheduler answers with the tasks that may run next.
//!
//! ```
//! use cpan_plan::{DistId, Options, Phase, Requirement, Scheduler, Step, Task};
//!
//! let target = Requirement::requires("Foo", "1.0", Phase::Runtime).unwrap();
//! let mut s = Scheduler::new(Options::default(), [target]);
//! let foo = DistId::new("A/AU/AUTHOR/Foo-1.0.tar.gz");
//!
//! // The scheduler asks for `Foo` to be resolved; the caller looks it up in the index.
//! assert!(matches!(s.next_tasks(4).as_slice(), [Task::Resolve { module, .. }] if module == "Foo"));
//! s.resolved("Foo", foo.clone(), [("Foo", "1.0")]).unwrap();
//!
//! // Fetch, configure (no configure requirements), build: one task at a time here.
//! assert_eq!(s.next_tasks(4)[0].step(), Some(Step::Fetch));
//! s.fetched(&foo, []).unwrap();
//! assert_eq!(s.next_tasks(4)[0].step(), Some(Step::Configure));
//! s.configured(&foo, []).unwrap();
//! assert_eq!(s.next_tasks(4)[0].step(), Some(Step::Build));
//! s.built(&foo).unwrap();
//!
//! assert!(s.is_finished());
//! assert_eq!(s.install_order(), [foo.clone()]);
//! s.installed(&foo).unwrap();
//! assert_eq!(s.summary().installed, [foo]);
//! ```

mod breaks;
mod cycle;
mod plan;
mod scheduler;
mod summary;

pub use breaks::{check_breaks, Break, BrokenAt, ReleaseBreaks};
pub use cycle::{Cycle, CycleEdge, CyclePolicy, CycleReport, CycleResolution};
pub use plan::{BuildPlan, DistState, PlannedDist};
pub use scheduler::{DistTask, FinalInstall, Options, Scheduler, Task, TaskKey};
pub use summary::{Blocker, Failure, FailureCause, Offer, Skip, Summary, TargetProblem};

pub use cpan_version::{Version, VersionRange};

use std::fmt;

/// A distribution in the plan, as the caller names it: usually its path under `authors/id/`
/// (`ETHER/Moose-2.2203.tar.gz`, what cpanmetadb calls `distfile`), or any other stable key.
///
/// Ordering is by the string, and it is the tie-breaker everywhere an order has to be chosen,
/// so plans are deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistId(String);

impl DistId {
    /// A distribution named `id`.
    pub fn new(id: impl Into<String>) -> DistId {
        DistId(id.into())
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DistId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for DistId {
    fn from(id: &str) -> DistId {
        DistId::new(id)
    }
}

impl From<String> for DistId {
    fn from(id: String) -> DistId {
        DistId(id)
    }
}

/// A prerequisite phase of the CPAN::Meta spec: when a requirement must be available.
///
/// The order is the order of the pipeline (`configure` first); [`Phase::strength`] ranks them
/// by how much a step depends on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Needed to run `Makefile.PL`/`Build.PL`; the only phase read from META (before configure).
    Configure,
    /// Needed to build.
    Build,
    /// Needed to run the tests.
    Test,
    /// Needed when the distribution is used, and (cpm's rule) before it is built.
    Runtime,
    /// Needed by the author (release tests); only for the top level, only when asked for.
    Develop,
}

impl Phase {
    /// Every phase, in pipeline order.
    pub const ALL: [Phase; 5] = [
        Phase::Configure,
        Phase::Build,
        Phase::Test,
        Phase::Runtime,
        Phase::Develop,
    ];

    /// The spec's name: `configure`, `build`, `test`, `runtime`, `develop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Build => "build",
            Phase::Test => "test",
            Phase::Runtime => "runtime",
            Phase::Develop => "develop",
        }
    }

    /// The phase named `name` (the spec's lower-case names), if any.
    pub fn parse(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// How hard a step leans on a requirement of this phase, for choosing where to break a
    /// dependency cycle: `develop` 0, `test` 1, `runtime` 2, `build` 3, `configure` 4.
    pub fn strength(self) -> u8 {
        match self {
            Phase::Develop => 0,
            Phase::Test => 1,
            Phase::Runtime => 2,
            Phase::Build => 3,
            Phase::Configure => 4,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A prerequisite relationship of the CPAN::Meta spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// Must be present.
    Requires,
    /// Optional, installed by default (Lancaster consensus); here only for the top level and
    /// only when the options say so. A recommended module that cannot be had does not stop
    /// anything.
    Recommends,
    /// Optional, not installed by default; same treatment as `recommends` when asked for.
    Suggests,
    /// The module must *not* be present in the range given; never scheduled, checked by
    /// [`check_breaks`] together with `x_breaks`.
    Conflicts,
}

impl Relationship {
    /// The spec's name: `requires`, `recommends`, `suggests`, `conflicts`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Requires => "requires",
            Relationship::Recommends => "recommends",
            Relationship::Suggests => "suggests",
            Relationship::Conflicts => "conflicts",
        }
    }

    /// The relationship named `name`, if any.
    pub fn parse(name: &str) -> Option<Relationship> {
        [
            Relationship::Requires,
            Relationship::Recommends,
            Relationship::Suggests,
            Relationship::Conflicts,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// `recommends` and `suggests`: wanted, but nothing fails without them.
    pub fn is_optional(self) -> bool {
        matches!(self, Relationship::Recommends | Relationship::Suggests)
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One prerequisite: a module, the versions of it that will do, when and how it is needed.
#[derive(Debug, Clone)]
pub struct Requirement {
    module: String,
    range: VersionRange,
    phase: Phase,
    relationship: Relationship,
}

impl Requirement {
    /// A requirement from an already parsed range.
    pub fn new(
        module: impl Into<String>,
        range: VersionRange,
        phase: Phase,
        relationship: Relationship,
    ) -> Requirement {
        Requirement {
            module: module.into(),
            range,
            phase,
            relationship,
        }
    }

    /// A requirement from its META string (`"1.2"`, `">= 1.2, < 2, != 1.5"`, `""` or `"0"` for
    /// any version), read as `CPAN::Meta::Requirements` reads it.
    pub fn parse(
        module: impl Into<String>,
        range: &str,
        phase: Phase,
        relationship: Relationship,
    ) -> Result<Requirement, PlanError> {
        let module = module.into();
        match VersionRange::parse(range) {
            Ok(range) => Ok(Requirement::new(module, range, phase, relationship)),
            Err(error) => Err(PlanError::InvalidRequirement {
                module,
                error: Box::new(error),
            }),
        }
    }

    /// `requires` in `phase`, from its META string.
    pub fn requires(
        module: impl Into<String>,
        range: &str,
        phase: Phase,
    ) -> Result<Requirement, PlanError> {
        Requirement::parse(module, range, phase, Relationship::Requires)
    }

    /// The module required.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The versions that will do.
    pub fn range(&self) -> &VersionRange {
        &self.range
    }

    /// When it is needed.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// How strongly.
    pub fn relationship(&self) -> Relationship {
        self.relationship
    }

    /// Whether `version` of the module will do.
    pub fn accepts(&self, version: &Version) -> bool {
        self.range.accepts(version)
    }

    /// `Foo::Bar` for any version, else `Foo::Bar >= 1.2, < 2` (the range as
    /// `CPAN::Meta::Requirements` writes it, with a lone minimum written `>= V`).
    pub fn spec(&self) -> String {
        let range = self.range.as_string();
        if range == "0" {
            self.module.clone()
        } else if self.range.is_simple() {
            format!("{} >= {range}", self.module)
        } else {
            format!("{} {range}", self.module)
        }
    }
}

impl fmt::Display for Requirement {
    /// `Foo::Bar >= 1.2 (runtime requires)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.spec(), self.phase, self.relationship)
    }
}

/// A step of a distribution's pipeline, as tasks and failures name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Download and unpack; yields META's configure requirements.
    Fetch,
    /// `perl Makefile.PL` / `perl Build.PL`; yields MYMETA's build, test and runtime requirements.
    Configure,
    /// `make` / `./Build`: the `blib` dependents can use.
    Build,
    /// `make test` / `./Build test` (only when testing is on).
    Test,
    /// The final install of the `blib` into the target (serial, at the end). In a [`Skip`], the
    /// distribution was built but its runtime requirements can never be ready.
    Install,
}

impl Step {
    /// `fetch`, `configure`, `build`, `test`, `install`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Fetch => "fetch",
            Step::Configure => "configure",
            Step::Build => "build",
            Step::Test => "test",
            Step::Install => "install",
        }
    }

    /// The phases whose requirements must be ready before this step runs (cpm's gating):
    /// configure: `configure`; build: `configure build runtime`; test: `configure build runtime
    /// test`; install (readiness): `runtime`. Fetch needs nothing.
    pub fn gating_phases(self) -> &'static [Phase] {
        match self {
            Step::Fetch => &[],
            Step::Configure => &[Phase::Configure],
            Step::Build => &[Phase::Configure, Phase::Build, Phase::Runtime],
            Step::Test => &[Phase::Configure, Phase::Build, Phase::Runtime, Phase::Test],
            Step::Install => &[Phase::Runtime],
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the scheduler refuses: a requirement it cannot read, or an event that does not fit the
/// state of the plan (a caller bug).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A requirement string `CPAN::Meta::Requirements` would refuse.
    #[error("{}", .error.message_for(.module))]
    InvalidRequirement {
        /// The module it was for.
        module: String,
        /// Why.
        #[source]
        error: Box<cpan_version::RangeError>,
    },
    /// An event about a distribution the plan does not hold.
    #[error("{0} is not in the plan")]
    UnknownDist(DistId),
    /// An event that does not follow the task handed out (`built` before `configured`, a
    /// second `fetched`, `installed` before the distribution is ready, …).
    #[error("unexpected {event} event for {dist}: it is {state}")]
    UnexpectedEvent {
        /// The distribution.
        dist: DistId,
        /// The step the event reported.
        event: Step,
        /// What the plan says it is doing (`waiting to configure`, `building`, …).
        state: &'static str,
    },
    /// A module resolved to a second distribution.
    #[error("{module} was resolved to {existing}, not {new}")]
    ConflictingResolution {
        /// The module.
        module: String,
        /// Where it was resolved first.
        existing: DistId,
        /// The new answer.
        new: DistId,
    },
    /// A version string the caller gave (an installed or provided version) that is not a version.
    #[error("{module}: {input:?} is not a version: {reason}")]
    InvalidVersion {
        /// The module.
        module: String,
        /// The string.
        input: String,
        /// `version.pm`'s message.
        reason: String,
    },
}
