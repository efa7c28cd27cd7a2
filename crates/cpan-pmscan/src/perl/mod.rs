//! A small Perl evaluator for `$VERSION` lines: a parser for the subset of Perl such lines
//! use, and an interpreter over Perl scalars in an empty sandbox.

pub mod ast;
pub mod interp;
pub mod parser;
pub mod sprintf;
pub mod value;
