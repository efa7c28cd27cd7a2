//! Properties: the parsers never panic, whatever the input; snapshots and their sha256
//! sidecars read back exactly what was written.

use cpan_cpanfile::{Cpanfile, Error, Sha256, Snapshot, SnapshotDistribution, VersionRange};
use proptest::prelude::*;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// cpanfile
// ---------------------------------------------------------------------------------------------

/// Pieces of cpanfiles, valid and not, to build token soup from.
const PIECES: &[&str] = &[
    "requires",
    "recommends",
    "suggests",
    "conflicts",
    "test_requires",
    "on",
    "feature",
    "mirror",
    "sub",
    "{",
    "}",
    "(",
    ")",
    ";",
    ",",
    "=>",
    "'Foo'",
    "\"Bar::Baz\"",
    "'1.0'",
    "'>= 1, < 2'",
    "1.10",
    "v5.10",
    "5.10.1",
    "q(",
    "q(x)",
    "qw(a b)",
    "qq{y}",
    "#c\n",
    "\n=pod\n",
    "\n=cut\n",
    "$x",
    "@y",
    "%z",
    "&f",
    "'test'",
    "test",
    "undef",
    "__END__",
    "\"",
    "'",
    "\\",
    "0x1",
    "1e999",
    "1e3",
    "ééé",
    "\t",
    "\r\n",
    "\n",
    " ",
    ".5",
    "010",
    "<<EOF",
    "if",
    "use",
    "strict",
    "dist",
    "git",
    "ref",
    "'x_y'",
    "2.",
    "1_0",
    "0",
    "'0'",
    "''",
    "\"\\t\\$\"",
    "\"\\x41\"",
    "q#a#",
    "qw",
    "v1",
    "::",
    "Foo::Bar",
    "osname",
    "-",
    ".",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| {
        let mut out = String::new();
        for (i, p) in pieces.iter().enumerate() {
            if i % 3 == 1 {
                out.push(' ');
            }
            out.push_str(p);
        }
        out
    })
}

fn check_cpanfile(src: &str) {
    match Cpanfile::parse(src) {
        Ok(c) => {
            // Everything read is consistent with itself.
            for d in c.declarations() {
                assert!(d.location.line >= 1 && d.location.column >= 1);
            }
            let ids: Vec<&str> = c.features().iter().map(|f| f.identifier.as_str()).collect();
            let _ = c.effective_prereqs(&ids);
        }
        Err(e) => {
            let lines = src.split('\n').count();
            let location = match &e {
                Error::Unsupported { location, .. }
                | Error::Syntax { location, .. }
                | Error::Unterminated { location, .. }
                | Error::Arguments { location, .. }
                | Error::UnknownPhase { location, .. }
                | Error::UnknownOption { location, .. }
                | Error::Requirement { location, .. } => *location,
                other => panic!("a cpanfile error without a location: {other:?}"),
            };
            assert!(
                location.line >= 1 && location.line <= lines && location.column >= 1,
                "{e} in {src:?}"
            );
            assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cpanfile_parser_never_panics(src in any::<String>()) {
        check_cpanfile(&src);
    }

    #[test]
    fn cpanfile_parser_never_panics_on_token_soup(src in soup()) {
        check_cpanfile(&src);
    }
}

// ---------------------------------------------------------------------------------------------
// cpanfile.snapshot
// ---------------------------------------------------------------------------------------------

/// A requirement string as `CPAN::Meta::Requirements` writes it.
fn canonical_requirement() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["", ">= ", "<= ", "> ", "< ", "== ", "!= "]);
    let version = prop_oneof![
        "[0-9]{1,2}",
        "[0-9]{1,2}\\.[0-9]{1,4}",
        "[0-9]\\.[0-9]{2}_[0-9]{2}",
        "v[0-9]{1,2}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    ];
    prop::collection::vec((op, version), 1..4).prop_filter_map("a range", |parts| {
        let text = parts
            .iter()
            .map(|(op, v)| format!("{op}{v}"))
            .collect::<Vec<_>>()
            .join(", ");
        VersionRange::parse(&text).ok().map(|r| r.as_string())
    })
}

fn distribution() -> impl Strategy<Value = SnapshotDistribution> {
    let name = "[A-Za-zé][A-Za-z0-9_.é-]{0,15}";
    let pathname = prop_oneof![
        Just(String::new()),
        "[A-Z]/[A-Z]{2}/[A-Z]{3,8}/[A-Za-z0-9._ -]{1,20}",
    ];
    let package = "[A-Za-z_][A-Za-z0-9_:]{0,12}";
    let version = prop::option::of(prop_oneof![
        "[0-9]{1,3}(\\.[0-9_]{1,4}){0,2}",
        "v[0-9]\\.[0-9]{1,3}",
        "[0-9]\\.[0-9] ",
        "[v0-9._,=!<> ]{1,8}",
    ]);
    let sha = prop::option::of(prop::array::uniform32(any::<u8>()));
    (
        name,
        pathname,
        prop::collection::btree_map(package, version, 0..5),
        prop::collection::btree_map(
            "[A-Za-z_][A-Za-z0-9_:]{0,12}",
            canonical_requirement(),
            0..5,
        ),
        sha,
    )
        .prop_map(
            |(name, pathname, provides, requirements, sha)| SnapshotDistribution {
                name,
                pathname,
                provides: provides
                    .into_iter()
                    // The string `undef` is how the file writes `None`.
                    .map(|(k, v)| (k, v.filter(|v| v != "undef")))
                    .collect(),
                requirements,
                sha256: sha.map(Sha256::from_bytes),
            },
        )
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    prop::collection::vec(distribution(), 0..6).prop_map(|mut distributions| {
        // Carton writes the distributions sorted by name (a stable sort).
        distributions.sort_by(|a, b| a.name.cmp(&b.name));
        // One pathname per distribution, so that each has its own digest.
        for (i, d) in distributions.iter_mut().enumerate() {
            if !d.pathname.is_empty() {
                d.pathname = format!("{}-{i}.tar.gz", d.pathname);
            }
        }
        Snapshot { distributions }
    })
}

fn without_digests(s: &Snapshot) -> Snapshot {
    let mut s = s.clone();
    for d in &mut s.distributions {
        d.sha256 = None;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn snapshot_reads_back_what_was_written(s in snapshot()) {
        let text = s.emit().unwrap();
        let read = Snapshot::parse(&text).unwrap();
        prop_assert_eq!(&read, &without_digests(&s));
        prop_assert_eq!(read.emit().unwrap(), text);
    }

    #[test]
    fn sha256_sidecar_reads_back(s in snapshot()) {
        let s = {
            let mut s = s;
            for d in &mut s.distributions {
                if d.pathname.is_empty() {
                    d.sha256 = None;
                }
            }
            s
        };
        let sidecar = s.emit_sha256_sidecar().unwrap();
        let mut read = Snapshot::parse(&s.emit().unwrap()).unwrap();
        read.apply_sha256_sidecar(&sidecar).unwrap();
        prop_assert_eq!(read, s);
    }

    #[test]
    fn snapshot_parser_never_panics(text in any::<String>()) {
        let _ = Snapshot::parse(&text);
        let mut empty = Snapshot::default();
        let _ = empty.apply_sha256_sidecar(&text);
    }

    #[test]
    fn parsed_snapshots_write_back_or_say_why(
        lines in prop::collection::vec(prop::sample::select(vec![
            "# carton snapshot format: version 1.0", "DISTRIBUTIONS", "  Foo-1.0", "  Bar-2",
            "    pathname: F/FO/FOO/Foo-1.0.tar.gz", "    pathname: x\r", "    provides:",
            "    requirements:", "      Foo 1.0", "      Foo undef", "      Foo >= 1, < 2",
            "      Bar 1.0 ", "      Bar ,", "      perl v5.10", "      Foo == 1", "__EOF__", "",
            "\trequirements:", "      Baz 1.0\r", "   x",
        ]), 0..30),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        if let Ok(s) = Snapshot::parse(&text) {
            match s.emit() {
                Ok(written) => {
                    let mut sorted = s.clone();
                    sorted.distributions.sort_by(|a, b| a.name.cmp(&b.name));
                    prop_assert_eq!(Snapshot::parse(&written).unwrap(), sorted);
                }
                Err(e) => prop_assert!(
                    matches!(e, Error::Unrepresentable { .. }),
                    "{e}"
                ),
            }
        }
    }
}

#[test]
fn provides_map_is_sorted_like_perl() {
    // Perl's `sort` compares code points; so does `BTreeMap<String, _>`.
    let mut provides = BTreeMap::new();
    for p in ["b", "B", "_", "a::b", "a", "Z9"] {
        provides.insert(p.to_string(), None);
    }
    let s = Snapshot {
        distributions: vec![SnapshotDistribution {
            name: "X-1".into(),
            provides,
            ..SnapshotDistribution::default()
        }],
    };
    let text = s.emit().unwrap();
    let order: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("      "))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(order, ["B", "Z9", "_", "a", "a::b", "b"]);
}
