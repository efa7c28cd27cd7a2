//! Format-independent checks: every entry a format reader finds goes through [`Collector`],
//! which enforces the limits and path rules and keeps the wanted contents.

use crate::{ArchiveError, Entry, EntryKind, Limits};
use std::collections::{BTreeMap, HashSet};

/// An entry's kind as the format reader saw it, before any checks.
pub(crate) enum RawKind<'a> {
    File,
    Directory,
    Symlink(&'a [u8]),
    Hardlink(&'a [u8]),
    Special(&'static str),
}

/// An entry as the format reader saw it.
pub(crate) struct RawEntry<'a> {
    pub(crate) path: &'a [u8],
    pub(crate) kind: RawKind<'a>,
    pub(crate) mode: u32,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
}

/// Whose path syntax applies: zip names may also use `\` and drive letters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Tar,
    Zip,
}

impl Syntax {
    fn is_separator(self, c: char) -> bool {
        c == '/' || (self == Syntax::Zip && c == '\\')
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Removes the old-style leading `./` (repeatedly) and trailing `/`; the archive root
/// itself (`./`, `.`) becomes ".".
pub(crate) fn normalize(path: &str) -> String {
    let mut rest = path;
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped.trim_start_matches('/');
    }
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        ".".to_string()
    } else {
        rest.to_string()
    }
}

fn is_absolute(path: &str, syntax: Syntax) -> bool {
    if path.starts_with('/') {
        return true;
    }
    if syntax == Syntax::Zip {
        let bytes = path.as_bytes();
        let drive = matches!(bytes, [letter, b':', ..] if letter.is_ascii_alphabetic());
        return path.starts_with('\\') || drive;
    }
    false
}

/// Applies the path rules to a stored name and returns it normalized.
fn check_path(raw: &[u8], syntax: Syntax, limits: &Limits) -> Result<String, ArchiveError> {
    if raw.len() > limits.max_path_len {
        return Err(ArchiveError::PathTooLong {
            path: lossy(raw.get(..limits.max_path_len.min(200)).unwrap_or(raw)) + "…",
            len: raw.len(),
            limit: limits.max_path_len,
        });
    }
    let text = lossy(raw);
    if raw.contains(&0) {
        return Err(ArchiveError::NulInPath { path: text });
    }
    if is_absolute(&text, syntax) {
        return Err(ArchiveError::AbsolutePath { path: text });
    }
    let mut depth = 0usize;
    for component in text.split(|c| syntax.is_separator(c)) {
        match component {
            "" | "." => {}
            ".." => return Err(ArchiveError::PathTraversal { path: text }),
            _ => depth += 1,
        }
    }
    if depth > limits.max_depth {
        return Err(ArchiveError::PathTooDeep {
            path: text,
            depth,
            limit: limits.max_depth,
        });
    }
    Ok(normalize(&text))
}

/// Whether a symlink at `link` pointing to `target` resolves outside the tree.
fn symlink_escapes(link: &str, target: &str, syntax: Syntax) -> bool {
    if is_absolute(target, syntax) {
        return true;
    }
    let mut stack: Vec<&str> = link
        .split(|c| syntax.is_separator(c))
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    // The link itself is not a directory its target is resolved in.
    stack.pop();
    for component in target.split(|c| syntax.is_separator(c)) {
        match component {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return true;
                }
            }
            other => stack.push(other),
        }
    }
    false
}

/// Gathers entries and contents while enforcing the limits.
pub(crate) struct Collector<'l, 'w> {
    limits: &'l Limits,
    syntax: Syntax,
    want: &'w mut dyn FnMut(&Entry) -> bool,
    pub(crate) entries: Vec<Entry>,
    pub(crate) contents: BTreeMap<String, Vec<u8>>,
    earlier: HashSet<String>,
    /// Sum of the sizes of the File entries so far.
    pub(crate) total_size: u64,
}

/// What the format reader must do with an admitted entry's data.
pub(crate) struct Admitted {
    /// Keep the data in `contents` under this path.
    pub(crate) keep: Option<String>,
}

impl<'l, 'w> Collector<'l, 'w> {
    pub(crate) fn new(
        limits: &'l Limits,
        syntax: Syntax,
        want: &'w mut dyn FnMut(&Entry) -> bool,
    ) -> Self {
        Collector {
            limits,
            syntax,
            want,
            entries: Vec::new(),
            contents: BTreeMap::new(),
            earlier: HashSet::new(),
            total_size: 0,
        }
    }

    /// Checks one entry against every rule and records it.
    pub(crate) fn admit(&mut self, raw: RawEntry<'_>) -> Result<Admitted, ArchiveError> {
        let limits = self.limits;
        if self.entries.len() as u64 >= limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let path = check_path(raw.path, self.syntax, limits)?;
        let kind = match raw.kind {
            RawKind::File => EntryKind::File,
            RawKind::Directory => EntryKind::Directory,
            RawKind::Special(kind) => return Err(ArchiveError::SpecialFile { path, kind }),
            RawKind::Symlink(target) => {
                let target_text = lossy(target);
                if target.contains(&0) {
                    return Err(ArchiveError::NulInPath { path: target_text });
                }
                if symlink_escapes(&path, &target_text, self.syntax) {
                    return Err(ArchiveError::SymlinkEscapes {
                        path,
                        target: target_text,
                    });
                }
                EntryKind::Symlink {
                    target: target_text,
                }
            }
            RawKind::Hardlink(target) => {
                let target_text = lossy(target);
                let resolved = check_path(target, self.syntax, limits).ok();
                match resolved {
                    Some(resolved) if self.earlier.contains(&resolved) => {}
                    _ => {
                        return Err(ArchiveError::HardlinkOutside {
                            path,
                            target: target_text,
                        })
                    }
                }
                EntryKind::Hardlink {
                    target: target_text,
                }
            }
        };
        let size = if kind == EntryKind::File { raw.size } else { 0 };
        if size > limits.max_entry_size {
            return Err(ArchiveError::EntryTooLarge {
                path,
                size,
                limit: limits.max_entry_size,
            });
        }
        self.total_size = self.total_size.saturating_add(size);
        if self.total_size > limits.max_total_size {
            return Err(ArchiveError::TotalTooLarge {
                path,
                limit: limits.max_total_size,
            });
        }
        let entry = Entry {
            path,
            kind,
            mode: raw.mode & 0o7777,
            size,
            mtime: raw.mtime,
        };
        let keep = entry.kind == EntryKind::File && (self.want)(&entry);
        let keep = keep.then(|| entry.path.clone());
        self.earlier.insert(entry.path.clone());
        self.entries.push(entry);
        Ok(Admitted { keep })
    }

    /// Stores the bytes of a kept entry. A later entry of the same path replaces an earlier
    /// one, as it would on extraction.
    pub(crate) fn store(&mut self, path: String, bytes: Vec<u8>) {
        self.contents.insert(path, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_old_style_prefixes() {
        assert_eq!(normalize("./Foo-1/"), "Foo-1");
        assert_eq!(normalize("./"), ".");
        assert_eq!(normalize("././a"), "a");
        assert_eq!(normalize("Foo-1/lib/"), "Foo-1/lib");
    }

    #[test]
    fn symlink_resolution() {
        assert!(symlink_escapes("Foo-1/x", "../../etc/passwd", Syntax::Tar));
        assert!(!symlink_escapes("Foo-1/x", "../Foo-1/y", Syntax::Tar));
        assert!(!symlink_escapes("Foo-1/a/x", "../y", Syntax::Tar));
        assert!(symlink_escapes("Foo-1/x", "/etc/passwd", Syntax::Tar));
        assert!(symlink_escapes("x", "..", Syntax::Tar));
        assert!(symlink_escapes("Foo-1\\x", "..\\..\\y", Syntax::Zip));
    }
}
