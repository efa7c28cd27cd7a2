//! The store's public behaviour on real files in a temporary directory.

use std::error::Error;

use riverpan_store::{keys, Store, StoreError, SCHEMA_VERSION, STORE_FILE_NAME};

type TestResult = Result<(), Box<dyn Error>>;

#[test]
fn open_creates_the_directory_and_the_database() -> TestResult {
    let parent = tempfile::tempdir()?;
    let dir = parent.path().join("nested").join("riverpan-data");
    let store = Store::open(&dir)?;
    assert!(dir.join(STORE_FILE_NAME).is_file());
    assert_eq!(store.data_dir(), dir);
    assert_eq!(store.path(), dir.join(STORE_FILE_NAME));
    assert_eq!(store.schema_version()?, SCHEMA_VERSION);
    Ok(())
}

#[test]
fn a_new_store_records_its_creation_and_schema_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    let created_at = store
        .setting(keys::CREATED_AT)?
        .ok_or("created_at missing")?;
    // 2026-01-02T03:04:05Z
    assert_eq!(created_at.len(), 20, "{created_at}");
    assert!(
        created_at.ends_with('Z') && created_at.as_bytes()[10] == b'T',
        "{created_at}"
    );
    assert_eq!(
        store.setting(keys::SCHEMA_VERSION)?,
        Some(SCHEMA_VERSION.to_string())
    );
    Ok(())
}

#[test]
fn opening_twice_is_idempotent_and_migrations_apply_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let first = Store::open(dir.path())?;
    let created_at = first.setting(keys::CREATED_AT)?;
    first.set_setting("mirror.name", "darkpan")?;
    drop(first);

    // Reopening must neither fail on "table repository already exists" nor re-run migration 1
    // (which would overwrite created_at).
    let second = Store::open(dir.path())?;
    let third = Store::open(dir.path())?;
    assert_eq!(second.schema_version()?, SCHEMA_VERSION);
    assert_eq!(third.schema_version()?, SCHEMA_VERSION);
    assert_eq!(second.setting(keys::CREATED_AT)?, created_at);
    assert_eq!(third.setting("mirror.name")?.as_deref(), Some("darkpan"));
    Ok(())
}

#[test]
fn concurrent_opens_of_a_new_store_all_succeed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || -> Result<u32, StoreError> {
                Store::open(&dir)?.schema_version()
            })
        })
        .collect();
    for handle in handles {
        let version = handle.join().map_err(|_| "thread panicked")??;
        assert_eq!(version, SCHEMA_VERSION);
    }
    Ok(())
}

#[test]
fn settings_round_trip() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    assert_eq!(store.setting("never.set")?, None);

    store.set_setting("mirror.name", "darkpan")?;
    assert_eq!(store.setting("mirror.name")?.as_deref(), Some("darkpan"));
    store.set_setting(
        "mirror.name",
        "Ünïcödé 'quoted' \"too\"; DROP TABLE repository;",
    )?;
    assert_eq!(
        store.setting("mirror.name")?.as_deref(),
        Some("Ünïcödé 'quoted' \"too\"; DROP TABLE repository;")
    );
    store.set_setting("empty", "")?;
    assert_eq!(store.setting("empty")?.as_deref(), Some(""));

    // Values survive reopening.
    drop(store);
    let store = Store::open(dir.path())?;
    assert_eq!(store.setting("empty")?.as_deref(), Some(""));
    Ok(())
}

#[test]
fn reserved_settings_cannot_be_overwritten() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path())?;
    for key in keys::RESERVED {
        let error = store
            .set_setting(key, "1999")
            .expect_err("reserved keys must be refused");
        assert!(matches!(error, StoreError::ReservedSetting(_)), "{error}");
    }
    assert_eq!(
        store.setting(keys::SCHEMA_VERSION)?,
        Some(SCHEMA_VERSION.to_string())
    );
    Ok(())
}

#[test]
fn a_corrupt_file_gives_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(STORE_FILE_NAME);
    std::fs::write(
        &path,
        b"this is not an SQLite database, just text padding it out. ".repeat(200),
    )?;
    let error = Store::open(dir.path()).expect_err("garbage must not open as a store");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("corrupt or not an SQLite database"),
        "{message}"
    );
    // The file is left alone for the user to inspect.
    assert!(std::fs::read(&path)?.starts_with(b"this is not an SQLite database"));
    Ok(())
}

#[test]
fn another_applications_database_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(STORE_FILE_NAME);
    let foreign = rusqlite::Connection::open(&path)?;
    foreign.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);")?;
    drop(foreign);
    let error = Store::open(dir.path()).expect_err("a foreign database must be refused");
    assert!(
        matches!(error, StoreError::NotARiverpanStore { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("not a riverpan store"),
        "{error}"
    );
    Ok(())
}

#[test]
fn a_store_from_a_newer_riverpan_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    drop(Store::open(dir.path())?);
    let conn = rusqlite::Connection::open(dir.path().join(STORE_FILE_NAME))?;
    conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))?;
    drop(conn);
    let error = Store::open(dir.path()).expect_err("a newer schema must be refused");
    match error {
        StoreError::TooNew {
            found, supported, ..
        } => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => return Err(format!("expected TooNew, got {other:?}").into()),
    }
    Ok(())
}

#[test]
fn a_data_dir_that_is_a_file_gives_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x")?;
    let error = Store::open(file.join("data")).expect_err("cannot create a dir under a file");
    assert!(matches!(error, StoreError::CreateDir { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("cannot create the data directory"),
        "{error}"
    );
    Ok(())
}

#[test]
fn index_tables_round_trip_and_file_names_are_never_reused() -> TestResult {
    use riverpan_store::{AuthorRecord, PackageRecord, PermissionRecord, ReportRecord};
    use std::collections::BTreeSet;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let tx = store.index_transaction()?;
    tx.upsert_author(
        &AuthorRecord {
            userid: "NEILB".into(),
            fullname: "Neil Bowers".into(),
            email: None,
            pumpking: false,
        },
        1,
    )?;
    let id = tx.insert_upload("N/NE/NEILB/Foo-1.0.tar.gz", "NEILB", 10, "ab", 5, 6)?;
    assert!(matches!(
        tx.insert_upload("N/NE/NEILB/Foo-1.0.tar.gz", "NEILB", 10, "ab", 5, 6),
        Err(StoreError::FileExists(_))
    ));
    tx.upsert_package(&PackageRecord {
        package: "Foo::Bar".into(),
        version: "1.0".into(),
        dist: "N/NE/NEILB/Foo-1.0.tar.gz".into(),
        file: "lib/Foo/Bar.pm".into(),
        dist_mtime: 5,
    })?;
    let perm = PermissionRecord {
        package: "Foo::Bar".into(),
        userid: "NEILB".into(),
    };
    tx.insert_permission(&perm, true)?;
    tx.insert_permission(&perm, false)?;
    tx.insert_permission(&perm, false)?;
    tx.save_report(
        &ReportRecord {
            upload_id: id,
            policy: "pause".into(),
            status: "OK".into(),
            subject: "s".into(),
            text: "t".into(),
            json: "{}".into(),
        },
        7,
    )?;
    tx.commit()?;
    let reader = store.reader();
    let names: BTreeSet<String> = ["foo::bar".to_string()].into();
    assert_eq!(reader.packages_named(&names)?.len(), 1);
    assert_eq!(reader.permissions_named(&names, false)?, vec![perm.clone()]);
    assert_eq!(reader.permissions_named(&names, true)?, vec![perm]);
    assert_eq!(reader.uploads()?[0].state, "indexed");
    assert_eq!(reader.report(id)?.map(|r| r.subject), Some("s".into()));
    // A transaction dropped without commit leaves nothing behind.
    {
        let tx = store.index_transaction()?;
        tx.delete_package("Foo::Bar")?;
    }
    assert_eq!(store.reader().all_packages()?.len(), 1);
    Ok(())
}
