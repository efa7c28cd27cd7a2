//! PAUSE's scanning scenarios (pause.md §5.2) and the forms of `$VERSION` lines seen in the
//! corpus, with the results PAUSE gives.

use cpan_pmscan::*;

fn scan(path: &str, src: &str) -> PmfileOutcome {
    examine_pmfile(path, src.as_bytes(), &ScanOptions::default())
}

fn pairs(o: &PmfileOutcome) -> Vec<(String, String)> {
    o.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn p(name: &str, v: &str) -> (String, String) {
    (name.to_string(), v.to_string())
}

fn eval(line: &str) -> Result<Option<String>, EvalFailure> {
    evaluate_version_line(line)
}

fn val(line: &str) -> String {
    match eval(line) {
        Ok(Some(s)) => s,
        Ok(None) => "undef".into(),
        Err(e) => panic!("{line}: {e}"),
    }
}

#[test]
fn scenario_3_package_block_forms() {
    let o = scan(
        "Pkg-Name-1.000/lib/Pkg/Name.pm",
        "package Pkg::Name;\nour $VERSION = '1.000';\n1;\n",
    );
    assert_eq!(pairs(&o), vec![p("Pkg::Name", "1.000")]);
    let o = scan(
        "Pkg-Name-1.000/lib/Pkg/NameBlock.pm",
        "package Pkg::NameBlock {\n  our $VERSION = '1.000';\n}\n1;\n",
    );
    assert_eq!(pairs(&o), vec![p("Pkg::NameBlock", "1.000")]);
    let o = scan(
        "Pkg-Name-1.000/lib/Pkg/NameVersion.pm",
        "package Pkg::NameVersion 1.000;\n1;\n",
    );
    assert_eq!(pairs(&o), vec![p("Pkg::NameVersion", "1.000")]);
    let o = scan(
        "Pkg-Name-1.000/lib/Pkg/NameVersionBlock.pm",
        "package Pkg::NameVersionBlock 1.000 {\n 1;\n}\n",
    );
    assert_eq!(pairs(&o), vec![p("Pkg::NameVersionBlock", "1.000")]);
}

#[test]
fn scenario_4_forms_of_version() {
    let o = scan(
        "VVVVVV-6.666/lib/VVVVVV.pm",
        "package VVVVVV;\nour $VERSION = '6.666';\n",
    );
    assert_eq!(pairs(&o), vec![p("VVVVVV", "6.666")]);
    let o = scan(
        "VVVVVV-6.666/lib/VVVVVV/Bogus.pm",
        "package VVVVVV::Bogus;\nour $VERSION = '6.666june6';\n",
    );
    assert!(
        matches!(o.skipped, Some(FileSkip::VersionError { .. })),
        "{o:?}"
    );
    assert!(o.packages.is_empty());
    let o = scan(
        "VVVVVV-6.666/lib/VVVVVV/Dev.pm",
        "package VVVVVV::Dev;\nour $VERSION = '6.66_6';\n",
    );
    assert_eq!(
        o.skipped,
        Some(FileSkip::DevVersion {
            version: "6.66_6".into()
        })
    );
    let o = scan(
        "VVVVVV-6.666/lib/VVVVVV/Lax.pm",
        "package VVVVVV::Lax;\nour $VERSION = '6.006006';\n",
    );
    assert_eq!(pairs(&o), vec![p("VVVVVV::Lax", "6.006006")]);
    let o = scan(
        "VVVVVV-6.666/lib/VVVVVV/VString.pm",
        "package VVVVVV::VString;\nour $VERSION = v6.6.6;\n",
    );
    assert!(
        matches!(o.skipped, Some(FileSkip::VersionError { .. })),
        "{o:?}"
    );
}

#[test]
fn scenario_5_glob_assignment() {
    let o = scan(
        "Globby-Version-1.234/lib/Globby/Version/Example.pm",
        "package Globby::Version::Example;\n*VERSION = \\'0.003';\n1;\n",
    );
    assert_eq!(pairs(&o), vec![p("Globby::Version::Example", "0.003")]);
}

#[test]
fn scenario_6_overlong_version_is_recorded_as_is() {
    // The length check is examine_pkg's (package level); the scanner reports the version.
    let o = scan(
        "VTooLong-1.2345678901234567/lib/VTooLong.pm",
        "package VTooLong;\nour $VERSION = '1.2345678901234567';\n",
    );
    assert_eq!(pairs(&o), vec![p("VTooLong", "1.2345678901234567")]);
}

#[test]
fn scenario_7_hex_float_is_an_error() {
    let o = scan(
        "Hex-Version-1.234/lib/Hex/Version/NoJoke.pm",
        "package Hex::Version::NoJoke;\nour $VERSION = '0x1p-1';\n",
    );
    assert!(matches!(o.skipped, Some(FileSkip::VersionError { .. })));
}

#[test]
fn scenario_8_comparison_is_not_assignment() {
    let src = "package Version::Cmp::Example;\n1 if $Version::Cmp::Example::VERSION >= 2.0;\n$VERSION = '0.003';\n";
    let o = scan("Version-Cmp-1.234/lib/Version/Cmp/Example.pm", src);
    assert_eq!(pairs(&o), vec![p("Version::Cmp::Example", "0.003")]);
}

#[test]
fn scenario_9_bom_and_revision_idiom() {
    let mut src = b"\x00\x00\xfe\xff".to_vec();
    src.extend_from_slice(b"package Lingua::JA::Numbers;\nour $VERSION = sprintf \"%d.%02d\", q$Revision: 0.5 $ =~ /(\\d+)/g;\n1;\n");
    let o = examine_pmfile(
        "Lingua-JA-Numbers-0.05/lib/Lingua/JA/Numbers.pm",
        &src,
        &ScanOptions::default(),
    );
    assert_eq!(pairs(&o), vec![p("Lingua::JA::Numbers", "0.05")]);
}

#[test]
fn scenario_10_case_mismatch_gets_file_version() {
    let o = scan(
        "fewer-0.202/lib/more.pm",
        "package More;\nour $VERSION = '0.202';\n",
    );
    assert_eq!(pairs(&o), vec![p("More", "0.202")]);
    let o = scan(
        "fewer-0.202/lib/fewer.pm",
        "package Fewer;\nour $VERSION = '0.202';\n",
    );
    assert_eq!(pairs(&o), vec![p("Fewer", "0.202")]);
}

#[test]
fn scenario_24_inline_version_of_other_package_is_ignored() {
    let src = "package Acme::Playpen;\n1;\npackage Acme::odometer;\nour $VERSION='0.20';\n1;\n";
    let o = scan("Acme-Playpen-2.00/lib/Acme/Playpen.pm", src);
    assert_eq!(
        pairs(&o),
        vec![p("Acme::Playpen", "0.20"), p("Acme::odometer", "0.20")]
    );
    let src = "package Acme::Playpen;\n$VERSION = '1.0';\npackage Acme::Other 2.0;\n";
    let o = scan("Acme-Playpen-2.00/lib/Acme/Playpen.pm", src);
    assert_eq!(
        pairs(&o),
        vec![p("Acme::Other", "1.0"), p("Acme::Playpen", "1.0")]
    );
}

#[test]
fn scenario_37_no_index_filters_packages() {
    let pk = vec!["Foo::Hidden".to_string()];
    let ns = vec!["Foo::Internal::".to_string()];
    let opts = ScanOptions {
        no_index_packages: &pk,
        no_index_namespaces: &ns,
        ..ScanOptions::default()
    };
    let src = "package Foo;\n$VERSION = 1;\npackage Foo::Hidden;\npackage Foo::Internal;\npackage Foo::Internal::X;\npackage Foo::HiddenNot;\n";
    let o = examine_pmfile("Foo-1/lib/Foo.pm", src.as_bytes(), &opts);
    let names: Vec<_> = o.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Foo", "Foo::HiddenNot", "Foo::Internal"]);
    assert_eq!(
        o.filtered_by_no_index,
        vec!["Foo::Hidden", "Foo::Internal::X"]
    );
    // Values are regular expressions: `.` matches any character.
    let pk = vec!["Foo.Bar".to_string()];
    let opts = ScanOptions {
        no_index_packages: &pk,
        ..ScanOptions::default()
    };
    let o = examine_pmfile("Foo-1/lib/Foo.pm", b"package FooxBar;\n", &opts);
    assert!(o.packages.is_empty());
}

#[test]
fn scenarios_44_46_class_and_role() {
    let src = "use v5.38;\nuse experimental 'class';\nclass Foo::Class 1.0;\n";
    assert_eq!(
        pairs(&scan("Foo-1/lib/Foo/Class.pm", src)),
        vec![p("Foo::Class", "1.0")]
    );
    let src = "class Foo::Class 1.0;\n";
    assert!(scan("Foo-1/lib/Foo/Class.pm", src).packages.is_empty());
    let src = "use Object::Pad;\nrole Foo::Role 0.01;\nclass Foo::Role::Impl;\n";
    assert_eq!(
        pairs(&scan("Foo-1/lib/Foo/Role.pm", src)),
        vec![p("Foo::Role", "0.01"), p("Foo::Role::Impl", "0.01")]
    );
    let src = "use Feature::Compat::Class;\nclass Foo 0.02;\nrole Bar;\n";
    assert_eq!(
        pairs(&scan("Foo-1/lib/Foo.pm", src)),
        vec![p("Foo", "0.02")]
    );
}

#[test]
fn rejected_package_names() {
    let src = "package DB;\npackage main;\npackage Local::Thing;\npackage Local;\npackage _Foo;\npackage Foo::;\npackage Foo'Bar'Baz;\n";
    let o = scan("X-1/lib/X.pm", src);
    assert_eq!(pairs(&o), vec![p("Foo::Bar'Baz", "undef")]);
    let long = format!("package {};\n", "A".repeat(129));
    assert!(scan("X-1/lib/X.pm", &long).packages.is_empty());
}

#[test]
fn pod_comments_and_end() {
    let src = "=head1 X\n\npackage Hidden;\n\n=cut\npackage Shown; # package Comment;\n__END__\npackage After;\n";
    assert_eq!(
        pairs(&scan("X-1/lib/Shown.pm", src)),
        vec![p("Shown", "undef")]
    );
    assert_eq!(
        pairs(&scan("X-1/lib/Shown.pm.PL", src)),
        vec![p("After", "undef"), p("Shown", "undef")]
    );
}

#[test]
fn file_version_beats_smaller_inline_version() {
    let src = "our $VERSION = '2.0';\npackage Foo 1.0;\n";
    assert_eq!(pairs(&scan("Foo-1/lib/Foo.pm", src)), vec![p("Foo", "2.0")]);
    // "undef" is string-greater than any digit.
    let src = "my $VERSION = '2.0';\npackage Foo 1.0;\n";
    assert_eq!(
        pairs(&scan("Foo-1/lib/Foo.pm", src)),
        vec![p("Foo", "undef")]
    );
}

#[test]
fn normalize_table() {
    for (i, o) in [
        ("1.10", "1.10"),
        ("1.2.3", "1.002003"),
        ("v1.2.3", "1.002003"),
        ("v1.2", "1.200"),
        ("1.", "1."),
        ("01.02", "01.02"),
        (" 1.5 ", "1.5"),
        ("1_2", "1_2"),
        ("undef", "undef"),
        ("{\"a\":1}", "{\"a\":1}"),
    ] {
        assert_eq!(normalize_version(i).unwrap(), o, "{i}");
    }
    assert!(normalize_version("6.666june6").is_err());
    assert!(normalize_version("0x1p-1").is_err());
    assert!(normalize_version("").is_err());
    assert!(normalize_version("\u{6}\u{6}\u{6}").is_err());
}

#[test]
fn version_line_forms() {
    assert_eq!(val("our $VERSION = '1.10';"), "1.10");
    assert_eq!(val("$VERSION = 1.10;"), "1.1");
    assert_eq!(val("$VERSION = 1.2_3;"), "1.23");
    assert_eq!(val("$VERSION = 0x1f;"), "31");
    assert_eq!(val("$VERSION = 1e3;"), "1000");
    assert_eq!(val("my $VERSION = '1.0';"), "undef");
    assert_eq!(val("local $VERSION = '1.0';"), "undef");
    assert_eq!(val("our $VERSION = \"1.0\"; # comment"), "1.0");
    assert_eq!(val("use version; our $VERSION = qv('1.2.3');"), "1.002003");
    assert_eq!(val("our $VERSION = qv('1.2.3');"), "1.002003");
    assert_eq!(
        val("our $VERSION = version->declare('v1.2.3');"),
        "1.002003"
    );
    assert_eq!(val("our $VERSION = version->new('1.02')->numify;"), "1.020");
    assert_eq!(val("our $VERSION = version::qv('1.2');"), "1.002000");
    assert_eq!(
        val("our $VERSION = '1.02_03'; $VERSION = eval $VERSION;"),
        "1.0203"
    );
    assert_eq!(
        val("our $VERSION = '1.10'; $VERSION = eval \"$VERSION\";"),
        "1.1"
    );
    assert_eq!(
        val("($VERSION) = q$Revision: 1.5 $ =~ /(\\d+\\.\\d+)/;"),
        "1.5"
    );
    assert_eq!(val("$VERSION = (qw$Revision: 1.5 $)[1];"), "1.5");
    assert_eq!(
        val("$VERSION = sprintf \"%d.%03d\", q$Revision: 1.5 $ =~ /(\\d+)\\.(\\d+)/;"),
        "1.005"
    );
    assert_eq!(val("$VERSION = do { my @r = ( q$Revision: 1.25 $ =~ /\\d+/g ); sprintf \"%d.\" . \"%02d\" x $#r, @r };"), "1.25");
    assert_eq!(val("$VERSION = '1.2_3'; $VERSION =~ tr/_//d;"), "1.23");
    assert_eq!(val("$VERSION = '1.2_3'; $VERSION =~ s/_//g;"), "1.23");
    assert_eq!(val("use vars qw($VERSION); $VERSION = '0.01';"), "0.01");
    assert_eq!(val("$VERSION = $Some::Other::VERSION;"), "undef");
    assert_eq!(val("$VERSION ||= '1.0';"), "1.0");
    assert_eq!(val("$XS_VERSION = $VERSION = '0.5';"), "0.5");
    assert_eq!(val("package Acme::Morse; $VERSION = 1;"), "undef");
    assert_eq!(val("$VERSION = substr q$Revision: 1.11 $, 10;"), "1.11 ");
    assert_eq!(val("$VERSION = 1 ? '2.0' : '3.0';"), "2.0");
    assert_eq!(val("$VERSION = sprintf('%.2f', 1.5);"), "1.50");
    assert_eq!(val("our $VERSION = v1.2.3;"), "\u{1}\u{2}\u{3}");
    assert_eq!(val("$VERSION = '1.' . '02';"), "1.02");
    assert!(matches!(
        eval("our $VERSION = do {"),
        Err(EvalFailure::Died { .. })
    ));
    assert!(matches!(
        eval("$VERSION = Foo::bar();"),
        Err(EvalFailure::Died { .. })
    ));
    assert!(matches!(
        eval("$VERSION = File::Spec->catfile('a');"),
        Err(EvalFailure::Died { .. })
    ));
    assert!(matches!(
        eval("$VERSION = hex('1f');"),
        Err(EvalFailure::Unevaluable { .. })
    ));
}

#[test]
fn helpers_from_pause() {
    for d in [
        "C/CB/CBAIL/perl5_003.tar-gz",
        "A/AN/ANDYD/perl5.003_07.tar.gz",
        "T/TI/TIMB/perl5.004_04.tar.gz",
        "D/DA/DAPM/perl-5.10.1.tar.bz2",
        "N/NW/NWCLARK/perl-5.8.9.tar.gz",
        "J/JE/JESSE/perl-5.14.0.tar.gz",
    ] {
        assert!(is_regular_perl(d), "{d}");
    }
    for d in [
        "I/IN/INGY/perl5-0.02.tar.gz",
        "J/JE/JESSE/perl-5.14.0-RC3.tar.gz",
        "B/BI/BINGOS/perl-5.13.7.tar.gz",
    ] {
        assert!(!is_regular_perl(d), "{d}");
    }
    assert!(is_dev_release("P/PE/PERSON/Just-Testing-1.2_2.tar.gz"));
    assert!(is_dev_release("P/PE/PERSON/Just-Testing-1.22-TRIAL.tar.gz"));
    assert!(!is_dev_release("P/PE/PERSON/Just-Testing-1.22-TRIAL.zip"));
    assert!(!is_dev_release("P/PE/PERSON/Just-Testing-1.22.tar.gz"));
    assert!(is_sane_package_name("Foo::Bar"));
    assert!(is_sane_package_name("Foo'Bar"));
    assert!(!is_sane_package_name("Foo:Bar"));
    assert!(!is_sane_package_name("Foo:::Bar"));
    assert!(!is_sane_package_name("Foo::"));
    assert!(!is_sane_package_name("::Foo"));
    assert!(basename_matches_package("X-1/lib/Foo/Bar.pm", "Foo::Bar"));
    assert!(basename_matches_package("X-1/Bar.pm.PL", "HTML::Bar"));
    assert!(!basename_matches_package("X-1/lib/Bar.pm", "Foo::FooBar"));
}

#[test]
fn assignment_to_a_shared_namespace_variable_is_evaluated() {
    // Exporter-Easy: `$Exporter::Easy::VERSION = '0.18';` — PAUSE localises the very variable
    // it assigns, so the value does not depend on the real Perl's Exporter:: namespace.
    let outcome = cpan_pmscan::examine_pmfile(
        "Exporter-Easy-0.18/lib/Exporter/Easy.pm",
        b"package Exporter::Easy;\n$Exporter::Easy::VERSION = '0.18';\n1;\n",
        &cpan_pmscan::ScanOptions::default(),
    );
    let found: Vec<(String, String)> = outcome
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(
        found,
        vec![("Exporter::Easy".to_string(), "0.18".to_string())]
    );
}
