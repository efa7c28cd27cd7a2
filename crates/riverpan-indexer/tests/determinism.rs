//! The rebuild rests on these: the same uploads in the same order give the same rows; the
//! journal replayed onto the loaded rows gives the mutated state; random histories never panic
//! and never give one exact package two first-come owners.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use riverpan_indexer::{
    index_upload, IndexOptions, IndexState, PackageRow, PermRow, Policy, PrimeurRow, Upload,
};
use riverpan_inspect::DistInspection;

const USERS: [&str; 3] = ["ALICE", "BOB", "CAROL"];
const PACKAGES: [&str; 7] = [
    "Foo",
    "foo",
    "Foo::Bar",
    "Bar",
    "Baz::Qux",
    "baz::qux",
    "Foo::Bar::Baz",
];
const VERSIONS: [&str; 10] = [
    "undef",
    "0",
    "0.000",
    "1.0",
    "1.1",
    "2",
    "v1.2.3",
    "1.2_3",
    "1.0-beta",
    "12345678901234567",
];
const SKIPS: [Option<&str>; 5] = [None, None, None, Some("developer_release"), Some("no_meta")];

/// One step of a random history.
#[derive(Clone, Debug)]
enum Step {
    Upload {
        user: usize,
        dist_name: usize,
        packages: Vec<(usize, usize, bool)>,
        skip: usize,
        authority: Option<usize>,
        mtime: i64,
        by_meta: bool,
    },
    Grant {
        package: usize,
        user: usize,
        first_come: bool,
    },
    Revoke {
        package: usize,
        user: usize,
    },
    Forget {
        step: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (
            0..USERS.len(),
            0..PACKAGES.len() + 1,
            prop::collection::vec((0..PACKAGES.len(), 0..VERSIONS.len(), any::<bool>()), 0..4),
            0..SKIPS.len(),
            prop::option::of(0..USERS.len()),
            0i64..50,
            any::<bool>(),
        )
            .prop_map(|(user, dist_name, packages, skip, authority, mtime, by_meta)| Step::Upload {
                user,
                dist_name,
                packages,
                skip,
                authority,
                mtime,
                by_meta,
            }),
        1 => (0..PACKAGES.len(), 0..USERS.len(), any::<bool>())
            .prop_map(|(package, user, first_come)| Step::Grant { package, user, first_come }),
        1 => (0..PACKAGES.len(), 0..USERS.len()).prop_map(|(package, user)| Step::Revoke { package, user }),
        1 => (0usize..20).prop_map(|step| Step::Forget { step }),
    ]
}

fn upload_of(index: usize, step: &Step) -> Option<(Upload, DistInspection)> {
    let Step::Upload {
        user,
        dist_name,
        packages,
        skip,
        authority,
        mtime,
        by_meta,
    } = step
    else {
        return None;
    };
    let name = PACKAGES
        .get(*dist_name)
        .copied()
        .unwrap_or("Un-Related")
        .replace("::", "-");
    let userid = USERS[*user];
    let dev = SKIPS[*skip] == Some("developer_release");
    let file = format!(
        "{name}-{index}.{}{}.tar.gz",
        index % 7,
        if dev { "_01" } else { "" }
    );
    let upload = Upload {
        uploader: userid.to_string(),
        dist: format!("{}/{file}", author_dir(userid)),
        mtime: *mtime,
    };
    let list: Vec<(&str, &str)> = packages
        .iter()
        .map(|(p, v, _)| (PACKAGES[*p], VERSIONS[*v]))
        .collect();
    let mut inspection = if *by_meta {
        let triples: Vec<(&str, &str, String)> = list
            .iter()
            .map(|(p, v)| (*p, *v, format!("lib/{}.pm", p.replace("::", "/"))))
            .collect();
        let borrowed: Vec<(&str, &str, &str)> = triples
            .iter()
            .map(|(p, v, f)| (*p, *v, f.as_str()))
            .collect();
        dist_by_meta(&borrowed)
    } else {
        dist(&list)
    };
    for (p, _, private) in packages {
        if let Some(found) = inspection.packages.get_mut(PACKAGES[*p]) {
            found.x_private = *private;
        }
    }
    if let Some(code) = SKIPS[*skip] {
        inspection = skipped(inspection, code, "skipped");
    }
    inspection.x_authority = authority.map(|a| format!("cpan:{}", USERS[a]));
    Some((upload, inspection))
}

/// Runs a history; returns the state (journal not taken).
fn run(initial: &IndexState, steps: &[Step], policy: Policy) -> IndexState {
    let mut state = initial.clone();
    let mut dists: Vec<String> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        match step {
            Step::Upload { .. } => {
                if let Some((upload, inspection)) = upload_of(index, step) {
                    dists.push(upload.dist.clone());
                    index_upload(&mut state, &upload, &inspection, &IndexOptions { policy });
                }
            }
            Step::Grant {
                package,
                user,
                first_come,
            } => state.grant(PACKAGES[*package], USERS[*user], *first_come),
            Step::Revoke { package, user } => state.revoke(PACKAGES[*package], USERS[*user]),
            Step::Forget { step } => {
                if let Some(dist) = dists.get(*step % dists.len().max(1)) {
                    state.forget_dist(&dist.clone());
                }
            }
        }
    }
    state
}

type Rows = (Vec<PackageRow>, Vec<PermRow>, Vec<PrimeurRow>);

fn rows(state: &IndexState) -> Rows {
    (
        state.packages().cloned().collect(),
        state.perms().cloned().collect(),
        state.primeurs().cloned().collect(),
    )
}

fn loaded() -> IndexState {
    let mut state = IndexState::new();
    state.load_primeur(PrimeurRow {
        package: "Bar".into(),
        userid: "CAROL".into(),
    });
    state.load_perm(PermRow {
        package: "Bar".into(),
        userid: "CAROL".into(),
    });
    state.load_perm(PermRow {
        package: "Foo::Bar".into(),
        userid: "BOB".into(),
    });
    state.load_package(PackageRow {
        package: "Bar".into(),
        version: "1.0".into(),
        dist: "C/CA/CAROL/Bar-1.0.tar.gz".into(),
        file: "lib/Bar.pm".into(),
        dist_mtime: 25,
    });
    state
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Pause), Just(Policy::Proposed)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn same_history_same_rows(steps in prop::collection::vec(step(), 0..20), policy in policy()) {
        let first = run(&loaded(), &steps, policy);
        let second = run(&loaded(), &steps, policy);
        prop_assert_eq!(rows(&first), rows(&second));
    }

    #[test]
    fn journal_replayed_on_loaded_rows_gives_the_same_state(steps in prop::collection::vec(step(), 0..20), policy in policy()) {
        let initial = loaded();
        let mut mutated = run(&initial, &steps, policy);
        let journal = mutated.take_changes();
        let mut replica = initial.clone();
        replica.apply_changes(&journal);
        prop_assert_eq!(rows(&replica), rows(&mutated));
    }

    #[test]
    fn never_two_first_come_owners_for_one_exact_package(steps in prop::collection::vec(step(), 0..20), policy in policy()) {
        let state = run(&loaded(), &steps, policy);
        let mut owners: BTreeMap<String, usize> = BTreeMap::new();
        for row in state.primeurs() {
            *owners.entry(row.package.clone()).or_default() += 1;
        }
        prop_assert!(owners.values().all(|count| *count == 1), "{:?}", owners);
        // and every indexed package has somebody who may upload it
        for row in state.packages() {
            let _ = state.owners(&row.package);
        }
    }

    #[test]
    fn reports_render_without_panicking(steps in prop::collection::vec(step(), 1..10), policy in policy()) {
        let mut state = loaded();
        for (index, step) in steps.iter().enumerate() {
            if let Some((upload, inspection)) = upload_of(index, step) {
                let report = index_upload(&mut state, &upload, &inspection, &IndexOptions { policy });
                let text = report.render_text();
                prop_assert!(text.ends_with("__END__\n"));
                prop_assert!(report.subject().contains("PAUSE indexer report"));
                let _ = report.should_mail();
                prop_assert!(serde_json::to_string(&report).is_ok());
            }
        }
    }
}

#[test]
fn take_changes_per_upload_replays_too() {
    // The store takes the journal after every upload; the concatenation replays the same.
    let mut state = loaded();
    let mut replica = loaded();
    let mut repo_clock = 0;
    for (who, file, packages) in [
        ("ALICE", "Foo-1.0.tar.gz", vec![("Foo", "1.0")]),
        (
            "ALICE",
            "foo-1.1.tar.gz",
            vec![("foo", "1.1"), ("foo::Sub", "1")],
        ),
        ("BOB", "Foo-2.0.tar.gz", vec![("Foo", "2.0")]),
    ] {
        repo_clock += 10;
        let upload = Upload {
            uploader: who.into(),
            dist: format!("{}/{file}", author_dir(who)),
            mtime: repo_clock,
        };
        index_upload(
            &mut state,
            &upload,
            &dist(&packages),
            &IndexOptions {
                policy: Policy::Pause,
            },
        );
        replica.apply_changes(&state.take_changes());
        assert_eq!(rows(&replica), rows(&state));
    }
}
