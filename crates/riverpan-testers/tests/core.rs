//! Integration tests of the testers core: ingest and summaries, BBC on a hand-made data set,
//! the beforemaintrelease format, and Metabase facts (one built by Perl when available).

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::*;
use riverpan_testers::generate::Generator;
use riverpan_testers::ingest::{
    self, parse_metabase_fact, Distribution, Environment, Ingested, Language, NewReport, Reporter,
    System, TestOutput, TestResult,
};
use riverpan_testers::query::{self, Counts, Verdict};
use riverpan_testers::rusqlite::Connection;
use riverpan_testers::{store, PerlVersion};
use serde_json::json;

fn conn() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    store::ensure_schema(&c).unwrap();
    c
}

fn rep(id: &str, dist: &str, version: &str, perl: &str, os: &str, grade: &str) -> NewReport {
    rep_text(id, dist, version, perl, os, grade, "t/basic.t .. ok")
}

fn rep_text(
    id: &str,
    dist: &str,
    version: &str,
    perl: &str,
    os: &str,
    grade: &str,
    text: &str,
) -> NewReport {
    NewReport {
        id: Some(id.to_string()),
        created: Some("2026-08-01T00:00:00Z".into()),
        reporter: Reporter {
            name: None,
            email: "t@example.org".into(),
        },
        environment: Environment {
            language: Language {
                name: "Perl 5".into(),
                version: perl.into(),
                archname: "x86_64-linux".into(),
                build: None,
                commit_id: None,
                variables: None,
            },
            system: System {
                osname: os.into(),
                osversion: Some("1".into()),
                extra: BTreeMap::new(),
            },
            user_agent: None,
            toolchain: None,
        },
        distribution: Distribution {
            name: dist.into(),
            version: version.into(),
            path: Some(format!("AUTHOR{}/{dist}-{version}.tar.gz", dist.len())),
            prerequisites: None,
        },
        result: TestResult {
            grade: grade.into(),
            output: TestOutput {
                uncategorized: Some(text.into()),
                ..TestOutput::default()
            },
            extra: BTreeMap::new(),
        },
        comments: None,
    }
}

const PREREQ_TEXT: &str = "PREREQUISITES\n\n    requires:\n\n        Module Need Have\n        ------ ---- ----\n      ! Moo    2.0  n/a\n";

/// The hand-made BBC data set (see the assertions for the intended answer).
fn bbc_fixture() -> Connection {
    let mut c = conn();
    let mut n = 0;
    let mut r = Vec::new();
    let mut add = |dist: &str, ver: &str, perl: &str, os: &str, grade: &str, k: usize| {
        for _ in 0..k {
            n += 1;
            r.push(rep(&format!("id-{n:04}"), dist, ver, perl, os, grade));
        }
    };
    // Passes everywhere: not a candidate.
    add("Good-Dist", "1.0", "5.42.0", "linux", "pass", 3);
    add("Good-Dist", "1.0", "5.43.9", "linux", "pass", 2);
    // Broken by blead from 5.43.8 on; its older release passes on blead.
    add("Broken-Dist", "1.0", "5.43.9", "linux", "pass", 2);
    add("Broken-Dist", "2.0", "5.42.0", "linux", "pass", 2);
    add("Broken-Dist", "2.0", "5.43.6", "linux", "fail", 1);
    add("Broken-Dist", "2.0", "5.43.7", "linux", "pass", 1);
    add("Broken-Dist", "2.0", "5.43.8", "linux", "fail", 1);
    add("Broken-Dist", "2.0", "5.43.9", "linux", "fail", 2);
    add("Broken-Dist", "2.0", "5.43.9", "freebsd", "fail", 1);
    // All four figures non-zero: excluded by andk's filter.
    add("Flaky-Dist", "1.0", "5.42.0", "linux", "pass", 1);
    add("Flaky-Dist", "1.0", "5.42.0", "linux", "fail", 1);
    add("Flaky-Dist", "1.0", "5.43.9", "linux", "pass", 1);
    add("Flaky-Dist", "1.0", "5.43.9", "linux", "fail", 1);
    // Fixed by blead: a candidate, but no break.
    add("Fixed-Dist", "0.5", "5.42.0", "MSWin32", "fail", 2);
    add("Fixed-Dist", "0.5", "5.43.9", "MSWin32", "pass", 1);
    // A developer release failing does not make the dist a candidate.
    add("Dev-Dist", "1.0", "5.42.0", "linux", "pass", 1);
    add("Dev-Dist", "1.0", "5.43.9", "linux", "pass", 1);
    add("Dev-Dist", "1.1_01", "5.43.9", "linux", "fail", 1);
    // A patched blead and an RC must not become the defaults.
    add(
        "Good-Dist",
        "1.0",
        "5.43.10 patch local",
        "linux",
        "pass",
        1,
    );
    add("Good-Dist", "1.0", "5.44.0 RC1", "linux", "pass", 1);
    add("Good-Dist", "1.0", "5.40.2", "linux", "na", 1);
    // Fails on new only because of a missing prerequisite: CPAN breaks CPAN, not blead.
    r.push(rep(
        "id-9000",
        "Prereq-Dist",
        "1.0",
        "5.42.0",
        "linux",
        "pass",
    ));
    r.push(rep_text(
        "id-9001",
        "Prereq-Dist",
        "1.0",
        "5.43.9",
        "linux",
        "fail",
        PREREQ_TEXT,
    ));
    let out = ingest::ingest(&mut c, &r).unwrap();
    assert!(out.iter().all(|o| matches!(o, Ingested::Stored(_))));
    c
}

#[test]
fn bbc_finds_the_known_answer() {
    let c = bbc_fixture();
    let (stable, dev) = query::latest_perls(&c).unwrap();
    assert_eq!(stable.unwrap().to_string(), "5.42.0");
    assert_eq!(dev.unwrap().to_string(), "5.43.9");
    let b = query::bbc(&c, None, None).unwrap();
    assert_eq!((b.old.as_str(), b.new.as_str()), ("5.42.0", "5.43.9"));
    let names: Vec<(&str, &str, Verdict, bool)> = b
        .candidates
        .iter()
        .map(|e| (e.dist.as_str(), e.version.as_str(), e.verdict, e.strong))
        .collect();
    // The dist blead fixes is listed after the break, as fixed, never as a break.
    assert_eq!(
        names,
        [
            ("Broken-Dist", "2.0", Verdict::Breaks, true),
            ("Fixed-Dist", "0.5", Verdict::Fixed, true)
        ]
    );
    let e = &b.candidates[0];
    assert_eq!(
        (e.old.pass, e.old.fail, e.new.pass, e.new.fail),
        (2, 0, 0, 3)
    );
    assert_eq!(e.first_failing_dev_perl.as_deref(), Some("5.43.8"));
    assert_eq!(e.last_passing_dev_perl.as_deref(), Some("5.43.7"));
    assert_eq!(e.author.as_deref(), Some("AUTHOR11"));
    assert_eq!(e.sample_fail_reports.len(), 3);
    assert!(e.sample_pass_report.is_some());
    assert_eq!(e.os["linux"].new.fail, 2);
    assert_eq!(e.os["freebsd"].new.fail, 1);
    assert_eq!(e.os["linux"].old.pass, 2);

    // Explicit perls: old 5.43.7 vs new 5.43.8 flags Broken-Dist as well.
    let b = query::bbc(
        &c,
        Some(PerlVersion::parse("5.43.7").unwrap()),
        Some(PerlVersion::parse("5.43.8").unwrap()),
    )
    .unwrap();
    assert_eq!(b.candidates.len(), 1);
    assert!(b.candidates[0].strong);
    assert_eq!(b.candidates[0].verdict, Verdict::Breaks);
}

/// One dist of each kind; the names sort otherwise than the verdicts.
fn verdict_fixture() -> Connection {
    let mut c = conn();
    let mut r = Vec::new();
    let mut add = |dist: &str, perl: &str, grade: &str, k: usize| {
        for _ in 0..k {
            let id = format!("v-{:04}", r.len());
            r.push(rep(&id, dist, "1.0", perl, "linux", grade));
        }
    };
    // Only passes on old, only fails on new: a strong break.
    add("Broken-Dist", "5.42.0", "pass", 2);
    add("Broken-Dist", "5.43.9", "fail", 1);
    // Only passes on old, passes and fails on new: a break, not a strong one.
    add("Wobbly-Dist", "5.42.0", "pass", 3);
    add("Wobbly-Dist", "5.43.9", "pass", 1);
    add("Wobbly-Dist", "5.43.9", "fail", 4);
    // Only fails on old, only passes on new: fixed by the new perl, strongly.
    add("Fixed-Dist", "5.42.0", "fail", 5);
    add("Fixed-Dist", "5.43.9", "pass", 5);
    // Passes and fails on old, only passes on new: fixed, not strongly.
    add("Better-Dist", "5.42.0", "pass", 1);
    add("Better-Dist", "5.42.0", "fail", 1);
    add("Better-Dist", "5.43.9", "pass", 2);
    // Passes and fails on old, nothing on new: mixed.
    add("Mixed-Dist", "5.42.0", "pass", 1);
    add("Mixed-Dist", "5.42.0", "fail", 1);
    // Passes everywhere: no candidate.
    add("Good-Dist", "5.42.0", "pass", 1);
    add("Good-Dist", "5.43.9", "pass", 1);
    ingest::ingest(&mut c, &r).unwrap();
    c
}

#[test]
fn bbc_tells_breaks_from_fixes() {
    let c = verdict_fixture();
    let b = query::bbc(&c, None, None).unwrap();
    let got: Vec<(&str, Verdict, bool)> = b
        .candidates
        .iter()
        .map(|e| (e.dist.as_str(), e.verdict, e.strong))
        .collect();
    assert_eq!(
        got,
        [
            ("Broken-Dist", Verdict::Breaks, true),
            ("Wobbly-Dist", Verdict::Breaks, false),
            ("Fixed-Dist", Verdict::Fixed, true),
            ("Better-Dist", Verdict::Fixed, false),
            ("Mixed-Dist", Verdict::Mixed, false),
        ]
    );
    // The sample reports show the failures where they happened: on the new perl for a break,
    // on the old one for a fix (with a pass on the other perl to contrast).
    let entry = |dist: &str| b.candidates.iter().find(|e| e.dist == dist).unwrap();
    let broken = entry("Broken-Dist");
    assert_eq!(broken.sample_fail_reports, ["v-0002"]);
    assert!(matches!(
        broken.sample_pass_report.as_deref(),
        Some("v-0000" | "v-0001")
    ));
    let fixed = entry("Fixed-Dist");
    assert_eq!(fixed.sample_fail_reports.len(), 3);
    assert!(fixed
        .sample_fail_reports
        .iter()
        .all(|id| ("v-0011"..="v-0015").contains(&id.as_str())));
    assert!(fixed
        .sample_pass_report
        .as_deref()
        .is_some_and(|id| ("v-0016"..="v-0020").contains(&id)));
    assert_eq!(fixed.first_failing_dev_perl, None);
    assert_eq!(fixed.last_passing_dev_perl, None);
    // The JSON says it in words.
    let value = serde_json::to_value(&b).unwrap();
    let verdicts: Vec<(&str, &str)> = value["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["dist"].as_str().unwrap(), c["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("Broken-Dist", "breaks"),
            ("Wobbly-Dist", "breaks"),
            ("Fixed-Dist", "fixed"),
            ("Better-Dist", "fixed"),
            ("Mixed-Dist", "mixed"),
        ]
    );
    // andk's file keeps its format: every candidate, no verdict.
    let file = query::beforemaintrelease(
        &c,
        &PerlVersion::parse("5.42.0").unwrap(),
        &PerlVersion::parse("5.43.9").unwrap(),
        "2026-08-22T13:14:39",
    )
    .unwrap();
    let file: serde_json::Value = serde_json::from_str(&file).unwrap();
    let listed: Vec<&String> = file["!CAND"].as_object().unwrap().keys().collect();
    assert_eq!(
        listed,
        [
            "Better-Dist",
            "Broken-Dist",
            "Fixed-Dist",
            "Mixed-Dist",
            "Wobbly-Dist"
        ]
    );
    assert_eq!(
        file["!CAND"]["Fixed-Dist"],
        json!({"1.0": {"5.42.0": {"fail": 5}, "5.43.9": {"pass": 5}}})
    );
}

fn counts(pass: u64, fail: u64) -> Counts {
    let mut c = Counts::default();
    (c.pass, c.fail) = (pass, fail);
    c
}

/// Every combination of zero and non-zero pass/fail counts on both perls, with the verdict
/// written out by hand: `(old pass, old fail, new pass, new fail) => judgement`.
#[test]
fn judge_every_zero_non_zero_combination() {
    use Verdict::{Breaks, Fixed, Mixed};
    type Row = ((u8, u8, u8, u8), Option<(Verdict, bool)>);
    let table: [Row; 16] = [
        ((0, 0, 0, 0), None),                  // no reports
        ((0, 0, 0, 1), None),                  // nothing passes
        ((0, 0, 1, 0), None),                  // nothing fails
        ((0, 0, 1, 1), Some((Mixed, false))),  // mixed on new, nothing on old
        ((0, 1, 0, 0), None),                  // nothing passes
        ((0, 1, 0, 1), None),                  // nothing passes
        ((0, 1, 1, 0), Some((Fixed, true))),   // fails on old, passes on new
        ((0, 1, 1, 1), Some((Fixed, false))),  // fails on old, mixed on new
        ((1, 0, 0, 0), None),                  // nothing fails
        ((1, 0, 0, 1), Some((Breaks, true))),  // passes on old, fails on new
        ((1, 0, 1, 0), None),                  // nothing fails
        ((1, 0, 1, 1), Some((Breaks, false))), // passes on old, mixed on new
        ((1, 1, 0, 0), Some((Mixed, false))),  // mixed on old, nothing on new
        ((1, 1, 0, 1), Some((Breaks, false))), // mixed on old, fails on new
        ((1, 1, 1, 0), Some((Fixed, false))),  // mixed on old, passes on new
        ((1, 1, 1, 1), None),                  // all four: andk's filter drops it
    ];
    // Each pattern with several magnitudes for its non-zero figures: only zero or not counts.
    for ((ps, fs, pd, fd), expected) in table {
        for [a, b, c, d] in [[1u64, 1, 1, 1], [2, 7, 1, u64::MAX], [u64::MAX, 1, 3, 2]] {
            let f = |nonzero: u8, k: u64| if nonzero == 1 { k } else { 0 };
            let (old, new) = (counts(f(ps, a), f(fs, b)), counts(f(pd, c), f(fd, d)));
            let got = query::judge(&old, &new).map(|j| (j.verdict, j.strong));
            assert_eq!(got, expected, "{old:?} {new:?}");
            assert_eq!(got.is_some(), query::is_candidate(&old, &new));
        }
    }
}

proptest! {
    /// Only whether pass and fail are zero matters (not na, unknown or prerequisite failures,
    /// not the magnitudes); swapping the perls swaps breaks and fixed; strong is never mixed.
    #[test]
    fn judge_depends_on_zero_or_not_and_mirrors(
        figures in prop::array::uniform4(prop_oneof![Just(0u64), 1u64..5, Just(u64::MAX)]),
        others in prop::array::uniform6(0u64..3),
    ) {
        let [ps, fs, pd, fd] = figures;
        let (mut old, mut new) = (counts(ps, fs), counts(pd, fd));
        (old.na, old.unknown, old.prerequisite_failure) = (others[0], others[1], others[2]);
        (new.na, new.unknown, new.prerequisite_failure) = (others[3], others[4], others[5]);
        let got = query::judge(&old, &new);
        let unit = |v: u64| v.min(1);
        let plain = query::judge(&counts(unit(ps), unit(fs)), &counts(unit(pd), unit(fd)));
        prop_assert_eq!(got, plain);
        prop_assert_eq!(got.is_some(), query::is_candidate(&old, &new));
        let mirrored = query::judge(&new, &old).map(|j| (j.verdict, j.strong));
        let expected = got.map(|j| {
            let verdict = match j.verdict {
                Verdict::Breaks => Verdict::Fixed,
                Verdict::Fixed => Verdict::Breaks,
                Verdict::Mixed => Verdict::Mixed,
            };
            (verdict, j.strong)
        });
        prop_assert_eq!(mirrored, expected);
        if let Some(j) = got {
            prop_assert!(!(j.strong && j.verdict == Verdict::Mixed));
            if j.verdict == Verdict::Breaks {
                prop_assert!(ps > 0 && fd > 0);
            }
            if j.verdict == Verdict::Fixed {
                prop_assert!(fs > 0 && pd > 0);
            }
        }
    }
}

#[test]
fn prerequisite_failures_are_counted_apart() {
    let c = bbc_fixture();
    let s = query::summary(&c, "Prereq-Dist", Some("1.0")).unwrap();
    assert_eq!((s.pass, s.fail, s.prerequisite_failure), (1, 0, 1));
    assert_eq!(s.legacy().fail, 1);
    let all = query::summary(&c, "Broken-Dist", None).unwrap();
    assert_eq!(all.total(), 10);
    assert_eq!(all.legacy().pass, 5);
    let m = query::matrix(&c, "Broken-Dist", "2.0").unwrap();
    assert_eq!(m[0].perl, "5.43.9");
    assert_eq!(m[0].osname, "freebsd");
    assert_eq!(m.len(), 6);
    assert_eq!(
        query::summary(&c, "No-Such", None).unwrap(),
        Counts::default()
    );
}

#[test]
fn beforemaintrelease_snapshot() {
    let c = bbc_fixture();
    let out = query::beforemaintrelease(
        &c,
        &PerlVersion::parse("5.42.0").unwrap(),
        &PerlVersion::parse("5.43.9").unwrap(),
        "2026-08-22T13:14:39",
    )
    .unwrap();
    let expected = r#"{
   "!ALL":{
      "5.43.9":12,
      "datetime":"2026-08-22T13:14:39",
      "perls":[
         "5.42.0",
         "5.43.9"
      ],
      "totalrcdists":7
   },
   "!CAND":{
      "Broken-Dist":{
         "2.0":{
            "5.42.0":{
               "pass":2
            },
            "5.43.9":{
               "fail":3
            }
         }
      },
      "Fixed-Dist":{
         "0.5":{
            "5.42.0":{
               "fail":2
            },
            "5.43.9":{
               "pass":1
            }
         }
      }
   }
}
"#;
    assert_eq!(out, expected);
}

#[test]
fn duplicates_are_refused() {
    let mut c = conn();
    let a = rep("ABC-1", "Foo", "1", "5.42.0", "linux", "pass");
    let out = ingest::ingest(&mut c, &[a.clone(), a.clone()]).unwrap();
    assert_eq!(
        out,
        [
            Ingested::Stored("abc-1".into()),
            Ingested::Duplicate("abc-1".into())
        ]
    );
    let out = ingest::ingest(&mut c, &[a]).unwrap();
    assert_eq!(out, [Ingested::Duplicate("abc-1".into())]);
    assert_eq!(query::summary(&c, "Foo", None).unwrap().pass, 1);
    // Ids are generated when missing.
    let mut b = rep("x", "Foo", "1", "5.42.0", "linux", "fail");
    b.id = None;
    let out = ingest::ingest(&mut c, &[b]).unwrap();
    assert_eq!(out[0].id().len(), 36);
    let stored = store::report_json(&c, out[0].id()).unwrap().unwrap();
    assert_eq!(stored["distribution"]["name"], "Foo");
}

#[test]
fn an_invalid_report_writes_nothing() {
    let mut c = conn();
    let good = rep("g", "Foo", "1", "5.42.0", "linux", "pass");
    let bad = rep("b", "Foo", "1", "5.42.0", "linux", "PASSED!");
    match ingest::ingest(&mut c, &[good, bad]) {
        Err(ingest::IngestError::Invalid { index, errors }) => {
            assert_eq!(index, 1);
            assert_eq!(errors.errors[0].path, "/result/grade");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store::report_count(&c).unwrap(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// The maintained summary always equals a recount, whatever the batches and duplicates.
    #[test]
    fn summary_equals_recount(seed in any::<u64>(), sizes in prop::collection::vec(1usize..200, 1..6), dup in 0usize..20) {
        let mut c = conn();
        let mut g = Generator::new(seed, 40);
        let mut stored = 0usize;
        let mut previous: Vec<NewReport> = Vec::new();
        for n in sizes {
            let mut batch = g.batch(n);
            // Re-send some earlier reports: they must be refused.
            batch.extend(previous.iter().take(dup).cloned());
            let out = ingest::ingest(&mut c, &batch).unwrap();
            stored += out.iter().filter(|o| matches!(o, Ingested::Stored(_))).count();
            previous = batch;
        }
        prop_assert_eq!(store::report_count(&c).unwrap() as usize, stored);
        prop_assert_eq!(store::summary_rows(&c).unwrap(), store::recount(&c).unwrap());
        let total: u64 = query::perls(&c).unwrap().iter().map(|p| p.reports).sum();
        prop_assert_eq!(total as usize, stored);
    }
}

#[test]
fn generated_blead_breakage_is_found() {
    let mut c = conn();
    let mut g = Generator::new(42, 100);
    for _ in 0..6 {
        ingest::ingest(&mut c, &g.batch(5_000)).unwrap();
    }
    let b = query::bbc(&c, None, None).unwrap();
    let strong: Vec<&str> = b
        .candidates
        .iter()
        .filter(|e| e.strong && e.verdict == Verdict::Breaks)
        .map(|e| e.dist.as_str())
        .collect();
    let breaking = g.breaking_dists();
    assert!(!breaking.is_empty());
    // Every strong candidate with enough reports is a dist generated to break.
    let found = breaking.iter().filter(|d| strong.contains(d)).count();
    assert!(found > 0, "strong {strong:?} breaking {breaking:?}");
}

fn metabase_body(grade: &str, perl: &str, text: &str) -> String {
    let legacy = json!({"grade": grade, "osname": "linux", "osversion": "6.1.0",
        "archname": "x86_64-linux", "perl_version": perl, "textreport": text});
    let summary = json!({"grade": grade, "osname": "linux", "osversion": "6.1.0",
        "archname": "x86_64-linux", "perl_version": perl});
    let core = |ty: &str, guid: &str| {
        json!({"metadata": {"core": {"guid": guid, "type": ty,
        "resource": "cpan:///distfile/PREACTION/Yancy-1.004.tar.gz",
        "creator": "metabase:user:0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2",
        "creation_time": "2018-04-17T04:10:57Z", "update_time": "2018-04-17T04:10:57Z",
        "schema_version": 1, "valid": 1}}})
    };
    let mut l = core(
        "CPAN-Testers-Fact-LegacyReport",
        "11111111-0000-0000-0000-000000000001",
    );
    l["content"] = json!(legacy.to_string());
    let mut s = core(
        "CPAN-Testers-Fact-TestSummary",
        "11111111-0000-0000-0000-000000000002",
    );
    s["content"] = json!(summary.to_string());
    let mut top = core(
        "CPAN-Testers-Report",
        "AAAAAAAA-0000-0000-0000-000000000000",
    );
    top["content"] = json!(json!([l, s]).to_string());
    top.to_string()
}

#[test]
fn metabase_fact_is_converted() {
    let body = metabase_body("FAIL", "v5.43.9", PREREQ_TEXT);
    let f = parse_metabase_fact(body.as_bytes()).unwrap();
    assert_eq!(f.guid, "aaaaaaaa-0000-0000-0000-000000000000");
    assert_eq!(f.author, "PREACTION");
    assert_eq!(f.report.distribution.name, "Yancy");
    assert_eq!(f.report.distribution.version, "1.004");
    assert_eq!(f.report.environment.language.version, "5.43.9");
    assert_eq!(f.report.result.grade, "fail");
    let mut c = conn();
    ingest::ingest(&mut c, &[f.report]).unwrap();
    let s = query::summary(&c, "Yancy", Some("1.004")).unwrap();
    assert_eq!(s.prerequisite_failure, 1);
    assert!(parse_metabase_fact(b"{}").is_err());
    assert!(parse_metabase_fact(b"not json").is_err());
}

/// Builds the fact with Debian's Metabase::Fact and Test::Reporter (see the script); skipped
/// with a message when they are not installed.
#[test]
fn metabase_fact_built_by_perl() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/make-metabase-fact.pl"
    );
    let available = Command::new("perl")
        .args([
            "-MMetabase::Report",
            "-MTest::Reporter",
            "-MJSON::MaybeXS",
            "-e1",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !available {
        eprintln!("SKIPPED: install libmetabase-fact-perl and libtest-reporter-perl");
        return;
    }
    let out = Command::new("perl")
        .args([script, "fail", "v5.43.9"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = parse_metabase_fact(&out.stdout).unwrap();
    assert_eq!(f.author, "PREACTION");
    assert_eq!(
        f.creator,
        "metabase:user:0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2"
    );
    assert_eq!(f.report.distribution.name, "Yancy");
    assert_eq!(f.report.environment.language.version, "5.43.9");
    assert_eq!(f.report.environment.system.osname, "linux");
    assert!(f
        .report
        .result
        .output
        .uncategorized
        .as_deref()
        .unwrap()
        .contains("All tests successful"));
    let mut c = conn();
    let ids = ingest::ingest(&mut c, &[f.report]).unwrap();
    assert_eq!(ids[0].id(), f.guid);
    let stored = store::report_json(&c, &f.guid).unwrap().unwrap();
    assert_eq!(stored["result"]["grade"], "fail");
    assert_eq!(query::summary(&c, "Yancy", None).unwrap().fail, 1);
}
