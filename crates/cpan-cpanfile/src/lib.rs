//! The two files a Perl application's dependencies are written in, read and written without
//! running Perl:
//!
//! * **`cpanfile`** ([`Cpanfile`]), the Perl DSL of `Module::CPANfile` 1.1004: `requires`,
//!   `recommends`, `suggests`, `conflicts`, the `configure_requires`/`build_requires`/
//!   `test_requires`/`author_requires` shortcuts, `on PHASE => sub { ... }`,
//!   `feature ID, DESCRIPTION => sub { ... }`, `mirror`, per-module options (`dist`, `mirror`,
//!   `url`, `git`, `ref`). A small tokenizer and parser read the static subset of Perl that
//!   cpanfiles are written in: string literals (`'...'`, `"..."` without interpolation, `q()`,
//!   `qq()`, `qw()`), numbers (stringified as Perl does: `1.10` is `1.1`), v-strings, words
//!   before `=>`, `,`, parentheses around a call's arguments, comments, POD, `__END__`,
//!   `use strict`/`use warnings`. Anything else (variables, conditions, statement modifiers,
//!   other function calls, operators, heredocs) is an [`Error`] with its line and column, never
//!   a guess. Prerequisites follow Module::CPANfile: in a phase and relationship a module
//!   declared twice keeps its last requirement; requirements are `CPAN::Meta::Requirements`
//!   ranges (`cpan-version`), merged across features by [`Cpanfile::effective_prereqs`].
//! * **`cpanfile.snapshot`** ([`Snapshot`]), Carton's lock file (format 1.0): read as Carton
//!   1.0.35's parser reads it and written byte for byte as its emitter writes it. The sha256 of
//!   each locked tarball, which that format cannot hold, goes to a sidecar file
//!   ([`SHA256_SIDECAR_FILE_NAME`], whose documentation says why).
//!
//! ```
//! use cpan_cpanfile::{Cpanfile, Phase, Relationship, Snapshot};
//!
//! let cpanfile = Cpanfile::parse("requires 'Plack', '1.0';\nrequires 'Plack', '< 2';\n").unwrap();
//! // The last declaration wins, as in Module::CPANfile.
//! assert_eq!(
//!     cpanfile.prereqs().requirement_for_module(Phase::Runtime, Relationship::Requires, "Plack"),
//!     Some("< 2".to_string())
//! );
//!
//! let err = Cpanfile::parse("requires 'Win32' if $^O eq 'MSWin32';").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "line 1, column 18: the statement modifier `if` is not supported in a cpanfile read \
//!      without Perl: conditions and loops need Perl to evaluate them"
//! );
//!
//! let snapshot = Snapshot::parse(
//!     "# carton snapshot format: version 1.0\nDISTRIBUTIONS\n  Plack-1.0050\n    \
//!      pathname: M/MI/MIYAGAWA/Plack-1.0050.tar.gz\n    provides:\n      Plack 1.0050\n    \
//!      requirements:\n      perl 5.008001\n",
//! )
//! .unwrap();
//! assert_eq!(snapshot.distributions[0].provides["Plack"].as_deref(), Some("1.0050"));
//! ```

mod cpanfile;
mod error;
mod lexer;
mod number;
mod parser;
mod prereqs;
mod sha256;
mod snapshot;
#[cfg(test)]
mod tests;

pub use cpan_version::{RequirementError, Requirements, VersionRange};
pub use cpanfile::{Cpanfile, Declaration, Feature, ModuleOptions};
pub use error::{Error, Location};
pub use prereqs::{Phase, PrereqHash, Prereqs, Relationship};
pub use sha256::{Sha256, SHA256_SIDECAR_FILE_NAME};
pub use snapshot::{Snapshot, SnapshotDistribution};
