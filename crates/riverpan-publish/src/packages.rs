//! `modules/02packages.details.txt`, as `PAUSE::mldistwatch::rewrite02` writes it.

use std::time::SystemTime;

use crate::date::http_date;

/// One row of the package index that is published (PAUSE: `packages` with `status='index'` and a non-empty `file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedPackage<'a> {
    /// The package name, exact case (`Foo::Bar`).
    pub package: &'a str,
    /// The indexed version as stored (`1.23`, `v1.2.3`, `undef`); one leading `+` is stripped when written.
    pub version: &'a str,
    /// The distribution path relative to `authors/id/`, e.g. `F/FO/FOO/Foo-1.tar.gz`.
    pub dist: &'a str,
}

/// What the headers of the published files say about their writer and their time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Base of the `URL:` line of 02packages, without a trailing slash; PAUSE writes `http://www.cpan.org`.
    pub url_base: String,
    /// The `Written-By:` value; PAUSE writes `PAUSE version 1.005`.
    pub written_by: String,
    /// `Last-Updated:` / `Date:`, written in RFC 1123 GMT form.
    pub date: SystemTime,
}

impl FileHeader {
    /// The default URL base and writer (`riverpan <version>`) with the given date.
    pub fn at(date: SystemTime) -> Self {
        FileHeader {
            url_base: DEFAULT_URL_BASE.to_string(),
            written_by: default_written_by(),
            date,
        }
    }
}

impl Default for FileHeader {
    /// `http://www.cpan.org`, `riverpan <version>`, now.
    fn default() -> Self {
        FileHeader::at(SystemTime::now())
    }
}

/// PAUSE's URL base in the 02packages header.
pub const DEFAULT_URL_BASE: &str = "http://www.cpan.org";

/// `riverpan 0.1.0`: the `Written-By:` of files this crate writes unless told otherwise.
pub fn default_written_by() -> String {
    format!("riverpan {}", env!("CARGO_PKG_VERSION"))
}

/// Column widths of PAUSE's layout: the package padded to 30, the version right-aligned in 8.
const PACKAGE_COLUMN: usize = 30;
const VERSION_COLUMN: usize = 8;

/// Width in characters as Perl's `length`/`sprintf` count them for character strings.
fn char_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn push_spaces(out: &mut String, mut count: usize) {
    const SPACES: &str = "                                        ";
    while count > 0 {
        let chunk = count.min(SPACES.len());
        out.push_str(&SPACES[..chunk]);
        count -= chunk;
    }
}

/// Appends one line in PAUSE's layout: `sprintf "%-${one}s %${two}s  %s\n"` with `one=30, two=8`, and for package
/// names longer than 30 characters `one = 38 - length(version)`, `two = length(version)`, so that long names push the
/// version column only as far as needed.
fn push_details_line(out: &mut String, package: &str, version: &str, dist: &str) {
    let package_width = char_width(package);
    let version_width = char_width(version);
    let (package_column, version_column) = if package_width > PACKAGE_COLUMN {
        // 38 - length(version) can be zero or negative for absurd versions; Perl's sprintf then reads "%-0s" (no
        // width) or "%--Ns" (a repeated '-' flag and width N), so the effective width is the absolute value.
        let one = (PACKAGE_COLUMN + VERSION_COLUMN) as i64 - version_width as i64;
        (one.unsigned_abs() as usize, version_width)
    } else {
        (PACKAGE_COLUMN, VERSION_COLUMN)
    };
    out.push_str(package);
    push_spaces(out, package_column.saturating_sub(package_width));
    out.push(' ');
    push_spaces(out, version_column.saturating_sub(version_width));
    out.push_str(version);
    out.push_str("  ");
    out.push_str(dist);
    out.push('\n');
}

/// Appends the body of 02packages to `out`: the formatted lines, sorted like PAUSE's `sort { lc $a cmp lc $b }` over
/// whole lines.
///
/// Lines that are equal after lowercasing (case variants of one package with the same version and dist) keep a
/// deterministic order, byte order of the original line (uppercase first); Perl's mergesort would keep the database's
/// row order instead, which riverpan does not have.
fn push_packages_body(out: &mut String, packages: &[IndexedPackage]) {
    // All lines go into one buffer and are sorted as spans of it: no allocation per line.
    let mut lines = String::with_capacity(packages.len() * 90);
    let mut spans: Vec<LineSpan> = Vec::with_capacity(packages.len());
    for row in packages {
        let version = row.version.strip_prefix('+').unwrap_or(row.version);
        let start = lines.len();
        push_details_line(&mut lines, row.package, version, row.dist);
        spans.push(LineSpan {
            chunk: 0,
            available: 0,
            start,
            end: lines.len(),
        });
    }
    sort_lowercased(lines.as_bytes(), &mut spans, 0);
    out.reserve(lines.len());
    for span in spans {
        out.push_str(&lines[span.range()]);
    }
}

/// Bytes of a line compared per level of [`sort_lowercased`].
const CHUNK: usize = 16;

/// Where a formatted line sits in the line buffer, with the sort key of the current level: sixteen bytes of its
/// lowercased form as a big-endian number (zero-padded past the end of the line) and how many of them are real.
struct LineSpan {
    chunk: u128,
    available: u8,
    start: usize,
    end: usize,
}

impl LineSpan {
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// Sorts `spans` by `lc` of their lines (then by the lines' bytes), sixteen bytes per level: a most-significant-digit
/// radix sort whose digits are compared as numbers.
///
/// Each level computes every key once and sorts by it without touching the line buffer; only runs with equal keys
/// go down a level. A CPAN-size index in database order (random with respect to the sort) then costs a few passes
/// over the keys instead of millions of comparisons that each fetch two lines from random places.
///
/// Comparing (chunk, available) orders like comparing the bytes: equal chunks with fewer real bytes belong to a line
/// that is a prefix of the other, which sorts first, as in Perl's `cmp`.
fn sort_lowercased(lines: &[u8], spans: &mut [LineSpan], level: usize) {
    let offset = level * CHUNK;
    for span in spans.iter_mut() {
        let line = &lines[span.range()];
        let rest = line.get(offset..).unwrap_or(&[]);
        let mut chunk = [0u8; CHUNK];
        for (slot, byte) in chunk.iter_mut().zip(rest) {
            *slot = byte.to_ascii_lowercase();
        }
        span.chunk = u128::from_be_bytes(chunk);
        span.available = rest.len().min(CHUNK) as u8;
    }
    spans.sort_unstable_by_key(|span| (span.chunk, span.available));
    let mut run_start = 0;
    while run_start < spans.len() {
        let first = &spans[run_start];
        let run_len = spans[run_start..]
            .iter()
            .take_while(|span| span.chunk == first.chunk && span.available == first.available)
            .count();
        let complete = usize::from(first.available) < CHUNK;
        let run = &mut spans[run_start..run_start + run_len];
        if run_len > 1 {
            if complete {
                // The lines are equal after lowercasing: case variants of one line. Perl's stable sort would keep
                // the database's order; byte order (uppercase first) is the deterministic stand-in.
                run.sort_unstable_by(|a, b| lines[a.range()].cmp(&lines[b.range()]));
            } else {
                sort_lowercased(lines, run, level + 1);
            }
        }
        run_start += run_len;
    }
}

/// 02packages.details.txt: PAUSE's header (Line-Count, Last-Updated in RFC 1123), column layout and the
/// case-insensitive sort of the formatted lines; a leading '+' stripped from versions.
///
/// Every row is written, case duplicates included (PAUSE does the same); rows are not de-duplicated.
pub fn packages_details(packages: &[IndexedPackage], header: &FileHeader) -> String {
    let mut text = String::with_capacity(packages.len() * 90 + 512);
    text.push_str("File:         02packages.details.txt\n");
    text.push_str("URL:          ");
    text.push_str(&header.url_base);
    text.push_str("/modules/02packages.details.txt\n");
    text.push_str("Description:  Package names found in directory $CPAN/authors/id/\n");
    text.push_str("Columns:      package name, version, path\n");
    text.push_str("Intended-For: Automated fetch routines, namespace documentation.\n");
    text.push_str("Written-By:   ");
    text.push_str(&header.written_by);
    text.push('\n');
    text.push_str("Line-Count:   ");
    text.push_str(&packages.len().to_string());
    text.push('\n');
    text.push_str("Last-Updated: ");
    text.push_str(&http_date(header.date));
    text.push_str("\n\n");
    push_packages_body(&mut text, packages);
    text
}

/// The body (everything after the first empty line) of a 02packages text, to decide whether to rewrite.
///
/// This is PAUSE's `next if 1../^$/`: the header ends at the first line that is empty; when there is none, the whole
/// text is header and the body is empty. The same split works for 06perms and 03modlist, whose headers have no other
/// blank line.
pub fn details_body(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix('\n') {
        return rest;
    }
    match text.find("\n\n") {
        Some(position) => &text[position + 2..],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(package: &str, version: &str) -> String {
        let mut out = String::new();
        push_details_line(&mut out, package, version, "A/AB/ABC/X-1.tar.gz");
        out
    }

    #[test]
    fn absurd_versions_follow_perls_sprintf() {
        let package = "A".repeat(31);
        // one = 0: "%-0s", no padding
        assert_eq!(
            line(&package, &"x".repeat(38)),
            format!("{package} {}  A/AB/ABC/X-1.tar.gz\n", "x".repeat(38))
        );
        // one = -32: "%--32s", padded to 32
        let version = "y".repeat(70);
        assert_eq!(
            line(&package, &version),
            format!("{package}  {version}  A/AB/ABC/X-1.tar.gz\n")
        );
    }

    #[test]
    fn body_split() {
        assert_eq!(details_body("a: b\n\nx\ny\n"), "x\ny\n");
        assert_eq!(details_body("\nx\n"), "x\n");
        assert_eq!(details_body("a: b\n"), "");
        assert_eq!(details_body("a: b\n\n"), "");
    }
}
