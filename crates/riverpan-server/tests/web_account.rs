//! The signed-in author's web pages through the real server, with curl as the browser: signing
//! in (good, bad, rate-limited), session expiry, CSRF refusals on every POST route, uploading
//! through the form, tokens, deletions, escaping, the CSP, `/status`, `/metrics` and the
//! Grafana dashboard.

mod write_support;

use std::error::Error;
use std::path::Path;

use riverpan_server::WriteOptions;
use sha2::Digest;
use write_support::*;

const HOSTILE: &str = "<script>alert(\"x\")</script>&'";

/// Every `Set-Cookie` of an answer.
fn set_cookies(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.trim().eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.trim().to_string())
        .collect()
}

/// A signed-in client: the session cookie and the CSRF token of its forms.
struct Client {
    base: String,
    session: String,
    csrf: String,
}

impl Client {
    fn cookie(&self) -> String {
        format!("riverpan_session={}", self.session)
    }

    fn get(&self, path: &str) -> Result<Answer, Box<dyn Error>> {
        curl(&format!("{}{path}", self.base), &["-b", &self.cookie()])
    }

    /// POSTs urlencoded `fields` (values given already encoded where needed).
    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Result<Answer, Box<dyn Error>> {
        let cookie = self.cookie();
        let mut args: Vec<String> = vec!["-b".into(), cookie, "-X".into(), "POST".into()];
        for (key, value) in fields {
            args.push("--data-urlencode".into());
            args.push(format!("{key}={value}"));
        }
        if fields.is_empty() {
            args.push("-d".into());
            args.push(String::new());
        }
        curl(&format!("{}{path}", self.base), &as_args(&args))
    }

    fn post_with_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Answer, Box<dyn Error>> {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all)
    }

    /// Uploads `file` through the account form, with `csrf` as the token field.
    fn upload(&self, file: &Path, csrf: Option<&str>) -> Result<Answer, Box<dyn Error>> {
        let cookie = self.cookie();
        let mut args: Vec<String> = vec!["-b".into(), cookie];
        if let Some(csrf) = csrf {
            args.push("-F".into());
            args.push(format!("csrf={csrf}"));
        }
        args.push("-F".into());
        args.push(format!("file=@{}", file.display()));
        curl(&format!("{}/account/upload", self.base), &as_args(&args))
    }
}

/// Signs `userid` in through the form and returns the client.
fn sign_in(server: &TestServer, userid: &str) -> Result<Client, Box<dyn Error>> {
    let form = curl(&server.url("/signin"), &[])?;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = cookie_value(&form, "riverpan_signin").ok_or("no sign-in cookie")?;
    let field = field_in(&form.body, "csrf").ok_or("no csrf field")?;
    assert_eq!(token, field);
    let answer = curl(
        &server.url("/signin"),
        &[
            "-b",
            &format!("riverpan_signin={token}"),
            "--data-urlencode",
            &format!("userid={userid}"),
            "--data-urlencode",
            &format!("password={PASSWORD}"),
            "--data-urlencode",
            &format!("csrf={field}"),
        ],
    )?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location").as_deref(), Some("/account"));
    let session = cookie_value(&answer, "riverpan_session").ok_or("no session cookie")?;
    let mut client = Client {
        base: server.url(""),
        session,
        csrf: String::new(),
    };
    let account = client.get("/account")?;
    assert_eq!(account.status, 200, "{}", account.body);
    client.csrf = field_in(&account.body, "csrf").ok_or("no csrf on /account")?;
    Ok(client)
}

fn server_with_author(
    options: WriteOptions,
) -> Result<(tempfile::TempDir, TestServer), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    add_account(dir.path(), "NEILB", false)?;
    add_account(dir.path(), "OTHER", false)?;
    let server = TestServer::start(dir.path(), options)?;
    Ok((dir, server))
}

fn assert_csp(answer: &Answer) {
    assert_eq!(
        answer.header("content-security-policy").as_deref(),
        Some(riverpan_web::CONTENT_SECURITY_POLICY),
        "{}",
        answer.headers
    );
}

#[test]
fn signing_in_and_out() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions::default())?;
    // Signed out, the account page sends to the form.
    let answer = curl(&server.url("/account"), &[])?;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location").as_deref(), Some("/signin"));

    let form = curl(&server.url("/signin"), &[])?;
    assert_csp(&form);
    let signin_cookie = set_cookies(&form)
        .into_iter()
        .find(|cookie| cookie.starts_with("riverpan_signin="))
        .ok_or("no sign-in cookie")?;
    assert!(signin_cookie.contains("HttpOnly"), "{signin_cookie}");
    let token = cookie_value(&form, "riverpan_signin").ok_or("no token")?;
    let jar = format!("riverpan_signin={token}");
    let post = |fields: &[String], extra: &[&str]| {
        let mut args: Vec<String> = vec!["-b".into(), jar.clone()];
        for field in fields {
            args.push("--data-urlencode".into());
            args.push(field.clone());
        }
        args.extend(extra.iter().map(|arg| arg.to_string()));
        curl(&server.url("/signin"), &as_args(&args))
    };
    // Without or with a wrong form token: refused before the password is looked at.
    let answer = post(
        &["userid=NEILB".into(), format!("password={PASSWORD}")],
        &[],
    )?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let answer = post(
        &[
            "userid=NEILB".into(),
            format!("password={PASSWORD}"),
            "csrf=00".into(),
        ],
        &[],
    )?;
    assert_eq!(answer.status, 403);
    // A wrong password: 401, the form again with the (escaped) id typed.
    let answer = post(
        &[
            format!("userid={HOSTILE}"),
            "password=wrong".into(),
            format!("csrf={token}"),
        ],
        &[],
    )?;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("Wrong PAUSE id or password."));
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(answer.body.contains("&lt;SCRIPT&gt;"), "{}", answer.body);
    assert!(cookie_value(&answer, "riverpan_session").is_none());
    // The right password, behind an https proxy: a Secure session cookie.
    let answer = post(
        &[
            "userid=neilb".into(),
            format!("password={PASSWORD}"),
            format!("csrf={token}"),
        ],
        &["-H", "X-Forwarded-Proto: https"],
    )?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let session_cookie = set_cookies(&answer)
        .into_iter()
        .find(|cookie| cookie.starts_with("riverpan_session="))
        .ok_or("no session cookie")?;
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Secure",
        "Max-Age=43200",
    ] {
        assert!(
            session_cookie.contains(attribute),
            "{attribute} in {session_cookie}"
        );
    }
    let secret = cookie_value(&answer, "riverpan_session").ok_or("no session")?;
    assert_eq!(secret.len(), 64);
    // Stored hashed, never as sent.
    let conn =
        riverpan_testers::rusqlite::Connection::open(server.data_dir.join("riverpan.sqlite"))?;
    let stored: String =
        conn.query_row("SELECT id_sha256 FROM web_sessions", [], |row| row.get(0))?;
    assert_ne!(stored, secret);
    let digest: String = sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(stored, digest);

    // Plain http: no Secure.
    let client = sign_in(&server, "NEILB")?;
    let account = client.get("/account")?;
    assert_csp(&account);
    assert_eq!(account.header("cache-control").as_deref(), Some("no-store"));
    assert!(account.body.contains("<h1>NEILB</h1>"), "{}", account.body);
    assert!(account.body.contains("Sign out"));
    // Other pages know who is looking.
    let status = client.get("/status")?;
    assert!(
        status.body.contains(r#"<a href="/account">NEILB</a>"#),
        "{}",
        status.body
    );
    // Signed in, the form sends to the account.
    assert_eq!(client.get("/signin")?.status, 303);

    let answer = client.post_with_csrf("/signout", &[])?;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location").as_deref(), Some("/"));
    assert!(set_cookies(&answer)
        .iter()
        .any(|cookie| cookie.starts_with("riverpan_session=;") && cookie.contains("Max-Age=0")));
    // The session is gone on the server, not only in the browser.
    assert_eq!(client.get("/account")?.status, 303);
    Ok(())
}

#[test]
fn sign_in_failures_are_rate_limited() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions {
        failures_per_minute: 3,
        ..WriteOptions::default()
    })?;
    let form = curl(&server.url("/signin"), &[])?;
    let token = cookie_value(&form, "riverpan_signin").ok_or("no token")?;
    let attempt = |password: &str| {
        curl(
            &server.url("/signin"),
            &[
                "-b",
                &format!("riverpan_signin={token}"),
                "--data-urlencode",
                "userid=NEILB",
                "--data-urlencode",
                &format!("password={password}"),
                "--data-urlencode",
                &format!("csrf={token}"),
            ],
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt("wrong")?.status, 401);
    }
    // Over the limit even the right password is not checked.
    let answer = attempt(PASSWORD)?;
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert!(answer.header("retry-after").is_some());
    assert!(answer.body.contains("Too many failed sign-ins"));
    // The limiter is the upload endpoints' one: the API refuses this client too.
    let api = curl(
        &server.url("/api/upload?filename=x.tar.gz"),
        &["-u", &format!("NEILB:{PASSWORD}"), "--data-binary", "x"],
    )?;
    assert_eq!(api.status, 429, "{}", api.body);
    Ok(())
}

#[test]
fn expired_sessions_are_refused() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    let conn =
        riverpan_testers::rusqlite::Connection::open(server.data_dir.join("riverpan.sqlite"))?;
    let changed = conn.execute("UPDATE web_sessions SET expires_at = 1", [])?;
    assert_eq!(changed, 1);
    let answer = client.get("/account")?;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location").as_deref(), Some("/signin"));
    // A form of the expired session is refused, token or not.
    let answer = client.post_with_csrf("/account/tokens", &[("scope", "upload")])?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("not signed in"), "{}", answer.body);
    let rows: i64 = conn.query_row("SELECT count(*) FROM web_sessions", [], |row| row.get(0))?;
    assert_eq!(rows, 0, "the expired session is removed when seen");
    Ok(())
}

#[test]
fn every_post_route_refuses_a_missing_or_wrong_csrf_token() -> TestResult {
    let (dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Csrf-Test", "1.0", 0)?;
    let wrong = "0".repeat(client.csrf.len());
    let routes = [
        "/signout",
        "/account/tokens",
        "/account/tokens/0123456789abcdef/revoke",
        "/account/deletions",
        "/account/deletions/1/cancel",
    ];
    for route in routes {
        let answer = client.post(
            route,
            &[("scope", "upload"), ("path", "Csrf-Test-1.0.tar.gz")],
        )?;
        assert_eq!(
            answer.status, 403,
            "{route} without a token: {}",
            answer.body
        );
        assert_csp(&answer);
        let answer = client.post(
            route,
            &[
                ("csrf", &wrong),
                ("scope", "upload"),
                ("path", "Csrf-Test-1.0.tar.gz"),
            ],
        )?;
        assert_eq!(
            answer.status, 403,
            "{route} with a wrong token: {}",
            answer.body
        );
    }
    for csrf in [None, Some(wrong.as_str())] {
        let answer = client.upload(&dist, csrf)?;
        assert_eq!(answer.status, 403, "upload with {csrf:?}: {}", answer.body);
    }
    // Nothing happened: no token, no upload, still signed in.
    assert_eq!(upload_count(dir.path())?, 0);
    let store = riverpan_store::Store::open(dir.path())?;
    assert!(store.tokens_of("NEILB")?.is_empty());
    assert_eq!(client.get("/account")?.status, 200);
    // A token of another session is no good either.
    let other = sign_in(&server, "OTHER")?;
    let answer = client.post(
        "/account/tokens",
        &[("csrf", &other.csrf), ("scope", "upload")],
    )?;
    assert_eq!(answer.status, 403);
    assert!(store.tokens_of("NEILB")?.is_empty());
    Ok(())
}

#[test]
fn uploads_through_the_form_are_queued_then_indexed() -> TestResult {
    let (dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Web-Upload", "1.0", 0)?;
    let answer = client.upload(&dist, Some(&client.csrf))?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.header("location").ok_or("no location")?;
    let id: i64 = location
        .strip_prefix("/account/uploads/")
        .ok_or("not an upload page")?
        .parse()?;
    assert!(dir
        .path()
        .join("cpan/authors/id/N/NE/NEILB/Web-Upload-1.0.tar.gz")
        .exists());
    let page = client.get(&location)?;
    assert_eq!(page.status, 200);
    assert_csp(&page);
    assert!(page.body.contains("Web-Upload-1.0.tar.gz"), "{}", page.body);
    assert!(
        page.body.contains("stored and queued for indexing"),
        "{}",
        page.body
    );
    wait_for("the upload to be indexed", || {
        Ok(upload_state(dir.path(), id)?.as_deref() == Some("indexed"))
    })?;
    let page = client.get(&location)?;
    assert!(
        page.body
            .contains(r#"<td id="upload-state" class="pass">indexed</td>"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"<pre id="report-text">"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Web::Upload"), "{}", page.body);
    let account = client.get("/account")?;
    assert!(
        account
            .body
            .contains(&format!(r#"<tr data-upload="{id}">"#)),
        "{}",
        account.body
    );
    // The same refusals as the PAUSE form: a file name used before is a 409.
    let again = client.upload(&dist, Some(&client.csrf))?;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("Duplicated"), "{}", again.body);
    assert!(
        again.body.contains("<h1>NEILB</h1>"),
        "the account page with the error"
    );
    // Someone else's upload page does not exist for this author.
    let other = sign_in(&server, "OTHER")?;
    assert_eq!(other.get(&location)?.status, 404);
    Ok(())
}

#[test]
fn a_held_queue_shows_the_upload_queued() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions {
        hold_queue: true,
        ..WriteOptions::default()
    })?;
    let client = sign_in(&server, "NEILB")?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Held-Up", "1.0", 0)?;
    let answer = client.upload(&dist, Some(&client.csrf))?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = client.get(&answer.header("location").ok_or("no location")?)?;
    assert!(
        page.body
            .contains(r#"<td id="upload-state" class="na">queued</td>"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("0 upload(s) ahead of it"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not indexed yet"));
    // The status page sees the waiting upload.
    let status = client.get("/status")?;
    assert!(
        status.body.contains("upload-queue-depth"),
        "{}",
        status.body
    );
    let metrics = curl(&server.url("/metrics"), &[])?;
    assert!(
        metrics.body.contains("riverpan_upload_queue_depth 1\n"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("riverpan_upload_queue_oldest_age_seconds "),
        "{}",
        metrics.body
    );
    Ok(())
}

#[test]
fn tokens_are_created_shown_once_and_revoked() -> TestResult {
    let (dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    // A bad scope: 400, the account page with the (escaped) reason.
    let answer = client.post_with_csrf("/account/tokens", &[("scope", HOSTILE)])?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(answer.body.contains("&lt;script&gt;"), "{}", answer.body);

    let answer = client.post_with_csrf(
        "/account/tokens",
        &[
            ("scope", "upload:Web::*"),
            ("expires", "30d"),
            ("description", HOSTILE),
        ],
    )?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location").as_deref(), Some("/account"));
    let page = client.get("/account")?;
    let start = page
        .body
        .find("<pre><code>NEILB:")
        .ok_or("the secret is not shown")?
        + "<pre><code>".len();
    let shown = &page.body[start..start + page.body[start..].find('<').ok_or("no end")?];
    let parts: Vec<&str> = shown.split(':').collect();
    assert_eq!(parts.len(), 3, "{shown}");
    assert_eq!((parts[1].len(), parts[2].len()), (16, 64), "{shown}");
    assert!(
        page.body.contains("<code>upload:Web::*</code>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;'"),
        "{}",
        page.body
    );
    // Once.
    let again = client.get("/account")?;
    assert!(
        !again.body.contains(parts[2]),
        "the secret is shown only once"
    );
    // The token works (out of its scope: 403, not 401), and it expires in 30 days.
    let scratch = tempfile::tempdir()?;
    let outside = make_dist(scratch.path(), "Other-Dist", "1.0", 0)?;
    let bearer = format!("Authorization: Bearer {shown}");
    let file = format!("file=@{}", outside.display());
    let api = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &file])?;
    assert_eq!(api.status, 403, "{}", api.body);
    let store = riverpan_store::Store::open(dir.path())?;
    let tokens = store.tokens_of("NEILB")?;
    assert_eq!(tokens.len(), 1);
    let lifetime = tokens[0].expires_at.ok_or("no expiry")? - tokens[0].created_at;
    assert_eq!(lifetime, 30 * 86_400);
    // Revoked: the API refuses it, the list says so.
    let token_id = parts[1];
    let answer = client.post_with_csrf(&format!("/account/tokens/{token_id}/revoke"), &[])?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let api = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &file])?;
    assert_eq!(api.status, 401, "{}", api.body);
    let page = client.get("/account")?;
    assert!(
        page.body.contains(r#"<td class="fail">revoked</td>"#),
        "{}",
        page.body
    );
    // Another author cannot revoke it (it does not exist for them).
    let other = sign_in(&server, "OTHER")?;
    let answer = other.post_with_csrf(&format!("/account/tokens/{token_id}/revoke"), &[])?;
    assert_eq!(answer.status, 404);
    Ok(())
}

#[test]
fn deletions_are_scheduled_and_cancelled() -> TestResult {
    let (dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Gone-Soon", "1.0", 0)?;
    let answer = client.upload(&dist, Some(&client.csrf))?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = client.get("/account")?;
    assert!(
        page.body
            .contains(r#"value="N/NE/NEILB/Gone-Soon-1.0.tar.gz""#),
        "{}",
        page.body
    );
    // Another author may not delete it.
    let other = sign_in(&server, "OTHER")?;
    let refused = other.post_with_csrf(
        "/account/deletions",
        &[("path", "N/NE/NEILB/Gone-Soon-1.0.tar.gz")],
    )?;
    assert!(
        refused.status == 403 || refused.status == 404,
        "{} {}",
        refused.status,
        refused.body
    );

    let answer = client.post_with_csrf(
        "/account/deletions",
        &[("path", "N/NE/NEILB/Gone-Soon-1.0.tar.gz")],
    )?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = client.get("/account")?;
    assert!(page.body.contains("will be deleted at"), "{}", page.body);
    let start = page
        .body
        .find(r#"action="/account/deletions/"#)
        .ok_or("no cancel form")?
        + r#"action="/account/deletions/"#.len();
    let id: i64 = page.body[start..start + page.body[start..].find('/').ok_or("no id")?].parse()?;
    let json = curl(&server.url(&format!("/api/v1/deletions/{id}")), &[])?.json()?;
    assert_eq!(json["state"], "scheduled");

    let answer = client.post_with_csrf(&format!("/account/deletions/{id}/cancel"), &[])?;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let json = curl(&server.url(&format!("/api/v1/deletions/{id}")), &[])?.json()?;
    assert_eq!(json["state"], "cancelled");
    let page = client.get("/account")?;
    assert!(page.body.contains("is cancelled"), "{}", page.body);
    // Cancelling twice: 409 with the reason on the page.
    let answer = client.post_with_csrf(&format!("/account/deletions/{id}/cancel"), &[])?;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(dir
        .path()
        .join("cpan/authors/id/N/NE/NEILB/Gone-Soon-1.0.tar.gz")
        .exists());
    Ok(())
}

#[test]
fn the_status_page_shows_every_part() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Status-Check", "1.0", 0)?;
    client.upload(&dist, Some(&client.csrf))?;
    wait_for("the index to be published", || {
        Ok(server
            .data_dir
            .join("cpan/modules/02packages.details.txt.gz")
            .exists())
    })?;
    let answer = curl(&server.url("/status"), &[])?;
    assert_eq!(answer.status, 200);
    assert_csp(&answer);
    let body = &answer.body;
    for id in [
        "upload-queue-depth",
        "upload-queue-oldest-age",
        "report-ingestion-rate",
        "report-lag",
        "index-age",
        "request-rate",
        "server-errors",
        "latency",
        "indexing-worker",
    ] {
        assert!(
            body.contains(&format!(r#"<tr id="{id}">"#)),
            "{id} in {body}"
        );
    }
    for job in ["indexing worker pass", "deletion executor", "river refresh"] {
        assert!(body.contains(&format!("<th>{job}</th>")), "{job} in {body}");
    }
    assert!(body.contains("<svg class=\"spark\""), "{body}");
    // Endpoints with their routes, the upload form's among them.
    assert!(body.contains("<code>/account/upload</code>"), "{body}");
    assert!(body.contains("<th>Store schema version</th>"), "{body}");
    assert!(!body.contains("<script"), "{body}");
    // The same figures at /metrics.
    let metrics = curl(&server.url("/metrics"), &[])?.body;
    for line in [
        "riverpan_upload_queue_depth ",
        "riverpan_upload_queue_oldest_age_seconds ",
        "riverpan_index_age_seconds ",
        "riverpan_testers_reports_total 0",
        "# TYPE riverpan_testers_report_lag_seconds gauge",
        "riverpan_job_last_run_timestamp_seconds{job=\"index_pass\"} ",
        "riverpan_job_runs_total{job=\"deletions\"} ",
        "riverpan_http_requests_total{path=\"/account/upload\",status=\"303\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
    Ok(())
}

/// The metric names a PromQL expression uses.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(found) = expr[i..].find("riverpan_") {
        let start = i + found;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        names.push(expr[start..end].to_string());
        i = end;
    }
    names
}

#[test]
fn the_grafana_dashboard_uses_only_metrics_that_exist() -> TestResult {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/grafana/riverpan.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    assert!(dashboard["title"].is_string());
    assert!(dashboard["uid"].is_string());
    assert!(dashboard["schemaVersion"].is_u64());
    let panels = dashboard["panels"].as_array().ok_or("no panels")?;
    assert!(panels.len() >= 10);
    let (_dir, server) = server_with_author(WriteOptions::default())?;
    // Something for every route-labelled series.
    curl(&server.url("/status"), &[])?;
    let metrics = curl(&server.url("/metrics"), &[])?.body;
    let mut used = Vec::new();
    for panel in panels {
        assert!(panel["gridPos"]["w"].is_u64(), "{panel}");
        assert!(panel["title"].is_string(), "{panel}");
        let targets = panel["targets"]
            .as_array()
            .ok_or("a panel without targets")?;
        assert!(!targets.is_empty());
        for target in targets {
            let expr = target["expr"].as_str().ok_or("a target without expr")?;
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{expr}");
            used.extend(names);
        }
    }
    used.sort();
    used.dedup();
    for name in &used {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| metrics.contains(&format!("# TYPE {base} histogram")))
            .unwrap_or(name);
        assert!(
            metrics.contains(&format!("# TYPE {family} ")),
            "{name} (used by the dashboard) is not in /metrics:\n{metrics}"
        );
    }
    // Every figure of the status page is on the dashboard.
    for name in [
        "riverpan_upload_queue_depth",
        "riverpan_upload_queue_oldest_age_seconds",
        "riverpan_testers_reports_total",
        "riverpan_testers_report_lag_seconds",
        "riverpan_index_age_seconds",
        "riverpan_http_requests_total",
        "riverpan_http_request_duration_seconds_bucket",
        "riverpan_job_last_run_timestamp_seconds",
    ] {
        assert!(
            used.iter().any(|used| used == name),
            "{name} not on the dashboard"
        );
    }
    Ok(())
}

#[test]
fn public_pages_show_the_signed_in_author() -> TestResult {
    let (_dir, server) = server_with_author(WriteOptions::default())?;
    let client = sign_in(&server, "NEILB")?;
    for path in ["/", "/river", "/bbc", "/search?q=Foo"] {
        let signed_in = client.get(path)?;
        assert!(
            signed_in.body.contains("Sign out") && signed_in.body.contains(">NEILB<"),
            "{path} does not show the session: {}",
            signed_in.body
        );
        assert!(
            signed_in.body.contains(&client.csrf),
            "{path}: no sign-out token"
        );
        let anonymous = curl(&server.url(path), &[])?;
        assert!(
            anonymous.body.contains("Sign in") && !anonymous.body.contains("Sign out"),
            "{path} shows a session to an anonymous reader"
        );
    }
    server.stop();
    Ok(())
}
