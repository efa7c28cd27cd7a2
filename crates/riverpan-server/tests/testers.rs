//! The CPAN Testers endpoints over real HTTP: v3 report submission and retrieval, summaries,
//! Blead Breaks CPAN on generated and hand-made data, and the legacy Metabase protocol.

mod support;

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;

use riverpan_testers::generate::Generator;
use serde_json::{json, Value};
use support::{RunningServer, TestResult, TIMEOUT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response: status, headers (lower-cased names) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request with a body (`Connection: close`); the answers here have a `Content-Length`.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, Box<dyn Error>> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange).await??;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split])?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .ok_or("no status")?
        .parse()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// The body of a `Transfer-Encoding: chunked` response (streamed answers such as summaries).
fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk")?;
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end])?.trim(), 16)?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(raw.get(..size).ok_or("short chunk")?);
        raw = raw.get(size + 2..).ok_or("short chunk")?;
    }
}

async fn get(server: &RunningServer, path: &str) -> Result<Answer, Box<dyn Error>> {
    send(server.addr, "GET", path, &[], b"").await
}

async fn post_json(
    server: &RunningServer,
    path: &str,
    body: &Value,
) -> Result<Answer, Box<dyn Error>> {
    send(
        server.addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await
}

/// The v3 API's own valid sample, shortened.
fn valid_report() -> Value {
    json!({
        "reporter": {"name": "Doug Bell", "email": "doug@example.com"},
        "environment": {
            "language": {"name": "Perl 5", "version": "5.24.0", "archname": "x86_64-linux"},
            "system": {"osname": "linux", "osversion": "4.8.0"}
        },
        "distribution": {"name": "My-Dist", "version": "1.001"},
        "result": {"grade": "pass", "output": {"uncategorized": "All tests successful"}, "tests": 3}
    })
}

async fn started(data: &Path) -> Result<RunningServer, Box<dyn Error>> {
    std::fs::create_dir_all(data)?;
    RunningServer::start(data).await
}

#[tokio::test]
async fn v3_report_round_trip_and_summary() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(&dir.path().join("data")).await?;

    let created = post_json(&server, "/v3/report", &valid_report()).await?;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().ok_or("no id")?.to_string();
    assert!(!id.is_empty());

    let fetched = get(&server, &format!("/v3/report/{id}")).await?;
    assert_eq!(fetched.status, 200);
    let report = fetched.json();
    assert_eq!(report["id"], id.as_str());
    assert_eq!(report["distribution"]["name"], "My-Dist");
    assert_eq!(report["result"]["grade"], "pass");

    let summary = get(&server, "/v3/summary/My-Dist").await?;
    assert_eq!(summary.status, 200);
    let rows = summary.json();
    let rows = rows.as_array().ok_or("not an array")?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["guid"], id.as_str());
    assert_eq!(rows[0]["grade"], "pass");
    assert_eq!(rows[0]["version"], "1.001");
    assert_eq!(rows[0]["osname"], "linux");
    assert_eq!(rows[0]["platform"], "x86_64-linux");

    let by_version = get(&server, "/v3/summary/My-Dist/1.001").await?;
    assert_eq!(by_version.status, 200);
    assert_eq!(by_version.json().as_array().map(Vec::len), Some(1));
    let filtered = get(&server, "/v3/summary/My-Dist?grade=fail").await?;
    assert_eq!(filtered.status, 404);
    assert_eq!(filtered.json()["errors"][0]["message"], "No results found");
    let missing = get(&server, "/v3/summary/My-Dist/9.9").await?;
    assert_eq!(missing.status, 404);

    let unknown = get(&server, "/v3/report/00000000-0000-0000-0000-000000000000").await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["errors"][0]["path"], "/id");
    server.stop().await
}

#[tokio::test]
async fn invalid_and_duplicate_reports_are_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(&dir.path().join("data")).await?;

    let mut bad = valid_report();
    bad["environment"]["language"]["version"] = json!("v5.24.1");
    let answer = post_json(&server, "/v3/report", &bad).await?;
    assert_eq!(answer.status, 400);
    let errors = answer.json();
    let first = &errors["errors"][0];
    assert!(first["message"].is_string(), "{errors}");
    assert!(first["path"].as_str().is_some_and(|p| p.starts_with('/')));

    let not_json = send(server.addr, "POST", "/v3/report", &[], b"{nope").await?;
    assert_eq!(not_json.status, 400);
    assert!(not_json.json()["errors"].is_array());

    let mut with_id = valid_report();
    with_id["id"] = json!("0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2");
    let first = post_json(&server, "/v3/report", &with_id).await?;
    assert_eq!(first.status, 201);
    let again = post_json(&server, "/v3/report", &with_id).await?;
    assert_eq!(again.status, 303);
    assert_eq!(
        again.header("location"),
        Some("/v3/report/0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2")
    );
    let rows = get(&server, "/v3/summary/My-Dist").await?.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    server.stop().await
}

#[tokio::test]
async fn bbc_lists_a_candidate_on_generated_data() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    // The server creates riverpan's store first; the testers tables join it.
    let server = started(&data).await?;
    let generator = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(42, 100);
        let mut conn = riverpan_testers::store::open(&data).expect("testers store");
        for _ in 0..6 {
            riverpan_testers::ingest(&mut conn, &generator.batch(5_000)).expect("ingest");
        }
        generator
    })
    .await?;
    let answer = get(&server, "/api/v1/bbc").await?;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let bbc = answer.json();
    assert!(bbc["old"].is_string() && bbc["new"].is_string(), "{bbc}");
    let candidates = bbc["candidates"].as_array().ok_or("no candidates")?;
    let breaking = generator.breaking_dists();
    assert!(
        candidates.iter().any(|c| c["verdict"] == "breaks"
            && c["strong"] == true
            && breaking.contains(&c["dist"].as_str().unwrap_or(""))),
        "{bbc}"
    );
    // Breaks, then fixed, then mixed.
    let rank = |c: &Value| match c["verdict"].as_str() {
        Some("breaks") => 0,
        Some("fixed") => 1,
        Some("mixed") => 2,
        other => panic!("verdict {other:?}"),
    };
    let ranks: Vec<i32> = candidates.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");

    let explicit = format!(
        "/api/v1/bbc?old={}&new={}",
        bbc["old"].as_str().unwrap_or_default(),
        bbc["new"].as_str().unwrap_or_default()
    );
    let again = get(&server, &explicit).await?;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), bbc);
    let bad = get(&server, "/api/v1/bbc?old=banana").await?;
    assert_eq!(bad.status, 400);
    server.stop().await
}

/// A v3 report of `dist` 1.0 on `perl`.
fn report_of(dist: &str, perl: &str, grade: &str) -> Value {
    let mut report = valid_report();
    report["distribution"] = json!({"name": dist, "version": "1.0"});
    report["environment"]["language"]["version"] = json!(perl);
    report["result"]["grade"] = json!(grade);
    report
}

/// A dist the new perl fixed comes out `fixed`, after the breaks and never as one, in every
/// form of the answer: `/api/v1/bbc`, `/bbc.json`, `/bbc.csv` and the `/bbc` page.
#[tokio::test]
async fn bbc_tells_breaks_from_fixes_over_http() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = started(&dir.path().join("data")).await?;
    for (dist, perl, grade, n) in [
        // First by name, yet fixed by 5.43.9.
        ("Aaa-Fixed", "5.42.0", "fail", 3),
        ("Aaa-Fixed", "5.43.9", "pass", 2),
        ("Zzz-Broken", "5.42.0", "pass", 2),
        ("Zzz-Broken", "5.43.9", "fail", 1),
        ("Mid-Mixed", "5.43.9", "pass", 1),
        ("Mid-Mixed", "5.43.9", "fail", 1),
        ("Good-Dist", "5.42.0", "pass", 1),
        ("Good-Dist", "5.43.9", "pass", 1),
    ] {
        for _ in 0..n {
            let created = post_json(&server, "/v3/report", &report_of(dist, perl, grade)).await?;
            assert_eq!(
                created.status,
                201,
                "{}",
                String::from_utf8_lossy(&created.body)
            );
        }
    }
    let expected = [
        ("Zzz-Broken", "breaks", true),
        ("Aaa-Fixed", "fixed", true),
        ("Mid-Mixed", "mixed", false),
    ];
    for path in ["/api/v1/bbc", "/bbc.json"] {
        let answer = get(&server, path).await?;
        assert_eq!(answer.status, 200, "{path}");
        let bbc = answer.json();
        assert_eq!(
            (bbc["old"].as_str(), bbc["new"].as_str()),
            (Some("5.42.0"), Some("5.43.9"))
        );
        let got: Vec<(&str, &str, bool)> = bbc["candidates"]
            .as_array()
            .ok_or("no candidates")?
            .iter()
            .map(|c| {
                (
                    c["dist"].as_str().unwrap_or_default(),
                    c["verdict"].as_str().unwrap_or_default(),
                    c["strong"].as_bool().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, expected, "{path}: {bbc}");
    }

    let csv = get(&server, "/bbc.csv").await?;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("no header")?.split(',').collect();
    assert_eq!(header, riverpan_web::bbc::CSV_HEADER);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no {name}"))
    };
    let (dist, verdict, strong) = (column("dist")?, column("verdict")?, column("strong")?);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let got: Vec<(&str, &str, bool)> = rows
        .iter()
        .map(|r| (r[dist], r[verdict], r[strong] == "true"))
        .collect();
    assert_eq!(got, expected, "{text}");

    let page = get(&server, "/bbc").await?;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body)?;
    let at = |needle: &str| html.find(needle).ok_or(format!("no {needle} in the page"));
    let breaks = at(">Breaks on 5.43.9 (1)")?;
    let fixed = at(">Fixed by 5.43.9 (1)")?;
    let mixed = at(">Mixed results (1)")?;
    let broken_row = at(r#"href="/dist/Zzz-Broken""#)?;
    let fixed_row = at(r#"href="/dist/Aaa-Fixed""#)?;
    let mixed_row = at(r#"href="/dist/Mid-Mixed""#)?;
    assert!(
        breaks < broken_row && broken_row < fixed,
        "the break under its heading"
    );
    assert!(
        fixed < fixed_row && fixed_row < mixed,
        "the fix under its own heading"
    );
    assert!(mixed < mixed_row);
    assert!(!html.contains(r#"href="/dist/Good-Dist""#));

    // The API documents the verdict.
    let document = get(&server, "/api/v1/openapi.json").await?.json();
    assert_eq!(
        document.pointer("/components/schemas/BbcVerdict/enum"),
        Some(&json!(["breaks", "fixed", "mixed"]))
    );
    let documented = document
        .pointer("/components/schemas/BbcCandidate/properties")
        .and_then(Value::as_object)
        .ok_or("no BbcCandidate")?;
    let answer = get(&server, "/api/v1/bbc").await?.json();
    for field in answer["candidates"][0]
        .as_object()
        .ok_or("a candidate")?
        .keys()
    {
        assert!(documented.contains_key(field), "{field} is not documented");
    }
    server.stop().await
}

const PROFILE: &str = "0e1a1b6a-4d6c-11e5-8a33-0d7fd3a6d2e2";

fn fact(ty: &str, guid: &str, content: Value) -> Value {
    json!({"metadata": {"core": {"guid": guid, "type": ty,
    "resource": "cpan:///distfile/PREACTION/Yancy-1.004.tar.gz",
    "creator": format!("metabase:user:{PROFILE}"),
    "creation_time": "2018-04-17T04:10:57Z", "update_time": "2018-04-17T04:10:57Z",
    "schema_version": 1, "valid": 1}},
    // String facts (names, e-mail, secret) carry the bare string; the others JSON text.
    "content": match content {
        Value::String(text) => text,
        other => other.to_string(),
    }})
}

fn metabase_body() -> String {
    let legacy = json!({"grade": "PASS", "osname": "linux", "osversion": "6.1.0",
        "archname": "x86_64-linux", "perl_version": "v5.43.9", "textreport": "All tests successful"});
    let summary = json!({"grade": "PASS", "osname": "linux", "osversion": "6.1.0",
        "archname": "x86_64-linux", "perl_version": "v5.43.9"});
    let l = fact(
        "CPAN-Testers-Fact-LegacyReport",
        "11111111-0000-0000-0000-000000000001",
        legacy,
    );
    let s = fact(
        "CPAN-Testers-Fact-TestSummary",
        "11111111-0000-0000-0000-000000000002",
        summary,
    );
    fact(
        "CPAN-Testers-Report",
        "AAAAAAAA-0000-0000-0000-000000000000",
        json!([l, s]),
    )
    .to_string()
}

fn register_body() -> String {
    let name = fact(
        "Metabase-User-FullName",
        "22222222-0000-0000-0000-000000000001",
        json!("Jane Tester"),
    );
    let email = fact(
        "Metabase-User-EmailAddress",
        "22222222-0000-0000-0000-000000000002",
        json!("jane@example.com"),
    );
    let mut profile = fact("Metabase-User-Profile", PROFILE, json!([name, email]));
    profile["metadata"]["core"]["resource"] = json!(format!("metabase:user:{PROFILE}"));
    let mut secret = fact(
        "Metabase-User-Secret",
        "33333333-0000-0000-0000-000000000000",
        json!("s3cret"),
    );
    secret["metadata"]["core"]["resource"] = json!(format!("metabase:user:{PROFILE}"));
    json!([profile, secret]).to_string()
}

#[tokio::test]
async fn metabase_protocol() -> TestResult {
    use base64::Engine;
    let dir = tempfile::tempdir()?;
    let server = started(&dir.path().join("data")).await?;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{PROFILE}:s3cret"))
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let path = "/api/v1/submit/CPAN-Testers-Report";

    // Unknown profile: 401, and the pre-flight says 404.
    let refused = send(
        server.addr,
        "POST",
        path,
        &headers,
        metabase_body().as_bytes(),
    )
    .await?;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.json()["error"],
        format!("User {PROFILE} unrecognized").as_str()
    );
    assert_eq!(
        get(&server, &format!("/api/v1/guid/{PROFILE}"))
            .await?
            .status,
        404
    );

    let registered = send(
        server.addr,
        "POST",
        "/api/v1/register",
        &[],
        register_body().as_bytes(),
    )
    .await?;
    assert_eq!(
        registered.status,
        200,
        "{}",
        String::from_utf8_lossy(&registered.body)
    );
    assert_eq!(registered.json()["message"], "accepted");
    assert_eq!(
        get(&server, &format!("/api/v1/guid/{PROFILE}"))
            .await?
            .status,
        200
    );

    let accepted = send(
        server.addr,
        "POST",
        path,
        &headers,
        metabase_body().as_bytes(),
    )
    .await?;
    assert_eq!(
        accepted.status,
        201,
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    let guid = "aaaaaaaa-0000-0000-0000-000000000000";
    assert_eq!(accepted.json()["guid"], guid);
    assert!(accepted
        .header("location")
        .is_some_and(|l| l.ends_with(&format!("/guid/{guid}"))));
    assert_eq!(
        get(&server, &format!("/api/v1/guid/{guid}")).await?.status,
        200
    );

    let report = get(&server, &format!("/v3/report/{guid}")).await?.json();
    assert_eq!(report["reporter"]["name"], "Jane Tester");
    assert_eq!(report["reporter"]["email"], "jane@example.com");
    assert_eq!(report["environment"]["language"]["version"], "5.43.9");
    let rows = get(&server, "/v3/summary/Yancy/1.004").await?.json();
    assert_eq!(rows[0]["grade"], "pass", "{rows}");
    server.stop().await
}

/// `[profile, secret]` for `PROFILE` with this name and secret, as metabase-profile writes it:
/// the String facts' content is the bare string, not JSON.
fn registration(name: &str, secret: &str) -> String {
    let mut body: Value = serde_json::from_str(&register_body()).unwrap();
    let mut subs: Value = serde_json::from_str(body[0]["content"].as_str().unwrap()).unwrap();
    subs[0]["content"] = json!(name);
    body[0]["content"] = json!(subs.to_string());
    body[1]["content"] = json!(secret);
    body.to_string()
}

fn basic(secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{PROFILE}:{secret}"))
    )
}

/// A Metabase submission for `PROFILE` with `secret`, as HTTP::Tiny sends it.
async fn submit_as(
    server: &RunningServer,
    secret: &str,
    body: &str,
) -> Result<Answer, Box<dyn Error>> {
    let auth = basic(secret);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content_Type", "application/json"),
        ("Accept", "application/json"),
        ("Content-Type", "application/octet-stream"),
    ];
    send(
        server.addr,
        "POST",
        "/api/v1/submit/CPAN-Testers-Report",
        &headers,
        body.as_bytes(),
    )
    .await
}

async fn register_as(server: &RunningServer, body: &str) -> Result<Answer, Box<dyn Error>> {
    send(
        server.addr,
        "POST",
        "/api/v1/register",
        &[],
        body.as_bytes(),
    )
    .await
}

fn report_count(data: &Path) -> i64 {
    let conn = riverpan_testers::store::open(data).unwrap();
    conn.query_row("SELECT COUNT(*) FROM testers_reports", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn metabase_secret_is_checked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = started(&data).await?;
    let report_guid = "aaaaaaaa-0000-0000-0000-000000000000";

    // Unknown profile: 401 with the shim's message, nothing stored.
    let unknown = submit_as(&server, "s3cret", &metabase_body()).await?;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.json(),
        json!({"error": format!("User {PROFILE} unrecognized")})
    );
    assert_eq!(report_count(&data), 0);
    // No credentials at all.
    let anonymous = send(
        server.addr,
        "POST",
        "/api/v1/submit/CPAN-Testers-Report",
        &[],
        metabase_body().as_bytes(),
    )
    .await?;
    assert_eq!(anonymous.status, 401);

    // GET and HEAD of an unknown guid: 404 (the client's pre-flight before registering).
    let missing = get(&server, &format!("/api/v1/guid/{PROFILE}")).await?;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"error": format!("{PROFILE} not found")})
    );
    let head = send(
        server.addr,
        "HEAD",
        &format!("/api/v1/guid/{PROFILE}"),
        &[],
        b"",
    )
    .await?;
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());

    // A numeric secret stays a string (String facts are not JSON inside).
    let registered = register_as(&server, &registration("Jane Tester", "12345")).await?;
    assert_eq!(
        registered.status,
        200,
        "{}",
        String::from_utf8_lossy(&registered.body)
    );
    assert_eq!(registered.json(), json!({"message": "accepted"}));
    let head = send(
        server.addr,
        "HEAD",
        &format!("/api/v1/guid/{PROFILE}"),
        &[],
        b"",
    )
    .await?;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // The secret is stored as its SHA-256, never as itself.
    {
        let conn = riverpan_testers::store::open(&data)?;
        let (hash, name): (String, String) = conn.query_row(
            "SELECT secret_sha256, fullname FROM testers_metabase_profiles WHERE guid = ?1",
            [PROFILE],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!(
            hash,
            "5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5"
        );
        assert_eq!(name, "Jane Tester");
    }

    // Wrong secret: 401, and nothing is stored.
    let wrong = submit_as(&server, "1234", &metabase_body()).await?;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json(),
        json!({"error": format!("Wrong secret for user {PROFILE}")})
    );
    let no_secret = submit_as(&server, "", &metabase_body()).await?;
    assert_eq!(no_secret.status, 401);
    assert_eq!(report_count(&data), 0);
    assert_eq!(
        get(&server, &format!("/api/v1/guid/{report_guid}"))
            .await?
            .status,
        404
    );
    assert_eq!(
        get(&server, &format!("/v3/report/{report_guid}"))
            .await?
            .status,
        404
    );
    // An unreadable body from a wrong secret is still a 401: nothing is read before the check.
    assert_eq!(submit_as(&server, "nope", "not json").await?.status, 401);
    // ... and with the right secret it is a 400.
    assert_eq!(submit_as(&server, "12345", "not json").await?.status, 400);

    // Taking the guid over with another secret is refused, and changes nothing.
    let takeover = register_as(&server, &registration("Mallory", "other")).await?;
    assert_eq!(takeover.status, 409);
    assert_eq!(
        takeover.json(),
        json!({"error": format!("GUID {PROFILE} is already registered with a different secret")})
    );
    assert_eq!(
        submit_as(&server, "other", &metabase_body()).await?.status,
        401
    );

    // The same secret updates the name.
    let renamed = register_as(&server, &registration("Jane Q. Tester", "12345")).await?;
    assert_eq!(renamed.status, 200);
    let accepted = submit_as(&server, "12345", &metabase_body()).await?;
    assert_eq!(
        accepted.status,
        201,
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    assert_eq!(report_count(&data), 1);
    let report = get(&server, &format!("/v3/report/{report_guid}"))
        .await?
        .json();
    assert_eq!(report["reporter"]["name"], "Jane Q. Tester");
    assert_eq!(report["reporter"]["email"], "jane@example.com");

    // Registrations that are not a profile and its secret.
    for bad in [
        "not json".to_string(),
        json!({}).to_string(),
        json!([serde_json::from_str::<Value>(&register_body())?[0]]).to_string(),
        registration("Jane", ""),
    ] {
        let refused = register_as(&server, &bad).await?;
        assert_eq!(refused.status, 400, "{bad}");
        assert!(refused.json()["error"].is_string());
    }
    // A secret about another user is refused too.
    let mut foreign: Value = serde_json::from_str(&registration("Jane", "12345"))?;
    foreign[1]["metadata"]["core"]["resource"] =
        json!("metabase:user:ffffffff-0000-0000-0000-000000000000");
    assert_eq!(
        register_as(&server, &foreign.to_string()).await?.status,
        400
    );
    server.stop().await
}

#[tokio::test]
async fn reports_for_dists_riverpan_does_not_host_are_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = started(&data).await?;

    // v3 without a path: the release is kept, its author unknown.
    assert_eq!(
        post_json(&server, "/v3/report", &valid_report())
            .await?
            .status,
        201
    );
    // v3 with the collector's distribution.path: the author is known.
    let mut with_path = valid_report();
    with_path["distribution"] = json!({"name": "Other-Dist", "version": "2.5",
        "path": "O/OW/OWNER/Other-Dist-2.5.tar.gz"});
    assert_eq!(
        post_json(&server, "/v3/report", &with_path).await?.status,
        201
    );
    // Metabase: the author comes from the cpan:///distfile resource.
    assert_eq!(register_as(&server, &register_body()).await?.status, 200);
    assert_eq!(
        submit_as(&server, "s3cret", &metabase_body()).await?.status,
        201
    );

    let conn = riverpan_testers::store::open(&data)?;
    let mut stmt = conn.prepare(
        "SELECT dist, version, author, developer, reports FROM testers_releases ORDER BY dist",
    )?;
    let releases: Vec<(String, String, Option<String>, bool, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    assert_eq!(
        releases,
        vec![
            ("My-Dist".into(), "1.001".into(), None, false, 1),
            (
                "Other-Dist".into(),
                "2.5".into(),
                Some("OWNER".into()),
                false,
                1
            ),
            (
                "Yancy".into(),
                "1.004".into(),
                Some("PREACTION".into()),
                false,
                1
            ),
        ]
    );
    // No repository upload exists for any of them: they are provisional.
    let store = riverpan_store::Store::open(&data)?;
    assert!(store.reader().uploads()?.is_empty());
    server.stop().await
}
