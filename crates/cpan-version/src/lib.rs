//! Perl version numbers, exactly as Perl's `version.pm` 0.9929 (the XS implementation in perl 5.36)
//! understands them, including the Lyon compromise:
//!
//! * [`Version::parse`] is `version->parse($string)` (the lax grammar, leading white space and
//!   trailing `;`, `{`, `}`, white space tolerated, the string `undef` meaning zero);
//!   [`Version::parse_strict`] additionally requires the strict grammar; [`Version::declare`] is
//!   `version->declare`/`qv()`, which forces dotted-decimal interpretation;
//! * [`Version::stringify`], [`Version::numify`], [`Version::normal`], [`Version::is_alpha`],
//!   [`Version::is_qv`] are the methods of the same names;
//! * `Ord` is `version.pm`'s `<=>`: underscores are ignored, trailing zero components do not count;
//! * [`is_lax`] and [`is_strict`] are `version::is_lax`/`version::is_strict` (regular expressions
//!   over the whole string, stricter than what `parse` accepts);
//! * [`vcmp`] is `CPAN::Version->vcmp`, the comparison CPAN clients use, which takes any strings;
//! * [`VersionRange`] is a module's requirement as `CPAN::Meta::Requirements` models it.
//!
//! ```
//! use cpan_version::Version;
//! let v = Version::parse("1.02_03").unwrap();
//! assert_eq!(v.numify(), "1.020300");
//! assert_eq!(v.normal(), "v1.20.300");
//! assert_eq!(v.stringify(), "1.02_03");
//! assert!(v.is_alpha());
//! // Decimal versions compare as numbers, dotted-decimal ones part by part:
//! assert!(Version::parse("1.10").unwrap() < Version::parse("1.9").unwrap());
//! assert!(Version::parse("v1.10").unwrap() > Version::parse("v1.9").unwrap());
//! assert_eq!(Version::parse("1.2").unwrap(), Version::parse("v1.200.0").unwrap());
//! ```

mod cpan_vcmp;
mod grammar;
mod range;
mod scan;

pub use cpan_vcmp::vcmp;
pub use grammar::{is_lax, is_strict};
pub use range::*;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A Perl version object, as `version.pm` builds it from a string.
///
/// Equality and ordering are those of `version.pm`'s `<=>`; two versions that compare equal may
/// still stringify differently (`1.2` and `v1.200.0`).
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    parts: Vec<u32>,
    qv: bool,
    alpha: bool,
    overflow: bool,
}

/// Why a string is not a version: one variant per message `version.pm` dies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum VersionError {
    /// `Invalid version format (non-numeric data)`
    #[error("Invalid version format (non-numeric data)")]
    NonNumericData,
    /// `Invalid version format (version required)`: nothing but white space.
    #[error("Invalid version format (version required)")]
    VersionRequired,
    /// `Invalid version format (alpha without decimal)`, as in `1_2`.
    #[error("Invalid version format (alpha without decimal)")]
    AlphaWithoutDecimal,
    /// `Invalid version format (misplaced underscore)`
    #[error("Invalid version format (misplaced underscore)")]
    MisplacedUnderscore,
    /// `Invalid version format (dotted-decimal versions require at least three parts)`
    #[error("Invalid version format (dotted-decimal versions require at least three parts)")]
    DottedDecimalThreeParts,
    /// `Invalid version format (no leading zeros)` (strict grammar only)
    #[error("Invalid version format (no leading zeros)")]
    NoLeadingZeros,
    /// `Invalid version format (maximum 3 digits between decimals)` (strict grammar only)
    #[error("Invalid version format (maximum 3 digits between decimals)")]
    MaximumThreeDigits,
    /// `Invalid version format (no underscores)` (strict grammar only)
    #[error("Invalid version format (no underscores)")]
    NoUnderscores,
    /// `Invalid version format (multiple underscores)`
    #[error("Invalid version format (multiple underscores)")]
    MultipleUnderscores,
    /// `Invalid version format (underscores before decimal)`
    #[error("Invalid version format (underscores before decimal)")]
    UnderscoresBeforeDecimal,
    /// `Invalid version format (0 before decimal required)` (strict grammar only)
    #[error("Invalid version format (0 before decimal required)")]
    ZeroBeforeDecimalRequired,
    /// `Invalid version format (negative version number)`
    #[error("Invalid version format (negative version number)")]
    NegativeVersion,
    /// `Invalid version format (fractional part required)`
    #[error("Invalid version format (fractional part required)")]
    FractionalPartRequired,
    /// `Invalid version format (dotted-decimal versions must begin with 'v')` (strict only)
    #[error("Invalid version format (dotted-decimal versions must begin with 'v')")]
    DottedDecimalMustBeginWithV,
    /// `Invalid version format (trailing decimal)`
    #[error("Invalid version format (trailing decimal)")]
    TrailingDecimal,
}

impl VersionError {
    /// The message class: the words in parentheses of `version.pm`'s message
    /// (`non-numeric data`, `alpha without decimal`, …).
    pub fn class(&self) -> &'static str {
        match self {
            VersionError::NonNumericData => "non-numeric data",
            VersionError::VersionRequired => "version required",
            VersionError::AlphaWithoutDecimal => "alpha without decimal",
            VersionError::MisplacedUnderscore => "misplaced underscore",
            VersionError::DottedDecimalThreeParts => {
                "dotted-decimal versions require at least three parts"
            }
            VersionError::NoLeadingZeros => "no leading zeros",
            VersionError::MaximumThreeDigits => "maximum 3 digits between decimals",
            VersionError::NoUnderscores => "no underscores",
            VersionError::MultipleUnderscores => "multiple underscores",
            VersionError::UnderscoresBeforeDecimal => "underscores before decimal",
            VersionError::ZeroBeforeDecimalRequired => "0 before decimal required",
            VersionError::NegativeVersion => "negative version number",
            VersionError::FractionalPartRequired => "fractional part required",
            VersionError::DottedDecimalMustBeginWithV => {
                "dotted-decimal versions must begin with 'v'"
            }
            VersionError::TrailingDecimal => "trailing decimal",
        }
    }
}

/// The string as C code sees it: up to its first NUL byte.
fn c_string(s: &str) -> &[u8] {
    let bytes = s.as_bytes();
    match bytes.iter().position(|&b| b == 0) {
        Some(nul) => &bytes[..nul],
        None => bytes,
    }
}

impl Version {
    /// `version->parse($s)` (also `version->new($s)`) for a string `$s`.
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        Self::from_scan(scan::scan(c_string(s), false)?)
    }

    /// `version->declare($s)` / `qv($s)`: like [`Version::parse`], but a decimal such as `1.2` is
    /// read as the dotted-decimal `v1.2.0`.
    pub fn declare(s: &str) -> Result<Version, VersionError> {
        Self::from_scan(scan::scan(c_string(s), true)?)
    }

    /// Parses with the strict grammar (what `version::is_strict` describes), giving the strict
    /// prescan's reason on failure (`no leading zeros`, `no underscores`, …). The resulting
    /// object is the one [`Version::parse`] builds.
    pub fn parse_strict(s: &str) -> Result<Version, VersionError> {
        let bytes = c_string(s);
        let trimmed = {
            let skip = bytes
                .iter()
                .take_while(|&&b| scan::is_perl_space(b))
                .count();
            &bytes[skip..]
        };
        scan::prescan(trimmed, true, false)?;
        if !is_strict(s) {
            // The prescan tolerates trailing terminators (`1.2;`) that the strict grammar does not.
            return Err(VersionError::NonNumericData);
        }
        Self::parse(s)
    }

    /// `version->new($number)` for a Perl number (an NV): Perl formats it with `%.9f`, then drops
    /// trailing zeros, so `1.10` becomes `1.1` and `1.0` becomes `1`.
    pub fn from_number(n: f64) -> Result<Version, VersionError> {
        if !n.is_finite() {
            return Err(VersionError::NonNumericData);
        }
        let mut text = format!("{n:.9}");
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
        Self::parse(&text)
    }

    fn from_scan(scanned: scan::Scanned) -> Result<Version, VersionError> {
        Ok(Version {
            original: scanned.original,
            parts: scanned.parts,
            qv: scanned.qv,
            alpha: scanned.alpha,
            overflow: scanned.overflow,
        })
    }

    /// `$v->stringify` (and `"$v"`): the initializer as written, without surrounding white space
    /// and trailing data; `v.Inf` when a component overflowed.
    pub fn stringify(&self) -> String {
        self.original.clone()
    }

    /// `$v->numify`: the decimal form, three digits per component after the first.
    pub fn numify(&self) -> String {
        let Some((first, rest)) = self.parts.split_first() else {
            return "0".to_string();
        };
        let mut out = format!("{first}.");
        for part in rest {
            out.push_str(&format!("{part:03}"));
        }
        if rest.is_empty() {
            out.push_str("000");
        }
        out
    }

    /// `$v->normal`: the dotted-decimal form with a leading `v` and at least three components.
    pub fn normal(&self) -> String {
        let mut out = String::from("v");
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(&part.to_string());
        }
        for _ in self.parts.len()..3 {
            out.push_str(".0");
        }
        out
    }

    /// `$v->is_alpha`: the initializer had an underscore.
    pub fn is_alpha(&self) -> bool {
        self.alpha
    }

    /// `$v->is_qv`: the version is dotted-decimal.
    pub fn is_qv(&self) -> bool {
        self.qv
    }

    /// The numeric components `version.pm` compares (its internal `version` array).
    pub fn components(&self) -> &[u32] {
        &self.parts
    }

    /// A component exceeded `0x7FFFFFFF` and was clamped (Perl warns "Integer overflow in
    /// version" and stringifies the object as `v.Inf`).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// The components without trailing zeros, which is what equality depends on.
    fn significant(&self) -> &[u32] {
        let len = self
            .parts
            .iter()
            .rposition(|&p| p != 0)
            .map_or(0, |i| i + 1);
        &self.parts[..len]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.significant().hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// `vcmp` from `vutil.c`: component by component, a longer version being greater only if one
    /// of its extra components is not zero.
    fn cmp(&self, other: &Self) -> Ordering {
        self.significant().cmp(other.significant())
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    /// Expected values printed by perl 5.36: `version->new(NUMBER)->stringify`, `->numify`.
    #[test]
    fn numbers_become_versions_as_in_perl() {
        for (n, stringify, numify) in [
            (1.10, "1.1", "1.100"),
            (1.0, "1", "1.000"),
            (0.000015, "0.000015", "0.000015"),
            (1.23456789012, "1.23456789", "1.234567890"),
            (5.006001, "5.006001", "5.006001"),
        ] {
            let v = Version::from_number(n).expect("a finite number is a version");
            assert_eq!(
                (v.stringify().as_str(), v.numify().as_str()),
                (stringify, numify),
                "{n}"
            );
        }
        assert!(Version::from_number(f64::INFINITY).is_err());
    }
}
