//! The CPAN mirror over real HTTP: a repository with real uploads, the real server on
//! 127.0.0.1:0, requests over a TCP socket.

mod support;

use support::{repository_with_author, request, upload, RunningServer, TestResult};

const ARCHIVE: &str = "/authors/id/A/AL/ALICE/Foo-Bar-1.0.tar.gz";

/// A repository with one upload, and the server on it.
async fn started(
    dir: &std::path::Path,
) -> Result<(RunningServer, std::path::PathBuf), Box<dyn std::error::Error>> {
    let data = dir.join("data");
    let mut repository = repository_with_author(&data, "ALICE")?;
    upload(
        &mut repository,
        &dir.join("work"),
        "ALICE",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar"],
    )?;
    Ok((RunningServer::start(&data).await?, data))
}

#[tokio::test]
async fn serves_archives_indexes_and_checksums_as_stored() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, data) = started(dir.path()).await?;

    let archive = server.get(ARCHIVE).await?;
    assert_eq!(archive.status, 200);
    assert_eq!(
        archive.body,
        std::fs::read(data.join("cpan").join(&ARCHIVE[1..]))?
    );
    assert_eq!(archive.header("content-type"), Some("application/x-gzip"));
    assert_eq!(
        archive.header("content-length"),
        Some(archive.body.len().to_string().as_str())
    );
    assert_eq!(
        archive.header("cache-control"),
        Some("public, max-age=86400")
    );
    assert_eq!(archive.header("accept-ranges"), Some("bytes"));
    assert_eq!(archive.header("content-encoding"), None);
    let etag = archive.header("etag").ok_or("no ETag")?;
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    assert!(archive.header("last-modified").is_some());

    // Asking for gzip changes nothing: the bytes are what CHECKSUMS describes.
    let index = request(
        server.addr,
        "GET",
        "/modules/02packages.details.txt.gz",
        &[("Accept-Encoding", "gzip, br")],
    )
    .await?;
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-encoding"), None);
    assert_eq!(index.header("content-type"), Some("application/x-gzip"));
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!(&index.body[..2], b"\x1f\x8b");

    let plain = server.get("/modules/02packages.details.txt").await?;
    assert_eq!(
        plain.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(plain
        .text()
        .contains("File:         02packages.details.txt"));
    assert!(plain.text().contains("Foo::Bar"));

    let checksums = server.get("/authors/id/A/AL/ALICE/CHECKSUMS").await?;
    assert_eq!(checksums.status, 200);
    assert_eq!(
        checksums.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(checksums.header("cache-control"), Some("no-cache"));
    assert!(checksums.text().contains("'Foo-Bar-1.0.tar.gz' => {"));

    for path in [
        "/authors/01mailrc.txt.gz",
        "/modules/03modlist.data.gz",
        "/modules/06perms.txt",
    ] {
        assert_eq!(server.get(path).await?.status, 200, "{path}");
    }
    server.stop().await
}

#[tokio::test]
async fn head_has_the_headers_of_get_without_a_body() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, _) = started(dir.path()).await?;
    let get = server.get(ARCHIVE).await?;
    let head = request(server.addr, "HEAD", ARCHIVE, &[]).await?;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for name in ["content-length", "etag", "last-modified", "content-type"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    server.stop().await
}

#[tokio::test]
async fn conditional_requests_answer_304_only_for_the_same_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, data) = started(dir.path()).await?;
    let path = "/modules/02packages.details.txt.gz";
    let first = server.get(path).await?;
    let etag = first.header("etag").ok_or("no ETag")?.to_owned();
    let modified = first
        .header("last-modified")
        .ok_or("no Last-Modified")?
        .to_owned();

    let by_etag = request(server.addr, "GET", path, &[("If-None-Match", &etag)]).await?;
    assert_eq!(by_etag.status, 304);
    assert!(by_etag.body.is_empty());
    assert_eq!(by_etag.header("etag"), Some(etag.as_str()));
    let weak = format!("\"other\", W/{etag}");
    let by_weak = request(server.addr, "GET", path, &[("If-None-Match", &weak)]).await?;
    assert_eq!(by_weak.status, 304);
    let other = request(server.addr, "GET", path, &[("If-None-Match", "\"other\"")]).await?;
    assert_eq!(other.status, 200);

    let by_date = request(
        server.addr,
        "GET",
        path,
        &[("If-Modified-Since", &modified)],
    )
    .await?;
    assert_eq!(by_date.status, 304);
    // A date after Last-Modified is not "the same file": after a rollback the client must get
    // the older index again (ecosystem.md §1.7), so only an exact match is a 304.
    let later = "Fri, 31 Dec 2100 23:59:59 GMT";
    let by_later = request(server.addr, "GET", path, &[("If-Modified-Since", later)]).await?;
    assert_eq!(by_later.status, 200);
    // If-None-Match wins over If-Modified-Since.
    let both = request(
        server.addr,
        "GET",
        path,
        &[
            ("If-None-Match", "\"other\""),
            ("If-Modified-Since", &modified),
        ],
    )
    .await?;
    assert_eq!(both.status, 200);

    // A republished file (new mtime) no longer matches.
    let file = data.join("cpan/modules/02packages.details.txt.gz");
    let bytes = std::fs::read(&file)?;
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&file, &bytes)?;
    let after = request(server.addr, "GET", path, &[("If-None-Match", &etag)]).await?;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), Some(etag.as_str()));
    let after = request(
        server.addr,
        "GET",
        path,
        &[("If-Modified-Since", &modified)],
    )
    .await?;
    assert_eq!(after.status, 200);
    server.stop().await
}

#[tokio::test]
async fn single_byte_ranges() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, _) = started(dir.path()).await?;
    let whole = server.get(ARCHIVE).await?.body;
    let len = whole.len();

    let part = request(server.addr, "GET", ARCHIVE, &[("Range", "bytes=0-9")]).await?;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &whole[..10]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-9/{len}").as_str())
    );
    assert_eq!(part.header("content-length"), Some("10"));

    let tail = request(server.addr, "GET", ARCHIVE, &[("Range", "bytes=-5")]).await?;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, &whole[len - 5..]);

    let rest = request(server.addr, "GET", ARCHIVE, &[("Range", "bytes=10-")]).await?;
    assert_eq!(rest.body, &whole[10..]);

    let beyond = format!("bytes={len}-");
    let unsatisfiable = request(server.addr, "GET", ARCHIVE, &[("Range", &beyond)]).await?;
    assert_eq!(unsatisfiable.status, 416);
    assert_eq!(
        unsatisfiable.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );

    let several = request(server.addr, "GET", ARCHIVE, &[("Range", "bytes=0-1,4-5")]).await?;
    assert_eq!(several.status, 200);
    assert_eq!(several.body, whole);

    // If-Range with a stale validator: the whole (new) file.
    let stale = request(
        server.addr,
        "GET",
        ARCHIVE,
        &[("Range", "bytes=0-9"), ("If-Range", "\"stale\"")],
    )
    .await?;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, whole);
    let etag = server
        .get(ARCHIVE)
        .await?
        .header("etag")
        .ok_or("no ETag")?
        .to_owned();
    let fresh = request(
        server.addr,
        "GET",
        ARCHIVE,
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
    )
    .await?;
    assert_eq!(fresh.status, 206);
    server.stop().await
}

#[tokio::test]
async fn path_traversal_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, data) = started(dir.path()).await?;
    // Something outside the tree worth stealing.
    std::fs::write(data.join("secret.txt"), "secret")?;

    for path in [
        "/authors/../riverpan.sqlite",
        "/authors/id/../../secret.txt",
        "/modules/..%2f..%2fsecret.txt",
        "/authors/%2e%2e/secret.txt",
        "/authors/%2E%2E/%2E%2E/secret.txt",
        "/authors/id/A/AL/ALICE/..%5c..%5csecret.txt",
        "/authors/./01mailrc.txt.gz",
        "/authors/id/A%00/x",
        "/backpan/authors/../../secret.txt",
    ] {
        let response = server.get(path).await?;
        assert!(
            response.status == 400 || response.status == 404,
            "{path}: {}",
            response.status
        );
        assert!(!response.text().contains("secret"), "{path}");
    }
    // Absolute-looking paths stay inside the tree.
    assert_eq!(server.get("/authors//etc/passwd").await?.status, 404);

    // A symbolic link inside the tree that points out of it is not followed.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            data.join("secret.txt"),
            data.join("cpan/authors/id/A/AL/ALICE/leak.txt"),
        )?;
        std::os::unix::fs::symlink(data.join("cpan"), data.join("cpan/modules/loop"))?;
        let leak = server.get("/authors/id/A/AL/ALICE/leak.txt").await?;
        assert_eq!(leak.status, 404);
        assert!(!leak.text().contains("secret"));
        // A link that stays inside the tree is fine.
        let inside = server.get("/modules/loop/modules/06perms.txt").await?;
        assert_eq!(inside.status, 200);
    }

    // No directory listings.
    assert_eq!(server.get("/authors/id/A/AL/ALICE/").await?.status, 404);
    assert_eq!(server.get("/authors/id/A/AL/ALICE").await?.status, 404);
    assert_eq!(
        server
            .get("/authors/id/A/AL/ALICE/nope.tar.gz")
            .await?
            .status,
        404
    );
    server.stop().await
}

#[tokio::test]
async fn backpan_serves_deleted_files_then_the_live_tree() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, data) = started(dir.path()).await?;
    let gone = data.join("backpan/authors/id/A/AL/ALICE/Foo-Bar-0.9.tar.gz");
    std::fs::create_dir_all(gone.parent().ok_or("parent")?)?;
    std::fs::write(&gone, b"old release")?;

    let deleted = server
        .get("/backpan/authors/id/A/AL/ALICE/Foo-Bar-0.9.tar.gz")
        .await?;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, b"old release");
    assert_eq!(
        server
            .get("/authors/id/A/AL/ALICE/Foo-Bar-0.9.tar.gz")
            .await?
            .status,
        404
    );
    let live = server.get(&format!("/backpan{ARCHIVE}")).await?;
    assert_eq!(live.status, 200);
    assert_eq!(live.body, server.get(ARCHIVE).await?.body);
    assert_eq!(
        server
            .get("/backpan/modules/02packages.details.txt.gz")
            .await?
            .status,
        404
    );
    server.stop().await
}

#[tokio::test]
async fn mirror_requests_are_counted_by_route() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (server, _) = started(dir.path()).await?;
    server.get(ARCHIVE).await?;
    server.get("/authors/id/nope").await?;
    let metrics = server.get("/metrics").await?.text();
    assert!(
        metrics.contains(r#"riverpan_http_requests_total{path="/authors/{*path}",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"riverpan_http_requests_total{path="/authors/{*path}",status="404"} 1"#)
    );
    assert!(metrics
        .contains(r#"riverpan_http_request_duration_seconds_count{path="/authors/{*path}"} 2"#));
    assert!(metrics.contains("riverpan_index_age_seconds "));
    assert!(metrics.contains("riverpan_upload_queue_depth 0\n"));
    server.stop().await
}
