//! The read side of CPAN Testers over real HTTP: `/v3/summary`, `/v3/release`, `/v3/upload`,
//! the legacy `/show/<dist>.json` and `/tail/log.txt`, riverpan's own perls/matrix/summary,
//! and CORS.  Data: a real upload (Foo-Bar 1.0 by NEILB), hand-made reports whose answers are
//! known, and generated reports whose counts are checked against a recount of the raw rows.

mod support;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use riverpan_testers::generate::Generator;
use riverpan_testers::rusqlite::Connection;
use riverpan_testers::{ingest, store};
use serde_json::{json, Value};
use support::{request, HttpResponse, RunningServer, TestResult};

/// A v3 report with the fields the read side shows.
#[allow(clippy::too_many_arguments)]
fn report(
    id: &str,
    created: &str,
    name: &str,
    version: &str,
    perl: &str,
    osname: &str,
    grade: &str,
    text: &str,
    path: Option<&str>,
) -> Value {
    let mut distribution = json!({"name": name, "version": version});
    if let Some(path) = path {
        distribution["path"] = json!(path);
    }
    json!({
        "id": id,
        "created": created,
        "reporter": {"name": "Andreas J. König", "email": "andk@cpan.org"},
        "environment": {
            "language": {"name": "Perl 5", "version": perl, "archname": format!("x86_64-{osname}")},
            "system": {"osname": osname, "osversion": "6.1"}
        },
        "distribution": distribution,
        "result": {"grade": grade, "output": {"uncategorized": text}}
    })
}

const PREREQ_TEXT: &str = "PROGRAM OUTPUT\n\nt/00-load.t .. Can't locate Moo.pm in @INC\n\n\
PREREQUISITES\n\n    requires:\n\n        Module Need Have\n        ------ ---- ----\n      ! Moo    2.0  n/a\n\n";

/// The hand-made reports: five of Foo-Bar (hosted, 1.0 and the unhosted 1.01_01) and one of
/// Other-Dist (not hosted).
fn known_reports() -> Vec<Value> {
    let id = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    vec![
        report(
            &id(1),
            "2026-03-01T10:00:30Z",
            "Foo-Bar",
            "1.0",
            "5.42.0",
            "linux",
            "pass",
            "All tests successful",
            None,
        ),
        report(
            &id(2),
            "2026-03-02T10:00:00Z",
            "Foo-Bar",
            "1.0",
            "5.43.9",
            "linux",
            "fail",
            "Failed 1/2 subtests",
            None,
        ),
        report(
            &id(3),
            "2026-03-03T10:00:00Z",
            "Foo-Bar",
            "1.0",
            "5.42.0 RC1",
            "darwin",
            "fail",
            PREREQ_TEXT,
            None,
        ),
        report(
            &id(4),
            "2026-03-04T10:00:00Z",
            "Foo-Bar",
            "1.0",
            "5.10.0 patch GitLive-x",
            "MSWin32",
            "na",
            "OS unsupported",
            None,
        ),
        report(
            &id(5),
            "2026-03-05T10:00:00Z",
            "Foo-Bar",
            "1.01_01",
            "5.42.0",
            "freebsd",
            "pass",
            "ok",
            Some("NEILB/Foo-Bar-1.01_01.tar.gz"),
        ),
        report(
            &id(6),
            "2026-03-06T10:00:00Z",
            "Other-Dist",
            "2.0",
            "5.42.0",
            "linux",
            "pass",
            "ok",
            Some("OTHER/Other-Dist-2.0.tar.gz"),
        ),
    ]
}

/// A data directory with the upload, the known reports and `generated` generated ones.
fn prepare(data: &Path, work: &Path, generated: usize) -> Result<i64, Box<dyn Error>> {
    let mut repository = support::repository_with_author(data, "NEILB")?;
    let upload_id = support::upload(
        &mut repository,
        work,
        "NEILB",
        "Foo-Bar",
        "1.0",
        &["Foo::Bar"],
    )?;
    drop(repository);
    let mut conn = store::open(data)?;
    let mut reports = Vec::new();
    for value in known_reports() {
        reports.push(ingest::validate(&value).map_err(|e| e.to_string())?);
    }
    ingest::ingest(&mut conn, &reports)?;
    let mut generator = Generator::new(11, 40);
    for _ in 0..generated / 500 {
        ingest::ingest(&mut conn, &generator.batch(500))?;
    }
    Ok(upload_id)
}

async fn get(server: &RunningServer, path: &str) -> Result<HttpResponse, Box<dyn Error>> {
    server.get(path).await
}

fn array(response: &HttpResponse) -> Vec<Value> {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().cloned().unwrap_or_default()
}

fn assert_v3_error(response: &HttpResponse, status: u16, message: &str, path: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"errors": [{"message": message, "path": path}]}),
        "{}",
        response.text()
    );
}

/// Counts of `SQL WHERE clause` on the raw reports table, by legacy grade.
fn recount(conn: &Connection, sql: &str) -> Result<u64, Box<dyn Error>> {
    let n: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM testers_reports {sql}"),
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

#[tokio::test]
async fn v3_summary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    prepare(&data, dir.path(), 3000)?;
    let raw = Connection::open(data.join("riverpan.sqlite"))?;
    let server = RunningServer::start(&data).await?;

    let rows = array(&get(&server, "/v3/summary/Foo-Bar").await?);
    assert_eq!(rows.len(), 5);
    let first = rows[0].as_object().ok_or("object")?;
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    let mut expected = vec![
        "guid", "date", "grade", "reporter", "dist", "version", "platform", "perl", "osname",
        "osvers",
    ];
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(
        rows[0]["date"], "2026-03-01T10:00:00Z",
        "minutes only, as fulldate"
    );
    assert_eq!(
        rows[0]["reporter"],
        "\"Andreas J. K&#246;nig\" <andk@cpan.org>"
    );
    assert_eq!(rows[0]["platform"], "x86_64-linux");
    assert_eq!(rows[2]["perl"], "5.42.0 RC1");

    let count = |path: &'static str| {
        let server = &server;
        async move { Ok::<usize, Box<dyn Error>>(array(&get(server, path).await?).len()) }
    };
    assert_eq!(count("/v3/summary/Foo-Bar/1.0").await?, 4);
    assert_eq!(count("/v3/summary/Foo-Bar?grade=fail").await?, 2);
    assert_eq!(count("/v3/summary/Foo-Bar?perl=5.42.0").await?, 2);
    assert_eq!(
        count("/v3/summary/Foo-Bar?perl=5.42.0&perl=5.43.9").await?,
        3
    );
    assert_eq!(count("/v3/summary/Foo-Bar?perl=5.42.0+RC1").await?, 1);
    // Exact either way: the canonical string or what the tester sent.
    assert_eq!(count("/v3/summary/Foo-Bar?perl=5.10.0%20patch").await?, 1);
    assert_eq!(
        count("/v3/summary/Foo-Bar?perl=5.10.0%20patch%20GitLive-x").await?,
        1
    );
    assert_eq!(
        get(&server, "/v3/summary/Foo-Bar?perl=5.10.0%20patch%20Other")
            .await?
            .status,
        404
    );
    assert_eq!(count("/v3/summary/Foo-Bar?osname=linux").await?, 2);
    assert_eq!(
        count("/v3/summary/Foo-Bar?osname=linux&osname=MSWin32").await?,
        3
    );
    assert_eq!(count("/v3/summary/Foo-Bar?perl_maturity=stable").await?, 2);
    // dev: development perls, release candidates and patched perls.
    assert_eq!(count("/v3/summary/Foo-Bar?perl_maturity=dev").await?, 3);
    assert_eq!(
        count("/v3/summary/Foo-Bar?perl_maturity=dev&osname=linux").await?,
        1
    );
    // since: to the minute, inclusive, as `fulldate >= YYYYMMDDHHMM`.
    assert_eq!(
        count("/v3/summary/Foo-Bar?since=2026-03-02T10:00:59Z").await?,
        4
    );
    assert_eq!(
        count("/v3/summary/Foo-Bar?since=2026-03-02T10:01:00Z").await?,
        3
    );
    assert_eq!(count("/v3/summary/Foo-Bar?since=2026-03-04").await?, 2);
    assert_eq!(
        count("/v3/summary/Foo-Bar?since=2026-03-02T10:01:00%2B05:00").await?,
        3
    );

    assert_v3_error(
        &get(&server, "/v3/summary/Foo-Bar/9.9").await?,
        404,
        "No results found",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/summary/Nope").await?,
        404,
        "No results found",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/summary/Foo-Bar?grade=PASSED").await?,
        400,
        "Not in enum list: pass, fail, na, unknown.",
        "/grade",
    );
    assert_v3_error(
        &get(&server, "/v3/summary/Foo-Bar?perl_maturity=old").await?,
        400,
        "Not in enum list: stable, dev.",
        "/perl_maturity",
    );
    assert_v3_error(
        &get(&server, "/v3/summary/Foo-Bar?since=yesterday").await?,
        400,
        "Does not match date-time format.",
        "/since",
    );
    assert_v3_error(
        &get(&server, "/v3/summary").await?,
        400,
        "You must provide one of 'perl' or 'osname'",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/summary?grade=pass").await?,
        400,
        "You must provide one of 'perl' or 'osname'",
        "/",
    );

    // All dists, against a recount of the raw rows.
    let all = get(&server, "/v3/summary?perl=5.42.0").await?;
    assert_eq!(all.header("transfer-encoding"), Some("chunked"), "streamed");
    assert_eq!(
        array(&all).len() as u64,
        recount(&raw, "WHERE perl = '5.42.0'")?
    );
    let linux_fail = array(
        &get(
            &server,
            "/v3/summary?osname=linux&grade=fail&since=2026-01-01T01:00",
        )
        .await?,
    );
    assert_eq!(
        linux_fail.len() as u64,
        recount(&raw, "WHERE osname = 'linux' AND grade = 'fail' AND substr(submitted_at, 1, 16) >= '2026-01-01T01:00'")?
    );
    assert!(linux_fail
        .iter()
        .all(|r| r["osname"] == "linux" && r["grade"] == "fail"));
    let dev_linux = array(&get(&server, "/v3/summary?osname=linux&perl_maturity=dev").await?);
    let mut expected = 0;
    let mut stmt = raw.prepare(
        "SELECT perl, COUNT(*) FROM testers_reports WHERE osname = 'linux' GROUP BY perl",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (perl, n) = row?;
        let minor: u32 = perl.split('.').nth(1).ok_or("minor")?.parse()?;
        if minor % 2 == 1 || perl.contains("RC") || perl.contains("patch") {
            expected += n as usize;
        }
    }
    assert_eq!(dev_linux.len(), expected);
    let two = array(&get(&server, "/v3/summary?perl=5.42.0&perl=5.43.9&osname=linux").await?);
    assert_eq!(
        two.len() as u64,
        recount(
            &raw,
            "WHERE perl IN ('5.42.0', '5.43.9') AND osname = 'linux'"
        )?
    );
    server.stop().await
}

#[tokio::test]
async fn v3_release() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    prepare(&data, dir.path(), 2000)?;
    let raw = Connection::open(data.join("riverpan.sqlite"))?;
    let server = RunningServer::start(&data).await?;

    let all = array(&get(&server, "/v3/release").await?);
    let mut recounted: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    let mut stmt = raw.prepare(
        "SELECT dist, version, grade, COUNT(*) FROM testers_reports GROUP BY dist, version, grade",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })? {
        let (d, v, g, n) = row?;
        recounted.entry((d, v)).or_default().insert(g, n as u64);
    }
    assert_eq!(all.len(), recounted.len());
    for row in &all {
        let key = (
            row["dist"].as_str().ok_or("dist")?.to_string(),
            row["version"].as_str().ok_or("v")?.to_string(),
        );
        let grades = &recounted[&key];
        let mut total = 0;
        for g in ["pass", "fail", "na", "unknown"] {
            let n = grades.get(g).copied().unwrap_or(0);
            assert_eq!(row[g], n, "{key:?} {g}");
            total += n;
        }
        assert_eq!(row["total"], total);
    }

    // The legacy view: the prerequisite failure counts as the FAIL its client sent.
    let one = get(&server, "/v3/release/dist/Foo-Bar/1.0").await?;
    assert_eq!(one.status, 200);
    assert_eq!(
        one.json(),
        json!({"dist": "Foo-Bar", "version": "1.0", "pass": 1, "fail": 2, "na": 1, "unknown": 0, "total": 4})
    );
    let dist = array(&get(&server, "/v3/release/dist/Foo-Bar").await?);
    let versions: Vec<&str> = dist.iter().filter_map(|r| r["version"].as_str()).collect();
    assert_eq!(versions, ["1.01_01", "1.0"], "newest first");
    assert_eq!(
        array(&get(&server, "/v3/release/dist/Foo-Bar?limit=1").await?).len(),
        1
    );
    let stable = array(&get(&server, "/v3/release/dist/Foo-Bar?maturity=stable").await?);
    assert_eq!(stable.len(), 1);
    assert_eq!(stable[0]["version"], "1.0");
    let dev = array(&get(&server, "/v3/release?maturity=dev").await?);
    assert!(dev
        .iter()
        .all(|r| r["version"].as_str().is_some_and(|v| v.contains('_'))));
    assert_eq!(dev.len(), 1);
    let since = array(&get(&server, "/v3/release/dist/Foo-Bar?since=2026-03-05").await?);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["version"], "1.01_01");
    assert_eq!(since[0]["total"], 1, "counts stay totals");
    assert_eq!(array(&get(&server, "/v3/release?limit=3").await?).len(), 3);
    let neilb = array(&get(&server, "/v3/release/author/NEILB").await?);
    let neilb: Vec<(&str, &str)> = neilb
        .iter()
        .filter_map(|r| Some((r["dist"].as_str()?, r["version"].as_str()?)))
        .collect();
    assert_eq!(neilb, [("Foo-Bar", "1.01_01"), ("Foo-Bar", "1.0")]);
    let other = array(&get(&server, "/v3/release/author/OTHER").await?);
    assert_eq!(other.len(), 1);
    assert_eq!(other[0]["dist"], "Other-Dist");
    assert_eq!(
        get(&server, "/v3/release/dist/Foo-Bar/1.0?since=2026-03-05")
            .await?
            .status,
        404
    );

    assert_v3_error(
        &get(&server, "/v3/release?since=2026-01-01").await?,
        400,
        "\"since\" parameter not allowed",
        "/",
    );
    for bad in ["0", "-2"] {
        assert_v3_error(
            &get(&server, &format!("/v3/release/dist/Foo-Bar?limit={bad}")).await?,
            400,
            "The value for \"limit\" must be a positive integer",
            "/limit",
        );
    }
    assert_eq!(
        get(&server, "/v3/release/dist/Foo-Bar?limit=many")
            .await?
            .status,
        400
    );
    assert_v3_error(
        &get(&server, "/v3/release/author/NEILB?maturity=beta").await?,
        400,
        "Not in enum list: stable, dev.",
        "/maturity",
    );
    assert_eq!(
        get(&server, "/v3/release/dist/Foo-Bar?since=soon")
            .await?
            .status,
        400
    );
    assert_v3_error(
        &get(&server, "/v3/release/dist/Nope").await?,
        404,
        "No results found",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/release/dist/Foo-Bar/7").await?,
        404,
        "No results found",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/release/author/NOBODY").await?,
        404,
        "No results found",
        "/",
    );
    server.stop().await
}

#[tokio::test]
async fn v3_upload() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    prepare(&data, dir.path(), 0)?;
    let server = RunningServer::start(&data).await?;

    let all = array(&get(&server, "/v3/upload").await?);
    // Provisional rows (released 0) first, then riverpan's upload.
    let summary: Vec<(String, String, String, String)> = all
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("dist"), s("version"), s("author"), s("filename"))
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Foo-Bar".into(),
                "1.01_01".into(),
                "NEILB".into(),
                String::new()
            ),
            (
                "Other-Dist".into(),
                "2.0".into(),
                "OTHER".into(),
                String::new()
            ),
            (
                "Foo-Bar".into(),
                "1.0".into(),
                "NEILB".into(),
                "Foo-Bar-1.0.tar.gz".into()
            ),
        ]
    );
    assert_eq!(all[0]["released"], "1970-01-01T00:00:00Z");
    let released = all[2]["released"].as_str().ok_or("released")?;
    assert!(
        released.starts_with("20") && released.ends_with('Z'),
        "{released}"
    );
    assert_eq!(all[2].as_object().map(|o| o.len()), Some(5));

    let since = array(&get(&server, "/v3/upload?since=2000-01-01T00:00:00Z").await?);
    assert_eq!(since.len(), 1, "provisional rows are older than any bound");
    assert_v3_error(
        &get(&server, "/v3/upload?since=2999-01-01").await?,
        404,
        "No results found",
        "/",
    );
    assert_eq!(
        array(&get(&server, "/v3/upload/dist/Foo-Bar").await?).len(),
        2
    );
    assert_eq!(
        array(&get(&server, "/v3/upload/dist/Other-Dist").await?).len(),
        1
    );
    let neilb = array(&get(&server, "/v3/upload/author/NEILB").await?);
    assert_eq!(neilb.len(), 2);
    assert_eq!(
        array(&get(&server, "/v3/upload/author/neilb?since=2001-01-01").await?).len(),
        1
    );
    assert_v3_error(
        &get(&server, "/v3/upload/dist/Nope").await?,
        404,
        "Distribution \"Nope\" not found",
        "/",
    );
    assert_v3_error(
        &get(&server, "/v3/upload/author/NOBODY").await?,
        404,
        "Author \"NOBODY\" not found",
        "/",
    );
    assert_eq!(
        get(&server, "/v3/upload/dist/Foo-Bar?since=x")
            .await?
            .status,
        400
    );
    server.stop().await
}

#[tokio::test]
async fn legacy_feeds() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let upload_id = prepare(&data, dir.path(), 1500)?;
    let raw = Connection::open(data.join("riverpan.sqlite"))?;
    let server = RunningServer::start(&data).await?;

    let show = get(&server, "/show/Foo-Bar.json").await?;
    assert_eq!(show.header("content-type"), Some("application/json"));
    let records = array(&show);
    assert_eq!(records.len(), 5);
    let keys = [
        "status",
        "state",
        "grade",
        "guid",
        "dist",
        "distribution",
        "version",
        "distversion",
        "type",
        "osname",
        "osvers",
        "ostext",
        "perl",
        "lang_version",
        "platform",
        "uploadid",
        "tester",
        "id",
        "postdate",
        "fulldate",
        "csspatch",
        "cssperl",
        "datetime",
    ];
    for record in &records {
        let object = record.as_object().ok_or("object")?;
        assert_eq!(object.len(), keys.len());
        for key in keys {
            assert!(object.contains_key(key), "{key} missing in {record}");
        }
        assert_eq!(record["type"], 2);
    }
    assert_eq!(records[0]["status"], "PASS");
    assert_eq!(records[0]["state"], "pass");
    assert_eq!(records[0]["distversion"], "Foo-Bar-1.0");
    assert_eq!(records[0]["fulldate"], "202603011000");
    assert_eq!(records[0]["postdate"], "202603");
    assert_eq!(records[0]["datetime"], "2026-03-01T10:00:00");
    assert_eq!(records[0]["ostext"], "GNU/Linux");
    assert_eq!(records[0]["uploadid"], upload_id);
    assert_eq!(
        records[0]["tester"],
        "\"Andreas J. K&#246;nig\" <andk@cpan.org>"
    );
    assert_eq!(
        (
            records[0]["cssperl"].as_str(),
            records[0]["csspatch"].as_str()
        ),
        (Some("rel"), Some("unp"))
    );
    assert_eq!(
        (
            records[1]["cssperl"].as_str(),
            records[1]["csspatch"].as_str()
        ),
        (Some("dev"), Some("unp"))
    );
    assert_eq!(records[2]["perl"], "5.42.0 RC1");
    assert_eq!(
        (
            records[2]["cssperl"].as_str(),
            records[2]["csspatch"].as_str()
        ),
        (Some("rel"), Some("pat"))
    );
    assert_eq!(records[2]["ostext"], "Mac OS X");
    assert_eq!(
        (
            records[3]["cssperl"].as_str(),
            records[3]["csspatch"].as_str()
        ),
        (Some("rel"), Some("pat"))
    );
    assert_eq!(records[3]["ostext"], "Windows (Win32)");
    assert_eq!(records[4]["uploadid"], 0, "1.01_01 is not hosted");
    assert_eq!(get(&server, "/show/Nope.json").await?.text(), "[]");
    assert_eq!(get(&server, "/show/Foo-Bar.html").await?.status, 404);

    let tail = get(&server, "/tail/log.txt").await?;
    assert_eq!(tail.status, 200);
    assert_eq!(
        tail.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let text = tail.text();
    let mut lines = text.lines();
    let header = lines.next().ok_or("header")?;
    let header_re =
        regex::Regex::new(r"^The last 1000 reports as of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ:$")?;
    assert!(header_re.is_match(header), "{header}");
    // fast-matrix's regex (eserte/cpan-testers-matrix bin/tail-log-to-ndjson.pl).
    let line_re = regex::Regex::new(
        r"^\[(.*?)\] \[(.*?)\] \[(.*?)\] \[(.*?)\] \[(.*?)\] \[(.*?)\] \[(.*?)\] \[(.*?)\]$",
    )?;
    let dist_re = regex::Regex::new(r"^.+/(.*)-v?(\d.*)\.(?:tar\.gz|zip|tar\.bz2|tgz)$")?;
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 1000.min(recount(&raw, "")? as usize));
    let mut newest_guids = raw.prepare(
        "SELECT guid, dist, version FROM testers_reports ORDER BY rowid_ DESC LIMIT 1000",
    )?;
    let expected: Vec<(String, String, String)> = newest_guids
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (line, (guid, dist, version)) in body.iter().zip(&expected) {
        let caps = line_re
            .captures(line)
            .ok_or_else(|| format!("not parseable: {line}"))?;
        assert_eq!(&caps[7], guid.as_str());
        assert_eq!(&caps[1], &caps[8]);
        assert!(caps[6].starts_with("perl-v5."), "{line}");
        assert!(
            ["pass", "fail", "na", "unknown"].contains(&&caps[3]),
            "{line}"
        );
        let d = dist_re
            .captures(&caps[4])
            .ok_or_else(|| format!("dist path: {line}"))?;
        assert_eq!((&d[1], &d[2]), (dist.as_str(), version.as_str()), "{line}");
    }
    // The hand-made reports are the oldest here; look at one with a small store instead.
    let dir2 = tempfile::tempdir()?;
    let data2 = dir2.path().join("data");
    prepare(&data2, dir2.path(), 0)?;
    let small = RunningServer::start(&data2).await?;
    let text = get(&small, "/tail/log.txt").await?.text();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0],
        "[2026-03-06T10:00:00Z] [Andreas J. König] [pass] [OTHER/Other-Dist-2.0.tar.gz] [x86_64-linux] \
         [perl-v5.42.0] [00000000-0000-4000-8000-000000000006] [2026-03-06T10:00:00Z]"
    );
    assert!(
        lines[5].contains("[NEILB/Foo-Bar-1.0.tar.gz]"),
        "{}",
        lines[5]
    );
    small.stop().await?;
    server.stop().await
}

#[tokio::test]
async fn riverpan_views() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    prepare(&data, dir.path(), 2000)?;
    let raw = Connection::open(data.join("riverpan.sqlite"))?;
    let server = RunningServer::start(&data).await?;

    let perls = get(&server, "/api/v1/testers/perls").await?;
    assert_eq!(perls.status, 200);
    let perls = perls.json();
    assert_eq!(perls["latest"]["stable"], "5.42.0");
    assert_eq!(perls["latest"]["development"], "5.43.9");
    let list = perls["perls"].as_array().ok_or("perls")?;
    for p in list {
        let name = p["perl"].as_str().ok_or("perl")?;
        let n: i64 = raw.query_row(
            "SELECT COUNT(*) FROM testers_reports WHERE perl = ?1",
            [name],
            |r| r.get(0),
        )?;
        assert_eq!(p["reports"], n, "{name}");
    }
    let rc = list
        .iter()
        .find(|p| p["perl"] == "5.42.0 RC1")
        .ok_or("rc")?;
    assert_eq!(rc["kind"], "release-candidate");
    let patched = list
        .iter()
        .find(|p| p["perl"] == "5.10.0 patch")
        .ok_or("patched")?;
    assert_eq!(patched["patched"], true);

    let matrix = get(&server, "/api/v1/testers/matrix/Foo-Bar/1.0").await?;
    assert_eq!(matrix.status, 200);
    let matrix = matrix.json();
    assert_eq!(matrix["totals"]["total"], 4);
    assert_eq!(matrix["totals"]["prerequisite_failure"], 1);
    assert_eq!(matrix["legacy_totals"]["fail"], 2);
    let cells = matrix["cells"].as_array().ok_or("cells")?;
    assert_eq!(cells.len(), 4);
    let rc_cell = cells
        .iter()
        .find(|c| c["perl"] == "5.42.0 RC1")
        .ok_or("rc cell")?;
    assert_eq!(rc_cell["osname"], "darwin");
    assert_eq!(
        (
            rc_cell["fail"].as_u64(),
            rc_cell["prerequisite_failure"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert_eq!(matrix["perls"][0], "5.43.9", "newest perl first");
    assert_eq!(matrix["by_osname"]["linux"]["total"], 2);
    assert_eq!(
        get(&server, "/api/v1/testers/matrix/Foo-Bar/9")
            .await?
            .status,
        404
    );

    // A generated release, against the raw rows.
    let (dist, version): (String, String) = raw.query_row(
        "SELECT dist, version FROM testers_reports GROUP BY dist, version ORDER BY COUNT(*) DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let m = get(&server, &format!("/api/v1/testers/matrix/{dist}/{version}"))
        .await?
        .json();
    let total: i64 = raw.query_row(
        "SELECT COUNT(*) FROM testers_reports WHERE dist = ?1 AND version = ?2",
        [&dist, &version],
        |r| r.get(0),
    )?;
    assert_eq!(m["totals"]["total"], total);
    let cell_sum: u64 = m["cells"]
        .as_array()
        .ok_or("cells")?
        .iter()
        .filter_map(|c| c["total"].as_u64())
        .sum();
    assert_eq!(cell_sum as i64, total);

    let summary = get(&server, "/api/v1/testers/summary/Foo-Bar/1.0").await?;
    assert_eq!(summary.status, 200);
    assert_eq!(
        summary.json(),
        json!({"dist": "Foo-Bar", "version": "1.0", "pass": 1, "fail": 1, "na": 1, "unknown": 0,
               "prerequisite_failure": 1, "total": 4,
               "legacy": {"pass": 1, "fail": 2, "na": 1, "unknown": 0}})
    );
    let whole = get(&server, "/api/v1/testers/summary/Foo-Bar")
        .await?
        .json();
    assert_eq!(whole["total"], 5);
    assert_eq!(whole["versions"], json!({"1.0": 4, "1.01_01": 1}));
    let missing = get(&server, "/api/v1/testers/summary/Nope").await?;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    let prereq: i64 = raw.query_row(
        "SELECT COUNT(*) FROM testers_reports WHERE dist = ?1 AND prereq_failure = 1",
        [&dist],
        |r| r.get(0),
    )?;
    let s = get(&server, &format!("/api/v1/testers/summary/{dist}"))
        .await?
        .json();
    assert_eq!(s["prerequisite_failure"], prereq);
    server.stop().await
}

#[tokio::test]
async fn cors_on_every_testers_route() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    prepare(&data, dir.path(), 0)?;
    let server = RunningServer::start(&data).await?;
    for path in [
        "/v3/summary/Foo-Bar",
        "/v3/summary",
        "/v3/release",
        "/v3/release/dist/Nope",
        "/v3/upload",
        "/v3/report/00000000-0000-0000-0000-000000000000",
        "/show/Foo-Bar.json",
        "/tail/log.txt",
        "/api/v1/testers/perls",
        "/api/v1/testers/summary/Foo-Bar",
        "/api/v1/bbc",
        "/api/v1/guid/nope",
    ] {
        let response = get(&server, path).await?;
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }
    for (path, method) in [
        ("/v3/summary/Foo-Bar", "GET"),
        ("/v3/report", "POST"),
        ("/api/v1/submit/CPAN-Testers-Report", "POST"),
        ("/tail/log.txt", "GET"),
    ] {
        let preflight = request(
            server.addr,
            "OPTIONS",
            path,
            &[
                ("Origin", "https://example.org"),
                ("Access-Control-Request-Method", method),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        )
        .await?;
        assert_eq!(preflight.status, 204, "{path}");
        assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
        let methods = preflight
            .header("access-control-allow-methods")
            .ok_or("methods")?;
        assert!(methods.contains(method), "{methods}");
        assert_eq!(
            preflight.header("access-control-allow-headers"),
            Some("content-type")
        );
    }
    // Other routes are untouched.
    let health = get(&server, "/healthz").await?;
    assert_eq!(health.header("access-control-allow-origin"), None);
    server.stop().await
}
