//! Differential tests of `cpanfile.snapshot` reading and writing against Carton 1.0.35
//! (Debian's `carton`): `Carton::Snapshot->load` (its parser) and
//! `Carton::Snapshot::Emitter->emit`.
//!
//! * Writing: for generated snapshot data (odd requirement strings, `undef` versions, repeated
//!   names, names Carton cannot read back), Carton builds its objects (`Carton::Dist`,
//!   `add_string_requirement`) and emits them; ours must write the same bytes, or refuse data
//!   Carton's own parser would not read back as Carton held it.
//! * Reading back: Carton loads every file we write, and every field it reads must be the data
//!   we wrote; we read every file Carton writes, with the same result as Carton.
//! * Reading odd files: mutated snapshots (lines added, removed, re-indented with tabs and
//!   Unicode spaces, `\r\n`, sections, conflicting requirements...) must be accepted or refused
//!   by both parsers alike, with the same fields or the same offending line.
//! * Why the sha256 is in a sidecar: Carton refuses an extra `sha256:` key, and misreads the
//!   other places one could hide it.
//!
//! The tests skip (with a message) when perl cannot load Carton::Snapshot, or with
//! `RIVERPAN_SKIP_PERL=1`.

mod common;

use common::{perl_with, run_perl, strip_perl_location, Rng};
use cpan_cpanfile::{Error, Snapshot, SnapshotDistribution};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Loads each file named on the command line with `Carton::Snapshot->load`.
const PARSE_HARNESS: &str = r#"
use strict;
use warnings;
use Carton::Snapshot;
use JSON::PP;
my $json = JSON::PP->new->utf8->canonical;
$SIG{__WARN__} = sub { };
for my $file (@ARGV) {
    my $snapshot = Carton::Snapshot->new(path => $file);
    my $ok = eval { $snapshot->load; 1 };
    if (!$ok) {
        print $json->encode({ error => "$@" }), "\n";
        next;
    }
    my @dists = map {
        my $dist = $_;
        {
            name => $dist->name,
            pathname => $dist->pathname,
            provides => { map { $_ => $dist->provides->{$_}{version} } keys %{ $dist->provides } },
            requirements => $dist->requirements->as_string_hash,
        }
    } $snapshot->distributions;
    print $json->encode({ distributions => \@dists }), "\n";
}
"#;

/// Builds Carton's objects from JSON data (a list of snapshots) and emits each.
const EMIT_HARNESS: &str = r#"
use strict;
use warnings;
use Carton::Snapshot;
use Carton::Dist;
use Carton::Snapshot::Emitter;
use JSON::PP;
my $json = JSON::PP->new->utf8->canonical;
$SIG{__WARN__} = sub { };
my $input = $json->decode(do { local $/; <STDIN> });
for my $data (@$input) {
    my $snapshot = Carton::Snapshot->new(path => '/nonexistent/cpanfile.snapshot');
    my $ok = eval {
        for my $d (@$data) {
            my $dist = Carton::Dist->new(
                name => $d->{name},
                pathname => $d->{pathname},
                provides => { map { $_ => { version => $d->{provides}{$_} } } keys %{ $d->{provides} } },
            );
            $dist->add_string_requirement($_, $d->{requirements}{$_})
                for sort keys %{ $d->{requirements} };
            $snapshot->add_distribution($dist);
        }
        1;
    };
    if (!$ok) {
        print $json->encode({ error => "$@" }), "\n";
        next;
    }
    my @held = map {
        my $dist = $_;
        {
            name => $dist->name,
            pathname => $dist->pathname,
            provides => { map { $_ => $dist->provides->{$_}{version} } keys %{ $dist->provides } },
            requirements => $dist->requirements->as_string_hash,
        }
    } sort { $a->name cmp $b->name } $snapshot->distributions;
    print $json->encode({ text => Carton::Snapshot::Emitter->new->emit($snapshot), held => \@held }), "\n";
}
"#;

fn carton_available() -> bool {
    perl_with(&["Carton::Snapshot", "JSON::PP"], "carton")
}

/// Carton's reading of each text (written to files and loaded).
fn carton_parse(texts: &[String]) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.path().join(format!("{i:04}.snapshot"));
            std::fs::write(&path, text).expect("write a snapshot");
            path
        })
        .collect();
    let mut answers = Vec::new();
    for batch in files.chunks(200) {
        let args: Vec<&Path> = batch.iter().map(PathBuf::as_path).collect();
        for line in run_perl(PARSE_HARNESS, &args, b"").lines() {
            answers.push(serde_json::from_str(line).expect("perl's JSON"));
        }
    }
    assert_eq!(answers.len(), texts.len());
    answers
}

/// Carton's emitting of each snapshot's data.
fn carton_emit(snapshots: &[Snapshot]) -> Vec<Value> {
    let input: Vec<Value> = snapshots
        .iter()
        .map(|s| Value::Array(s.distributions.iter().map(dist_json).collect()))
        .collect();
    let input = serde_json::to_vec(&input).expect("JSON");
    let answers: Vec<Value> = run_perl(EMIT_HARNESS, &[], &input)
        .lines()
        .map(|l| serde_json::from_str(l).expect("perl's JSON"))
        .collect();
    assert_eq!(answers.len(), snapshots.len());
    answers
}

fn dist_json(d: &SnapshotDistribution) -> Value {
    json!({
        "name": d.name,
        "pathname": d.pathname,
        "provides": d.provides,
        "requirements": d.requirements,
    })
}

/// A distribution as Carton dumps it, in our model's terms: an undef pathname is `""`, a
/// version `undef` (the string Carton's parser stores) is `None`.
fn from_carton(v: &Value) -> Value {
    let provides: BTreeMap<String, Option<String>> = v["provides"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let version = v.as_str().filter(|&s| s != "undef").map(str::to_string);
            (k.clone(), version)
        })
        .collect();
    json!({
        "name": v["name"],
        "pathname": v["pathname"].as_str().unwrap_or(""),
        "provides": provides,
        "requirements": v["requirements"],
    })
}

fn carton_dists(answer: &Value, key: &str) -> Vec<Value> {
    answer[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(from_carton)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Generated data
// ---------------------------------------------------------------------------------------------

const NAMES: &[&str] = &[
    "Foo-Bar-1.23",
    "Baz-0.01",
    "Plack-1.0050",
    "A-1",
    "Zeta-v1.2.3",
    "Ünïcode-1.0",
    "Foo-Bar-1.23",
];
const BAD_NAMES: &[&str] = &["", "Two Words-1.0", "Tab\tName"];
const PACKAGES: &[&str] = &[
    "Foo::Bar",
    "Foo",
    "Baz",
    "Plack::Util",
    "_Private",
    "X::Y::Z9",
];
const BAD_PACKAGES: &[&str] = &["Foo-Bar", "Ünï", ""];
const VERSIONS: &[&str] = &[
    "1.23", "0.01", "v1.2.3", "1.0_01", "0", "1.0 ", "5.008001", "1,2",
];
const BAD_VERSIONS: &[&str] = &["1.0-TRIAL", "undef", "", "v", "1.0\n2"];
const MODULES: &[&str] = &[
    "perl",
    "ExtUtils::MakeMaker",
    "Foo::Bar",
    "Moo",
    "Test::More",
];
const REQUIREMENTS: &[&str] = &[
    "0",
    "1.0",
    ">= 1.0",
    ">= 1.2, < 2",
    "v1.2",
    "5.008001",
    "== 1.5",
    "!= 1.3",
    "< 2",
    ",",
    "1.2_3",
    ">1,<=3",
];
const BAD_REQUIREMENTS: &[&str] = &["abc", "1.2 ", ">= 1.0, == 0.5"];

fn generate_snapshot(rng: &mut Rng, odd: bool) -> Snapshot {
    let mut distributions = Vec::new();
    for _ in 0..rng.below(6) {
        let name = if odd && rng.chance(5) {
            rng.pick(BAD_NAMES)
        } else {
            rng.pick(NAMES)
        };
        let pathname = match rng.below(20) {
            0 => String::new(),
            1 if odd => "A/AU/AUTHOR/line\nbreak.tar.gz".to_string(),
            _ => format!("A/AU/AUTHOR/{name}.tar.gz"),
        };
        let mut provides = BTreeMap::new();
        for _ in 0..rng.below(4) {
            let package = if odd && rng.chance(5) {
                rng.pick(BAD_PACKAGES)
            } else {
                rng.pick(PACKAGES)
            };
            let version = match rng.below(10) {
                0 | 1 => None,
                2 if odd => Some(rng.pick(BAD_VERSIONS).to_string()),
                _ => Some(rng.pick(VERSIONS).to_string()),
            };
            provides.insert(package.to_string(), version);
        }
        let mut requirements = BTreeMap::new();
        for _ in 0..rng.below(4) {
            let requirement = if odd && rng.chance(5) {
                rng.pick(BAD_REQUIREMENTS)
            } else {
                rng.pick(REQUIREMENTS)
            };
            requirements.insert(rng.pick(MODULES).to_string(), requirement.to_string());
        }
        distributions.push(SnapshotDistribution {
            name: name.to_string(),
            pathname,
            provides,
            requirements,
            sha256: None,
        });
    }
    Snapshot { distributions }
}

#[test]
fn our_writer_is_carton_emitter_and_carton_reads_it_back() {
    if !carton_available() {
        return;
    }
    let mut rng = Rng::new(0xca57_0001);
    let snapshots: Vec<Snapshot> = (0..400)
        .map(|i| generate_snapshot(&mut rng, i % 2 == 0))
        .collect();
    let emitted = carton_emit(&snapshots);
    let ours: Vec<Result<String, Error>> = snapshots.iter().map(Snapshot::emit).collect();

    // Carton's parser on Carton's output and on ours.
    let mut texts = Vec::new();
    for (o, e) in ours.iter().zip(&emitted) {
        texts.push(e["text"].as_str().unwrap_or("").to_string());
        texts.push(o.clone().unwrap_or_default());
    }
    let parsed = carton_parse(&texts);

    let (mut identical, mut refused_with_reason, mut both_die) = (0, 0, 0);
    let mut failures = Vec::new();
    for (i, (o, e)) in ours.iter().zip(&emitted).enumerate() {
        let data = &snapshots[i];
        let carton_reread = &parsed[2 * i];
        let carton_reads_ours = &parsed[2 * i + 1];
        match (o, e.get("text")) {
            (Ok(text), Some(carton_text)) => {
                if Some(text.as_str()) != carton_text.as_str() {
                    failures.push(format!("{data:?}\nours:\n{text}\ncarton:\n{carton_text}"));
                    continue;
                }
                // Every field Carton reads back is what Carton held (and what we read).
                let held = carton_dists(e, "held");
                let read = carton_dists(carton_reads_ours, "distributions");
                let ours_read: Vec<Value> = match Snapshot::parse(text) {
                    Ok(s) => s.distributions.iter().map(dist_json).collect(),
                    Err(err) => {
                        failures.push(format!("we cannot read our own {text:?}: {err}"));
                        continue;
                    }
                };
                if read != held || ours_read != held {
                    failures.push(format!(
                        "{text}\nheld {held:?}\ncarton read {read:?}\nwe read {ours_read:?}"
                    ));
                    continue;
                }
                identical += 1;
            }
            (Err(Error::Unrepresentable { problem, .. }), Some(_)) => {
                // Justified only if Carton cannot read back what it held (Carton writes an
                // undef version as `undef`, and reads that back as the string `undef`), or for
                // the version string `undef`, which Carton writes as it writes undef.
                let raw = |v: &Value| -> Value {
                    let mut v = v.clone();
                    for d in v.as_array_mut().into_iter().flatten() {
                        for (_, version) in d["provides"].as_object_mut().into_iter().flatten() {
                            if version.is_null() {
                                *version = json!("undef");
                            }
                        }
                    }
                    v
                };
                let held = raw(&e["held"]);
                let read = raw(&carton_reread["distributions"]);
                let undef_string = problem.contains("the version \"undef\"");
                if carton_reread.get("error").is_none() && read == held && !undef_string {
                    failures.push(format!(
                        "we refuse ({problem}) what Carton reads back: {data:?}"
                    ));
                    continue;
                }
                refused_with_reason += 1;
            }
            (Err(Error::InvalidRequirement { source, .. }), None) => {
                let perl = strip_perl_location(e["error"].as_str().unwrap_or(""));
                if perl != source.to_string() {
                    failures.push(format!("ours {source}, carton {perl}"));
                    continue;
                }
                both_die += 1;
            }
            (Err(Error::Unrepresentable { .. }), None) => both_die += 1,
            (o, _) => failures.push(format!("{data:?}: ours {o:?}, carton {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
    eprintln!(
        "{identical} snapshots written byte for byte as Carton and read back by it; \
         {refused_with_reason} refused that Carton would write but not read back; \
         {both_die} with requirements both refuse"
    );
    assert!(identical >= 200, "too few compared: {identical}");
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Lines inserted by the mutations.
const ODD_LINES: &[&str] = &[
    "",
    "    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "  Foo-1",
    "  Foo 1",
    "DISTRIBUTIONS",
    "__EOF__",
    "CHECKSUMS",
    "# a comment",
    "      Foo::Bar 1.0",
    "      Foo::Bar undef",
    "      Foo::Bar undefined",
    "      Foo::Bar 1.0 trailing",
    "      Foo::Bar  1.0",
    "      Foo::Bar vundef",
    "      Bad-Name 1.0",
    "      Foo ,",
    "      Foo >= 1, < 2",
    "      Foo == 1",
    "      Foo == 2",
    "      Foo 1.0 ",
    "        Foo 1.0",
    "\tprovides:",
    "    provides:",
    "    requirements:",
    "\t\t\t\trequirements:",
    "\u{a0}\u{a0}\u{a0}\u{a0}provides:",
    "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}Foo 1.0",
    "    pathname: ",
    "    pathname: X/XX/XXX/Other-1.tar.gz",
    "    pathname:X",
    " X",
    "  X",
    "   X",
    "     X",
    "\u{a0}X",
    "# carton snapshot format: version 1.0",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(lines.len() + 1);
        match rng.below(7) {
            0 | 1 => lines.insert(at, rng.pick(ODD_LINES).to_string()),
            2 if at < lines.len() => {
                lines.remove(at);
            }
            3 if at < lines.len() => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            4 if at < lines.len() => {
                let line = &mut lines[at];
                match rng.below(4) {
                    0 => line.insert(0, ' '),
                    1 => {
                        if line.starts_with(' ') {
                            line.remove(0);
                        }
                    }
                    2 => *line = line.replacen("  ", "\t", 1),
                    _ => line.push('\r'),
                }
            }
            _ => {}
        }
    }
    let ending = if rng.chance(20) { "\r\n" } else { "\n" };
    let mut out = lines.join(ending);
    if rng.chance(80) {
        out.push_str(ending);
    }
    if rng.chance(10) {
        out.push_str("\n\n");
    }
    out
}

/// Compares our reading of `text` with Carton's answer.
fn compare_reading(text: &str, carton: &Value) -> Result<&'static str, String> {
    match (Snapshot::parse(text), carton.get("error")) {
        (Ok(s), None) => {
            let ours: Vec<Value> = s.distributions.iter().map(dist_json).collect();
            let theirs = carton_dists(carton, "distributions");
            if ours == theirs {
                Ok("read")
            } else {
                Err(format!("ours {ours:?}\ncarton {theirs:?}"))
            }
        }
        (Err(Error::SnapshotSyntax { text: line, .. }), Some(e)) => {
            let expected = format!("Could not parse snapshot file: {line}");
            if e.as_str() == Some(expected.as_str()) {
                Ok("refused")
            } else {
                Err(format!("ours {expected:?}, carton {e}"))
            }
        }
        (Err(Error::SnapshotRequirement { source, .. }), Some(e)) => {
            let perl = strip_perl_location(e.as_str().unwrap_or(""));
            if perl == source.to_string() {
                Ok("refused")
            } else {
                Err(format!("ours {source}, carton {perl}"))
            }
        }
        (ours, carton) => Err(format!("ours {ours:?}, carton {carton:?}")),
    }
}

#[test]
fn both_parsers_read_odd_snapshots_alike() {
    if !carton_available() {
        return;
    }
    let mut rng = Rng::new(0xca57_0002);
    let mut texts: Vec<String> = vec![
        String::new(),
        "\n".to_string(),
        "# carton snapshot format: version 1.0".to_string(),
        "# carton snapshot format: version 1.0 and more\nDISTRIBUTIONS\n".to_string(),
        "# carton snapshot format: version 1.0\r\nDISTRIBUTIONS\r\n  A-1\r\n".to_string(),
        "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n    requirements:\n      Foo \
         == 1\n      Foo == 2\n"
            .to_string(),
        "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n__EOF__\nDISTRIBUTIONS\n  \
         B-1\n"
            .to_string(),
    ];
    // Carton's emitter output, then mutations of it.
    let snapshots: Vec<Snapshot> = (0..300)
        .map(|_| generate_snapshot(&mut rng, false))
        .collect();
    let emitted = carton_emit(&snapshots);
    let bases: Vec<String> = emitted
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect();
    texts.extend(bases.iter().cloned());
    for base in &bases {
        for _ in 0..2 {
            texts.push(mutate(&mut rng, base));
        }
    }
    let answers = carton_parse(&texts);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (text, carton) in texts.iter().zip(&answers) {
        match compare_reading(text, carton) {
            Ok(kind) => *counts.entry(kind).or_default() += 1,
            Err(diff) => failures.push(format!("{text:?}\n---> {diff}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        texts.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
    eprintln!("{} snapshots read alike: {counts:?}", texts.len());
    assert!(counts.get("read").copied().unwrap_or(0) >= 300);
    assert!(counts.get("refused").copied().unwrap_or(0) >= 100);
}

// ---------------------------------------------------------------------------------------------
// The sha256 decision
// ---------------------------------------------------------------------------------------------

#[test]
fn carton_cannot_carry_a_sha256_in_the_snapshot() {
    if !carton_available() {
        return;
    }
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let base = "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  Foo-1.0\n    \
                pathname: F/FO/FOO/Foo-1.0.tar.gz\n";
    let texts = vec![
        // An extra key: refused.
        format!("{base}    sha256: {sha}\n    provides:\n      Foo 1.0\n"),
        // A fake package under provides: read as a package (it would reach the index).
        format!("{base}    provides:\n      Foo 1.0\n      X_sha256 {sha}\n"),
        // A fake requirement: read as a module to install.
        format!("{base}    requirements:\n      X_sha256 {sha}\n"),
        // After the version: swallowed into it.
        format!("{base}    provides:\n      Foo 1.0 sha256={sha}\n"),
        // A section of its own, or a comment: refused.
        format!("{base}    provides:\n      Foo 1.0\nSHA256\n  Foo-1.0 {sha}\n"),
        format!("{base}    provides:\n      Foo 1.0\n# sha256 {sha}\n"),
    ];
    let answers = carton_parse(&texts);
    let error = |i: usize| answers[i].get("error").is_some();
    assert!(error(0), "an extra key: {}", answers[0]);
    let provides = &answers[1]["distributions"][0]["provides"];
    assert_eq!(provides["X_sha256"], json!("9"), "{}", answers[1]);
    let requirements = &answers[2]["distributions"][0]["requirements"];
    assert_eq!(requirements["X_sha256"], json!("9"), "{}", answers[2]);
    assert_eq!(
        answers[3]["distributions"][0]["provides"]["Foo"],
        json!("1.0 "),
        "{}",
        answers[3]
    );
    assert!(error(4) && error(5), "{} {}", answers[4], answers[5]);
    // And we read all of them as Carton does.
    for (text, answer) in texts.iter().zip(&answers) {
        if let Err(diff) = compare_reading(text, answer) {
            panic!("{text:?}: {diff}");
        }
    }
}
