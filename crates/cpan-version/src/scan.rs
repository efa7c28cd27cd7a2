//! The scanner: a port of the behaviour of `prescan_version` and `scan_version` from `version.pm`'s
//! `vutil.c` (0.9929). The C code works on NUL-terminated strings; [`Cursor`] reproduces that by
//! answering `0` past the end, and callers cut the input at its first NUL byte, as C would see it.

use crate::VersionError;

/// The largest value one component can hold (`VERSION_MAX` in `vutil.c`).
pub(crate) const VERSION_MAX: u32 = 0x7FFF_FFFF;

/// A byte string read the way C reads a NUL-terminated one.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl Cursor<'_> {
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }
    fn digit(&self, i: usize) -> bool {
        self.at(i).is_ascii_digit()
    }
}

/// Perl's `isSPACE`: ASCII white space, including vertical tab.
pub(crate) fn is_perl_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A character that may end a version in a `package NAME VERSION` statement.
fn is_terminator(b: u8) -> bool {
    b == 0 || b == b';' || is_perl_space(b) || b == b'{' || b == b'}'
}

/// What the prescan learned about a string it accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prescan {
    pub qv: bool,
    pub saw_decimal: u32,
    pub alpha: bool,
}

/// `prescan_version`: validates `s` under the strict or the lax grammar of the C scanner.
pub(crate) fn prescan(s: &[u8], strict: bool, force_qv: bool) -> Result<Prescan, VersionError> {
    let c = Cursor { bytes: s };
    let mut qv = force_qv;
    let mut saw_decimal = 0u32;
    let mut alpha = false;
    let mut d = 0usize;

    // `dotted` is true while the C code is in (or jumps back into) its dotted-decimal branch.
    let mut dotted = (qv && c.digit(d)) || c.at(d) == b'v';
    if !(qv && c.digit(d)) && c.at(d) == b'v' {
        d += 1;
        if c.digit(d) {
            qv = true;
        } else {
            return Err(VersionError::DottedDecimalThreeParts);
        }
    }

    'scan: loop {
        if dotted {
            if strict && c.at(d) == b'0' && c.digit(d + 1) {
                return Err(VersionError::NoLeadingZeros);
            }
            while c.digit(d) {
                d += 1;
            }
            if c.at(d) == b'.' {
                saw_decimal += 1;
                d += 1;
            } else if strict {
                return Err(VersionError::DottedDecimalThreeParts);
            } else {
                break 'scan;
            }
            let mut parts = 0;
            let mut width = 0;
            while c.digit(d) {
                parts += 1;
                while c.digit(d) {
                    d += 1;
                    width += 1;
                    if strict && width > 3 {
                        return Err(VersionError::MaximumThreeDigits);
                    }
                }
                if c.at(d) == b'_' {
                    if strict {
                        return Err(VersionError::NoUnderscores);
                    }
                    if alpha {
                        return Err(VersionError::MultipleUnderscores);
                    }
                    d += 1;
                    alpha = true;
                } else if c.at(d) == b'.' {
                    if alpha {
                        return Err(VersionError::UnderscoresBeforeDecimal);
                    }
                    saw_decimal += 1;
                    d += 1;
                } else if !c.digit(d) {
                    break;
                }
                width = 0;
            }
            if strict && parts < 2 {
                return Err(VersionError::DottedDecimalThreeParts);
            }
            break 'scan;
        }

        // Decimal versions.
        let start = 0usize;
        if strict {
            if c.at(d) == b'.' {
                return Err(VersionError::ZeroBeforeDecimalRequired);
            }
            if c.at(d) == b'0' && c.digit(d + 1) {
                return Err(VersionError::NoLeadingZeros);
            }
        }
        if c.at(d) == b'-' {
            return Err(VersionError::NegativeVersion);
        }
        while c.digit(d) {
            d += 1;
        }
        if c.at(d) == b'.' {
            saw_decimal += 1;
            d += 1;
        } else if is_terminator(c.at(d)) {
            if d == start {
                return Err(VersionError::VersionRequired);
            }
            break 'scan;
        } else if d == start {
            return Err(VersionError::NonNumericData);
        } else if c.at(d) == b'_' {
            if strict {
                return Err(VersionError::NoUnderscores);
            } else if c.digit(d + 1) {
                return Err(VersionError::AlphaWithoutDecimal);
            } else {
                return Err(VersionError::MisplacedUnderscore);
            }
        } else {
            return Err(VersionError::NonNumericData);
        }

        if !c.digit(d) && (strict || !is_terminator(c.at(d))) {
            return Err(VersionError::FractionalPartRequired);
        }
        while c.digit(d) {
            d += 1;
            if c.at(d) == b'.' && c.digit(d - 1) {
                if alpha {
                    return Err(VersionError::UnderscoresBeforeDecimal);
                }
                if strict {
                    return Err(VersionError::DottedDecimalMustBeginWithV);
                }
                // Start all over again as a dotted-decimal version; `saw_decimal` keeps counting.
                d = start;
                qv = true;
                dotted = true;
                continue 'scan;
            }
            if c.at(d) == b'_' {
                if strict {
                    return Err(VersionError::NoUnderscores);
                }
                if alpha {
                    return Err(VersionError::MultipleUnderscores);
                }
                if !c.digit(d + 1) {
                    return Err(VersionError::MisplacedUnderscore);
                }
                d += 1;
                alpha = true;
            }
        }
        break 'scan;
    }

    while is_perl_space(c.at(d)) {
        d += 1;
    }
    let next = c.at(d);
    // version.pm 0.9930 (perl 5.40) also accepts `:` here, for `class NAME VERSION :attrs`;
    // 0.9929, the one in perl 5.36 that riverpan follows, does not.
    if !(next.is_ascii_digit() || next == 0 || matches!(next, b';' | b'{' | b'}')) {
        return Err(VersionError::NonNumericData);
    }
    if saw_decimal > 1 && d > 0 && c.at(d - 1) == b'.' {
        return Err(VersionError::TrailingDecimal);
    }
    Ok(Prescan {
        qv,
        saw_decimal,
        alpha,
    })
}

/// The object `scan_version` builds.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    pub original: String,
    pub parts: Vec<u32>,
    pub qv: bool,
    pub alpha: bool,
    pub overflow: bool,
}

/// `scan_version`: leading white space is skipped, the prescan validates (the string `undef` is
/// the one exception), and the components are read. Data after the version is ignored, as Perl
/// ignores it with a warning.
pub(crate) fn scan(input: &[u8], force_qv: bool) -> Result<Scanned, VersionError> {
    let mut skip = 0;
    while skip < input.len() && is_perl_space(input[skip]) {
        skip += 1;
    }
    let s = &input[skip..];
    let c = Cursor { bytes: s };
    let is_undef = s == b"undef";
    let pre = match prescan(s, false, force_qv) {
        Ok(p) => p,
        Err(_) if is_undef => Prescan {
            qv: force_qv,
            saw_decimal: 0,
            alpha: false,
        },
        Err(e) => return Err(e),
    };
    let qv = pre.qv;
    let saw_decimal = pre.saw_decimal;

    let start = 0usize;
    let mut s_pos = if c.at(0) == b'v' { 1 } else { 0 };
    let mut pos = s_pos;
    let mut parts: Vec<u32> = Vec::new();
    let mut overflow = false;

    while c.digit(pos) || c.at(pos) == b'_' {
        pos += 1;
    }
    if !c.at(pos).is_ascii_alphabetic() {
        loop {
            let end = pos;
            let mut rev: i64 = 0;
            if !qv && s_pos > start && saw_decimal == 1 {
                // The digits after the decimal point of a decimal version, three at a time.
                let mut mult: i64 = 100;
                let mut i = s_pos;
                while i < end {
                    if c.at(i) != b'_' {
                        rev += i64::from(c.at(i) - b'0') * mult;
                        mult /= 10;
                    }
                    i += 1;
                }
            } else {
                // An integer read backwards, underscores skipped, saturating at VERSION_MAX.
                let max = i64::from(VERSION_MAX);
                let mut mult: i64 = 1;
                let mut i = end;
                while i > s_pos {
                    i -= 1;
                    let ch = c.at(i);
                    if ch == b'_' {
                        continue;
                    }
                    let digit = i64::from(ch - b'0');
                    if mult == max || digit > max / mult || digit * mult > max - rev {
                        rev = max;
                        overflow = true;
                        break;
                    }
                    rev += digit * mult;
                    mult = if mult > max / 10 { max } else { mult * 10 };
                }
            }
            // `rev` is within 0..=VERSION_MAX by construction.
            parts.push(u32::try_from(rev).unwrap_or(VERSION_MAX));
            if overflow {
                break;
            } else if c.at(pos) == b'.' {
                pos += 1;
                if qv {
                    while c.at(pos) == b'0' {
                        pos += 1;
                    }
                }
                s_pos = pos;
            } else if (c.at(pos) == b'_' || c.at(pos) == b',') && c.digit(pos + 1) {
                pos += 1;
                s_pos = pos;
            } else if c.digit(pos) {
                s_pos = pos;
            } else {
                s_pos = pos;
                break;
            }
            if qv {
                while c.digit(pos) || c.at(pos) == b'_' {
                    pos += 1;
                }
            } else {
                let mut digits = 0;
                while (c.digit(pos) || c.at(pos) == b'_') && digits < 3 {
                    if c.at(pos) != b'_' {
                        digits += 1;
                    }
                    pos += 1;
                }
            }
        }
    }
    if qv {
        while parts.len() < 3 {
            parts.push(0);
        }
    }

    let original = if overflow {
        "v.Inf".to_string()
    } else if s_pos > start {
        let text = String::from_utf8_lossy(&s[start..s_pos]).into_owned();
        if qv && saw_decimal == 1 && c.at(start) != b'v' {
            format!("v{text}")
        } else {
            text
        }
    } else {
        parts.push(0);
        "0".to_string()
    };
    Ok(Scanned {
        original,
        parts,
        qv,
        alpha: pre.alpha,
        overflow,
    })
}
