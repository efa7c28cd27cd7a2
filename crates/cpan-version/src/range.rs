//! Version ranges: the requirements on one module's version, exactly as Perl's
//! `CPAN::Meta::Requirements` 2.140 (the one in perl 5.36) models them.
//!
//! * [`VersionRange`] is one module's requirement (the module's `_Range::Range` or
//!   `_Range::Exact` object): [`VersionRange::parse`] reads a requirement string the way
//!   `add_string_requirement` does, [`VersionRange::accepts`] is `accepts_module`,
//!   [`VersionRange::intersect`] combines two requirements the way `add_requirements` does, and
//!   its [`Display`](fmt::Display) is `requirements_for_module`;
//! * [`Requirements`] is the whole `CPAN::Meta::Requirements` object: module name to range;
//! * [`requirement_version`] is the conversion `CPAN::Meta::Requirements` applies to every
//!   version it is given (its `_version_object`), which is stricter than `version->parse`
//!   (trailing data is an error) and normalizes the result (`.5` becomes `0.5`, `v1.2` becomes
//!   `v1.2.0`).
//!
//! ```
//! use cpan_version::{Version, VersionRange};
//! let range: VersionRange = ">= 1.2, < 2, != 1.5".parse().unwrap();
//! assert_eq!(range.to_string(), ">= 1.2, < 2, != 1.5");
//! assert!(range.accepts(&Version::parse("1.9").unwrap()));
//! assert!(!range.accepts(&Version::parse("1.50").unwrap()));
//! let narrower = range.intersect(&"1.4".parse().unwrap()).unwrap();
//! assert_eq!(narrower.to_string(), ">= 1.4, < 2, != 1.5");
//! let err = narrower.intersect(&"== 3".parse().unwrap()).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "illegal requirements for module: exact specification 3 outside of range >= 1.4, < 2, != 1.5"
//! );
//! ```

use crate::{Version, VersionError};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

// ---------------------------------------------------------------------------------------------
// Converting strings to versions (`_version_object`)
// ---------------------------------------------------------------------------------------------

/// Why `version->new` refused a string inside `CPAN::Meta::Requirements`, which turns
/// `version.pm`'s warnings into errors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversionFailure {
    /// `version.pm` died: `Invalid version format (...)`.
    Format(VersionError),
    /// A component exceeded `0x7FFFFFFF`: `version.pm` warned `Integer overflow in version`.
    Overflow,
    /// `version.pm` warned `Version string '...' contains invalid data; ignoring: '...'`: the
    /// version was followed by something (white space, `;`, `{`, `}` or digits after white space).
    TrailingData {
        /// The text after the version, which `version.pm` would have ignored.
        ignored: String,
    },
    /// The string `version`, which `CPAN::Meta::Requirements` refuses outright.
    ReservedWord,
}

/// A string `CPAN::Meta::Requirements` cannot convert to a version; its message is Perl's
/// `Can't convert '...': ...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConversionError {
    input: String,
    failure: ConversionFailure,
}

impl ConversionError {
    /// The string that was given as a version.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was refused.
    pub fn failure(&self) -> &ConversionFailure {
        &self.failure
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Perl builds the error of `version->new` (a die, or a warning turned into a die), adds
        // the location, then removes it with `s{ at .* line \d+.*$}{}`, which removes more than
        // the location when the message itself contains ` at ` (as `(dotted-decimal versions
        // require at least three parts)` does).
        let raw = match &self.failure {
            ConversionFailure::Format(e) => e.to_string(),
            ConversionFailure::Overflow => "Invalid version: Integer overflow in version".into(),
            ConversionFailure::TrailingData { ignored } => format!(
                "Invalid version: Version string '{}' contains invalid data; ignoring: '{ignored}'",
                c_string(&self.input)
            ),
            ConversionFailure::ReservedWord => "Invalid version: version".into(),
        };
        let located = format!("{raw} at Requirements.pm line 1.\n");
        let stripped = strip_perl_location(&located);
        let reason = stripped.strip_suffix('\n').unwrap_or(stripped.as_str());
        write!(f, "Can't convert '{}': {reason}", self.input)
    }
}

impl std::error::Error for ConversionError {}

/// Perl's `$err =~ s{ at .* line \d+.*$}{}` on a byte-string message (`.` is anything but a
/// newline, `$` is the end or just before a final newline, `\d` is an ASCII digit).
fn strip_perl_location(msg: &str) -> String {
    let bytes = msg.as_bytes();
    let len = bytes.len();
    for i in 0..len {
        if !bytes[i..].starts_with(b" at ") {
            continue;
        }
        // `.*` cannot cross a newline, and `$` must follow the rest of this line.
        let line_end = bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |p| i + p);
        if !(line_end == len || line_end + 1 == len) {
            continue;
        }
        let found = (i + 4..line_end).any(|j| {
            bytes[j..line_end].starts_with(b" line ")
                && bytes.get(j + 6).is_some_and(u8::is_ascii_digit)
                && j + 6 < line_end
        });
        if found {
            // `i` and `line_end` sit on ASCII bytes, so both are character boundaries.
            let mut out = String::with_capacity(len);
            out.push_str(&msg[..i]);
            out.push_str(&msg[line_end..]);
            return out;
        }
    }
    msg.to_string()
}

/// The string as C code sees it: up to its first NUL character.
fn c_string(s: &str) -> &str {
    match s.find('\0') {
        Some(nul) => &s[..nul],
        None => s,
    }
}

/// Perl's `isSPACE` (ASCII white space, vertical tab included), which `version.pm` skips.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

/// `version->new(0)`, the version `CPAN::Meta::Requirements` uses for "any version".
fn zero_version() -> Version {
    // A constant that `version.pm` always accepts.
    Version::parse("0").unwrap_or_else(|_| unreachable!("`0` is a version"))
}

/// `CPAN::Meta::Requirements::_version_object` for a string: `version->new($input)` with
/// warnings made fatal, then normalized.
///
/// * `0` is `version->new(0)`;
/// * `version` is refused (old `version.pm` releases crashed on it);
/// * the string must be a version `version->parse` accepts, with nothing after it (no trailing
///   white space either) and no component above `0x7FFFFFFF`;
/// * a version whose string form starts with `.` is re-read with a `0` in front (`.5` is
///   `0.5`);
/// * a dotted-decimal version is replaced by its normal form (`v1.2` is `v1.2.0`, `1.2.3` is
///   `v1.2.3`, `v1.2_3` is `v1.23.0`).
///
/// ```
/// use cpan_version::requirement_version;
/// assert_eq!(requirement_version("v1.2").unwrap().stringify(), "v1.2.0");
/// assert_eq!(requirement_version(".5").unwrap().stringify(), "0.5");
/// assert_eq!(
///     requirement_version("1.2 ").unwrap_err().to_string(),
///     "Can't convert '1.2 ': Invalid version: Version string '1.2 ' contains invalid data; ignoring: ' '"
/// );
/// ```
pub fn requirement_version(input: &str) -> Result<Version, ConversionError> {
    let fail = |failure| ConversionError {
        input: input.to_string(),
        failure,
    };
    if input == "0" {
        return Ok(zero_version());
    }
    if input == "version" {
        return Err(fail(ConversionFailure::ReservedWord));
    }
    let version = Version::parse(input).map_err(|e| fail(ConversionFailure::Format(e)))?;
    if version.overflowed() {
        return Err(fail(ConversionFailure::Overflow));
    }
    // `scan_version` stops after the version; anything left makes `version.pm` warn.
    let scanned = c_string(input).trim_start_matches(is_c_space);
    if scanned != "undef" {
        let original = version.stringify();
        let rest = scanned.strip_prefix(original.as_str()).unwrap_or(scanned);
        if !rest.is_empty() {
            return Err(fail(ConversionFailure::TrailingData {
                ignored: rest.to_string(),
            }));
        }
    }
    Ok(normalize(version))
}

/// The normalization `_version_object` applies to every version object.
fn normalize(version: Version) -> Version {
    let mut version = version;
    let text = version.stringify();
    if text.starts_with('.') {
        if let Ok(v) = Version::parse(&format!("0{text}")) {
            version = v;
        }
    }
    if version.is_qv() {
        if let Ok(v) = Version::parse(&version.normal()) {
            version = v;
        }
    }
    version
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Requirements that no version can satisfy, one variant per message
/// `CPAN::Meta::Requirements` 2.140 dies with (after `illegal requirements for MODULE: `).
///
/// Versions are shown as they were written (their [`Version::stringify`] form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Conflict {
    /// An exact version was required when another one already was:
    /// `can't be exactly REQUESTED when exact requirement is already EXISTING`.
    #[error("can't be exactly {requested} when exact requirement is already {existing}")]
    UnequalExactVersions {
        /// The newly required exact version.
        requested: Version,
        /// The exact version already required.
        existing: Version,
    },
    /// A minimum above the exactly required version:
    /// `minimum MINIMUM exceeds exact specification EXACT`.
    #[error("minimum {minimum} exceeds exact specification {exact}")]
    MinimumAboveExact {
        /// The new minimum.
        minimum: Version,
        /// The exact version already required.
        exact: Version,
    },
    /// A maximum below the exactly required version:
    /// `maximum MAXIMUM below exact specification EXACT`.
    #[error("maximum {maximum} below exact specification {exact}")]
    MaximumBelowExact {
        /// The new maximum.
        maximum: Version,
        /// The exact version already required.
        exact: Version,
    },
    /// Excluding the exactly required version:
    /// `tried to exclude EXCLUSION, which is already exactly specified`.
    #[error("tried to exclude {exclusion}, which is already exactly specified")]
    ExcludedExact {
        /// The version to exclude.
        exclusion: Version,
    },
    /// An exact version the range does not accept:
    /// `exact specification EXACT outside of range RANGE`.
    #[error("exact specification {exact} outside of range {range}")]
    ExactOutsideRange {
        /// The exact version required.
        exact: Version,
        /// The range as it was (its `as_string`).
        range: String,
    },
    /// The minimum equals the maximum, and that version is excluded:
    /// `minimum and maximum are both VERSION, which is excluded`.
    #[error("minimum and maximum are both {version}, which is excluded")]
    ExcludedAllValues {
        /// The minimum (equal to the maximum).
        version: Version,
    },
    /// `minimum MINIMUM exceeds maximum MAXIMUM`.
    #[error("minimum {minimum} exceeds maximum {maximum}")]
    MinimumExceedsMaximum {
        /// The minimum.
        minimum: Version,
        /// The maximum.
        maximum: Version,
    },
}

/// Why a requirement could not be built or combined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeError {
    /// A version in the requirement is not one `CPAN::Meta::Requirements` can convert.
    Conversion(ConversionError),
    /// The requirements contradict each other: no version satisfies them all.
    Conflict(Conflict),
    /// The requirement string holds only commas and white space. `CPAN::Meta::Requirements`
    /// then records nothing for the module; a [`VersionRange`] cannot be nothing, so
    /// [`VersionRange::parse`] refuses it ([`Requirements::add_string_requirement`] does as
    /// Perl does).
    NoRequirement {
        /// The requirement string.
        input: String,
    },
}

impl RangeError {
    /// The message Perl dies with when the requirement is for `module`
    /// (`illegal requirements for MODULE: ...`, `Can't convert '...': ...`), without the
    /// ` at FILE line N.` and stack trace.
    pub fn message_for(&self, module: &str) -> String {
        match self {
            RangeError::Conversion(e) => e.to_string(),
            RangeError::Conflict(c) => format!("illegal requirements for {module}: {c}"),
            RangeError::NoRequirement { input } => {
                format!("no version requirement in '{input}' for {module}")
            }
        }
    }
}

impl fmt::Display for RangeError {
    /// The message for a nameless module: Perl then says `module`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_for("module"))
    }
}

impl std::error::Error for RangeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RangeError::Conversion(e) => Some(e),
            RangeError::Conflict(c) => Some(c),
            RangeError::NoRequirement { .. } => None,
        }
    }
}

impl From<ConversionError> for RangeError {
    fn from(e: ConversionError) -> Self {
        RangeError::Conversion(e)
    }
}

impl From<Conflict> for RangeError {
    fn from(c: Conflict) -> Self {
        RangeError::Conflict(c)
    }
}

// ---------------------------------------------------------------------------------------------
// Operators and constraints
// ---------------------------------------------------------------------------------------------

/// A comparison operator of a requirement string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Comparison {
    /// `==`
    Exactly,
    /// `!=`
    NotEqual,
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
    /// `>`
    Above,
    /// `<`
    Below,
}

impl Comparison {
    /// The operator as written in requirement strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Exactly => "==",
            Comparison::NotEqual => "!=",
            Comparison::AtLeast => ">=",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::Below => "<",
        }
    }

    /// Recognizes an operator at the start of `s` the way the requirement regular expression
    /// does (`==|>=|>|<=|<|!=`, first alternative that matches).
    fn prefix_of(s: &str) -> Option<(Comparison, &str)> {
        const OPERATORS: [(&str, Comparison); 6] = [
            ("==", Comparison::Exactly),
            (">=", Comparison::AtLeast),
            (">", Comparison::Above),
            ("<=", Comparison::AtMost),
            ("<", Comparison::Below),
            ("!=", Comparison::NotEqual),
        ];
        OPERATORS
            .iter()
            .find_map(|&(text, op)| s.strip_prefix(text).map(|rest| (op, rest)))
    }

    /// Whether `version` satisfies `version OP bound`.
    pub fn holds(self, version: &Version, bound: &Version) -> bool {
        match self {
            Comparison::Exactly => version == bound,
            Comparison::NotEqual => version != bound,
            Comparison::AtLeast => version >= bound,
            Comparison::AtMost => version <= bound,
            Comparison::Above => version > bound,
            Comparison::Below => version < bound,
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `OP VERSION` part of a range's canonical form (an element of
/// `structured_requirements_for_module`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Constraint {
    /// The operator.
    pub comparison: Comparison,
    /// The version, shown with [`Version::stringify`].
    pub version: Version,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.comparison, self.version)
    }
}

/// One elementary requirement, as `add_minimum`, `add_maximum`, `add_exclusion` and
/// `exact_version` add them (the `as_modifiers` of a range).
#[derive(Debug, Clone)]
enum Modifier {
    /// `add_minimum` with `0` (the string, or a version object that stringifies so): any
    /// version, which leaves an existing requirement alone.
    AnyVersion,
    Minimum(Version),
    Maximum(Version),
    Exclusion(Version),
    Exact(Version),
}

// ---------------------------------------------------------------------------------------------
// VersionRange
// ---------------------------------------------------------------------------------------------

/// The versions of one module that satisfy its requirements: either exactly one version, or
/// an optional minimum, an optional maximum (both inclusive) and versions excluded between them.
///
/// It is built and simplified exactly as `CPAN::Meta::Requirements` builds its `_Range`
/// objects: the highest minimum and the lowest maximum win (the newer one when they are equal
/// versions written differently), exclusions outside the bounds and repeated ones (written the
/// same way) are dropped, equal minimum and maximum become an exact requirement, and
/// contradictions are [`Conflict`]s.
///
/// Equality of versions is `version.pm`'s (`1.2 == 1.20 == v1.200.0`), but a range keeps the
/// versions as they were written, and [`Display`](fmt::Display) shows them so.
#[derive(Debug, Clone)]
pub struct VersionRange {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `_Range::Exact`.
    Exact(Version),
    /// `_Range::Range`: at least one of the three is present.
    Bounded {
        minimum: Option<Version>,
        maximum: Option<Version>,
        exclusions: Vec<Version>,
    },
}

impl VersionRange {
    /// Any version: the requirement `0` (a minimum of `0`).
    pub fn any() -> VersionRange {
        VersionRange::bounded(Some(zero_version()), None, Vec::new())
    }

    /// `>= version`.
    pub fn at_least(version: &Version) -> VersionRange {
        VersionRange::bounded(Some(normalize(version.clone())), None, Vec::new())
    }

    /// `<= version`.
    pub fn at_most(version: &Version) -> VersionRange {
        VersionRange::bounded(None, Some(normalize(version.clone())), Vec::new())
    }

    /// `!= version`.
    pub fn excluding(version: &Version) -> VersionRange {
        VersionRange::bounded(None, None, vec![normalize(version.clone())])
    }

    /// `== version`.
    pub fn exactly(version: &Version) -> VersionRange {
        VersionRange {
            kind: Kind::Exact(normalize(version.clone())),
        }
    }

    fn bounded(
        minimum: Option<Version>,
        maximum: Option<Version>,
        exclusions: Vec<Version>,
    ) -> VersionRange {
        VersionRange {
            kind: Kind::Bounded {
                minimum,
                maximum,
                exclusions,
            },
        }
    }

    /// Reads a requirement string the way `add_string_requirement` does for a module that has
    /// no requirement yet:
    ///
    /// * the string is split on commas (with any white space around them); empty parts at the
    ///   end are dropped, an empty part elsewhere is an (invalid) empty version;
    /// * a part is `OP VERSION` with `OP` one of `==`, `!=`, `>=`, `<=`, `>`, `<` (white space
    ///   allowed before and after `OP`), or else a bare version meaning `>= VERSION`;
    /// * `> V` is `>= V, != V` and `< V` is `<= V, != V`;
    /// * every version goes through [`requirement_version`] (so `>= 1.2 ` with its trailing
    ///   space, `1a` or `=> 1` are [`RangeError::Conversion`] errors);
    /// * a bare `0` (or `>= 0`) is "any version", and the empty string is `0`.
    ///
    /// A string of only commas and white space is [`RangeError::NoRequirement`].
    pub fn parse(requirement: &str) -> Result<VersionRange, RangeError> {
        let mut range: Option<VersionRange> = None;
        for modifier in string_modifiers(requirement) {
            range = Some(apply_modifier(range.as_ref(), modifier?)?);
        }
        range.ok_or_else(|| RangeError::NoRequirement {
            input: requirement.to_string(),
        })
    }

    /// Whether `version` satisfies the requirement (`accepts_module`).
    pub fn accepts(&self, version: &Version) -> bool {
        match &self.kind {
            Kind::Exact(exact) => version == exact,
            Kind::Bounded {
                minimum,
                maximum,
                exclusions,
            } => {
                minimum.as_ref().map_or(true, |min| version >= min)
                    && maximum.as_ref().map_or(true, |max| version <= max)
                    && !exclusions.iter().any(|e| version == e)
            }
        }
    }

    /// [`VersionRange::accepts`] for a version string, converted as `accepts_module` converts it
    /// (with [`requirement_version`], so `1.2 ` is an error).
    pub fn accepts_str(&self, version: &str) -> Result<bool, ConversionError> {
        Ok(self.accepts(&requirement_version(version)?))
    }

    /// Adds a minimum (`_Range`'s `with_minimum`): the higher one wins, or the new one when
    /// they are equal.
    ///
    /// Unlike [`Requirements::add_minimum`], a minimum of `0` is not ignored here: `<= 2` with
    /// a minimum of `0` is `>= 0, <= 2`.
    pub fn with_minimum(&self, minimum: &Version) -> Result<VersionRange, Conflict> {
        let minimum = normalize(minimum.clone());
        match &self.kind {
            Kind::Exact(exact) => {
                if *exact >= minimum {
                    Ok(self.clone())
                } else {
                    Err(Conflict::MinimumAboveExact {
                        minimum,
                        exact: exact.clone(),
                    })
                }
            }
            Kind::Bounded {
                minimum: old,
                maximum,
                exclusions,
            } => {
                let minimum = match old {
                    Some(old) if *old > minimum => old.clone(),
                    _ => minimum,
                };
                simplify(Some(minimum), maximum.clone(), exclusions.clone())
            }
        }
    }

    /// Adds a maximum (`_Range`'s `with_maximum`): the lower one wins, or the new one when they
    /// are equal.
    pub fn with_maximum(&self, maximum: &Version) -> Result<VersionRange, Conflict> {
        let maximum = normalize(maximum.clone());
        match &self.kind {
            Kind::Exact(exact) => {
                if *exact <= maximum {
                    Ok(self.clone())
                } else {
                    Err(Conflict::MaximumBelowExact {
                        maximum,
                        exact: exact.clone(),
                    })
                }
            }
            Kind::Bounded {
                minimum,
                maximum: old,
                exclusions,
            } => {
                let maximum = match old {
                    Some(old) if *old < maximum => old.clone(),
                    _ => maximum,
                };
                simplify(minimum.clone(), Some(maximum), exclusions.clone())
            }
        }
    }

    /// Excludes a version (`_Range`'s `with_exclusion`).
    pub fn with_exclusion(&self, exclusion: &Version) -> Result<VersionRange, Conflict> {
        let exclusion = normalize(exclusion.clone());
        match &self.kind {
            Kind::Exact(exact) => {
                if *exact == exclusion {
                    Err(Conflict::ExcludedExact { exclusion })
                } else {
                    Ok(self.clone())
                }
            }
            Kind::Bounded {
                minimum,
                maximum,
                exclusions,
            } => {
                let mut exclusions = exclusions.clone();
                exclusions.push(exclusion);
                simplify(minimum.clone(), maximum.clone(), exclusions)
            }
        }
    }

    /// Requires exactly one version (`_Range`'s `with_exact_version`). An equal exact
    /// requirement keeps the version as first written.
    pub fn with_exact_version(&self, version: &Version) -> Result<VersionRange, Conflict> {
        let version = normalize(version.clone());
        match &self.kind {
            Kind::Exact(existing) => {
                if *existing == version {
                    Ok(self.clone())
                } else {
                    Err(Conflict::UnequalExactVersions {
                        requested: version,
                        existing: existing.clone(),
                    })
                }
            }
            Kind::Bounded { .. } => {
                if self.accepts(&version) {
                    Ok(VersionRange {
                        kind: Kind::Exact(version),
                    })
                } else {
                    Err(Conflict::ExactOutsideRange {
                        exact: version,
                        range: self.as_string(),
                    })
                }
            }
        }
    }

    /// The versions both ranges accept, computed as `CPAN::Meta::Requirements`'
    /// `add_requirements` computes it: `other`'s minimum, maximum and exclusions (or its
    /// exact version) are added in that order to `self`, a minimum of `0` being ignored.
    ///
    /// When the ranges have no version in common the error is the [`Conflict`] Perl reports.
    /// Which conflict is reported, and how equal versions written differently are shown, can
    /// depend on the order of the operands; which versions are accepted does not.
    pub fn intersect(&self, other: &VersionRange) -> Result<VersionRange, RangeError> {
        let mut range = self.clone();
        for modifier in other.modifiers() {
            range = apply_modifier(Some(&range), modifier)?;
        }
        Ok(range)
    }

    /// The elementary requirements that rebuild this range (`as_modifiers`, as `add_minimum`
    /// sees them: a minimum written `0` is "any version").
    fn modifiers(&self) -> Vec<Modifier> {
        match &self.kind {
            Kind::Exact(v) => vec![Modifier::Exact(v.clone())],
            Kind::Bounded {
                minimum,
                maximum,
                exclusions,
            } => minimum
                .iter()
                .map(|v| {
                    if v.stringify() == "0" {
                        Modifier::AnyVersion
                    } else {
                        Modifier::Minimum(v.clone())
                    }
                })
                .chain(maximum.iter().map(|v| Modifier::Maximum(v.clone())))
                .chain(exclusions.iter().map(|v| Modifier::Exclusion(v.clone())))
                .collect(),
        }
    }

    /// The exactly required version, if the range is an exact requirement.
    pub fn exact_version(&self) -> Option<&Version> {
        match &self.kind {
            Kind::Exact(v) => Some(v),
            Kind::Bounded { .. } => None,
        }
    }

    /// The minimum (inclusive) of a range that is not an exact requirement.
    pub fn minimum(&self) -> Option<&Version> {
        match &self.kind {
            Kind::Exact(_) => None,
            Kind::Bounded { minimum, .. } => minimum.as_ref(),
        }
    }

    /// The maximum (inclusive) of a range that is not an exact requirement.
    pub fn maximum(&self) -> Option<&Version> {
        match &self.kind {
            Kind::Exact(_) => None,
            Kind::Bounded { maximum, .. } => maximum.as_ref(),
        }
    }

    /// The excluded versions (within the bounds, in the order they were added), including
    /// those that equal a bound (shown as `>`/`<` by [`VersionRange::constraints`]).
    pub fn exclusions(&self) -> &[Version] {
        match &self.kind {
            Kind::Exact(_) => &[],
            Kind::Bounded { exclusions, .. } => exclusions,
        }
    }

    /// The canonical parts (`structured_requirements_for_module`): `== V` for an exact
    /// requirement; otherwise the minimum (`>=`, or `>` when it is excluded), the maximum
    /// (`<=`, or `<`), then the remaining exclusions (`!=`).
    pub fn constraints(&self) -> Vec<Constraint> {
        match &self.kind {
            Kind::Exact(v) => vec![Constraint {
                comparison: Comparison::Exactly,
                version: v.clone(),
            }],
            Kind::Bounded {
                minimum,
                maximum,
                exclusions,
            } => {
                let mut remaining: Vec<&Version> = exclusions.iter().collect();
                let mut parts = Vec::new();
                for (bound, inclusive, exclusive) in [
                    (minimum, Comparison::AtLeast, Comparison::Above),
                    (maximum, Comparison::AtMost, Comparison::Below),
                ] {
                    if let Some(bound) = bound {
                        let before = remaining.len();
                        remaining.retain(|e| *e != bound);
                        parts.push(Constraint {
                            comparison: if remaining.len() == before {
                                inclusive
                            } else {
                                exclusive
                            },
                            version: bound.clone(),
                        });
                    }
                }
                parts.extend(remaining.into_iter().map(|v| Constraint {
                    comparison: Comparison::NotEqual,
                    version: v.clone(),
                }));
                parts
            }
        }
    }

    /// The requirement string (`requirements_for_module`): the constraints joined with `, `,
    /// except that a lone `>= V` is written `V`.
    pub fn as_string(&self) -> String {
        let parts = self.constraints();
        if let [only] = parts.as_slice() {
            if only.comparison == Comparison::AtLeast {
                return only.version.stringify();
            }
        }
        parts
            .iter()
            .map(Constraint::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the requirement is a plain minimum (its string has no white space), which is
    /// what `is_simple` checks for every module.
    pub fn is_simple(&self) -> bool {
        !self.as_string().chars().any(char::is_whitespace)
    }
}

/// `_simplify`: equal bounds become an exact requirement, crossed bounds are a conflict,
/// exclusions outside the bounds and repeated ones (by their string) are dropped.
fn simplify(
    minimum: Option<Version>,
    maximum: Option<Version>,
    exclusions: Vec<Version>,
) -> Result<VersionRange, Conflict> {
    if let (Some(min), Some(max)) = (&minimum, &maximum) {
        if min == max {
            if exclusions.iter().any(|e| e == min) {
                return Err(Conflict::ExcludedAllValues {
                    version: min.clone(),
                });
            }
            return Ok(VersionRange {
                kind: Kind::Exact(min.clone()),
            });
        }
        if min > max {
            return Err(Conflict::MinimumExceedsMaximum {
                minimum: min.clone(),
                maximum: max.clone(),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    let exclusions = exclusions
        .into_iter()
        .filter(|e| {
            minimum.as_ref().map_or(true, |min| e >= min)
                && maximum.as_ref().map_or(true, |max| e <= max)
                && seen.insert(e.stringify())
        })
        .collect();
    Ok(VersionRange::bounded(minimum, maximum, exclusions))
}

/// Applies one elementary requirement to a module's range (`None`: the module has none yet),
/// as `add_minimum`, `add_maximum`, `add_exclusion` and `exact_version` do with a version
/// object. A minimum written `0` leaves an existing range alone.
fn apply_modifier(
    range: Option<&VersionRange>,
    modifier: Modifier,
) -> Result<VersionRange, Conflict> {
    match (range, modifier) {
        (Some(range), Modifier::AnyVersion) => Ok(range.clone()),
        (None, Modifier::AnyVersion) => Ok(VersionRange::any()),
        (Some(range), Modifier::Minimum(v)) => range.with_minimum(&v),
        (Some(range), Modifier::Maximum(v)) => range.with_maximum(&v),
        (Some(range), Modifier::Exclusion(v)) => range.with_exclusion(&v),
        (Some(range), Modifier::Exact(v)) => range.with_exact_version(&v),
        (None, Modifier::Minimum(v)) => Ok(VersionRange::at_least(&v)),
        (None, Modifier::Maximum(v)) => Ok(VersionRange::at_most(&v)),
        (None, Modifier::Exclusion(v)) => Ok(VersionRange::excluding(&v)),
        (None, Modifier::Exact(v)) => Ok(VersionRange::exactly(&v)),
    }
}

/// A minimum given as a string to `add_minimum`: the string `0` is "any version" (and leaves
/// an existing requirement alone) before any conversion; ` 0` or `0.0` are real minimums.
fn string_minimum(version: &str) -> Result<Modifier, ConversionError> {
    if version == "0" {
        Ok(Modifier::AnyVersion)
    } else {
        // A version that converts to the string `0` (` 0`, `undef`) is an ordinary minimum
        // here; only when it comes back through `add_requirements` is it "any version".
        requirement_version(version).map(Modifier::Minimum)
    }
}

/// The elementary requirements of a requirement string, in the order `add_string_requirement`
/// adds them; a version that cannot be converted ends the sequence with its error.
fn string_modifiers(requirement: &str) -> impl Iterator<Item = Result<Modifier, ConversionError>> {
    let requirement = if requirement.is_empty() {
        "0"
    } else {
        requirement
    };
    let mut steps: Vec<Step> = Vec::new();
    for part in split_on_commas(requirement) {
        match operator_part(part) {
            None => steps.push(Step::Minimum(part.to_string())),
            Some((op, version)) => {
                let version = version.to_string();
                match op {
                    Comparison::Exactly => steps.push(Step::Exact(version)),
                    Comparison::NotEqual => steps.push(Step::Exclusion(version)),
                    Comparison::AtLeast => steps.push(Step::Minimum(version)),
                    Comparison::AtMost => steps.push(Step::Maximum(version)),
                    Comparison::Above => {
                        steps.push(Step::Minimum(version.clone()));
                        steps.push(Step::Exclusion(version));
                    }
                    Comparison::Below => {
                        steps.push(Step::Maximum(version.clone()));
                        steps.push(Step::Exclusion(version));
                    }
                }
            }
        }
    }
    // Conversion happens lazily, so that a bad version is reported only after the parts
    // before it were applied, as in Perl.
    let mut failed = false;
    steps.into_iter().map_while(move |step| {
        if failed {
            return None;
        }
        let converted = match step {
            Step::Minimum(v) => string_minimum(&v),
            Step::Maximum(v) => requirement_version(&v).map(Modifier::Maximum),
            Step::Exclusion(v) => requirement_version(&v).map(Modifier::Exclusion),
            Step::Exact(v) => requirement_version(&v).map(Modifier::Exact),
        };
        failed = converted.is_err();
        Some(converted)
    })
}

/// An elementary requirement with its version still a string.
enum Step {
    Minimum(String),
    Maximum(String),
    Exclusion(String),
    Exact(String),
}

/// Perl's `split qr{\s*,\s*}, $string`: trailing empty fields are dropped, leading ones kept.
/// `\s` is Unicode white space (Perl's rules for character strings).
fn split_on_commas(s: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut field_start = 0;
    let mut search = 0;
    while let Some(offset) = s[search..].find(',') {
        let comma = search + offset;
        let before = s[field_start..comma].trim_end_matches(char::is_whitespace);
        let separator_start = field_start + before.len();
        let after = comma + 1;
        let separator_end = s.len() - s[after..].trim_start_matches(char::is_whitespace).len();
        fields.push(&s[field_start..separator_start]);
        field_start = separator_end;
        search = separator_end;
    }
    fields.push(&s[field_start..]);
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// `$part =~ m{\A\s*(==|>=|>|<=|<|!=)\s*(.*)\z}`: the operator and the version text, or `None`
/// for a bare version (`.` does not match a newline, so a newline in the version text makes
/// the whole part a bare version).
fn operator_part(part: &str) -> Option<(Comparison, &str)> {
    let (op, rest) = Comparison::prefix_of(part.trim_start_matches(char::is_whitespace))?;
    let version = rest.trim_start_matches(char::is_whitespace);
    if version.contains('\n') {
        None
    } else {
        Some((op, version))
    }
}

impl fmt::Display for VersionRange {
    /// [`VersionRange::as_string`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl FromStr for VersionRange {
    type Err = RangeError;
    /// [`VersionRange::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersionRange::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Requirements
// ---------------------------------------------------------------------------------------------

/// A requirement that could not be added for a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequirementError {
    module: String,
    error: Box<RangeError>,
}

impl RequirementError {
    fn new(module: &str, error: RangeError) -> RequirementError {
        RequirementError {
            module: module.to_string(),
            error: Box::new(error),
        }
    }

    /// The module the requirement was for.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// What went wrong.
    pub fn error(&self) -> &RangeError {
        &self.error
    }
}

impl fmt::Display for RequirementError {
    /// Perl's message (`illegal requirements for MODULE: ...`, `Can't convert '...': ...`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error.message_for(&self.module))
    }
}

impl std::error::Error for RequirementError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// Version requirements for a set of modules: a `CPAN::Meta::Requirements` object (without
/// finalization and the bad-version hook).
///
/// As in Perl, a failed `add_*` call leaves in place what was added before the failure (for
/// [`Requirements::add_string_requirement`], the parts before the failing one).
///
/// ```
/// use cpan_version::Requirements;
/// let mut req = Requirements::new();
/// req.add_string_requirement("Foo::Bar", ">= 1.2, != 1.5").unwrap();
/// req.add_string_requirement("Foo::Bar", "< 2").unwrap();
/// assert_eq!(req.requirements_for_module("Foo::Bar").as_deref(), Some(">= 1.2, < 2, != 1.5"));
/// assert_eq!(req.accepts_module("Foo::Bar", "1.5"), Ok(false));
/// assert_eq!(req.accepts_module("Unknown", "1.5"), Ok(true));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    ranges: BTreeMap<String, VersionRange>,
}

impl Requirements {
    /// No requirements.
    pub fn new() -> Requirements {
        Requirements::default()
    }

    /// `from_string_hash`: every module's requirement string added with
    /// [`Requirements::add_string_requirement`].
    pub fn from_string_hash<'a, I>(hash: I) -> Result<Requirements, RequirementError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut req = Requirements::new();
        for (module, requirement) in hash {
            req.add_string_requirement(module, requirement)?;
        }
        Ok(req)
    }

    fn apply(
        &mut self,
        module: &str,
        modifier: Result<Modifier, ConversionError>,
    ) -> Result<(), RequirementError> {
        let modifier = modifier.map_err(|e| RequirementError::new(module, e.into()))?;
        let range = apply_modifier(self.ranges.get(module), modifier)
            .map_err(|c| RequirementError::new(module, c.into()))?;
        self.ranges.insert(module.to_string(), range);
        Ok(())
    }

    /// `add_string_requirement`: see [`VersionRange::parse`] for the syntax. A string of only
    /// commas and white space adds nothing.
    pub fn add_string_requirement(
        &mut self,
        module: &str,
        requirement: &str,
    ) -> Result<(), RequirementError> {
        for modifier in string_modifiers(requirement) {
            self.apply(module, modifier)?;
        }
        Ok(())
    }

    /// `add_minimum`: `0` means any version and leaves an existing requirement alone.
    pub fn add_minimum(&mut self, module: &str, version: &str) -> Result<(), RequirementError> {
        self.apply(module, string_minimum(version))
    }

    /// `add_maximum`.
    pub fn add_maximum(&mut self, module: &str, version: &str) -> Result<(), RequirementError> {
        self.apply(module, requirement_version(version).map(Modifier::Maximum))
    }

    /// `add_exclusion`.
    pub fn add_exclusion(&mut self, module: &str, version: &str) -> Result<(), RequirementError> {
        self.apply(
            module,
            requirement_version(version).map(Modifier::Exclusion),
        )
    }

    /// `exact_version`.
    pub fn add_exact_version(
        &mut self,
        module: &str,
        version: &str,
    ) -> Result<(), RequirementError> {
        self.apply(module, requirement_version(version).map(Modifier::Exact))
    }

    /// `add_requirements`: every requirement of `other` added to this object, module by module
    /// (in name order) as [`VersionRange::intersect`] does.
    pub fn add_requirements(&mut self, other: &Requirements) -> Result<(), RequirementError> {
        for (module, range) in &other.ranges {
            for modifier in range.modifiers() {
                self.apply(module, Ok(modifier))?;
            }
        }
        Ok(())
    }

    /// `accepts_module`: whether `version` (converted with [`requirement_version`]) satisfies
    /// the module's requirement; any version does for a module without requirements.
    pub fn accepts_module(&self, module: &str, version: &str) -> Result<bool, RequirementError> {
        let version =
            requirement_version(version).map_err(|e| RequirementError::new(module, e.into()))?;
        Ok(self
            .ranges
            .get(module)
            .map_or(true, |range| range.accepts(&version)))
    }

    /// `clear_requirement`: forgets the module's requirement.
    pub fn clear_requirement(&mut self, module: &str) {
        self.ranges.remove(module);
    }

    /// The module's range, if it has a requirement.
    pub fn range_for_module(&self, module: &str) -> Option<&VersionRange> {
        self.ranges.get(module)
    }

    /// `requirements_for_module`: the module's requirement string.
    pub fn requirements_for_module(&self, module: &str) -> Option<String> {
        self.ranges.get(module).map(VersionRange::as_string)
    }

    /// `structured_requirements_for_module`.
    pub fn structured_requirements_for_module(&self, module: &str) -> Option<Vec<Constraint>> {
        self.ranges.get(module).map(VersionRange::constraints)
    }

    /// `required_modules`, in name order.
    pub fn required_modules(&self) -> impl Iterator<Item = &str> {
        self.ranges.keys().map(String::as_str)
    }

    /// `is_simple`: every requirement is a plain minimum.
    pub fn is_simple(&self) -> bool {
        self.ranges.values().all(VersionRange::is_simple)
    }

    /// `as_string_hash`: module name to requirement string.
    pub fn as_string_hash(&self) -> BTreeMap<String, String> {
        self.ranges
            .iter()
            .map(|(module, range)| (module.clone(), range.as_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        match Version::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("test version {s:?}: {e}"),
        }
    }

    fn range(s: &str) -> VersionRange {
        match VersionRange::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("test range {s:?}: {e}"),
        }
    }

    fn shown(s: &str) -> String {
        match VersionRange::parse(s) {
            Ok(r) => r.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn perl_split() {
        assert_eq!(split_on_commas("1"), vec!["1"]);
        assert_eq!(split_on_commas(">= 1 , <= 2"), vec![">= 1", "<= 2"]);
        assert_eq!(split_on_commas(" 1,"), vec![" 1"]);
        assert_eq!(split_on_commas(",1"), vec!["", "1"]);
        assert_eq!(split_on_commas(","), Vec::<&str>::new());
        assert_eq!(split_on_commas(" , , "), Vec::<&str>::new());
        assert_eq!(split_on_commas("1,,2"), vec!["1", "", "2"]);
        assert_eq!(split_on_commas("1\u{a0},\u{2003}2 "), vec!["1", "2 "]);
    }

    #[test]
    fn operator_regex() {
        assert!(matches!(
            operator_part(" >=1"),
            Some((Comparison::AtLeast, "1"))
        ));
        assert!(matches!(
            operator_part("> =1"),
            Some((Comparison::Above, "=1"))
        ));
        assert!(matches!(
            operator_part(">=\n1"),
            Some((Comparison::AtLeast, "1"))
        ));
        assert!(operator_part(">= 1\n").is_none());
        assert!(operator_part("=> 1").is_none());
        assert!(matches!(
            operator_part(">= "),
            Some((Comparison::AtLeast, ""))
        ));
    }

    #[test]
    fn location_stripping() {
        assert_eq!(strip_perl_location("boom at x.pm line 3.\n"), "boom\n");
        assert_eq!(
            strip_perl_location("require at least three parts) at x.pm line 3.\n"),
            "require\n"
        );
        assert_eq!(strip_perl_location("no location\n"), "no location\n");
        assert_eq!(
            strip_perl_location("a at b\nc at x line 1.\n"),
            "a at b\nc\n"
        );
    }

    #[test]
    fn pod_and_test_suite_examples() {
        // CPAN::Meta::Requirements' t/basic.t, with add_* calls.
        let mut req = Requirements::new();
        for (module, version) in [("Foo::Bar", "10"), ("Foo::Bar", "0"), ("Foo::Bar", "2")] {
            assert!(req.add_minimum(module, version).is_ok());
        }
        assert!(req.add_minimum("Foo::Baz", "v1.2.3").is_ok());
        assert!(req.add_string_requirement("Foo::Undef", "").is_ok());
        let hash = req.as_string_hash();
        assert_eq!(hash.get("Foo::Bar").map(String::as_str), Some("10"));
        assert_eq!(hash.get("Foo::Baz").map(String::as_str), Some("v1.2.3"));
        assert_eq!(hash.get("Foo::Undef").map(String::as_str), Some("0"));
        assert!(req.is_simple());

        let mut req = Requirements::new();
        assert!(req.add_maximum("Foo", "1").is_ok());
        assert_eq!(req.requirements_for_module("Foo").as_deref(), Some("<= 1"));
        assert!(!req.is_simple());

        let mut req = Requirements::new();
        assert!(req.add_exclusion("Foo", "1").is_ok());
        assert!(req.add_exclusion("Foo", "2").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some("!= 1, != 2")
        );

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        assert!(req.add_maximum("Foo", "2").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some(">= 1, <= 2")
        );
        assert!(req.add_maximum("Foo", "3").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some(">= 1, <= 2")
        );
        assert!(req.add_exclusion("Foo", "1.5").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some(">= 1, <= 2, != 1.5")
        );
        assert!(req.add_minimum("Foo", "1.6").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some(">= 1.6, <= 2")
        );

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        assert!(req.add_exclusion("Foo", "1").is_ok());
        assert!(req.add_maximum("Foo", "2").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some("> 1, <= 2")
        );

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        assert!(req.add_exclusion("Foo", "1").is_ok());
        let err = req.add_maximum("Foo", "1").map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal requirements for Foo: minimum and maximum are both 1, which is excluded"
        );
        assert!(matches!(
            err.error(),
            &RangeError::Conflict(Conflict::ExcludedAllValues { .. })
        ));

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        let err = req.add_exact_version("Foo", "0.5").map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal requirements for Foo: exact specification 0.5 outside of range 1"
        );

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        let err = req.add_maximum("Foo", "0.5").map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal requirements for Foo: minimum 1 exceeds maximum 0.5"
        );
        let mut req = Requirements::new();
        assert!(req.add_maximum("Foo", "0.5").is_ok());
        let err = req.add_minimum("Foo", "1").map(|_| ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "illegal requirements for Foo: minimum 1 exceeds maximum 0.5"
        );

        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "1").is_ok());
        assert!(req.add_maximum("Foo", "1").is_ok());
        assert!(req.add_maximum("Foo", "2").is_ok());
        assert!(req.add_minimum("Foo", "0").is_ok());
        assert!(req.add_exclusion("Foo", "0.5").is_ok());
        assert_eq!(req.requirements_for_module("Foo").as_deref(), Some("== 1"));

        let mut req = Requirements::new();
        for (op, version) in [("min", "1"), ("excl", "0"), ("max", "3"), ("excl", "4")] {
            let result = match op {
                "min" => req.add_minimum("Foo", version),
                "max" => req.add_maximum("Foo", version),
                _ => req.add_exclusion("Foo", version),
            };
            assert!(result.is_ok());
        }
        assert!(req.add_exclusion("Foo", "2").is_ok());
        assert!(req.add_exclusion("Foo", "2").is_ok());
        assert_eq!(
            req.requirements_for_module("Foo").as_deref(),
            Some(">= 1, <= 3, != 2")
        );
        let structured: Vec<String> = req
            .structured_requirements_for_module("Foo")
            .unwrap_or_default()
            .iter()
            .map(Constraint::to_string)
            .collect();
        assert_eq!(structured, vec![">= 1", "<= 3", "!= 2"]);

        let foo_1 = || {
            let mut req = Requirements::new();
            assert!(req.add_exact_version("Foo", "1").is_ok());
            req
        };
        let mut req = foo_1();
        assert!(req.add_exact_version("Foo", "1").is_ok());
        assert_eq!(req.requirements_for_module("Foo").as_deref(), Some("== 1"));
        assert_eq!(
            req.add_exact_version("Foo", "2").map_err(|e| e.to_string()),
            Err(
                "illegal requirements for Foo: can't be exactly 2 when exact requirement is already 1"
                    .to_string()
            )
        );
        let mut req = foo_1();
        assert!(req.add_minimum("Foo", "0").is_ok());
        assert!(req.add_maximum("Foo", "2").is_ok());
        assert_eq!(
            req.add_maximum("Foo", "0").map_err(|e| e.to_string()),
            Err("illegal requirements for Foo: maximum 0 below exact specification 1".to_string())
        );
        let mut req = foo_1();
        assert_eq!(
            req.add_minimum("Foo", "2").map_err(|e| e.to_string()),
            Err(
                "illegal requirements for Foo: minimum 2 exceeds exact specification 1".to_string()
            )
        );
        let mut req = foo_1();
        assert!(req.add_exclusion("Foo", "8").is_ok());
        assert_eq!(
            req.add_exclusion("Foo", "1").map_err(|e| e.to_string()),
            Err(
                "illegal requirements for Foo: tried to exclude 1, which is already exactly specified"
                    .to_string()
            )
        );
        assert_eq!(req.requirements_for_module("FooBarBamBaz"), None);

        // "0.00 precision preserved", through add_requirements too.
        let mut req = Requirements::new();
        assert!(req.add_minimum("Foo", "0.00").is_ok());
        let mut req2 = Requirements::new();
        assert!(req2.add_requirements(&req).is_ok());
        assert_eq!(req2.requirements_for_module("Foo").as_deref(), Some("0.00"));
    }

    #[test]
    fn strings_t() {
        let cases: [(&str, &[(&str, bool)]); 6] = [
            ("== 1.3", &[("1.3", true), ("1.2", false), ("1.4", false)]),
            ("!= 1.3", &[("1.3", false), ("1.2", true), ("1.4", true)]),
            (">= 1.3", &[("1.3", true), ("1.2", false), ("1.4", true)]),
            ("<= 1.3", &[("1.3", true), ("1.2", true), ("1.4", false)]),
            ("1.3", &[("1.3", true), ("1.2", false), ("1.4", true)]),
            (
                ">= 1.3, <= 2.0, != 1.6",
                &[
                    ("1.5", true),
                    ("1.2", false),
                    ("2.1", false),
                    ("1.6", false),
                ],
            ),
        ];
        for (requirement, probes) in cases {
            let r = range(requirement);
            let mut req = Requirements::new();
            assert!(req.add_string_requirement("Foo", requirement).is_ok());
            for &(probe, expected) in probes {
                assert_eq!(r.accepts_str(probe), Ok(expected), "{requirement} {probe}");
                assert_eq!(
                    req.accepts_module("Foo", probe),
                    Ok(expected),
                    "{requirement} {probe}"
                );
            }
        }
        assert_eq!(shown("0.00"), "0.00");
        let err = VersionRange::parse("not really a version")
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().starts_with("Can't convert"));
        // t/from-hash.t
        let req = Requirements::from_string_hash([
            ("Left", "10"),
            ("Shared", ">= 2, <= 9, != 7"),
            ("Right", "18"),
        ]);
        assert_eq!(
            req.map(|r| r.as_string_hash()).ok(),
            Some(BTreeMap::from([
                ("Left".to_string(), "10".to_string()),
                ("Right".to_string(), "18".to_string()),
                ("Shared".to_string(), ">= 2, <= 9, != 7".to_string()),
            ]))
        );
        let err = Requirements::from_string_hash([("Shared", "= 2")]).map(|_| ());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("Can't convert '= 2': Invalid version format (non-numeric data)".to_string())
        );
        // t/version-cleanup.t (a literal v1.2 arrives as the string "v1.2").
        assert_eq!(shown("v1.2"), "v1.2.0");
    }

    #[test]
    fn syntax_and_conversion() {
        let cases = [
            ("", "0"),
            ("0", "0"),
            (">=0", "0"),
            ("0.0", "0.0"),
            (" 1.2", "1.2"),
            ("1,", "1"),
            (">= 1.2, < 2, != 1.5", ">= 1.2, < 2, != 1.5"),
            ("== 1.0", "== 1.0"),
            ("> 1", "> 1"),
            ("<= 2", "<= 2"),
            (".5", "0.5"),
            (".5.6", "v0.5.6"),
            ("1.2.3", "v1.2.3"),
            ("v1", "v1.0.0"),
            ("v1.2_3", "v1.23.0"),
            ("1.2_3", "1.2_3"),
            ("1.2.3.4_5", "v1.2.3.45"),
            ("undef", "0"),
            (" undef", "0"),
            ("1.", "1."),
            ("=\u{0}", "ERR Can't convert '=\u{0}': Invalid version format (non-numeric data)"),
            (">=  v1.2 ,   <=v2", ">= v1.2.0, <= v2.0.0"),
            ("0, <= 3", ">= 0, <= 3"),
            ("<= 3, 0", "<= 3"),
            ("<= 3, 0.0", ">= 0.0, <= 3"),
            ("<= 3, 0 ", "ERR Can't convert '0 ': Invalid version: Version string '0 ' contains invalid data; ignoring: ' '"),
            (">= 1, >= 1.0", "1.0"),
            (">= 1.0, >= 1", "1"),
            ("<= 1, <= 1.0", "<= 1.0"),
            ("!= 1.0, != 1", "!= 1.0, != 1"),
            ("!= 1, != 1", "!= 1"),
            (">= 1, != 1.0, != 1", "> 1"),
            (">= 1, <= 1.0", "== 1"),
            ("== 1, == 1.0", "== 1"),
            ("> 1, <= 2, != 2", "> 1, < 2"),
            ("< 0", "< 0"),
            (",", "ERR no version requirement in ',' for module"),
            (">= ", "ERR Can't convert '': Invalid version format (version required)"),
            (",1", "ERR Can't convert '': Invalid version format (version required)"),
            (" ", "ERR Can't convert ' ': Invalid version format (version required)"),
            ("foo", "ERR Can't convert 'foo': Invalid version format (non-numeric data)"),
            ("=> 1", "ERR Can't convert '=> 1': Invalid version format (non-numeric data)"),
            ("1a", "ERR Can't convert '1a': Invalid version format (non-numeric data)"),
            (
                "1.2.3_4_5",
                "ERR Can't convert '1.2.3_4_5': Invalid version format (multiple underscores)",
            ),
            ("v", "ERR Can't convert 'v': Invalid version format (dotted-decimal versions require"),
            ("version", "ERR Can't convert 'version': Invalid version: version"),
            (
                "99999999999",
                "ERR Can't convert '99999999999': Invalid version: Integer overflow in version",
            ),
            (
                "1.2;",
                "ERR Can't convert '1.2;': Invalid version: Version string '1.2;' contains invalid data; ignoring: ';'",
            ),
            (
                ">= 1.2 ; at x line 3",
                "ERR Can't convert '1.2 ; at x line 3': Invalid version: Version string '1.2 ;",
            ),
            (">= 1\n", "ERR Can't convert '>= 1\n': Invalid version format (non-numeric data)"),
            (
                "> 1, < 1",
                "ERR illegal requirements for module: minimum and maximum are both 1, which is excluded",
            ),
            (
                "!= 3, == 3",
                "ERR illegal requirements for module: exact specification 3 outside of range != 3",
            ),
            (
                "== 3, != 3",
                "ERR illegal requirements for module: tried to exclude 3, which is already exactly specified",
            ),
            (
                "== 3, >= 4",
                "ERR illegal requirements for module: minimum 4 exceeds exact specification 3",
            ),
            (
                "== 3, <= 2",
                "ERR illegal requirements for module: maximum 2 below exact specification 3",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(shown(input), expected, "{input:?}");
        }
    }

    #[test]
    fn intersection() {
        let a = range(">= 1, < 3, != 2");
        let b = range("> 1.5, != 2.5");
        let both = a.intersect(&b).map(|r| r.to_string());
        assert_eq!(both.ok().as_deref(), Some("> 1.5, < 3, != 2, != 2.5"));
        assert_eq!(
            range(">= 2")
                .intersect(&range("<= 1"))
                .map_err(|e| e.to_string())
                .map(|_| ()),
            Err("illegal requirements for module: minimum 2 exceeds maximum 1".to_string())
        );
        // A minimum of `0` adds nothing; `0.0` does.
        assert_eq!(
            range("<= 2")
                .intersect(&range("0"))
                .map(|r| r.to_string())
                .ok(),
            Some("<= 2".to_string())
        );
        assert_eq!(
            range("<= 2")
                .intersect(&range("0.0"))
                .map(|r| r.to_string())
                .ok(),
            Some(">= 0.0, <= 2".to_string())
        );
        assert_eq!(
            range(">= 1")
                .intersect(&range("<= 1.0"))
                .map(|r| r.to_string())
                .ok(),
            Some("== 1".to_string())
        );
        let exact = range("== 1.5");
        assert!(exact.accepts(&v("1.50")));
        assert!(!exact.accepts(&v("1.51")));
        assert_eq!(
            exact.exact_version().map(Version::stringify).as_deref(),
            Some("1.5")
        );
    }

    #[test]
    fn errors_are_typed() {
        match VersionRange::parse("1.2 ") {
            Err(RangeError::Conversion(e)) => {
                assert_eq!(e.input(), "1.2 ");
                assert_eq!(
                    e.failure(),
                    &ConversionFailure::TrailingData {
                        ignored: " ".into()
                    }
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        match VersionRange::parse("1.2.3_4_5") {
            Err(RangeError::Conversion(e)) => assert_eq!(
                e.failure(),
                &ConversionFailure::Format(VersionError::MultipleUnderscores)
            ),
            other => panic!("unexpected {other:?}"),
        }
        let mut req = Requirements::new();
        let err = req.add_string_requirement("Foo", ">= 2, <= 1, foo");
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("illegal requirements for Foo: minimum 2 exceeds maximum 1".to_string())
        );
        // The part before the failure stays, as in Perl.
        assert_eq!(req.requirements_for_module("Foo").as_deref(), Some("2"));
    }
}
