//! Policy `proposed` (seed 004, "Proposed future behavior"): one test per point.

mod common;

use common::*;
use riverpan_indexer::{Change, Policy, StatusCode};

fn repo() -> Repo {
    Repo::with_policy(Policy::Proposed)
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn step1_distpkg_registered_and_uploader_lacks_it_stops_before_anything() {
    let mut repo = repo();
    repo.upload("OWNER", "Foo-Bar-1.0.tar.gz", dist(&[("Foo::Bar", "1.0")]));
    repo.state.take_changes();
    let report = repo.upload(
        "INTRUDER",
        "Foo-Bar-2.0.tar.gz",
        dist(&[("Foo::Bar", "2.0"), ("Brand::New", "2.0")]),
    );
    assert!(report.no_distname_permission);
    assert!(report.stopped_before_examination);
    assert!(report.packages.is_empty(), "nothing examined");
    assert!(
        repo.state.take_changes().is_empty(),
        "nothing recorded, not even Brand::New"
    );
    assert_eq!(report.status(), StatusCode::EDistNamePerm);
    assert!(report.should_mail(), "the stop reason is reported");
    let text = words(&report.render_text());
    assert!(text.contains("for the package Foo::Bar"));
    assert!(text.contains("belongs to OWNER (first-come)"));
    assert!(text.contains("ask OWNER to make you a co-maintainer of Foo::Bar"));
    assert!(text.contains("Processing stopped before any package was examined"));
}

#[test]
fn step1_also_applies_to_developer_releases() {
    let mut repo = repo();
    repo.upload("OWNER", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]));
    repo.state.take_changes();
    let report = repo.upload(
        "INTRUDER",
        "Foo-1.1_01.tar.gz",
        skipped(
            dist(&[("Foo", "1.1_01"), ("Foo::Extra", "1.1_01")]),
            "developer_release",
            "dev",
        ),
    );
    assert!(report.stopped_before_examination);
    assert!(repo.state.take_changes().is_empty());
}

#[test]
fn step3_permissions_are_assigned_and_logged_for_developer_releases_then_stop() {
    let mut repo = repo();
    let report = repo.upload(
        "ALICE",
        "Foo-1.0_01.tar.gz",
        skipped(
            dist(&[("Foo", "1.0_01"), ("Foo::Util", "1.0_01")]),
            "developer_release",
            "This is a developer release.",
        ),
    );
    assert!(
        repo.index().is_empty(),
        "a developer release is not indexed"
    );
    assert_eq!(repo.perms_of("Foo"), fc("ALICE", &[]));
    assert_eq!(repo.perms_of("Foo::Util"), fc("ALICE", &[]));
    assert!(report.permission_changes.contains(&Change::PrimeurInsert(
        riverpan_indexer::PrimeurRow {
            package: "Foo".into(),
            userid: "ALICE".into()
        }
    )));
    assert!(
        report.should_mail(),
        "permission assignments are logged and mailed"
    );
    assert!(report
        .render_text()
        .contains("Permissions recorded by this upload:"));
    assert_eq!(report.status(), StatusCode::EDevRelease);
    // The journal holds the committed permission rows.
    assert!(!repo.state.take_changes().is_empty());
}

#[test]
fn step3_x_authority_gets_first_come_and_uploader_comaint() {
    let mut repo = repo();
    let mut inspection = dist(&[("Foo", "1.0")]);
    inspection.x_authority = Some("cpan:BOSS".into());
    repo.upload("ALICE", "Foo-1.0.tar.gz", inspection);
    assert_eq!(repo.perms_of("Foo"), fc("BOSS", &["ALICE"]));
    assert_eq!(repo.index(), pairs(&[("Foo", "1.0")]));
}

#[test]
fn step3_rollback_when_uploader_still_lacks_the_distpkg() {
    let mut repo = repo();
    let report = repo.upload("ALICE", "Foo-Bar-1.0.tar.gz", dist(&[("Foo::Baz", "1.0")]));
    assert!(report.no_distname_permission);
    assert!(!report.stopped_before_examination);
    assert!(
        !report.rolled_back.is_empty(),
        "the assignment for Foo::Baz was rolled back"
    );
    assert!(repo.state.perms().next().is_none());
    assert!(repo.state.take_changes().is_empty());
    assert!(report.should_mail(), "a rollback is reported");
    let text = report.render_text();
    assert!(text.contains("Rolled back"));
    assert!(words(&text).contains("Nobody owns Foo::Bar yet"));
}

#[test]
fn step3_x_private_packages_are_not_indexed() {
    let mut repo = repo();
    let mut inspection = dist_by_meta(&[
        ("Foo", "1.0", "lib/Foo.pm"),
        ("Foo::Internal", "1.0", "lib/Foo/Internal.pm"),
    ]);
    if let Some(private) = inspection.packages.get_mut("Foo::Internal") {
        private.x_private = true;
    }
    let report = repo.upload("ALICE", "Foo-1.0.tar.gz", inspection);
    assert_eq!(repo.index(), pairs(&[("Foo", "1.0")]));
    assert_eq!(report.private_packages, vec!["Foo::Internal".to_string()]);
    // "for any packages found": the private package's name is still claimed.
    assert_eq!(repo.perms_of("Foo::Internal"), fc("ALICE", &[]));
    assert!(report.render_text().contains("x_private"));
}

#[test]
fn step3_x_private_is_indexed_under_pause() {
    let mut repo = Repo::new();
    let mut inspection = dist_by_meta(&[
        ("Foo", "1.0", "lib/Foo.pm"),
        ("Foo::Internal", "1.0", "lib/Foo/Internal.pm"),
    ]);
    if let Some(private) = inspection.packages.get_mut("Foo::Internal") {
        private.x_private = true;
    }
    repo.upload("ALICE", "Foo-1.0.tar.gz", inspection);
    assert_eq!(repo.index().len(), 2);
}

#[test]
fn step3_indexing_conditions_are_pauses() {
    let mut repo = repo();
    repo.upload("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]));
    let report = repo.upload("ALICE", "Foo-0.9.tar.gz", dist(&[("Foo", "0.9")]));
    assert_eq!(report.status(), StatusCode::EVerFalling);
    repo.primeur("Other", "BOB");
    let report = repo.upload(
        "ALICE",
        "Foo-1.1.tar.gz",
        dist(&[("Foo", "1.1"), ("Other", "1.1")]),
    );
    assert_eq!(report.status(), StatusCode::EMissPerm);
    assert_eq!(repo.index(), pairs(&[("Foo", "1.1")]));
}

#[test]
fn step4_no_mail_when_nothing_was_logged() {
    let mut repo = repo();
    repo.upload(
        "ALICE",
        "Foo-1.0_01.tar.gz",
        skipped(dist(&[("Foo", "1.0_01")]), "developer_release", "dev"),
    );
    // A second trial with nothing new: no permission assigned, nothing indexed, no mail.
    let report = repo.upload(
        "ALICE",
        "Foo-1.0_02.tar.gz",
        skipped(dist(&[("Foo", "1.0_02")]), "developer_release", "dev"),
    );
    assert!(report.permission_changes.is_empty());
    assert!(!report.should_mail());
    // Under pause the first trial would not have been mailed either, nor recorded.
    let mut pause = Repo::new();
    let report = pause.upload(
        "ALICE",
        "Foo-1.0_01.tar.gz",
        skipped(dist(&[("Foo", "1.0_01")]), "developer_release", "dev"),
    );
    assert!(!report.should_mail());
    assert!(pause.state.perms().next().is_none());
}

#[test]
fn step4_indexing_results_are_mailed() {
    let mut repo = repo();
    let report = repo.upload("ALICE", "Foo-1.0.tar.gz", dist(&[("Foo", "1.0")]));
    assert!(report.should_mail());
    assert_eq!(
        report.subject(),
        "PAUSE indexer report ALICE/Foo-1.0.tar.gz"
    );
}

#[test]
fn unstable_meta_counts_as_a_trial_release() {
    let mut repo = repo();
    let report = repo.upload(
        "ALICE",
        "Foo-1.0.tar.gz",
        skipped(
            dist(&[("Foo", "1.0")]),
            "meta_unstable",
            "META release_status is not stable",
        ),
    );
    assert!(repo.index().is_empty());
    assert_eq!(repo.perms_of("Foo"), fc("ALICE", &[]));
    assert!(report.should_mail());
}
