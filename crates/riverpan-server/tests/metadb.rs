//! cpanmetadb (`/v1.0/package/`, `/v1.0/history/`) over real HTTP, on a repository with real
//! uploads; the answers follow new uploads without a restart.

mod support;

use support::{eventually, repository_with_author, upload, RunningServer, TestResult};

#[tokio::test]
async fn package_answers_yaml_with_distfile_provides_and_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    let mut repository = repository_with_author(&data, "ALICE")?;
    upload(
        &mut repository,
        &work,
        "ALICE",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar", "Foo::Bar::Util", "Foo::Bar::Quux"],
    )?;
    let server = RunningServer::start(&data).await?;

    let found = server.get("/v1.0/package/Foo::Bar::Util").await?;
    assert_eq!(found.status, 200);
    assert_eq!(found.header("content-type"), Some("text/yaml"));
    assert_eq!(
        found.text(),
        "---\n\
         distfile: A/AL/ALICE/Foo-Bar-1.0.tar.gz\n\
         provides:\n\
         \x20 Foo::Bar: 1.0\n\
         \x20 Foo::Bar::Quux: 1.0\n\
         \x20 Foo::Bar::Util: 1.0\n\
         version: 1.0\n"
    );

    // Exact case, as cpanmetadb.
    for missing in ["/v1.0/package/foo::bar", "/v1.0/package/No::Such"] {
        let response = server.get(missing).await?;
        assert_eq!(response.status, 404, "{missing}");
        assert_eq!(response.text(), "Not found\n");
        assert_eq!(response.header("content-type"), Some("text/plain"));
    }

    // A new release is answered without a restart.
    upload(
        &mut repository,
        &work,
        "ALICE",
        "Foo-Bar",
        "1.1",
        &["Foo::Bar", "Foo::Bar::Util"],
    )?;
    let newer = eventually(&server, "/v1.0/package/Foo::Bar", |response| {
        response.text().contains("version: 1.1\n")
    })
    .await?;
    assert_eq!(
        newer.text(),
        "---\n\
         distfile: A/AL/ALICE/Foo-Bar-1.1.tar.gz\n\
         provides:\n\
         \x20 Foo::Bar: 1.1\n\
         \x20 Foo::Bar::Util: 1.1\n\
         version: 1.1\n"
    );
    // Foo::Bar::Quux is not in 1.1: it stays indexed to 1.0.
    let quux = server.get("/v1.0/package/Foo::Bar::Quux").await?;
    assert!(
        quux.text()
            .contains("distfile: A/AL/ALICE/Foo-Bar-1.0.tar.gz\n"),
        "{}",
        quux.text()
    );
    server.stop().await
}

#[tokio::test]
async fn history_lists_every_index_entry_oldest_first() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    let mut repository = repository_with_author(&data, "ALICE")?;
    for version in ["1.0", "1.1", "2.0"] {
        upload(
            &mut repository,
            &work,
            "ALICE",
            "Foo-Bar",
            version,
            &["Foo::Bar"],
        )?;
    }
    let server = RunningServer::start(&data).await?;
    let history = server.get("/v1.0/history/Foo::Bar").await?;
    assert_eq!(history.status, 200);
    assert_eq!(history.header("content-type"), Some("text/plain"));
    assert_eq!(
        history.text(),
        "Foo::Bar                            1.0  A/AL/ALICE/Foo-Bar-1.0.tar.gz\n\
         Foo::Bar                            1.1  A/AL/ALICE/Foo-Bar-1.1.tar.gz\n\
         Foo::Bar                            2.0  A/AL/ALICE/Foo-Bar-2.0.tar.gz\n"
    );
    // The line parses as cpanm parses it: /^$module\s+(\S+)\s+(\S+)$/.
    for line in history.text().lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "{line}");
    }
    let missing = server.get("/v1.0/history/No::Such").await?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "Not found\n");
    server.stop().await
}

#[tokio::test]
async fn an_empty_repository_answers_404_not_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let response = server.get("/v1.0/package/Foo").await?;
    assert_eq!(response.status, 404);
    assert_eq!(response.text(), "Not found\n");
    let metrics = server.get("/metrics").await?.text();
    assert!(metrics.contains("riverpan_index_packages 0\n"), "{metrics}");
    server.stop().await
}

/// Many lookups at once (on one runtime: what the bench measures at scale) are all answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lookups() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut repository = repository_with_author(&data, "ALICE")?;
    upload(
        &mut repository,
        &dir.path().join("work"),
        "ALICE",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar"],
    )?;
    let server = RunningServer::start(&data).await?;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            support::request(addr, "GET", "/v1.0/package/Foo::Bar", &[])
                .await
                .map(|r| r.status)
                .map_err(|e| e.to_string())
        }));
    }
    for task in tasks {
        assert_eq!(task.await??, 200);
    }
    server.stop().await
}
