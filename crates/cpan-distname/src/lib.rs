//! Distribution name and version from a CPAN distribution path, exactly as Perl's
//! [`CPAN::DistnameInfo`](https://metacpan.org/pod/CPAN::DistnameInfo) 0.12 extracts them.
//!
//! CPAN has no field that says "this upload is version 1.23 of distribution Foo-Bar": PAUSE,
//! MetaCPAN, CPAN clients and indexers all *guess* it from the file name, and they all guess the
//! way `CPAN::DistnameInfo` does. [`DistnameInfo`] is a faithful port of that module's
//! heuristics (the regular expressions, including their quirks on odd input), so that its
//! answers agree with the rest of the CPAN toolchain. It never fails: like the Perl
//! constructor it accepts any string, and fields it cannot determine are `None` (Perl's
//! `undef`).
//!
//! ```
//! use cpan_distname::DistnameInfo;
//!
//! let d = DistnameInfo::new("authors/id/G/GB/GBARR/CPAN-DistnameInfo-0.02.tar.gz");
//! assert_eq!(d.dist(), Some("CPAN-DistnameInfo"));
//! assert_eq!(d.version(), Some("0.02"));
//! assert_eq!(d.maturity(), Some("released"));
//! assert_eq!(d.cpanid(), Some("GBARR"));
//! assert_eq!(d.distvname(), Some("CPAN-DistnameInfo-0.02"));
//! assert_eq!(d.extension(), Some("tar.gz"));
//! assert_eq!(d.filename(), Some("CPAN-DistnameInfo-0.02.tar.gz"));
//! assert_eq!(d.pathname(), Some("authors/id/G/GB/GBARR/CPAN-DistnameInfo-0.02.tar.gz"));
//!
//! let d = DistnameInfo::new("authors/id/M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz");
//! assert_eq!(d.maturity(), Some("developer"));
//! ```
//!
//! The input is treated as Perl treats a byte string that was never decoded: only ASCII
//! characters are letters, digits or word characters; any other character is "something
//! else". All splitting happens at ASCII characters, so the results are always slices (or
//! concatenations of slices) of valid UTF-8.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

/// Whether a distribution is a stable release or a developer (trial) release.
///
/// This is the typed form of [`DistnameInfo::maturity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Maturity {
    /// A normal release (`"released"`).
    Released,
    /// A developer release (`"developer"`): a version like `1.23_01`, a `-TRIAL` suffix, or an
    /// odd-numbered perl development release.
    Developer,
}

impl Maturity {
    /// The string `CPAN::DistnameInfo` uses: `"released"` or `"developer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Released => "released",
            Maturity::Developer => "developer",
        }
    }
}

impl fmt::Display for Maturity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The information `CPAN::DistnameInfo` extracts from a distribution path.
///
/// Built with [`DistnameInfo::new`]; every accessor returns exactly what the Perl accessor of
/// the same name returns, with `None` where Perl returns `undef`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DistnameInfo {
    /// The path with runs of `/` collapsed; every other field but `dist` and `version`
    /// is a slice of it.
    pathname: String,
    /// `filename` is `pathname[filename_start..]`.
    filename_start: usize,
    cpanid: Option<(usize, usize)>,
    distvname: Option<(usize, usize)>,
    extension: Option<(usize, usize)>,
    dist: Option<String>,
    version: Option<String>,
    maturity: Maturity,
}

impl DistnameInfo {
    /// Parses a distribution path, like `CPAN::DistnameInfo->new($pathname)`.
    ///
    /// The path may be a full CPAN path (`authors/id/G/GB/GBARR/Foo-1.0.tar.gz`, optionally
    /// preceded by anything ending in `/`), a path relative to `authors/id/`, a path relative
    /// to an author directory, or just a file name. This never fails; see the accessors for
    /// which fields may be missing.
    pub fn new(pathname: &str) -> DistnameInfo {
        let pathname = collapse_slashes(pathname);
        let bytes = pathname.as_bytes();

        let (filename_start, cpanid) = match strip_author_dir(bytes) {
            Some((end, cpanid)) => (end, Some(cpanid)),
            None => (0, None),
        };

        let (distvname, extension) = match split_extension(bytes) {
            Some((name, ext)) => (Some(name), Some(ext)),
            None => (None, None),
        };

        let (dist, version, developer) = match distvname {
            Some((start, end)) => distname_info(slice(&pathname, start, end)),
            None => (None, None, false),
        };

        DistnameInfo {
            filename_start,
            cpanid,
            distvname,
            extension,
            dist,
            version,
            maturity: if developer {
                Maturity::Developer
            } else {
                Maturity::Released
            },
            pathname,
        }
    }

    /// The name of the distribution (`"CPAN-DistnameInfo"`).
    ///
    /// `None` when the path has no recognised archive extension, or when its
    /// [`distvname`](Self::distvname) is `"0"` (false in Perl).
    pub fn dist(&self) -> Option<&str> {
        self.dist.as_deref()
    }

    /// The version extracted from the file name (`"0.02"`, `"1.23_01"`, `"v1.2.3"`,
    /// `"1.0-TRIAL"`), or `None` if there is none.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// `"released"` or `"developer"`; see [`maturity_kind`](Self::maturity_kind).
    ///
    /// `CPAN::DistnameInfo` always sets this, so it is never `None`; it is an `Option` for
    /// uniformity with the other accessors.
    pub fn maturity(&self) -> Option<&str> {
        Some(self.maturity.as_str())
    }

    /// The maturity as a [`Maturity`] value.
    pub fn maturity_kind(&self) -> Maturity {
        self.maturity
    }

    /// `true` for a developer release (shorthand for `maturity_kind() == Maturity::Developer`).
    pub fn is_developer(&self) -> bool {
        self.maturity == Maturity::Developer
    }

    /// The CPAN id of the author (`"GBARR"`), if the path looked like a CPAN author
    /// directory path (`[[.../]authors/]id/]G/GB/GBARR/...`).
    pub fn cpanid(&self) -> Option<&str> {
        self.cpanid.map(|(s, e)| slice(&self.pathname, s, e))
    }

    /// The file name without the archive extension and leading directories
    /// (`"CPAN-DistnameInfo-0.02"`), or `None` if the path has no recognised extension.
    pub fn distvname(&self) -> Option<&str> {
        self.distvname.map(|(s, e)| slice(&self.pathname, s, e))
    }

    /// The archive extension as it appears in the path (`"tar.gz"`, `"TGZ"`), or `None`.
    ///
    /// Recognised extensions (case-insensitively) are `tar.gz`, `tar.z`, `tar.bz2`, `zip` and
    /// `tgz`; `CPAN::DistnameInfo` 0.12 does not recognise `tar.xz`, `tar` or `pm.gz`.
    pub fn extension(&self) -> Option<&str> {
        self.extension.map(|(s, e)| slice(&self.pathname, s, e))
    }

    /// The path relative to the author directory (`"CPAN-DistnameInfo-0.02.tar.gz"`, or
    /// `"subdir/Foo-1.0.tar.gz"`); the whole [`pathname`](Self::pathname) if the path did not
    /// look like a CPAN author directory path. Never `None`.
    pub fn filename(&self) -> Option<&str> {
        Some(slice(
            &self.pathname,
            self.filename_start,
            self.pathname.len(),
        ))
    }

    /// The path given to [`new`](Self::new), with runs of `/` collapsed to one (as the Perl
    /// constructor does before storing it). Never `None`.
    pub fn pathname(&self) -> Option<&str> {
        Some(&self.pathname)
    }

    /// All eight accessors in a fixed order ([`FIELD_NAMES`]), with `None` where Perl's
    /// accessor returns undef: what `riverpan distname --json` prints and tests compare.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 8] {
        let values = [
            self.dist(),
            self.version(),
            self.maturity(),
            self.cpanid(),
            self.distvname(),
            self.extension(),
            self.filename(),
            self.pathname(),
        ];
        let mut pairs = [("", None); 8];
        for (pair, (name, value)) in pairs.iter_mut().zip(FIELD_NAMES.into_iter().zip(values)) {
            *pair = (name, value);
        }
        pairs
    }

    /// The key/value pairs of Perl's `properties` method (the object's hash), in the order of
    /// [`FIELD_NAMES`].
    ///
    /// As in Perl, `cpanid`, `distvname` and `extension` are only present when they were
    /// found, while `dist` and `version` are always present (possibly with an undefined value).
    pub fn properties(&self) -> Vec<(&'static str, Option<&str>)> {
        self.fields()
            .into_iter()
            .filter(|(name, value)| {
                value.is_some() || !matches!(*name, "cpanid" | "distvname" | "extension")
            })
            .collect()
    }
}

/// The names of `CPAN::DistnameInfo`'s eight accessors, in the order riverpan reports them.
pub const FIELD_NAMES: [&str; 8] = [
    "dist",
    "version",
    "maturity",
    "cpanid",
    "distvname",
    "extension",
    "filename",
    "pathname",
];

/// `&s[start..end]` for offsets that are known to be at ASCII characters (so at char
/// boundaries); never panics.
fn slice(s: &str, start: usize, end: usize) -> &str {
    debug_assert!(
        s.is_char_boundary(start) && s.is_char_boundary(end),
        "split inside a UTF-8 sequence"
    );
    s.get(start..end).unwrap_or_default()
}

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic()
}

/// Perl's `\w` on a byte string: ASCII letters, digits and `_`.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether Perl's `$` (without `/m`) matches at byte offset `i`: at the end, or before a
/// newline that ends the string.
fn at_dollar(b: &[u8], i: usize) -> bool {
    i == b.len() || (i + 1 == b.len() && b[i] == b'\n')
}

/// `s,//+,/,g`
fn collapse_slashes(path: &str) -> String {
    if !path.contains("//") {
        return path.to_owned();
    }
    let mut out = String::with_capacity(path.len());
    let mut prev_slash = false;
    for c in path.chars() {
        if c == '/' && prev_slash {
            continue;
        }
        prev_slash = c == '/';
        out.push(c);
    }
    out
}

/// `s,^(((.*?/)?authors/)?id/)?([A-Z])/(\4[A-Z])/(\5[-A-Z0-9]*)/,,` with `$6` as the CPAN id.
///
/// Returns the offset just after the author directory and the CPAN id's range. The
/// alternatives are tried in the order Perl's backtracking tries them: `X/authors/id/` with
/// the shortest `X` first (`.*?` does not cross a newline), then `authors/id/`, then `id/`,
/// then no prefix.
fn strip_author_dir(b: &[u8]) -> Option<(usize, (usize, usize))> {
    const AUTHORS_ID: &[u8] = b"authors/id/";
    for (j, &c) in b.iter().enumerate() {
        if c == b'\n' {
            break;
        }
        if c == b'/' && b[j + 1..].starts_with(AUTHORS_ID) {
            if let Some(found) = author_dir_at(b, j + 1 + AUTHORS_ID.len()) {
                return Some(found);
            }
        }
    }
    if b.starts_with(AUTHORS_ID) {
        if let Some(found) = author_dir_at(b, AUTHORS_ID.len()) {
            return Some(found);
        }
    }
    if b.starts_with(b"id/") {
        if let Some(found) = author_dir_at(b, 3) {
            return Some(found);
        }
    }
    author_dir_at(b, 0)
}

/// `([A-Z])/(\4[A-Z])/(\5[-A-Z0-9]*)/` at offset `i`.
fn author_dir_at(b: &[u8], i: usize) -> Option<(usize, (usize, usize))> {
    let head = b.get(i..i + 7)?;
    let (first, second) = (head[0], head[3]);
    if !first.is_ascii_uppercase()
        || head[1] != b'/'
        || head[2] != first
        || !second.is_ascii_uppercase()
        || head[4] != b'/'
        || head[5] != first
        || head[6] != second
    {
        return None;
    }
    let id_start = i + 5;
    let mut j = i + 7;
    while j < b.len() && (b[j].is_ascii_uppercase() || is_digit(b[j]) || b[j] == b'-') {
        j += 1;
    }
    if b.get(j) == Some(&b'/') {
        Some((j + 1, (id_start, j)))
    } else {
        None
    }
}

/// `m,([^/]+)\.(tar\.(?:g?z|bz2)|zip|tgz)$,i`: the ranges of `$1` (distvname) and `$2`
/// (extension).
fn split_extension(b: &[u8]) -> Option<((usize, usize), (usize, usize))> {
    const EXTENSIONS: [&[u8]; 5] = [b"tar.gz", b"tar.z", b"tar.bz2", b"zip", b"tgz"];
    // `$` matches at the end or before a final newline; an extension cannot end in a newline.
    let end = if b.last() == Some(&b'\n') {
        b.len() - 1
    } else {
        b.len()
    };
    let body = &b[..end];
    // At most one extension can match at a given end (none is a `.`-suffix of another).
    let ext = EXTENSIONS.iter().find(|ext| {
        body.len() > ext.len()
            && body[body.len() - ext.len()..].eq_ignore_ascii_case(ext)
            && body[body.len() - ext.len() - 1] == b'.'
    })?;
    let dot = end - ext.len() - 1;
    // The leftmost start of `[^/]+` is just after the last `/` before the dot.
    let start = body[..dot]
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |p| p + 1);
    if start == dot {
        return None;
    }
    Some(((start, dot), (dot + 1, end)))
}

/// `CPAN::DistnameInfo::distname_info($distvname)`: `(dist, version, developer)`.
fn distname_info(file: &str) -> (Option<String>, Option<String>, bool) {
    // `my $file = shift or return;` — "" and "0" are false.
    if file.is_empty() || file == "0" {
        return (None, None, false);
    }
    let Some(split) = dist_prefix_len(file.as_bytes()) else {
        return (Some(file.to_owned()), None, false);
    };
    let mut dist = slice(file, 0, split).to_owned();
    let mut version = slice(file, split, file.len()).to_owned();

    // if ($dist =~ /-undef\z/ and ! length $version) { $dist =~ s/-undef\z//; }
    if version.is_empty() {
        if let Some(stripped) = dist.strip_suffix("-undef") {
            dist.truncate(stripped.len());
        }
    }

    // $version =~ s/-withoutworldwriteables$//;
    strip_without_world_writeables(&mut version);

    // if ($version =~ /^(-[Vv].*)-(\d.*)/) { $dist .= $1; $version = $2; }
    if let Some((dash, end)) = v_prefixed_split(version.as_bytes()) {
        dist.push_str(slice(&version, 0, dash));
        version = slice(&version, dash + 1, end).to_owned();
    }

    // if ($version =~ /(.+_.*)-(\d.*)/) { $dist .= $1; $version = $2; }
    if let Some((start, dash, end)) = underscore_split(version.as_bytes()) {
        dist.push_str(slice(&version, start, dash));
        version = slice(&version, dash + 1, end).to_owned();
    }

    // $dist =~ s{\.pm$}{};   ($dist never contains a newline)
    if let Some(stripped) = dist.strip_suffix(".pm") {
        dist.truncate(stripped.len());
    }

    // $version = $1 if !length $version and $dist =~ s/-(\d+\w)$//;
    if version.is_empty() {
        if let Some(dash) = digits_word_suffix(dist.as_bytes()) {
            version = slice(&dist, dash + 1, dist.len()).to_owned();
            dist.truncate(dash);
        }
    }

    // $version = $1 . $version if $version =~ /^\d+$/ and $dist =~ s/-(\w+)$//;
    if is_digits_line(version.as_bytes()) {
        if let Some(dash) = word_suffix(dist.as_bytes()) {
            version.insert_str(0, slice(&dist, dash + 1, dist.len()));
            dist.truncate(dash);
        }
    }

    // Strip leading separators; `.` only if the version looks like `\d\.\d`.
    let strip_dots = version
        .as_bytes()
        .windows(3)
        .any(|w| is_digit(w[0]) && w[1] == b'.' && is_digit(w[2]));
    let lead = version
        .bytes()
        .take_while(|&c| c == b'-' || c == b'_' || (strip_dots && c == b'.'))
        .count();
    version.drain(..lead);

    if version.is_empty() {
        return (Some(dist), None, false);
    }
    let developer = match perl_release_is_dev(file.as_bytes()) {
        Some(dev) => dev,
        None => has_underscore_dev_version(version.as_bytes()) || version.contains("-TRIAL"),
    };
    (Some(dist), Some(version), developer)
}

/// The length of `$1` in
///
/// ```text
/// /^((?:[-+.]*(?:[A-Za-z0-9]+|(?<=\D)_|_(?=\D))*
///     (?:[A-Za-z](?=[^A-Za-z]|$)|\d(?=-))(?<![._-][vV]))+)(.*)$/xs
/// ```
///
/// or `None` if it does not match. Since `(.*)$` under `/s` matches any rest, the match Perl
/// finds is the greedy one: each iteration of the outer group takes the longest match of its
/// body available at that point. Within one iteration, `[-+.]*` must take the whole run of
/// those characters (nothing else can follow a shorter run); `(?:...)*` can then stop after
/// any prefix of the run of "word" bytes (letters, digits and the underscores its lookarounds
/// admit, which depend only on their neighbours), and backtracking tries the longest prefix
/// first. So an iteration ends just after the last byte of that run at which the final
/// letter/digit test and the `(?<![._-][vV])` lookbehind succeed.
fn dist_prefix_len(b: &[u8]) -> Option<usize> {
    let n = b.len();
    let word_at = |i: usize| -> bool {
        let c = b[i];
        if c.is_ascii_alphanumeric() {
            return true;
        }
        // (?<=\D)_ | _(?=\D)
        c == b'_' && ((i > 0 && !is_digit(b[i - 1])) || (i + 1 < n && !is_digit(b[i + 1])))
    };
    // [A-Za-z](?=[^A-Za-z]|$) | \d(?=-), then (?<![._-][vV]) after it.
    let ends_at = |i: usize| -> bool {
        let c = b[i];
        let tail_ok = if is_alpha(c) {
            i + 1 == n || !is_alpha(b[i + 1])
        } else if is_digit(c) {
            b.get(i + 1) == Some(&b'-')
        } else {
            false
        };
        tail_ok && !(i >= 1 && matches!(c, b'v' | b'V') && matches!(b[i - 1], b'.' | b'_' | b'-'))
    };

    let mut pos = 0;
    let mut matched = false;
    loop {
        let mut start = pos;
        while start < n && matches!(b[start], b'-' | b'+' | b'.') {
            start += 1;
        }
        let mut run_end = start;
        while run_end < n && word_at(run_end) {
            run_end += 1;
        }
        match (start..run_end).rev().find(|&i| ends_at(i)) {
            Some(last) => {
                pos = last + 1;
                matched = true;
            }
            None => break,
        }
    }
    matched.then_some(pos)
}

/// `$version =~ s/-withoutworldwriteables$//;`
fn strip_without_world_writeables(version: &mut String) {
    const SUFFIX: &str = "-withoutworldwriteables";
    if version.ends_with(SUFFIX) {
        version.truncate(version.len() - SUFFIX.len());
    } else if version.ends_with("-withoutworldwriteables\n") {
        let keep = version.len() - SUFFIX.len() - 1;
        version.replace_range(keep..version.len() - 1, "");
    }
}

/// The end of the first line (`.` does not match a newline).
fn line_end(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// The last `-` in `b[from..to]` that is followed by a digit (inside that range).
fn last_dash_digit(b: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to.saturating_sub(1))
        .rev()
        .find(|&i| b[i] == b'-' && is_digit(b[i + 1]))
}

/// `/^(-[Vv].*)-(\d.*)/`: the offset of the separating `-` and the end of `$2`.
fn v_prefixed_split(b: &[u8]) -> Option<(usize, usize)> {
    if b.len() < 2 || b[0] != b'-' || !matches!(b[1], b'V' | b'v') {
        return None;
    }
    let end = line_end(b, 0);
    let dash = last_dash_digit(b, 2, end)?;
    Some((dash, end))
}

/// `/(.+_.*)-(\d.*)/`: the start of `$1`, the offset of the separating `-` and the end of
/// `$2`. The leftmost match starts at the beginning of a line; within the line, the greedy
/// quantifiers pick the last `-\d`, which must have a `_` before it (not at the line start).
fn underscore_split(b: &[u8]) -> Option<(usize, usize, usize)> {
    let mut start = 0;
    while start < b.len() {
        let end = line_end(b, start);
        if let Some(dash) = last_dash_digit(b, start, end) {
            if dash > start + 1 && b[start + 1..dash].contains(&b'_') {
                return Some((start, dash, end));
            }
        }
        start = end + 1;
    }
    None
}

/// `s/-(\d+\w)$//` on a newline-free string: the offset of the `-`.
fn digits_word_suffix(b: &[u8]) -> Option<usize> {
    let dash = b.iter().rposition(|&c| c == b'-')?;
    let tail = &b[dash + 1..];
    let (&last, digits) = tail.split_last()?;
    (!digits.is_empty() && digits.iter().all(|&c| is_digit(c)) && is_word(last)).then_some(dash)
}

/// `s/-(\w+)$//` on a newline-free string: the offset of the `-`.
fn word_suffix(b: &[u8]) -> Option<usize> {
    let dash = b.iter().rposition(|&c| c == b'-')?;
    let tail = &b[dash + 1..];
    (!tail.is_empty() && tail.iter().all(|&c| is_word(c))).then_some(dash)
}

/// `/^\d+$/`: digits, optionally followed by one final newline.
fn is_digits_line(b: &[u8]) -> bool {
    let digits = b.strip_suffix(b"\n").unwrap_or(b);
    !digits.is_empty() && digits.iter().all(|&c| is_digit(c))
}

/// `/\d\D\d+_\d/`
fn has_underscore_dev_version(b: &[u8]) -> bool {
    let n = b.len();
    let mut i = 0;
    while i + 1 < n {
        if is_digit(b[i]) && !is_digit(b[i + 1]) {
            let run_start = i + 2;
            let mut j = run_start;
            while j < n && is_digit(b[j]) {
                j += 1;
            }
            if j > run_start && j + 1 < n && b[j] == b'_' && is_digit(b[j + 1]) {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// `/^perl-?\d+\.(\d+)(?:\D(\d+))?(-(?:TRIAL|RC)\d+)?$/` on the distvname and, if it
/// matches, the developer test `($1 > 6 and $1 & 1) or ($2 and $2 >= 50) or $3`.
///
/// Returns `None` if the pattern does not match (the caller then uses the generic tests).
fn perl_release_is_dev(b: &[u8]) -> Option<bool> {
    let digits_from = |i: usize| -> usize {
        let mut j = i;
        while j < b.len() && is_digit(b[j]) {
            j += 1;
        }
        j
    };
    // (-(?:TRIAL|RC)\d+)?$ at offset i: Some(whether the group matched)
    let tail = |i: usize| -> Option<bool> {
        let rest = &b[i..];
        let tag = if rest.starts_with(b"-TRIAL") {
            6
        } else if rest.starts_with(b"-RC") {
            3
        } else {
            0
        };
        if tag > 0 {
            let end = digits_from(i + tag);
            if end > i + tag && at_dollar(b, end) {
                return Some(true);
            }
        }
        at_dollar(b, i).then_some(false)
    };

    let mut i = b.strip_prefix(b"perl").map(|_| 4)?;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let major_end = digits_from(i);
    if major_end == i || b.get(major_end) != Some(&b'.') {
        return None;
    }
    let minor_start = major_end + 1;
    let minor_end = digits_from(minor_start);
    if minor_end == minor_start {
        return None;
    }
    let minor = &b[minor_start..minor_end];

    // (?:\D(\d+))? is tried first with the group, then without.
    let mut found = None;
    if minor_end < b.len() && !is_digit(b[minor_end]) {
        let patch_start = minor_end + 1;
        let patch_end = digits_from(patch_start);
        if patch_end > patch_start {
            if let Some(trial) = tail(patch_end) {
                found = Some((Some(&b[patch_start..patch_end]), trial));
            }
        }
    }
    if found.is_none() {
        found = tail(minor_end).map(|trial| (None, trial));
    }
    let (patch, trial) = found?;

    let odd_minor = perl_num_gt(minor, 6) && perl_num_is_odd(minor);
    let dev_patch = patch.is_some_and(|p| perl_num_gt(p, 49));
    Some(odd_minor || dev_patch || trial)
}

/// A string of ASCII digits without its leading zeros.
fn significant_digits(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

/// Perl's `$digits > n` (numeric comparison of a string of ASCII digits).
fn perl_num_gt(digits: &[u8], n: u64) -> bool {
    let d = significant_digits(digits);
    d.len() > 19
        || d.iter()
            .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'))
            > n
}

/// Perl's `$digits & 1`: the value's parity if it fits in an unsigned 64-bit integer (a UV);
/// a larger number becomes a floating-point value, which `&` converts to `UV_MAX` (odd).
fn perl_num_is_odd(digits: &[u8]) -> bool {
    let d = significant_digits(digits);
    let fits = d.len() < 20 || (d.len() == 20 && d <= b"18446744073709551615".as_slice());
    if fits {
        d.last().is_some_and(|&c| (c - b'0') % 2 == 1)
    } else {
        true
    }
}

#[cfg(test)]
mod tests;
