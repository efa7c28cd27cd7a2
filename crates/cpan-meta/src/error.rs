//! The one error type of the crate.

use std::fmt;

/// Which step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The YAML reader (`CPAN::Meta::YAML`) refused the text.
    Yaml,
    /// The JSON reader (`JSON::PP`) refused the text.
    Json,
    /// `CPAN::Meta::Converter` died, or its result failed `CPAN::Meta::Validator`.
    Conversion,
}

/// A parse or conversion failure, with the line (1-based, of the original text) and column
/// (1-based, in characters) where known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct MetaError {
    kind: ErrorKind,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

impl MetaError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> MetaError {
        MetaError {
            kind,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, line: usize, column: Option<usize>) -> MetaError {
        self.line = Some(line);
        self.column = column;
        self
    }

    /// Which step failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The 1-based line of the input where the problem was found.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column (in characters) where the problem was found.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The reason, worded after the Perl module's own message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, " (line {line}, column {column})"),
            (Some(line), None) => write!(f, " (line {line})"),
            _ => Ok(()),
        }
    }
}
