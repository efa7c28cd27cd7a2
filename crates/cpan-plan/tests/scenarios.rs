//! Hand-written worlds played through the scheduler with a simulated worker pool.

mod common;

use std::collections::BTreeMap;

use common::{dist, id, ids, run, target, version, World};
use cpan_plan::{
    Blocker, BrokenAt, CyclePolicy, CycleResolution, DistId, FailureCause, FinalInstall, Offer,
    Options, Phase, PlanError, Relationship, Requirement, Scheduler, Step, Task, TaskKey,
};

fn opts() -> Options {
    Options::default()
}

#[test]
fn pipeline_gating_and_perl5lib() {
    // App needs Module::Build to configure, Moo at runtime; Moo needs Role::Tiny at runtime
    // and Module::Runtime to build.
    let world = World::new()
        .with(dist("App-1.0").configure("Module::Build").runtime("Moo"))
        .with(dist("Module-Build-0.4234"))
        .with(
            dist("Moo-2.005")
                .runtime("Role::Tiny")
                .build("Module::Runtime"),
        )
        .with(dist("Role-Tiny-2.002"))
        .with(dist("Module-Runtime-0.016"));
    let (_, trace) = run(&world, opts(), vec![target("App")], 3, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    assert_eq!(
        trace.dependencies("App-1.0", Step::Configure),
        Some(ids(&["Module-Build-0.4234"]))
    );
    // Build: configure + build + runtime requirements and the runtime closure; Module::Runtime
    // was only needed to build Moo, so it is not on App's PERL5LIB.
    assert_eq!(
        trace.dependencies("App-1.0", Step::Build),
        Some(ids(&[
            "Module-Build-0.4234",
            "Moo-2.005",
            "Role-Tiny-2.002"
        ]))
    );
    assert_eq!(
        trace.dependencies("Moo-2.005", Step::Build),
        Some(ids(&["Module-Runtime-0.016", "Role-Tiny-2.002"]))
    );
    // Final install: the target and its runtime closure only, dependencies first.
    assert_eq!(
        trace.install_order,
        ids(&["Role-Tiny-2.002", "Moo-2.005", "App-1.0"])
    );
    assert_eq!(trace.summary.installed, trace.install_order);
    assert_eq!(
        trace.summary.build_only,
        ids(&["Module-Build-0.4234", "Module-Runtime-0.016"])
    );
    assert!(trace.summary.is_success());
    // Nothing is tested when testing is off.
    assert!(trace.runs(Step::Test).is_empty());
}

#[test]
fn wide_tree_runs_n_at_a_time() {
    let mut world = World::new();
    let mut top = dist("Wide-1.0");
    for i in 0..12 {
        let name = format!("Leaf{i}-1.0");
        world = world.with(dist(&name));
        top = top.runtime(&format!("Leaf{i}"));
    }
    let world = world.with(top);
    for workers in [1, 2, 4, 6] {
        let (_, trace) = run(&world, opts(), vec![target("Wide")], workers, true);
        assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
        assert_eq!(trace.max_running, workers);
        assert_eq!(trace.max_builds, workers, "{workers} workers");
        assert_eq!(trace.summary.installed.len(), 13);
        assert_eq!(trace.install_order.last(), Some(&id("Wide-1.0")));
    }
    let (_, one) = run(&world, opts(), vec![target("Wide")], 1, false);
    let (_, four) = run(&world, opts(), vec![target("Wide")], 4, false);
    assert!(
        four.makespan * 2 < one.makespan,
        "{} vs {}",
        four.makespan,
        one.makespan
    );
}

#[test]
fn long_chains_first() {
    // Two independent targets: a long XS chain and a short one. With two workers the chain's
    // steps are never left waiting behind the short one.
    let world = World::new()
        .with(dist("Deep-1.0").runtime("Mid"))
        .with(dist("Mid-1.0").runtime("Base").xs())
        .with(dist("Base-1.0").xs())
        .with(dist("Flat-1.0"));
    let (_, trace) = run(
        &world,
        opts(),
        vec![target("Deep"), target("Flat")],
        2,
        true,
    );
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    // Dependencies first, ties by name.
    assert_eq!(
        trace.install_order,
        ids(&["Base-1.0", "Flat-1.0", "Mid-1.0", "Deep-1.0"])
    );
}

#[test]
fn failure_blocks_exactly_its_dependents() {
    let world = World::new()
        .with(dist("App-1.0").runtime("A").runtime("B"))
        .with(dist("A-1.0").runtime("C"))
        .with(dist("C-1.0").fail(Step::Test))
        .with(dist("B-1.0"))
        .with(dist("Other-1.0").runtime("B"))
        .with(dist("Tool-1.0").test("C"));
    let targets = vec![target("App"), target("Other"), target("Tool")];
    let (_, trace) = run(&world, opts().with_test(true), targets, 3, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    let s = &trace.summary;
    let failed: Vec<(DistId, Step)> = s.failed.iter().map(|f| (f.dist.clone(), f.step)).collect();
    assert_eq!(failed, vec![(id("C-1.0"), Step::Test)]);
    assert_eq!(
        s.failure(&id("C-1.0")).map(|f| f.cause.clone()),
        Some(FailureCause::Step("test failed".into()))
    );
    // A needs C to build; App needs A; Tool needs C only for its tests.
    let skipped: Vec<(DistId, Step, String)> = s
        .skipped
        .iter()
        .map(|k| (k.dist.clone(), k.step, k.blocker.to_string()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (
                id("A-1.0"),
                Step::Build,
                "C is provided by C-1.0, which failed or was skipped".into()
            ),
            (
                id("App-1.0"),
                Step::Build,
                "A is provided by A-1.0, which failed or was skipped".into()
            ),
            (
                id("Tool-1.0"),
                Step::Test,
                "C is provided by C-1.0, which failed or was skipped".into()
            ),
        ]
    );
    let chain: Vec<&DistId> = s
        .skip_chain(&id("App-1.0"))
        .iter()
        .map(|k| &k.dist)
        .collect();
    assert_eq!(chain, vec![&id("App-1.0"), &id("A-1.0")]);
    // Everything else went on.
    assert_eq!(s.installed, ids(&["B-1.0", "Other-1.0"]));
    // Tool was built even though its test requirement failed (the build does not need it).
    assert!(trace.runs(Step::Build).contains(&id("Tool-1.0")));
    assert!(!s.is_success());
}

#[test]
fn failure_at_configure_and_fetch() {
    let world = World::new()
        .with(dist("App-1.0").runtime("A").runtime("B").runtime("D"))
        .with(dist("A-1.0").fail(Step::Configure).runtime("Never"))
        .with(dist("B-1.0").fail(Step::Fetch))
        .with(dist("D-1.0"));
    let (_, trace) = run(&world, opts(), vec![target("App")], 2, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    let failed: Vec<(DistId, Step)> = trace
        .summary
        .failed
        .iter()
        .map(|f| (f.dist.clone(), f.step))
        .collect();
    assert_eq!(
        failed,
        vec![(id("A-1.0"), Step::Configure), (id("B-1.0"), Step::Fetch)]
    );
    // A's MYMETA was never read, so `Never` was never looked for.
    assert!(!trace.resolves().contains(&"Never".to_string()));
    assert_eq!(trace.summary.skipped.len(), 1);
    // cpm installs the ready part of a failed target's runtime closure.
    assert_eq!(trace.summary.installed, ids(&["D-1.0"]));
}

#[test]
fn late_discovered_dependencies_join_the_plan() {
    let world = World::new()
        .with(dist("A-1.0").runtime("B"))
        .with(dist("B-1.0").build("C"))
        .with(dist("C-1.0"));
    let (s, trace) = run(&world, opts(), vec![target("A")], 4, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    let position = |key: TaskKey| trace.handed.iter().position(|(_, t)| t.key() == key);
    let a_configure = position(TaskKey::Run(id("A-1.0"), Step::Configure));
    let resolve_b = position(TaskKey::Resolve("B".into()));
    let b_configure = position(TaskKey::Run(id("B-1.0"), Step::Configure));
    let resolve_c = position(TaskKey::Resolve("C".into()));
    assert!(a_configure < resolve_b && resolve_b.is_some());
    assert!(b_configure < resolve_c && resolve_c.is_some());
    assert_eq!(trace.install_order, ids(&["B-1.0", "A-1.0"]));
    assert_eq!(trace.summary.build_only, ids(&["C-1.0"]));
    assert_eq!(
        s.plan().dist(&id("C-1.0")).map(|d| d.seq()),
        Some(2),
        "C entered the plan last"
    );
}

#[test]
fn already_installed_modules_are_pruned() {
    let world = World::new()
        .with(
            dist("A-1.0")
                .req(Phase::Runtime, "X", "1")
                .req(Phase::Runtime, "Y", "2")
                .configure("ExtUtils::MakeMaker"),
        )
        .with(dist("X-2.0"))
        .with(dist("Y-2.5"))
        .with(dist("Z-1.0"))
        .installed("X", "1.5")
        .installed("Y", "1.0")
        .installed("Z", "1.0")
        .installed("ExtUtils::MakeMaker", "7.70");
    let (_, trace) = run(&world, opts(), vec![target("A"), target("Z")], 2, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    // X 1.5 satisfies `X >= 1`; Y 1.0 does not satisfy `Y >= 2`; Z is up to date.
    assert_eq!(trace.resolves(), vec!["A".to_string(), "Y".to_string()]);
    assert_eq!(trace.install_order, ids(&["Y-2.5", "A-1.0"]));
    assert_eq!(
        trace.summary.up_to_date,
        vec![("Z".to_string(), version("1.0"))]
    );
    assert_eq!(trace.dependencies("A-1.0", Step::Configure), Some(vec![]));
}

#[test]
fn all_up_to_date_means_nothing_to_do() {
    let mut s = Scheduler::new(opts(), [target("Moose")]);
    s.already_installed("Moose", "2.2203").unwrap();
    assert!(s.next_tasks(5).is_empty());
    assert!(s.is_finished());
    assert!(s.install_order().is_empty());
    assert_eq!(
        s.summary().up_to_date,
        vec![("Moose".to_string(), version("2.2203"))]
    );
}

#[test]
fn install_order_is_deterministic() {
    let world = World::new()
        .with(dist("T-1.0").runtime("C").runtime("B").runtime("E"))
        .with(dist("B-1.0").runtime("D"))
        .with(dist("C-1.0").runtime("D").xs())
        .with(dist("D-1.0"))
        .with(dist("E-1.0").build("D"));
    let mut orders = Vec::new();
    for workers in [1, 2, 3, 5, 8] {
        let (_, trace) = run(
            &world,
            opts().with_test(workers % 2 == 0),
            vec![target("T")],
            workers,
            true,
        );
        assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
        orders.push(trace.install_order);
    }
    assert!(orders.windows(2).all(|w| w[0] == w[1]), "{orders:?}");
    assert_eq!(
        orders[0],
        ids(&["D-1.0", "B-1.0", "C-1.0", "E-1.0", "T-1.0"])
    );
}

#[test]
fn unsatisfiable_range_is_reported_clearly() {
    let world = World::new()
        .with(dist("A-1.0").req(Phase::Runtime, "Foo", "3"))
        .with(dist("B-1.0").req(Phase::Runtime, "Foo", ">= 1, < 2"))
        .with(dist("Foo-2.0"));
    let targets = vec![
        target("A"),
        target("B"),
        Requirement::requires("Foo", "== 2.5", Phase::Runtime).unwrap(),
    ];
    let (_, trace) = run(&world, opts(), targets, 2, true);
    assert!(trace.violations.is_empty(), "{:#?}", trace.violations);
    let s = &trace.summary;
    let messages: Vec<String> = s.skipped.iter().map(|k| k.to_string()).collect();
    assert_eq!(
        messages,
        vec![
            "A-1.0: skipped before build: Foo >= 3 is required, but the index offers Foo 2.0 (in Foo-2.0)",
            "B-1.0: skipped before build: Foo >= 1, < 2 is required, but the index offers Foo 2.0 (in Foo-2.0)",
        ]
    );
    assert_eq!(
        s.skip(&id("A-1.0")).map(|k| k.blocker.clone()),
        Some(Blocker::Unsatisfiable {
            module: "Foo".into(),
            range: "3".into(),
            offer: Offer::Dist {
                dist: id("Foo-2.0"),
                version: version("2.0")
            }
        })
    );
    let problems: Vec<String> = s.target_problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        vec!["Foo == 2.5: Foo == 2.5 is required, but the index offers Foo 2.0 (in Foo-2.0)"]
    );
    // Nobody could use Foo 2.0, so it was never fetched.
    assert_eq!(s.never_started, ids(&["Foo-2.0"]));
    // The resolve task carried the combined range of every requirement known at the time.
    let range = trace.handed.iter().find_map(|(_, t)| match t {
        Task::Resolve { module, range } if module == "Foo" => Some(range.to_string()),
        _ => None,
    });
    assert_eq!(range.as_deref(), Some("== 2.5"));
}

#[test]
fn unresolvable_modules() {
    let world = World::new().with(dist("A-1.0").runtime("No::Such"));
    let (_, trace) = run(
        &world,
        opts(),
        vec![target("A"), target("Missing")],
        2,
        true,
    );
    let s = &trace.summary;
    assert_eq!(
        s.unresolved,
        vec![
            ("Missing".to_string(), "not in the index".to_string()),
            ("No::Such".to_string(), "not in the index".to_string())
        ]
    );
    assert_eq!(
        s.skip(&id("A-1.0"))
            .map(|k| k.blocker.to_string())
            .as_deref(),
        Some("No::Such could not be resolved: not in the index")
    );
    assert_eq!(
        s.target_problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        vec!["Missing: Missing could not be resolved: not in the index"]
    );
}

#[test]
fn perl_is_never_installed() {
    let world = World::new()
        .with(dist("New-1.0").req(Phase::Runtime, "perl", "5.020"))
        .with(dist("Old-1.0").req(Phase::Configure, "perl", "5.008"))
        .installed("perl", "5.010001");
    let (_, trace) = run(&world, opts(), vec![target("New"), target("Old")], 2, true);
    assert!(!trace.resolves().contains(&"perl".to_string()));
    let s = &trace.summary;
    assert_eq!(
        s.skipped.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        vec!["New-1.0: skipped before build: requires perl >= 5.020, but this perl is 5.010001"]
    );
    assert_eq!(s.installed, ids(&["Old-1.0"]));
}

fn cycle_world() -> World {
    World::new()
        .with(dist("A-1.0").runtime("B"))
        .with(dist("B-1.0").runtime("A"))
        .with(dist("User-1.0").runtime("B"))
        .with(dist("Free-1.0"))
}

#[test]
fn cycle_broken_cpanm_style() {
    let targets = vec![target("A"), target("User"), target("Free")];
    let (_, trace) = run(&cycle_world(), opts(), targets, 3, false);
    let s = &trace.summary;
    assert_eq!(s.cycles.len(), 1);
    let report = &s.cycles[0];
    assert_eq!(report.cycle.short(), "A-1.0 -> B-1.0 -> A-1.0");
    assert_eq!(
        report.cycle.to_string(),
        "A-1.0 -(runtime requires B)-> B-1.0 -(runtime requires A)-> A-1.0"
    );
    assert_eq!(report.cycle.modules(), vec!["B", "A"]);
    // A entered the plan first ("higher up the stack"): B goes on as if A were there.
    assert_eq!(
        report.resolution,
        CycleResolution::Broken {
            from: id("B-1.0"),
            to: id("A-1.0"),
            module: "A".into()
        }
    );
    assert_eq!(
        report.to_string(),
        "circular dependency A-1.0 -(runtime requires B)-> B-1.0 -(runtime requires A)-> A-1.0: \
         B-1.0 goes on without A-1.0 (A considered satisfied)"
    );
    assert!(s.is_success(), "{s:#?}");
    assert_eq!(
        trace.install_order,
        ids(&["B-1.0", "A-1.0", "Free-1.0", "User-1.0"])
    );
    // B was built without A; A with B. User, outside the cycle, waited for both and gets both.
    assert_eq!(trace.dependencies("B-1.0", Step::Build), Some(vec![]));
    assert_eq!(
        trace.dependencies("A-1.0", Step::Build),
        Some(ids(&["B-1.0"]))
    );
    assert_eq!(
        trace.dependencies("User-1.0", Step::Build),
        Some(ids(&["A-1.0", "B-1.0"]))
    );
    let builds = trace.runs(Step::Build);
    let pos = |d: &str| builds.iter().position(|x| x.as_str() == d);
    assert!(pos("A-1.0") < pos("User-1.0"));
}

#[test]
fn cycle_fails_cpm_style() {
    let targets = vec![target("A"), target("User"), target("Free")];
    let options = opts().with_cycle_policy(CyclePolicy::Fail);
    let (_, trace) = run(&cycle_world(), options, targets, 3, false);
    let s = &trace.summary;
    assert_eq!(s.cycles.len(), 1);
    assert_eq!(s.cycles[0].resolution, CycleResolution::Failed);
    let failed: Vec<(DistId, Step, String)> = s
        .failed
        .iter()
        .map(|f| (f.dist.clone(), f.step, f.cause.to_string()))
        .collect();
    let why =
        "circular dependency: A-1.0 -(runtime requires B)-> B-1.0 -(runtime requires A)-> A-1.0";
    assert_eq!(
        failed,
        vec![
            (id("A-1.0"), Step::Build, why.to_string()),
            (id("B-1.0"), Step::Build, why.to_string())
        ]
    );
    assert!(matches!(
        &s.failed[0].cause,
        FailureCause::Cycle(c) if c.short() == "A-1.0 -> B-1.0 -> A-1.0"
    ));
    assert_eq!(
        s.skip(&id("User-1.0")).map(|k| k.blocker.clone()),
        Some(Blocker::Dependency {
            module: "B".into(),
            dist: id("B-1.0")
        })
    );
    assert_eq!(s.installed, ids(&["Free-1.0"]));
}

#[test]
fn cycle_breaks_the_weakest_requirement() {
    // A needs B to configure; B needs A only for its tests. The test requirement is dropped,
    // whichever entered the plan first.
    for targets in [vec![target("A")], vec![target("B"), target("A")]] {
        let world = World::new()
            .with(dist("A-1.0").configure("B"))
            .with(dist("B-1.0").test("A"));
        let (_, trace) = run(&world, opts().with_test(true), targets, 2, false);
        let s = &trace.summary;
        assert_eq!(s.cycles.len(), 1, "{s:#?}");
        assert_eq!(
            s.cycles[0].resolution,
            CycleResolution::Broken {
                from: id("B-1.0"),
                to: id("A-1.0"),
                module: "A".into()
            }
        );
        assert!(s.is_success(), "{s:#?}");
        assert_eq!(trace.dependencies("B-1.0", Step::Test), Some(vec![]));
        assert_eq!(
            trace.dependencies("A-1.0", Step::Configure),
            Some(ids(&["B-1.0"]))
        );
    }
}

#[test]
fn three_cycle_is_named_in_order() {
    let world = World::new()
        .with(dist("Top-1.0").runtime("C"))
        .with(dist("A-1.0").runtime("B"))
        .with(dist("B-1.0").build("C"))
        .with(dist("C-1.0").configure("A"));
    let options = opts().with_cycle_policy(CyclePolicy::Fail);
    let (_, trace) = run(&world, options, vec![target("Top")], 2, false);
    let s = &trace.summary;
    assert_eq!(s.cycles.len(), 1);
    // C entered the plan first (right after Top), so the cycle is named from C.
    assert_eq!(
        s.cycles[0].cycle.to_string(),
        "C-1.0 -(configure requires A)-> A-1.0 -(runtime requires B)-> B-1.0 -(build requires C)-> C-1.0"
    );
    let failed: Vec<(DistId, Step)> = s.failed.iter().map(|f| (f.dist.clone(), f.step)).collect();
    assert_eq!(
        failed,
        vec![
            (id("A-1.0"), Step::Build),
            (id("B-1.0"), Step::Build),
            (id("C-1.0"), Step::Configure)
        ]
    );
    assert_eq!(s.skipped.len(), 1);
    // With the default policy the runtime requirement (the weakest) is dropped.
    let (_, trace) = run(&world, opts(), vec![target("Top")], 2, false);
    let s = &trace.summary;
    assert_eq!(
        s.cycles[0].resolution,
        CycleResolution::Broken {
            from: id("A-1.0"),
            to: id("B-1.0"),
            module: "B".into()
        }
    );
    assert!(s.is_success(), "{s:#?}");
    // C only needs A to configure: A and B are not in Top's runtime closure.
    assert_eq!(trace.install_order, ids(&["C-1.0", "Top-1.0"]));
    assert_eq!(s.build_only, ids(&["A-1.0", "B-1.0"]));
}

#[test]
fn outsider_needed_by_a_broken_cycle_joins_it() {
    // A <-> B (runtime) is broken first; then C needs B (so all of A and B) while A needs C to
    // build: C joins the group instead of dropping anything.
    let world = World::new()
        .with(dist("A-1.0").runtime("B").build("C"))
        .with(dist("B-1.0").runtime("A"))
        .with(dist("C-1.0").runtime("B"));
    let (_, trace) = run(&world, opts(), vec![target("A")], 1, false);
    let s = &trace.summary;
    assert!(s.is_success(), "{s:#?}");
    let resolutions: Vec<&CycleResolution> = s.cycles.iter().map(|c| &c.resolution).collect();
    assert_eq!(
        resolutions,
        vec![
            &CycleResolution::Broken {
                from: id("B-1.0"),
                to: id("A-1.0"),
                module: "A".into()
            },
            &CycleResolution::Joined
        ]
    );
    assert_eq!(s.installed, ids(&["B-1.0", "A-1.0"]));
    assert_eq!(s.build_only, ids(&["C-1.0"]));
}

#[test]
fn optional_requirements_only_at_the_top_and_never_blocking() {
    let world = World::new()
        .with(
            dist("T-1.0")
                .rel(Phase::Runtime, Relationship::Recommends, "Rec", "0")
                .rel(Phase::Runtime, Relationship::Suggests, "Sug", "0")
                .runtime("D"),
        )
        .with(dist("Rec-1.0").fail(Step::Build))
        .with(dist("Sug-1.0"))
        .with(dist("D-1.0").rel(Phase::Runtime, Relationship::Recommends, "Deep", "0"))
        .with(dist("Deep-1.0"));
    let (_, plain) = run(&world, opts(), vec![target("T")], 2, false);
    assert_eq!(plain.resolves(), vec!["T".to_string(), "D".to_string()]);
    assert!(plain.summary.is_success());

    let (_, rec) = run(
        &world,
        opts().with_recommends(),
        vec![target("T")],
        2,
        false,
    );
    assert!(rec.resolves().contains(&"Rec".to_string()));
    assert!(!rec.resolves().contains(&"Sug".to_string()));
    assert!(!rec.resolves().contains(&"Deep".to_string()));
    // Rec failed, T is installed all the same.
    assert_eq!(rec.summary.installed, ids(&["D-1.0", "T-1.0"]));
    assert_eq!(rec.summary.failed.len(), 1);

    let (_, both) = run(
        &world,
        opts().with_recommends().with_suggests(),
        vec![target("T")],
        2,
        false,
    );
    assert_eq!(both.install_order, ids(&["D-1.0", "Sug-1.0", "T-1.0"]));
}

#[test]
fn develop_requirements_only_when_asked() {
    let world = World::new()
        .with(dist("T-1.0").req(Phase::Develop, "Dev", "0"))
        .with(dist("Dev-1.0"));
    let (_, plain) = run(&world, opts(), vec![target("T")], 2, true);
    assert_eq!(plain.resolves(), vec!["T".to_string()]);
    let (s, dev) = run(&world, opts().with_develop(), vec![target("T")], 2, true);
    assert_eq!(dev.install_order, ids(&["Dev-1.0", "T-1.0"]));
    assert_eq!(s.plan().top_level().len(), 2);
    // Top-level develop requirements too.
    let top = Requirement::requires("Dev", "0", Phase::Develop).unwrap();
    let (_, plain) = run(&world, opts(), vec![target("T"), top.clone()], 2, true);
    assert_eq!(plain.install_order, ids(&["T-1.0"]));
    let (_, dev) = run(
        &world,
        opts().with_develop(),
        vec![target("T"), top],
        2,
        true,
    );
    assert_eq!(dev.install_order, ids(&["Dev-1.0", "T-1.0"]));
}

#[test]
fn test_requirements_only_when_testing() {
    let world = World::new()
        .with(dist("T-1.0").test("Test::Deep").runtime("R"))
        .with(dist("Test-Deep-1.0").runtime("R"))
        .with(dist("R-1.0"));
    let (_, notest) = run(&world, opts(), vec![target("T")], 2, true);
    assert!(!notest.resolves().contains(&"Test::Deep".to_string()));
    let (_, test) = run(&world, opts().with_test(true), vec![target("T")], 2, true);
    assert!(test.violations.is_empty(), "{:#?}", test.violations);
    assert_eq!(
        test.dependencies("T-1.0", Step::Test),
        Some(ids(&["R-1.0", "Test-Deep-1.0"]))
    );
    assert_eq!(
        test.dependencies("T-1.0", Step::Build),
        Some(ids(&["R-1.0"]))
    );
    assert_eq!(test.summary.build_only, ids(&["Test-Deep-1.0"]));
    assert_eq!(test.install_order, ids(&["R-1.0", "T-1.0"]));
    // Every distribution was tested before it was used.
    assert_eq!(test.runs(Step::Test).len(), 3);
}

#[test]
fn final_install_all() {
    let world = World::new()
        .with(dist("T-1.0").build("B"))
        .with(dist("B-1.0"));
    let options = opts().with_final_install(FinalInstall::All);
    let (_, trace) = run(&world, options, vec![target("T")], 2, true);
    assert_eq!(trace.install_order, ids(&["B-1.0", "T-1.0"]));
}

#[test]
fn provides_map_other_modules() {
    // Resolving Foo gives a distribution that also provides Foo::Util: no second resolve.
    let world = World::new()
        .with(dist("Foo-1.0").provides("Foo::Util", "1.0"))
        .with(dist("App-1.0").runtime("Foo").runtime("Foo::Util"));
    let (_, trace) = run(&world, opts(), vec![target("App")], 1, true);
    assert_eq!(trace.resolves(), vec!["App".to_string(), "Foo".to_string()]);
    assert!(trace.summary.is_success());
}

#[test]
fn events_must_follow_the_tasks() {
    let mut s = Scheduler::new(opts(), [target("Foo")]);
    let foo = id("Foo-1.0");
    assert_eq!(s.built(&foo), Err(PlanError::UnknownDist(foo.clone())));
    let tasks = s.next_tasks(10);
    assert_eq!(tasks.len(), 1);
    s.resolved("Foo", foo.clone(), [("Foo", "1.0"), ("Foo::Bar", "undef")])
        .unwrap();
    assert_eq!(
        s.plan()
            .dist(&foo)
            .map(|d| d.provides().get("Foo::Bar").cloned()),
        Some(Some(None))
    );
    assert_eq!(
        s.resolved("Foo", id("Other-1.0"), [("Foo", "1.0")]),
        Err(PlanError::ConflictingResolution {
            module: "Foo".into(),
            existing: foo.clone(),
            new: id("Other-1.0")
        })
    );
    let err = s.built(&foo).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected build event for Foo-1.0: it is waiting to be fetched"
    );
    assert_eq!(
        s.next_tasks(10)[0].key(),
        TaskKey::Run(foo.clone(), Step::Fetch)
    );
    assert!(s.fetched(&foo, []).is_ok());
    assert!(matches!(
        s.fetched(&foo, []),
        Err(PlanError::UnexpectedEvent {
            event: Step::Fetch,
            ..
        })
    ));
    assert!(s.installed(&foo).is_err());
    assert!(s.failed(&foo, Step::Install, "no").is_err());
    let err = Requirement::requires("Foo", ">= 1, <= 0.5", Phase::Runtime).unwrap_err();
    assert_eq!(
        err.to_string(),
        "illegal requirements for Foo: minimum 1 exceeds maximum 0.5"
    );
    let err = s.already_installed("Bar", "1.2.3_4_5").unwrap_err();
    assert!(matches!(err, PlanError::InvalidVersion { .. }), "{err}");
    assert_eq!(
        s.next_tasks(10)[0].key(),
        TaskKey::Run(foo.clone(), Step::Configure)
    );
    s.configured(&foo, []).unwrap();
    s.next_tasks(10);
    s.built(&foo).unwrap();
    assert!(s.is_finished());
    s.failed(&foo, Step::Install, "disk full").unwrap();
    let summary = s.summary();
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(
        summary.failed[0].to_string(),
        "Foo-1.0: install failed: disk full"
    );
    assert!(s.installed(&foo).is_err());
}

#[test]
fn resolve_answered_by_an_installed_version() {
    let mut s = Scheduler::new(opts(), [target("A")]);
    s.next_tasks(1);
    s.resolved("A", id("A-1.0"), [("A", "1.0")]).unwrap();
    s.next_tasks(1);
    s.fetched(&id("A-1.0"), []).unwrap();
    s.next_tasks(1);
    s.configured(
        &id("A-1.0"),
        [
            Requirement::requires("Inst", "1", Phase::Runtime).unwrap(),
            Requirement::requires("Old", "2", Phase::Runtime).unwrap(),
        ],
    )
    .unwrap();
    let tasks = s.next_tasks(5);
    let keys: Vec<TaskKey> = tasks.iter().map(Task::key).collect();
    assert_eq!(
        keys,
        vec![
            TaskKey::Resolve("Inst".into()),
            TaskKey::Resolve("Old".into())
        ]
    );
    s.already_installed("Inst", "1.5").unwrap();
    s.already_installed("Old", "1.0").unwrap();
    let summary = s.summary();
    assert_eq!(
        summary
            .skip(&id("A-1.0"))
            .map(|k| k.blocker.to_string())
            .as_deref(),
        Some("Old >= 2 is required, but only 1.0 is installed and no distribution was offered")
    );
}

#[test]
fn summary_mid_run() {
    let mut s = Scheduler::new(opts(), [target("A"), target("B")]);
    s.next_tasks(2);
    s.resolved("A", id("A-1.0"), [("A", "1")]).unwrap();
    s.resolved("B", id("B-1.0"), [("B", "1")]).unwrap();
    assert_eq!(s.next_tasks(1).len(), 1);
    assert_eq!(s.in_flight(), 1);
    let summary = s.summary();
    assert_eq!(summary.unfinished, ids(&["A-1.0"]));
    assert_eq!(summary.never_started, ids(&["B-1.0"]));
    assert!(!summary.is_success());
    assert!(!s.is_finished());
}

#[test]
fn breaks_in_the_plan() {
    let world = World::new()
        .with(dist("Moose-2.2203").runtime("Class::Load"))
        .with(dist("Class-Load-0.25"))
        .with(dist("MooseX-Fixed-1.30"))
        .installed("MooseX::Old", "0.10")
        .installed("MooseX::Fixed", "1.20")
        .installed("MooseX::Unfixable", "0.5");
    let mut s = Scheduler::new(opts(), [target("Moose"), target("MooseX::Fixed")]);
    for (m, v) in &world.installed {
        s.already_installed(m, v).unwrap();
    }
    // MooseX::Fixed 1.20 is installed and satisfies the target, so ask for 1.30 explicitly.
    let mut s2 = Scheduler::new(
        opts(),
        [
            target("Moose"),
            Requirement::requires("MooseX::Fixed", "1.30", Phase::Runtime).unwrap(),
        ],
    );
    for (m, v) in &world.installed {
        s2.already_installed(m, v).unwrap();
    }
    for sched in [&mut s, &mut s2] {
        loop {
            let tasks = sched.next_tasks(10);
            if tasks.is_empty() {
                break;
            }
            for t in tasks {
                match t {
                    Task::Resolve { module, .. } => {
                        let d = world.index[&module].clone();
                        let provides = world.dists[&d].provides.clone();
                        sched.resolved(&module, DistId::new(d), provides).unwrap();
                    }
                    Task::Run(t) => {
                        let fake = &world.dists[t.dist.as_str()];
                        match t.step {
                            Step::Fetch => sched.fetched(&t.dist, fake.requirements()).unwrap(),
                            Step::Configure => {
                                let mut reqs = fake.requirements();
                                if t.dist.as_str() == "Moose-2.2203" {
                                    reqs.push(
                                        Requirement::parse(
                                            "MooseX::Unfixable",
                                            "<= 1",
                                            Phase::Runtime,
                                            Relationship::Conflicts,
                                        )
                                        .unwrap(),
                                    );
                                    sched
                                        .set_breaks(
                                            &t.dist,
                                            [
                                                ("MooseX::Old", "<= 0.20"),
                                                ("MooseX::Fixed", "<= 1.23"),
                                                ("Class::Load", "< 0.20"),
                                            ],
                                        )
                                        .unwrap();
                                }
                                sched.configured(&t.dist, reqs).unwrap();
                            }
                            _ => sched.built(&t.dist).unwrap(),
                        }
                    }
                }
            }
        }
    }
    let latest = BTreeMap::from([
        ("MooseX::Old".to_string(), version("0.30")),
        ("MooseX::Fixed".to_string(), version("1.30")),
        ("MooseX::Unfixable".to_string(), version("0.9")),
    ]);
    let found: Vec<String> = s
        .check_breaks(&latest)
        .iter()
        .map(|b| b.to_string())
        .collect();
    assert_eq!(
        found,
        vec![
            "Moose-2.2203 breaks MooseX::Fixed <= 1.23 (MooseX::Fixed 1.20 is installed); upgrade MooseX::Fixed to 1.30",
            "Moose-2.2203 breaks MooseX::Old <= 0.20 (MooseX::Old 0.10 is installed); upgrade MooseX::Old to 0.30",
            "Moose-2.2203 breaks MooseX::Unfixable <= 1 (MooseX::Unfixable 0.5 is installed); no version on the index is outside the broken range",
        ]
    );
    // The same plan with MooseX::Fixed 1.30 in it: that break is repaired by the plan itself.
    let found = s2.check_breaks(&latest);
    let modules: Vec<&str> = found.iter().map(|b| b.module.as_str()).collect();
    assert_eq!(modules, vec!["MooseX::Old", "MooseX::Unfixable"]);
    assert!(found.iter().all(|b| b.at == BrokenAt::Installed));
    assert!(s2.install_order().contains(&id("MooseX-Fixed-1.30")));
}
