//! Packages and `$VERSION`s in Perl source, found the way PAUSE's indexer finds them
//! (`PAUSE::pmfile`: `examine_fio`, `packages_per_pmfile`, `parse_version`,
//! `normalize_version`, `filter_ppps`), without running Perl: the `$VERSION` line is evaluated
//! by a small evaluator ([`evaluate_version_line`]) that answers
//! [`FileVersion::Unevaluable`] for anything outside its subset rather than guessing.
//!
//! ```
//! use cpan_pmscan::{examine_pmfile, ScanOptions};
//! let source = b"package Foo::Bar;\nour $VERSION = '1.10';\n1;\n";
//! let outcome = examine_pmfile("Foo-Bar-1.10/lib/Foo/Bar.pm", source, &ScanOptions::default());
//! assert_eq!(outcome.packages.len(), 1);
//! assert_eq!(outcome.packages[0].name, "Foo::Bar");
//! assert_eq!(outcome.packages[0].version, "1.10");
//! ```

mod matchers;
pub mod perl;

use std::sync::OnceLock;

use cpan_version::Version;
use matchers::Keywords;
use perl::interp::{run_program, run_template, Flow, Interp};
use perl::value::{str_to_num, Sv};

pub use matchers::{is_space as is_perl_space_byte, is_word as is_perl_word_byte};

/// What the caller knows about the distribution the file comes from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions<'a> {
    /// `PAUSE::isa_regular_perl(dist)` ([`is_regular_perl`]): disables the dev-version skip.
    pub is_regular_perl: bool,
    /// The dist's META makes versions come from `provides`: the file version is not parsed
    /// (`examine_fio` skips `parse_version`), and packages get version `"undef"`.
    pub version_from_meta_ok: bool,
    /// META `no_index` → `package` values (used as regular expressions, as PAUSE does).
    pub no_index_packages: &'a [String],
    /// META `no_index` → `namespace` values (used as regular expressions, as PAUSE does).
    pub no_index_namespaces: &'a [String],
}

/// The version of a whole file, as `parse_version` (+ `normalize_version`) computes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileVersion {
    /// No version (PAUSE's string `"undef"`).
    Undef,
    /// The normalized version, as PAUSE records it (`1.10`, `1.002003`, `1.2_3`).
    Version(String),
    /// Perl died evaluating the line and the right-hand side alone (PAUSE's JSON error
    /// object case: its packages are refused with EPARSEVERSION).
    EvalError {
        /// The line as PAUSE read it.
        line: String,
        /// Why riverpan knows Perl dies (not Perl's exact message).
        error: String,
    },
    /// The line is outside riverpan's evaluator: what PAUSE would record is not known.
    Unevaluable {
        /// The line.
        line: String,
        /// What is not supported.
        reason: String,
    },
    /// The value was computed but `normalize_version` dies on it (`6.666june6`, `0x1p-1`, a
    /// vstring): PAUSE skips the whole file ("error with version").
    Invalid {
        /// The value before normalization.
        version: String,
        /// version.pm's message.
        error: String,
    },
}

/// Why a whole file was skipped by `examine_fio`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSkip {
    /// `normalize_version` died ("error with version").
    VersionError {
        /// The value that could not be normalized.
        version: String,
        /// version.pm's message.
        error: String,
    },
    /// The version matches `/[_\s]/` and the dist is not a regular perl
    /// ("skipping file because of dev version").
    DevVersion {
        /// The version.
        version: String,
    },
}

/// Where a package's version came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    /// The inline `package NAME VERSION` of this package (it matches the file's basename, and
    /// the file version was not greater).
    Inline,
    /// The file's version (the first version found in the file), with how it was obtained:
    /// `EvalError` and `Unevaluable` tell the caller the version is not a real one.
    File(FileVersion),
    /// The file version was not parsed ([`ScanOptions::version_from_meta_ok`]).
    NotParsed,
}

/// A package found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPackage {
    /// The package name (with the first `'` turned into `::`).
    pub name: String,
    /// The version as PAUSE records it: a normalized version, `"undef"` when none, or, when
    /// the file version is [`FileVersion::EvalError`] or [`FileVersion::Unevaluable`], a JSON
    /// object (`{"line":…,"err":…}` or `{"line":…,"unevaluable":…}`) — PAUSE's own marker
    /// for an unparseable version line, which `examine_pkg` turns into EPARSEVERSION. Check
    /// [`FoundPackage::version_source`] rather than parsing this.
    pub version: String,
    /// Where the version came from.
    pub version_source: VersionSource,
    /// The 1-based line of the first `package` statement for this name.
    pub line: usize,
}

/// The result of examining one `.pm` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmfileOutcome {
    /// The file version; `None` when not parsed (`version_from_meta_ok`).
    pub file_version: Option<FileVersion>,
    /// The whole file was skipped, and why.
    pub skipped: Option<FileSkip>,
    /// Packages after `filter_ppps`, sorted as PAUSE iterates them (byte order).
    pub packages: Vec<FoundPackage>,
    /// Packages dropped by META `no_index` `package`/`namespace`, sorted.
    pub filtered_by_no_index: Vec<String>,
}

/// `normalize_version` died.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (version {version:?})")]
pub struct NormalizeError {
    /// The value given (trimmed).
    pub version: String,
    /// version.pm's message.
    pub message: String,
}

/// Why [`evaluate_version_line`] has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalFailure {
    /// Perl dies on the line and on its right-hand side alone.
    #[error("perl dies: {error}")]
    Died {
        /// Why (riverpan's description of the first failure).
        error: String,
    },
    /// Outside the evaluator's subset.
    #[error("unevaluable: {reason}")]
    Unevaluable {
        /// What is not supported.
        reason: String,
    },
    /// The line is not a `$VERSION` assignment PAUSE would evaluate.
    #[error("not a $VERSION assignment")]
    NotAnAssignment,
}

/// The package PAUSE evaluates `$VERSION` lines in.
const EVAL_PACKAGE: &str = "ExtUtils::MakeMaker::_version";

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl FileVersion {
    /// The string PAUSE keeps as `$self->{VERSION}` for this outcome (see
    /// [`FoundPackage::version`]); `None` for [`FileVersion::Invalid`] (the file is skipped).
    pub fn pause_string(&self) -> Option<String> {
        match self {
            FileVersion::Undef => Some("undef".to_string()),
            FileVersion::Version(v) => Some(v.clone()),
            FileVersion::EvalError { line, error } => Some(format!(
                "{{\"line\":{},\"err\":{}}}",
                json_string(line),
                json_string(error)
            )),
            FileVersion::Unevaluable { line, reason } => Some(format!(
                "{{\"line\":{},\"unevaluable\":{}}}",
                json_string(line),
                json_string(reason)
            )),
            FileVersion::Invalid { .. } => None,
        }
    }
}

/// Evaluates a `$VERSION` line the way PAUSE's `parse_version` does in its Safe compartment:
/// `package ExtUtils::MakeMaker::_version; local $VAR; $VAR=undef; do { LINE }; $VAR`, and, if
/// that dies, the text after the line's last `=` alone. Returns what PAUSE's child process
/// prints: `Ok(None)` for the string `"undef"` (the first evaluation gave undef), `Ok(Some(s))`
/// otherwise (a version object is numified; undef from the retry is `""`).
pub fn evaluate_version_line(line: &str) -> Result<Option<String>, EvalFailure> {
    let bytes: Vec<u8> = line.chars().map(|c| c as u32 as u8).collect();
    let Some((_, name)) = matchers::version_assignment(&bytes, false) else {
        return Err(EvalFailure::NotAnAssignment);
    };
    let name = latin1(name);
    let mut interp = Interp::new(EVAL_PACKAGE);
    let first_error = match run_template(&mut interp, line, &name) {
        Ok(Sv::Undef) => return Ok(None),
        Ok(v) => return Ok(Some(printed(&v))),
        Err(Flow::Unsupported(reason)) => return Err(EvalFailure::Unevaluable { reason }),
        Err(Flow::Die(msg)) => msg,
    };
    let rhs = matchers::retry_rhs(&bytes).map(latin1).unwrap_or_default();
    let mut retry = Interp::new("main");
    match run_program(&mut retry, &rhs) {
        Ok(Sv::Undef) => Ok(Some(String::new())),
        Ok(v) => Ok(Some(printed(&v))),
        Err(Flow::Unsupported(reason)) => Err(EvalFailure::Unevaluable {
            reason: format!("retry of the right-hand side: {reason}"),
        }),
        Err(Flow::Die(_)) => Err(EvalFailure::Died { error: first_error }),
    }
}

/// What `print $v` writes for the child's result: a version object numified.
fn printed(v: &Sv) -> String {
    match v {
        Sv::Version(v) => v.numify(),
        other => other.to_str(),
    }
}

/// `normalize_version`: `"undef"` and JSON objects pass, white space is trimmed, a value with
/// `_` passes; otherwise `version->new($v)->numify`, keeping the original spelling when it is
/// numerically the same (`1.10`, `1.`, `01.02`), and numifying a `v`-prefixed value.
pub fn normalize_version(raw: &str) -> Result<String, NormalizeError> {
    if raw == "undef" || is_json_object(raw) {
        return Ok(raw.to_string());
    }
    let v = raw.trim_matches(|c: char| c.is_ascii() && matchers::is_space(c as u8));
    if v.contains('_') {
        return Ok(v.to_string());
    }
    let error = |e: cpan_version::VersionError| NormalizeError {
        version: v.to_string(),
        message: e.to_string(),
    };
    let mut vv = Version::parse(v).map_err(error)?.numify();
    if vv != v {
        let forced = force_numeric(v);
        if forced == vv {
        } else if let Some(rest) = forced
            .strip_prefix('v')
            .filter(|r| !r.is_empty() && !r.contains('\n'))
        {
            vv = Version::parse(rest).map_err(error)?.numify();
        } else if str_to_num(&forced).as_f64() == str_to_num(&vv).as_f64() {
            vv = forced;
        }
    }
    Ok(vv)
}

/// `/^\{.*\}$/`
fn is_json_object(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.starts_with('{') && body.ends_with('}') && !body.contains('\n')
}

/// `force_numeric`: `CPAN::Version->readable`, then the leading `\+?\d*(\.\d*)?` if it has digits.
fn force_numeric(v: &str) -> String {
    let readable_len = v
        .bytes()
        .take_while(|&b| matchers::is_word(b) || b == b'-' || b == b'+' || b == b'.')
        .count();
    let readable = if readable_len > 0 {
        v[..readable_len].to_string()
    } else {
        let parts: Vec<String> = v.chars().map(|c| (c as u32).to_string()).collect();
        format!("v{}", parts.join("."))
    };
    let b = readable.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'+') {
        i = 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_part = &readable[int_start..i];
    let mut frac_part = "";
    let mut dot_part = "";
    if b.get(i) == Some(&b'.') {
        let f_start = i + 1;
        let mut j = f_start;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        frac_part = &readable[f_start..j];
        dot_part = &readable[i..j];
    }
    if !int_part.is_empty() || !frac_part.is_empty() {
        return format!("{int_part}{dot_part}");
    }
    readable
}

/// Lines as Perl's `<FH>` gives them: each with its `\n`, the last one possibly without.
fn lines(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= content.len() {
            return None;
        }
        let end = match memchr::memchr(b'\n', &content[start..]) {
            Some(i) => start + i + 1,
            None => content.len(),
        };
        let line = &content[start..end];
        start = end;
        Some(line)
    })
}

/// `/^__(?:END|DATA)__\b/`
fn is_end_marker(line: &[u8]) -> bool {
    let rest = if let Some(r) = line.strip_prefix(b"__END__") {
        r
    } else if let Some(r) = line.strip_prefix(b"__DATA__") {
        r
    } else {
        return false;
    };
    !rest.first().is_some_and(|&b| matchers::is_word(b))
}

/// POD state: `/^=(?!cut)/` starts POD, `/^=cut/` ends it.
fn pod_state(line: &[u8], in_pod: bool) -> bool {
    if line.first() == Some(&b'=') {
        !line.starts_with(b"=cut")
    } else {
        in_pod
    }
}

/// What `parse_version_safely` settles on.
enum Located<'a> {
    /// A `package NAME VERSION` line with a lax version: the version as written.
    PackageVersion(&'a [u8]),
    /// The `$VERSION` line to evaluate (after `chop`).
    Line(&'a [u8]),
    /// Neither: the version is `"undef"`.
    Nothing,
}

fn locate_version(content: &[u8]) -> Located<'_> {
    let mut in_pod = false;
    let mut keywords = Keywords::Package;
    for line in lines(content) {
        in_pod = pod_state(line, in_pod);
        let first = line.iter().position(|&b| !matchers::is_space(b));
        let comment = first.and_then(|i| line.get(i)) == Some(&b'#');
        if in_pod || comment {
            continue;
        }
        if is_end_marker(line) {
            break;
        }
        // `chop`: the last character goes, whatever it is.
        let line = &line[..line.len().saturating_sub(1)];
        keywords = keywords.update(line);
        if let Some(ver) = matchers::version_package_line(line, keywords) {
            if std::str::from_utf8(ver).is_ok_and(cpan_version::is_lax) {
                return Located::PackageVersion(ver);
            }
        }
        if matchers::version_assignment(line, false).is_some() {
            return Located::Line(line);
        }
    }
    Located::Nothing
}

/// The `$VERSION` line PAUSE would evaluate for this file (as read, after `chop`), or `None`
/// when a `package NAME VERSION` line or nothing decides the version.
pub fn version_line(content: &[u8]) -> Option<String> {
    match locate_version(content) {
        Located::Line(line) => Some(latin1(line)),
        _ => None,
    }
}

/// `parse_version` + `normalize_version`: the first `package NAME VERSION` line with a lax
/// version, else the first `$VERSION` assignment, evaluated; then normalized.
pub fn parse_version(content: &[u8]) -> FileVersion {
    let raw = match locate_version(content) {
        Located::Nothing => return FileVersion::Undef,
        Located::PackageVersion(v) => latin1(v),
        Located::Line(line) => {
            let text = latin1(line);
            match evaluate_version_line(&text) {
                Ok(None) | Err(EvalFailure::NotAnAssignment) => "undef".to_string(),
                Ok(Some(printed)) => {
                    // The parent reads one line of the child's output; nothing at all is undef.
                    let first = match printed.find('\n') {
                        Some(i) => printed[..=i].to_string(),
                        None => printed,
                    };
                    if first.is_empty() {
                        "undef".to_string()
                    } else {
                        first
                    }
                }
                Err(EvalFailure::Died { error }) => {
                    return FileVersion::EvalError { line: text, error }
                }
                Err(EvalFailure::Unevaluable { reason }) => {
                    return FileVersion::Unevaluable { line: text, reason }
                }
            }
        }
    };
    match normalize_version(&raw) {
        Ok(v) if v == "undef" => FileVersion::Undef,
        Ok(v) => FileVersion::Version(v),
        Err(e) => FileVersion::Invalid {
            version: e.version,
            error: e.message,
        },
    }
}

/// `PAUSE::package::_pkg_name_insane`, negated.
pub fn is_sane_package_name(name: &str) -> bool {
    let b = name.as_bytes();
    let is_name = |c: u8| matchers::is_word(c) || c == b':' || c == b'\'';
    let shape = b.first().is_some_and(|&c| matchers::is_word(c)) && b.iter().all(|&c| is_name(c));
    let ends_word = b.last().is_some_and(|&c| matchers::is_word(c));
    let lone_colon = name.contains(':') && !name.contains("::");
    let word_colon_word = b
        .windows(3)
        .any(|w| matchers::is_word(w[0]) && w[1] == b':' && matchers::is_word(w[2]));
    shape && ends_word && !lone_colon && !word_colon_word && !name.contains(":::")
}

/// `PAUSE::isa_regular_perl`: a perl release for public consumption (not a dev release).
pub fn is_regular_perl(dist_path: &str) -> bool {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"/(?:perl-5[._-](?:\d{3}(?:_[0-4][0-9])?|\d*[02468]\.\d+)|perl5[._](?:00\d(?:_[0-4][0-9])?)|ponie-[\d.\-])(?:\.tar[._-]gz|\.tar\.bz2)\z",
        )
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(dist_path))
}

/// PAUSE's `isa_dev_version`: `/\d\.\d+_\d/` or `-TRIAL[0-9]*` before an archive suffix, on
/// the whole path.
pub fn is_dev_release(dist_path: &str) -> bool {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?:\d\.\d+_\d)|(?:-TRIAL[0-9]*\.(?:tgz|tbz|tar[._-]gz|tar\.bz2|tar\.Z)\n?\z)",
        )
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(dist_path))
}

/// `PAUSE->basename_matches_package`: the file name without directories and without its first
/// `.pm`/`.pm.PL`, found at the end of the package name after a word boundary.
pub fn basename_matches_package(path: &str, package: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    let base = match base.find(".pm") {
        Some(i) => {
            let after = &base[i + 3..];
            let after = after.strip_prefix(".PL").unwrap_or(after);
            format!("{}{}", &base[..i], after)
        }
        None => base.to_string(),
    };
    let Some(start) = package.len().checked_sub(base.len()) else {
        return false;
    };
    if !package.is_char_boundary(start) || package[start..] != base {
        return false;
    }
    let before = package.as_bytes()[..start]
        .last()
        .is_some_and(|&b| matchers::is_word(b));
    let after = package.as_bytes()[start..]
        .first()
        .is_some_and(|&b| matchers::is_word(b));
    before != after
}

/// A package's state while `packages_per_pmfile` runs.
struct PackageState {
    version: Option<String>,
    source: VersionSource,
    line: usize,
}

/// `packages_per_pmfile`: every `package` (`class`, `role`) statement PAUSE would see, with
/// the version it assigns. `file_version` is `$self->{VERSION}` (None when not parsed).
fn packages_per_pmfile(
    path: &str,
    content: &[u8],
    file_version: Option<&FileVersion>,
    version_from_meta_ok: bool,
) -> Vec<FoundPackage> {
    let version_string = file_version.and_then(FileVersion::pause_string);
    let version = version_string.as_deref();
    let is_pl = path.ends_with(".PL");
    let mut found: std::collections::BTreeMap<Vec<u8>, PackageState> = Default::default();
    let mut in_pod = false;
    let mut keywords = Keywords::Package;
    for (index, raw_line) in lines(content).enumerate() {
        let mut line = raw_line.strip_suffix(b"\n").unwrap_or(raw_line);
        if index == 0 {
            for bom in [
                &b"\x00\x00\xfe\xff"[..],
                b"\xff\xfe\x00\x00",
                b"\xfe\xff",
                b"\xff\xfe",
                b"\xef\xbb\xbf",
            ] {
                if let Some(rest) = line.strip_prefix(bom) {
                    line = rest;
                    break;
                }
            }
        }
        in_pod = pod_state(line, in_pod);
        if in_pod || line.starts_with(b"=cut") {
            continue;
        }
        if let Some(hash) = memchr::memchr(b'#', line) {
            line = &line[..hash];
        }
        if line.iter().all(|&b| matchers::is_space(b)) {
            continue;
        }
        if !is_pl && is_end_marker(line) {
            break;
        }
        keywords = keywords.update(line);
        let Some((name, strict_version)) = matchers::package_line(line, keywords) else {
            continue;
        };
        if name == b"DB" {
            continue;
        }
        let mut name = latin1(name);
        if let Some(i) = name.find('\'') {
            name.replace_range(i..=i, "::");
        }
        let starts_alpha = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic);
        let ends_word = name
            .as_bytes()
            .last()
            .is_some_and(|&b| matchers::is_word(b));
        if !starts_alpha
            || !ends_word
            || name == "main"
            || name.starts_with("Local::")
            || name == "Local"
            || name.len() > 128
        {
            continue;
        }
        let line_number = index + 1;
        let state = found
            .entry(name.clone().into_bytes())
            .or_insert(PackageState {
                version: None,
                source: VersionSource::NotParsed,
                line: line_number,
            });
        if basename_matches_package(path, &name) {
            if version_from_meta_ok {
                // PAUSE looks the package up in META provides here; on this path there is
                // none to consult (see README), so the version stays unset.
                continue;
            }
            let (mut v, mut source) = match strict_version {
                Some(sv) => (latin1(sv), VersionSource::Inline),
                None => (
                    version.unwrap_or("").to_string(),
                    VersionSource::File(file_version.cloned().unwrap_or(FileVersion::Undef)),
                ),
            };
            let file = version.unwrap_or("");
            let file_num = if file.is_empty() || file == "0" {
                0.0
            } else {
                str_to_num(file).as_f64()
            };
            let file_str = if file.is_empty() || file == "0" {
                ""
            } else {
                file
            };
            if file_num > str_to_num(&v).as_f64() || file_str > v.as_str() {
                v = file.to_string();
                source = VersionSource::File(file_version.cloned().unwrap_or(FileVersion::Undef));
            }
            state.version = Some(v);
            state.source = source;
        } else if !state.version.as_deref().is_some_and(|v| !v.is_empty()) {
            state.version = version.map(str::to_string);
            state.source = match file_version {
                Some(fv) => VersionSource::File(fv.clone()),
                None => VersionSource::NotParsed,
            };
        }
    }
    found
        .into_iter()
        .map(|(name, state)| FoundPackage {
            name: latin1(&name),
            version: state.version.unwrap_or_else(|| "undef".to_string()),
            version_source: state.source,
            line: state.line,
        })
        .collect()
}

/// A META `no_index` value as PAUSE interpolates it into `/^$v$rest/`.
fn no_index_regex(value: &str, rest: &str) -> Option<regex::Regex> {
    let value = value.strip_suffix("::").unwrap_or(value);
    let translated = perl::parser::regex_lit(value, '\'', "")
        .ok()
        .map(|lit| lit.pattern)
        .and_then(|p| p.strip_prefix("(?-u)").map(str::to_string));
    let build = |body: &str| regex::Regex::new(&format!("^{body}{rest}")).ok();
    translated
        .as_deref()
        .and_then(build)
        // A value that is not a valid pattern is compared literally (see README).
        .or_else(|| build(&regex::escape(value)))
}

/// `filter_ppps`: drops packages matching META `no_index` `package` (`^$v\z`) or `namespace`
/// (`^$v::`). Returns (kept, dropped).
fn filter_ppps(
    packages: Vec<FoundPackage>,
    options: &ScanOptions,
) -> (Vec<FoundPackage>, Vec<String>) {
    if options.no_index_packages.is_empty() && options.no_index_namespaces.is_empty() {
        return (packages, Vec::new());
    }
    let mut patterns: Vec<regex::Regex> = Vec::new();
    patterns.extend(
        options
            .no_index_packages
            .iter()
            .filter_map(|v| no_index_regex(v, r"\z")),
    );
    patterns.extend(
        options
            .no_index_namespaces
            .iter()
            .filter_map(|v| no_index_regex(v, "::")),
    );
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for p in packages {
        if patterns.iter().any(|re| re.is_match(&p.name)) {
            dropped.push(p.name);
        } else {
            kept.push(p);
        }
    }
    (kept, dropped)
}

/// `examine_fio` for one file: version, dev-version skip, packages, `no_index` filter.
/// `path` is the path inside the archive including the root directory
/// (`Foo-1.0/lib/Foo.pm`).
pub fn examine_pmfile(path: &str, content: &[u8], options: &ScanOptions) -> PmfileOutcome {
    let mut outcome = PmfileOutcome {
        file_version: None,
        skipped: None,
        packages: Vec::new(),
        filtered_by_no_index: Vec::new(),
    };
    if !options.version_from_meta_ok {
        let fv = parse_version(content);
        outcome.file_version = Some(fv.clone());
        match &fv {
            FileVersion::Invalid { version, error } => {
                outcome.skipped = Some(FileSkip::VersionError {
                    version: version.clone(),
                    error: error.clone(),
                });
                return outcome;
            }
            FileVersion::Version(v)
                if v.bytes().any(|b| b == b'_' || matchers::is_space(b))
                    && !options.is_regular_perl =>
            {
                outcome.skipped = Some(FileSkip::DevVersion { version: v.clone() });
                return outcome;
            }
            _ => {}
        }
    }
    let packages = packages_per_pmfile(
        path,
        content,
        outcome.file_version.as_ref(),
        options.version_from_meta_ok,
    );
    let (kept, dropped) = filter_ppps(packages, options);
    outcome.packages = kept;
    outcome.filtered_by_no_index = dropped;
    outcome
}
