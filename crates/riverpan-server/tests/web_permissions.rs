//! The permission pages and forms through the real server, with curl as the browser: the
//! package and distribution pages, every form with and without its CSRF token, refusals
//! rendered with their status and nothing changed, ownership offers accepted on the web, and
//! the administrators' adoption queue with the rationale published on the distribution's page.

mod perms_support;
mod write_support;

use std::error::Error;
use std::path::Path;

use perms_support::*;
use riverpan_server::WriteOptions;
use riverpan_store::Store;
use write_support::*;

/// A signed-in browser.
struct Browser {
    base: String,
    session: String,
    csrf: String,
}

impl Browser {
    fn get(&self, path: &str) -> Result<Answer, Box<dyn Error>> {
        curl(
            &format!("{}{path}", self.base),
            &["-b", &format!("riverpan_session={}", self.session)],
        )
    }

    /// POSTs `fields` urlencoded, with the session's CSRF token unless `csrf` is false.
    fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> Result<Answer, Box<dyn Error>> {
        let mut args: Vec<String> = vec![
            "-b".into(),
            format!("riverpan_session={}", self.session),
            "-X".into(),
            "POST".into(),
            "--data-urlencode".into(),
            "filler=1".into(),
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

fn sign_in(server: &TestServer, userid: &str) -> Result<Browser, Box<dyn Error>> {
    let form = curl(&server.url("/signin"), &[])?;
    let token = cookie_value(&form, "riverpan_signin").ok_or("no sign-in cookie")?;
    let field = field_in(&form.body, "csrf").ok_or("no csrf field")?;
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
    let session = cookie_value(&answer, "riverpan_session").ok_or("no session cookie")?;
    let mut browser = Browser {
        base: server.url(""),
        session,
        csrf: String::new(),
    };
    let account = browser.get("/account")?;
    browser.csrf = field_in(&account.body, "csrf").ok_or("no csrf on /account")?;
    Ok(browser)
}

/// NEILB owns Foo-Bar (Foo::Bar, Foo::Bar::Util; Foo::Bar::Theirs held by OTHER) and
/// Base-Dist, which User-Dist requires.
fn setup(dir: &Path) -> TestResult {
    foo_bar_and_base(
        dir,
        &[
            ("NEILB", false),
            ("OTHER", false),
            ("HELPER", false),
            ("ADMIN", true),
        ],
        &[],
    )
}

#[test]
fn permission_forms_with_and_without_csrf() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    setup(dir)?;
    let server = TestServer::start(dir, WriteOptions::default())?;

    // The public page: holders, no form.
    let page = curl(&server.url("/package/Foo::Bar"), &[])?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("NEILB"));
    assert!(!page.body.contains(r#"id="change""#));
    assert_eq!(curl(&server.url("/package/No::Such"), &[])?.status, 404);
    let dist_page = curl(&server.url("/dist/Foo-Bar/permissions"), &[])?;
    assert_eq!(dist_page.status, 200, "{}", dist_page.body);
    assert!(dist_page.body.contains("Foo::Bar::Theirs"));
    assert!(dist_page.body.contains("Incomplete ownership"));

    let neilb = sign_in(&server, "NEILB")?;
    let other = sign_in(&server, "OTHER")?;
    let page = neilb.get("/package/Foo::Bar")?;
    assert!(page.body.contains(r#"id="change""#), "{}", page.body);

    // Without the CSRF token: 403, nothing changed.
    let before = snapshot(dir)?;
    let add = [("action", "add-comaint"), ("userid", "HELPER")];
    let answer = neilb.post("/package/Foo::Bar", &add, false)?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("CSRF"));
    assert_eq!(snapshot(dir)?, before);
    // Not the owner: the page with the refusal, 403, nothing changed.
    let answer = other.post("/package/Foo::Bar", &add, true)?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("OTHER is not the owner of Foo::Bar"));
    assert_eq!(snapshot(dir)?, before);
    // An unknown target.
    let answer = neilb.post(
        "/package/Foo::Bar",
        &[("action", "add-comaint"), ("userid", "NOSUCH")],
        true,
    )?;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(snapshot(dir)?, before);

    // The owner adds a co-maintainer: recorded as a web operation.
    let answer = neilb.post(
        "/package/Foo::Bar",
        &[
            ("action", "add-comaint"),
            ("userid", "helper"),
            ("reason", "web test"),
        ],
        true,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("HELPER added as co-maintainer"),
        "{}",
        answer.body
    );
    assert_eq!(
        published(dir, "Foo::Bar")?.co_maintainers,
        vec!["HELPER".to_string()]
    );
    let log = Store::open(dir)?.reader().perm_log_of_package("Foo::Bar")?;
    assert_eq!(log[0].0.interface, "web");
    assert_eq!(log[0].0.reason.as_deref(), Some("web test"));

    // A transfer offered on the web, accepted on the web.
    let answer = neilb.post(
        "/package/Foo::Bar",
        &[("action", "transfer"), ("userid", "OTHER")],
        true,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("Offered ownership"), "{}", answer.body);
    let offers = other.get("/account/transfers")?;
    assert!(offers.body.contains("Foo::Bar"), "{}", offers.body);
    let offer_id = Store::open(dir)?.reader().pending_offers_to("OTHER")?[0].id;
    let accept = format!("/account/transfers/{offer_id}/accept");
    let before = snapshot(dir)?;
    let answer = other.post(&accept, &[], false)?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(snapshot(dir)?, before);
    let answer = neilb.post(&accept, &[], true)?;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer.body.contains("This offer is for OTHER"),
        "{}",
        answer.body
    );
    assert_eq!(snapshot(dir)?, before);
    let answer = other.post(&accept, &[], true)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(published(dir, "Foo::Bar")?.owner.as_deref(), Some("OTHER"));

    // A distribution form: the package held by someone else is named in the answer.
    let answer = neilb.post(
        "/dist/Foo-Bar/permissions",
        &[("action", "mark-needhelp")],
        true,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("Left alone: Foo::Bar::Theirs"),
        "{}",
        answer.body
    );
    assert!(perms_file(dir)?.contains("Foo::Bar::Util,NEEDHELP,c"));
    assert!(!perms_file(dir)?.contains("Foo::Bar,NEEDHELP,c"));
    let dist_page = curl(&server.url("/dist/Foo-Bar/permissions"), &[])?;
    assert!(
        dist_page.body.contains("marker NEEDHELP"),
        "{}",
        dist_page.body
    );
    assert!(dist_page.body.contains("(web)"));
    let before = snapshot(dir)?;
    let answer = neilb.post("/dist/Foo-Bar/permissions", &[("action", "give-up")], false)?;
    assert_eq!(answer.status, 403);
    assert_eq!(snapshot(dir)?, before);
    server.stop();
    Ok(())
}

#[test]
fn adoption_on_the_web() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    setup(dir)?;
    let server = TestServer::start(dir, WriteOptions::default())?;
    let neilb = sign_in(&server, "NEILB")?;
    let helper = sign_in(&server, "HELPER")?;
    let admin = sign_in(&server, "ADMIN")?;

    let answer = neilb.post(
        "/dist/Base-Dist/permissions",
        &[("action", "give-up")],
        true,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let before = snapshot(dir)?;
    let answer = helper.post("/dist/Base-Dist/adopt", &[("reason", "I use it")], false)?;
    assert_eq!(answer.status, 403);
    assert_eq!(snapshot(dir)?, before);
    let answer = helper.post("/dist/Base-Dist/adopt", &[("reason", "I use it")], true)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("waits for an administrator"),
        "{}",
        answer.body
    );

    assert_eq!(helper.get("/admin/adoptions")?.status, 403);
    let queue = admin.get("/admin/adoptions")?;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(
        queue.body.contains("Base-Dist") && queue.body.contains("1 direct"),
        "{}",
        queue.body
    );
    let id = Store::open(dir)?.reader().pending_adoptions()?[0].id;
    let decide = format!("/admin/adoptions/{id}");
    let rationale = "HELPER maintains User-Dist, its only dependent.";
    let before = snapshot(dir)?;
    let answer = admin.post(
        &decide,
        &[("decision", "grant"), ("rationale", rationale)],
        false,
    )?;
    assert_eq!(answer.status, 403);
    assert_eq!(snapshot(dir)?, before);
    let answer = helper.post(
        &decide,
        &[("decision", "grant"), ("rationale", rationale)],
        true,
    )?;
    assert_eq!(answer.status, 403);
    assert_eq!(snapshot(dir)?, before);
    let answer = admin.post(
        &decide,
        &[("decision", "grant"), ("rationale", rationale)],
        true,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        published(dir, "Base::Dist")?.owner.as_deref(),
        Some("HELPER")
    );
    let page = curl(&server.url("/dist/Base-Dist/permissions"), &[])?;
    assert!(page.body.contains("its only dependent"), "{}", page.body);
    assert!(page.body.contains("granted"));
    server.stop();
    Ok(())
}
