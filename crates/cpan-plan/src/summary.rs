//! What happened: failures, what they stopped, and the end-of-run summary.

use std::fmt;

use cpan_version::Version;

use crate::cycle::{Cycle, CycleReport};
use crate::{DistId, Requirement, Step};

/// What a requirement's module is offered as, when that version will not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer {
    /// The distribution the module resolved to, and the version of the module in it.
    Dist {
        /// The distribution.
        dist: DistId,
        /// The module's version there (`0` when it has none).
        version: Version,
    },
    /// Only the installed version (the caller answered the resolve with `already_installed`).
    Installed(Version),
    /// Nothing.
    Nothing,
}

/// Why a requirement can never be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// The distribution providing the module failed or was itself skipped.
    Dependency {
        /// The module required.
        module: String,
        /// The distribution that failed or was skipped (for a member of a broken cycle, the
        /// member that did).
        dist: DistId,
    },
    /// The module could not be resolved.
    Unresolvable {
        /// The module.
        module: String,
        /// The caller's reason.
        reason: String,
    },
    /// No version on offer satisfies the requirement.
    Unsatisfiable {
        /// The module.
        module: String,
        /// The range required (`>= 3`, written as `CPAN::Meta::Requirements` writes it).
        range: String,
        /// What there is.
        offer: Offer,
    },
    /// A `requires` on a newer perl than the one installed (never installed by a client).
    PerlTooOld {
        /// The range required.
        required: String,
        /// The perl there is.
        have: Version,
    },
}

impl Blocker {
    /// The module the blocked requirement is on.
    pub fn module(&self) -> &str {
        match self {
            Blocker::Dependency { module, .. }
            | Blocker::Unresolvable { module, .. }
            | Blocker::Unsatisfiable { module, .. } => module,
            Blocker::PerlTooOld { .. } => "perl",
        }
    }
}

fn range_words(range: &str) -> String {
    if range.chars().any(|c| c.is_whitespace()) {
        range.to_string()
    } else {
        format!(">= {range}")
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Dependency { module, dist } => {
                write!(
                    f,
                    "{module} is provided by {dist}, which failed or was skipped"
                )
            }
            Blocker::Unresolvable { module, reason } => {
                write!(f, "{module} could not be resolved: {reason}")
            }
            Blocker::Unsatisfiable {
                module,
                range,
                offer,
            } => {
                let range = range_words(range);
                match offer {
                    Offer::Dist { dist, version } => write!(
                        f,
                        "{module} {range} is required, but the index offers {module} {version} (in {dist})"
                    ),
                    Offer::Installed(v) => write!(
                        f,
                        "{module} {range} is required, but only {v} is installed and no distribution was offered"
                    ),
                    Offer::Nothing => write!(f, "{module} {range} is required, but nothing offers it"),
                }
            }
            Blocker::PerlTooOld { required, have } => write!(
                f,
                "requires perl {}, but this perl is {have}",
                range_words(required)
            ),
        }
    }
}

/// Why a distribution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureCause {
    /// Its task failed; the caller's reason.
    Step(String),
    /// It is in a dependency cycle and the policy is [`CyclePolicy::Fail`](crate::CyclePolicy).
    Cycle(Cycle),
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureCause::Step(reason) => f.write_str(reason),
            FailureCause::Cycle(cycle) => write!(f, "circular dependency: {cycle}"),
        }
    }
}

/// A distribution that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The distribution.
    pub dist: DistId,
    /// The step that failed (for a cycle, the step it was waiting to run).
    pub step: Step,
    /// Why.
    pub cause: FailureCause,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} failed: {}", self.dist, self.step, self.cause)
    }
}

/// A distribution that was not attempted further because a requirement can never be met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The distribution.
    pub dist: DistId,
    /// The step it could not run ([`Step::Install`]: built, but its runtime requirements can
    /// never be ready).
    pub step: Step,
    /// The unmet requirement: the first one (in the order the distribution lists them) found
    /// blocked. When several dependencies fail, which one is named depends on which failed
    /// first; the set of skipped distributions and their steps do not.
    pub blocker: Blocker,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: skipped before {}: {}",
            self.dist, self.step, self.blocker
        )
    }
}

/// A top-level requirement that cannot be met.
#[derive(Debug, Clone)]
pub struct TargetProblem {
    /// The requirement.
    pub requirement: Requirement,
    /// Why.
    pub blocker: Blocker,
}

impl fmt::Display for TargetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.requirement.spec(), self.blocker)
    }
}

/// The outcome of a run, lists in name order unless said otherwise. A distribution is in
/// exactly one of
/// `installed`, `to_install`, `build_only`, `failed` (own step), `skipped`, `never_started`
/// and `unfinished` — except that a distribution whose final install failed is in `failed`
/// with [`Step::Install`].
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Installed (the caller reported `installed`), in install order.
    pub installed: Vec<DistId>,
    /// Ready and in the final install set, not installed yet, in install order.
    pub to_install: Vec<DistId>,
    /// Ready but not in the final install set: needed only to configure, build or test others.
    pub build_only: Vec<DistId>,
    /// Failed: a step of their own, or a cycle under [`CyclePolicy::Fail`](crate::CyclePolicy).
    pub failed: Vec<Failure>,
    /// Not attempted further because a requirement can never be met (naming which).
    pub skipped: Vec<Skip>,
    /// In the plan, but no task was ever handed out for them: resolved for a requirement the
    /// offered version does not satisfy, or the run stopped early.
    pub never_started: Vec<DistId>,
    /// Started or waiting, not done (the summary was asked for before the end).
    pub unfinished: Vec<DistId>,
    /// Top-level requirements met by what is installed: module and installed version.
    pub up_to_date: Vec<(String, Version)>,
    /// Top-level requirements that cannot be met: unresolvable, not offered in a version that
    /// will do, or perl too old (a target whose distribution failed or was skipped is reported
    /// in `failed` or `skipped` instead).
    pub target_problems: Vec<TargetProblem>,
    /// Modules that could not be resolved, with the caller's reason.
    pub unresolved: Vec<(String, String)>,
    /// Every dependency cycle found, and what was done about it.
    pub cycles: Vec<CycleReport>,
}

impl Summary {
    /// Nothing failed, was skipped, is unfinished or unmet.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.unfinished.is_empty()
            && self.target_problems.is_empty()
    }

    /// The skip record of `dist`, if it was skipped.
    pub fn skip(&self, dist: &DistId) -> Option<&Skip> {
        self.skipped.iter().find(|s| &s.dist == dist)
    }

    /// The failure record of `dist`, if it failed.
    pub fn failure(&self, dist: &DistId) -> Option<&Failure> {
        self.failed.iter().find(|s| &s.dist == dist)
    }

    /// For a skipped distribution, the chain of skips down to what actually went wrong:
    /// `[dist's skip, its blocker's skip, …]`; the last blocker names a failed distribution,
    /// an unresolvable or unsatisfiable module, or perl.
    pub fn skip_chain(&self, dist: &DistId) -> Vec<&Skip> {
        let mut chain: Vec<&Skip> = Vec::new();
        let mut next = self.skip(dist);
        while let Some(s) = next {
            if chain.iter().any(|c| c.dist == s.dist) {
                break;
            }
            chain.push(s);
            next = match &s.blocker {
                Blocker::Dependency { dist, .. } => self.skip(dist),
                _ => None,
            };
        }
        chain
    }
}
