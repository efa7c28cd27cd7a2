//! pause.md §5.2 (the indexing scenarios 1–46) and §5.3 (D1–D10) under policy `pause`: the
//! resulting packages rows, perms/primeur (06perms f/c view) and report essentials.
//!
//! What `riverpan inspect` decides (which packages and versions a dist yields: scenarios 3–5,
//! 7–9, 44–46 and D2–D4, D6 are about scanning) is given here as the inspection it produces;
//! riverpan-inspect's own tests check the scanning.

mod common;

use common::*;
use riverpan_indexer::{Change, PackageRow, StatusCode};

fn has(text: &str, pattern: &str) -> bool {
    text.contains(pattern)
}

/// A whitespace-tolerant search (PAUSE's tests use `\s+` between words).
fn has_words(text: &str, words: &str) -> bool {
    let squashed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    squashed.contains(words)
}

// ---------------------------------------------------------------- basics / first-come

#[test]
fn scenario_01_first_indexing_of_corpus_001() {
    let mut repo = Repo::new();
    let uploads = [
        (
            "OPRIME",
            "Bug-Gold-9.001.tar.gz",
            vec![("Bug::Gold", "9.001")],
        ),
        (
            "OPRIME",
            "XForm-Rollout-1.00.tar.gz",
            vec![("XForm::Rollout", "1.00")],
        ),
        (
            "XYZZY",
            "Hall-MtKing-0.01.tar.gz",
            vec![("Hall::MtKing", "0.01")],
        ),
        ("XYZZY", "Y-2.tar.gz", vec![("Y", "2")]),
        (
            "OOOPPP",
            "Jenkins-Hack-0.11.tar.gz",
            vec![("Jenkins::Hack", "0.11")],
        ),
        (
            "AAARGH",
            "Mooooooose-0.01.tar.gz",
            vec![("Mooooooose", "0.01")],
        ),
    ];
    let mut subjects = Vec::new();
    for (who, file, packages) in uploads {
        let report = repo.upload(who, file, dist(&packages));
        assert!(report.should_mail());
        subjects.push(report.subject());
    }
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "PAUSE indexer report AAARGH/Mooooooose-0.01.tar.gz",
            "PAUSE indexer report OOOPPP/Jenkins-Hack-0.11.tar.gz",
            "PAUSE indexer report OPRIME/Bug-Gold-9.001.tar.gz",
            "PAUSE indexer report OPRIME/XForm-Rollout-1.00.tar.gz",
            "PAUSE indexer report XYZZY/Hall-MtKing-0.01.tar.gz",
            "PAUSE indexer report XYZZY/Y-2.tar.gz",
        ]
    );
    assert_eq!(
        repo.index(),
        pairs(&[
            ("Bug::Gold", "9.001"),
            ("Hall::MtKing", "0.01"),
            ("Jenkins::Hack", "0.11"),
            ("Mooooooose", "0.01"),
            ("XForm::Rollout", "1.00"),
            ("Y", "2"),
        ])
    );
    assert_eq!(repo.perms_of("Bug::Gold"), fc("OPRIME", &[]));
    assert_eq!(repo.perms_of("XForm::Rollout"), fc("OPRIME", &[]));
    assert_eq!(repo.perms_of("Hall::MtKing"), fc("XYZZY", &[]));
    assert_eq!(repo.perms_of("Y"), fc("XYZZY", &[]));
    assert_eq!(repo.perms_of("Jenkins::Hack"), fc("OOOPPP", &[]));
    assert_eq!(repo.perms_of("Mooooooose"), fc("AAARGH", &[]));
}

#[test]
fn scenario_02_updates_to_existing_packages() {
    let mut repo = Repo::new();
    repo.upload(
        "MTRON",
        "Eye-Meeter-1.234.tar.gz",
        dist(&[("Eye::Meeter", "1.234")]),
    );
    assert_eq!(repo.index(), pairs(&[("Eye::Meeter", "1.234")]));
    let report = repo.upload(
        "MTRON",
        "Eye-Meeter-1.235.tar.gz",
        dist(&[("Eye::Meeter", "1.235")]),
    );
    assert_eq!(report.status(), StatusCode::Ok);
    assert_eq!(repo.index(), pairs(&[("Eye::Meeter", "1.235")]));
}

#[test]
fn scenario_03_package_block_and_version_forms() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "RJBS",
        "Pkg-Name-1.000.tar.gz",
        dist(&[
            ("Pkg::Name", "1.000"),
            ("Pkg::NameBlock", "1.000"),
            ("Pkg::NameVersion", "1.000"),
            ("Pkg::NameVersionBlock", "1.000"),
        ]),
    );
    assert_eq!(
        report.subject(),
        "PAUSE indexer report RJBS/Pkg-Name-1.000.tar.gz"
    );
    assert_eq!(repo.index().len(), 4);
}

#[test]
fn scenario_04_various_forms_of_version() {
    // inspect drops the files with 6.666june6, 6.66_6 and a bare vstring, with notes.
    let mut inspection = dist(&[("VVVVVV", "6.666"), ("VVVVVV::Lax", "6.006006")]);
    inspection.problems.push(riverpan_inspect::Problem {
        code: "dev_version_file".into(),
        message: "lib/VVVVVV/Dev.pm was skipped: its $VERSION 6.66_6 is a developer version".into(),
    });
    let mut repo = Repo::new();
    let report = repo.upload("RJBS", "VVVVVV-6.666.tar.gz", inspection);
    assert_eq!(
        report.subject(),
        "PAUSE indexer report RJBS/VVVVVV-6.666.tar.gz"
    );
    assert_eq!(
        repo.index(),
        pairs(&[("VVVVVV", "6.666"), ("VVVVVV::Lax", "6.006006")])
    );
    assert!(has(&report.render_text(), "VVVVVV/Dev.pm was skipped"));
}

#[test]
fn scenario_05_version_assigned_to_a_glob() {
    let mut repo = Repo::new();
    repo.upload(
        "LUNATIC",
        "Globby-Version-1.234.tar.gz",
        dist(&[
            ("Globby::Version", "1.234"),
            ("Globby::Version::Example", "0.003"),
        ]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[
            ("Globby::Version", "1.234"),
            ("Globby::Version::Example", "0.003")
        ])
    );
    assert_eq!(repo.perms_of("Globby::Version"), fc("LUNATIC", &[]));
    assert_eq!(
        repo.perms_of("Globby::Version::Example"),
        fc("LUNATIC", &[])
    );
}

#[test]
fn scenario_06_overlong_version() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "RJBS",
        "VTooLong-1.2345678901234567.tar.gz",
        dist(&[("VTooLong", "1.2345678901234567")]),
    );
    assert!(repo.index().is_empty());
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report RJBS/VTooLong-1.2345678901234567.tar.gz"
    );
    assert_eq!(report.status(), StatusCode::ELongVersion);
    assert!(report.should_mail());
    assert!(has(
        &report.render_text(),
        "Version string exceeds maximum allowed length"
    ));
    assert!(report
        .alerts
        .iter()
        .any(|alert| has(alert, "Version string exceeds maximum allowed length")));
}

#[test]
fn scenario_07_version_not_lax() {
    // The 0x1p-1 file is skipped by inspect ("error with version").
    let mut repo = Repo::new();
    repo.upload(
        "MONSTER",
        "Hex-Version-1.234.tar.gz",
        dist(&[("Hex::Version", "1.234")]),
    );
    assert_eq!(repo.index(), pairs(&[("Hex::Version", "1.234")]));
}

#[test]
fn scenario_08_comparison_is_not_assignment() {
    let mut repo = Repo::new();
    repo.upload(
        "PERSON",
        "Version-Cmp-1.234.tar.gz",
        dist(&[
            ("Version::Cmp", "1.234"),
            ("Version::Cmp::Example", "0.003"),
        ]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[
            ("Version::Cmp", "1.234"),
            ("Version::Cmp::Example", "0.003")
        ])
    );
    assert_eq!(repo.perms_of("Version::Cmp"), fc("PERSON", &[]));
    assert_eq!(repo.perms_of("Version::Cmp::Example"), fc("PERSON", &[]));
}

#[test]
fn scenario_09_bom_ignored() {
    let mut repo = Repo::new();
    repo.upload(
        "DANKOGAI",
        "Lingua-JA-Numbers-0.05.tar.gz",
        dist(&[("Lingua::JA::Numbers", "0.05")]),
    );
    assert_eq!(repo.index(), pairs(&[("Lingua::JA::Numbers", "0.05")]));
    assert_eq!(repo.perms_of("Lingua::JA::Numbers"), fc("DANKOGAI", &[]));
}

#[test]
fn scenario_10_capitalization_warning() {
    let mut inspection = dist(&[]);
    for (package, file) in [("More", "lib/more.pm"), ("Fewer", "lib/fewer.pm")] {
        inspection.packages.insert(
            package.into(),
            riverpan_inspect::InspectedPackage {
                version: "0.202".into(),
                file: file.into(),
                x_private: false,
            },
        );
    }
    let mut repo = Repo::new();
    let report = repo.upload("RJBS", "fewer-0.202.tar.gz", inspection);
    assert_eq!(
        repo.index(),
        pairs(&[("Fewer", "0.202"), ("More", "0.202")])
    );
    let text = report.render_text();
    assert!(has(&text, "Capitalization of package (Fewer)"));
    assert!(has(&text, "Capitalization of package (More)"));
    assert!(has(&text, "WARNING:  Some irregularities were found"));
    assert_eq!(
        report.subject(),
        "PAUSE indexer report RJBS/fewer-0.202.tar.gz"
    );
}

// ---------------------------------------------------------------- dist-level skips

#[test]
fn scenario_11_bare_pm_file() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "OPRIME",
        "Matrix.pm.gz",
        skipped(
            empty("x"),
            "bare_pm_file",
            "Bare .pm files are not indexed: upload a distribution made with 'make dist'.",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(report.should_mail());
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report OPRIME/Matrix.pm.gz"
    );
    assert_eq!(report.status(), StatusCode::EBarePmFile);
}

#[test]
fn scenario_12_release_status_not_stable() {
    let mut repo = Repo::new();
    let first = repo.upload(
        "OPRIME",
        "XForm-Rollout-1.202.tar.gz",
        dist(&[("XForm::Rollout", "1.202")]),
    );
    let second = repo.upload(
        "OPRIME",
        "Pie-Eater-1.23.tar.gz",
        dist(&[("Pie::Eater", "1.23")]),
    );
    assert_eq!(first.status(), StatusCode::Ok);
    assert_eq!(second.status(), StatusCode::Ok);
    let xform = repo.upload(
        "OPRIME",
        "XForm-Rollout-1.203.tar.gz",
        dist(&[("XForm::Rollout", "1.203")]),
    );
    let pie = repo.upload(
        "OPRIME",
        "Pie-Eater-1.24.tar.gz",
        skipped(dist(&[("Pie::Eater", "1.24")]), "meta_unstable", "META release_status is not stable (unstable): PAUSE treats the release as a trial and does not index it."),
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Pie::Eater", "1.23"), ("XForm::Rollout", "1.203")])
    );
    assert_eq!(
        xform.subject(),
        "PAUSE indexer report OPRIME/XForm-Rollout-1.203.tar.gz"
    );
    assert_eq!(
        pie.subject(),
        "Failed: PAUSE indexer report OPRIME/Pie-Eater-1.24.tar.gz"
    );
    assert!(pie.should_mail());
    assert!(has(&pie.render_text(), "META release_status is not stable"));
}

#[test]
fn scenario_13_no_meta_file() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "PERSON",
        "Not-Very-Meta-1.234.tar.gz",
        skipped(
            dist(&[("Not::Very::Meta", "1.234")]),
            "no_meta",
            "Distribution included neither META.json nor META.yml: PAUSE does not index it.",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(repo.state.perms().next().is_none());
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report PERSON/Not-Very-Meta-1.234.tar.gz"
    );
    assert!(has(
        &report.render_text(),
        "Distribution included neither META.json nor META.yml"
    ));
    assert_eq!(report.status(), StatusCode::ENoMetaFile);
}

fn developer_release(file: &str) {
    let mut repo = Repo::new();
    let report = repo.upload(
        "PERSON",
        file,
        skipped(
            dist(&[("Just::Testing", "1.22")]),
            "developer_release",
            "This is a developer release.",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(
        repo.state.perms().next().is_none(),
        "PAUSE records nothing for a dev release"
    );
    assert!(!report.should_mail());
    assert_eq!(report.status(), StatusCode::EDevRelease);
}

#[test]
fn scenario_14_developer_release_underscore() {
    developer_release("Just-Testing-1.2_2.tar.gz");
}

#[test]
fn scenario_15_developer_release_trial() {
    developer_release("Just-Testing-1.22-TRIAL.tar.gz");
}

#[test]
fn scenario_16_perl_like_release_is_not_indexed() {
    let mut repo = Repo::new();
    repo.upload("PLUGH", "Soft-Ware-2.tar.gz", dist(&[("Soft::Ware", "2")]));
    let report = repo.upload(
        "PLUGH",
        "perl-6.tar.gz",
        skipped(
            dist(&[("perl::rocks", "1")]),
            "perl_like_release",
            "Files named perl-<digits> that are not official perl releases are never indexed.",
        ),
    );
    assert!(!report.should_mail());
    assert_eq!(repo.index(), pairs(&[("Soft::Ware", "2")]));
}

#[test]
fn scenario_17_perl6_distribution_not_in_02packages() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "FROGGS",
        "Perl6/Inline-1.1.tar.gz",
        skipped(
            empty("x"),
            "perl6_distribution",
            "This is a Perl 6 (Raku) distribution.",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(!report.should_mail());
}

// ---------------------------------------------------------------- stealing and comaint

fn cannot_steal(primeur: bool, perms: bool) {
    let mut repo = Repo::new();
    if primeur {
        repo.primeur("Bug::Gold", "ATRION");
    }
    if perms {
        repo.perm("Bug::Gold", "ATRION");
    }
    repo.upload(
        "OPRIME",
        "XForm-Rollout-1.234.tar.gz",
        dist(&[("XForm::Rollout", "1.234")]),
    );
    assert_eq!(repo.index(), pairs(&[("XForm::Rollout", "1.234")]));
    assert_eq!(repo.perms_of("XForm::Rollout"), fc("OPRIME", &[]));
    let bug_gold = repo.perms_of("Bug::Gold");
    assert!(!bug_gold.1.contains(&"OPRIME".to_string()));
}

#[test]
fn scenario_18_cannot_steal_primeur_and_perms() {
    cannot_steal(true, true);
}

#[test]
fn scenario_19_cannot_steal_primeur_only() {
    cannot_steal(true, false);
}

#[test]
fn scenario_20_cannot_steal_perms_only() {
    cannot_steal(false, true);
}

fn jenkins_hack(version: &str) -> riverpan_inspect::DistInspection {
    dist(&[
        ("Jenkins::Hack", version),
        ("Jenkins::Hack2", version),
        ("Jenkins::Hack::Utils", version),
    ])
}

#[test]
fn scenario_21_cannot_steal_via_copy_main_perms() {
    let mut repo = Repo::new();
    repo.perm("Jenkins::Hack2", "ATRION");
    let report = repo.upload("HAXOR", "Jenkins-Hack-0.14.tar.gz", jenkins_hack("0.14"));
    assert_eq!(
        repo.index(),
        pairs(&[("Jenkins::Hack", "0.14"), ("Jenkins::Hack::Utils", "0.14")])
    );
    let hack2 = report
        .packages
        .iter()
        .find(|outcome| outcome.package == "Jenkins::Hack2")
        .map(|outcome| outcome.status);
    assert_eq!(hack2, Some(StatusCode::EMissPerm));
    assert_eq!(
        repo.perms_of("Jenkins::Hack2"),
        (None, vec!["ATRION".to_string()])
    );
}

#[test]
fn scenario_22_23_submodule_comaint() {
    let mut repo = Repo::new();
    repo.primeur("Jenkins::Hack2", "ATRION");
    repo.perm("Jenkins::Hack2", "ATRION");
    let report = repo.upload("OOOPPP", "Jenkins-Hack-0.14.tar.gz", jenkins_hack("0.14"));
    assert_eq!(
        repo.index(),
        pairs(&[("Jenkins::Hack", "0.14"), ("Jenkins::Hack::Utils", "0.14")])
    );
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report OOOPPP/Jenkins-Hack-0.14.tar.gz"
    );
    assert!(
        !report.alerts.is_empty(),
        "the admin mail: PAUSE upload indexing error"
    );
    let text = report.render_text();
    assert!(has_words(&text, "Not indexed because permission missing."));
    assert!(has_words(
        &text,
        "Current registered primary maintainer is ATRION."
    ));
    assert!(has_words(
        &text,
        "ask ATRION to make you a co-maintainer of Jenkins::Hack2"
    ));

    // step 2
    repo.perm("Jenkins::Hack2", "OOOPPP");
    let report = repo.upload("OOOPPP", "Jenkins-Hack-0.15.tar.gz", jenkins_hack("0.15"));
    assert_eq!(
        report.subject(),
        "PAUSE indexer report OOOPPP/Jenkins-Hack-0.15.tar.gz"
    );
    assert_eq!(repo.perms_of("Jenkins::Hack"), fc("OOOPPP", &[]));
    assert_eq!(repo.perms_of("Jenkins::Hack2"), fc("ATRION", &["OOOPPP"]));
    assert_eq!(repo.perms_of("Jenkins::Hack::Utils"), fc("OOOPPP", &[]));
}

#[test]
fn scenario_24_submodule_firstcome_case_variant() {
    let mut repo = Repo::new();
    repo.primeur("Acme::Study::Perl", "ANDK");
    repo.perm("Acme::Study::Perl", "ANDK");
    let mut inspection = dist(&[
        ("Acme::Playpen::Utilities", "undef"),
        ("Acme::Playpen::_common", "undef"),
        ("Acme::STUDY::PERL", "2.00"),
    ]);
    for package in ["Acme::Playpen", "Acme::odometer"] {
        inspection.packages.insert(
            package.into(),
            riverpan_inspect::InspectedPackage {
                version: "0.20".into(),
                file: "lib/Acme/Playpen.pm".into(),
                x_private: false,
            },
        );
    }
    let report = repo.upload("NEILB", "Acme-Playpen-2.00.tar.gz", inspection);
    assert_eq!(
        repo.index(),
        pairs(&[
            ("Acme::odometer", "0.20"),
            ("Acme::Playpen", "0.20"),
            ("Acme::Playpen::_common", "undef"),
            ("Acme::Playpen::Utilities", "undef"),
        ])
    );
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report NEILB/Acme-Playpen-2.00.tar.gz"
    );
    assert_eq!(report.status(), StatusCode::EMissPerm);
    assert!(!report.alerts.is_empty());
}

fn elk(uploader: &str) -> Repo {
    let mut repo = Repo::new();
    repo.upload("FCOME", "Elk-0.01.tar.gz", dist(&[("Elk", "0.01")]));
    assert_eq!(repo.index(), pairs(&[("Elk", "0.01")]));
    repo.perm("Elk", "CMAINT");
    repo.perm("Elk", "THIRD");
    assert_eq!(repo.perms_of("Elk"), fc("FCOME", &["CMAINT", "THIRD"]));
    let report = repo.upload(
        uploader,
        "Elk-0.02.tar.gz",
        dist(&[("Elk", "0.02"), ("Elk::Role", "0.02")]),
    );
    assert_eq!(
        report.subject(),
        format!("PAUSE indexer report {uploader}/Elk-0.02.tar.gz")
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Elk", "0.02"), ("Elk::Role", "0.02")])
    );
    assert_eq!(
        repo.perms_of("Elk::Role"),
        fc("FCOME", &["CMAINT", "THIRD"])
    );
    repo
}

#[test]
fn scenario_25_new_module_by_first_come_copies_comaints() {
    elk("FCOME");
}

#[test]
fn scenario_26_new_module_by_comaint_first_come_from_main() {
    elk("CMAINT");
}

#[test]
fn scenario_27_propagating_permissions() {
    let mut repo = Repo::new();
    repo.upload("BILBO", "Hobbit-0.001.tar.gz", dist(&[("Hobbit", "0.001")]));
    assert_eq!(repo.perms_of("Hobbit"), fc("BILBO", &[]));
    repo.perm("Hobbit", "FRODO");
    assert_eq!(repo.perms_of("Hobbit"), fc("BILBO", &["FRODO"]));
    repo.upload(
        "BILBO",
        "Hobbit-0.002.tar.gz",
        dist(&[("Breakfast", "0.002"), ("Hobbit", "0.002")]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Breakfast", "0.002"), ("Hobbit", "0.002")])
    );
    assert_eq!(repo.perms_of("Breakfast"), fc("BILBO", &["FRODO"]));
    repo.upload(
        "FRODO",
        "Hobbit-0.003.tar.gz",
        dist(&[
            ("Breakfast", "0.003"),
            ("Hobbit", "0.003"),
            ("Sting", "0.003"),
        ]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[
            ("Breakfast", "0.003"),
            ("Hobbit", "0.003"),
            ("Sting", "0.003")
        ])
    );
    assert_eq!(repo.perms_of("Sting"), fc("BILBO", &["FRODO"]));
}

#[test]
fn scenario_28_losing_first_come_part_a() {
    let mut repo = Repo::new();
    repo.primeur("Guide", "FORD");
    repo.perm("Guide", "ARTHUR");
    repo.upload("FORD", "Guide-0.001.tar.gz", dist(&[("Guide", "0.001")]));
    assert_eq!(repo.index(), pairs(&[("Guide", "0.001")]));
    assert_eq!(repo.perms_of("Guide"), fc("FORD", &["ARTHUR"]));
    repo.upload("ARTHUR", "Guide-0.002.tar.gz", dist(&[("Guide", "0.002")]));
    assert_eq!(repo.index(), pairs(&[("Guide", "0.002")]));
    assert_eq!(repo.perms_of("Guide"), fc("FORD", &["ARTHUR"]));
}

#[test]
fn scenario_29_losing_first_come_part_b() {
    let mut repo = Repo::new();
    repo.primeur("Guide", "FORD");
    repo.perm("Guide", "ARTHUR");
    repo.upload("ARTHUR", "Guide-0.001.tar.gz", dist(&[("Guide", "0.001")]));
    assert_eq!(repo.index(), pairs(&[("Guide", "0.001")]));
    assert_eq!(repo.perms_of("Guide"), fc("FORD", &["ARTHUR"]));
    // canonicalization gives the primeur-only owner a perms row too (#348)
    assert!(repo
        .state
        .perms()
        .any(|row| row.package == "Guide" && row.userid == "FORD"));
}

// ---------------------------------------------------------------- dist-name and case rules

#[test]
fn scenario_30_require_permission_on_main_module() {
    let mut repo = Repo::new();
    repo.upload(
        "UMAGNUS",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    let report = repo.upload(
        "UMAGNUS",
        "XFR-2.000.tar.gz",
        dist(&[("XForm::Rollout", "2.000")]),
    );
    assert_eq!(repo.index(), pairs(&[("XForm::Rollout", "1.00")]));
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report UMAGNUS/XFR-2.000.tar.gz"
    );
    assert!(report.no_distname_permission);
    assert!(!report.rolled_back.is_empty());
    assert!(repo.perms_of("XFR").0.is_none());
    assert!(!report.alerts.is_empty());
    let text = report.render_text();
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(has(&squashed, "for the package XFR"));
    let appear = squashed.find("You appear").expect("missing-.pm paragraph");
    let pm_file = squashed[appear..].find(".pm file").expect(".pm file") + appear;
    assert!(squashed[pm_file..].contains("dist name (XFR)"));
    let round = squashed
        .find("the other way round")
        .expect("other way round");
    assert!(squashed[round..].contains("XForm-Rollout-..."));
    assert_eq!(report.packages[0].status, StatusCode::EDistNamePerm);
    assert!(has_words(
        &text,
        "Not indexed; UMAGNUS not authorized for this distribution name"
    ));
    assert!(has_words(&text, "Nobody owns XFR yet"));
}

#[test]
fn scenario_31_permissions_case_conflict() {
    let mut repo = Repo::new();
    repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    let report = repo.upload(
        "XYZZY",
        "xform-rollout-2.00.tar.gz",
        dist(&[("xform::rollout", "2.00")]),
    );
    assert_eq!(repo.index(), pairs(&[("XForm::Rollout", "1.00")]));
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report XYZZY/xform-rollout-2.00.tar.gz"
    );
    assert!(!report.alerts.is_empty());
    assert_eq!(repo.perms_of("XForm::Rollout"), fc("OPRIME", &[]));
    assert!(repo.perms_of("xform::rollout").0.is_none());
    let text = report.render_text();
    assert!(has_words(
        &text,
        "The package xform::rollout belongs to OPRIME (first-come)"
    ));
}

#[test]
fn scenario_32_case_mismatch_authorized_for_original() {
    let mut repo = Repo::new();
    repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    let report = repo.upload(
        "OPRIME",
        "xform-rollout-2.00.tar.gz",
        dist(&[("xform::rollout", "2.00")]),
    );
    assert_eq!(
        report.subject(),
        "PAUSE indexer report OPRIME/xform-rollout-2.00.tar.gz"
    );
    assert_eq!(repo.index(), pairs(&[("xform::rollout", "2.00")]));
    assert_eq!(repo.perms_of("xform::rollout"), fc("OPRIME", &[]));
    assert!(repo.perms_of("XForm::Rollout").0.is_none());
}

#[test]
fn scenario_33_case_mismatch_descending_version() {
    let mut repo = Repo::new();
    repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    let report = repo.upload(
        "OPRIME",
        "xform-rollout-0.99.tar.gz",
        dist(&[("xform::rollout", "0.99")]),
    );
    assert_eq!(repo.index(), pairs(&[("XForm::Rollout", "1.00")]));
    assert_eq!(report.status(), StatusCode::EVerFalling);
    assert!(report.subject().starts_with("Failed: "));
    assert!(has_words(
        &report.render_text(),
        "has a higher version number (1.00)"
    ));
    assert!(!report.alerts.is_empty());
    assert_eq!(repo.perms_of("XForm::Rollout"), fc("OPRIME", &[]));
}

#[test]
fn scenario_34_case_changing_imports() {
    let mut repo = Repo::new();
    for package in ["Foo::Bar", "Foo::Bar::Baz"] {
        repo.primeur(package, "FCOME");
        repo.perm(package, "FCOME");
        repo.perm(package, "CMAINT");
    }
    repo.upload(
        "FCOME",
        "Foo-Bar-0.001.tar.gz",
        dist(&[("Foo::Bar", "0.001"), ("Foo::Bar::Baz", "0.001")]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Foo::Bar", "0.001"), ("Foo::Bar::Baz", "0.001")])
    );
    assert_eq!(repo.perms_of("Foo::Bar"), fc("FCOME", &["CMAINT"]));
    let report = repo.upload(
        "FCOME",
        "Foo-Bar-0.002.tar.gz",
        dist(&[("foo::bar", "0.002"), ("foo::bar::baz", "0.002")]),
    );
    assert_eq!(report.status(), StatusCode::Ok);
    assert_eq!(
        repo.index(),
        pairs(&[("foo::bar", "0.002"), ("foo::bar::baz", "0.002")])
    );
    let view = repo.perms_view();
    assert_eq!(view.len(), 2, "{view:?}");
    assert_eq!(repo.perms_of("foo::bar"), fc("FCOME", &["CMAINT"]));
    assert_eq!(repo.perms_of("foo::bar::baz"), fc("FCOME", &["CMAINT"]));
}

#[test]
fn scenario_35_case_conflicted_rows_are_kept_in_stable_order() {
    let mut repo = Repo::new();
    repo.state.load_package(PackageRow {
        package: "Bug::Gold".into(),
        version: "1.001".into(),
        dist: "O/OP/OPRIME/Bug-Gold-1.001.tar.gz".into(),
        file: "lib/Bug/Gold.pm".into(),
        dist_mtime: 1,
    });
    repo.state.load_package(PackageRow {
        package: "Bug::gold".into(),
        version: "0.001".into(),
        dist: "O/OP/OPRIME/Bug-gold-0.001.tar.gz".into(),
        file: "lib/Bug/gold.pm".into(),
        dist_mtime: 1,
    });
    let report = repo.upload(
        "OPRIME",
        "Bug-Gold-1.002.tar.gz",
        skipped(
            empty("x"),
            "corrupt_archive",
            "The archive cannot be indexed: garbage",
        ),
    );
    assert!(!report.should_mail());
    assert_eq!(
        repo.index(),
        pairs(&[("Bug::Gold", "1.001"), ("Bug::gold", "0.001")])
    );
    // A real upload of the name meets the conflict: EDBCONFLICT, both rows kept.
    repo.primeur("Bug::Gold", "OPRIME");
    let report = repo.upload(
        "OPRIME",
        "Bug-Gold-2.0.tar.gz",
        dist(&[("Bug::Gold", "2.0")]),
    );
    assert_eq!(report.status(), StatusCode::EDbConflict);
    assert_eq!(
        repo.index(),
        pairs(&[("Bug::Gold", "1.001"), ("Bug::gold", "0.001")])
    );
}

// ---------------------------------------------------------------- versions over time

#[test]
fn scenario_36_the_notorious_version_zero() {
    let mut repo = Repo::new();
    let base = 1_500_000_000;
    repo.upload_at(
        "CIPHER",
        "Zero-1.0.tar.gz",
        dist(&[("Zero", "0.000")]),
        base + 10,
    );
    assert_eq!(repo.index_with_dists()[0].2, "Zero-1.0.tar.gz");
    let older = repo.upload_at(
        "CIPHER",
        "Zero-1.1.tar.gz",
        dist(&[("Zero", "0.000")]),
        base + 5,
    );
    assert_eq!(repo.index_with_dists()[0].2, "Zero-1.0.tar.gz");
    assert_eq!(older.status(), StatusCode::EOldRelease);
    assert!(has_words(
        &older.render_text(),
        "also has a zero version number"
    ));
    repo.upload_at(
        "CIPHER",
        "Zero-1.2.tar.gz",
        dist(&[("Zero", "0.000")]),
        base + 15,
    );
    assert_eq!(repo.index_with_dists()[0].2, "Zero-1.2.tar.gz");
}

#[test]
fn scenario_37_provides_with_empty_file() {
    // inspect skips `Provides::NoFile::Nowhere {file: null}` and takes 1.5 from provides.
    let mut repo = Repo::new();
    let report = repo.upload(
        "MYSTERIO",
        "Provides-NoFile-0.50.tar.gz",
        dist_by_meta(&[("Provides::NoFile", "1.5", "lib/Provides/NoFile.pm")]),
    );
    assert!(report.meta_driven);
    assert_eq!(repo.index(), pairs(&[("Provides::NoFile", "1.5")]));
    assert_eq!(repo.perms_of("Provides::NoFile"), fc("MYSTERIO", &[]));
}

// ---------------------------------------------------------------- perl core

fn perl(packages: &[(&str, &str)]) -> riverpan_inspect::DistInspection {
    let mut inspection = dist(packages);
    inspection.problems.push(riverpan_inspect::Problem {
        code: "perl_release".into(),
        message: "This is a perl release".into(),
    });
    inspection
}

#[test]
fn scenario_38_perl_by_unauthorized_user() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        perl(&[("Perl::Core", "1.002")]),
    );
    assert!(repo.index().is_empty());
    assert!(!report.should_mail());
    assert!(report.alerts.iter().any(|alert| has(
        alert,
        "perl dist O/OP/OPRIME/perl-5.56.55.tar.gz from untrusted user OPRIME"
    )));
}

#[test]
fn scenario_39_a_new_perl_and_then_another() {
    let mut repo = Repo::new();
    repo.state.add_pumpking("OPRIME");
    let first = repo.upload(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        perl(&[("Perl::Core", "1.002"), ("Little::Buddy", "2.003")]),
    );
    assert_eq!(first.status(), StatusCode::Ok);
    assert_eq!(
        repo.index(),
        pairs(&[("Little::Buddy", "2.003"), ("Perl::Core", "1.002")])
    );
    let before = repo.index_with_dists();
    let mtime = repo.clock;
    repo.state.take_changes();
    repo.upload_at(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        perl(&[("Perl::Core", "1.002"), ("Little::Buddy", "2.003")]),
        mtime,
    );
    assert_eq!(repo.index_with_dists(), before);
    assert!(repo.state.take_changes().is_empty());
    repo.upload(
        "OPRIME",
        "perl-5.56.56.tar.gz",
        perl(&[
            ("Little::Buddy", "2.345"),
            ("Newly::Added", "3.000"),
            ("Perl::Core", "1.002"),
        ]),
    );
    for (_, _, dist) in repo.index_with_dists() {
        assert_eq!(dist, "perl-5.56.56.tar.gz");
    }
    assert_eq!(repo.index().len(), 3);
}

#[test]
fn scenario_40_perl_that_is_not_a_tarball() {
    let mut repo = Repo::new();
    repo.state.add_pumpking("OPRIME");
    let report = repo.upload(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        skipped(
            perl(&[]),
            "corrupt_archive",
            "The archive cannot be indexed: not gzip",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(!report.should_mail());
}

#[test]
fn scenario_41_perl_does_not_unseat_dual_life() {
    let mut repo = Repo::new();
    repo.state.add_pumpking("OPRIME");
    repo.upload(
        "OPRIME",
        "Little-Buddy-1.000.tar.gz",
        dist(&[("Little::Buddy", "1.000")]),
    );
    let report = repo.upload(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        perl(&[("Perl::Core", "1.002"), ("Little::Buddy", "2.003")]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Little::Buddy", "1.000"), ("Perl::Core", "1.002")])
    );
    let buddy = report
        .packages
        .iter()
        .find(|o| o.package == "Little::Buddy")
        .map(|o| o.status);
    assert_eq!(buddy, Some(StatusCode::EDualOlder));
    assert!(has_words(
        &report.render_text(),
        "seems to have a dual life"
    ));
}

#[test]
fn scenario_42_non_perl_replaces_perl() {
    let mut repo = Repo::new();
    repo.state.add_pumpking("OPRIME");
    repo.upload(
        "OPRIME",
        "perl-5.56.55.tar.gz",
        perl(&[("Little::Buddy", "2.000"), ("Perl::Core", "1.002")]),
    );
    repo.upload(
        "OPRIME",
        "Little-Buddy-3.000.tar.gz",
        dist(&[("Little::Buddy", "3.000")]),
    );
    let rows = repo.index_with_dists();
    assert!(rows.contains(&(
        "Little::Buddy".into(),
        "3.000".into(),
        "Little-Buddy-3.000.tar.gz".into()
    )));
}

#[test]
fn scenario_43_dev_version_module_in_perl_is_indexed() {
    let mut repo = Repo::new();
    repo.state.add_pumpking("SHAY");
    repo.upload("SHAY", "perl-5.20.2.tar.gz", perl(&[("POSIX", "1.38_03")]));
    assert_eq!(repo.index(), pairs(&[("POSIX", "1.38_03")]));
}

// ---------------------------------------------------------------- class / role

#[test]
fn scenario_44_class_syntax() {
    let mut repo = Repo::new();
    repo.upload(
        "RWP",
        "App-APA-0.230470.tar.gz",
        dist(&[("App::APA", "undef")]),
    );
    assert_eq!(repo.index(), pairs(&[("App::APA", "undef")]));
    assert_eq!(repo.perms_of("App::APA"), fc("RWP", &[]));
}

const CLASS_PACKAGES: [(&str, &str); 6] = [
    ("Test::Class", "undef"),
    ("Test::ClassBlock", "undef"),
    ("Test::ClassVersion", "0.01"),
    ("Test::ClassOurVersion", "0.02"),
    ("Test::ClassVersionBlock", "0.03"),
    ("Test::ClassBlockOurVersion", "0.04"),
];

#[test]
fn scenario_45_class_forms() {
    let mut repo = Repo::new();
    let report = repo.upload("SOMEONE", "Test-Class-0.01.tar.gz", dist(&CLASS_PACKAGES));
    assert_eq!(report.status(), StatusCode::Ok);
    assert_eq!(repo.index().len(), 6);
    for (package, _) in CLASS_PACKAGES {
        assert_eq!(repo.perms_of(package), fc("SOMEONE", &[]));
    }
}

#[test]
fn scenario_46_object_pad_class_and_role_forms() {
    let mut packages = CLASS_PACKAGES.to_vec();
    packages.extend([
        ("Test::ClassBlockAttr", "undef"),
        ("Test::ClassVersionAttr", "0.01"),
        ("Test::ClassVersionBlockAttr", "0.04"),
        ("Test::RoleBlock", "undef"),
        ("Test::RoleVersion", "0.01"),
        ("Test::RoleOurVersion", "0.02"),
        ("Test::RoleVersionBlock", "0.03"),
        ("Test::RoleBlockOurVersion", "0.04"),
        ("Test::Role", "undef"),
    ]);
    let mut repo = Repo::new();
    repo.upload("SOMEONE", "Test-Class-0.01.tar.gz", dist(&packages));
    assert_eq!(repo.index().len(), packages.len());
    assert!(repo
        .perms_view()
        .values()
        .all(|(first, comaints)| first.as_deref() == Some("SOMEONE") && comaints.is_empty()));
}

// ---------------------------------------------------------------- §5.3, derived from the code

#[test]
fn d1_new_dist_without_its_main_package_is_rolled_back() {
    let mut repo = Repo::new();
    let report = repo.upload("ALICE", "Foo-Bar-1.0.tar.gz", dist(&[("Foo::Baz", "1.0")]));
    assert!(report.no_distname_permission);
    assert!(repo.index().is_empty());
    assert!(repo.state.perms().next().is_none());
    assert!(repo.state.primeurs().next().is_none());
    assert!(
        repo.state.take_changes().is_empty(),
        "rolled-back changes are not journaled"
    );
    let text = report.render_text();
    assert!(has_words(&text, "You appear to be missing a .pm file containing a package matching the dist name (Foo::Bar)"));
    assert!(has_words(&text, "(eg. Foo-Baz-...)"));
    assert!(has_words(&text, "Nobody owns Foo::Bar yet"));
    assert_eq!(
        report.subject(),
        "Failed: PAUSE indexer report ALICE/Foo-Bar-1.0.tar.gz"
    );
    assert!(report.should_mail());
}

#[test]
fn d2_underscore_version_from_provides_is_indexed() {
    let mut repo = Repo::new();
    repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        dist_by_meta(&[("Foo", "1.2_3", "lib/Foo.pm")]),
    );
    assert_eq!(repo.index(), pairs(&[("Foo", "1.2_3")]));
}

#[test]
fn d3_provides_wins_over_no_index_package() {
    // inspect lists the package (no_index is ignored on the META path); the indexer indexes it.
    let mut repo = Repo::new();
    repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        dist_by_meta(&[
            ("Foo", "1.0", "lib/Foo.pm"),
            ("Foo::Hidden", "1.0", "lib/Foo/Hidden.pm"),
        ]),
    );
    assert_eq!(
        repo.index(),
        pairs(&[("Foo", "1.0"), ("Foo::Hidden", "1.0")])
    );
}

#[test]
fn d4_trial_zip_with_stable_meta_is_indexed() {
    let mut repo = Repo::new();
    let report = repo.upload("ALICE", "Foo-1.0-TRIAL.zip", dist(&[("Foo", "1.0")]));
    assert_eq!(report.status(), StatusCode::Ok);
    assert_eq!(repo.index(), pairs(&[("Foo", "1.0")]));
}

#[test]
fn d5_tar_xz_is_silently_ignored() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "ALICE",
        "Foo-1.0.tar.xz",
        skipped(
            dist(&[("Foo", "1.0")]),
            "not_a_distribution",
            "PAUSE indexes only .tar.gz, .tgz, .tar.bz2, .tbz, .tar.Z and .zip files",
        ),
    );
    assert!(!report.should_mail());
    assert!(repo.index().is_empty());
    assert!(repo.state.take_changes().is_empty());
}

#[test]
fn d6_dev_version_main_file_skipped_means_no_distname_permission() {
    let mut inspection = dist(&[("Foo::Bar::Helper", "1.23")]);
    inspection.problems.push(riverpan_inspect::Problem {
        code: "dev_version_file".into(),
        message: "lib/Foo/Bar.pm was skipped: its $VERSION 1.23_01 is a developer version".into(),
    });
    let mut repo = Repo::new();
    let report = repo.upload("ALICE", "Foo-Bar-1.23.tar.gz", inspection);
    assert!(report.no_distname_permission);
    assert!(repo.index().is_empty());
    assert!(has(&report.render_text(), "lib/Foo/Bar.pm was skipped"));
}

#[test]
fn d7_deleting_the_indexed_tarball_does_not_promote_older_releases() {
    let mut repo = Repo::new();
    repo.upload("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]));
    repo.upload(
        "ALICE",
        "Foo-1.1.tar.gz",
        dist(&[("Foo", "1.1"), ("Foo::New", "1.1")]),
    );
    repo.state.take_changes();
    repo.state.forget_dist("A/AL/ALICE/Foo-1.1.tar.gz");
    assert!(repo.index().is_empty());
    assert_eq!(
        repo.state.take_changes(),
        vec![
            Change::PackageDelete {
                package: "Foo".into()
            },
            Change::PackageDelete {
                package: "Foo::New".into()
            },
        ]
    );
    assert_eq!(repo.perms_of("Foo"), fc("ALICE", &[]), "permissions stay");
}

#[test]
fn d8_reindexing_the_same_upload_changes_nothing() {
    let mut repo = Repo::new();
    repo.upload_at("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]), 5);
    repo.state.take_changes();
    let again = repo.upload_at("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]), 5);
    assert_eq!(again.status(), StatusCode::Ok);
    assert!(repo.state.take_changes().is_empty());
}

#[test]
fn d9_equal_versions_newer_mtime_wins_whatever_the_order() {
    for (first_mtime, second_mtime, winner) in
        [(10, 20, "Bar-1.0.tar.gz"), (20, 10, "Foo-Baz-1.0.tar.gz")]
    {
        let mut repo = Repo::new();
        repo.upload_at(
            "ALICE",
            "Foo-Baz-1.0.tar.gz",
            dist(&[("Foo::Baz", "1.0"), ("Shared", "2.0")]),
            first_mtime,
        );
        repo.perm("Bar", "ALICE");
        repo.upload_at(
            "ALICE",
            "Bar-1.0.tar.gz",
            dist(&[("Bar", "1.0"), ("Shared", "2.0")]),
            second_mtime,
        );
        let shared = repo
            .index_with_dists()
            .into_iter()
            .find(|(package, _, _)| package == "Shared")
            .map(|(_, _, dist)| dist);
        assert_eq!(shared.as_deref(), Some(winner));
    }
}

#[test]
fn d10_comaint_of_main_gets_comaint_on_new_subpackage() {
    let mut repo = Repo::new();
    repo.upload("OWNER", "Main-1.0.tar.gz", dist(&[("Main", "1.0")]));
    repo.perm("Main", "HELPER");
    repo.upload(
        "HELPER",
        "Main-1.1.tar.gz",
        dist(&[("Main", "1.1"), ("Main::Sub", "1.1")]),
    );
    assert_eq!(repo.perms_of("Main::Sub"), fc("OWNER", &["HELPER"]));

    // with x_authority, first-come goes to the authority instead
    let mut repo = Repo::new();
    repo.upload("OWNER", "Main-1.0.tar.gz", dist(&[("Main", "1.0")]));
    repo.perm("Main", "HELPER");
    let mut inspection = dist(&[("Main", "1.1"), ("Main::Other", "1.1")]);
    inspection.x_authority = Some("cpan:BOSS".into());
    repo.upload("HELPER", "Main-1.1.tar.gz", inspection);
    assert_eq!(
        repo.perms_of("Main::Other"),
        fc("BOSS", &["HELPER", "OWNER"])
    );
}

// ---------------------------------------------------------------- further PAUSE rules

#[test]
fn bad_version_of_a_known_package_is_ebadversion() {
    let mut repo = Repo::new();
    repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        dist_by_meta(&[("Foo", "1.0", "lib/Foo.pm")]),
    );
    let report = repo.upload(
        "ALICE",
        "Foo-1.1.tar.gz",
        dist_by_meta(&[("Foo", "1.1-beta", "lib/Foo.pm")]),
    );
    assert_eq!(report.status(), StatusCode::EBadVersion);
    assert!(has_words(
        &report.render_text(),
        "is not a valid \"lax version\" string"
    ));
    assert_eq!(repo.index(), pairs(&[("Foo", "1.0")]));
}

#[test]
fn parse_error_version_is_eparseversion() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        dist(&[("Foo", "{\"line\":\"$VERSION = eval\",\"err\":\"x\"}")]),
    );
    assert_eq!(report.packages[0].status, StatusCode::EParseVersion);
    assert_eq!(report.packages[0].version, "undef");
}

#[test]
fn same_version_older_mtime_is_eoldrelease() {
    let mut repo = Repo::new();
    repo.upload_at("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]), 100);
    let report = repo.upload_at("ALICE", "Foo-1.0a.tar.gz", dist(&[("Foo", "1.0")]), 50);
    assert_eq!(report.status(), StatusCode::EOldRelease);
    assert!(has_words(
        &report.render_text(),
        "has the same version number"
    ));
}

#[test]
fn x_authority_gets_first_come_of_a_new_dist() {
    let mut repo = Repo::new();
    let mut inspection = dist(&[("Foo", "1.0")]);
    inspection.x_authority = Some("cpan:BOSS".into());
    repo.upload("ALICE", "Foo-1.0.tar.gz", inspection);
    assert_eq!(repo.perms_of("Foo"), fc("BOSS", &["ALICE"]));
}

#[test]
fn layout_refusal_is_reported_and_still_checks_the_dist_name() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        skipped(
            dist(&[("Foo", "1.0")]),
            "blib",
            "The distribution contains a blib/ directory. Hint: try 'make dist'.",
        ),
    );
    assert!(repo.index().is_empty());
    assert!(report.should_mail());
    assert!(
        report.no_distname_permission,
        "nothing was examined, so Foo is not claimed"
    );
    assert!(report.subject().starts_with("Failed: "));
}

#[test]
fn nothing_found_is_reported_like_pause() {
    let mut repo = Repo::new();
    let mut inspection = dist(&[]);
    inspection.method = Some(riverpan_inspect::IndexMethod::Files);
    repo.perm("Foo", "ALICE");
    let report = repo.upload("ALICE", "Foo-1.0.tar.gz", inspection);
    assert!(report.should_mail());
    assert!(report.subject().starts_with("Failed: "));
    assert!(has(
        &report.render_text(),
        "No or no indexable package statements could be found"
    ));
    // no .pm file and no provides at all: no report
    let mut inspection = dist(&[]);
    inspection.method = None;
    let report = repo.upload("ALICE", "Foo-1.1.tar.gz", inspection);
    assert!(!report.should_mail());
}
