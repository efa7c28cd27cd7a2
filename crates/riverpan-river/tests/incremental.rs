//! Property tests: any sequence of incremental updates leaves the river exactly as
//! `River::build` on the final input, reports exactly the positions that moved, and `build`
//! agrees with the naive metacpan-river implementation.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{assert_matches_naive, positions, Input};
use proptest::prelude::*;
use riverpan_river::synthetic::{self, Rng};
use riverpan_river::{ReleaseRequires, River, RiverUpdate, UpdateLimits};

const DISTS: usize = 8;
const MODULES: usize = 12;

fn dist(i: usize) -> String {
    format!("D{i}")
}

/// Module names: `perl` is index `MODULES`, the rest `M0`..; providers never get `perl`.
fn module(i: usize) -> String {
    if i == MODULES {
        "perl".to_string()
    } else {
        format!("M{i}")
    }
}

#[derive(Debug, Clone)]
enum Op {
    SetRelease(usize, Vec<usize>),
    RemoveDist(usize),
    SetProviders(Vec<(usize, Option<usize>)>),
}

fn requires() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=MODULES, 0..6)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..DISTS, requires()).prop_map(|(d, m)| Op::SetRelease(d, m)),
        1 => (0..DISTS).prop_map(Op::RemoveDist),
        2 => prop::collection::vec((0..MODULES, prop::option::weighted(0.85, 0..DISTS)), 1..4)
            .prop_map(Op::SetProviders),
    ]
}

fn initial() -> impl Strategy<Value = Input> {
    (
        prop::collection::btree_map(0..DISTS, requires(), 0..DISTS),
        prop::collection::btree_map(0..MODULES, 0..DISTS, 0..MODULES),
    )
        .prop_map(|(releases, providers)| Input {
            releases: releases
                .into_iter()
                .map(|(d, ms)| (dist(d), ms.into_iter().map(module).collect()))
                .collect(),
            providers: providers
                .into_iter()
                .map(|(m, d)| (module(m), dist(d)))
                .collect(),
        })
}

/// Limits that steer updates through every path: counting (`max_walked` unlimited, small or
/// off), one search per total or batched searches (`batch_from` 1 or never), full recomputes.
fn limits() -> impl Strategy<Value = UpdateLimits> {
    let walked = prop_oneof![
        Just(None),
        Just(Some(0)),
        Just(Some(usize::MAX)),
        (1..40usize).prop_map(Some)
    ];
    let batch = prop_oneof![Just(1), Just(3), Just(usize::MAX)];
    prop_oneof![
        2 => Just(UpdateLimits::default()),
        2 => (walked, batch).prop_map(|(max_walked, batch_from)| UpdateLimits {
            max_walked,
            batch_from,
            ..UpdateLimits::default()
        }),
        1 => (0..3usize, prop::option::of(0..3usize)).prop_map(|(max_relinked, max_searched)| {
            UpdateLimits { max_relinked, max_searched, ..UpdateLimits::default() }
        }),
    ]
}

/// Applies `op` to both the river and the model input.
fn apply(river: &mut River, input: &mut Input, op: &Op) -> RiverUpdate {
    match op {
        Op::SetRelease(d, modules) => {
            let modules: Vec<String> = modules.iter().map(|&m| module(m)).collect();
            input.releases.insert(dist(*d), modules.clone());
            river.set_release(ReleaseRequires::new(dist(*d), modules))
        }
        Op::RemoveDist(d) => {
            input.releases.remove(&dist(*d));
            input.providers.retain(|_, p| *p != dist(*d));
            river.remove_dist(&dist(*d))
        }
        Op::SetProviders(changes) => {
            let changes: Vec<(String, Option<String>)> = changes
                .iter()
                .map(|&(m, d)| (module(m), d.map(dist)))
                .collect();
            for (m, d) in &changes {
                match d {
                    Some(d) => input.providers.insert(m.clone(), d.clone()),
                    None => input.providers.remove(m),
                };
            }
            river.set_providers(changes)
        }
    }
}

fn moved(
    before: &BTreeMap<String, riverpan_river::RiverPosition>,
    after: &BTreeMap<String, riverpan_river::RiverPosition>,
) -> Vec<String> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn build_agrees_with_naive_metacpan_river(input in initial()) {
        assert_matches_naive(&input.build(), &input);
    }

    #[test]
    fn updates_equal_a_fresh_build(
        start in initial(),
        ops in prop::collection::vec(op(), 1..12),
        limits in limits(),
    ) {
        let mut input = start;
        let mut river = input.build();
        river.set_update_limits(limits);
        for op in &ops {
            let before = positions(&river);
            let update = apply(&mut river, &mut input, op);
            let after = positions(&river);
            let fresh = input.build();
            prop_assert_eq!(&after, &positions(&fresh), "after {:?}", op);
            prop_assert_eq!(&update.changed, &moved(&before, &after), "changed after {:?}", op);
            assert_matches_naive(&river, &input);
        }
    }
}

/// Uploads and module moves on a synthetic CPAN-like graph large enough for the parallel
/// searches and the leaf shortcut, checked against a fresh build after every step.
#[test]
fn synthetic_graph_updates_equal_a_fresh_build() {
    for (seed, limits) in [
        (1, UpdateLimits::default()),
        (
            3,
            UpdateLimits {
                max_walked: Some(usize::MAX),
                ..UpdateLimits::default()
            },
        ),
        (
            4,
            UpdateLimits {
                max_walked: Some(0),
                batch_from: 1,
                ..UpdateLimits::default()
            },
        ),
        (
            2,
            UpdateLimits {
                max_relinked: 5,
                max_searched: Some(40),
                ..UpdateLimits::default()
            },
        ),
    ] {
        let (releases, providers) = synthetic::cpan_like(seed, 600, 4000);
        let mut input = Input {
            releases: releases.into_iter().map(|r| (r.dist, r.modules)).collect(),
            providers: providers.into_iter().collect(),
        };
        let mut river = input.build();
        assert_matches_naive(&river, &input);
        river.set_update_limits(limits);
        let dists: Vec<String> = input.releases.keys().cloned().collect();
        let modules: Vec<String> = input.providers.keys().cloned().collect();
        let mut rng = Rng::new(seed);
        let mut saw_full = false;
        for step in 0..150 {
            let op = match step % 5 {
                0..=2 => {
                    let d = dists[rng.below(dists.len())].clone();
                    let mut ms = input.releases.get(&d).cloned().unwrap_or_default();
                    if !ms.is_empty() {
                        ms.remove(rng.below(ms.len()));
                    }
                    ms.push(modules[rng.below(modules.len())].clone());
                    input.releases.insert(d.clone(), ms.clone());
                    river.set_release(ReleaseRequires::new(d, ms))
                }
                3 => {
                    let m = modules[rng.below(modules.len())].clone();
                    let to = dists[rng.below(dists.len())].clone();
                    input.providers.insert(m.clone(), to.clone());
                    river.set_providers([(m, Some(to))])
                }
                _ => {
                    let d = dists[rng.below(dists.len())].clone();
                    input.releases.remove(&d);
                    input.providers.retain(|_, p| *p != d);
                    river.remove_dist(&d)
                }
            };
            saw_full |= op.full_recompute;
            assert_eq!(positions(&river), positions(&input.build()), "step {step}");
        }
        assert_matches_naive(&river, &input);
        if limits.max_relinked != UpdateLimits::default().max_relinked {
            assert!(
                saw_full,
                "the lowered limits should force some full recomputes"
            );
        }
    }
}

#[test]
fn synthetic_generator_is_deterministic_and_cpan_shaped() {
    let (a, pa) = synthetic::cpan_like(9, 3000, 24000);
    let (b, pb) = synthetic::cpan_like(9, 3000, 24000);
    assert_eq!(a, b);
    assert_eq!(pa, pb);
    assert!(pa.len() > 2 * 3000, "several modules per dist");
    let river = River::build(a, pa);
    assert_eq!(river.len(), 3000);
    let edges: u64 = river.positions().map(|(_, p)| p.immediate).sum();
    assert!((18_000..=26_000).contains(&edges), "{edges} dist edges");
    // The toolchain core is reached by nearly everything, most dists by nobody.
    let top = river.top(1)[0].1;
    assert!(top.total > 2000, "{top:?}");
    let zeros = river.positions().filter(|(_, p)| p.total == 0).count();
    assert!(zeros > 1000, "{zeros} dists with no dependents");
    // Some cycles: a dist among its own deep dependents.
    let cyclic = river
        .positions()
        .filter(|(name, _)| river.deep_dependents(name).contains(name))
        .count();
    assert!(cyclic >= 2, "{cyclic} dists in cycles");
    assert!(!river.unresolved().is_empty());
}

/// Deep graphs for the counting path: dist `i` provides `M{i}` and requires some of the
/// modules of older dists (diamonds and alternative paths), sometimes one of a younger dist
/// (a cycle).
fn layered() -> impl Strategy<Value = Input> {
    prop::collection::vec(
        (
            prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            prop::option::weighted(0.15, 0..DISTS),
        ),
        DISTS,
    )
    .prop_map(|dists| {
        let mut input = Input::default();
        for (i, (older, back)) in dists.into_iter().enumerate() {
            let mut modules: Vec<String> = Vec::new();
            if i > 0 {
                modules.extend(older.iter().map(|k| module(k.index(i))));
            }
            modules.extend(back.map(module));
            input.releases.insert(dist(i), modules);
            input.providers.insert(module(i), dist(i));
        }
        input
    })
}

/// A new release that adds and drops dependencies, as most uploads do.
fn reupload() -> impl Strategy<Value = Op> {
    (0..DISTS, prop::collection::vec(0..DISTS, 0..4)).prop_map(|(d, ms)| Op::SetRelease(d, ms))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// With counting unlimited and batching off, every total an update changes is corrected by
    /// counting the downstream dists it gained or lost, never by a search, and the result is
    /// still exactly a fresh build's.
    #[test]
    fn counting_corrects_every_total_exactly(
        start in layered(),
        ops in prop::collection::vec(prop_oneof![3 => reupload(), 1 => op()], 1..10),
    ) {
        let mut input = start;
        let mut river = input.build();
        river.set_update_limits(UpdateLimits {
            max_walked: Some(usize::MAX),
            batch_from: usize::MAX,
            ..UpdateLimits::default()
        });
        for op in &ops {
            let before = positions(&river);
            let update = apply(&mut river, &mut input, op);
            let after = positions(&river);
            prop_assert_eq!(&after, &positions(&input.build()), "after {:?}", op);
            prop_assert_eq!(&update.changed, &moved(&before, &after), "changed after {:?}", op);
            prop_assert_eq!(update.recomputed, 0, "searched after {:?}", op);
            prop_assert!(!update.full_recompute);
        }
        assert_matches_naive(&river, &input);
    }

    /// The same updates with counting off and every dirty total left to the batched searches.
    #[test]
    fn batched_searches_are_exact(
        start in layered(),
        ops in prop::collection::vec(prop_oneof![3 => reupload(), 1 => op()], 1..10),
    ) {
        let mut input = start;
        let mut river = input.build();
        river.set_update_limits(UpdateLimits {
            max_walked: Some(0),
            batch_from: 1,
            ..UpdateLimits::default()
        });
        for op in &ops {
            let before = positions(&river);
            let update = apply(&mut river, &mut input, op);
            let after = positions(&river);
            prop_assert_eq!(&after, &positions(&input.build()), "after {:?}", op);
            prop_assert_eq!(&update.changed, &moved(&before, &after), "changed after {:?}", op);
        }
    }
}
