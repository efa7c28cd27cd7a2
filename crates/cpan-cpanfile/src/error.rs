//! The crate's one error type.

use cpan_version::RequirementError;
use std::fmt;

/// A place in a cpanfile: 1-based line and 1-based column, counted in characters (a tab is one
/// column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Everything that can go wrong reading or writing a cpanfile, a `cpanfile.snapshot` or its
/// sha256 sidecar.
///
/// The cpanfile variants carry the [`Location`] of what was refused; the snapshot variants the
/// 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Perl code outside the static cpanfile subset this crate reads: variables, conditionals,
    /// statement modifiers, calls of anything but the cpanfile functions, operators, heredocs,
    /// interpolation... Reading it would need running Perl, so it is refused, never guessed.
    #[error("{location}: {found} is not supported in a cpanfile read without Perl: {reason}")]
    Unsupported {
        /// Where it starts.
        location: Location,
        /// What was found, e.g. `` variable `$^O` `` or `` `if` ``.
        found: String,
        /// Why it cannot be read, and what to write instead when there is a static equivalent.
        reason: String,
    },
    /// A token that cannot come at this place in the grammar (also refused by Perl, or read by
    /// Perl in a way the author hardly meant).
    #[error("{location}: expected {expected}, found {found}")]
    Syntax {
        /// Where the unexpected token starts.
        location: Location,
        /// What the grammar allows here.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A string, `q()`/`qq()`/`qw()` or block with no end.
    #[error("{location}: unterminated {what}")]
    Unterminated {
        /// Where it starts.
        location: Location,
        /// What is unterminated, e.g. `string`.
        what: String,
    },
    /// A cpanfile function called with arguments it cannot use (Module::CPANfile croaks on most
    /// of these, or silently ignores extra ones).
    #[error("{location}: {function}: {problem}")]
    Arguments {
        /// Where the call starts.
        location: Location,
        /// The function (`requires`, `on`, `feature`, `mirror`...).
        function: String,
        /// What is wrong with its arguments.
        problem: String,
    },
    /// `on PHASE => sub {...}` with a phase that is not `configure`, `build`, `test`, `runtime`
    /// or `develop` (Module::CPANfile keeps it, and CPAN::Meta::Prereqs silently drops it unless it
    /// starts with `x_`).
    #[error(
        "{location}: unknown phase {phase:?} (the phases are configure, build, test, runtime and develop)"
    )]
    UnknownPhase {
        /// Where the phase is written.
        location: Location,
        /// The phase as written.
        phase: String,
    },
    /// A per-module option other than `dist`, `mirror`, `url`, `git` and `ref`, the ones the
    /// installers (cpanm, cpm, Carton) read.
    #[error(
        "{location}: unknown option {option:?} for module {module:?} (the options are dist, mirror, url, git and ref)"
    )]
    UnknownOption {
        /// Where the option's name is written.
        location: Location,
        /// The module it is given for.
        module: String,
        /// The option's name.
        option: String,
    },
    /// A version requirement `CPAN::Meta::Requirements` refuses (`Can't convert ...`,
    /// `illegal requirements ...`). Module::CPANfile dies with the same message, when its
    /// prerequisites are first asked for.
    #[error("{location}: {source}")]
    Requirement {
        /// Where the requirement that takes effect is declared.
        location: Location,
        /// The module and Perl's message.
        source: RequirementError,
    },
    /// `prereqs_with`/`effective_prereqs` was asked for a feature the cpanfile does not declare.
    #[error("unknown feature {0:?}")]
    UnknownFeature(String),
    /// Merging prerequisites (main and features, or several phases) gave requirements no
    /// version satisfies.
    #[error("{phase} {relationship}: {source}")]
    Merge {
        /// The phase of the conflicting requirements.
        phase: String,
        /// Their relationship.
        relationship: String,
        /// The module and Perl's message.
        source: RequirementError,
    },
    /// A `cpanfile.snapshot` line Carton's parser refuses (its message is
    /// `Could not parse snapshot file: LINE`). Line `lines + 1` is the end of the file.
    #[error("line {line}: could not parse snapshot file: {text:?}")]
    SnapshotSyntax {
        /// The 1-based line number.
        line: usize,
        /// The line (`__EOF__` at the end of the file, as Carton says).
        text: String,
    },
    /// A snapshot requirement line whose requirement `CPAN::Meta::Requirements` refuses (Carton
    /// dies with the same message).
    #[error("line {line}: {source}")]
    SnapshotRequirement {
        /// The 1-based line number.
        line: usize,
        /// The module and Perl's message.
        source: RequirementError,
    },
    /// A distribution whose requirements `CPAN::Meta::Requirements` refuses, given to the
    /// snapshot writer (Carton would die adding them).
    #[error("distribution {distribution:?}: {source}")]
    InvalidRequirement {
        /// The distribution's name.
        distribution: String,
        /// The module and Perl's message.
        source: RequirementError,
    },
    /// Data the snapshot format cannot hold: Carton's emitter would write it, and its parser
    /// would then refuse the file or read back something else.
    #[error("distribution {distribution:?}: {problem}")]
    Unrepresentable {
        /// The distribution's name.
        distribution: String,
        /// What cannot be written, and why.
        problem: String,
    },
    /// A line of a sha256 sidecar that is not `HEX  PATHNAME` (or `HEX *PATHNAME`).
    #[error("sha256 sidecar line {line}: not a `SHA256  PATHNAME` line: {text:?}")]
    Sha256Syntax {
        /// The 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A sha256 sidecar entry for a pathname no distribution of the snapshot has (the sidecar is
    /// stale), or a second entry for one pathname.
    #[error("sha256 sidecar line {line}: {problem}: {pathname:?}")]
    Sha256Entry {
        /// The 1-based line number.
        line: usize,
        /// The pathname.
        pathname: String,
        /// `no distribution has this pathname` or `second entry for this pathname`.
        problem: String,
    },
    /// Two distributions with the same pathname but different sha256, given to the sidecar
    /// writer.
    #[error("pathname {pathname:?} has two different sha256 digests")]
    Sha256Conflict {
        /// The pathname.
        pathname: String,
    },
}
