//! `x_breaks` and `conflicts`: what a plan would break.
//!
//! The Lancaster consensus: "`x_breaks` is a top-level key in META. It is a hash with module
//! name as keys and a version range that indicates the *broken* range, usually using as a `<=`
//! relation. … After successful installation, CPAN clients should check if any of the modules
//! listed in `x_breaks` are installed and if their `$VERSION` matches the version range. If so,
//! and if the latest version on CPAN does *not* match the `x_breaks` version range, then the
//! CPAN client should install the latest version of that module from CPAN." A `conflicts`
//! prerequisite has the same shape and meaning (no client ever acted on it).
//!
//! [`check_breaks`] does that check before anything is installed, for the whole plan: a module
//! the plan itself installs counts at the version the plan installs, so a break the plan
//! already repairs (by upgrading the broken module in the same run) is not reported.

use std::collections::BTreeMap;
use std::fmt;

use cpan_version::{Version, VersionRange};

use crate::DistId;

/// What one distribution of the plan provides and declares broken.
#[derive(Debug, Clone)]
pub struct ReleaseBreaks {
    /// The distribution.
    pub dist: DistId,
    /// The modules it installs and their versions (`None`: no version, counted as `0`).
    pub provides: BTreeMap<String, Option<Version>>,
    /// Its `x_breaks` and `conflicts` entries: module → the broken range.
    pub breaks: Vec<(String, VersionRange)>,
}

/// Where the broken version of a module would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenAt {
    /// It is installed, and the plan does not replace it.
    Installed,
    /// The plan installs it, from this distribution.
    Plan(DistId),
}

/// A module the plan would leave in a range a distribution of the plan declares broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The distribution declaring the break.
    pub breaker: DistId,
    /// The broken module.
    pub module: String,
    /// The broken range, as `CPAN::Meta::Requirements` writes it.
    pub range: String,
    /// The version of the module there would be.
    pub version: Version,
    /// Where it comes from.
    pub at: BrokenAt,
    /// The index's latest version of the module when it is outside the broken range: what the
    /// Lancaster consensus says to install. `None`: the index has nothing better.
    pub upgrade: Option<Version>,
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match &self.at {
            BrokenAt::Installed => "installed".to_string(),
            BrokenAt::Plan(d) => format!("about to be installed from {d}"),
        };
        write!(
            f,
            "{} breaks {} {} ({} {} is {at})",
            self.breaker, self.module, self.range, self.module, self.version
        )?;
        match &self.upgrade {
            Some(v) => write!(f, "; upgrade {} to {v}", self.module),
            None => write!(f, "; no version on the index is outside the broken range"),
        }
    }
}

/// The breaks the plan would cause: for every `(module, range)` a planned distribution
/// declares, the version of `module` after the plan (the planned one, else the installed one)
/// when `range` accepts it. `installed` is module → installed version, `latest` module → the
/// index's latest version, `plan` the distributions to install. Sorted by breaker, then
/// module; a distribution's breaks on its own modules are ignored.
///
/// ```
/// use std::collections::BTreeMap;
/// use cpan_plan::{check_breaks, BrokenAt, DistId, ReleaseBreaks, Version};
/// let v = |s: &str| Version::parse(s).unwrap();
/// let moose = ReleaseBreaks {
///     dist: DistId::new("ETHER/Moose-2.2203.tar.gz"),
///     provides: BTreeMap::from([("Moose".to_string(), Some(v("2.2203")))]),
///     breaks: vec![("MooseX::Foo".to_string(), "<= 1.23".parse().unwrap())],
/// };
/// let installed = BTreeMap::from([("MooseX::Foo".to_string(), v("1.2"))]);
/// let latest = BTreeMap::from([("MooseX::Foo".to_string(), v("1.30"))]);
/// let found = check_breaks(&installed, &latest, &[moose]);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].at, BrokenAt::Installed);
/// assert_eq!(
///     found[0].to_string(),
///     "ETHER/Moose-2.2203.tar.gz breaks MooseX::Foo <= 1.23 (MooseX::Foo 1.2 is installed); \
///      upgrade MooseX::Foo to 1.30"
/// );
/// ```
pub fn check_breaks(
    installed: &BTreeMap<String, Version>,
    latest: &BTreeMap<String, Version>,
    plan: &[ReleaseBreaks],
) -> Vec<Break> {
    let zero = || Version::parse("0").unwrap_or_else(|_| unreachable!("`0` is a version"));
    let mut planned: BTreeMap<&str, (&DistId, Version)> = BTreeMap::new();
    for r in plan {
        for (module, version) in &r.provides {
            planned
                .entry(module.as_str())
                .or_insert_with(|| (&r.dist, version.clone().unwrap_or_else(zero)));
        }
    }
    let mut out = Vec::new();
    for r in plan {
        for (module, range) in &r.breaks {
            if r.provides.contains_key(module) {
                continue;
            }
            let (version, at) = match planned.get(module.as_str()) {
                Some((dist, version)) => (version.clone(), BrokenAt::Plan((*dist).clone())),
                None => match installed.get(module) {
                    Some(v) => (v.clone(), BrokenAt::Installed),
                    None => continue,
                },
            };
            if !range.accepts(&version) {
                continue;
            }
            let upgrade = latest
                .get(module)
                .filter(|l| !range.accepts(l) && **l > version)
                .cloned();
            out.push(Break {
                breaker: r.dist.clone(),
                module: module.clone(),
                range: range.as_string(),
                version,
                at,
                upgrade,
            });
        }
    }
    out.sort_by(|a, b| (&a.breaker, &a.module).cmp(&(&b.breaker, &b.module)));
    out
}
