//! A repository on disk, end to end: uploads as files, the published index files, rebuilds,
//! the upload precheck and report mails (to an SMTP server started by the test).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use riverpan_indexer::Policy;
use riverpan_repository::{MailConfig, Repository, RepositoryError, UploadPrecheck};
use riverpan_store::{AuthorRecord, StoreError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A distribution tarball `dir/NAME-VERSION.tar.gz` with a META.yml and the given modules.
fn dist(dir: &Path, name: &str, version: &str, modules: &[(&str, &str)]) -> PathBuf {
    let root = format!("{name}-{version}");
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, content: &str| {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder
            .append_data(&mut header, format!("{root}/{path}"), content.as_bytes())
            .unwrap();
    };
    add(
        "META.yml",
        &format!("---\nname: {name}\nversion: {version}\n"),
    );
    for (package, module_version) in modules {
        let file = format!("lib/{}.pm", package.replace("::", "/"));
        add(
            &file,
            &format!("package {package};\nour $VERSION = '{module_version}';\n1;\n"),
        );
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let path = dir.join(format!("{root}.tar.gz"));
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    path
}

fn author(userid: &str) -> AuthorRecord {
    AuthorRecord {
        userid: userid.into(),
        fullname: format!("{userid} Person"),
        email: None,
        pumpking: false,
    }
}

fn packages_lines(repository: &Repository) -> Vec<String> {
    let text = std::fs::read_to_string(
        repository
            .cpan_root()
            .join("modules/02packages.details.txt"),
    )
    .unwrap();
    let body = text.split_once("\n\n").map_or("", |(_, body)| body);
    body.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn upload_index_publish_and_refusals() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    repository.add_author(&author("NEILB"))?;
    repository.add_author(&author("HAXOR"))?;

    let foo = dist(
        work.path(),
        "Foo-Bar",
        "1.0",
        &[("Foo::Bar", "1.0"), ("Foo::Bar::Util", "1.0")],
    );
    let outcome = repository.upload("NEILB", &foo)?;
    assert_eq!(outcome.path, "N/NE/NEILB/Foo-Bar-1.0.tar.gz");
    assert!(outcome
        .report
        .subject()
        .contains("NEILB/Foo-Bar-1.0.tar.gz"));
    assert_eq!(
        packages_lines(&repository),
        vec![
            "Foo::Bar 1.0 N/NE/NEILB/Foo-Bar-1.0.tar.gz",
            "Foo::Bar::Util 1.0 N/NE/NEILB/Foo-Bar-1.0.tar.gz"
        ]
    );
    let perms = gunzip(&repository.cpan_root().join("modules/06perms.txt.gz"));
    assert!(perms.contains("Foo::Bar,NEILB,f\n"), "{perms}");
    let mailrc = gunzip(&repository.cpan_root().join("authors/01mailrc.txt.gz"));
    assert!(mailrc.contains("alias NEILB"), "{mailrc}");
    let checksums = std::fs::read_to_string(
        repository
            .cpan_root()
            .join("authors/id/N/NE/NEILB/CHECKSUMS"),
    )?;
    assert!(
        checksums.contains("'Foo-Bar-1.0.tar.gz' => {"),
        "{checksums}"
    );
    assert!(repository
        .cpan_root()
        .join("modules/03modlist.data.gz")
        .exists());
    assert!(repository
        .report("N/NE/NEILB/Foo-Bar-1.0.tar.gz")?
        .is_some());

    // A file name is never reusable.
    let again = repository.upload("NEILB", &foo);
    assert!(
        matches!(
            again,
            Err(RepositoryError::Store(StoreError::FileExists(_)))
        ),
        "{again:?}"
    );

    // Someone else's upload of the dist is accepted but indexes nothing.
    let stolen = dist(work.path(), "Foo-Bar", "2.0", &[("Foo::Bar", "2.0")]);
    let outcome = repository.upload("HAXOR", &stolen)?;
    assert!(
        outcome.report.subject().starts_with("Failed: "),
        "{}",
        outcome.report.subject()
    );
    assert!(outcome.report.render_text().contains("Foo::Bar"));
    assert_eq!(packages_lines(&repository).len(), 2);
    assert!(packages_lines(&repository)[0].contains("Foo-Bar-1.0"));

    // Unknown authors are refused before anything is stored.
    assert!(matches!(
        repository.upload("NOBODY", &foo),
        Err(RepositoryError::UnknownAuthor(_))
    ));
    Ok(())
}

/// Every published file, by path below cpan/, with its bytes.
fn published(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

#[test]
fn rebuild_is_byte_identical() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("ALICE"))?;
    repository.add_author(&author("BOB"))?;
    repository.upload(
        "ALICE",
        &dist(work.path(), "Alpha", "1.0", &[("Alpha", "1.0")]),
    )?;
    repository.grant("Alpha", "BOB", false)?;
    repository.upload(
        "BOB",
        &dist(
            work.path(),
            "Alpha",
            "1.1",
            &[("Alpha", "1.1"), ("Alpha::Extra", "1.1")],
        ),
    )?;
    repository.upload(
        "BOB",
        &dist(work.path(), "Beta", "0.01", &[("Beta", "0.01")]),
    )?;
    repository.upload(
        "ALICE",
        &dist(work.path(), "Alpha", "0.9", &[("Alpha", "0.9")]),
    )?;
    let before = published(repository.cpan_root());
    let perms_before = repository.permissions("Alpha::Extra")?;
    let count = repository.rebuild()?;
    assert_eq!(count, 4);
    let after = published(repository.cpan_root());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &before {
        assert!(
            after[path] == *bytes,
            "{} changed in the rebuild",
            path.display()
        );
    }
    assert_eq!(repository.permissions("Alpha::Extra")?, perms_before);
    Ok(())
}

#[test]
fn upload_precheck_refuses_before_storing() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("OWNER"))?;
    repository.add_author(&author("OTHER"))?;
    repository.upload(
        "OWNER",
        &dist(work.path(), "Owned", "1.0", &[("Owned", "1.0")]),
    )?;
    repository.set_upload_precheck(UploadPrecheck::Refuse)?;
    let refused = repository.upload(
        "OTHER",
        &dist(work.path(), "Owned", "2.0", &[("Owned", "2.0")]),
    );
    assert!(
        matches!(refused, Err(RepositoryError::Refused(_))),
        "{refused:?}"
    );
    assert!(!repository
        .cpan_root()
        .join("authors/id/O/OT/OTHER/Owned-2.0.tar.gz")
        .exists());
    repository.set_upload_precheck(UploadPrecheck::Warn)?;
    let warned = repository.upload(
        "OTHER",
        &dist(work.path(), "Owned", "2.0", &[("Owned", "2.0")]),
    )?;
    assert!(warned.precheck_warning.is_some_and(|w| w.contains("OWNER")));
    Ok(())
}

/// A minimal SMTP server: accepts one message and returns its DATA.
fn smtp_server() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        writer.write_all(b"220 test ESMTP\r\n").unwrap();
        let mut data = String::new();
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    writer.write_all(b"250 queued\r\n").unwrap();
                } else {
                    data.push_str(&line);
                }
                continue;
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("DATA") {
                in_data = true;
                writer.write_all(b"354 go\r\n").unwrap();
            } else if upper.starts_with("QUIT") {
                writer.write_all(b"221 bye\r\n").unwrap();
                break;
            } else {
                writer.write_all(b"250 ok\r\n").unwrap();
            }
        }
        data
    });
    (address, handle)
}

#[test]
fn reports_are_mailed_through_the_relay() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    repository.add_author(&AuthorRecord {
        email: Some("neil@example.org".into()),
        ..author("NEILB")
    })?;
    let (relay, server) = smtp_server();
    repository.set_mail(Some(MailConfig {
        relay,
        from: "riverpan@example.org".into(),
        admin: None,
    }));
    repository.upload(
        "NEILB",
        &dist(work.path(), "Mail-Me", "1.0", &[("Mail::Me", "1.0")]),
    )?;
    let message = server.join().map_err(|_| "server panicked")?;
    assert!(message.contains("To: neil@example.org"), "{message}");
    assert!(
        message.contains("Subject: PAUSE indexer report NEILB/Mail-Me-1.0.tar.gz"),
        "{message}"
    );
    assert!(message.contains("Mail::Me"), "{message}");
    Ok(())
}

#[test]
fn overlong_versions_fail_the_report_as_in_pause_scenario_6() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    repository.add_author(&author("RJBS"))?;
    let archive = dist(
        work.path(),
        "VTooLong",
        "1.2345678901234567",
        &[("VTooLong", "1.2345678901234567")],
    );
    let outcome = repository.upload("RJBS", &archive)?;
    assert!(
        outcome.report.subject().starts_with("Failed: "),
        "{}",
        outcome.report.subject()
    );
    let text = outcome.report.render_text();
    assert!(
        text.contains("Version string exceeds maximum allowed length"),
        "{text}"
    );
    assert!(packages_lines(&repository).is_empty());
    Ok(())
}

#[test]
fn queued_uploads_survive_a_restart_and_are_indexed_in_order() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    {
        let mut repository = Repository::open(data.path())?;
        repository.set_policy(Policy::Pause)?;
        repository.add_author(&author("QUEUER"))?;
        for version in ["1.0", "1.1"] {
            let file = dist(work.path(), "Queue-Me", version, &[("Queue::Me", version)]);
            let bytes = std::fs::read(&file)?;
            let name = file.file_name().and_then(|n| n.to_str()).ok_or("name")?;
            repository.store_upload("QUEUER", name, &bytes)?;
        }
        // Stored, not indexed yet: nothing in 02packages.
        assert!(packages_lines(&repository).is_empty());
    }
    let mut repository = Repository::open(data.path())?;
    let done = repository.index_queued()?;
    assert_eq!(done.len(), 2);
    assert_eq!(
        packages_lines(&repository),
        vec!["Queue::Me 1.1 Q/QU/QUEUER/Queue-Me-1.1.tar.gz"]
    );
    assert!(repository.index_queued()?.is_empty());
    let history = repository.store().reader().package_history("Queue::Me")?;
    assert_eq!(
        history,
        vec![
            (
                "1.0".to_string(),
                "Q/QU/QUEUER/Queue-Me-1.0.tar.gz".to_string()
            ),
            (
                "1.1".to_string(),
                "Q/QU/QUEUER/Queue-Me-1.1.tar.gz".to_string()
            )
        ]
    );
    Ok(())
}

/// The uploads rows of `path` (every state, deleted or not).
fn upload_rows(repository: &Repository, path: &str) -> Vec<(i64, i64, String, String)> {
    let conn = repository.store().connection();
    let mut statement = conn
        .prepare("SELECT id, size, sha256, state FROM uploads WHERE path = ?1")
        .unwrap();
    statement
        .query_map([path], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// PAUSE's `may_overwrite_file` (pause.md §1.1, scenario 56): a README-like or document file may
/// be uploaded again under its name; it replaces the file, stays one upload, indexes nothing.
#[test]
fn overwritable_files_can_be_uploaded_again() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("NOTARY"))?;
    let archive = dist(work.path(), "Foo-Bar", "1.0", &[("Foo::Bar", "1.0")]);
    repository.upload("NOTARY", &archive)?;
    let before = packages_lines(&repository);

    for (round, name) in ["Release-Notes.md", "README", "notes.txt.gz"]
        .iter()
        .enumerate()
    {
        let path = format!("N/NO/NOTARY/{name}");
        let file = work.path().join(name);
        let mut ids = Vec::new();
        for attempt in 0..3 {
            let content = format!("round {round} attempt {attempt}\n").repeat(attempt + 1);
            std::fs::write(&file, &content)?;
            let outcome = repository.upload("NOTARY", &file)?;
            assert_eq!(outcome.path, path);
            ids.push(outcome.upload_id);
            // The file on disk is the new one, and its row says so.
            let stored = std::fs::read(repository.cpan_root().join("authors/id").join(&path))?;
            assert_eq!(stored, content.as_bytes());
            let rows = upload_rows(&repository, &path);
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0].1, content.len() as i64);
            assert_eq!(rows[0].2, sha256_hex(content.as_bytes()));
            assert_eq!(rows[0].3, "indexed");
            assert!(repository.report(&path)?.is_some());
        }
        // One upload, whatever the number of times it was sent.
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        // Nothing was indexed, and the archive's CHECKSUMS entry is untouched.
        assert_eq!(packages_lines(&repository), before);
        let checksums = std::fs::read_to_string(
            repository
                .cpan_root()
                .join("authors/id/N/NO/NOTARY/CHECKSUMS"),
        )?;
        assert!(
            checksums.contains("'Foo-Bar-1.0.tar.gz' => {"),
            "{checksums}"
        );
    }
    // A document that CPAN::Checksums lists (not README-like) keeps an up-to-date entry.
    let notes = work.path().join("Changes.html");
    std::fs::write(&notes, "<p>one</p>")?;
    repository.upload("NOTARY", &notes)?;
    std::fs::write(&notes, "<p>two, longer</p>")?;
    repository.upload("NOTARY", &notes)?;
    let checksums = std::fs::read_to_string(
        repository
            .cpan_root()
            .join("authors/id/N/NO/NOTARY/CHECKSUMS"),
    )?;
    let entry = checksums
        .split("'Changes.html' => {")
        .nth(1)
        .unwrap_or_default();
    assert!(
        entry.contains(&format!(
            "'sha256' => '{}'",
            sha256_hex(b"<p>two, longer</p>")
        )),
        "{checksums}"
    );
    assert!(entry.contains("'size' => 18"), "{checksums}");

    // Archives stay refused, and so does a second archive even after its README was replaced.
    assert!(matches!(
        repository.upload("NOTARY", &archive),
        Err(RepositoryError::Store(StoreError::FileExists(_)))
    ));
    Ok(())
}

/// The server's path: stored, queued, indexed later, then sent again.
#[test]
fn overwritable_files_can_be_queued_again() -> TestResult {
    let data = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("NOTARY"))?;
    let first = repository.store_upload("NOTARY", "README.md", b"first")?;
    repository.index_queued()?;
    // Replaced while indexed…
    let second = repository.store_upload("NOTARY", "README.md", b"second")?;
    assert_eq!(first.upload_id, second.upload_id);
    // …and again while still queued.
    let third = repository.store_upload("NOTARY", "README.md", b"third!")?;
    assert_eq!(first.upload_id, third.upload_id);
    let indexed = repository.index_queued()?;
    assert_eq!(indexed.len(), 1);
    let rows = upload_rows(&repository, "N/NO/NOTARY/README.md");
    assert_eq!(
        rows,
        vec![(
            first.upload_id,
            6,
            sha256_hex(b"third!"),
            "indexed".to_string()
        )]
    );
    assert_eq!(repository.read_upload("N/NO/NOTARY/README.md")?, b"third!");
    Ok(())
}

/// A document whose deletion was scheduled or done can be uploaded again: the new file is live,
/// the pending deletion no longer applies to it, the executed one stays in the history.
#[test]
fn overwriting_a_deleted_or_doomed_document() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&author("NOTARY"))?;
    let file = work.path().join("README");
    let path = "N/NO/NOTARY/README";

    std::fs::write(&file, "v1")?;
    repository.upload("NOTARY", &file)?;
    let upload = repository.deletable_upload("NOTARY", path)?;
    repository.schedule_deletion(&upload, "NOTARY", std::time::Duration::ZERO)?;
    std::fs::write(&file, "v2")?;
    repository.upload("NOTARY", &file)?;
    assert!(repository.execute_due_deletions()?.is_empty());
    assert_eq!(repository.read_upload(path)?, b"v2");

    repository.delete_now(path, None)?;
    assert!(repository.read_upload(path).is_err());
    std::fs::write(&file, "v3")?;
    repository.upload("NOTARY", &file)?;
    assert_eq!(repository.read_upload(path)?, b"v3");
    assert_eq!(upload_rows(&repository, path).len(), 1);
    assert!(repository
        .store()
        .reader()
        .uploads()?
        .iter()
        .any(|u| u.path == path));
    Ok(())
}

/// Every file below `root`, as relative paths.
fn files_below(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

/// An import of a CPAN tree is a mirror: every file keeps exactly its path, whatever the id
/// (two letters that repeat the directory, three, nine) and in subdirectories of an author.
#[test]
fn import_keeps_every_path_exactly() -> TestResult {
    let data = tempfile::tempdir()?;
    let tree = tempfile::tempdir()?;
    let build = tempfile::tempdir()?;
    let id_root = tree.path().join("authors/id");
    let cases = [
        ("J/JV/JV", "Data-Report", "Data::Report"),
        ("J/JV/JV/JV", "Deep-JV", "Deep::JV"),
        ("A/AA/AA", "Double-A", "Double::A"),
        ("J/JV/JVJV", "Four-Letters", "Four::Letters"),
        ("A/AB/ABC", "Three-Letters", "Three::Letters"),
        ("A/AB/ABC/sub/ABC", "Sub-Dir", "Sub::Dir"),
        ("A/AB/ABCDEFGHI", "Nine-Letters", "Nine::Letters"),
        ("N/NE/NEILB/N/NE", "Nested-Letters", "Nested::Letters"),
    ];
    let mut expected = Vec::new();
    for (dir, name, package) in cases {
        let made = dist(build.path(), name, "1.001", &[(package, "1.001")]);
        let target_dir = id_root.join(dir);
        std::fs::create_dir_all(&target_dir)?;
        let file_name = made.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(&made, target_dir.join(&file_name))?;
        expected.push((format!("{dir}/{file_name}"), package));
    }
    std::fs::write(id_root.join("J/JV/JV/README"), "JV's readme")?;

    let mut repository = Repository::open(data.path())?;
    repository.set_policy(Policy::Pause)?;
    let summary = repository.import(tree.path(), &|_, _| {})?;
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert_eq!(summary.uploaded, expected.len() as u64 + 1);

    // Every file of the tree is at the same path in the repository, with the same bytes.
    let data_ids = repository.cpan_root().join("authors/id");
    let imported: Vec<String> = files_below(&data_ids)
        .into_iter()
        .filter(|path| !path.ends_with("CHECKSUMS"))
        .collect();
    assert_eq!(imported, files_below(&id_root));
    for path in &imported {
        assert_eq!(
            std::fs::read(data_ids.join(path))?,
            std::fs::read(id_root.join(path))?
        );
    }
    // The uploads and the index name those paths and no other.
    let mut rows: Vec<String> = repository
        .store()
        .reader()
        .uploads()?
        .into_iter()
        .map(|u| u.path)
        .collect();
    rows.sort();
    assert_eq!(rows, files_below(&id_root));
    let lines = packages_lines(&repository);
    for (path, package) in &expected {
        assert!(
            lines.contains(&format!("{package} 1.001 {path}")),
            "{package} at {path}: {lines:?}"
        );
    }
    // Each author is the directory's id, not a part of the path that looks like one.
    let authors: Vec<String> = repository
        .store()
        .reader()
        .authors()?
        .into_iter()
        .map(|a| a.userid)
        .collect();
    assert_eq!(authors, ["AA", "ABC", "ABCDEFGHI", "JV", "JVJV", "NEILB"]);

    // The store and the tree agree…
    let report = repository.check(false)?;
    assert_eq!(report.uploads, expected.len() as u64 + 1);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // …until the tree is changed behind riverpan's back.
    let (gone, _) = &expected[0];
    std::fs::remove_file(data_ids.join(gone))?;
    let (edited, _) = &expected[2];
    let mut bytes = std::fs::read(data_ids.join(edited))?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(data_ids.join(edited), &bytes)?;
    std::fs::create_dir_all(data_ids.join("J/JV/JV/JV/JV"))?;
    std::fs::write(data_ids.join("J/JV/JV/JV/JV/stray.tar.gz"), b"x")?;
    std::fs::remove_file(data_ids.join("A/AA/AA/CHECKSUMS"))?;
    let found: Vec<(&str, String)> = repository
        .check(false)?
        .problems
        .into_iter()
        .map(|p| (p.kind, p.path))
        .collect();
    assert_eq!(
        found,
        vec![
            ("checksums_missing", "A/AA/AA/CHECKSUMS".to_string()),
            ("sha256_differs", edited.clone()),
            ("missing_file", gone.clone()),
            (
                "file_without_upload",
                "J/JV/JV/JV/JV/stray.tar.gz".to_string()
            ),
        ]
    );
    // Sizes only: the edited file keeps its size, so only the rest is seen.
    assert_eq!(repository.check(true)?.problems.len(), 3);
    Ok(())
}

/// A tree is untrusted: links are not followed (one to a file elsewhere on the machine, one
/// that loops), names PAUSE would refuse are reported, and the rest is imported.
#[cfg(unix)]
#[test]
fn import_does_not_follow_links_or_take_odd_names() -> TestResult {
    let data = tempfile::tempdir()?;
    let tree = tempfile::tempdir()?;
    let outside = tempfile::tempdir()?;
    let build = tempfile::tempdir()?;
    let dir = tree.path().join("authors/id/A/AB/ABC");
    std::fs::create_dir_all(&dir)?;
    let made = dist(build.path(), "Good-Dist", "1.0", &[("Good::Dist", "1.0")]);
    std::fs::copy(&made, dir.join("Good-Dist-1.0.tar.gz"))?;
    std::fs::write(outside.path().join("secret.tar.gz"), b"not yours")?;
    std::os::unix::fs::symlink(
        outside.path().join("secret.tar.gz"),
        dir.join("Link-1.0.tar.gz"),
    )?;
    std::os::unix::fs::symlink(tree.path().join("authors/id"), dir.join("loop"))?;
    std::fs::write(dir.join("Odd Name-1.0.tar.gz"), b"x")?;
    std::fs::create_dir_all(dir.join("sub dir"))?;
    std::fs::write(dir.join("sub dir/Hidden-1.0.tar.gz"), b"x")?;

    let mut repository = Repository::open(data.path())?;
    let summary = repository.import(tree.path(), &|_, _| {})?;
    assert_eq!(summary.uploaded, 1);
    let mut skipped = summary.skipped.clone();
    skipped.sort();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert!(
        skipped[0].starts_with("A/AB/ABC/Link-1.0.tar.gz: a symbolic link"),
        "{skipped:?}"
    );
    assert!(
        skipped[1].starts_with("A/AB/ABC/Odd Name-1.0.tar.gz: not a file name"),
        "{skipped:?}"
    );
    assert!(
        skipped[2].starts_with("A/AB/ABC/loop: a symbolic link"),
        "{skipped:?}"
    );
    assert!(
        skipped[3].starts_with("A/AB/ABC/sub dir/: not a directory name"),
        "{skipped:?}"
    );
    let ids = repository.cpan_root().join("authors/id");
    assert!(!ids.join("A/AB/ABC/Link-1.0.tar.gz").exists());
    assert_eq!(
        packages_lines(&repository),
        ["Good::Dist 1.0 A/AB/ABC/Good-Dist-1.0.tar.gz"]
    );
    Ok(())
}
