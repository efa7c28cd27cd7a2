//! How Perl stringifies a decimal numeric literal: `requires 'Foo', 1.10;` passes the number
//! 1.1, whose string is `1.1`, not `1.10`.

/// The string Perl gives the numeric literal whose digits (underscores already removed) are
/// `integer`, `fraction` (after a `.`, if any) and `exponent` (after an `e`, with its sign, if
/// any). `None` if the value is not finite (Perl's `Inf`).
///
/// * An integer literal that fits in Perl's 64-bit unsigned integer stays an integer and is
///   written in full;
/// * anything else is a double, written as Perl writes doubles: C's `%.15g`.
pub(crate) fn perl_literal_string(
    integer: &str,
    fraction: Option<&str>,
    exponent: Option<&str>,
) -> Option<String> {
    if fraction.is_none() && exponent.is_none() {
        let digits = integer.trim_start_matches('0');
        if digits.is_empty() {
            return Some("0".to_string());
        }
        if let Ok(value) = digits.parse::<u64>() {
            return Some(value.to_string());
        }
    }
    let mut text = String::new();
    text.push_str(if integer.is_empty() { "0" } else { integer });
    if let Some(fraction) = fraction {
        text.push('.');
        text.push_str(fraction);
        if fraction.is_empty() {
            text.push('0');
        }
    }
    if let Some(exponent) = exponent {
        text.push('e');
        text.push_str(exponent);
    }
    let value: f64 = text.parse().ok()?;
    format_g15(value)
}

/// C's `printf("%.15g", value)` for a finite, non-negative value (Perl's `NV` stringification).
fn format_g15(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    if value == 0.0 {
        return Some("0".to_string());
    }
    // Fifteen significant digits, correctly rounded, as `d.dddddddddddddde<exp>`.
    let scientific = format!("{value:.14e}");
    let (mantissa, exponent) = scientific.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_end_matches('0');
    let significant = if significant.is_empty() {
        "0"
    } else {
        significant
    };
    if !(-4..15).contains(&exponent) {
        let (first, rest) = significant.split_at(1);
        let mut out = first.to_string();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exponent.unsigned_abs()));
        return Some(out);
    }
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return Some(format!("0.{zeros}{significant}"));
    }
    let point = exponent as usize + 1;
    if significant.len() <= point {
        let zeros = "0".repeat(point - significant.len());
        Some(format!("{significant}{zeros}"))
    } else {
        let (whole, fraction) = significant.split_at(point);
        Some(format!("{whole}.{fraction}"))
    }
}

#[cfg(test)]
mod tests {
    use super::perl_literal_string as lit;

    #[test]
    fn integers_stay_integers() {
        assert_eq!(lit("0", None, None).as_deref(), Some("0"));
        assert_eq!(lit("1000", None, None).as_deref(), Some("1000"));
        assert_eq!(
            lit("18446744073709551615", None, None).as_deref(),
            Some("18446744073709551615")
        );
        // One more than Perl's UV_MAX is a double.
        assert_eq!(
            lit("18446744073709551616", None, None).as_deref(),
            Some("1.84467440737096e+19")
        );
        assert_eq!(
            lit("100000000000000000000", None, None).as_deref(),
            Some("1e+20")
        );
    }

    #[test]
    fn decimals_are_percent_15g() {
        // Each value checked with `perl -e 'print LITERAL'` (perl 5.36).
        let cases = [
            ("1", Some("10"), None, "1.1"),
            ("1", Some("0"), None, "1"),
            ("0", Some("0"), None, "0"),
            ("", Some("5"), None, "0.5"),
            ("1", Some(""), None, "1"),
            ("5", Some("008001"), None, "5.008001"),
            ("1", Some("23456789012345678"), None, "1.23456789012346"),
            ("0", Some("0001"), None, "0.0001"),
            ("0", Some("00001"), None, "1e-05"),
            ("1", None, Some("15"), "1e+15"),
            ("1", None, Some("14"), "100000000000000"),
            ("1", None, Some("+3"), "1000"),
            ("1000", Some("5"), Some("0"), "1000.5"),
            ("123456789012345", Some("6"), None, "123456789012346"),
            ("1234567890123456", Some("7"), None, "1.23456789012346e+15"),
            ("2", Some("5"), Some("-7"), "2.5e-07"),
        ];
        for (integer, fraction, exponent, expected) in cases {
            assert_eq!(
                lit(integer, fraction, exponent).as_deref(),
                Some(expected),
                "{integer}.{fraction:?}e{exponent:?}"
            );
        }
    }

    #[test]
    fn infinity_is_refused() {
        assert_eq!(lit("1", None, Some("999")), None);
    }
}
