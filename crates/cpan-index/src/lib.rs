//! Reading what a CPAN mirror publishes for its clients, without running Perl:
//!
//! * [`PackageIndex`]: `modules/02packages.details.txt` — which distribution file provides
//!   each package at which version (the header, then `Package  version  A/AU/AUTHOR/file`);
//! * [`parse_checksums`]: an author directory's `CHECKSUMS` — the Perl hash
//!   `$cksum = { 'file' => { 'sha256' => '…', 'size' => N, … }, … };` that `CPAN::Checksums`
//!   writes (PGP-signed on CPAN), read as data, never evaluated.
//!
//! Both are untrusted input (a client downloads them): sizes are bounded by the caller, the
//! parsers never panic, and every refusal is a typed error with a line number.

use std::collections::BTreeMap;

mod checksums;
pub use checksums::{parse_checksums, ChecksumRecord};

/// What can be wrong with an index file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    /// 02packages has no blank line ending its header.
    #[error("02packages: no blank line after the header")]
    NoHeaderEnd,
    /// A line of 02packages does not have the three columns.
    #[error("02packages line {line}: expected `Package version path`, found {found:?}")]
    BadPackageLine {
        /// 1-based line number.
        line: usize,
        /// The line (truncated).
        found: String,
    },
    /// CHECKSUMS is not the Perl hash `CPAN::Checksums` writes.
    #[error("CHECKSUMS line {line}: {what}")]
    BadChecksums {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        what: String,
    },
}

/// One line of 02packages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedPackage {
    /// The package, as indexed.
    pub package: String,
    /// Its version as PAUSE printed it (`undef` when it has none).
    pub version: String,
    /// The distribution file below `authors/id/`, e.g. `E/ET/ETHER/Moose-2.2203.tar.gz`.
    pub path: String,
}

/// `02packages.details.txt`, looked up by package name (exactly, or case-insensitively as
/// `cpanm` does when the exact name is missing).
#[derive(Clone, Debug, Default)]
pub struct PackageIndex {
    /// Header fields (`Line-Count`, `Last-Updated`, …).
    pub header: BTreeMap<String, String>,
    packages: BTreeMap<String, IndexedPackage>,
    lowercase: BTreeMap<String, String>,
}

impl PackageIndex {
    /// Parses the text of 02packages.details.txt (already decompressed).
    pub fn parse(text: &str) -> Result<PackageIndex, IndexError> {
        let mut index = PackageIndex::default();
        let mut lines = text.lines().enumerate();
        let mut ended = false;
        for (_, line) in lines.by_ref() {
            if line.trim().is_empty() {
                ended = true;
                break;
            }
            if let Some((key, value)) = line.split_once(':') {
                index
                    .header
                    .insert(key.trim().to_string(), value.trim().to_string());
            }
        }
        if !ended {
            return Err(IndexError::NoHeaderEnd);
        }
        for (number, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let mut columns = line.split_whitespace();
            let (Some(package), Some(version), Some(path), None) = (
                columns.next(),
                columns.next(),
                columns.next(),
                columns.next(),
            ) else {
                return Err(IndexError::BadPackageLine {
                    line: number + 1,
                    found: line.chars().take(120).collect(),
                });
            };
            index.insert(IndexedPackage {
                package: package.to_string(),
                version: version.to_string(),
                path: path.to_string(),
            });
        }
        Ok(index)
    }

    /// Adds (or replaces) a package line.
    pub fn insert(&mut self, line: IndexedPackage) {
        self.lowercase
            .insert(line.package.to_lowercase(), line.package.clone());
        self.packages.insert(line.package.clone(), line);
    }

    /// The line of `package`: exactly, else the one that differs only in case.
    pub fn get(&self, package: &str) -> Option<&IndexedPackage> {
        self.packages.get(package).or_else(|| {
            self.lowercase
                .get(&package.to_lowercase())
                .and_then(|name| self.packages.get(name))
        })
    }

    /// Every line, by package name.
    pub fn lines(&self) -> impl Iterator<Item = &IndexedPackage> {
        self.packages.values()
    }

    /// Every package the distribution file `path` provides, with its version.
    pub fn provided_by(&self, path: &str) -> Vec<&IndexedPackage> {
        self.packages.values().filter(|p| p.path == path).collect()
    }

    /// Number of packages.
    pub fn len(&self) -> usize {
        self.packages.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETAILS: &str = "File:         02packages.details.txt
URL:          http://www.perl.com/CPAN/modules/02packages.details.txt
Line-Count:   3

Foo::Bar                           1.23  N/NE/NEILB/Foo-Bar-1.23.tar.gz
Foo::Bar::Util                    undef  N/NE/NEILB/Foo-Bar-1.23.tar.gz
Moose                            2.2203  E/ET/ETHER/Moose-2.2203.tar.gz
";

    #[test]
    fn details_are_read() {
        let index = PackageIndex::parse(DETAILS).unwrap_or_default();
        assert_eq!(index.len(), 3);
        assert_eq!(
            index.header.get("Line-Count").map(String::as_str),
            Some("3")
        );
        let moose = index
            .get("Moose")
            .map(|p| (p.version.as_str(), p.path.as_str()));
        assert_eq!(moose, Some(("2.2203", "E/ET/ETHER/Moose-2.2203.tar.gz")));
        assert_eq!(
            index.get("foo::bar").map(|p| p.package.as_str()),
            Some("Foo::Bar")
        );
        assert_eq!(index.provided_by("N/NE/NEILB/Foo-Bar-1.23.tar.gz").len(), 2);
        assert!(index.get("Nope").is_none());
    }

    #[test]
    fn broken_details_are_refused() {
        assert_eq!(
            PackageIndex::parse("File: x\n").err(),
            Some(IndexError::NoHeaderEnd)
        );
        assert!(matches!(
            PackageIndex::parse("File: x\n\nFoo 1.0\n"),
            Err(IndexError::BadPackageLine { line: 3, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,400}") {
            let _ = PackageIndex::parse(&text);
            let _ = parse_checksums(&text);
        }
    }
}
