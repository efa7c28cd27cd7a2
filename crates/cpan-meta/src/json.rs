//! `JSON::PP` 4.07 `decode_json` (UTF-8 mode, strict, `allow_nonref` on, as in 4.x), as
//! `Parse::CPAN::Meta->load_json_string` calls it.

use crate::error::{ErrorKind, MetaError};
use crate::RawValue;
use std::collections::BTreeMap;

/// `JSON::PP`'s default `max_depth`.
const MAX_DEPTH: usize = 512;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Byte offset of the next unread byte.
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn error(&self, message: &str, offset: usize) -> MetaError {
        let before = self.text.get(..offset.min(self.text.len())).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(1, |l| l.chars().count() + 1);
        MetaError::new(
            ErrorKind::Json,
            format!("{message}, at character offset {offset}"),
        )
        .at(line, Some(column))
    }

    /// `white`: only the four JSON white-space characters (no comments: not relaxed).
    fn white(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Option<RawValue>, MetaError> {
        self.white();
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let value = match c {
            b'{' => self.object()?,
            b'[' => self.array()?,
            b'"' => RawValue::String(self.string()?),
            b'0'..=b'9' | b'-' => self.number()?,
            _ => self.word()?,
        };
        Ok(Some(value))
    }

    fn enter(&mut self) -> Result<(), MetaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                "json text or perl structure exceeds maximum nesting level (max_depth set too low?)",
                self.at,
            ));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<RawValue, MetaError> {
        self.enter()?;
        self.at += 1;
        self.white();
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.at += 1;
            self.depth -= 1;
            return Ok(RawValue::Array(items));
        }
        while self.peek().is_some() {
            if let Some(v) = self.value()? {
                items.push(v);
            }
            self.white();
            match self.peek() {
                None => break,
                Some(b']') => {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(RawValue::Array(items));
                }
                Some(b',') => {
                    self.at += 1;
                    self.white();
                }
                Some(_) => break,
            }
        }
        Err(self.error(", or ] expected while parsing array", self.at))
    }

    fn object(&mut self) -> Result<RawValue, MetaError> {
        self.enter()?;
        self.at += 1;
        self.white();
        let mut map = BTreeMap::new();
        if self.peek() == Some(b'}') {
            self.at += 1;
            self.depth -= 1;
            return Ok(RawValue::Map(map));
        }
        while self.peek().is_some() {
            let key = self.string()?;
            self.white();
            if self.peek() != Some(b':') {
                return Err(self.error("':' expected", self.at));
            }
            self.at += 1;
            // `$o->{$k} = value()`: nothing left stores undef, and the next check fails.
            let value = self.value()?.unwrap_or(RawValue::Null);
            // A repeated key: the later value wins, as in a Perl hash.
            map.insert(key, value);
            self.white();
            match self.peek() {
                None => break,
                Some(b'}') => {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(RawValue::Map(map));
                }
                Some(b',') => {
                    self.at += 1;
                    self.white();
                }
                Some(_) => break,
            }
        }
        Err(self.error(", or } expected while parsing object/hash", self.at))
    }

    fn word(&mut self) -> Result<RawValue, MetaError> {
        let rest = self.bytes.get(self.at..).unwrap_or_default();
        if rest.starts_with(b"true") {
            self.at += 4;
            return Ok(RawValue::Bool(true));
        }
        if rest.starts_with(b"null") {
            self.at += 4;
            return Ok(RawValue::Null);
        }
        if rest.starts_with(b"false") {
            self.at += 5;
            return Ok(RawValue::Bool(false));
        }
        let message = match rest.first() {
            Some(b'n') => "'null' expected",
            Some(b't') => "'true' expected",
            Some(b'f') => "'false' expected",
            _ => "malformed JSON string, neither array, object, number, string or atom",
        };
        Err(self.error(message, self.at))
    }

    fn number(&mut self) -> Result<RawValue, MetaError> {
        let start = self.at;
        let digit = |p: &Parser<'_>| p.peek().is_some_and(|b| b.is_ascii_digit());
        if self.peek() == Some(b'-') {
            self.at += 1;
            if !digit(self) {
                return Err(self.error("malformed number (no digits after initial minus)", self.at));
            }
        }
        if self.peek() == Some(b'0') {
            let next = self.bytes.get(self.at + 1).copied();
            if next.is_some_and(|b| {
                b.is_ascii_digit() || matches!(b, b'a'..=b'd' | b'f' | b'A'..=b'D' | b'F')
            }) {
                return Err(self.error(
                    "malformed number (leading zero must not be followed by another digit)",
                    self.at + 1,
                ));
            }
            self.at += 1;
        }
        while digit(self) {
            self.at += 1;
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digit(self) {
                return Err(self.error("malformed number (no digits after decimal point)", self.at));
            }
            while digit(self) {
                self.at += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digit(self) {
                return Err(self.error("malformed number (no digits after exp sign)", self.at));
            }
            while digit(self) {
                self.at += 1;
            }
        }
        let text = self.text.get(start..self.at).unwrap_or("0");
        Ok(RawValue::Number(text.to_string()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let s = std::str::from_utf8(digits).ok()?;
        let code = u32::from_str_radix(s, 16).ok()?;
        self.at += 4;
        Some(code)
    }

    fn string(&mut self) -> Result<String, MetaError> {
        let unexpected_end = |p: &Parser<'_>| {
            p.error(
                "unexpected end of string while parsing JSON string",
                p.at.min(p.bytes.len()),
            )
        };
        if self.peek() != Some(b'"') {
            return Err(unexpected_end(self));
        }
        self.at += 1;
        let mut out = String::new();
        // A high surrogate waits (across other characters, as in JSON::PP) for its low half.
        let mut high: Option<u32> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(unexpected_end(self));
            };
            match c {
                b'"' => {
                    self.at += 1;
                    if high.is_some() {
                        return Err(self
                            .error("missing low surrogate character in surrogate pair", self.at));
                    }
                    return Ok(out);
                }
                b'\\' => {
                    self.at += 1;
                    let escaped = self.peek();
                    self.at += 1;
                    match escaped {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let Some(code) = self.hex4() else {
                                return Err(unexpected_end(self));
                            };
                            match code {
                                0xD800..=0xDBFF => high = Some(code),
                                0xDC00..=0xDFFF => {
                                    let Some(h) = high.take() else {
                                        return Err(self.error(
                                            "missing high surrogate character in surrogate pair",
                                            self.at,
                                        ));
                                    };
                                    let combined = 0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00);
                                    out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                                }
                                _ => {
                                    if high.is_some() {
                                        return Err(self.error("surrogate pair expected", self.at));
                                    }
                                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                                }
                            }
                        }
                        _ => {
                            return Err(self.error(
                                "illegal backslash escape sequence in string",
                                self.at.saturating_sub(2),
                            ))
                        }
                    }
                }
                0x00..=0x1F => {
                    return Err(self.error(
                        "invalid character encountered while parsing JSON string",
                        self.at,
                    ))
                }
                _ => {
                    // The text is valid UTF-8 (it went through the PERLQQ decoding), so take
                    // the whole character.
                    let ch = self
                        .text
                        .get(self.at..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.at += ch.len_utf8();
                }
            }
        }
    }
}

/// `decode_json` on the UTF-8 text `text`.
pub(crate) fn decode_json(text: &str) -> Result<RawValue, MetaError> {
    let bytes = text.as_bytes();
    // `_detect_utf_encoding`: zero bytes among the first four announce UTF-16 or UTF-32.
    if let Some(first4) = bytes.get(..4) {
        if first4.first() == Some(&0) || first4.get(1) == Some(&0) {
            return Err(MetaError::new(
                ErrorKind::Json,
                "riverpan reads JSON only as UTF-8 (the text starts like UTF-16 or UTF-32)",
            )
            .at(1, Some(1)));
        }
    }
    let mut parser = Parser {
        text,
        bytes,
        at: 0,
        depth: 0,
    };
    parser.white();
    if parser.peek().is_none() {
        return Err(parser.error(
            "malformed JSON string, neither array, object, number, string or atom",
            parser.at,
        ));
    }
    let value = parser.value()?.unwrap_or(RawValue::Null);
    parser.white();
    if parser.peek().is_some() {
        return Err(parser.error("garbage after JSON object", parser.at));
    }
    Ok(value)
}

/// `Parse::CPAN::Meta->load_json_string`: the decoded value, or an empty hash when it is
/// false.
pub(crate) fn load_json_string(text: &str) -> Result<RawValue, MetaError> {
    let value = decode_json(text)?;
    if value.is_truthy() {
        Ok(value)
    } else {
        Ok(RawValue::Map(BTreeMap::new()))
    }
}
