//! `CPAN::Meta::Converter` 2.150010 (`convert(version => 2)`) and the
//! `CPAN::Meta::Validator` checks it runs after every step.

use crate::error::{ErrorKind, MetaError};
use crate::perl::is_space;
use crate::RawValue;
use cpan_version::{requirement_version, Requirements, Version};
use std::collections::BTreeMap;

type Map = BTreeMap<String, RawValue>;
type Fail = String;

const GENERATED_BY: &str = "CPAN::Meta::Converter version 2.150010";

fn die(message: impl Into<String>) -> Fail {
    message.into()
}

// ------------------------------------------------------------------------------------------
// Perl value helpers
// ------------------------------------------------------------------------------------------

/// `"$value"`: a reference prints as `HASH(0x…)` / `ARRAY(0x…)`, undef as the empty string.
fn pstr(v: &RawValue) -> String {
    match v {
        RawValue::Null => String::new(),
        RawValue::Array(_) => "ARRAY(0x1)".to_string(),
        RawValue::Map(_) => "HASH(0x1)".to_string(),
        other => other.as_perl_string().unwrap_or_default(),
    }
}

fn defined(v: Option<&RawValue>) -> bool {
    v.is_some_and(|v| !matches!(v, RawValue::Null))
}

fn truthy(v: Option<&RawValue>) -> bool {
    v.is_some_and(RawValue::is_truthy)
}

fn has_length(v: Option<&RawValue>) -> bool {
    defined(v) && v.is_some_and(|v| !pstr(v).is_empty())
}

fn string(s: &str) -> RawValue {
    RawValue::String(s.to_string())
}

/// `_dclone`: a deep copy in which `JSON::PP` booleans become the strings `1` / `0`.
fn dclone(v: &RawValue) -> RawValue {
    match v {
        RawValue::Bool(b) => string(if *b { "1" } else { "0" }),
        RawValue::Array(a) => RawValue::Array(a.iter().map(dclone).collect()),
        RawValue::Map(m) => RawValue::Map(m.iter().map(|(k, v)| (k.clone(), dclone(v))).collect()),
        other => other.clone(),
    }
}

/// `%$data` for `_convert`: undef autovivifies to an empty hash; anything else not a hash dies.
fn as_hash(v: Option<&RawValue>) -> Result<Map, Fail> {
    match v {
        None | Some(RawValue::Null) => Ok(Map::new()),
        Some(RawValue::Map(m)) => Ok(m.clone()),
        Some(RawValue::Array(_)) => Err(die("Not a HASH reference")),
        Some(other) => Err(die(format!(
            "Can't use string (\"{}\") as a HASH ref while \"strict refs\" in use",
            pstr(other)
        ))),
    }
}

// ------------------------------------------------------------------------------------------
// The generic `_convert`
// ------------------------------------------------------------------------------------------

type Fcn = fn(Option<&RawValue>, &str, &Map, &str) -> Result<Option<RawValue>, Fail>;

#[derive(Clone, Copy)]
enum Custom {
    Keep,
    Prefix,
}

struct Spec {
    fields: &'static [(&'static str, Fcn)],
    drop: &'static [&'static str],
    custom: Custom,
}

fn convert_with(data: Option<&RawValue>, spec: &Spec, to_version: &str) -> Result<Map, Fail> {
    let data = as_hash(data)?;
    let mut new_data = Map::new();
    for (key, fcn) in spec.fields {
        if let Some(value) = fcn(data.get(*key), key, &data, to_version)? {
            new_data.insert((*key).to_string(), value);
        }
    }
    for (key, value) in &data {
        if spec.drop.contains(&key.as_str()) || spec.fields.iter().any(|(k, _)| k == key) {
            continue;
        }
        let new_key = match spec.custom {
            Custom::Keep => key.clone(),
            Custom::Prefix => prefix_custom(key),
        };
        new_data.insert(new_key, value.clone());
    }
    Ok(new_data)
}

/// `_prefix_custom`: `x_` in front unless the key already starts with it (any case); a
/// leading `x-` or `x` is removed first.
fn prefix_custom(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("x_") {
        return key.to_string();
    }
    let rest = if lower.starts_with("x-") {
        key.get(2..).unwrap_or("")
    } else if lower.starts_with('x') {
        key.get(1..).unwrap_or("")
    } else {
        key
    };
    format!("x_{rest}")
}

// ------------------------------------------------------------------------------------------
// Field conversions
// ------------------------------------------------------------------------------------------

fn keep(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    Ok(e.filter(|v| !matches!(v, RawValue::Null)).cloned())
}

fn keep_or_one(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    Ok(Some(if defined(e) {
        e.cloned().unwrap_or(RawValue::Null)
    } else {
        RawValue::Number("1".into())
    }))
}

fn keep_or_unknown(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    Ok(Some(if has_length(e) {
        e.cloned().unwrap_or(RawValue::Null)
    } else {
        string("unknown")
    }))
}

fn generated_by(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    let Some(gen) = e.filter(|_| has_length(e)) else {
        return Ok(Some(string(GENERATED_BY)));
    };
    let text = pstr(gen);
    if text.contains(GENERATED_BY) {
        return Ok(Some(gen.clone()));
    }
    Ok(Some(RawValue::String(format!("{text}, {GENERATED_BY}"))))
}

fn listify(e: Option<&RawValue>) -> Option<RawValue> {
    match e {
        None | Some(RawValue::Null) => None,
        Some(RawValue::Array(a)) => Some(RawValue::Array(a.clone())),
        Some(other) => Some(RawValue::Array(vec![other.clone()])),
    }
}

fn listify_fcn(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    Ok(listify(e))
}

fn change_meta_spec(
    _: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let mut m = Map::new();
    m.insert("version".into(), string(to));
    m.insert("url".into(), string(spec_url(to)));
    Ok(Some(RawValue::Map(m)))
}

fn spec_url(version: &str) -> &'static str {
    match version {
        "2" => "http://search.cpan.org/perldoc?CPAN::Meta::Spec",
        "1.4" => "http://module-build.sourceforge.net/META-spec-v1.4.html",
        "1.3" => "http://module-build.sourceforge.net/META-spec-v1.3.html",
        "1.2" => "http://module-build.sourceforge.net/META-spec-v1.2.html",
        "1.1" => "http://module-build.sourceforge.net/META-spec-v1.1.html",
        _ => "http://module-build.sourceforge.net/META-spec-v1.0.html",
    }
}

const LICENSES_1: &[&str] = &[
    "perl",
    "gpl",
    "apache",
    "artistic",
    "artistic_2",
    "lgpl",
    "bsd",
    "mit",
    "mozilla",
    "open_source",
    "unrestricted",
    "restrictive",
    "unknown",
];

fn license_1(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    let Some(e) = e.filter(|_| defined(e)) else {
        return Ok(Some(string("unknown")));
    };
    let lower = pstr(e).to_lowercase();
    if lower == "artistic2" {
        return Ok(Some(string("artistic_2")));
    }
    if LICENSES_1.contains(&lower.as_str()) {
        return Ok(Some(RawValue::String(lower)));
    }
    Ok(Some(string("unknown")))
}

/// The spec-2 license names.
pub(crate) const LICENSES_2: &[&str] = &[
    "agpl_3",
    "apache_1_1",
    "apache_2_0",
    "artistic_1",
    "artistic_2",
    "bsd",
    "freebsd",
    "gfdl_1_2",
    "gfdl_1_3",
    "gpl_1",
    "gpl_2",
    "gpl_3",
    "lgpl_2_1",
    "lgpl_3_0",
    "mit",
    "mozilla_1_0",
    "mozilla_1_1",
    "openssl",
    "perl_5",
    "qpl_1_0",
    "ssleay",
    "sun",
    "zlib",
    "open_source",
    "restricted",
    "unrestricted",
    "unknown",
];

fn license_2_name(lower: &str) -> Option<&'static str> {
    if let Some(name) = LICENSES_2.iter().find(|n| **n == lower) {
        return Some(name);
    }
    Some(match lower {
        "apache" => "apache_2_0",
        "artistic" => "artistic_1",
        "artistic2" => "artistic_2",
        "gpl" | "lgpl" | "mozilla" => "open_source",
        "perl" => "perl_5",
        "restrictive" => "restricted",
        _ => return None,
    })
}

fn license_2(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    let unknown = || Ok(Some(RawValue::Array(vec![string("unknown")])));
    let Some(e) = e.filter(|_| defined(e)) else {
        return unknown();
    };
    let list = match e {
        RawValue::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let names: Vec<RawValue> = list
        .iter()
        .filter(|l| defined(Some(l)))
        .filter_map(|l| license_2_name(&pstr(l).to_lowercase()))
        .map(string)
        .collect();
    if names.is_empty() {
        return unknown();
    }
    Ok(Some(RawValue::Array(names)))
}

fn no_index_1_2(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let source = if truthy(meta.get("no_index")) {
        meta.get("no_index")
    } else {
        meta.get("private")
    };
    if !truthy(source) {
        return Ok(None);
    }
    let mut no_index = normalize_no_index(source, "dir")?;
    rename(&mut no_index, "files", "file");
    rename(&mut no_index, "modules", "module");
    let spec = Spec {
        fields: &[
            ("file", listify_fcn),
            ("dir", listify_fcn),
            ("package", listify_fcn),
            ("namespace", listify_fcn),
        ],
        drop: &[],
        custom: Custom::Keep,
    };
    Ok(Some(RawValue::Map(convert_with(
        Some(&RawValue::Map(no_index)),
        &spec,
        to,
    )?)))
}

/// A scalar or list `no_index` means the same names as directories and files.
fn normalize_no_index(source: Option<&RawValue>, dir_key: &str) -> Result<Map, Fail> {
    match source {
        Some(RawValue::Array(list)) => {
            let mut m = Map::new();
            m.insert(dir_key.to_string(), RawValue::Array(list.clone()));
            m.insert("file".to_string(), RawValue::Array(list.clone()));
            Ok(m)
        }
        Some(RawValue::Map(m)) => Ok(m.clone()),
        Some(item) => {
            let mut m = Map::new();
            m.insert(dir_key.to_string(), RawValue::Array(vec![item.clone()]));
            m.insert("file".to_string(), RawValue::Array(vec![item.clone()]));
            Ok(m)
        }
        None => Ok(Map::new()),
    }
}

/// `$h->{$to} = delete $h->{$from} if exists $h->{$from}`.
fn rename(m: &mut Map, from: &str, to: &str) {
    if let Some(v) = m.remove(from) {
        m.insert(to.to_string(), v);
    }
}

fn no_index_directory(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    if !truthy(e) {
        return Ok(None);
    }
    let mut element = normalize_no_index(e, "directory")?;
    rename(&mut element, "dir", "directory");
    rename(&mut element, "files", "file");
    rename(&mut element, "modules", "module");
    let spec = Spec {
        fields: &[
            ("file", listify_fcn),
            ("directory", listify_fcn),
            ("package", listify_fcn),
            ("namespace", listify_fcn),
        ],
        drop: &[],
        custom: if to == "2" {
            Custom::Prefix
        } else {
            Custom::Keep
        },
    };
    Ok(Some(RawValue::Map(convert_with(
        Some(&RawValue::Map(element)),
        &spec,
        to,
    )?)))
}

/// `_is_module_name`.
pub(crate) fn is_module_name(name: &str) -> bool {
    let name = name.strip_suffix('\n').unwrap_or(name);
    let mut parts = name.split("::");
    let Some(first) = parts.next() else {
        return false;
    };
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    first
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && word(first)
        && parts.all(word)
}

/// `_clean_version`.
pub(crate) fn clean_version(e: Option<&RawValue>) -> RawValue {
    let zero = || RawValue::Number("0".into());
    let Some(e) = e.filter(|_| defined(e)) else {
        return zero();
    };
    let text = pstr(e);
    let trimmed = text.trim_matches(is_space);
    let text = match trimmed.strip_prefix('.') {
        Some(rest) => format!("0.{rest}"),
        None => trimmed.to_string(),
    };
    if text.is_empty() || text == "undef" || text == "<undef>" {
        return zero();
    }
    match Version::parse(&text) {
        Ok(v) if v.is_qv() => RawValue::String(v.normal()),
        Ok(_) => RawValue::String(text),
        Err(_) => zero(),
    }
}

/// `_bad_version_hook`: the version `CPAN::Meta::Requirements` uses for a string
/// `version.pm` refuses, as a string `requirement_version` reads back to it.
fn bad_version_hook(v: &str) -> String {
    let v = v.trim_matches(is_space);
    let v = v.trim_end_matches(|c: char| c.is_ascii_lowercase());
    match Version::parse(v) {
        Ok(version) => {
            let s = version.stringify();
            if requirement_version(&s).is_ok() {
                s
            } else {
                "0".to_string()
            }
        }
        Err(_) => "0".to_string(),
    }
}

/// One version string through `_version_object` with the hook.
fn hooked(v: &str) -> String {
    if requirement_version(v).is_ok() {
        v.to_string()
    } else {
        bad_version_hook(v)
    }
}

/// `add_string_requirement` with `_bad_version_hook` installed.
fn add_string_requirement(
    req: &mut Requirements,
    module: &str,
    requirement: &str,
) -> Result<(), Fail> {
    let requirement = if requirement.is_empty() {
        "0"
    } else {
        requirement
    };
    for part in perl_split_commas(requirement) {
        let trimmed = part.trim_start_matches(is_space);
        let op = ["==", ">=", "<=", "!=", ">", "<"]
            .into_iter()
            .find(|op| trimmed.starts_with(op));
        let result = match op {
            None => req.add_minimum(module, &hooked(&part)),
            Some(op) => {
                let version = trimmed
                    .get(op.len()..)
                    .unwrap_or("")
                    .trim_start_matches(is_space);
                let version = hooked(version);
                match op {
                    "==" => req.add_exact_version(module, &version),
                    ">=" => req.add_minimum(module, &version),
                    "<=" => req.add_maximum(module, &version),
                    "!=" => req.add_exclusion(module, &version),
                    ">" => req.add_string_requirement(module, &format!("> {version}")),
                    _ => req.add_string_requirement(module, &format!("< {version}")),
                }
            }
        };
        result.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `split qr{\s*,\s*}, $s`: trailing empty fields dropped.
fn perl_split_commas(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in s.chars() {
        if c == ',' {
            let kept = current.trim_end_matches(is_space).to_string();
            parts.push(kept);
            current.clear();
        } else if current.is_empty() && is_space(c) && !parts.is_empty() {
            // white space after a comma belongs to the separator
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

/// `_version_map`.
fn version_map(e: Option<&RawValue>) -> Result<Option<RawValue>, Fail> {
    match e {
        None | Some(RawValue::Null) => Ok(None),
        Some(RawValue::Map(m)) => {
            let mut req = Requirements::new();
            for (k, v) in m {
                if !is_module_name(k) {
                    continue;
                }
                let mut v = pstr(v);
                if v.is_empty() || v == "undef" || v == "<undef>" {
                    v = "0".to_string();
                }
                if is_module_name(&v) && !cpan_version::is_lax(&v) {
                    req.add_minimum(k, "0").map_err(|e| e.to_string())?;
                    req.add_minimum(&v, "0").map_err(|e| e.to_string())?;
                }
                add_string_requirement(&mut req, k, &v)?;
            }
            Ok(Some(RawValue::Map(
                req.as_string_hash()
                    .into_iter()
                    .map(|(k, v)| (k, RawValue::String(v)))
                    .collect(),
            )))
        }
        Some(RawValue::Array(list)) => {
            let m: Map = list
                .iter()
                .map(|item| (pstr(item), RawValue::Number("0".into())))
                .collect();
            version_map(Some(&RawValue::Map(m)))
        }
        Some(other) => {
            let name = pstr(other);
            if name.is_empty() {
                return Ok(None);
            }
            let mut m = Map::new();
            m.insert(name, RawValue::Number("0".into()));
            Ok(Some(RawValue::Map(m)))
        }
    }
}

fn version_map_fcn(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    version_map(e)
}

fn prereqs_from_1(meta: &Map) -> Result<Map, Fail> {
    let mut prereqs = Map::new();
    let mut put = |phase: &str, rel: &str, value: Option<RawValue>| {
        let entry = prereqs
            .entry(phase.to_string())
            .or_insert_with(|| RawValue::Map(Map::new()));
        if let RawValue::Map(m) = entry {
            m.insert(rel.to_string(), value.unwrap_or(RawValue::Null));
        }
    };
    for phase in ["build", "configure"] {
        let key = format!("{phase}_requires");
        if truthy(meta.get(&key)) {
            put(phase, "requires", version_map(meta.get(&key))?);
        }
    }
    for rel in ["requires", "recommends", "conflicts"] {
        if truthy(meta.get(rel)) {
            put("runtime", rel, version_map(meta.get(rel))?);
        }
    }
    Ok(prereqs)
}

fn prereqs_from_1_fcn(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    Ok(Some(RawValue::Map(prereqs_from_1(meta)?)))
}

fn prereqs_rel(e: Option<&RawValue>, _: &str, _: &Map, to: &str) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[
            ("requires", version_map_fcn),
            ("recommends", version_map_fcn),
            ("suggests", version_map_fcn),
            ("conflicts", version_map_fcn),
        ],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

fn cleanup_prereqs(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[
            ("configure", prereqs_rel),
            ("build", prereqs_rel),
            ("test", prereqs_rel),
            ("runtime", prereqs_rel),
            ("develop", prereqs_rel),
        ],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

fn optional_features_as_map(e: Option<&RawValue>) -> Result<Option<RawValue>, Fail> {
    if !truthy(e) {
        return Ok(None);
    }
    if let Some(RawValue::Array(list)) = e {
        let mut map = Map::new();
        for feature in list {
            let pairs = as_hash(Some(feature))?;
            // Perl takes the first pair of the hash's (random) order; with one pair, as
            // written, it is that pair.
            if let Some((k, v)) = pairs.into_iter().next() {
                map.insert(k, v);
            } else {
                map.insert(String::new(), RawValue::Null);
            }
        }
        return Ok(Some(RawValue::Map(map)));
    }
    Ok(e.cloned())
}

fn optional_features_as_map_fcn(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    optional_features_as_map(e)
}

fn optional_features_1_4(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(element) = optional_features_as_map(e)? else {
        return Ok(None);
    };
    let RawValue::Map(mut features) = element else {
        return Err(die("Not a HASH reference"));
    };
    for value in features.values_mut() {
        match value {
            RawValue::Map(m) => {
                for drop in ["requires_packages", "requires_os", "excluded_os"] {
                    m.remove(drop);
                }
            }
            RawValue::Null => {}
            other => {
                return Err(die(format!(
                    "Can't use string (\"{}\") as a HASH ref while \"strict refs\" in use",
                    pstr(other)
                )))
            }
        }
    }
    Ok(Some(RawValue::Map(features)))
}

fn upgrade_optional_features(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(origin) = meta.get("optional_features") else {
        return Ok(None);
    };
    let origin = as_hash(Some(origin))?;
    let mut features = Map::new();
    for (name, feature) in origin {
        let feature = as_hash(Some(&feature))?;
        let mut prereqs = prereqs_from_1(&feature)?;
        prereqs.remove("configure");
        let mut new = Map::new();
        new.insert(
            "description".into(),
            feature
                .get("description")
                .cloned()
                .unwrap_or(RawValue::Null),
        );
        new.insert("prereqs".into(), RawValue::Map(prereqs));
        features.insert(name, RawValue::Map(new));
    }
    Ok(Some(RawValue::Map(features)))
}

fn feature_2(e: Option<&RawValue>, to: &str) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[("description", keep), ("prereqs", cleanup_prereqs)],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

fn cleanup_optional_features_2(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(RawValue::Map(m)) = e else {
        return Ok(None);
    };
    let mut new = Map::new();
    for (k, v) in m {
        new.insert(k.clone(), feature_2(Some(v), to)?.unwrap_or(RawValue::Null));
    }
    if new.is_empty() {
        return Ok(None);
    }
    Ok(Some(RawValue::Map(new)))
}

/// `_is_urlish`: `\A[-+.a-z0-9]+:.+` (any case).
fn is_urlish(e: Option<&RawValue>) -> bool {
    let Some(e) = e.filter(|_| defined(e)) else {
        return false;
    };
    let s = pstr(e);
    let scheme_len = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'))
        .count();
    scheme_len > 0
        && s.get(scheme_len..).is_some_and(|rest| {
            rest.starts_with(':')
                && rest
                    .get(1..)
                    .is_some_and(|r| r.chars().next().is_some_and(|c| c != '\n'))
        })
}

fn url_or_drop(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    Ok(if is_urlish(e) { e.cloned() } else { None })
}

fn url_list(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    if !truthy(e) {
        return Ok(None);
    }
    let Some(RawValue::Array(list)) = listify(e) else {
        return Ok(None);
    };
    let urls: Vec<RawValue> = list.into_iter().filter(|u| is_urlish(Some(u))).collect();
    Ok(if urls.is_empty() {
        None
    } else {
        Some(RawValue::Array(urls))
    })
}

fn author_list(e: Option<&RawValue>, _: &str, _: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    let unknown = || Ok(Some(RawValue::Array(vec![string("unknown")])));
    if !truthy(e) {
        return unknown();
    }
    let Some(RawValue::Array(list)) = listify(e) else {
        return unknown();
    };
    let authors: Vec<RawValue> = list
        .into_iter()
        .map(|a| {
            if has_length(Some(&a)) {
                a
            } else {
                string("unknown")
            }
        })
        .collect();
    if authors.is_empty() {
        return unknown();
    }
    Ok(Some(RawValue::Array(authors)))
}

fn resource2_license(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    Ok(if is_urlish(e) { listify(e) } else { None })
}

fn resource2_bugtracker(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(item) = e.filter(|_| truthy(e)) else {
        return Ok(None);
    };
    let text = pstr(item);
    let mut m = Map::new();
    if let Some(rest) = text
        .strip_prefix("mailto:")
        .filter(|r| !r.contains('\n') || r.ends_with('\n') && r.matches('\n').count() == 1)
    {
        m.insert(
            "mailto".into(),
            RawValue::String(rest.trim_end_matches('\n').to_string()),
        );
        return Ok(Some(RawValue::Map(m)));
    }
    if is_urlish(Some(item)) {
        m.insert("web".into(), item.clone());
        return Ok(Some(RawValue::Map(m)));
    }
    Ok(None)
}

fn resource2_repository(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    if !is_urlish(e) {
        return Ok(None);
    }
    let mut m = Map::new();
    m.insert("url".into(), e.cloned().unwrap_or(RawValue::Null));
    Ok(Some(RawValue::Map(m)))
}

fn upgrade_resources_2(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(resources) = meta.get("resources") else {
        return Ok(None);
    };
    let spec = Spec {
        fields: &[
            ("license", resource2_license),
            ("homepage", url_or_drop),
            ("bugtracker", resource2_bugtracker),
            ("repository", resource2_repository),
        ],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(
        Some(resources),
        &spec,
        to,
    )?)))
}

fn repo_type(e: Option<&RawValue>, _: &str, repo: &Map, _: &str) -> Result<Option<RawValue>, Fail> {
    if defined(e) {
        return Ok(e.cloned());
    }
    let Some(url) = repo.get("url") else {
        return Ok(None);
    };
    let url = pstr(url);
    for kind in ["git", "svn"] {
        if url.starts_with(kind) {
            return Ok(Some(string(kind)));
        }
    }
    Ok(None)
}

fn cleanup_bugtracker(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_) | RawValue::Array(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[("web", url_or_drop), ("mailto", keep)],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

fn cleanup_repository(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_) | RawValue::Array(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[
            ("web", url_or_drop),
            ("url", url_or_drop),
            ("type", repo_type),
        ],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

fn cleanup_resources_2(
    e: Option<&RawValue>,
    _: &str,
    _: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    if !matches!(e, Some(RawValue::Map(_))) {
        return Ok(None);
    }
    let spec = Spec {
        fields: &[
            ("license", url_list),
            ("homepage", url_or_drop),
            ("bugtracker", cleanup_bugtracker),
            ("repository", cleanup_repository),
        ],
        drop: &[],
        custom: Custom::Prefix,
    };
    Ok(Some(RawValue::Map(convert_with(e, &spec, to)?)))
}

const RESOURCE_1_FIELDS: &[(&str, Fcn)] = &[
    ("license", url_or_drop),
    ("homepage", url_or_drop),
    ("bugtracker", url_or_drop),
    ("repository", url_or_drop),
];

fn resources_1_3(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let Some(resources) = meta.get("resources") else {
        return Ok(None);
    };
    let spec = Spec {
        fields: RESOURCE_1_FIELDS,
        drop: &[],
        custom: Custom::Keep,
    };
    Ok(Some(RawValue::Map(convert_with(
        Some(resources),
        &spec,
        to,
    )?)))
}

fn resources_1_2(
    _: Option<&RawValue>,
    _: &str,
    meta: &Map,
    to: &str,
) -> Result<Option<RawValue>, Fail> {
    let resources = if truthy(meta.get("resources")) {
        meta.get("resources").cloned().unwrap_or(RawValue::Null)
    } else {
        RawValue::Map(Map::new())
    };
    let mut resources = as_hash(Some(&resources))?;
    if truthy(meta.get("license_url"))
        && !truthy(resources.get("license"))
        && is_urlish(meta.get("license_url"))
    {
        if let Some(url) = meta.get("license_url") {
            resources.insert("license".into(), url.clone());
        }
    }
    if resources.is_empty() {
        return Ok(None);
    }
    let spec = Spec {
        fields: RESOURCE_1_FIELDS,
        drop: &[],
        custom: Custom::Keep,
    };
    Ok(Some(RawValue::Map(convert_with(
        Some(&RawValue::Map(resources)),
        &spec,
        to,
    )?)))
}

/// `_release_status`.
fn release_status(
    e: Option<&RawValue>,
    _: &str,
    meta: &Map,
    _: &str,
) -> Result<Option<RawValue>, Fail> {
    if let Some(v) = e.filter(|_| truthy(e)) {
        let s = pstr(v);
        if matches!(s.as_str(), "stable" | "testing" | "unstable") {
            return Ok(Some(v.clone()));
        }
    }
    let version = meta
        .get("version")
        .filter(|v| v.is_truthy())
        .map(pstr)
        .unwrap_or_default();
    Ok(Some(string(if version.contains('_') {
        "testing"
    } else {
        "stable"
    })))
}

fn provides(e: Option<&RawValue>, _: &str, _: &Map, to: &str) -> Result<Option<RawValue>, Fail> {
    let Some(RawValue::Map(element)) = e else {
        return Ok(None);
    };
    let spec = Spec {
        fields: &[("file", keep), ("version", keep)],
        drop: &[],
        custom: if to == "2" {
            Custom::Prefix
        } else {
            Custom::Keep
        },
    };
    let mut new = Map::new();
    for (k, v) in element {
        let mut entry = convert_with(Some(v), &spec, to)?;
        if let RawValue::Map(original) = v {
            if original.contains_key("version") {
                entry.insert("version".into(), clean_version(original.get("version")));
            }
        }
        new.insert(k.clone(), RawValue::Map(entry));
    }
    Ok(Some(RawValue::Map(new)))
}

// ------------------------------------------------------------------------------------------
// The conversion tables
// ------------------------------------------------------------------------------------------

const DROP_FOR_2: &[&str] = &[
    "build_requires",
    "configure_requires",
    "conflicts",
    "distribution_type",
    "license_url",
    "private",
    "recommends",
    "requires",
];

fn step_spec(target: &str, cleanup_2: bool) -> Spec {
    match target {
        "2" if cleanup_2 => Spec {
            fields: &[
                ("abstract", keep_or_unknown),
                ("author", author_list),
                ("generated_by", generated_by),
                ("license", license_2),
                ("meta-spec", change_meta_spec),
                ("name", keep),
                ("version", keep),
                ("dynamic_config", keep_or_one),
                ("release_status", release_status),
                ("keywords", keep),
                ("no_index", no_index_directory),
                ("optional_features", cleanup_optional_features_2),
                ("provides", provides),
                ("resources", cleanup_resources_2),
                ("description", keep),
                ("prereqs", cleanup_prereqs),
            ],
            drop: DROP_FOR_2,
            custom: Custom::Prefix,
        },
        "2" => Spec {
            fields: &[
                ("abstract", keep_or_unknown),
                ("author", author_list),
                ("generated_by", generated_by),
                ("license", license_2),
                ("meta-spec", change_meta_spec),
                ("name", keep),
                ("version", keep),
                ("dynamic_config", keep_or_one),
                ("release_status", release_status),
                ("keywords", keep),
                ("no_index", no_index_directory),
                ("optional_features", upgrade_optional_features),
                ("provides", provides),
                ("resources", upgrade_resources_2),
                ("description", keep),
                ("prereqs", prereqs_from_1_fcn),
            ],
            drop: DROP_FOR_2,
            custom: Custom::Prefix,
        },
        "1.4" => Spec {
            fields: &[
                ("abstract", keep_or_unknown),
                ("author", author_list),
                ("generated_by", generated_by),
                ("license", license_1),
                ("meta-spec", change_meta_spec),
                ("name", keep),
                ("version", keep),
                ("build_requires", version_map_fcn),
                ("conflicts", version_map_fcn),
                ("distribution_type", keep),
                ("dynamic_config", keep_or_one),
                ("keywords", keep),
                ("no_index", no_index_directory),
                ("optional_features", optional_features_1_4),
                ("provides", provides),
                ("recommends", version_map_fcn),
                ("requires", version_map_fcn),
                ("resources", resources_1_3),
                ("configure_requires", keep),
            ],
            drop: &["license_url", "private"],
            custom: Custom::Keep,
        },
        "1.3" => Spec {
            fields: &[
                ("abstract", keep_or_unknown),
                ("author", author_list),
                ("generated_by", generated_by),
                ("license", license_1),
                ("meta-spec", change_meta_spec),
                ("name", keep),
                ("version", keep),
                ("build_requires", version_map_fcn),
                ("conflicts", version_map_fcn),
                ("distribution_type", keep),
                ("dynamic_config", keep_or_one),
                ("keywords", keep),
                ("no_index", no_index_directory),
                ("optional_features", optional_features_as_map_fcn),
                ("provides", provides),
                ("recommends", version_map_fcn),
                ("requires", version_map_fcn),
                ("resources", resources_1_3),
            ],
            drop: &["license_url", "private"],
            custom: Custom::Keep,
        },
        "1.2" => Spec {
            fields: &[
                ("version", keep),
                ("license", license_1),
                ("name", keep),
                ("generated_by", generated_by),
                ("abstract", keep_or_unknown),
                ("author", author_list),
                ("meta-spec", change_meta_spec),
                ("build_requires", version_map_fcn),
                ("conflicts", version_map_fcn),
                ("distribution_type", keep),
                ("dynamic_config", keep_or_one),
                ("recommends", version_map_fcn),
                ("requires", version_map_fcn),
                ("keywords", keep),
                ("no_index", no_index_1_2),
                ("optional_features", optional_features_as_map_fcn),
                ("provides", provides),
                ("resources", resources_1_2),
            ],
            drop: &["license_url", "private"],
            custom: Custom::Keep,
        },
        _ => Spec {
            fields: &[
                ("version", keep),
                ("name", keep),
                ("build_requires", version_map_fcn),
                ("conflicts", version_map_fcn),
                ("distribution_type", keep),
                ("dynamic_config", keep_or_one),
                ("generated_by", generated_by),
                ("license", license_1),
                ("recommends", version_map_fcn),
                ("requires", version_map_fcn),
                ("license_url", url_or_drop),
                ("private", keep),
            ],
            drop: &[],
            custom: Custom::Keep,
        },
    }
}

/// `_extract_spec_version`.
fn extract_spec_version(data: &Map) -> &'static str {
    const KNOWN: &[(&str, f64)] = &[
        ("1.0", 1.0),
        ("1.1", 1.1),
        ("1.2", 1.2),
        ("1.3", 1.3),
        ("1.4", 1.4),
        ("2", 2.0),
    ];
    let Some(RawValue::Map(spec)) = data.get("meta-spec") else {
        return "1.0";
    };
    if let Some(v) = spec.get("version").filter(|v| defined(Some(v))) {
        let v = pstr(v);
        let body = v.strip_suffix('\n').unwrap_or(&v);
        let looks_numeric = {
            let (int, frac) = match body.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (body, None),
            };
            !int.is_empty()
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.map_or(true, |f| {
                    !f.is_empty() && f.chars().all(|c| c.is_ascii_digit())
                })
        };
        if looks_numeric {
            if let Some((name, _)) = KNOWN.iter().find(|(name, _)| *name == v) {
                return name;
            }
            let n: f64 = body.parse().unwrap_or(-1.0);
            if let Some((name, _)) = KNOWN.iter().find(|(_, num)| *num == n) {
                return name;
            }
        }
    }
    if data.contains_key("prereqs") {
        return "2";
    }
    if data.contains_key("configure_requires") {
        return "1.4";
    }
    "1.2"
}

/// `CPAN::Meta::Converter->new($raw)->convert(version => 2)`, validation included.
pub(crate) fn convert_to_2(raw: &RawValue) -> Result<RawValue, MetaError> {
    let fail = |m: String| MetaError::new(ErrorKind::Conversion, m);
    let data = match raw {
        RawValue::Map(m) => m,
        RawValue::Array(_) => return Err(fail("Not a HASH reference".into())),
        other => {
            return Err(fail(format!(
                "Can't use string (\"{}\") as a HASH ref while \"strict refs\" in use",
                pstr(other)
            )))
        }
    };
    let old = extract_spec_version(data);
    let mut converted = dclone(raw);
    let steps: &[&str] = match old {
        "2" => &["2"],
        "1.4" => &["2"],
        "1.3" => &["1.4", "2"],
        "1.2" => &["1.3", "1.4", "2"],
        "1.1" => &["1.2", "1.3", "1.4", "2"],
        _ => &["1.1", "1.2", "1.3", "1.4", "2"],
    };
    for step in steps {
        let spec = step_spec(step, old == "2");
        converted = RawValue::Map(convert_with(Some(&converted), &spec, step).map_err(fail)?);
        let errors = crate::validate::validate(&converted);
        if !errors.is_empty() {
            let what = if old == "2" {
                "Failed to clean-up 2 metadata".to_string()
            } else {
                format!("Failed to upconvert metadata to {step}")
            };
            return Err(fail(format!("{what}. Errors:\n{}", errors.join("\n"))));
        }
    }
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_custom_rules() {
        assert_eq!(prefix_custom("x_foo"), "x_foo");
        assert_eq!(prefix_custom("X_foo"), "X_foo");
        assert_eq!(prefix_custom("x-foo"), "x_foo");
        assert_eq!(prefix_custom("xfoo"), "x_foo");
        assert_eq!(prefix_custom("IRC"), "x_IRC");
    }

    #[test]
    fn split_commas_like_perl() {
        assert_eq!(perl_split_commas(">= 1, < 2"), vec![">= 1", "< 2"]);
        assert_eq!(perl_split_commas(",1"), vec!["", "1"]);
        assert_eq!(perl_split_commas(","), Vec::<String>::new());
    }

    #[test]
    fn clean_version_rules() {
        assert_eq!(clean_version(Some(&string(" .5 "))), string("0.5"));
        assert_eq!(clean_version(Some(&string("v1.2"))), string("v1.2.0"));
        assert_eq!(
            clean_version(Some(&string("undef")))
                .as_perl_string()
                .as_deref(),
            Some("0")
        );
        assert_eq!(
            clean_version(Some(&string("abc")))
                .as_perl_string()
                .as_deref(),
            Some("0")
        );
    }
}
