//! Taking reports in: the v3 `NewReport` shape (testers.md §1.2), its validation with errors
//! in the v3 error shape, the legacy Metabase fact (§1.1), and the batch insert that keeps the
//! summary tables current.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::grade::{classify, LegacyGrade};
use crate::perl::PerlVersion;
use crate::store::{Compressor, StoreError};

/// A report as the v3 API takes it (`NewReport`, plus the optional `id`/`created` of `Report`).
/// Unknown keys are kept in `extra` maps so that nothing a client sends is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    /// Report id (uuid or Metabase guid); generated when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Creation time (RFC 3339, the tester's clock); now when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Who sent it.
    pub reporter: Reporter,
    /// Where it ran.
    pub environment: Environment,
    /// What was tested.
    pub distribution: Distribution,
    /// The outcome.
    pub result: TestResult,
    /// Free-form comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<Value>,
}

/// v3 `Reporter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reporter {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail (required by the schema).
    pub email: String,
}

/// v3 `Environment`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The language (`Perl 5`).
    pub language: Language,
    /// The system.
    pub system: System,
    /// The client (`CPAN-Reporter/1.2019`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Toolchain module versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<BTreeMap<String, String>>,
}

/// v3 `Language`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Language {
    /// `Perl 5` (or `Perl 6`, which riverpan refuses).
    pub name: String,
    /// The perl version, `^5\.\d+\.\d+` plus optional suffixes.
    pub version: String,
    /// `archname`.
    pub archname: String,
    /// Build description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Git commit of a blead perl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
    /// Perl special variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
}

/// v3 `System`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// `$^O`.
    pub osname: String,
    /// OS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub osversion: Option<String>,
    /// All other keys (`hostname`, `cpu_count`, `variables`...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// v3 `Distribution`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Dist name (`Foo-Bar`).
    pub name: String,
    /// Dist version.
    pub version: String,
    /// The collector's `distribution.path` (`AUTHOR/Foo-Bar-1.0.tar.gz`), which names the author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Prerequisites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerequisites: Option<Vec<Prerequisite>>,
}

/// v3 `Prerequisite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prerequisite {
    /// Phase.
    pub phase: String,
    /// Module.
    pub name: String,
    /// Version needed.
    pub need: String,
    /// Version found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub have: Option<String>,
}

/// v3 `Result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// `pass`, `fail`, `na`, `unknown`.
    pub grade: String,
    /// The output.
    pub output: TestOutput,
    /// All other keys (`tests`, `failures`, `duration`...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// v3 `TestOutput`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestOutput {
    /// The whole legacy text report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncategorized: Option<String>,
    /// Configure phase output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configure: Option<String>,
    /// Build phase output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Test phase output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// Install phase output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
}

impl TestOutput {
    /// The report text as `TestReport::text()` builds it: `uncategorized`, else the phases
    /// joined by blank lines.
    pub fn text(&self) -> String {
        if let Some(u) = &self.uncategorized {
            return u.clone();
        }
        [&self.configure, &self.build, &self.test, &self.install]
            .iter()
            .filter_map(|s| s.as_deref())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// One validation error in the v3 error shape (`{"message": ..., "path": "/json/pointer"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// Human-readable description.
    pub message: String,
    /// JSON pointer to the offending input.
    pub path: String,
}

/// The v3 error body: `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("invalid report: {}", .errors.iter().map(|e| format!("{}: {}", e.path, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors {
    /// The errors, in input order.
    pub errors: Vec<ValidationError>,
}

/// Validates a JSON body against the `NewReport` schema and decodes it.
///
/// Checks what the schema requires (required keys, string/integer types, the grade and
/// `language.name` enums, non-negative counts) plus the Perl 5 version pattern `^5\.\d+\.\d+`
/// (so `v5.24.1` is refused, as the v3 API's own test case expects).
pub fn validate(value: &Value) -> Result<NewReport, ValidationErrors> {
    let mut errors = Vec::new();
    let mut err = |path: &str, message: &str| {
        errors.push(ValidationError {
            message: message.to_string(),
            path: path.to_string(),
        })
    };
    if !value.is_object() {
        err("/", "Expected object");
    } else {
        let string_at = |ptr: &str| value.pointer(ptr).and_then(Value::as_str);
        let required_objects = [
            "/reporter",
            "/environment",
            "/environment/language",
            "/environment/system",
            "/distribution",
            "/result",
            "/result/output",
        ];
        for ptr in required_objects {
            match value.pointer(ptr) {
                None => err(ptr, "Missing property."),
                Some(v) if !v.is_object() => err(ptr, "Expected object."),
                _ => {}
            }
        }
        let required_strings = [
            "/reporter/email",
            "/environment/language/name",
            "/environment/language/version",
            "/environment/language/archname",
            "/environment/system/osname",
            "/distribution/name",
            "/distribution/version",
            "/result/grade",
        ];
        for ptr in required_strings {
            let parent_ok = value
                .pointer(&ptr[..ptr.rfind('/').unwrap_or(0)])
                .is_some_and(Value::is_object);
            if !parent_ok {
                continue;
            }
            match value.pointer(ptr) {
                None => err(ptr, "Missing property."),
                Some(v) if !v.is_string() => err(ptr, "Expected string."),
                _ => {}
            }
        }
        for ptr in [
            "/id",
            "/created",
            "/reporter/name",
            "/environment/user_agent",
        ] {
            if let Some(v) = value.pointer(ptr) {
                if !v.is_string() {
                    err(ptr, "Expected string.");
                }
            }
        }
        if let Some(g) = string_at("/result/grade") {
            if !["pass", "fail", "na", "unknown"].contains(&g) {
                err(
                    "/result/grade",
                    "Not in enum list: pass, fail, na, unknown.",
                );
            }
        }
        let lang = string_at("/environment/language/name");
        if let Some(name) = lang {
            if name != "Perl 5" {
                err(
                    "/environment/language/name",
                    "Only \"Perl 5\" reports are accepted.",
                );
            }
        }
        if let (Some("Perl 5"), Some(v)) = (lang, string_at("/environment/language/version")) {
            if !perl5_pattern(v) || PerlVersion::parse(v).is_err() {
                err(
                    "/environment/language/version",
                    "String does not match ^5\\.\\d+\\.\\d+.",
                );
            }
        }
        for key in ["tests", "failures", "skipped", "warnings"] {
            let ptr = format!("/result/{key}");
            if let Some(v) = value.pointer(&ptr) {
                if v.as_u64().is_none() {
                    err(&ptr, "Expected integer >= 0.");
                }
            }
        }
        if let Some(v) = value.pointer("/result/duration") {
            if !v.as_f64().is_some_and(|d| d >= 0.0) {
                err("/result/duration", "Expected number >= 0.");
            }
        }
        if let Some(out) = value.pointer("/result/output").and_then(Value::as_object) {
            let keys = ["uncategorized", "configure", "build", "test", "install"];
            if !keys
                .iter()
                .any(|k| out.get(*k).is_some_and(Value::is_string))
            {
                err(
                    "/result/output",
                    "At least one of the properties must be set.",
                );
            }
        }
        if let Some(p) = value.pointer("/distribution/prerequisites") {
            match p.as_array() {
                None => err("/distribution/prerequisites", "Expected array."),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        for key in ["phase", "name", "need"] {
                            if !item.get(key).is_some_and(Value::is_string) {
                                err(
                                    &format!("/distribution/prerequisites/{i}/{key}"),
                                    "Missing property.",
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ValidationErrors { errors });
    }
    serde_json::from_value(value.clone()).map_err(|e| ValidationErrors {
        errors: vec![ValidationError {
            message: e.to_string(),
            path: "/".to_string(),
        }],
    })
}

fn perl5_pattern(v: &str) -> bool {
    let mut parts = v.splitn(3, '.');
    let (Some(a), Some(b), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    a == "5"
        && !b.is_empty()
        && b.chars().all(|ch| ch.is_ascii_digit())
        && c.starts_with(|ch: char| ch.is_ascii_digit())
}

/// Why a batch was not ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Report number `index` of the batch is invalid; nothing of the batch was written.
    #[error("report {index}: {errors}")]
    Invalid {
        /// Position in the batch.
        index: usize,
        /// The v3-shaped errors.
        errors: ValidationErrors,
    },
    /// The store failed; the batch was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for IngestError {
    fn from(e: rusqlite::Error) -> Self {
        IngestError::Store(StoreError::Sqlite(e))
    }
}

/// What happened to one report of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Stored under this id.
    Stored(String),
    /// A report with this id already exists; it was left unchanged (v3's `303`).
    Duplicate(String),
}

impl Ingested {
    /// The report id either way.
    pub fn id(&self) -> &str {
        match self {
            Ingested::Stored(id) | Ingested::Duplicate(id) => id,
        }
    }
}

/// A report checked and reduced to what the tables need.
struct Prepared {
    id: String,
    dist: String,
    version: String,
    author: Option<String>,
    perl: String,
    perl_raw: String,
    osname: String,
    osvers: String,
    archname: String,
    grade: LegacyGrade,
    prereq_failure: bool,
    tester: String,
    created: String,
    blob: Vec<u8>,
}

fn prepare(mut report: NewReport, zip: &mut Compressor) -> Result<Prepared, ValidationErrors> {
    let one = |path: &str, message: String| ValidationErrors {
        errors: vec![ValidationError {
            message,
            path: path.to_string(),
        }],
    };
    let grade = LegacyGrade::parse(&report.result.grade).ok_or_else(|| {
        one(
            "/result/grade",
            "Not in enum list: pass, fail, na, unknown.".into(),
        )
    })?;
    if report.environment.language.name != "Perl 5" {
        return Err(one(
            "/environment/language/name",
            "Only \"Perl 5\" reports are accepted.".into(),
        ));
    }
    let perl = PerlVersion::parse(&report.environment.language.version)
        .map_err(|e| one("/environment/language/version", e.to_string()))?;
    if report.distribution.name.is_empty() || report.distribution.version.is_empty() {
        return Err(one("/distribution", "Empty name or version.".into()));
    }
    let id = match &report.id {
        Some(id) if !id.trim().is_empty() => id.trim().to_ascii_lowercase(),
        _ => random_uuid(),
    };
    report.id = Some(id.clone());
    let created = report.created.clone().unwrap_or_else(now_rfc3339);
    report.created = Some(created.clone());
    let declared: Vec<&str> = report
        .distribution
        .prerequisites
        .iter()
        .flatten()
        .map(|p| p.name.as_str())
        .collect();
    let text = report.result.output.text();
    let classified = classify(grade, &text, &declared);
    let author = report
        .distribution
        .path
        .as_deref()
        .and_then(author_from_path);
    let tester = match &report.reporter.name {
        Some(name) if !name.is_empty() => format!("{name} <{}>", report.reporter.email),
        _ => report.reporter.email.clone(),
    };
    // Serialising our own struct cannot fail; an empty blob would be caught on read.
    let json = serde_json::to_vec(&report).unwrap_or_default();
    Ok(Prepared {
        id,
        dist: report.distribution.name,
        version: report.distribution.version,
        author,
        perl: perl.to_string(),
        perl_raw: report.environment.language.version,
        osname: report.environment.system.osname,
        osvers: report.environment.system.osversion.unwrap_or_default(),
        archname: report.environment.language.archname,
        grade,
        prereq_failure: classified.is_prerequisite_failure(),
        tester,
        created,
        blob: zip.compress(&json),
    })
}

/// The PAUSE id in a distribution path (`AUTHOR/Foo-1.0.tar.gz` or `A/AU/AUTHOR/...`).
pub fn author_from_path(path: &str) -> Option<String> {
    let path = path.trim_start_matches("cpan:///distfile/");
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [.., author, _file] => Some(author.to_ascii_uppercase()),
        _ => None,
    }
}

/// Stores a batch of reports in one transaction, keeping the summary, release, latest-release
/// and perl tables current.  Every report is validated before anything is written; reports
/// whose id is already stored are refused (reported as [`Ingested::Duplicate`], including a
/// second copy within the same batch).  Reports for dists riverpan does not host are kept.
pub fn ingest(conn: &mut Connection, reports: &[NewReport]) -> Result<Vec<Ingested>, IngestError> {
    let mut prepared = Vec::with_capacity(reports.len());
    let mut zip = Compressor::default();
    for (index, r) in reports.iter().enumerate() {
        prepared.push(
            prepare(r.clone(), &mut zip)
                .map_err(|errors| IngestError::Invalid { index, errors })?,
        );
    }
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(prepared.len());
    // The derived tables are updated once per distinct key of the batch rather than once per
    // report: smokers send many reports for the same (dist, version, perl, OS), so a batch
    // touches far fewer summary rows than it has reports.
    type SummaryKey = (String, String, String, String, LegacyGrade, bool);
    let mut summary_delta: HashMap<SummaryKey, i64> = HashMap::new();
    let mut release_delta: HashMap<(String, String), (Option<String>, i64)> = HashMap::new();
    let mut perl_delta: HashMap<String, i64> = HashMap::new();
    let mut latest_in_batch: HashMap<String, (String, Option<String>)> = HashMap::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO testers_reports (guid, dist, version, author, perl, perl_raw,
               osname, osvers, archname, grade, prereq_failure, tester, submitted_at, report_z)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        for p in prepared {
            let inserted = insert.execute(params![
                p.id,
                p.dist,
                p.version,
                p.author,
                p.perl,
                p.perl_raw,
                p.osname,
                p.osvers,
                p.archname,
                p.grade.as_str(),
                p.prereq_failure,
                p.tester,
                p.created,
                p.blob
            ])?;
            if inserted == 0 {
                out.push(Ingested::Duplicate(p.id));
                continue;
            }
            *summary_delta
                .entry((
                    p.dist.clone(),
                    p.version.clone(),
                    p.perl.clone(),
                    p.osname,
                    p.grade,
                    p.prereq_failure,
                ))
                .or_default() += 1;
            let rel = release_delta
                .entry((p.dist.clone(), p.version.clone()))
                .or_insert((None, 0));
            rel.1 += 1;
            if rel.0.is_none() {
                rel.0.clone_from(&p.author);
            }
            *perl_delta.entry(p.perl).or_default() += 1;
            if !is_developer_version(&p.version) {
                match latest_in_batch.get_mut(&p.dist) {
                    None => {
                        latest_in_batch.insert(p.dist, (p.version, p.author));
                    }
                    Some(best) => {
                        if cpan_version::vcmp(&p.version, &best.0).is_gt() {
                            *best = (p.version, p.author);
                        } else if best.0 == p.version && best.1.is_none() {
                            best.1 = p.author;
                        }
                    }
                }
            }
            out.push(Ingested::Stored(p.id));
        }
        let mut summary = tx.prepare_cached(
            "INSERT INTO testers_summary (dist, version, perl, osname, grade, prereq_failure, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET count = count + excluded.count",
        )?;
        for ((dist, version, perl, os, grade, prereq), n) in &summary_delta {
            summary.execute(params![dist, version, perl, os, grade.as_str(), prereq, n])?;
        }
        let mut release = tx.prepare_cached(
            "INSERT INTO testers_releases (dist, version, author, developer, reports)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET reports = reports + excluded.reports,
               author = COALESCE(testers_releases.author, excluded.author)",
        )?;
        for ((dist, version), (author, n)) in &release_delta {
            release.execute(params![
                dist,
                version,
                author,
                is_developer_version(version),
                n
            ])?;
        }
        let mut perls = tx.prepare_cached(
            "INSERT INTO testers_perls (perl, reports) VALUES (?1, ?2)
             ON CONFLICT DO UPDATE SET reports = reports + excluded.reports",
        )?;
        for (perl, n) in &perl_delta {
            perls.execute(params![perl, n])?;
        }
        let mut latest_get =
            tx.prepare_cached("SELECT version, author FROM testers_latest WHERE dist = ?1")?;
        let mut latest_put = tx.prepare_cached(
            "INSERT OR REPLACE INTO testers_latest (dist, version, author) VALUES (?1, ?2, ?3)",
        )?;
        for (dist, (version, author)) in &latest_in_batch {
            let current: Option<(String, Option<String>)> = latest_get
                .query_row(params![dist], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let put = match &current {
                None => true,
                Some((v, _)) if cpan_version::vcmp(version, v).is_gt() => true,
                // Learn the author of the latest release from a later report that names it.
                Some((v, None)) => v == version && author.is_some(),
                Some(_) => false,
            };
            if put {
                latest_put.execute(params![dist, version, author])?;
            }
        }
    }
    tx.commit()?;
    Ok(out)
}

/// Developer releases (`1.02_01`, `-TRIAL`) never become a dist's latest release, as on PAUSE.
fn is_developer_version(version: &str) -> bool {
    version.contains('_') || version.to_ascii_uppercase().contains("TRIAL")
}

/// A random v4-style uuid.  `RandomState` is seeded from the OS per instance, which is enough
/// for ids (they only have to be unique, not secret) without another dependency.
fn random_uuid() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    let b = h2.finish();
    format_uuid(a, b)
}

/// Formats 128 bits as a v4 uuid (version and variant bits set).
pub fn format_uuid(a: u64, b: u64) -> String {
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

// ------------------------------------------------------------------------------------------
// The legacy Metabase fact.

/// Why a Metabase submission could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metabase fact: {0}")]
pub struct MetabaseError(pub String);

/// A decoded `CPAN-Testers-Report` fact.
#[derive(Debug, Clone, PartialEq)]
pub struct MetabaseFact {
    /// The fact guid (becomes the report id).
    pub guid: String,
    /// `metabase:user:<uuid>` of the submitting profile.
    pub creator: String,
    /// `cpan:///distfile/AUTHOR/Dist-1.0.tar.gz`.
    pub resource: String,
    /// The PAUSE id from the resource.
    pub author: String,
    /// The converted report; `reporter` is a placeholder (`Unknown`, the creator) that the
    /// server replaces with the registered profile's name and e-mail.
    pub report: NewReport,
}

/// Parses the JSON body of `POST /api/v1/submit/CPAN-Testers-Report` (the double-encoded
/// `as_struct` of a `CPAN::Testers::Report`) and converts it as `convert_metabase_report`
/// does (testers.md §1.1).
pub fn parse_metabase_fact(body: &[u8]) -> Result<MetabaseFact, MetabaseError> {
    let e = |m: &str| MetabaseError(m.to_string());
    let top: Value = serde_json::from_slice(body).map_err(|x| MetabaseError(x.to_string()))?;
    let core = top
        .pointer("/metadata/core")
        .ok_or_else(|| e("no metadata.core"))?;
    let core_str = |k: &str| core.get(k).and_then(Value::as_str).unwrap_or_default();
    if core_str("type") != "CPAN-Testers-Report" {
        return Err(e("metadata.core.type is not CPAN-Testers-Report"));
    }
    let guid = core_str("guid").to_ascii_lowercase();
    if guid.is_empty() {
        return Err(e("no guid"));
    }
    let resource = core_str("resource").to_string();
    let creator = core_str("creator").to_string();
    let created = core_str("creation_time").to_string();
    // The content is a JSON string holding an array of sub-facts, whose content is again a
    // JSON string; accept an already-decoded value too (tolerant of re-encoding proxies).
    let decode = |v: &Value| -> Result<Value, MetabaseError> {
        match v {
            Value::String(s) => serde_json::from_str(s).map_err(|x| MetabaseError(x.to_string())),
            other => Ok(other.clone()),
        }
    };
    let facts = decode(top.get("content").ok_or_else(|| e("no content"))?)?;
    let facts = facts
        .as_array()
        .ok_or_else(|| e("content is not an array"))?;
    let mut legacy = None;
    let mut summary = None;
    for fact in facts {
        let ty = fact
            .pointer("/metadata/core/type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let content = decode(fact.get("content").unwrap_or(&Value::Null))?;
        match ty {
            "CPAN-Testers-Fact-LegacyReport" => legacy = Some(content),
            "CPAN-Testers-Fact-TestSummary" => summary = Some(content),
            _ => {}
        }
    }
    let data = legacy
        .or(summary)
        .ok_or_else(|| e("no LegacyReport or TestSummary fact"))?;
    let field = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let info = cpan_distname::DistnameInfo::new(resource.trim_start_matches("cpan:///distfile/"));
    let dist = info
        .dist()
        .ok_or_else(|| e("resource names no distribution"))?;
    let version = info.version().unwrap_or_default().to_string();
    let author = author_from_path(&resource).ok_or_else(|| e("resource names no author"))?;
    let perl_version = field("perl_version");
    let report = NewReport {
        id: Some(guid.clone()),
        created: if created.is_empty() {
            None
        } else {
            Some(created)
        },
        reporter: Reporter {
            name: Some("Unknown".to_string()),
            email: creator.clone(),
        },
        environment: Environment {
            language: Language {
                name: "Perl 5".to_string(),
                version: perl_version.trim_start_matches('v').to_string(),
                archname: field("archname"),
                build: None,
                commit_id: None,
                variables: None,
            },
            system: System {
                osname: field("osname"),
                osversion: Some(field("osversion")),
                extra: BTreeMap::new(),
            },
            user_agent: None,
            toolchain: None,
        },
        distribution: Distribution {
            name: dist.to_string(),
            version,
            path: Some(resource.trim_start_matches("cpan:///distfile/").to_string()),
            prerequisites: None,
        },
        result: TestResult {
            grade: field("grade").to_ascii_lowercase(),
            output: TestOutput {
                uncategorized: Some(field("textreport")),
                ..TestOutput::default()
            },
            extra: BTreeMap::new(),
        },
        comments: None,
    };
    Ok(MetabaseFact {
        guid,
        creator,
        resource,
        author,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn valid() -> Value {
        json!({
            "reporter": {"name": "Doug Bell", "email": "doug@example.com"},
            "environment": {
                "language": {"name": "Perl 5", "version": "5.24.0", "archname": "x86_64-linux"},
                "system": {"osname": "linux", "osversion": "4.8.0"}
            },
            "distribution": {"name": "My-Dist", "version": "1.001"},
            "result": {"grade": "pass", "output": {"uncategorized": "All tests successful"}, "tests": 3}
        })
    }

    #[test]
    fn validates_a_good_report() {
        let r = validate(&valid()).unwrap();
        assert_eq!(r.distribution.name, "My-Dist");
        assert_eq!(r.result.extra.get("tests"), Some(&json!(3)));
    }

    #[test]
    fn errors_have_the_v3_shape() {
        let mut v = valid();
        v["environment"]["language"]["version"] = json!("v5.24.1");
        v["result"]["grade"] = json!("PASSED");
        v["reporter"].as_object_mut().unwrap().remove("email");
        v["result"]["output"] = json!({});
        let e = validate(&v).unwrap_err();
        let paths: Vec<&str> = e.errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"/reporter/email"));
        assert!(paths.contains(&"/environment/language/version"));
        assert!(paths.contains(&"/result/grade"));
        assert!(paths.contains(&"/result/output"));
        let body = serde_json::to_value(&e).unwrap();
        assert!(body["errors"][0]["message"].is_string());
        assert!(validate(&json!([])).is_err());
        assert!(validate(&json!({})).unwrap_err().errors.len() >= 4);
    }

    #[test]
    fn dates_and_uuids() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_523_938_257), "2018-04-17T04:10:57Z");
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, random_uuid());
    }

    #[test]
    fn author_from_paths() {
        assert_eq!(
            author_from_path("cpan:///distfile/PREACTION/Yancy-1.004.tar.gz").as_deref(),
            Some("PREACTION")
        );
        assert_eq!(
            author_from_path("P/PR/PREACTION/Yancy-1.004.tar.gz").as_deref(),
            Some("PREACTION")
        );
        assert_eq!(author_from_path("Yancy-1.004.tar.gz"), None);
    }
}
