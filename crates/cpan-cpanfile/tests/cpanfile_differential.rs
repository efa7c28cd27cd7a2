//! Differential tests of the cpanfile reader against Module::CPANfile 1.1004 (Debian's
//! `libmodule-cpanfile-perl`), which evaluates the cpanfile as Perl code.
//!
//! For every cpanfile both sides read, these must be equal:
//!
//! * `prereq_specs` (the main prerequisites as strings),
//! * `mirrors`,
//! * every feature's description and prerequisites,
//! * `prereqs_with(all features)` (or both fail with the same message),
//! * every declaration as Module::CPANfile records it (its internal `Module::CPANfile::Prereq`
//!   lists: phase, relationship, module, version as passed, options), per feature,
//! * `options_for_module` for every module whose answer does not depend on Perl's hash order.
//!
//! Sources: the fixtures in `tests/fixtures/cpanfiles` (which Perl must accept), cpanfiles
//! generated from the supported grammar (seeded, so every run tests the same ones), and the
//! real cpanfiles inside the CPAN corpus tarballs (`~/.cache/cpan-corpus/orig`, when present).
//! The fixtures in `tests/fixtures/refused` are the ones this crate refuses: each says the
//! exact error (`# expect: ...`) and whether Perl dies on it or accepts it
//! (`# perl: dies|accepts`), which is checked too.
//!
//! The tests skip (with a message) when perl cannot load Module::CPANfile, or with
//! `RIVERPAN_SKIP_PERL=1`.

mod common;

use common::{files_in, fixtures, perl_with, run_perl, strip_perl_location, Rng};
use cpan_cpanfile::{Cpanfile, Error, Prereqs};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Loads every file named on the command line and prints one JSON line per file.
const HARNESS: &str = r#"
use strict;
use warnings;
use Module::CPANfile;
use JSON::PP;
use Scalar::Util qw(isvstring);

my $json = JSON::PP->new->utf8->canonical;
sub str_hash { my ($h) = @_; return { map { $_ => defined $h->{$_} ? "$h->{$_}" : undef } keys %$h } }
sub version_of {
    my ($v) = @_;
    return { vstring => sprintf('%vd', $v) } if isvstring($v);
    return "$v";
}
for my $file (@ARGV) {
    my %r;
    my $ok = eval {
        my $f = Module::CPANfile->load($file);
        $r{prereqs} = $f->prereq_specs;
        $r{mirrors} = [ map "$_", @{ $f->mirrors } ];
        my %features;
        for my $feature ($f->features) {
            $features{ $feature->identifier } = {
                description => "" . $feature->description,
                prereqs => $feature->prereqs->as_string_hash,
            };
        }
        $r{features} = \%features;
        my @ids = sort map { $_->identifier } $f->features;
        my $effective = eval { $f->prereqs_with(@ids)->as_string_hash };
        if ($effective) { $r{effective} = $effective } else { $r{effective_error} = "$@" }
        my $internal = $f->{_prereqs}{prereqs};
        my (%declarations, %options);
        for my $bucket (keys %$internal) {
            $declarations{$bucket} = [ map {
                {
                    phase => $_->phase,
                    type => $_->type,
                    module => $_->module,
                    version => version_of($_->requirement->version),
                    options => str_hash($_->requirement->options),
                }
            } @{ $internal->{$bucket} } ];
            for my $prereq (@{ $internal->{$bucket} }) {
                my $options = $f->options_for_module($prereq->module);
                $options{ $prereq->module } = $options ? str_hash($options) : undef;
            }
        }
        $r{declarations} = \%declarations;
        $r{options} = \%options;
        1;
    };
    %r = (error => "$@") unless $ok;
    print $json->encode(\%r), "\n";
}
"#;

fn perl_available() -> bool {
    perl_with(&["Module::CPANfile", "JSON::PP"], "libmodule-cpanfile-perl")
}

/// Perl's answers, one per file.
fn perl_answers(files: &[PathBuf]) -> Vec<Value> {
    let mut answers = Vec::with_capacity(files.len());
    // Batches keep the command line short.
    for batch in files.chunks(200) {
        let args: Vec<&Path> = batch.iter().map(PathBuf::as_path).collect();
        let out = run_perl(HARNESS, &args, b"");
        for line in out.lines() {
            answers.push(serde_json::from_str(line).expect("perl's JSON"));
        }
    }
    assert_eq!(answers.len(), files.len(), "one answer per file");
    answers
}

fn prereqs_json(prereqs: &Prereqs) -> Value {
    let mut phases = Map::new();
    for (phase, relationships) in prereqs.as_string_hash() {
        let mut rels = Map::new();
        for (relationship, modules) in relationships {
            rels.insert(relationship.to_string(), json!(modules));
        }
        phases.insert(phase.to_string(), Value::Object(rels));
    }
    Value::Object(phases)
}

/// Our answer in the harness's shape (without `declarations` versions' v-string form and with
/// every `options_for_module`; the comparison handles both).
fn ours(cpanfile: &Cpanfile) -> Value {
    let mut features = Map::new();
    for f in cpanfile.features() {
        features.insert(
            f.identifier.clone(),
            json!({"description": f.description, "prereqs": prereqs_json(&f.prereqs)}),
        );
    }
    let mut ids: Vec<&str> = cpanfile
        .features()
        .iter()
        .map(|f| f.identifier.as_str())
        .collect();
    ids.sort();
    let mut declarations: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut options = Map::new();
    for d in cpanfile.declarations() {
        let bucket = if d.in_main() {
            String::new()
        } else {
            d.feature.clone().unwrap_or_default()
        };
        let opts: BTreeMap<&str, &str> = d.options.iter().collect();
        declarations.entry(bucket).or_default().push(json!({
            "phase": d.phase.as_str(),
            "type": d.relationship.as_str(),
            "module": d.module,
            "version": d.version,
            "options": opts,
        }));
        let found = cpanfile
            .options_for_module(&d.module)
            .map(|o| json!(o.iter().collect::<BTreeMap<_, _>>()));
        options.insert(d.module.clone(), found.unwrap_or(Value::Null));
    }
    let mut answer = json!({
        "prereqs": prereqs_json(cpanfile.prereqs()),
        "mirrors": cpanfile.mirrors(),
        "features": features,
        "declarations": declarations,
        "options": options,
    });
    match cpanfile.effective_prereqs(&ids) {
        Ok(p) => answer["effective"] = prereqs_json(&p),
        Err(Error::Merge { source, .. }) => answer["effective_error"] = json!(source.to_string()),
        Err(e) => panic!("unexpected error {e}"),
    }
    answer
}

/// Compares one file's answers; returns a description of the first difference.
fn compare(ours: &Value, perl: &Value) -> Result<(), String> {
    for key in ["prereqs", "mirrors", "features", "effective"] {
        if ours.get(key) != perl.get(key) {
            return Err(format!(
                "{key}: ours {}, perl {}",
                ours.get(key).unwrap_or(&Value::Null),
                perl.get(key).unwrap_or(&Value::Null)
            ));
        }
    }
    match (ours.get("effective_error"), perl.get("effective_error")) {
        (None, None) => {}
        (Some(o), Some(p)) => {
            let p = strip_perl_location(p.as_str().unwrap_or(""));
            if o.as_str() != Some(p.as_str()) {
                return Err(format!("effective_error: ours {o}, perl {p:?}"));
            }
        }
        (o, p) => return Err(format!("effective_error: ours {o:?}, perl {p:?}")),
    }
    // Declarations: Perl's v-strings are compared by their numbers.
    let (Some(our_decls), Some(perl_decls)) = (
        ours["declarations"].as_object(),
        perl["declarations"].as_object(),
    ) else {
        return Err("no declarations".to_string());
    };
    let nonempty = |m: &Map<String, Value>| -> BTreeSet<String> {
        m.iter()
            .filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty()))
            .map(|(k, _)| k.clone())
            .collect()
    };
    if nonempty(our_decls) != nonempty(perl_decls) {
        return Err(format!(
            "declaration buckets: ours {:?}, perl {:?}",
            nonempty(our_decls),
            nonempty(perl_decls)
        ));
    }
    for (bucket, list) in our_decls {
        let theirs = perl_decls[bucket].as_array().cloned().unwrap_or_default();
        let list = list.as_array().cloned().unwrap_or_default();
        if list.len() != theirs.len() {
            return Err(format!(
                "bucket {bucket:?}: {} vs {}",
                list.len(),
                theirs.len()
            ));
        }
        for (o, p) in list.iter().zip(&theirs) {
            let mut o = o.clone();
            if let Some(vs) = p["version"].get("vstring").and_then(Value::as_str) {
                let ov = o["version"].as_str().unwrap_or("").trim_start_matches('v');
                if ov != vs {
                    return Err(format!("v-string: ours {o}, perl {p}"));
                }
                o["version"] = p["version"].clone();
            }
            if &o != p {
                return Err(format!("declaration: ours {o}, perl {p}"));
            }
        }
    }
    // options_for_module where Perl's answer does not depend on its hash order: modules of
    // the main declarations, or of only one feature.
    for (module, answer) in ours["options"].as_object().into_iter().flatten() {
        let buckets: Vec<&String> = our_decls
            .iter()
            .filter(|(_, list)| {
                list.as_array()
                    .is_some_and(|l| l.iter().any(|d| d["module"] == json!(module)))
            })
            .map(|(b, _)| b)
            .collect();
        let deterministic = buckets.iter().any(|b| b.is_empty()) || buckets.len() == 1;
        if deterministic && Some(answer) != perl["options"].get(module) {
            return Err(format!(
                "options_for_module({module}): ours {answer}, perl {}",
                perl["options"][module]
            ));
        }
    }
    Ok(())
}

/// Checks files both sides must read; returns how many were compared.
fn check_accepted(files: &[PathBuf]) -> usize {
    let answers = perl_answers(files);
    let mut failures = Vec::new();
    for (file, perl) in files.iter().zip(&answers) {
        let source = std::fs::read_to_string(file).expect("fixture");
        let name = file.display();
        if let Some(e) = perl.get("error") {
            failures.push(format!("{name}: perl refuses it: {e}"));
            continue;
        }
        match Cpanfile::parse(&source) {
            Ok(c) => {
                if let Err(diff) = compare(&ours(&c), perl) {
                    failures.push(format!("{name}: {diff}"));
                }
            }
            Err(e) => failures.push(format!("{name}: we refuse it: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    files.len()
}

#[test]
fn fixtures_agree_with_module_cpanfile() {
    let files = files_in(&fixtures("cpanfiles"), "cpanfile");
    assert!(files.len() >= 15, "the fixtures are missing");
    if !perl_available() {
        return;
    }
    let n = check_accepted(&files);
    eprintln!("{n} cpanfile fixtures agree with Module::CPANfile");
}

#[test]
fn refused_fixtures_say_where_and_what() {
    let files = files_in(&fixtures("refused"), "cpanfile");
    let perl = perl_available();
    let answers = if perl {
        perl_answers(&files)
    } else {
        Vec::new()
    };
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let source = std::fs::read_to_string(file).expect("fixture");
        let header = |key: &str| {
            source
                .lines()
                .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
                .map(str::to_string)
        };
        let name = file.display();
        let ours = match Cpanfile::parse(&source) {
            Ok(c) => {
                failures.push(format!("{name}: accepted: {c:?}"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        match header("expect") {
            Some(expected) if expected == ours => {}
            expected => failures.push(format!("{name}: expected {expected:?}, got {ours:?}")),
        }
        if perl {
            let dies = answers[i].get("error").is_some();
            let said = header("perl");
            let actual = if dies { "dies" } else { "accepts" };
            if said.as_deref() != Some(actual) {
                failures.push(format!(
                    "{name}: says perl {said:?}, but perl {actual}: {}",
                    answers[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Generated cpanfiles
// ---------------------------------------------------------------------------------------------

const MODULES: &[&str] = &[
    "Foo",
    "Foo::Bar",
    "Baz",
    "Test::More",
    "perl",
    "JSON::PP",
    "Moo",
    "Plack::Middleware::X",
];

const VERSION_STRINGS: &[&str] = &[
    "1.0",
    "0",
    "",
    "1.10",
    "v1.2.3",
    "1.2.3",
    ">= 1.0",
    ">= 1.0, < 2",
    "== 1.5",
    "!= 1.3",
    "< 2",
    "<= 3.0",
    "> 0.5",
    "1.2_3",
    "0.0",
    "2.000001",
    "v5.10",
    "5.010001",
    ">=1.0,<=2.0",
    ">= 1.5, != 1.7, < 4",
    "0.5",
    "3",
];

const NUMBERS: &[&str] = &[
    "1",
    "1.10",
    "0",
    "0.0",
    "1_000",
    ".5",
    "1e3",
    "5.008_001",
    "2.",
    "10.50",
    "3.14159265358979",
    "25E-1",
    "1.23456789012345678",
    "20210111",
];

const VSTRINGS: &[&str] = &["v5.10.1", "5.10.1", "v1", "v5.36"];

const WORD_PHASES: &[&str] = &["configure", "build", "test", "runtime", "develop"];

const FEATURES: &[(&str, &str)] = &[
    ("sqlite", "SQLite support"),
    ("pg", "PostgreSQL"),
    ("x", "x"),
    ("0", "zero"),
    ("json", "It's JSON"),
];

const OPTION_VALUES: &[&str] = &[
    "MIYAGAWA/Plack-1.0.tar.gz",
    "https://example.com/x.git",
    "main",
    "http://mirror.example.com/",
    "v1.2",
];

fn space(rng: &mut Rng) -> &'static str {
    const SPACES: &[&str] = &[" ", " ", " ", "  ", "\t", "\n", " # note\n", "\n    "];
    SPACES[rng.below(SPACES.len())]
}

/// A string literal in one of Perl's quoting styles.
fn quote(rng: &mut Rng, s: &str) -> String {
    let plain = !s.contains(|c: char| "()[]{}<>\\'\"$@#!|/ \t".contains(c)) && !s.is_empty();
    match rng.below(8) {
        0 | 1 => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        2 | 3 => format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('$', "\\$")
                .replace('@', "\\@")
        ),
        4 if plain => format!("q({s})"),
        5 if plain => format!("q{{{s}}}"),
        6 if plain => format!("qq[{s}]"),
        7 if plain => format!("qw({s})"),
        _ => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}

fn separator(rng: &mut Rng) -> String {
    let sep = if rng.chance(40) { "=>" } else { "," };
    format!(
        "{}{sep}{}",
        if rng.chance(30) { space(rng) } else { "" },
        space(rng)
    )
}

/// Requirements `CPAN::Meta::Requirements` refuses (both sides must refuse them alike).
const BAD_VERSION_STRINGS: &[&str] = &["abc", "1.2 ", ">= 2, == 1", "1.0-TRIAL", "== 1, == 2"];

/// A version argument; at most one refused requirement per file (`bad_left`), so that which
/// error is reported does not depend on Perl's hash order.
fn version_literal(rng: &mut Rng, bad_left: &mut usize) -> String {
    if *bad_left > 0 && rng.chance(3) {
        *bad_left -= 1;
        let v = *rng.pick(BAD_VERSION_STRINGS);
        return quote(rng, v);
    }
    match rng.below(10) {
        0..=5 => {
            let v = *rng.pick(VERSION_STRINGS);
            quote(rng, v)
        }
        6 | 7 => rng.pick(NUMBERS).to_string(),
        8 => rng.pick(VSTRINGS).to_string(),
        _ => "undef".to_string(),
    }
}

fn declaration(rng: &mut Rng, bad_left: &mut usize) -> String {
    let function = *rng.pick(&[
        "requires",
        "requires",
        "requires",
        "recommends",
        "suggests",
        "conflicts",
        "configure_requires",
        "build_requires",
        "test_requires",
        "author_requires",
    ]);
    let mut args = vec![{
        let m = *rng.pick(MODULES);
        quote(rng, m)
    }];
    if rng.chance(70) {
        args.push(version_literal(rng, bad_left));
    }
    if rng.chance(20) {
        for _ in 0..1 + rng.below(2) {
            let key = *rng.pick(&["dist", "mirror", "url", "git", "ref"]);
            args.push(if rng.chance(50) {
                key.to_string()
            } else {
                quote(rng, key)
            });
            let v = *rng.pick(OPTION_VALUES);
            args.push(quote(rng, v));
        }
    }
    let mut call = String::new();
    let parens = rng.chance(15);
    call.push_str(function);
    call.push_str(if parens { "(" } else { " " });
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            // A bareword (an option name) needs `=>` after it.
            if args[i - 1].chars().all(|c| c.is_ascii_lowercase()) {
                call.push_str(" => ");
            } else {
                call.push_str(&separator(rng));
            }
        }
        call.push_str(arg);
    }
    if rng.chance(10) {
        call.push(',');
    }
    if parens {
        call.push(')');
    }
    call
}

fn statements(rng: &mut Rng, bad_left: &mut usize, depth: usize, count: usize) -> String {
    let mut out = String::new();
    for i in 0..count {
        let statement = match rng.below(12) {
            0..=6 => declaration(rng, bad_left),
            7 | 8 if depth < 3 => {
                let phase = *rng.pick(WORD_PHASES);
                let phase = if rng.chance(50) {
                    phase.to_string()
                } else {
                    quote(rng, phase)
                };
                let n = rng.below(4);
                let body = statements(rng, bad_left, depth + 1, n);
                let sep = if phase.starts_with(|c: char| c.is_ascii_lowercase())
                    && !phase.starts_with('q')
                {
                    " =>".to_string()
                } else {
                    separator(rng)
                };
                if rng.chance(15) {
                    format!("on({phase}{sep} sub {{{body}}})")
                } else {
                    format!("on {phase}{sep} sub {{{body}}}")
                }
            }
            9 if depth < 3 => {
                let (id, description) = *rng.pick(FEATURES);
                let n = rng.below(4);
                let body = statements(rng, bad_left, depth + 1, n);
                let id_text = quote(rng, id);
                if rng.chance(30) {
                    format!("feature {id_text} => sub {{{body}}}")
                } else {
                    let d = quote(rng, description);
                    format!("feature {id_text}, {d} => sub {{{body}}}")
                }
            }
            10 => {
                let url = *rng.pick(&["https://cpan.example.com/", "file:///srv/minicpan"]);
                format!("mirror {}", quote(rng, url))
            }
            _ => {
                if depth == 0 && rng.chance(30) {
                    "\n=pod\n\nrequires 'Not::Code';\n\n=cut\n".to_string()
                } else {
                    "# just a comment\n".to_string()
                }
            }
        };
        out.push_str(space(rng));
        out.push_str(&statement);
        let last = i + 1 == count;
        if statement.ends_with('\n') {
            continue;
        }
        if !last || rng.chance(70) {
            out.push(';');
        }
        out.push_str(space(rng));
    }
    out
}

#[test]
fn generated_cpanfiles_agree_with_module_cpanfile() {
    if !perl_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_cafe);
    let mut files = Vec::new();
    for i in 0..600 {
        let n = rng.below(10);
        let text = statements(&mut rng, &mut 1, 0, n);
        let path = dir.path().join(format!("{i:04}.cpanfile"));
        std::fs::write(&path, text).expect("write a generated cpanfile");
        files.push(path);
    }
    let answers = perl_answers(&files);
    let (mut agreed, mut both_refused) = (0, 0);
    let mut failures = Vec::new();
    for (file, perl) in files.iter().zip(&answers) {
        let source = std::fs::read_to_string(file).expect("generated cpanfile");
        match (Cpanfile::parse(&source), perl.get("error")) {
            (Ok(c), None) => match compare(&ours(&c), perl) {
                Ok(()) => agreed += 1,
                Err(diff) => failures.push(format!("{source}\n---> {diff}")),
            },
            (Err(Error::Requirement { source: e, .. }), Some(p)) => {
                // Both refuse a version; the messages must be the same.
                let p = strip_perl_location(p.as_str().unwrap_or(""));
                if p == e.to_string() {
                    both_refused += 1;
                } else {
                    failures.push(format!("{source}\n---> ours {e}, perl {p}"));
                }
            }
            (Ok(_), Some(p)) => failures.push(format!("{source}\n---> perl refuses: {p}")),
            (Err(e), _) => failures.push(format!("{source}\n---> we refuse: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        files.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
    eprintln!(
        "{agreed} generated cpanfiles agree with Module::CPANfile, {both_refused} refused by both \
         with the same message"
    );
    assert!(
        agreed > 400,
        "too few generated cpanfiles compared: {agreed}"
    );
}

// ---------------------------------------------------------------------------------------------
// Real cpanfiles from the CPAN corpus
// ---------------------------------------------------------------------------------------------

fn corpus_dir() -> Option<PathBuf> {
    if std::env::var("RIVERPAN_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED (RIVERPAN_SKIP_CORPUS=1): the corpus cpanfiles");
        return None;
    }
    let base = match std::env::var_os("CPAN_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/cpan-corpus"),
    };
    let orig = base.join("orig");
    if orig.is_dir() {
        Some(orig)
    } else {
        eprintln!(
            "SKIPPED: no CPAN corpus at {} (scripts/test fetches it)",
            orig.display()
        );
        None
    }
}

#[test]
fn corpus_cpanfiles_agree_with_module_cpanfile() {
    let Some(orig) = corpus_dir() else { return };
    if !perl_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut tarballs: Vec<PathBuf> = std::fs::read_dir(&orig)
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains(".tar"))
        .collect();
    tarballs.sort();
    let mut files = Vec::new();
    for tarball in &tarballs {
        let list = Command::new("tar").arg("-tf").arg(tarball).output();
        let Ok(list) = list else { continue };
        for member in String::from_utf8_lossy(&list.stdout).lines() {
            if member == "cpanfile" || member.ends_with("/cpanfile") {
                let content = Command::new("tar")
                    .arg("-xOf")
                    .arg(tarball)
                    .arg(member)
                    .output()
                    .expect("tar");
                let path = dir.path().join(format!("{:04}.cpanfile", files.len()));
                std::fs::write(&path, &content.stdout).expect("write");
                files.push((path, format!("{}:{member}", tarball.display())));
            }
        }
    }
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let answers = perl_answers(&paths);
    let (mut agreed, mut refused) = (0, Vec::new());
    let mut failures = Vec::new();
    for ((path, name), perl) in files.iter().zip(&answers) {
        let Ok(source) = std::fs::read_to_string(path) else {
            refused.push(format!("{name}: not UTF-8"));
            continue;
        };
        match (Cpanfile::parse(&source), perl.get("error")) {
            (Ok(c), None) => match compare(&ours(&c), perl) {
                Ok(()) => agreed += 1,
                Err(diff) => failures.push(format!("{name}: {diff}")),
            },
            (Ok(_), Some(p)) => failures.push(format!("{name}: only perl refuses it: {p}")),
            (Err(e), _) => refused.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "{agreed} of {} corpus cpanfiles agree with Module::CPANfile; refused:\n{}",
        files.len(),
        refused.join("\n")
    );
}
