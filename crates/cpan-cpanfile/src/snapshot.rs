//! `cpanfile.snapshot`, Carton's lock file, format version 1.0: read as
//! `Carton::Snapshot::Parser` (Carton 1.0.35) reads it, written byte for byte as
//! `Carton::Snapshot::Emitter` writes it.
//!
//! ```text
//! # carton snapshot format: version 1.0
//! DISTRIBUTIONS
//!   Foo-Bar-1.23
//!     pathname: A/AU/AUTHOR/Foo-Bar-1.23.tar.gz
//!     provides:
//!       Foo::Bar 1.23
//!       Foo::Bar::Util undef
//!     requirements:
//!       ExtUtils::MakeMaker 6.58
//!       perl 5.008001
//! ```

use crate::error::Error;
use crate::sha256::Sha256;
use cpan_version::Requirements;
use std::collections::BTreeMap;

/// The first line Carton writes.
const HEADER: &str = "# carton snapshot format: version 1.0";

/// A `cpanfile.snapshot`: the distributions a `carton install` locked, in the order of the
/// file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The distributions (Carton writes them sorted by name).
    pub distributions: Vec<SnapshotDistribution>,
}

/// One locked distribution (a `Carton::Dist`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotDistribution {
    /// Its name with its version, the `distvname` (`Foo-Bar-1.23`).
    pub name: String,
    /// Its path under `authors/id/` (`A/AU/AUTHOR/Foo-Bar-1.23.tar.gz`). A distribution that
    /// has no `pathname:` line reads as `""` (Carton: undef, which it writes as an empty
    /// pathname).
    pub pathname: String,
    /// The packages it provides, each with its version, or `None` for `undef`.
    pub provides: BTreeMap<String, Option<String>>,
    /// Its requirements: module → requirement string, as `CPAN::Meta::Requirements` writes it
    /// (`requirements_for_module`): `0`, `1.23`, `>= 1.2, < 2`.
    pub requirements: BTreeMap<String, String>,
    /// The sha256 digest of the tarball, which the snapshot itself cannot hold: it is read from
    /// and written to the sidecar file ([`Snapshot::apply_sha256_sidecar`],
    /// [`Snapshot::emit_sha256_sidecar`]); [`Snapshot::parse`] leaves it `None` and
    /// [`Snapshot::emit`] ignores it.
    pub sha256: Option<Sha256>,
}

impl SnapshotDistribution {
    /// The requirements as a `CPAN::Meta::Requirements` object.
    pub fn requirements(&self) -> Result<Requirements, Error> {
        Requirements::from_string_hash(
            self.requirements
                .iter()
                .map(|(m, r)| (m.as_str(), r.as_str())),
        )
        .map_err(|source| Error::InvalidRequirement {
            distribution: self.name.clone(),
            source,
        })
    }

    /// Whether it provides the package (`provides_module`).
    pub fn provides_module(&self, package: &str) -> bool {
        self.provides.contains_key(package)
    }
}

/// Perl's `\s` on a character string: Unicode white space.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// `^\s{n}` then the rest of the line.
fn strip_spaces(line: &str, n: usize) -> Option<&str> {
    let mut chars = line.char_indices();
    for _ in 0..n {
        let (_, c) = chars.next()?;
        if !is_space(c) {
            return None;
        }
    }
    Some(chars.next().map_or("", |(i, _)| &line[i..]))
}

/// `^\s{0,max}\S`: the first character that is not white space is at most `max` characters in.
fn indented_at_most(line: &str, max: usize) -> bool {
    line.chars().take(max + 1).find(|&c| !is_space(c)).is_some()
}

/// `([v0-9\._,=\!<>\s]+|undef)` at the start of `text`: the version a property line
/// captures.
fn capture_version(text: &str) -> Option<&str> {
    let in_class = |c: char| {
        c.is_ascii_digit()
            || matches!(c, 'v' | '.' | '_' | ',' | '=' | '!' | '<' | '>')
            || is_space(c)
    };
    let end = text.find(|c: char| !in_class(c)).unwrap_or(text.len());
    if end > 0 {
        Some(&text[..end])
    } else if text.starts_with("undef") {
        Some("undef")
    } else {
        None
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// `^\s{6}([0-9A-Za-z_:]+) ([v0-9\._,=\!<>\s]+|undef)`: a module and its version.
fn property_line(line: &str) -> Option<(&str, &str)> {
    let rest = strip_spaces(line, 6)?;
    let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let (name, after) = rest.split_at(end);
    let version = capture_version(after.strip_prefix(' ')?)?;
    Some((name, version))
}

/// Perl's `split /\r?\n/, $data`: trailing empty lines are dropped.
fn split_lines(data: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = data
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    // The last piece had no `\n` after it, so its `\r` is not part of a line break.
    if let Some(last) = data.rsplit('\n').next() {
        if let Some(l) = lines.last_mut() {
            *l = last;
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The states of Carton's parser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Init,
    Section,
    Dists,
    DistMeta,
    Properties,
}

/// The distribution being read (Carton's stash).
struct Stash {
    name: String,
    pathname: Option<String>,
    provides: BTreeMap<String, Option<String>>,
    requirements: Requirements,
}

impl Snapshot {
    /// Reads a snapshot exactly as Carton's parser does: a line-by-line state machine with its
    /// regular expressions (`\s` is Unicode white space), so it accepts and refuses the same
    /// files and reads the same values from them:
    ///
    /// * the first line must start `# carton snapshot format: version 1.0`;
    /// * a `provides` version `undef` is `None`; a package listed twice keeps its last version;
    /// * requirement lines go through `add_string_requirement`, so a module listed twice has
    ///   both requirements combined, and a requirement `CPAN::Meta::Requirements` refuses is
    ///   an [`Error::SnapshotRequirement`];
    /// * any line no state expects is an [`Error::SnapshotSyntax`] (Carton's
    ///   `Could not parse snapshot file`).
    pub fn parse(data: &str) -> Result<Snapshot, Error> {
        let lines = split_lines(data);
        let mut snapshot = Snapshot::default();
        let mut state = State::Init;
        let mut stash: Option<Stash> = None;
        let mut property_is_provides = false;
        for (index, line) in lines.into_iter().chain(["__EOF__"]).enumerate() {
            let number = index + 1;
            let error = || Error::SnapshotSyntax {
                line: number,
                text: line.to_string(),
            };
            // Each pass is one try of the current state's transitions; `continue` is Perl's
            // `redo STATE` with the new state.
            loop {
                match state {
                    State::Init => {
                        if !line.starts_with(HEADER) {
                            return Err(error());
                        }
                        state = State::Section;
                    }
                    State::Section => {
                        if line == "DISTRIBUTIONS" {
                            state = State::Dists;
                        } else if line != "__EOF__" {
                            return Err(error());
                        }
                    }
                    State::Dists => {
                        if let Some(name) = line
                            .strip_prefix("  ")
                            .filter(|name| !name.is_empty() && !name.contains(is_space))
                        {
                            stash = Some(Stash {
                                name: name.to_string(),
                                pathname: None,
                                provides: BTreeMap::new(),
                                requirements: Requirements::new(),
                            });
                            state = State::DistMeta;
                        } else if line.starts_with(|c: char| !is_space(c)) {
                            state = State::Section;
                            continue;
                        } else {
                            return Err(error());
                        }
                    }
                    State::DistMeta => {
                        if let Some(pathname) = line.strip_prefix("    pathname: ") {
                            if let Some(s) = stash.as_mut() {
                                s.pathname = Some(pathname.to_string());
                            }
                        } else if strip_spaces(line, 4) == Some("provides:") {
                            property_is_provides = true;
                            state = State::Properties;
                        } else if strip_spaces(line, 4) == Some("requirements:") {
                            property_is_provides = false;
                            state = State::Properties;
                        } else if indented_at_most(line, 2) {
                            if let Some(s) = stash.take() {
                                snapshot.distributions.push(SnapshotDistribution {
                                    name: s.name,
                                    pathname: s.pathname.unwrap_or_default(),
                                    provides: s.provides,
                                    requirements: s.requirements.as_string_hash(),
                                    sha256: None,
                                });
                            }
                            state = State::Dists;
                            continue;
                        } else {
                            return Err(error());
                        }
                    }
                    State::Properties => {
                        if let Some((module, version)) = property_line(line) {
                            if let Some(s) = stash.as_mut() {
                                if property_is_provides {
                                    let version = (version != "undef").then(|| version.to_string());
                                    s.provides.insert(module.to_string(), version);
                                } else {
                                    s.requirements
                                        .add_string_requirement(module, version)
                                        .map_err(|source| Error::SnapshotRequirement {
                                            line: number,
                                            source,
                                        })?;
                                }
                            }
                        } else if indented_at_most(line, 4) {
                            state = State::DistMeta;
                            continue;
                        } else {
                            return Err(error());
                        }
                    }
                }
                break;
            }
        }
        Ok(snapshot)
    }

    /// Writes the snapshot exactly as Carton's emitter writes the same data: distributions
    /// sorted by name (a stable sort, so distributions of the same name keep their order),
    /// packages and modules sorted, `undef` for a package without version, and each
    /// requirement as `CPAN::Meta::Requirements` writes it (`>= 1.2` becomes `1.2`; a
    /// requirement of only commas makes the module disappear, as in Carton).
    ///
    /// Unlike Carton, it refuses ([`Error::Unrepresentable`]) data its parser would not read
    /// back as the same: a name that is empty or has white space, a package or module name
    /// outside `[0-9A-Za-z_:]`, a pathname with a line break, a version Carton's parser would
    /// read differently (`1.0-TRIAL`, `undef` as a string). Requirements
    /// `CPAN::Meta::Requirements` refuses are an [`Error::InvalidRequirement`] (Carton would
    /// die adding them).
    pub fn emit(&self) -> Result<String, Error> {
        let mut out = String::new();
        out.push_str(HEADER);
        out.push_str("\nDISTRIBUTIONS\n");
        let mut distributions: Vec<&SnapshotDistribution> = self.distributions.iter().collect();
        distributions.sort_by(|a, b| a.name.cmp(&b.name));
        for dist in distributions {
            let unrepresentable = |problem: String| Error::Unrepresentable {
                distribution: dist.name.clone(),
                problem,
            };
            if dist.name.is_empty() || dist.name.contains(is_space) {
                return Err(unrepresentable(
                    "a distribution name must be non-empty, without white space".to_string(),
                ));
            }
            if dist.pathname.contains('\n') || dist.pathname.ends_with('\r') {
                return Err(unrepresentable(format!(
                    "the pathname {:?} has a line break",
                    dist.pathname
                )));
            }
            out.push_str(&format!(
                "  {}\n    pathname: {}\n    provides:\n",
                dist.name, dist.pathname
            ));
            for (package, version) in &dist.provides {
                check_name(package).map_err(&unrepresentable)?;
                let version = match version {
                    None => "undef",
                    Some(v) if v != "undef" && version_reads_back(v) => v,
                    Some(v) => {
                        return Err(unrepresentable(format!(
                            "the version {v:?} of package {package:?} would be read back as {:?}",
                            capture_version(v).unwrap_or("nothing (a parse error)")
                        )))
                    }
                };
                out.push_str(&format!("      {package} {version}\n"));
            }
            out.push_str("    requirements:\n");
            let requirements = dist.requirements()?;
            for (module, requirement) in requirements.as_string_hash() {
                check_name(&module).map_err(&unrepresentable)?;
                if !version_reads_back(&requirement) {
                    return Err(unrepresentable(format!(
                        "the requirement {requirement:?} of module {module:?} cannot be written"
                    )));
                }
                out.push_str(&format!("      {module} {requirement}\n"));
            }
        }
        Ok(out)
    }

    /// Carton's `find`: the first distribution that provides the package.
    pub fn find(&self, package: &str) -> Option<&SnapshotDistribution> {
        self.distributions
            .iter()
            .find(|d| d.provides_module(package))
    }
}

/// A package or module name must be `[0-9A-Za-z_:]+` for Carton's parser.
fn check_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.chars().all(is_name_char) {
        Ok(())
    } else {
        Err(format!(
            "the name {name:?} is not made of letters, digits, `_` and `:`"
        ))
    }
}

/// Whether a property line with this version reads back this version.
fn version_reads_back(version: &str) -> bool {
    !version.contains('\n') && !version.ends_with('\r') && capture_version(version) == Some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# carton snapshot format: version 1.0
DISTRIBUTIONS
  Foo-Bar-1.23
    pathname: A/AU/AUTHOR/Foo-Bar-1.23.tar.gz
    provides:
      Foo::Bar 1.23
      Foo::Bar::Util undef
    requirements:
      ExtUtils::MakeMaker 6.58
      perl 5.008001
  Baz-0.01
    pathname: B/BA/BAZ/Baz-0.01.tar.gz
    provides:
      Baz 0.01
    requirements:
      Foo::Bar >= 1.2, < 2
";

    #[test]
    fn reads_a_snapshot() {
        let s = Snapshot::parse(SAMPLE).unwrap();
        assert_eq!(s.distributions.len(), 2);
        let foo = &s.distributions[0];
        assert_eq!(foo.name, "Foo-Bar-1.23");
        assert_eq!(foo.pathname, "A/AU/AUTHOR/Foo-Bar-1.23.tar.gz");
        assert_eq!(foo.provides["Foo::Bar"].as_deref(), Some("1.23"));
        assert_eq!(foo.provides["Foo::Bar::Util"], None);
        assert_eq!(foo.requirements["perl"], "5.008001");
        assert_eq!(s.distributions[1].requirements["Foo::Bar"], ">= 1.2, < 2");
        assert_eq!(s.find("Baz").map(|d| d.name.as_str()), Some("Baz-0.01"));
    }

    #[test]
    fn writes_sorted_like_carton() {
        let s = Snapshot::parse(SAMPLE).unwrap();
        let written = s.emit().unwrap();
        let expected = "# carton snapshot format: version 1.0
DISTRIBUTIONS
  Baz-0.01
    pathname: B/BA/BAZ/Baz-0.01.tar.gz
    provides:
      Baz 0.01
    requirements:
      Foo::Bar >= 1.2, < 2
  Foo-Bar-1.23
    pathname: A/AU/AUTHOR/Foo-Bar-1.23.tar.gz
    provides:
      Foo::Bar 1.23
      Foo::Bar::Util undef
    requirements:
      ExtUtils::MakeMaker 6.58
      perl 5.008001
";
        assert_eq!(written, expected);
        assert_eq!(Snapshot::parse(&written).unwrap().emit().unwrap(), expected);
    }

    #[test]
    fn requirements_are_normalized_and_merged() {
        let text = "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n    \
                    requirements:\n      Foo >= 1.0\n      Foo < 2\n      Bar v1.2\n      Gone ,\n";
        let s = Snapshot::parse(text).unwrap();
        let reqs = &s.distributions[0].requirements;
        assert_eq!(reqs["Foo"], ">= 1.0, < 2");
        assert_eq!(reqs["Bar"], "v1.2.0");
        assert!(!reqs.contains_key("Gone"));
        assert_eq!(s.distributions[0].pathname, "");
    }

    #[test]
    fn refuses_what_carton_refuses() {
        let cases = [
            ("", 1, "__EOF__"),
            ("# carton snapshot format: version 2.0\n", 1, "# carton snapshot format: version 2.0"),
            ("# carton snapshot format: version 1.0\n\nDISTRIBUTIONS\n", 2, ""),
            (
                "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n    sha256: ab\n",
                4,
                "    sha256: ab",
            ),
            (
                "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n    provides:\n      Foo 1.0\nCHECKSUMS\n",
                6,
                "CHECKSUMS",
            ),
        ];
        for (text, line, bad) in cases {
            match Snapshot::parse(text) {
                Err(Error::SnapshotSyntax { line: l, text: t }) => {
                    assert_eq!((l, t.as_str()), (line, bad), "{text:?}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let bad_req = "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  A-1\n    \
                       requirements:\n      Foo 1.0 \n";
        assert_eq!(
            Snapshot::parse(bad_req).unwrap_err().to_string(),
            "line 5: Can't convert '1.0 ': Invalid version: Version string '1.0 ' contains \
             invalid data; ignoring: ' '"
        );
    }

    #[test]
    fn refuses_to_write_what_cannot_be_read_back() {
        let mut dist = SnapshotDistribution {
            name: "Foo-1.0".into(),
            pathname: "F/FO/FOO/Foo-1.0.tar.gz".into(),
            ..SnapshotDistribution::default()
        };
        dist.provides.insert("Foo".into(), Some("1.0-TRIAL".into()));
        let s = Snapshot {
            distributions: vec![dist],
        };
        assert_eq!(
            s.emit().unwrap_err().to_string(),
            "distribution \"Foo-1.0\": the version \"1.0-TRIAL\" of package \"Foo\" would be \
             read back as \"1.0\""
        );
    }

    #[test]
    fn lines_split_like_perl() {
        assert_eq!(split_lines("a\r\nb\n\n"), ["a", "b"]);
        assert_eq!(split_lines("a\rb\r"), ["a\rb\r"]);
        assert_eq!(split_lines("\na"), ["", "a"]);
        assert!(split_lines("").is_empty());
    }
}
