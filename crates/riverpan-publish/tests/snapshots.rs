//! Snapshots of every generated file for a small fixed repository: PAUSE's test corpus 001 after its first indexing
//! (pause.md §5.2 scenario 1), with its authors and one author directory.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use riverpan_publish::{
    authors_txt, checksum_entries_of_dir, checksums_file, mailrc, modlist_stub, packages_details,
    perms_txt, AuthorEntry, FileHeader, IndexedPackage, PermissionKind, PermissionLine,
};

fn fixed_date() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_777_213_348)
}

fn header() -> FileHeader {
    FileHeader {
        url_base: "http://www.cpan.org".to_string(),
        written_by: "riverpan 0.1.0".to_string(),
        date: fixed_date(),
    }
}

fn packages() -> Vec<IndexedPackage<'static>> {
    let row = |package, version, dist| IndexedPackage {
        package,
        version,
        dist,
    };
    vec![
        row(
            "XForm::Rollout",
            "1.00",
            "O/OP/OPRIME/XForm-Rollout-1.00.tar.gz",
        ),
        row("Y", "2", "X/XY/XYZZY/Y-2.tar.gz"),
        row("Bug::Gold", "9.001", "O/OP/OPRIME/Bug-Gold-9.001.tar.gz"),
        row("Hall::MtKing", "0.01", "X/XY/XYZZY/Hall-MtKing-0.01.tar.gz"),
        row(
            "Jenkins::Hack",
            "0.11",
            "O/OO/OOOPPP/Jenkins-Hack-0.11.tar.gz",
        ),
        row("Mooooooose", "0.01", "A/AA/AAARGH/Mooooooose-0.01.tar.gz"),
    ]
}

fn permissions() -> Vec<PermissionLine<'static>> {
    let line = |package, userid, kind| PermissionLine {
        package,
        userid,
        kind,
    };
    vec![
        line("Bug::Gold", "OPRIME", PermissionKind::FirstCome),
        line("Bug::Gold", "OPRIME", PermissionKind::CoMaint),
        line("XForm::Rollout", "OPRIME", PermissionKind::FirstCome),
        line("Hall::MtKing", "XYZZY", PermissionKind::FirstCome),
        line("Y", "XYZZY", PermissionKind::FirstCome),
        line("Jenkins::Hack", "OOOPPP", PermissionKind::FirstCome),
        line("Mooooooose", "AAARGH", PermissionKind::FirstCome),
        line("Bug::Gold", "XYZZY", PermissionKind::CoMaint),
    ]
}

fn authors() -> Vec<AuthorEntry<'static>> {
    vec![
        AuthorEntry {
            userid: "OPRIME",
            name: "Optimus Prime",
            email: Some("oprime@example.org"),
            ..Default::default()
        },
        AuthorEntry {
            userid: "XYZZY",
            name: "Xyzzy Plugh",
            ..Default::default()
        },
        AuthorEntry {
            userid: "OOOPPP",
            name: "Ööö Ppp",
            homepage: Some("https://ooopppp.example/"),
            ..Default::default()
        },
        AuthorEntry {
            userid: "AAARGH",
            name: "Aaargh",
            email: Some("a@example.org"),
            nologin: true,
            ..Default::default()
        },
    ]
}

#[test]
fn snapshot_02packages() {
    insta::assert_snapshot!(
        "02packages.details.txt",
        packages_details(&packages(), &header())
    );
}

#[test]
fn snapshot_06perms() {
    insta::assert_snapshot!("06perms.txt", perms_txt(&permissions(), &header()));
}

#[test]
fn snapshot_03modlist() {
    insta::assert_snapshot!("03modlist.data", modlist_stub(&header()));
}

#[test]
fn snapshot_01mailrc() {
    insta::assert_snapshot!("01mailrc.txt", mailrc(&authors()));
}

#[test]
fn snapshot_02authors() {
    insta::assert_snapshot!("02authors.txt", authors_txt(&authors()));
}

#[test]
fn snapshot_checksums() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("O/OP/OPRIME");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let files: [(&str, &[u8]); 4] = [
        (
            "Bug-Gold-9.001.tar.gz",
            &[
                0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        ),
        (
            "Bug-Gold-9.001.meta",
            b"{\"name\":\"Bug-Gold\",\"version\":\"9.001\"}\n",
        ),
        ("Bug-Gold-9.001.readme", b"not listed\n"),
        ("XForm-Rollout-1.00.tar.gz", b"not gzip at all\n"),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        file.set_modified(UNIX_EPOCH + Duration::from_secs(1_303_122_922))
            .expect("set mtime");
    }
    let entries = checksum_entries_of_dir(&dir).expect("entries");
    insta::assert_snapshot!(
        "CHECKSUMS",
        checksums_file(&entries, fixed_date(), "O/OP/OPRIME")
    );
}
