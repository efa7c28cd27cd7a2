//! Properties that need no Perl: no input panics, and simple structures written as YAML read
//! back as they were.

use cpan_meta::{parse_json, parse_yaml, CpanMeta, RawValue};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn cases() -> u32 {
    std::env::var("RIVERPAN_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000)
}

/// Keys and values the YAML subset writes without quotes.
fn word() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.]{0,8}"
}

#[derive(Debug, Clone)]
enum Tree {
    Scalar(String),
    List(Vec<String>),
    Map(BTreeMap<String, Tree>),
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        word().prop_map(Tree::Scalar),
        prop::collection::vec(word(), 1..4).prop_map(Tree::List),
    ];
    leaf.prop_recursive(3, 20, 4, |inner| {
        prop::collection::btree_map(word(), inner, 1..4).prop_map(Tree::Map)
    })
}

fn write(tree: &BTreeMap<String, Tree>, indent: usize, out: &mut String) {
    for (k, v) in tree {
        let pad = " ".repeat(indent);
        match v {
            Tree::Scalar(s) => out.push_str(&format!("{pad}{k}: '{s}'\n")),
            Tree::List(items) => {
                out.push_str(&format!("{pad}{k}:\n"));
                for i in items {
                    out.push_str(&format!("{pad}  - {i}\n"));
                }
            }
            Tree::Map(m) => {
                out.push_str(&format!("{pad}{k}:\n"));
                write(m, indent + 2, out);
            }
        }
    }
}

fn expected(tree: &BTreeMap<String, Tree>) -> RawValue {
    RawValue::Map(
        tree.iter()
            .map(|(k, v)| {
                let v = match v {
                    Tree::Scalar(s) => RawValue::String(s.clone()),
                    Tree::List(items) => {
                        RawValue::Array(items.iter().cloned().map(RawValue::String).collect())
                    }
                    Tree::Map(m) => expected(m),
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for raw in [parse_yaml(&bytes), parse_json(&bytes)].into_iter().flatten() {
            let _ = CpanMeta::from_raw(&raw);
        }
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([ \\-:#'\"|>~{}\\[\\]a-z0-9\\n]|\\r\\n){0,120}") {
        if let Ok(raw) = parse_yaml(text.as_bytes()) {
            let _ = CpanMeta::from_raw(&raw);
        }
    }

    #[test]
    fn written_structures_read_back(tree in prop::collection::btree_map(word(), tree(), 1..5), header in any::<bool>()) {
        let mut text = if header { "--- #YAML:1.0\n".to_string() } else { String::new() };
        write(&tree, 0, &mut text);
        prop_assert_eq!(parse_yaml(text.as_bytes()).unwrap(), expected(&tree));
    }
}
