//! Rendered reports for a person (insta snapshots): an OK upload, a permission refusal, the
//! dist-name rule with a missing main package, a falling version with a capitalization warning,
//! and the proposed policy's developer release.

mod common;

use common::*;
use riverpan_indexer::Policy;

#[test]
fn snapshot_ok_upload() {
    let mut repo = Repo::new();
    let report = repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    insta::assert_snapshot!(report.subject(), @"PAUSE indexer report OPRIME/XForm-Rollout-1.00.tar.gz");
    insta::assert_snapshot!("ok_upload", report.render_text());
}

/// An upload of a distribution way upriver: its place, the consensus's advice, and the exact
/// `riverpan smoke --downriver` command for the release (`--all` for few direct dependents,
/// `--top 20` for many).
#[test]
fn snapshot_upriver_upload_with_the_downriver_command() {
    let mut repo = Repo::new();
    let mut report = repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    report.river = Some(riverpan_indexer::RiverNote {
        dist: "XForm-Rollout".into(),
        immediate: 35,
        total: 1200,
        band: "way upriver".into(),
        advice: vec!["Test its dependents before a stable release.".into()],
        smoke_from: None,
    });
    let text = report.render_text();
    assert!(text.contains(
        "riverpan smoke --from URL --downriver OPRIME/XForm-Rollout-1.00.tar.gz --top 20"
    ));
    insta::assert_snapshot!("upriver_upload", text);
    if let Some(river) = report.river.as_mut() {
        river.immediate = 3;
    }
    assert!(report
        .render_text()
        .contains("riverpan smoke --from URL --downriver OPRIME/XForm-Rollout-1.00.tar.gz --all"));
    // With the riverpan's address configured, the command is exact.
    if let Some(river) = report.river.as_mut() {
        river.smoke_from = Some("https://cpan.example.org/".into());
    }
    let exact = report.render_text();
    assert!(exact.contains(
        "riverpan smoke --from https://cpan.example.org/ --downriver OPRIME/XForm-Rollout-1.00.tar.gz --all"
    ));
    assert!(!exact.contains("as URL"));
}

#[test]
fn snapshot_missing_permission() {
    let mut repo = Repo::new();
    repo.primeur("Jenkins::Hack2", "ATRION");
    repo.perm("Jenkins::Hack2", "ATRION");
    repo.perm("Jenkins::Hack2", "HELPER");
    let report = repo.upload(
        "OOOPPP",
        "Jenkins-Hack-0.14.tar.gz",
        dist(&[
            ("Jenkins::Hack", "0.14"),
            ("Jenkins::Hack2", "0.14"),
            ("Jenkins::Hack::Utils", "0.14"),
        ]),
    );
    insta::assert_snapshot!("missing_permission", report.render_text());
}

#[test]
fn snapshot_distname_rule() {
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
    insta::assert_snapshot!(
        "distname_rule",
        format!("{}\n\n{}", report.subject(), report.render_text())
    );
}

#[test]
fn snapshot_distname_owned_by_someone_else() {
    let mut repo = Repo::new();
    repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    repo.perm("XForm::Rollout", "HELPER");
    let report = repo.upload(
        "XYZZY",
        "xform-rollout-2.00.tar.gz",
        dist(&[("xform::rollout", "2.00")]),
    );
    insta::assert_snapshot!("distname_owned", report.render_text());
}

#[test]
fn snapshot_falling_version_and_capitalization() {
    let mut repo = Repo::new();
    repo.upload("RJBS", "fewer-0.300.tar.gz", dist(&[("Fewer", "0.300")]));
    let mut inspection = dist(&[]);
    inspection.packages.insert(
        "Fewer".into(),
        riverpan_inspect::InspectedPackage {
            version: "0.202".into(),
            file: "lib/fewer.pm".into(),
            x_private: false,
        },
    );
    inspection.packages.insert(
        "More".into(),
        riverpan_inspect::InspectedPackage {
            version: "0.202".into(),
            file: "lib/more.pm".into(),
            x_private: false,
        },
    );
    let report = repo.upload("RJBS", "fewer-0.202.tar.gz", inspection);
    insta::assert_snapshot!("falling_version", report.render_text());
}

#[test]
fn snapshot_proposed_developer_release() {
    let mut repo = Repo::with_policy(Policy::Proposed);
    let report = repo.upload(
        "ALICE",
        "Foo-1.0_01.tar.gz",
        skipped(dist(&[("Foo", "1.0_01"), ("Foo::Util", "1.0_01")]), "developer_release", "This is a developer release (its name has an underscore in the version or ends in -TRIAL): it is not indexed."),
    );
    insta::assert_snapshot!("proposed_developer_release", report.render_text());
}

/// The Berlin consensus' license nudge: none stated, and a non-OSI license in the middle of the
/// river; a downriver distribution's non-OSI license and an OSI license say nothing.
#[test]
fn snapshot_license_nudges() {
    let upload = |license: &[&str], band: Option<&str>| {
        let mut repo = Repo::new();
        let mut inspection = dist(&[("XForm::Rollout", "1.00")]);
        inspection.license = Some(license.iter().map(|name| name.to_string()).collect());
        let mut report = repo.upload("OPRIME", "XForm-Rollout-1.00.tar.gz", inspection);
        report.river = band.map(|band| riverpan_indexer::RiverNote {
            dist: "XForm-Rollout".into(),
            immediate: 12,
            total: 340,
            band: band.into(),
            advice: Vec::new(),
            smoke_from: None,
        });
        report
    };
    let unknown = upload(&["unknown"], None);
    insta::assert_snapshot!("license_unknown", unknown.license_nudge().join("\n"));
    assert_eq!(upload(&[], None).license_nudge(), unknown.license_nudge());
    assert!(unknown.render_text().contains("states no license"));

    let public_domain = upload(&["unrestricted"], Some("in the middle"));
    insta::assert_snapshot!("license_not_osi_midriver", public_domain.render_text());
    let gpl = upload(&["gpl_3"], Some("way upriver"));
    insta::assert_snapshot!("license_gpl_only_upriver", gpl.license_nudge().join("\n"));

    assert!(upload(&["unrestricted"], None).license_nudge().is_empty());
    assert!(upload(&["perl_5"], Some("way upriver"))
        .license_nudge()
        .is_empty());
    assert!(upload(&["gpl_3", "artistic_2"], Some("in the middle"))
        .license_nudge()
        .is_empty());
    // No META file, no nudge: the report already says why nothing was indexed.
    let mut repo = Repo::new();
    let report = repo.upload(
        "OPRIME",
        "XForm-Rollout-1.00.tar.gz",
        dist(&[("XForm::Rollout", "1.00")]),
    );
    assert!(report.license_nudge().is_empty());
}
