//! The author life-cycle on a real repository, with an SMTP server started by the test: the id
//! request queue (checks, spam, limits, taken ids), approval and rejection with their mails,
//! account states, deleting ids (allowed and refused), the inactive unused ids with reminder and
//! reclamation, and the cleanup of old releases on a generated history (dry run and real, the
//! notice, the delay, cancelling, the opt-out, perl, files in 02packages).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use riverpan_indexer::Policy;
use riverpan_repository::{
    CleanupOptions, CleanupRule, IdRequestForm, IdRequestRefusal, InactivityRule, MailConfig,
    RegistrationPolicy, Repository, RepositoryError,
};
use riverpan_store::AuthorRecord;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const YEAR: i64 = 31_557_600;

/// An SMTP server that accepts any number of messages; each message's DATA is collected.
fn smtp_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let collected = Arc::clone(&messages);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let Ok(read_half) = stream.try_clone() else {
                return;
            };
            let mut reader = BufReader::new(read_half);
            let mut writer = stream;
            let _ = writer.write_all(b"220 test ESMTP\r\n");
            let mut data = String::new();
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        collected
                            .lock()
                            .expect("lock")
                            .push(std::mem::take(&mut data));
                        let _ = writer.write_all(b"250 queued\r\n");
                    } else {
                        data.push_str(&line);
                    }
                    continue;
                }
                let upper = line.to_ascii_uppercase();
                if upper.starts_with("DATA") {
                    in_data = true;
                    let _ = writer.write_all(b"354 go\r\n");
                } else if upper.starts_with("QUIT") {
                    let _ = writer.write_all(b"221 bye\r\n");
                    break;
                } else {
                    let _ = writer.write_all(b"250 ok\r\n");
                }
            }
        }
    });
    (address, messages)
}

fn mail(relay: &str) -> Option<MailConfig> {
    Some(MailConfig {
        relay: relay.to_string(),
        from: "riverpan@example.org".into(),
        admin: Some("admins@example.org".into()),
    })
}

fn form(userid: &str, email: &str, client: &str) -> IdRequestForm {
    IdRequestForm {
        userid: userid.into(),
        fullname: "Ada Lovelace".into(),
        email: email.into(),
        homepage: String::new(),
        rationale: "I want to release Analytical::Engine.".into(),
        client_ip: client.into(),
    }
}

fn refusal(outcome: Result<riverpan_store::IdRequestRecord, RepositoryError>) -> IdRequestRefusal {
    match outcome {
        Err(RepositoryError::IdRequest(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn messages_to(messages: &Arc<Mutex<Vec<String>>>, to: &str) -> Vec<String> {
    messages
        .lock()
        .expect("lock")
        .iter()
        .filter(|message| message.contains(&format!("To: {to}")))
        .cloned()
        .collect()
}

#[test]
fn id_requests_are_checked_limited_and_decided_with_mails() -> TestResult {
    let data = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    let (relay, messages) = smtp_server();
    repository.set_mail(mail(&relay));
    let policy = RegistrationPolicy {
        per_email_per_day: 2,
        per_client_per_day: 3,
        per_day: 4,
        ..RegistrationPolicy::default()
    };

    // Checks as PAUSE's form: the id's syntax, a name with a space, an address, a reason.
    let bad = IdRequestForm {
        userid: "A1".into(),
        fullname: "Ada".into(),
        ..form("X", "not-an-address", "192.0.2.1")
    };
    match refusal(repository.submit_id_request(&bad, &policy)) {
        IdRequestRefusal::Invalid(problems) => assert_eq!(problems.len(), 3, "{problems:?}"),
        other => panic!("{other:?}"),
    }
    let spam = IdRequestForm {
        fullname: "ADA LOVE".into(),
        ..form("adalove", "ada@example.org", "192.0.2.1")
    };
    assert!(matches!(
        refusal(repository.submit_id_request(&spam, &policy)),
        IdRequestRefusal::Spam(_)
    ));
    // Taken: an existing author, a reserved id.
    repository.add_author(&AuthorRecord {
        userid: "NEILB".into(),
        fullname: "Neil Bowers".into(),
        email: None,
        pumpking: false,
    })?;
    for taken in ["neilb", "ADOPTME"] {
        assert!(matches!(
            refusal(
                repository.submit_id_request(&form(taken, "a@example.org", "192.0.2.9"), &policy)
            ),
            IdRequestRefusal::Taken(_)
        ));
    }
    assert!(
        repository.store().id_requests(None)?.is_empty(),
        "refusals store nothing"
    );

    let first =
        repository.submit_id_request(&form("ada", "ada@example.org", "192.0.2.1"), &policy)?;
    assert_eq!(
        (first.userid.as_str(), first.state.as_str()),
        ("ADA", "pending")
    );
    // The same id again while pending: taken.
    assert!(matches!(
        refusal(
            repository.submit_id_request(&form("ADA", "other@example.org", "192.0.2.2"), &policy)
        ),
        IdRequestRefusal::Taken(_)
    ));
    let second =
        repository.submit_id_request(&form("lovelace", "ADA@example.org", "192.0.2.1"), &policy)?;
    // Per e-mail address (case-insensitive): the third request of the day is refused.
    assert!(matches!(
        refusal(
            repository.submit_id_request(&form("analyt", "ada@example.org", "192.0.2.7"), &policy)
        ),
        IdRequestRefusal::TooMany(_)
    ));
    // Per client address.
    repository.submit_id_request(&form("babbage", "cb@example.org", "192.0.2.1"), &policy)?;
    assert!(matches!(
        refusal(
            repository.submit_id_request(&form("menabrea", "lm@example.org", "192.0.2.1"), &policy)
        ),
        IdRequestRefusal::TooMany(_)
    ));
    // Per day in all.
    repository.submit_id_request(&form("hopper", "gh@example.org", "192.0.2.5"), &policy)?;
    assert!(matches!(
        refusal(
            repository.submit_id_request(&form("turing", "at@example.org", "192.0.2.6"), &policy)
        ),
        IdRequestRefusal::TooMany(_)
    ));
    assert_eq!(repository.store().id_requests(Some("pending"))?.len(), 4);
    assert_eq!(
        messages_to(&messages, "admins@example.org").len(),
        4,
        "one notice per request"
    );

    // Approval: author, account with the password, 01mailrc, the welcome mail.
    let approved =
        repository.approve_id_request(first.id, "ADMIN", "one-time-pw", "$argon2id$fake")?;
    assert!(approved.mailed);
    assert_eq!(approved.request.state, "approved");
    assert_eq!(approved.request.decided_by.as_deref(), Some("ADMIN"));
    let author = repository
        .store()
        .reader()
        .author("ADA")?
        .ok_or("no author")?;
    // The address given is secret (mailed, not published), as PAUSE keeps it.
    assert_eq!(author.email, None);
    assert_eq!(
        repository.store().contact_email("ADA")?.as_deref(),
        Some("ada@example.org")
    );
    let account = repository.store().account("ADA")?.ok_or("no account")?;
    assert_eq!(account.password_hash.as_deref(), Some("$argon2id$fake"));
    assert!(!account.is_admin);
    let mailrc = std::fs::read(repository.cpan_root().join("authors/01mailrc.txt.gz"))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&mailrc[..]), &mut text)?;
    assert!(text.contains("alias ADA"), "{text}");
    assert!(!text.contains("ada@example.org"), "{text}");
    let welcome = messages_to(&messages, "ada@example.org");
    assert!(welcome
        .iter()
        .any(|m| m.contains("Subject: Welcome new user ADA") && m.contains("one-time-pw")));
    assert!(
        !messages_to(&messages, "admins@example.org")
            .iter()
            .any(|m| m.contains("one-time-pw")),
        "the administrators' copy has no password"
    );
    // Deciding twice is a conflict.
    assert!(matches!(
        repository.approve_id_request(first.id, "ADMIN", "x", "y"),
        Err(RepositoryError::Conflict(_))
    ));

    // Rejection: mailed with the note; no author.
    let (rejected, mailed) =
        repository.reject_id_request(second.id, "ADMIN", Some("one id is enough"))?;
    assert!(mailed);
    assert_eq!(rejected.state, "rejected");
    assert!(repository.store().reader().author("LOVELACE")?.is_none());
    assert!(messages_to(&messages, "ADA@example.org")
        .iter()
        .any(|m| m.contains("was not approved") && m.contains("one id is enough")));
    assert!(matches!(
        repository.reject_id_request(9999, "ADMIN", None),
        Err(RepositoryError::NotFound(_))
    ));
    Ok(())
}

#[test]
fn automatic_approval_stops_at_its_daily_cap() -> TestResult {
    let data = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    let policy = RegistrationPolicy {
        auto_approve: true,
        auto_approve_daily_cap: 1,
        ..RegistrationPolicy::default()
    };
    assert!(
        !repository.may_auto_approve(&RegistrationPolicy::default())?,
        "off by default"
    );
    assert!(repository.may_auto_approve(&policy)?);
    let request = repository.submit_id_request(&form("ada", "ada@example.org", "a"), &policy)?;
    repository.approve_id_request(request.id, riverpan_repository::AUTO_APPROVER, "pw", "hash")?;
    assert!(!repository.may_auto_approve(&policy)?, "the cap is reached");
    Ok(())
}

fn dist(dir: &Path, name: &str, version: &str) -> PathBuf {
    let package = name.replace('-', "::");
    let root = format!("{name}-{version}");
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, content: &str| {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder
            .append_data(&mut header, format!("{root}/{path}"), content.as_bytes())
            .expect("tar");
    };
    add(
        "META.yml",
        &format!("---\nname: {name}\nversion: {version}\nlicense: perl\n"),
    );
    add(
        &format!("lib/{}.pm", package.replace("::", "/")),
        &format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
    );
    let tar = builder.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("gzip");
    let path = dir.join(format!("{root}.tar.gz"));
    std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
    path
}

fn author(userid: &str, email: Option<&str>) -> AuthorRecord {
    AuthorRecord {
        userid: userid.into(),
        fullname: format!("{userid} Person"),
        email: email.map(str::to_string),
        pumpking: false,
    }
}

#[test]
fn ids_that_uploaded_or_hold_permissions_are_never_deleted() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    for id in ["UPLOADER", "HOLDER", "UNUSED"] {
        repository.add_author(&author(id, None))?;
    }
    repository.upload("UPLOADER", &dist(work.path(), "Up-Loaded", "1.0"))?;
    repository.grant("Held::Package", "HOLDER", true)?;
    assert!(repository
        .id_deletion_refusal("UPLOADER")?
        .is_some_and(|why| why.contains("BackPAN")));
    assert!(repository
        .id_deletion_refusal("HOLDER")?
        .is_some_and(|why| why.contains("permission")));
    assert!(matches!(
        repository.delete_id("UPLOADER", "UPLOADER", "test"),
        Err(RepositoryError::Conflict(_))
    ));
    assert!(repository.store().reader().author("UPLOADER")?.is_some());
    // Even after the upload is deleted: the file is on BackPAN under that id.
    repository.delete_now("U/UP/UPLOADER/Up-Loaded-1.0.tar.gz", None)?;
    assert!(repository.id_deletion_refusal("UPLOADER")?.is_some());

    assert_eq!(repository.id_deletion_refusal("UNUSED")?, None);
    repository.delete_id("UNUSED", "UNUSED", "deleted by its owner")?;
    assert!(repository.store().reader().author("UNUSED")?.is_none());
    assert_eq!(repository.store().deleted_ids()?.len(), 1);
    // The id is free again.
    assert!(!repository.id_is_taken("UNUSED")?);
    assert!(matches!(
        repository.delete_id("UNUSED", "X", "again"),
        Err(RepositoryError::NotFound(_))
    ));
    // Permissions are untouched by all this.
    let perms = repository.permissions("Held::Package")?;
    assert!(perms
        .iter()
        .any(|(package, userid, _)| package == "Held::Package" && userid == "HOLDER"));
    Ok(())
}

#[test]
fn inactive_unused_ids_are_reminded_before_they_are_reclaimed() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    for (id, email) in [
        ("QUIET", Some("quiet@example.org")),
        ("NOMAIL", None),
        ("ACTIVE", Some("active@example.org")),
        ("SENDER", Some("sender@example.org")),
    ] {
        repository.add_author(&author(id, email))?;
    }
    repository.upload("SENDER", &dist(work.path(), "Sent-Dist", "1.0"))?;
    // Registered long ago; ACTIVE signed in recently.
    let conn = repository.store().connection();
    conn.execute("UPDATE authors SET created_at = 1000", [])?;
    repository.store().upsert_account(
        &riverpan_store::AccountRecord {
            userid: "ACTIVE".into(),
            password_hash: None,
            is_admin: false,
        },
        1000,
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    repository.store().record_login("ACTIVE", now)?;
    let rule = InactivityRule {
        inactive_for: Duration::from_secs(365 * 86_400),
        grace: Duration::from_secs(30 * 86_400),
    };
    let ids: Vec<String> = repository
        .inactive_ids(&rule)?
        .into_iter()
        .map(|id| id.userid)
        .collect();
    assert_eq!(
        ids,
        ["NOMAIL", "QUIET"],
        "uploaders and recent sign-ins are not inactive"
    );

    // No reminder without mail, hence no reclamation.
    assert!(repository.warn_inactive_ids(&rule).is_err());
    assert!(repository
        .reclaim_inactive_ids(&rule, "ADMIN", false)?
        .is_empty());

    let (relay, messages) = smtp_server();
    repository.set_mail(mail(&relay));
    assert_eq!(repository.warn_inactive_ids(&rule)?, ["QUIET"]);
    assert!(messages_to(&messages, "quiet@example.org")
        .iter()
        .any(|m| m.contains("please sign in")));
    // A second run does not remind again.
    assert!(repository.warn_inactive_ids(&rule)?.is_empty());
    // Within the grace period nothing is reclaimed.
    assert!(repository
        .reclaim_inactive_ids(&rule, "ADMIN", false)?
        .is_empty());
    // Move the reminder back beyond the grace period.
    repository.store().connection().execute(
        "UPDATE inactive_id_warnings SET warned_at = warned_at - 31 * 86400",
        [],
    )?;
    assert_eq!(
        repository.reclaim_inactive_ids(&rule, "ADMIN", true)?,
        ["QUIET"]
    );
    assert!(
        repository.store().reader().author("QUIET")?.is_some(),
        "a dry run deletes nothing"
    );
    assert_eq!(
        repository.reclaim_inactive_ids(&rule, "ADMIN", false)?,
        ["QUIET"]
    );
    assert!(repository.store().reader().author("QUIET")?.is_none());
    assert!(
        repository.store().reader().author("NOMAIL")?.is_some(),
        "never reminded, never reclaimed"
    );
    Ok(())
}

#[test]
fn a_sign_in_after_the_reminder_keeps_the_id() -> TestResult {
    let data = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("QUIET", Some("quiet@example.org")))?;
    repository.store().upsert_account(
        &riverpan_store::AccountRecord {
            userid: "QUIET".into(),
            password_hash: None,
            is_admin: false,
        },
        1000,
    )?;
    repository
        .store()
        .connection()
        .execute("UPDATE authors SET created_at = 1000", [])?;
    repository
        .store()
        .connection()
        .execute("UPDATE accounts SET created_at = 1000", [])?;
    let (relay, _messages) = smtp_server();
    repository.set_mail(mail(&relay));
    let rule = InactivityRule {
        inactive_for: Duration::from_secs(86_400),
        grace: Duration::from_secs(0),
    };
    assert_eq!(repository.warn_inactive_ids(&rule)?, ["QUIET"]);
    repository
        .store()
        .connection()
        .execute("UPDATE inactive_id_warnings SET warned_at = 2000", [])?;
    // Signed in after the reminder (and long ago enough to be inactive again): the reminder is
    // void, so the id is not reclaimed.
    repository.store().record_login("QUIET", 3000)?;
    assert!(repository
        .reclaim_inactive_ids(&rule, "ADMIN", false)?
        .is_empty());
    assert!(repository.store().reader().author("QUIET")?.is_some());
    Ok(())
}

#[test]
fn account_states_are_active_or_nologin() -> TestResult {
    let data = tempfile::tempdir()?;
    let repository = Repository::open(data.path())?;
    repository.store().upsert_account(
        &riverpan_store::AccountRecord {
            userid: "SPAMMER".into(),
            password_hash: None,
            is_admin: false,
        },
        1,
    )?;
    assert_eq!(
        repository.set_account_state("SPAMMER", "nologin", "ADMIN")?,
        "active"
    );
    let state = repository
        .store()
        .account_state("SPAMMER")?
        .ok_or("no state")?;
    assert_eq!(
        (state.state.as_str(), state.changed_by.as_deref()),
        ("nologin", Some("ADMIN"))
    );
    assert!(matches!(
        repository.set_account_state("SPAMMER", "deleted", "ADMIN"),
        Err(RepositoryError::BadSetting(_))
    ));
    assert!(matches!(
        repository.set_account_state("NOBODY", "nologin", "ADMIN"),
        Err(RepositoryError::NotFound(_))
    ));
    Ok(())
}

/// A generated history: NEILB's Old-Dist with releases dated 12 … 1 years ago (one indexed,
/// the newest), a developer release among them; perl releases; OPTOUT's releases.
fn generated_history(repository: &mut Repository, work: &Path) -> TestResult {
    repository.set_policy(Policy::Pause)?;
    repository.add_author(&author("NEILB", Some("neil@example.org")))?;
    repository.add_author(&AuthorRecord {
        pumpking: true,
        ..author("PUMPKIN", Some("pumpkin@example.org"))
    })?;
    repository.add_author(&author("OPTOUT", Some("optout@example.org")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    for (version, years) in [
        ("0.01", 12),
        ("0.02_01", 11),
        ("0.02", 10),
        ("0.03", 9),
        ("0.04", 8),
        ("0.05", 7),
        ("0.06", 6),
    ] {
        repository.upload("NEILB", &dist(work, "Old-Dist", version))?;
        let path = format!("N/NE/NEILB/Old-Dist-{version}.tar.gz");
        repository.store().connection().execute(
            "UPDATE uploads SET mtime = ?2 WHERE path = ?1",
            rusqlite_params(&path, now - years * YEAR),
        )?;
    }
    for (version, years) in [("5.6.0", 20), ("5.6.1", 19), ("5.8.0", 18), ("5.8.1", 17)] {
        repository.upload("PUMPKIN", &dist(work, "perl", version))?;
        let path = format!("P/PU/PUMPKIN/perl-{version}.tar.gz");
        repository.store().connection().execute(
            "UPDATE uploads SET mtime = ?2 WHERE path = ?1",
            rusqlite_params(&path, now - years * YEAR),
        )?;
    }
    for (version, years) in [("1", 9), ("2", 8), ("3", 7), ("4", 6)] {
        repository.upload("OPTOUT", &dist(work, "Kept-Dist", version))?;
        let path = format!("O/OP/OPTOUT/Kept-Dist-{version}.tar.gz");
        repository.store().connection().execute(
            "UPDATE uploads SET mtime = ?2 WHERE path = ?1",
            rusqlite_params(&path, now - years * YEAR),
        )?;
    }
    repository.store().set_cleanup_opt_out("OPTOUT", true)?;
    Ok(())
}

fn rusqlite_params(path: &str, mtime: i64) -> (String, i64) {
    (path.to_string(), mtime)
}

#[test]
fn old_releases_are_cleaned_up_through_the_deletion_machinery() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    generated_history(&mut repository, work.path())?;
    // Old-Dist 0.06 is in 02packages (the newest), and so kept whatever its age.
    let (relay, messages) = smtp_server();
    repository.set_mail(mail(&relay));
    let mut options = CleanupOptions {
        rule: CleanupRule::default(),
        delay: Duration::from_secs(3600),
        author: None,
        dry_run: true,
        notice_interval: None,
    };
    let dry = repository.cleanup(&options)?;
    assert_eq!(dry.authors.len(), 1, "{dry:?}");
    assert_eq!(dry.authors[0].userid, "NEILB");
    // Kept: the three newest stable releases (0.06 indexed, 0.05, 0.04); 0.02_01 is older
    // than the oldest of them.
    assert_eq!(
        dry.authors[0].paths,
        [
            "N/NE/NEILB/Old-Dist-0.01.tar.gz",
            "N/NE/NEILB/Old-Dist-0.02.tar.gz",
            "N/NE/NEILB/Old-Dist-0.02_01.tar.gz",
            "N/NE/NEILB/Old-Dist-0.03.tar.gz",
        ]
    );
    assert_eq!(dry.opted_out, ["OPTOUT"]);
    assert!(
        messages.lock().map_err(|_| "lock")?.is_empty(),
        "a dry run mails nobody"
    );
    let pending = |repository: &Repository| -> Result<usize, Box<dyn std::error::Error>> {
        let mut n = 0;
        for upload in repository.store().reader().uploads()? {
            n += usize::from(repository.store().pending_deletion(upload.id)?.is_some());
        }
        Ok(n)
    };
    assert_eq!(pending(&repository)?, 0, "a dry run schedules nothing");

    // --author limits the run.
    options.author = Some("OPTOUT".into());
    assert!(repository.cleanup(&options)?.authors.is_empty());
    options.author = None;

    options.dry_run = false;
    let real = repository.cleanup(&options)?;
    assert_eq!(real.authors[0].paths.len(), 4);
    assert!(real.authors[0].noticed);
    assert_eq!(pending(&repository)?, 4);
    let notices = messages_to(&messages, "neil@example.org");
    assert_eq!(notices.len(), 1, "one notice per author");
    assert!(
        notices[0].contains("Old-Dist-0.01.tar.gz") && notices[0].contains("Old-Dist-0.03.tar.gz")
    );
    assert!(!notices[0].contains("Old-Dist-0.04.tar.gz"));
    // A second run finds them scheduled already: nothing new, no second notice.
    assert!(repository.cleanup(&options)?.authors.is_empty());
    assert_eq!(messages_to(&messages, "neil@example.org").len(), 1);

    // The author cancels one; nothing runs before the delay.
    let upload = repository
        .store()
        .reader()
        .upload_by_path("N/NE/NEILB/Old-Dist-0.03.tar.gz")?
        .ok_or("no upload")?;
    let deletion = repository
        .store()
        .pending_deletion(upload.id)?
        .ok_or("not scheduled")?;
    assert_eq!(
        deletion.requested_by,
        riverpan_repository::CLEANUP_REQUESTER
    );
    assert_eq!(deletion.due_at - deletion.requested_at, 3600);
    assert!(repository.cancel_deletion(deletion.id)?);
    assert!(
        repository.execute_due_deletions()?.is_empty(),
        "not due yet"
    );
    // Once due, the files go to BackPAN.
    repository.store().connection().execute(
        "UPDATE deletions SET due_at = 0 WHERE state = 'scheduled'",
        [],
    )?;
    let done = repository.execute_due_deletions()?;
    assert_eq!(done.len(), 3);
    let backpan = repository
        .backpan_root()
        .join("authors/id/N/NE/NEILB/Old-Dist-0.01.tar.gz");
    assert!(backpan.exists());
    assert!(repository
        .cpan_root()
        .join("authors/id/N/NE/NEILB/Old-Dist-0.03.tar.gz")
        .exists());
    assert!(repository
        .cpan_root()
        .join("authors/id/N/NE/NEILB/Old-Dist-0.06.tar.gz")
        .exists());
    assert!(repository
        .cpan_root()
        .join("authors/id/P/PU/PUMPKIN/perl-5.6.0.tar.gz")
        .exists());
    assert!(repository
        .cpan_root()
        .join("authors/id/O/OP/OPTOUT/Kept-Dist-1.tar.gz")
        .exists());

    // Opting back in: the next run takes the opted-out author's old files; the file whose
    // deletion NEILB cancelled stays cancelled.
    repository.store().set_cleanup_opt_out("OPTOUT", false)?;
    let later = repository.cleanup(&options)?;
    assert_eq!(later.authors.len(), 1);
    assert_eq!(later.authors[0].paths, ["O/OP/OPTOUT/Kept-Dist-1.tar.gz"]);
    Ok(())
}

#[test]
fn the_rolling_notice_interval_postpones_recently_noticed_authors() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    generated_history(&mut repository, work.path())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    repository
        .store()
        .record_cleanup_notice("NEILB", now - 86_400, 1, now)?;
    let summary = repository.cleanup(&CleanupOptions {
        rule: CleanupRule::default(),
        delay: Duration::from_secs(3600),
        author: None,
        dry_run: false,
        notice_interval: Some(Duration::from_secs(30 * 86_400)),
    })?;
    assert!(summary.authors.is_empty());
    assert_eq!(summary.postponed, ["NEILB"]);
    Ok(())
}
