//! Reading: a dist's grade counts, the perl × OS matrix of a release, the known perls, and
//! Blead Breaks CPAN (testers.md §5.5) with andk's `beforemaintrelease` format (§5.2).
//!
//! Everything reads the incrementally maintained `testers_summary` table, never counts reports.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::grade::LegacyGrade;
use crate::perl::{latest_development, latest_stable, PerlVersion};
use crate::store::StoreError;

/// Errors of the read side.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No perl of the wanted kind has reports, so BBC has no default.
    #[error("no {0} perl has reports; give it explicitly")]
    NoPerl(&'static str),
}

impl From<rusqlite::Error> for QueryError {
    fn from(e: rusqlite::Error) -> Self {
        QueryError::Store(StoreError::Sqlite(e))
    }
}

/// Grade counts in riverpan's view: `fail`, `na` and `unknown` exclude prerequisite failures,
/// which are counted apart.  [`Counts::legacy`] gives the four-grade view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Passes.
    pub pass: u64,
    /// Failures not caused by prerequisites.
    pub fail: u64,
    /// NA not caused by prerequisites.
    pub na: u64,
    /// Unknown not caused by prerequisites.
    pub unknown: u64,
    /// Reports that failed because prerequisites were not satisfied.
    pub prerequisite_failure: u64,
    #[serde(skip)]
    prereq_by_grade: [u64; 4],
}

/// The four legacy grades' counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LegacyCounts {
    /// PASS.
    pub pass: u64,
    /// FAIL.
    pub fail: u64,
    /// NA.
    pub na: u64,
    /// UNKNOWN.
    pub unknown: u64,
}

impl Counts {
    /// Adds `n` reports of `grade` (a prerequisite failure when `prereq`).
    pub fn add(&mut self, grade: LegacyGrade, prereq: bool, n: u64) {
        if prereq && grade != LegacyGrade::Pass {
            self.prerequisite_failure += n;
            self.prereq_by_grade[grade as usize] += n;
            return;
        }
        match grade {
            LegacyGrade::Pass => self.pass += n,
            LegacyGrade::Fail => self.fail += n,
            LegacyGrade::Na => self.na += n,
            LegacyGrade::Unknown => self.unknown += n,
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &Counts) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.na += other.na;
        self.unknown += other.unknown;
        self.prerequisite_failure += other.prerequisite_failure;
        for i in 0..4 {
            self.prereq_by_grade[i] += other.prereq_by_grade[i];
        }
    }

    /// All reports.
    pub fn total(&self) -> u64 {
        self.pass + self.fail + self.na + self.unknown + self.prerequisite_failure
    }

    /// The legacy view: prerequisite failures back under the grade the client sent.
    pub fn legacy(&self) -> LegacyCounts {
        LegacyCounts {
            pass: self.pass + self.prereq_by_grade[0],
            fail: self.fail + self.prereq_by_grade[1],
            na: self.na + self.prereq_by_grade[2],
            unknown: self.unknown + self.prereq_by_grade[3],
        }
    }
}

fn grade_of(s: &str) -> LegacyGrade {
    // The column only ever holds what ingest wrote; treat anything else as unknown.
    LegacyGrade::parse(s).unwrap_or(LegacyGrade::Unknown)
}

/// Grade counts of a dist (all versions) or of one release.
pub fn summary(conn: &Connection, dist: &str, version: Option<&str>) -> Result<Counts, QueryError> {
    let mut counts = Counts::default();
    let mut add = |r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        let g: String = r.get(0)?;
        let prereq: bool = r.get(1)?;
        let n: i64 = r.get(2)?;
        counts.add(grade_of(&g), prereq, n.max(0) as u64);
        Ok(())
    };
    match version {
        Some(v) => {
            let mut stmt = conn.prepare_cached(
                "SELECT grade, prereq_failure, SUM(count) FROM testers_summary
                 WHERE dist = ?1 AND version = ?2 GROUP BY grade, prereq_failure",
            )?;
            let mut rows = stmt.query(params![dist, v])?;
            while let Some(r) = rows.next()? {
                add(r)?;
            }
        }
        None => {
            let mut stmt = conn.prepare_cached(
                "SELECT grade, prereq_failure, SUM(count) FROM testers_summary
                 WHERE dist = ?1 GROUP BY grade, prereq_failure",
            )?;
            let mut rows = stmt.query(params![dist])?;
            while let Some(r) = rows.next()? {
                add(r)?;
            }
        }
    }
    Ok(counts)
}

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixCell {
    /// Canonical perl.
    pub perl: String,
    /// OS name.
    pub osname: String,
    /// Counts.
    pub counts: Counts,
}

/// The perl × OS matrix of one release, perls newest first, then OS names.
pub fn matrix(conn: &Connection, dist: &str, version: &str) -> Result<Vec<MatrixCell>, QueryError> {
    let mut stmt = conn.prepare_cached(
        "SELECT perl, osname, grade, prereq_failure, count FROM testers_summary
         WHERE dist = ?1 AND version = ?2",
    )?;
    let mut cells: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut rows = stmt.query(params![dist, version])?;
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(4)?;
        let g: String = r.get(2)?;
        cells.entry((r.get(0)?, r.get(1)?)).or_default().add(
            grade_of(&g),
            r.get(3)?,
            n.max(0) as u64,
        );
    }
    let mut out: Vec<MatrixCell> = cells
        .into_iter()
        .map(|((perl, osname), counts)| MatrixCell {
            perl,
            osname,
            counts,
        })
        .collect();
    out.sort_by(|a, b| {
        let pa = PerlVersion::parse(&a.perl).ok();
        let pb = PerlVersion::parse(&b.perl).ok();
        pb.cmp(&pa).then_with(|| a.osname.cmp(&b.osname))
    });
    Ok(out)
}

/// A perl that has reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownPerl {
    /// Canonical name.
    pub perl: String,
    /// `stable`, `development`, `release-candidate`.
    pub kind: &'static str,
    /// Locally patched.
    pub patched: bool,
    /// Number of reports.
    pub reports: u64,
    #[serde(skip)]
    /// The parsed version.
    pub version: PerlVersion,
}

/// Every perl with reports, oldest first.
pub fn perls(conn: &Connection) -> Result<Vec<KnownPerl>, QueryError> {
    let mut stmt = conn.prepare_cached("SELECT perl, reports FROM testers_perls")?;
    let mut out = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        let n: i64 = r.get(1)?;
        if let Ok(v) = PerlVersion::parse(&name) {
            out.push(KnownPerl {
                perl: name,
                kind: v.kind.as_str(),
                patched: v.patched,
                reports: n.max(0) as u64,
                version: v,
            });
        }
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(out)
}

/// The latest stable and development perls with reports.
pub fn latest_perls(
    conn: &Connection,
) -> Result<(Option<PerlVersion>, Option<PerlVersion>), QueryError> {
    let all: Vec<PerlVersion> = perls(conn)?.into_iter().map(|p| p.version).collect();
    Ok((latest_stable(&all), latest_development(&all)))
}

/// Old/new pass and fail counts of one OS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OsCounts {
    /// Counts on the old perl.
    pub old: Counts,
    /// Counts on the new perl.
    pub new: Counts,
}

/// One BBC candidate: a dist's latest release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BbcEntry {
    /// Dist name.
    pub dist: String,
    /// Its latest (non-developer) release seen in reports.
    pub version: String,
    /// PAUSE id, when known.
    pub author: Option<String>,
    /// Counts on the old perl.
    pub old: Counts,
    /// Counts on the new perl.
    pub new: Counts,
    /// What the counts say: the new perl `breaks` it, `fixed` it, or `mixed` results.
    pub verdict: Verdict,
    /// The evidence has no mixed results: passes only on one perl and fails only on the other
    /// (always false for `mixed`).  See [`judge`].
    pub strong: bool,
    /// The first development perl of the trailing run of failing dev perls (up to `new`);
    /// `None` for a fix.
    pub first_failing_dev_perl: Option<String>,
    /// The last development perl that passed before that run; `None` for a fix.
    pub last_passing_dev_perl: Option<String>,
    /// Up to three failing report ids: on the new perl, or on the old one for a fix.
    pub sample_fail_reports: Vec<String>,
    /// A passing report id for contrast: on the old perl, or on the new one for a fix.
    pub sample_pass_report: Option<String>,
    /// Counts per OS name on both perls.
    pub os: BTreeMap<String, OsCounts>,
    /// The dist's place in the river of this repository, when riverpan hosts it.
    pub river: Option<RiverSpot>,
}

/// Downriver dependents of a dist (from the store's `river_positions`, kept by the indexer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RiverSpot {
    /// Distributions depending on it directly.
    pub immediate: u64,
    /// Distributions depending on it directly or through others.
    pub total: u64,
    /// MetaCPAN's bucket, 0–5.
    pub bucket: u8,
}

/// The BBC answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bbc {
    /// The old perl (default: latest stable).
    pub old: String,
    /// The new perl (default: latest development).
    pub new: String,
    /// Candidates: breaks, then fixed, then mixed; within each, strong first, then the most
    /// upriver, then the most fails on the new perl, then by name.
    pub candidates: Vec<BbcEntry>,
}

/// What a BBC candidate's counts say about the new perl (serialized in lower case).  The
/// order of the variants is the order of the answer: breaks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Passes on the old perl, fails on the new one: no fails on the old perl or no passes on
    /// the new one, so the new perl fails more.
    Breaks,
    /// The mirror image: fails on the old perl, passes on the new one.
    Fixed,
    /// Mixed results on one perl with nothing to compare on the other (e.g. passes and fails
    /// on the old perl, no reports on the new one).
    Mixed,
}

impl Verdict {
    /// Every verdict, in the order of the answer.
    pub const ALL: [Verdict; 3] = [Verdict::Breaks, Verdict::Fixed, Verdict::Mixed];

    /// `breaks`, `fixed` or `mixed`, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Breaks => "breaks",
            Verdict::Fixed => "fixed",
            Verdict::Mixed => "mixed",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on a candidate and the strength of its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    /// Breaks, fixed or mixed.
    pub verdict: Verdict,
    /// No mixed results on either perl: a break that only passes on the old perl and only
    /// fails on the new one, or a fix the other way round.
    pub strong: bool,
}

/// andk's candidate filter plus "something failed" (testers.md §5.2): some pass on either
/// perl, some fail on either, and not all four figures non-zero.  Prerequisite failures are
/// not fails here: a broken prerequisite is "CPAN breaks CPAN", not blead.
pub fn is_candidate(old: &Counts, new: &Counts) -> bool {
    let (ps, fs, pd, fd) = (old.pass, old.fail, new.pass, new.fail);
    (ps > 0 || pd > 0) && (fs > 0 || fd > 0) && !(ps > 0 && fs > 0 && pd > 0 && fd > 0)
}

/// The verdict on a dist with these counts on the old and the new perl, `None` when it is no
/// candidate ([`is_candidate`]).  Only passes and fails (prerequisite failures excluded)
/// count, and only whether each is zero:
///
/// - `breaks`: passes on old and fails on new, with no fails on old or no passes on new;
///   strong when both (only passes on old, only fails on new);
/// - `fixed`: fails on old and passes on new, with no passes on old or no fails on new;
///   strong when both;
/// - `mixed`: any other candidate (passes and fails on one perl, nothing to set against them
///   on the other); never strong.
pub fn judge(old: &Counts, new: &Counts) -> Option<Judgement> {
    if !is_candidate(old, new) {
        return None;
    }
    let (ps, fs, pd, fd) = (old.pass > 0, old.fail > 0, new.pass > 0, new.fail > 0);
    let judgement = if ps && fd && (!fs || !pd) {
        Judgement {
            verdict: Verdict::Breaks,
            strong: !fs && !pd,
        }
    } else if fs && pd && (!ps || !fd) {
        Judgement {
            verdict: Verdict::Fixed,
            strong: !ps && !fd,
        }
    } else {
        Judgement {
            verdict: Verdict::Mixed,
            strong: false,
        }
    };
    Some(judgement)
}

/// Blead Breaks CPAN over each dist's latest release.  `old` defaults to the latest stable
/// perl with reports, `new` to the latest development perl.
pub fn bbc(
    conn: &Connection,
    old: Option<PerlVersion>,
    new: Option<PerlVersion>,
) -> Result<Bbc, QueryError> {
    let (old, new) = resolve_perls(conn, old, new)?;
    let (old_s, new_s) = (old.to_string(), new.to_string());
    // CROSS JOIN makes SQLite walk the (small) latest-release table and probe the summary's
    // primary key `(dist, version, perl, ...)`; without statistics it would otherwise scan the
    // whole summary, which grows with the number of reports.
    let mut stmt = conn.prepare_cached(
        "SELECT l.dist, l.version, l.author, s.perl, s.grade, s.prereq_failure, s.count
         FROM testers_latest l
         CROSS JOIN testers_summary s
           ON s.dist = l.dist AND s.version = l.version AND s.perl IN (?1, ?2)",
    )?;
    let mut per: BTreeMap<(String, String), (Option<String>, Counts, Counts)> = BTreeMap::new();
    let mut rows = stmt.query(params![old_s, new_s])?;
    while let Some(r) = rows.next()? {
        let perl: String = r.get(3)?;
        let g: String = r.get(4)?;
        let n: i64 = r.get(6)?;
        let e = per
            .entry((r.get(0)?, r.get(1)?))
            .or_insert_with(|| (None, Counts::default(), Counts::default()));
        if e.0.is_none() {
            e.0 = r.get(2)?;
        }
        let target = if perl == old_s { &mut e.1 } else { &mut e.2 };
        target.add(grade_of(&g), r.get(5)?, n.max(0) as u64);
    }
    drop(rows);
    let river = has_table(conn, "river_positions")?;
    let mut candidates = Vec::new();
    for ((dist, version), (author, o, n)) in per {
        let Some(Judgement { verdict, strong }) = judge(&o, &n) else {
            continue;
        };
        let mut entry = BbcEntry {
            author,
            old: o,
            new: n,
            verdict,
            strong,
            first_failing_dev_perl: None,
            last_passing_dev_perl: None,
            sample_fail_reports: Vec::new(),
            sample_pass_report: None,
            os: BTreeMap::new(),
            river: None,
            dist,
            version,
        };
        enrich(conn, &mut entry, &old_s, &new)?;
        if river {
            entry.river = river_spot(conn, &entry.dist)?;
        }
        candidates.push(entry);
    }
    // Breaks first, then fixes, then mixed results; within each, strong candidates first, and
    // among them the further upriver the more a break hurts.
    let total = |e: &BbcEntry| e.river.map_or(0, |r| r.total);
    candidates.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(b.strong.cmp(&a.strong))
            .then(total(b).cmp(&total(a)))
            .then(b.new.fail.cmp(&a.new.fail))
            .then_with(|| a.dist.cmp(&b.dist))
    });
    Ok(Bbc {
        old: old_s,
        new: new_s,
        candidates,
    })
}

/// Whether the database has `table` (the river's table is absent from bare testers databases).
fn has_table(conn: &Connection, table: &str) -> Result<bool, QueryError> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
    Ok(stmt.exists([table])?)
}

/// The stored river position of `dist`.
fn river_spot(conn: &Connection, dist: &str) -> Result<Option<RiverSpot>, QueryError> {
    let mut stmt = conn
        .prepare_cached("SELECT immediate, total, bucket FROM river_positions WHERE dist = ?1")?;
    let mut rows = stmt.query([dist])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(RiverSpot {
        immediate: row.get::<_, i64>(0)?.max(0) as u64,
        total: row.get::<_, i64>(1)?.max(0) as u64,
        bucket: row.get::<_, i64>(2)?.clamp(0, 5) as u8,
    }))
}

fn resolve_perls(
    conn: &Connection,
    old: Option<PerlVersion>,
    new: Option<PerlVersion>,
) -> Result<(PerlVersion, PerlVersion), QueryError> {
    let (stable, dev) = if old.is_none() || new.is_none() {
        latest_perls(conn)?
    } else {
        (None, None)
    };
    let old = old.or(stable).ok_or(QueryError::NoPerl("stable"))?;
    let new = new.or(dev).ok_or(QueryError::NoPerl("development"))?;
    Ok((old, new))
}

/// Fills the dev-perl run, OS breakdown, author fallback and sample ids of one candidate.
fn enrich(
    conn: &Connection,
    e: &mut BbcEntry,
    old: &str,
    new: &PerlVersion,
) -> Result<(), QueryError> {
    let new_s = new.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT perl, osname, grade, prereq_failure, count FROM testers_summary
         WHERE dist = ?1 AND version = ?2",
    )?;
    let mut dev: BTreeMap<PerlVersion, Counts> = BTreeMap::new();
    let mut rows = stmt.query(params![e.dist, e.version])?;
    while let Some(r) = rows.next()? {
        let perl: String = r.get(0)?;
        let os: String = r.get(1)?;
        let g = grade_of(&r.get::<_, String>(2)?);
        let prereq: bool = r.get(3)?;
        let n = r.get::<_, i64>(4)?.max(0) as u64;
        if perl == old {
            e.os.entry(os.clone()).or_default().old.add(g, prereq, n);
        }
        if perl == new_s {
            e.os.entry(os).or_default().new.add(g, prereq, n);
        }
        if let Ok(v) = PerlVersion::parse(&perl) {
            if v.is_prerelease() && !v.patched && v <= *new {
                dev.entry(v).or_default().add(g, prereq, n);
            }
        }
    }
    drop(rows);
    // Walk the dev perls upwards: a passing perl resets the run, a failing one starts it.
    let (mut first_fail, mut last_pass) = (None, None);
    for (v, c) in &dev {
        if c.pass > 0 && c.fail == 0 {
            last_pass = Some(v.to_string());
            first_fail = None;
        } else if c.fail > 0 && c.pass == 0 && first_fail.is_none() {
            first_fail = Some(v.to_string());
        }
    }
    // The run of failing development perls describes a break; a fix has none to show.
    if e.verdict != Verdict::Fixed {
        e.first_failing_dev_perl = first_fail;
        e.last_passing_dev_perl = last_pass;
    }
    if e.author.is_none() {
        let mut s = conn.prepare_cached(
            "SELECT author FROM testers_releases WHERE dist = ?1 AND version = ?2",
        )?;
        e.author = s
            .query_row(params![e.dist, e.version], |r| r.get(0))
            .unwrap_or(None);
    }
    let mut samples = conn.prepare_cached(
        "SELECT guid FROM testers_reports
         WHERE dist = ?1 AND version = ?2 AND perl = ?3 AND grade = ?4 AND prereq_failure = 0
         LIMIT ?5",
    )?;
    // Failures where they happened, and a pass to contrast: for a fix the failures are on the
    // old perl and the pass on the new one.
    let (fail_perl, pass_perl) = if e.verdict == Verdict::Fixed {
        (old, new_s.as_str())
    } else {
        (new_s.as_str(), old)
    };
    e.sample_fail_reports = samples
        .query_map(params![e.dist, e.version, fail_perl, "fail", 3], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    let pass: Vec<String> = samples
        .query_map(params![e.dist, e.version, pass_perl, "pass", 1], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    e.sample_pass_report = pass.into_iter().next();
    Ok(())
}

fn counts_object(c: &Counts) -> Value {
    // andk's files only carry the grades that occurred.
    let mut m = Map::new();
    for (k, v) in [
        ("fail", c.fail),
        ("na", c.na),
        ("pass", c.pass),
        ("unknown", c.unknown),
    ] {
        if v > 0 {
            m.insert(k.to_string(), json!(v));
        }
    }
    Value::Object(m)
}

/// The old-vs-new delta over every dist-version, in the format of andk's
/// `result-<old>:<new>.json` (testers.md §5.2):
/// `{"!ALL": {"<new>": reports on new, "datetime", "perls": [old, new], "totalrcdists"},
///   "!CAND": {dist: {version: {old: {grade: n}, new: {grade: n}}}}}`.
/// Candidates use [`is_candidate`]; prerequisite failures are left out of the counts, as the
/// reports andk's data is built from never contained them.  `datetime` is given by the caller
/// (`YYYY-MM-DDTHH:MM:SS`) so that the output is reproducible.
pub fn beforemaintrelease(
    conn: &Connection,
    old: &PerlVersion,
    new: &PerlVersion,
    datetime: &str,
) -> Result<String, QueryError> {
    let (old_s, new_s) = (old.to_string(), new.to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT dist, version, perl, grade, prereq_failure, SUM(count) FROM testers_summary
         WHERE perl IN (?1, ?2) GROUP BY dist, version, perl, grade, prereq_failure",
    )?;
    let mut per: BTreeMap<(String, String), (Counts, Counts)> = BTreeMap::new();
    let mut on_new_reports = 0u64;
    let mut rows = stmt.query(params![old_s, new_s])?;
    while let Some(r) = rows.next()? {
        let perl: String = r.get(2)?;
        let g = grade_of(&r.get::<_, String>(3)?);
        let prereq: bool = r.get(4)?;
        let n = r.get::<_, i64>(5)?.max(0) as u64;
        let e = per.entry((r.get(0)?, r.get(1)?)).or_default();
        if perl == old_s {
            e.0.add(g, prereq, n);
        } else {
            e.1.add(g, prereq, n);
            if !prereq {
                on_new_reports += n;
            }
        }
    }
    drop(rows);
    let total_rc_dists = per
        .values()
        .filter(|(_, n)| n.total() > n.prerequisite_failure)
        .count();
    let (old_name, new_name) = (old.andk_name(), new.andk_name());
    let mut cand: Map<String, Value> = Map::new();
    for ((dist, version), (o, n)) in &per {
        if !is_candidate(o, n) {
            continue;
        }
        // Both perls always appear, `{}` when one has no counted reports (as in andk's files).
        let mut perls = Map::new();
        perls.insert(old_name.clone(), counts_object(o));
        perls.insert(new_name.clone(), counts_object(n));
        let versions = cand
            .entry(dist.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = versions {
            m.insert(version.clone(), Value::Object(perls));
        }
    }
    let mut all = Map::new();
    all.insert(new_name.clone(), json!(on_new_reports));
    all.insert("datetime".into(), json!(datetime));
    all.insert("perls".into(), json!([old_name, new_name]));
    all.insert("totalrcdists".into(), json!(total_rc_dists));
    let mut top = Map::new();
    top.insert("!ALL".into(), Value::Object(all));
    top.insert("!CAND".into(), Value::Object(cand));
    Ok(andk_json(&Value::Object(top)))
}

/// JSON laid out as andk's files are (Perl's JSON::XS `pretty` `canonical` without the spaces
/// around `:`): keys sorted, three-space indent, `"key":value`, a final newline.
pub fn andk_json(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AndkFormatter::default());
    // Writing a `Value` into a Vec cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    String::from_utf8(out).unwrap_or_default() + "\n"
}

/// serde_json's pretty formatter with a three-space indent and no space after `:`.
struct AndkFormatter {
    pretty: serde_json::ser::PrettyFormatter<'static>,
}

impl Default for AndkFormatter {
    fn default() -> Self {
        AndkFormatter {
            pretty: serde_json::ser::PrettyFormatter::with_indent(b"   "),
        }
    }
}

impl serde_json::ser::Formatter for AndkFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.pretty.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b":")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.pretty.end_object_value(w)
    }
}
