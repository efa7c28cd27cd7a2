//! Perl scalars as the evaluator models them: strings (of Latin-1 characters, as Perl sees a
//! byte string, or wider characters from `chr`/vstrings), integers (IV), floating numbers (NV),
//! undef, version objects and references.

use cpan_version::Version;

/// One Perl scalar value.
#[derive(Debug, Clone)]
pub enum Sv {
    /// `undef`.
    Undef,
    /// A string. Characters below 256 stand for bytes of the source file.
    Str(String),
    /// A string with v-string magic: `chars` is the value, `literal` what was written (`v1.2.3`).
    VStr { chars: String, literal: String },
    /// An integer value (Perl's IV).
    Int(i64),
    /// A floating point value (Perl's NV).
    Num(f64),
    /// A `version` object.
    Version(Box<Version>),
    /// A reference to a scalar (`\'0.003'`).
    ScalarRef(Box<Sv>),
    /// Perl's false value `PL_sv_no`: the empty string and the number 0 at once.
    No,
}

impl Sv {
    /// Perl's stringification.
    pub fn to_str(&self) -> String {
        match self {
            Sv::Undef | Sv::No => String::new(),
            Sv::Str(s) => s.clone(),
            Sv::VStr { chars, .. } => chars.clone(),
            Sv::Int(i) => i.to_string(),
            Sv::Num(n) => format_nv(*n),
            Sv::Version(v) => v.stringify(),
            // A real address cannot be reproduced; the form is kept so that callers that look
            // for it (normalize_version) fail the same way Perl does.
            Sv::ScalarRef(_) => "SCALAR(0x0)".to_string(),
        }
    }

    /// Perl's numification: leading white space, then the longest numeric prefix.
    pub fn to_num(&self) -> Num {
        match self {
            Sv::Undef | Sv::No => Num::Int(0),
            Sv::Int(i) => Num::Int(*i),
            Sv::Num(n) => Num::Float(*n),
            Sv::Str(s) | Sv::VStr { chars: s, .. } => str_to_num(s),
            Sv::Version(v) => str_to_num(&v.numify()),
            Sv::ScalarRef(_) => Num::Int(0),
        }
    }

    /// The numeric value as a float.
    pub fn to_f64(&self) -> f64 {
        self.to_num().as_f64()
    }

    /// Perl truthiness: undef, `""`, `"0"` and numeric zero are false.
    pub fn is_true(&self) -> bool {
        match self {
            Sv::Undef | Sv::No => false,
            Sv::Str(s) | Sv::VStr { chars: s, .. } => !(s.is_empty() || s == "0"),
            Sv::Int(i) => *i != 0,
            Sv::Num(n) => *n != 0.0,
            Sv::Version(v) => v.components().iter().any(|&c| c != 0),
            Sv::ScalarRef(_) => true,
        }
    }

    /// `defined`.
    pub fn is_defined(&self) -> bool {
        !matches!(self, Sv::Undef)
    }

    /// Wraps a Rust number result back into a scalar.
    pub fn from_num(n: Num) -> Sv {
        match n {
            Num::Int(i) => Sv::Int(i),
            Num::Float(f) => Sv::Num(f),
        }
    }
}

/// A Perl number: integer or floating.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    /// IV.
    Int(i64),
    /// NV.
    Float(f64),
}

impl Num {
    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// Perl's `isSPACE` on a character.
pub fn is_perl_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// Perl's string to number conversion (`grok_number` and `Atof`), for the forms that matter:
/// white space, sign, digits, decimal point, exponent, `Inf`/`NaN`. Anything else ends the number.
pub fn str_to_num(s: &str) -> Num {
    let t = s.trim_start_matches(is_perl_space);
    let bytes = t.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+') | Some(b'-')) {
        i += 1;
    }
    let lower: String = t[i..]
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("inf") || lower.starts_with("nan") {
        let negative = bytes.first() == Some(&b'-');
        let value = if lower.starts_with("nan") {
            f64::NAN
        } else if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Num::Float(value);
    }
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut is_float = false;
    if bytes.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while bytes.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if int_digits > 0 || j > i + 1 {
            is_float = true;
            i = j;
        }
    }
    if int_digits == 0 && !is_float {
        return Num::Int(0);
    }
    if matches!(bytes.get(i), Some(b'e') | Some(b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+') | Some(b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            is_float = true;
            i = j;
        }
    }
    let text = &t[..i];
    if !is_float {
        if let Ok(v) = text.parse::<i64>() {
            return Num::Int(v);
        }
    }
    Num::Float(text.parse::<f64>().unwrap_or(0.0))
}

/// Perl's formatting of an NV: `%.15g`, with `Inf`/`NaN` spelled as Perl does.
pub fn format_nv(n: f64) -> String {
    if n.is_nan() {
        return "NaN".to_string();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Inf" } else { "-Inf" }.to_string();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    format_g(n, 15, false)
}

/// C's `%.<precision>g` (with `alternate` = the `#` flag, which keeps trailing zeros).
pub fn format_g(n: f64, precision: usize, alternate: bool) -> String {
    let precision = precision.max(1);
    if !n.is_finite() {
        return format_nv(n);
    }
    let sci = format!("{:.*e}", precision - 1, n);
    let (mantissa, exponent) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    let strip = |s: String| -> String {
        if alternate || !s.contains('.') {
            return s;
        }
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_string()
    };
    if exponent < -4 || exponent >= precision as i32 {
        let m = strip(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        strip(format!("{:.*}", decimals, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nv_formatting_is_percent_15g() {
        assert_eq!(format_nv(1.1), "1.1");
        assert_eq!(format_nv(1.23), "1.23");
        assert_eq!(format_nv(1000.0), "1000");
        assert_eq!(format_nv(1e15), "1e+15");
        assert_eq!(format_nv(123456789012345.0), "123456789012345");
        assert_eq!(format_nv(0.0001), "0.0001");
        assert_eq!(format_nv(0.00001), "1e-05");
        assert_eq!(format_nv(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_nv(0.1 + 0.2), "0.3");
    }

    #[test]
    fn string_numification() {
        assert!(matches!(str_to_num("  12abc"), Num::Int(12)));
        assert_eq!(str_to_num("1.10").as_f64(), 1.1);
        assert_eq!(str_to_num("1.2.3").as_f64(), 1.2);
        assert_eq!(str_to_num(".5").as_f64(), 0.5);
        assert_eq!(str_to_num("1e3").as_f64(), 1000.0);
        assert_eq!(str_to_num("0x1f").as_f64(), 0.0);
        assert_eq!(str_to_num("undef").as_f64(), 0.0);
        assert_eq!(str_to_num("-3").as_f64(), -3.0);
    }
}
