//! The tokens of the static cpanfile subset: words, string and number literals, `qw()` lists,
//! `,` `=>` `;` `(` `)` `{` `}`. Comments, POD (where a statement may start) and what follows
//! `__END__` are skipped the way Perl skips them; anything else is refused with its location.

use crate::error::{Error, Location};
use crate::number::perl_literal_string;

/// A token's kind and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A bareword (identifier) that is not followed by `=>`.
    Word(String),
    /// A string: `'...'`, `"..."`, `q()`, `qq()`, or a bareword quoted by a following `=>`.
    Str(String),
    /// The words of a `qw()` list.
    Words(Vec<String>),
    /// A numeric literal, as Perl stringifies its value.
    Num(String),
    /// A v-string literal (`v5.10.1`, `5.10.1`), as written.
    VStr(String),
    Comma,
    FatComma,
    Semi,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Eof,
}

impl Tok {
    /// How an error message names the token.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(s) => format!("the string {s:?}"),
            Tok::Words(words) => format!("the list qw({})", words.join(" ")),
            Tok::Num(n) => format!("the number {n}"),
            Tok::VStr(v) => format!("the v-string {v}"),
            Tok::Comma => "`,`".to_string(),
            Tok::FatComma => "`=>`".to_string(),
            Tok::Semi => "`;`".to_string(),
            Tok::LParen => "`(`".to_string(),
            Tok::RParen => "`)`".to_string(),
            Tok::LBrace => "`{`".to_string(),
            Tok::RBrace => "`}`".to_string(),
            Tok::Eof => "the end of the file".to_string(),
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) loc: Location,
}

/// White space in Perl source (`isSPACE`: space, tab, newline, carriage return, form feed,
/// vertical tab).
fn is_perl_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads tokens on demand from a cpanfile's text.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    column: usize,
}

/// How a quote-like construct treats its content.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QuoteKind {
    /// `q()`, `qw()`: only the delimiters and `\` can be escaped.
    Single,
    /// `qq()`: escapes as in `"..."`; interpolation is refused.
    Double,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    fn loc(&self) -> Location {
        Location {
            line: self.line,
            column: self.column,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.src[start..self.pos]
    }

    /// Skips white space and comments, and POD where a statement may start (a line beginning
    /// with `=` and a letter; inside Perl's string eval it lasts until a line beginning with
    /// `=cut`, or the end of the file).
    fn skip_trivia(&mut self, statement_start: bool) {
        loop {
            match self.peek() {
                Some(c) if is_perl_space(c) => {
                    self.bump();
                }
                Some('#') => {
                    self.bump_while(|c| c != '\n');
                }
                Some('=')
                    if statement_start
                        && self.column == 1
                        && self.peek_at(1).is_some_and(|c| c.is_ascii_alphabetic()) =>
                {
                    self.skip_pod();
                }
                _ => return,
            }
        }
    }

    fn skip_pod(&mut self) {
        // The line that opens the POD, then every line up to and including one starting `=cut`.
        self.bump_while(|c| c != '\n');
        while self.bump().is_some() {
            let cut = self.rest().starts_with("=cut");
            self.bump_while(|c| c != '\n');
            if cut {
                self.bump();
                return;
            }
        }
    }

    /// Whether `=>` follows, after white space and comments.
    fn fat_comma_follows(&self) -> bool {
        let mut rest = self.rest();
        loop {
            let trimmed = rest.trim_start_matches(is_perl_space);
            if let Some(comment) = trimmed.strip_prefix('#') {
                rest = comment.find('\n').map_or("", |i| &comment[i..]);
                continue;
            }
            return trimmed.starts_with("=>");
        }
    }

    /// The next token. `statement_start` says whether a statement may start here (POD is only
    /// recognized there, as in Perl).
    pub(crate) fn next_token(&mut self, statement_start: bool) -> Result<Token, Error> {
        self.skip_trivia(statement_start);
        let loc = self.loc();
        let token = |tok| Ok(Token { tok, loc });
        let Some(c) = self.peek() else {
            return token(Tok::Eof);
        };
        match c {
            ';' | ',' | '(' | ')' | '{' | '}' => {
                self.bump();
                token(match c {
                    ';' => Tok::Semi,
                    ',' => Tok::Comma,
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '{' => Tok::LBrace,
                    _ => Tok::RBrace,
                })
            }
            '=' if self.peek_at(1) == Some('>') => {
                self.bump();
                self.bump();
                token(Tok::FatComma)
            }
            '\'' => {
                self.bump();
                token(Tok::Str(self.single_quoted(loc)?))
            }
            '"' => {
                self.bump();
                token(Tok::Str(self.double_quoted(loc)?))
            }
            '0'..='9' => self.number(loc),
            '.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => self.number(loc),
            c if is_word_start(c) => self.word(loc),
            '$' | '@' | '%' | '&' => Err(self.sigil(loc)),
            _ => Err(self.operator(loc, c)),
        }
    }

    fn word(&mut self, loc: Location) -> Result<Token, Error> {
        let word = self.bump_while(is_word_char);
        let token = |tok| Ok(Token { tok, loc });
        if self.rest().starts_with("::") {
            let rest = self.bump_while(|c| is_word_char(c) || c == ':');
            return Err(Error::Unsupported {
                location: loc,
                found: format!("the bareword `{word}{rest}`"),
                reason: "Perl refuses barewords (Module::CPANfile's sandbox is under \
                         `use strict`) or calls a function of that name; quote the module name"
                    .to_string(),
            });
        }
        if self.peek() == Some('\'') && self.peek_at(1).is_some_and(is_word_start) {
            return Err(Error::Unsupported {
                location: loc,
                found: format!("`{word}'`"),
                reason: "Perl reads `'` right after a word as the old package separator; \
                         put a space before the quote"
                    .to_string(),
            });
        }
        // Perl stops reading at `__END__` wherever the word appears (even before `=>`).
        if word == "__END__" || word == "__DATA__" {
            self.pos = self.src.len();
            return token(Tok::Eof);
        }
        // `q#...#`: right after a quote-like word, `#` is a delimiter, not a comment.
        let quote_like = matches!(word, "q" | "qq" | "qw");
        if !(quote_like && self.peek() == Some('#')) && self.fat_comma_follows() {
            return token(Tok::Str(word.to_string()));
        }
        match word {
            "q" => token(Tok::Str(self.quote_like(loc, word, QuoteKind::Single)?)),
            "qq" => token(Tok::Str(self.quote_like(loc, word, QuoteKind::Double)?)),
            "qw" => {
                let content = self.quote_like(loc, word, QuoteKind::Single)?;
                let words = content
                    .split(is_perl_space)
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                token(Tok::Words(words))
            }
            _ if word.len() > 1
                && word.starts_with('v')
                && word[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                let mut text = word.to_string();
                while self.peek() == Some('.')
                    && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
                {
                    self.bump();
                    text.push('.');
                    text.push_str(self.bump_while(|c| c.is_ascii_digit()));
                }
                if self.peek() == Some('_') {
                    return Err(self.vstring_underscore(loc));
                }
                token(Tok::VStr(text))
            }
            _ => token(Tok::Word(word.to_string())),
        }
    }

    fn vstring_underscore(&self, loc: Location) -> Error {
        Error::Unsupported {
            location: loc,
            found: "a v-string with `_`".to_string(),
            reason: "quote the version instead".to_string(),
        }
    }

    /// A numeric literal: decimal integers and decimals with `_` separators and an exponent,
    /// and v-strings of three or more parts (`5.10.1`). Hexadecimal, binary and octal literals
    /// are refused.
    fn number(&mut self, loc: Location) -> Result<Token, Error> {
        let token = |tok| Ok(Token { tok, loc });
        if self.peek() == Some('0')
            && self.peek_at(1).is_some_and(|c| {
                c.is_ascii_digit() || matches!(c, '_' | 'x' | 'X' | 'b' | 'B' | 'o')
            })
        {
            let text = self.bump_while(is_word_char);
            return Err(Error::Unsupported {
                location: loc,
                found: format!("the number `{text}`"),
                reason: "Perl reads a number starting with 0 as octal, hexadecimal or binary; \
                         quote the version"
                    .to_string(),
            });
        }
        let integer = self.bump_while(|c| c.is_ascii_digit() || c == '_');
        let mut fraction = None;
        if self.peek() == Some('.') && self.peek_at(1) != Some('.') {
            // `1.2.3` is a v-string.
            let after = &self.rest()[1..];
            let first_part = after.trim_start_matches(|c: char| c.is_ascii_digit());
            if !integer.is_empty()
                && first_part.len() < after.len()
                && first_part.starts_with('.')
                && first_part[1..].starts_with(|c: char| c.is_ascii_digit())
            {
                if integer.contains('_') {
                    return Err(self.vstring_underscore(loc));
                }
                let mut text = integer.to_string();
                while self.peek() == Some('.')
                    && self.peek_at(1).is_some_and(|c| c.is_ascii_digit())
                {
                    self.bump();
                    text.push('.');
                    text.push_str(self.bump_while(|c| c.is_ascii_digit()));
                }
                if self.peek() == Some('_') {
                    return Err(self.vstring_underscore(loc));
                }
                return token(Tok::VStr(text));
            }
            self.bump();
            fraction = Some(self.bump_while(|c| c.is_ascii_digit() || c == '_'));
        }
        let mut exponent = None;
        if matches!(self.peek(), Some('e' | 'E')) {
            let signed = matches!(self.peek_at(1), Some('+' | '-'));
            let digit_at = if signed { 2 } else { 1 };
            if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
                let start = self.pos;
                if signed {
                    self.bump();
                }
                self.bump_while(|c| c.is_ascii_digit() || c == '_');
                exponent = Some(&self.src[start..self.pos]);
            }
        }
        let strip = |s: &str| s.replace('_', "");
        let value = perl_literal_string(
            &strip(integer),
            fraction.map(strip).as_deref(),
            exponent.map(strip).as_deref(),
        );
        match value {
            Some(value) => token(Tok::Num(value)),
            None => Err(Error::Unsupported {
                location: loc,
                found: "an infinite number".to_string(),
                reason: "quote the version".to_string(),
            }),
        }
    }

    /// `'...'`: `\\` is `\`, `\'` is `'`, any other backslash stays.
    fn single_quoted(&mut self, loc: Location) -> Result<String, Error> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(unterminated(loc, "string")),
                Some('\'') => return Ok(out),
                Some('\\') if matches!(self.peek(), Some('\\' | '\'')) => {
                    out.extend(self.bump());
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `"..."`: the escapes of [`Lexer::escape`]; `$` and `@` (interpolation) are refused.
    fn double_quoted(&mut self, loc: Location) -> Result<String, Error> {
        let mut out = String::new();
        loop {
            let here = self.loc();
            match self.bump() {
                None => return Err(unterminated(loc, "string")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(loc, here)?),
                Some(c @ ('$' | '@')) => return Err(self.interpolation(here, c)),
                Some(c) => out.push(c),
            }
        }
    }

    /// The character a backslash escape in a double-quoted string stands for (the backslash is
    /// already read): `\t \n \r \f \b \a \e`, or any character that is not a letter or digit.
    fn escape(&mut self, start: Location, here: Location) -> Result<char, Error> {
        let Some(c) = self.bump() else {
            return Err(unterminated(start, "string"));
        };
        Ok(match c {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\u{0c}',
            'b' => '\u{08}',
            'a' => '\u{07}',
            'e' => '\u{1b}',
            c if c.is_ascii_alphanumeric() => {
                return Err(Error::Unsupported {
                    location: here,
                    found: format!("the escape `\\{c}`"),
                    reason: "only \\t \\n \\r \\f \\b \\a \\e and escaped punctuation are read \
                             in double-quoted strings; use single quotes"
                        .to_string(),
                })
            }
            c => c,
        })
    }

    fn interpolation(&mut self, here: Location, sigil: char) -> Error {
        let name = self.bump_while(|c| is_word_char(c) || c == ':');
        let name = if name.is_empty() {
            self.bump().map(String::from).unwrap_or_default()
        } else {
            name.to_string()
        };
        Error::Unsupported {
            location: here,
            found: format!("the interpolation `{sigil}{name}`"),
            reason: "a double-quoted string interpolates variables; use single quotes or \
                     escape it with a backslash"
                .to_string(),
        }
    }

    /// The content of `q`, `qq` or `qw` (the word already read), with nesting for bracket
    /// delimiters.
    fn quote_like(&mut self, loc: Location, word: &str, kind: QuoteKind) -> Result<String, Error> {
        let spaced = self.peek().is_some_and(is_perl_space);
        if spaced {
            // After white space, `#` starts a comment, not a delimiter.
            self.skip_trivia(false);
        }
        let Some(open) = self.bump() else {
            return Err(unterminated(loc, &format!("{word}()")));
        };
        if is_word_char(open) || is_perl_space(open) {
            return Err(Error::Unsupported {
                location: loc,
                found: format!("`{word}` with the delimiter `{open}`"),
                reason: "use punctuation as the delimiter, e.g. q(...)".to_string(),
            });
        }
        let close = match open {
            '(' => ')',
            '[' => ']',
            '{' => '}',
            '<' => '>',
            c => c,
        };
        let nests = open != close;
        let mut depth = 0usize;
        let mut out = String::new();
        loop {
            let here = self.loc();
            let Some(c) = self.bump() else {
                return Err(unterminated(loc, &format!("{word}{open}{close}")));
            };
            match c {
                '\\' => {
                    let next = self.peek();
                    if next == Some(open) || next == Some(close) {
                        out.extend(self.bump());
                    } else if kind == QuoteKind::Double {
                        out.push(self.escape(loc, here)?);
                    } else if next == Some('\\') {
                        out.extend(self.bump());
                    } else {
                        out.push('\\');
                    }
                }
                c if c == close && depth == 0 => return Ok(out),
                c if c == close => {
                    depth -= 1;
                    out.push(c);
                }
                c if nests && c == open => {
                    depth += 1;
                    out.push(c);
                }
                '$' | '@' if kind == QuoteKind::Double => {
                    return Err(self.interpolation(here, c));
                }
                c => out.push(c),
            }
        }
    }

    fn sigil(&mut self, loc: Location) -> Error {
        let mut found = String::new();
        found.extend(self.bump());
        match self.peek() {
            Some('^') => {
                found.extend(self.bump());
                found.extend(self.bump());
            }
            Some(c) if is_word_char(c) || c == ':' => {
                found.push_str(self.bump_while(|c| is_word_char(c) || c == ':'));
            }
            Some(c) if !is_perl_space(c) => found.extend(self.bump()),
            _ => {}
        }
        let (what, reason) = if found.starts_with('&') {
            ("the call", "calling Perl code needs Perl")
        } else {
            (
                "the variable",
                "variables need Perl to evaluate them; write the value itself",
            )
        };
        Error::Unsupported {
            location: loc,
            found: format!("{what} `{found}`"),
            reason: reason.to_string(),
        }
    }

    fn operator(&mut self, loc: Location, c: char) -> Error {
        let reason = match c {
            '<' if self.peek_at(1) == Some('<') => {
                return Error::Unsupported {
                    location: loc,
                    found: "a heredoc or `<<`".to_string(),
                    reason: "write the string in quotes".to_string(),
                }
            }
            '.' => "concatenation and method calls need Perl; write the whole string",
            '-' | '+' | '*' | '/' => "arithmetic and negative numbers are not part of a cpanfile",
            '=' | '!' | '<' | '>' | '?' | ':' | '~' | '|' | '^' => {
                "assignments, comparisons and conditions need Perl to evaluate them"
            }
            '[' | ']' => "array references are not part of a cpanfile",
            '\\' => "references are not part of a cpanfile",
            '`' => "running commands is not part of a cpanfile",
            _ => "only strings, numbers, `,`, `=>`, `qw()` and `sub { ... }` blocks are read",
        };
        Error::Unsupported {
            location: loc,
            found: format!("`{c}`"),
            reason: reason.to_string(),
        }
    }
}

fn unterminated(location: Location, what: &str) -> Error {
    Error::Unterminated {
        location,
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Result<Vec<Tok>, Error> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token(out.is_empty())?;
            if t.tok == Tok::Eof {
                return Ok(out);
            }
            out.push(t.tok);
        }
    }

    fn s(v: &str) -> Tok {
        Tok::Str(v.to_string())
    }

    #[test]
    fn strings() {
        assert_eq!(
            tokens(r#"'a\'b\\c\d' "x\ty\"\$\@" q(a(b)\)c) qq{a\}b} q#x# "#).unwrap(),
            vec![s("a'b\\c\\d"), s("x\ty\"$@"), s("a(b))c"), s("a}b"), s("x")]
        );
        assert_eq!(
            tokens("qw( Foo  1.0\n) q <a<b>\\>>").unwrap(),
            vec![Tok::Words(vec!["Foo".into(), "1.0".into()]), s("a<b>>")]
        );
    }

    #[test]
    fn fat_comma_quotes_words() {
        assert_eq!(
            tokens("test # c\n => sub q =>").unwrap(),
            vec![
                s("test"),
                Tok::FatComma,
                Tok::Word("sub".into()),
                s("q"),
                Tok::FatComma
            ]
        );
    }

    #[test]
    fn numbers() {
        let nums = tokens("1.10 0 1_000 .5 1e3 5.008_001 v5.10.1 5.10.1 v1 1.").unwrap();
        assert_eq!(
            nums,
            vec![
                Tok::Num("1.1".into()),
                Tok::Num("0".into()),
                Tok::Num("1000".into()),
                Tok::Num("0.5".into()),
                Tok::Num("1000".into()),
                Tok::Num("5.008001".into()),
                Tok::VStr("v5.10.1".into()),
                Tok::VStr("5.10.1".into()),
                Tok::VStr("v1".into()),
                Tok::Num("1".into()),
            ]
        );
        assert!(tokens("010").is_err());
        assert!(tokens("0x10").is_err());
    }

    #[test]
    fn pod_and_end() {
        assert_eq!(
            tokens("=head1 X\n\nfoo\n=cut rest\n'a' __END__ 'b'").unwrap(),
            vec![s("a")]
        );
        assert_eq!(tokens("__END__\n'x'").unwrap(), vec![]);
    }

    #[test]
    fn refusals_have_locations() {
        let err = tokens("\n  \"a$x\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2, column 5: the interpolation `$x` is not supported in a cpanfile read \
             without Perl: a double-quoted string interpolates variables; use single quotes or \
             escape it with a backslash"
        );
        let err = tokens("if ($^O eq 'x')").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1, column 5: the variable `$^O`"),
            "{err}"
        );
        assert!(matches!(
            tokens("'abc").unwrap_err(),
            Error::Unterminated {
                location: Location { line: 1, column: 1 },
                ..
            }
        ));
    }
}
