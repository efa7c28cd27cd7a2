//! Unit tests with plain values. Every expected value below was produced by the real
//! `CPAN::DistnameInfo` 0.12 (perl 5.36); `tests/differential.rs` compares against it live.

use super::{DistnameInfo, Maturity};
use proptest::prelude::*;

type Fields<'a> = [Option<&'a str>; 8];

fn fields(d: &DistnameInfo) -> Fields<'_> {
    d.fields().map(|(_, value)| value)
}

fn check(path: &str, want: Fields<'_>) {
    let d = DistnameInfo::new(path);
    assert_eq!(
        fields(&d),
        want,
        "{path:?}: [dist, version, maturity, cpanid, distvname, extension, filename, pathname]"
    );
}

/// `(path, [dist, version, maturity, cpanid, distvname, extension, filename, pathname])`:
/// the POD synopsis, CPAN::DistnameInfo's own test cases, perl releases, `-TRIAL`,
/// `-withoutworldwriteables`, `.pm` names, every extension, odd paths.
#[rustfmt::skip]
const CASES: &[(&str, Fields<'static>)] = &[
    ("authors/id/G/GB/GBARR/CPAN-DistnameInfo-0.02.tar.gz", [Some("CPAN-DistnameInfo"), Some("0.02"), Some("released"), Some("GBARR"), Some("CPAN-DistnameInfo-0.02"), Some("tar.gz"), Some("CPAN-DistnameInfo-0.02.tar.gz"), Some("authors/id/G/GB/GBARR/CPAN-DistnameInfo-0.02.tar.gz")]),
    ("CPAN/authors/id/J/JA/JAMCC/ngb-101.tar.gz", [Some("ngb"), Some("101"), Some("released"), Some("JAMCC"), Some("ngb-101"), Some("tar.gz"), Some("ngb-101.tar.gz"), Some("CPAN/authors/id/J/JA/JAMCC/ngb-101.tar.gz")]),
    ("JWILLIAMS/MasonX-Lexer-MSP-0.02.tar.gz", [Some("MasonX-Lexer-MSP"), Some("0.02"), Some("released"), None, Some("MasonX-Lexer-MSP-0.02"), Some("tar.gz"), Some("JWILLIAMS/MasonX-Lexer-MSP-0.02.tar.gz"), Some("JWILLIAMS/MasonX-Lexer-MSP-0.02.tar.gz")]),
    ("id/N/NI/NI-S/Tk400.202.tar.gz", [Some("Tk"), Some("400.202"), Some("released"), Some("NI-S"), Some("Tk400.202"), Some("tar.gz"), Some("Tk400.202.tar.gz"), Some("id/N/NI/NI-S/Tk400.202.tar.gz")]),
    ("authors/id/G/GB/GBARR/perl5.005_03.tar.gz", [Some("perl"), Some("5.005_03"), Some("released"), Some("GBARR"), Some("perl5.005_03"), Some("tar.gz"), Some("perl5.005_03.tar.gz"), Some("authors/id/G/GB/GBARR/perl5.005_03.tar.gz")]),
    ("M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz", [Some("Test-Simple"), Some("0.48_01"), Some("developer"), Some("MSCHWERN"), Some("Test-Simple-0.48_01"), Some("tar.gz"), Some("Test-Simple-0.48_01.tar.gz"), Some("M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz")]),
    ("id/J/JV/JV/PostScript-Font-1.09.tar.gz", [Some("PostScript-Font"), Some("1.09"), Some("released"), Some("JV"), Some("PostScript-Font-1.09"), Some("tar.gz"), Some("PostScript-Font-1.09.tar.gz"), Some("id/J/JV/JV/PostScript-Font-1.09.tar.gz")]),
    ("CPAN/authors/id/G/GS/GSAR/perl-5.6.1-TRIAL3.tar.gz", [Some("perl"), Some("5.6.1-TRIAL3"), Some("developer"), Some("GSAR"), Some("perl-5.6.1-TRIAL3"), Some("tar.gz"), Some("perl-5.6.1-TRIAL3.tar.gz"), Some("CPAN/authors/id/G/GS/GSAR/perl-5.6.1-TRIAL3.tar.gz")]),
    ("CPAN/authors/id/J/JE/JESSE/perl-5.12.0-RC0.tar.gz", [Some("perl"), Some("5.12.0-RC0"), Some("developer"), Some("JESSE"), Some("perl-5.12.0-RC0"), Some("tar.gz"), Some("perl-5.12.0-RC0.tar.gz"), Some("CPAN/authors/id/J/JE/JESSE/perl-5.12.0-RC0.tar.gz")]),
    ("CPAN/authors/id/R/RJ/RJBS/Dist-Zilla-2.100860-TRIAL.tar.gz", [Some("Dist-Zilla"), Some("2.100860-TRIAL"), Some("developer"), Some("RJBS"), Some("Dist-Zilla-2.100860-TRIAL"), Some("tar.gz"), Some("Dist-Zilla-2.100860-TRIAL.tar.gz"), Some("CPAN/authors/id/R/RJ/RJBS/Dist-Zilla-2.100860-TRIAL.tar.gz")]),
    ("Foo-Bar-1.0-TRIAL2.tar.gz", [Some("Foo-Bar"), Some("1.0-TRIAL2"), Some("developer"), None, Some("Foo-Bar-1.0-TRIAL2"), Some("tar.gz"), Some("Foo-Bar-1.0-TRIAL2.tar.gz"), Some("Foo-Bar-1.0-TRIAL2.tar.gz")]),
    ("authors/id/X/XS/XSAWYERX/perl-5.36.0.tar.gz", [Some("perl"), Some("5.36.0"), Some("released"), Some("XSAWYERX"), Some("perl-5.36.0"), Some("tar.gz"), Some("perl-5.36.0.tar.gz"), Some("authors/id/X/XS/XSAWYERX/perl-5.36.0.tar.gz")]),
    ("authors/id/S/SH/SHAY/perl-5.37.9.tar.gz", [Some("perl"), Some("5.37.9"), Some("developer"), Some("SHAY"), Some("perl-5.37.9"), Some("tar.gz"), Some("perl-5.37.9.tar.gz"), Some("authors/id/S/SH/SHAY/perl-5.37.9.tar.gz")]),
    ("authors/id/R/RJ/RJBS/perl-5.35.10.tar.gz", [Some("perl"), Some("5.35.10"), Some("developer"), Some("RJBS"), Some("perl-5.35.10"), Some("tar.gz"), Some("perl-5.35.10.tar.gz"), Some("authors/id/R/RJ/RJBS/perl-5.35.10.tar.gz")]),
    ("authors/id/G/GS/GSAR/perl-5.6.1-TRIAL1.tar.gz", [Some("perl"), Some("5.6.1-TRIAL1"), Some("developer"), Some("GSAR"), Some("perl-5.6.1-TRIAL1"), Some("tar.gz"), Some("perl-5.6.1-TRIAL1.tar.gz"), Some("authors/id/G/GS/GSAR/perl-5.6.1-TRIAL1.tar.gz")]),
    ("perl-5.8.1-RC2.tar.gz", [Some("perl"), Some("5.8.1-RC2"), Some("developer"), None, Some("perl-5.8.1-RC2"), Some("tar.gz"), Some("perl-5.8.1-RC2.tar.gz"), Some("perl-5.8.1-RC2.tar.gz")]),
    ("perl-5.6.0.tar.gz", [Some("perl"), Some("5.6.0"), Some("released"), None, Some("perl-5.6.0"), Some("tar.gz"), Some("perl-5.6.0.tar.gz"), Some("perl-5.6.0.tar.gz")]),
    ("perl5.004_50.tar.gz", [Some("perl"), Some("5.004_50"), Some("developer"), None, Some("perl5.004_50"), Some("tar.gz"), Some("perl5.004_50.tar.gz"), Some("perl5.004_50.tar.gz")]),
    ("perl-5.7.3.tar.gz", [Some("perl"), Some("5.7.3"), Some("developer"), None, Some("perl-5.7.3"), Some("tar.gz"), Some("perl-5.7.3.tar.gz"), Some("perl-5.7.3.tar.gz")]),
    ("perl-5.10.0-RC2.tar.bz2", [Some("perl"), Some("5.10.0-RC2"), Some("developer"), None, Some("perl-5.10.0-RC2"), Some("tar.bz2"), Some("perl-5.10.0-RC2.tar.bz2"), Some("perl-5.10.0-RC2.tar.bz2")]),
    ("perl-5.10.0-TRIAL.tar.gz", [Some("perl"), Some("5.10.0-TRIAL"), Some("developer"), None, Some("perl-5.10.0-TRIAL"), Some("tar.gz"), Some("perl-5.10.0-TRIAL.tar.gz"), Some("perl-5.10.0-TRIAL.tar.gz")]),
    ("perl-c++-api.0.0_3.tar.gz", [Some("perl-c++-api"), Some("0.0_3"), Some("developer"), None, Some("perl-c++-api.0.0_3"), Some("tar.gz"), Some("perl-c++-api.0.0_3.tar.gz"), Some("perl-c++-api.0.0_3.tar.gz")]),
    ("parrot-0.4.13.tar.gz", [Some("parrot"), Some("0.4.13"), Some("released"), None, Some("parrot-0.4.13"), Some("tar.gz"), Some("parrot-0.4.13.tar.gz"), Some("parrot-0.4.13.tar.gz")]),
    ("ponie-2.tar.gz", [Some("ponie"), Some("2"), Some("released"), None, Some("ponie-2"), Some("tar.gz"), Some("ponie-2.tar.gz"), Some("ponie-2.tar.gz")]),
    ("Thread_52.tar.gz", [Some("Thread"), Some("52"), Some("released"), None, Some("Thread_52"), Some("tar.gz"), Some("Thread_52.tar.gz"), Some("Thread_52.tar.gz")]),
    ("Logger.0.34.tar.gz", [Some("Logger"), Some("0.34"), Some("released"), None, Some("Logger.0.34"), Some("tar.gz"), Some("Logger.0.34.tar.gz"), Some("Logger.0.34.tar.gz")]),
    ("VMS-Monitor-0_06.zip", [Some("VMS-Monitor"), Some("0_06"), Some("released"), None, Some("VMS-Monitor-0_06"), Some("zip"), Some("VMS-Monitor-0_06.zip"), Some("VMS-Monitor-0_06.zip")]),
    ("NISPlus-0.06-alpha.tar.gz", [Some("NISPlus"), Some("0.06-alpha"), Some("released"), None, Some("NISPlus-0.06-alpha"), Some("tar.gz"), Some("NISPlus-0.06-alpha.tar.gz"), Some("NISPlus-0.06-alpha.tar.gz")]),
    ("perlmenu.v4.0.tar.gz", [Some("perlmenu"), Some("v4.0"), Some("released"), None, Some("perlmenu.v4.0"), Some("tar.gz"), Some("perlmenu.v4.0.tar.gz"), Some("perlmenu.v4.0.tar.gz")]),
    ("Win32-Exchange_v0.036.tar.gz", [Some("Win32-Exchange"), Some("v0.036"), Some("released"), None, Some("Win32-Exchange_v0.036"), Some("tar.gz"), Some("Win32-Exchange_v0.036.tar.gz"), Some("Win32-Exchange_v0.036.tar.gz")]),
    ("Fraction-v.53b.tar.gz", [Some("Fraction"), Some("v.53b"), Some("released"), None, Some("Fraction-v.53b"), Some("tar.gz"), Some("Fraction-v.53b.tar.gz"), Some("Fraction-v.53b.tar.gz")]),
    ("WWW-Search-NorthernLight.-2.06.tar.gz", [Some("WWW-Search-NorthernLight"), Some("2.06"), Some("released"), None, Some("WWW-Search-NorthernLight.-2.06"), Some("tar.gz"), Some("WWW-Search-NorthernLight.-2.06.tar.gz"), Some("WWW-Search-NorthernLight.-2.06.tar.gz")]),
    ("apache.authznetldap.02.tar.gz", [Some("apache.authznetldap"), Some(".02"), Some("released"), None, Some("apache.authznetldap.02"), Some("tar.gz"), Some("apache.authznetldap.02.tar.gz"), Some("apache.authznetldap.02.tar.gz")]),
    ("Bio-MAGE-2002-09-02_0.tar.gz", [Some("Bio-MAGE-2002-09"), Some("02_0"), Some("released"), None, Some("Bio-MAGE-2002-09-02_0"), Some("tar.gz"), Some("Bio-MAGE-2002-09-02_0.tar.gz"), Some("Bio-MAGE-2002-09-02_0.tar.gz")]),
    ("Math-MatrixReal-Ext1-0-04.tgz", [Some("Math-MatrixReal-Ext1-0"), Some("04"), Some("released"), None, Some("Math-MatrixReal-Ext1-0-04"), Some("tgz"), Some("Math-MatrixReal-Ext1-0-04.tgz"), Some("Math-MatrixReal-Ext1-0-04.tgz")]),
    ("HTML-Macro.1-15.tgz", [Some("HTML-Macro.1"), Some("15"), Some("released"), None, Some("HTML-Macro.1-15"), Some("tgz"), Some("HTML-Macro.1-15.tgz"), Some("HTML-Macro.1-15.tgz")]),
    ("weblint++-1.14.tar.gz", [Some("weblint"), Some("++-1.14"), Some("released"), None, Some("weblint++-1.14"), Some("tar.gz"), Some("weblint++-1.14.tar.gz"), Some("weblint++-1.14.tar.gz")]),
    ("collate/Unicode-Collate-Standard-V3_1_1-0.1.tar.gz", [Some("Unicode-Collate-Standard-V3_1_1"), Some("0.1"), Some("released"), None, Some("Unicode-Collate-Standard-V3_1_1-0.1"), Some("tar.gz"), Some("collate/Unicode-Collate-Standard-V3_1_1-0.1.tar.gz"), Some("collate/Unicode-Collate-Standard-V3_1_1-0.1.tar.gz")]),
    ("Foo-Bar-undef.tar.gz", [Some("Foo-Bar"), None, Some("released"), None, Some("Foo-Bar-undef"), Some("tar.gz"), Some("Foo-Bar-undef.tar.gz"), Some("Foo-Bar-undef.tar.gz")]),
    ("Foo-Bar-undef-1.0.tar.gz", [Some("Foo-Bar-undef"), Some("1.0"), Some("released"), None, Some("Foo-Bar-undef-1.0"), Some("tar.gz"), Some("Foo-Bar-undef-1.0.tar.gz"), Some("Foo-Bar-undef-1.0.tar.gz")]),
    ("Task-Deprecations5_14-1.00.tar.gz", [Some("Task-Deprecations5_14"), Some("1.00"), Some("released"), None, Some("Task-Deprecations5_14-1.00"), Some("tar.gz"), Some("Task-Deprecations5_14-1.00.tar.gz"), Some("Task-Deprecations5_14-1.00.tar.gz")]),
    ("Software-License-Boost_1_0-v0.0.1.tar.gz", [Some("Software-License-Boost"), Some("1_0-v0.0.1"), Some("released"), None, Some("Software-License-Boost_1_0-v0.0.1"), Some("tar.gz"), Some("Software-License-Boost_1_0-v0.0.1.tar.gz"), Some("Software-License-Boost_1_0-v0.0.1.tar.gz")]),
    ("libao-perl_0.03-1.tar.gz", [Some("libao-perl"), Some("0.03-1"), Some("released"), None, Some("libao-perl_0.03-1"), Some("tar.gz"), Some("libao-perl_0.03-1.tar.gz"), Some("libao-perl_0.03-1.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.23-withoutworldwriteables.tar.gz", [Some("Foo-Bar"), Some("1.23"), Some("released"), Some("ABC"), Some("Foo-Bar-1.23-withoutworldwriteables"), Some("tar.gz"), Some("Foo-Bar-1.23-withoutworldwriteables.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.23-withoutworldwriteables.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.23-TRIAL-withoutworldwriteables.tar.gz", [Some("Foo-Bar"), Some("1.23-TRIAL"), Some("developer"), Some("ABC"), Some("Foo-Bar-1.23-TRIAL-withoutworldwriteables"), Some("tar.gz"), Some("Foo-Bar-1.23-TRIAL-withoutworldwriteables.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.23-TRIAL-withoutworldwriteables.tar.gz")]),
    ("authors/id/L/LD/LDS/CGI.pm-3.49.tar.gz", [Some("CGI"), Some("3.49"), Some("released"), Some("LDS"), Some("CGI.pm-3.49"), Some("tar.gz"), Some("CGI.pm-3.49.tar.gz"), Some("authors/id/L/LD/LDS/CGI.pm-3.49.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar.pm.gz", [None, None, Some("released"), Some("ABC"), None, None, Some("Foo-Bar.pm.gz"), Some("authors/id/A/AB/ABC/Foo-Bar.pm.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.pm.gz", [None, None, Some("released"), Some("ABC"), None, None, Some("Foo-Bar-1.0.pm.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.pm.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.zip", [Some("Foo-Bar"), Some("1.0"), Some("released"), Some("ABC"), Some("Foo-Bar-1.0"), Some("zip"), Some("Foo-Bar-1.0.zip"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.zip")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.TGZ", [Some("Foo-Bar"), Some("1.0"), Some("released"), Some("ABC"), Some("Foo-Bar-1.0"), Some("TGZ"), Some("Foo-Bar-1.0.TGZ"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.TGZ")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.bz2", [Some("Foo-Bar"), Some("1.0"), Some("released"), Some("ABC"), Some("Foo-Bar-1.0"), Some("tar.bz2"), Some("Foo-Bar-1.0.tar.bz2"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.bz2")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.Z", [Some("Foo-Bar"), Some("1.0"), Some("released"), Some("ABC"), Some("Foo-Bar-1.0"), Some("tar.Z"), Some("Foo-Bar-1.0.tar.Z"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.Z")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.xz", [None, None, Some("released"), Some("ABC"), None, None, Some("Foo-Bar-1.0.tar.xz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.tar.xz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.0.tar", [None, None, Some("released"), Some("ABC"), None, None, Some("Foo-Bar-1.0.tar"), Some("authors/id/A/AB/ABC/Foo-Bar-1.0.tar")]),
    ("authors/id/A/AB/ABC/Foo-Bar-v1.2.3.tar.gz", [Some("Foo-Bar"), Some("v1.2.3"), Some("released"), Some("ABC"), Some("Foo-Bar-v1.2.3"), Some("tar.gz"), Some("Foo-Bar-v1.2.3.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-v1.2.3.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.2a.tar.gz", [Some("Foo-Bar"), Some("1.2a"), Some("released"), Some("ABC"), Some("Foo-Bar-1.2a"), Some("tar.gz"), Some("Foo-Bar-1.2a.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.2a.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar-1.02b3.tar.gz", [Some("Foo-Bar"), Some("1.02b3"), Some("released"), Some("ABC"), Some("Foo-Bar-1.02b3"), Some("tar.gz"), Some("Foo-Bar-1.02b3.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar-1.02b3.tar.gz")]),
    ("authors/id/A/AB/ABC/Foo-Bar.tar.gz", [Some("Foo-Bar"), None, Some("released"), Some("ABC"), Some("Foo-Bar"), Some("tar.gz"), Some("Foo-Bar.tar.gz"), Some("authors/id/A/AB/ABC/Foo-Bar.tar.gz")]),
    ("authors/id/A/AB/ABC/sub/dir/Foo-Bar-2.0.tar.gz", [Some("Foo-Bar"), Some("2.0"), Some("released"), Some("ABC"), Some("Foo-Bar-2.0"), Some("tar.gz"), Some("sub/dir/Foo-Bar-2.0.tar.gz"), Some("authors/id/A/AB/ABC/sub/dir/Foo-Bar-2.0.tar.gz")]),
    ("authors//id//A/AB/ABC//Foo-1.tar.gz", [Some("Foo"), Some("1"), Some("released"), Some("ABC"), Some("Foo-1"), Some("tar.gz"), Some("Foo-1.tar.gz"), Some("authors/id/A/AB/ABC/Foo-1.tar.gz")]),
    ("/srv/cpan/authors/id/A/AB/ABC/Foo-1.tar.gz", [Some("Foo"), Some("1"), Some("released"), Some("ABC"), Some("Foo-1"), Some("tar.gz"), Some("Foo-1.tar.gz"), Some("/srv/cpan/authors/id/A/AB/ABC/Foo-1.tar.gz")]),
    ("./authors/id/A/AB/ABC/Foo-1.tar.gz", [Some("Foo"), Some("1"), Some("released"), Some("ABC"), Some("Foo-1"), Some("tar.gz"), Some("Foo-1.tar.gz"), Some("./authors/id/A/AB/ABC/Foo-1.tar.gz")]),
    ("authors/id/a/ab/abc/Foo-1.tar.gz", [Some("Foo"), Some("1"), Some("released"), None, Some("Foo-1"), Some("tar.gz"), Some("authors/id/a/ab/abc/Foo-1.tar.gz"), Some("authors/id/a/ab/abc/Foo-1.tar.gz")]),
    ("Foo-1.tar.gz", [Some("Foo"), Some("1"), Some("released"), None, Some("Foo-1"), Some("tar.gz"), Some("Foo-1.tar.gz"), Some("Foo-1.tar.gz")]),
    ("0.tar.gz", [None, None, Some("released"), None, Some("0"), Some("tar.gz"), Some("0.tar.gz"), Some("0.tar.gz")]),
    ("123.tar.gz", [Some("123"), None, Some("released"), None, Some("123"), Some("tar.gz"), Some("123.tar.gz"), Some("123.tar.gz")]),
    (".tar.gz", [None, None, Some("released"), None, None, None, Some(".tar.gz"), Some(".tar.gz")]),
    ("Foo-1.2_3.4.tar.gz", [Some("Foo"), Some("1.2_3.4"), Some("developer"), None, Some("Foo-1.2_3.4"), Some("tar.gz"), Some("Foo-1.2_3.4.tar.gz"), Some("Foo-1.2_3.4.tar.gz")]),
    ("Foo-1.0_01-TRIAL.tar.gz", [Some("Foo"), Some("1.0_01-TRIAL"), Some("developer"), None, Some("Foo-1.0_01-TRIAL"), Some("tar.gz"), Some("Foo-1.0_01-TRIAL.tar.gz"), Some("Foo-1.0_01-TRIAL.tar.gz")]),
    ("Acme-Übergrößen-1.0.tar.gz", [Some("Acme"), Some("Übergrößen-1.0"), Some("released"), None, Some("Acme-Übergrößen-1.0"), Some("tar.gz"), Some("Acme-Übergrößen-1.0.tar.gz"), Some("Acme-Übergrößen-1.0.tar.gz")]),
    ("Foo Bar-1.0.tar.gz", [Some("Foo"), Some(" Bar-1.0"), Some("released"), None, Some("Foo Bar-1.0"), Some("tar.gz"), Some("Foo Bar-1.0.tar.gz"), Some("Foo Bar-1.0.tar.gz")]),
    ("", [None, None, Some("released"), None, None, None, Some(""), Some("")]),
    ("README", [None, None, Some("released"), None, None, None, Some("README"), Some("README")]),
];

#[test]
fn table() {
    for (path, want) in CASES {
        check(path, *want);
    }
}

/// Perl's `$` also matches before a final newline, `.` does not match a newline, and the
/// `.*?` of the author-directory prefix does not cross one.
#[test]
fn newlines() {
    check(
        "Foo-1.0.tar.gz\n",
        [
            Some("Foo"),
            Some("1.0"),
            Some("released"),
            None,
            Some("Foo-1.0"),
            Some("tar.gz"),
            Some("Foo-1.0.tar.gz\n"),
            Some("Foo-1.0.tar.gz\n"),
        ],
    );
    check(
        "Foo-1.0.tar.gz\n\n",
        [
            None,
            None,
            Some("released"),
            None,
            None,
            None,
            Some("Foo-1.0.tar.gz\n\n"),
            Some("Foo-1.0.tar.gz\n\n"),
        ],
    );
    check(
        "Foo-1.0-withoutworldwriteables\n.tar.gz",
        [
            Some("Foo"),
            Some("1.0\n"),
            Some("released"),
            None,
            Some("Foo-1.0-withoutworldwriteables\n"),
            Some("tar.gz"),
            Some("Foo-1.0-withoutworldwriteables\n.tar.gz"),
            Some("Foo-1.0-withoutworldwriteables\n.tar.gz"),
        ],
    );
    check(
        "perl-5.7.3\n.tar.gz",
        [
            Some("perl"),
            Some("5.7.3\n"),
            Some("developer"),
            None,
            Some("perl-5.7.3\n"),
            Some("tar.gz"),
            Some("perl-5.7.3\n.tar.gz"),
            Some("perl-5.7.3\n.tar.gz"),
        ],
    );
    check(
        "Foo-V1-2\nx.tar.gz",
        [
            Some("Foo-V1"),
            Some("2\nx"),
            Some("released"),
            None,
            Some("Foo-V1-2\nx"),
            Some("tar.gz"),
            Some("Foo-V1-2\nx.tar.gz"),
            Some("Foo-V1-2\nx.tar.gz"),
        ],
    );
    check(
        "Foo-a\nb_c-1.tar.gz",
        [
            Some("Foo"),
            Some("ab_c1"),
            Some("released"),
            None,
            Some("Foo-a\nb_c-1"),
            Some("tar.gz"),
            Some("Foo-a\nb_c-1.tar.gz"),
            Some("Foo-a\nb_c-1.tar.gz"),
        ],
    );
    check(
        "Foo-12\n.tar.gz",
        [
            Some("Foo"),
            Some("12\n"),
            Some("released"),
            None,
            Some("Foo-12\n"),
            Some("tar.gz"),
            Some("Foo-12\n.tar.gz"),
            Some("Foo-12\n.tar.gz"),
        ],
    );
    let d = DistnameInfo::new("foo\n/authors/id/A/AB/ABC/Foo-1.tar.gz");
    assert_eq!(d.cpanid(), None);
    assert_eq!(d.filename(), Some("foo\n/authors/id/A/AB/ABC/Foo-1.tar.gz"));
}

/// `($1 > 6 and $1 & 1) or ($2 and $2 >= 50) or $3`, with Perl's numeric conversions.
#[test]
fn perl_release_maturity() {
    let maturity = |p: &str| DistnameInfo::new(p).maturity_kind();
    assert_eq!(maturity("perl-5.36.0.tar.gz"), Maturity::Released);
    assert_eq!(maturity("perl-5.37.0.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl-5.6.0.tar.gz"), Maturity::Released);
    assert_eq!(maturity("perl-5.5.0.tar.gz"), Maturity::Released); // odd, but not > 6
    assert_eq!(maturity("perl-5.7.0.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl5.005_03.tar.gz"), Maturity::Released);
    assert_eq!(maturity("perl5.004_50.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl5.8.49.tar.gz"), Maturity::Released);
    assert_eq!(maturity("perl5.6.0050.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl-5.6.1-TRIAL1.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl-5.6.1-RC1.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("perl-5.6-RC1.tar.gz"), Maturity::Developer);
    // Fits in a UV: its parity counts; beyond UV_MAX, `& 1` sees UV_MAX (odd).
    assert_eq!(
        maturity("perl-5.18446744073709551614.tar.gz"),
        Maturity::Released
    );
    assert_eq!(
        maturity("perl-5.18446744073709551615.tar.gz"),
        Maturity::Developer
    );
    assert_eq!(
        maturity("perl-5.18446744073709551616.tar.gz"),
        Maturity::Developer
    );
    assert_eq!(
        maturity("perl-5.000000000000000000000000000008.tar.gz"),
        Maturity::Released
    );
    // Not the perl pattern (lower-case, no digits after TRIAL): the generic tests apply.
    assert_eq!(maturity("perl-5.8.0-TRIAL.tar.gz"), Maturity::Developer);
    assert_eq!(maturity("Perl-5.7.3.tar.gz"), Maturity::Released);
}

#[test]
fn maturity_type() {
    let d = DistnameInfo::new("authors/id/M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz");
    assert!(d.is_developer());
    assert_eq!(d.maturity_kind(), Maturity::Developer);
    assert_eq!(Maturity::Developer.to_string(), "developer");
    assert_eq!(Maturity::Released.as_str(), "released");
    assert!(!DistnameInfo::new("Foo-1.tar.gz").is_developer());
    // A path without any version still has a maturity, as in Perl.
    assert_eq!(DistnameInfo::new("").maturity(), Some("released"));
}

/// Perl's `properties` returns the object's hash: `cpanid`, `distvname` and `extension`
/// only when found, `dist` and `version` always (maybe undefined).
#[test]
fn properties_keys() {
    let keys = |p: &str| -> Vec<&'static str> {
        DistnameInfo::new(p)
            .properties()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(
        keys("authors/id/A/AB/ABC/Foo-1.tar.gz"),
        [
            "dist",
            "version",
            "maturity",
            "cpanid",
            "distvname",
            "extension",
            "filename",
            "pathname"
        ]
    );
    assert_eq!(
        keys("README"),
        ["dist", "version", "maturity", "filename", "pathname"]
    );
    let d = DistnameInfo::new("Foo.tar.gz");
    let props = d.properties();
    assert!(props.contains(&("version", None)));
    assert!(props.contains(&("distvname", Some("Foo"))));
}

/// The port is linear; Perl's `(.+_.*)-(\d.*)` is cubic on runs of `_` (8000 of them take
/// Perl minutes), so these are not in the differential test at this size.
#[test]
fn pathological_inputs_are_fast() {
    let start = std::time::Instant::now();
    let underscores = format!("Foo-{}-1.tar.gz", "_".repeat(1 << 20));
    let d = DistnameInfo::new(&underscores);
    // `-____` moves to the dist and back into the version, whose leading `_` are stripped.
    assert_eq!((d.dist(), d.version()), (Some("Foo"), Some("1")));
    let digits = format!("{}.tar.gz", "1".repeat(1 << 20));
    assert_eq!(DistnameInfo::new(&digits).version(), None);
    let mixed = format!("{}.tar.gz", "a-1".repeat(1 << 18));
    assert!(DistnameInfo::new(&mixed).dist().is_some());
    let slashes = "/".repeat(1 << 20);
    assert_eq!(DistnameInfo::new(&slashes).pathname(), Some("/"));
    let authors = "x/authors/id/A/AB/".repeat(1 << 15);
    assert_eq!(DistnameInfo::new(&authors).cpanid(), None);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any string: no panic, and the structural relations between the fields hold.
    #[test]
    fn invariants(path in ".{0,80}") {
        check_invariants(&path);
    }

    /// Strings made of the characters the heuristics care about.
    #[test]
    fn invariants_on_interesting_chars(
        path in "(authors/id/|A/AB/ABC/|[-_.+vV0-9aZ/\n é]|TRIAL|perl|\\.tar\\.gz|\\.zip){0,30}"
    ) {
        check_invariants(&path);
    }
}

fn check_invariants(path: &str) {
    let d = DistnameInfo::new(path);
    let pathname = d.pathname().unwrap_or_default();
    assert!(!pathname.contains("//"));
    assert_eq!(pathname.replace('/', ""), path.replace('/', ""));
    let filename = d.filename().unwrap_or_default();
    assert!(pathname.ends_with(filename));
    assert!(d.maturity().is_some());
    assert_eq!(d.cpanid().is_some(), filename.len() < pathname.len());
    assert_eq!(d.distvname().is_some(), d.extension().is_some());
    if let (Some(name), Some(ext)) = (d.distvname(), d.extension()) {
        let tail = format!("{name}.{ext}");
        assert!(filename.ends_with(&tail) || filename.ends_with(&format!("{tail}\n")));
        if name != "0" {
            assert!(d.dist().is_some());
        }
    } else {
        assert_eq!((d.dist(), d.version()), (None, None));
    }
    if d.version().is_none() && d.dist().is_some() {
        assert_eq!(d.maturity_kind(), Maturity::Released);
    }
    assert_eq!(d.clone(), d);
}
