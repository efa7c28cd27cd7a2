//! The public web pages through the real server: home and search, a distribution, its matrix,
//! the reports of a cell, one report, an upload, an author, Blead Breaks CPAN with its JSON and
//! CSV exports, the river; with hostile strings in everything a user controls.

mod support;

use std::error::Error;
use std::path::{Path, PathBuf};

use riverpan_repository::Repository;
use riverpan_store::AuthorRecord;
use serde_json::{json, Value};
use support::{HttpResponse, RunningServer};

type TestResult = Result<(), Box<dyn Error>>;

/// Markup an attacker would like to see on the page.
const HOSTILE: &str = "<script>alert(\"x\")</script> & 'q'";

/// `dir/NAME-VERSION.tar.gz` with a META.json (a hostile abstract and author, runtime
/// `requires`) and one module per package.
fn make_dist(
    dir: &Path,
    name: &str,
    version: &str,
    packages: &[&str],
    requires: &[&str],
) -> Result<PathBuf, Box<dyn Error>> {
    let runtime: serde_json::Map<String, Value> = requires
        .iter()
        .map(|module| (module.to_string(), json!("1.0")))
        .collect();
    let meta = json!({
        "name": name, "version": version, "abstract": HOSTILE, "author": [HOSTILE],
        "license": ["perl_5"], "dynamic_config": 0, "release_status": "stable",
        "meta-spec": {"version": 2},
        "prereqs": {
            "runtime": {"requires": runtime},
            "test": {"requires": {"Test::More": "0.88"}},
        },
    });
    support::make_dist_with_meta(dir, name, version, packages, &meta)
}

/// A v3 report of `dist` `version` on `perl`/`osname` with `grade` and `text`.
fn report(dist: &str, version: &str, perl: &str, osname: &str, grade: &str, text: &str) -> Value {
    json!({
        "reporter": {"name": HOSTILE, "email": "tester@example.org"},
        "environment": {
            "language": {"name": "Perl 5", "version": perl, "archname": "x86_64-linux"},
            "system": {"osname": osname, "osversion": "6.1"}
        },
        "distribution": {"name": dist, "version": version},
        "result": {"grade": grade, "output": {"uncategorized": text}}
    })
}

/// Ingests reports through `riverpan_testers::ingest`; returns their ids.
fn ingest(data: &Path, reports: &[Value]) -> Result<Vec<String>, Box<dyn Error>> {
    let mut conn = riverpan_testers::store::open(data)?;
    let mut valid = Vec::new();
    for value in reports {
        valid.push(riverpan_testers::ingest::validate(value)?);
    }
    let done = riverpan_testers::ingest(&mut conn, &valid)?;
    Ok(done
        .into_iter()
        .map(|outcome| match outcome {
            riverpan_testers::Ingested::Stored(id) | riverpan_testers::Ingested::Duplicate(id) => {
                id
            }
        })
        .collect())
}

/// Every page: HTML, the CSP, and no markup that came from data.
fn assert_safe_page(response: &HttpResponse, what: &str) {
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/html")),
        "{what}: content type {:?}",
        response.header("content-type")
    );
    assert_eq!(
        response.header("content-security-policy"),
        Some(riverpan_web::CONTENT_SECURITY_POLICY),
        "{what}: CSP"
    );
    let body = response.text();
    assert!(!body.contains("<script"), "{what}: raw <script> in\n{body}");
    assert!(!body.contains("alert(\"x\")"), "{what}: unescaped quote");
}

struct Fixture {
    _data: tempfile::TempDir,
    _work: tempfile::TempDir,
    server: RunningServer,
    fail_id: String,
    pass_id: String,
    base_upload: i64,
}

async fn fixture() -> Result<Fixture, Box<dyn Error>> {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    for (userid, fullname) in [("NEILB", HOSTILE), ("ETHER", "Karen")] {
        repository.add_author(&AuthorRecord {
            userid: userid.into(),
            fullname: fullname.into(),
            email: Some(format!("{}@example.org", userid.to_lowercase())),
            pumpking: false,
        })?;
    }
    let base = make_dist(work.path(), "Foo-Base", "1.0", &["Foo::Base"], &[])?;
    let base_upload = repository.upload("NEILB", &base)?.upload_id;
    let newer = make_dist(work.path(), "Foo-Base", "1.1", &["Foo::Base"], &[])?;
    repository.upload("NEILB", &newer)?;
    let app = make_dist(
        work.path(),
        "Foo-App",
        "2.0",
        &["Foo::App", "Foo::App::Helper"],
        &["Foo::Base"],
    )?;
    repository.upload("ETHER", &app)?;
    let top = make_dist(work.path(), "Foo-Top", "0.1", &["Foo::Top"], &["Foo::App"])?;
    repository.upload("ETHER", &top)?;
    drop(repository);

    let ids = ingest(
        data.path(),
        &[
            report(
                "Foo-App",
                "2.0",
                "5.40.0",
                "linux",
                "pass",
                "All tests successful",
            ),
            report(
                "Foo-App",
                "2.0",
                "5.40.0",
                "linux",
                "pass",
                "All tests successful",
            ),
            report(
                "Foo-App",
                "2.0",
                "5.41.5",
                "linux",
                "fail",
                &format!("t/basic.t .. {HOSTILE}\nFailed 1/1"),
            ),
            report("Foo-App", "2.0", "5.41.5", "freebsd", "fail", "Failed"),
            report("Foo-Base", "1.1", "5.40.0", "linux", "pass", "ok"),
            report("Foo-Base", "1.1", "5.41.5", "linux", "pass", "ok"),
            // A release known only from reports, with hostile names everywhere.
            report("Evil-Dist", "1.0", "5.40.0", HOSTILE, "pass", HOSTILE),
            report("Evil-Dist", "1.0", "5.41.5", HOSTILE, "fail", HOSTILE),
        ],
    )?;
    let server = RunningServer::start(data.path()).await?;
    Ok(Fixture {
        pass_id: ids[0].clone(),
        fail_id: ids[2].clone(),
        base_upload,
        _data: data,
        _work: work,
        server,
    })
}

#[tokio::test]
async fn home_search_and_redirects() -> TestResult {
    let fx = fixture().await?;
    let server = &fx.server;

    let home = server.get("/").await?;
    assert_eq!(home.status, 200);
    assert_safe_page(&home, "/");
    let body = home.text();
    assert!(body.contains("Recent uploads"));
    assert!(body.contains(r#"href="/dist/Foo-Top/0.1""#), "{body}");
    assert!(body.contains(r#"href="/authors/id/E/ET/ETHER/Foo-App-2.0.tar.gz""#));
    assert!(body.contains(r#"action="/search""#));

    // The old status page moved to /status.
    assert_eq!(server.get("/status").await?.status, 200);

    // Prefix, case-insensitive: modules and dists.
    let found = support::eventually(server, "/search?q=foo::ap", |r| {
        r.text().contains("Foo::App::Helper")
    })
    .await?;
    assert_eq!(found.status, 200);
    assert_safe_page(&found, "search");
    let body = found.text();
    assert!(body.contains("Foo::App::Helper"), "{body}");
    let prefix = server.get("/search?q=FOO-").await?;
    assert_eq!(prefix.status, 200);
    for dist in ["Foo-App", "Foo-Base", "Foo-Top"] {
        assert!(prefix.text().contains(&format!(r#"href="/dist/{dist}""#)));
    }

    // One exact hit: 303 to its page (module → dist, dist, author).
    for (query, target) in [
        ("foo::app::helper", "/dist/Foo-App"),
        ("Foo-Base", "/dist/Foo-Base"),
        ("ether", "/author/ETHER"),
    ] {
        let answer = server.get(&format!("/search?q={query}")).await?;
        assert_eq!(answer.status, 303, "{query}");
        assert_eq!(answer.header("location"), Some(target), "{query}");
    }

    // A hostile query is echoed escaped.
    let hostile = server
        .get("/search?q=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E")
        .await?;
    assert_eq!(hostile.status, 200);
    assert_safe_page(&hostile, "hostile search");
    assert!(hostile.text().contains("Nothing matches"));
    fx.server.stop().await
}

#[tokio::test]
async fn distribution_matrix_reports_and_upload() -> TestResult {
    let fx = fixture().await?;
    let server = &fx.server;

    let page = server.get("/dist/Foo-App").await?;
    assert_eq!(page.status, 200);
    assert_safe_page(&page, "/dist/Foo-App");
    let body = page.text();
    for needle in [
        "<h1>Foo-App 2.0</h1>",
        r#"href="/author/ETHER""#,
        r#"href="/authors/id/E/ET/ETHER/Foo-App-2.0.tar.gz""#,
        "<td>Foo::App::Helper</td>",
        "<h3>runtime</h3>",
        "Foo::Base",
        "<h3>test</h3>",
        r#"href="/dist/Foo-Top""#,
        r#"href="/river/Foo-App""#,
        r#"href="/dist/Foo-App/2.0/matrix""#,
        "Indexer report",
    ] {
        assert!(body.contains(needle), "missing {needle} in\n{body}");
    }
    // Grade totals: two passes, two fails.
    assert!(body.contains("PASS</span> 2"), "{body}");
    assert!(body.contains("FAIL</span> 2"), "{body}");

    // An older release, and the first-come owner of the package.
    let old = server.get("/dist/Foo-Base/1.0").await?;
    assert_eq!(old.status, 200);
    let body = old.text();
    assert!(body.contains("<h1>Foo-Base 1.0</h1>"));
    assert!(body.contains(r#"href="/dist/Foo-Base""#), "latest link");
    let latest = server.get("/dist/Foo-Base").await?;
    let body = latest.text();
    assert!(body.contains("<h1>Foo-Base 1.1</h1>"));
    assert!(
        body.contains(r#"<td><a href="/author/NEILB">NEILB</a></td>"#),
        "{body}"
    );
    assert!(body.contains("way downriver"));

    // The matrix: one cell per perl × OS, linking to its reports.
    let matrix = server.get("/dist/Foo-App/2.0/matrix").await?;
    assert_eq!(matrix.status, 200);
    assert_safe_page(&matrix, "matrix");
    let body = matrix.text();
    assert!(body.contains(
        r#"<td class="cell pass"><a href="/dist/Foo-App/2.0/reports?perl=5.40.0&amp;osname=linux""#
    ), "{body}");
    assert!(body.contains(r#"<td class="cell fail"><a href="/dist/Foo-App/2.0/reports?perl=5.41.5&amp;osname=freebsd""#));

    let cell = server
        .get("/dist/Foo-App/2.0/reports?perl=5.41.5&osname=linux")
        .await?;
    assert_eq!(cell.status, 200);
    assert_safe_page(&cell, "cell reports");
    let body = cell.text();
    assert!(
        body.contains(&format!(r#"href="/report/{}""#, fx.fail_id)),
        "{body}"
    );
    assert!(!body.contains(&format!(r#"href="/report/{}""#, fx.pass_id)));

    let report = server.get(&format!("/report/{}", fx.fail_id)).await?;
    assert_eq!(report.status, 200);
    assert_safe_page(&report, "report");
    let body = report.text();
    assert!(body.contains("<pre>t/basic.t .. &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q'\nFailed 1/1</pre>"), "{body}");

    let upload = server.get(&format!("/upload/{}", fx.base_upload)).await?;
    assert_eq!(upload.status, 200);
    assert_safe_page(&upload, "upload");
    assert!(upload.text().contains(r#"href="/dist/Foo-Base/1.0""#));

    // Known from reports only: hostile OS names in the matrix and cell list.
    let evil = server.get("/dist/Evil-Dist").await?;
    assert_eq!(evil.status, 200);
    assert_safe_page(&evil, "report-only dist");
    let evil_matrix = server.get("/dist/Evil-Dist/1.0/matrix").await?;
    assert_eq!(evil_matrix.status, 200);
    assert_safe_page(&evil_matrix, "hostile matrix");
    assert!(evil_matrix.text().contains("osname=%3Cscript%3E"));

    for missing in [
        "/dist/No-Such-Dist",
        "/dist/Foo-App/9.99",
        "/dist/No-Such/1.0/matrix",
        "/report/no-such-report",
        "/upload/99999",
        "/upload/x",
        "/author/NOBODY",
        "/river/No-Such-Dist",
    ] {
        let answer = server.get(missing).await?;
        assert_eq!(answer.status, 404, "{missing}");
        assert_safe_page(&answer, missing);
    }
    fx.server.stop().await
}

#[tokio::test]
async fn author_page() -> TestResult {
    let fx = fixture().await?;
    let server = &fx.server;
    let page =
        support::eventually(server, "/author/neilb", |r| r.text().contains("first-come")).await?;
    assert_eq!(page.status, 200);
    assert_safe_page(&page, "author");
    let body = page.text();
    assert!(
        body.contains("&lt;script&gt;alert"),
        "the hostile full name, escaped"
    );
    assert!(body.contains(r#"href="/dist/Foo-Base/1.1""#), "{body}");
    assert!(body.contains(r#"href="/authors/id/N/NE/NEILB/Foo-Base-1.0.tar.gz""#));
    assert!(body.contains(&format!(r#"href="/upload/{}""#, fx.base_upload)));
    assert!(
        body.contains("<td>Foo::Base</td><td>first-come</td>"),
        "{body}"
    );
    fx.server.stop().await
}

#[tokio::test]
async fn blead_breaks_cpan_and_exports() -> TestResult {
    let fx = fixture().await?;
    let server = &fx.server;

    let page = server.get("/bbc").await?;
    assert_eq!(page.status, 200);
    assert_safe_page(&page, "bbc");
    let body = page.text();
    assert!(
        body.contains(r#"<option value="5.40.0" selected>"#),
        "{body}"
    );
    assert!(body.contains(r#"<option value="5.41.5" selected>"#));
    assert!(body.contains(r#"href="/dist/Foo-App/2.0/matrix""#));
    assert!(body.contains(&format!(r#"href="/report/{}""#, fx.fail_id)));
    assert!(body.contains(&format!(r#"href="/report/{}""#, fx.pass_id)));
    assert!(
        !body.contains(r#"href="/dist/Foo-Base""#),
        "Foo-Base passes on both"
    );
    // Foo-App is upriver of Foo-Top, Evil-Dist is in no river: Foo-App first.
    let app = body.find("/dist/Foo-App\"").ok_or("no Foo-App")?;
    let evil = body.find("/dist/Evil-Dist\"").ok_or("no Evil-Dist")?;
    assert!(app < evil);

    let json = server.get("/bbc.json?old=5.40.0&new=5.41.5").await?;
    assert_eq!(json.status, 200);
    let value = json.json();
    assert_eq!(value["old"], "5.40.0");
    assert_eq!(value["new"], "5.41.5");
    let dists: Vec<&str> = value["candidates"]
        .as_array()
        .ok_or("no candidates")?
        .iter()
        .filter_map(|c| c["dist"].as_str())
        .collect();
    assert_eq!(dists, ["Foo-App", "Evil-Dist"]);

    let csv = server.get("/bbc.csv").await?;
    assert_eq!(csv.status, 200);
    assert!(csv
        .header("content-type")
        .is_some_and(|value| value.starts_with("text/csv")));
    let text = csv.text();
    let rows = parse_csv(&text);
    assert_eq!(rows[0], riverpan_web::bbc::CSV_HEADER);
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[1][0], "Foo-App");
    assert_eq!(rows[1][5], "breaks");
    assert_eq!(rows[1][7], "5.40.0");
    assert_eq!(rows[1][8], "2");
    assert_eq!(rows[1][12], "2");
    assert_eq!(rows[2][0], "Evil-Dist");
    // The hostile OS name is a field of its own, quoted as needed and intact.
    assert!(rows[2][15].starts_with(HOSTILE), "{:?}", rows[2]);

    let bad = server.get("/bbc?old=banana").await?;
    assert_eq!(bad.status, 400);
    assert_safe_page(&bad, "bad perl");
    fx.server.stop().await
}

#[tokio::test]
async fn the_river_pages() -> TestResult {
    let fx = fixture().await?;
    let server = &fx.server;
    let page = server.get("/river").await?;
    assert_eq!(page.status, 200);
    assert_safe_page(&page, "river");
    let body = page.text();
    assert!(body.contains("<svg class=\"chart\""));
    assert!(body.contains("3 distributions"), "{body}");
    // Foo-Base: Foo-App and Foo-Top depend on it.
    let base = body.find(r#"href="/dist/Foo-Base""#).ok_or("no Foo-Base")?;
    let top = body.find(r#"href="/dist/Foo-Top""#).ok_or("no Foo-Top")?;
    assert!(base < top);

    let lookup = server.get("/river?dist=Foo-Base").await?;
    assert_eq!(lookup.status, 303);
    assert_eq!(lookup.header("location"), Some("/river/Foo-Base"));
    let deep = server.get("/river/Foo-Base").await?;
    assert_eq!(deep.status, 200);
    assert_safe_page(&deep, "deep rdeps");
    let body = deep.text();
    assert!(body.contains(r#"href="/dist/Foo-App""#));
    assert!(body.contains(r#"href="/dist/Foo-Top""#));
    assert!(body.contains("2 distributions, 1 directly"), "{body}");
    fx.server.stop().await
}

/// An RFC 4180 reader: quoted fields, doubled quotes, CRLF records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}
