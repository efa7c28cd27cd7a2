//! Differential tests: Perl's own `version.pm` (XS, 0.9929 in perl 5.36) and `CPAN::Version`
//! answer the same questions as riverpan, and every field must agree.
//!
//! Inputs: proptest-generated strings (shrunk to a minimal case on a mismatch), the examples of
//! version.pm's documentation and test suite, and every version in CPAN's real 02packages index.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::io::Read;

/// Where `shared/` lives (the repository's sibling directory unless `RIVERPAN_SHARED` says).
fn shared_dir() -> std::path::PathBuf {
    match std::env::var_os("RIVERPAN_SHARED") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn assert_batch(label: &str, requests: Vec<String>, inputs: Vec<String>, ours: Vec<String>) {
    let perl = with_oracle(|o| o.batch(&requests));
    let bad = mismatches(&requests, &inputs, &perl, &ours);
    assert!(
        bad.is_empty(),
        "{label}: {} of {} differ from Perl, first ones:\n{}",
        bad.len(),
        requests.len(),
        bad.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{label}: {} cases agree with Perl", requests.len());
}

fn check_strings(label: &str, strings: &[String]) {
    let mut requests = Vec::new();
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    for s in strings {
        requests.push(parse_request(s));
        ours.push(parse_answer(s));
        inputs.push(format!("parse {s:?}"));
        requests.push(declare_request(s));
        ours.push(declare_answer(s));
        inputs.push(format!("declare {s:?}"));
    }
    assert_batch(label, requests, inputs, ours);
}

fn check_pairs(label: &str, pairs: &[(String, String)]) {
    let mut requests = Vec::new();
    let mut inputs = Vec::new();
    let mut ours = Vec::new();
    for (a, b) in pairs {
        requests.push(cmp_request(a, b));
        ours.push(cmp_answer(a, b));
        inputs.push(format!("{a:?} <=> {b:?}"));
        requests.push(vcmp_request(a, b));
        ours.push(vcmp_answer(a, b));
        inputs.push(format!("vcmp({a:?}, {b:?})"));
    }
    assert_batch(label, requests, inputs, ours);
}

fn doc_examples() -> Vec<String> {
    include_str!("fixtures/doc-examples.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn documentation_examples_agree() {
    let examples = doc_examples();
    assert!(examples.len() > 100);
    check_strings("documentation examples", &examples);
    let pairs: Vec<(String, String)> = examples
        .iter()
        .flat_map(|a| examples.iter().map(move |b| (a.clone(), b.clone())))
        .collect();
    check_pairs("documentation example pairs", &pairs);
}

/// The versions column of CPAN's real `02packages.details.txt.gz`.
fn real_cpan_versions() -> Vec<String> {
    let path = shared_dir().join("data/cpan-02packages-2023-02-17.txt.gz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set RIVERPAN_SHARED to the shared/ directory)",
            path.display()
        )
    });
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("02packages decompresses");
    let body = text.split_once("\n\n").map_or("", |(_, body)| body);
    body.lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_version_in_real_02packages_agrees() {
    let all = real_cpan_versions();
    assert!(all.len() > 250_000, "02packages has {} lines", all.len());
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    check_strings("distinct 02packages versions", &distinct);
    // Neighbours in the file (same dist, similar names) and far-apart partners.
    let mut pairs: Vec<(String, String)> = all
        .windows(2)
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect();
    let half = distinct.len() / 2;
    pairs.extend((0..half).map(|i| {
        (
            distinct[i].clone(),
            distinct[(i * 7919) % distinct.len()].clone(),
        )
    }));
    check_pairs("02packages version pairs", &pairs);
}

/// Pieces version strings are built from: mostly the grammar's own, some of what PAUSE meets in
/// the wild, and any character at all.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[0-9]{1,3}",
        2 => "0{1,3}[0-9]?",
        1 => "[0-9]{4,12}",
        6 => Just(".".to_string()),
        3 => Just("_".to_string()),
        2 => Just("v".to_string()),
        1 => prop::sample::select(vec![" ", "\t", "\n", ";", ":", "{", "}", ",", "-", "+", "a", "e", "E", "x", "undef", "inf", "nan", "\u{0}", "é", "٣"]).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn version_like() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..9).prop_map(|t| t.concat())
}

/// Strings that are valid lax versions most of the time, so comparisons get exercised.
fn mostly_valid() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.3),
        "[0-9]{1,4}",
        prop::collection::vec("[0-9]{1,4}", 0..5),
        prop::option::weighted(0.2, "[0-9]{1,3}"),
    )
        .prop_map(|(v, first, rest, alpha)| {
            let mut s = String::new();
            if v {
                s.push('v');
            }
            s.push_str(&first);
            for r in rest {
                s.push('.');
                s.push_str(&r);
            }
            if let Some(a) = alpha {
                s.push('_');
                s.push_str(&a);
            }
            s
        })
}

/// `n` cases, or `RIVERPAN_PROPTEST_CASES` for a longer hunt.
/// Strings that exercise Perl's string-to-number conversion inside `CPAN::Version->vcmp`.
fn numeric_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ \t]?[+-]?[0-9]{0,21}(\\.[0-9]{0,16})?([eE][+-]?[0-9]{1,3})?[a-z_]?",
        1 => "v?[0-9]{0,3}(\\.[0-9]{0,20}){0,4}",
        1 => "[+-]?(inf|INF|Infinity|nan|NaN|infx|nanq)(\\.[0-9])?",
        1 => "v[0-9]{1,3}\\.(-?[0-9]{1,25}|1e[0-9]{1,3}|inf)",
    ]
}

fn cases(n: u32) -> Config {
    let n = std::env::var("RIVERPAN_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(cases(25_000))]

    #[test]
    fn generated_strings_parse_like_perl(s in version_like()) {
        let perl = with_oracle(|o| o.ask(&parse_request(&s)));
        prop_assert_eq!(readable(&perl), readable(&parse_answer(&s)), "parse {:?}", s);
        let perl = with_oracle(|o| o.ask(&declare_request(&s)));
        prop_assert_eq!(readable(&perl), readable(&declare_answer(&s)), "declare {:?}", s);
    }

    #[test]
    fn generated_pairs_compare_like_perl(a in mostly_valid(), b in mostly_valid()) {
        let perl = with_oracle(|o| o.ask(&cmp_request(&a, &b)));
        prop_assert_eq!(readable(&perl), readable(&cmp_answer(&a, &b)), "{:?} <=> {:?}", a, b);
        let perl = with_oracle(|o| o.ask(&vcmp_request(&a, &b)));
        prop_assert_eq!(readable(&perl), readable(&vcmp_answer(&a, &b)), "vcmp({:?}, {:?})", a, b);
    }

    #[test]
    fn generated_numbers_vcmp_like_perl(a in numeric_like(), b in numeric_like()) {
        let perl = with_oracle(|o| o.ask(&vcmp_request(&a, &b)));
        if !is_documented_vcmp_death(&perl) {
            prop_assert_eq!(readable(&perl), readable(&vcmp_answer(&a, &b)), "vcmp({:?}, {:?})", a, b);
        }
    }

    #[test]
    fn generated_junk_pairs_vcmp_like_perl(a in version_like(), b in version_like()) {
        let perl = with_oracle(|o| o.ask(&vcmp_request(&a, &b)));
        if !is_documented_vcmp_death(&perl) {
            prop_assert_eq!(readable(&perl), readable(&vcmp_answer(&a, &b)), "vcmp({:?}, {:?})", a, b);
        }
        let perl = with_oracle(|o| o.ask(&cmp_request(&a, &b)));
        prop_assert_eq!(readable(&perl), readable(&cmp_answer(&a, &b)), "{:?} <=> {:?}", a, b);
    }
}
