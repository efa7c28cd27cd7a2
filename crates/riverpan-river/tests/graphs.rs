//! Hand-made graphs with known answers.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{assert_matches_naive, positions, Input};
use riverpan_river::{band, bucket, Band, ReleaseRequires, River, RiverPosition};

/// A river where each dist `X` provides module `X::M` (and `X::N`), requiring what is listed.
fn river(edges: &[(&str, &[&str])]) -> (River, Input) {
    let mut input = Input::default();
    for (dist, requires) in edges {
        input.releases.insert(
            dist.to_string(),
            requires.iter().map(|m| m.to_string()).collect(),
        );
        input
            .providers
            .insert(format!("{dist}::M"), dist.to_string());
        input
            .providers
            .insert(format!("{dist}::N"), dist.to_string());
    }
    (input.build(), input)
}

fn pos(immediate: u64, total: u64) -> Option<RiverPosition> {
    Some(RiverPosition::new(immediate, total))
}

#[test]
fn chain() {
    // C requires B, B requires A.
    let (river, input) = river(&[("A", &[]), ("B", &["A::M"]), ("C", &["B::M"])]);
    assert_eq!(river.position("A"), pos(1, 2));
    assert_eq!(river.position("B"), pos(1, 1));
    assert_eq!(river.position("C"), pos(0, 0));
    assert_eq!(river.deep_dependents("A"), ["B", "C"]);
    assert_eq!(river.direct_dependents("A"), ["B"]);
    assert_eq!(river.dependencies("C"), ["B"]);
    assert_eq!(river.position("D"), None);
    assert_matches_naive(&river, &input);
}

#[test]
fn diamond_counts_each_dependent_once() {
    // D requires B and C (two modules of C), both require A.
    let (river, input) = river(&[
        ("A", &[]),
        ("B", &["A::M"]),
        ("C", &["A::M", "A::N"]),
        ("D", &["B::M", "C::M", "C::N", "C::M"]),
    ]);
    assert_eq!(river.position("A"), pos(2, 3));
    assert_eq!(river.position("C"), pos(1, 1));
    assert_eq!(river.deep_dependents("A"), ["B", "C", "D"]);
    assert_eq!(river.dependencies("D"), ["B", "C"]);
    assert_matches_naive(&river, &input);
}

#[test]
fn cycle_counts_the_root_itself() {
    // A and B require each other; C requires A.
    let (river, input) = river(&[("A", &["B::M"]), ("B", &["A::M"]), ("C", &["A::M"])]);
    // A's dependents: B (direct), C (direct), and A itself through B.
    assert_eq!(river.position("A"), pos(2, 3));
    assert_eq!(river.deep_dependents("A"), ["A", "B", "C"]);
    // B's dependents: A, then A's dependents B (itself) and C.
    assert_eq!(river.position("B"), pos(1, 3));
    assert_eq!(river.deep_dependents("B"), ["A", "B", "C"]);
    assert_matches_naive(&river, &input);
}

#[test]
fn self_dependency_perl_and_duplicates_are_dropped() {
    let (river, input) = river(&[
        ("A", &["A::M", "A::N", "perl"]),
        ("B", &["perl", "A::M", "A::M", "B::N"]),
    ]);
    assert_eq!(river.position("A"), pos(1, 1));
    assert_eq!(river.position("B"), pos(0, 0));
    assert_eq!(river.deep_dependents("A"), ["B"]);
    assert!(river.unresolved().is_empty());
    assert_eq!(river.module_dependents("A::M", false), ["B"]);
    assert_eq!(river.module_dependents("perl", false), Vec::<&str>::new());
    assert_matches_naive(&river, &input);
}

#[test]
fn unprovided_module_is_reported() {
    let (river, input) = river(&[("A", &["Missing::Mod"]), ("B", &["Missing::Mod", "A::M"])]);
    let expected: BTreeMap<String, BTreeSet<String>> = [(
        "Missing::Mod".to_string(),
        ["A".to_string(), "B".to_string()].into(),
    )]
    .into();
    assert_eq!(river.unresolved(), &expected);
    assert_eq!(river.provider("Missing::Mod"), None);
    assert_eq!(river.module_dependents("Missing::Mod", false), ["A", "B"]);
    assert_eq!(river.module_dependents("Missing::Mod", true), ["A", "B"]);
    assert_eq!(river.position("A"), pos(1, 1));
    assert_matches_naive(&river, &input);
}

#[test]
fn provider_only_dist_is_a_node() {
    let river = River::build(
        [ReleaseRequires::new("App", ["Core::Thing"])],
        [("Core::Thing".to_string(), "Core".to_string())],
    );
    assert_eq!(river.len(), 2);
    assert_eq!(river.position("Core"), pos(1, 1));
    assert_eq!(river.dependencies("Core"), Vec::<&str>::new());
}

#[test]
fn module_moving_between_dists_moves_its_dependents() {
    let (mut river, mut input) = river(&[
        ("A", &[]),
        ("B", &[]),
        ("C", &["A::M"]),
        ("D", &["A::N"]),
        ("E", &["C::M"]),
    ]);
    assert_eq!(river.position("A"), pos(2, 3));
    let update = river.set_providers([("A::M".to_string(), Some("B".to_string()))]);
    input.providers.insert("A::M".into(), "B".into());
    assert_eq!(river.provider("A::M"), Some("B"));
    assert_eq!(river.position("A"), pos(1, 1));
    assert_eq!(river.position("B"), pos(1, 2));
    assert_eq!(river.deep_dependents("B"), ["C", "E"]);
    assert_eq!(river.module_dependents("A::M", true), ["C", "E"]);
    assert_eq!(update.changed, ["A", "B"]);
    assert!(!update.full_recompute);
    assert_matches_naive(&river, &input);
    // Moving it to a brand-new dist adds that dist to the river.
    let update = river.set_providers([("A::M".to_string(), Some("New".to_string()))]);
    input.providers.insert("A::M".into(), "New".into());
    assert_eq!(update.changed, ["B", "New"]);
    assert_eq!(river.position("New"), pos(1, 2));
    assert_matches_naive(&river, &input);
    // Dropping it from the index leaves it unresolved and New without modules or release.
    let update = river.set_providers([("A::M".to_string(), None)]);
    input.providers.remove("A::M");
    assert_eq!(update.changed, ["New"]);
    assert_eq!(river.position("New"), None);
    assert_eq!(
        river.unresolved()["A::M"],
        BTreeSet::from(["C".to_string()])
    );
    assert_matches_naive(&river, &input);
}

#[test]
fn deleted_dist_takes_its_edges_and_modules_with_it() {
    let (mut river, mut input) = river(&[("A", &[]), ("B", &["A::M"]), ("C", &["B::M", "A::N"])]);
    assert_eq!(river.position("A"), pos(2, 2));
    let update = river.remove_dist("B");
    input.releases.remove("B");
    input.providers.retain(|_, dist| dist != "B");
    assert_eq!(river.position("B"), None);
    assert_eq!(river.position("A"), pos(1, 1));
    assert_eq!(
        river.unresolved()["B::M"],
        BTreeSet::from(["C".to_string()])
    );
    assert_eq!(update.changed, ["A", "B"]);
    assert_matches_naive(&river, &input);
    // Another dist taking over B's module resolves it again.
    river.set_providers([("B::M".to_string(), Some("A".to_string()))]);
    input.providers.insert("B::M".into(), "A".into());
    assert!(river.unresolved().is_empty());
    assert_matches_naive(&river, &input);
    // Removing an unknown dist changes nothing.
    assert!(river.remove_dist("Nope").changed.is_empty());
}

#[test]
fn release_updates_report_exactly_what_moved() {
    let (mut river, mut input) =
        river(&[("A", &[]), ("B", &["A::M"]), ("C", &["B::M"]), ("X", &[])]);
    // C drops B for X: B loses its only dependent; A is unaffected (C no longer reaches it).
    let update = river.set_release(ReleaseRequires::new("C", ["X::M", "perl"]));
    input.releases.insert("C".into(), vec!["X::M".into()]);
    assert_eq!(update.changed, ["A", "B", "X"]);
    assert_eq!(river.position("A"), pos(1, 1));
    assert_matches_naive(&river, &input);
    // The same release again changes nothing.
    let update = river.set_release(ReleaseRequires::new("C", ["X::M"]));
    assert!(update.changed.is_empty());
    assert_eq!(update.relinked, 0);
    // A new dist joins with no dependents.
    let update = river.set_release(ReleaseRequires::new("New", ["C::M"]));
    input.releases.insert("New".into(), vec!["C::M".into()]);
    assert_eq!(update.changed, ["C", "New", "X"]);
    assert_matches_naive(&river, &input);
}

#[test]
fn top_orders_by_total_then_immediate_then_name() {
    let (river, _) = river(&[
        ("A", &[]),
        ("B", &[]),
        ("C", &["A::M", "B::M"]),
        ("D", &["C::M"]),
        ("E", &["B::M"]),
    ]);
    let top: Vec<(&str, u64, u64)> = river
        .top(3)
        .into_iter()
        .map(|(name, p)| (name, p.total, p.immediate))
        .collect();
    assert_eq!(top, [("B", 3, 2), ("A", 2, 1), ("C", 1, 1)]);
    assert_eq!(river.top(100).len(), 5);
}

#[test]
fn buckets_and_bands_at_their_boundaries() {
    let cases = [
        (0, 0, Band::WayDownriver),
        (1, 1, Band::WayDownriver),
        (9, 1, Band::WayDownriver),
        (10, 2, Band::WayDownriver),
        (49, 2, Band::WayDownriver),
        (50, 2, Band::InTheMiddle),
        (99, 2, Band::InTheMiddle),
        (100, 3, Band::InTheMiddle),
        (999, 3, Band::InTheMiddle),
        (1000, 4, Band::InTheMiddle),
        (4999, 4, Band::InTheMiddle),
        (5000, 4, Band::WayUpriver),
        (9999, 4, Band::WayUpriver),
        (10000, 5, Band::WayUpriver),
        (u64::MAX, 5, Band::WayUpriver),
    ];
    for (total, expected_bucket, expected_band) in cases {
        assert_eq!(bucket(total), expected_bucket, "bucket of {total}");
        assert_eq!(band(total), expected_band, "band of {total}");
        let position = RiverPosition::new(0, total);
        assert_eq!(
            (position.bucket, position.band),
            (expected_bucket, expected_band)
        );
    }
    assert_eq!(Band::WayDownriver.as_str(), "way downriver");
    assert_eq!(Band::InTheMiddle.to_string(), "in the middle");
    assert_eq!(Band::WayUpriver.as_str(), "way upriver");
}

#[test]
fn position_serialises_like_metacpan_river_plus_band() {
    let json = serde_json::to_value(RiverPosition::new(3, 120)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"immediate": 3, "total": 120, "bucket": 3, "band": "in the middle"})
    );
}

#[test]
fn positions_include_zeros_sorted_by_name() {
    let (river, _) = river(&[("b", &[]), ("A", &["b::M"]), ("C", &[])]);
    let names: Vec<String> = positions(&river).into_keys().collect();
    assert_eq!(names, ["A", "C", "b"]);
    assert_eq!(river.positions().count(), 3);
}

#[test]
fn counting_keeps_dependents_reached_another_way() {
    // C is mid-river: E and F depend on it, and E also requires B directly.
    let (mut river, mut input) = river(&[
        ("A", &[]),
        ("B", &["A::M"]),
        ("C", &["B::M"]),
        ("E", &["C::M", "B::M"]),
        ("F", &["C::N"]),
    ]);
    river.set_update_limits(riverpan_river::UpdateLimits {
        max_walked: Some(usize::MAX),
        batch_from: usize::MAX,
        ..Default::default()
    });
    assert_eq!(river.position("B"), pos(2, 3));
    assert_eq!(river.position("A"), pos(1, 4));
    // C now requires A instead of B: B keeps E (its own edge) but loses C and F; A still
    // reaches all four, now partly through C directly.
    let update = river.set_release(ReleaseRequires::new("C", ["A::M"]));
    input.releases.insert("C".into(), vec!["A::M".into()]);
    assert_eq!(river.position("B"), pos(1, 1));
    assert_eq!(river.position("A"), pos(2, 4));
    assert_eq!(update.changed, ["A", "B"]);
    assert_eq!(update.recomputed, 0, "counted, not searched");
    assert!(update.adjusted >= 1);
    assert_matches_naive(&river, &input);
    // A now requires F: the cycle A → F → C → A puts A, C and F among their own dependents.
    let update = river.set_release(ReleaseRequires::new("A", ["F::M"]));
    input.releases.insert("A".into(), vec!["F::M".into()]);
    assert_eq!(river.position("A"), pos(2, 5));
    assert_eq!(river.position("F"), pos(1, 5));
    assert_eq!(update.recomputed, 0, "counted, not searched");
    assert_matches_naive(&river, &input);
    // And back out of the cycle.
    river.set_release(ReleaseRequires::new("A", Vec::<String>::new()));
    input.releases.insert("A".into(), vec![]);
    assert_matches_naive(&river, &input);
}
