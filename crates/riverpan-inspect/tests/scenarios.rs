//! PAUSE's own scenarios (shared/reference/pause.md §5.2 and §5.3) and the dist-level rules of
//! `PAUSE::dist`, on archives built in the test.

use std::io::{Cursor, Write};

use cpan_archive::Limits;
use riverpan_inspect::{inspect_reader, DistInspection, IndexMethod};

/// One archive member.
enum Member<'a> {
    File(&'a str, &'a str),
    FileMode(&'a str, &'a str, u32),
    Symlink(&'a str, &'a str),
}

fn tar_gz(members: &[Member]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for member in members {
        let mut header = tar::Header::new_ustar();
        match member {
            Member::File(path, content) | Member::FileMode(path, content, _) => {
                let mode = match member {
                    Member::FileMode(_, _, mode) => *mode,
                    _ => 0o644,
                };
                header.set_size(content.len() as u64);
                header.set_mode(mode);
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mtime(1_700_000_000);
                builder
                    .append_data(&mut header, path, content.as_bytes())
                    .unwrap();
            }
            Member::Symlink(path, target) => {
                header.set_size(0);
                header.set_mode(0o777);
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, path, target).unwrap();
            }
        }
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn inspect(name: &str, members: &[Member]) -> DistInspection {
    inspect_reader(name, Cursor::new(tar_gz(members)), &Limits::default()).unwrap()
}

fn packages(inspection: &DistInspection) -> Vec<(String, String, String)> {
    inspection
        .packages
        .iter()
        .map(|(name, p)| (name.clone(), p.version.clone(), p.file.clone()))
        .collect()
}

fn has_problem(inspection: &DistInspection, code: &str) -> bool {
    inspection.problems.iter().any(|p| p.code == code)
}

const META_YML: &str = "---\nname: Foo\nversion: 1\n";

fn p(name: &str, version: &str, file: &str) -> (String, String, String) {
    (name.into(), version.into(), file.into())
}

#[test]
fn scenario_3_package_block_and_version_forms() {
    let i = inspect(
        "authors/id/R/RJ/RJBS/Pkg-Name-1.000.tar.gz",
        &[
            Member::File("Pkg-Name-1.000/META.yml", META_YML),
            Member::File(
                "Pkg-Name-1.000/lib/Pkg/Name.pm",
                "package Pkg::Name;\nour $VERSION = '1.000';\n1;\n",
            ),
            Member::File(
                "Pkg-Name-1.000/lib/Pkg/NameBlock.pm",
                "package Pkg::NameBlock {\n  our $VERSION = '1.000';\n}\n1;\n",
            ),
            Member::File(
                "Pkg-Name-1.000/lib/Pkg/NameVersion.pm",
                "package Pkg::NameVersion 1.000;\n1;\n",
            ),
            Member::File(
                "Pkg-Name-1.000/lib/Pkg/NameVersionBlock.pm",
                "package Pkg::NameVersionBlock 1.000 {\n}\n1;\n",
            ),
        ],
    );
    assert_eq!(i.skip, None);
    assert_eq!(i.method, Some(IndexMethod::Files));
    assert_eq!(i.meta.as_deref(), Some("Pkg-Name-1.000/META.yml"));
    assert_eq!(
        packages(&i),
        vec![
            p("Pkg::Name", "1.000", "lib/Pkg/Name.pm"),
            p("Pkg::NameBlock", "1.000", "lib/Pkg/NameBlock.pm"),
            p("Pkg::NameVersion", "1.000", "lib/Pkg/NameVersion.pm"),
            p(
                "Pkg::NameVersionBlock",
                "1.000",
                "lib/Pkg/NameVersionBlock.pm"
            ),
        ]
    );
}

#[test]
fn scenario_4_forms_of_version() {
    let i = inspect(
        "authors/id/R/RJ/RJBS/VVVVVV-6.666.tar.gz",
        &[
            Member::File("VVVVVV-6.666/META.yml", META_YML),
            Member::File(
                "VVVVVV-6.666/lib/VVVVVV.pm",
                "package VVVVVV;\nour $VERSION = '6.666';\n1;\n",
            ),
            Member::File(
                "VVVVVV-6.666/lib/VVVVVV/Bogus.pm",
                "package VVVVVV::Bogus;\nour $VERSION = '6.666june6';\n1;\n",
            ),
            Member::File(
                "VVVVVV-6.666/lib/VVVVVV/Dev.pm",
                "package VVVVVV::Dev;\nour $VERSION = '6.66_6';\n1;\n",
            ),
            Member::File(
                "VVVVVV-6.666/lib/VVVVVV/Lax.pm",
                "package VVVVVV::Lax;\nour $VERSION = '6.006006';\n1;\n",
            ),
            Member::File(
                "VVVVVV-6.666/lib/VVVVVV/VString.pm",
                "package VVVVVV::VString;\nour $VERSION = v6.6.6;\n1;\n",
            ),
        ],
    );
    assert_eq!(
        packages(&i),
        vec![
            p("VVVVVV", "6.666", "lib/VVVVVV.pm"),
            p("VVVVVV::Lax", "6.006006", "lib/VVVVVV/Lax.pm"),
        ]
    );
    assert!(has_problem(&i, "dev_version_file"));
    assert!(has_problem(&i, "version_unparsable"));
}

#[test]
fn scenario_5_glob_assignment_and_8_comparison_is_not_assignment() {
    let i = inspect(
        "authors/id/L/LU/LUNATIC/Globby-Version-1.234.tar.gz",
        &[
            Member::File("Globby-Version-1.234/META.yml", META_YML),
            Member::File(
                "Globby-Version-1.234/lib/Globby/Version.pm",
                "package Globby::Version;\nour $VERSION = '1.234';\n1;\n",
            ),
            Member::File(
                "Globby-Version-1.234/lib/Globby/Version/Example.pm",
                "package Globby::Version::Example;\n*VERSION = \\'0.003';\n1;\n",
            ),
            Member::File(
                "Globby-Version-1.234/lib/Version/Cmp/Example.pm",
                "package Version::Cmp::Example;\n1 if $Version::Cmp::Example::VERSION >= 2.0;\n$VERSION = '0.003';\n1;\n",
            ),
        ],
    );
    assert_eq!(
        packages(&i),
        vec![
            p("Globby::Version", "1.234", "lib/Globby/Version.pm"),
            p(
                "Globby::Version::Example",
                "0.003",
                "lib/Globby/Version/Example.pm"
            ),
            p(
                "Version::Cmp::Example",
                "0.003",
                "lib/Version/Cmp/Example.pm"
            ),
        ]
    );
}

#[test]
fn scenario_6_overlong_version_and_7_hex_version() {
    let i = inspect(
        "authors/id/R/RJ/RJBS/VTooLong-1.2345678901234567.tar.gz",
        &[
            Member::File("VTooLong-1.2345678901234567/META.yml", META_YML),
            Member::File(
                "VTooLong-1.2345678901234567/lib/VTooLong.pm",
                "package VTooLong;\nour $VERSION = '1.2345678901234567';\n1;\n",
            ),
            Member::File(
                "VTooLong-1.2345678901234567/lib/Hex/Version/NoJoke.pm",
                "package Hex::Version::NoJoke;\nour $VERSION = '0x1p-1';\n1;\n",
            ),
        ],
    );
    assert!(packages(&i).is_empty(), "{:?}", packages(&i));
    assert!(has_problem(&i, "version_too_long"));
    assert!(has_problem(&i, "version_unparsable"));
}

#[test]
fn scenario_9_bom_and_revision_keyword() {
    let pm = "\u{feff}package Lingua::JA::Numbers;\nour $VERSION = sprintf \"%d.%02d\", q$Revision: 0.5 $ =~ /(\\d+)/g;\n1;\n";
    let i = inspect(
        "authors/id/D/DA/DANKOGAI/Lingua-JA-Numbers-0.05.tar.gz",
        &[
            Member::File("Lingua-JA-Numbers-0.05/META.yml", META_YML),
            Member::File("Lingua-JA-Numbers-0.05/lib/Lingua/JA/Numbers.pm", pm),
        ],
    );
    assert_eq!(
        packages(&i),
        vec![p("Lingua::JA::Numbers", "0.05", "lib/Lingua/JA/Numbers.pm")]
    );
}

#[test]
fn scenario_10_capitalization_warning() {
    let i = inspect(
        "authors/id/R/RJ/RJBS/fewer-0.202.tar.gz",
        &[
            Member::File("fewer-0.202/META.yml", META_YML),
            Member::File(
                "fewer-0.202/lib/more.pm",
                "package More;\nour $VERSION = '0.202';\n1;\n",
            ),
            Member::File(
                "fewer-0.202/lib/fewer.pm",
                "package Fewer;\nour $VERSION = '0.202';\n1;\n",
            ),
        ],
    );
    assert_eq!(
        packages(&i),
        vec![
            p("Fewer", "0.202", "lib/fewer.pm"),
            p("More", "0.202", "lib/more.pm")
        ]
    );
    let warnings: Vec<_> = i
        .problems
        .iter()
        .filter(|p| p.code == "capitalization_mismatch")
        .map(|p| p.message.clone())
        .collect();
    assert_eq!(warnings.len(), 2);
    assert!(warnings
        .iter()
        .any(|m| m.contains("Capitalization of package (Fewer)")));
    assert!(warnings.iter().any(|m| m.contains("(More)")));
}

#[test]
fn scenario_11_bare_pm_file() {
    let i = inspect_reader(
        "authors/id/O/OP/OPRIME/Matrix.pm.gz",
        Cursor::new(b"not read".to_vec()),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(i.skip_code.as_deref(), Some("bare_pm_file"));
    assert!(i.skip.unwrap().contains("Bare .pm files are not indexed"));
}

#[test]
fn scenario_12_release_status_not_stable() {
    let meta = r#"{"name":"Pie-Eater","version":"1.24","release_status":"unstable","meta-spec":{"version":2}}"#;
    let i = inspect(
        "authors/id/O/OP/OPRIME/Pie-Eater-1.24.tar.gz",
        &[
            Member::File("Pie-Eater-1.24/META.json", meta),
            Member::File(
                "Pie-Eater-1.24/lib/Pie/Eater.pm",
                "package Pie::Eater;\nour $VERSION = '1.24';\n1;\n",
            ),
        ],
    );
    assert_eq!(i.skip_code.as_deref(), Some("meta_unstable"));
    assert!(i
        .skip
        .as_deref()
        .unwrap()
        .contains("META release_status is not stable"));
    // The packages are still listed (the indexer records permissions for trial releases).
    assert_eq!(
        packages(&i),
        vec![p("Pie::Eater", "1.24", "lib/Pie/Eater.pm")]
    );
}

#[test]
fn scenario_13_no_meta_file() {
    let i = inspect(
        "authors/id/P/PE/PERSON/Not-Very-Meta-1.234.tar.gz",
        &[Member::File(
            "Not-Very-Meta-1.234/lib/Not/Very/Meta.pm",
            "package Not::Very::Meta;\nour $VERSION = '1.234';\n1;\n",
        )],
    );
    assert_eq!(i.skip_code.as_deref(), Some("no_meta"));
    assert!(i
        .skip
        .unwrap()
        .contains("Distribution included neither META.json nor META.yml"));
    assert_eq!(i.meta, None);
}

#[test]
fn scenarios_14_15_developer_releases() {
    for name in [
        "authors/id/P/PE/PERSON/Just-Testing-1.2_2.tar.gz",
        "authors/id/P/PE/PERSON/Just-Testing-1.22-TRIAL.tar.gz",
        "authors/id/P/PE/PERSON/Just-Testing-1.22-TRIAL2.tgz",
    ] {
        let i = inspect(
            name,
            &[
                Member::File("Just-Testing-1.22/META.yml", META_YML),
                Member::File(
                    "Just-Testing-1.22/lib/Just/Testing.pm",
                    "package Just::Testing;\nour $VERSION = '1.22';\n1;\n",
                ),
            ],
        );
        assert_eq!(i.skip_code.as_deref(), Some("developer_release"), "{name}");
    }
    // D4: -TRIAL.zip is not a developer release by PAUSE's rule.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("Foo-1.0/META.yml", options).unwrap();
    zip.write_all(META_YML.as_bytes()).unwrap();
    zip.start_file("Foo-1.0/lib/Foo.pm", options).unwrap();
    zip.write_all(b"package Foo;\nour $VERSION = '1.0';\n1;\n")
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let i = inspect_reader(
        "authors/id/A/AB/ABC/Foo-1.0-TRIAL.zip",
        Cursor::new(bytes),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(i.skip, None);
    assert_eq!(packages(&i), vec![p("Foo", "1.0", "lib/Foo.pm")]);
}

#[test]
fn scenario_16_perl_like_and_perl_releases() {
    let members = [
        Member::File("perl-6/META.yml", META_YML),
        Member::File(
            "perl-6/lib/perl/rocks.pm",
            "package perl::rocks;\nour $VERSION = '1';\n1;\n",
        ),
    ];
    let i = inspect("authors/id/P/PL/PLUGH/perl-6.tar.gz", &members);
    assert_eq!(i.skip_code.as_deref(), Some("perl_like_release"));
    let i = inspect("authors/id/P/PL/PLUGH/perl-5.13.7.tar.gz", &members);
    assert_eq!(i.skip_code.as_deref(), Some("perl_like_release"));
    // An official perl: indexed (for a pumpking), and dev versions inside it are kept (scenario 43).
    let i = inspect(
        "authors/id/O/OP/OPRIME/perl-5.20.2.tar.gz",
        &[
            Member::File("perl-5.20.2/META.yml", META_YML),
            Member::File(
                "perl-5.20.2/ext/POSIX/lib/POSIX.pm",
                "package POSIX;\nour $VERSION = '1.38_03';\n1;\n",
            ),
        ],
    );
    assert_eq!(i.skip, None);
    assert!(has_problem(&i, "perl_release"));
    assert_eq!(
        packages(&i),
        vec![p("POSIX", "1.38_03", "ext/POSIX/lib/POSIX.pm")]
    );
}

#[test]
fn scenario_17_perl6_distribution() {
    let i = inspect(
        "authors/id/F/FR/FROGGS/Perl6/Inline-1.1.tar.gz",
        &[
            Member::File(
                "Inline-1.1/META6.json",
                r#"{"name":"Inline","version":"1.1"}"#,
            ),
            Member::File("Inline-1.1/lib/Inline.pm", "package Inline;\n1;\n"),
        ],
    );
    assert_eq!(i.skip_code.as_deref(), Some("perl6_distribution"));
}

#[test]
fn scenario_37_provides_with_empty_file_and_meta_version_wins() {
    let meta = r#"{"name":"Provides-NoFile","version":"0.50","meta-spec":{"version":2},
      "provides":{"Provides::NoFile":{"file":"lib/Provides/NoFile.pm","version":"1.5"},
                  "Provides::NoFile::Nowhere":{"file":null}}}"#;
    let i = inspect(
        "authors/id/M/MY/MYSTERIO/Provides-NoFile-0.50.tar.gz",
        &[
            Member::File("Provides-NoFile-0.50/META.json", meta),
            Member::File(
                "Provides-NoFile-0.50/lib/Provides/NoFile.pm",
                "package Provides::NoFile;\n$VERSION = 1;\n1;\n",
            ),
        ],
    );
    assert_eq!(i.method, Some(IndexMethod::Meta));
    assert_eq!(
        packages(&i),
        vec![p("Provides::NoFile", "1.5", "lib/Provides/NoFile.pm")]
    );
}

#[test]
fn d2_d3_provides_is_verbatim_and_ignores_no_index_package() {
    let meta = r#"{"name":"Foo","version":"1.0","meta-spec":{"version":2},
      "no_index":{"package":["Foo"]},
      "provides":{"Foo":{"file":"lib/Foo.pm","version":"1.2_3"},"Foo::V":{"file":"lib/Foo/V.pm","version":"v1.2.3"}}}"#;
    let i = inspect(
        "authors/id/A/AB/ABC/Foo-1.0.tar.gz",
        &[Member::File("Foo-1.0/META.json", meta)],
    );
    assert_eq!(
        packages(&i),
        vec![
            p("Foo", "1.2_3", "lib/Foo.pm"),
            p("Foo::V", "v1.2.3", "lib/Foo/V.pm")
        ]
    );
}

#[test]
fn d5_tar_xz_is_not_indexed_by_pause_but_inspected() {
    let i = inspect_reader(
        "authors/id/A/AB/ABC/Foo-1.0.tar.xz",
        Cursor::new(Vec::new()),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(i.skip_code.as_deref(), Some("not_a_distribution"));
}

#[test]
fn meta_choice_json_wins_unless_only_in_a_subdirectory() {
    let pm = Member::File(
        "Foo-1.0/lib/Foo.pm",
        "package Foo;\nour $VERSION = '1.0';\n1;\n",
    );
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::File("Foo-1.0/META.json", r#"{"name":"Foo"}"#),
            Member::File("Foo-1.0/Foo-1.0/META.json", r#"{"name":"Foo"}"#),
            Member::File("Foo-1.0/t/META.json", r#"{"name":"Foo"}"#),
        ],
    );
    assert_eq!(i.meta.as_deref(), Some("Foo-1.0/META.json"));
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::File("Foo-1.0/sub/META.json", r#"{"name":"Foo"}"#),
            pm,
        ],
    );
    assert_eq!(i.meta.as_deref(), Some("Foo-1.0/META.yml"));
    // A META file under t/ does not count.
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[Member::File("Foo-1.0/t/META.yml", META_YML)],
    );
    assert_eq!(i.skip_code.as_deref(), Some("no_meta"));
}

#[test]
fn symlinked_and_empty_meta_are_ignored() {
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/real.yml", META_YML),
            Member::Symlink("Foo-1.0/META.yml", "real.yml"),
            Member::File(
                "Foo-1.0/lib/Foo.pm",
                "package Foo;\nour $VERSION = '1.0';\n1;\n",
            ),
        ],
    );
    assert_eq!(i.meta, None);
    assert!(has_problem(&i, "meta_symlink"));
    assert_eq!(packages(&i), vec![p("Foo", "1.0", "lib/Foo.pm")]);
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", ""),
            Member::File("Foo-1.0/lib/Foo.pm", "package Foo;\n1;\n"),
        ],
    );
    assert!(has_problem(&i, "meta_empty"));
    assert_eq!(packages(&i), vec![p("Foo", "undef", "lib/Foo.pm")]);
}

#[test]
fn module_build_empty_provides_falls_back_to_files() {
    let meta = "---\nname: Foo\ngenerated_by: Module::Build version 0.2501\nprovides: {}\n";
    let members = [
        Member::File("Foo-1.0/META.yml", meta),
        Member::File(
            "Foo-1.0/lib/Foo.pm",
            "package Foo;\nour $VERSION = '1.0';\n1;\n",
        ),
    ];
    let i = inspect("Foo-1.0.tar.gz", &members);
    assert_eq!(i.method, Some(IndexMethod::Files));
    assert_eq!(packages(&i), vec![p("Foo", "1.0", "lib/Foo.pm")]);
    // From Module::Build 0.26 on, an empty provides is believed: nothing is indexed.
    let meta = "---\nname: Foo\ngenerated_by: Module::Build version 0.3601\nprovides: {}\n";
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", meta),
            Member::File("Foo-1.0/lib/Foo.pm", "package Foo;\n1;\n"),
        ],
    );
    assert_eq!(i.method, Some(IndexMethod::Meta));
    assert!(i.packages.is_empty());
}

#[test]
fn skipped_directories_and_no_index_as_regexes() {
    let meta = "---\nname: Foo\nno_index:\n  directory:\n    - private/\n  file:\n    - lib/Foo/Hidden.pm\n  package:\n    - Foo::Internal\n  namespace:\n    - Foo::Secret\n";
    let pm = |name: &str| format!("package {name};\nour $VERSION = '1.0';\n1;\n");
    let files = [
        ("Foo-1.0/lib/Foo.pm", pm("Foo")),
        ("Foo-1.0/lib/Foo/Hidden.pm", pm("Foo::Hidden")),
        ("Foo-1.0/lib/Foo/HiddenXpm", pm("Foo::NotPm")),
        ("Foo-1.0/lib/Foo/Internal.pm", pm("Foo::Internal")),
        ("Foo-1.0/lib/Foo/Secret.pm", pm("Foo::Secret")),
        ("Foo-1.0/lib/Foo/Secret/Deep.pm", pm("Foo::Secret::Deep")),
        ("Foo-1.0/private/Foo/P.pm", pm("Foo::P")),
        ("Foo-1.0/t/lib/Foo/T.pm", pm("Foo::T")),
        ("Foo-1.0/inc/Module/Install.pm", pm("Module::Install")),
        ("Foo-1.0/examples/Ex.pm", pm("Ex")),
        ("Foo-1.0/lib/t/Keep.pm", pm("Foo::Keep")),
    ];
    let mut members = vec![Member::File("Foo-1.0/META.yml", meta)];
    members.extend(
        files
            .iter()
            .map(|(path, content)| Member::File(path, content)),
    );
    let i = inspect("Foo-1.0.tar.gz", &members);
    let names: Vec<String> = i.packages.keys().cloned().collect();
    // no_index namespace does not cover the namespace package itself.
    assert_eq!(names, vec!["Foo", "Foo::Keep", "Foo::Secret"]);
}

#[test]
fn dist_level_refusals() {
    let pm = Member::File(
        "Foo-1.0/lib/Foo.pm",
        "package Foo;\nour $VERSION = '1.0';\n1;\n",
    );
    let meta = Member::File("Foo-1.0/META.yml", META_YML);
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[meta, pm, Member::File("Other/README", "x")],
    );
    assert_eq!(i.skip_code.as_deref(), Some("multiple_roots"));
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::File("Foo-1.0/blib/lib/Foo.pm", "package Foo;\n1;\n"),
        ],
    );
    assert_eq!(i.skip_code.as_deref(), Some("blib"));
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::FileMode("Foo-1.0/lib/Foo.pm", "package Foo;\n1;\n", 0o666),
        ],
    );
    assert_eq!(i.skip_code.as_deref(), Some("world_writable"));
}

#[test]
fn hostile_archives_are_refused_with_a_reason() {
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::Symlink("Foo-1.0/lib/Foo.pm", "../../../etc/passwd"),
        ],
    );
    assert!(i.skip.is_some());
    assert!(i.packages.is_empty());
    let i = inspect_reader(
        "Foo-1.0.tar.gz",
        Cursor::new(b"garbage that is not gzip".to_vec()),
        &Limits::default(),
    )
    .unwrap();
    assert!(i.skip.is_some());
}

#[test]
fn json_shape_is_stable() {
    let i = inspect(
        "Foo-1.0.tar.gz",
        &[
            Member::File("Foo-1.0/META.yml", META_YML),
            Member::File(
                "Foo-1.0/lib/Foo.pm",
                "package Foo;\nour $VERSION = '1.0';\n1;\n",
            ),
        ],
    );
    let json = serde_json::to_string(&i).unwrap();
    assert_eq!(
        json,
        r#"{"file":"Foo-1.0.tar.gz","skip":null,"meta":"Foo-1.0/META.yml","method":"files","packages":{"Foo":{"version":"1.0","file":"lib/Foo.pm"}},"problems":[]}"#
    );
}

#[test]
fn x_authority_and_x_private_are_carried_for_the_indexer() {
    let meta = r#"{"name":"Foo","version":"1.0","meta-spec":{"version":2},"x_authority":"cpan:OWNER",
      "provides":{"Foo":{"file":"lib/Foo.pm","version":"1.0"},"Foo::Guts":{"file":"lib/Foo/Guts.pm","version":"1.0","x_private":1}}}"#;
    let i = inspect("Foo-1.0.tar.gz", &[Member::File("Foo-1.0/META.json", meta)]);
    assert_eq!(i.x_authority.as_deref(), Some("cpan:OWNER"));
    assert!(!i.packages["Foo"].x_private);
    assert!(i.packages["Foo::Guts"].x_private);
}

#[test]
fn equally_short_meta_paths_choose_the_later_one_as_pause_does() {
    // No top-level META; two candidates of the same length: PAUSE's
    // `reduce { length $a < length $b ? $a : $b }` keeps the later one in sorted order.
    let a = r#"{"name":"Foo","version":"1","meta-spec":{"version":2},"abstract":"x","author":["A"],"license":["perl_5"],"release_status":"stable","dynamic_config":0,"prereqs":{"runtime":{"requires":{"From::A":"0"}}}}"#;
    let b = a.replace("From::A", "From::B");
    let inspection = inspect(
        "authors/id/N/NE/NEILB/Foo-1.tar.gz",
        &[
            Member::File("Foo-1/a/META.json", a),
            Member::File("Foo-1/b/META.json", &b),
            Member::File(
                "Foo-1/lib/Foo.pm",
                "package Foo;\nour $VERSION = '1';\n1;\n",
            ),
        ],
    );
    assert_eq!(inspection.meta.as_deref(), Some("Foo-1/b/META.json"));
    let modules: Vec<&str> = inspection
        .prereqs
        .iter()
        .map(|p| p.module.as_str())
        .collect();
    assert_eq!(modules, ["From::B"]);
}
