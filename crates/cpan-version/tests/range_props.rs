//! Property tests of version ranges, against an oracle that knows nothing of simplification:
//! a requirement string accepts a version iff every one of its parts does.

use cpan_version::{Comparison, Version, VersionRange};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Versions with few distinct values (so bounds and exclusions collide), written in several
/// ways: `1`, `1.5`, `1.500`, `1.2.3`, `v1.2`, `1.5_0`.
fn version_text() -> impl Strategy<Value = String> {
    let int = 0u32..4;
    let frac = prop::sample::select(vec![0u32, 2, 5, 50, 500, 999]);
    prop_oneof![
        int.clone().prop_map(|i| i.to_string()),
        (int.clone(), frac.clone()).prop_map(|(i, f)| format!("{i}.{f:03}")),
        (int.clone(), frac).prop_map(|(i, f)| format!("{i}.{f}")),
        (int.clone(), 0u32..3, 0u32..3).prop_map(|(a, b, c)| format!("v{a}.{b}.{c}")),
        (int.clone(), 0u32..3, 0u32..3).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        (int.clone(), 0u32..600).prop_map(|(a, b)| format!("v{a}.{b}")),
        (int, 0u32..10, 0u32..10).prop_map(|(a, b, c)| format!("{a}.{b}_{c}")),
    ]
}

/// One `OP VERSION` part (`None`: a bare version).
fn part() -> impl Strategy<Value = (Option<Comparison>, String)> {
    let op = prop::sample::select(vec![
        Some(Comparison::Exactly),
        Some(Comparison::NotEqual),
        Some(Comparison::AtLeast),
        Some(Comparison::AtMost),
        Some(Comparison::Above),
        Some(Comparison::Below),
        None,
    ]);
    (op, version_text())
}

fn requirement_text(parts: &[(Option<Comparison>, String)]) -> String {
    parts
        .iter()
        .map(|(op, v)| match op {
            Some(op) => format!("{op} {v}"),
            None => v.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn version(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("generated version {s:?}: {e}"))
}

/// The oracle: every part holds (a bare version is a minimum).
fn satisfies(parts: &[(Option<Comparison>, String)], v: &Version) -> bool {
    parts
        .iter()
        .all(|(op, bound)| op.unwrap_or(Comparison::AtLeast).holds(v, &version(bound)))
}

fn probes(extra: &[String], parts: &[&[(Option<Comparison>, String)]]) -> Vec<Version> {
    let mut all: Vec<Version> = extra.iter().map(|s| version(s)).collect();
    for p in parts {
        all.extend(p.iter().map(|(_, v)| version(v)));
    }
    all
}

proptest! {
    #![proptest_config(Config { cases: 2000, ..Config::default() })]

    /// A parsed range accepts exactly what its parts accept, or is refused only when no probe
    /// satisfies every part.
    #[test]
    fn parse_matches_the_parts(
        parts in prop::collection::vec(part(), 1..5),
        extra in prop::collection::vec(version_text(), 0..20),
    ) {
        let text = requirement_text(&parts);
        let probes = probes(&extra, &[&parts]);
        match VersionRange::parse(&text) {
            Ok(range) => {
                for v in &probes {
                    prop_assert_eq!(range.accepts(v), satisfies(&parts, v), "{} on {}", text, v);
                }
            }
            Err(e) => {
                for v in &probes {
                    prop_assert!(!satisfies(&parts, v), "{} refused ({}) yet accepts {}", text, e, v);
                }
            }
        }
    }

    /// `a ∩ b` accepts `v` iff `a` and `b` do; it fails only if no probe is in both; and the
    /// order of the operands does not change which versions are accepted.
    #[test]
    fn intersection_is_conjunction(
        a_parts in prop::collection::vec(part(), 1..4),
        b_parts in prop::collection::vec(part(), 1..4),
        extra in prop::collection::vec(version_text(), 0..20),
    ) {
        let (Ok(a), Ok(b)) = (
            VersionRange::parse(&requirement_text(&a_parts)),
            VersionRange::parse(&requirement_text(&b_parts)),
        ) else {
            return Ok(());
        };
        let probes = probes(&extra, &[&a_parts, &b_parts]);
        let ab = a.intersect(&b);
        let ba = b.intersect(&a);
        // Whether Perl reports a conflict can depend on the order (`<= 0` then `> 0` gives
        // `< 0`, the other order dies), so each order is checked on its own.
        for (x, y, result) in [(&a, &b, &ab), (&b, &a, &ba)] {
            match result {
                Ok(xy) => {
                    for v in &probes {
                        let both = x.accepts(v) && y.accepts(v);
                        prop_assert_eq!(xy.accepts(v), both, "{} ∩ {} = {} on {}", x, y, xy, v);
                    }
                }
                Err(e) => {
                    for v in &probes {
                        prop_assert!(
                            !(x.accepts(v) && y.accepts(v)),
                            "{} ∩ {} refused ({}) yet both accept {}", x, y, e, v
                        );
                    }
                }
            }
        }
    }

    /// Displaying a range and parsing the result gives a range that displays the same and
    /// accepts the same versions.
    #[test]
    fn display_round_trips(
        parts in prop::collection::vec(part(), 1..5),
        extra in prop::collection::vec(version_text(), 0..20),
    ) {
        let Ok(range) = VersionRange::parse(&requirement_text(&parts)) else {
            return Ok(());
        };
        let shown = range.to_string();
        let again = VersionRange::parse(&shown);
        prop_assert!(again.is_ok(), "{} does not parse: {:?}", shown, again);
        if let Ok(again) = again {
            prop_assert_eq!(again.to_string(), shown.clone());
            for v in probes(&extra, &[&parts]) {
                prop_assert_eq!(again.accepts(&v), range.accepts(&v), "{} on {}", shown, v);
            }
        }
    }
}

/// The oracle itself must be able to say no.
#[test]
fn oracle_sanity() {
    let parts = vec![
        (Some(Comparison::Above), "1".to_string()),
        (None, "0.5".to_string()),
    ];
    assert!(!satisfies(&parts, &version("1.000")));
    assert!(satisfies(&parts, &version("v1.0.1")));
    let range = VersionRange::parse(&requirement_text(&parts)).map(|r| r.to_string());
    assert_eq!(range.ok().as_deref(), Some("> 1"));
}
