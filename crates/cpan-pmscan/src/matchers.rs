//! Hand-written equivalents of the regular expressions PAUSE applies to every line, so the scan
//! does not run a regex engine per line. Each function names the Perl pattern it implements.

/// Perl's `\s` on a byte of a byte string.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Perl's `\w` on a byte of a byte string.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length of the `[\s\{;]*` prefix.
fn lead(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| is_space(b) || b == b'{' || b == b';')
        .count()
}

fn skip_space(line: &[u8], mut i: usize) -> usize {
    while line.get(i).is_some_and(|&b| is_space(b)) {
        i += 1;
    }
    i
}

/// Which keywords start a package declaration (`$package_or_class` in PAUSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keywords {
    /// `package`
    Package,
    /// `package|class`
    PackageClass,
    /// `package|class|role`
    PackageClassRole,
}

impl Keywords {
    fn matches(self, word: &[u8]) -> bool {
        match word {
            b"package" => true,
            b"class" => self != Keywords::Package,
            b"role" => self == Keywords::PackageClassRole,
            _ => false,
        }
    }

    /// Applies PAUSE's three `use …` patterns that widen the keyword set.
    pub fn update(self, line: &[u8]) -> Keywords {
        let mut keywords = self;
        let i = lead(line);
        let Some(rest) = line.get(i..) else {
            return keywords;
        };
        if !rest.starts_with(b"use") {
            return keywords;
        }
        let after_use = 3;
        let j = skip_space(rest, after_use);
        if j == after_use {
            return keywords;
        }
        let Some(module_text) = rest.get(j..) else {
            return keywords;
        };
        // ^[\s\{;]*use\s+(?:feature|experimental)\s+[^;]+\b(?:class|all)[^;]*;
        for module in [&b"feature"[..], b"experimental"] {
            if let Some(tail) = module_text.strip_prefix(module) {
                if feature_class_tail(tail) {
                    keywords = keywords.max_with(Keywords::PackageClass);
                }
            }
        }
        // ^[\s\{;]*use\s+(?:Feature::Compat::Class)[^;]*;
        if let Some(tail) = module_text.strip_prefix(&b"Feature::Compat::Class"[..]) {
            if tail.contains(&b';') {
                keywords = keywords.max_with(Keywords::PackageClass);
            }
        }
        // ^[\s\{;]*use\s+(?:Object::Pad)[^;]*;
        if let Some(tail) = module_text.strip_prefix(&b"Object::Pad"[..]) {
            if tail.contains(&b';') {
                keywords = Keywords::PackageClassRole;
            }
        }
        keywords
    }

    fn max_with(self, other: Keywords) -> Keywords {
        if self == Keywords::PackageClassRole || other == Keywords::PackageClassRole {
            Keywords::PackageClassRole
        } else if self == Keywords::PackageClass || other == Keywords::PackageClass {
            Keywords::PackageClass
        } else {
            Keywords::Package
        }
    }
}

/// `\s+[^;]+\b(?:class|all)[^;]*;` anchored at the start of `tail`.
fn feature_class_tail(tail: &[u8]) -> bool {
    if !tail.first().is_some_and(|&b| is_space(b)) {
        return false;
    }
    let Some(semicolon) = tail.iter().position(|&b| b == b';') else {
        return false;
    };
    let segment = &tail[..semicolon];
    // One character for \s+, at least one for [^;]+, then the keyword at a word boundary.
    (2..segment.len()).any(|i| {
        let boundary = !segment.get(i - 1).is_some_and(|&b| is_word(b));
        boundary && (segment[i..].starts_with(b"class") || segment[i..].starts_with(b"all"))
    })
}

/// `$version::STRICT` matched as a prefix of `s`: the length matched.
fn strict_version_prefix(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        s[from.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let strict_integer = |from: usize| -> Option<usize> {
        match s.get(from) {
            Some(b'0') => Some(1),
            Some(b'1'..=b'9') => Some(digits(from)),
            _ => None,
        }
    };
    if let Some(int_len) = strict_integer(0) {
        let mut len = int_len;
        if s.get(len) == Some(&b'.') {
            let frac = digits(len + 1);
            if frac > 0 {
                len += 1 + frac;
            }
        }
        return Some(len);
    }
    if s.first() == Some(&b'v') {
        let int_len = strict_integer(1)?;
        let mut len = 1 + int_len;
        let mut parts = 0;
        while s.get(len) == Some(&b'.') {
            let d = digits(len + 1).min(3);
            if d == 0 {
                break;
            }
            len += 1 + d;
            parts += 1;
        }
        if parts >= 2 {
            return Some(len);
        }
    }
    None
}

/// A `package` line as `packages_per_pmfile` matches it:
/// `^[\s\{;]*\b(?:KW)\s+([\w\:\']+)\s*(?:$|[\}\;\:]|\{|\s+($version::STRICT))`.
/// Returns the name and the inline strict version.
pub fn package_line(line: &[u8], keywords: Keywords) -> Option<(&[u8], Option<&[u8]>)> {
    let start = lead(line);
    let rest = line.get(start..)?;
    let kw_len = rest
        .iter()
        .take_while(|&&b| b.is_ascii_alphabetic())
        .count();
    if kw_len == 0 || !keywords.matches(&rest[..kw_len]) {
        return None;
    }
    let name_start = skip_space(rest, kw_len);
    if name_start == kw_len {
        return None;
    }
    let is_name = |b: u8| is_word(b) || b == b':' || b == b'\'';
    let run = rest[name_start..]
        .iter()
        .take_while(|&&b| is_name(b))
        .count();
    if run == 0 {
        return None;
    }
    let name_end = name_start + run;
    // The whole name first.
    let after = skip_space(rest, name_end);
    match rest.get(after) {
        None | Some(b'}') | Some(b';') | Some(b':') | Some(b'{') => {
            return Some((&rest[name_start..name_end], None));
        }
        Some(_) if after > name_end => {
            if let Some(len) = strict_version_prefix(&rest[after..]) {
                return Some((&rest[name_start..name_end], Some(&rest[after..after + len])));
            }
        }
        Some(_) => {}
    }
    // Backtracking into the name: a shorter name followed by `:` matches `[\}\;\:]`.
    (1..run)
        .rev()
        .find(|&len| rest[name_start + len] == b':')
        .map(|len| (&rest[name_start..name_start + len], None))
}

/// The package line `parse_version_safely` looks for:
/// `^[\s\{;]*(?:KW) \s+ \S+ \s+ (\S+) \s* [:;{]` (/x). Returns the captured version.
pub fn version_package_line(line: &[u8], keywords: Keywords) -> Option<&[u8]> {
    let start = lead(line);
    let rest = line.get(start..)?;
    let kw_len = rest
        .iter()
        .take_while(|&&b| b.is_ascii_alphabetic())
        .count();
    // No \b here: the keyword may be followed directly by white space only.
    let kw = [&b"package"[..], b"class", b"role"]
        .into_iter()
        .find(|k| rest.starts_with(k) && keywords.matches(k))?;
    let _ = kw_len;
    let mut i = kw.len();
    let j = skip_space(rest, i);
    if j == i {
        return None;
    }
    i = j;
    let name_len = rest[i..].iter().take_while(|&&b| !is_space(b)).count();
    if name_len == 0 {
        return None;
    }
    i += name_len;
    let j = skip_space(rest, i);
    if j == i {
        return None;
    }
    i = j;
    let run = rest[i..].iter().take_while(|&&b| !is_space(b)).count();
    if run == 0 {
        return None;
    }
    // Greedy (\S+) then \s*[:;{]: the longest prefix after which (white space and) one of
    // `:;{` follows.
    let end = i + run;
    let after = skip_space(rest, end);
    if after > end && matches!(rest.get(after), Some(b':' | b';' | b'{')) {
        return Some(&rest[i..end]);
    }
    (1..run)
        .rev()
        .find(|&len| matches!(rest[i + len], b':' | b';' | b'{'))
        .map(|len| &rest[i..i + len])
}

/// A `$VERSION` assignment as `parse_version_safely` recognises it:
/// `([\$*])(([\w\:\']*)\bVERSION)\b.*(?<![!><=])\=(?![=>])`. Returns the sigil and the name
/// (`VERSION`, `Foo::VERSION`). With `no_backslash`, Parse::PMFile's `(?<!\\)` is added.
pub fn version_assignment(line: &[u8], no_backslash: bool) -> Option<(u8, &[u8])> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER
        .get_or_init(|| memchr::memmem::Finder::new(b"VERSION"))
        .find(line)?;
    // The last `=` that is neither part of a comparison nor `=>`/`==`.
    let last_assign = (0..line.len()).rev().find(|&q| {
        line[q] == b'='
            && !(q > 0 && matches!(line[q - 1], b'!' | b'>' | b'<' | b'='))
            && !matches!(line.get(q + 1), Some(b'=') | Some(b'>'))
    })?;
    let is_name = |b: u8| is_word(b) || b == b':' || b == b'\'';
    for s in memchr::memchr2_iter(b'$', b'*', line) {
        if no_backslash && s > 0 && line[s - 1] == b'\\' {
            continue;
        }
        let run_start = s + 1;
        let run = line[run_start..]
            .iter()
            .take_while(|&&b| is_name(b))
            .count();
        let run_end = run_start + run;
        if run < 7 {
            continue;
        }
        for p in (run_start..=run_end - 7).rev() {
            if &line[p..p + 7] != b"VERSION" {
                continue;
            }
            let boundary_before = p == run_start || !is_word(line[p - 1]);
            let boundary_after = !line.get(p + 7).is_some_and(|&b| is_word(b));
            if boundary_before && boundary_after && last_assign >= p + 7 {
                return Some((line[s], &line[run_start..p + 7]));
            }
        }
    }
    None
}

/// The right-hand side PAUSE retries after a failed evaluation:
/// `[\$*]([\w\:\']*)\bVERSION\b.*\=(.*)`: everything after the last `=`.
pub fn retry_rhs(line: &[u8]) -> Option<&[u8]> {
    let q = memchr::memrchr(b'=', line)?;
    line.get(q + 1..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(line: &str) -> Option<(String, Option<String>)> {
        package_line(line.as_bytes(), Keywords::Package).map(|(n, v)| {
            (
                String::from_utf8_lossy(n).into_owned(),
                v.map(|v| String::from_utf8_lossy(v).into_owned()),
            )
        })
    }

    #[test]
    fn package_lines() {
        assert_eq!(pkg("package Foo;"), Some(("Foo".into(), None)));
        assert_eq!(
            pkg("  package Foo::Bar 1.000;"),
            Some(("Foo::Bar".into(), Some("1.000".into())))
        );
        assert_eq!(
            pkg("package Foo 1.000 {"),
            Some(("Foo".into(), Some("1.000".into())))
        );
        assert_eq!(pkg("package Foo {"), Some(("Foo".into(), None)));
        assert_eq!(
            pkg("package Foo v1.2.3;"),
            Some(("Foo".into(), Some("v1.2.3".into())))
        );
        assert_eq!(pkg("package Foo v1.2;"), None);
        assert_eq!(
            pkg("package Foo 01.0;"),
            Some(("Foo".into(), Some("0".into())))
        );
        assert_eq!(pkg("package Foo"), Some(("Foo".into(), None)));
        assert_eq!(pkg("package Foo::Bar("), Some(("Foo:".into(), None)));
        assert_eq!(pkg("BEGIN { package Foo; }"), None);
        assert_eq!(pkg("{package Foo;}"), Some(("Foo".into(), None)));
        assert_eq!(pkg("packages Foo;"), None);
        assert_eq!(pkg("class Foo;"), None);
        assert!(package_line(b"class Foo;", Keywords::PackageClass).is_some());
        assert!(package_line(b"role Foo;", Keywords::PackageClass).is_none());
        assert!(package_line(b"role Foo;", Keywords::PackageClassRole).is_some());
    }

    #[test]
    fn keyword_updates() {
        let k = Keywords::Package;
        assert_eq!(k.update(b"use feature 'class';"), Keywords::PackageClass);
        assert_eq!(
            k.update(b"use experimental qw(class);"),
            Keywords::PackageClass
        );
        assert_eq!(k.update(b"use feature ':all';"), Keywords::PackageClass);
        assert_eq!(k.update(b"use feature 'say';"), Keywords::Package);
        assert_eq!(k.update(b"use feature class;"), Keywords::Package);
        assert_eq!(
            k.update(b"use Feature::Compat::Class;"),
            Keywords::PackageClass
        );
        assert_eq!(
            k.update(b"use Object::Pad 0.66;"),
            Keywords::PackageClassRole
        );
        assert_eq!(k.update(b"use Object::Pad"), Keywords::Package);
    }

    #[test]
    fn version_package_lines() {
        let v = |l: &str| {
            version_package_line(l.as_bytes(), Keywords::Package)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(v("package Foo 1.0;"), Some("1.0".into()));
        assert_eq!(v("package Foo 1.0 { # x"), Some("1.0".into()));
        assert_eq!(v("package Foo 1.0; # c"), Some("1.0".into()));
        assert_eq!(v("package Foo;"), None);
        assert_eq!(v("package Foo; $VERSION = 1;"), None);
    }

    #[test]
    fn version_assignments() {
        let a = |l: &str| {
            version_assignment(l.as_bytes(), false)
                .map(|(s, n)| (s as char, String::from_utf8_lossy(n).into_owned()))
        };
        assert_eq!(a("our $VERSION = '1.0';"), Some(('$', "VERSION".into())));
        assert_eq!(
            a("$Foo::Bar::VERSION = 1;"),
            Some(('$', "Foo::Bar::VERSION".into()))
        );
        assert_eq!(a("*VERSION = \\'0.003';"), Some(('*', "VERSION".into())));
        assert_eq!(a("1 if $Version::Cmp::Example::VERSION >= 2.0;"), None);
        assert_eq!(a("$MY_VERSION = 1;"), None);
        assert_eq!(a("$VERSIONS = 1;"), None);
        assert_eq!(a("if ($VERSION == 1) {"), None);
        assert_eq!(a("my %h = (VERSION => 1); $x = $VERSION;"), None);
        assert_eq!(
            a("$VERSION::VERSION = 1"),
            Some(('$', "VERSION::VERSION".into()))
        );
    }
}
