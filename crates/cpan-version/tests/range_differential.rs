//! Differential test of version ranges: Perl's `CPAN::Meta::Requirements` (2.140, perl 5.36)
//! and riverpan answer the same questions about thousands of generated requirement strings, and
//! every answer must agree.
//!
//! One Perl process reads every case from a temporary JSON file and writes one JSON line per
//! case:
//!
//! * single requirement `s`: `add_string_requirement('M', s)` on a fresh object; the error (if
//!   any, without ` at FILE line N.` and the stack trace), `requirements_for_module('M')`, and
//!   `accepts_module('M', p)` for every probe version `p` (`1`, `0`, or `E` when it dies);
//! * pair `(a, b)`, sequentially: `add_string_requirement('M', a)` then
//!   `add_string_requirement('M', b)` on one object (each may fail; what was added stays), with
//!   both errors, the resulting string and the probes;
//! * pair `(a, b)`, merged: when `a` and `b` are each valid, `$ra->add_requirements($rb)`
//!   (which is what [`VersionRange::intersect`] models), with its error, string and probes.
//!
//! riverpan answers with [`Requirements`] (same calls) and with [`VersionRange`] (parse,
//! accepts, intersect), and both must give Perl's answers.

use cpan_version::{RangeError, Requirements, VersionRange};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// The Perl side. It reads `{probes, singles, pairs}` from the file named by its first argument
/// and writes its answers to the file named by the second.
const PERL_HARNESS: &str = r#"
use strict;
use warnings;
use CPAN::Meta::Requirements;
use JSON::PP;

$SIG{__WARN__} = sub { };   # "Undefined requirement for M treated as '0'"
my $json = JSON::PP->new->utf8->canonical;
my ($in, $out) = @ARGV;
open my $fh, '<:raw', $in or die "$in: $!";
my $data = $json->decode(do { local $/; <$fh> });
close $fh;
open my $o, '>:raw', $out or die "$out: $!";
print {$o} $json->encode({ version => CPAN::Meta::Requirements->VERSION }), "\n";

# Character strings, so that \s follows Unicode rules whatever the content.
my @probes = @{ $data->{probes} };
utf8::upgrade($_) for @probes;
my $location = quotemeta $INC{'CPAN/Meta/Requirements.pm'};

sub clean {
    my ($e) = @_;
    if ($e =~ /\ACan't convert/) { $e =~ s/\n\z//; }
    else { $e =~ s/ at $location line \d+\.\n.*\z//s; }
    return $e;
}
sub attempt {
    my ($code) = @_;
    my $ok = eval { $code->(); 1 };
    return $ok ? undef : clean("$@");
}
sub state_of {
    my ($r) = @_;
    my $acc = '';
    for my $p (@probes) {
        my $yes;
        my $ok = eval { $yes = $r->accepts_module('M', $p); 1 };
        $acc .= !$ok ? 'E' : $yes ? '1' : '0';
    }
    return (req => scalar $r->requirements_for_module('M'), acc => $acc);
}

for my $s (@{ $data->{singles} }) {
    utf8::upgrade($s);
    my $r = CPAN::Meta::Requirements->new;
    my $err = attempt(sub { $r->add_string_requirement('M', $s) });
    print {$o} $json->encode({ err => $err, state_of($r) }), "\n";
}

for my $pair (@{ $data->{pairs} }) {
    my ($a, $b) = @$pair;
    utf8::upgrade($a);
    utf8::upgrade($b);
    my $r = CPAN::Meta::Requirements->new;
    my $err_a = attempt(sub { $r->add_string_requirement('M', $a) });
    my $err_b = attempt(sub { $r->add_string_requirement('M', $b) });
    my %answer = (err_a => $err_a, err_b => $err_b, state_of($r));

    my $ra = CPAN::Meta::Requirements->new;
    my $rb = CPAN::Meta::Requirements->new;
    my $ok_a = !defined attempt(sub { $ra->add_string_requirement('M', $a) });
    my $ok_b = !defined attempt(sub { $rb->add_string_requirement('M', $b) });
    if ($ok_a && $ok_b && defined $ra->requirements_for_module('M')
        && defined $rb->requirements_for_module('M')) {
        my $err = attempt(sub { $ra->add_requirements($rb) });
        my %merged = (err => $err, state_of($ra));
        $answer{merged} = \%merged;
    }
    print {$o} $json->encode(\%answer), "\n";
}
close $o or die "$out: $!";
"#;

/// Versions `accepts_module` is asked about (the last ones cannot be converted).
const PROBES: &[&str] = &[
    "0", "0.0", "0.5", ".5", "v0.5", "1", "1.0", "1.002", "1.2", "1.20", "1.2_3", "1.2.3",
    "v1.2.3", "1.5", "v1.5.0", "1.6", "1.999", "2", "2.0", "2.000001", "2.5", "3", "10", "undef",
    "1.2 ", "foo", "v1.2_3",
];

/// Versions that convert (some equal to each other, written differently).
const GOOD_VERSIONS: &[&str] = &[
    "0",
    "0.0",
    "0.00",
    "1",
    "1.0",
    "1.00",
    "1.5",
    "1.50",
    "1.500",
    "1.2",
    "1.20",
    "1.02",
    "1.002",
    "2",
    "2.0",
    "2.5",
    "3",
    "10",
    "0.5",
    ".5",
    "1.2_3",
    "1.02_03",
    "1.2.3",
    "v1.2.3",
    "v1.2",
    "v1",
    "v1.5.0",
    "1.5.0",
    "v2.0.0",
    "v0.5",
    "1.2.3_4",
    "v1.2_3",
    "1.",
    "undef",
    "1.2.3.4",
    "v1.500",
    "2.000001",
    "1.999",
    " 1.2",
    "1.2\u{0}x",
    "2.0_0",
    "v1.2.3.0",
];

/// Versions that do not convert, for all of `CPAN::Meta::Requirements`' reasons.
const BAD_VERSIONS: &[&str] = &[
    "",
    "foo",
    "1a",
    "1.2.3_4_5",
    "1_2",
    "-1",
    "+1",
    "v",
    "version",
    "99999999999",
    "1..2",
    "1.2.3.",
    "0x10",
    "1e5",
    "1.2;",
    "1.2 3",
    "1.2 ",
    "1.2\t",
    "1 .2",
    "v1.2.3 ",
    "1.2{",
    "undef ",
    "\u{e9}",
    "1.2 ;x",
    "v1.2.3.4_5_6",
    "1.2_3_4",
    "1.2 ; at x line 3",
    "v1.",
    "4294967296.1",
    "v1.4294967296",
    "1.2.3a",
    "1.2_",
    "_1",
    "1._2",
    "v1.2_",
    "\u{a0}1",
];

const OPERATORS: &[&str] = &["==", "!=", ">=", "<=", ">", "<"];
const BAD_OPERATORS: &[&str] = &["=>", "=", "=<", "!", "<>", "= =", "> =", "~"];
const SPACES: &[&str] = &["", " ", "  ", "\t", "\n", "\u{a0}", "\u{2003}"];
const SEPARATORS: &[&str] = &[
    ", ",
    ",",
    " , ",
    " ,",
    ",  ",
    "\t,\t",
    ",\n",
    "\u{a0},",
    ", \u{2003}",
    ",,",
    ", ,",
];

/// A deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One generated requirement string of up to `max_parts` parts; `bad_percent` is how often a
/// part is malformed.
fn requirement(rng: &mut Rng, max_parts: usize, bad_percent: usize) -> String {
    let mut out = String::new();
    if rng.percent(5) {
        out.push_str(rng.pick(SPACES));
    }
    let parts = 1 + rng.below(max_parts);
    for i in 0..parts {
        if i > 0 {
            out.push_str(if rng.percent(85) {
                ", "
            } else {
                rng.pick(SEPARATORS)
            });
        }
        let version = if rng.percent(bad_percent) {
            rng.pick(BAD_VERSIONS)
        } else {
            rng.pick(GOOD_VERSIONS)
        };
        if rng.percent(15) {
            out.push_str(version); // a bare version
            continue;
        }
        let op = if rng.percent(bad_percent / 2) {
            rng.pick(BAD_OPERATORS)
        } else {
            rng.pick(OPERATORS)
        };
        out.push_str(op);
        out.push_str(if rng.percent(80) {
            " "
        } else {
            rng.pick(SPACES)
        });
        out.push_str(version);
    }
    if rng.percent(5) {
        out.push_str(rng.pick(&[" ", ",", ", ", "\n", " ,"]));
    }
    out
}

/// Hand-written cases: the documentation's and the test suite's, and edge cases of the syntax.
fn handpicked() -> Vec<String> {
    let mut cases: Vec<String> = [
        "",
        "0",
        ">= 0",
        "0.00",
        "1.3",
        "== 1.3",
        "!= 1.3",
        ">= 1.3",
        "<= 1.3",
        ">= 1.3, <= 2.0, != 1.6",
        ">= 2, <= 9, != 7",
        "= 2",
        "not really a version",
        ">= 1.2, < 2, != 1.5",
        "== 1.0",
        "> 1",
        "<= 2",
        "1.2",
        ">= ",
        "foo",
        "=> 1",
        "1.2.3_4_5",
        "1a",
        ",",
        " , ",
        ",1",
        "1,",
        ">=",
        "version",
        ".5",
        ".5.6",
        "v1.2",
        "v50.44.60",
        "> 1, < 1",
        "!= 3, == 3",
        "== 3, != 3",
        ">= 5, == 3",
        "== 3, >= 4",
        "== 3, <= 2",
        " 0, <= 3",
        "0, <= 3",
        "<= 3, 0",
        "<= 3, 0.0",
        ">=\n1",
        ">= 1\n",
        "1\n",
        " undef",
        "undef ",
        ">= 1, >= 1.0",
        ">= 1.0, >= 1",
        "<= 1, <= 1.0",
        "!= 1.0, != 1",
        ">= 1, != 1.0, != 1",
        ">= 1, <= 1.0",
        "> 1, <= 2, != 2",
        "< 0",
        "> 0",
        "!= 0",
        "== 0",
        "<= 0",
        "<= 0, >= 0",
        ">= 0.0, <= 0",
        // Odd characters: Unicode white space (\s in Perl's regular expressions, not in
        // version.pm), NUL (where version.pm's C code stops), non-ASCII after a version.
        "1.2;\u{e9}",
        "1.2 3\u{e9}",
        "1.2\u{0}",
        "\u{0}",
        "1.2\r",
        "\u{b}1.2",
        "\u{85}1.2",
        "1.2\u{85}",
        "v1.2.3\u{2028}",
        "1.2 }",
        "1.2{x",
        ">= 1.2 ;",
        "<=\u{a0}1",
        "== \u{3000}1",
        "1\u{2003},\u{2003}2",
        ">=\u{85}1",
        "\u{feff}1",
        "1\u{0},2",
        "\u{0}, 1",
        // Newlines and ` at ... line N` inside version.pm's warning, which Perl's clean-up
        // regular expression cuts short.
        "1.2 \n3",
        "1.2\n3 at x line 4",
        "1.2 ;\n at x line 5",
        "1.2 ; at x line 5\n",
        "1.2 ; at x line 5\n\n",
        ">= 1 ;at line 5",
        "1 ; at  line 5",
        // Component limits.
        "v1.2147483647",
        "v1.2147483648",
        "1.2147483648",
        "2147483647.1",
        "2147483648",
        "1.2.2147483648",
        "v2147483647",
        "== 2147483647",
        "< 1.2147483647",
        // Alpha versions and normal forms.
        "1.2.3_4",
        "v1.2.3_4",
        "1.2_3, != 1.23",
        "== 1.2_3, >= 1.23",
        "v1.2_3, <= 1.23",
        "1.002_003",
        "v1.0_1",
        "0.000_001",
        "1.2_0",
        "1_0.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for v in GOOD_VERSIONS.iter().chain(BAD_VERSIONS) {
        cases.push(v.to_string());
        for op in OPERATORS {
            cases.push(format!("{op} {v}"));
        }
    }
    cases
}

/// Perl's answer for one case, or ours in the same shape.
#[derive(Debug, Clone, PartialEq)]
struct State {
    req: Option<String>,
    acc: String,
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn perl_state(v: &Value) -> State {
    State {
        req: str_field(v, "req"),
        acc: str_field(v, "acc").unwrap_or_default(),
    }
}

fn our_state(req: &Requirements) -> State {
    State {
        req: req.requirements_for_module("M"),
        acc: PROBES
            .iter()
            .map(|p| match req.accepts_module("M", p) {
                Ok(true) => '1',
                Ok(false) => '0',
                Err(_) => 'E',
            })
            .collect(),
    }
}

fn range_state(range: &VersionRange) -> State {
    State {
        req: Some(range.to_string()),
        acc: PROBES
            .iter()
            .map(|p| match range.accepts_str(p) {
                Ok(true) => '1',
                Ok(false) => '0',
                Err(_) => 'E',
            })
            .collect(),
    }
}

fn err_text<T>(result: Result<T, impl std::fmt::Display>) -> Option<String> {
    result.err().map(|e| e.to_string())
}

/// The error a [`VersionRange`] reports, worded for module `M`; `None` for Perl's silent
/// "nothing recorded" (a string of commas and white space).
fn range_err(e: &RangeError) -> Option<String> {
    match e {
        RangeError::NoRequirement { .. } => None,
        other => Some(other.message_for("M")),
    }
}

/// Runs the Perl harness on the cases, returning the header and one JSON value per case.
fn run_perl(singles: &[String], pairs: &[(String, String)]) -> (Value, Vec<Value>) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let stem = format!("range-differential-{}", std::process::id());
    let input = dir.join(format!("{stem}.in.json"));
    let output = dir.join(format!("{stem}.out.jsonl"));
    let script = dir.join(format!("{stem}.pl"));
    let pairs_json: Vec<Value> = pairs
        .iter()
        .map(|(a, b)| Value::from(vec![a.as_str(), b.as_str()]))
        .collect();
    let data = serde_json::json!({ "probes": PROBES, "singles": singles, "pairs": pairs_json });
    std::fs::write(&input, data.to_string()).expect("write the Perl input");
    std::fs::write(&script, PERL_HARNESS).expect("write the Perl harness");
    let status = Command::new("perl")
        .arg(&script)
        .arg(&input)
        .arg(&output)
        .status()
        .expect("perl must be installed, with CPAN::Meta::Requirements and JSON::PP");
    assert!(status.success(), "the Perl harness failed: {status}");
    let text = std::fs::read_to_string(&output).expect("read the Perl output");
    for path in [&input, &output, &script] {
        let _ = std::fs::remove_file(path);
    }
    let mut lines = text.lines().map(|l| {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad Perl line {l:?}: {e}"))
    });
    let header = lines.next().expect("the Perl harness wrote nothing");
    let answers: Vec<Value> = lines.collect();
    assert_eq!(
        answers.len(),
        singles.len() + pairs.len(),
        "the Perl harness answered a different number of cases"
    );
    (header, answers)
}

/// The one documented difference: in `Version string '...' contains invalid data; ignoring:
/// '...'`, Perl shows non-ASCII characters UTF-8-encoded twice (`é` as `Ã©`), because
/// `version.pm` builds that text from the string's bytes and `CPAN::Meta::Requirements` then
/// joins it to a character string. riverpan keeps the characters. This is riverpan's message
/// with Perl's double encoding.
fn double_encoded(ours: &str) -> String {
    const MARK: &str = "Invalid version: Version string '";
    let Some(at) = ours.find(MARK) else {
        return ours.to_string();
    };
    let mut out = ours[..at].to_string();
    for c in ours[at..].chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.extend(c.to_string().bytes().map(char::from));
        }
    }
    out
}

/// Collects mismatches as readable lines.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    compared: usize,
    /// Error messages that differ only by Perl's double encoding (see [`double_encoded`]).
    double_encoded: usize,
}

impl Report {
    fn check_error(
        &mut self,
        case: &str,
        what: &str,
        perl: &Option<String>,
        ours: &Option<String>,
    ) {
        if let (Some(p), Some(o)) = (perl, ours) {
            if p != o && *p == double_encoded(o) {
                self.compared += 1;
                self.double_encoded += 1;
                return;
            }
        }
        self.check(case, what, perl, ours);
    }

    fn check<T: PartialEq + std::fmt::Debug>(&mut self, case: &str, what: &str, perl: T, ours: T) {
        self.compared += 1;
        if perl != ours {
            let mut line = String::new();
            let _ = write!(
                line,
                "{case}\n    {what}:\n      perl: {perl:?}\n      ours: {ours:?}"
            );
            self.lines.push(line);
        }
    }
}

#[test]
fn ranges_agree_with_cpan_meta_requirements() {
    let mut rng = Rng(0x5EED_2140_0F00_D00D);
    let mut singles = handpicked();
    let handpicked_count = singles.len();
    for _ in 0..6000 {
        singles.push(requirement(&mut rng, 4, 15));
    }
    // Pairs of mostly valid requirements, so that most intersections are computed.
    let mut pairs = Vec::new();
    for _ in 0..8000 {
        pairs.push((requirement(&mut rng, 2, 3), requirement(&mut rng, 3, 3)));
    }
    // And the pairs of the hand-written cases that are short enough.
    let short: Vec<&String> = singles[..handpicked_count]
        .iter()
        .filter(|s| s.len() <= 12)
        .take(60)
        .collect();
    for a in &short {
        for b in &short {
            pairs.push(((*a).clone(), (*b).clone()));
        }
    }

    let (header, answers) = run_perl(&singles, &pairs);
    assert_eq!(
        header.get("version").and_then(Value::as_str),
        Some("2.140"),
        "riverpan follows CPAN::Meta::Requirements 2.140"
    );

    let mut report = Report::default();
    let mut counts = [0usize; 6]; // singles ok, singles err, seq ok, seq err, merged ok, merged err
    for (s, perl) in singles.iter().zip(&answers) {
        let case = format!("single {s:?}");
        let perl_err = str_field(perl, "err");
        counts[usize::from(perl_err.is_some())] += 1;
        let mut req = Requirements::new();
        let ours_err = err_text(req.add_string_requirement("M", s));
        report.check_error(&case, "error (Requirements)", &perl_err, &ours_err);
        report.check(
            &case,
            "state (Requirements)",
            perl_state(perl),
            our_state(&req),
        );

        // VersionRange::parse: same error, or the same range.
        match VersionRange::parse(s) {
            Ok(range) => {
                report.check(&case, "error (VersionRange)", &perl_err, &None);
                report.check(&case, "range", perl_state(perl), range_state(&range));
                // Parsing the display again gives the same display.
                let again = VersionRange::parse(&range.to_string()).map(|r| r.to_string());
                report.check(
                    &case,
                    "reparse",
                    Ok(range.to_string()),
                    again.map_err(|e| e.to_string()),
                );
            }
            Err(e) => {
                report.check_error(&case, "error (VersionRange)", &perl_err, &range_err(&e));
                if perl_err.is_none() {
                    report.check(&case, "nothing recorded", &None, &str_field(perl, "req"));
                }
            }
        }
    }

    let mut merged_compared = 0;
    for ((a, b), perl) in pairs.iter().zip(&answers[singles.len()..]) {
        let case = format!("pair {a:?} then {b:?}");
        let mut req = Requirements::new();
        let err_a = err_text(req.add_string_requirement("M", a));
        let err_b = err_text(req.add_string_requirement("M", b));
        report.check_error(&case, "first error", &str_field(perl, "err_a"), &err_a);
        report.check_error(&case, "second error", &str_field(perl, "err_b"), &err_b);
        report.check(&case, "sequential state", perl_state(perl), our_state(&req));
        counts[2 + usize::from(err_a.is_some() || err_b.is_some())] += 1;

        let ranges = (VersionRange::parse(a), VersionRange::parse(b));
        let perl_merged = perl.get("merged").filter(|m| !m.is_null());
        match (perl_merged, ranges) {
            (Some(merged), (Ok(ra), Ok(rb))) => {
                merged_compared += 1;
                let perl_err = str_field(merged, "err");
                counts[4 + usize::from(perl_err.is_some())] += 1;
                let ours = ra.intersect(&rb);
                report.check(
                    &case,
                    "intersection error",
                    &perl_err,
                    &ours.as_ref().err().map(|e| e.message_for("M")),
                );
                // Requirements::add_requirements must do the same.
                let (mut qa, mut qb) = (Requirements::new(), Requirements::new());
                let _ = qa.add_string_requirement("M", a);
                let _ = qb.add_string_requirement("M", b);
                let added = err_text(qa.add_requirements(&qb));
                report.check(&case, "add_requirements error", &perl_err, &added);
                report.check(
                    &case,
                    "add_requirements state",
                    perl_state(merged),
                    our_state(&qa),
                );
                if let Ok(range) = &ours {
                    report.check(
                        &case,
                        "intersection",
                        perl_state(merged),
                        range_state(range),
                    );
                }
            }
            (None, (Ok(_), Ok(_))) => {
                report.check(
                    &case,
                    "both parse",
                    "perl refused one",
                    "riverpan parsed both",
                );
            }
            (Some(_), _) => {
                report.check(
                    &case,
                    "both parse",
                    "perl parsed both",
                    "riverpan refused one",
                );
            }
            (None, _) => {}
        }
    }

    eprintln!(
        "range differential: {} single requirements ({} accepted, {} refused), {} pairs added \
         in sequence ({} without error, {} with one), {} intersections ({} non-empty, {} \
         conflicts), {} probes each; {} fields compared, {} error messages differing only by \
         Perl's double encoding",
        singles.len(),
        counts[0],
        counts[1],
        pairs.len(),
        counts[2],
        counts[3],
        merged_compared,
        counts[4],
        counts[5],
        PROBES.len(),
        report.compared,
        report.double_encoded
    );
    assert!(
        report.lines.is_empty(),
        "{} of {} fields differ from CPAN::Meta::Requirements; the first ones:\n{}",
        report.lines.len(),
        report.compared,
        report
            .lines
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The generator must keep exercising every kind of outcome.
    assert!(
        counts.iter().all(|&c| c > 100),
        "too few cases of some kind: {counts:?}"
    );
}
