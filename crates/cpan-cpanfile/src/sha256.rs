//! The sha256 of each locked tarball, kept in a sidecar file next to `cpanfile.snapshot` (see
//! [`SHA256_SIDECAR_FILE_NAME`] for why).

use crate::error::Error;
use crate::snapshot::Snapshot;
use std::collections::BTreeMap;
use std::fmt;

/// The name of the sha256 sidecar file, in the directory of `cpanfile.snapshot`.
///
/// # Why a sidecar and not a key in the snapshot
///
/// Carton's parser (`Carton::Snapshot::Parser`, 1.0.35) is a state machine that dies with
/// `Could not parse snapshot file` on any line none of its states expects, and every place an
/// extra line could go is taken (`tests/snapshot_differential.rs` shows each with Carton):
///
/// * a distribution's own lines (4 spaces) may only be `pathname:`, `provides:` or
///   `requirements:`; `    sha256: ...` is refused;
/// * a line under `provides:`/`requirements:` (6 spaces) is read as a package or module and its
///   version: a fake `X_sha256` package would end up in the index `carton bundle` and
///   `carton install --deployment` build from the snapshot, a fake requirement would be
///   something to install (and a digest that starts with a letter is refused anyway);
/// * text after a version on a property line is captured into the version (`1.0 sha256=...`
///   reads as the version `1.0 `, which `CPAN::Meta::Requirements` then refuses);
/// * a section of its own (`SHA256`), a comment or a blank line is refused: only
///   `DISTRIBUTIONS` and `__EOF__` may start a section, and there are no comments.
///
/// So the digests live in `cpanfile.snapshot.sha256`, next to the snapshot, which Carton never
/// reads and leaves alone. Its format is `sha256sum`'s: one line per tarball, `HEX  PATHNAME`,
/// sorted by pathname, where PATHNAME is the distribution's `pathname` (relative to
/// `authors/id/`), so `cd local/cache/authors/id && sha256sum -c DIR/cpanfile.snapshot.sha256`
/// checks Carton's cache with standard tools. See [`Snapshot::emit_sha256_sidecar`] and
/// [`Snapshot::apply_sha256_sidecar`].
pub const SHA256_SIDECAR_FILE_NAME: &str = "cpanfile.snapshot.sha256";

/// A sha256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest with these bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads 64 hexadecimal digits (either case).
    pub fn from_hex(hex: &str) -> Option<Sha256> {
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let digit = |b: u8| (b as char).to_digit(16);
            *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(Sha256(bytes))
    }

    /// The 64 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

impl From<[u8; 32]> for Sha256 {
    fn from(bytes: [u8; 32]) -> Sha256 {
        Sha256(bytes)
    }
}

impl Snapshot {
    /// The sha256 sidecar for the distributions that have a [`sha256`]: `HEX  PATHNAME\n` per
    /// pathname, sorted by pathname (a pathname shared by several distributions is written
    /// once).
    ///
    /// Refused: two different digests for one pathname ([`Error::Sha256Conflict`]), and a
    /// pathname `sha256sum` would have to escape or that cannot be a file name (empty, or with
    /// a line break or `\`: [`Error::Unrepresentable`]).
    ///
    /// [`sha256`]: crate::SnapshotDistribution::sha256
    pub fn emit_sha256_sidecar(&self) -> Result<String, Error> {
        let mut digests: BTreeMap<&str, Sha256> = BTreeMap::new();
        for dist in &self.distributions {
            let Some(sha256) = dist.sha256 else { continue };
            let pathname = dist.pathname.as_str();
            if pathname.is_empty() || pathname.contains(['\n', '\r', '\\']) {
                return Err(Error::Unrepresentable {
                    distribution: dist.name.clone(),
                    problem: format!(
                        "the pathname {pathname:?} cannot be written in a sha256 sidecar"
                    ),
                });
            }
            if let Some(existing) = digests.insert(pathname, sha256) {
                if existing != sha256 {
                    return Err(Error::Sha256Conflict {
                        pathname: pathname.to_string(),
                    });
                }
            }
        }
        Ok(digests
            .into_iter()
            .map(|(pathname, sha256)| format!("{sha256}  {pathname}\n"))
            .collect())
    }

    /// Reads a sha256 sidecar and sets the [`sha256`] of every distribution with a pathname it
    /// lists (distributions it does not list keep theirs).
    ///
    /// Each line is `HEX  PATHNAME` or `HEX *PATHNAME` (`sha256sum`'s text and binary forms);
    /// a final line break is optional, `\r\n` line breaks are accepted. Refused, so that a stale
    /// or edited sidecar is noticed: any other line ([`Error::Sha256Syntax`]), a pathname no
    /// distribution has or listed twice ([`Error::Sha256Entry`]). On error the snapshot is
    /// unchanged.
    ///
    /// [`sha256`]: crate::SnapshotDistribution::sha256
    pub fn apply_sha256_sidecar(&mut self, sidecar: &str) -> Result<(), Error> {
        let mut entries: BTreeMap<&str, Sha256> = BTreeMap::new();
        let body = sidecar.strip_suffix('\n').unwrap_or(sidecar);
        if !body.is_empty() {
            for (index, raw) in body.split('\n').enumerate() {
                let line = index + 1;
                let text = raw.strip_suffix('\r').unwrap_or(raw);
                let syntax = || Error::Sha256Syntax {
                    line,
                    text: raw.to_string(),
                };
                let (hex, rest) = text.split_at_checked(64).ok_or_else(syntax)?;
                let sha256 = Sha256::from_hex(hex).ok_or_else(syntax)?;
                let pathname = rest
                    .strip_prefix("  ")
                    .or_else(|| rest.strip_prefix(" *"))
                    .filter(|p| !p.is_empty())
                    .ok_or_else(syntax)?;
                if !self.distributions.iter().any(|d| d.pathname == pathname) {
                    return Err(Error::Sha256Entry {
                        line,
                        pathname: pathname.to_string(),
                        problem: "no distribution has this pathname".to_string(),
                    });
                }
                if entries.insert(pathname, sha256).is_some() {
                    return Err(Error::Sha256Entry {
                        line,
                        pathname: pathname.to_string(),
                        problem: "second entry for this pathname".to_string(),
                    });
                }
            }
        }
        for dist in &mut self.distributions {
            if let Some(&sha256) = entries.get(dist.pathname.as_str()) {
                dist.sha256 = Some(sha256);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SnapshotDistribution;

    fn dist(name: &str, pathname: &str, byte: u8) -> SnapshotDistribution {
        SnapshotDistribution {
            name: name.into(),
            pathname: pathname.into(),
            sha256: Some(Sha256::from_bytes([byte; 32])),
            ..SnapshotDistribution::default()
        }
    }

    #[test]
    fn hex_round_trip() {
        let h = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        let sha = Sha256::from_hex(h).unwrap();
        assert_eq!(sha.to_hex(), h.to_lowercase());
        assert_eq!(Sha256::from_hex(&h[1..]), None);
        assert_eq!(Sha256::from_hex(&format!("{}g", &h[1..])), None);
        assert_eq!(Sha256::from_hex("é".repeat(32).as_str()), None);
    }

    #[test]
    fn sidecar_round_trip() {
        let snapshot = Snapshot {
            distributions: vec![
                dist("B-1", "B/BB/BBB/B-1.tar.gz", 2),
                dist("A-1", "A/AA/AAA/A-1.tar.gz", 1),
            ],
        };
        let sidecar = snapshot.emit_sha256_sidecar().unwrap();
        assert_eq!(
            sidecar,
            format!(
                "{}  A/AA/AAA/A-1.tar.gz\n{}  B/BB/BBB/B-1.tar.gz\n",
                "01".repeat(32),
                "02".repeat(32)
            )
        );
        let mut read = snapshot.clone();
        for d in &mut read.distributions {
            d.sha256 = None;
        }
        read.apply_sha256_sidecar(&sidecar).unwrap();
        assert_eq!(read, snapshot);
    }

    #[test]
    fn sidecar_refusals() {
        let mut snapshot = Snapshot {
            distributions: vec![dist("A-1", "A/AA/AAA/A-1.tar.gz", 1)],
        };
        let line = |p: &str| format!("{}  {p}\n", "01".repeat(32));
        assert!(matches!(
            snapshot.apply_sha256_sidecar(&line("X/XX/XXX/X-1.tar.gz")),
            Err(Error::Sha256Entry { line: 1, .. })
        ));
        let twice = line("A/AA/AAA/A-1.tar.gz").repeat(2);
        assert!(matches!(
            snapshot.apply_sha256_sidecar(&twice),
            Err(Error::Sha256Entry { line: 2, .. })
        ));
        assert!(matches!(
            snapshot.apply_sha256_sidecar("# comment\n"),
            Err(Error::Sha256Syntax { line: 1, .. })
        ));
        snapshot
            .distributions
            .push(dist("A-1", "A/AA/AAA/A-1.tar.gz", 9));
        assert!(matches!(
            snapshot.emit_sha256_sidecar(),
            Err(Error::Sha256Conflict { .. })
        ));
    }
}
