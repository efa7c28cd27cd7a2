//! PAUSE interpolates META `no_index` values into its regexes unquoted (`/^$value\z/`), so a `.`
//! in a value matches any character and `|` splits the whole pattern. riverpan reproduces that by
//! building the same pattern text and compiling it with the `regex` crate, whose syntax agrees
//! with Perl's on what META files contain; a value that does not compile matches nothing.

use regex::Regex;

/// `^VALUE REST`, compiled once.
#[derive(Debug, Clone)]
pub struct InterpolatedPattern {
    regex: Option<Regex>,
}

impl InterpolatedPattern {
    /// Builds `^{value}{rest}` as Perl's `/^$value$rest/` would.
    pub fn new(value: &str, rest: &str) -> InterpolatedPattern {
        InterpolatedPattern {
            regex: Regex::new(&format!("^{value}{rest}")).ok(),
        }
    }

    /// Whether the pattern matches `subject`.
    pub fn matches_start_of(&self, subject: &str) -> bool {
        self.regex
            .as_ref()
            .is_some_and(|regex| regex.is_match(subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_regexes() {
        assert!(InterpolatedPattern::new("lib/Foo.pm", r"\z").matches_start_of("lib/FooXpm"));
        assert!(!InterpolatedPattern::new("lib/Foo.pm", r"\z").matches_start_of("lib/Foo.pmx"));
        assert!(InterpolatedPattern::new("inc", "/").matches_start_of("inc/Foo.pm"));
        assert!(!InterpolatedPattern::new("inc", "/").matches_start_of("include/Foo.pm"));
        // `|` splits the whole pattern as in Perl: ^a|b/ matches "xb/".
        assert!(InterpolatedPattern::new("a|b", "/").matches_start_of("xb/y"));
        assert!(!InterpolatedPattern::new("(", "/").matches_start_of("(/"));
    }
}
