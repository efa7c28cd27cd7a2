//! Small pieces of Perl behaviour the parsers share: Perl's Unicode `\s`, `Encode::decode`
//! with `PERLQQ`, and how Perl prints numbers.

/// Perl's `\s` on a character string (the Unicode `White_Space` property, `\x0B` included).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0b}'
            | '\u{0c}'
            | '\r'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Perl's `\d` on a character string: any Unicode decimal digit (`Nd`).
///
/// Only the `%YAML` directive test uses it, so the ASCII digits and the common `Nd` blocks
/// (each a run of ten code points starting at a zero) are enough to be exact.
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii_digit() {
        return true;
    }
    let code = c as u32;
    DIGIT_ZEROS
        .iter()
        .any(|&zero| code >= zero && code < zero + 10)
}

/// The code points of the `0` of every Unicode `Nd` block (Unicode 14, as in perl 5.36).
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// How many bytes a sequence starting with `lead` has in Perl's extended UTF-8.
fn sequence_length(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        0xF8..=0xFB => 5,
        0xFC..=0xFD => 6,
        0xFE => 7,
        0xFF => 13,
    }
}

/// Whether strict `UTF-8` in `Encode` accepts the code point: a Unicode scalar value that is
/// not a noncharacter.
fn strict_utf8_accepts(code: u32) -> Option<char> {
    let nonchar = (0xFDD0..=0xFDEF).contains(&code) || (code & 0xFFFE) == 0xFFFE;
    if nonchar {
        return None;
    }
    char::from_u32(code)
}

/// `Encode::decode('UTF-8', $bytes, Encode::PERLQQ())`, as `Parse::CPAN::Meta::_slurp` does:
/// every byte of a malformed sequence becomes the four characters `\xHH`.
///
/// A malformed sequence is the lead byte and the continuation bytes that follow it, up to the
/// length the lead byte announces; overlong forms, surrogates, noncharacters and code points
/// above U+10FFFF are malformed too.
pub(crate) fn decode_utf8_perlqq(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&lead) = bytes.get(i) {
        if lead < 0x80 {
            out.push(char::from(lead));
            i += 1;
            continue;
        }
        let want = sequence_length(lead);
        let mut end = i + 1;
        if lead >= 0xC0 {
            while end < i + want && bytes.get(end).is_some_and(|b| (0x80..=0xBF).contains(b)) {
                end += 1;
            }
        }
        let decoded = if end == i + want && (2..=4).contains(&want) {
            let mut code = u32::from(lead) & (0x7F >> want);
            for b in bytes.get(i + 1..end).unwrap_or_default() {
                code = (code << 6) | (u32::from(*b) & 0x3F);
            }
            let shortest = match code {
                0..=0x7F => 1,
                0x80..=0x7FF => 2,
                0x800..=0xFFFF => 3,
                _ => 4,
            };
            if shortest == want {
                strict_utf8_accepts(code)
            } else {
                None
            }
        } else {
            None
        };
        match decoded {
            Some(c) => out.push(c),
            None => {
                for b in bytes.get(i..end).unwrap_or_default() {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
        }
        i = end;
    }
    out
}

/// How Perl prints a floating-point number (`%.15g`, with `Inf`, `-Inf`, `NaN`, and `0` for
/// negative zero).
pub(crate) fn format_nv(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Inf" } else { "-Inf" }.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    const PRECISION: i32 = 15;
    // `{:e}` with 14 fractional digits rounds exactly as C's `%.15g` does.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (PRECISION - 1 - exponent).max(0) as usize;
        trim_fraction(&format!("{value:.decimals$}")).to_string()
    }
}

/// `%g` drops trailing zeros of the fraction, and the point when nothing is left after it.
fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nv_formatting_matches_percent_15g() {
        assert_eq!(format_nv(1.1), "1.1");
        assert_eq!(format_nv(1000.0), "1000");
        assert_eq!(format_nv(1e20), "1e+20");
        assert_eq!(format_nv(std::f64::consts::PI), "3.14159265358979");
        assert_eq!(format_nv(0.0001), "0.0001");
        assert_eq!(format_nv(0.00001), "1e-05");
        assert_eq!(format_nv(123456789012345.0), "123456789012345");
        assert_eq!(format_nv(1234567890123456.0), "1.23456789012346e+15");
        assert_eq!(format_nv(-0.0), "0");
        assert_eq!(format_nv(f64::INFINITY), "Inf");
        assert_eq!(format_nv(-2.5), "-2.5");
    }

    #[test]
    fn perlqq_decoding_replaces_each_byte_of_a_bad_sequence() {
        assert_eq!(decode_utf8_perlqq(b"a\xe9b"), "a\\xE9b");
        assert_eq!(decode_utf8_perlqq(b"\xed\xa0\x80"), "\\xED\\xA0\\x80");
        assert_eq!(decode_utf8_perlqq(b"\xe1\x80\xc0"), "\\xE1\\x80\\xC0");
        assert_eq!(decode_utf8_perlqq(b"\xef\xbf\xbe"), "\\xEF\\xBF\\xBE");
        assert_eq!(decode_utf8_perlqq(b"\xf0\x9f\x98\x80"), "\u{1F600}");
        assert_eq!(decode_utf8_perlqq(b"\xfe\x80\x80"), "\\xFE\\x80\\x80");
        assert_eq!(decode_utf8_perlqq(b"\xc1\xbf"), "\\xC1\\xBF");
    }
}
