//! CPAN distribution metadata (`META.json` / `META.yml`).
//!
//! Two layers:
//!
//! * the **raw** layer reads a file exactly as `Parse::CPAN::Meta->load_file` 2.150010 does
//!   (strict UTF-8 with `PERLQQ` escapes for bad bytes, then `CPAN::Meta::YAML` 0.018 or
//!   `JSON::PP` 4.07) and gives a [`RawValue`] — what PAUSE's indexer looks at;
//! * the **model** layer, [`CpanMeta::from_raw`], converts that structure to spec 2 as
//!   `CPAN::Meta->load_file` does (`CPAN::Meta::Converter` with lazy validation, including
//!   `CPAN::Meta::Validator` after each step).
//!
//! ```
//! let raw = cpan_meta::parse_file_content("META.yml", b"---\nname: Foo-Bar\nversion: 1.10\n").unwrap();
//! assert_eq!(raw.get("version").and_then(|v| v.as_perl_string()).as_deref(), Some("1.10"));
//! ```

mod convert;
mod error;
mod json;
mod model;
mod perl;
mod regex;
mod validate;
mod yaml;

pub use error::{ErrorKind, MetaError};
pub use model::{
    Bugtracker, CpanMeta, NoIndex, OptionalFeature, Phase, Prereqs, ProvidedPackage, Relationship,
    ReleaseStatus, Repository, Resources,
};

use std::collections::BTreeMap;

/// A value as Perl holds it after decoding: YAML gives strings, arrays, hashes and undef;
/// JSON adds numbers and booleans.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// `undef` (`~` in YAML, `null` in JSON).
    Null,
    /// A string.
    String(String),
    /// A JSON number, as written in the JSON text.
    Number(String),
    /// A JSON `true` / `false` (a `JSON::PP::Boolean`).
    Bool(bool),
    /// An array reference.
    Array(Vec<RawValue>),
    /// A hash reference.
    Map(BTreeMap<String, RawValue>),
}

impl RawValue {
    /// The string Perl produces when this scalar is interpolated: a JSON number as `JSON::PP`
    /// stores it (`1.10` → `1.1`, `1e3` → `1000`, integers that fit 64 bits exactly, longer
    /// integers kept as written), `true` → `1`, `false` → `0`. `None` for `Null`, `Array` and
    /// `Map`.
    pub fn as_perl_string(&self) -> Option<String> {
        match self {
            RawValue::String(s) => Some(s.clone()),
            RawValue::Number(n) => Some(perl_number_string(n)),
            RawValue::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            RawValue::Null | RawValue::Array(_) | RawValue::Map(_) => None,
        }
    }

    /// Perl truthiness: references are always true (even when empty); `undef`, `""` and
    /// `"0"` are false, and so is a number equal to zero.
    pub fn is_truthy(&self) -> bool {
        match self {
            RawValue::Null => false,
            RawValue::Array(_) | RawValue::Map(_) => true,
            RawValue::Bool(b) => *b,
            RawValue::String(s) => !(s.is_empty() || s == "0"),
            RawValue::Number(_) => self
                .as_perl_string()
                .is_some_and(|s| s != "0" && !s.is_empty()),
        }
    }

    /// Looks `key` up in a hash; `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        match self {
            RawValue::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// Whether this is a defined scalar (string, number or boolean).
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            RawValue::String(_) | RawValue::Number(_) | RawValue::Bool(_)
        )
    }
}

/// How `JSON::PP` 4.07 stores a number and Perl then prints it.
fn perl_number_string(text: &str) -> String {
    let is_float = text.contains(['.', 'e', 'E']);
    if !is_float {
        // `JSON::PP` keeps integers longer than 20 characters as strings.
        if text.len() > 20 {
            return text.to_string();
        }
        if let Ok(n) = text.parse::<i128>() {
            if n >= i128::from(i64::MIN) && n <= i128::from(u64::MAX) {
                return n.to_string();
            }
        }
    }
    let value: f64 = text.parse().unwrap_or(0.0);
    // With an exponent, Perl numifies through an NV that it turns into an IV/UV when it is
    // integral and in range. `0+$v` (no decimal point) then stays an integer; `$v/1.0` (with a
    // decimal point) divides as integers only when an operand is at least 2**53, else as NVs.
    // Without an exponent, a decimal point keeps the NV. NVs print with `%.15g`.
    let integral_fits = value.fract() == 0.0
        && (-9_223_372_036_854_775_808.0..18_446_744_073_709_551_616.0).contains(&value);
    let has_exponent = text.contains(['e', 'E']);
    let has_point = text.contains('.');
    let integer =
        has_exponent && integral_fits && (!has_point || value.abs() >= 9_007_199_254_740_992.0);
    if integer {
        return format!("{}", value as i128);
    }
    perl::format_nv(value)
}

/// `JSON::PP::decode_json` as `Parse::CPAN::Meta->load_json_string` uses it (after the
/// `PERLQQ` decoding of `load_file`): a false top-level value becomes an empty hash.
pub fn parse_json(bytes: &[u8]) -> Result<RawValue, MetaError> {
    json::load_json_string(&perl::decode_utf8_perlqq(bytes))
}

/// `CPAN::Meta::YAML::Load` as `Parse::CPAN::Meta->load_yaml_string` uses it (after the
/// `PERLQQ` decoding of `load_file`): the **last** document, or an empty hash when there is
/// none or it is false.
pub fn parse_yaml(bytes: &[u8]) -> Result<RawValue, MetaError> {
    yaml::load_yaml_string(&perl::decode_utf8_perlqq(bytes))
}

/// `Parse::CPAN::Meta->load_file`: YAML for a name ending in `.yml`/`.yaml`, JSON for
/// `.json`, and otherwise JSON when the text starts with optional white space and `{`, YAML
/// else.
pub fn parse_file_content(file_name: &str, bytes: &[u8]) -> Result<RawValue, MetaError> {
    let text = perl::decode_utf8_perlqq(bytes);
    if file_name.ends_with(".yml") || file_name.ends_with(".yaml") {
        yaml::load_yaml_string(&text)
    } else if file_name.ends_with(".json") {
        json::load_json_string(&text)
    } else if text.starts_with("---") {
        yaml::load_yaml_string(&text)
    } else if text.trim_start_matches(perl::is_space).starts_with('{') {
        json::load_json_string(&text)
    } else {
        yaml::load_yaml_string(&text)
    }
}
