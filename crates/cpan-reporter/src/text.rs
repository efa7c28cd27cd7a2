//! Byte-level matching that reproduces the handful of Perl regular expressions CPAN::Reporter
//! grades with.
//!
//! CPAN::Reporter captures command output as bytes (Capture::Tiny, no decoding), so its
//! regexes run with Perl's byte semantics: `/i` folds ASCII letters only, `\s` is ASCII
//! whitespace and `\w` is `[A-Za-z0-9_]`.  Every pattern it uses is a chain of literals joined
//! by `.*?`, anchored at most at the line start, so a leftmost search for each literal in turn
//! decides a match exactly (an earlier literal position never leaves less room for the rest).

/// `\s` on a byte string (Perl ≥ 5.18 includes the vertical tab).
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `\w` on a byte string.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn eq_at(hay: &[u8], at: usize, needle: &[u8], ci: bool) -> bool {
    match hay.get(at..at + needle.len()) {
        Some(window) if ci => window.eq_ignore_ascii_case(needle),
        Some(window) => window == needle,
        None => false,
    }
}

/// The first position `>= from` where `needle` occurs (ASCII case-insensitively when `ci`).
pub(crate) fn find_from(hay: &[u8], needle: &[u8], from: usize, ci: bool) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    if hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| eq_at(hay, i, needle, ci))
}

/// `m{needle}` (or `m{needle}i`).
pub(crate) fn contains(hay: &[u8], needle: &[u8], ci: bool) -> bool {
    find_from(hay, needle, 0, ci).is_some()
}

/// `m{^needle}` on one captured line.
pub(crate) fn starts_with(hay: &[u8], needle: &[u8], ci: bool) -> bool {
    eq_at(hay, 0, needle, ci)
}

/// `m{L1.*?L2.*?L3}s`: the literals in order, anything (newlines included) between them.
pub(crate) fn sequence(hay: &[u8], parts: &[&[u8]], ci: bool) -> bool {
    let mut at = 0;
    for part in parts {
        match find_from(hay, part, at, ci) {
            Some(i) => at = i + part.len(),
            None => return false,
        }
    }
    true
}

/// Splits output the way `record_command` does (`split qr{(?<=$/)}`): lines keep their
/// newline, and no empty element follows a final newline.
pub(crate) fn lines(output: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    output.split_inclusive(|&b| b == b'\n')
}

/// `m{^\s+!}m`-style search used on the prerequisite report: is there a `!` that is reached
/// from the start of a line by one or more whitespace characters (which, `\s` being
/// multi-line, may span blank lines)?  Returns the position after each such `!`.
pub(crate) fn bang_after_leading_space(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    text.iter().enumerate().filter_map(move |(k, &b)| {
        if b != b'!' || k == 0 {
            return None;
        }
        let mut s = k;
        while s > 0 && is_space(text[s - 1]) {
            s -= 1;
        }
        if s == k {
            return None;
        }
        // `^` matches at the string start or after a newline that is not the last character;
        // the run [s, k) of whitespace must contain such a line start before the `!`.
        let line_start = s == 0 || text[s..k - 1].contains(&b'\n');
        line_start.then_some(k + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_leftmost() {
        assert!(sequence(
            b"Perl v5.9 required--this is only",
            &[b"perl ", b" required", b"--this is only"],
            true
        ));
        assert!(!sequence(
            b"--this is only Perl x required",
            &[b"perl ", b" required", b"--this is only"],
            true
        ));
    }

    #[test]
    fn lines_keep_newlines() {
        let v: Vec<&[u8]> = lines(b"a\nb\n").collect();
        assert_eq!(v, [&b"a\n"[..], &b"b\n"[..]]);
        let v: Vec<&[u8]> = lines(b"a\nb").collect();
        assert_eq!(v, [&b"a\n"[..], &b"b"[..]]);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn bang_needs_line_start() {
        assert_eq!(bang_after_leading_space(b"  ! Foo").count(), 1);
        assert_eq!(bang_after_leading_space(b"x ! Foo").count(), 0);
        assert_eq!(bang_after_leading_space(b"x\n\n  ! Foo").count(), 1);
        assert_eq!(bang_after_leading_space(b"!Foo").count(), 0);
    }
}
