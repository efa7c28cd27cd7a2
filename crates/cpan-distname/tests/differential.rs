//! Differential tests: `cpan_distname::DistnameInfo` against the real Perl module
//! `CPAN::DistnameInfo` (Debian package `libcpan-distnameinfo-perl`).
//!
//! Each test builds a batch of paths, runs Perl once on the whole batch and compares all eight
//! accessors plus the key set of `properties` for every path.
//!
//! Inputs and the environment variables that control them:
//!
//! * `cpan_index_paths`: every distribution path in the CPAN index
//!   `$RIVERPAN_SHARED/data/cpan-02packages-2023-02-17.txt.gz` (`RIVERPAN_SHARED` defaults to
//!   `../../../shared` relative to this crate). Missing file: failure, unless
//!   `RIVERPAN_SKIP_SHARED=1`.
//! * `debian_corpus_names`: the tarball names of `$CPAN_CORPUS_DIR/manifest.tsv` (default
//!   `~/.cache/cpan-corpus/manifest.tsv`, written by `scripts/corpus-manifest`). Missing file:
//!   failure, unless `RIVERPAN_SKIP_CORPUS=1`.
//! * `upstream_test_names`: the file names of CPAN::DistnameInfo's own test suite (all
//!   versions of `t/ext.t` and `t/path.t`), in `tests/data/upstream-test-names.txt`.
//! * `generated_paths`: deterministic combinations of name fragments, versions, suffixes,
//!   extensions and directory prefixes, plus random token soup (including non-ASCII, spaces,
//!   tabs and newlines).
//!
//! Perl itself (`perl` on `PATH`, or `$PERL`) with CPAN::DistnameInfo and JSON::PP is
//! required; without it the tests fail, unless `RIVERPAN_SKIP_PERL=1`.

use std::collections::BTreeSet;
use std::env;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cpan_distname::{DistnameInfo, FIELD_NAMES as FIELDS};
use serde_json::Value;

/// Reads one JSON string per line; the path is decoded as a *byte* string (JSON::PP without
/// `utf8`, then `utf8::downgrade`), exactly as Perl sees a path read from a file without any
/// decoding layer. Prints one JSON array per line: the eight accessors, then the sorted keys of
/// `properties`. Strings are printed back as the same bytes.
const PERL_SCRIPT: &str = r#"
use strict;
use warnings;
use CPAN::DistnameInfo;
use JSON::PP;
binmode STDIN;
binmode STDOUT;
my $json = JSON::PP->new->canonical->allow_nonref;
my @fields = qw(dist version maturity cpanid distvname extension filename pathname);
while (my $line = <STDIN>) {
    chomp $line;
    my $path = $json->decode($line);
    utf8::downgrade($path);
    my $d = CPAN::DistnameInfo->new($path);
    my %props = $d->properties;
    print $json->encode([ (map { $d->$_ } @fields), [ sort keys %props ] ]), "\n";
}
"#;

fn env_flag(name: &str) -> bool {
    env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Runs Perl on all paths at once; returns one parsed JSON array per path.
/// `None` if Perl is unavailable and `RIVERPAN_SKIP_PERL=1`.
fn run_perl(paths: &[String]) -> Option<Vec<Vec<Value>>> {
    let perl = env::var("PERL").unwrap_or_else(|_| "perl".to_owned());
    let probe = Command::new(&perl)
        .args(["-MCPAN::DistnameInfo", "-MJSON::PP", "-e", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let usable = match &probe {
        Ok(out) => out.status.success(),
        Err(_) => false,
    };
    if !usable {
        let why = match probe {
            Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        if env_flag("RIVERPAN_SKIP_PERL") {
            eprintln!(
                "SKIPPED (RIVERPAN_SKIP_PERL=1): perl with CPAN::DistnameInfo unavailable: {why}"
            );
            return None;
        }
        panic!(
            "`{perl} -MCPAN::DistnameInfo -MJSON::PP` does not run ({why}); install it \
             (`apt-get install libcpan-distnameinfo-perl`) or set RIVERPAN_SKIP_PERL=1"
        );
    }

    let mut child = Command::new(&perl)
        .args(["-e", PERL_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn perl");
    let mut stdin = child.stdin.take().expect("perl stdin");
    let input: Vec<u8> = paths
        .iter()
        .flat_map(|p| {
            let mut line = serde_json::to_string(p).expect("encode path").into_bytes();
            line.push(b'\n');
            line
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).expect("write to perl");
    });
    let stdout = child.stdout.take().expect("perl stdout");
    let mut results = Vec::with_capacity(paths.len());
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("perl output is UTF-8");
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("bad JSON from perl ({e}): {line}"));
        match value {
            Value::Array(items) if items.len() == FIELDS.len() + 1 => results.push(items),
            other => panic!("unexpected perl output: {other}"),
        }
    }
    writer.join().expect("writer thread");
    let status = child.wait().expect("wait for perl");
    assert!(status.success(), "perl exited with {status}");
    assert_eq!(
        results.len(),
        paths.len(),
        "perl printed {} results for {} paths",
        results.len(),
        paths.len()
    );
    Some(results)
}

fn perl_str(v: &Value) -> Result<Option<&str>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(format!("non-string value from perl: {other}")),
    }
}

/// Compares Rust and Perl on `paths`; panics with the first mismatches. Returns the number of
/// paths compared (0 if skipped).
fn compare(source: &str, paths: &[String]) -> usize {
    assert!(!paths.is_empty(), "{source}: no paths to compare");
    let Some(perl) = run_perl(paths) else {
        return 0;
    };
    let mut mismatches = Vec::new();
    for (path, expected) in paths.iter().zip(&perl) {
        let d = DistnameInfo::new(path);
        let got = d.fields().map(|(_, value)| value);
        let mut diffs = Vec::new();
        for ((field, got), want) in FIELDS.iter().zip(got).zip(expected) {
            match perl_str(want) {
                Ok(want) if want == got => {}
                Ok(want) => diffs.push(format!("{field}: rust {got:?}, perl {want:?}")),
                Err(e) => diffs.push(format!("{field}: {e}")),
            }
        }
        let perl_keys: BTreeSet<&str> = match &expected[FIELDS.len()] {
            Value::Array(keys) => keys.iter().filter_map(Value::as_str).collect(),
            _ => BTreeSet::new(),
        };
        let rust_keys: BTreeSet<&str> = d.properties().iter().map(|(k, _)| *k).collect();
        if perl_keys != rust_keys {
            diffs.push(format!(
                "properties keys: rust {rust_keys:?}, perl {perl_keys:?}"
            ));
        }
        for (key, value) in d.properties() {
            let accessor = FIELDS.iter().position(|f| *f == key).map(|i| got[i]);
            if accessor != Some(value) {
                diffs.push(format!("properties {key}: {value:?} differs from accessor"));
            }
        }
        if !diffs.is_empty() {
            mismatches.push(format!("{path:?}\n      {}", diffs.join("\n      ")));
        }
    }
    eprintln!(
        "{source}: compared {} paths with CPAN::DistnameInfo, {} mismatches",
        paths.len(),
        mismatches.len()
    );
    if !mismatches.is_empty() {
        let shown: Vec<&str> = mismatches.iter().take(25).map(String::as_str).collect();
        panic!(
            "{source}: {} of {} paths differ from CPAN::DistnameInfo; first {}:\n  {}",
            mismatches.len(),
            paths.len(),
            shown.len(),
            shown.join("\n  ")
        );
    }
    paths.len()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `gzip -dc FILE` as text.
fn gunzip(path: &Path) -> String {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `gzip -dc {}`: {e}", path.display()));
    assert!(
        out.status.success(),
        "`gzip -dc {}` failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("02packages is UTF-8")
}

#[test]
fn cpan_index_paths() {
    let shared = env::var_os("RIVERPAN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../../shared"));
    let index = shared.join("data/cpan-02packages-2023-02-17.txt.gz");
    if !index.exists() {
        if env_flag("RIVERPAN_SKIP_SHARED") {
            eprintln!(
                "SKIPPED (RIVERPAN_SKIP_SHARED=1): {} not found",
                index.display()
            );
            return;
        }
        panic!(
            "CPAN index {} not found: set RIVERPAN_SHARED to the directory holding \
             data/cpan-02packages-2023-02-17.txt.gz, or RIVERPAN_SKIP_SHARED=1 to skip",
            index.display()
        );
    }
    let text = gunzip(&index);
    let mut lines = text.lines();
    // The header ends at the first blank line.
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
    }
    let mut seen = BTreeSet::new();
    for line in lines {
        let mut cols = line.split_whitespace();
        if let (Some(_package), Some(_version), Some(path)) =
            (cols.next(), cols.next(), cols.next())
        {
            seen.insert(format!("authors/id/{path}"));
        }
    }
    let paths: Vec<String> = seen.into_iter().collect();
    assert!(
        paths.len() > 40_000,
        "expected ~41k distinct paths in {}, got {}",
        index.display(),
        paths.len()
    );
    let n = compare("CPAN index (02packages 2023-02-17)", &paths);
    assert!(n == 0 || n == paths.len());
}

/// `authors/id/D/DE/DEBIAN/{file}` and the reconstructed upstream name
/// `authors/id/D/DE/DEBIAN/{cpan_dist}-{upstream_version}.tar.{ext}`.
fn debian_paths(file: &str, cpan_dist: &str) -> Vec<String> {
    const DIR: &str = "authors/id/D/DE/DEBIAN/";
    let mut paths = vec![format!("{DIR}{file}")];
    let upstream = file.split_once('_').and_then(|(_, rest)| {
        let (version, compression) = rest.split_once(".orig.tar.")?;
        let cut = ["+dfsg", "+ds", "+repack"]
            .iter()
            .filter_map(|marker| version.find(marker))
            .min()
            .unwrap_or(version.len());
        Some((&version[..cut], compression))
    });
    if let Some((version, compression)) = upstream {
        paths.push(format!("{DIR}{cpan_dist}-{version}.tar.{compression}"));
    }
    paths
}

#[test]
fn debian_corpus_names() {
    let dir = env::var_os("CPAN_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/cpan-corpus")))
        .unwrap_or_else(|| PathBuf::from(".cache/cpan-corpus"));
    let manifest = dir.join("manifest.tsv");
    let text = match std::fs::read_to_string(&manifest) {
        Ok(text) => text,
        Err(e) => {
            if env_flag("RIVERPAN_SKIP_CORPUS") {
                eprintln!(
                    "SKIPPED (RIVERPAN_SKIP_CORPUS=1): {}: {e}",
                    manifest.display()
                );
                return;
            }
            panic!(
                "corpus manifest {} not readable ({e}): run `scripts/corpus-manifest` (as root; \
                 set CPAN_CORPUS_DIR to choose the directory), or set RIVERPAN_SKIP_CORPUS=1",
                manifest.display()
            );
        }
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", manifest.display()))
    };
    let (file_col, dist_col) = (col("file"), col("cpan_dist"));
    let mut rows = 0;
    let mut paths = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(dist)) = (cols.get(file_col), cols.get(dist_col)) else {
            panic!("{}: short row {line:?}", manifest.display());
        };
        rows += 1;
        paths.extend(debian_paths(file, dist));
    }
    assert!(rows > 1000, "{}: only {rows} rows", manifest.display());
    compare(
        &format!("Debian corpus ({rows} manifest rows, Debian and upstream names)"),
        &paths,
    );
}

#[test]
fn debian_path_reconstruction() {
    assert_eq!(
        debian_paths("libfoo-bar-perl_1.23+dfsg.orig.tar.xz", "Foo-Bar"),
        [
            "authors/id/D/DE/DEBIAN/libfoo-bar-perl_1.23+dfsg.orig.tar.xz",
            "authors/id/D/DE/DEBIAN/Foo-Bar-1.23.tar.xz"
        ]
    );
    assert_eq!(
        debian_paths("x_0.5+repack2.orig.tar.gz", "X")[1],
        "authors/id/D/DE/DEBIAN/X-0.5.tar.gz"
    );
    assert_eq!(
        debian_paths("x_2.0.orig.tar.bz2", "X")[1],
        "authors/id/D/DE/DEBIAN/X-2.0.tar.bz2"
    );
}

#[test]
fn upstream_test_names() {
    let text = std::fs::read_to_string(manifest_dir().join("tests/data/upstream-test-names.txt"))
        .expect("tests/data/upstream-test-names.txt");
    let mut paths = Vec::new();
    for name in text.lines().filter(|l| !l.is_empty()) {
        paths.push(name.to_owned());
        paths.push(format!("authors/id/A/AB/ABC/{name}"));
    }
    assert!(paths.len() > 1000);
    compare("CPAN::DistnameInfo test-suite names", &paths);
}

/// SplitMix64: a tiny deterministic generator, so the generated batch is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PREFIXES: &[&str] = &[
    "",
    "",
    "authors/id/A/AB/ABC/",
    "authors/id/G/GB/GBARR/",
    "authors/id/N/NI/NI-S/",
    "authors/id/R/RJ/RJBS/sub/dir/",
    "id/J/JV/JV/",
    "M/MS/MSCHWERN/",
    "CPAN/authors/id/J/JA/JAMCC/",
    "/authors/id/X/XY/XYZZY9/",
    "http://cpan.example//authors//id/D/DE/DEBIAN/",
    "./",
    "../x/",
    "JWILLIAMS/",
    "a/AB/ABC/",
    "A/AC/ACME/",
    "A/AB/ABC",
    "authors/id/a/ab/abc/",
    "authors/id/A/AB/ABc/",
    "authors/id/A/AB/AB_C/",
    "x/authors/id/y/authors/id/B/BA/BAR/",
    "authors/id/authors/id/C/CA/CAT/",
    "id/Z/ZZ/ZZ/",
    "ID/Z/ZZ/ZZ/",
    "authors/id/\u{c9}/\u{c9}T/\u{c9}TE/",
    "foo\n/authors/id/A/AB/ABC/",
    "authors/id/A/AB/AB-1/",
    "authors/id/A/AB/ABC-/x.y/",
    "C:\\cpan\\",
    "with space/",
    "///",
];

const NAMES: &[&str] = &[
    "Foo",
    "Foo-Bar",
    "Foo-Bar-Baz",
    "perl",
    "perl",
    "parrot",
    "ponie",
    "Perl",
    "perl5",
    "perl-info",
    "Foo_Bar",
    "Foo.pm",
    "CGI.pm",
    "libwww-perl",
    "Task-Deprecations5_14",
    "Unicode-Collate-Standard-V3_1_1",
    "Foo-Bar-undef",
    "undef",
    "DBD-Oracle",
    "Acme-\u{dc}ber",
    "M\u{f6}tley-Cr\u{fc}e",
    "\u{65e5}\u{672c}\u{8a9e}",
    "with space",
    "Foo-v",
    "Foo-V2",
    "A",
    "a1",
    "1",
    "0",
    "",
    "Foo2",
    "Foo-2b",
    "x_y_z",
    "X-_Y",
    "Foo--Bar",
    "Foo.Bar",
    "Foo+Bar",
    "-Foo",
    "_Foo",
    ".Foo",
    "Foo.v",
    "Foo_v",
    "Tk",
    "Math-MatrixReal-Ext1-0",
    "Bio-MAGE-2002-09",
    "HTML-Macro.1",
    "weblint++",
    "dist",
    "Acme-\u{1F600}",
];

const SEPARATORS: &[&str] = &[
    "-", "-", "-", "_", ".", "", "-v", "-V", "_v", ".v", "--", " ", "-_", "+", "\t",
];

const VERSIONS: &[&str] = &[
    "1",
    "1.0",
    "0.01",
    "1.02_03",
    "1.2.3",
    "v1.2.3",
    "1_2",
    "1.2a",
    "1.02b3",
    "5.005_03",
    "5.005_50",
    "5.004_02",
    "5.36.0",
    "5.6.1",
    "5.7.3",
    "5.9.5",
    "5.10.0",
    "5.11.1",
    "5.8.1",
    "5.37.50",
    "5.37.49",
    "5.8.49",
    "5.8.50",
    "5.6.0100",
    "5.004_49",
    "5.005_51",
    "5.18446744073709551615",
    "5.18446744073709551616",
    "5.99999999999999999999999",
    "5.0000000000000000000000007",
    "5.10.0050",
    "2023.01.01",
    "1.2.3.4.5.6",
    "1..2",
    "1.",
    ".1",
    "0",
    "00",
    "1e3",
    "1.0-1",
    "0.03-1",
    "1.2-alpha",
    "v.53b",
    "1.2+",
    "1.0.reupload",
    "20230101",
    "1_001",
    "1.2_3.4",
    "123456789012345678901234567890",
    "0.3r74",
    "1.00rc1",
    "V3_1_1-0.1",
    "V2.0",
    "v1",
    "b1",
    "oct02",
    "\u{e9}1.0",
    "1.0\u{e9}",
    "",
];

const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "-TRIAL",
    "-TRIAL2",
    "-TRIAL0",
    "-TRIAL10",
    "-RC1",
    "-RC",
    "-withoutworldwriteables",
    "-TRIAL-withoutworldwriteables",
    "-withoutworldwriteables-TRIAL",
    "-TRIAL1-withoutworldwriteables",
    "_01",
    "-beta",
    "a",
    "-1",
    "-undef",
    "\n",
    "-withoutworldwriteables\n",
];

const EXTENSIONS: &[&str] = &[
    ".tar.gz",
    ".tar.gz",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.Z",
    ".tar.z",
    ".TAR.GZ",
    ".Tar.Bz2",
    ".zip",
    ".ZIP",
    ".pm.gz",
    ".tar",
    ".tar.xz",
    ".txz",
    ".gz",
    ".tar.gz\n",
    ".tar.gz\n\n",
    ".7z",
    "",
    ".tar.gz.asc",
    ".meta",
    "/",
    ".tar.gz/",
    "..tar.gz",
];

/// Tokens for random "soup" strings that poke at the regular expressions directly.
const SOUP: &[&str] = &[
    "-",
    "-",
    "_",
    "_",
    ".",
    ".",
    "+",
    "v",
    "V",
    "0",
    "1",
    "5",
    "7",
    "9",
    "a",
    "b",
    "Z",
    "x",
    "/",
    "\n",
    "\u{e9}",
    " ",
    "\t",
    "TRIAL",
    "RC",
    "perl",
    ".tar.gz",
    ".zip",
    ".tgz",
    "authors/id/",
    "A/AB/ABC/",
    "id/",
    "undef",
    "withoutworldwriteables",
    ".pm",
    "\u{fc}",
    "\u{2603}",
    "//",
];

fn generated() -> Vec<String> {
    let mut rng = Rng(0x5EED_D157_4A3E_0012);
    let mut paths = BTreeSet::new();

    // Every perl/parrot/ponie name with every separator, version and suffix.
    for name in ["perl", "parrot", "ponie"] {
        for sep in SEPARATORS {
            for version in VERSIONS {
                for suffix in SUFFIXES {
                    paths.insert(format!("{name}{sep}{version}{suffix}.tar.gz"));
                }
            }
        }
    }
    // Every name/separator/version with a common extension.
    for name in NAMES {
        for sep in SEPARATORS {
            for version in VERSIONS {
                paths.insert(format!("{name}{sep}{version}.tar.gz"));
            }
        }
    }
    // Random combinations of everything.
    let mut combos = 0;
    while combos < 50_000 {
        let mut path = String::new();
        path.push_str(rng.pick(PREFIXES));
        path.push_str(rng.pick(NAMES));
        // Sometimes a second version-like chunk in the middle (Foo-1.2-Bar-3.4).
        if rng.below(8) == 0 {
            path.push_str(rng.pick(SEPARATORS));
            path.push_str(rng.pick(VERSIONS));
            path.push_str(rng.pick(SEPARATORS));
            path.push_str(rng.pick(NAMES));
        }
        path.push_str(rng.pick(SEPARATORS));
        path.push_str(rng.pick(VERSIONS));
        path.push_str(rng.pick(SUFFIXES));
        path.push_str(rng.pick(EXTENSIONS));
        if paths.insert(path) {
            combos += 1;
        }
    }
    // Random token soup.
    let mut soup = 0;
    while soup < 20_000 {
        let mut path = String::new();
        for _ in 0..rng.below(24) {
            path.push_str(rng.pick(SOUP));
        }
        if rng.below(3) > 0 {
            path.push_str(rng.pick(EXTENSIONS));
        }
        if paths.insert(path) {
            soup += 1;
        }
    }
    // A few long ones (not too long: Perl's `(.+_.*)-(\d.*)` is cubic in the number of `_`,
    // 8000 of them take Perl minutes; the Rust port is linear, see the unit tests).
    paths.insert(format!("{}.tar.gz", "a-1".repeat(5000)));
    paths.insert(format!("{}.tar.gz", "1".repeat(5000)));
    paths.insert(format!("Foo-{}-1.tar.gz", "_".repeat(600)));
    paths.insert(format!("Foo-{}.tar.gz", "a_-1".repeat(300)));
    paths.insert(format!("perl-5.{}.tar.gz", "9".repeat(10_000)));
    paths.into_iter().collect()
}

#[test]
fn generated_paths() {
    let paths = generated();
    assert!(
        paths.len() > 130_000,
        "only {} generated paths",
        paths.len()
    );
    compare("generated paths", &paths);
}
