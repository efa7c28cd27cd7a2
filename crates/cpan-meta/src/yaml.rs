//! `CPAN::Meta::YAML` 0.018 `Load` (a YAML::Tiny subset), as `Parse::CPAN::Meta` calls it.

use crate::error::{ErrorKind, MetaError};
use crate::perl::{is_digit, is_space};
use crate::regex::build::*;
use crate::regex::{group_text, match_at_start, Node, Outcome};
use crate::RawValue;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A line of the text after blank and comment lines are dropped, with its original number.
struct Line {
    number: usize,
    text: Vec<char>,
}

/// The lines still to read; the parser only ever looks at, changes or drops the first.
struct Lines {
    lines: Vec<Line>,
    next: usize,
}

impl Lines {
    fn first(&self) -> Option<&Line> {
        self.lines.get(self.next)
    }
    fn first_text(&self) -> Option<&[char]> {
        self.first().map(|l| l.text.as_slice())
    }
    fn first_mut(&mut self) -> Option<&mut Line> {
        self.lines.get_mut(self.next)
    }
    fn shift(&mut self) -> Option<Vec<char>> {
        let line = self.lines.get_mut(self.next)?;
        self.next += 1;
        Some(std::mem::take(&mut line.text))
    }
    fn is_empty(&self) -> bool {
        self.next >= self.lines.len()
    }
    /// The number of the first line, or of the last line when none is left.
    fn line_number(&self) -> usize {
        self.first()
            .or_else(|| self.lines.last())
            .map_or(1, |l| l.number)
    }
    fn starts_with(&self, prefix: &str) -> bool {
        self.first_text().is_some_and(|t| starts_with(t, prefix))
    }
    /// `while (@lines and $lines[0] !~ /^---/) { shift @lines }`
    fn skip_to_document_start(&mut self) {
        while !self.is_empty() && !self.starts_with("---") {
            self.next += 1;
        }
    }
}

fn starts_with(text: &[char], prefix: &str) -> bool {
    let mut chars = text.iter();
    prefix.chars().all(|p| chars.next() == Some(&p))
}

fn text(chars: &[char]) -> String {
    chars.iter().collect()
}

fn leading_space(text: &[char]) -> usize {
    text.iter().take_while(|&&c| is_space(c)).count()
}

fn fail(lines: &Lines, message: String) -> MetaError {
    MetaError::new(ErrorKind::Yaml, message).at(lines.line_number(), None)
}

// ------------------------------------------------------------------------------------------
// The patterns that depend on backtracking
// ------------------------------------------------------------------------------------------

fn ws() -> Node {
    class(is_space)
}
fn non_ws() -> Node {
    class(|c| !is_space(c))
}
fn any() -> Node {
    class(|c| c != '\n')
}

/// `\'([^\']*(?:\'\'[^\']*)*)\'`
fn single_quoted(n: usize) -> Node {
    seq(vec![
        lit('\''),
        group(
            n,
            seq(vec![
                star(class(|c| c != '\'')),
                star(seq(vec![lit('\''), lit('\''), star(class(|c| c != '\''))])),
            ]),
        ),
        lit('\''),
    ])
}

/// `\"([^\\"]*(?:\\.[^\\"]*)*)\"`
fn double_quoted(n: usize) -> Node {
    let plain = || star(class(|c| c != '\\' && c != '"'));
    seq(vec![
        lit('"'),
        group(
            n,
            seq(vec![plain(), star(seq(vec![lit('\\'), any(), plain()]))]),
        ),
        lit('"'),
    ])
}

/// `(?:\s+\#.*)?\z`
fn trailing_comment_then_end() -> Node {
    seq(vec![
        opt(seq(vec![plus(ws()), lit('#'), star(any())])),
        end(),
    ])
}

/// `\s*:(?:\s+(?:\#.*)?|$)`
fn key_value_separator() -> Node {
    seq(vec![
        star(ws()),
        lit(':'),
        alt(vec![
            seq(vec![plus(ws()), opt(seq(vec![lit('#'), star(any())]))]),
            end(),
        ]),
    ])
}

/// `([^:]+(?::+\S(?:[^:]*|.*?(?=:)))*)(?=\s*\:(?:\s+|$))`
fn unquoted_key(n: usize) -> Node {
    seq(vec![
        group(
            n,
            seq(vec![
                plus(class(|c| c != ':')),
                star(seq(vec![
                    plus(lit(':')),
                    non_ws(),
                    alt(vec![
                        star(class(|c| c != ':')),
                        seq(vec![lazy_star(any()), ahead(lit(':'))]),
                    ]),
                ])),
            ]),
        ),
        ahead(seq(vec![
            star(ws()),
            lit(':'),
            alt(vec![plus(ws()), end()]),
        ])),
    ])
}

struct Patterns {
    /// `^---\s*(?:(.+)\s*)?\z`
    document_header: Node,
    /// `^(?:\#.+|\%YAML[: ][\d\.]+)\z`
    header_comment: Node,
    /// `^'…'(?:\s+\#.*)?\z`
    single_scalar: Node,
    /// `^"…"(?:\s+\#.*)?\z`
    double_scalar: Node,
    /// `^(\s*\-\s+)[^\'\"]\S*\s*:(?:\s+|$)`
    inline_hash: Node,
    /// `^\s*'…'` + separator
    single_key: Node,
    /// `^\s*"…"` + separator
    double_key: Node,
    /// `^\s*` unquoted key + separator
    plain_key: Node,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        document_header: seq(vec![
            lit('-'),
            lit('-'),
            lit('-'),
            star(ws()),
            opt(seq(vec![group(1, plus(any())), star(ws())])),
            end(),
        ]),
        header_comment: seq(vec![
            alt(vec![
                seq(vec![lit('#'), plus(any())]),
                seq(vec![
                    lit('%'),
                    lit('Y'),
                    lit('A'),
                    lit('M'),
                    lit('L'),
                    class(|c| c == ':' || c == ' '),
                    plus(class(|c| c == '.' || is_digit(c))),
                ]),
            ]),
            end(),
        ]),
        single_scalar: seq(vec![single_quoted(1), trailing_comment_then_end()]),
        double_scalar: seq(vec![double_quoted(1), trailing_comment_then_end()]),
        inline_hash: seq(vec![
            group(1, seq(vec![star(ws()), lit('-'), plus(ws())])),
            class(|c| c != '\'' && c != '"'),
            star(non_ws()),
            star(ws()),
            lit(':'),
            alt(vec![plus(ws()), end()]),
        ]),
        single_key: seq(vec![star(ws()), single_quoted(1), key_value_separator()]),
        double_key: seq(vec![star(ws()), double_quoted(1), key_value_separator()]),
        plain_key: seq(vec![star(ws()), unquoted_key(1), key_value_separator()]),
    })
}

/// A match: its end and its capture groups.
type Found = (usize, Vec<Option<(usize, usize)>>);

/// Runs a pattern, turning an exhausted step budget into an error.
fn matches(
    pattern: &Node,
    input: &[char],
    groups: usize,
    lines: &Lines,
) -> Result<Option<Found>, MetaError> {
    match match_at_start(pattern, input, groups) {
        Outcome::Matched { end, groups } => Ok(Some((end, groups))),
        Outcome::NoMatch => Ok(None),
        Outcome::TooComplex => Err(fail(
            lines,
            format!(
                "riverpan gave up matching the line '{}' (too much backtracking)",
                text(input)
            ),
        )),
    }
}

// ------------------------------------------------------------------------------------------
// Scalars
// ------------------------------------------------------------------------------------------

fn unquote_single(s: &str) -> String {
    s.replace("''", "'")
}

fn unquote_double(s: &str) -> String {
    // `s/\\"/"/g` runs over the whole string before the other escapes are read.
    let first = s.replace("\\\"", "\"");
    let chars: Vec<char> = first.chars().collect();
    let mut out = String::with_capacity(first.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            let next = chars.get(i + 1).copied();
            let simple = match next {
                Some('N') => Some('\u{85}'),
                Some('n') => Some('\n'),
                Some('e') => Some('\u{1b}'),
                Some('v') => Some('\u{0b}'),
                Some('r') => Some('\r'),
                Some('\\') => Some('\\'),
                Some('f') => Some('\u{0c}'),
                Some('a') => Some('\u{07}'),
                Some('t') => Some('\t'),
                Some('z') | Some('0') => Some('\0'),
                Some('b') => Some('\u{08}'),
                _ => None,
            };
            if let Some(r) = simple {
                out.push(r);
                i += 2;
                continue;
            }
            if next == Some('x') {
                let hex: Option<u32> = match (chars.get(i + 2), chars.get(i + 3)) {
                    (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => {
                        Some(a.to_digit(16).unwrap_or(0) * 16 + b.to_digit(16).unwrap_or(0))
                    }
                    _ => None,
                };
                if let Some(code) = hex.and_then(char::from_u32) {
                    out.push(code);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `_load_scalar`: the value after `key:` or `- `, or a block scalar whose lines follow.
fn load_scalar(
    string: &[char],
    indent: &mut [Option<usize>],
    lines: &mut Lines,
    number: usize,
) -> Result<RawValue, MetaError> {
    let p = patterns();
    let here = |lines: &Lines, message: String| fail(lines, message).at(number, None);
    let trimmed_len = string.len() - string.iter().rev().take_while(|&&c| is_space(c)).count();
    let string = string.get(..trimmed_len).unwrap_or_default();
    if string == ['~'] {
        return Ok(RawValue::Null);
    }
    if let Some((_, groups)) = matches(&p.single_scalar, string, 1, lines)? {
        let inner = group_text(string, &groups, 1).unwrap_or_default();
        return Ok(RawValue::String(unquote_single(&inner)));
    }
    if let Some((_, groups)) = matches(&p.double_scalar, string, 1, lines)? {
        let inner = group_text(string, &groups, 1).unwrap_or_default();
        return Ok(RawValue::String(unquote_double(&inner)));
    }
    let first = string.first().copied();
    if matches!(first, Some('\'' | '"' | '!' | '&')) {
        return Err(here(
            lines,
            format!(
                "CPAN::Meta::YAML does not support a feature in line '{}'",
                text(string)
            ),
        ));
    }
    let only_comment_after = |rest: &[char]| {
        rest.is_empty() || {
            let n = leading_space(rest);
            n > 0 && rest.get(n) == Some(&'#')
        }
    };
    if starts_with(string, "{}") && only_comment_after(string.get(2..).unwrap_or_default()) {
        return Ok(RawValue::Map(BTreeMap::new()));
    }
    if starts_with(string, "[]") && only_comment_after(string.get(2..).unwrap_or_default()) {
        return Ok(RawValue::Array(Vec::new()));
    }
    if !matches!(first, Some('>' | '|')) {
        let dash_item = first == Some('-') && string.get(1).map_or(true, |&c| is_space(c));
        let bad_start = dash_item || matches!(first, Some('@' | '%' | '`'));
        let colon_space = string
            .iter()
            .enumerate()
            .any(|(i, &c)| c == ':' && string.get(i + 1).map_or(true, |&n| is_space(n)));
        if bad_start || colon_space {
            return Err(here(
                lines,
                format!(
                    "CPAN::Meta::YAML found illegal characters in plain scalar: '{}'",
                    text(string)
                ),
            ));
        }
        return Ok(RawValue::String(strip_plain_comment(string)));
    }

    // A block scalar: `|` or `>`, its lines following, more indented than the key.
    if lines.is_empty() {
        return Err(here(
            lines,
            "CPAN::Meta::YAML failed to find multi-line scalar content".to_string(),
        ));
    }
    let block_indent = lines.first_text().map_or(0, leading_space);
    if let Some(last) = indent.last_mut() {
        *last = Some(block_indent);
    }
    let parent = indent
        .len()
        .checked_sub(2)
        .and_then(|i| indent.get(i))
        .copied()
        .flatten();
    if parent.is_some_and(|parent| block_indent <= parent) {
        return Err(fail(
            lines,
            format!(
                "CPAN::Meta::YAML found bad indenting in line '{}'",
                text(lines.first_text().unwrap_or_default())
            ),
        ));
    }
    let mut block = Vec::new();
    while let Some(line) = lines.first_text() {
        let own_indent = leading_space(line);
        if own_indent < block_indent {
            break;
        }
        // Each line loses all of its own leading white space, not just the block's indent.
        let line = lines.shift().unwrap_or_default();
        block.push(text(line.get(own_indent..).unwrap_or_default()));
    }
    let joiner = if first == Some('>') { " " } else { "\n" };
    let chomp = string.get(1) == Some(&'-');
    let mut value = block.join(joiner);
    if !chomp {
        value.push('\n');
    }
    Ok(RawValue::String(value))
}

/// `$string =~ s/\s+#.*\z//`: cut at the first run of white space followed by `#`.
fn strip_plain_comment(string: &[char]) -> String {
    let mut i = 0;
    while i < string.len() {
        if string.get(i).is_some_and(|&c| is_space(c)) {
            let run = leading_space(string.get(i..).unwrap_or_default());
            if string.get(i + run) == Some(&'#') {
                return text(string.get(..i).unwrap_or_default());
            }
            i += run;
        } else {
            i += 1;
        }
    }
    text(string)
}

// ------------------------------------------------------------------------------------------
// Arrays and hashes
// ------------------------------------------------------------------------------------------

fn bad_indenting(lines: &Lines) -> MetaError {
    fail(
        lines,
        format!(
            "CPAN::Meta::YAML found bad indenting in line '{}'",
            text(lines.first_text().unwrap_or_default())
        ),
    )
}

fn failed_to_classify(lines: &Lines) -> MetaError {
    fail(
        lines,
        format!(
            "CPAN::Meta::YAML failed to classify line '{}'",
            text(lines.first_text().unwrap_or_default())
        ),
    )
}

fn current(indent: &[Option<usize>]) -> Option<usize> {
    indent.last().copied().flatten()
}

fn parent(indent: &[Option<usize>]) -> Option<usize> {
    indent
        .len()
        .checked_sub(2)
        .and_then(|i| indent.get(i))
        .copied()
        .flatten()
}

/// Perl's `length($1) < $indent->[-1]` with an undefined indent counting as 0.
fn indent_value(indent: &[Option<usize>]) -> usize {
    current(indent).unwrap_or(0)
}

fn with(indent: &[Option<usize>], next: Option<usize>) -> Vec<Option<usize>> {
    let mut v = indent.to_vec();
    v.push(next);
    v
}

/// How deep the parser may nest before giving up (Perl recurses without limit).
const MAX_DEPTH: usize = 2000;

fn load_array(
    array: &mut Vec<RawValue>,
    indent: &[Option<usize>],
    lines: &mut Lines,
) -> Result<(), MetaError> {
    if indent.len() > MAX_DEPTH {
        return Err(fail(lines, "riverpan: YAML nested too deeply".to_string()));
    }
    let p = patterns();
    while let Some(line) = lines.first_text() {
        if starts_with(line, "---") || starts_with(line, "...") {
            lines.skip_to_document_start();
            return Ok(());
        }
        let own = leading_space(line);
        let want = indent_value(indent);
        if own < want {
            return Ok(());
        } else if own > want {
            return Err(bad_indenting(lines));
        }

        if let Some((_, groups)) = matches(&p.inline_hash, line, 1, lines)? {
            let indent2 = groups.get(1).copied().flatten().map_or(0, |(s, e)| e - s);
            if let Some(first) = lines.first_mut() {
                if let Some(dash) = first.text.iter_mut().find(|c| **c == '-') {
                    *dash = ' ';
                }
            }
            let mut hash = BTreeMap::new();
            load_hash(&mut hash, &with(indent, Some(indent2)), lines)?;
            array.push(RawValue::Map(hash));
        } else if line.get(own) == Some(&'-')
            && line
                .get(own + 1..)
                .unwrap_or_default()
                .iter()
                .all(|&c| is_space(c))
        {
            // `- ` alone: the value is on the following lines.
            lines.shift();
            let Some(next) = lines.first_text() else {
                array.push(RawValue::Null);
                return Ok(());
            };
            let next_indent = leading_space(next);
            if next.get(next_indent) == Some(&'-') {
                if indent_value(indent) == next_indent {
                    array.push(RawValue::Null);
                } else {
                    let mut inner = Vec::new();
                    load_array(&mut inner, &with(indent, Some(next_indent)), lines)?;
                    array.push(RawValue::Array(inner));
                }
            } else if next.get(next_indent).is_some() {
                let mut hash = BTreeMap::new();
                load_hash(&mut hash, &with(indent, Some(next_indent)), lines)?;
                array.push(RawValue::Map(hash));
            } else {
                return Err(failed_to_classify(lines));
            }
        } else if line.get(own) == Some(&'-') {
            // `- value` (or `-value`): `^\s*\-(\s*)(.+?)\s*\z`
            let number = lines.line_number();
            let line = lines.shift().unwrap_or_default();
            let rest = line.get(own + 1..).unwrap_or_default();
            let start = leading_space(rest);
            let value = rest.get(start..).unwrap_or_default();
            let value_len = value.len() - value.iter().rev().take_while(|&&c| is_space(c)).count();
            let value = value.get(..value_len).unwrap_or_default();
            let mut scalar_indent = with(indent, None);
            array.push(load_scalar(value, &mut scalar_indent, lines, number)?);
        } else if parent(indent).is_some() && current(indent) == parent(indent) {
            // `key:` followed by `- item` lines at the key's own indent, then the next key.
            return Ok(());
        } else {
            return Err(failed_to_classify(lines));
        }
    }
    Ok(())
}

fn load_hash(
    hash: &mut BTreeMap<String, RawValue>,
    indent: &[Option<usize>],
    lines: &mut Lines,
) -> Result<(), MetaError> {
    if indent.len() > MAX_DEPTH {
        return Err(fail(lines, "riverpan: YAML nested too deeply".to_string()));
    }
    let p = patterns();
    while let Some(line) = lines.first_text() {
        if starts_with(line, "---") || starts_with(line, "...") {
            lines.skip_to_document_start();
            return Ok(());
        }
        let own = leading_space(line);
        let want = indent_value(indent);
        if own < want {
            return Ok(());
        } else if own > want {
            return Err(bad_indenting(lines));
        }

        let line = line.to_vec();
        let (key, rest_start) =
            if let Some((end, groups)) = matches(&p.single_key, &line, 1, lines)? {
                (
                    unquote_single(&group_text(&line, &groups, 1).unwrap_or_default()),
                    end,
                )
            } else if let Some((end, groups)) = matches(&p.double_key, &line, 1, lines)? {
                (
                    unquote_double(&group_text(&line, &groups, 1).unwrap_or_default()),
                    end,
                )
            } else if let Some((end, groups)) = matches(&p.plain_key, &line, 1, lines)? {
                let key = group_text(&line, &groups, 1).unwrap_or_default();
                (key.trim_end_matches(is_space).to_string(), end)
            } else if line.get(own) == Some(&'?') {
                return Err(fail(
                    lines,
                    format!(
                        "CPAN::Meta::YAML does not support a feature in line '{}'",
                        text(&line)
                    ),
                ));
            } else {
                return Err(failed_to_classify(lines));
            };
        let rest = line.get(rest_start..).unwrap_or_default().to_vec();
        // A duplicate key only warns in Perl; the later value replaces the earlier one.
        if !rest.is_empty() {
            let number = lines.line_number();
            lines.shift();
            let mut scalar_indent = with(indent, None);
            let value = load_scalar(&rest, &mut scalar_indent, lines, number)?;
            hash.insert(key, value);
            continue;
        }
        lines.shift();
        let Some(next) = lines.first_text() else {
            hash.insert(key, RawValue::Null);
            return Ok(());
        };
        let next_indent = leading_space(next);
        if next.get(next_indent) == Some(&'-') {
            let mut array = Vec::new();
            // Perl stores the (empty) array before filling it, so a failure leaves no trace
            // that matters: the whole load dies.
            load_array(&mut array, &with(indent, Some(next_indent)), lines)?;
            hash.insert(key, RawValue::Array(array));
        } else if next.get(next_indent).is_some() {
            if indent_value(indent) >= next_indent {
                hash.insert(key, RawValue::Null);
            } else {
                let mut inner = BTreeMap::new();
                load_hash(&mut inner, &with(indent, Some(next_indent)), lines)?;
                hash.insert(key, RawValue::Map(inner));
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Documents
// ------------------------------------------------------------------------------------------

/// `CPAN::Meta::YAML->read_string`: every document of the text (`None` for an empty one).
pub(crate) fn load_documents(string: &str) -> Result<Vec<Option<RawValue>>, MetaError> {
    let string = string.strip_prefix('\u{feff}').unwrap_or(string);
    let mut documents: Vec<Option<RawValue>> = Vec::new();
    if string.is_empty() {
        return Ok(documents);
    }
    let mut lines = Lines {
        lines: split_lines(string),
        next: 0,
    };
    if let Some(first) = lines.first_text() {
        if is_yaml_directive(first) {
            lines.next += 1;
        }
    }
    let p = patterns();
    let mut in_document = false;
    while let Some(line) = lines.first_text() {
        if let Some((_, groups)) = matches(&p.document_header, line, 1, &lines)? {
            let rest = group_text(line, &groups, 1);
            let number = lines.line_number();
            lines.next += 1;
            if let Some(rest) = rest {
                let rest: Vec<char> = rest.chars().collect();
                if matches(&p.header_comment, &rest, 0, &lines)?.is_none() {
                    let mut indent = vec![None];
                    documents.push(Some(load_scalar(&rest, &mut indent, &mut lines, number)?));
                    continue;
                }
            }
            in_document = true;
        }

        match lines.first_text() {
            None => {
                documents.push(None);
                in_document = false;
            }
            Some(line) if starts_with(line, "---") || starts_with(line, "...") => {
                documents.push(None);
                // A `---` line stays: it starts the next document.
                lines.skip_to_document_start();
                in_document = false;
            }
            Some(_) if !in_document && !documents.is_empty() => {
                return Err(fail(
                    &lines,
                    format!(
                        "CPAN::Meta::YAML failed to classify the line '{}'",
                        text(lines.first_text().unwrap_or_default())
                    ),
                ));
            }
            Some(line) => {
                let own = leading_space(line);
                let after = line.get(own + 1..).unwrap_or_default();
                let root_array = line.get(own) == Some(&'-')
                    && (after.first().map_or(true, |&c| is_space(c))
                        || after.iter().all(|&c| c == '-'));
                if root_array {
                    let mut array = Vec::new();
                    let result = load_array(&mut array, &[Some(0)], &mut lines);
                    result?;
                    documents.push(Some(RawValue::Array(array)));
                } else {
                    let mut hash = BTreeMap::new();
                    load_hash(&mut hash, &[Some(own)], &mut lines)?;
                    documents.push(Some(RawValue::Map(hash)));
                }
            }
        }
    }
    Ok(documents)
}

/// `/^\%YAML[: ][\d\.]+.*\z/`
fn is_yaml_directive(line: &[char]) -> bool {
    starts_with(line, "%YAML")
        && matches!(line.get(5), Some(':' | ' '))
        && line.get(6).is_some_and(|&c| c == '.' || is_digit(c))
}

/// `grep { ! /^\s*(?:\#.*)?\z/ } split /(?:\015{1,2}\012|\015|\012)/, $string`, keeping
/// each line's number.
fn split_lines(string: &str) -> Vec<Line> {
    let chars: Vec<char> = string.chars().collect();
    let mut lines = Vec::new();
    let mut number = 1;
    let mut current = Vec::new();
    let mut i = 0;
    let mut push = |current: &mut Vec<char>, number: usize| {
        let body = std::mem::take(current);
        let n = leading_space(&body);
        let blank_or_comment = body.get(n).map_or(true, |&c| c == '#');
        if !blank_or_comment {
            lines.push(Line { number, text: body });
        }
    };
    while let Some(&c) = chars.get(i) {
        match c {
            '\r' => {
                // `\015{1,2}\012` is one separator; a lone `\015` is one too.
                let crlf2 = chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n');
                let crlf = chars.get(i + 1) == Some(&'\n');
                push(&mut current, number);
                number += 1;
                i += if crlf2 {
                    3
                } else if crlf {
                    2
                } else {
                    1
                };
            }
            '\n' => {
                push(&mut current, number);
                number += 1;
                i += 1;
            }
            _ => {
                current.push(c);
                i += 1;
            }
        }
    }
    push(&mut current, number);
    lines
}

/// `Parse::CPAN::Meta->load_yaml_string`: the last document, or an empty hash when there is
/// none or it is false (undefined, `""` or `"0"`).
pub(crate) fn load_yaml_string(string: &str) -> Result<RawValue, MetaError> {
    let documents = load_documents(string)?;
    match documents.into_iter().last().flatten() {
        Some(value) if value.is_truthy() => Ok(value),
        _ => Ok(RawValue::Map(BTreeMap::new())),
    }
}
