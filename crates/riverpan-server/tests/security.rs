//! Refusals of the write side, each with the right status and a clear message, and nothing
//! written (no file under authors/id, no uploads row): wrong password, expired, revoked and
//! out-of-scope tokens, uploading into another author's directory, path traversal in the file
//! name, an archive over the size limit, a duplicate name; and the failed-login rate limit.

mod write_support;

use std::path::Path;

use riverpan_server::WriteOptions;
use write_support::*;

/// The uploads table and the CPAN tree's files, to compare before and after a refusal.
fn snapshot(data: &Path) -> Result<(usize, Vec<String>), Box<dyn std::error::Error>> {
    Ok((
        upload_count(data)?,
        files_below(&data.join("cpan/authors/id")),
    ))
}

struct Setup {
    _scratch: tempfile::TempDir,
    data: std::path::PathBuf,
    dist: std::path::PathBuf,
    server: TestServer,
}

fn setup(options: WriteOptions) -> Result<Setup, Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    add_account(&data, "ALICE", false)?;
    add_account(&data, "BOSS", true)?;
    let dist = make_dist(scratch.path(), "Foo-Bar", "1.0", 0)?;
    let server = TestServer::start(&data, options)?;
    Ok(Setup {
        _scratch: scratch,
        data,
        dist,
        server,
    })
}

/// Uploads `dist` through the PAUSE form as `user:password`, acting as `hidden`.
fn pause_upload(
    server: &TestServer,
    credentials: &str,
    hidden: &str,
    dist: &Path,
) -> Result<Answer, Box<dyn std::error::Error>> {
    let mut args = vec!["-u", credentials];
    let form = pause_form(dist, hidden, true);
    args.extend(as_args(&form));
    curl(&server.url("/pause/authenquery"), &args)
}

fn token_upload(
    server: &TestServer,
    token: &str,
    dist: &Path,
) -> Result<Answer, Box<dyn std::error::Error>> {
    let bearer = format!("Authorization: Bearer {token}");
    let part = format!("file=@{}", dist.display());
    curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])
}

#[test]
fn bad_credentials_are_refused_with_401_and_nothing_is_written() -> TestResult {
    let s = setup(WriteOptions::default())?;
    let before = snapshot(&s.data)?;

    // No credentials at all.
    let form = pause_form(&s.dist, "NEILB", true);
    let answer = curl(&s.server.url("/pause/authenquery"), &as_args(&form))?;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("WWW-Authenticate").as_deref(),
        Some("Basic realm=\"PAUSE\"")
    );

    // A wrong password, and an unknown user.
    for credentials in ["NEILB:wrong password", "NOBODY:whatever"] {
        let answer = pause_upload(&s.server, credentials, "NEILB", &s.dist)?;
        assert_eq!(answer.status, 401, "{credentials}: {answer:?}");
        assert_eq!(
            answer.header("WWW-Authenticate").as_deref(),
            Some("Basic realm=\"PAUSE\"")
        );
        assert!(
            answer.body.contains("wrong PAUSE id or password"),
            "{}",
            answer.body
        );
    }

    // An expired token.
    let (expired, _) = add_token(&s.data, "NEILB", "upload", Some(now() - 60))?;
    let answer = token_upload(&s.server, &expired, &s.dist)?;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(
        answer.json()?["error"],
        "Authorization failed: this token has expired"
    );

    // A revoked token (also as the password of the PAUSE form).
    let (revoked, revoked_id) = add_token(&s.data, "NEILB", "upload", None)?;
    assert!(riverpan_store::Store::open(&s.data)?.revoke_token(&revoked_id, now())?);
    let answer = token_upload(&s.server, &revoked, &s.dist)?;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(
        answer.json()?["error"],
        "Authorization failed: this token was revoked"
    );
    let answer = pause_upload(&s.server, &format!("NEILB:{revoked}"), "NEILB", &s.dist)?;
    assert_eq!(answer.status, 401, "{answer:?}");

    // A token whose secret was tampered with, and another user's token.
    let (good, _) = add_token(&s.data, "NEILB", "upload", None)?;
    let last = if good.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &good[..good.len() - 1]);
    assert_eq!(token_upload(&s.server, &tampered, &s.dist)?.status, 401);
    let answer = pause_upload(&s.server, &format!("ALICE:{good}"), "ALICE", &s.dist)?;
    assert_eq!(
        answer.status, 401,
        "a token only works for its own user: {answer:?}"
    );

    assert_eq!(snapshot(&s.data)?, before, "nothing may be written");
    Ok(())
}

#[test]
fn uploads_outside_the_callers_rights_are_refused_and_nothing_is_written() -> TestResult {
    let s = setup(WriteOptions {
        max_upload_size: 64 * 1024,
        ..WriteOptions::default()
    })?;
    let scratch = tempfile::tempdir()?;
    let before = snapshot(&s.data)?;
    let neilb = format!("NEILB:{PASSWORD}");

    // Out of scope: a token for Other::* uploading Foo-Bar.
    let (scoped, _) = add_token(&s.data, "NEILB", "upload:Other::*,Baz", None)?;
    let answer = token_upload(&s.server, &scoped, &s.dist)?;
    assert_eq!(answer.status, 403, "{answer:?}");
    let error = answer.json()?["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("Invalid scope") && error.contains("Foo::Bar"),
        "{error}"
    );

    // Into another author's directory: HIDDENNAME of someone else, by a non-admin.
    let answer = pause_upload(&s.server, &neilb, "ALICE", &s.dist)?;
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(
        answer.body.contains("NEILB may not upload as ALICE"),
        "{}",
        answer.body
    );

    // Path traversal and hidden names in the client's file name.
    for name in [
        "../../../etc/evil.tar.gz",
        "..\\..\\evil.tar.gz",
        ".evil.tar.gz",
        "a/b.tar.gz",
    ] {
        let part = format!(
            "pause99_add_uri_httpupload=@{};filename={name}",
            s.dist.display()
        );
        let answer = curl(
            &s.server.url("/pause/authenquery"),
            &["-u", &neilb, "-F", "HIDDENNAME=NEILB", "-F", &part],
        )?;
        assert_eq!(answer.status, 400, "{name}: {answer:?}");
        assert!(answer.body.contains("Refused file name"), "{}", answer.body);
    }
    let answer = curl(
        &s.server.url("/api/upload?filename=..%2F..%2Fevil.tar.gz"),
        &[
            "-u",
            &neilb,
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            &format!("@{}", s.dist.display()),
        ],
    )?;
    assert_eq!(answer.status, 400, "{answer:?}");

    // Over the size limit (64 KiB here): 413, in both flavors.
    let big = make_dist(scratch.path(), "Big-Dist", "1.0", 200 * 1024)?;
    assert!(std::fs::metadata(&big)?.len() > 64 * 1024);
    let answer = pause_upload(&s.server, &neilb, "NEILB", &big)?;
    assert_eq!(answer.status, 413, "{answer:?}");
    let (token, _) = add_token(&s.data, "NEILB", "upload", None)?;
    let answer = token_upload(&s.server, &token, &big)?;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(
        answer.json()?["error"]
            .as_str()
            .is_some_and(|e| e.contains("limit of 65536 bytes")),
        "{}",
        answer.body
    );

    assert_eq!(snapshot(&s.data)?, before, "nothing may be written");
    assert!(!s.data.join("cpan/etc").exists() && !s.data.join("etc").exists());

    // What is allowed still works: an administrator uploads for ALICE; the scoped token
    // uploads inside its scope.
    let answer = pause_upload(&s.server, &format!("BOSS:{PASSWORD}"), "ALICE", &s.dist)?;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(s
        .data
        .join("cpan/authors/id/A/AL/ALICE/Foo-Bar-1.0.tar.gz")
        .is_file());
    let other = make_dist(scratch.path(), "Other-Thing", "1.0", 0)?;
    assert_eq!(token_upload(&s.server, &scoped, &other)?.status, 201);

    // A duplicate name: 409, and still only two uploads.
    let answer = pause_upload(&s.server, &format!("BOSS:{PASSWORD}"), "ALICE", &s.dist)?;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert_eq!(upload_count(&s.data)?, 2);
    Ok(())
}

#[test]
fn repeated_failures_are_rate_limited_with_429_and_retry_after() -> TestResult {
    let s = setup(WriteOptions {
        failures_per_minute: 5,
        ..WriteOptions::default()
    })?;
    for attempt in 0..5 {
        let answer = pause_upload(&s.server, "NEILB:guess", "NEILB", &s.dist)?;
        assert_eq!(answer.status, 401, "attempt {attempt}");
    }
    let answer = pause_upload(&s.server, "NEILB:guess", "NEILB", &s.dist)?;
    assert_eq!(answer.status, 429, "{answer:?}");
    let retry: u64 = answer
        .header("Retry-After")
        .ok_or("no Retry-After")?
        .parse()?;
    assert!((1..=60).contains(&retry), "{retry}");
    // Even the right password waits: the limit is checked before the credentials.
    let answer = pause_upload(&s.server, &format!("NEILB:{PASSWORD}"), "NEILB", &s.dist)?;
    assert_eq!(answer.status, 429);
    assert_eq!(upload_count(&s.data)?, 0);
    Ok(())
}
