//! Permission management over the JSON API of a real server, with curl: every operation per
//! package and per distribution, every refusal (no credentials, an upload token, not the
//! owner, a co-maintainer transferring, an unknown or nologin target, an expired offer, an
//! offer for someone else, packages held by someone else inside a distribution), the tables,
//! 06perms (read as `PAUSE::Permissions` reads it) and the log after each, nothing changed
//! after a refusal, one mail per operation, adoption with and without dependents, and a
//! rebuild that replays every change.

mod perms_support;
mod write_support;

use std::error::Error;
use std::path::Path;

use perms_support::*;
use riverpan_repository::{MailConfig, Repository};
use riverpan_server::WriteOptions;
use riverpan_store::Store;
use serde_json::{json, Value};
use write_support::*;

/// An API client: Basic auth with the test password, or a Bearer token.
struct Api<'a> {
    server: &'a TestServer,
    credentials: Vec<String>,
}

impl Api<'_> {
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, Box<dyn Error>> {
        let mut args: Vec<String> = vec!["-X".into(), method.into()];
        args.extend(self.credentials.iter().cloned());
        if let Some(body) = body {
            args.push("-H".into());
            args.push("Content-Type: application/json".into());
            args.push("--data-binary".into());
            args.push(body.to_string());
        }
        curl(&self.server.url(path), &as_args(&args))
    }

    fn post(&self, path: &str, body: Value) -> Result<Answer, Box<dyn Error>> {
        self.call("POST", path, Some(body))
    }
}

fn as_user<'a>(server: &'a TestServer, userid: &str) -> Api<'a> {
    Api {
        server,
        credentials: vec!["-u".into(), format!("{userid}:{PASSWORD}")],
    }
}

fn anonymous(server: &TestServer) -> Api<'_> {
    Api {
        server,
        credentials: Vec::new(),
    }
}

/// Asserts the status, and that the tables are as before when it is a refusal.
fn refused(dir: &Path, before: &str, answer: &Answer, status: u16, says: &str) -> TestResult {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer.body.contains(says),
        "expected {says:?} in {}",
        answer.body
    );
    assert_eq!(snapshot(dir)?, before, "a refusal changed the tables");
    Ok(())
}

/// Authors NEILB (owner of Foo-Bar and the adoption dists), OTHER, HELPER, ADMIN (admin),
/// BANNED (nologin); Foo-Bar-1.0 with Foo::Bar, Foo::Bar::Util and Foo::Bar::Theirs, the
/// last one first-come of OTHER (so not indexed for NEILB: a package of the latest release
/// that the index does not have); Base-Dist, which User-Dist (by OTHER) requires; Lonely-Dist,
/// which nothing requires.
fn repository_with_dists(dir: &Path) -> TestResult {
    foo_bar_and_base(
        dir,
        &[
            ("NEILB", false),
            ("OTHER", false),
            ("HELPER", false),
            ("ADMIN", true),
            ("BANNED", false),
        ],
        &[("Lonely-Dist", "Lonely::Dist")],
    )?;
    assert!(Store::open(dir)?.set_nologin("BANNED", true)?);
    Ok(())
}

fn start(dir: &Path, relay: &FakeRelay) -> Result<TestServer, Box<dyn Error>> {
    TestServer::start(
        dir,
        WriteOptions {
            mail: Some(MailConfig {
                relay: relay.addr.clone(),
                from: "riverpan@example.org".into(),
                admin: None,
            }),
            ..WriteOptions::default()
        },
    )
}

fn owner_and_rows(
    dir: &Path,
    package: &str,
) -> Result<(Option<String>, Vec<String>), Box<dyn Error>> {
    let (owner, rows) = holders(dir, package)?;
    Ok((owner, rows.into_iter().collect()))
}

fn some(id: &str) -> Option<String> {
    Some(id.to_string())
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| id.to_string()).collect()
}

#[test]
fn package_operations_and_refusals() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    repository_with_dists(dir)?;
    let relay = FakeRelay::start()?;
    let server = start(dir, &relay)?;
    let neilb = as_user(&server, "NEILB");
    let other = as_user(&server, "OTHER");
    let helper = as_user(&server, "HELPER");
    let comaints = "/api/v1/permissions/Foo::Bar/comaints";
    assert_eq!(
        owner_and_rows(dir, "Foo::Bar")?,
        (some("NEILB"), ids(&["NEILB"]))
    );

    // Refusals: nothing changes.
    let before = snapshot(dir)?;
    let answer = anonymous(&server).post(comaints, json!({"userid": "HELPER"}))?;
    refused(dir, &before, &answer, 401, "Authorization required")?;
    let (upload_token, _) = add_token(dir, "NEILB", "upload", None)?;
    let upload_only = Api {
        server: &server,
        credentials: vec!["-H".into(), format!("Authorization: Bearer {upload_token}")],
    };
    let answer = upload_only.post(comaints, json!({"userid": "HELPER"}))?;
    refused(dir, &before, &answer, 403, "scope perms")?;
    let answer = other.post(comaints, json!({"userid": "HELPER"}))?;
    refused(
        dir,
        &before,
        &answer,
        403,
        "OTHER is not the owner of Foo::Bar",
    )?;
    let answer = neilb.post(comaints, json!({"userid": "BANNED"}))?;
    refused(dir, &before, &answer, 422, "nologin")?;
    let answer = neilb.post(comaints, json!({"userid": "NOSUCH"}))?;
    refused(dir, &before, &answer, 422, "NOSUCH is not a valid userid")?;
    let answer = neilb.post(
        "/api/v1/permissions/No::Such/comaints",
        json!({"userid": "HELPER"}),
    )?;
    refused(dir, &before, &answer, 404, "No::Such")?;
    let answer = neilb.post(comaints, json!({"nobody": 1}))?;
    refused(dir, &before, &answer, 400, "userid")?;
    assert_eq!(relay.count(), 0, "a refusal was mailed");

    // The owner adds a co-maintainer, with a perms token; case-insensitive package name.
    let (perms_token, _) = add_token(dir, "NEILB", "perms", None)?;
    let neilb_token = Api {
        server: &server,
        credentials: vec!["-H".into(), format!("Authorization: Bearer {perms_token}")],
    };
    let answer = neilb_token.post(
        "/api/v1/permissions/foo::bar/comaints",
        json!({"userid": "helper", "reason": "more hands"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcome = answer.json()?;
    assert_eq!(outcome["operation"]["operation"], "add-comaint");
    assert_eq!(outcome["operation"]["interface"], "api");
    assert_eq!(outcome["changes"][0]["package"], "Foo::Bar");
    assert_eq!(outcome["changes"][0]["after"], "HELPER");
    assert_eq!(
        owner_and_rows(dir, "Foo::Bar")?,
        (some("NEILB"), ids(&["HELPER", "NEILB"]))
    );
    assert_eq!(
        published(dir, "Foo::Bar")?,
        ModulePerms {
            owner: some("NEILB"),
            co_maintainers: ids(&["HELPER"])
        }
    );
    assert_eq!(relay.count(), 1, "one mail per operation");
    let mail = relay.last();
    assert!(
        mail.contains("helper@example.org") && mail.contains("neilb@example.org"),
        "{mail}"
    );
    assert!(mail.contains("more hands"), "{mail}");

    let before = snapshot(dir)?;
    let answer = neilb.post(comaints, json!({"userid": "HELPER"}))?;
    refused(dir, &before, &answer, 409, "already a co-maintainer")?;
    // A co-maintainer cannot transfer, nor add.
    let answer = helper.post(
        "/api/v1/permissions/Foo::Bar/transfer",
        json!({"to": "HELPER"}),
    )?;
    refused(dir, &before, &answer, 403, "co-maintainer")?;
    let answer = helper.post(comaints, json!({"userid": "OTHER"}))?;
    refused(dir, &before, &answer, 403, "not the owner")?;

    // Transfer: an offer, accepted by its recipient only.
    let answer = neilb.post(
        "/api/v1/permissions/Foo::Bar/transfer",
        json!({"to": "OTHER"}),
    )?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let offer = answer.json()?["offer"].clone();
    assert_eq!(offer["state"], "pending");
    assert_eq!(offer["from"], "NEILB");
    assert_eq!(offer["to"], "OTHER");
    let offer_id = offer["id"].as_i64().ok_or("no offer id")?;
    assert_eq!(
        owner_and_rows(dir, "Foo::Bar")?.0,
        some("NEILB"),
        "an offer moves nothing"
    );
    let accept = format!("/api/v1/transfers/{offer_id}/accept");
    let before = snapshot(dir)?;
    let answer = helper.call("POST", &accept, None)?;
    refused(dir, &before, &answer, 403, "This offer is for OTHER")?;
    let answer = other.call("POST", &accept, None)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // pause#348: the new owner has a perms row; the old owner stays a co-maintainer.
    assert_eq!(
        owner_and_rows(dir, "Foo::Bar")?,
        (some("OTHER"), ids(&["HELPER", "NEILB", "OTHER"]))
    );
    assert_eq!(
        published(dir, "Foo::Bar")?,
        ModulePerms {
            owner: some("OTHER"),
            co_maintainers: ids(&["HELPER", "NEILB"])
        }
    );
    let before = snapshot(dir)?;
    let answer = other.call("POST", &accept, None)?;
    refused(dir, &before, &answer, 409, "accepted already")?;

    // An expired offer: refused, recorded as expired, nothing else changes.
    let answer = other.post(
        "/api/v1/permissions/Foo::Bar/transfer",
        json!({"to": "HELPER"}),
    )?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let stale = answer.json()?["offer"]["id"]
        .as_i64()
        .ok_or("no offer id")?;
    Store::open(dir)?.connection().execute(
        "UPDATE ownership_offers SET expires_at = 1000 WHERE id = ?1",
        [stale],
    )?;
    let answer = helper.call("POST", &format!("/api/v1/transfers/{stale}/accept"), None)?;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("expired"), "{}", answer.body);
    assert_eq!(owner_and_rows(dir, "Foo::Bar")?.0, some("OTHER"));
    let shown = anonymous(&server).call("GET", &format!("/api/v1/transfers/{stale}"), None)?;
    assert_eq!(shown.json()?["state"], "expired");

    // Markers are co-maintainer rows with those ids; a second time is a conflict.
    let markers = "/api/v1/permissions/Foo::Bar/markers";
    let answer = other.post(markers, json!({"marker": "HANDOFF"}))?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(published(dir, "Foo::Bar")?
        .co_maintainers
        .contains(&"HANDOFF".to_string()));
    assert!(perms_file(dir)?.contains("Foo::Bar,HANDOFF,c"));
    let before = snapshot(dir)?;
    let answer = other.post(markers, json!({"marker": "handoff"}))?;
    refused(dir, &before, &answer, 409, "already marked HANDOFF")?;
    let answer = neilb.post(markers, json!({"marker": "NEEDHELP"}))?;
    refused(dir, &before, &answer, 403, "not the owner")?;
    let answer = other.post(markers, json!({"marker": "ADOPTME"}))?;
    refused(dir, &before, &answer, 400, "marker")?;
    // The marker goes with a DELETE, like any co-maintainer.
    let answer = other.call(
        "DELETE",
        "/api/v1/permissions/Foo::Bar/comaints/HANDOFF",
        None,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!perms_file(dir)?.contains("Foo::Bar,HANDOFF"));

    // A co-maintainer gives up its own co-maintenance (and cannot remove another's).
    let before = snapshot(dir)?;
    let answer = helper.call(
        "DELETE",
        "/api/v1/permissions/Foo::Bar/comaints/NEILB",
        None,
    )?;
    refused(dir, &before, &answer, 403, "not the owner")?;
    let answer = helper.post("/api/v1/permissions/Foo::Bar/give-up", json!({}))?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["operation"]["operation"], "give-up-comaint");
    assert_eq!(
        owner_and_rows(dir, "Foo::Bar")?,
        (some("OTHER"), ids(&["NEILB", "OTHER"]))
    );
    // The owner removes a co-maintainer.
    let answer = other.call(
        "DELETE",
        "/api/v1/permissions/Foo::Bar/comaints/NEILB",
        None,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["operation"]["operation"], "remove-comaint");
    let before = snapshot(dir)?;
    let answer = other.call(
        "DELETE",
        "/api/v1/permissions/Foo::Bar/comaints/NEILB",
        None,
    )?;
    refused(dir, &before, &answer, 409, "not a co-maintainer")?;
    let answer = other.call(
        "DELETE",
        "/api/v1/permissions/Foo::Bar/comaints/OTHER",
        None,
    )?;
    refused(dir, &before, &answer, 409, "owns Foo::Bar")?;

    // An administrator acts for the owner: immediate transfer, recorded as theirs.
    let admin = as_user(&server, "ADMIN");
    let answer = admin.post(
        "/api/v1/permissions/Foo::Bar/transfer",
        json!({"to": "NEILB", "reason": "asked by mail"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let operation = answer.json()?["operation"].clone();
    assert_eq!(operation["actor"], "ADMIN");
    assert_eq!(operation["on_behalf_of"], "OTHER");
    assert_eq!(operation["operation"], "transfer");
    assert_eq!(owner_and_rows(dir, "Foo::Bar")?.0, some("NEILB"));
    // An administrator acts for a named author.
    let answer = admin.post(
        "/api/v1/permissions/Foo::Bar/give-up",
        json!({"as": "OTHER"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["operation"]["on_behalf_of"], "OTHER");
    // Only administrators act for someone.
    let before = snapshot(dir)?;
    let answer = other.post(comaints, json!({"userid": "HELPER", "as": "NEILB"}))?;
    refused(dir, &before, &answer, 403, "Only administrators")?;

    // The owner gives up: ADOPTME owns it, the owner stays co-maintainer.
    let answer = neilb.post("/api/v1/permissions/Foo::Bar/give-up", json!({}))?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["operation"]["operation"], "give-up");
    assert_eq!(
        published(dir, "Foo::Bar")?,
        ModulePerms {
            owner: some("ADOPTME"),
            co_maintainers: ids(&["NEILB"])
        }
    );

    // The log, newest first, with who, for whom, through what, and from what to what.
    let log = anonymous(&server).call("GET", "/api/v1/permissions/Foo::Bar/log", None)?;
    assert_eq!(log.status, 200, "{}", log.body);
    let log = log.json()?;
    let entries = log["log"].as_array().ok_or("no log")?;
    let kinds: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["operation"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "give-up",
            "give-up-comaint",
            "transfer",
            "remove-comaint",
            "give-up-comaint",
            "remove-comaint",
            "marker",
            "transfer-offer",
            "transfer",
            "transfer-offer",
            "add-comaint"
        ]
    );
    assert_eq!(entries[0]["changes"][0]["before"], "NEILB");
    assert_eq!(entries[0]["changes"][0]["after"], "ADOPTME");
    assert_eq!(entries[10]["reason"], "more hands");
    assert_eq!(log["permissions"]["owner"], "ADOPTME");
    let missing = anonymous(&server).call("GET", "/api/v1/permissions/No::Such/log", None)?;
    assert_eq!(missing.status, 404);
    server.stop();

    // A rebuild replays every change at its place in the upload history.
    let published_before = perms_file(dir)?;
    Repository::open(dir)?.rebuild()?;
    assert_eq!(
        read_06perms(&perms_file(dir)?)?,
        read_06perms(&published_before)?,
        "the rebuild lost a permission change"
    );
    Ok(())
}

#[test]
fn distribution_operations_list_what_they_skip() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    repository_with_dists(dir)?;
    let relay = FakeRelay::start()?;
    let server = start(dir, &relay)?;
    let neilb = as_user(&server, "NEILB");
    let helper = as_user(&server, "HELPER");
    // Foo::Bar::Theirs is in the latest release but not indexed (OTHER holds it): pause#362.
    let holders =
        anonymous(&server).call("GET", "/api/v1/distributions/Foo-Bar/permissions", None)?;
    assert_eq!(holders.status, 200, "{}", holders.body);
    let holders = holders.json()?;
    let packages: Vec<&str> = holders["packages"]
        .as_array()
        .ok_or("no packages")?
        .iter()
        .filter_map(|package| package["package"].as_str())
        .collect();
    assert_eq!(packages, ["Foo::Bar", "Foo::Bar::Theirs", "Foo::Bar::Util"]);
    assert_eq!(holders["incomplete_ownership"], true);

    // A stranger: every package refused, listed, nothing changed.
    let before = snapshot(dir)?;
    let answer = helper.post(
        "/api/v1/distributions/Foo-Bar/permissions/comaints",
        json!({"userid": "HELPER"}),
    )?;
    refused(dir, &before, &answer, 403, "Foo::Bar::Theirs")?;
    assert_eq!(answer.json()?["skipped"].as_array().map(Vec::len), Some(3));
    let answer = neilb.post(
        "/api/v1/distributions/No-Such/permissions/comaints",
        json!({"userid": "HELPER"}),
    )?;
    refused(dir, &before, &answer, 404, "No-Such")?;

    // The owner: its packages change, the one held by OTHER is listed, one mail.
    let mails = relay.count();
    let answer = neilb.post(
        "/api/v1/distributions/Foo-Bar/permissions/comaints",
        json!({"userid": "HELPER"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcome = answer.json()?;
    let changed: Vec<&str> = outcome["changes"]
        .as_array()
        .ok_or("no changes")?
        .iter()
        .filter_map(|change| change["package"].as_str())
        .collect();
    assert_eq!(changed, ["Foo::Bar", "Foo::Bar::Util"]);
    assert_eq!(outcome["skipped"][0]["package"], "Foo::Bar::Theirs");
    assert!(
        outcome["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("OTHER")),
        "{outcome}"
    );
    assert_eq!(
        relay.count(),
        mails + 1,
        "one mail per operation, not per package"
    );
    assert!(relay.last().contains("Foo::Bar::Theirs"));
    for package in ["Foo::Bar", "Foo::Bar::Util"] {
        assert_eq!(
            published(dir, package)?.co_maintainers,
            ids(&["HELPER"]),
            "{package}"
        );
    }
    assert_eq!(
        published(dir, "Foo::Bar::Theirs")?.co_maintainers,
        Vec::<String>::new()
    );

    // A co-maintainer trying to transfer the distribution.
    let before = snapshot(dir)?;
    let answer = helper.post(
        "/api/v1/distributions/Foo-Bar/permissions/transfer",
        json!({"to": "HELPER"}),
    )?;
    refused(dir, &before, &answer, 403, "co-maintainer")?;

    // A distribution transfer: one offer for the owner's packages; accepted as a whole.
    let answer = neilb.post(
        "/api/v1/distributions/Foo-Bar/permissions/transfer",
        json!({"to": "HELPER"}),
    )?;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let outcome = answer.json()?;
    assert_eq!(
        outcome["offer"]["packages"],
        json!(["Foo::Bar", "Foo::Bar::Util"])
    );
    assert_eq!(outcome["skipped"][0]["package"], "Foo::Bar::Theirs");
    let id = outcome["offer"]["id"].as_i64().ok_or("no id")?;
    let answer = helper.call("POST", &format!("/api/v1/transfers/{id}/accept"), None)?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for package in ["Foo::Bar", "Foo::Bar::Util"] {
        assert_eq!(
            published(dir, package)?,
            ModulePerms {
                owner: some("HELPER"),
                co_maintainers: ids(&["NEILB"])
            },
            "{package}"
        );
    }
    assert_eq!(published(dir, "Foo::Bar::Theirs")?.owner, some("OTHER"));

    // Markers and give-up per distribution.
    let answer = helper.post(
        "/api/v1/distributions/Foo-Bar/permissions/markers",
        json!({"marker": "NEEDHELP"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = neilb.post(
        "/api/v1/distributions/Foo-Bar/permissions/give-up",
        json!({}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["operation"]["operation"], "give-up-comaint");
    assert_eq!(
        published(dir, "Foo::Bar")?.co_maintainers,
        ids(&["NEEDHELP"])
    );
    let answer = helper.call(
        "DELETE",
        "/api/v1/distributions/Foo-Bar/permissions/comaints/NEEDHELP",
        None,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = helper.post(
        "/api/v1/distributions/Foo-Bar/permissions/give-up",
        json!({}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    for package in ["Foo::Bar", "Foo::Bar::Util"] {
        assert_eq!(published(dir, package)?.owner, some("ADOPTME"), "{package}");
    }

    // The distribution's log holds every operation on its packages.
    let log =
        anonymous(&server).call("GET", "/api/v1/distributions/Foo-Bar/permissions/log", None)?;
    let log = log.json()?;
    let kinds: Vec<&str> = log["log"]
        .as_array()
        .ok_or("no log")?
        .iter()
        .filter_map(|entry| entry["operation"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "give-up",
            "remove-comaint",
            "give-up-comaint",
            "marker",
            "transfer",
            "transfer-offer",
            "add-comaint"
        ]
    );
    server.stop();
    Ok(())
}

#[test]
fn adoption_with_and_without_dependents() -> TestResult {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    repository_with_dists(dir)?;
    let relay = FakeRelay::start()?;
    let server = start(dir, &relay)?;
    let neilb = as_user(&server, "NEILB");
    let helper = as_user(&server, "HELPER");
    let other = as_user(&server, "OTHER");
    let admin = as_user(&server, "ADMIN");

    // Not up for adoption.
    let before = snapshot(dir)?;
    let answer = helper.post("/api/v1/distributions/Lonely-Dist/adoption", json!({}))?;
    refused(dir, &before, &answer, 409, "not up for adoption")?;

    // No dependents: the first author who asks takes it.
    let answer = neilb.post(
        "/api/v1/distributions/Lonely-Dist/permissions/give-up",
        json!({}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = helper.post(
        "/api/v1/distributions/Lonely-Dist/adoption",
        json!({"reason": "I use it"}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcome = answer.json()?;
    assert_eq!(outcome["adoption"]["state"], "granted");
    assert_eq!(outcome["adoption"]["river"]["total"], 0);
    assert_eq!(outcome["operation"]["operation"], "adoption");
    assert_eq!(
        published(dir, "Lonely::Dist")?,
        ModulePerms {
            owner: some("HELPER"),
            co_maintainers: ids(&["NEILB"])
        }
    );

    // With a dependent: filed for an administrator, with the river position.
    let answer = neilb.post(
        "/api/v1/distributions/Base-Dist/permissions/give-up",
        json!({}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = helper.post(
        "/api/v1/distributions/Base-Dist/adoption",
        json!({"reason": "I fixed its bugs"}),
    )?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let adoption = answer.json()?["adoption"].clone();
    assert_eq!(adoption["state"], "pending");
    assert_eq!(adoption["held_by"], "ADOPTME");
    assert_eq!(adoption["river"]["immediate"], 1, "{adoption}");
    let id = adoption["id"].as_i64().ok_or("no id")?;
    assert_eq!(published(dir, "Base::Dist")?.owner, some("ADOPTME"));
    let before = snapshot(dir)?;
    let answer = helper.post("/api/v1/distributions/Base-Dist/adoption", json!({}))?;
    refused(dir, &before, &answer, 409, "already asked")?;

    // Administrators see the queue; nobody else does or decides.
    let answer = helper.call("GET", "/api/v1/adoptions", None)?;
    assert_eq!(answer.status, 403);
    let queue = admin.call("GET", "/api/v1/adoptions", None)?;
    assert_eq!(queue.json()?["adoptions"][0]["distribution"], "Base-Dist");
    let decision = format!("/api/v1/adoptions/{id}/decision");
    let answer = other.post(&decision, json!({"grant": true, "rationale": "sure"}))?;
    refused(dir, &before, &answer, 403, "Only administrators")?;
    let answer = admin.post(&decision, json!({"grant": true, "rationale": " "}))?;
    refused(dir, &before, &answer, 422, "rationale")?;
    let answer = admin.post(
        &decision,
        json!({"grant": true, "rationale": "HELPER has fixed its bugs for years; User-Dist's author agrees."}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(published(dir, "Base::Dist")?.owner, some("HELPER"));
    let before = snapshot(dir)?;
    let answer = admin.post(&decision, json!({"grant": false, "rationale": "again"}))?;
    refused(dir, &before, &answer, 409, "granted already")?;

    // The decision and its rationale are public.
    let public =
        anonymous(&server).call("GET", "/api/v1/distributions/Base-Dist/adoptions", None)?;
    let public = public.json()?;
    assert_eq!(public["adoptions"][0]["state"], "granted");
    assert_eq!(public["adoptions"][0]["decided_by"], "ADMIN");
    assert!(public["adoptions"][0]["rationale"]
        .as_str()
        .is_some_and(|text| text.contains("agrees")));

    // With the rule `admin`, even a distribution without dependents waits.
    Repository::open(dir)?
        .set_adoption_rule(riverpan_repository::permissions::rules::AdoptionRule::Admin)?;
    let answer = helper.post(
        "/api/v1/distributions/Lonely-Dist/permissions/give-up",
        json!({}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = other.post("/api/v1/distributions/Lonely-Dist/adoption", json!({}))?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let id = answer.json()?["adoption"]["id"].as_i64().ok_or("no id")?;
    let answer = admin.post(
        &format!("/api/v1/adoptions/{id}/decision"),
        json!({"grant": false, "rationale": "HELPER gave it up an hour ago by mistake."}),
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()?["adoption"]["state"], "refused");
    assert_eq!(published(dir, "Lonely::Dist")?.owner, some("ADOPTME"));
    server.stop();
    Ok(())
}
