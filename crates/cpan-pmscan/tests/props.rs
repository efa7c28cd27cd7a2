//! Property tests: no input makes the scanner or the evaluator panic or run away.

use cpan_pmscan::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("RIVERPAN_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Fragments of Perl that `$VERSION` lines are made of, to reach deep into the evaluator.
fn perlish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "$VERSION",
        "our",
        "my",
        "local",
        "=",
        "'1.0'",
        "\"1.$x\"",
        "q{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ",",
        "=~",
        "/(\\d+)/g",
        "s/_//g",
        "tr/_//d",
        "sprintf",
        "\"%d.%02d\"",
        "eval",
        "do {",
        "qv(",
        "version->new(",
        "->numify",
        "1.2.3",
        "v1.2",
        "0x1f",
        "1e3",
        "x",
        ".",
        "?",
        ":",
        "||=",
        "$#r",
        "@r",
        "q$Revision: 1.5 $",
        "qw(a b)",
        "\\",
        "*VERSION",
        "package Foo;",
        "use vars",
        "~",
        "-",
        "!",
        "**",
        "undef",
        "defined",
        "substr",
        "join",
        "split",
        "reverse",
        "${",
        "$1",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn examine_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let o = examine_pmfile("X-1/lib/X.pm", &bytes, &ScanOptions::default());
        for p in &o.packages {
            prop_assert!(!p.name.is_empty());
        }
    }

    #[test]
    fn examine_never_panics_on_perlish_files(lines in prop::collection::vec(perlish(), 0..12)) {
        let src = lines.join("\n");
        let _ = examine_pmfile("X-1/lib/Foo.pm", src.as_bytes(), &ScanOptions::default());
    }

    #[test]
    fn evaluator_never_panics(line in "\\$VERSION = .{0,200}") {
        let _ = evaluate_version_line(&line);
    }

    #[test]
    fn evaluator_never_panics_on_perlish(line in perlish()) {
        let _ = evaluate_version_line(&format!("$VERSION = {line}"));
    }

    #[test]
    fn normalize_never_panics(s in ".{0,40}") {
        let _ = normalize_version(&s);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for open in ["(", "do { ", "[", "-", "!", "\\", "eval { "] {
        let line = format!("$VERSION = {}1;", open.repeat(100_000));
        assert!(evaluate_version_line(&line).is_err(), "{open}");
    }
    // Self-reproducing string evals stop at the nesting limit.
    let line = "$VERSION = 1; $x = 'eval $x'; eval $x;";
    let _ = evaluate_version_line(line);
    let big = "$VERSION = '1' x 1e12;";
    assert!(matches!(
        evaluate_version_line(big),
        Err(EvalFailure::Unevaluable { .. })
    ));
}
