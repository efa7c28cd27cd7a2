//! Property tests over random worlds: random dependency DAGs (phases, version ranges, failures
//! at every step, installed modules, unresolvable modules) played through the scheduler with a
//! random number of workers, against an independent oracle; and random graphs with cycles.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{dist, run, target, version, FakeDist, World};
use cpan_plan::{
    CyclePolicy, DistId, FailureCause, Options, Phase, Relationship, Requirement, Step,
};
use proptest::prelude::*;

const PHASES: [Phase; 4] = [Phase::Configure, Phase::Build, Phase::Runtime, Phase::Test];
const RANGES: [&str; 4] = ["0", "1.5", "0", "< 3"];
const FAILS: [Option<Step>; 8] = [
    None,
    None,
    None,
    None,
    Some(Step::Fetch),
    Some(Step::Configure),
    Some(Step::Build),
    Some(Step::Test),
];

/// One distribution of a random world.
#[derive(Debug, Clone)]
struct DistSpec {
    /// Requirements: (seed for the required distribution, phase index, range index).
    deps: Vec<(usize, usize, usize)>,
    /// Index into `FAILS`.
    fail: usize,
    /// Offers version 2.0 rather than 1.0.
    v2: bool,
    /// Installed: 0 no, 1 at 1.0, 2 at 3.0.
    installed: usize,
    /// A requirement on a module no distribution provides, in this phase.
    missing: Option<usize>,
}

#[derive(Debug, Clone)]
struct Spec {
    dists: Vec<DistSpec>,
    targets: Vec<usize>,
    test: bool,
    workers: usize,
}

fn spec(max: usize) -> impl Strategy<Value = Spec> {
    let one = (
        prop::collection::vec((0..1000usize, 0..4usize, 0..4usize), 0..4),
        0..FAILS.len(),
        any::<bool>(),
        prop_oneof![6 => Just(0usize), 1 => Just(1usize), 1 => Just(2usize)],
        prop::option::weighted(0.1, 0..4usize),
    );
    let one = one.prop_map(|(deps, fail, v2, installed, missing)| DistSpec {
        deps,
        fail,
        v2,
        installed,
        missing,
    });
    (
        prop::collection::vec(one, 1..max),
        prop::collection::vec(0..1000usize, 1..4),
        any::<bool>(),
        1..6usize,
    )
        .prop_map(|(dists, targets, test, workers)| Spec {
            dists,
            targets,
            test,
            workers,
        })
}

fn module(i: usize) -> String {
    format!("M{i}")
}

/// The world of a spec; with `dag`, dist `i` only requires dists `j < i`.
fn world(spec: &Spec, dag: bool) -> World {
    let n = spec.dists.len();
    let mut w = World::new();
    for (i, ds) in spec.dists.iter().enumerate() {
        let ver = if ds.v2 { "2.0" } else { "1.0" };
        let mut d: FakeDist = dist(&format!("M{i}-{ver}"));
        for (seed, phase, range) in &ds.deps {
            let j = if dag {
                if i == 0 {
                    continue;
                }
                seed % i
            } else {
                let j = seed % n;
                if j == i {
                    continue;
                }
                j
            };
            d = d.req(PHASES[*phase], &module(j), RANGES[*range]);
        }
        if let Some(phase) = ds.missing {
            d = d.req(PHASES[phase], &format!("Gone{i}"), "0");
        }
        d = match FAILS[ds.fail] {
            Some(step) => d.fail(step),
            None => d,
        };
        w = w.with(d);
        match ds.installed {
            1 => w = w.installed(&module(i), "1.0"),
            2 => w = w.installed(&module(i), "3.0"),
            _ => {}
        }
    }
    w
}

fn targets(spec: &Spec) -> Vec<Requirement> {
    let n = spec.dists.len();
    let set: BTreeSet<usize> = spec.targets.iter().map(|t| t % n).collect();
    set.into_iter().map(|t| target(&module(t))).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Ready,
    Failed(Step),
    Skipped,
}

/// The oracle: what must happen, computed from the world alone.
struct Expect<'a> {
    world: &'a World,
    test: bool,
    memo: BTreeMap<String, Out>,
}

impl Expect<'_> {
    fn installed_ok(&self, m: &str, range: &str) -> bool {
        let r = Requirement::requires(m, range, Phase::Runtime).expect("valid");
        self.world
            .installed
            .get(m)
            .is_some_and(|v| r.accepts(&version(v)))
    }

    fn offered_ok(&self, p: &str, m: &str, range: &str) -> bool {
        let r = Requirement::requires(m, range, Phase::Runtime).expect("valid");
        let v = self.world.dists[p]
            .provides
            .iter()
            .find(|(x, _)| x == m)
            .map_or("0", |(_, v)| v.as_str());
        r.accepts(&version(v))
    }

    fn req_ok(&mut self, m: &str, range: &str) -> bool {
        if self.installed_ok(m, range) {
            return true;
        }
        let Some(p) = self.world.index.get(m).cloned() else {
            return false;
        };
        self.offered_ok(&p, m, range) && self.outcome(&p) == Out::Ready
    }

    fn reqs(&self, d: &str, phases: &[Phase]) -> Vec<(String, String)> {
        self.world.dists[d]
            .reqs
            .iter()
            .filter(|(p, r, _, _)| {
                *r == Relationship::Requires
                    && phases.contains(p)
                    && (*p != Phase::Test || self.test)
            })
            .map(|(_, _, m, range)| (m.clone(), range.clone()))
            .collect()
    }

    fn gate_ok(&mut self, d: &str, step: Step) -> bool {
        self.reqs(d, step.gating_phases())
            .iter()
            .all(|(m, range)| self.req_ok(m, range))
    }

    fn outcome(&mut self, d: &str) -> Out {
        if let Some(o) = self.memo.get(d) {
            return *o;
        }
        let fail = self.world.dists[d].fail;
        let mut out = Out::Ready;
        let mut steps = vec![Step::Configure, Step::Build];
        if self.test {
            steps.push(Step::Test);
        }
        if fail == Some(Step::Fetch) {
            out = Out::Failed(Step::Fetch);
        } else {
            for step in steps {
                if !self.gate_ok(d, step) {
                    out = Out::Skipped;
                    break;
                }
                if fail == Some(step) {
                    out = Out::Failed(step);
                    break;
                }
            }
        }
        self.memo.insert(d.to_string(), out);
        out
    }

    /// Whether `d` gets configured, so that the scheduler reads its MYMETA.
    fn configured(&mut self, d: &str) -> bool {
        let fail = self.world.dists[d].fail;
        fail != Some(Step::Fetch)
            && fail != Some(Step::Configure)
            && self.gate_ok(d, Step::Configure)
    }

    /// The requirements the scheduler learns about from `d` (META's configure ones after the
    /// fetch, MYMETA's after the configure).
    fn discovered(&mut self, d: &str) -> Vec<(String, String)> {
        if self.world.dists[d].fail == Some(Step::Fetch) {
            return Vec::new();
        }
        let mut out = self.reqs(d, &[Phase::Configure]);
        if self.configured(d) {
            out.extend(self.reqs(d, &[Phase::Build, Phase::Runtime, Phase::Test]));
        }
        out
    }
}

fn check_dag(spec: &Spec) -> Result<(), TestCaseError> {
    let w = world(spec, true);
    let options = Options::default().with_test(spec.test);
    let tops = targets(spec);
    let (s, trace) = run(&w, options.clone(), tops.clone(), spec.workers, true);
    prop_assert!(trace.violations.is_empty(), "{:#?}", trace.violations);

    let mut e = Expect {
        world: &w,
        test: spec.test,
        memo: BTreeMap::new(),
    };
    // Plan membership: follow what the scheduler learns.
    let mut in_plan: BTreeSet<String> = BTreeSet::new();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<(String, String)> = tops
        .iter()
        .map(|r| (r.module().to_string(), "0".to_string()))
        .collect();
    while let Some((m, range)) = todo.pop() {
        if e.installed_ok(&m, &range) {
            continue;
        }
        let Some(p) = w.index.get(&m).cloned() else {
            continue;
        };
        in_plan.insert(p.clone());
        if e.offered_ok(&p, &m, &range) && wanted.insert(p.clone()) {
            todo.extend(e.discovered(&p));
        }
    }
    let mut failed = BTreeMap::new();
    let mut skipped = BTreeSet::new();
    let mut ready = BTreeSet::new();
    for p in &wanted {
        match e.outcome(p) {
            Out::Ready => {
                ready.insert(p.clone());
            }
            Out::Failed(step) => {
                failed.insert(p.clone(), step);
            }
            Out::Skipped => {
                skipped.insert(p.clone());
            }
        }
    }
    let never: BTreeSet<String> = in_plan.difference(&wanted).cloned().collect();
    // The final install: targets and their runtime closure, the ready ones.
    let mut install = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = tops
        .iter()
        .filter(|r| !e.installed_ok(r.module(), "0"))
        .filter_map(|r| w.index.get(r.module()).cloned())
        .collect();
    while let Some(p) = todo.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        if ready.contains(&p) {
            install.insert(p.clone());
        }
        if !wanted.contains(&p) || !e.configured(&p) {
            continue;
        }
        for (m, range) in &e.reqs(&p, &[Phase::Runtime]) {
            if !e.installed_ok(m, range) {
                if let Some(q) = w.index.get(m) {
                    todo.push(q.clone());
                }
            }
        }
    }

    let sm = &trace.summary;
    let names = |v: &[DistId]| -> BTreeSet<String> { v.iter().map(|d| d.to_string()).collect() };
    prop_assert!(sm.unfinished.is_empty(), "{:?}", sm.unfinished);
    prop_assert_eq!(names(&sm.never_started), never);
    let got_failed: BTreeMap<String, Step> = sm
        .failed
        .iter()
        .map(|f| (f.dist.to_string(), f.step))
        .collect();
    prop_assert_eq!(got_failed, failed);
    let got_skipped: BTreeSet<String> = sm.skipped.iter().map(|k| k.dist.to_string()).collect();
    prop_assert_eq!(got_skipped, skipped);
    let mut got_ready = names(&sm.installed);
    got_ready.extend(names(&sm.build_only));
    prop_assert_eq!(got_ready, ready);
    prop_assert_eq!(names(&sm.installed), install);
    prop_assert!(sm.to_install.is_empty());
    prop_assert!(sm.cycles.is_empty());

    // Dependencies are installed first.
    let position: BTreeMap<String, usize> = trace
        .install_order
        .iter()
        .enumerate()
        .map(|(i, d)| (d.to_string(), i))
        .collect();
    for (d, i) in &position {
        for (m, range) in e.reqs(d, &[Phase::Runtime]) {
            if e.installed_ok(&m, &range) {
                continue;
            }
            if let Some(j) = w.index.get(&m).and_then(|q| position.get(q)) {
                prop_assert!(j < i, "{d} installed before its dependency {m}");
            }
        }
    }
    // A skip names a requirement that really is unmet, and a failed or skipped provider.
    for k in &sm.skipped {
        let blocked = k.blocker.module();
        let fake = &w.dists[k.dist.as_str()];
        prop_assert!(fake.reqs.iter().any(|(_, _, m, _)| m == blocked));
        if let cpan_plan::Blocker::Dependency { dist, .. } = &k.blocker {
            let dead = sm.failure(dist).is_some() || sm.skip(dist).is_some();
            prop_assert!(dead, "{} blocked by {} which is fine", k.dist, dist);
        }
    }
    // The same world with another pool size gives the same outcome and install order.
    let other = spec.workers % 5 + 1;
    let (_, again) = run(&w, options, tops, other, true);
    prop_assert_eq!(&again.install_order, &trace.install_order);
    prop_assert_eq!(again.summary.failed, sm.failed.clone());
    // (Which dead dependency a skip names may differ: the first one found dead.)
    let steps = |v: &[cpan_plan::Skip]| -> Vec<(DistId, Step)> {
        v.iter().map(|k| (k.dist.clone(), k.step)).collect()
    };
    prop_assert_eq!(steps(&again.summary.skipped), steps(&sm.skipped));
    prop_assert_eq!(again.summary.build_only, sm.build_only.clone());
    prop_assert!(s.is_finished());
    Ok(())
}

fn check_cycles(spec: &Spec, policy: CyclePolicy) -> Result<(), TestCaseError> {
    // No failures, no missing modules, every version fine: only cycles can get in the way.
    let mut clean = spec.clone();
    for d in &mut clean.dists {
        d.fail = 0;
        d.v2 = true;
        d.missing = None;
        for dep in &mut d.deps {
            dep.2 = 0;
        }
    }
    let w = world(&clean, false);
    let options = Options::default()
        .with_test(spec.test)
        .with_cycle_policy(policy);
    let (_, trace) = run(&w, options, targets(&clean), spec.workers, false);
    let sm = &trace.summary;
    prop_assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    prop_assert!(sm.unfinished.is_empty(), "{:?}", sm.unfinished);
    // Every cycle reported is a real one: each edge is a requirement of the world.
    for c in &sm.cycles {
        let edges = c.cycle.edges();
        prop_assert!(!edges.is_empty());
        for (i, edge) in edges.iter().enumerate() {
            let fake = &w.dists[edge.from.as_str()];
            prop_assert!(fake
                .reqs
                .iter()
                .any(|(p, _, m, _)| *m == edge.module && *p == edge.phase));
            prop_assert_eq!(&edges[(i + 1) % edges.len()].from, &edge.to);
        }
    }
    match policy {
        CyclePolicy::Break => {
            prop_assert!(sm.is_success(), "{sm:#?}");
            prop_assert!(sm.failed.is_empty());
        }
        CyclePolicy::Fail => {
            for f in &sm.failed {
                prop_assert!(matches!(f.cause, FailureCause::Cycle(_)));
            }
            for c in &sm.cycles {
                for d in c.cycle.dists() {
                    prop_assert!(sm.failure(d).is_some(), "{d} in a cycle but not failed");
                }
            }
            // Whatever is not failed or blocked by a failure got ready.
            prop_assert!(sm.failed.is_empty() == sm.cycles.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_dags_obey_the_gates(spec in spec(12)) {
        check_dag(&spec)?;
    }

    #[test]
    fn random_cycles_never_deadlock(spec in spec(9), fail in any::<bool>()) {
        let policy = if fail { CyclePolicy::Fail } else { CyclePolicy::Break };
        check_cycles(&spec, policy)?;
    }
}
