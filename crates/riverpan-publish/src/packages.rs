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

/// One line of 02packages, described rather than built: PAUSE's `sprintf "%-${one}s %${two}s  %s\n"` with
/// `one=30, two=8`, and for package names longer than 30 characters `one = 38 - length(version)`,
/// `two = length(version)`, so that long names push the version column only as far as needed.
///
/// The sort reads sixteen-byte pieces of lines through it, and the output is written from it in sorted order, so the
/// lines never exist twice in memory.
struct LineLayout<'a> {
    package: &'a str,
    /// Spaces after the package (left-justified first column).
    package_padding: usize,
    /// Spaces before the version (right-justified second column), after the one separating space.
    version_padding: usize,
    version: &'a str,
    dist: &'a str,
}

impl<'a> LineLayout<'a> {
    fn of(row: &IndexedPackage<'a>) -> Self {
        // PAUSE strips one leading '+' (`s/^\+//`).
        let version = row.version.strip_prefix('+').unwrap_or(row.version);
        let package_width = char_width(row.package);
        let version_width = char_width(version);
        let (package_column, version_column) = if package_width > PACKAGE_COLUMN {
            // 38 - length(version) can be zero or negative for absurd versions; Perl's sprintf then reads "%-0s"
            // (no width) or "%--Ns" (a repeated '-' flag and width N), so the effective width is the absolute value.
            let one = (PACKAGE_COLUMN + VERSION_COLUMN) as i64 - version_width as i64;
            (one.unsigned_abs() as usize, version_width)
        } else {
            (PACKAGE_COLUMN, VERSION_COLUMN)
        };
        LineLayout {
            package: row.package,
            package_padding: package_column.saturating_sub(package_width),
            version_padding: version_column.saturating_sub(version_width),
            version,
            dist: row.dist,
        }
    }

    /// The pieces of the line in order; `None` stands for `count` spaces.
    fn pieces(&self) -> [(Option<&'a [u8]>, usize); 6] {
        [
            (Some(self.package.as_bytes()), self.package.len()),
            (None, self.package_padding + 1 + self.version_padding),
            (Some(self.version.as_bytes()), self.version.len()),
            (None, 2),
            (Some(self.dist.as_bytes()), self.dist.len()),
            (Some(b"\n".as_slice()), 1),
        ]
    }

    fn push_to(&self, out: &mut String) {
        out.push_str(self.package);
        push_spaces(out, self.package_padding + 1 + self.version_padding);
        out.push_str(self.version);
        out.push_str("  ");
        out.push_str(self.dist);
        out.push('\n');
    }

    /// Up to [`CHUNK`] bytes of the line from `offset`, ASCII-lowercased, zero-padded, as a big-endian number, and how
    /// many bytes were real.
    fn lowered_chunk(&self, offset: usize) -> (u128, u8) {
        let mut chunk = [0u8; CHUNK];
        let mut filled = 0;
        let mut piece_start = 0;
        for (bytes, len) in self.pieces() {
            if filled == CHUNK {
                break;
            }
            let piece_end = piece_start + len;
            if piece_end > offset + filled {
                let from = offset + filled - piece_start;
                let take = (len - from).min(CHUNK - filled);
                match bytes {
                    Some(bytes) => {
                        for (slot, byte) in
                            chunk[filled..filled + take].iter_mut().zip(&bytes[from..])
                        {
                            *slot = byte.to_ascii_lowercase();
                        }
                    }
                    None => chunk[filled..filled + take].fill(b' '),
                }
                filled += take;
            }
            piece_start = piece_end;
        }
        (u128::from_be_bytes(chunk), filled as u8)
    }

    /// The whole line's bytes, for the rare comparison of lines equal after lowercasing.
    fn to_bytes(&self) -> Vec<u8> {
        let mut line = String::new();
        self.push_to(&mut line);
        line.into_bytes()
    }
}

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

/// Appends the body of 02packages to `out`: the formatted lines, sorted like PAUSE's `sort { lc $a cmp lc $b }` over
/// whole lines.
///
/// Lines that are equal after lowercasing (case variants of one package with the same version and dist) keep a
/// deterministic order, byte order of the original line (uppercase first); Perl's mergesort would keep the database's
/// row order instead, which riverpan does not have.
fn push_packages_body(out: &mut String, packages: &[IndexedPackage]) {
    let layouts: Vec<LineLayout> = packages.iter().map(LineLayout::of).collect();
    let mut keys: Vec<SortKey> = (0..layouts.len())
        .map(|row| SortKey {
            chunk: 0,
            available: 0,
            row,
        })
        .collect();
    sort_lowercased(&layouts, &mut keys, 0);
    for key in keys {
        layouts[key.row].push_to(out);
    }
}

/// Bytes of a line compared per level of [`sort_lowercased`].
const CHUNK: usize = 16;

/// A line's sort key at the current level: sixteen bytes of its lowercased form as a big-endian number (zero-padded
/// past the end of the line), how many of them are real, and which line it is. 32 bytes, cheap for the sort to move.
struct SortKey {
    chunk: u128,
    available: u8,
    row: usize,
}

/// Sorts `keys` by `lc` of their lines (then by the lines' bytes), sixteen bytes per level: a most-significant-digit
/// radix sort whose digits are compared as numbers.
///
/// Each level computes every key once and sorts by it without touching the lines; only runs with equal keys go down
/// a level. A CPAN-size index in database order (random with respect to the sort) then costs a few passes over the
/// keys instead of millions of comparisons that each fetch two lines from random places.
///
/// Comparing (chunk, available) orders like comparing the bytes: equal chunks with fewer real bytes belong to a line
/// that is a prefix of the other, which sorts first, as in Perl's `cmp`.
fn sort_lowercased(layouts: &[LineLayout], keys: &mut [SortKey], level: usize) {
    let offset = level * CHUNK;
    for key in keys.iter_mut() {
        (key.chunk, key.available) = layouts[key.row].lowered_chunk(offset);
    }
    keys.sort_unstable_by_key(|key| (key.chunk, key.available));
    let mut run_start = 0;
    while run_start < keys.len() {
        let first = &keys[run_start];
        let run_len = keys[run_start..]
            .iter()
            .take_while(|key| key.chunk == first.chunk && key.available == first.available)
            .count();
        let complete = usize::from(first.available) < CHUNK;
        let run = &mut keys[run_start..run_start + run_len];
        if run_len > 1 {
            if complete {
                // The lines are equal after lowercasing: case variants of one line. Perl's stable sort would keep
                // the database's order; byte order (uppercase first) is the deterministic stand-in.
                run.sort_by_cached_key(|key| layouts[key.row].to_bytes());
            } else {
                sort_lowercased(layouts, run, level + 1);
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
        let row = IndexedPackage {
            package,
            version,
            dist: "A/AB/ABC/X-1.tar.gz",
        };
        let mut out = String::new();
        LineLayout::of(&row).push_to(&mut out);
        out
    }

    #[test]
    fn chunks_are_pieces_of_the_lowercased_line() {
        let rows = [
            ("Some::Very::Long::Package::Name::Here", "0.001002"),
            ("Foo::Bar", "+1.23"),
            ("A", "undef"),
            ("Ünïcödé::Name", "v1.2.3"),
            (&*"P".repeat(31), &*"9".repeat(70)),
        ];
        for (package, version) in rows {
            let row = IndexedPackage {
                package,
                version,
                dist: "A/AB/ABC/X-1.tar.gz",
            };
            let layout = LineLayout::of(&row);
            let lowered = layout.to_bytes().to_ascii_lowercase();
            for offset in 0..lowered.len() + 20 {
                let rest = lowered.get(offset..).unwrap_or(&[]);
                let mut expected = [0u8; CHUNK];
                let real = rest.len().min(CHUNK);
                expected[..real].copy_from_slice(&rest[..real]);
                assert_eq!(
                    layout.lowered_chunk(offset),
                    (u128::from_be_bytes(expected), real as u8),
                    "{package} at {offset}"
                );
            }
        }
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
