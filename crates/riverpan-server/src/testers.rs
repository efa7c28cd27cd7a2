//! The CPAN Testers endpoints (testers.md §1.1, §1.2, §2.1), over the `testers_*` tables of
//! `DIR/riverpan.sqlite` (crate `riverpan-testers`).
//!
//! | route | answer |
//! |---|---|
//! | `POST /v3/report` | `201 {"id"}`; `400` v3 errors; `303` + `Location` for a known id |
//! | `GET /v3/report/{id}` | the stored v3 `Report`; `404` v3 error |
//! | `GET /v3/summary/{dist}[/{version}]` | `[ReportSummary]` (legacy grades); `404` when empty |
//! | `GET /api/v1/bbc?old=&new=` | the Blead Breaks CPAN answer as JSON |
//! | `POST /api/v1/register` | records a Metabase profile → `200 {"message":"accepted"}` |
//! | `POST /api/v1/submit/CPAN-Testers-Report` | Metabase fact → `201 {"guid"}` + `Location` |
//! | `GET /api/v1/guid/{guid}` | `200` for a registered profile or a stored report, else `404` |
//!
//! The store is opened per request on the blocking pool.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use riverpan_testers::ingest::{self, IngestError, Ingested};
use riverpan_testers::query::{self, QueryError};
use riverpan_testers::rusqlite::{params, Connection, OptionalExtension};
use riverpan_testers::{store, PerlVersion};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ServerState;

/// Metabase profiles registered through `POST /api/v1/register` (the shim's `metabase_user`).
const USERS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS testers_metabase_users (
    guid TEXT PRIMARY KEY,              -- profile guid, lower case
    fullname TEXT NOT NULL,
    email TEXT NOT NULL
) WITHOUT ROWID;";

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/v3/report", post(report_post))
        .route("/v3/report/{id}", get(report_get))
        .route("/v3/summary/{dist}", get(summary_dist))
        .route("/v3/summary/{dist}/{version}", get(summary_version))
        .route("/api/v1/bbc", get(bbc))
        .route("/api/v1/register", post(register))
        .route("/api/v1/submit/CPAN-Testers-Report", post(submit))
        .route("/api/v1/guid/{guid}", get(guid))
}

/// The v3 error body `{"errors":[{"message","path"}]}` with `status`.
fn v3_error(status: StatusCode, message: impl Into<String>, path: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"message": message.into(), "path": path}]})),
    )
        .into_response()
}

/// The Metabase shim's error body `{"error": message}`.
fn legacy_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn internal(reason: &str) -> Response {
    tracing::error!(%reason, "testers request failed");
    v3_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal server error: {reason}"),
        "/",
    )
}

/// Runs `work` with a fresh testers connection on the blocking pool.
async fn with_store<T: Send + 'static>(
    state: &ServerState,
    work: impl FnOnce(&mut Connection) -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    let dir = state.data_dir().to_path_buf();
    let joined = tokio::task::spawn_blocking(move || {
        let mut conn = store::open(&dir).map_err(|e| e.to_string())?;
        work(&mut conn)
    })
    .await;
    match joined {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(reason)) => Err(internal(&reason)),
        Err(join) => Err(internal(&join.to_string())),
    }
}

/// What one ingest attempt gave, decided inside the blocking task.
enum Outcome {
    Stored(String),
    Duplicate(String),
    Invalid(Value),
}

fn ingest_one(conn: &mut Connection, report: ingest::NewReport) -> Result<Outcome, String> {
    match ingest::ingest(conn, &[report]) {
        Ok(done) => match done.into_iter().next() {
            Some(Ingested::Stored(id)) => Ok(Outcome::Stored(id)),
            Some(Ingested::Duplicate(id)) => Ok(Outcome::Duplicate(id)),
            None => Err("ingest returned nothing".to_string()),
        },
        Err(IngestError::Invalid { errors, .. }) => Ok(Outcome::Invalid(
            serde_json::to_value(errors).map_err(|e| e.to_string())?,
        )),
        Err(IngestError::Store(e)) => Err(e.to_string()),
    }
}

/// `POST /v3/report`.
async fn report_post(State(state): State<ServerState>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return v3_error(
                StatusCode::BAD_REQUEST,
                format!("body is not JSON: {e}"),
                "/",
            )
        }
    };
    let report = match ingest::validate(&value) {
        Ok(report) => report,
        Err(errors) => return (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
    };
    match with_store(&state, move |conn| ingest_one(conn, report)).await {
        Ok(Outcome::Stored(id)) => (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/v3/report/{id}"))],
            Json(json!({ "id": id })),
        )
            .into_response(),
        // The v3 spec's answer for a duplicate: see the report already stored.
        Ok(Outcome::Duplicate(id)) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/v3/report/{id}"))],
            Json(json!({
                "id": id,
                "status": "duplicate",
                "errors": [{"message": "Report ID already exists", "path": "/id"}],
            })),
        )
            .into_response(),
        Ok(Outcome::Invalid(errors)) => (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
        Err(response) => response,
    }
}

/// `GET /v3/report/{id}`.
async fn report_get(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    match with_store(&state, move |conn| {
        store::report_json(conn, &id).map_err(|e| e.to_string())
    })
    .await
    {
        Ok(Some(report)) => Json(report).into_response(),
        Ok(None) => v3_error(StatusCode::NOT_FOUND, "Report ID not found", "/id"),
        Err(response) => response,
    }
}

/// The filters of the summary endpoints (`perl` and `osname` repeatable).
#[derive(Debug, Default)]
struct SummaryFilter {
    grade: Option<String>,
    perl: Vec<String>,
    osname: Vec<String>,
}

fn summary_filter(raw: Option<&str>) -> Result<SummaryFilter, &'static str> {
    let mut filter = SummaryFilter::default();
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        match key {
            "grade" => {
                if !["pass", "fail", "na", "unknown"].contains(&value.as_str()) {
                    return Err("grade must be one of pass, fail, na, unknown");
                }
                filter.grade = Some(value);
            }
            "perl" => filter.perl.push(value),
            "osname" => filter.osname.push(value),
            _ => {}
        }
    }
    Ok(filter)
}

/// Decodes `%XX` and `+` in a query value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `ReportSummary` rows (testers.md §2.1) of a dist or one release.
fn summary_rows(
    conn: &Connection,
    dist: &str,
    version: Option<&str>,
    filter: &SummaryFilter,
) -> Result<Vec<Value>, String> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT guid, submitted_at, grade, tester, dist, version, archname, perl, osname, osvers
             FROM testers_reports WHERE dist = ?1 AND (?2 IS NULL OR version = ?2)
             ORDER BY rowid_",
        )
        .map_err(|e| e.to_string())?;
    let mut rows = stmt
        .query(params![dist, version])
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let col = |i: usize| r.get::<_, String>(i).map_err(|e| e.to_string());
        let (grade, perl, osname) = (col(2)?, col(7)?, col(8)?);
        if filter.grade.as_ref().is_some_and(|g| *g != grade)
            || (!filter.perl.is_empty() && !filter.perl.contains(&perl))
            || (!filter.osname.is_empty() && !filter.osname.contains(&osname))
        {
            continue;
        }
        out.push(json!({
            "guid": col(0)?,
            "date": col(1)?,
            "grade": grade,
            "reporter": col(3)?,
            "dist": col(4)?,
            "version": col(5)?,
            "platform": col(6)?,
            "perl": perl,
            "osname": osname,
            "osvers": col(9)?,
        }));
    }
    Ok(out)
}

async fn summary(
    state: ServerState,
    dist: String,
    version: Option<String>,
    raw_query: Option<String>,
) -> Response {
    let filter = match summary_filter(raw_query.as_deref()) {
        Ok(filter) => filter,
        Err(message) => return v3_error(StatusCode::BAD_REQUEST, message, "/grade"),
    };
    match with_store(&state, move |conn| {
        summary_rows(conn, &dist, version.as_deref(), &filter)
    })
    .await
    {
        Ok(rows) if rows.is_empty() => v3_error(StatusCode::NOT_FOUND, "No results found", "/"),
        Ok(rows) => Json(Value::Array(rows)).into_response(),
        Err(response) => response,
    }
}

/// `GET /v3/summary/{dist}`.
async fn summary_dist(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    summary(state, dist, None, raw).await
}

/// `GET /v3/summary/{dist}/{version}`.
async fn summary_version(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    summary(state, dist, Some(version), raw).await
}

#[derive(Debug, Deserialize)]
struct BbcQuery {
    old: Option<String>,
    new: Option<String>,
}

/// `GET /api/v1/bbc?old=&new=`.
async fn bbc(State(state): State<ServerState>, Query(q): Query<BbcQuery>) -> Response {
    let parse = |v: Option<String>, name: &str| -> Result<Option<PerlVersion>, String> {
        match v.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => PerlVersion::parse(&s)
                .map(Some)
                .map_err(|e| format!("{name}: {s:?}: {e:?}")),
        }
    };
    let (old, new) = match (parse(q.old, "old"), parse(q.new, "new")) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(message), _) | (_, Err(message)) => {
            return legacy_error(StatusCode::BAD_REQUEST, message)
        }
    };
    let result = with_store(&state, move |conn| match query::bbc(conn, old, new) {
        Ok(bbc) => Ok(Ok(bbc)),
        Err(QueryError::NoPerl(kind)) => Ok(Err(kind)),
        Err(e) => Err(e.to_string()),
    })
    .await;
    match result {
        Ok(Ok(bbc)) => Json(bbc).into_response(),
        Ok(Err(kind)) => legacy_error(
            StatusCode::NOT_FOUND,
            format!("no {kind} perl has reports; give it explicitly"),
        ),
        Err(response) => response,
    }
}

/// A Metabase value that may be a JSON string holding JSON (the double encoding).
fn decode(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
        other => other.clone(),
    }
}

/// The profile guid, full name and e-mail of a `POST /api/v1/register` body
/// (`[profile_struct, secret_struct]`).
fn parse_profile(body: &[u8]) -> Option<(String, String, String)> {
    let top: Value = serde_json::from_slice(body).ok()?;
    let facts = top.as_array()?;
    let profile = facts.iter().find(|f| {
        f.pointer("/metadata/core/type").and_then(Value::as_str) == Some("Metabase-User-Profile")
    })?;
    let core = profile.pointer("/metadata/core")?;
    let guid = core
        .get("guid")
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty())?
        .to_ascii_lowercase();
    let mut fullname = String::new();
    let mut email = String::new();
    if let Some(subs) = decode(profile.get("content")?).as_array() {
        for sub in subs {
            let ty = sub
                .pointer("/metadata/core/type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let content = sub.get("content").map(decode).unwrap_or(Value::Null);
            let text = content.as_str().unwrap_or_default().to_string();
            match ty {
                "Metabase-User-FullName" => fullname = text,
                "Metabase-User-EmailAddress" => email = text,
                _ => {}
            }
        }
    }
    Some((guid, fullname, email))
}

/// `POST /api/v1/register`.
async fn register(State(state): State<ServerState>, body: Bytes) -> Response {
    let Some((guid, fullname, email)) = parse_profile(&body) else {
        return legacy_error(
            StatusCode::BAD_REQUEST,
            "expected [Metabase-User-Profile, Metabase-User-Secret]",
        );
    };
    match with_store(&state, move |conn| {
        conn.execute_batch(USERS_SCHEMA)
            .and_then(|()| {
                conn.execute(
                    "INSERT INTO testers_metabase_users (guid, fullname, email) VALUES (?1, ?2, ?3)
                     ON CONFLICT(guid) DO UPDATE SET fullname = ?2, email = ?3",
                    params![guid, fullname, email],
                )
            })
            .map_err(|e| e.to_string())
    })
    .await
    {
        Ok(_) => Json(json!({"message": "accepted"})).into_response(),
        Err(response) => response,
    }
}

/// The profile guid of `Authorization: Basic base64(guid:secret)` (the secret is not checked,
/// as in the shim).
fn basic_guid(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let guid = text.split(':').next()?.trim().to_ascii_lowercase();
    (!guid.is_empty()).then_some(guid)
}

fn user(conn: &Connection, guid: &str) -> Result<Option<(String, String)>, String> {
    conn.execute_batch(USERS_SCHEMA)
        .map_err(|e| e.to_string())?;
    conn.query_row(
        "SELECT fullname, email FROM testers_metabase_users WHERE guid = ?1",
        params![guid],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(|e| e.to_string())
}

/// What a Metabase submission gave.
enum Submitted {
    UnknownUser,
    Done(Outcome),
}

/// `POST /api/v1/submit/CPAN-Testers-Report`.
async fn submit(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(profile) = basic_guid(&headers) else {
        return legacy_error(StatusCode::UNAUTHORIZED, "User unrecognized");
    };
    // The body is JSON whatever the content type says (HTTP::Tiny sends octet-stream).
    let fact = match ingest::parse_metabase_fact(&body) {
        Ok(fact) => fact,
        Err(e) => return legacy_error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let who = profile.clone();
    let result = with_store(&state, move |conn| {
        let Some((fullname, email)) = user(conn, &who)? else {
            return Ok(Submitted::UnknownUser);
        };
        let mut report = fact.report;
        report.reporter.name = Some(if fullname.is_empty() {
            "Unknown".to_string()
        } else {
            fullname
        });
        report.reporter.email = email;
        ingest_one(conn, report).map(Submitted::Done)
    })
    .await;
    match result {
        Ok(Submitted::UnknownUser) => legacy_error(
            StatusCode::UNAUTHORIZED,
            format!("User {profile} unrecognized"),
        ),
        // A resubmission of a stored guid is accepted again: the client only retries.
        Ok(Submitted::Done(Outcome::Stored(id) | Outcome::Duplicate(id))) => (
            StatusCode::CREATED,
            [(header::LOCATION, format!("/api/v1/guid/{id}"))],
            Json(json!({ "guid": id })),
        )
            .into_response(),
        Ok(Submitted::Done(Outcome::Invalid(errors))) => {
            (StatusCode::BAD_REQUEST, Json(errors)).into_response()
        }
        Err(response) => response,
    }
}

/// `GET /api/v1/guid/{guid}` (and `HEAD`).
async fn guid(State(state): State<ServerState>, Path(guid): Path<String>) -> Response {
    let id = guid.to_ascii_lowercase();
    let found = with_store(&state, move |conn| {
        if user(conn, &id)?.is_some() {
            return Ok(Some("user"));
        }
        let report: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM testers_reports WHERE guid = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        Ok(report.map(|_| "report"))
    })
    .await;
    match found {
        Ok(Some(kind)) => {
            Json(json!({"guid": guid.to_ascii_lowercase(), "type": kind})).into_response()
        }
        Ok(None) => legacy_error(StatusCode::NOT_FOUND, format!("GUID {guid} not found")),
        Err(response) => response,
    }
}
