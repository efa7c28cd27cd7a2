//! Byte-for-byte checks against the examples of `shared/reference/pause.md` §3 and CPAN's real 02packages.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use riverpan_publish::{
    authors_txt, checksums_file, details_body, mailrc, modlist_stub, packages_details, perms_txt,
    AuthorEntry, ChecksumEntry, FileHeader, IndexedPackage, PermissionKind, PermissionLine,
};

/// Sun, 26 Apr 2026 14:22:28 GMT, the date of pause.md's examples.
fn example_date() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_777_213_348)
}

fn pause_header() -> FileHeader {
    FileHeader {
        url_base: "http://www.cpan.org".to_string(),
        written_by: "PAUSE version 1.005".to_string(),
        date: example_date(),
    }
}

fn row<'a>(package: &'a str, version: &'a str, dist: &'a str) -> IndexedPackage<'a> {
    IndexedPackage {
        package,
        version,
        dist,
    }
}

/// pause.md §3.1, "Checked locally".
const FIVE_LINES: &str = "\
A12345678901234567890123456789        1  A/AB/ABC/X-1.tar.gz
A123456789012345678901234567890  v1.2.3  A/AB/ABC/X-1.tar.gz
Foo::Bar                           1.23  F/FO/FOO/Foo-Bar-1.23.tar.gz
Some::Very::Long::Package::Name::H undef  A/AB/ABC/X-1.tar.gz
Some::Very::Long::Package::Name::Here 0.001002  A/AB/ABC/X-1.tar.gz
";

fn five_rows() -> Vec<IndexedPackage<'static>> {
    vec![
        row(
            "Some::Very::Long::Package::Name::Here",
            "0.001002",
            "A/AB/ABC/X-1.tar.gz",
        ),
        row("Foo::Bar", "+1.23", "F/FO/FOO/Foo-Bar-1.23.tar.gz"),
        row(
            "A123456789012345678901234567890",
            "v1.2.3",
            "A/AB/ABC/X-1.tar.gz",
        ),
        row(
            "Some::Very::Long::Package::Name::H",
            "undef",
            "A/AB/ABC/X-1.tar.gz",
        ),
        row("A12345678901234567890123456789", "1", "A/AB/ABC/X-1.tar.gz"),
    ]
}

#[test]
fn packages_layout_and_header_match_pause() {
    let text = packages_details(&five_rows(), &pause_header());
    let expected = format!(
        "File:         02packages.details.txt
URL:          http://www.cpan.org/modules/02packages.details.txt
Description:  Package names found in directory $CPAN/authors/id/
Columns:      package name, version, path
Intended-For: Automated fetch routines, namespace documentation.
Written-By:   PAUSE version 1.005
Line-Count:   5
Last-Updated: Sun, 26 Apr 2026 14:22:28 GMT

{FIVE_LINES}"
    );
    assert_eq!(text, expected);
    assert_eq!(details_body(&text), FIVE_LINES);
}

#[test]
fn packages_default_header_names_riverpan() {
    let header = FileHeader {
        url_base: "https://cpan.example.org/repo".to_string(),
        ..FileHeader::at(example_date())
    };
    let text = packages_details(&[], &header);
    assert_eq!(
        text,
        format!(
            "File:         02packages.details.txt
URL:          https://cpan.example.org/repo/modules/02packages.details.txt
Description:  Package names found in directory $CPAN/authors/id/
Columns:      package name, version, path
Intended-For: Automated fetch routines, namespace documentation.
Written-By:   riverpan {}
Line-Count:   0
Last-Updated: Sun, 26 Apr 2026 14:22:28 GMT

",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(details_body(&text), "");
}

#[test]
fn packages_sort_is_case_insensitive_over_whole_lines_and_keeps_case_duplicates() {
    let rows = [
        row("bug::gold", "1.0", "O/OP/OPRIME/bug-gold-1.0.tar.gz"),
        row("Bug::Gold", "9.001", "O/OP/OPRIME/Bug-Gold-9.001.tar.gz"),
        row("Bug::Gold", "1.0", "O/OP/OPRIME/bug-gold-1.0.tar.gz"),
        row("BUG", "1", "B/BU/BUG/BUG-1.tar.gz"),
        row("bug", "1", "B/BU/BUG/BUG-1.tar.gz"),
        row("Bug::Gold::Extra", "1", "B/BU/BUG/BUG-1.tar.gz"),
        row("Bug_Gold", "1", "B/BU/BUG/BUG-1.tar.gz"),
        row("Zeta", "1", "Z/ZE/ZETA/Zeta-1.tar.gz"),
        row("alpha", "1", "A/AL/ALPHA/alpha-1.tar.gz"),
    ];
    let text = packages_details(&rows, &pause_header());
    // Bug::Gold vs bug::gold: ordered by the version column ("1.0" < "9.001" after the equal padding), and the
    // two lines equal after lowercasing keep byte order (uppercase first). "Bug::Gold " sorts before
    // "Bug::Gold::Extra" because the padding space is below ':'; '_' is above ':'.
    let expected = "\
alpha                                 1  A/AL/ALPHA/alpha-1.tar.gz
BUG                                   1  B/BU/BUG/BUG-1.tar.gz
bug                                   1  B/BU/BUG/BUG-1.tar.gz
Bug::Gold                           1.0  O/OP/OPRIME/bug-gold-1.0.tar.gz
bug::gold                           1.0  O/OP/OPRIME/bug-gold-1.0.tar.gz
Bug::Gold                         9.001  O/OP/OPRIME/Bug-Gold-9.001.tar.gz
Bug::Gold::Extra                      1  B/BU/BUG/BUG-1.tar.gz
Bug_Gold                              1  B/BU/BUG/BUG-1.tar.gz
Zeta                                  1  Z/ZE/ZETA/Zeta-1.tar.gz
";
    assert_eq!(details_body(&text), expected);
    assert!(text.contains("Line-Count:   9\n"));
}

#[test]
fn packages_sort_handles_long_shared_prefixes() {
    // Names that share more than the 16 bytes the sort compares per level, and lines that are prefixes of others.
    let names = [
        "Paws::EC2::DescribeInstancesResult",
        "Paws::EC2::DescribeInstances",
        "paws::ec2::describeinstances",
        "Paws::EC2::DescribeInstanceStatus",
        "Paws::EC2::DescribeInstance",
        "Paws::EC2::Describe",
        "Paws::EC2::DescribeInstancesResultX",
    ];
    let rows: Vec<IndexedPackage> = names
        .iter()
        .map(|name| row(name, "0.1", "P/PA/PAWS/Paws-0.1.tar.gz"))
        .collect();
    let body_text = packages_details(&rows, &pause_header());
    let body: Vec<&str> = details_body(&body_text).lines().collect();
    let mut expected: Vec<String> = body.iter().map(|line| line.to_string()).collect();
    expected.sort_by(|a, b| {
        a.to_ascii_lowercase()
            .cmp(&b.to_ascii_lowercase())
            .then(a.cmp(b))
    });
    assert_eq!(body, expected);
}

/// CPAN's real 02packages, as PAUSE wrote it on 2023-02-17.
fn real_02packages() -> Option<String> {
    let dir = std::path::Path::new("/work/shared/data");
    let entry = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|entry| entry.file_name().to_string_lossy().contains("02packages"))?;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(entry.path()).ok()?)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[test]
fn real_cpan_02packages_round_trips_byte_for_byte() {
    let Some(original) = real_02packages() else {
        eprintln!("skipped: no 02packages in /work/shared/data");
        return;
    };
    // Rows as cpanm/cpm split them: whitespace-separated package, version, path.
    let mut rows: Vec<IndexedPackage> = details_body(&original)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "line {line:?}");
            row(fields[0], fields[1], fields[2])
        })
        .collect();
    assert_eq!(rows.len(), 256_456);
    // The database gives rows in no particular order: shuffle them (deterministically), so the sort has work to do.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for index in (1..rows.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        rows.swap(index, (state >> 33) as usize % (index + 1));
    }
    let header = FileHeader {
        url_base: "http://www.cpan.org".to_string(),
        written_by: "PAUSE version 1.005".to_string(),
        // "Last-Updated: Fri, 17 Feb 2023 09:54:00 GMT"
        date: UNIX_EPOCH + Duration::from_secs(1_676_627_640),
    };
    let text = packages_details(&rows, &header);
    assert!(
        details_body(&text) == details_body(&original),
        "bodies differ"
    );
    // The whole file, header included, is PAUSE's.
    assert!(text == original, "headers differ");
}

#[test]
fn perms_precedence_and_byte_sort() {
    let rows = [
        PermissionLine {
            package: "Foo::Bar",
            userid: "BOB",
            kind: PermissionKind::CoMaint,
        },
        PermissionLine {
            package: "Foo::Bar",
            userid: "ALICE",
            kind: PermissionKind::CoMaint,
        },
        PermissionLine {
            package: "Foo::Bar",
            userid: "ALICE",
            kind: PermissionKind::FirstCome,
        },
        PermissionLine {
            package: "Foo::Bar",
            userid: "BOB",
            kind: PermissionKind::CoMaint,
        },
        PermissionLine {
            package: "foo::bar",
            userid: "CAROL",
            kind: PermissionKind::FirstCome,
        },
        PermissionLine {
            package: "Foo",
            userid: "ALICE",
            kind: PermissionKind::CoMaint,
        },
        PermissionLine {
            package: "Foo",
            userid: "ALICE",
            kind: PermissionKind::ModuleList,
        },
        PermissionLine {
            package: "Foo",
            userid: "ALICE",
            kind: PermissionKind::FirstCome,
        },
        PermissionLine {
            package: "Foo'Bar",
            userid: "DAVE",
            kind: PermissionKind::FirstCome,
        },
        PermissionLine {
            package: "Zed",
            userid: "ZED",
            kind: PermissionKind::FirstCome,
        },
    ];
    let text = perms_txt(&rows, &pause_header());
    // Byte order of "package,userid": uppercase before lowercase, "'" (0x27) before "," (0x2c) before ":".
    let expected = "File:        06perms.txt
Description: CSV file of upload permission to the CPAN per namespace
    best-permission is one of \"m\" for \"modulelist\", \"f\" for
    \"first-come\", \"c\" for \"co-maint\"
Columns:     package,userid,best-permission
Line-Count:  6
Written-By:  PAUSE version 1.005
Date:        Sun, 26 Apr 2026 14:22:28 GMT

Foo'Bar,DAVE,f
Foo,ALICE,m
Foo::Bar,ALICE,f
Foo::Bar,BOB,c
Zed,ZED,f
foo::bar,CAROL,f
";
    assert_eq!(text, expected);
}

#[test]
fn modlist_stub_is_pauses() {
    let expected = "File:        03modlist.data
Description: This was once the \"registered module list\" but has been retired.
        No replacement is planned.
Modcount:    0
Written-By:  PAUSE version 1.005
Date:        Sun, 26 Apr 2026 14:22:28 GMT

package CPAN::Modulelist;
sub data {
return {};
}
1;
";
    assert_eq!(modlist_stub(&pause_header()), expected);
}

fn example_authors() -> Vec<AuthorEntry<'static>> {
    vec![
        AuthorEntry {
            userid: "OPRIME",
            name: "Optimus Prime",
            email: Some("op@example.org"),
            ..Default::default()
        },
        AuthorEntry {
            userid: "ANDK",
            name: "Andreas König",
            ascii_name: Some("Andreas J. Koenig"),
            email: Some("andk@cpan.org"),
            homepage: Some("http://a.example/\tx"),
            ..Default::default()
        },
        AuthorEntry {
            userid: "GONE",
            name: "Old \"Name\" <x>",
            email: Some("old@example.org"),
            deleted: true,
            ..Default::default()
        },
        AuthorEntry {
            userid: "LOCKED",
            name: "Zoë Locked",
            ascii_name: Some("Zoe Locked"),
            email: Some("secret@example.org"),
            nologin: true,
            ..Default::default()
        },
        AuthorEntry {
            userid: "NOMAIL",
            name: "No \"Mail\" <Here>",
            email: None,
            ..Default::default()
        },
        AuthorEntry {
            userid: "AVERYLONGID",
            name: "Long",
            email: Some(""),
            ..Default::default()
        },
    ]
}

#[test]
fn mailrc_lines_follow_pause_rules() {
    let expected = "\
alias ANDK       \"Andreas J. Koenig <andk@cpan.org>\"
alias AVERYLONGID \"Long <averylongid@cpan.org>\"
alias GONE       \"Deleted <gone@cpan.org>\"
alias LOCKED     \"Zoe Locked <locked@cpan.org>\"
alias NOMAIL     \"No Mail Here <nomail@cpan.org>\"
alias OPRIME     \"Optimus Prime <op@example.org>\"
";
    assert_eq!(mailrc(&example_authors()), expected);
}

#[test]
fn authors_txt_is_tab_separated() {
    let expected = "\
ANDK\tandk@cpan.org\tAndreas König\thttp://a.example/%09x
AVERYLONGID\taverylongid@cpan.org\tLong\t
GONE\tgone@cpan.org\tDeleted\t
LOCKED\tlocked@cpan.org\tZoë Locked\t
NOMAIL\tnomail@cpan.org\tNo \"Mail\" <Here>\t
OPRIME\top@example.org\tOptimus Prime\t
";
    assert_eq!(authors_txt(&example_authors()), expected);
}

/// pause.md §3.5's example entry, written by CPAN::Checksums 2.07 (before `cpan_path`), plus the `cpan_path` key
/// of 2.14 and a subdirectory.
#[test]
fn checksums_structure_matches_cpan_checksums() {
    let written = UNIX_EPOCH + Duration::from_secs(1_303_122_922); // Mon Apr 18 10:35:22 2011
    let entries = vec![
        ChecksumEntry {
            name: "Bug-Gold-9.001.tar.gz".to_string(),
            size: 660,
            mtime: written,
            sha256: "168e272bc72c4e80afbbbcac9746b816c3922742a504a8449ff112063ceb0204".to_string(),
            md5: "a450f562155ff2173923d42dd34b5277".to_string(),
            sha256_ungz: Some(
                "e2d3b15d1c0418bd0209f0a32f070698ea8a36f999f6b20a5dd91a33638440d7".to_string(),
            ),
            md5_ungz: Some("6b3b44272f49c8f3cd5b9972dd48cce3".to_string()),
            sha256_unbz2: None,
            md5_unbz2: None,
            isdir: false,
            issymlink: false,
        },
        ChecksumEntry {
            name: "Bug-Gold-9.001.readme".to_string(),
            size: 1,
            mtime: written,
            sha256: String::new(),
            md5: String::new(),
            sha256_ungz: None,
            md5_ungz: None,
            sha256_unbz2: None,
            md5_unbz2: None,
            isdir: false,
            issymlink: false,
        },
        ChecksumEntry {
            name: "Perl6".to_string(),
            size: 4096,
            mtime: written,
            sha256: String::new(),
            md5: String::new(),
            sha256_ungz: None,
            md5_ungz: None,
            sha256_unbz2: None,
            md5_unbz2: None,
            isdir: true,
            issymlink: false,
        },
    ];
    let text = checksums_file(&entries, written, "O/OP/OPRIME");
    let expected = format!(
        "# CHECKSUMS file written on Mon Apr 18 10:35:22 2011 GMT by riverpan-publish (v{})
$cksum = {{
  'Bug-Gold-9.001.tar.gz' => {{
    'cpan_path' => 'O/OP/OPRIME',
    'md5' => 'a450f562155ff2173923d42dd34b5277',
    'md5-ungz' => '6b3b44272f49c8f3cd5b9972dd48cce3',
    'mtime' => '2011-04-18',
    'sha256' => '168e272bc72c4e80afbbbcac9746b816c3922742a504a8449ff112063ceb0204',
    'sha256-ungz' => 'e2d3b15d1c0418bd0209f0a32f070698ea8a36f999f6b20a5dd91a33638440d7',
    'size' => 660
  }},
  'Perl6' => {{
    'cpan_path' => 'O/OP/OPRIME',
    'isdir' => 1
  }}
}};
",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(text, expected);
    assert_eq!(
        checksums_file(&[], written, "O/OP/OPRIME"),
        format!(
            "# CHECKSUMS file written on Mon Apr 18 10:35:22 2011 GMT by riverpan-publish (v{})\n$cksum = {{}};\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}
