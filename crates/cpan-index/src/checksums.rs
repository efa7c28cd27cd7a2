//! An author directory's `CHECKSUMS`, read as data.

use std::collections::BTreeMap;

use crate::IndexError;

/// One file's entry in CHECKSUMS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChecksumRecord {
    /// Lowercase hex SHA-256 of the file, when listed.
    pub sha256: Option<String>,
    /// Lowercase hex MD5 of the file, when listed.
    pub md5: Option<String>,
    /// Size in bytes, when listed.
    pub size: Option<u64>,
    /// Every scalar field as written (`cpan_path`, `mtime`, `md5-ungz`, `isdir`, …).
    pub fields: BTreeMap<String, String>,
}

/// Parses a CHECKSUMS file (with or without its PGP clear-signature armour; the signature is
/// not checked here) into file name → entry.
pub fn parse_checksums(text: &str) -> Result<BTreeMap<String, ChecksumRecord>, IndexError> {
    let body = strip_armour(text);
    let mut parser = Parser {
        text: body.as_bytes(),
        at: 0,
        line: 1,
    };
    parser.expect_cksum_assignment()?;
    let mut out = BTreeMap::new();
    parser.expect(b'{', "`{` opening the hash of files")?;
    loop {
        parser.skip_space();
        if parser.eat(b'}') {
            break;
        }
        let name = parser.string("a quoted file name")?;
        parser.arrow()?;
        parser.expect(b'{', "`{` opening the entry of a file")?;
        let mut record = ChecksumRecord::default();
        loop {
            parser.skip_space();
            if parser.eat(b'}') {
                break;
            }
            let key = parser.string("a quoted field name")?;
            parser.arrow()?;
            let value = parser.scalar()?;
            match key.as_str() {
                "sha256" => record.sha256 = Some(value.to_ascii_lowercase()),
                "md5" => record.md5 = Some(value.to_ascii_lowercase()),
                "size" => record.size = value.parse().ok(),
                _ => {}
            }
            record.fields.insert(key, value);
            parser.skip_space();
            if !parser.eat(b',') {
                parser.skip_space();
                parser.expect(b'}', "`,` or `}` after a field")?;
                break;
            }
        }
        out.insert(name, record);
        parser.skip_space();
        if !parser.eat(b',') {
            parser.skip_space();
            parser.expect(b'}', "`,` or `}` after an entry")?;
            break;
        }
    }
    parser.skip_space();
    parser.expect(b';', "`;` ending the assignment")?;
    Ok(out)
}

/// The signed text of a PGP clear-signed message (dash-escaping undone), or the text itself.
fn strip_armour(text: &str) -> String {
    const BEGIN: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
    const SIGNATURE: &str = "-----BEGIN PGP SIGNATURE-----";
    let Some(start) = text.find(BEGIN) else {
        return text.to_string();
    };
    let rest = &text[start + BEGIN.len()..];
    // Armour headers ("Hash: SHA1") end at the first empty line.
    let body = match rest.find("\n\n").or_else(|| rest.find("\r\n\r\n")) {
        Some(at) => &rest[at..],
        None => rest,
    };
    let body = body.split(SIGNATURE).next().unwrap_or(body);
    body.lines()
        .map(|line| line.strip_prefix("- ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Parser<'t> {
    text: &'t [u8],
    at: usize,
    line: usize,
}

impl Parser<'_> {
    fn error(&self, what: impl Into<String>) -> IndexError {
        let found = match self.text.get(self.at) {
            Some(byte) => format!(", found {:?}", char::from(*byte)),
            None => ", found the end of the file".to_string(),
        };
        IndexError::BadChecksums {
            line: self.line,
            what: format!("expected {}{found}", what.into()),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        if byte == b'\n' {
            self.line += 1;
        }
        Some(byte)
    }

    /// White space and `#` comments.
    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            if byte.is_ascii_whitespace() {
                self.bump();
            } else if byte == b'#' {
                while let Some(byte) = self.bump() {
                    if byte == b'\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), IndexError> {
        self.skip_space();
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn arrow(&mut self) -> Result<(), IndexError> {
        self.skip_space();
        if self.text.get(self.at..self.at + 2) == Some(b"=>") {
            self.at += 2;
            Ok(())
        } else if self.eat(b',') {
            Ok(())
        } else {
            Err(self.error("`=>`"))
        }
    }

    /// `$cksum =` (or `$CPAN::Checksums::cksum =`), after comments.
    fn expect_cksum_assignment(&mut self) -> Result<(), IndexError> {
        self.skip_space();
        if !self.eat(b'$') {
            return Err(self.error("`$cksum = {`"));
        }
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        {
            self.bump();
        }
        let name = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
        if name != "cksum" && !name.ends_with("::cksum") {
            return Err(IndexError::BadChecksums {
                line: self.line,
                what: format!("expected `$cksum = {{`, found `${name}`"),
            });
        }
        self.expect(b'=', "`=` after `$cksum`")
    }

    /// A quoted string (single quotes: `\\` and `\'` escapes; double quotes: backslash
    /// escapes, no interpolation) or a bare word of letters, digits, `_`, `-`, `.`.
    fn string(&mut self, what: &str) -> Result<String, IndexError> {
        self.skip_space();
        match self.peek() {
            Some(quote @ (b'\'' | b'"')) => {
                self.bump();
                let mut bytes = Vec::new();
                loop {
                    match self.bump() {
                        None => return Err(self.error(format!("the closing {}", quote as char))),
                        Some(b'\\') => match self.bump() {
                            Some(escaped)
                                if quote == b'\'' && escaped != b'\\' && escaped != b'\'' =>
                            {
                                bytes.push(b'\\');
                                bytes.push(escaped);
                            }
                            Some(b'n') if quote == b'"' => bytes.push(b'\n'),
                            Some(b't') if quote == b'"' => bytes.push(b'\t'),
                            Some(escaped) => bytes.push(escaped),
                            None => {
                                return Err(self.error(format!("the closing {}", quote as char)))
                            }
                        },
                        Some(byte) if byte == quote => break,
                        Some(byte) => bytes.push(byte),
                    }
                }
                Ok(String::from_utf8_lossy(&bytes).into_owned())
            }
            Some(byte) if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' => {
                let start = self.at;
                while self.peek().is_some_and(|b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
                }) {
                    self.bump();
                }
                Ok(String::from_utf8_lossy(&self.text[start..self.at]).into_owned())
            }
            _ => Err(self.error(what)),
        }
    }

    /// A field's value: a string or a number (`undef` reads as the empty string).
    fn scalar(&mut self) -> Result<String, IndexError> {
        let value = self.string("a quoted value or a number")?;
        Ok(if value == "undef" {
            String::new()
        } else {
            value
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN: &str =
        "# CHECKSUMS file written on Tue Dec  8 00:37:19 2026 GMT by CPAN::Checksums (v2.14)
$cksum = {
  'Changes.html' => {
    'cpan_path' => 'N/NO/NOTARY',
    'md5' => '45dab6108006279f85896208c7435ac1',
    'mtime' => '2026-12-08',
    'sha256' => '9070B16A5CD34A7BF6CD2BE0ED08C4917E462C5C98750382BA5BFA81B26A0BF9',
    'size' => 18
  },
  'It\\'s-1.0.tar.gz' => {
    'md5-ungz' => '391466243f5c009da9fd68ac00a3c283',
    'size' => 1234
  },
  'sub' => {
    'isdir' => 1
  }
};
__END__
";

    #[test]
    fn a_written_file_is_read() {
        let files = parse_checksums(WRITTEN).unwrap_or_default();
        assert_eq!(files.len(), 3);
        let html = &files["Changes.html"];
        assert_eq!(
            html.sha256.as_deref(),
            Some("9070b16a5cd34a7bf6cd2be0ed08c4917e462c5c98750382ba5bfa81b26a0bf9")
        );
        assert_eq!(html.size, Some(18));
        assert_eq!(html.fields["cpan_path"], "N/NO/NOTARY");
        assert_eq!(files["It's-1.0.tar.gz"].size, Some(1234));
        assert_eq!(files["sub"].fields["isdir"], "1");
    }

    #[test]
    fn a_signed_file_is_read() {
        let signed = format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\n{WRITTEN}-----BEGIN PGP SIGNATURE-----\n\niQEVAwUB\n-----END PGP SIGNATURE-----\n"
        );
        assert_eq!(parse_checksums(&signed), parse_checksums(WRITTEN));
    }

    #[test]
    fn empty_and_broken_files() {
        assert_eq!(parse_checksums("$cksum = {};\n").map(|f| f.len()), Ok(0));
        for (text, line) in [
            ("", 1),
            ("$cksum = {\n 'a' => {\n 'size' => \n", 4),
            ("$cksum = { 'a' => { 'size' => 1 } }\n", 2),
            ("$other = {};", 1),
            ("$cksum = { 'a' => 'b' };", 1),
            ("system('rm -rf /');", 1),
        ] {
            match parse_checksums(text) {
                Err(IndexError::BadChecksums { line: got, .. }) => {
                    assert_eq!(got, line, "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
