//! Generated YAML and JSON texts, riverpan against `CPAN::Meta::YAML` / `JSON::PP` (through a
//! persistent Perl process): accept/reject and the resulting structure must agree.

mod common;

use common::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("RIVERPAN_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000)
}

fn indent() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("  ".to_string()),
        Just("    ".to_string()),
        Just("\t".to_string()),
        Just("\u{a0}".to_string()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name".to_string()),
        Just("requires".to_string()),
        Just("Foo::Bar".to_string()),
        Just("'quoted key'".to_string()),
        Just("\"dq\\tkey\"".to_string()),
        Just("a:b".to_string()),
        Just("http://x".to_string()),
        Just("k ".to_string()),
        Just("? q".to_string()),
        Just("'it''s'".to_string()),
        "[a-z:]{1,5}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("1.10".to_string()),
        Just("~".to_string()),
        Just("'single'".to_string()),
        Just("'it''s' # c".to_string()),
        Just("\"double \\x41\\n\\\"q\\\"\"".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        Just("[a, b]".to_string()),
        Just("|".to_string()),
        Just(">-".to_string()),
        Just("value # comment".to_string()),
        Just("a: b".to_string()),
        Just("- x".to_string()),
        Just("@x".to_string()),
        Just("!tag".to_string()),
        Just("&anchor".to_string()),
        Just("x#y".to_string()),
        Just("0".to_string()),
        "[ -~]{0,6}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (indent(), key(), value()).prop_map(|(i, k, v)| format!("{i}{k}: {v}")),
        2 => (indent(), key()).prop_map(|(i, k)| format!("{i}{k}:")),
        3 => (indent(), value()).prop_map(|(i, v)| format!("{i}- {v}")),
        1 => indent().prop_map(|i| format!("{i}-")),
        1 => (indent(), key(), value()).prop_map(|(i, k, v)| format!("{i}- {k}: {v}")),
        1 => Just("---".to_string()),
        1 => Just("--- #YAML:1.0".to_string()),
        1 => Just("--- ".to_string()),
        1 => Just("--- scalar".to_string()),
        1 => Just("...".to_string()),
        1 => Just("%YAML 1.1".to_string()),
        1 => Just("# comment".to_string()),
        1 => Just(String::new()),
        1 => (indent(), "[ -~]{0,8}").prop_map(|(i, s)| format!("{i}{s}")),
    ]
}

fn yaml_text() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(line(), 0..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        any::<bool>(),
    )
        .prop_map(|(lines, eol, bom)| {
            let mut s = if bom {
                "\u{feff}".to_string()
            } else {
                String::new()
            };
            s.push_str(&lines.join(eol));
            s.into_bytes()
        })
}

fn json_text() -> impl Strategy<Value = Vec<u8>> {
    let atom = prop_oneof![
        Just("1.10".to_string()),
        Just("1e3".to_string()),
        Just("-0".to_string()),
        Just("-0.0".to_string()),
        Just("01".to_string()),
        Just("123456789012345678901234".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
        Just("nul".to_string()),
        Just("\"\\u00e9\\ud83d\\ude00\"".to_string()),
        Just("\"\\ud800\"".to_string()),
        Just("\"a\\x\"".to_string()),
        Just("\"tab\there\"".to_string()),
        Just("\"é\"".to_string()),
        "-?[0-9]{1,22}(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
    ];
    atom.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|v| {
                let body: Vec<String> = v.iter().map(|(k, x)| format!("\"{k}\":{x}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
    .prop_flat_map(|s| {
        (
            Just(s),
            prop_oneof![Just(""), Just(" "), Just(" x"), Just(","), Just("\n")],
        )
    })
    .prop_map(|(s, tail)| format!("{s}{tail}").into_bytes())
}

/// ASCII bytes (YAML's punctuation often), whole UTF-8 characters, and lone lead bytes.
fn byte_chunk() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::sample::select(b" \t\r\n-:#'\"~|>{}[]!&@%`?.,".to_vec()).prop_map(|b| vec![b]),
        6 => (0x20u8..0x7f).prop_map(|b| vec![b]),
        2 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
    ]
}

/// Whether a malformed UTF-8 sequence (a stray continuation byte, a lead byte without all
/// its continuation bytes, or a 5- to 13-byte form) is followed later by another non-ASCII
/// byte: README, "Encode's escaping after a malformed sequence".
fn has_stray_continuation(bytes: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let want = match b {
            0x00..=0x7F => 1,
            0x80..=0xBF => 0,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 5,
        };
        let mut end = i + 1;
        while end < i + want.max(1) && bytes.get(end).is_some_and(|c| (0x80..=0xBF).contains(c)) {
            end += 1;
        }
        let malformed = want == 0 || want == 5 || end < i + want;
        if malformed
            && bytes
                .get(end..)
                .is_some_and(|rest| rest.iter().any(|&c| c >= 0x80))
        {
            return true;
        }
        i = end;
    }
    false
}

fn compare(kind: char, bytes: &[u8]) -> Result<(), TestCaseError> {
    let theirs =
        parse_answer(&with_oracle(|o| o.batch(&[format!("{kind}\t{}", hex(bytes))])).remove(0));
    let parsed = if kind == 'y' {
        cpan_meta::parse_yaml(bytes)
    } else {
        cpan_meta::parse_json(bytes)
    };
    let mine = ours(parsed);
    prop_assert!(
        same(&theirs.0, &mine.0),
        "raw differs for {:?}\n perl: {}\n ours: {}",
        String::from_utf8_lossy(bytes),
        describe(&theirs.0),
        describe(&mine.0)
    );
    prop_assert!(
        same(&theirs.1, &mine.1),
        "conversion differs for {:?}\n perl: {}\n ours: {}",
        String::from_utf8_lossy(bytes),
        describe(&theirs.1),
        describe(&mine.1)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn generated_yaml_matches_cpan_meta_yaml(bytes in yaml_text()) {
        if perl_skipped() { return Ok(()); }
        compare('y', &bytes)?;
    }

    #[test]
    fn generated_json_matches_json_pp(bytes in json_text()) {
        if perl_skipped() { return Ok(()); }
        compare('j', &bytes)?;
    }

    #[test]
    fn arbitrary_bytes_match_as_yaml(
        chunks in prop::collection::vec(byte_chunk(), 0..40),
        bad in prop::option::of((any::<u8>(), any::<prop::sample::Index>())),
    ) {
        if perl_skipped() { return Ok(()); }
        let mut bytes: Vec<u8> = chunks.concat();
        if let Some((byte, at)) = bad {
            let at = at.index(bytes.len() + 1);
            bytes.insert(at, byte);
        }
        // README: a stray continuation byte followed by more non-ASCII is a known difference
        // in how many bytes Encode escapes.
        prop_assume!(!has_stray_continuation(&bytes));
        compare('y', &bytes)?;
    }
}
