//! The read side of CPAN Testers as its consumers see it (testers.md §2.1, §2.2, §2.4): the
//! v3 `ReportSummary`, `Release` and `Upload` lists, the legacy `/show/<dist>.json` records and
//! `tail/log.txt`.
//!
//! Lists are produced row by row through a callback (`emit` returns `false` to stop), so that
//! the HTTP layer can stream them without holding a whole result in memory.  The one
//! exception is the upload list, which is sorted by release time in memory (it has one row per
//! release, not per report).
//!
//! # Choices where CPAN Testers leaves room
//!
//! * `since` is compared as CPAN Testers compares it: its digits (time zone ignored) against
//!   the report's creation time to the minute, as strings.  See [`Since`].
//! * `perl` matches exactly either riverpan's canonical perl (`5.42.0`, `5.42.0 RC1`,
//!   `5.10.0 patch`) or exactly what the tester sent (`v5.36.0`, `5.10.0 patch GitLive-x`).
//! * `perl_maturity=stable` keeps stable, unpatched perls; `dev` keeps development perls,
//!   release candidates and every patched perl — CPAN Testers' `devel=0 AND patch=0` and
//!   `devel=1 OR patch=1`, with riverpan's classification of [`PerlVersion`].  Unlike CPAN
//!   Testers, no report silently disappears: every stored perl parses.
//! * Release counts are the legacy four grades: a prerequisite failure is counted under the
//!   grade its client sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;

use crate::grade::LegacyGrade;
use crate::perl::PerlVersion;
use crate::store::StoreError;

/// The indexes the read side needs beyond the store's own; every statement is idempotent.
///
/// * `testers_reports_by_perl`, `testers_reports_by_osname`: `GET /v3/summary` over all dists
///   must be given a perl or an OS name, and walks one of these (with `since` as a range on
///   the second column) instead of the whole reports table.
/// * `testers_releases_by_author`: `/v3/release/author/{author}`.
pub const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS testers_reports_by_perl ON testers_reports(perl, submitted_at);
CREATE INDEX IF NOT EXISTS testers_reports_by_osname ON testers_reports(osname, submitted_at);
CREATE INDEX IF NOT EXISTS testers_releases_by_author ON testers_releases(author);
";

/// Creates the read side's indexes when missing (the testers tables must exist). Stores opened
/// through `riverpan-store` have them (migration 7); this is for bare connections.
pub fn ensure_indexes(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(INDEXES)?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Parameters.

/// A `since` parameter, reduced to what CPAN Testers compares: the digits of the date-time
/// (`2026-04-01T12:34:56+02:00` → `202604011234`, at most 12, the time zone ignored), compared
/// as a string with the report's `fulldate` (its creation time to the minute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    digits: String,
}

/// Why a `since` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Does not match date-time format.")]
pub struct SinceError;

impl Since {
    /// Parses `YYYY-MM-DD` or an RFC 3339 date-time (`YYYY-MM-DDTHH:MM[:SS[.frac]][Z|±HH:MM]`,
    /// `T` or a space).  Anything else is refused, as the v3 API's validator does.
    pub fn parse(input: &str) -> Result<Since, SinceError> {
        let s = input.trim();
        let b = s.as_bytes();
        let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        let date_ok = (0..4).all(digit) && at(4, b'-') && digit(5) && digit(6) && at(7, b'-');
        if !(date_ok && digit(8) && digit(9)) {
            return Err(SinceError);
        }
        if b.len() > 10 {
            let time_ok = (at(10, b'T') || at(10, b't') || at(10, b' '))
                && digit(11)
                && digit(12)
                && at(13, b':')
                && digit(14)
                && digit(15);
            if !time_ok {
                return Err(SinceError);
            }
            let rest = &s[16..];
            let rest = rest
                .strip_prefix(':')
                .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest);
            let zone_ok = rest.is_empty()
                || rest.eq_ignore_ascii_case("z")
                || (rest.len() == 6
                    && (rest.starts_with('+') || rest.starts_with('-'))
                    && rest.as_bytes()[3] == b':');
            if !zone_ok {
                return Err(SinceError);
            }
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).take(12).collect();
        Ok(Since { digits })
    }

    /// The 12 (or fewer) digits CPAN Testers compares.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The bound for riverpan's `submitted_at` (`YYYY-MM-DDTHH:MM:SSZ`): the digits with the
    /// separators put back, so that `submitted_at >= bound` as strings is exactly
    /// `fulldate >= digits`.
    pub fn submitted_at_bound(&self) -> String {
        let mut out = String::with_capacity(16);
        for (i, c) in self.digits.chars().enumerate() {
            match i {
                4 | 6 => out.push('-'),
                8 => out.push('T'),
                10 => out.push(':'),
                _ => {}
            }
            out.push(c);
        }
        out
    }

    /// Unix seconds of the bound (for upload times, which CPAN Testers keeps as epochs);
    /// missing digits count as the start of the period.
    pub fn epoch(&self) -> i64 {
        let d = format!("{:0<12}", self.digits);
        let n = |r: std::ops::Range<usize>| d.get(r).and_then(|x| x.parse::<i64>().ok());
        let (y, m, day, h, min) = (
            n(0..4).unwrap_or(1970),
            n(4..6).unwrap_or(1).max(1),
            n(6..8).unwrap_or(1).max(1),
            n(8..10).unwrap_or(0),
            n(10..12).unwrap_or(0),
        );
        days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `perl_maturity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerlMaturity {
    /// Stable, unpatched perls.
    Stable,
    /// Development perls, release candidates and patched perls.
    Dev,
}

impl PerlMaturity {
    /// `stable` or `dev`.
    pub fn parse(s: &str) -> Option<PerlMaturity> {
        match s {
            "stable" => Some(PerlMaturity::Stable),
            "dev" => Some(PerlMaturity::Dev),
            _ => None,
        }
    }

    /// Whether `perl` (a stored canonical perl) has this maturity.
    pub fn matches(self, perl: &PerlVersion) -> bool {
        perl.is_stable() == (self == PerlMaturity::Stable)
    }
}

/// `maturity` of a release: developer releases (`_` in the version, or `TRIAL`) are `dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseMaturity {
    /// Not a developer release.
    Stable,
    /// A developer release.
    Dev,
}

impl ReleaseMaturity {
    /// `stable` or `dev`.
    pub fn parse(s: &str) -> Option<ReleaseMaturity> {
        match s {
            "stable" => Some(ReleaseMaturity::Stable),
            "dev" => Some(ReleaseMaturity::Dev),
            _ => None,
        }
    }

    /// Whether the release `version` has this maturity (the rule ingest uses for
    /// `testers_releases.developer`).
    pub fn matches(self, version: &str) -> bool {
        is_developer_version(version) == (self == ReleaseMaturity::Dev)
    }
}

/// `1.02_01` and `1.0-TRIAL` are developer releases.
pub fn is_developer_version(version: &str) -> bool {
    version.contains('_') || version.to_ascii_uppercase().contains("TRIAL")
}

// ------------------------------------------------------------------------------------------
// Legacy presentation rules (pure).

/// `cssperl` of the legacy record: `dev` when the perl matches `^5.(7|9|[1-9][13579])`
/// (CPAN Testers' regex, unescaped `.` and unanchored end included), else `rel`.
pub fn cssperl(perl: &str) -> &'static str {
    let b = perl.as_bytes();
    let odd = |c: u8| matches!(c, b'1' | b'3' | b'5' | b'7' | b'9');
    let dev = b.first() == Some(&b'5')
        && b.len() >= 3
        && (matches!(b[2], b'7' | b'9')
            || (matches!(b[2], b'1'..=b'9') && b.get(3).copied().is_some_and(odd)));
    if dev {
        "dev"
    } else {
        "rel"
    }
}

/// `csspatch` of the legacy record: `pat` when the perl matches `\b(RC\d+|patch)\b`, else `unp`.
pub fn csspatch(perl: &str) -> &'static str {
    let b = perl.as_bytes();
    let word = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let boundary_before = |i: usize| i == 0 || !word(i - 1);
    for i in 0..b.len() {
        if !boundary_before(i) {
            continue;
        }
        if b[i..].starts_with(b"patch") && !word(i + 5) {
            return "pat";
        }
        if b[i..].starts_with(b"RC") {
            let digits = b[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 && !word(i + 2 + digits) {
                return "pat";
            }
        }
    }
    "unp"
}

/// CPAN Testers' `%OSNAME` (cpantesters-web `Controller/Legacy.pm`), looked up lower-cased.
const OSNAMES: &[(&str, &str)] = &[
    ("aix", "AIX"),
    ("beos", "BeOS"),
    ("bitrig", "BITRIG"),
    ("bsdos", "BSD/OS"),
    ("cygwin", "Windows (Cygwin)"),
    ("darwin", "Mac OS X"),
    ("dec_osf", "Tru64"),
    ("dragonfly", "Dragonfly BSD"),
    ("freebsd", "FreeBSD"),
    ("gnu", "GNU Hurd"),
    ("gnukfreebsd", "Debian GNU/kFreeBSD"),
    ("haiku", "Haiku"),
    ("hpux", "HP-UX"),
    ("interix", "Interix"),
    ("irix", "IRIX"),
    ("linux", "GNU/Linux"),
    ("mac", "MAC"),
    ("macos", "Mac OS classic"),
    ("midnightbsd", "MidnightBSD"),
    ("minix", "MINIX"),
    ("mirbsd", "MirOS BSD"),
    ("mswin32", "Windows (Win32)"),
    ("netbsd", "NetBSD"),
    ("nto", "QNX Neutrino"),
    ("openbsd", "OpenBSD"),
    ("os2", "OS/2"),
    ("os390", "OS390/zOS"),
    ("sco", "SCO"),
    ("solaris", "SunOS/Solaris"),
    ("vms", "VMS"),
];

/// `ostext` of the legacy record: the display name of an OS (`linux` → `GNU/Linux`), or the
/// OS name itself when the map does not know it.
pub fn ostext(osname: &str) -> String {
    let lower = osname.to_ascii_lowercase();
    OSNAMES
        .iter()
        .find(|(k, _)| *k == lower)
        .map_or_else(|| osname.to_string(), |(_, v)| (*v).to_string())
}

/// The tester as `cpanstats.tester` holds it: `"Name" <email>`, the name with non-ASCII
/// characters as decimal entities (`K&#246;nig`) and `&<>"` escaped.  riverpan stores
/// `Name <email>` (or the bare address); a value already in the quoted form is kept.
pub fn cpanstats_tester(tester: &str) -> String {
    if tester.starts_with('"') {
        return tester.to_string();
    }
    let Some((name, email)) = split_tester(tester) else {
        return tester.to_string();
    };
    let mut out = String::with_capacity(tester.len() + 8);
    out.push('"');
    for c in name.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("&#{};", c as u32)),
        }
    }
    out.push_str("\" <");
    out.push_str(email);
    out.push('>');
    out
}

/// `Name <email>` → (`Name`, `email`).
fn split_tester(tester: &str) -> Option<(&str, &str)> {
    let open = tester.rfind(" <")?;
    let email = tester[open + 2..].strip_suffix('>')?;
    Some((tester[..open].trim(), email))
}

/// The tester's display name (for `tail/log.txt`): the name of `Name <email>`, else the
/// address.
pub fn tester_name(tester: &str) -> &str {
    split_tester(tester).map_or(tester, |(name, _)| name.trim_matches('"'))
}

/// `YYYYMMDDHHMM` of a stored creation time (`cpanstats.fulldate`).
pub fn fulldate(submitted_at: &str) -> String {
    submitted_at
        .chars()
        .filter(char::is_ascii_digit)
        .take(12)
        .collect()
}

/// `YYYY-MM-DDTHH:MM` of a stored creation time, when it has that form.
fn minute_prefix(submitted_at: &str) -> Option<&str> {
    let p = submitted_at.get(..16)?;
    let b = p.as_bytes();
    (b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':').then_some(p)
}

/// The v3 `date`: `YYYY-MM-DDTHH:MM:00Z` (CPAN Testers keeps minutes only).
pub fn summary_date(submitted_at: &str) -> String {
    minute_prefix(submitted_at).map_or_else(|| submitted_at.to_string(), |p| format!("{p}:00Z"))
}

// ------------------------------------------------------------------------------------------
// GET /v3/summary.

/// The filters of `GET /v3/summary[/dist[/version]]`.
#[derive(Debug, Clone, Default)]
pub struct SummaryQuery {
    /// Only this dist (required unless `perl` or `osname` is given).
    pub dist: Option<String>,
    /// Only this version of `dist`.
    pub version: Option<String>,
    /// Reports created at or after.
    pub since: Option<Since>,
    /// Only this legacy grade.
    pub grade: Option<LegacyGrade>,
    /// Any of these perls (exact: canonical or as sent).
    pub perl: Vec<String>,
    /// Any of these OS names (exact).
    pub osname: Vec<String>,
    /// Only perls of this maturity.
    pub perl_maturity: Option<PerlMaturity>,
}

/// Why a summary query was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The all-dists summary without `perl` or `osname`.
    #[error("You must provide one of 'perl' or 'osname'")]
    NeedPerlOrOsname,
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> Self {
        ReadError::Store(StoreError::Sqlite(e))
    }
}

/// A v3 `ReportSummary` (testers.md §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSummary {
    /// Report id.
    pub guid: String,
    /// `YYYY-MM-DDTHH:MM:00Z`.
    pub date: String,
    /// Legacy grade.
    pub grade: String,
    /// `"Name" <email>` as `cpanstats.tester`.
    pub reporter: String,
    /// Dist name.
    pub dist: String,
    /// Dist version.
    pub version: String,
    /// `archname`.
    pub platform: String,
    /// riverpan's canonical perl.
    pub perl: String,
    /// OS name.
    pub osname: String,
    /// OS version.
    pub osvers: String,
}

/// The canonical perls a summary may return: the given perls' canonical forms (or all), cut
/// to `maturity`.  `None` means "no restriction".
fn perl_candidates(
    conn: &Connection,
    given: &[String],
    maturity: Option<PerlMaturity>,
) -> Result<Option<Vec<String>>, ReadError> {
    let mut set: Option<BTreeSet<String>> = if given.is_empty() {
        None
    } else {
        Some(
            given
                .iter()
                .filter_map(|p| PerlVersion::parse(p).ok())
                .map(|p| p.to_string())
                .collect(),
        )
    };
    if let Some(maturity) = maturity {
        let mut stmt = conn.prepare_cached("SELECT perl FROM testers_perls")?;
        let known: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let matching: BTreeSet<String> = known
            .into_iter()
            .filter(|p| PerlVersion::parse(p).is_ok_and(|v| maturity.matches(&v)))
            .collect();
        set = Some(match set {
            None => matching,
            Some(s) => s.intersection(&matching).cloned().collect(),
        });
    }
    Ok(set.map(|s| s.into_iter().collect()))
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Runs a summary query, calling `emit` per row until it returns `false`; returns the number
/// of rows emitted.  Rows of one dist come in arrival order; over all dists, in index order
/// (by perl or OS name, then creation time), which needs no sort and so streams.
pub fn summaries(
    conn: &Connection,
    q: &SummaryQuery,
    mut emit: impl FnMut(ReportSummary) -> bool,
) -> Result<u64, ReadError> {
    if q.dist.is_none() && q.perl.is_empty() && q.osname.is_empty() {
        return Err(ReadError::NeedPerlOrOsname);
    }
    let perls = perl_candidates(conn, &q.perl, q.perl_maturity)?;
    if perls.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0);
    }
    let mut sql = String::from(
        "SELECT guid, submitted_at, grade, tester, dist, version, archname, perl, osname, osvers
         FROM testers_reports",
    );
    let mut args: Vec<SqlValue> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    match &q.dist {
        Some(dist) => {
            conds.push("dist = ?".into());
            args.push(dist.clone().into());
            if let Some(v) = &q.version {
                conds.push("version = ?".into());
                args.push(v.clone().into());
            }
        }
        // Without a dist, walk an index whose first column is constrained (see INDEXES).
        None if !q.perl.is_empty() => sql.push_str(" INDEXED BY testers_reports_by_perl"),
        None => sql.push_str(" INDEXED BY testers_reports_by_osname"),
    }
    if let Some(perls) = &perls {
        conds.push(format!("perl IN ({})", placeholders(perls.len())));
        args.extend(perls.iter().map(|p| SqlValue::from(p.clone())));
    }
    if !q.perl.is_empty() {
        let n = q.perl.len();
        conds.push(format!(
            "(perl IN ({}) OR perl_raw IN ({}))",
            placeholders(n),
            placeholders(n)
        ));
        for _ in 0..2 {
            args.extend(q.perl.iter().map(|p| SqlValue::from(p.clone())));
        }
    }
    if !q.osname.is_empty() {
        conds.push(format!("osname IN ({})", placeholders(q.osname.len())));
        args.extend(q.osname.iter().map(|o| SqlValue::from(o.clone())));
    }
    if let Some(grade) = q.grade {
        conds.push("grade = ?".into());
        args.push(grade.as_str().to_string().into());
    }
    if let Some(since) = &q.since {
        conds.push("submitted_at >= ?".into());
        args.push(since.submitted_at_bound().into());
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    if q.dist.is_some() {
        sql.push_str(" ORDER BY rowid_");
    }
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let submitted: String = r.get(1)?;
        let tester: String = r.get(3)?;
        let row = ReportSummary {
            guid: r.get(0)?,
            date: summary_date(&submitted),
            grade: r.get(2)?,
            reporter: cpanstats_tester(&tester),
            dist: r.get(4)?,
            version: r.get(5)?,
            platform: r.get(6)?,
            perl: r.get(7)?,
            osname: r.get(8)?,
            osvers: r.get(9)?,
        };
        n += 1;
        if !emit(row) {
            break;
        }
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------
// GET /v3/release.

/// A v3 `Release`: the legacy four grades of one release, plus their `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Dist name.
    pub dist: String,
    /// Dist version.
    pub version: String,
    /// PASS reports.
    pub pass: u64,
    /// FAIL reports (prerequisite failures sent as FAIL included).
    pub fail: u64,
    /// NA reports.
    pub na: u64,
    /// UNKNOWN reports.
    pub unknown: u64,
    /// All four.
    pub total: u64,
}

/// Which releases `GET /v3/release...` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseScope {
    /// Every release with reports (`/v3/release`).
    All,
    /// Every release of a dist with reports.
    Dist(String),
    /// One release.
    DistVersion(String, String),
    /// Every release by a PAUSE id: named by reports (`distribution.path`) or uploaded to
    /// riverpan by that user.
    Author(String),
}

/// The options of `GET /v3/release...`.
#[derive(Debug, Clone, Default)]
pub struct ReleaseQuery {
    /// Only releases with a report created at or after this (never for [`ReleaseScope::All`]:
    /// the HTTP layer refuses it, as CPAN Testers does).
    pub since: Option<Since>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Only developer or only stable releases.
    pub maturity: Option<ReleaseMaturity>,
}

const RELEASE_COUNTS: &str = "SUM(CASE WHEN grade = 'pass' THEN count ELSE 0 END),
    SUM(CASE WHEN grade = 'fail' THEN count ELSE 0 END),
    SUM(CASE WHEN grade = 'na' THEN count ELSE 0 END),
    SUM(CASE WHEN grade = 'unknown' THEN count ELSE 0 END)";

fn release_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Release> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
    let (pass, fail, na, unknown) = (n(2)?, n(3)?, n(4)?, n(5)?);
    Ok(Release {
        dist: r.get(0)?,
        version: r.get(1)?,
        pass,
        fail,
        na,
        unknown,
        total: pass + fail + na + unknown,
    })
}

/// The counts of one release, `None` without reports.
pub fn release(conn: &Connection, dist: &str, version: &str) -> Result<Option<Release>, ReadError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT dist, version, {RELEASE_COUNTS} FROM testers_summary
         WHERE dist = ?1 AND version = ?2 GROUP BY dist, version"
    ))?;
    Ok(stmt
        .query_row(params![dist, version], release_from_row)
        .optional()?)
}

fn has_report_since(
    conn: &Connection,
    dist: &str,
    version: &str,
    since: &Since,
) -> Result<bool, ReadError> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM testers_reports WHERE dist = ?1 AND version = ?2 AND submitted_at >= ?3
         LIMIT 1",
    )?;
    Ok(stmt
        .query_row(params![dist, version, since.submitted_at_bound()], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

/// Lists releases, calling `emit` per row until it returns `false` or `limit` is reached.
/// The whole list comes in key order (dist, then version as a string) straight off the
/// summary table's primary key; a dist's or an author's releases come by dist, newest
/// version first (CPAN version order), so that `limit` keeps the latest ones.
pub fn releases(
    conn: &Connection,
    scope: &ReleaseScope,
    q: &ReleaseQuery,
    mut emit: impl FnMut(Release) -> bool,
) -> Result<u64, ReadError> {
    let limit = q.limit.unwrap_or(u64::MAX);
    let mut n = 0u64;
    let mut take = |rel: Release, n: &mut u64| -> bool {
        if q.maturity.is_some_and(|m| !m.matches(&rel.version)) {
            return true;
        }
        *n += 1;
        emit(rel) && *n < limit
    };
    if limit == 0 {
        return Ok(0);
    }
    let keys: Vec<(String, String)> = match scope {
        ReleaseScope::All => {
            let mut stmt = conn.prepare(&format!(
                "SELECT dist, version, {RELEASE_COUNTS} FROM testers_summary GROUP BY dist, version"
            ))?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                if !take(release_from_row(r)?, &mut n) {
                    break;
                }
            }
            return Ok(n);
        }
        ReleaseScope::DistVersion(d, v) => vec![(d.clone(), v.clone())],
        ReleaseScope::Dist(d) => {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT dist, version FROM testers_summary WHERE dist = ?1",
            )?;
            let keys = stmt
                .query_map(params![d], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            keys
        }
        ReleaseScope::Author(a) => {
            let mut set: BTreeSet<(String, String)> = BTreeSet::new();
            let mut stmt = conn
                .prepare_cached("SELECT dist, version FROM testers_releases WHERE author = ?1")?;
            for k in stmt.query_map(params![a.to_ascii_uppercase()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })? {
                set.insert(k?);
            }
            for u in riverpan_uploads(conn)? {
                if u.author.eq_ignore_ascii_case(a) {
                    set.insert((u.dist, u.version));
                }
            }
            set.into_iter().collect()
        }
    };
    let mut keys = keys;
    keys.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| cpan_version::vcmp(&b.1, &a.1))
            .then_with(|| b.1.cmp(&a.1))
    });
    for (dist, version) in keys {
        if let Some(since) = &q.since {
            if !has_report_since(conn, &dist, &version, since)? {
                continue;
            }
        }
        if let Some(rel) = release(conn, &dist, &version)? {
            if !take(rel, &mut n) {
                break;
            }
        }
    }
    Ok(n)
}

// ------------------------------------------------------------------------------------------
// GET /v3/upload.

/// A v3 `Upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    /// Dist name.
    pub dist: String,
    /// Dist version.
    pub version: String,
    /// PAUSE id (`""` when unknown).
    pub author: String,
    /// Archive file name (`""` for a provisional row).
    pub filename: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`; `1970-01-01T00:00:00Z` for a provisional row.
    pub released: String,
    #[serde(skip)]
    released_epoch: i64,
}

/// Which uploads `GET /v3/upload...` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadScope {
    /// All.
    All,
    /// Of one dist.
    Dist(String),
    /// By one PAUSE id.
    Author(String),
}

/// riverpan's own uploads (deleted ones too: they stay releases, as BackPAN rows do upstream)
/// whose file name CPAN::DistnameInfo understands.  Empty when the store has no `uploads`
/// table (a testers-only data file).
fn riverpan_uploads(conn: &Connection) -> Result<Vec<Upload>, ReadError> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'uploads'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached("SELECT path, userid, uploaded_at FROM uploads")?;
    let mut out = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let path: String = r.get(0)?;
        let userid: String = r.get(1)?;
        let at: i64 = r.get(2)?;
        let info = cpan_distname::DistnameInfo::new(&path);
        let (Some(dist), Some(version)) = (info.dist(), info.version()) else {
            continue;
        };
        let filename = path.rsplit('/').next().unwrap_or(&path).to_string();
        out.push(Upload {
            dist: dist.to_string(),
            version: version.to_string(),
            author: userid,
            filename,
            released: crate::ingest::rfc3339(at.max(0) as u64),
            released_epoch: at,
        });
    }
    Ok(out)
}

/// The upload list, ordered by release time (then dist, version).
///
/// The rule for releases riverpan does not host: every `(dist, version)` with reports but no
/// riverpan upload of that dist and version gets a provisional row, as CPAN Testers creates
/// one (testers.md §4): `author` from the reports' `distribution.path` when known (else `""`),
/// `filename` `""`, `released` epoch 0.  So a `since` bound drops every provisional row.
pub fn uploads(
    conn: &Connection,
    scope: &UploadScope,
    since: Option<&Since>,
) -> Result<Vec<Upload>, ReadError> {
    let own = riverpan_uploads(conn)?;
    let mut hosted: HashMap<(String, String), ()> = HashMap::new();
    for u in &own {
        hosted.insert((u.dist.clone(), u.version.clone()), ());
    }
    let mut out: Vec<Upload> = own
        .into_iter()
        .filter(|u| match scope {
            UploadScope::All => true,
            UploadScope::Dist(d) => u.dist == *d,
            UploadScope::Author(a) => u.author.eq_ignore_ascii_case(a),
        })
        .collect();
    let (sql, arg): (&str, Option<String>) = match scope {
        UploadScope::All => ("SELECT dist, version, author FROM testers_releases", None),
        UploadScope::Dist(d) => (
            "SELECT dist, version, author FROM testers_releases WHERE dist = ?1",
            Some(d.clone()),
        ),
        UploadScope::Author(a) => (
            "SELECT dist, version, author FROM testers_releases WHERE author = ?1",
            Some(a.to_ascii_uppercase()),
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = match &arg {
        Some(a) => stmt.query(params![a])?,
        None => stmt.query([])?,
    };
    while let Some(r) = rows.next()? {
        let (dist, version): (String, String) = (r.get(0)?, r.get(1)?);
        if hosted.contains_key(&(dist.clone(), version.clone())) {
            continue;
        }
        out.push(Upload {
            dist,
            version,
            author: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            filename: String::new(),
            released: crate::ingest::rfc3339(0),
            released_epoch: 0,
        });
    }
    if let Some(since) = since {
        let bound = since.epoch();
        out.retain(|u| u.released_epoch >= bound);
    }
    out.sort_by(|a, b| {
        a.released_epoch
            .cmp(&b.released_epoch)
            .then_with(|| a.dist.cmp(&b.dist))
            .then_with(|| a.version.cmp(&b.version))
    });
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// Legacy feeds.

/// One record of `/show/<dist>.json` (testers.md §2.2, `_rs_to_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyRecord {
    /// Upper-case grade (`PASS`).
    pub status: String,
    /// Lower-case grade.
    pub state: String,
    /// Lower-case grade.
    pub grade: String,
    /// Report id.
    pub guid: String,
    /// Dist name.
    pub dist: String,
    /// Dist name.
    pub distribution: String,
    /// Dist version.
    pub version: String,
    /// `Dist-Version`.
    pub distversion: String,
    /// Always 2 (a CPAN Testers report).
    #[serde(rename = "type")]
    pub kind: u32,
    /// OS name.
    pub osname: String,
    /// OS version.
    pub osvers: String,
    /// OS display name.
    pub ostext: String,
    /// Canonical perl.
    pub perl: String,
    /// The same.
    pub lang_version: String,
    /// `archname`.
    pub platform: String,
    /// riverpan's upload row id, 0 for a release riverpan does not host.
    pub uploadid: i64,
    /// `"Name" <email>`.
    pub tester: String,
    /// riverpan's numeric report id (the reports table's row id).
    pub id: i64,
    /// `YYYYMM`.
    pub postdate: String,
    /// `YYYYMMDDHHMM`.
    pub fulldate: String,
    /// `pat` or `unp`.
    pub csspatch: String,
    /// `dev` or `rel`.
    pub cssperl: String,
    /// `YYYY-MM-DDTHH:MM:00`.
    pub datetime: String,
}

/// Upload row ids of riverpan's uploads of `dist`, by version.
fn upload_ids(conn: &Connection, dist: &str) -> Result<HashMap<String, i64>, ReadError> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'uploads'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let mut out = HashMap::new();
    if exists.is_none() {
        return Ok(out);
    }
    let mut stmt = conn.prepare_cached("SELECT id, path FROM uploads")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let path: String = r.get(1)?;
        let info = cpan_distname::DistnameInfo::new(&path);
        if info.dist() == Some(dist) {
            if let Some(v) = info.version() {
                out.insert(v.to_string(), r.get(0)?);
            }
        }
    }
    Ok(out)
}

/// Every report of `dist` (all versions) as legacy records, in arrival order.
pub fn show_records(
    conn: &Connection,
    dist: &str,
    mut emit: impl FnMut(LegacyRecord) -> bool,
) -> Result<u64, ReadError> {
    let ids = upload_ids(conn, dist)?;
    let mut stmt = conn.prepare_cached(
        "SELECT rowid_, guid, submitted_at, grade, tester, version, archname, perl, osname, osvers
         FROM testers_reports WHERE dist = ?1 ORDER BY rowid_",
    )?;
    let mut rows = stmt.query(params![dist])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let submitted: String = r.get(2)?;
        let grade: String = r.get(3)?;
        let tester: String = r.get(4)?;
        let version: String = r.get(5)?;
        let perl: String = r.get(7)?;
        let osname: String = r.get(8)?;
        let full = fulldate(&submitted);
        let record = LegacyRecord {
            status: grade.to_ascii_uppercase(),
            state: grade.clone(),
            grade,
            guid: r.get(1)?,
            dist: dist.to_string(),
            distribution: dist.to_string(),
            distversion: format!("{dist}-{version}"),
            uploadid: ids.get(&version).copied().unwrap_or(0),
            version,
            kind: 2,
            ostext: ostext(&osname),
            osname,
            osvers: r.get(9)?,
            cssperl: cssperl(&perl).to_string(),
            csspatch: csspatch(&perl).to_string(),
            lang_version: perl.clone(),
            perl,
            platform: r.get(6)?,
            tester: cpanstats_tester(&tester),
            id: r.get(0)?,
            postdate: full.chars().take(6).collect(),
            datetime: minute_prefix(&submitted)
                .map_or_else(|| submitted.clone(), |p| format!("{p}:00")),
            fulldate: full,
        };
        n += 1;
        if !emit(record) {
            break;
        }
    }
    Ok(n)
}

/// How many reports `tail/log.txt` shows.
pub const TAIL_REPORTS: usize = 1000;

/// `tail/log.txt` (testers.md §2.4): a header line, then the last [`TAIL_REPORTS`] reports
/// received, newest first:
/// `[<created>] [<tester name>] [<grade>] [<AUTHOR>/<filename>] [<archname>] [perl-v<perl>] [<id>] [<created>]`.
/// `AUTHOR/filename` is riverpan's upload path when it hosts the release, else the author the
/// reports named (`UNKNOWN` when none did) and `<dist>-<version>.tar.gz`, which the
/// fast-matrix parser (`^.+/(.*)-v?(\d.*)\.(?:tar\.gz|...)$`) turns back into dist and
/// version.  `now` is the header's time (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn tail_log(conn: &Connection, now: &str) -> Result<String, ReadError> {
    let mut hosted: HashMap<(String, String), String> = HashMap::new();
    for u in riverpan_uploads(conn)? {
        let path = format!("{}/{}", u.author, u.filename);
        hosted.insert((u.dist, u.version), path);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT r.guid, r.submitted_at, r.grade, r.tester, r.dist, r.version, r.archname, r.perl,
                COALESCE(r.author, rel.author)
         FROM testers_reports r
         LEFT JOIN testers_releases rel ON rel.dist = r.dist AND rel.version = r.version
         ORDER BY r.rowid_ DESC LIMIT ?1",
    )?;
    let mut out = format!("The last {TAIL_REPORTS} reports as of {now}:\n");
    let mut rows = stmt.query(params![TAIL_REPORTS as i64])?;
    while let Some(r) = rows.next()? {
        let (guid, created, grade, tester): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let (dist, version, archname, perl): (String, String, String, String) =
            (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
        let author: Option<String> = r.get(8)?;
        let distpath = hosted
            .get(&(dist.clone(), version.clone()))
            .cloned()
            .unwrap_or_else(|| {
                format!(
                    "{}/{dist}-{version}.tar.gz",
                    author.as_deref().unwrap_or("UNKNOWN")
                )
            });
        // Brackets inside a field would break the line's regex.
        let clean = |s: &str| s.replace(['[', ']', '\n', '\r'], "");
        out.push_str(&format!(
            "[{created}] [{}] [{grade}] [{}] [{}] [perl-v{}] [{guid}] [{created}]\n",
            clean(tester_name(&tester)),
            clean(&distpath),
            clean(&archname),
            clean(&perl),
            created = clean(&created),
        ));
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// riverpan's own views.

/// Grade counts of a dist or release in both views: riverpan's (prerequisite failures apart)
/// and the legacy four grades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistSummary {
    /// Dist name.
    pub dist: String,
    /// The version, or `None` for all versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Passes.
    pub pass: u64,
    /// Failures not caused by prerequisites.
    pub fail: u64,
    /// NA not caused by prerequisites.
    pub na: u64,
    /// UNKNOWN not caused by prerequisites.
    pub unknown: u64,
    /// Reports that failed because prerequisites were not satisfied.
    pub prerequisite_failure: u64,
    /// All reports.
    pub total: u64,
    /// The four legacy grades (prerequisite failures under the grade their client sent).
    pub legacy: crate::query::LegacyCounts,
    /// Number of reports per version (only for a whole dist), CPAN version order.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub versions: BTreeMap<String, u64>,
}

/// The summary of a dist or one release; `None` when it has no reports.
pub fn dist_summary(
    conn: &Connection,
    dist: &str,
    version: Option<&str>,
) -> Result<Option<DistSummary>, ReadError> {
    let counts = crate::query::summary(conn, dist, version).map_err(|e| match e {
        crate::query::QueryError::Store(s) => ReadError::Store(s),
        crate::query::QueryError::NoPerl(_) => {
            ReadError::Store(StoreError::Sqlite(rusqlite::Error::InvalidQuery))
        }
    })?;
    if counts.total() == 0 {
        return Ok(None);
    }
    let mut versions = BTreeMap::new();
    if version.is_none() {
        let mut stmt =
            conn.prepare_cached("SELECT version, reports FROM testers_releases WHERE dist = ?1")?;
        for row in stmt.query_map(params![dist], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (v, n) = row?;
            versions.insert(v, n.max(0) as u64);
        }
    }
    Ok(Some(DistSummary {
        dist: dist.to_string(),
        version: version.map(str::to_string),
        pass: counts.pass,
        fail: counts.fail,
        na: counts.na,
        unknown: counts.unknown,
        prerequisite_failure: counts.prerequisite_failure,
        total: counts.total(),
        legacy: counts.legacy(),
        versions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cssperl_follows_the_regex() {
        for (perl, css) in [
            ("5.43.9", "dev"),
            ("5.41.13", "dev"),
            ("5.9.5", "dev"),
            ("5.7.3", "dev"),
            ("5.42.0", "rel"),
            ("5.10.1", "rel"),
            ("5.8.9", "rel"),
            ("5.1.0", "rel"),
            ("5.42.0 RC1", "rel"),
            ("5.10.0 patch", "rel"),
            ("6.1.1", "rel"),
            ("", "rel"),
            // The unescaped `.` and the open end, as in CPAN Testers.
            ("5x11.0", "dev"),
            ("5.70.0", "dev"),
        ] {
            assert_eq!(cssperl(perl), css, "{perl}");
        }
    }

    #[test]
    fn csspatch_follows_the_regex() {
        for (perl, css) in [
            ("5.42.0 RC1", "pat"),
            ("5.42.0 RC12", "pat"),
            ("5.10.0 patch", "pat"),
            ("5.10.0 patch GitLive-maint", "pat"),
            ("5.42.0", "unp"),
            ("5.42.0RC1", "unp"),
            ("5.42.0 RC", "unp"),
            ("5.42.0 RC1a", "unp"),
            ("5.42.0 patched", "unp"),
            ("5.42.0 rc1", "unp"),
            ("5.42.0-RC2", "pat"),
        ] {
            assert_eq!(csspatch(perl), css, "{perl}");
        }
    }

    #[test]
    fn ostext_knows_the_common_systems() {
        assert_eq!(OSNAMES.len(), 30);
        assert_eq!(ostext("linux"), "GNU/Linux");
        assert_eq!(ostext("MSWin32"), "Windows (Win32)");
        assert_eq!(ostext("darwin"), "Mac OS X");
        assert_eq!(ostext("cygwin"), "Windows (Cygwin)");
        assert_eq!(ostext("solaris"), "SunOS/Solaris");
        assert_eq!(ostext("plan9"), "plan9");
    }

    #[test]
    fn since_is_compared_as_cpan_testers_does() {
        let s = Since::parse("2026-04-01T12:34:56Z").unwrap();
        assert_eq!(s.digits(), "202604011234");
        assert_eq!(s.submitted_at_bound(), "2026-04-01T12:34");
        // Same minute: included, like `fulldate >= since`.
        assert!("2026-04-01T12:34:00Z" >= s.submitted_at_bound().as_str());
        assert!("2026-04-01T12:33:59Z" < s.submitted_at_bound().as_str());
        // The time zone is ignored, as upstream strips it with the separators.
        let z = Since::parse("2026-04-01T12:34:00+02:00").unwrap();
        assert_eq!(z.digits(), "202604011234");
        let day = Since::parse("2026-04-01").unwrap();
        assert_eq!(day.submitted_at_bound(), "2026-04-01");
        assert!("2026-04-01T00:00:00Z" >= day.submitted_at_bound().as_str());
        assert_eq!(day.epoch(), 1_775_001_600);
        assert_eq!(Since::parse("1970-01-01T00:01").unwrap().epoch(), 60);
        assert!(Since::parse("2026-04-01 12:34:56.5Z").is_ok());
        for bad in [
            "",
            "yesterday",
            "2026-4-1",
            "2026-04-01T1",
            "2026-04-01Tab:cd",
            "20260401",
        ] {
            assert!(Since::parse(bad).is_err(), "{bad}");
        }
        assert!(Since::parse("2026-04-01T12:34:56+0200").is_err());
    }

    #[test]
    fn legacy_strings() {
        assert_eq!(
            cpanstats_tester("Andreas J. König <andk@cpan.org>"),
            "\"Andreas J. K&#246;nig\" <andk@cpan.org>"
        );
        assert_eq!(cpanstats_tester("a@b.c"), "a@b.c");
        assert_eq!(cpanstats_tester("\"X\" <x@y>"), "\"X\" <x@y>");
        assert_eq!(tester_name("Smoker 1 <s@x>"), "Smoker 1");
        assert_eq!(tester_name("\"Smoker\" <s@x>"), "Smoker");
        assert_eq!(tester_name("s@x"), "s@x");
        assert_eq!(fulldate("2026-04-01T12:34:56Z"), "202604011234");
        assert_eq!(summary_date("2026-04-01T12:34:56Z"), "2026-04-01T12:34:00Z");
        assert_eq!(summary_date("garbage"), "garbage");
        assert!(is_developer_version("1.02_01"));
        assert!(is_developer_version("1.0-TRIAL"));
        assert!(!is_developer_version("1.02"));
        assert!(ReleaseMaturity::Dev.matches("1.0_1"));
        assert!(PerlMaturity::Dev.matches(&PerlVersion::parse("5.42.0 RC1").unwrap()));
        assert!(PerlMaturity::Dev.matches(&PerlVersion::parse("5.42.0 patch").unwrap()));
        assert!(PerlMaturity::Stable.matches(&PerlVersion::parse("5.42.0").unwrap()));
    }

    #[test]
    fn all_dists_summary_uses_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(dir.path()).unwrap();
        ensure_indexes(&conn).unwrap();
        ensure_indexes(&conn).unwrap();
        for (perl, os) in [
            (vec!["5.42.0".to_string()], vec![]),
            (vec![], vec!["linux".into()]),
        ] {
            let q = SummaryQuery {
                perl,
                osname: os,
                since: Some(Since::parse("2026-01-01").unwrap()),
                ..SummaryQuery::default()
            };
            assert_eq!(summaries(&conn, &q, |_| true).unwrap(), 0);
        }
        let plan: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT guid FROM testers_reports INDEXED BY testers_reports_by_perl
                 WHERE perl IN ('5.42.0') AND submitted_at >= '2026'",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("testers_reports_by_perl")),
            "{plan:?}"
        );
        let q = SummaryQuery::default();
        assert!(matches!(
            summaries(&conn, &q, |_| true),
            Err(ReadError::NeedPerlOrOsname)
        ));
    }
}
