//! PAUSE's indexing decisions as pure logic.
//!
//! Given an upload by an author and what `riverpan inspect` found in it
//! ([`riverpan_inspect::DistInspection`]), [`index_upload`] decides what enters the index, who
//! owns what, and explains every decision in an [`IndexReport`]. There is no database, no file
//! and no clock here: the store loads the rows an upload can touch ([`packages_touched`]) into an
//! [`IndexState`], calls [`index_upload`], and writes back [`IndexState::take_changes`] in one
//! transaction. Rebuilding the index replays every upload, in order, through the same function,
//! so the decision is deterministic: it depends on the rows, the upload and the inspection only.
//!
//! Two policies: [`Policy::Pause`] is today's PAUSE (`PAUSE::package::examine_pkg`,
//! `PAUSE::mldistwatch::_do_the_database_work`, `PAUSE::dist::mail_summary`), quirks included;
//! [`Policy::Proposed`] is the "Proposed future behavior" of the PAUSE indexing document (seed
//! 004). See the crate README for the rules and the deliberate differences.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeSet;
use std::str::FromStr;

use riverpan_inspect::DistInspection;
use serde::{Deserialize, Serialize};

mod decide;
mod report;
mod state;
mod status;
mod text;

pub use report::IndexReport;
pub use report::{is_osi_approved, DistSkip, PackageOutcome, RiverNote, SkipKind};
pub use state::{Change, IndexState, PackageOwners, PackageRow, PermRow, PrimeurRow};
pub use status::StatusCode;

/// Which rules decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Today's PAUSE, exactly.
    Pause,
    /// Seed 004's "Proposed future behavior": the dist-name permission first, permissions
    /// recorded for developer releases too, `x_private` honoured, mail only when something
    /// happened.
    Proposed,
}

impl FromStr for Policy {
    type Err = UnknownPolicy;

    fn from_str(text: &str) -> Result<Policy, UnknownPolicy> {
        match text {
            "pause" => Ok(Policy::Pause),
            "proposed" => Ok(Policy::Proposed),
            other => Err(UnknownPolicy(other.to_string())),
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Policy::Pause => "pause",
            Policy::Proposed => "proposed",
        })
    }
}

/// A policy name other than `pause` or `proposed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown indexing policy {0:?} (expected \"pause\" or \"proposed\")")]
pub struct UnknownPolicy(pub String);

/// One uploaded file to index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// The uploader's PAUSE id.
    pub uploader: String,
    /// The path below `authors/id/`, e.g. `O/OP/OPRIME/Foo-1.0.tar.gz`.
    pub dist: String,
    /// The file's mtime in seconds (PAUSE's `tmt`, compared with the indexed dist's).
    pub mtime: i64,
}

/// How [`index_upload`] decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexOptions {
    /// The rules.
    pub policy: Policy,
}

/// Indexes one upload: reads and changes `state` (journaled), and returns the report.
///
/// Everything rolled back (PAUSE's dist-name rule) is absent from the journal.
pub fn index_upload(
    state: &mut IndexState,
    upload: &Upload,
    inspection: &DistInspection,
    options: &IndexOptions,
) -> IndexReport {
    decide::run(state, upload, inspection, options.policy)
}

/// The package named after the distribution (PAUSE's `_package_governing_permission`):
/// `CPAN::DistnameInfo`'s dist name with runs of `-` and `+` turned into `::`
/// (`libwww-perl-6.06.tar.gz` → `libwww::perl`). Empty when the path has no dist name.
pub fn main_package(dist: &str) -> String {
    let info = cpan_distname::DistnameInfo::new(dist);
    let name = info.dist().unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 4);
    let mut in_separator = false;
    for c in name.chars() {
        if c == '-' || c == '+' {
            if !in_separator {
                out.push_str("::");
            }
            in_separator = true;
        } else {
            out.push(c);
            in_separator = false;
        }
    }
    out
}

/// The lower-case package names an upload can read or write (its packages and the package
/// named after the dist, whose permissions are copied and checked), so a store can load only
/// those rows: every `packages`, `perms` and `primeur` row whose lower-cased name is in the set.
pub fn packages_touched(upload: &Upload, inspection: &DistInspection) -> BTreeSet<String> {
    let mut touched: BTreeSet<String> = inspection
        .found_packages()
        .into_iter()
        .map(|(package, _)| package.to_lowercase())
        .collect();
    let main = main_package(&upload.dist);
    if !main.is_empty() {
        touched.insert(main.to_lowercase());
    }
    touched
}

/// What [`precheck`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PrecheckOutcome {
    /// The uploader has a permission on the package named after the dist.
    Permitted {
        /// The package named after the dist.
        package: String,
    },
    /// Nobody has a permission on it yet: the upload may claim it (if it contains it).
    Free {
        /// The package named after the dist.
        package: String,
    },
    /// Somebody else owns it: the upload would not be indexed.
    Refused {
        /// The package named after the dist.
        package: String,
        /// Who owns it (empty for `perl`, which needs the pumpking bit).
        owners: PackageOwners,
    },
    /// The file name has no distribution name (nothing to check).
    NoDistName,
}

/// `upload_precheck` (seed 003's wish): does `uploader` have permission on the package named
/// after `dist` (or is the name free)? Returns who owns it when not.
pub fn precheck(state: &IndexState, uploader: &str, dist: &str) -> PrecheckOutcome {
    let package = main_package(dist);
    if package.is_empty() {
        return PrecheckOutcome::NoDistName;
    }
    if package == "perl" {
        return if state.is_pumpking(uploader) {
            PrecheckOutcome::Permitted { package }
        } else {
            PrecheckOutcome::Refused {
                package,
                owners: PackageOwners::default(),
            }
        };
    }
    if state.has_permission_any_case(uploader, &package) {
        return PrecheckOutcome::Permitted { package };
    }
    let owners = state.owners(&package);
    if owners.is_empty() {
        PrecheckOutcome::Free { package }
    } else {
        PrecheckOutcome::Refused { package, owners }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_package_follows_distnameinfo() {
        assert_eq!(
            main_package("O/OP/OPRIME/XForm-Rollout-1.00.tar.gz"),
            "XForm::Rollout"
        );
        assert_eq!(
            main_package("G/GA/GAAS/libwww-perl-6.06.tar.gz"),
            "libwww::perl"
        );
        assert_eq!(main_package("X/XY/XYZZY/perl-5.36.0.tar.gz"), "perl");
        assert_eq!(main_package("A/AB/ABC/Foo+-Bar-1.0.tar.gz"), "Foo::Bar");
        assert_eq!(main_package("A/AB/ABC/Y-2.tar.gz"), "Y");
    }

    #[test]
    fn policy_round_trips() {
        for policy in [Policy::Pause, Policy::Proposed] {
            assert_eq!(policy.to_string().parse::<Policy>(), Ok(policy));
        }
        assert!("other".parse::<Policy>().is_err());
    }
}
