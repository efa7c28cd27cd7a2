//! Distributions a smoker never tests: CPAN::Reporter::Smoker's own list (perl itself and its
//! relatives, bundles, mod_perl) and the tester's patterns (`--exclude`, `[smoke] exclude`).

/// What CPAN::Reporter::Smoker always skips (Smoker.pm): perl and its sister projects, bundles,
/// mod_perl.
pub const ALWAYS_EXCLUDED: [&str; 7] = [
    "perl", "parrot", "ponie", "kurila", "Pugs", "Bundle-*", "mod_perl",
];

/// Distribution name patterns: `*` for any run of characters, `?` for one; case matters, as in
/// distribution names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    patterns: Vec<String>,
}

impl Exclusions {
    /// These patterns only.
    pub fn new(patterns: impl IntoIterator<Item = String>) -> Exclusions {
        Exclusions {
            patterns: patterns.into_iter().collect(),
        }
    }

    /// These patterns and [`ALWAYS_EXCLUDED`].
    pub fn with_defaults(patterns: impl IntoIterator<Item = String>) -> Exclusions {
        let mut all: Vec<String> = ALWAYS_EXCLUDED.iter().map(|p| p.to_string()).collect();
        all.extend(patterns);
        Exclusions::new(all)
    }

    /// The first pattern that matches `dist`.
    pub fn matching(&self, dist: &str) -> Option<&str> {
        self.patterns
            .iter()
            .find(|pattern| glob_matches(pattern.as_bytes(), dist.as_bytes()))
            .map(String::as_str)
    }
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob_matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && glob_matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob_matches(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names() {
        let exclusions = Exclusions::with_defaults(["Acme-*".to_string(), "Foo-?ar".to_string()]);
        assert_eq!(exclusions.matching("Acme-Bleach"), Some("Acme-*"));
        assert_eq!(exclusions.matching("Foo-Bar"), Some("Foo-?ar"));
        assert_eq!(exclusions.matching("Foo-Bars"), None);
        assert_eq!(exclusions.matching("Bundle-CPAN"), Some("Bundle-*"));
        assert_eq!(exclusions.matching("perl"), Some("perl"));
        assert_eq!(exclusions.matching("perl5i"), None);
        assert_eq!(exclusions.matching("acme-bleach"), None);
        assert_eq!(Exclusions::default().matching("Acme-Bleach"), None);
    }
}
