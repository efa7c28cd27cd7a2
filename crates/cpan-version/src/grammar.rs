//! `version::is_lax` and `version::is_strict`: the regular expressions of `version::regex`,
//! anchored at both ends, written as hand matchers (they run on every version PAUSE sees).

/// Counts the ASCII digits at the start of `s`.
fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Reads `(\.[0-9]+)*` greedily: returns how many groups were read and the rest.
fn dotted_groups(mut s: &[u8]) -> (usize, &[u8]) {
    let mut groups = 0;
    while s.first() == Some(&b'.') {
        let n = digits(&s[1..]);
        if n == 0 {
            break;
        }
        s = &s[1 + n..];
        groups += 1;
    }
    (groups, s)
}

/// `(_[0-9]+)?` followed by the end of the string.
fn optional_alpha_then_end(s: &[u8]) -> bool {
    match s.first() {
        None => true,
        Some(b'_') => {
            let n = digits(&s[1..]);
            n > 0 && s.len() == 1 + n
        }
        Some(_) => false,
    }
}

/// `version::is_lax($s)`: `undef`, or a lax decimal or dotted-decimal version, nothing around it.
pub fn is_lax(s: &str) -> bool {
    let s = s.as_bytes();
    if s == b"undef" {
        return true;
    }
    if let Some(rest) = s.strip_prefix(b"v") {
        // v INT ( (\.D+)+ (_D+)? )?
        let int = digits(rest);
        if int == 0 {
            return false;
        }
        let rest = &rest[int..];
        if rest.is_empty() {
            return true;
        }
        let (groups, rest) = dotted_groups(rest);
        return groups > 0 && optional_alpha_then_end(rest);
    }
    let int = digits(s);
    let (groups, rest) = dotted_groups(&s[int..]);
    if groups >= 2 {
        // INT? (\.D+){2,} (_D+)?
        return optional_alpha_then_end(rest);
    }
    if int > 0 {
        // INT (\.D+ | \.)? (_D+)?
        let rest = if groups == 0 {
            rest.strip_prefix(b".").unwrap_or(rest)
        } else {
            rest
        };
        return optional_alpha_then_end(rest);
    }
    // \.D+ (_D+)?
    groups == 1 && optional_alpha_then_end(rest)
}

/// `0|[1-9][0-9]*` at the start of `s`: its length, if present.
fn strict_integer(s: &[u8]) -> Option<usize> {
    match s.first() {
        Some(b'0') => Some(1),
        Some(b'1'..=b'9') => Some(digits(s)),
        _ => None,
    }
}

/// `version::is_strict($s)`: a strict decimal (`1.23`) or a strict dotted-decimal (`v1.2.3`,
/// at least three components, at most three digits after the first).
pub fn is_strict(s: &str) -> bool {
    let s = s.as_bytes();
    if let Some(rest) = s.strip_prefix(b"v") {
        let Some(int) = strict_integer(rest) else {
            return false;
        };
        let mut rest = &rest[int..];
        let mut groups = 0;
        while let Some(after_dot) = rest.strip_prefix(b".") {
            let n = digits(after_dot);
            if n == 0 || n > 3 {
                return false;
            }
            rest = &after_dot[n..];
            groups += 1;
        }
        return groups >= 2 && rest.is_empty();
    }
    let Some(int) = strict_integer(s) else {
        return false;
    };
    let rest = &s[int..];
    match rest.strip_prefix(b".") {
        None => rest.is_empty(),
        Some(fraction) => {
            let n = digits(fraction);
            n > 0 && n == fraction.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lax_examples() {
        for yes in [
            "undef", "1", "1.", "1.2", ".2", "1.2_3", "1._3", "1_2", "1.2.3", ".1.2", "1.2.3_4",
            "v1", "v1.2", "v1.2_3", "v1.2.3_4", "010", "1.02_03",
        ] {
            assert!(is_lax(yes), "{yes} should be lax");
        }
        for no in [
            "",
            " 1",
            "1 ",
            "v",
            "v1.",
            "v1_2",
            ".",
            "._1",
            "1_",
            "1.2_",
            "1.2_3_4",
            "1..2",
            "a",
            "1.2.",
            "-1",
            "v1.2.3.",
            "undef ",
            "1.2.3_4.5",
        ] {
            assert!(!is_lax(no), "{no:?} should not be lax");
        }
    }

    #[test]
    fn strict_examples() {
        for yes in ["0", "1", "1.0", "0.01", "v1.2.3", "v0.0.0", "v1.200.300.4"] {
            assert!(is_strict(yes), "{yes} should be strict");
        }
        for no in [
            "01",
            "1.",
            ".1",
            "v1.2",
            "v1.2.3_4",
            "1.2_3",
            "v1.2.3000",
            "1.2.3",
            "v01.2.3",
            "",
            "undef",
        ] {
            assert!(!is_strict(no), "{no:?} should not be strict");
        }
    }
}
