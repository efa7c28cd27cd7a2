//! The CPAN Testers endpoints (testers.md §1.1, §1.2, §2.1), over the `testers_*` tables of
//! `DIR/riverpan.sqlite` (crate `riverpan-testers`).
//!
//! | route | answer |
//! |---|---|
//! | `POST /v3/report` | `201 {"id"}`; `400` v3 errors; `303` + `Location` for a known id |
//! | `GET /v3/report/{id}` | the stored v3 `Report`; `404` v3 error |
//! | `GET /api/v1/bbc?old=&new=` | the Blead Breaks CPAN answer as JSON |
//! | `POST /api/v1/register` | profile + its secret's SHA-256 → `200`; known guid, other secret → `409` |
//! | `POST /api/v1/submit/CPAN-Testers-Report` | Basic `guid:secret` checked → `201 {"guid"}`; else `401` |
//! | `GET`/`HEAD /api/v1/guid/{guid}` | `200` for a registered profile or a stored report, else `404` |
//!
//! The read side (`/v3/summary`, `/v3/release`, `/v3/upload`, legacy feeds) is in
//! `testers_read`.  The store is opened per request on the blocking pool.

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

use crate::auth::sha256_hex;
use crate::ServerState;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/v3/report", post(report_post))
        .route("/v3/report/{id}", get(report_get))
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

/// The `metadata.core.type` of a Metabase fact struct (`Metabase-User-Profile`...).
fn fact_type(fact: &Value) -> &str {
    fact.pointer("/metadata/core/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The content of a `Metabase::Fact::String` fact (full name, e-mail, secret). It is the
/// string itself, not JSON, so it is never decoded: a secret `12345` must stay a string.
fn string_content(fact: &Value) -> Option<&str> {
    fact.get("content")?.as_str()
}

/// What `POST /api/v1/register` carries: a profile and the secret that will authenticate it.
struct Registration {
    /// Profile guid, lower case.
    guid: String,
    fullname: String,
    email: String,
    /// [`secret_digest`] of the secret fact's content; the secret itself is never stored.
    secret_sha256: String,
}

/// Whether `guid` can be a Metabase profile guid (a uuid in practice). Anything else is
/// refused so that it never reaches a URL or a log line.
fn plausible_guid(guid: &str) -> bool {
    (1..=64).contains(&guid.len()) && guid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Reads `[profile_struct, secret_struct]` as `Metabase::Client::Simple::register` sends it
/// (`metabase-profile`'s `metabase_id.json`).
fn parse_registration(body: &[u8]) -> Result<Registration, String> {
    let top: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let facts = top
        .as_array()
        .ok_or("expected [Metabase-User-Profile, Metabase-User-Secret]")?;
    let find = |ty: &str| {
        facts
            .iter()
            .find(|f| fact_type(f) == ty)
            .ok_or(format!("no {ty} fact"))
    };
    let (profile, secret) = (
        find("Metabase-User-Profile")?,
        find("Metabase-User-Secret")?,
    );
    let guid = profile
        .pointer("/metadata/core/guid")
        .and_then(Value::as_str)
        .map(|g| g.trim().to_ascii_lowercase())
        .filter(|g| plausible_guid(g))
        .ok_or("the profile has no usable guid")?;
    // metabase-profile makes the secret about the profile (resource metabase:user:<guid>); a
    // secret about someone else is a mistake or an attempt to confuse the two.
    if let Some(resource) = secret
        .pointer("/metadata/core/resource")
        .and_then(Value::as_str)
    {
        if !resource.eq_ignore_ascii_case(&format!("metabase:user:{guid}")) {
            return Err(format!(
                "the secret belongs to {resource}, not to the profile"
            ));
        }
    }
    let secret = string_content(secret)
        .filter(|s| !s.is_empty())
        .ok_or("the secret is empty")?;
    let mut fullname = String::new();
    let mut email = String::new();
    if let Some(subs) = decode(profile.get("content").unwrap_or(&Value::Null)).as_array() {
        for sub in subs {
            let text = string_content(sub).unwrap_or_default().to_string();
            match fact_type(sub) {
                "Metabase-User-FullName" => fullname = text,
                "Metabase-User-EmailAddress" => email = text,
                _ => {}
            }
        }
    }
    Ok(Registration {
        guid,
        fullname,
        email,
        secret_sha256: secret_digest(secret),
    })
}

/// The stored form of a Metabase secret: the hex SHA-256 of its content with spaces as `+`.
///
/// Metabase::Client::Simple puts `guid:secret` in the URL userinfo with HTTP::Tiny's
/// `_uri_escape`, which writes a space as `+`; HTTP::Tiny then percent-decodes the userinfo
/// into the Basic header but leaves `+` alone. So a secret `a b` registers as `a b` and
/// authenticates as `a+b`. Hashing both sides with spaces as `+` lets that client in (and
/// any client that sends the space) at the price of `a b` and `a+b` being the same secret.
fn secret_digest(secret: &str) -> String {
    sha256_hex(&secret.replace(' ', "+"))
}

/// Compares two hex digests in constant time over their (fixed) length, so that a wrong
/// secret's answer time says nothing about how much of it was right.
fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What a registration gave.
enum Registered {
    /// A new profile, or a known one with the same secret (name and e-mail updated).
    Accepted,
    /// The guid is registered with another secret; nothing was changed.
    SecretMismatch,
}

/// Records a profile. A known guid keeps its secret: re-registering it with a different one
/// would let anyone who learns a guid (it is in every report's `creator`) take it over.
fn record_profile(conn: &mut Connection, reg: &Registration) -> Result<Registered, String> {
    let fail = |e: riverpan_testers::rusqlite::Error| e.to_string();
    // IMMEDIATE: the check and the write see the same row even with concurrent registrations.
    let tx = conn
        .transaction_with_behavior(riverpan_testers::rusqlite::TransactionBehavior::Immediate)
        .map_err(fail)?;
    let stored: Option<String> = tx
        .query_row(
            "SELECT secret_sha256 FROM testers_metabase_profiles WHERE guid = ?1",
            params![reg.guid],
            |r| r.get(0),
        )
        .optional()
        .map_err(fail)?;
    match stored {
        Some(stored) if !digests_match(&stored, &reg.secret_sha256) => {
            return Ok(Registered::SecretMismatch)
        }
        Some(_) => tx.execute(
            "UPDATE testers_metabase_profiles SET fullname = ?2, email = ?3 WHERE guid = ?1",
            params![reg.guid, reg.fullname, reg.email],
        ),
        None => tx.execute(
            "INSERT INTO testers_metabase_profiles
               (guid, fullname, email, secret_sha256, registered_at)
             VALUES (?1, ?2, ?3, ?4, strftime('%s', 'now'))",
            params![reg.guid, reg.fullname, reg.email, reg.secret_sha256],
        ),
    }
    .map_err(fail)?;
    tx.commit().map_err(fail)?;
    Ok(Registered::Accepted)
}

/// `POST /api/v1/register`: `200 {"message":"accepted"}`; `400` for a body that is not a
/// profile and its secret; `409` when the guid is registered with a different secret.
async fn register(State(state): State<ServerState>, body: Bytes) -> Response {
    let reg = match parse_registration(&body) {
        Ok(reg) => reg,
        Err(message) => return legacy_error(StatusCode::BAD_REQUEST, message),
    };
    let guid = reg.guid.clone();
    match with_store(&state, move |conn| record_profile(conn, &reg)).await {
        Ok(Registered::Accepted) => Json(json!({"message": "accepted"})).into_response(),
        Ok(Registered::SecretMismatch) => legacy_error(
            StatusCode::CONFLICT,
            format!("GUID {guid} is already registered with a different secret"),
        ),
        Err(response) => response,
    }
}

/// The profile guid (lower case) and secret of `Authorization: Basic base64(guid:secret)`.
/// HTTP::Tiny builds the header from the URL's userinfo, percent-decoded, so the secret
/// arrives as it is in the secret fact.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    // A secret may contain ':'; a guid never does.
    let (guid, secret) = text.split_once(':').unwrap_or((text.as_str(), ""));
    let guid = guid.trim().to_ascii_lowercase();
    plausible_guid(&guid).then(|| (guid, secret.to_string()))
}

/// A registered Metabase profile.
struct Profile {
    fullname: String,
    email: String,
    secret_sha256: String,
}

fn profile(conn: &Connection, guid: &str) -> Result<Option<Profile>, String> {
    conn.query_row(
        "SELECT fullname, email, secret_sha256 FROM testers_metabase_profiles WHERE guid = ?1",
        params![guid],
        |r| {
            Ok(Profile {
                fullname: r.get(0)?,
                email: r.get(1)?,
                secret_sha256: r.get(2)?,
            })
        },
    )
    .optional()
    .map_err(|e| e.to_string())
}

/// What a Metabase submission gave.
enum Submitted {
    UnknownUser,
    WrongSecret,
    Unreadable(String),
    Done(Outcome),
}

/// Checks the credentials, then reads and stores the fact; nothing is read or written for a
/// submission that is not authenticated.
fn submit_fact(
    conn: &mut Connection,
    guid: &str,
    presented_sha256: &str,
    body: &[u8],
) -> Result<Submitted, String> {
    let Some(known) = profile(conn, guid)? else {
        return Ok(Submitted::UnknownUser);
    };
    if !digests_match(&known.secret_sha256, presented_sha256) {
        return Ok(Submitted::WrongSecret);
    }
    // The body is JSON whatever the content type says (HTTP::Tiny sends octet-stream).
    let fact = match ingest::parse_metabase_fact(body) {
        Ok(fact) => fact,
        Err(e) => return Ok(Submitted::Unreadable(e.to_string())),
    };
    let mut report = fact.report;
    // As convert_metabase_report: the reporter is the registered profile, not the fact.
    report.reporter.name = Some(if known.fullname.is_empty() {
        "Unknown".to_string()
    } else {
        known.fullname
    });
    report.reporter.email = known.email;
    ingest_one(conn, report).map(Submitted::Done)
}

/// `POST /api/v1/submit/CPAN-Testers-Report`: `201 {"guid"}` + `Location`; `401` for an
/// unknown profile (`User <guid> unrecognized`, as the shim) and for a wrong secret.
///
/// On a 401, Metabase::Client::Simple HEADs `guid/<profile guid>`: a 404 makes it register
/// and retry, a 200 makes it give up with "authentication failed: <error>". So a wrong
/// secret never turns into a re-registration.
async fn submit(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((profile_guid, secret)) = basic_credentials(&headers) else {
        return legacy_error(StatusCode::UNAUTHORIZED, "User unrecognized");
    };
    let presented = secret_digest(&secret);
    let who = profile_guid.clone();
    let result = with_store(&state, move |conn| {
        submit_fact(conn, &who, &presented, &body)
    })
    .await;
    match result {
        Ok(Submitted::UnknownUser) => legacy_error(
            StatusCode::UNAUTHORIZED,
            format!("User {profile_guid} unrecognized"),
        ),
        Ok(Submitted::WrongSecret) => legacy_error(
            StatusCode::UNAUTHORIZED,
            format!("Wrong secret for user {profile_guid}"),
        ),
        Ok(Submitted::Unreadable(message)) => legacy_error(StatusCode::BAD_REQUEST, message),
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

/// `GET /api/v1/guid/{guid}` (and `HEAD`): `200` for a registered profile or a stored report,
/// else `404 {"error":"<guid> not found"}` (the shim's answer).
async fn guid(State(state): State<ServerState>, Path(guid): Path<String>) -> Response {
    let id = guid.to_ascii_lowercase();
    let found = with_store(&state, move |conn| {
        if profile(conn, &id)?.is_some() {
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
        Ok(None) => legacy_error(StatusCode::NOT_FOUND, format!("{guid} not found")),
        Err(response) => response,
    }
}
