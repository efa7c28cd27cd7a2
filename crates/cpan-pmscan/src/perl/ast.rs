//! The syntax tree of the Perl subset the evaluator understands.

use super::value::Sv;

/// How a variable is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decl {
    /// `my`
    My,
    /// `our`
    Our,
    /// `local`
    Local,
}

/// A piece of an interpolating string.
#[derive(Debug, Clone)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A scalar variable (`$name`, `${name}`, `$1`).
    Scalar(String),
    /// An array variable, joined with a space.
    Array(String),
}

/// A regular expression literal, already translated for the `regex` crate.
#[derive(Debug, Clone)]
pub struct RegexLit {
    /// The translated pattern.
    pub pattern: String,
    /// `/g`
    pub global: bool,
}

/// An expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant.
    Const(Sv),
    /// An interpolating string.
    Interp(Vec<Part>),
    /// `qw(...)`: a list of constant strings.
    Words(Vec<String>),
    /// A parenthesized list (also `()`).
    List(Vec<Expr>),
    /// `$name` (name as written, without sigil).
    Scalar(String),
    /// `@name`
    Array(String),
    /// `$#name`
    LastIndex(String),
    /// `$name[index]`
    Elem(String, Box<Expr>),
    /// `*name`
    Glob(String),
    /// `my`/`our`/`local` with the declared expression; `true` when parenthesized.
    Declare(Decl, Box<Expr>),
    /// `lhs = rhs`
    Assign(Box<Expr>, Box<Expr>),
    /// `lhs op= rhs` (op as written without `=`).
    OpAssign(String, Box<Expr>, Box<Expr>),
    /// A binary operator.
    Binary(String, Box<Expr>, Box<Expr>),
    /// A unary operator (`!`, `-`, `+`, `not`).
    Unary(String, Box<Expr>),
    /// `&&`, `||`, `//`, `and`, `or` (short-circuit).
    Logical(String, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `target =~ m//` (`negate` for `!~`); no target means `$_`.
    Match {
        /// The string matched.
        target: Option<Box<Expr>>,
        /// The pattern.
        regex: RegexLit,
        /// `!~`
        negate: bool,
    },
    /// `target =~ s///`
    Subst {
        /// The lvalue changed.
        target: Option<Box<Expr>>,
        /// The pattern.
        regex: RegexLit,
        /// The replacement, an interpolating string.
        replacement: Vec<Part>,
        /// `/r`
        keep: bool,
    },
    /// `target =~ tr///`
    Trans {
        /// The lvalue changed.
        target: Option<Box<Expr>>,
        /// Characters searched, ranges expanded.
        search: Vec<char>,
        /// Replacement characters, ranges expanded.
        replace: Vec<char>,
        /// `/d`
        delete: bool,
        /// `/r`
        keep: bool,
    },
    /// A call of a named function; `parens` when written with parentheses.
    Call(String, Vec<Expr>),
    /// `invocant->method(args)`.
    Method(Box<Expr>, String, Vec<Expr>),
    /// A bareword used as a class name or string.
    Bareword(String),
    /// `(list)[indexes]`
    Slice(Box<Expr>, Box<Expr>),
    /// `do { ... }`
    Do(Vec<Stmt>),
    /// `eval { ... }`
    EvalBlock(Vec<Stmt>),
    /// `\expr`
    Ref(Box<Expr>),
    /// `$$name` / `${$name}`: dereference of a scalar reference.
    Deref(Box<Expr>),
    /// `lhs x rhs`; `list` when the left side was a parenthesized list.
    Repeat(Box<Expr>, Box<Expr>, bool),
    /// `__PACKAGE__`
    CurrentPackage,
}

/// A statement.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// An expression statement.
    Expr(Expr),
    /// `package NAME;`
    Package(String),
    /// `package NAME { ... }`
    PackageBlock(String, Vec<Stmt>),
    /// A bare block `{ ... }`.
    Block(Vec<Stmt>),
    /// Something Perl refuses to compile in PAUSE's Safe compartment (`use`, `require`, …),
    /// with the message.
    Trapped(String),
}
