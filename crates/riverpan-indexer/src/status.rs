//! PAUSE's indexing status codes (`PAUSE::mldistwatch::Constants`), plus the few dist-level
//! outcomes riverpan names that PAUSE leaves without a code.

use serde::{Serialize, Serializer};

/// The status of a package (or, for [`IndexReport::status`](crate::IndexReport::status), of the
/// whole upload). The numbers are PAUSE's; codes of 100 and above are riverpan's names for
/// dist-level outcomes PAUSE reports without a code, and never appear in a package list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusCode {
    /// 1: indexed.
    Ok,
    /// 2: a lower version than the indexed one from another dist.
    EVerFalling,
    /// 3: deprecated by PAUSE; never produced.
    EMtimeFalling,
    /// 4: same or zero version, and the indexed dist is newer.
    EOldRelease,
    /// 5: a bare `.pm.gz` upload.
    EBarePmFile,
    /// 6: META `release_status` is not `stable`.
    EMetaUnstable,
    /// 7: the database work failed (the store's job; kept for completeness).
    EDbXactFail,
    /// 8: no META.json or META.yml.
    ENoMetaFile,
    /// 10: the `$VERSION` line could not be evaluated.
    EParseVersion,
    /// 12: not a lax version string.
    EBadVersion,
    /// 13: longer than 16 bytes.
    ELongVersion,
    /// 20: the uploader has no permission on the package.
    EMissPerm,
    /// 21: the file could not be read.
    EOpenFile,
    /// 23: several index rows for one lower-case name.
    EDbConflict,
    /// 25: the update failed.
    EDbErr,
    /// 26: indexed rows rolled back because of the dist-name rule.
    EDistNamePerm,
    /// 30: a perl core package older than the dual-life dist's.
    EDualYounger,
    /// 50: a perl core package newer than the dual-life dist's (the dual-life dist stays).
    EDualOlder,
    /// 100 (riverpan): a developer (trial) release; not indexed.
    EDevRelease,
    /// 101 (riverpan): a file PAUSE does not index at all (not a distribution, a corrupt or
    /// hostile archive, a perl-like or untrusted perl release, Perl 6, a script).
    ESkipped,
    /// 102 (riverpan): the archive's layout (blib/, several top directories, world-writable
    /// files) prevents indexing.
    EDistLayout,
    /// 103 (riverpan): nothing indexable was found.
    ENothingFound,
}

impl StatusCode {
    /// Every code, in numeric order.
    pub const ALL: [StatusCode; 22] = [
        StatusCode::Ok,
        StatusCode::EVerFalling,
        StatusCode::EMtimeFalling,
        StatusCode::EOldRelease,
        StatusCode::EBarePmFile,
        StatusCode::EMetaUnstable,
        StatusCode::EDbXactFail,
        StatusCode::ENoMetaFile,
        StatusCode::EParseVersion,
        StatusCode::EBadVersion,
        StatusCode::ELongVersion,
        StatusCode::EMissPerm,
        StatusCode::EOpenFile,
        StatusCode::EDbConflict,
        StatusCode::EDbErr,
        StatusCode::EDistNamePerm,
        StatusCode::EDualYounger,
        StatusCode::EDualOlder,
        StatusCode::EDevRelease,
        StatusCode::ESkipped,
        StatusCode::EDistLayout,
        StatusCode::ENothingFound,
    ];

    /// PAUSE's number.
    pub fn code(self) -> u16 {
        match self {
            StatusCode::Ok => 1,
            StatusCode::EVerFalling => 2,
            StatusCode::EMtimeFalling => 3,
            StatusCode::EOldRelease => 4,
            StatusCode::EBarePmFile => 5,
            StatusCode::EMetaUnstable => 6,
            StatusCode::EDbXactFail => 7,
            StatusCode::ENoMetaFile => 8,
            StatusCode::EParseVersion => 10,
            StatusCode::EBadVersion => 12,
            StatusCode::ELongVersion => 13,
            StatusCode::EMissPerm => 20,
            StatusCode::EOpenFile => 21,
            StatusCode::EDbConflict => 23,
            StatusCode::EDbErr => 25,
            StatusCode::EDistNamePerm => 26,
            StatusCode::EDualYounger => 30,
            StatusCode::EDualOlder => 50,
            StatusCode::EDevRelease => 100,
            StatusCode::ESkipped => 101,
            StatusCode::EDistLayout => 102,
            StatusCode::ENothingFound => 103,
        }
    }

    /// PAUSE's constant name (`OK`, `EVERFALLING`, …).
    pub fn name(self) -> &'static str {
        match self {
            StatusCode::Ok => "OK",
            StatusCode::EVerFalling => "EVERFALLING",
            StatusCode::EMtimeFalling => "EMTIMEFALLING",
            StatusCode::EOldRelease => "EOLDRELEASE",
            StatusCode::EBarePmFile => "EBAREPMFILE",
            StatusCode::EMetaUnstable => "EMETAUNSTABLE",
            StatusCode::EDbXactFail => "E_DB_XACTFAIL",
            StatusCode::ENoMetaFile => "ENOMETAFILE",
            StatusCode::EParseVersion => "EPARSEVERSION",
            StatusCode::EBadVersion => "EBADVERSION",
            StatusCode::ELongVersion => "ELONGVERSION",
            StatusCode::EMissPerm => "EMISSPERM",
            StatusCode::EOpenFile => "EOPENFILE",
            StatusCode::EDbConflict => "EDBCONFLICT",
            StatusCode::EDbErr => "EDBERR",
            StatusCode::EDistNamePerm => "EDISTNAMEPERM",
            StatusCode::EDualYounger => "EDUALYOUNGER",
            StatusCode::EDualOlder => "EDUALOLDER",
            StatusCode::EDevRelease => "EDEVRELEASE",
            StatusCode::ESkipped => "ESKIPPED",
            StatusCode::EDistLayout => "EDISTLAYOUT",
            StatusCode::ENothingFound => "ENOTHINGFOUND",
        }
    }

    /// PAUSE's heading, used in reports (spelling included).
    pub fn heading(self) -> &'static str {
        match self {
            StatusCode::Ok => "Successfully indexed",
            StatusCode::EVerFalling => "Decreasing version number",
            StatusCode::EMtimeFalling => "Decreasing mtime on a file (category to be deprecated)",
            StatusCode::EOldRelease => "Release seems outdated",
            StatusCode::EBarePmFile => "Bare .pm files are not indexed",
            StatusCode::EMetaUnstable => "META release_status is not stable, will not index",
            StatusCode::EDbXactFail => "ERROR: Database error occurred during index update",
            StatusCode::ENoMetaFile => "Distribution included neither META.json nor META.yml",
            StatusCode::EParseVersion => "Version parsing problem",
            StatusCode::EBadVersion => "Version string is not a valid 'lax version' string",
            StatusCode::ELongVersion => "Version string exceeds maximum allowed length of 16b",
            StatusCode::EMissPerm => "Permission missing",
            StatusCode::EOpenFile => "Problem while reading the distribtion",
            StatusCode::EDbConflict => "Conflicting record found in index",
            StatusCode::EDbErr => "Database error",
            StatusCode::EDistNamePerm => "No permissions for distribution name",
            StatusCode::EDualYounger => "Dual-life module stays reference",
            StatusCode::EDualOlder => "An older dual-life module stays reference",
            StatusCode::EDevRelease => "Developer release, not indexed",
            StatusCode::ESkipped => "Not a distribution the indexer reads",
            StatusCode::EDistLayout => "The distribution's layout prevents indexing",
            StatusCode::ENothingFound => "No indexable packages found",
        }
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for StatusCode {
    /// Serialized as PAUSE's constant name; reports carry the number next to it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}
