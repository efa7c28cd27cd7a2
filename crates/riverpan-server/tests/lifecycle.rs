//! The author life-cycle through the real server, with curl as the browser and client: the id
//! request form (trap field, forged and too-fast forms, checks, taken ids, limits), the
//! administrators' queue on the web and over the API (CSRF, non-administrators, mails), `nologin`
//! on every authentication path, deleting an id, the cleanup opt-out, the inactive-ids report.

mod write_support;

use std::error::Error;
use std::time::Duration;

use riverpan_repository::{IdRequestForm, MailConfig, RegistrationPolicy, Repository};
use riverpan_server::WriteOptions;
use riverpan_store::Store;
use write_support::*;

fn options() -> WriteOptions {
    WriteOptions {
        debounce: Duration::from_millis(50),
        min_form_time: Duration::ZERO,
        ..WriteOptions::default()
    }
}

/// A signed-in browser.
struct Client {
    base: String,
    session: String,
    csrf: String,
}

impl Client {
    fn get(&self, path: &str) -> Result<Answer, Box<dyn Error>> {
        curl(
            &format!("{}{path}", self.base),
            &["-b", &format!("riverpan_session={}", self.session)],
        )
    }

    fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> Result<Answer, Box<dyn Error>> {
        let mut args = vec![
            "-b".to_string(),
            format!("riverpan_session={}", self.session),
            "-X".into(),
            "POST".into(),
            "-d".into(),
            String::new(),
        ];
        if csrf {
            args.push("--data-urlencode".into());
            args.push(format!("csrf={}", self.csrf));
        }
        for (key, value) in fields {
            args.push("--data-urlencode".into());
            args.push(format!("{key}={value}"));
        }
        curl(&format!("{}{path}", self.base), &as_args(&args))
    }
}

/// Signs `userid` in through the form; the answer when it was refused.
fn sign_in(server: &TestServer, userid: &str) -> Result<Result<Client, Answer>, Box<dyn Error>> {
    let form = curl(&server.url("/signin"), &[])?;
    let token = cookie_value(&form, "riverpan_signin").ok_or("no sign-in cookie")?;
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
            &format!("csrf={token}"),
        ],
    )?;
    if answer.status != 303 {
        return Ok(Err(answer));
    }
    let session = cookie_value(&answer, "riverpan_session").ok_or("no session cookie")?;
    let mut client = Client {
        base: server.url(""),
        session,
        csrf: String::new(),
    };
    let account = client.get("/account")?;
    assert_eq!(account.status, 200, "{}", account.body);
    client.csrf = field_in(&account.body, "csrf").ok_or("no csrf")?;
    Ok(Ok(client))
}

fn signed_in(server: &TestServer, userid: &str) -> Result<Client, Box<dyn Error>> {
    sign_in(server, userid)?.map_err(|answer| format!("sign-in refused: {answer:?}").into())
}

/// Fetches the request form and sends it with `fields` (plus its issue time and token).
fn send_request(server: &TestServer, fields: &[(&str, &str)]) -> Result<Answer, Box<dyn Error>> {
    let form = curl(&server.url("/request-id"), &[])?;
    assert_eq!(form.status, 200, "{}", form.body);
    let issued = field_in(&form.body, "issued").ok_or("no issued field")?;
    let token = field_in(&form.body, "form_token").ok_or("no form token")?;
    post_request(server, &issued, &token, fields)
}

fn post_request(
    server: &TestServer,
    issued: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> Result<Answer, Box<dyn Error>> {
    let mut args = vec![
        "--data-urlencode".to_string(),
        format!("issued={issued}"),
        "--data-urlencode".into(),
        format!("form_token={token}"),
    ];
    for (key, value) in fields {
        args.push("--data-urlencode".into());
        args.push(format!("{key}={value}"));
    }
    curl(&server.url("/request-id"), &as_args(&args))
}

fn request_fields<'a>(userid: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("userid", userid),
        ("fullname", "Ada Lovelace"),
        ("email", email),
        ("homepage", ""),
        ("rationale", "I want to release Analytical::Engine."),
        ("url", ""),
    ]
}

fn pending(data_dir: &std::path::Path) -> Result<Vec<String>, Box<dyn Error>> {
    Ok(Store::open(data_dir)?
        .id_requests(Some("pending"))?
        .into_iter()
        .map(|request| request.userid)
        .collect())
}

#[test]
fn the_request_form_checks_traps_and_limits() -> TestResult {
    let dir = tempfile::tempdir()?;
    add_account(dir.path(), "NEILB", false)?;
    let server = TestServer::start(
        dir.path(),
        WriteOptions {
            registration: RegistrationPolicy {
                per_client_per_day: 2,
                ..RegistrationPolicy::default()
            },
            ..options()
        },
    )?;
    // The trap: thanked, nothing kept.
    let mut trapped = request_fields("robot", "robot@example.org");
    trapped.retain(|(key, _)| *key != "url");
    trapped.push(("url", "http://spam.example/"));
    let answer = send_request(&server, &trapped)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Thank you"));
    assert!(pending(dir.path())?.is_empty());
    // A forged or stale form.
    let forged = post_request(
        &server,
        "1",
        "0000",
        &request_fields("ada", "ada@example.org"),
    )?;
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(forged.body.contains("out of date"));
    // Checks: the answer lists the problems and keeps what was typed (escaped).
    let bad = send_request(
        &server,
        &[
            ("userid", "x1"),
            ("fullname", "<b>Ada</b>"),
            ("email", "nope"),
            ("rationale", "short"),
        ],
    )?;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("3 to 9 letters") && bad.body.contains("e-mail address"));
    assert!(bad.body.contains("&lt;b&gt;Ada&lt;/b&gt;") && !bad.body.contains("<b>Ada</b>"));
    // Taken.
    let taken = send_request(&server, &request_fields("neilb", "n@example.org"))?;
    assert_eq!(taken.status, 409, "{}", taken.body);
    // Queued.
    let queued = send_request(&server, &request_fields("ada", "ada@example.org"))?;
    assert_eq!(queued.status, 200, "{}", queued.body);
    assert!(
        queued.body.contains("for the id ADA was received"),
        "{}",
        queued.body
    );
    assert_eq!(pending(dir.path())?, ["ADA"]);
    // The same id again, then over the per-address limit (2 from 127.0.0.1 a day).
    let again = send_request(&server, &request_fields("ada", "other@example.org"))?;
    assert_eq!(again.status, 409, "{}", again.body);
    let second = send_request(&server, &request_fields("babbage", "cb@example.org"))?;
    assert_eq!(second.status, 200, "{}", second.body);
    let third = send_request(&server, &request_fields("hopper", "gh@example.org"))?;
    assert_eq!(third.status, 429, "{}", third.body);
    assert_eq!(pending(dir.path())?, ["ADA", "BABBAGE"]);
    drop(server);

    // A form sent back faster than a person fills it in.
    let slow = TestServer::start(
        dir.path(),
        WriteOptions {
            min_form_time: Duration::from_secs(3600),
            ..options()
        },
    )?;
    let fast = send_request(&slow, &request_fields("turing", "at@example.org"))?;
    assert_eq!(fast.status, 400, "{}", fast.body);
    assert!(fast.body.contains("That was fast"));
    Ok(())
}

fn submit(data_dir: &std::path::Path, userid: &str, email: &str) -> Result<i64, Box<dyn Error>> {
    let repository = Repository::open(data_dir)?;
    let request = repository.submit_id_request(
        &IdRequestForm {
            userid: userid.into(),
            fullname: "Ada Lovelace".into(),
            email: email.into(),
            homepage: String::new(),
            rationale: "I want to release Analytical::Engine.".into(),
            client_ip: format!("192.0.2.{}", userid.len()),
        },
        &RegistrationPolicy::default(),
    )?;
    Ok(request.id)
}

#[test]
fn administrators_decide_on_the_web_and_over_the_api_with_mails() -> TestResult {
    let dir = tempfile::tempdir()?;
    add_account(dir.path(), "ADMIN", true)?;
    add_account(dir.path(), "NEILB", false)?;
    let relay = FakeRelay::start()?;
    let server = TestServer::start(
        dir.path(),
        WriteOptions {
            mail: Some(MailConfig {
                relay: relay.addr.clone(),
                from: "riverpan@example.org".into(),
                admin: Some("admins@example.org".into()),
            }),
            ..options()
        },
    )?;
    let ada = submit(dir.path(), "ada", "ada@example.org")?;
    let bob = submit(dir.path(), "bobby", "bob@example.org")?;
    let cat = submit(dir.path(), "cathy", "cat@example.org")?;

    // Not for authors.
    let author = signed_in(&server, "NEILB")?;
    assert_eq!(author.get("/admin/id-requests")?.status, 403);
    assert_eq!(
        author
            .post(&format!("/admin/id-requests/{ada}/approve"), &[], true)?
            .status,
        403
    );
    let admin = signed_in(&server, "ADMIN")?;
    let queue = admin.get("/admin/id-requests")?;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains("ADA") && queue.body.contains("BOBBY"));
    // Without the CSRF token nothing happens.
    let refused = admin.post(&format!("/admin/id-requests/{ada}/approve"), &[], false)?;
    assert_eq!(refused.status, 403);
    assert_eq!(pending(dir.path())?, ["ADA", "BOBBY", "CATHY"]);
    // Approved on the web: the author exists, the welcome mail carries the password.
    let approved = admin.post(&format!("/admin/id-requests/{ada}/approve"), &[], true)?;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let page = admin.get("/admin/id-requests")?;
    assert!(
        page.body
            .contains("ADA approved; the one-time password was mailed"),
        "{}",
        page.body
    );
    assert!(Store::open(dir.path())?.reader().author("ADA")?.is_some());
    let welcome = relay
        .messages
        .lock()
        .map_err(|_| "lock")?
        .iter()
        .any(|m| m.contains("To: ada@example.org") && m.contains("Welcome new user ADA"));
    assert!(welcome);
    // Rejected on the web with a note.
    let rejected = admin.post(
        &format!("/admin/id-requests/{bob}/reject"),
        &[("note", "one is enough")],
        true,
    )?;
    assert_eq!(rejected.status, 303);
    let rejection_mailed = relay
        .messages
        .lock()
        .map_err(|_| "lock")?
        .iter()
        .any(|m| m.contains("To: bob@example.org") && m.contains("one is enough"));
    assert!(rejection_mailed);

    // The API: administrators only.
    let admin_auth = format!("admin:{PASSWORD}");
    let author_auth = format!("neilb:{PASSWORD}");
    let list = curl(
        &server.url("/api/v1/id-requests?state=pending"),
        &["-u", &admin_auth],
    )?;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json()?["requests"][0]["userid"], "CATHY");
    assert_eq!(curl(&server.url("/api/v1/id-requests"), &[])?.status, 401);
    assert_eq!(
        curl(&server.url("/api/v1/id-requests"), &["-u", &author_auth])?.status,
        403
    );
    let approve = |id: i64, auth: &str| {
        curl(
            &server.url(&format!("/api/v1/id-requests/{id}/approve")),
            &["-u", auth, "-X", "POST"],
        )
    };
    assert_eq!(approve(cat, &author_auth)?.status, 403);
    assert_eq!(approve(9999, &admin_auth)?.status, 404);
    assert_eq!(approve(bob, &admin_auth)?.status, 409, "decided already");
    let answer = approve(cat, &admin_auth)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json()?;
    assert_eq!(body["request"]["state"], "approved");
    assert_eq!(body["mailed"], true);
    assert!(
        body.get("password").is_none(),
        "the mail carried the password"
    );
    let reject = curl(
        &server.url(&format!("/api/v1/id-requests/{cat}/reject")),
        &["-u", &admin_auth, "-X", "POST", "-d", r#"{"note":"x"}"#],
    )?;
    assert_eq!(reject.status, 409);
    Ok(())
}

#[test]
fn nologin_blocks_every_authentication_path() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "ADMIN", true)?;
    add_account(&data, "NEILB", false)?;
    let (token, _) = add_token(&data, "NEILB", "upload", None)?;
    let server = TestServer::start(&data, options())?;
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;
    let session = signed_in(&server, "NEILB")?;

    let admin_auth = format!("admin:{PASSWORD}");
    let set_state = |state: &str, auth: &str| {
        curl(
            &server.url("/api/v1/accounts/neilb/state"),
            &[
                "-u",
                auth,
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/json",
                "-d",
                &format!(r#"{{"state":"{state}"}}"#),
            ],
        )
    };
    assert_eq!(
        set_state("nologin", &format!("neilb:{PASSWORD}"))?.status,
        403
    );
    let answer = set_state("nologin", &admin_auth)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["previous"], "active");

    // The live session ended.
    let account = session.get("/account")?;
    assert_eq!(account.status, 303);
    assert_eq!(account.header("location").as_deref(), Some("/signin"));
    // Web sign-in: refused, and told why.
    let refused = sign_in(&server, "NEILB")?
        .err()
        .ok_or("signed in despite nologin")?;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("nologin"), "{}", refused.body);
    // cpan-upload: Basic with the password, and with the token as password.
    let file = make_dist(&dists, "Foo-Bar", "1.0", 0)?;
    let form = pause_form(&file, "NEILB", true);
    for auth in [format!("neilb:{PASSWORD}"), format!("neilb:{token}")] {
        let mut args = vec!["-u", &auth];
        args.extend(as_args(&form));
        let answer = curl(&server.url("/pause/authenquery"), &args)?;
        assert_eq!(answer.status, 401, "{auth}: {}", answer.body);
    }
    // The token API with Bearer.
    let bearer = format!("Authorization: Bearer {token}");
    let part = format!("file=@{}", file.display());
    let answer = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("nologin"), "{}", answer.body);
    // Deletions and the account API too.
    let answer = curl(
        &server.url("/api/v1/authors/NEILB/cleanup"),
        &[
            "-H",
            &bearer,
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"opt_out":true}"#,
        ],
    )?;
    assert_eq!(answer.status, 401);
    assert_eq!(upload_count(&data)?, 0);

    // Active again: everything works.
    assert_eq!(set_state("active", &admin_auth)?.status, 200);
    let answer = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(sign_in(&server, "NEILB")?.is_ok());
    let store = Store::open(&data)?;
    let state = store.account_state("NEILB")?.ok_or("no account")?;
    assert_eq!(state.changed_by.as_deref(), Some("ADMIN"));
    assert!(state.last_login_at.is_some(), "sign-ins are recorded");
    Ok(())
}

#[test]
fn ids_are_deleted_by_their_owner_only_when_unused() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    for id in ["UNUSED", "WEBUSER", "NEILB", "OTHER"] {
        add_account(&data, id, false)?;
    }
    let (token, _) = add_token(&data, "UNUSED", "upload", None)?;
    let server = TestServer::start(&data, options())?;
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;
    let file = make_dist(&dists, "Foo-Bar", "1.0", 0)?;
    let part = format!("file=@{}", file.display());
    let neilb = format!("neilb:{PASSWORD}");
    let answer = curl(&server.url("/api/upload"), &["-u", &neilb, "-F", &part])?;
    assert_eq!(answer.status, 201, "{}", answer.body);

    let delete = |userid: &str, auth: &[&str]| {
        let mut args = auth.to_vec();
        args.extend(["-X", "DELETE"]);
        curl(&server.url(&format!("/api/v1/accounts/{userid}")), &args)
    };
    // Someone else's id, a token, an id that uploaded: refused, nothing changes.
    assert_eq!(
        delete("UNUSED", &["-u", &format!("other:{PASSWORD}")])?.status,
        403
    );
    let bearer = format!("Authorization: Bearer {token}");
    assert_eq!(delete("UNUSED", &["-H", &bearer])?.status, 403);
    let answer = delete("NEILB", &["-u", &neilb])?;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("BackPAN"));
    let store = Store::open(&data)?;
    assert!(store.reader().author("UNUSED")?.is_some());
    assert!(store.reader().author("NEILB")?.is_some());
    // Its owner, with the password.
    let answer = delete("UNUSED", &["-u", &format!("unused:{PASSWORD}")])?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(store.reader().author("UNUSED")?.is_none());
    assert!(store.account("UNUSED")?.is_none());

    // On the web: the form is offered to an id that never uploaded, not to an uploader.
    let uploader = signed_in(&server, "NEILB")?;
    assert!(!uploader.get("/account")?.body.contains("delete-id-form"));
    let web = signed_in(&server, "WEBUSER")?;
    assert!(web.get("/account")?.body.contains("delete-id-form"));
    assert_eq!(
        web.post("/account/delete", &[("confirm", "WEBUSER")], false)?
            .status,
        403
    );
    let unconfirmed = web.post("/account/delete", &[("confirm", "nope")], true)?;
    assert_eq!(unconfirmed.status, 303);
    assert!(store.reader().author("WEBUSER")?.is_some());
    let deleted = web.post("/account/delete", &[("confirm", "webuser")], true)?;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location").as_deref(), Some("/"));
    assert!(store.reader().author("WEBUSER")?.is_none());
    Ok(())
}

#[test]
fn authors_opt_out_of_the_cleanup_and_admins_see_inactive_ids() -> TestResult {
    let dir = tempfile::tempdir()?;
    add_account(dir.path(), "ADMIN", true)?;
    add_account(dir.path(), "NEILB", false)?;
    add_account(dir.path(), "OTHER", false)?;
    add_account(dir.path(), "SLEEPY", false)?;
    let store = Store::open(dir.path())?;
    store.connection().execute(
        "UPDATE authors SET created_at = 1000 WHERE userid = 'SLEEPY'",
        [],
    )?;
    store.connection().execute(
        "UPDATE accounts SET created_at = 1000 WHERE userid = 'SLEEPY'",
        [],
    )?;
    let server = TestServer::start(dir.path(), options())?;

    let put = |userid: &str, auth: &str, body: &str| {
        curl(
            &server.url(&format!("/api/v1/authors/{userid}/cleanup")),
            &[
                "-u",
                auth,
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/json",
                "-d",
                body,
            ],
        )
    };
    let neilb = format!("neilb:{PASSWORD}");
    let answer = put("neilb", &neilb, r#"{"opt_out":true}"#)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(store.cleanup_opt_out("NEILB")?);
    assert_eq!(put("OTHER", &neilb, r#"{"opt_out":true}"#)?.status, 403);
    assert!(!store.cleanup_opt_out("OTHER")?);
    assert_eq!(put("NEILB", &neilb, r#"{"opt_out":"yes"}"#)?.status, 400);
    assert_eq!(
        put(
            "NOBODY",
            &format!("admin:{PASSWORD}"),
            r#"{"opt_out":true}"#
        )?
        .status,
        404
    );
    // On the account page.
    let web = signed_in(&server, "NEILB")?;
    assert!(web.get("/account")?.body.contains("You opted out"));
    assert_eq!(
        web.post("/account/cleanup", &[("opt_out", "0")], false)?
            .status,
        403
    );
    assert_eq!(
        web.post("/account/cleanup", &[("opt_out", "0")], true)?
            .status,
        303
    );
    assert!(!store.cleanup_opt_out("NEILB")?);

    // The inactive unused ids: SLEEPY (registered in 1970, never signed in).
    let report = curl(
        &server.url("/api/v1/ids/inactive"),
        &["-u", &format!("admin:{PASSWORD}")],
    )?;
    assert_eq!(report.status, 200, "{}", report.body);
    let ids: Vec<String> = report.json()?["ids"]
        .as_array()
        .ok_or("no ids")?
        .iter()
        .filter_map(|id| id["userid"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids, ["SLEEPY"]);
    assert_eq!(
        curl(&server.url("/api/v1/ids/inactive"), &["-u", &neilb])?.status,
        403
    );
    let admin = signed_in(&server, "ADMIN")?;
    let page = admin.get("/admin/inactive-ids")?;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"data-userid="SLEEPY""#),
        "{}",
        page.body
    );
    assert_eq!(web.get("/admin/inactive-ids")?.status, 403);
    Ok(())
}

#[test]
fn the_worker_runs_the_cleanup_and_executes_its_deletions() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;
    {
        let mut repository = Repository::open(&data)?;
        let now = now();
        for (version, years) in [("1.0", 9), ("2.0", 8), ("3.0", 7), ("4.0", 6)] {
            repository.upload("NEILB", &make_dist(&dists, "Old-Dist", version, 0)?)?;
            repository.store().connection().execute(
                "UPDATE uploads SET mtime = ?2 WHERE path = ?1",
                (
                    format!("N/NE/NEILB/Old-Dist-{version}.tar.gz"),
                    now - years * 31_557_600,
                ),
            )?;
        }
    }
    let server = TestServer::start(
        &data,
        WriteOptions {
            cleanup: Some(riverpan_server::CleanupSchedule {
                delay: Duration::ZERO,
                ..riverpan_server::CleanupSchedule::default()
            }),
            ..options()
        },
    )?;
    let gone = data.join("backpan/authors/id/N/NE/NEILB/Old-Dist-1.0.tar.gz");
    wait_for("the cleanup's deletion", || Ok(gone.exists()))?;
    assert!(data
        .join("cpan/authors/id/N/NE/NEILB/Old-Dist-2.0.tar.gz")
        .exists());
    let store = Store::open(&data)?;
    assert!(store.setting("cleanup.last_run")?.is_some());
    drop(server);
    Ok(())
}
