//! What a perl has tested, so that a release is not tested twice (CPAN::Reporter's history
//! file, one per perl): one line per release, `path<TAB>outcome<TAB>unix time`, appended as each
//! result is in. Releases whose report could not be sent are not recorded (the next run tries
//! again); discards are (the Smoker does not retry them either).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::SmokeError;

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The release's path below `authors/id/`.
    pub path: String,
    /// `pass`, `fail`, `na`, `unknown` or `discard`.
    pub outcome: String,
    /// When (Unix time).
    pub at: u64,
}

impl HistoryEntry {
    /// The line written for it (without the newline).
    pub fn line(&self) -> String {
        format!("{}\t{}\t{}", self.path, self.outcome, self.at)
    }
}

/// The entries of a history file's text, by path (the last line for a path wins); comment lines
/// (`#`) and lines that are not three fields are skipped.
pub fn parse_history(text: &str) -> BTreeMap<String, HistoryEntry> {
    let mut entries = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(path), Some(outcome), Some(at), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(at) = at.parse() else {
            continue;
        };
        entries.insert(
            path.to_string(),
            HistoryEntry {
                path: path.to_string(),
                outcome: outcome.to_string(),
                at,
            },
        );
    }
    entries
}

/// A perl's history on disk.
#[derive(Debug)]
pub struct History {
    file: PathBuf,
    entries: BTreeMap<String, HistoryEntry>,
}

impl History {
    /// The history in `file` (empty when there is none yet); `about` is written as a comment
    /// when the file is created (which perl it is for).
    pub fn open(file: &Path, about: &str) -> Result<History, SmokeError> {
        let io = |what: &str| {
            let what = format!("{what} {}", file.display());
            move |source| SmokeError::Io { what, source }
        };
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(io("creating the directory of"))?;
        }
        let entries = match std::fs::read_to_string(file) {
            Ok(text) => parse_history(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(file, format!("# riverpan smoke history: {about}\n"))
                    .map_err(io("creating"))?;
                BTreeMap::new()
            }
            Err(error) => return Err(io("reading")(error)),
        };
        Ok(History {
            file: file.to_path_buf(),
            entries,
        })
    }

    /// Whether `path` was tested before.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// The file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Records an entry (appended at once: a run stopped later keeps what it did).
    pub fn record(&mut self, entry: HistoryEntry) -> Result<(), SmokeError> {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.file)
            .and_then(|mut file| {
                writeln!(file, "{}", entry.line())?;
                Ok(file)
            })
            .map_err(|source| SmokeError::Io {
                what: format!("writing {}", self.file.display()),
                source,
            })?;
        let _ = file.flush();
        self.entries.insert(entry.path.clone(), entry);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_the_last_one_wins() {
        let first = HistoryEntry {
            path: "A/AL/ALICE/Foo-1.0.tar.gz".into(),
            outcome: "fail".into(),
            at: 10,
        };
        let second = HistoryEntry {
            outcome: "pass".into(),
            at: 20,
            ..first.clone()
        };
        let text = format!(
            "# riverpan smoke history: perl 5.36.0\n{}\nnot a line\n{}\n",
            first.line(),
            second.line()
        );
        let entries = parse_history(&text);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries["A/AL/ALICE/Foo-1.0.tar.gz"], second);
    }

    #[test]
    fn a_history_file_keeps_what_was_recorded() -> Result<(), SmokeError> {
        let dir = tempfile::tempdir().map_err(|source| SmokeError::Io {
            what: "tempdir".into(),
            source,
        })?;
        let file = dir.path().join("h/perl.tsv");
        let mut history = History::open(&file, "perl 5.36.0")?;
        assert!(!history.contains("A/AL/ALICE/Foo-1.0.tar.gz"));
        history.record(HistoryEntry {
            path: "A/AL/ALICE/Foo-1.0.tar.gz".into(),
            outcome: "discard".into(),
            at: 1,
        })?;
        let again = History::open(&file, "perl 5.36.0")?;
        assert!(again.contains("A/AL/ALICE/Foo-1.0.tar.gz"));
        assert!(!again.contains("A/AL/ALICE/Foo-2.0.tar.gz"));
        Ok(())
    }
}
