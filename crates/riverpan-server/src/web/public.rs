//! The public pages: home and search, distributions (releases, packages, permissions,
//! prerequisites, reverse dependencies, river, indexer report, CPAN Testers summary and matrix),
//! test reports, uploads, authors, Blead Breaks CPAN (with JSON and CSV exports) and the river.
//!
//! | route | page |
//! |---|---|
//! | `GET /` | recent uploads and the search box |
//! | `GET /search?q=` | modules (exact and prefix, case-insensitive), distributions, authors; one exact hit answers `303` to its page |
//! | `GET /dist/{dist}[/{version}]` | a distribution at its indexed (or given) release; `?page=` pages the direct reverse dependencies |
//! | `GET /dist/{dist}/{version}/matrix` | the perl × OS test matrix |
//! | `GET /dist/{dist}/{version}/reports?perl=&osname=` | the reports of one cell |
//! | `GET /report/{id}` | one test report, its text in `<pre>` |
//! | `GET /upload/{id}` | one upload and its indexer report |
//! | `GET /author/{id}` | an author's distributions, uploads and permissions |
//! | `GET /bbc?old=&new=`, `/bbc.json`, `/bbc.csv` | Blead Breaks CPAN (breaks, fixed, mixed) |
//! | `GET /river[?top=N]`, `/river/{dist}?page=` | the river, one distribution's deep reverse dependencies |
//!
//! Reads go through the server's pool of store connections (the index and the testers tables
//! are in the same file); search uses a sorted index built once per package
//! snapshot; the Blead Breaks CPAN answer is cached per (perls, index generation, newest
//! report), because at ten million reports computing it takes longer than a page may.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use cpan_distname::DistnameInfo;
use riverpan_testers::ingest::TestOutput;
use riverpan_testers::query::{self, Bbc, Counts, QueryError};
use riverpan_testers::rusqlite::{params, Connection, OptionalExtension};
use riverpan_testers::PerlVersion;
use riverpan_web::author::{AuthorDist, AuthorPage, HeldPermission};
use riverpan_web::bbc::{BbcPage, BbcRow, OsBreakdown, PerlChoice, Verdict, VerdictCounts};
use riverpan_web::dist::{
    DistPage, IndexerReport, MatrixCell, MatrixPage, PackageRow, Paging, PrereqRow, ReleaseRow,
    ReportListPage, ReportPage, ReportRow, RiverSpot, UploadPage,
};
use riverpan_web::format::{author_url, dist_url, GradeCounts};
use riverpan_web::home::{AuthorHit, ModuleHit, RecentUpload, SearchResults};
use riverpan_web::layout::Viewer;
use riverpan_web::river::{RiverDistPage, RiverPage, RiverRow};
use riverpan_web::Markup;
use serde::Deserialize;

use crate::metadb::{Permission, Snapshot};
use crate::ServerState;

/// How many rows a search list shows.
const SEARCH_LIMIT: usize = 50;
/// Recent uploads on the home page.
const RECENT_UPLOADS: usize = 30;
/// Recent uploads on an author page.
const AUTHOR_UPLOADS: usize = 50;
/// Reports listed for one matrix cell.
const CELL_REPORTS: usize = 500;
/// Reverse dependencies per page.
const PER_PAGE: usize = 100;
/// The largest `?top=` of the river page.
const MAX_TOP: usize = 10_000;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/dist/{dist}", get(dist_latest))
        .route("/dist/{dist}/{version}", get(dist_version))
        .route("/dist/{dist}/{version}/matrix", get(matrix))
        .route("/dist/{dist}/{version}/reports", get(cell_reports))
        .route("/report/{id}", get(report))
        .route("/upload/{id}", get(upload))
        .route("/author/{id}", get(author))
        .route("/bbc", get(bbc_html))
        .route("/bbc.json", get(bbc_json))
        .route("/bbc.csv", get(bbc_csv))
        .route("/river", get(river))
        .route("/river/{dist}", get(river_dist))
}

/// The state of the public pages: the search index and the BBC answer.
#[derive(Default)]
pub(crate) struct PublicState {
    search: Mutex<Option<(u64, Arc<SearchIndex>)>>,
    bbc: Mutex<Option<(BbcKey, Arc<Bbc>)>>,
}

/// What the cached BBC answer depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BbcKey {
    old: String,
    new: String,
    generation: u64,
    newest_report: i64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded values are caches: a panic elsewhere cannot have left
    // them half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Why a page cannot be shown.
enum Failure {
    NotFound(String),
    BadRequest(String),
    Internal(String),
}

impl From<riverpan_testers::rusqlite::Error> for Failure {
    fn from(error: riverpan_testers::rusqlite::Error) -> Failure {
        Failure::Internal(error.to_string())
    }
}

impl From<QueryError> for Failure {
    fn from(error: QueryError) -> Failure {
        match error {
            QueryError::NoPerl(kind) => {
                Failure::NotFound(format!("no {kind} perl has reports; choose one"))
            }
            other => Failure::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::NotFound(message) => (StatusCode::NOT_FOUND, message),
            Failure::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            Failure::Internal(reason) => {
                tracing::error!(%reason, "web page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("internal server error: {reason}"),
                )
            }
        };
        let page = riverpan_web::layout::error_page(status.as_u16(), &message, &viewer());
        (status, Html(page.into_string())).into_response()
    }
}

tokio::task_local! {
    /// Who is looking at the page being rendered (set by [`with_viewer`]).
    static VIEWER: Viewer;
}

/// Looks the session up once per request, so that every public page shows the signed-in
/// author (and carries the CSRF token of the sign-out form).
pub(crate) async fn with_viewer(
    axum::extract::State(state): axum::extract::State<ServerState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let viewer = super::account::viewer(&state, request.headers()).await;
    VIEWER.scope(viewer, next.run(request)).await
}

/// The viewer of the current request; signed out outside [`with_viewer`].
fn viewer() -> Viewer {
    VIEWER.try_with(Viewer::clone).unwrap_or_default()
}

fn html(markup: Markup) -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(markup.into_string()),
    )
        .into_response()
}

/// Runs `read` with a pooled read-only connection on the blocking pool.
async fn read<T: Send + 'static>(
    state: &ServerState,
    read: impl FnOnce(&Connection, &ServerState) -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let readers = state.inner.readers.clone();
        readers
            .with(|store| Ok::<_, riverpan_store::StoreError>(read(store.connection(), &state)))
            .map_err(|e| Failure::Internal(e.to_string()))?
    })
    .await
    .map_err(|join| Failure::Internal(join.to_string()))?
}

fn counts(counts: &Counts) -> GradeCounts {
    GradeCounts {
        pass: counts.pass,
        fail: counts.fail,
        na: counts.na,
        unknown: counts.unknown,
        prereq: counts.prerequisite_failure,
    }
}

fn dist_of_path(path: &str) -> Option<(String, String)> {
    let info = DistnameInfo::new(&format!("authors/id/{path}"));
    Some((
        info.dist()?.to_string(),
        info.version().unwrap_or("").to_string(),
    ))
}

// ------------------------------------------------------------------------------------------
// Home and search.

fn recent_upload(
    row: &riverpan_testers::rusqlite::Row<'_>,
) -> riverpan_testers::rusqlite::Result<RecentUpload> {
    let dist: Option<String> = row.get(5)?;
    let version: Option<String> = row.get(6)?;
    let report_status: Option<String> = row.get(7)?;
    let state: String = row.get(4)?;
    Ok(RecentUpload {
        id: row.get(0)?,
        path: row.get(1)?,
        userid: row.get(2)?,
        uploaded_at: row.get(3)?,
        state: report_status.unwrap_or(state),
        release: dist.zip(version),
    })
}

const UPLOAD_COLUMNS: &str =
    "SELECT u.id, u.path, u.userid, u.uploaded_at, u.state, r.dist, r.version, rep.status
     FROM uploads u LEFT JOIN releases r ON r.upload_id = u.id
     LEFT JOIN reports rep ON rep.upload_id = u.id";

async fn home(State(state): State<ServerState>) -> Response {
    let recent = read(&state, |conn, _| {
        let mut statement = conn.prepare_cached(&format!(
            "{UPLOAD_COLUMNS} WHERE u.deleted_at IS NULL ORDER BY u.id DESC LIMIT ?1"
        ))?;
        let rows = statement.query_map([RECENT_UPLOADS as i64], recent_upload)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await;
    match recent {
        Ok(recent) => html(riverpan_web::home::home(&viewer(), &recent)),
        Err(failure) => failure.into_response(),
    }
}

/// A module in the search index: (lower-case module, module, version, dist).
type IndexedModule = (Box<str>, Box<str>, Box<str>, Box<str>);

/// Modules and distributions sorted by lower-case name, for prefix search.
struct SearchIndex {
    modules: Vec<IndexedModule>,
    /// (lower-case dist, dist).
    dists: Vec<(Box<str>, Box<str>)>,
}

impl SearchIndex {
    fn build(snapshot: &Snapshot) -> SearchIndex {
        let mut modules = Vec::with_capacity(snapshot.packages.len());
        let mut dists = Vec::with_capacity(snapshot.dists.len());
        for entry in &snapshot.dists {
            let Some((dist, _)) = dist_of_path(&entry.path) else {
                continue;
            };
            let dist: Box<str> = dist.into();
            for (package, version) in &entry.provides {
                modules.push((
                    package.to_lowercase().into_boxed_str(),
                    package.clone(),
                    version.clone(),
                    dist.clone(),
                ));
            }
            dists.push((dist.to_lowercase().into_boxed_str(), dist));
        }
        modules.sort_unstable();
        dists.sort_unstable();
        dists.dedup();
        SearchIndex { modules, dists }
    }
}

/// Entries of `sorted` whose first field starts with `prefix`, at most `limit` + 1.
fn with_prefix<'a, T>(
    sorted: &'a [T],
    key: impl Fn(&T) -> &str,
    prefix: &str,
    limit: usize,
) -> &'a [T] {
    let start = sorted.partition_point(|entry| key(entry) < prefix);
    let rest = &sorted[start..];
    let end = rest
        .iter()
        .take(limit + 1)
        .take_while(|entry| key(entry).starts_with(prefix))
        .count();
    &rest[..end]
}

fn search_index(state: &ServerState) -> Option<Arc<SearchIndex>> {
    let snapshot = state.inner.snapshot.peek()?;
    let public = &state.inner.public_web;
    if let Some((generation, index)) = lock(&public.search).as_ref() {
        if *generation == snapshot.generation {
            return Some(index.clone());
        }
    }
    let index = Arc::new(SearchIndex::build(&snapshot));
    *lock(&public.search) = Some((snapshot.generation, index.clone()));
    Some(index)
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

async fn search(State(state): State<ServerState>, Query(query): Query<SearchQuery>) -> Response {
    let typed = query.q.unwrap_or_default();
    let q = typed.trim().to_string();
    let found = read(&state, move |conn, state| {
        let mut results = SearchResults {
            query: typed,
            ..SearchResults::default()
        };
        let mut exact: BTreeSet<String> = BTreeSet::new();
        if q.is_empty() {
            return Ok((results, exact));
        }
        let lower = q.to_lowercase();
        if let Some(index) = search_index(state) {
            let modules = with_prefix(&index.modules, |m| &m.0, &lower, SEARCH_LIMIT);
            results.truncated |= modules.len() > SEARCH_LIMIT;
            for (lc, module, version, dist) in modules.iter().take(SEARCH_LIMIT) {
                if **lc == *lower {
                    exact.insert(dist_url(dist));
                }
                results.modules.push(ModuleHit {
                    module: module.to_string(),
                    version: version.to_string(),
                    dist: dist.to_string(),
                });
            }
            // Exact matches first.
            results
                .modules
                .sort_by_key(|hit| hit.module.to_lowercase() != lower);
            let dists = with_prefix(&index.dists, |d| &d.0, &lower, SEARCH_LIMIT);
            results.truncated |= dists.len() > SEARCH_LIMIT;
            for (lc, dist) in dists.iter().take(SEARCH_LIMIT) {
                if **lc == *lower {
                    exact.insert(dist_url(dist));
                }
                results.dists.push(dist.to_string());
            }
        }
        // PAUSE ids are stored upper case: a range on the primary key is a prefix search.
        let upper = q.to_uppercase();
        let mut statement = conn.prepare_cached(
            "SELECT userid, fullname FROM authors WHERE userid >= ?1 AND userid < ?1 || char(1114111)
             ORDER BY userid LIMIT ?2",
        )?;
        let rows = statement.query_map(params![upper, (SEARCH_LIMIT + 1) as i64], |row| {
            Ok(AuthorHit {
                userid: row.get(0)?,
                fullname: row.get(1)?,
            })
        })?;
        for row in rows {
            let hit = row?;
            if hit.userid == upper {
                exact.insert(author_url(&hit.userid));
            }
            results.authors.push(hit);
        }
        if results.authors.len() > SEARCH_LIMIT {
            results.authors.truncate(SEARCH_LIMIT);
            results.truncated = true;
        }
        Ok((results, exact))
    })
    .await;
    match found {
        Ok((_, exact)) if exact.len() == 1 => match exact.into_iter().next() {
            Some(target) => Redirect::to(&target).into_response(),
            None => Failure::Internal("no target".into()).into_response(),
        },
        Ok((results, _)) => html(riverpan_web::home::search(&viewer(), &results)),
        Err(failure) => failure.into_response(),
    }
}

// ------------------------------------------------------------------------------------------
// Distributions.

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn dist_latest(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    dist_page(state, dist, None, query.page.unwrap_or(1)).await
}

async fn dist_version(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    dist_page(state, dist, Some(version), query.page.unwrap_or(1)).await
}

async fn dist_page(
    state: ServerState,
    dist: String,
    version: Option<String>,
    page: usize,
) -> Response {
    if page == 0 {
        return Failure::BadRequest("pages count from 1".into()).into_response();
    }
    match read(&state, move |conn, state| {
        load_dist(conn, state, &dist, version.as_deref(), page)
    })
    .await
    {
        Ok(page) => html(riverpan_web::dist::dist_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

fn load_dist(
    conn: &Connection,
    state: &ServerState,
    dist: &str,
    version: Option<&str>,
    page: usize,
) -> Result<DistPage, Failure> {
    let mut statement = conn.prepare_cached(
        "SELECT u.id, r.version, u.path, u.userid, u.uploaded_at,
                EXISTS (SELECT 1 FROM packages p WHERE p.dist = u.path)
         FROM releases r JOIN uploads u ON u.id = r.upload_id
         WHERE r.dist = ?1 AND u.deleted_at IS NULL ORDER BY u.id DESC",
    )?;
    let releases: Vec<ReleaseRow> = statement
        .query_map([dist], |row| {
            Ok(ReleaseRow {
                upload_id: row.get(0)?,
                version: row.get(1)?,
                path: row.get(2)?,
                userid: row.get(3)?,
                uploaded_at: row.get(4)?,
                indexed: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut statement =
        conn.prepare_cached("SELECT version FROM testers_releases WHERE dist = ?1")?;
    let mut tested_versions: Vec<String> = statement
        .query_map([dist], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    tested_versions.retain(|tested| !releases.iter().any(|r| &r.version == tested));
    tested_versions.sort_by(|a, b| b.cmp(a));

    let latest = releases
        .iter()
        .find(|release| release.indexed)
        .or_else(|| releases.first());
    let (release, shown_version) = match version {
        Some(version) => match releases.iter().find(|r| r.version == version) {
            Some(release) => (Some(release.clone()), version.to_string()),
            None if tested_versions.iter().any(|t| t == version) => (None, version.to_string()),
            None => {
                return Err(Failure::NotFound(format!(
                    "no release {version} of the distribution {dist}"
                )))
            }
        },
        None => match (latest, tested_versions.first()) {
            (Some(release), _) => (Some(release.clone()), release.version.clone()),
            (None, Some(tested)) => (None, tested.clone()),
            (None, None) => return Err(Failure::NotFound(format!("no distribution {dist}"))),
        },
    };
    let is_latest = match (&release, latest) {
        (Some(shown), Some(latest)) => shown.upload_id == latest.upload_id,
        _ => version.is_none(),
    };

    let mut packages = Vec::new();
    let mut prereqs = Vec::new();
    let mut indexer_report = None;
    if let Some(release) = &release {
        let mut statement = conn.prepare_cached(
            "SELECT package, version FROM packages WHERE dist = ?1 ORDER BY package",
        )?;
        let rows: Vec<(String, String)> = statement
            .query_map([&release.path], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut first_come =
            conn.prepare_cached("SELECT userid FROM primeur WHERE package = ?1")?;
        let mut all =
            conn.prepare_cached("SELECT userid FROM perms WHERE package = ?1 ORDER BY userid")?;
        for (package, version) in rows {
            let owner: Option<String> = first_come
                .query_row([&package], |row| row.get(0))
                .optional()?;
            let co_maintainers: Vec<String> = all
                .query_map([&package], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()?
                .into_iter()
                .filter(|userid| Some(userid) != owner.as_ref())
                .collect();
            packages.push(PackageRow {
                package,
                version,
                first_come: owner,
                co_maintainers,
            });
        }
        let mut statement = conn.prepare_cached(
            "SELECT phase, relationship, module, requirement FROM release_prereqs
             WHERE upload_id = ?1 ORDER BY phase, relationship, module",
        )?;
        prereqs = statement
            .query_map([release.upload_id], |row| {
                Ok(PrereqRow {
                    phase: row.get(0)?,
                    relationship: row.get(1)?,
                    module: row.get(2)?,
                    requirement: row.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        indexer_report = indexer_report_of(conn, release.upload_id)?;
    }
    let testers = counts(&query::summary(conn, dist, Some(&shown_version))?);

    let river = state.inner.river.get(state).map_err(Failure::Internal)?;
    let position = river.position(dist);
    let direct = river.direct_dependents(dist);
    let paging = Paging {
        page,
        per_page: PER_PAGE,
        count: direct.len(),
    };
    let dependents = direct
        .iter()
        .skip((page - 1).saturating_mul(PER_PAGE))
        .take(PER_PAGE)
        .map(|name| (name.to_string(), river.position(name).map(|p| p.total)))
        .collect();
    Ok(DistPage {
        dist: dist.to_string(),
        version: shown_version,
        is_latest,
        release,
        releases,
        tested_versions,
        packages,
        prereqs,
        river: position.map(|p| RiverSpot {
            immediate: p.immediate,
            total: p.total,
            bucket: p.bucket,
            band: p.band.as_str().to_string(),
        }),
        dependents,
        dependents_paging: paging,
        indexer_report,
        testers,
    })
}

fn indexer_report_of(conn: &Connection, upload_id: i64) -> Result<Option<IndexerReport>, Failure> {
    let mut statement =
        conn.prepare_cached("SELECT status, subject, text FROM reports WHERE upload_id = ?1")?;
    Ok(statement
        .query_row([upload_id], |row| {
            Ok(IndexerReport {
                status: row.get(0)?,
                subject: row.get(1)?,
                text: row.get(2)?,
            })
        })
        .optional()?)
}

async fn matrix(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
) -> Response {
    let loaded = read(&state, move |conn, _| {
        let cells = query::matrix(conn, &dist, &version)?;
        let known: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM releases WHERE dist = ?1 AND version = ?2)
                 OR EXISTS (SELECT 1 FROM testers_releases WHERE dist = ?1 AND version = ?2)",
            params![dist, version],
            |row| row.get(0),
        )?;
        if cells.is_empty() && !known {
            return Err(Failure::NotFound(format!(
                "no release {version} of the distribution {dist}"
            )));
        }
        let mut totals = GradeCounts::default();
        let cells = cells
            .iter()
            .map(|cell| {
                let c = counts(&cell.counts);
                totals.pass += c.pass;
                totals.fail += c.fail;
                totals.na += c.na;
                totals.unknown += c.unknown;
                totals.prereq += c.prereq;
                MatrixCell {
                    perl: cell.perl.clone(),
                    osname: cell.osname.clone(),
                    counts: c,
                }
            })
            .collect();
        Ok(MatrixPage {
            dist,
            version,
            cells,
            totals,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::dist::matrix_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct CellQuery {
    perl: Option<String>,
    osname: Option<String>,
}

const REPORT_COLUMNS: &str = "SELECT guid, grade, prereq_failure, tester, submitted_at, perl, osname, osvers, archname, dist, version
     FROM testers_reports";

fn report_row(
    row: &riverpan_testers::rusqlite::Row<'_>,
) -> riverpan_testers::rusqlite::Result<(ReportRow, String, String)> {
    Ok((
        ReportRow {
            id: row.get(0)?,
            grade: row.get(1)?,
            prereq_failure: row.get(2)?,
            tester: row.get(3)?,
            submitted_at: row.get(4)?,
            perl: row.get(5)?,
            osname: row.get(6)?,
            osvers: row.get(7)?,
            archname: row.get(8)?,
        },
        row.get(9)?,
        row.get(10)?,
    ))
}

async fn cell_reports(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
    Query(cell): Query<CellQuery>,
) -> Response {
    let loaded = read(&state, move |conn, _| {
        let perl = cell.perl.filter(|p| !p.is_empty());
        let osname = cell.osname.filter(|o| !o.is_empty());
        // The (dist, version, perl, grade) index narrows to the release (and perl); the OS
        // filter runs over those rows only.
        let mut statement = conn.prepare_cached(&format!(
            "{REPORT_COLUMNS} WHERE dist = ?1 AND version = ?2
               AND (?3 IS NULL OR perl = ?3) AND (?4 IS NULL OR osname = ?4)
             ORDER BY submitted_at DESC LIMIT ?5"
        ))?;
        let mut reports: Vec<ReportRow> = statement
            .query_map(
                params![dist, version, perl, osname, (CELL_REPORTS + 1) as i64],
                report_row,
            )?
            .map(|row| row.map(|(report, _, _)| report))
            .collect::<Result<_, _>>()?;
        let truncated = reports.len() > CELL_REPORTS;
        reports.truncate(CELL_REPORTS);
        Ok(ReportListPage {
            dist,
            version,
            perl,
            osname,
            reports,
            truncated,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::dist::report_list_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

async fn report(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    let loaded = read(&state, move |conn, _| {
        let id = id.to_ascii_lowercase();
        let mut statement = conn.prepare_cached(&format!("{REPORT_COLUMNS} WHERE guid = ?1"))?;
        let Some((row, dist, version)) = statement.query_row([&id], report_row).optional()? else {
            return Err(Failure::NotFound(format!("no test report {id}")));
        };
        let stored = riverpan_testers::store::report_json(conn, &id)
            .map_err(|e| Failure::Internal(e.to_string()))?;
        let text = stored
            .and_then(|value| value.pointer("/result/output").cloned())
            .and_then(|output| serde_json::from_value::<TestOutput>(output).ok())
            .map(|output| output.text())
            .unwrap_or_default();
        Ok(ReportPage {
            row,
            dist,
            version,
            text,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::dist::report_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

async fn upload(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return Failure::NotFound(format!("no upload {id}")).into_response();
    };
    let loaded = read(&state, move |conn, _| {
        let mut statement = conn.prepare_cached(&format!(
            "{UPLOAD_COLUMNS} WHERE u.id = ?1 AND u.deleted_at IS NULL"
        ))?;
        let Some(recent) = statement.query_row([id], recent_upload).optional()? else {
            return Err(Failure::NotFound(format!("no upload {id}")));
        };
        let state: String =
            conn.query_row("SELECT state FROM uploads WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
        Ok(UploadPage {
            upload: ReleaseRow {
                upload_id: recent.id,
                version: recent
                    .release
                    .as_ref()
                    .map(|(_, version)| version.clone())
                    .unwrap_or_default(),
                path: recent.path,
                userid: recent.userid,
                uploaded_at: recent.uploaded_at,
                indexed: state == "indexed",
            },
            state,
            release: recent.release,
            report: indexer_report_of(conn, id)?,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::dist::upload_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

// ------------------------------------------------------------------------------------------
// Authors.

async fn author(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    let loaded = read(&state, move |conn, state| {
        let userid = id.to_uppercase();
        let fullname: Option<String> = conn
            .query_row(
                "SELECT fullname FROM authors WHERE userid = ?1",
                [&userid],
                |row| row.get(0),
            )
            .optional()?;
        let mut statement = conn.prepare_cached(&format!(
            "{UPLOAD_COLUMNS} WHERE u.userid = ?1 AND u.deleted_at IS NULL
             ORDER BY u.id DESC LIMIT ?2"
        ))?;
        let uploads: Vec<RecentUpload> = statement
            .query_map(params![userid, AUTHOR_UPLOADS as i64], recent_upload)?
            .collect::<Result<_, _>>()?;
        if fullname.is_none() && uploads.is_empty() {
            return Err(Failure::NotFound(format!("no author {userid}")));
        }
        // Files of the author live below A/AB/ABCDEF/; the index's `dist` column is indexed.
        let prefix = author_directory(&userid);
        let mut statement = conn.prepare_cached(
            "SELECT dist, MAX(dist_mtime) FROM packages
             WHERE dist >= ?1 AND dist < ?1 || char(1114111) GROUP BY dist",
        )?;
        let mut dists: Vec<AuthorDist> = statement
            .query_map([&prefix], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?
            .filter_map(|row| match row {
                Ok((path, mtime)) => dist_of_path(&path).map(|(dist, version)| {
                    Ok(AuthorDist {
                        dist,
                        version,
                        path,
                        mtime,
                    })
                }),
                Err(error) => Some(Err(error)),
            })
            .collect::<Result<_, _>>()?;
        dists.sort_by(|a, b| a.dist.cmp(&b.dist));
        let permissions = state
            .inner
            .snapshot
            .peek()
            .map(|snapshot| held_permissions(&snapshot, &userid))
            .unwrap_or_default();
        Ok(AuthorPage {
            userid,
            fullname: fullname.unwrap_or_default(),
            dists,
            permissions,
            uploads,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::author::author_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

/// `A/AB/ABCDEF/` for `ABCDEF`.
fn author_directory(userid: &str) -> String {
    let first: String = userid.chars().take(1).collect();
    let two: String = userid.chars().take(2).collect();
    format!("{first}/{two}/{userid}/")
}

fn held_permissions(snapshot: &Snapshot, userid: &str) -> Vec<HeldPermission> {
    snapshot
        .permissions_by_author
        .get(userid)
        .map(|held| {
            held.iter()
                .map(|(package, permission)| HeldPermission {
                    package: package.to_string(),
                    first_come: *permission == Permission::FirstCome,
                    dist: snapshot
                        .package(package)
                        .and_then(|(_, dist)| dist_of_path(&dist.path))
                        .map(|(dist, _)| dist),
                })
                .collect()
        })
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------------------
// Blead Breaks CPAN.

#[derive(Debug, Deserialize)]
struct BbcQuery {
    old: Option<String>,
    new: Option<String>,
    page: Option<usize>,
}

/// Candidates per page of the dashboard (the exports have them all).
const BBC_PER_PAGE: usize = 100;

/// The BBC answer for `query`, from the cache when nothing it depends on moved.
async fn bbc_answer(
    state: &ServerState,
    query: BbcQuery,
) -> Result<(Arc<Bbc>, Vec<PerlChoice>), Failure> {
    let parse = |value: Option<String>, name: &str| -> Result<Option<PerlVersion>, Failure> {
        match value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(text) => PerlVersion::parse(&text)
                .map(Some)
                .map_err(|_| Failure::BadRequest(format!("{name}: {text} is not a perl version"))),
        }
    };
    let old = parse(query.old, "old")?;
    let new = parse(query.new, "new")?;
    read(state, move |conn, state| {
        let perls: Vec<PerlChoice> = query::perls(conn)?
            .into_iter()
            .map(|perl| PerlChoice {
                perl: perl.perl,
                kind: perl.kind.to_string(),
                reports: perl.reports,
            })
            .collect();
        let generation = state
            .inner
            .readers
            .with(|store| store.index_generation())
            .map_err(|e| Failure::Internal(e.to_string()))?;
        let newest_report: i64 = conn.query_row(
            "SELECT COALESCE(MAX(rowid_), 0) FROM testers_reports",
            [],
            |row| row.get(0),
        )?;
        let key = BbcKey {
            old: old.as_ref().map(ToString::to_string).unwrap_or_default(),
            new: new.as_ref().map(ToString::to_string).unwrap_or_default(),
            generation,
            newest_report,
        };
        let public = &state.inner.public_web;
        if let Some((cached_key, answer)) = lock(&public.bbc).as_ref() {
            if *cached_key == key {
                return Ok((answer.clone(), perls));
            }
        }
        let answer = Arc::new(query::bbc(conn, old, new)?);
        *lock(&public.bbc) = Some((key, answer.clone()));
        Ok((answer, perls))
    })
    .await
}

/// The page's name for a candidate's verdict.
fn verdict(verdict: query::Verdict) -> Verdict {
    match verdict {
        query::Verdict::Breaks => Verdict::Breaks,
        query::Verdict::Fixed => Verdict::Fixed,
        query::Verdict::Mixed => Verdict::Mixed,
    }
}

/// The dashboard's view of candidates `(page - 1) * per_page ..` of `bbc` (in the answer's
/// order: breaks first).
fn bbc_page(bbc: &Bbc, perls: Vec<PerlChoice>, page: usize, per_page: usize) -> BbcPage {
    let rows = bbc
        .candidates
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|entry| BbcRow {
            dist: entry.dist.clone(),
            version: entry.version.clone(),
            author: entry.author.clone(),
            old: counts(&entry.old),
            new: counts(&entry.new),
            verdict: verdict(entry.verdict),
            strong: entry.strong,
            first_failing: entry.first_failing_dev_perl.clone(),
            last_passing: entry.last_passing_dev_perl.clone(),
            sample_fail: entry.sample_fail_reports.clone(),
            sample_pass: entry.sample_pass_report.clone(),
            os: entry
                .os
                .iter()
                .map(|(osname, os)| OsBreakdown {
                    osname: osname.clone(),
                    old_pass: os.old.pass,
                    old_fail: os.old.fail,
                    new_pass: os.new.pass,
                    new_fail: os.new.fail,
                })
                .collect(),
            river_total: entry.river.as_ref().map(|spot| spot.total),
            band: entry
                .river
                .as_ref()
                .map(|spot| riverpan_river::band(spot.total).as_str().to_string()),
        })
        .collect();
    let mut verdicts = VerdictCounts::default();
    for entry in &bbc.candidates {
        verdicts.add(verdict(entry.verdict));
    }
    BbcPage {
        perls,
        old: bbc.old.clone(),
        new: bbc.new.clone(),
        rows,
        verdicts,
        paging: Paging {
            page,
            per_page,
            count: bbc.candidates.len(),
        },
    }
}

async fn bbc_html(State(state): State<ServerState>, Query(query): Query<BbcQuery>) -> Response {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Failure::BadRequest("pages count from 1".into()).into_response();
    }
    match bbc_answer(&state, query).await {
        Ok((bbc, perls)) => html(riverpan_web::bbc::bbc_page(
            &viewer(),
            &bbc_page(&bbc, perls, page, BBC_PER_PAGE),
        )),
        Err(failure) => failure.into_response(),
    }
}

async fn bbc_json(State(state): State<ServerState>, Query(query): Query<BbcQuery>) -> Response {
    match bbc_answer(&state, query).await {
        Ok((bbc, _)) => ([(header::CACHE_CONTROL, "no-cache")], Json(bbc.as_ref())).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn bbc_csv(State(state): State<ServerState>, Query(query): Query<BbcQuery>) -> Response {
    match bbc_answer(&state, query).await {
        Ok((bbc, perls)) => {
            let file = format!("attachment; filename=\"bbc-{}-{}.csv\"", bbc.old, bbc.new);
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "text/csv; charset=utf-8; header=present".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, file),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                riverpan_web::bbc::csv(&bbc_page(&bbc, perls, 1, usize::MAX)),
            )
                .into_response()
        }
        Err(failure) => failure.into_response(),
    }
}

// ------------------------------------------------------------------------------------------
// The river.

#[derive(Debug, Deserialize)]
struct RiverQuery {
    top: Option<usize>,
    dist: Option<String>,
}

fn river_row(dist: &str, position: &riverpan_river::RiverPosition) -> RiverRow {
    RiverRow {
        dist: dist.to_string(),
        immediate: position.immediate,
        total: position.total,
        bucket: position.bucket,
        band: position.band.as_str().to_string(),
    }
}

async fn river(State(state): State<ServerState>, Query(query): Query<RiverQuery>) -> Response {
    if let Some(dist) = query
        .dist
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
    {
        return Redirect::to(&format!("/river/{}", riverpan_web::path_segment(&dist)))
            .into_response();
    }
    let top = query.top.unwrap_or(100).clamp(1, MAX_TOP);
    let loaded = read(&state, move |_, state| {
        let river = state.inner.river.get(state).map_err(Failure::Internal)?;
        let mut bands = [0u64; 3];
        let mut buckets = [0u64; 6];
        for (_, position) in river.positions() {
            let band = match position.band {
                riverpan_river::Band::WayUpriver => 0,
                riverpan_river::Band::InTheMiddle => 1,
                riverpan_river::Band::WayDownriver => 2,
            };
            bands[band] += 1;
            buckets[usize::from(position.bucket.min(5))] += 1;
        }
        let rows = river
            .top(top)
            .iter()
            .map(|(dist, position)| river_row(dist, position))
            .collect();
        Ok(RiverPage {
            top,
            rows,
            bands: vec![
                ("way upriver".into(), bands[0]),
                ("in the middle".into(), bands[1]),
                ("way downriver".into(), bands[2]),
            ],
            buckets,
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::river::river_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

async fn river_dist(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Failure::BadRequest("pages count from 1".into()).into_response();
    }
    let loaded = read(&state, move |_, state| {
        let river = state.inner.river.get(state).map_err(Failure::Internal)?;
        let Some(position) = river.position(&dist) else {
            return Err(Failure::NotFound(format!(
                "no distribution {dist} in the river"
            )));
        };
        let deep = river.deep_dependents(&dist);
        let dependents = deep
            .iter()
            .skip((page - 1).saturating_mul(PER_PAGE))
            .take(PER_PAGE)
            .filter_map(|name| river.position(name).map(|p| river_row(name, &p)))
            .collect();
        Ok(RiverDistPage {
            position: river_row(&dist, &position),
            dist,
            dependents,
            paging: Paging {
                page,
                per_page: PER_PAGE,
                count: deep.len(),
            },
        })
    })
    .await;
    match loaded {
        Ok(page) => html(riverpan_web::river::river_dist_page(&viewer(), &page)),
        Err(failure) => failure.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_search_stops_at_the_first_non_match() {
        let sorted = vec!["foo", "foo::bar", "foo::baz", "fop", "zzz"];
        let hits = with_prefix(&sorted, |s| s, "foo", 10);
        assert_eq!(hits, &["foo", "foo::bar", "foo::baz"]);
        let limited = with_prefix(&sorted, |s| s, "foo", 1);
        assert_eq!(limited.len(), 2);
        assert!(with_prefix(&sorted, |s| s, "q", 10).is_empty());
    }

    #[test]
    fn author_directories() {
        assert_eq!(author_directory("NEILB"), "N/NE/NEILB/");
        assert_eq!(author_directory("X"), "X/X/X/");
    }
}
