//! Perl version semantics, as `version.pm` 0.9929 implements them (work in progress skeleton).

mod range;
pub use range::*;

use std::cmp::Ordering;

/// A parsed Perl version, as a `version.pm` object built from a string.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    parts: Vec<u64>,
    qv: bool,
    alpha: bool,
}

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VersionError(pub String);

impl Version {
    /// `version->parse($string)`.
    pub fn parse(_s: &str) -> Result<Version, VersionError> {
        todo!()
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, _other: &Self) -> Ordering {
        todo!()
    }
}
