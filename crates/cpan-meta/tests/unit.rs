//! Hand-written cases: each YAML construct and rejection, JSON edge cases, and the
//! conversion of each 1.x key. (Expected values were checked against Perl.)

use cpan_meta::{
    parse_file_content, parse_json, parse_yaml, CpanMeta, Phase, RawValue, Relationship,
    ReleaseStatus,
};
use std::collections::BTreeMap;

fn s(v: &str) -> RawValue {
    RawValue::String(v.to_string())
}
fn map(pairs: &[(&str, RawValue)]) -> RawValue {
    RawValue::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}
fn yaml(text: &str) -> RawValue {
    parse_yaml(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}
fn yaml_err(text: &str) -> String {
    parse_yaml(text.as_bytes()).expect_err(text).to_string()
}

#[test]
fn yaml_plain_and_quoted_scalars() {
    assert_eq!(yaml("a: b\n"), map(&[("a", s("b"))]));
    assert_eq!(yaml("a: b # c\n"), map(&[("a", s("b"))]));
    assert_eq!(yaml("a: b#c\n"), map(&[("a", s("b#c"))]));
    assert_eq!(yaml("a: 'it''s' # c\n"), map(&[("a", s("it's"))]));
    assert_eq!(yaml("a: \"x\\ty\\x41\\\"\"\n"), map(&[("a", s("x\tyA\""))]));
    assert_eq!(yaml("a: ~\n"), map(&[("a", RawValue::Null)]));
    assert_eq!(yaml("a: ~ # c\n"), map(&[("a", s("~"))]));
    assert_eq!(
        yaml("a: {}\nb: []\n"),
        map(&[("a", map(&[])), ("b", RawValue::Array(vec![]))])
    );
    assert_eq!(
        yaml("'q k': 1\n\"d k\": 2\n"),
        map(&[("q k", s("1")), ("d k", s("2"))])
    );
    assert_eq!(yaml("Foo::Bar : 1\n"), map(&[("Foo::Bar", s("1"))]));
    assert_eq!(yaml("http://x: 1\n"), map(&[("http://x", s("1"))]));
    assert_eq!(yaml("a:b:\n"), map(&[("a:b", RawValue::Null)]));
}

#[test]
fn yaml_structures() {
    assert_eq!(
        yaml("a:\n  - x\n  - y\nb:\n- z\n"),
        map(&[
            ("a", RawValue::Array(vec![s("x"), s("y")])),
            ("b", RawValue::Array(vec![s("z")]))
        ])
    );
    assert_eq!(
        yaml("- a: 1\n  b: 2\n-\n  - x\n-y\n"),
        RawValue::Array(vec![
            map(&[("a", s("1")), ("b", s("2"))]),
            RawValue::Array(vec![s("x")]),
            s("y"),
        ])
    );
    assert_eq!(
        yaml("a:\nb: 1\n"),
        map(&[("a", RawValue::Null), ("b", s("1"))])
    );
    assert_eq!(
        yaml("a:\n  b:\n    c: d\n"),
        map(&[("a", map(&[("b", map(&[("c", s("d"))]))]))])
    );
    // A duplicate key: the later value wins.
    assert_eq!(yaml("a: 1\na: 2\n"), map(&[("a", s("2"))]));
}

#[test]
fn yaml_block_scalars() {
    assert_eq!(
        yaml("a: |\n  x\n    y\n\n  z\n"),
        map(&[("a", s("x\ny\nz\n"))])
    );
    assert_eq!(yaml("a: >-\n  x\n  y\n"), map(&[("a", s("x y"))]));
    assert!(yaml_err("a: |\n").contains("failed to find multi-line scalar content"));
    assert!(yaml_err("a: |\nb: 1\n").contains("bad indenting"));
}

#[test]
fn yaml_documents_headers_and_line_endings() {
    // The last document is returned.
    assert_eq!(
        yaml("--- #YAML:1.0\na: 1\n---\nb: 2\n"),
        map(&[("b", s("2"))])
    );
    assert_eq!(yaml("%YAML 1.1\n---\na: 1\n"), map(&[("a", s("1"))]));
    assert_eq!(yaml("--- foo\n"), s("foo"));
    // An empty, undefined or false last document is an empty hash.
    assert_eq!(yaml(""), map(&[]));
    assert_eq!(yaml("# only a comment\n"), map(&[]));
    assert_eq!(yaml("--- 0\n"), map(&[]));
    assert_eq!(yaml("---\n...\n"), map(&[]));
    assert_eq!(
        yaml("\u{feff}a: 1\r\nb: 2\rc: 3\r\r\n"),
        map(&[("a", s("1")), ("b", s("2")), ("c", s("3"))])
    );
    // Trailing white space after `---` is still a header.
    assert_eq!(yaml("--- \na: 1\n"), map(&[("a", s("1"))]));
    // A scalar document cannot be followed by a second, header-less one.
    assert!(yaml_err("--- x\na: 1\n").contains("failed to classify the line 'a: 1'"));
}

#[test]
fn yaml_rejections_with_line_numbers() {
    let e = parse_yaml(b"a: 1\nb: c: d\n").unwrap_err();
    assert_eq!(e.line(), Some(2));
    assert!(
        e.message()
            .contains("illegal characters in plain scalar: 'c: d'"),
        "{e}"
    );
    assert!(yaml_err("a: 'x' y\n").contains("does not support a feature"));
    assert!(yaml_err("a: !tag\n").contains("does not support a feature"));
    assert!(yaml_err("a: &x\n").contains("does not support a feature"));
    assert!(yaml_err("? a\n").contains("does not support a feature"));
    assert!(yaml_err("a: @x\n").contains("illegal characters"));
    assert!(yaml_err("a: - x\n").contains("illegal characters"));
    assert!(yaml_err("a: 1\n  b: 2\n").contains("bad indenting"));
    assert!(yaml_err("just text\n").contains("failed to classify line"));
    assert!(yaml_err("- a\nb: 1\n").contains("failed to classify"));
}

#[test]
fn invalid_utf8_becomes_perlqq_escapes() {
    assert_eq!(yaml("a: caf\u{e9}\n"), map(&[("a", s("caf\u{e9}"))]));
    assert_eq!(
        parse_yaml(b"a: caf\xe9\n").unwrap(),
        map(&[("a", s("caf\\xE9"))])
    );
    // In JSON the escape is an illegal backslash escape inside a string.
    assert!(parse_json(b"{\"a\":\"caf\xe9\"}").is_err());
}

#[test]
fn json_numbers_print_as_perl_prints_them() {
    let v = parse_json(b"[1.10, 1e3, -0, -0.0, 12345678901234567890, 123456789012345678901234, 18446744073709551616, 1.5e400, 45095762516743754e-1, 4509576251674375.0, 9518895204.87226e6, true, false, null]").unwrap();
    let RawValue::Array(items) = v else { panic!() };
    let printed: Vec<Option<String>> = items.iter().map(RawValue::as_perl_string).collect();
    let expected = [
        "1.1",
        "1000",
        "0",
        "0",
        "12345678901234567890",
        "123456789012345678901234",
        "1.84467440737096e+19",
        "Inf",
        "4509576251674375",
        "4.50957625167438e+15",
        "9518895204872260",
        "1",
        "0",
    ];
    for (got, want) in printed.iter().zip(expected) {
        assert_eq!(got.as_deref(), Some(want));
    }
    assert_eq!(printed.last(), Some(&None));
}

#[test]
fn json_structure_and_errors() {
    assert_eq!(
        parse_json(b"{\"a\":1,\"a\":2}")
            .unwrap()
            .get("a")
            .and_then(RawValue::as_perl_string)
            .as_deref(),
        Some("2")
    );
    assert_eq!(parse_json(b"\"abc\"").unwrap(), s("abc"));
    assert_eq!(parse_json(b"0").unwrap(), map(&[]));
    assert_eq!(parse_json(b"false").unwrap(), map(&[]));
    assert_eq!(
        parse_json(b"[\"\\ud83d\\ude00\\u00e9\"]").unwrap(),
        RawValue::Array(vec![s("\u{1F600}\u{e9}")])
    );
    for bad in [
        &b"[1] x"[..],
        b"[01]",
        b"{\"a\":1,}",
        b"[\"\t\"]",
        b"[\"\\ud800\"]",
        b"{1:2}",
        b"",
        b"[nul]",
        b"\xef\xbb\xbf[1]",
    ] {
        assert!(
            parse_json(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let e = parse_json(b"{\n  \"a\": tru\n}").unwrap_err();
    assert_eq!((e.line(), e.column()), (Some(2), Some(8)));
}

#[test]
fn file_name_dispatch() {
    assert_eq!(
        parse_file_content("META.json", b"{\"a\":1}")
            .unwrap()
            .get("a")
            .and_then(RawValue::as_perl_string)
            .as_deref(),
        Some("1")
    );
    assert!(parse_file_content("META.yml", b"{\"a\":1}").is_err());
    assert_eq!(
        parse_file_content("META", b"  {\"a\":1}")
            .unwrap()
            .get("a")
            .and_then(RawValue::as_perl_string)
            .as_deref(),
        Some("1")
    );
}

fn convert(text: &str) -> CpanMeta {
    CpanMeta::from_raw(&yaml(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn converts_1x_keys() {
    let meta = convert(
        "---\nname: Foo-Bar\nversion: 1.2_01\nabstract: A thing\nauthor: Someone\nlicense: perl\n\
         requires:\n  perl: 5.006\n  Foo::Baz: '>= 1.2, < 2'\nbuild_requires:\n  Test::More: 0\n\
         configure_requires:\n  ExtUtils::MakeMaker: 6.30\nrecommends:\n  JSON: ''\nconflicts:\n  Old: 1.0\n\
         private:\n  directory: [t]\nno_index:\n  dir:\n    - inc\n  package:\n    - Foo::Internal\n\
         resources:\n  homepage: http://example.com\n  bugtracker: mailto:bugs@example.com\n  repository: git://example.com/r.git\n  license: http://dev.perl.org/licenses/\n  IRC: irc://irc.perl.org/#foo\n\
         provides:\n  Foo::Bar:\n    file: lib/Foo/Bar.pm\n    version: v1.2\n\
         distribution_type: module\nx_authority: cpan:FOO\nmeta-spec:\n  version: 1.4\n  url: http://module-build.sourceforge.net/META-spec-v1.4.html\n",
    );
    assert_eq!(meta.name.as_deref(), Some("Foo-Bar"));
    assert_eq!(meta.release_status, ReleaseStatus::Testing);
    assert_eq!(meta.license, vec!["perl_5"]);
    assert_eq!(
        meta.license_spdx().as_deref(),
        Some("Artistic-1.0-Perl OR GPL-1.0-or-later")
    );
    assert_eq!(meta.author, vec!["Someone"]);
    let req = |p, r, m: &str| {
        meta.prereqs
            .requirements(p, r)
            .and_then(|q| q.requirements_for_module(m))
    };
    assert_eq!(
        req(Phase::Runtime, Relationship::Requires, "perl").as_deref(),
        Some("5.006")
    );
    assert_eq!(
        req(Phase::Runtime, Relationship::Requires, "Foo::Baz").as_deref(),
        Some(">= 1.2, < 2")
    );
    assert_eq!(
        req(Phase::Build, Relationship::Requires, "Test::More").as_deref(),
        Some("0")
    );
    assert_eq!(
        req(
            Phase::Configure,
            Relationship::Requires,
            "ExtUtils::MakeMaker"
        )
        .as_deref(),
        Some("6.30")
    );
    assert_eq!(
        req(Phase::Runtime, Relationship::Recommends, "JSON").as_deref(),
        Some("0")
    );
    assert_eq!(
        req(Phase::Runtime, Relationship::Conflicts, "Old").as_deref(),
        Some("1.0")
    );
    assert_eq!(meta.no_index.directory, vec!["inc"]);
    assert_eq!(meta.no_index.package, vec!["Foo::Internal"]);
    assert_eq!(
        meta.resources.homepage.as_deref(),
        Some("http://example.com")
    );
    assert_eq!(
        meta.resources
            .bugtracker
            .as_ref()
            .and_then(|b| b.mailto.as_deref()),
        Some("bugs@example.com")
    );
    let repo = meta.resources.repository.clone().unwrap();
    // Up-conversion from 1.x sets only the URL (`_repo_type` runs only when cleaning spec 2).
    assert_eq!(
        (repo.url.as_deref(), repo.type_.as_deref()),
        (Some("git://example.com/r.git"), None)
    );
    assert_eq!(
        meta.resources.license,
        vec!["http://dev.perl.org/licenses/"]
    );
    assert!(meta.resources.x_.contains_key("x_IRC"));
    assert_eq!(
        meta.provides
            .get("Foo::Bar")
            .and_then(|p| p.version.as_deref()),
        Some("v1.2.0")
    );
    assert_eq!(meta.x_authority.as_deref(), Some("cpan:FOO"));
    assert!(meta.converted.get("distribution_type").is_none());
}

#[test]
fn conversion_failures_and_defaults() {
    // No version: the validator refuses.
    assert!(CpanMeta::from_raw(&yaml("name: Foo\n")).is_err());
    // `dynamic_config: true` is not a boolean.
    assert!(CpanMeta::from_raw(&yaml("name: Foo\nversion: 1\ndynamic_config: true\n")).is_err());
    // A top-level list.
    assert!(CpanMeta::from_raw(&yaml("- a\n")).is_err());
    let meta = convert("name: Foo\nversion: 1\n");
    assert_eq!(meta.abstract_.as_deref(), Some("unknown"));
    assert_eq!(meta.license, vec!["unknown"]);
    assert!(meta.dynamic_config);
    assert_eq!(meta.release_status, ReleaseStatus::Stable);
    assert_eq!(meta.license_spdx(), None);
    // Module names as versions become two zero requirements.
    let meta = convert("name: Foo\nversion: 1\nrequires:\n  Foo: Bar::Baz\n");
    let req = meta
        .prereqs
        .requirements(Phase::Runtime, Relationship::Requires)
        .unwrap();
    assert_eq!(
        req.as_string_hash(),
        BTreeMap::from([
            ("Bar::Baz".to_string(), "0".to_string()),
            ("Foo".to_string(), "0".to_string())
        ])
    );
}
