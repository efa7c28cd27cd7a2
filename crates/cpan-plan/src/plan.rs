//! The plan: the distributions, what each provides and requires, the module → distribution
//! map, what is installed, and the status of every requirement.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::OnceLock;

use cpan_version::{Version, VersionRange};

use crate::summary::{Blocker, Failure, Offer, Skip};
use crate::{DistId, Phase, Requirement, Step};

/// Where a distribution is in its pipeline.
#[derive(Debug, Clone)]
pub enum DistState {
    /// Resolved; not fetched yet.
    Resolved,
    /// A fetch task is running.
    Fetching,
    /// Fetched; waiting for its configure requirements.
    Fetched,
    /// A configure task is running.
    Configuring,
    /// Configured; waiting for its configure, build and runtime requirements.
    Configured,
    /// A build task is running.
    Building,
    /// Built; waiting for its test requirements (testing on) or its runtime requirements.
    Built,
    /// A test task is running.
    Testing,
    /// Tested; waiting for its runtime requirements.
    Tested,
    /// One of its own steps failed (or it is part of a cycle the policy does not break).
    Failed(Failure),
    /// A requirement can never be met: a dependency failed, cannot be resolved, is not offered
    /// in a version that will do, or perl is too old.
    Skipped(Skip),
}

impl DistState {
    /// A few words for messages: `waiting to configure`, `building`, `failed`, …
    pub fn describe(&self) -> &'static str {
        match self {
            DistState::Resolved => "waiting to be fetched",
            DistState::Fetching => "being fetched",
            DistState::Fetched => "waiting to configure",
            DistState::Configuring => "configuring",
            DistState::Configured => "waiting to build",
            DistState::Building => "building",
            DistState::Built => "built",
            DistState::Testing => "testing",
            DistState::Tested => "tested",
            DistState::Failed(_) => "failed",
            DistState::Skipped(_) => "skipped",
        }
    }

    /// Failed or skipped: it will never be ready.
    pub fn is_dead(&self) -> bool {
        matches!(self, DistState::Failed(_) | DistState::Skipped(_))
    }

    /// A task for it is running.
    pub fn in_flight(&self) -> Option<Step> {
        match self {
            DistState::Fetching => Some(Step::Fetch),
            DistState::Configuring => Some(Step::Configure),
            DistState::Building => Some(Step::Build),
            DistState::Testing => Some(Step::Test),
            _ => None,
        }
    }
}

/// One distribution of the plan.
#[derive(Debug, Clone)]
pub struct PlannedDist {
    pub(crate) id: DistId,
    pub(crate) seq: usize,
    pub(crate) provides: BTreeMap<String, Option<Version>>,
    pub(crate) state: DistState,
    pub(crate) fetched: bool,
    pub(crate) configured: bool,
    pub(crate) configure_requirements: Vec<Requirement>,
    pub(crate) requirements: Vec<Requirement>,
    pub(crate) conflicts: Vec<Requirement>,
    pub(crate) breaks: Vec<(String, cpan_version::VersionRange)>,
    pub(crate) ready: bool,
    pub(crate) installed: bool,
    pub(crate) install_failed: Option<String>,
    pub(crate) started: bool,
}

impl PlannedDist {
    fn new(id: DistId, seq: usize) -> PlannedDist {
        PlannedDist {
            id,
            seq,
            provides: BTreeMap::new(),
            state: DistState::Resolved,
            fetched: false,
            configured: false,
            configure_requirements: Vec::new(),
            requirements: Vec::new(),
            conflicts: Vec::new(),
            breaks: Vec::new(),
            ready: false,
            installed: false,
            install_failed: None,
            started: false,
        }
    }

    /// Its name.
    pub fn id(&self) -> &DistId {
        &self.id
    }

    /// The order in which it entered the plan (0 first).
    pub fn seq(&self) -> usize {
        self.seq
    }

    /// The modules it provides and their versions (`None`: no version, which counts as `0`).
    pub fn provides(&self) -> &BTreeMap<String, Option<Version>> {
        &self.provides
    }

    /// Its pipeline state.
    pub fn state(&self) -> &DistState {
        &self.state
    }

    /// The configure requirements the plan follows (from META, filtered by the options).
    pub fn configure_requirements(&self) -> &[Requirement] {
        &self.configure_requirements
    }

    /// The build, test and runtime requirements the plan follows (from MYMETA, filtered).
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Its `conflicts` prerequisites.
    pub fn conflicts(&self) -> &[Requirement] {
        &self.conflicts
    }

    /// Its `x_breaks`.
    pub fn breaks(&self) -> &[(String, cpan_version::VersionRange)] {
        &self.breaks
    }

    /// Built (and tested when testing is on) with its runtime requirements ready: its `blib`
    /// can be put on the `PERL5LIB` of dependents and it can be installed.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Fetched: its configure requirements are known.
    pub fn is_fetched(&self) -> bool {
        self.fetched
    }

    /// Configured: its build, test and runtime requirements (MYMETA) are known.
    pub fn is_configured(&self) -> bool {
        self.configured
    }

    /// The caller reported its final install.
    pub fn is_installed(&self) -> bool {
        self.installed
    }

    /// A task was handed out for it at some point.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Every known requirement the plan follows, configure first.
    pub fn all_requirements(&self) -> impl Iterator<Item = &Requirement> {
        self.configure_requirements
            .iter()
            .chain(self.requirements.iter())
    }

    /// The requirements that gate `step` (see [`Step::gating_phases`]).
    pub fn gating_requirements(&self, step: Step) -> impl Iterator<Item = &Requirement> {
        let phases = step.gating_phases();
        self.all_requirements()
            .filter(move |r| phases.contains(&r.phase()))
    }
}

/// How a module is being resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// Nobody asked yet.
    NotRequested,
    /// A resolve task is running.
    InFlight,
    /// The caller named a distribution.
    Resolved,
    /// The caller answered `already_installed` to the resolve task.
    Installed,
    /// The caller could not resolve it.
    Failed(String),
}

#[derive(Debug, Clone)]
pub(crate) struct ModuleState {
    pub(crate) provider: Option<DistId>,
    /// The provider was named by a `resolved` event (not only by another resolution's provides).
    pub(crate) explicit: bool,
    pub(crate) resolution: Resolution,
}

impl Default for ModuleState {
    fn default() -> ModuleState {
        ModuleState {
            provider: None,
            explicit: false,
            resolution: Resolution::NotRequested,
        }
    }
}

/// Where a requirement stands.
#[derive(Debug, Clone)]
pub(crate) enum Status<'a> {
    /// Met: by what is installed, or by `via`'s build output.
    Satisfied { via: Option<&'a DistId> },
    /// An optional requirement that cannot be met: ignored.
    Dropped,
    /// Not yet: these distributions need to become ready (none: the module needs resolving).
    Pending { waits: Vec<&'a DistId> },
    /// Never.
    Blocked(Blocker),
}

/// The build graph: distributions, the module → distribution map and what is installed.
///
/// The [`Scheduler`](crate::Scheduler) owns one and keeps it current; read it through
/// [`Scheduler::plan`](crate::Scheduler::plan).
#[derive(Debug, Clone, Default)]
pub struct BuildPlan {
    pub(crate) dists: BTreeMap<DistId, PlannedDist>,
    pub(crate) modules: BTreeMap<String, ModuleState>,
    pub(crate) installed: BTreeMap<String, Version>,
    /// The top-level requirements the plan follows.
    pub(crate) top_level: Vec<Requirement>,
    /// Cycle groups: distributions that wait for each other once a cycle is broken.
    pub(crate) group_of: BTreeMap<DistId, usize>,
    pub(crate) groups: BTreeMap<usize, BTreeSet<DistId>>,
    /// Requirement edges requirer → providers dropped to break a cycle.
    pub(crate) broken: BTreeMap<DistId, BTreeSet<DistId>>,
    /// Every requirement known (top level and every distribution's, dead ones too), by module:
    /// the ranges required.
    pub(crate) by_module: BTreeMap<String, Vec<VersionRange>>,
}

/// Version `0`, what a module without a version counts as.
pub(crate) fn zero() -> &'static Version {
    static ZERO: OnceLock<Version> = OnceLock::new();
    ZERO.get_or_init(|| Version::parse("0").unwrap_or_else(|_| unreachable!("`0` is a version")))
}

impl BuildPlan {
    /// Every distribution, by name.
    pub fn dists(&self) -> impl Iterator<Item = &PlannedDist> {
        self.dists.values()
    }

    /// One distribution.
    pub fn dist(&self, id: &DistId) -> Option<&PlannedDist> {
        self.dists.get(id)
    }

    /// The distribution that provides `module` in this plan.
    pub fn provider(&self, module: &str) -> Option<&DistId> {
        self.modules.get(module).and_then(|m| m.provider.as_ref())
    }

    /// The installed version of `module`, as the caller reported it.
    pub fn installed_version(&self, module: &str) -> Option<&Version> {
        self.installed.get(module)
    }

    /// The top-level requirements the plan follows (after the options' filter, plus the
    /// `develop` requirements of the targets when asked for).
    pub fn top_level(&self) -> &[Requirement] {
        &self.top_level
    }

    /// The requirement edges dropped to break cycles: (requirer, provider), in name order.
    pub fn broken_edges(&self) -> Vec<(&DistId, &DistId)> {
        self.broken
            .iter()
            .flat_map(|(from, tos)| tos.iter().map(move |to| (from, to)))
            .collect()
    }

    pub(crate) fn is_broken(&self, from: &DistId, to: &DistId) -> bool {
        !self.broken.is_empty() && self.broken.get(from).is_some_and(|t| t.contains(to))
    }

    /// Records a requirement in the by-module index.
    pub(crate) fn index_requirement(&mut self, r: &Requirement) {
        self.by_module
            .entry(r.module().to_string())
            .or_default()
            .push(r.range().clone());
    }

    /// The distributions the top-level requirements name (not those already satisfied by an
    /// installed version).
    pub fn targets(&self) -> BTreeSet<DistId> {
        self.top_level
            .iter()
            .filter(|r| !self.installed_satisfies(r))
            .filter_map(|r| self.provider(r.module()).cloned())
            .collect()
    }

    pub(crate) fn add_dist(&mut self, id: &DistId) -> &mut PlannedDist {
        let seq = self.dists.len();
        self.dists
            .entry(id.clone())
            .or_insert_with(|| PlannedDist::new(id.clone(), seq))
    }

    pub(crate) fn installed_satisfies(&self, r: &Requirement) -> bool {
        self.installed.get(r.module()).is_some_and(|v| r.accepts(v))
    }

    /// The version of `module` that `dist` offers (`0` when it gives none).
    pub(crate) fn offered(&self, dist: &DistId, module: &str) -> &Version {
        self.dists
            .get(dist)
            .and_then(|d| d.provides.get(module))
            .and_then(|v| v.as_ref())
            .unwrap_or_else(|| zero())
    }

    fn is_dead(&self, id: &DistId) -> bool {
        self.dists.get(id).is_some_and(|d| d.state.is_dead())
    }

    fn is_ready(&self, id: &DistId) -> bool {
        self.dists.get(id).is_some_and(|d| d.ready)
    }

    pub(crate) fn same_group(&self, a: &DistId, b: &DistId) -> bool {
        if self.group_of.is_empty() {
            return false;
        }
        match (self.group_of.get(a), self.group_of.get(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    /// Puts every distribution of `members` into one group.
    pub(crate) fn join_group(&mut self, members: &[DistId]) {
        let mut all: BTreeSet<DistId> = BTreeSet::new();
        let mut old: BTreeSet<usize> = BTreeSet::new();
        for m in members {
            match self.group_of.get(m) {
                Some(g) => {
                    old.insert(*g);
                    if let Some(ms) = self.groups.get(g) {
                        all.extend(ms.iter().cloned());
                    }
                }
                None => {
                    all.insert(m.clone());
                }
            }
        }
        for g in &old {
            self.groups.remove(g);
        }
        let id = old
            .first()
            .copied()
            .unwrap_or_else(|| self.groups.keys().last().map_or(0, |k| k + 1));
        for m in &all {
            self.group_of.insert(m.clone(), id);
        }
        self.groups.insert(id, all);
    }

    /// Where `req` of `requirer` (`None`: the top level) stands.
    pub(crate) fn status<'a>(
        &'a self,
        requirer: Option<&DistId>,
        req: &'a Requirement,
    ) -> Status<'a> {
        let soft = req.relationship().is_optional();
        let blocked = |b: Blocker| {
            if soft {
                Status::Dropped
            } else {
                Status::Blocked(b)
            }
        };
        let module = req.module();
        if module == "perl" {
            // Lancaster consensus: never install perl; a `requires` it does not meet stops.
            return match self.installed.get("perl") {
                Some(have) if !req.accepts(have) => blocked(Blocker::PerlTooOld {
                    required: req.range().as_string(),
                    have: have.clone(),
                }),
                _ => Status::Satisfied { via: None },
            };
        }
        if self.installed_satisfies(req) {
            return Status::Satisfied { via: None };
        }
        let state = self.modules.get(module);
        let Some(provider) = state.and_then(|m| m.provider.as_ref()) else {
            return match state.map(|m| &m.resolution) {
                Some(Resolution::Failed(reason)) => blocked(Blocker::Unresolvable {
                    module: module.to_string(),
                    reason: reason.clone(),
                }),
                Some(Resolution::Installed) => blocked(Blocker::Unsatisfiable {
                    module: module.to_string(),
                    range: req.range().as_string(),
                    offer: self
                        .installed
                        .get(module)
                        .map_or(Offer::Nothing, |v| Offer::Installed(v.clone())),
                }),
                _ => Status::Pending { waits: Vec::new() },
            };
        };
        if requirer == Some(provider) {
            // A distribution that requires one of its own modules (the river drops these too).
            return Status::Satisfied { via: None };
        }
        let Some(pd) = self.dists.get(provider) else {
            return Status::Pending {
                waits: vec![provider],
            };
        };
        let offered = pd
            .provides
            .get(module)
            .and_then(|v| v.as_ref())
            .unwrap_or_else(|| zero());
        if !req.accepts(offered) {
            return blocked(Blocker::Unsatisfiable {
                module: module.to_string(),
                range: req.range().as_string(),
                offer: Offer::Dist {
                    dist: provider.clone(),
                    version: offered.clone(),
                },
            });
        }
        if let Some(x) = requirer {
            if self.is_broken(x, provider) {
                let via = pd.ready.then_some(provider);
                return Status::Satisfied { via };
            }
        }
        // Within a cycle group a member needs the others ready; from outside, the whole group.
        let group = match requirer {
            Some(x) if self.same_group(x, provider) => None,
            _ => self.group_of.get(provider).and_then(|g| self.groups.get(g)),
        };
        let Some(members) = group else {
            return if pd.state.is_dead() {
                blocked(Blocker::Dependency {
                    module: module.to_string(),
                    dist: provider.clone(),
                })
            } else if pd.ready {
                Status::Satisfied {
                    via: Some(provider),
                }
            } else {
                Status::Pending {
                    waits: vec![provider],
                }
            };
        };
        if let Some(dead) = members.iter().find(|m| self.is_dead(m)) {
            return blocked(Blocker::Dependency {
                module: module.to_string(),
                dist: dead.clone(),
            });
        }
        let waits: Vec<&DistId> = members.iter().filter(|m| !self.is_ready(m)).collect();
        if waits.is_empty() {
            Status::Satisfied {
                via: Some(provider),
            }
        } else {
            Status::Pending { waits }
        }
    }

    /// The distributions whose build output must be on `PERL5LIB` for `step` of `dist`: the
    /// ready providers of the requirements gating the step, and their runtime closure (cpm's
    /// `dependency_env_for`), in name order.
    pub fn dependency_env(&self, dist: &DistId, step: Step) -> Vec<DistId> {
        let Some(d) = self.dists.get(dist) else {
            return Vec::new();
        };
        let mut found: BTreeSet<DistId> = BTreeSet::new();
        let mut todo: VecDeque<DistId> = VecDeque::new();
        for r in d.gating_requirements(step) {
            if let Status::Satisfied { via: Some(p) } = self.status(Some(dist), r) {
                if found.insert(p.clone()) {
                    todo.push_back(p.clone());
                }
            }
        }
        while let Some(p) = todo.pop_front() {
            let Some(pd) = self.dists.get(&p) else {
                continue;
            };
            for r in pd
                .requirements
                .iter()
                .filter(|r| r.phase() == Phase::Runtime)
            {
                if let Status::Satisfied { via: Some(q) } = self.status(Some(&p), r) {
                    if q != dist && found.insert(q.clone()) {
                        todo.push_back(q.clone());
                    }
                }
            }
        }
        found.remove(dist);
        found.into_iter().collect()
    }

    /// The providers of `dist`'s runtime requirements in the plan (whatever their state),
    /// without the edges dropped to break cycles and without requirements met by installed
    /// modules.
    pub(crate) fn runtime_providers(&self, dist: &DistId) -> BTreeSet<DistId> {
        let mut out = BTreeSet::new();
        let Some(d) = self.dists.get(dist) else {
            return out;
        };
        for r in d
            .requirements
            .iter()
            .filter(|r| r.phase() == Phase::Runtime)
        {
            if r.module() == "perl" || self.installed_satisfies(r) {
                continue;
            }
            if let Some(p) = self.provider(r.module()) {
                if p != dist && !self.is_broken(dist, p) {
                    out.insert(p.clone());
                }
            }
        }
        out
    }

    /// Orders `set` so that every distribution comes after the runtime providers it has in the
    /// set; ties (and any cycle left) are broken by name.
    pub(crate) fn dependency_order(&self, set: &BTreeSet<DistId>) -> Vec<DistId> {
        let mut deps: BTreeMap<DistId, BTreeSet<DistId>> = set
            .iter()
            .map(|d| {
                let ds: BTreeSet<DistId> = self
                    .runtime_providers(d)
                    .into_iter()
                    .filter(|p| set.contains(p))
                    .collect();
                (d.clone(), ds)
            })
            .collect();
        let mut order = Vec::with_capacity(set.len());
        while !deps.is_empty() {
            let next = deps
                .iter()
                .find(|(_, ds)| ds.is_empty())
                .map(|(d, _)| d.clone())
                .or_else(|| deps.keys().next().cloned());
            let Some(next) = next else { break };
            deps.remove(&next);
            for ds in deps.values_mut() {
                ds.remove(&next);
            }
            order.push(next);
        }
        order
    }
}
