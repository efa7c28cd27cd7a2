//! A recursive-descent parser for the Perl subset of `$VERSION` lines.
//!
//! Perl's grammar is context dependent (`/` is a division after a term and a pattern before
//! one), so the parser reads characters directly instead of a token stream.

use super::ast::{Decl, Expr, Part, RegexLit, Stmt};
use super::value::Sv;

/// Why a piece of code could not be turned into a syntax tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Perl itself refuses to compile this (unterminated string, unbalanced brackets, an
    /// operation PAUSE's Safe compartment traps at compile time): evaluating it dies.
    Dies(String),
    /// Outside the subset riverpan evaluates: what Perl would do is not known here.
    Unsupported(String),
}

type PResult<T> = Result<T, ParseError>;

/// Deeper nesting than this is refused (as unsupported) rather than risking the stack.
const MAX_DEPTH: usize = 40;

/// Functions taking one argument with named-unary-operator precedence.
const NAMED_UNARY: &[&str] = &[
    "defined",
    "undef",
    "length",
    "int",
    "lc",
    "uc",
    "lcfirst",
    "ucfirst",
    "ref",
    "scalar",
    "hex",
    "oct",
    "chr",
    "ord",
    "abs",
    "quotemeta",
    "eval",
];

/// Functions taking a list, which the evaluator implements.
const LIST_OPS: &[&str] = &[
    "sprintf", "join", "split", "reverse", "substr", "index", "rindex", "qv", "die", "bless",
];

/// Operations outside the opcode set PAUSE's Safe compartment permits: compiling them dies
/// with "'…' trapped by operation mask".
const TRAPPED: &[&str] = &[
    "require", "print", "printf", "open", "close", "system", "exec", "time", "sort", "exit",
    "binmode", "sleep", "readline", "opendir", "readdir", "unlink", "mkdir", "rmdir", "chdir",
    "fork", "kill", "stat", "lstat", "eof", "qx", "readpipe", "syscall", "dump", "say",
];

/// Perl's built-in functions. A bareword call of a name outside this list and outside the
/// shared `version::` namespace dies at run time ("Undefined subroutine") in the sandbox.
const BUILTINS: &[&str] = &[
    "abs",
    "accept",
    "alarm",
    "atan2",
    "bind",
    "binmode",
    "bless",
    "caller",
    "chdir",
    "chmod",
    "chomp",
    "chop",
    "chown",
    "chr",
    "chroot",
    "close",
    "closedir",
    "connect",
    "cos",
    "crypt",
    "dbmclose",
    "dbmopen",
    "defined",
    "delete",
    "die",
    "do",
    "dump",
    "each",
    "eof",
    "eval",
    "exec",
    "exists",
    "exit",
    "exp",
    "fc",
    "fcntl",
    "fileno",
    "flock",
    "fork",
    "format",
    "formline",
    "getc",
    "getlogin",
    "getpeername",
    "getpgrp",
    "getppid",
    "getpriority",
    "glob",
    "gmtime",
    "goto",
    "grep",
    "hex",
    "index",
    "int",
    "ioctl",
    "join",
    "keys",
    "kill",
    "last",
    "lc",
    "lcfirst",
    "length",
    "link",
    "listen",
    "local",
    "localtime",
    "log",
    "lstat",
    "map",
    "mkdir",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "my",
    "next",
    "oct",
    "open",
    "opendir",
    "ord",
    "our",
    "pack",
    "pipe",
    "pop",
    "pos",
    "print",
    "printf",
    "prototype",
    "push",
    "quotemeta",
    "rand",
    "read",
    "readdir",
    "readline",
    "readlink",
    "readpipe",
    "recv",
    "redo",
    "ref",
    "rename",
    "require",
    "reset",
    "return",
    "reverse",
    "rewinddir",
    "rindex",
    "rmdir",
    "say",
    "scalar",
    "seek",
    "seekdir",
    "select",
    "semctl",
    "semget",
    "semop",
    "send",
    "setpgrp",
    "setpriority",
    "shift",
    "shutdown",
    "sin",
    "sleep",
    "socket",
    "socketpair",
    "sort",
    "splice",
    "split",
    "sprintf",
    "sqrt",
    "srand",
    "stat",
    "study",
    "substr",
    "symlink",
    "syscall",
    "sysopen",
    "sysread",
    "sysseek",
    "system",
    "syswrite",
    "tell",
    "telldir",
    "tie",
    "tied",
    "time",
    "times",
    "truncate",
    "uc",
    "ucfirst",
    "umask",
    "undef",
    "unlink",
    "unpack",
    "unshift",
    "untie",
    "utime",
    "values",
    "vec",
    "wait",
    "waitpid",
    "wantarray",
    "warn",
    "write",
];

/// Parses a whole program (the `$VERSION` line, or the code of a string `eval`).
pub fn parse_program(code: &str) -> PResult<Vec<Stmt>> {
    let mut parser = Parser {
        s: code.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let stmts = parser.statements(None)?;
    parser.skip_ws();
    if parser.pos < parser.s.len() {
        return Err(ParseError::Dies(
            "syntax error: unmatched right bracket".into(),
        ));
    }
    Ok(stmts)
}

struct Parser {
    s: Vec<char>,
    pos: usize,
    depth: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn unsupported<T>(what: impl Into<String>) -> PResult<T> {
    Err(ParseError::Unsupported(what.into()))
}

fn dies<T>(what: impl Into<String>) -> PResult<T> {
    Err(ParseError::Dies(what.into()))
}

fn closing_of(open: char) -> Option<char> {
    match open {
        '(' => Some(')'),
        '[' => Some(']'),
        '{' => Some('}'),
        '<' => Some('>'),
        _ => None,
    }
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.s.get(self.pos + offset).copied()
    }

    fn starts_with(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(k, c)| self.s.get(self.pos + k) == Some(&c))
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || c == '\x0b' {
                self.pos += 1;
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> PResult<()> {
        if self.eat(c) {
            Ok(())
        } else if self.pos >= self.s.len() {
            dies(format!("syntax error: missing {c}"))
        } else {
            unsupported(format!(
                "expected {c:?} at {:?}",
                self.s
                    .get(self.pos..)
                    .map(|r| r.iter().take(12).collect::<String>())
            ))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return unsupported("expression nested too deeply");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A word at the cursor (identifier characters, `::` and `'` package separators) without
    /// consuming it.
    fn peek_word(&self) -> Option<(String, usize)> {
        let mut i = self.pos;
        let first = *self.s.get(i)?;
        if !is_ident_start(first) {
            return None;
        }
        let mut word = String::new();
        while let Some(&c) = self.s.get(i) {
            if is_ident_char(c) {
                word.push(c);
                i += 1;
            } else if c == ':'
                && self.s.get(i + 1) == Some(&':')
                && self.s.get(i + 2).is_some_and(|&c| is_ident_char(c))
            {
                word.push_str("::");
                i += 2;
            } else {
                break;
            }
        }
        Some((word, i - self.pos))
    }

    /// Whether `=>` follows (after white space) position `at`: the word before is a string.
    fn fat_comma_at(&self, at: usize) -> bool {
        let mut i = at;
        while self.s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        self.s.get(i) == Some(&'=') && self.s.get(i + 1) == Some(&'>')
    }

    fn statements(&mut self, closing: Option<char>) -> PResult<Vec<Stmt>> {
        self.enter()?;
        let mut stmts = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => {
                    if closing.is_some() {
                        return dies("syntax error: missing right curly");
                    }
                    break;
                }
                Some(c) if Some(c) == closing => {
                    self.pos += 1;
                    break;
                }
                Some(';') => {
                    self.pos += 1;
                }
                Some('}') | Some(')') | Some(']') => {
                    return dies("syntax error: unmatched right bracket");
                }
                _ => {
                    let stmt = self.statement()?;
                    stmts.push(stmt);
                    self.skip_ws();
                    // A block statement needs no `;` after it.
                    let after_block =
                        matches!(stmts.last(), Some(Stmt::Block(_) | Stmt::PackageBlock(..)));
                    match self.peek() {
                        Some(';') => self.pos += 1,
                        None => {}
                        Some(c) if Some(c) == closing => {}
                        Some('}') if !after_block => {
                            return dies("syntax error: unmatched right bracket");
                        }
                        Some(_) if !after_block => {
                            return unsupported("unexpected text after a statement");
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        self.leave();
        Ok(stmts)
    }

    fn statement(&mut self) -> PResult<Stmt> {
        self.skip_ws();
        if self.peek() == Some('{') {
            self.pos += 1;
            return Ok(Stmt::Block(self.statements(Some('}'))?));
        }
        if let Some((word, len)) = self.peek_word() {
            if !self.fat_comma_at(self.pos + len) {
                match word.as_str() {
                    "package" => {
                        self.pos += len;
                        self.skip_ws();
                        let Some((name, nlen)) = self.peek_word() else {
                            return dies("syntax error after package");
                        };
                        self.pos += nlen;
                        self.skip_ws();
                        if self.peek().is_some_and(|c| c.is_ascii_digit() || c == 'v') {
                            return unsupported("package NAME VERSION inside the VERSION line");
                        }
                        if self.eat('{') {
                            return Ok(Stmt::PackageBlock(name, self.statements(Some('}'))?));
                        }
                        return Ok(Stmt::Package(name));
                    }
                    "use" | "no" => {
                        self.pos += len;
                        self.skip_ws();
                        let version_like = self.peek().is_some_and(|c| {
                            c.is_ascii_digit()
                                || (c == 'v' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
                        });
                        if version_like && word == "use" {
                            return unsupported("use VERSION");
                        }
                        return dies("'require' trapped by operation mask");
                    }
                    "BEGIN" | "END" | "INIT" | "CHECK" | "UNITCHECK" | "sub" | "format" => {
                        return unsupported(format!("{word} block"));
                    }
                    "if" | "unless" | "for" | "foreach" | "while" | "until" => {
                        return unsupported(format!("{word} statement"));
                    }
                    _ => {}
                }
            }
        }
        let expr = self.expr()?;
        self.skip_ws();
        if let Some((word, len)) = self.peek_word() {
            match word.as_str() {
                "if" | "unless" => {
                    self.pos += len;
                    let cond = self.expr()?;
                    let op = if word == "if" { "&&" } else { "||" };
                    return Ok(Stmt::Expr(Expr::Logical(
                        op.into(),
                        Box::new(cond),
                        Box::new(expr),
                    )));
                }
                "for" | "foreach" | "while" | "until" => {
                    return unsupported(format!("statement modifier {word}"));
                }
                _ => {}
            }
        }
        Ok(Stmt::Expr(expr))
    }

    /// The lowest precedence: `or`, `xor`, `and`, `not`, then a comma list.
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let mut left = self.and_expr()?;
        loop {
            self.skip_ws();
            if self.keyword("or") {
                let right = self.and_expr()?;
                left = Expr::Logical("||".into(), Box::new(left), Box::new(right));
            } else if self.keyword("xor") {
                return unsupported("xor");
            } else {
                break;
            }
        }
        self.leave();
        Ok(left)
    }

    fn keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        if let Some((w, len)) = self.peek_word() {
            if w == word && !self.fat_comma_at(self.pos + len) {
                self.pos += len;
                return true;
            }
        }
        false
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        while self.keyword("and") {
            let right = self.not_expr()?;
            left = Expr::Logical("&&".into(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if self.keyword("not") {
            self.enter()?;
            let inner = self.not_expr()?;
            self.leave();
            return Ok(Expr::Unary("!".into(), Box::new(inner)));
        }
        self.comma()
    }

    fn at_list_end(&mut self) -> bool {
        self.skip_ws();
        match self.peek() {
            None | Some(')') | Some(';') | Some('}') | Some(']') | Some(':') => true,
            Some(_) => {
                if let Some((w, _)) = self.peek_word() {
                    matches!(
                        w.as_str(),
                        "or" | "and"
                            | "if"
                            | "unless"
                            | "xor"
                            | "for"
                            | "foreach"
                            | "while"
                            | "until"
                    )
                } else {
                    false
                }
            }
        }
    }

    fn comma_sep(&mut self) -> bool {
        self.skip_ws();
        if self.peek() == Some(',') {
            self.pos += 1;
            return true;
        }
        if self.starts_with("=>") {
            self.pos += 2;
            return true;
        }
        false
    }

    /// A comma-separated list; a single element is returned as itself.
    fn comma(&mut self) -> PResult<Expr> {
        let first = self.assign()?;
        if !self.comma_sep() {
            return Ok(first);
        }
        let mut items = vec![first];
        loop {
            if self.at_list_end() {
                break;
            }
            items.push(self.assign()?);
            if !self.comma_sep() {
                break;
            }
        }
        Ok(Expr::List(items))
    }

    fn assign(&mut self) -> PResult<Expr> {
        self.enter()?;
        let left = self.ternary()?;
        self.skip_ws();
        const OPS: &[&str] = &[
            "**=", "||=", "&&=", "//=", "+=", "-=", "*=", "/=", ".=", "x=", "|=", "&=", "^=", "%=",
        ];
        for op in OPS {
            if self.starts_with(op) {
                self.pos += op.len();
                let right = self.assign()?;
                self.leave();
                let bare = op.trim_end_matches('=').to_string();
                return Ok(Expr::OpAssign(bare, Box::new(left), Box::new(right)));
            }
        }
        if self.peek() == Some('=') && !matches!(self.peek_at(1), Some('=') | Some('~') | Some('>'))
        {
            self.pos += 1;
            let right = self.assign()?;
            self.leave();
            return Ok(Expr::Assign(Box::new(left), Box::new(right)));
        }
        self.leave();
        Ok(left)
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let cond = self.range()?;
        self.skip_ws();
        if self.peek() == Some('?') {
            self.pos += 1;
            self.enter()?;
            let then = self.assign()?;
            self.expect(':')?;
            let otherwise = self.assign()?;
            self.leave();
            return Ok(Expr::Ternary(
                Box::new(cond),
                Box::new(then),
                Box::new(otherwise),
            ));
        }
        Ok(cond)
    }

    fn range(&mut self) -> PResult<Expr> {
        let left = self.oror()?;
        self.skip_ws();
        if self.starts_with("..") {
            return unsupported("range operator");
        }
        Ok(left)
    }

    fn oror(&mut self) -> PResult<Expr> {
        let mut left = self.andand()?;
        loop {
            self.skip_ws();
            let op = if self.starts_with("||") && !self.starts_with("||=") {
                "||"
            } else if self.starts_with("//") && !self.starts_with("//=") {
                "//"
            } else {
                break;
            };
            self.pos += 2;
            let right = self.andand()?;
            left = Expr::Logical(op.into(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn andand(&mut self) -> PResult<Expr> {
        let mut left = self.bitor()?;
        loop {
            self.skip_ws();
            if self.starts_with("&&") && !self.starts_with("&&=") {
                self.pos += 2;
                let right = self.bitor()?;
                left = Expr::Logical("&&".into(), Box::new(left), Box::new(right));
            } else {
                break;
            }
        }
        Ok(left)
    }

    fn bitor(&mut self) -> PResult<Expr> {
        let left = self.equality()?;
        self.skip_ws();
        let single = |p: &Parser, c: char| {
            p.peek() == Some(c) && p.peek_at(1) != Some(c) && p.peek_at(1) != Some('=')
        };
        if single(self, '|') || single(self, '^') || single(self, '&') {
            return unsupported("bitwise operator");
        }
        Ok(left)
    }

    fn equality(&mut self) -> PResult<Expr> {
        let mut left = self.relational()?;
        loop {
            self.skip_ws();
            let op = if self.starts_with("<=>") {
                "<=>"
            } else if self.starts_with("==") {
                "=="
            } else if self.starts_with("!=") {
                "!="
            } else if self.word_op("eq") {
                "eq"
            } else if self.word_op("ne") {
                "ne"
            } else if self.word_op("cmp") {
                "cmp"
            } else {
                break;
            };
            self.pos += op.len();
            let right = self.relational()?;
            left = Expr::Binary(op.into(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn word_op(&self, word: &str) -> bool {
        self.starts_with(word) && !self.peek_at(word.len()).is_some_and(is_ident_char)
    }

    fn relational(&mut self) -> PResult<Expr> {
        let mut left = self.uniop()?;
        loop {
            self.skip_ws();
            let op = if self.starts_with("<=") && !self.starts_with("<=>") {
                "<="
            } else if self.starts_with(">=") {
                ">="
            } else if self.peek() == Some('<') && self.peek_at(1) != Some('<') {
                "<"
            } else if self.peek() == Some('>') && self.peek_at(1) != Some('>') {
                ">"
            } else if self.word_op("lt") {
                "lt"
            } else if self.word_op("gt") {
                "gt"
            } else if self.word_op("le") {
                "le"
            } else if self.word_op("ge") {
                "ge"
            } else {
                break;
            };
            self.pos += op.len();
            let right = self.uniop()?;
            left = Expr::Binary(op.into(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// The level of named unary operators, whose operand is a shift expression.
    fn uniop(&mut self) -> PResult<Expr> {
        self.shift()
    }

    fn shift(&mut self) -> PResult<Expr> {
        let left = self.additive()?;
        self.skip_ws();
        if (self.starts_with("<<") || self.starts_with(">>")) && self.peek_at(2) != Some('=') {
            return unsupported("shift operator or here-document");
        }
        Ok(left)
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            self.skip_ws();
            let op = match (self.peek(), self.peek_at(1)) {
                (Some('+'), n) if n != Some('=') && n != Some('+') => "+",
                (Some('-'), n) if n != Some('=') && n != Some('-') => "-",
                (Some('.'), n) if n != Some('=') && n != Some('.') => ".",
                _ => break,
            };
            self.pos += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(op.into(), Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.binding()?;
        loop {
            self.skip_ws();
            let op = match (self.peek(), self.peek_at(1)) {
                (Some('*'), n) if n != Some('=') && n != Some('*') => "*",
                (Some('/'), n) if n != Some('=') && n != Some('/') => "/",
                (Some('%'), n) if n != Some('=') => "%",
                (Some('x'), n)
                    if n != Some('=')
                        && !n.is_some_and(|c| is_ident_char(c) && !c.is_ascii_digit()) =>
                {
                    "x"
                }
                _ => break,
            };
            self.pos += 1;
            let right = self.binding()?;
            left = if op == "x" {
                let list = matches!(left, Expr::List(_) | Expr::Words(_));
                Expr::Repeat(Box::new(left), Box::new(right), list)
            } else {
                Expr::Binary(op.into(), Box::new(left), Box::new(right))
            };
        }
        Ok(left)
    }

    fn binding(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            self.skip_ws();
            let negate = if self.starts_with("=~") {
                false
            } else if self.starts_with("!~") {
                true
            } else {
                break;
            };
            self.pos += 2;
            self.skip_ws();
            let right = self.unary()?;
            left = match right {
                Expr::Match {
                    target: None,
                    regex,
                    negate: false,
                } => Expr::Match {
                    target: Some(Box::new(left)),
                    regex,
                    negate,
                },
                Expr::Subst {
                    target: None,
                    regex,
                    replacement,
                    keep,
                } if !negate => Expr::Subst {
                    target: Some(Box::new(left)),
                    regex,
                    replacement,
                    keep,
                },
                Expr::Trans {
                    target: None,
                    search,
                    replace,
                    delete,
                    keep,
                } if !negate => Expr::Trans {
                    target: Some(Box::new(left)),
                    search,
                    replace,
                    delete,
                    keep,
                },
                _ => return unsupported("=~ with an expression on the right"),
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        self.enter()?;
        let result = match (self.peek(), self.peek_at(1)) {
            (Some('!'), n) if n != Some('~') && n != Some('=') => {
                self.pos += 1;
                Expr::Unary("!".into(), Box::new(self.unary()?))
            }
            (Some('\\'), _) => {
                self.pos += 1;
                Expr::Ref(Box::new(self.unary()?))
            }
            (Some('-'), n) if n != Some('-') && n != Some('=') => {
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_alphabetic())
                    && !self.peek_at(1).is_some_and(is_ident_char)
                {
                    return unsupported("file test operator");
                }
                Expr::Unary("-".into(), Box::new(self.unary()?))
            }
            (Some('+'), n) if n != Some('+') && n != Some('=') => {
                self.pos += 1;
                self.unary()?
            }
            (Some('~'), n) if n != Some('~') => {
                self.pos += 1;
                Expr::Unary("~".into(), Box::new(self.unary()?))
            }
            _ => self.power()?,
        };
        self.leave();
        Ok(result)
    }

    fn power(&mut self) -> PResult<Expr> {
        let base = self.postfix()?;
        self.skip_ws();
        if self.starts_with("**") && self.peek_at(2) != Some('=') {
            self.pos += 2;
            let exponent = self.unary()?;
            return Ok(Expr::Binary(
                "**".into(),
                Box::new(base),
                Box::new(exponent),
            ));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut term = self.primary()?;
        loop {
            self.skip_ws();
            if self.starts_with("++") || self.starts_with("--") {
                return unsupported("increment/decrement");
            }
            if self.starts_with("->") {
                self.pos += 2;
                self.skip_ws();
                match self.peek() {
                    Some('[') | Some('{') | Some('(') | Some('@') | Some('$') | Some('%') => {
                        return unsupported("dereference with ->");
                    }
                    _ => {}
                }
                let Some((method, len)) = self.peek_word() else {
                    return dies("syntax error after ->");
                };
                self.pos += len;
                self.skip_ws();
                let args = if self.peek() == Some('(') {
                    self.pos += 1;
                    self.paren_args()?
                } else {
                    Vec::new()
                };
                term = Expr::Method(Box::new(term), method, args);
                continue;
            }
            if self.peek() == Some('[') && matches!(term, Expr::List(_) | Expr::Words(_)) {
                self.pos += 1;
                let index = self.expr()?;
                self.expect(']')?;
                term = Expr::Slice(Box::new(term), Box::new(index));
                continue;
            }
            break;
        }
        Ok(term)
    }

    /// Arguments up to the closing parenthesis (the opening one was consumed).
    fn paren_args(&mut self) -> PResult<Vec<Expr>> {
        self.skip_ws();
        if self.eat(')') {
            return Ok(Vec::new());
        }
        let inner = self.expr()?;
        self.expect(')')?;
        Ok(match inner {
            Expr::List(items) => items,
            other => vec![other],
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let Some(c) = self.peek() else {
            return dies("syntax error: unexpected end of code");
        };
        match c {
            '(' => {
                self.pos += 1;
                self.skip_ws();
                if self.eat(')') {
                    return Ok(Expr::List(Vec::new()));
                }
                let inner = self.expr()?;
                self.expect(')')?;
                Ok(match inner {
                    Expr::List(items) => Expr::List(items),
                    other => Expr::List(vec![other]),
                })
            }
            '$' => self.scalar_term(),
            '@' => {
                self.pos += 1;
                if let Some((name, len)) = self.peek_word() {
                    self.pos += len;
                    Ok(Expr::Array(name))
                } else if self.starts_with("::") {
                    unsupported("@::name")
                } else {
                    unsupported("array expression")
                }
            }
            '*' => {
                self.pos += 1;
                if self.starts_with("::") {
                    self.pos += 2;
                }
                if let Some((name, len)) = self.peek_word() {
                    self.pos += len;
                    Ok(Expr::Glob(name))
                } else {
                    unsupported("glob expression")
                }
            }
            '%' | '&' | '[' | '{' | '<' => unsupported(format!("term starting with {c:?}")),
            '\'' => {
                self.pos += 1;
                let raw = self.delimited('\'')?;
                Ok(Expr::Const(Sv::Str(single_quoted(&raw, '\''))))
            }
            '"' => {
                self.pos += 1;
                let raw = self.delimited('"')?;
                Ok(Expr::Interp(interpolate(&raw, '"')?))
            }
            '`' => dies("'quoted execution (``, qx)' trapped by operation mask"),
            '/' => {
                self.pos += 1;
                let raw = self.delimited('/')?;
                let flags = self.flags();
                Ok(Expr::Match {
                    target: None,
                    regex: regex_lit(&raw, '/', &flags)?,
                    negate: false,
                })
            }
            '?' => unsupported("?PATTERN?"),
            c if c.is_ascii_digit() => self.number(),
            '.' if self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
            c if is_ident_start(c) => self.word_term(),
            ':' if self.starts_with("::") => unsupported("::name"),
            c if c.is_ascii() => dies(format!("syntax error near {c:?}")),
            c => dies(format!("Unrecognized character {:?}", c)),
        }
    }

    fn flags(&mut self) -> String {
        let mut flags = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphabetic() {
                flags.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        flags
    }

    fn scalar_term(&mut self) -> PResult<Expr> {
        self.pos += 1; // $
        match self.peek() {
            Some('#') => {
                self.pos += 1;
                if let Some((name, len)) = self.peek_word() {
                    self.pos += len;
                    return Ok(Expr::LastIndex(name));
                }
                unsupported("$# expression")
            }
            Some('$') => {
                if self
                    .peek_at(1)
                    .is_some_and(|c| is_ident_start(c) || c == '{' || c == '$')
                {
                    let inner = self.scalar_term()?;
                    return Ok(Expr::Deref(Box::new(inner)));
                }
                unsupported("$$ (process id)")
            }
            Some('{') => {
                self.pos += 1;
                self.skip_ws();
                if self.starts_with("::") {
                    self.pos += 2;
                }
                if let Some((name, len)) = self.peek_word() {
                    let save = self.pos;
                    self.pos += len;
                    if self.eat('}') {
                        return self.subscript(name);
                    }
                    self.pos = save;
                }
                let inner = self.expr()?;
                self.expect('}')?;
                Ok(Expr::Deref(Box::new(inner)))
            }
            Some(':') if self.peek_at(1) == Some(':') => {
                self.pos += 2;
                let Some((name, len)) = self.peek_word() else {
                    return unsupported("$:: expression");
                };
                self.pos += len;
                self.subscript(format!("main::{name}"))
            }
            Some(c) if is_ident_start(c) => {
                let mut name = String::new();
                while let Some((word, len)) = self.peek_word() {
                    name.push_str(&word);
                    self.pos += len;
                    // `$Foo'Bar` is `$Foo::Bar`.
                    if self.peek() == Some('\'') && self.peek_at(1).is_some_and(is_ident_start) {
                        self.pos += 1;
                        name.push_str("::");
                        continue;
                    }
                    break;
                }
                if self.starts_with("::") {
                    return unsupported("variable name ending in ::");
                }
                self.subscript(name)
            }
            Some(c) if c.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(c) = self.peek().filter(char::is_ascii_digit) {
                    digits.push(c);
                    self.pos += 1;
                }
                Ok(Expr::Scalar(digits))
            }
            Some(c @ ('_' | '@' | '&')) => {
                self.pos += 1;
                Ok(Expr::Scalar(c.to_string()))
            }
            Some(c) if c.is_ascii_punctuation() || c == '^' => {
                unsupported(format!("special variable ${c}"))
            }
            _ => dies("syntax error after $"),
        }
    }

    fn subscript(&mut self, name: String) -> PResult<Expr> {
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                let index = self.expr()?;
                self.expect(']')?;
                Ok(Expr::Elem(name, Box::new(index)))
            }
            Some('{') => unsupported("hash element"),
            _ => Ok(Expr::Scalar(name)),
        }
    }

    fn number(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let rest: String = self.s[start..].iter().take(200).collect();
        let bytes = rest.as_bytes();
        if bytes.len() > 1 && bytes[0] == b'0' && matches!(bytes[1], b'x' | b'X' | b'b' | b'B') {
            let radix = if matches!(bytes[1], b'x' | b'X') {
                16
            } else {
                2
            };
            let mut i = 2;
            let mut digits = String::new();
            while let Some(&b) = bytes.get(i) {
                if b == b'_' {
                    i += 1;
                    continue;
                }
                if (b as char).is_digit(radix) {
                    digits.push(b as char);
                    i += 1;
                } else {
                    break;
                }
            }
            self.pos += i;
            return match u64::from_str_radix(&digits, radix) {
                Ok(v) if v <= i64::MAX as u64 => Ok(Expr::Const(Sv::Int(v as i64))),
                Ok(_) => unsupported("integer literal beyond IV"),
                Err(_) if digits.is_empty() => Ok(Expr::Const(Sv::Int(0))),
                Err(_) => unsupported("integer literal overflow"),
            };
        }
        if bytes.len() > 1 && bytes[0] == b'0' && (bytes[1].is_ascii_digit() || bytes[1] == b'_') {
            let mut i = 1;
            let mut value: i64 = 0;
            while let Some(&b) = bytes.get(i) {
                match b {
                    b'_' => {}
                    b'0'..=b'7' => {
                        value = value
                            .checked_mul(8)
                            .and_then(|v| v.checked_add(i64::from(b - b'0')))
                            .ok_or_else(|| {
                                ParseError::Unsupported("octal literal overflow".into())
                            })?;
                    }
                    b'8' | b'9' => return dies("Illegal octal digit"),
                    _ => break,
                }
                i += 1;
            }
            self.pos += i;
            return Ok(Expr::Const(Sv::Int(value)));
        }
        // Decimal digits, dots, underscores: a vstring has two or more dots.
        let mut i = 0;
        let mut dots = 0;
        let mut text = String::new();
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_digit() || b == b'_' {
                text.push(b as char);
                i += 1;
            } else if b == b'.' && bytes.get(i + 1) != Some(&b'.') {
                if dots >= 1 && !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                dots += 1;
                text.push('.');
                i += 1;
            } else {
                break;
            }
        }
        if dots >= 2 {
            self.pos += i;
            let literal = text.trim_end_matches('.').to_string();
            return vstring(&literal, &literal);
        }
        let mut is_float = dots == 1;
        if matches!(bytes.get(i), Some(b'e') | Some(b'E')) {
            let mut j = i + 1;
            if matches!(bytes.get(j), Some(b'+') | Some(b'-')) {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                text.push('e');
                text.push_str(&rest[i + 1..j]);
                while let Some(&b) = bytes.get(j) {
                    if b.is_ascii_digit() || b == b'_' {
                        text.push(b as char);
                        j += 1;
                    } else {
                        break;
                    }
                }
                i = j;
                is_float = true;
            }
        }
        self.pos += i;
        let clean: String = text.chars().filter(|&c| c != '_').collect();
        if !is_float {
            if clean.len() > 1 && clean.starts_with('0') {
                return match i64::from_str_radix(&clean[1..], 8) {
                    Ok(v) => Ok(Expr::Const(Sv::Int(v))),
                    Err(_) => dies("Illegal octal digit"),
                };
            }
            if let Ok(v) = clean.parse::<i64>() {
                return Ok(Expr::Const(Sv::Int(v)));
            }
            if clean.parse::<u64>().is_ok() {
                return unsupported("integer literal beyond IV (a UV in Perl)");
            }
        }
        let value: f64 = clean
            .parse()
            .or_else(|_| format!("{clean}0").parse())
            .map_err(|_| ParseError::Unsupported(format!("number {clean}")))?;
        Ok(Expr::Const(Sv::Num(value)))
    }

    fn word_term(&mut self) -> PResult<Expr> {
        let Some((word, len)) = self.peek_word() else {
            return unsupported("word");
        };
        let after = self.pos + len;
        if self.fat_comma_at(after) {
            self.pos = after;
            return Ok(Expr::Const(Sv::Str(word)));
        }
        // Quote-like operators.
        if matches!(
            word.as_str(),
            "q" | "qq" | "qw" | "m" | "s" | "tr" | "y" | "qr" | "qx"
        ) {
            let mut i = after;
            while self.s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                i += 1;
            }
            let delim = self.s.get(i).copied();
            let spaced = i > after;
            let is_delim = match delim {
                None => false,
                Some(d) if spaced && d == '#' => false,
                Some(d) => {
                    let fat_comma = d == '=' && self.s.get(i + 1) == Some(&'>');
                    let separator = matches!(d, ',' | ';' | ')');
                    !(is_ident_char(d) || d.is_ascii_whitespace() || fat_comma || separator)
                }
            };
            if is_delim {
                if let Some(d) = delim {
                    self.pos = i + 1;
                    return self.quote_like(&word, d);
                }
            }
        }
        // vstrings: v1, v1.2.3
        if word.starts_with('v') && word.len() > 1 && word[1..].bytes().all(|b| b.is_ascii_digit())
        {
            let mut literal = word.clone();
            let mut i = after;
            while self.s.get(i) == Some(&'.') && self.s.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                literal.push('.');
                i += 1;
                while let Some(&c) = self.s.get(i).filter(|c| c.is_ascii_digit() || **c == '_') {
                    literal.push(c);
                    i += 1;
                }
            }
            self.pos = i;
            return vstring(&literal[1..], &literal);
        }
        self.pos = after;
        self.skip_ws();
        let paren = self.peek() == Some('(');
        if TRAPPED.contains(&word.as_str()) {
            return dies(format!("'{word}' trapped by operation mask"));
        }
        match word.as_str() {
            "my" | "our" | "local" => {
                let decl = match word.as_str() {
                    "my" => Decl::My,
                    "our" => Decl::Our,
                    _ => Decl::Local,
                };
                self.skip_ws();
                let target = match self.peek() {
                    Some('(') => self.primary()?,
                    Some('$') | Some('@') | Some('*') => self.primary()?,
                    Some('\\') => {
                        return dies("Experimental aliasing via reference not enabled");
                    }
                    _ => return unsupported(format!("{word} with an unexpected operand")),
                };
                return Ok(Expr::Declare(decl, Box::new(target)));
            }
            "do" => {
                if self.eat('{') {
                    return Ok(Expr::Do(self.statements(Some('}'))?));
                }
                return dies("'do \"file\"' trapped by operation mask");
            }
            "eval" if self.eat('{') => {
                return Ok(Expr::EvalBlock(self.statements(Some('}'))?));
            }
            "__PACKAGE__" => return Ok(Expr::CurrentPackage),
            "__FILE__" | "__LINE__" | "__SUB__" | "__DATA__" | "__END__" => {
                return unsupported(word);
            }
            "undef" if !paren => {
                // `undef` alone is the undefined value; `undef $x` is unsupported.
                self.skip_ws();
                if self.peek() == Some('$') || self.peek() == Some('@') {
                    return unsupported("undef EXPR");
                }
                return Ok(Expr::Const(Sv::Undef));
            }
            "wantarray" => return unsupported("wantarray"),
            _ => {}
        }
        if NAMED_UNARY.contains(&word.as_str()) {
            let args = if paren {
                self.pos += 1;
                self.paren_args()?
            } else if self.at_list_end() || self.at_binary_operator() {
                Vec::new()
            } else {
                self.enter()?;
                let arg = self.shift()?;
                self.leave();
                vec![arg]
            };
            return Ok(Expr::Call(word, args));
        }
        if LIST_OPS.contains(&word.as_str()) || word == "version::qv" {
            let args = if paren {
                self.pos += 1;
                self.paren_args()?
            } else if self.at_list_end() {
                Vec::new()
            } else {
                match self.comma()? {
                    Expr::List(items) if !self.last_was_paren_list() => items,
                    other => vec![other],
                }
            };
            return Ok(Expr::Call(word, args));
        }
        self.skip_ws();
        if self.starts_with("->") {
            return Ok(Expr::Bareword(word));
        }
        if self.starts_with("::") {
            // `version::->new`
            self.pos += 2;
            return Ok(Expr::Bareword(word));
        }
        if BUILTINS.contains(&word.as_str()) {
            return unsupported(format!("built-in {word}"));
        }
        if paren {
            self.pos += 1;
            let args = self.paren_args()?;
            return Ok(Expr::Call(word, args));
        }
        unsupported(format!("bareword {word}"))
    }

    fn last_was_paren_list(&self) -> bool {
        false
    }

    fn at_binary_operator(&self) -> bool {
        matches!(
            self.peek(),
            Some('=') | Some('<') | Some('>') | Some('?') | Some(',') | Some('!') | Some('|')
        ) || (self.peek() == Some('.') && !self.peek_at(1).is_some_and(|c| c.is_ascii_digit()))
    }

    /// Reads up to the closing delimiter; the opening one was consumed. Backslashes are kept.
    fn delimited(&mut self, open: char) -> PResult<String> {
        let close = closing_of(open).unwrap_or(open);
        let nests = close != open;
        let mut depth = 0usize;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return dies(format!("Can't find string terminator {close:?}"));
            };
            self.pos += 1;
            if c == '\\' {
                out.push(c);
                if let Some(next) = self.peek() {
                    out.push(next);
                    self.pos += 1;
                }
                continue;
            }
            if nests && c == open {
                depth += 1;
            } else if c == close {
                if depth == 0 {
                    return Ok(out);
                }
                depth -= 1;
            }
            out.push(c);
        }
    }

    fn second_part(&mut self, open: char) -> PResult<(String, char)> {
        if closing_of(open).is_some() {
            self.skip_ws();
            let Some(d) = self.peek() else {
                return dies("Substitution replacement not terminated");
            };
            self.pos += 1;
            Ok((self.delimited(d)?, d))
        } else {
            Ok((self.delimited(open)?, open))
        }
    }

    fn quote_like(&mut self, op: &str, open: char) -> PResult<Expr> {
        let first = self.delimited(open)?;
        match op {
            "q" => Ok(Expr::Const(Sv::Str(single_quoted(&first, open)))),
            "qq" => {
                if open == '\'' {
                    return Ok(Expr::Const(Sv::Str(single_quoted(&first, open))));
                }
                Ok(Expr::Interp(interpolate(&first, open)?))
            }
            "qw" => Ok(Expr::Words(
                single_quoted(&first, open)
                    .split(|c: char| c.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect(),
            )),
            "m" => {
                let flags = self.flags();
                Ok(Expr::Match {
                    target: None,
                    regex: regex_lit(&first, open, &flags)?,
                    negate: false,
                })
            }
            "qr" => unsupported("qr//"),
            "qx" => dies("'quoted execution (``, qx)' trapped by operation mask"),
            "s" => {
                let (replacement, rdelim) = self.second_part(open)?;
                let flags = self.flags();
                if flags.contains('e') {
                    return unsupported("s///e");
                }
                let replacement = if rdelim == '\'' {
                    vec![Part::Text(single_quoted(&replacement, rdelim))]
                } else {
                    interpolate(&replacement, rdelim)?
                };
                Ok(Expr::Subst {
                    target: None,
                    regex: regex_lit(&first, open, &flags)?,
                    replacement,
                    keep: flags.contains('r'),
                })
            }
            "tr" | "y" => {
                let (second, rdelim) = self.second_part(open)?;
                let flags = self.flags();
                if flags.contains('c') || flags.contains('s') {
                    return unsupported("tr///c or tr///s");
                }
                Ok(Expr::Trans {
                    target: None,
                    search: tr_list(&first, open)?,
                    replace: tr_list(&second, rdelim)?,
                    delete: flags.contains('d'),
                    keep: flags.contains('r'),
                })
            }
            _ => unsupported(op.to_string()),
        }
    }
}

fn vstring(digits: &str, literal: &str) -> PResult<Expr> {
    let mut chars = String::new();
    for part in digits.split('.') {
        let clean: String = part.chars().filter(|&c| c != '_').collect();
        let n: u32 = clean
            .parse()
            .map_err(|_| ParseError::Unsupported(format!("vstring {literal}")))?;
        let Some(c) = char::from_u32(n) else {
            return unsupported(format!("vstring component {n}"));
        };
        chars.push(c);
    }
    Ok(Expr::Const(Sv::VStr {
        chars,
        literal: literal.to_string(),
    }))
}

/// The value of a single-quoted string: only `\\` and the escaped delimiter lose a backslash.
pub fn single_quoted(raw: &str, open: char) -> String {
    let close = closing_of(open).unwrap_or(open);
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n) if n == '\\' || n == open || n == close => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a double-quoted string into text and interpolated variables.
pub fn interpolate(raw: &str, open: char) -> PResult<Vec<Part>> {
    let close = closing_of(open).unwrap_or(open);
    let chars: Vec<char> = raw.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while let Some(c) = at(i) {
        match c {
            '\\' => {
                i += 1;
                let Some(e) = at(i) else {
                    text.push('\\');
                    break;
                };
                i += 1;
                match e {
                    'n' => text.push('\n'),
                    't' => text.push('\t'),
                    'r' => text.push('\r'),
                    'f' => text.push('\x0c'),
                    'e' => text.push('\x1b'),
                    'a' => text.push('\x07'),
                    'x' => {
                        let hex: String = if at(i) == Some('{') {
                            let end = chars[i..].iter().position(|&c| c == '}');
                            let Some(end) = end else {
                                return dies("Missing right brace on \\x{}");
                            };
                            let h: String = chars[i + 1..i + end].iter().collect();
                            i += end + 1;
                            h
                        } else {
                            let h: String = chars[i..]
                                .iter()
                                .take(2)
                                .take_while(|c| c.is_ascii_hexdigit())
                                .collect();
                            i += h.len();
                            h
                        };
                        let v = u32::from_str_radix(hex.trim(), 16).unwrap_or(0);
                        let Some(ch) = char::from_u32(v) else {
                            return unsupported("\\x beyond Unicode");
                        };
                        text.push(ch);
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        let mut n = 1;
                        while n < 3 {
                            match at(i).and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    v = v * 8 + d;
                                    i += 1;
                                    n += 1;
                                }
                                None => break,
                            }
                        }
                        text.push(char::from_u32(v).unwrap_or('\0'));
                    }
                    'u' | 'l' | 'U' | 'L' | 'Q' | 'E' | 'F' | 'N' | 'c' | 'o' => {
                        return unsupported(format!("escape \\{e} in a string"));
                    }
                    other => text.push(other),
                }
            }
            '$' => {
                let next = at(i + 1);
                let name = match next {
                    Some('{') => {
                        let end = chars[i..].iter().position(|&c| c == '}');
                        let Some(end) = end else {
                            return dies("Missing right curly");
                        };
                        let inner: String = chars[i + 2..i + end].iter().collect();
                        let inner = inner.trim().to_string();
                        if !inner.chars().all(|c| is_ident_char(c) || c == ':') || inner.is_empty()
                        {
                            return unsupported("${ expression } in a string");
                        }
                        i += end + 1;
                        inner
                    }
                    Some(c) if is_ident_start(c) || c == ':' => {
                        let mut j = i + 1;
                        let mut name = String::new();
                        loop {
                            match at(j) {
                                Some(c) if is_ident_char(c) => {
                                    name.push(c);
                                    j += 1;
                                }
                                Some(':')
                                    if at(j + 1) == Some(':')
                                        && at(j + 2).is_some_and(is_ident_start) =>
                                {
                                    name.push_str("::");
                                    j += 2;
                                }
                                Some('\'')
                                    if !name.is_empty()
                                        && at(j + 1).is_some_and(is_ident_start)
                                        && close != '\'' =>
                                {
                                    name.push_str("::");
                                    j += 1;
                                }
                                _ => break,
                            }
                        }
                        if name.is_empty() {
                            return unsupported("$:: in a string");
                        }
                        i = j;
                        name
                    }
                    Some(c) if c.is_ascii_digit() => {
                        let mut j = i + 1;
                        let mut name = String::new();
                        while let Some(c) = at(j).filter(char::is_ascii_digit) {
                            name.push(c);
                            j += 1;
                        }
                        i = j;
                        name
                    }
                    None => {
                        text.push('$');
                        i += 1;
                        continue;
                    }
                    Some(_) => return unsupported("special variable in a string"),
                };
                match at(i) {
                    Some('[') | Some('{') => return unsupported("subscript in a string"),
                    Some('-') if at(i + 1) == Some('>') => {
                        return unsupported("-> in a string");
                    }
                    _ => {}
                }
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Scalar(name));
            }
            '@' => {
                let next = at(i + 1);
                match next {
                    Some(c) if is_ident_start(c) => {
                        let mut j = i + 1;
                        let mut name = String::new();
                        loop {
                            match at(j) {
                                Some(c) if is_ident_char(c) => {
                                    name.push(c);
                                    j += 1;
                                }
                                Some(':')
                                    if at(j + 1) == Some(':')
                                        && at(j + 2).is_some_and(is_ident_start) =>
                                {
                                    name.push_str("::");
                                    j += 2;
                                }
                                _ => break,
                            }
                        }
                        if matches!(at(j), Some('[') | Some('{')) {
                            return unsupported("array slice in a string");
                        }
                        i = j;
                        if !text.is_empty() {
                            parts.push(Part::Text(std::mem::take(&mut text)));
                        }
                        parts.push(Part::Array(name));
                    }
                    Some('{') | Some('$') | Some(':') | Some('_') => {
                        return unsupported("array expression in a string");
                    }
                    _ => {
                        text.push('@');
                        i += 1;
                    }
                }
            }
            other => {
                text.push(other);
                i += 1;
            }
        }
    }
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn tr_list(raw: &str, open: char) -> PResult<Vec<char>> {
    let close = closing_of(open).unwrap_or(open);
    let mut chars: Vec<char> = Vec::new();
    let src: Vec<char> = raw.chars().collect();
    let mut i = 0;
    let mut literal = Vec::new();
    while let Some(&c) = src.get(i) {
        if c == '\\' {
            let e = src.get(i + 1).copied();
            i += 2;
            literal.push(match e {
                Some('n') => '\n',
                Some('t') => '\t',
                Some('\\') => '\\',
                Some('-') => '-',
                Some(x) if x == open || x == close => x,
                Some(x) if x.is_ascii_punctuation() => x,
                _ => return unsupported("escape in tr///"),
            });
            chars.push(*literal.last().unwrap_or(&'\\'));
            // Mark escaped characters so they do not form ranges.
            continue;
        }
        if c == '-' && !chars.is_empty() && i + 1 < src.len() {
            let from = chars.pop().unwrap_or('-');
            let to = src[i + 1];
            if to == '\\' {
                return unsupported("escaped range end in tr///");
            }
            if (to as u32) < (from as u32) {
                return dies("Invalid range in transliteration operator");
            }
            for v in from as u32..=to as u32 {
                if let Some(ch) = char::from_u32(v) {
                    chars.push(ch);
                }
            }
            i += 2;
            continue;
        }
        chars.push(c);
        i += 1;
    }
    Ok(chars)
}

/// Translates a Perl pattern into the `regex` crate's syntax (bytes, ASCII classes).
pub fn regex_lit(raw: &str, open: char, flags: &str) -> PResult<RegexLit> {
    let close = closing_of(open).unwrap_or(open);
    let mut out = String::from("(?-u)");
    let mut mode = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' | 'x' => mode.push(f),
            'g' | 'o' | 'r' | 'e' => {}
            other => return unsupported(format!("regex flag {other}")),
        }
    }
    if !mode.is_empty() {
        out.push_str(&format!("(?{mode})"));
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    let interpolates = open != '\'';
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return dies("Trailing \\ in regex");
                };
                i += 2;
                match e {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'b' | 'B' | 'A'
                    | 'z' => {
                        if in_class && matches!(e, 'b' | 'B' | 'A' | 'z') {
                            return unsupported("escape in character class");
                        }
                        out.push('\\');
                        out.push(e);
                    }
                    'Z' => out.push_str(r"\z"),
                    'e' => out.push_str(r"\x1b"),
                    'x' => out.push_str(r"\x"),
                    c if c == open || c == close => {
                        if c.is_ascii_alphanumeric() {
                            return unsupported("alphanumeric regex delimiter");
                        }
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_ascii_punctuation() || c == ' ' => {
                        out.push('\\');
                        out.push(c);
                    }
                    other => return unsupported(format!("regex escape \\{other}")),
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                continue;
            }
            '[' if in_class => {
                if chars.get(i + 1) == Some(&':') {
                    let end = chars[i..].iter().position(|&c| c == ']');
                    if let Some(end) = end {
                        let class: String = chars[i..=i + end].iter().collect();
                        out.push_str(&class);
                        i += end + 1;
                        continue;
                    }
                }
                out.push_str(r"\[");
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '$' if interpolates && !in_class => match chars.get(i + 1) {
                None | Some(')') | Some('|') => out.push('$'),
                _ => return unsupported("variable interpolated in a pattern"),
            },
            '$' if in_class => out.push_str(r"\$"),
            '@' if interpolates
                && chars
                    .get(i + 1)
                    .is_some_and(|&c| is_ident_start(c) || c == '{' || c == '$') =>
            {
                return unsupported("array interpolated in a pattern");
            }
            '#' if !mode.contains('x') => out.push_str(r"\#"),
            ' ' if !mode.contains('x') => out.push_str(r"\x20"),
            c if (c as u32) > 0x7f => {
                out.push_str(&format!(r"\x{:02x}", c as u32));
                if (c as u32) > 0xff {
                    return unsupported("wide character in a pattern");
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return dies("Unmatched [ in regex");
    }
    Ok(RegexLit {
        pattern: out,
        global: flags.contains('g'),
    })
}
