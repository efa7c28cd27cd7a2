//! A fake CPAN world (distributions with their requirements, some failing, some XS), a fake
//! resolver, and a driver that plays the world through the scheduler with a simulated pool of
//! N workers, checking the scheduler's decisions against an independent oracle as it goes.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use cpan_plan::{
    DistId, Options, Phase, Relationship, Requirement, Scheduler, Step, Summary, Task, Version,
};

/// One distribution of the fake world.
#[derive(Debug, Clone)]
pub struct FakeDist {
    pub id: String,
    pub provides: Vec<(String, String)>,
    /// (phase, relationship, module, range).
    pub reqs: Vec<(Phase, Relationship, String, String)>,
    pub fail: Option<Step>,
    pub xs: bool,
}

/// `Foo-Bar-1.0` → a distribution providing `Foo::Bar` 1.0.
pub fn dist(id: &str) -> FakeDist {
    let (name, version) = match id.rsplit_once('-') {
        Some((n, v)) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => (n, v),
        _ => (id, "1.0"),
    };
    FakeDist {
        id: id.to_string(),
        provides: vec![(name.replace('-', "::"), version.to_string())],
        reqs: Vec::new(),
        fail: None,
        xs: false,
    }
}

impl FakeDist {
    pub fn provides(mut self, module: &str, version: &str) -> FakeDist {
        self.provides
            .push((module.to_string(), version.to_string()));
        self
    }
    pub fn req(self, phase: Phase, module: &str, range: &str) -> FakeDist {
        self.rel(phase, Relationship::Requires, module, range)
    }
    pub fn rel(mut self, phase: Phase, rel: Relationship, module: &str, range: &str) -> FakeDist {
        self.reqs
            .push((phase, rel, module.to_string(), range.to_string()));
        self
    }
    pub fn configure(self, module: &str) -> FakeDist {
        self.req(Phase::Configure, module, "0")
    }
    pub fn build(self, module: &str) -> FakeDist {
        self.req(Phase::Build, module, "0")
    }
    pub fn test(self, module: &str) -> FakeDist {
        self.req(Phase::Test, module, "0")
    }
    pub fn runtime(self, module: &str) -> FakeDist {
        self.req(Phase::Runtime, module, "0")
    }
    pub fn fail(mut self, step: Step) -> FakeDist {
        self.fail = Some(step);
        self
    }
    pub fn xs(mut self) -> FakeDist {
        self.xs = true;
        self
    }
    pub fn requirements(&self) -> Vec<Requirement> {
        self.reqs
            .iter()
            .map(|(p, r, m, range)| {
                Requirement::parse(m.clone(), range, *p, *r).expect("valid fake requirement")
            })
            .collect()
    }
}

/// The fake world: distributions, the index (module → distribution), what is installed.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub dists: BTreeMap<String, FakeDist>,
    pub index: BTreeMap<String, String>,
    pub installed: BTreeMap<String, String>,
}

impl World {
    pub fn new() -> World {
        World::default()
    }
    pub fn with(mut self, d: FakeDist) -> World {
        for (m, _) in &d.provides {
            self.index.entry(m.clone()).or_insert_with(|| d.id.clone());
        }
        self.dists.insert(d.id.clone(), d);
        self
    }
    pub fn installed(mut self, module: &str, version: &str) -> World {
        self.installed
            .insert(module.to_string(), version.to_string());
        self
    }

    fn offered(&self, dist: &str, module: &str) -> Version {
        let v = self
            .dists
            .get(dist)
            .and_then(|d| d.provides.iter().find(|(m, _)| m == module))
            .map_or("0", |(_, v)| v.as_str());
        version(v)
    }
}

pub fn version(s: &str) -> Version {
    Version::parse(s).expect("valid fake version")
}

pub fn id(s: &str) -> DistId {
    DistId::new(s)
}

pub fn ids(list: &[&str]) -> Vec<DistId> {
    list.iter().map(|s| DistId::new(*s)).collect()
}

pub fn target(module: &str) -> Requirement {
    Requirement::requires(module, "0", Phase::Runtime).expect("valid target")
}

/// How long each task takes in the simulation.
pub fn duration(world: &World, task: &Task) -> u64 {
    match task {
        Task::Resolve { .. } => 1,
        Task::Run(t) => match t.step {
            Step::Fetch => 1,
            Step::Configure => 2,
            Step::Build => {
                if world.dists.get(t.dist.as_str()).is_some_and(|d| d.xs) {
                    8
                } else {
                    3
                }
            }
            _ => 4,
        },
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Trace {
    /// Every task handed out, with the time it started.
    pub handed: Vec<(u64, Task)>,
    /// The most tasks running at once.
    pub max_running: usize,
    /// The most build tasks running at once.
    pub max_builds: usize,
    /// When the last task finished.
    pub makespan: u64,
    pub install_order: Vec<DistId>,
    pub summary: Summary,
    /// Oracle disagreements (empty when `check` was off or all went well).
    pub violations: Vec<String>,
}

impl Trace {
    pub fn runs(&self, step: Step) -> Vec<DistId> {
        self.handed
            .iter()
            .filter(|(_, t)| t.step() == Some(step))
            .filter_map(|(_, t)| t.dist().cloned())
            .collect()
    }
    pub fn resolves(&self) -> Vec<String> {
        self.handed
            .iter()
            .filter_map(|(_, t)| match t {
                Task::Resolve { module, .. } => Some(module.clone()),
                Task::Run(_) => None,
            })
            .collect()
    }
    pub fn dependencies(&self, dist: &str, step: Step) -> Option<Vec<DistId>> {
        self.handed.iter().find_map(|(_, t)| match t {
            Task::Run(r) if r.dist.as_str() == dist && r.step == step => {
                Some(r.dependencies.clone())
            }
            _ => None,
        })
    }
}

/// The oracle: what the simulation knows independently of the scheduler.
struct Oracle<'a> {
    world: &'a World,
    test: bool,
    built: BTreeSet<String>,
    tested: BTreeSet<String>,
    fetched: BTreeSet<String>,
    configured: BTreeSet<String>,
    failed: BTreeSet<String>,
    running: BTreeSet<(String, Step)>,
}

impl Oracle<'_> {
    fn installed_ok(&self, module: &str, range: &str) -> bool {
        let req = Requirement::requires(module, range, Phase::Runtime).expect("valid");
        self.world
            .installed
            .get(module)
            .is_some_and(|v| req.accepts(&version(v)))
    }

    /// A hard requirement is ready: installed, or offered in a good version by a ready dist.
    fn req_ready(&self, module: &str, range: &str, seen: &mut BTreeSet<String>) -> bool {
        if self.installed_ok(module, range) {
            return true;
        }
        let Some(p) = self.world.index.get(module) else {
            return false;
        };
        let req = Requirement::requires(module, range, Phase::Runtime).expect("valid");
        req.accepts(&self.world.offered(p, module)) && self.ready(p, seen)
    }

    fn ready(&self, dist: &str, seen: &mut BTreeSet<String>) -> bool {
        if !seen.insert(dist.to_string()) {
            return false;
        }
        let ok = self.built.contains(dist)
            && (!self.test || self.tested.contains(dist))
            && self.world.dists.get(dist).is_some_and(|d| {
                d.reqs
                    .iter()
                    .filter(|(p, r, _, _)| *p == Phase::Runtime && *r == Relationship::Requires)
                    .all(|(_, _, m, range)| self.req_ready(m, range, &mut seen.clone()))
            });
        seen.remove(dist);
        ok
    }

    fn gating(&self, dist: &str, step: Step) -> Vec<(String, String)> {
        let phases = step.gating_phases();
        self.world
            .dists
            .get(dist)
            .map(|d| {
                d.reqs
                    .iter()
                    .filter(|(p, r, _, _)| {
                        phases.contains(p)
                            && *r == Relationship::Requires
                            && (*p != Phase::Test || self.test)
                    })
                    .map(|(_, _, m, range)| (m.clone(), range.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn gate_ready(&self, dist: &str, step: Step) -> bool {
        self.gating(dist, step)
            .iter()
            .all(|(m, range)| self.req_ready(m, range, &mut BTreeSet::new()))
    }

    /// The expected `PERL5LIB` distributions of a step: providers of the gating requirements
    /// and their runtime closure.
    fn env(&self, dist: &str, step: Step) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<(String, String)> = self.gating(dist, step);
        while let Some((m, range)) = todo.pop() {
            if self.installed_ok(&m, &range) {
                continue;
            }
            if let Some(p) = self.world.index.get(&m) {
                if p != dist && out.insert(p.clone()) {
                    if let Some(pd) = self.world.dists.get(p) {
                        todo.extend(
                            pd.reqs
                                .iter()
                                .filter(|(ph, r, _, _)| {
                                    *ph == Phase::Runtime && *r == Relationship::Requires
                                })
                                .map(|(_, _, m, range)| (m.clone(), range.clone())),
                        );
                    }
                }
            }
        }
        out
    }

    /// Steps the oracle says could run now but are not running.
    fn idle_work(&self) -> Vec<(String, Step)> {
        let mut out = Vec::new();
        for d in self.world.dists.keys() {
            if self.failed.contains(d) {
                continue;
            }
            let step = if self.configured.contains(d) {
                if !self.built.contains(d) {
                    Step::Build
                } else if self.test && !self.tested.contains(d) {
                    Step::Test
                } else {
                    continue;
                }
            } else if self.fetched.contains(d) {
                Step::Configure
            } else {
                continue;
            };
            if self.running.contains(&(d.clone(), step)) {
                continue;
            }
            if self.gate_ready(d, step) {
                out.push((d.clone(), step));
            }
        }
        out
    }
}

/// Plays `world` through a scheduler with `workers` workers, then installs the install order.
/// With `check`, every task handed out is checked against the oracle (gating requirements
/// ready, `PERL5LIB` = the expected closure, no idle worker while the oracle sees runnable
/// work); only meaningful for worlds without cycles and with `requires` only.
pub fn run(
    world: &World,
    options: Options,
    targets: Vec<Requirement>,
    workers: usize,
    check: bool,
) -> (Scheduler, Trace) {
    let test = options.test;
    let mut s = Scheduler::new(options, targets);
    for (m, v) in &world.installed {
        s.already_installed(m, v).expect("installed version");
    }
    let mut oracle = Oracle {
        world,
        test,
        built: BTreeSet::new(),
        tested: BTreeSet::new(),
        fetched: BTreeSet::new(),
        configured: BTreeSet::new(),
        failed: BTreeSet::new(),
        running: BTreeSet::new(),
    };
    let mut violations = Vec::new();
    let mut handed = Vec::new();
    let mut running: Vec<(u64, usize, Task)> = Vec::new();
    let mut time = 0u64;
    let mut counter = 0usize;
    let mut max_running = 0;
    let mut max_builds = 0;
    loop {
        let free = workers - running.len();
        if free > 0 {
            for task in s.next_tasks(free) {
                if check {
                    if let Task::Run(t) = &task {
                        if t.step != Step::Fetch {
                            if !oracle.gate_ready(t.dist.as_str(), t.step) {
                                violations.push(format!(
                                    "t={time}: {} {} handed out before its requirements were ready",
                                    t.step, t.dist
                                ));
                            }
                            let want = oracle.env(t.dist.as_str(), t.step);
                            let got: BTreeSet<String> =
                                t.dependencies.iter().map(|d| d.to_string()).collect();
                            if want != got {
                                violations.push(format!(
                                    "t={time}: {} {} env {got:?}, expected {want:?}",
                                    t.step, t.dist
                                ));
                            }
                        }
                    }
                }
                if let Task::Run(t) = &task {
                    oracle.running.insert((t.dist.to_string(), t.step));
                }
                handed.push((time, task.clone()));
                counter += 1;
                running.push((time + duration(world, &task), counter, task));
            }
            if check && running.len() < workers {
                for (d, step) in oracle.idle_work() {
                    violations.push(format!(
                        "t={time}: {step} {d} could run but a worker is idle"
                    ));
                }
            }
        }
        max_running = max_running.max(running.len());
        max_builds = max_builds.max(
            running
                .iter()
                .filter(|(_, _, t)| t.step() == Some(Step::Build))
                .count(),
        );
        if running.is_empty() {
            break;
        }
        // Finish everything that ends at the earliest finishing time, in hand-out order.
        let next = running.iter().map(|(f, _, _)| *f).min().unwrap_or(time);
        time = next;
        let mut done: Vec<(u64, usize, Task)> = Vec::new();
        running.retain(|r| {
            if r.0 == next {
                done.push(r.clone());
                false
            } else {
                true
            }
        });
        done.sort_by_key(|(_, c, _)| *c);
        for (_, _, task) in done {
            apply(world, &mut s, &mut oracle, &task);
        }
    }
    if !s.is_finished() {
        violations.push("the pool drained but the scheduler is not finished".to_string());
    }
    let install_order = s.install_order();
    for d in &install_order {
        s.installed(d).expect("installable");
    }
    let summary = s.summary();
    (
        s,
        Trace {
            handed,
            max_running,
            max_builds,
            makespan: time,
            install_order,
            summary,
            violations,
        },
    )
}

fn apply(world: &World, s: &mut Scheduler, oracle: &mut Oracle<'_>, task: &Task) {
    match task {
        Task::Resolve { module, .. } => match world.index.get(module) {
            Some(d) => {
                let provides = world
                    .dists
                    .get(d)
                    .map(|x| x.provides.clone())
                    .unwrap_or_default();
                s.resolved(module, DistId::new(d.clone()), provides)
                    .expect("resolved");
            }
            None => s.resolve_failed(module, "not in the index"),
        },
        Task::Run(t) => {
            let d = t.dist.as_str();
            oracle.running.remove(&(d.to_string(), t.step));
            let fake = world.dists.get(d).expect("a world dist");
            if fake.fail == Some(t.step) {
                oracle.failed.insert(d.to_string());
                s.failed(&t.dist, t.step, format!("{} failed", t.step))
                    .expect("failed event");
                return;
            }
            match t.step {
                Step::Fetch => {
                    oracle.fetched.insert(d.to_string());
                    s.fetched(&t.dist, fake.requirements()).expect("fetched");
                }
                Step::Configure => {
                    oracle.configured.insert(d.to_string());
                    s.configured(&t.dist, fake.requirements())
                        .expect("configured");
                }
                Step::Build => {
                    oracle.built.insert(d.to_string());
                    s.built(&t.dist).expect("built");
                }
                Step::Test => {
                    oracle.tested.insert(d.to_string());
                    s.tested(&t.dist).expect("tested");
                }
                Step::Install => {}
            }
        }
    }
}
