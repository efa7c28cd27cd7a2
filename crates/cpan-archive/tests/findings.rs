//! Dist-level findings (PAUSE `check_multiple_root`, `check_blib`, `check_world_writable`,
//! README/META symlinks) and `root()`.

mod common;

use common::*;
use cpan_archive::DistFinding;

fn findings_of(tar: &Tar) -> Vec<DistFinding> {
    read_tar_gz(tar).unwrap().findings()
}

fn codes(tar: &Tar) -> Vec<&'static str> {
    findings_of(tar).iter().map(DistFinding::code).collect()
}

fn good_dist() -> Tar {
    let mut tar = Tar::new();
    tar.dir("Foo-1")
        .file("Foo-1/META.json", b"{}")
        .file("Foo-1/META.yml", b"---")
        .file("Foo-1/README", b"readme")
        .dir("Foo-1/lib")
        .file("Foo-1/lib/Foo.pm", b"package Foo;");
    tar
}

#[test]
fn clean_dist_has_no_findings_and_a_root() {
    let tar = good_dist();
    assert!(findings_of(&tar).is_empty());
    assert_eq!(read_tar_gz(&tar).unwrap().root(), Some("Foo-1"));
    // The old-style "./" prefix does not change the root.
    let mut tar = Tar::new();
    tar.dir(".").dir("./Foo-1").file("./Foo-1/META.yml", b"---");
    let listing = read_tar_gz(&tar).unwrap();
    assert_eq!(listing.entries[0].path, ".");
    assert_eq!(listing.entries[2].path, "Foo-1/META.yml");
    assert_eq!(listing.root(), Some("Foo-1"));
    assert!(listing.findings().is_empty());
}

#[test]
fn multiple_roots() {
    let mut tar = good_dist();
    tar.file("Bar-2/x", b"x").file("stray.txt", b"x");
    let findings = findings_of(&tar);
    assert_eq!(
        findings[0],
        DistFinding::MultipleRoots {
            roots: vec!["Bar-2".into(), "Foo-1".into(), "stray.txt".into()]
        }
    );
    assert!(findings[0]
        .message()
        .contains("does not unpack into a single directory"));
    assert!(findings[0].message().contains("Bar-2 Foo-1 stray.txt"));
    assert_eq!(read_tar_gz(&tar).unwrap().root(), None);
}

#[test]
fn single_top_level_file_is_not_a_root() {
    let mut tar = Tar::new();
    tar.file("Foo.pm", b"package Foo;");
    assert_eq!(codes(&tar), ["multiple_roots"]);
    assert_eq!(read_tar_gz(&tar).unwrap().root(), None);
}

#[test]
fn blib_under_root() {
    let mut tar = good_dist();
    tar.file("Foo-1/blib/lib/Foo.pm", b"x");
    let findings = findings_of(&tar);
    assert_eq!(
        findings,
        [DistFinding::Blib {
            path: "Foo-1/blib/lib/Foo.pm".into()
        }]
    );
    assert!(findings[0].message().contains("blib/ directory"));
    // An empty blib directory counts too.
    let mut tar = good_dist();
    tar.dir("Foo-1/blib");
    assert_eq!(codes(&tar), ["blib"]);
}

#[test]
fn blib_down_a_chain_of_single_directories() {
    // PAUSE steps down Foo-1/ and Foo-1/Foo-1/ (each has one child) and finds blib/ next to
    // other entries.
    let mut tar = Tar::new();
    tar.file("Foo-1/Foo-1/blib/lib/Foo.pm", b"x")
        .file("Foo-1/Foo-1/lib/Foo.pm", b"x")
        .file("Foo-1/Foo-1/META.yml", b"---");
    assert_eq!(
        findings_of(&tar),
        [DistFinding::Blib {
            path: "Foo-1/Foo-1/blib/lib/Foo.pm".into()
        }]
    );
    // When blib/ is itself the only child all the way down, PAUSE's walk steps into it and
    // never looks at it as a name: no finding (a faithful quirk).
    let mut tar = Tar::new();
    tar.file("Foo-1/Foo-1/blib/lib/Foo.pm", b"x");
    assert!(findings_of(&tar).is_empty());
    // A blib deeper than the first level that is not on a single-child chain is not found.
    let mut tar = good_dist();
    tar.file("Foo-1/lib/blib/x", b"x");
    assert!(findings_of(&tar).is_empty());
}

#[test]
fn world_writable_entries() {
    let mut tar = good_dist();
    tar.file_mode("Foo-1/ww", 0o666, b"x")
        .dir_mode("Foo-1/wwdir", 0o777)
        .symlink("Foo-1/link", "README");
    let findings = findings_of(&tar);
    assert_eq!(
        findings,
        [DistFinding::WorldWritable {
            paths: vec!["Foo-1/ww".into(), "Foo-1/wwdir".into()]
        }]
    );
    assert!(findings[0].message().contains("world writable"));
}

#[test]
fn symlinked_meta() {
    let mut tar = Tar::new();
    tar.dir("Foo-1")
        .file("Foo-1/real.json", b"{}")
        .symlink("Foo-1/META.json", "real.json")
        .file("Foo-1/META.yml", b"---");
    let findings = findings_of(&tar);
    assert_eq!(
        findings,
        [DistFinding::SymlinkedMeta {
            path: "Foo-1/META.json".into()
        }]
    );
    assert_eq!(
        findings[0].message(),
        "found Foo-1/META.json but it was a symlink, ignoring"
    );
    // A symlinked META.yml does not matter when PAUSE reads META.json.
    let mut tar = Tar::new();
    tar.file("Foo-1/META.json", b"{}")
        .file("Foo-1/x.yml", b"---")
        .symlink("Foo-1/META.yml", "x.yml");
    assert!(findings_of(&tar).is_empty());
    // ... but it does when META.json is only in a subdirectory (PAUSE prefers the yml then).
    let mut tar = Tar::new();
    tar.file("Foo-1/sub/META.json", b"{}")
        .file("Foo-1/x.yml", b"---")
        .symlink("Foo-1/META.yml", "x.yml");
    assert_eq!(codes(&tar), ["symlinked_meta"]);
    // META files under t/ are never chosen.
    let mut tar = Tar::new();
    tar.file("Foo-1/META.yml", b"---")
        .file("Foo-1/t/x", b"x")
        .symlink("Foo-1/t/META.json", "x");
    assert!(findings_of(&tar).is_empty());
}

#[test]
fn symlinked_readme() {
    let mut tar = Tar::new();
    tar.file("Foo-1/META.yml", b"---")
        .file("Foo-1/doc/README.long", b"x")
        .symlink("Foo-1/README", "doc/README.long");
    let findings = findings_of(&tar);
    assert_eq!(
        findings,
        [DistFinding::SymlinkedReadme {
            path: "Foo-1/README".into()
        }]
    );
    assert!(findings[0].message().contains("symlink"));
}
