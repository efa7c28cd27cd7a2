//! The river endpoints against a live server over a repository built from real uploads.

mod support;

use std::error::Error;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{repository_with_author, RunningServer};

type TestResult = Result<(), Box<dyn Error>>;

/// `dir/NAME-VERSION.tar.gz` with a META.json whose runtime (and test) `requires` are
/// `requires`, and one module per package.
fn dist_requiring(
    dir: &Path,
    name: &str,
    version: &str,
    packages: &[&str],
    requires: &[&str],
) -> Result<PathBuf, Box<dyn Error>> {
    let runtime: serde_json::Map<String, Value> = requires
        .iter()
        .map(|module| (module.to_string(), json!("0")))
        .collect();
    let meta = json!({
        "name": name, "version": version, "abstract": "test", "author": ["A <a@example.org>"],
        "license": ["perl_5"], "dynamic_config": 0, "release_status": "stable",
        "meta-spec": {"version": 2},
        "prereqs": {
            "runtime": {"requires": runtime, "recommends": {"Recommended::Only": "0"}},
            "test": {"requires": {"perl": "5.008"}},
            "develop": {"requires": {"Develop::Only": "0"}},
        },
    });
    support::make_dist_with_meta(dir, name, version, packages, &meta)
}

fn names(value: &Value) -> Vec<String> {
    value["dependents"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row["dist"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn river_endpoints_follow_the_index() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = repository_with_author(data.path(), "NEILB")?;
    let graph: &[(&str, &[&str], &[&str])] = &[
        ("Base", &["Base"], &[]),
        ("Mid", &["Mid"], &["Base"]),
        ("Top1", &["Top1"], &["Mid"]),
        ("Top2", &["Top2"], &["Mid", "Base", "Top2"]),
        ("Cyc-A", &["Cyc::A"], &["Cyc::B"]),
        ("Cyc-B", &["Cyc::B"], &["Cyc::A"]),
        ("Lonely", &["Lonely"], &["Missing::Module", "perl"]),
    ];
    for (name, packages, requires) in graph {
        let archive = dist_requiring(work.path(), name, "1.0", packages, requires)?;
        repository.upload("NEILB", &archive)?;
    }
    let server = RunningServer::start(data.path()).await?;

    let all = server.get("/api/v1/river").await?;
    assert_eq!(all.status, 200);
    let all = all.json();
    assert_eq!(
        all["Base"],
        json!({"immediate": 2, "total": 3, "bucket": 1})
    );
    assert_eq!(all["Mid"], json!({"immediate": 2, "total": 2, "bucket": 1}));
    assert_eq!(
        all["Top1"],
        json!({"immediate": 0, "total": 0, "bucket": 0})
    );
    // A cycle: each counts the other and itself.
    assert_eq!(
        all["Cyc-A"],
        json!({"immediate": 1, "total": 2, "bucket": 1})
    );
    // Only `requires` of configure/build/test/runtime: recommends and develop make no edge.
    assert_eq!(all.as_object().map(|m| m.len()), Some(7));

    let base = server.get("/api/v1/river/Base").await?;
    assert_eq!(base.status, 200);
    let base = base.json();
    assert_eq!(base["band"], "way downriver");
    assert_eq!(base["dependencies"], json!([]));
    let top2 = server.get("/api/v1/river/Top2").await?.json();
    assert_eq!(top2["dependencies"], json!(["Base", "Mid"]));
    assert_eq!(server.get("/api/v1/river/Nope").await?.status, 404);

    let top = server.get("/api/v1/river?top=2").await?.json();
    assert_eq!(top[0]["dist"], "Base");
    // Ties on total go to the one with more direct dependents.
    assert_eq!(top[1]["dist"], "Mid");

    let direct = server.get("/api/v1/rdeps/Base").await?.json();
    assert_eq!(direct["kind"], "dist");
    assert_eq!(names(&direct), ["Mid", "Top2"]);
    let deep = server.get("/api/v1/rdeps/Base?deep=1").await?.json();
    assert_eq!(names(&deep), ["Mid", "Top1", "Top2"]);
    assert_eq!(deep["count"], 3);
    let page = server
        .get("/api/v1/rdeps/Base?deep=1&per_page=1&page=2")
        .await?
        .json();
    assert_eq!(names(&page), ["Top1"]);
    assert_eq!(page["pages"], 3);
    let past_the_end = server
        .get("/api/v1/rdeps/Base?deep=1&per_page=2&page=9")
        .await?
        .json();
    assert_eq!(names(&past_the_end), Vec::<String>::new());
    assert_eq!(
        server.get("/api/v1/rdeps/Base?per_page=0").await?.status,
        400
    );
    assert_eq!(
        server.get("/api/v1/rdeps/Base?kind=bogus").await?.status,
        400
    );

    let module = server.get("/api/v1/rdeps/Cyc::A").await?.json();
    assert_eq!(module["kind"], "module");
    assert_eq!(module["provided_by"], "Cyc-A");
    assert_eq!(names(&module), ["Cyc-B"]);
    let as_module = server.get("/api/v1/rdeps/Base?kind=module").await?.json();
    assert_eq!(names(&as_module), ["Mid", "Top2"]);
    // Required but provided by nothing in the index: still answerable.
    let missing = server.get("/api/v1/rdeps/Missing::Module").await?.json();
    assert_eq!(names(&missing), ["Lonely"]);
    assert_eq!(missing["provided_by"], Value::Null);
    assert_eq!(server.get("/api/v1/rdeps/No::Such").await?.status, 404);
    let unresolved = server.get("/api/v1/river-unresolved").await?.json();
    assert_eq!(unresolved, json!({"Missing::Module": ["Lonely"]}));

    // A new release of Top1 requires Base directly instead of Mid: the river follows.
    let archive = dist_requiring(work.path(), "Top1", "2.0", &["Top1"], &["Base"])?;
    repository.upload("NEILB", &archive)?;
    let after = server.get("/api/v1/river").await?.json();
    assert_eq!(
        after["Mid"],
        json!({"immediate": 1, "total": 1, "bucket": 1})
    );
    assert_eq!(
        after["Base"],
        json!({"immediate": 3, "total": 3, "bucket": 1})
    );
    // The stored positions (what reports quote) follow too.
    let stored = riverpan_store::Store::open(data.path())?
        .reader()
        .river_position("Mid")?
        .ok_or("Mid has no stored position")?;
    assert_eq!((stored.immediate, stored.total), (1, 1));

    server.stop().await?;
    Ok(())
}
