//! The write side end to end: a real server on 127.0.0.1, curl as the client. Uploads through
//! CPAN::Uploader's form (password, then token as the password) and the token API (multipart and
//! raw body), duplicates, the queue (indexed afterwards, a burst published once, surviving a
//! restart) and deletion (scheduled, undeleted, executed after the delay).

mod write_support;

use std::time::Duration;

use riverpan_server::WriteOptions;
use write_support::*;

fn options() -> WriteOptions {
    WriteOptions {
        debounce: Duration::from_millis(50),
        ..WriteOptions::default()
    }
}

#[test]
fn password_and_token_uploads_are_queued_indexed_and_never_repeated() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    let (token, _) = add_token(&data, "NEILB", "upload", None)?;
    let server = TestServer::start(&data, options())?;
    let dists = scratch.path().join("dists");
    std::fs::create_dir_all(&dists)?;

    // 1. CPAN::Uploader's form with Basic auth (password), the file part first.
    let first = make_dist(&dists, "Foo-Bar", "1.0", 0)?;
    let user = format!("neilb:{PASSWORD}");
    let mut args = vec!["-u", &user];
    let form = pause_form(&first, "NEILB", true);
    args.extend(as_args(&form));
    let answer = curl(&server.url("/pause/authenquery"), &args)?;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("Query succeeded"), "{}", answer.body);
    assert!(
        answer.body.contains(
            "File successfully copied to '$CPAN/authors/id/N/NE/NEILB/Foo-Bar-1.0.tar.gz'"
        ),
        "{}",
        answer.body
    );

    // 2. The same form with the token as the password, the file part last.
    let second = make_dist(&dists, "Foo-Bar", "1.1", 0)?;
    let token_user = format!("NEILB:{token}");
    let mut args = vec!["-u", &token_user];
    let form = pause_form(&second, "NEILB", false);
    args.extend(as_args(&form));
    assert_eq!(curl(&server.url("/pause/authenquery"), &args)?.status, 200);

    // 3. The token API, multipart.
    let third = make_dist(&dists, "Foo-Baz", "0.01", 0)?;
    let bearer = format!("Authorization: Bearer {token}");
    let file_part = format!("file=@{}", third.display());
    let answer = curl(
        &server.url("/api/upload"),
        &["-H", &bearer, "-F", &file_part],
    )?;
    assert_eq!(answer.status, 201, "{answer:?}");
    let json = answer.json()?;
    assert_eq!(json["path"], "N/NE/NEILB/Foo-Baz-0.01.tar.gz");
    let id = json["upload_id"].as_i64().ok_or("no upload_id")?;
    assert_eq!(json["status_url"], format!("/api/v1/uploads/{id}"));

    // 4. The token API, raw body with ?filename=.
    let fourth = make_dist(&dists, "Foo-Quux", "2.0", 0)?;
    let body = format!("@{}", fourth.display());
    let answer = curl(
        &server.url("/api/upload?filename=Foo-Quux-2.0.tar.gz"),
        &[
            "-H",
            &bearer,
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            &body,
        ],
    )?;
    assert_eq!(answer.status, 201, "{answer:?}");

    // Indexed by the worker afterwards (state `stored` → `indexed`), and published.
    wait_for("four uploads indexed", || {
        let store = riverpan_store::Store::open(&data)?;
        let uploads = store.reader().uploads()?;
        Ok(uploads.len() == 4 && uploads.iter().all(|upload| upload.state == "indexed"))
    })?;
    // The row is marked indexed in the indexing transaction; publishing follows it.
    wait_for("published", || {
        let checksums = std::fs::read_to_string(data.join("cpan/authors/id/N/NE/NEILB/CHECKSUMS"))
            .unwrap_or_default();
        Ok(
            packages_details(&data)?.contains("N/NE/NEILB/Foo-Quux-2.0.tar.gz")
                && checksums.contains("Foo-Quux-2.0.tar.gz"),
        )
    })?;
    let details = packages_details(&data)?;
    for line in [
        "N/NE/NEILB/Foo-Bar-1.1.tar.gz",
        "N/NE/NEILB/Foo-Baz-0.01.tar.gz",
        "N/NE/NEILB/Foo-Quux-2.0.tar.gz",
    ] {
        assert!(details.contains(line), "{line} missing from\n{details}");
    }
    assert!(details
        .lines()
        .any(|line| line.starts_with("Foo::Bar ") && line.contains("1.1")));
    let checksums = std::fs::read_to_string(data.join("cpan/authors/id/N/NE/NEILB/CHECKSUMS"))?;
    assert!(checksums.contains("Foo-Quux-2.0.tar.gz"), "{checksums}");

    // A name used before: 409 in both flavors, nothing new stored.
    let mut args = vec!["-u", &user];
    let form = pause_form(&first, "NEILB", false);
    args.extend(as_args(&form));
    let answer = curl(&server.url("/pause/authenquery"), &args)?;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert!(
        answer.body.contains("upload a file twice"),
        "{}",
        answer.body
    );
    let answer = curl(
        &server.url("/api/upload"),
        &["-H", &bearer, "-F", &file_part],
    )?;
    assert_eq!(answer.status, 409, "{answer:?}");
    assert!(
        answer.json()?["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Duplicated")),
        "{}",
        answer.body
    );
    assert_eq!(upload_count(&data)?, 4);

    // A document may be sent again (PAUSE's may_overwrite_file): 201 both times, one upload.
    let notes = scratch.path().join("Release-Notes.md");
    let mut ids = Vec::new();
    for take in ["first notes", "second, longer notes"] {
        std::fs::write(&notes, take)?;
        let part = format!("file=@{}", notes.display());
        let answer = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?;
        assert_eq!(answer.status, 201, "{answer:?}");
        ids.push(answer.json()?["upload_id"].as_i64().ok_or("no upload_id")?);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(upload_count(&data)?, 5);
    wait_for("the notes indexed", || {
        let store = riverpan_store::Store::open(&data)?;
        Ok(store.reader().queued_uploads()?.is_empty())
    })?;
    assert_eq!(
        std::fs::read_to_string(data.join("cpan/authors/id/N/NE/NEILB/Release-Notes.md"))?,
        "second, longer notes"
    );
    let answer = curl(&server.url(&format!("/api/v1/uploads/{}", ids[0])), &[])?;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()?["size"], 20, "{}", answer.body);
    server.stop();
    Ok(())
}

#[test]
fn a_burst_of_uploads_is_published_once() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    let (token, _) = add_token(&data, "NEILB", "upload", None)?;
    let server = TestServer::start(
        &data,
        WriteOptions {
            debounce: Duration::from_millis(500),
            ..WriteOptions::default()
        },
    )?;
    let before = riverpan_store::Store::open(&data)?.index_generation()?;
    let bearer = format!("Authorization: Bearer {token}");
    for n in 1..=5 {
        let dist = make_dist(scratch.path(), &format!("Burst-N{n}"), "1.0", 0)?;
        let part = format!("file=@{}", dist.display());
        assert_eq!(
            curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?.status,
            201
        );
    }
    wait_for("the burst indexed", || {
        let store = riverpan_store::Store::open(&data)?;
        Ok(store.reader().queued_uploads()?.is_empty() && store.reader().uploads()?.len() == 5)
    })?;
    // One indexing pass (which publishes once) for the five uploads.
    wait_for("the pass to finish", || Ok(server.indexing_passes() > 0))?;
    assert_eq!(server.indexing_passes(), 1);
    let store = riverpan_store::Store::open(&data)?;
    assert_eq!(store.index_generation()?, before + 5);
    let details = packages_details(&data)?;
    for n in 1..=5 {
        assert!(details.contains(&format!("Burst::N{n} ")), "{details}");
    }
    server.stop();
    Ok(())
}

#[test]
fn the_queue_survives_a_restart() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    let held = TestServer::start(
        &data,
        WriteOptions {
            hold_queue: true,
            ..options()
        },
    )?;
    let dist = make_dist(scratch.path(), "Queued-Dist", "1.0", 0)?;
    let user = format!("NEILB:{PASSWORD}");
    let mut args = vec!["-u", &user];
    let form = pause_form(&dist, "NEILB", true);
    args.extend(as_args(&form));
    assert_eq!(curl(&held.url("/pause/authenquery"), &args)?.status, 200);
    held.stop();
    let upload = riverpan_store::Store::open(&data)?
        .reader()
        .upload_by_path("N/NE/NEILB/Queued-Dist-1.0.tar.gz")?
        .ok_or("upload row missing")?;
    assert_eq!(upload.state, "stored", "queued, not indexed, while held");
    assert!(!packages_details(&data)?.contains("Queued::Dist"));

    let server = TestServer::start(&data, options())?;
    wait_for("the queued upload indexed after the restart", || {
        Ok(upload_state(&data, upload.id)?.as_deref() == Some("indexed"))
    })?;
    wait_for("published", || {
        Ok(packages_details(&data)?.contains("Queued::Dist "))
    })?;
    server.stop();
    Ok(())
}

#[test]
fn deletions_are_scheduled_undeleted_and_executed_after_the_delay() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let data = scratch.path().join("data");
    add_account(&data, "NEILB", false)?;
    add_account(&data, "OTHER", false)?;
    let (token, _) = add_token(&data, "NEILB", "upload", None)?;
    let server = TestServer::start(
        &data,
        WriteOptions {
            deletion_delay: Duration::from_secs(1),
            ..options()
        },
    )?;
    let bearer = format!("Authorization: Bearer {token}");
    let dist = make_dist(scratch.path(), "Gone-Soon", "1.0", 0)?;
    let part = format!("file=@{}", dist.display());
    let answer = curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?;
    assert_eq!(answer.status, 201, "{answer:?}");
    let upload_id = answer.json()?["upload_id"].as_i64().ok_or("no id")?;
    wait_for("indexed", || {
        Ok(upload_state(&data, upload_id)?.as_deref() == Some("indexed"))
    })?;
    wait_for("published", || {
        Ok(packages_details(&data)?.contains("Gone::Soon "))
    })?;
    let on_cpan = data.join("cpan/authors/id/N/NE/NEILB/Gone-Soon-1.0.tar.gz");
    let in_backpan = data.join("backpan/authors/id/N/NE/NEILB/Gone-Soon-1.0.tar.gz");
    assert!(on_cpan.is_file());

    let json_header = "Content-Type: application/json";
    let deletions = server.url("/api/v1/deletions");

    // Someone else may not delete NEILB's file.
    let other = format!("OTHER:{PASSWORD}");
    let answer = curl(
        &deletions,
        &[
            "-u",
            &other,
            "-H",
            json_header,
            "-d",
            r#"{"path":"N/NE/NEILB/Gone-Soon-1.0.tar.gz"}"#,
        ],
    )?;
    assert_eq!(answer.status, 403, "{answer:?}");

    // Schedule, then undelete before it runs.
    let answer = curl(
        &deletions,
        &[
            "-H",
            &bearer,
            "-H",
            json_header,
            "-d",
            r#"{"path":"Gone-Soon-1.0.tar.gz"}"#,
        ],
    )?;
    assert_eq!(answer.status, 202, "{answer:?}");
    let scheduled = answer.json()?;
    assert_eq!(scheduled["state"], "scheduled");
    let id = scheduled["deletion_id"].as_i64().ok_or("no deletion_id")?;
    let this = server.url(&format!("/api/v1/deletions/{id}"));
    let answer = curl(&this, &["-X", "DELETE", "-H", &bearer])?;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json()?["state"], "cancelled");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(on_cpan.is_file(), "an undeleted file stays");
    assert!(packages_details(&data)?.contains("Gone::Soon "));
    assert_eq!(curl(&this, &[])?.json()?["state"], "cancelled");

    // Schedule again and let it run after the 1 s delay.
    let answer = curl(
        &deletions,
        &[
            "-H",
            &bearer,
            "-H",
            json_header,
            "-d",
            r#"{"path":"authors/id/N/NE/NEILB/Gone-Soon-1.0.tar.gz"}"#,
        ],
    )?;
    assert_eq!(answer.status, 202, "{answer:?}");
    let id = answer.json()?["deletion_id"].as_i64().ok_or("no id")?;
    let this = server.url(&format!("/api/v1/deletions/{id}"));
    wait_for("the deletion executed", || {
        Ok(curl(&this, &[])?.json()?["state"] == "done")
    })?;
    assert!(!on_cpan.exists(), "the file left CPAN");
    assert!(in_backpan.is_file(), "and is in BackPAN");
    // `done` is committed with the index change; the files are republished right after.
    wait_for("02packages and CHECKSUMS without the file", || {
        let checksums = std::fs::read_to_string(data.join("cpan/authors/id/N/NE/NEILB/CHECKSUMS"))?;
        Ok(!packages_details(&data)?.contains("Gone::Soon")
            && !checksums.contains("Gone-Soon-1.0.tar.gz"))
    })?;
    // Too late to undelete; and the name can never be uploaded again.
    assert_eq!(curl(&this, &["-X", "DELETE", "-H", &bearer])?.status, 409);
    assert_eq!(
        curl(&server.url("/api/upload"), &["-H", &bearer, "-F", &part])?.status,
        409
    );
    server.stop();
    Ok(())
}
