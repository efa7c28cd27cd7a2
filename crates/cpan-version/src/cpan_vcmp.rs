//! `CPAN::Version->vcmp($l, $r)` (CPAN.pm 2.34, `CPAN::Version` 5.5003): the comparison CPAN.pm
//! and PAUSE-era tools use on index versions. It accepts any strings, so it leans on Perl's
//! string-to-number conversion, which [`PerlNumber`] reproduces.

use std::cmp::Ordering;

/// A Perl scalar's numeric value, as `<=>` and `int()` see a string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PerlNumber {
    /// An integer that Perl holds exactly (an IV or UV).
    Int(i128),
    /// Anything else (an NV), including infinities and NaN.
    Float(f64),
}

impl PerlNumber {
    fn as_f64(self) -> f64 {
        match self {
            PerlNumber::Int(i) => i as f64,
            PerlNumber::Float(f) => f,
        }
    }

    /// `<=>`: `None` when either side is NaN (Perl returns undef).
    fn compare(self, other: PerlNumber) -> Option<Ordering> {
        match (self, other) {
            (PerlNumber::Int(a), PerlNumber::Int(b)) => Some(a.cmp(&b)),
            _ => self.as_f64().partial_cmp(&other.as_f64()),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Perl's numeric value of a string: leading white space, a sign, then the longest prefix that
/// reads as a decimal number (or `Inf`/`Infinity`/`NaN`); no prefix means 0.
fn numify(s: &str) -> PerlNumber {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let rest = &s[i..];
    let lower = rest.get(..3).map(|p| p.to_ascii_lowercase());
    match lower.as_deref() {
        Some("inf") => {
            let inf = if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            return PerlNumber::Float(inf);
        }
        Some("nan") => return PerlNumber::Float(f64::NAN),
        _ => {}
    }
    let start = i;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut integral = true;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        frac_digits = j - i - 1;
        if int_digits > 0 || frac_digits > 0 {
            integral = false;
            i = j;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return PerlNumber::Int(0);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            integral = false;
            i = j;
        }
    }
    let text = &s[start..i];
    if integral {
        // Perl keeps integers up to UV_MAX (and down to IV_MIN) exactly.
        if let Ok(value) = text.parse::<u64>() {
            let value = i128::from(value);
            if !negative {
                return PerlNumber::Int(value);
            }
            if value <= i128::from(i64::MAX) + 1 {
                return PerlNumber::Int(-value);
            }
        }
    }
    let magnitude = text.parse::<f64>().unwrap_or(0.0);
    PerlNumber::Float(if negative { -magnitude } else { magnitude })
}

/// Perl's stringification of a floating point number (`%.15g`, `Inf`, `NaN`).
fn format_nv(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return "0".to_string();
    }
    let exponent = f.abs().log10().floor() as i32;
    // Format in scientific notation first: it gives the exponent after rounding to 15 digits.
    let sci = format!("{:.14e}", f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(exponent);
    if (-4..15).contains(&exp) {
        let decimals = usize::try_from(14 - exp).unwrap_or(0);
        let fixed = format!("{:.*}", decimals, f);
        trim_fraction(&fixed)
    } else {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

fn trim_fraction(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `int($n)` followed by Perl's stringification of the result.
fn int_string(n: &str) -> String {
    match numify(n) {
        PerlNumber::Int(i) => i.to_string(),
        PerlNumber::Float(f) => {
            if f.is_nan() || f.is_infinite() {
                format_nv(f)
            } else if (0.0..18_446_744_073_709_551_615.5).contains(&f) {
                (f.trunc() as u64).to_string()
            } else if f < 0.0 && f > -9_223_372_036_854_775_808.5 {
                (f.trunc() as i64).to_string()
            } else {
                format_nv(f.trunc())
            }
        }
    }
}

/// `CPAN::Version->float2vv`: a decimal number as a dotted "visible v-string" (`1.002003` →
/// `v1.2.3`), with its quirk of collapsing the first run of `.0` components.
fn float2vv(n: &str) -> String {
    let mut rev = int_string(n);
    if rev == "0" || rev.is_empty() {
        rev = "0".to_string();
    }
    // /\.(\d{1,12})/: the first dot followed by a digit, up to twelve digits.
    let bytes = n.as_bytes();
    let mut mantissa = String::new();
    for i in 0..bytes.len() {
        if bytes[i] == b'.' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit()) {
            mantissa = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .take(12)
                .map(|&b| b as char)
                .collect();
            break;
        }
    }
    if mantissa.is_empty() || mantissa == "0" {
        mantissa = "0".to_string();
    }
    while mantissa.len() % 3 != 0 {
        mantissa.push('0');
    }
    let mut ret = format!("v{rev}");
    for chunk in mantissa.as_bytes().chunks(3) {
        let value: u32 = chunk
            .iter()
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0'));
        ret.push('.');
        ret.push_str(&value.to_string());
    }
    // s/(\.0)+/.0/: the leftmost run of ".0" pairs becomes one.
    if let Some(at) = ret.find(".0") {
        let mut end = at + 2;
        while ret[end..].starts_with(".0") {
            end += 2;
        }
        ret.replace_range(at..end, ".0");
    }
    ret
}

/// `1 while s/\.0+(\d)/.$1/`: drops leading zeros of every dot-separated group.
fn strip_group_zeros(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'.' {
            let zeros = b[i + 1..].iter().take_while(|&&c| c == b'0').count();
            let after = i + 1 + zeros;
            let keep_from = if zeros >= 1 && b.get(after).is_some_and(|c| c.is_ascii_digit()) {
                Some(after)
            } else if zeros >= 2 {
                Some(after - 1)
            } else {
                None
            };
            if let Some(from) = keep_from {
                out.push_str(&s[copied..=i]);
                copied = from;
                i = from;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

/// `CPAN::Version->vstring`: the code points of a `v`-prefixed string's dot-separated parts
/// (`pack "U*", split /\./`), as numbers. Perl dies on parts that are negative, infinite or
/// beyond `IV_MAX`; here they are clamped instead (see the crate README).
fn vstring_points(v: &str) -> Vec<u64> {
    let body = v.strip_prefix('v').unwrap_or(v);
    let mut fields: Vec<&str> = body.split('.').collect();
    while fields.last() == Some(&"") {
        fields.pop();
    }
    fields
        .into_iter()
        .map(|f| match numify(f) {
            PerlNumber::Int(i) => u64::try_from(i.clamp(0, i128::from(i64::MAX))).unwrap_or(0),
            PerlNumber::Float(x) if x.is_nan() => 0,
            PerlNumber::Float(x) => {
                if x <= -1.0 {
                    0
                } else {
                    // Saturating float-to-int conversion, capped at IV_MAX.
                    (x as u64).min(i64::MAX as u64)
                }
            }
        })
        .collect()
}

/// `CPAN::Version->vcmp($l, $r)`: `-1`, `0` or `1` as an [`Ordering`].
///
/// `undef` counts as zero; underscores are ignored; a string with a leading `v` or more than one
/// dot is a dotted version, compared part by part, and a decimal compared with a dotted version is
/// first converted the way `float2vv` does it; otherwise numbers compare numerically, then as
/// strings.
pub fn vcmp(l: &str, r: &str) -> Ordering {
    let l = if l == "undef" { "0" } else { l };
    let r = if r == "undef" { "0" } else { r };
    if l == r {
        return Ordering::Equal;
    }
    let mut sides = [l.replace('_', ""), r.replace('_', "")];
    for side in sides.iter_mut() {
        if side.matches('.').count() > 1 || side.starts_with('v') {
            if !side.starts_with('v') {
                side.insert(0, 'v');
            }
            *side = strip_group_zeros(side);
        }
    }
    let [mut l, mut r] = sides;
    if l.starts_with('v') != r.starts_with('v') {
        if !l.starts_with('v') {
            l = float2vv(&l);
        }
        if !r.starts_with('v') {
            r = float2vv(&r);
        }
    }
    // Underscore removal can turn `_undef` into `undef`, which sorts below everything.
    let defined = (l != "undef").cmp(&(r != "undef"));
    if defined != Ordering::Equal {
        return defined;
    }
    if l.starts_with('v') && r.starts_with('v') {
        let by_points = vstring_points(&l).cmp(&vstring_points(&r));
        if by_points != Ordering::Equal {
            return by_points;
        }
    }
    match numify(&l).compare(numify(&r)) {
        Some(Ordering::Equal) | None => l.as_bytes().cmp(r.as_bytes()),
        Some(order) => order,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        // From CPAN::Version's SYNOPSIS.
        assert_eq!(vcmp("1.1", "1.1.1"), Ordering::Greater);
        assert_eq!(vcmp("1.1.1", "1.1"), Ordering::Less);
        assert_eq!(vcmp("1.1", "1.1"), Ordering::Equal);
        assert_eq!(float2vv("1.002003"), "v1.2.3");
    }

    #[test]
    fn quirks() {
        assert_eq!(vcmp("undef", "0"), Ordering::Equal);
        assert_eq!(vcmp("_undef", ""), Ordering::Less);
        assert_eq!(vcmp("1.10", "1.9"), Ordering::Less); // numerically 1.1 < 1.9
        assert_eq!(vcmp("1.0", "1"), Ordering::Greater); // equal numbers, then string order
        assert_eq!(vcmp("v1.02", "v1.2"), Ordering::Equal);
        assert_eq!(float2vv("1.000000007"), "v1.0.7");
        assert_eq!(strip_group_zeros("v1.002.000.0a"), "v1.2.0.0a");
        assert_eq!(format_nv(1e20), "1e+20");
        assert_eq!(format_nv(123456789012345678.0), "1.23456789012346e+17");
        assert_eq!(format_nv(0.5), "0.5");
    }
}
