//! The JSON API under `/api/v1/` and its OpenAPI document, over real HTTP, on a repository with
//! real uploads.

mod support;

use serde_json::Value;
use support::{eventually, repository_with_author, upload, RunningServer, TestResult};

/// ALICE uploads Foo-Bar 1.0 and 1.1, BOB Baz 0.01; BOB is co-maintainer of Foo::Bar.
async fn started(dir: &std::path::Path) -> Result<RunningServer, Box<dyn std::error::Error>> {
    let data = dir.join("data");
    let work = dir.join("work");
    let mut repository = repository_with_author(&data, "ALICE")?;
    repository.add_author(&riverpan_store::AuthorRecord {
        userid: "BOB".into(),
        fullname: "Bob Builder".into(),
        email: None,
        pumpking: false,
    })?;
    upload(
        &mut repository,
        &work,
        "ALICE",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar", "Foo::Bar::Old"],
    )?;
    upload(
        &mut repository,
        &work,
        "ALICE",
        "Foo-Bar",
        "1.1",
        &["Foo::Bar"],
    )?;
    upload(&mut repository, &work, "BOB", "Baz", "0.01", &["Baz"])?;
    repository.grant("Foo::Bar", "BOB", false)?;
    RunningServer::start(&data).await
}

fn get<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in {value}"))
}

#[tokio::test]
async fn packages() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(dir.path()).await?;
    let response = eventually(&server, "/api/v1/packages/Foo::Bar", |response| {
        response.status == 200
    })
    .await?;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let package = response.json();
    assert_eq!(get(&package, "/package"), "Foo::Bar");
    assert_eq!(get(&package, "/version"), "1.1");
    assert_eq!(get(&package, "/distfile"), "A/AL/ALICE/Foo-Bar-1.1.tar.gz");
    assert_eq!(
        get(&package, "/download_url"),
        "/authors/id/A/AL/ALICE/Foo-Bar-1.1.tar.gz"
    );
    assert_eq!(get(&package, "/distribution"), "Foo-Bar");
    assert_eq!(get(&package, "/author"), "ALICE");
    assert_eq!(get(&package, "/file"), "lib/Foo/Bar.pm");
    assert_eq!(
        get(&package, "/permissions"),
        &serde_json::json!([
            { "userid": "ALICE", "permission": "f" },
            { "userid": "BOB", "permission": "c" },
        ])
    );
    assert_eq!(
        get(&package, "/history"),
        &serde_json::json!([
            { "version": "1.0", "distfile": "A/AL/ALICE/Foo-Bar-1.0.tar.gz" },
            { "version": "1.1", "distfile": "A/AL/ALICE/Foo-Bar-1.1.tar.gz" },
        ])
    );

    let missing = server.get("/api/v1/packages/No::Such").await?;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        serde_json::json!({ "error": "package No::Such is not indexed" })
    );
    server.stop().await
}

#[tokio::test]
async fn distributions_list_releases_newest_first() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(dir.path()).await?;
    let response = eventually(&server, "/api/v1/distributions/Foo-Bar", |response| {
        response.text().contains("Foo::Bar::Old")
    })
    .await?;
    assert_eq!(response.status, 200);
    let dist = response.json();
    assert_eq!(get(&dist, "/distribution"), "Foo-Bar");
    let releases = get(&dist, "/releases").as_array().ok_or("releases")?;
    assert_eq!(releases.len(), 2);
    assert_eq!(get(&releases[0], "/version"), "1.1");
    assert_eq!(get(&releases[1], "/version"), "1.0");
    assert_eq!(get(&dist, "/latest"), &releases[0]);
    assert_eq!(get(&releases[0], "/state"), "indexed");
    assert_eq!(get(&releases[0], "/author"), "ALICE");
    assert_eq!(get(&releases[0], "/maturity"), "released");
    assert_eq!(
        get(&releases[0], "/sha256").as_str().map(str::len),
        Some(64)
    );
    assert_eq!(
        get(&releases[0], "/packages"),
        &serde_json::json!([{ "package": "Foo::Bar", "version": "1.1" }])
    );
    // 1.0 still provides the package 1.1 dropped.
    assert_eq!(
        get(&releases[1], "/packages"),
        &serde_json::json!([{ "package": "Foo::Bar::Old", "version": "1.0" }])
    );
    assert!(get(&releases[0], "/uploaded_at")
        .as_str()
        .is_some_and(|date| date.ends_with('Z')));

    // "Foo" is a prefix of "Foo-Bar" but no distribution.
    let missing = server.get("/api/v1/distributions/Foo").await?;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    server.stop().await
}

#[tokio::test]
async fn authors_with_distributions_and_permissions() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(dir.path()).await?;
    let response = eventually(&server, "/api/v1/authors/bob", |response| {
        response.text().contains("Foo::Bar")
    })
    .await?;
    assert_eq!(response.status, 200);
    let bob = response.json();
    assert_eq!(get(&bob, "/userid"), "BOB");
    assert_eq!(get(&bob, "/fullname"), "Bob Builder");
    assert_eq!(
        get(&bob, "/distributions"),
        &serde_json::json!([{
            "distribution": "Baz", "releases": 1, "latest_version": "0.01",
            "latest_distfile": "B/BO/BOB/Baz-0.01.tar.gz",
        }])
    );
    assert_eq!(
        get(&bob, "/permissions"),
        &serde_json::json!([
            { "package": "Baz", "permission": "f" },
            { "package": "Foo::Bar", "permission": "c" },
        ])
    );
    let alice = server.get("/api/v1/authors/ALICE").await?.json();
    assert_eq!(get(&alice, "/distributions/0/releases"), 2);
    assert_eq!(get(&alice, "/distributions/0/latest_version"), "1.1");
    assert_eq!(get(&alice, "/email"), "alice@example.org");
    assert_eq!(server.get("/api/v1/authors/NOBODY").await?.status, 404);
    server.stop().await
}

#[tokio::test]
async fn permissions_as_06perms_rows() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(dir.path()).await?;
    let response = server.get("/api/v1/permissions/foo::bar").await?;
    assert_eq!(response.status, 200);
    assert_eq!(
        get(&response.json(), "/permissions"),
        &serde_json::json!([
            { "package": "Foo::Bar", "userid": "ALICE", "permission": "f" },
            { "package": "Foo::Bar", "userid": "BOB", "permission": "c" },
        ])
    );
    assert_eq!(
        server.get("/api/v1/permissions/No::Such").await?.status,
        404
    );
    server.stop().await
}

#[tokio::test]
async fn uploads_and_reports() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut repository = repository_with_author(&data, "ALICE")?;
    let indexed = upload(
        &mut repository,
        &dir.path().join("work"),
        "ALICE",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar"],
    )?;
    // Stored but not indexed: waiting in the queue.
    let archive = support::make_dist(&dir.path().join("work"), "Foo-Bar", "1.1", &["Foo::Bar"])?;
    let queued = repository
        .store_upload("ALICE", "Foo-Bar-1.1.tar.gz", &std::fs::read(archive)?)?
        .upload_id;
    let server = RunningServer::start(&data).await?;

    let done = server.get(&format!("/api/v1/uploads/{indexed}")).await?;
    assert_eq!(done.status, 200);
    let done = done.json();
    assert_eq!(get(&done, "/id"), indexed);
    assert_eq!(get(&done, "/state"), "indexed");
    assert_eq!(get(&done, "/distfile"), "A/AL/ALICE/Foo-Bar-1.0.tar.gz");
    assert_eq!(get(&done, "/queue_position"), &Value::Null);
    assert!(get(&done, "/report/text")
        .as_str()
        .is_some_and(|text| text.contains("Foo::Bar")));
    assert!(get(&done, "/report/json").is_object());

    let waiting = server
        .get(&format!("/api/v1/uploads/{queued}"))
        .await?
        .json();
    assert_eq!(get(&waiting, "/state"), "queued");
    assert_eq!(get(&waiting, "/queue_position"), 0);
    assert_eq!(get(&waiting, "/report"), &Value::Null);

    let report = server.get(&format!("/api/v1/reports/{indexed}")).await?;
    assert_eq!(report.status, 200);
    assert_eq!(get(&report.json(), "/upload_id"), indexed);
    let text = support::request(
        server.addr,
        "GET",
        &format!("/api/v1/reports/{indexed}"),
        &[("Accept", "text/plain")],
    )
    .await?;
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(text.text().contains("Foo::Bar"));
    assert_eq!(
        server
            .get(&format!("/api/v1/reports/{queued}"))
            .await?
            .status,
        404
    );

    assert_eq!(server.get("/api/v1/uploads/999").await?.status, 404);
    let bad = server.get("/api/v1/uploads/abc").await?;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].is_string());

    let metrics = server.get("/metrics").await?.text();
    assert!(
        metrics.contains("riverpan_upload_queue_depth 1\n"),
        "{metrics}"
    );
    server.stop().await
}

/// Every path of the OpenAPI document is a route of the server (not the 404 fallback).
#[tokio::test]
async fn openapi_paths_exist() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(dir.path()).await?;
    let response = server.get("/api/v1/openapi.json").await?;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let document = response.json();
    assert_eq!(get(&document, "/openapi"), "3.1.0");
    assert_eq!(get(&document, "/info/version"), "9.8.7-test");
    let paths = get(&document, "/paths").as_object().ok_or("paths")?;
    for required in [
        "/authors/{path}",
        "/modules/{path}",
        "/backpan/authors/{path}",
        "/v1.0/package/{module}",
        "/v1.0/history/{module}",
        "/api/v1/packages/{name}",
        "/api/v1/distributions/{name}",
        "/api/v1/authors/{id}",
        "/api/v1/permissions/{package}",
        "/api/v1/uploads/{id}",
        "/api/v1/reports/{id}",
        "/pause/authenquery",
        "/api/upload",
        "/api/v1/deletions",
        "/api/v1/deletions/{id}",
        "/api/v1/permissions/{package}/comaints",
        "/api/v1/permissions/{package}/comaints/{userid}",
        "/api/v1/permissions/{package}/transfer",
        "/api/v1/permissions/{package}/give-up",
        "/api/v1/permissions/{package}/markers",
        "/api/v1/permissions/{package}/log",
        "/api/v1/distributions/{name}/permissions/comaints",
        "/api/v1/distributions/{name}/permissions/transfer",
        "/api/v1/transfers/{id}/accept",
        "/api/v1/distributions/{name}/adoption",
        "/api/v1/adoptions/{id}/decision",
        "/metrics",
    ] {
        assert!(paths.contains_key(required), "{required} is not documented");
    }
    for (template, operations) in paths {
        let operations = operations.as_object().ok_or("operations")?;
        for method in operations.keys() {
            // Fill the parameters: the answer may be a 404 of the route (unknown package),
            // but never the router's own "not found" or a 405.
            let path = template
                .replace("{path}", "x")
                .replace("{module}", "Foo::Bar")
                .replace("{name}", "Foo-Bar")
                .replace("{id}", "1")
                .replace("{package}", "Foo::Bar")
                .replace("{dist}", "Foo-Bar")
                .replace("{version}", "1.23")
                .replace("{author}", "NEILB")
                .replace("{userid}", "OTHER")
                .replace("{guid}", "2f5e8a36-6e0c-4e47-9a3b-1d2f3c4b5a69");
            let response =
                support::request(server.addr, &method.to_uppercase(), &path, &[]).await?;
            assert_ne!(response.status, 405, "{method} {path}");
            assert!(
                !(response.status == 404
                    && response.text() == "not found\n"
                    && !template.contains("{path}")),
                "{method} {template} is documented but not routed"
            );
        }
    }
    server.stop().await
}
