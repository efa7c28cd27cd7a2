//! `CPAN::Meta::Validator` 2.150010 `is_valid`, for the structures the converter produces.

use crate::RawValue;
use std::collections::BTreeMap;

type Check = fn(&mut Validator<'_>, &str, Option<&RawValue>);
type NameCheck = fn(&mut Validator<'_>, &str);

enum Kind {
    Value(Check),
    Map(&'static MapSpec),
    List(Check),
}

struct Entry {
    mandatory: bool,
    kind: Kind,
}

struct MapSpec {
    keys: &'static [(&'static str, Entry)],
    /// `:key`: the check on other keys' names and what their values must be.
    other: Option<(NameCheck, Kind)>,
}

struct Validator<'a> {
    spec: &'a str,
    data: &'a BTreeMap<String, RawValue>,
    errors: Vec<String>,
}

fn pstr(v: &RawValue) -> String {
    match v {
        RawValue::Null => String::new(),
        RawValue::Array(_) => "ARRAY(0x1)".to_string(),
        RawValue::Map(_) => "HASH(0x1)".to_string(),
        other => other.as_perl_string().unwrap_or_default(),
    }
}

fn defined(v: Option<&RawValue>) -> Option<&RawValue> {
    v.filter(|v| !matches!(v, RawValue::Null))
}

const fn value(check: Check) -> Entry {
    Entry {
        mandatory: false,
        kind: Kind::Value(check),
    }
}
const fn required(check: Check) -> Entry {
    Entry {
        mandatory: true,
        kind: Kind::Value(check),
    }
}
const fn list(check: Check) -> Entry {
    Entry {
        mandatory: false,
        kind: Kind::List(check),
    }
}
const fn map(spec: &'static MapSpec) -> Entry {
    Entry {
        mandatory: false,
        kind: Kind::Map(spec),
    }
}

// -- value checks --------------------------------------------------------------------------

fn anything(_: &mut Validator<'_>, _: &str, _: Option<&RawValue>) {}

fn string(v: &mut Validator<'_>, _: &str, value: Option<&RawValue>) {
    if let Some(s) = defined(value) {
        if s.is_truthy() || pstr(s) == "0" {
            return;
        }
    }
    v.errors.push("value is an undefined string".into());
}

fn file(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    if defined(value).is_none() {
        v.errors.push(format!("No file defined for '{key}'"));
    }
}

/// `version`: `^\s*((<|<=|>=|>|!=|==)\s*)?v?\d+…` as a prefix; the empty string passes
/// without an error (Perl returns 0 before recording one).
fn version_ok(text: &str) -> Option<bool> {
    if text.is_empty() {
        return None;
    }
    let mut rest = text.trim_start_matches(crate::perl::is_space);
    for op in ["<=", ">=", "!=", "==", "<", ">"] {
        if let Some(r) = rest.strip_prefix(op) {
            rest = r.trim_start_matches(crate::perl::is_space);
            break;
        }
    }
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    Some(rest.chars().next().is_some_and(crate::perl::is_digit))
}

fn version(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    let text = match defined(value) {
        Some(s) => pstr(s),
        None => "<undef>".to_string(),
    };
    if defined(value).is_some() {
        match version_ok(&text) {
            None | Some(true) => return,
            Some(false) => {}
        }
    }
    v.errors
        .push(format!("'{text}' for '{key}' is not a valid version."));
}

fn exversion(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    if let Some(s) = defined(value) {
        let text = pstr(s);
        if s.is_truthy() || text.contains('0') {
            for part in text.split(',') {
                version(v, key, Some(&RawValue::String(part.to_string())));
            }
            return;
        }
    }
    v.errors
        .push(format!("'<undef>' for '{key}' is not a valid version."));
}

fn boolean(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    let text = defined(value).map(pstr);
    if matches!(text.as_deref(), Some("0" | "1" | "0\n" | "1\n")) {
        return;
    }
    v.errors.push(format!(
        "'{}' for '{key}' is not a boolean value.",
        text.unwrap_or_default()
    ));
}

const V1_LICENSES: &[&str] = &[
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

fn license(v: &mut Validator<'_>, _: &str, value: Option<&RawValue>) {
    if let Some(s) = defined(value) {
        let text = pstr(s);
        let known = if v.spec == "2" {
            crate::convert::LICENSES_2.contains(&text.as_str())
        } else {
            V1_LICENSES.contains(&text.as_str())
        };
        if s.is_truthy() && known {
            return;
        }
    }
    v.errors.push("License is invalid".into());
}

/// `url`: a scheme and an authority, as `_uri_split` finds them.
fn url(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    if let Some(s) = defined(value) {
        let text = pstr(s);
        let scheme_len = text
            .chars()
            .take_while(|c| !matches!(c, ':' | '/' | '?' | '#'))
            .count();
        let scheme_bytes: usize = text.chars().take(scheme_len).map(char::len_utf8).sum();
        let after = text.get(scheme_bytes..).unwrap_or("");
        if scheme_len == 0 || !after.starts_with(':') {
            v.errors
                .push(format!("'{text}' for '{key}' does not have a URL scheme"));
            return;
        }
        let auth_ok = after
            .get(1..)
            .and_then(|r| r.strip_prefix("//"))
            .is_some_and(|r| {
                r.chars()
                    .next()
                    .is_some_and(|c| !matches!(c, '/' | '?' | '#'))
            });
        if !auth_ok {
            v.errors.push(format!(
                "'{text}' for '{key}' does not have a URL authority"
            ));
        }
        return;
    }
    v.errors.push(format!("'' for '{key}' is not a valid URL."));
}

fn urlspec(v: &mut Validator<'_>, _: &str, value: Option<&RawValue>) {
    let expected = match v.spec {
        "1.4" => "http://module-build.sourceforge.net/META-spec-v1.4.html",
        "1.3" => "http://module-build.sourceforge.net/META-spec-v1.3.html",
        "1.2" => "http://module-build.sourceforge.net/META-spec-v1.2.html",
        "1.1" => "http://module-build.sourceforge.net/META-spec-v1.1.html",
        _ => "http://module-build.sourceforge.net/META-spec-v1.0.html",
    };
    if defined(value).is_some_and(|s| pstr(s) == expected) {
        return;
    }
    v.errors.push("Unknown META specification".into());
}

fn release_status(v: &mut Validator<'_>, key: &str, value: Option<&RawValue>) {
    let Some(s) = defined(value) else {
        v.errors.push(format!("'{key}' is not defined"));
        return;
    };
    let text = pstr(s);
    let version = v
        .data
        .get("version")
        .filter(|x| x.is_truthy())
        .map(pstr)
        .unwrap_or_default();
    let ok = if version.contains('_') {
        matches!(text.as_str(), "testing" | "unstable")
    } else {
        matches!(text.as_str(), "stable" | "testing" | "unstable")
    };
    if !ok {
        v.errors.push(format!("'{text}' for '{key}' is invalid"));
    }
}

// -- name checks -------------------------------------------------------------------------

fn name_string(_: &mut Validator<'_>, _: &str) {}

fn custom_1(v: &mut Validator<'_>, key: &str) {
    let body = key.strip_suffix('\n').unwrap_or(key);
    let ok = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().any(|c| c.is_ascii_uppercase());
    if !ok {
        v.errors
            .push(format!("Custom resource '{key}' must be in CamelCase."));
    }
}

fn custom_2(v: &mut Validator<'_>, key: &str) {
    if !key.to_ascii_lowercase().starts_with("x_") {
        v.errors
            .push(format!("Custom key '{key}' must begin with 'x_' or 'X_'."));
    }
}

fn module(v: &mut Validator<'_>, key: &str) {
    let body = key.strip_suffix('\n').unwrap_or(key);
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let ok = key != "0" && body.split("::").all(word);
    if !ok {
        v.errors
            .push(format!("Key '{key}' is not a legal module name."));
    }
}

fn phase(v: &mut Validator<'_>, key: &str) {
    let ok = matches!(key, "configure" | "build" | "test" | "runtime" | "develop")
        || key.to_ascii_lowercase().contains("x_");
    if !ok {
        v.errors.push(format!("Key '{key}' is not a legal phase."));
    }
}

fn relation(v: &mut Validator<'_>, key: &str) {
    let ok = matches!(key, "requires" | "recommends" | "suggests" | "conflicts")
        || key.to_ascii_lowercase().contains("x_");
    if !ok {
        v.errors
            .push(format!("Key '{key}' is not a legal prereq relationship."));
    }
}

// -- the definitions -----------------------------------------------------------------------

static MODULE_MAP1: MapSpec = MapSpec {
    keys: &[],
    other: Some((module, Kind::Value(exversion))),
};
static MODULE_MAP2: MapSpec = MapSpec {
    keys: &[],
    other: Some((module, Kind::Value(version))),
};
static RELATIONS: MapSpec = MapSpec {
    keys: &[],
    other: Some((relation, Kind::Map(&MODULE_MAP1))),
};
static PREREQS: MapSpec = MapSpec {
    keys: &[],
    other: Some((phase, Kind::Map(&RELATIONS))),
};
static NO_INDEX_2: MapSpec = MapSpec {
    keys: &[
        ("file", list(string)),
        ("directory", list(string)),
        ("package", list(string)),
        ("namespace", list(string)),
    ],
    other: Some((custom_2, Kind::Value(anything))),
};
static NO_INDEX_1_3: MapSpec = MapSpec {
    keys: &[
        ("file", list(string)),
        ("directory", list(string)),
        ("package", list(string)),
        ("namespace", list(string)),
    ],
    other: Some((name_string, Kind::Value(anything))),
};
static NO_INDEX_1_2: MapSpec = MapSpec {
    keys: &[
        ("file", list(string)),
        ("dir", list(string)),
        ("package", list(string)),
        ("namespace", list(string)),
    ],
    other: Some((name_string, Kind::Value(anything))),
};
static NO_INDEX_1_1: MapSpec = MapSpec {
    keys: &[],
    other: Some((name_string, Kind::List(string))),
};
static META_SPEC_2: MapSpec = MapSpec {
    keys: &[("version", required(version)), ("url", value(url))],
    other: Some((custom_2, Kind::Value(anything))),
};
static META_SPEC_1: MapSpec = MapSpec {
    keys: &[("version", required(version)), ("url", required(urlspec))],
    other: Some((name_string, Kind::Value(anything))),
};
static FEATURE_2: MapSpec = MapSpec {
    keys: &[("description", value(string)), ("prereqs", map(&PREREQS))],
    other: Some((custom_2, Kind::Value(anything))),
};
static FEATURES_2: MapSpec = MapSpec {
    keys: &[],
    other: Some((name_string, Kind::Map(&FEATURE_2))),
};
static FEATURE_1: MapSpec = MapSpec {
    keys: &[
        ("description", value(string)),
        ("requires", map(&MODULE_MAP1)),
        ("recommends", map(&MODULE_MAP1)),
        ("build_requires", map(&MODULE_MAP1)),
        ("conflicts", map(&MODULE_MAP2)),
    ],
    other: Some((name_string, Kind::Value(anything))),
};
static FEATURES_1: MapSpec = MapSpec {
    keys: &[],
    other: Some((name_string, Kind::Map(&FEATURE_1))),
};
static PROVIDED_2: MapSpec = MapSpec {
    keys: &[("file", required(file)), ("version", value(version))],
    other: Some((custom_2, Kind::Value(anything))),
};
static PROVIDES_2: MapSpec = MapSpec {
    keys: &[],
    other: Some((module, Kind::Map(&PROVIDED_2))),
};
static PROVIDED_1: MapSpec = MapSpec {
    keys: &[("file", required(file)), ("version", value(version))],
    other: Some((name_string, Kind::Value(anything))),
};
static PROVIDES_1: MapSpec = MapSpec {
    keys: &[],
    other: Some((module, Kind::Map(&PROVIDED_1))),
};
static BUGTRACKER_2: MapSpec = MapSpec {
    keys: &[("web", value(url)), ("mailto", value(string))],
    other: Some((custom_2, Kind::Value(anything))),
};
static REPOSITORY_2: MapSpec = MapSpec {
    keys: &[
        ("web", value(url)),
        ("url", value(url)),
        ("type", value(string)),
    ],
    other: Some((custom_2, Kind::Value(anything))),
};
static RESOURCES_2: MapSpec = MapSpec {
    keys: &[
        ("license", list(url)),
        ("homepage", value(url)),
        ("bugtracker", map(&BUGTRACKER_2)),
        ("repository", map(&REPOSITORY_2)),
    ],
    other: Some((custom_2, Kind::Value(string))),
};
static RESOURCES_1: MapSpec = MapSpec {
    keys: &[
        ("license", value(url)),
        ("homepage", value(url)),
        ("bugtracker", value(url)),
        ("repository", value(url)),
    ],
    other: Some((custom_1, Kind::Value(string))),
};

static SPEC_2: MapSpec = MapSpec {
    keys: &[
        ("abstract", required(string)),
        (
            "author",
            Entry {
                mandatory: true,
                kind: Kind::List(string),
            },
        ),
        ("dynamic_config", required(boolean)),
        ("generated_by", required(string)),
        (
            "license",
            Entry {
                mandatory: true,
                kind: Kind::List(license),
            },
        ),
        (
            "meta-spec",
            Entry {
                mandatory: true,
                kind: Kind::Map(&META_SPEC_2),
            },
        ),
        ("name", required(string)),
        ("release_status", required(release_status)),
        ("version", required(version)),
        ("description", value(string)),
        ("keywords", list(string)),
        ("no_index", map(&NO_INDEX_2)),
        ("optional_features", map(&FEATURES_2)),
        ("prereqs", map(&PREREQS)),
        ("provides", map(&PROVIDES_2)),
        ("resources", map(&RESOURCES_2)),
    ],
    other: Some((custom_2, Kind::Value(anything))),
};

macro_rules! spec_1_3_or_1_4 {
    ($name:ident) => {
        static $name: MapSpec = MapSpec {
            keys: &[
                (
                    "meta-spec",
                    Entry {
                        mandatory: true,
                        kind: Kind::Map(&META_SPEC_1),
                    },
                ),
                ("name", required(string)),
                ("version", required(version)),
                ("abstract", required(string)),
                (
                    "author",
                    Entry {
                        mandatory: true,
                        kind: Kind::List(string),
                    },
                ),
                ("license", required(license)),
                ("generated_by", required(string)),
                ("distribution_type", value(string)),
                ("dynamic_config", value(boolean)),
                ("requires", map(&MODULE_MAP1)),
                ("recommends", map(&MODULE_MAP1)),
                ("build_requires", map(&MODULE_MAP1)),
                ("configure_requires", map(&MODULE_MAP1)),
                ("conflicts", map(&MODULE_MAP2)),
                ("optional_features", map(&FEATURES_1)),
                ("provides", map(&PROVIDES_1)),
                ("no_index", map(&NO_INDEX_1_3)),
                ("private", map(&NO_INDEX_1_3)),
                ("keywords", list(string)),
                ("resources", map(&RESOURCES_1)),
            ],
            other: Some((name_string, Kind::Value(anything))),
        };
    };
}
spec_1_3_or_1_4!(SPEC_1_4);
spec_1_3_or_1_4!(SPEC_1_3);

static SPEC_1_2: MapSpec = MapSpec {
    keys: &[
        (
            "meta-spec",
            Entry {
                mandatory: true,
                kind: Kind::Map(&META_SPEC_1),
            },
        ),
        ("name", required(string)),
        ("version", required(version)),
        ("license", required(license)),
        ("generated_by", required(string)),
        (
            "author",
            Entry {
                mandatory: true,
                kind: Kind::List(string),
            },
        ),
        ("abstract", required(string)),
        ("distribution_type", value(string)),
        ("dynamic_config", value(boolean)),
        ("keywords", list(string)),
        ("private", map(&NO_INDEX_1_2)),
        ("$no_index", map(&NO_INDEX_1_2)),
        ("requires", map(&MODULE_MAP1)),
        ("recommends", map(&MODULE_MAP1)),
        ("build_requires", map(&MODULE_MAP1)),
        ("conflicts", map(&MODULE_MAP2)),
        ("optional_features", map(&FEATURES_1)),
        ("provides", map(&PROVIDES_1)),
        ("resources", map(&RESOURCES_1)),
    ],
    other: Some((name_string, Kind::Value(anything))),
};

static SPEC_1_1: MapSpec = MapSpec {
    keys: &[
        ("name", value(string)),
        ("version", required(version)),
        ("license", value(license)),
        ("generated_by", value(string)),
        ("license_uri", value(url)),
        ("distribution_type", value(string)),
        ("dynamic_config", value(boolean)),
        ("private", map(&NO_INDEX_1_1)),
        ("requires", map(&MODULE_MAP1)),
        ("recommends", map(&MODULE_MAP1)),
        ("build_requires", map(&MODULE_MAP1)),
        ("conflicts", map(&MODULE_MAP2)),
    ],
    other: Some((name_string, Kind::Value(anything))),
};

impl Validator<'_> {
    fn check_kind(&mut self, kind: &Kind, key: &str, value: Option<&RawValue>) {
        match kind {
            Kind::Value(check) => check(self, key, value),
            Kind::Map(spec) => self.check_map(spec, value),
            Kind::List(check) => self.check_list(*check, value),
        }
    }

    fn check_map(&mut self, spec: &MapSpec, data: Option<&RawValue>) {
        let Some(RawValue::Map(data)) = data else {
            self.errors
                .push("Expected a map structure from string or file.".into());
            return;
        };
        for (key, entry) in spec.keys {
            if entry.mandatory && defined(data.get(*key)).is_none() {
                self.errors
                    .push(format!("Missing mandatory field, '{key}'"));
            }
        }
        for (key, value) in data {
            if let Some((_, entry)) = spec.keys.iter().find(|(k, _)| k == key) {
                self.check_kind(&entry.kind, key, Some(value));
            } else if let Some((name_check, kind)) = &spec.other {
                name_check(self, key);
                self.check_kind(kind, key, Some(value));
            } else {
                self.errors
                    .push(format!("Unknown key, '{key}', found in map structure"));
            }
        }
    }

    fn check_list(&mut self, check: Check, data: Option<&RawValue>) {
        let Some(RawValue::Array(items)) = data else {
            self.errors.push("Expected a list structure".into());
            return;
        };
        for item in items {
            check(self, "list", Some(item));
        }
    }
}

/// The errors `CPAN::Meta::Validator->new($data)->is_valid` finds (none: valid).
pub(crate) fn validate(data: &RawValue) -> Vec<String> {
    let RawValue::Map(map) = data else {
        return vec!["Expected a map structure from string or file.".into()];
    };
    let spec_version = map
        .get("meta-spec")
        .and_then(|m| m.get("version"))
        .filter(|v| v.is_truthy())
        .map(pstr)
        .unwrap_or_else(|| "1.0".to_string());
    let (spec, name): (&MapSpec, &str) = match spec_version.as_str() {
        "2" => (&SPEC_2, "2"),
        "1.4" => (&SPEC_1_4, "1.4"),
        "1.3" => (&SPEC_1_3, "1.3"),
        "1.2" => (&SPEC_1_2, "1.2"),
        "1.1" => (&SPEC_1_1, "1.1"),
        "1.0" => (&SPEC_1_1, "1.0"),
        _ => return vec!["Unknown META specification, cannot validate.".into()],
    };
    let mut validator = Validator {
        spec: name,
        data: map,
        errors: Vec::new(),
    };
    validator.check_map(spec, Some(data));
    validator.errors
}
