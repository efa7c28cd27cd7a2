//! Perl versions as testers report them.
//!
//! Reports carry the perl version as free text: `5.43.9`, `v5.36.0` (the Metabase client),
//! `5.42.0 RC1`, `5.10.0 patch GitLive-maint-5.10-1`, `perl-5.40.1`, `5.44.0rc1` (andk's
//! files) or even the numeric `5.008008`.  [`PerlVersion::parse`] turns all of them into
//! numbers so that "latest stable" and "latest development" can be computed from the data
//! instead of being hard-coded (the Matrix hard-codes it and goes stale; testers.md §5.3).

use std::cmp::Ordering;
use std::fmt;

/// What kind of perl release a version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PerlKind {
    /// An even minor version, e.g. 5.42.0 (a maintenance release such as 5.40.2 counts too).
    Stable,
    /// An odd minor version, i.e. a blead snapshot such as 5.43.9.
    Development,
    /// A release candidate of a stable release, e.g. `5.42.0 RC1`.
    ReleaseCandidate,
}

impl PerlKind {
    /// The lower-case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            PerlKind::Stable => "stable",
            PerlKind::Development => "development",
            PerlKind::ReleaseCandidate => "release-candidate",
        }
    }
}

/// A parsed perl version.
///
/// Ordering is by `(major, minor, patch)`, then release candidates before the final release
/// (`RC1 < RC2 < final`), then unpatched before patched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PerlVersion {
    /// Always 5 in practice, kept for completeness.
    pub major: u32,
    /// The minor version; odd means development.
    pub minor: u32,
    /// The patch level.
    pub patch: u32,
    /// Stable, development or release candidate.
    pub kind: PerlKind,
    /// The release-candidate number (`RC2` → 2); 0 when this is not a release candidate.
    pub rc: u32,
    /// True when the tester's perl carries local patches (`patch ...`, a git describe, ...).
    pub patched: bool,
}

/// Why a perl version string was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a perl version: {input:?}")]
pub struct PerlParseError {
    /// The rejected input.
    pub input: String,
}

impl PerlVersion {
    /// Builds an unpatched version, deriving the kind from the minor version.
    pub fn new(major: u32, minor: u32, patch: u32) -> PerlVersion {
        PerlVersion {
            major,
            minor,
            patch,
            kind: if minor % 2 == 1 {
                PerlKind::Development
            } else {
                PerlKind::Stable
            },
            rc: 0,
            patched: false,
        }
    }

    /// Parses what testers report as their perl version (see the module docs for the forms).
    pub fn parse(input: &str) -> Result<PerlVersion, PerlParseError> {
        let err = || PerlParseError {
            input: input.to_string(),
        };
        let mut s = input.trim();
        for prefix in ["perl-", "perl ", "perl", "v", "V"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                break;
            }
        }
        // The numeric part: digits and dots.
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, rest) = s.split_at(end);
        let number = number.trim_end_matches('.');
        let parts: Vec<&str> = number.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(err());
        }
        let num = |p: &str| p.parse::<u32>().map_err(|_| err());
        let (major, minor, patch) = match parts.as_slice() {
            [major, minor, patch] => (num(major)?, num(minor)?, num(patch)?),
            // The numeric form 5.008008 (or 5.010) that $] gives.
            [major, frac] if frac.len() >= 3 => {
                let padded = format!("{frac:0<6}");
                let minor = num(&padded[0..3])?;
                let patch = num(&padded[3..6])?;
                (num(major)?, minor, patch)
            }
            [major, minor] => (num(major)?, num(minor)?, 0),
            _ => return Err(err()),
        };
        let mut version = PerlVersion::new(major, minor, patch);
        let rest = rest.trim();
        if rest.is_empty() {
            return Ok(version);
        }
        // A release candidate marker may be glued on ("5.44.0rc1") or separated ("-RC1",
        // " RC1"); anything else after the number means a locally patched perl.
        let rest = rest.trim_start_matches(['-', '_', ' ']);
        let lower = rest.to_ascii_lowercase();
        let mut tail = lower.as_str();
        if let Some(after) = tail.strip_prefix("rc") {
            let digits_end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            if digits_end > 0 {
                version.rc = after[..digits_end].parse().map_err(|_| err())?;
                version.kind = PerlKind::ReleaseCandidate;
                tail = after[digits_end..].trim();
            }
        }
        if !tail.is_empty() {
            version.patched = true;
        }
        Ok(version)
    }

    /// True for stable, unpatched perls.
    pub fn is_stable(&self) -> bool {
        self.kind == PerlKind::Stable && !self.patched
    }

    /// True for development perls and release candidates (what BBC calls "new perls").
    pub fn is_prerelease(&self) -> bool {
        self.kind != PerlKind::Stable
    }

    /// The name in andk's `beforemaintrelease` files: `5.43.9`, `5.44.0rc1`.
    pub fn andk_name(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if self.kind == PerlKind::ReleaseCandidate {
            s.push_str(&format!("rc{}", self.rc));
        }
        s
    }

    fn rank(&self) -> (u32, u32, u32, u32, bool) {
        let rc = if self.kind == PerlKind::ReleaseCandidate {
            self.rc
        } else {
            u32::MAX
        };
        (self.major, self.minor, self.patch, rc, self.patched)
    }
}

/// The canonical string, which is also the key in the store: `5.42.0`, `5.42.0 RC1`,
/// `5.10.0 patch` (the patch's label is dropped: all patched builds of one version group).
impl fmt::Display for PerlVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.kind == PerlKind::ReleaseCandidate {
            write!(f, " RC{}", self.rc)?;
        }
        if self.patched {
            f.write_str(" patch")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for PerlVersion {
    type Err = PerlParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PerlVersion::parse(s)
    }
}

impl PartialOrd for PerlVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PerlVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// The newest stable, unpatched perl among `perls`.
pub fn latest_stable(perls: &[PerlVersion]) -> Option<PerlVersion> {
    perls.iter().filter(|p| p.is_stable()).max().cloned()
}

/// The newest unpatched development perl (odd minor, not a release candidate) among `perls`.
pub fn latest_development(perls: &[PerlVersion]) -> Option<PerlVersion> {
    perls
        .iter()
        .filter(|p| p.kind == PerlKind::Development && !p.patched)
        .max()
        .cloned()
}

/// The newest unpatched release candidate among `perls`, if it is newer than every stable
/// perl (an RC of an already released perl is history, not a candidate).
pub fn latest_release_candidate(perls: &[PerlVersion]) -> Option<PerlVersion> {
    let rc = perls
        .iter()
        .filter(|p| p.kind == PerlKind::ReleaseCandidate && !p.patched)
        .max()
        .cloned()?;
    match latest_stable(perls) {
        Some(stable) if stable > rc => None,
        _ => Some(rc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> PerlVersion {
        PerlVersion::parse(s).unwrap()
    }

    #[test]
    fn parses_the_forms_testers_send() {
        assert_eq!(p("5.43.9"), PerlVersion::new(5, 43, 9));
        assert_eq!(p("5.43.9").kind, PerlKind::Development);
        assert_eq!(p("v5.36.0"), PerlVersion::new(5, 36, 0));
        assert_eq!(p("perl-5.40.1"), PerlVersion::new(5, 40, 1));
        assert_eq!(p("5.008008"), PerlVersion::new(5, 8, 8));
        assert_eq!(p("5.010"), PerlVersion::new(5, 10, 0));
        let rc = p("5.42.0 RC1");
        assert_eq!(rc.kind, PerlKind::ReleaseCandidate);
        assert_eq!(rc.rc, 1);
        assert!(!rc.patched);
        assert_eq!(p("5.44.0rc2").rc, 2);
        assert_eq!(p("5.44.0-RC3").rc, 3);
        let patched = p("5.10.0 patch GitLive-maint-5.10-1-g1234");
        assert!(patched.patched);
        assert_eq!(patched.kind, PerlKind::Stable);
        assert_eq!(patched.to_string(), "5.10.0 patch");
        assert_eq!(rc.to_string(), "5.42.0 RC1");
        assert_eq!(p("5.44.0rc1").andk_name(), "5.44.0rc1");
        for bad in ["", "blead", "5..1", "x5.1.1", "5.1.2.3"] {
            assert!(PerlVersion::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_candidates_before_the_release() {
        let mut v = [
            p("5.42.0"),
            p("5.42.0 RC2"),
            p("5.41.13"),
            p("5.42.0 RC1"),
            p("5.8.9"),
            p("5.42.0 patch x"),
        ];
        v.sort();
        let names: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            names,
            [
                "5.8.9",
                "5.41.13",
                "5.42.0 RC1",
                "5.42.0 RC2",
                "5.42.0",
                "5.42.0 patch"
            ]
        );
    }

    #[test]
    fn latest_is_computed_from_data() {
        let v: Vec<PerlVersion> = [
            "5.40.2",
            "5.42.0",
            "5.43.9",
            "5.43.10 patch blead",
            "5.44.0 RC1",
            "5.43.8",
        ]
        .iter()
        .map(|s| p(s))
        .collect();
        assert_eq!(latest_stable(&v), Some(p("5.42.0")));
        assert_eq!(latest_development(&v), Some(p("5.43.9")));
        assert_eq!(latest_release_candidate(&v), Some(p("5.44.0 RC1")));
        let v2 = [p("5.42.0 RC1"), p("5.42.0")];
        assert_eq!(latest_release_candidate(&v2), None);
        assert_eq!(latest_stable(&[]), None);
    }

    fn arb_perl() -> impl Strategy<Value = PerlVersion> {
        (5u32..6, 0u32..60, 0u32..20, 0u32..4, any::<bool>()).prop_map(
            |(ma, mi, pa, rc, patched)| {
                let mut v = PerlVersion::new(ma, mi, pa);
                if rc > 0 {
                    v.kind = PerlKind::ReleaseCandidate;
                    v.rc = rc;
                }
                v.patched = patched;
                v
            },
        )
    }

    proptest! {
        #[test]
        fn display_round_trips(v in arb_perl()) {
            prop_assert_eq!(PerlVersion::parse(&v.to_string()).unwrap(), v);
        }

        #[test]
        fn prefixes_do_not_matter(ma in 5u32..6, mi in 0u32..60, pa in 0u32..30) {
            let plain = PerlVersion::parse(&format!("{ma}.{mi}.{pa}")).unwrap();
            prop_assert_eq!(&PerlVersion::parse(&format!("v{ma}.{mi}.{pa}")).unwrap(), &plain);
            prop_assert_eq!(&PerlVersion::parse(&format!("perl-{ma}.{mi}.{pa}")).unwrap(), &plain);
            prop_assert_eq!(plain.kind == PerlKind::Development, mi % 2 == 1);
        }

        #[test]
        fn ordering_is_numeric(a in arb_perl(), b in arb_perl()) {
            let expected = (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch));
            if expected != Ordering::Equal {
                prop_assert_eq!(a.cmp(&b), expected);
            }
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = PerlVersion::parse(&s);
        }
    }
}
