//! The scheduler: events in, runnable tasks out.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use cpan_version::{Version, VersionRange};

use crate::breaks::{check_breaks, Break, ReleaseBreaks};
use crate::cycle::{find_cycle, Cycle, CycleEdge, CyclePolicy, CycleReport, CycleResolution};
use crate::plan::{zero, BuildPlan, DistState, Resolution, Status};
use crate::summary::{Blocker, Failure, FailureCause, Skip, Summary, TargetProblem};
use crate::{DistId, Phase, PlanError, Relationship, Requirement, Step};

/// Which distributions the final install copies into the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinalInstall {
    /// The targets and their runtime closure (cpm's `--final-install=runtime`, the default):
    /// distributions needed only to configure, build or test never reach the target.
    #[default]
    Runtime,
    /// Every ready distribution (cpm's `--final-install=all`).
    All,
}

/// How the scheduler plans.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run every distribution's tests (cpm `--test`; off by default as in cpm, cpanm tests by
    /// default). With testing off, `test` requirements are not followed at all.
    pub test: bool,
    /// The phases followed for the top-level requirements given to [`Scheduler::new`]; with
    /// [`Phase::Develop`], the `develop` requirements of the target distributions become
    /// top-level requirements too (cpanm's `--with-develop`, depth 0 only). Default:
    /// configure, build, test, runtime.
    pub top_level_phases: BTreeSet<Phase>,
    /// The relationships followed for the top-level requirements and for the requirements of
    /// the target distributions (`--with-recommends`, `--with-suggests`). Deeper down only
    /// `requires` is followed (cpm). Default: requires.
    pub top_level_relationships: BTreeSet<Relationship>,
    /// What to do about dependency cycles.
    pub cycles: CyclePolicy,
    /// What the final install covers.
    pub final_install: FinalInstall,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            test: false,
            top_level_phases: [Phase::Configure, Phase::Build, Phase::Test, Phase::Runtime]
                .into_iter()
                .collect(),
            top_level_relationships: [Relationship::Requires].into_iter().collect(),
            cycles: CyclePolicy::default(),
            final_install: FinalInstall::default(),
        }
    }
}

impl Options {
    /// Testing on or off.
    pub fn with_test(mut self, test: bool) -> Options {
        self.test = test;
        self
    }

    /// Follow `develop` requirements at the top level.
    pub fn with_develop(mut self) -> Options {
        self.top_level_phases.insert(Phase::Develop);
        self
    }

    /// Follow `recommends` at the top level.
    pub fn with_recommends(mut self) -> Options {
        self.top_level_relationships
            .insert(Relationship::Recommends);
        self
    }

    /// Follow `suggests` at the top level.
    pub fn with_suggests(mut self) -> Options {
        self.top_level_relationships.insert(Relationship::Suggests);
        self
    }

    /// The cycle policy.
    pub fn with_cycle_policy(mut self, cycles: CyclePolicy) -> Options {
        self.cycles = cycles;
        self
    }

    /// The final install's extent.
    pub fn with_final_install(mut self, final_install: FinalInstall) -> Options {
        self.final_install = final_install;
        self
    }
}

/// A step of one distribution, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistTask {
    /// The distribution.
    pub dist: DistId,
    /// [`Step::Fetch`], [`Step::Configure`], [`Step::Build`] or [`Step::Test`].
    pub step: Step,
    /// The distributions whose build output (`blib/lib`, `blib/arch`, `blib/script`) must be
    /// on `PERL5LIB`/`PATH` while the step runs: the ready providers of the requirements that
    /// gate it and their runtime closure, in name order. Empty for a fetch.
    pub dependencies: Vec<DistId>,
}

/// Work the caller should do now, on any free worker.
#[derive(Debug, Clone)]
pub enum Task {
    /// Find the distribution providing `module` in a version `range` accepts, then report
    /// [`Scheduler::resolved`] (or [`Scheduler::already_installed`] when the installed
    /// version is in `range` after all, or [`Scheduler::resolve_failed`]).
    Resolve {
        /// The module.
        module: String,
        /// Every known requirement on it, combined (the first one's when they conflict).
        range: VersionRange,
    },
    /// Run a step of a distribution, then report its result.
    Run(DistTask),
}

impl Task {
    /// The task's identity.
    pub fn key(&self) -> TaskKey {
        match self {
            Task::Resolve { module, .. } => TaskKey::Resolve(module.clone()),
            Task::Run(t) => TaskKey::Run(t.dist.clone(), t.step),
        }
    }

    /// The step, for a distribution task.
    pub fn step(&self) -> Option<Step> {
        match self {
            Task::Resolve { .. } => None,
            Task::Run(t) => Some(t.step),
        }
    }

    /// The distribution, for a distribution task.
    pub fn dist(&self) -> Option<&DistId> {
        match self {
            Task::Resolve { .. } => None,
            Task::Run(t) => Some(&t.dist),
        }
    }
}

/// A task's identity: what it does to what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskKey {
    /// Resolve this module.
    Resolve(String),
    /// This step of this distribution.
    Run(DistId, Step),
}

/// The build scheduler: a state machine over a [`BuildPlan`].
///
/// Protocol: call [`Scheduler::already_installed`] for what is installed (any time; before the
/// first [`Scheduler::next_tasks`] saves resolve work), then loop: take up to as many tasks as
/// there are free workers from [`Scheduler::next_tasks`], run them, and report each result
/// with the matching event. A task is handed out once. When [`Scheduler::is_finished`], install
/// [`Scheduler::install_order`] serially (reporting [`Scheduler::installed`] or
/// [`Scheduler::failed`] with [`Step::Install`]) and read the [`Scheduler::summary`].
///
/// | task | event(s) |
/// |---|---|
/// | `Resolve { module, range }` | `resolved(module, dist, provides)`, `already_installed(module, version)`, `resolve_failed(module, reason)` |
/// | `Run(Fetch)` | `fetched(dist, configure requirements from META)`, `failed(dist, Fetch, reason)` |
/// | `Run(Configure)` | `configured(dist, requirements from MYMETA)`, `failed(dist, Configure, reason)` |
/// | `Run(Build)` | `built(dist)`, `failed(dist, Build, reason)` |
/// | `Run(Test)` | `tested(dist)`, `failed(dist, Test, reason)` |
///
/// A step is handed out only when every requirement that gates it is *ready* (see
/// [`Step::gating_phases`]): met by an installed version, or provided by a distribution of
/// the plan that is built (and tested, with testing on) and whose own runtime requirements are
/// ready.
#[derive(Debug, Clone)]
pub struct Scheduler {
    options: Options,
    plan: BuildPlan,
    /// Distributions whose next step may run now.
    open: BTreeMap<DistId, Step>,
    /// Modules some requirement needs resolved.
    wanted_resolves: BTreeSet<String>,
    cycles: Vec<CycleReport>,
}

enum Gate {
    Open,
    /// Waiting for these distributions (and perhaps for resolves).
    Pending(Vec<DistId>),
    Blocked(Blocker),
}

/// What a pass over the plan decided for one distribution.
enum Action {
    Open(Step),
    Close,
    Ready,
    Wait(Vec<DistId>),
    Skip(Step, Blocker),
}

fn parse_version(module: &str, input: &str) -> Result<Option<Version>, PlanError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed == "undef" {
        return Ok(None);
    }
    Version::parse(trimmed)
        .map(Some)
        .map_err(|e| PlanError::InvalidVersion {
            module: module.to_string(),
            input: input.to_string(),
            reason: e.to_string(),
        })
}

impl Scheduler {
    /// A scheduler for the top-level requirements `targets` (what the user asked for, or a
    /// cpanfile's prerequisites), of which it follows those the options' top-level phases and
    /// relationships select.
    pub fn new(options: Options, targets: impl IntoIterator<Item = Requirement>) -> Scheduler {
        let top_level = targets
            .into_iter()
            .filter(|r| {
                r.relationship() != Relationship::Conflicts
                    && options.top_level_phases.contains(&r.phase())
                    && options.top_level_relationships.contains(&r.relationship())
            })
            .collect();
        let mut plan = BuildPlan {
            top_level,
            ..BuildPlan::default()
        };
        for r in plan.top_level.clone() {
            plan.index_requirement(&r);
        }
        let mut s = Scheduler {
            options,
            plan,
            open: BTreeMap::new(),
            wanted_resolves: BTreeSet::new(),
            cycles: Vec::new(),
        };
        s.advance();
        s
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The plan as it stands.
    pub fn plan(&self) -> &BuildPlan {
        &self.plan
    }

    // -----------------------------------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------------------------------

    /// `module` is provided by `dist`, which provides `provides` (module → version string;
    /// `""` or `undef` for none). A distribution new to the plan is added; the other modules it
    /// provides are mapped to it too unless already resolved or being resolved.
    pub fn resolved<M, V>(
        &mut self,
        module: &str,
        dist: DistId,
        provides: impl IntoIterator<Item = (M, V)>,
    ) -> Result<(), PlanError>
    where
        M: Into<String>,
        V: AsRef<str>,
    {
        let mut parsed: Vec<(String, Option<Version>)> = Vec::new();
        for (m, v) in provides {
            let m = m.into();
            let v = parse_version(&m, v.as_ref())?;
            parsed.push((m, v));
        }
        if let Some(state) = self.plan.modules.get(module) {
            if let (true, Some(existing)) = (state.explicit, &state.provider) {
                if *existing != dist {
                    return Err(PlanError::ConflictingResolution {
                        module: module.to_string(),
                        existing: existing.clone(),
                        new: dist,
                    });
                }
            }
        }
        let d = self.plan.add_dist(&dist);
        for (m, v) in &parsed {
            d.provides.insert(m.clone(), v.clone());
        }
        d.provides.entry(module.to_string()).or_insert(None);
        let mut provided: Vec<String> = d.provides.keys().cloned().collect();
        provided.retain(|m| m != module);
        let entry = self.plan.modules.entry(module.to_string()).or_default();
        entry.provider = Some(dist.clone());
        entry.explicit = true;
        entry.resolution = Resolution::Resolved;
        for m in provided {
            let entry = self.plan.modules.entry(m).or_default();
            if entry.provider.is_none() && entry.resolution == Resolution::NotRequested {
                entry.provider = Some(dist.clone());
            }
        }
        self.advance();
        Ok(())
    }

    /// `module` cannot be resolved. Whatever requires it is skipped.
    pub fn resolve_failed(&mut self, module: &str, reason: impl Into<String>) {
        let entry = self.plan.modules.entry(module.to_string()).or_default();
        entry.resolution = Resolution::Failed(reason.into());
        self.advance();
    }

    /// `module` is installed at `version` (a version string; `""`/`undef` for none). Every
    /// requirement it satisfies is met without the plan; as the answer to a resolve task, the
    /// requirements it does not satisfy cannot be met.
    pub fn already_installed(&mut self, module: &str, version: &str) -> Result<(), PlanError> {
        let v = parse_version(module, version)?.unwrap_or_else(|| zero().clone());
        self.plan.installed.insert(module.to_string(), v);
        if let Some(entry) = self.plan.modules.get_mut(module) {
            if entry.resolution == Resolution::InFlight {
                entry.resolution = Resolution::Installed;
            }
        }
        self.advance();
        Ok(())
    }

    fn expect(&mut self, dist: &DistId, event: Step) -> Result<(), PlanError> {
        let d = self
            .plan
            .dists
            .get(dist)
            .ok_or_else(|| PlanError::UnknownDist(dist.clone()))?;
        if d.state.in_flight() == Some(event) {
            Ok(())
        } else {
            Err(PlanError::UnexpectedEvent {
                dist: dist.clone(),
                event,
                state: d.state.describe(),
            })
        }
    }

    fn keep(&self, r: &Requirement, top: bool) -> bool {
        match r.relationship() {
            Relationship::Conflicts => false,
            Relationship::Requires => true,
            rel => top && self.options.top_level_relationships.contains(&rel),
        }
    }

    /// The fetch of `dist` is done; `requirements` are its META prerequisites. Those of phase
    /// `configure` gate its configure step (the others are read from MYMETA after configure,
    /// which is authoritative for them); `conflicts` are kept for [`Scheduler::check_breaks`].
    pub fn fetched(
        &mut self,
        dist: &DistId,
        requirements: impl IntoIterator<Item = Requirement>,
    ) -> Result<(), PlanError> {
        self.expect(dist, Step::Fetch)?;
        let top = self.plan.targets().contains(dist);
        let mut configure = Vec::new();
        let mut conflicts = Vec::new();
        for r in requirements {
            if r.relationship() == Relationship::Conflicts {
                conflicts.push(r);
            } else if r.phase() == Phase::Configure && self.keep(&r, top) {
                configure.push(r);
            }
        }
        for r in &configure {
            self.plan.index_requirement(r);
        }
        if let Some(d) = self.plan.dists.get_mut(dist) {
            d.fetched = true;
            d.configure_requirements = configure;
            d.conflicts.extend(conflicts);
            d.state = DistState::Fetched;
        }
        self.advance();
        Ok(())
    }

    /// The configure step of `dist` is done; `requirements` are its MYMETA prerequisites. The
    /// `build`, `runtime` (and with testing on, `test`) ones are followed; `develop` ones of a
    /// target become top-level requirements when the options ask for them; new modules are
    /// resolved, which may add distributions to the plan.
    pub fn configured(
        &mut self,
        dist: &DistId,
        requirements: impl IntoIterator<Item = Requirement>,
    ) -> Result<(), PlanError> {
        self.expect(dist, Step::Configure)?;
        let top = self.plan.targets().contains(dist);
        let mut kept = Vec::new();
        let mut conflicts = Vec::new();
        let mut develop = Vec::new();
        for r in requirements {
            if r.relationship() == Relationship::Conflicts {
                conflicts.push(r);
                continue;
            }
            if !self.keep(&r, top) {
                continue;
            }
            match r.phase() {
                Phase::Configure => {}
                Phase::Build | Phase::Runtime => kept.push(r),
                Phase::Test => {
                    if self.options.test {
                        kept.push(r);
                    }
                }
                Phase::Develop => {
                    if top && self.options.top_level_phases.contains(&Phase::Develop) {
                        develop.push(r);
                    }
                }
            }
        }
        for r in kept.iter().chain(develop.iter()) {
            self.plan.index_requirement(r);
        }
        if let Some(d) = self.plan.dists.get_mut(dist) {
            d.configured = true;
            d.requirements = kept;
            d.conflicts.extend(conflicts);
            d.state = DistState::Configured;
        }
        self.plan.top_level.extend(develop);
        self.advance();
        Ok(())
    }

    /// The build of `dist` is done.
    pub fn built(&mut self, dist: &DistId) -> Result<(), PlanError> {
        self.expect(dist, Step::Build)?;
        if let Some(d) = self.plan.dists.get_mut(dist) {
            d.state = DistState::Built;
        }
        self.advance();
        Ok(())
    }

    /// The tests of `dist` passed.
    pub fn tested(&mut self, dist: &DistId) -> Result<(), PlanError> {
        self.expect(dist, Step::Test)?;
        if let Some(d) = self.plan.dists.get_mut(dist) {
            d.state = DistState::Tested;
        }
        self.advance();
        Ok(())
    }

    /// `step` of `dist` failed. Everything that needs `dist` (through the requirements that
    /// gate its steps, transitively) is skipped; the rest goes on. With [`Step::Install`], the
    /// final install of a ready distribution failed.
    pub fn failed(
        &mut self,
        dist: &DistId,
        step: Step,
        reason: impl Into<String>,
    ) -> Result<(), PlanError> {
        if step == Step::Install {
            let d = self
                .plan
                .dists
                .get_mut(dist)
                .ok_or_else(|| PlanError::UnknownDist(dist.clone()))?;
            if !d.ready || d.installed {
                return Err(PlanError::UnexpectedEvent {
                    dist: dist.clone(),
                    event: step,
                    state: if d.installed {
                        "installed"
                    } else {
                        d.state.describe()
                    },
                });
            }
            d.install_failed = Some(reason.into());
            return Ok(());
        }
        self.expect(dist, step)?;
        if let Some(d) = self.plan.dists.get_mut(dist) {
            d.state = DistState::Failed(Failure {
                dist: dist.clone(),
                step,
                cause: FailureCause::Step(reason.into()),
            });
        }
        self.advance();
        Ok(())
    }

    /// The final install of `dist` is done.
    pub fn installed(&mut self, dist: &DistId) -> Result<(), PlanError> {
        let d = self
            .plan
            .dists
            .get_mut(dist)
            .ok_or_else(|| PlanError::UnknownDist(dist.clone()))?;
        if !d.ready || d.installed || d.install_failed.is_some() {
            return Err(PlanError::UnexpectedEvent {
                dist: dist.clone(),
                event: Step::Install,
                state: if d.installed {
                    "installed"
                } else {
                    d.state.describe()
                },
            });
        }
        d.installed = true;
        Ok(())
    }

    /// `dist`'s META `x_breaks`: module → the broken range (for [`Scheduler::check_breaks`]).
    pub fn set_breaks<M: Into<String>, R: AsRef<str>>(
        &mut self,
        dist: &DistId,
        breaks: impl IntoIterator<Item = (M, R)>,
    ) -> Result<(), PlanError> {
        let mut parsed = Vec::new();
        for (m, range) in breaks {
            let m = m.into();
            match VersionRange::parse(range.as_ref()) {
                Ok(r) => parsed.push((m, r)),
                Err(error) => {
                    return Err(PlanError::InvalidRequirement {
                        module: m,
                        error: Box::new(error),
                    })
                }
            }
        }
        let d = self
            .plan
            .dists
            .get_mut(dist)
            .ok_or_else(|| PlanError::UnknownDist(dist.clone()))?;
        d.breaks = parsed;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Queries
    // -----------------------------------------------------------------------------------------

    /// Up to `max` tasks that can run now, most urgent first: resolves, then fetches, then the
    /// steps of the distributions the most others wait for (then by entry into the plan). Each
    /// task is handed out once; the caller reports its result with the matching event.
    pub fn next_tasks(&mut self, max: usize) -> Vec<Task> {
        if max == 0 {
            return Vec::new();
        }
        let waiters = self.waiter_counts();
        let mut candidates: Vec<(u8, Reverse<usize>, usize, TaskKey)> = Vec::new();
        for m in &self.wanted_resolves {
            let requested = self
                .plan
                .modules
                .get(m)
                .is_some_and(|s| s.resolution != Resolution::NotRequested);
            if !requested {
                candidates.push((0, Reverse(0), 0, TaskKey::Resolve(m.clone())));
            }
        }
        for (d, step) in &self.open {
            let class = if *step == Step::Fetch { 1 } else { 2 };
            let seq = self.plan.dists.get(d).map_or(usize::MAX, |x| x.seq);
            let weight = waiters.get(d).copied().unwrap_or(0);
            candidates.push((class, Reverse(weight), seq, TaskKey::Run(d.clone(), *step)));
        }
        candidates.sort();
        candidates.truncate(max);
        let mut tasks = Vec::with_capacity(candidates.len());
        for (_, _, _, key) in candidates {
            match key {
                TaskKey::Resolve(module) => {
                    let range = self.resolve_range(&module);
                    self.plan
                        .modules
                        .entry(module.clone())
                        .or_default()
                        .resolution = Resolution::InFlight;
                    tasks.push(Task::Resolve { module, range });
                }
                TaskKey::Run(dist, step) => {
                    let dependencies = if step == Step::Fetch {
                        Vec::new()
                    } else {
                        self.plan.dependency_env(&dist, step)
                    };
                    self.open.remove(&dist);
                    if let Some(d) = self.plan.dists.get_mut(&dist) {
                        d.started = true;
                        d.state = match step {
                            Step::Fetch => DistState::Fetching,
                            Step::Configure => DistState::Configuring,
                            Step::Build => DistState::Building,
                            _ => DistState::Testing,
                        };
                    }
                    tasks.push(Task::Run(DistTask {
                        dist,
                        step,
                        dependencies,
                    }));
                }
            }
        }
        tasks
    }

    /// How many tasks handed out have not been reported yet.
    pub fn in_flight(&self) -> usize {
        let dists = self
            .plan
            .dists
            .values()
            .filter(|d| d.state.in_flight().is_some())
            .count();
        let modules = self
            .plan
            .modules
            .values()
            .filter(|m| m.resolution == Resolution::InFlight)
            .count();
        dists + modules
    }

    /// Nothing is running and nothing can run: time for the final install.
    pub fn is_finished(&self) -> bool {
        self.in_flight() == 0
            && self.open.is_empty()
            && self.wanted_resolves.iter().all(|m| {
                self.plan
                    .modules
                    .get(m)
                    .is_some_and(|s| s.resolution != Resolution::NotRequested)
            })
    }

    /// The distributions to install, dependencies first: the ready targets and the ready
    /// members of their runtime closure ([`FinalInstall::Runtime`]; the closure is followed
    /// through distributions that are not ready too, as cpm does), or every ready distribution
    /// ([`FinalInstall::All`]). Ties are broken by name, so the order is deterministic.
    pub fn install_order(&self) -> Vec<DistId> {
        let set: BTreeSet<DistId> = match self.options.final_install {
            FinalInstall::All => self
                .plan
                .dists
                .values()
                .filter(|d| d.ready)
                .map(|d| d.id.clone())
                .collect(),
            FinalInstall::Runtime => {
                let mut seen: BTreeSet<DistId> = BTreeSet::new();
                let mut todo: VecDeque<DistId> = self.plan.targets().into_iter().collect();
                while let Some(d) = todo.pop_front() {
                    if !seen.insert(d.clone()) {
                        continue;
                    }
                    // Through broken cycle edges too: the whole group is installed.
                    let mut next = self.plan.runtime_providers(&d);
                    if let Some(tos) = self.plan.broken.get(&d) {
                        next.extend(tos.iter().cloned());
                    }
                    todo.extend(next);
                }
                seen.into_iter()
                    .filter(|d| self.plan.dists.get(d).is_some_and(|x| x.ready))
                    .collect()
            }
        };
        self.plan.dependency_order(&set)
    }

    /// Every cycle found so far and what was done about it.
    pub fn cycles(&self) -> &[CycleReport] {
        &self.cycles
    }

    /// The breaks the final install would cause (see [`check_breaks`]): the `x_breaks` given
    /// with [`Scheduler::set_breaks`] and the `conflicts` prerequisites of the distributions of
    /// [`Scheduler::install_order`], against what is installed; `latest` is module → the
    /// index's latest version, for the suggested upgrades.
    pub fn check_breaks(&self, latest: &BTreeMap<String, Version>) -> Vec<Break> {
        let releases: Vec<ReleaseBreaks> = self
            .install_order()
            .into_iter()
            .filter_map(|id| self.plan.dists.get(&id))
            .map(|d| ReleaseBreaks {
                dist: d.id.clone(),
                provides: d.provides.clone(),
                breaks: d
                    .breaks
                    .iter()
                    .cloned()
                    .chain(
                        d.conflicts
                            .iter()
                            .map(|r| (r.module().to_string(), r.range().clone())),
                    )
                    .collect(),
            })
            .collect();
        check_breaks(&self.plan.installed, latest, &releases)
    }

    /// Where the run stands (complete once [`Scheduler::is_finished`] and the final install is
    /// reported).
    pub fn summary(&self) -> Summary {
        let order = self.install_order();
        let position: BTreeMap<&DistId, usize> =
            order.iter().enumerate().map(|(i, d)| (d, i)).collect();
        let mut s = Summary::default();
        let mut installed: Vec<(usize, DistId)> = Vec::new();
        let mut to_install: Vec<(usize, DistId)> = Vec::new();
        for d in self.plan.dists.values() {
            if let Some(reason) = &d.install_failed {
                s.failed.push(Failure {
                    dist: d.id.clone(),
                    step: Step::Install,
                    cause: FailureCause::Step(reason.clone()),
                });
                continue;
            }
            match &d.state {
                DistState::Failed(f) => s.failed.push(f.clone()),
                DistState::Skipped(k) => s.skipped.push(k.clone()),
                _ if d.ready => {
                    let pos = position.get(&d.id).copied();
                    if d.installed {
                        installed.push((pos.unwrap_or(usize::MAX), d.id.clone()));
                    } else if let Some(pos) = pos {
                        to_install.push((pos, d.id.clone()));
                    } else {
                        s.build_only.push(d.id.clone());
                    }
                }
                _ if !d.started => s.never_started.push(d.id.clone()),
                _ => s.unfinished.push(d.id.clone()),
            }
        }
        installed.sort();
        to_install.sort();
        s.installed = installed.into_iter().map(|(_, d)| d).collect();
        s.to_install = to_install.into_iter().map(|(_, d)| d).collect();
        for r in &self.plan.top_level {
            if r.module() != "perl" {
                if let Some(v) = self.plan.installed.get(r.module()) {
                    if r.accepts(v) {
                        s.up_to_date.push((r.module().to_string(), v.clone()));
                        continue;
                    }
                }
            }
            if let Status::Blocked(blocker) = self.plan.status(None, r) {
                if matches!(blocker, Blocker::Dependency { .. }) {
                    // The target's distribution failed or was skipped: reported there.
                    continue;
                }
                s.target_problems.push(TargetProblem {
                    requirement: r.clone(),
                    blocker,
                });
            }
        }
        s.up_to_date.sort();
        s.up_to_date.dedup();
        s.unresolved = self
            .plan
            .modules
            .iter()
            .filter_map(|(m, st)| match &st.resolution {
                Resolution::Failed(reason) => Some((m.clone(), reason.clone())),
                _ => None,
            })
            .collect();
        s.cycles = self.cycles.clone();
        s
    }

    // -----------------------------------------------------------------------------------------
    // The state machine
    // -----------------------------------------------------------------------------------------

    /// The step a waiting distribution waits to run (`Install` for readiness).
    fn waiting_step(&self, state: &DistState, ready: bool) -> Option<Step> {
        match state {
            DistState::Fetched => Some(Step::Configure),
            DistState::Configured => Some(Step::Build),
            DistState::Built if self.options.test => Some(Step::Test),
            DistState::Built | DistState::Tested if !ready => Some(Step::Install),
            _ => None,
        }
    }

    fn gate(&self, id: &DistId, step: Step) -> Gate {
        let Some(d) = self.plan.dists.get(id) else {
            return Gate::Pending(Vec::new());
        };
        let mut pending = false;
        let mut waits: Vec<DistId> = Vec::new();
        let mut blocker = None;
        for r in d.gating_requirements(step) {
            match self.plan.status(Some(id), r) {
                Status::Satisfied { .. } | Status::Dropped => {}
                Status::Pending { waits: w } => {
                    pending = true;
                    for x in w {
                        if !waits.contains(x) {
                            waits.push(x.clone());
                        }
                    }
                }
                Status::Blocked(b) => {
                    if blocker.is_none() {
                        blocker = Some(b);
                    }
                }
            }
        }
        match (blocker, pending) {
            (Some(b), _) => Gate::Blocked(b),
            (None, true) => Gate::Pending(waits),
            (None, false) => Gate::Open,
        }
    }

    /// Distributions some requirement wants from the plan: the requirement is not met by an
    /// installed version and the distribution offers a version it accepts.
    fn wanted_dists(&self) -> BTreeSet<&DistId> {
        let mut out = BTreeSet::new();
        for (module, ranges) in &self.plan.by_module {
            if module == "perl" {
                continue;
            }
            let Some(p) = self.plan.provider(module) else {
                continue;
            };
            let offered = self.plan.offered(p, module);
            let installed = self.plan.installed.get(module);
            if ranges
                .iter()
                .any(|r| !installed.is_some_and(|v| r.accepts(v)) && r.accepts(offered))
            {
                out.insert(p);
            }
        }
        out
    }

    /// One pass over the plan: what to do with each distribution.
    fn decide(&self) -> Vec<(DistId, Action)> {
        let resolved_waiting = self
            .plan
            .dists
            .values()
            .any(|d| matches!(d.state, DistState::Resolved) && !self.open.contains_key(&d.id));
        let wanted = if resolved_waiting {
            self.wanted_dists()
        } else {
            BTreeSet::new()
        };
        let mut actions = Vec::new();
        for (id, d) in &self.plan.dists {
            if matches!(d.state, DistState::Resolved) {
                if wanted.contains(id) {
                    actions.push((id.clone(), Action::Open(Step::Fetch)));
                } else if resolved_waiting && self.open.contains_key(id) {
                    // No longer wanted (an installed version now does).
                    actions.push((id.clone(), Action::Close));
                }
                continue;
            }
            let Some(step) = self.waiting_step(&d.state, d.ready) else {
                if self.open.contains_key(id) {
                    actions.push((id.clone(), Action::Close));
                }
                continue;
            };
            let action = match self.gate(id, step) {
                Gate::Open if step == Step::Install => Action::Ready,
                Gate::Open => Action::Open(step),
                Gate::Pending(waits) => Action::Wait(waits),
                Gate::Blocked(b) => Action::Skip(step, b),
            };
            actions.push((id.clone(), action));
        }
        actions
    }

    /// Brings the plan up to date after an event: opens gates, marks distributions ready,
    /// skips what can never run, and detects and handles cycles; repeats until nothing changes.
    fn advance(&mut self) {
        loop {
            let mut changed = false;
            let mut waiting: BTreeMap<DistId, Vec<DistId>> = BTreeMap::new();
            for (id, action) in self.decide() {
                match action {
                    Action::Open(step) => {
                        self.open.insert(id, step);
                    }
                    Action::Close => {
                        self.open.remove(&id);
                    }
                    Action::Ready => {
                        self.open.remove(&id);
                        if let Some(d) = self.plan.dists.get_mut(&id) {
                            d.ready = true;
                        }
                        changed = true;
                    }
                    Action::Wait(waits) => {
                        self.open.remove(&id);
                        waiting.insert(id, waits);
                    }
                    Action::Skip(step, blocker) => {
                        self.open.remove(&id);
                        if let Some(d) = self.plan.dists.get_mut(&id) {
                            d.state = DistState::Skipped(Skip {
                                dist: id.clone(),
                                step,
                                blocker,
                            });
                        }
                        changed = true;
                    }
                }
            }
            if !changed {
                changed = self.handle_cycle(&waiting);
            }
            if !changed {
                break;
            }
        }
        let mut wanted = BTreeSet::new();
        for (module, ranges) in &self.plan.by_module {
            if module == "perl" {
                continue;
            }
            let state = self.plan.modules.get(module);
            let open = match state {
                None => true,
                Some(m) => {
                    m.provider.is_none()
                        && matches!(
                            m.resolution,
                            Resolution::NotRequested | Resolution::InFlight
                        )
                }
            };
            let installed = self.plan.installed.get(module);
            if open
                && ranges
                    .iter()
                    .any(|r| !installed.is_some_and(|v| r.accepts(v)))
            {
                wanted.insert(module.clone());
            }
        }
        self.wanted_resolves = wanted;
    }

    /// The strongest gating requirement of `from` (waiting for `step`) behind its wait for `to`.
    fn edge_label(&self, from: &DistId, to: &DistId, step: Step) -> Option<&Requirement> {
        let d = self.plan.dists.get(from)?;
        d.gating_requirements(step)
            .filter(|r| {
                matches!(
                    self.plan.status(Some(from), r),
                    Status::Pending { waits } if waits.contains(&to)
                )
            })
            .max_by_key(|r| edge_rank(r))
    }

    /// Finds one deadlocked cycle in `waiting` (distribution → the distributions it waits
    /// for) and handles it by the policy; false when there is none.
    fn handle_cycle(&mut self, waiting: &BTreeMap<DistId, Vec<DistId>>) -> bool {
        let rank = |d: &DistId| self.plan.dists.get(d).map_or(usize::MAX, |x| x.seq);
        let Some(members) = find_cycle(waiting, &rank) else {
            return false;
        };
        let mut edges = Vec::with_capacity(members.len());
        let mut steps = BTreeMap::new();
        for (i, from) in members.iter().enumerate() {
            let to = &members[(i + 1) % members.len()];
            let step = self
                .plan
                .dists
                .get(from)
                .and_then(|d| self.waiting_step(&d.state, d.ready));
            let Some(step) = step else {
                return false;
            };
            let Some(r) = self.edge_label(from, to, step) else {
                return false;
            };
            steps.insert(from.clone(), step);
            edges.push(CycleEdge {
                from: from.clone(),
                to: to.clone(),
                module: r.module().to_string(),
                phase: r.phase(),
                relationship: r.relationship(),
            });
        }
        let cycle = Cycle { edges };
        let resolution = match self.options.cycles {
            CyclePolicy::Fail => {
                for m in &members {
                    if let Some(d) = self.plan.dists.get_mut(m) {
                        d.state = DistState::Failed(Failure {
                            dist: m.clone(),
                            step: steps.get(m).copied().unwrap_or(Step::Install),
                            cause: FailureCause::Cycle(cycle.clone()),
                        });
                    }
                    self.open.remove(m);
                }
                CycleResolution::Failed
            }
            CyclePolicy::Break => {
                let through_group = cycle
                    .edges
                    .iter()
                    .any(|e| self.plan.provider(&e.module) != Some(&e.to));
                let weakest = cycle
                    .edges
                    .iter()
                    .enumerate()
                    .min_by_key(|(i, e)| (e.strength(), rank(&e.to), *i))
                    .map(|(_, e)| e.clone());
                self.plan.join_group(&members);
                if through_group {
                    CycleResolution::Joined
                } else {
                    match weakest {
                        Some(e) => {
                            self.plan
                                .broken
                                .entry(e.from.clone())
                                .or_default()
                                .insert(e.to.clone());
                            CycleResolution::Broken {
                                from: e.from,
                                to: e.to,
                                module: e.module,
                            }
                        }
                        None => CycleResolution::Joined,
                    }
                }
            }
        };
        self.cycles.push(CycleReport { cycle, resolution });
        true
    }

    /// For every distribution, how many live distributions wait for it, directly or not.
    fn waiter_counts(&self) -> BTreeMap<DistId, usize> {
        let mut reverse: BTreeMap<&DistId, BTreeSet<&DistId>> = BTreeMap::new();
        for d in self.plan.dists.values() {
            if d.ready || d.state.is_dead() {
                continue;
            }
            for r in d.all_requirements() {
                if let Some(p) = self.plan.provider(r.module()) {
                    if *p != d.id {
                        reverse.entry(p).or_default().insert(&d.id);
                    }
                }
            }
        }
        let mut out = BTreeMap::new();
        for d in self.open.keys() {
            let mut seen: BTreeSet<&DistId> = BTreeSet::new();
            let mut todo: Vec<&DistId> = vec![d];
            while let Some(x) = todo.pop() {
                for w in reverse.get(x).into_iter().flatten() {
                    if seen.insert(w) {
                        todo.push(w);
                    }
                }
            }
            seen.remove(d);
            out.insert(d.clone(), seen.len());
        }
        out
    }

    /// The combined range of every unmet requirement on `module`.
    fn resolve_range(&self, module: &str) -> VersionRange {
        let installed = self.plan.installed.get(module);
        let mut combined: Option<VersionRange> = None;
        for r in self.plan.by_module.get(module).into_iter().flatten() {
            if installed.is_some_and(|v| r.accepts(v)) {
                continue;
            }
            combined = Some(match combined {
                None => r.clone(),
                Some(c) => c.intersect(r).unwrap_or(c),
            });
        }
        combined.unwrap_or_else(VersionRange::any)
    }
}

/// Rank of a requirement as a cycle edge label: the strongest is shown.
fn edge_rank(r: &Requirement) -> (u8, u8) {
    (
        u8::from(!r.relationship().is_optional()),
        r.phase().strength(),
    )
}
