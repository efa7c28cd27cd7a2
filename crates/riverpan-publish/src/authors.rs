//! `authors/01mailrc.txt` and `authors/02authors.txt`, as PAUSE's `cron/cron-daily.pl` (`mailrc`, `authors`)
//! writes them.

/// One PAUSE account as the author files need it.
///
/// `Default` is derived so that callers can name the fields they have and leave the rest (`..Default::default()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthorEntry<'a> {
    /// The PAUSE id (`ANDK`).
    pub userid: &'a str,
    /// The full name (may contain any Unicode). Callers that keep only one name put it here.
    pub name: &'a str,
    /// The contact address; `None` or empty falls back to `lc(userid)@cpan.org`.
    pub email: Option<&'a str>,
    /// The account was deleted: the name becomes `Deleted`, the address the fallback.
    pub deleted: bool,
    /// The account may not log in: its address (and ASCII name) are not published.
    pub nologin: bool,
    /// PAUSE's `asciiname`, preferred over `name` in 01mailrc when set (and the account is active).
    pub ascii_name: Option<&'a str>,
    /// The home page, the fourth column of 02authors.
    pub homepage: Option<&'a str>,
}

/// Perl truthiness of a string column: undef, `""` and `"0"` are false (`$x ||= ...` replaces them).
fn perl_true(value: Option<&str>) -> Option<&str> {
    value.filter(|text| !text.is_empty() && *text != "0")
}

fn fallback_email(userid: &str) -> String {
    format!("{}@cpan.org", userid.to_lowercase())
}

/// The name written into 01mailrc: PAUSE's rules, in its order.
fn mailrc_name(author: &AuthorEntry) -> String {
    // A deleted account is "Deleted"; deleted and nologin accounts also lose their asciiname.
    let (full_name, ascii_name) = if author.deleted {
        ("Deleted", None)
    } else if author.nologin {
        (author.name, None)
    } else {
        (author.name, author.ascii_name)
    };
    let chosen = match perl_true(ascii_name) {
        Some(ascii) => ascii.to_string(),
        // PAUSE transliterates (Text::Unidecode) names with anything outside \040-\177; deunicode is the Rust
        // port of the same tables.
        None if full_name
            .bytes()
            .any(|byte| !(0o40..=0o177).contains(&byte)) =>
        {
            deunicode::deunicode(full_name)
        }
        None => full_name.to_string(),
    };
    // Quotes and angle brackets would break the `"Name <email>"` syntax CPAN.pm parses.
    chosen
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>'))
        .collect()
}

fn published_email(author: &AuthorEntry) -> String {
    let email = if author.deleted || author.nologin {
        None
    } else {
        author.email
    };
    match perl_true(email) {
        Some(address) => address.to_string(),
        None => fallback_email(author.userid),
    }
}

fn push_padded(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    for _ in text.chars().count()..width {
        out.push(' ');
    }
}

/// 01mailrc.txt: `alias USERID "Name <email>"` lines, PAUSE's rules (name cleanup, lc(userid)@cpan.org fallback, sorted).
///
/// Line format `sprintf qq{alias %-10s "%s <%s>"\n}`; the lines are sorted as strings. PAUSE's mailing-list aliases
/// (`maillists` table) have no counterpart in riverpan and are not written.
pub fn mailrc(authors: &[AuthorEntry]) -> String {
    let mut lines: Vec<String> = authors
        .iter()
        .map(|author| {
            let mut line = String::from("alias ");
            push_padded(&mut line, author.userid, 10);
            line.push_str(" \"");
            line.push_str(&mailrc_name(author));
            line.push_str(" <");
            line.push_str(&published_email(author));
            line.push_str(">\"\n");
            line
        })
        .collect();
    lines.sort_unstable();
    lines.concat()
}

/// 02authors.txt: `userid TAB email TAB fullname TAB homepage`, sorted by userid.
///
/// Tabs inside the first three fields become spaces and inside the homepage `%09`, as in PAUSE. Deleted and nologin
/// accounts lose address and homepage; deleted ones are named `Deleted`. The full name is written as is (UTF-8, no
/// transliteration, quotes kept), unlike 01mailrc.
pub fn authors_txt(authors: &[AuthorEntry]) -> String {
    let mut sorted: Vec<&AuthorEntry> = authors.iter().collect();
    sorted.sort_by(|a, b| a.userid.cmp(b.userid));
    let mut out = String::with_capacity(authors.len() * 64);
    for author in sorted {
        let hidden = author.deleted || author.nologin;
        let name = if author.deleted {
            "Deleted"
        } else {
            author.name
        };
        let homepage = if hidden {
            ""
        } else {
            author.homepage.unwrap_or("")
        };
        out.push_str(&author.userid.replace('\t', " "));
        out.push('\t');
        out.push_str(&published_email(author).replace('\t', " "));
        out.push('\t');
        out.push_str(&name.replace('\t', " "));
        out.push('\t');
        out.push_str(&homepage.replace('\t', "%09"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        let plain = AuthorEntry {
            userid: "ANDK",
            name: "Andreas J. \"Koenig\" <x>",
            ..Default::default()
        };
        assert_eq!(mailrc_name(&plain), "Andreas J. Koenig x");
        let accented = AuthorEntry {
            userid: "X",
            name: "Andreas König",
            ..Default::default()
        };
        assert_eq!(mailrc_name(&accented), "Andreas Konig");
        let with_ascii = AuthorEntry {
            ascii_name: Some("Andreas Koenig"),
            ..accented
        };
        assert_eq!(mailrc_name(&with_ascii), "Andreas Koenig");
        // "0" is false in Perl, so an asciiname of "0" is ignored
        let zero = AuthorEntry {
            ascii_name: Some("0"),
            name: "Zed",
            ..Default::default()
        };
        assert_eq!(mailrc_name(&zero), "Zed");
        let nologin = AuthorEntry {
            nologin: true,
            ..with_ascii
        };
        assert_eq!(mailrc_name(&nologin), "Andreas Konig");
    }
}
