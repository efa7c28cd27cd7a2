//! The legacy Metabase protocol end to end with the Perl client stack testers run today:
//! `tests/perl/metabase-submit.pl` builds a report with Debian's Test::Reporter and
//! Metabase::Fact, wraps it in a CPAN::Testers::Report fact as
//! Test::Reporter::Transport::Metabase does, and sends it as Metabase::Client::Simple does
//! (HTTP::Tiny, userinfo auth, the 401 → HEAD guid → register → retry dance) to the real server.
//! The report is then read back through the v3 API.
//!
//! Skipped, with a message, when perl or one of the Perl modules is missing, or when
//! `RIVERPAN_SKIP_PERL=1`.

mod support;

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{request, RunningServer, TestResult};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/perl/metabase-submit.pl");
const DISTFILE: &str = "AUTHOR/Dist-1.0.tar.gz";
const NAME: &str = "Jane Tester";
const EMAIL: &str = "jane@example.com";
/// A colon and spaces: the client escapes the userinfo with HTTP::Tiny's `_uri_escape`, which
/// turns a space into `+` (not `%20`), so the server sees `s3cret:+with+spaces`.
const SECRET: &str = "s3cret: with spaces";

/// Why the Perl side cannot run here, if it cannot.
fn perl_missing() -> Option<String> {
    if std::env::var("RIVERPAN_SKIP_PERL").as_deref() == Ok("1") {
        return Some("RIVERPAN_SKIP_PERL=1".to_string());
    }
    let modules = [
        "Test::Reporter",
        "Metabase::Fact",
        "Metabase::Report",
        "Metabase::User::Profile",
        "Metabase::User::Secret",
        "Config::Perl::V",
        "HTTP::Tiny",
        "JSON::PP",
        "URI",
    ];
    let mut check = Command::new("perl");
    for module in modules {
        check.arg(format!("-M{module}"));
    }
    match check.args(["-e", "1"]).output() {
        Err(e) => Some(format!("no perl: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "Perl modules missing (apt-get install libtest-reporter-perl libmetabase-fact-perl liburi-perl): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// What one run of the client gave: its exit status and its JSON account of the exchange.
struct ClientRun {
    success: bool,
    out: Value,
}

impl ClientRun {
    /// `[method, path, status]` of every HTTP exchange, in order.
    fn exchanges(&self) -> Vec<(String, String, u64)> {
        self.out["exchanges"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|x| {
                        (
                            x["method"].as_str().unwrap_or_default().to_string(),
                            x["path"].as_str().unwrap_or_default().to_string(),
                            x["status"].as_u64().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs the Perl client (on the blocking pool, so that the server keeps answering).
async fn run_client(
    addr: SocketAddr,
    id_file: &Path,
    grade: &str,
    use_secret: Option<&str>,
) -> Result<ClientRun, Box<dyn Error>> {
    let mut command = Command::new("perl");
    command
        .arg(SCRIPT)
        .args(["--uri", &format!("http://{addr}/api/v1/")])
        .arg("--id-file")
        .arg(id_file)
        .args(["--distfile", DISTFILE, "--grade", grade])
        .args(["--name", NAME, "--email", EMAIL, "--secret", SECRET]);
    if let Some(secret) = use_secret {
        command.args(["--use-secret", secret]);
    }
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let out: Value = serde_json::from_str(stdout.trim()).map_err(|e| {
        format!(
            "client printed no JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok(ClientRun {
        success: output.status.success(),
        out,
    })
}

fn exchange(method: &str, path: &str, status: u64) -> (String, String, u64) {
    (method.to_string(), path.to_string(), status)
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored profile: guid, full name, e-mail, secret hash.
type ProfileRow = (String, String, String, String);

/// The reports and profiles the store holds, read straight from the file.
fn stored(data: &Path) -> Result<(i64, Vec<ProfileRow>), Box<dyn Error>> {
    let conn = riverpan_testers::store::open(data)?;
    let reports = conn.query_row("SELECT COUNT(*) FROM testers_reports", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT guid, fullname, email, secret_sha256 FROM testers_metabase_profiles ORDER BY guid",
    )?;
    let profiles = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok((reports, profiles))
}

#[tokio::test]
async fn perl_client_submits_and_the_report_reads_back() -> TestResult {
    if let Some(why) = perl_missing() {
        eprintln!("skipping the Perl Metabase client test: {why}");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let data: PathBuf = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let server = RunningServer::start(&data).await?;
    let id_file = dir.path().join("metabase_id.json");

    // First submission: the profile is unknown, so the client registers it and retries.
    let first = run_client(server.addr, &id_file, "fail", None).await?;
    assert!(first.success, "{}", first.out);
    assert_eq!(first.out["accepted"], true);
    let profile = first.out["profile_guid"]
        .as_str()
        .ok_or("no profile guid")?
        .to_ascii_lowercase();
    let submit = "/api/v1/submit/CPAN-Testers-Report";
    assert_eq!(
        first.exchanges(),
        vec![
            exchange("POST", submit, 401),
            exchange("HEAD", &format!("/api/v1/guid/{profile}"), 404),
            exchange("POST", "/api/v1/register", 200),
            exchange("POST", submit, 201),
        ]
    );
    let fact = &first.out["fact"];
    assert_eq!(fact["resource"], format!("cpan:///distfile/{DISTFILE}"));
    assert_eq!(
        fact["types"],
        json!([
            "CPAN-Testers-Fact-LegacyReport",
            "CPAN-Testers-Fact-TestSummary"
        ])
    );
    let legacy = &fact["legacy"];
    let id = fact["guid"]
        .as_str()
        .ok_or("no fact guid")?
        .to_ascii_lowercase();
    let perl_sent = legacy["perl_version"].as_str().ok_or("no perl_version")?;
    assert!(
        perl_sent.starts_with('v'),
        "Test::Reporter sends {perl_sent}"
    );
    let perl = perl_sent.trim_start_matches('v');

    // The stored v3 report carries every field of the fact and the registered profile.
    let report = request(server.addr, "GET", &format!("/v3/report/{id}"), &[]).await?;
    assert_eq!(report.status, 200, "{}", report.text());
    let report = report.json();
    assert_eq!(report["id"], id.as_str());
    assert_eq!(report["created"], fact["creation_time"]);
    assert_eq!(report["reporter"], json!({"name": NAME, "email": EMAIL}));
    assert_eq!(report["result"]["grade"], "fail");
    assert_eq!(
        report["result"]["output"]["uncategorized"],
        legacy["textreport"]
    );
    let language = &report["environment"]["language"];
    assert_eq!(language["name"], "Perl 5");
    assert_eq!(language["version"], perl);
    assert_eq!(language["archname"], legacy["archname"]);
    let system = &report["environment"]["system"];
    assert_eq!(system["osname"], legacy["osname"]);
    assert_eq!(system["osversion"], legacy["osversion"]);
    assert_eq!(report["distribution"]["name"], "Dist");
    assert_eq!(report["distribution"]["version"], "1.0");

    // And the summary row of the release.
    let summary = request(server.addr, "GET", "/v3/summary/Dist/1.0", &[]).await?;
    assert_eq!(summary.status, 200, "{}", summary.text());
    let rows = summary.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    let row = &rows[0];
    assert_eq!(row["guid"], id.as_str());
    assert_eq!(row["grade"], "fail");
    assert_eq!(row["dist"], "Dist");
    assert_eq!(row["version"], "1.0");
    assert_eq!(row["osname"], legacy["osname"]);
    assert_eq!(row["osvers"], legacy["osversion"]);
    assert_eq!(row["platform"], legacy["archname"]);
    assert_eq!(row["perl"], perl);
    let created = fact["creation_time"].as_str().ok_or("no creation_time")?;
    // CPAN Testers keeps the creation time to the minute in summaries.
    assert_eq!(row["date"], format!("{}:00Z", &created[..16]));
    let reporter = row["reporter"].as_str().ok_or("no reporter")?;
    assert!(
        reporter.contains(NAME) && reporter.contains(EMAIL),
        "{reporter}"
    );

    // The profile is stored with the secret's SHA-256, never the secret.
    let (reports, profiles) = stored(&data)?;
    assert_eq!(reports, 1);
    assert_eq!(
        profiles,
        vec![(
            profile.clone(),
            NAME.to_string(),
            EMAIL.to_string(),
            sha256_hex(&SECRET.replace(' ', "+"))
        )]
    );

    // Once registered, a submission is one request.
    let second = run_client(server.addr, &id_file, "pass", None).await?;
    assert!(second.success, "{}", second.out);
    assert_eq!(second.exchanges(), vec![exchange("POST", submit, 201)]);

    // A wrong secret: 401, the client sees that the guid exists and gives up without
    // registering again; nothing is stored.
    let wrong = run_client(server.addr, &id_file, "pass", Some("not the secret")).await?;
    assert!(!wrong.success, "{}", wrong.out);
    assert_eq!(wrong.out["accepted"], false);
    let error = wrong.out["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("authentication failed") && error.contains(&profile),
        "{error}"
    );
    assert_eq!(
        wrong.exchanges(),
        vec![
            exchange("POST", submit, 401),
            exchange("HEAD", &format!("/api/v1/guid/{profile}"), 200),
        ]
    );
    let refused_id = wrong.out["fact"]["guid"]
        .as_str()
        .ok_or("no fact guid")?
        .to_ascii_lowercase();
    let missing = request(server.addr, "GET", &format!("/v3/report/{refused_id}"), &[]).await?;
    assert_eq!(missing.status, 404);
    let (reports, profiles_after) = stored(&data)?;
    assert_eq!(reports, 2, "only the two accepted reports are stored");
    assert_eq!(profiles_after, profiles, "the profile is unchanged");

    // The report of a dist riverpan does not host is kept as a provisional release, with the
    // author the distfile names.
    let conn = riverpan_testers::store::open(&data)?;
    let release: (Option<String>, i64) = conn.query_row(
        "SELECT author, reports FROM testers_releases WHERE dist = 'Dist' AND version = '1.0'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!(release, (Some("AUTHOR".to_string()), 2));
    server.stop().await
}
