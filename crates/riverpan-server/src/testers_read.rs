//! The read side of CPAN Testers over HTTP (testers.md §2.1, §2.2, §2.4), over the `testers_*`
//! tables of `DIR/riverpan.sqlite` and riverpan's own uploads.  The query logic lives in
//! `riverpan_testers::read`; this module parses parameters, streams and answers.
//!
//! | route | answer |
//! |---|---|
//! | `GET /v3/summary[/{dist}[/{version}]]` | `[ReportSummary]`, streamed; all dists need `perl` or `osname` |
//! | `GET /v3/release`, `/v3/release/dist/{dist}`, `/v3/release/author/{author}` | `[Release]` (legacy four grades + `total`), streamed |
//! | `GET /v3/release/dist/{dist}/{version}` | one `Release` |
//! | `GET /v3/upload[/dist/{dist} \| /author/{author}]` | `[Upload]` ordered by `released` |
//! | `GET /show/{dist}.json` | every report of the dist as legacy records, streamed |
//! | `GET /tail/log.txt` | the last 1000 reports, one line each |
//! | `GET /api/v1/testers/perls` | known perls, kinds, report counts, latest stable/dev/RC |
//! | `GET /api/v1/testers/matrix/{dist}/{version}` | perl × OS cells with per-grade counts |
//! | `GET /api/v1/testers/summary/{dist}[/{version}]` | counts with `prerequisite_failure` apart, plus the legacy four |
//!
//! Errors of the v3 and legacy routes have the v3 shape `{"errors":[{"message","path"}]}`;
//! riverpan's own routes answer `{"error": …}` like the rest of `/api/v1`.  Every testers
//! route (this module's and `testers`') carries `Access-Control-Allow-Origin: *` and answers
//! an `OPTIONS` preflight ([`with_cors`]).
//!
//! Lists are streamed: a blocking task walks the query and hands 32 KiB chunks through a
//! channel of four, so a response holds at most ~160 KiB whatever its length.  The first
//! chunk is awaited before the status is sent, so that an empty result is still a 404.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use riverpan_testers::perl::{latest_development, latest_release_candidate, latest_stable};
use riverpan_testers::query::{self, Counts};
use riverpan_testers::read::{
    self, PerlMaturity, ReadError, ReleaseMaturity, ReleaseQuery, ReleaseScope, Since,
    SummaryQuery, UploadScope,
};
use riverpan_testers::rusqlite::Connection;
use riverpan_testers::LegacyGrade;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::ServerState;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/v3/summary", get(summary_all))
        .route("/v3/summary/{dist}", get(summary_dist))
        .route("/v3/summary/{dist}/{version}", get(summary_version))
        .route("/v3/release", get(release_all))
        .route("/v3/release/dist/{dist}", get(release_dist))
        .route(
            "/v3/release/dist/{dist}/{version}",
            get(release_dist_version),
        )
        .route("/v3/release/author/{author}", get(release_author))
        .route("/v3/upload", get(upload_all))
        .route("/v3/upload/dist/{dist}", get(upload_dist))
        .route("/v3/upload/author/{author}", get(upload_author))
        .route("/show/{file}", get(show_dist))
        .route("/tail/log.txt", get(tail_log))
        .route("/api/v1/testers/perls", get(perls))
        .route("/api/v1/testers/matrix/{dist}/{version}", get(matrix))
        .route("/api/v1/testers/summary/{dist}", get(own_summary_dist))
        .route(
            "/api/v1/testers/summary/{dist}/{version}",
            get(own_summary_version),
        )
}

/// `router` with CORS as api.cpantesters.org answers it: `Access-Control-Allow-Origin: *` on
/// every response, and `OPTIONS` preflights answered here (204) for every path of `router`.
pub(crate) fn with_cors(router: Router<ServerState>) -> Router<ServerState> {
    router.layer(middleware::from_fn(cors))
}

async fn cors(request: Request, next: Next) -> Response {
    let any = HeaderValue::from_static("*");
    if request.method() == Method::OPTIONS {
        let allow_headers = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("Content-Type, Authorization"));
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, any);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
        );
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        return response;
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, any);
    response
}

// ------------------------------------------------------------------------------------------
// Plumbing.

/// The v3 error body `{"errors":[{"message","path"}]}` with `status`.
fn v3_error(status: StatusCode, message: impl Into<String>, path: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"message": message.into(), "path": path}]})),
    )
        .into_response()
}

fn no_results() -> Response {
    v3_error(StatusCode::NOT_FOUND, "No results found", "/")
}

/// riverpan's own error body `{"error": …}`.
fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

fn internal(reason: &str) -> Response {
    tracing::error!(%reason, "testers read failed");
    v3_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal server error: {reason}"),
        "/",
    )
}

/// Runs `work` with a pooled read connection of the store (blocking; its migrations made the
/// testers tables and the read side's indexes).
fn with_reader<T>(
    state: &ServerState,
    work: impl FnOnce(&Connection) -> Result<T, String>,
) -> Result<T, String> {
    state
        .inner
        .readers
        .with(|store| Ok::<_, riverpan_store::StoreError>(work(store.connection())))
        .map_err(|e| e.to_string())?
}

/// Runs `work` with a pooled read connection on the blocking pool.
async fn with_store<T: Send + 'static>(
    state: &ServerState,
    work: impl FnOnce(&Connection) -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || with_reader(&state, work)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(reason)) => Err(internal(&reason)),
        Err(join) => Err(internal(&join.to_string())),
    }
}

/// How a streamed list began.
enum Start {
    Rows,
    Empty,
    Failed(String),
}

/// Bytes of JSON gathered before a chunk is handed to the connection.
const CHUNK: usize = 32 * 1024;

/// Writes a JSON array in chunks to the response body channel.
pub(crate) struct ArrayWriter {
    buffer: Vec<u8>,
    items: u64,
    start: Option<oneshot::Sender<Start>>,
    body: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ArrayWriter {
    /// Appends one item; `false` when the client went away (stop producing).
    fn push(&mut self, item: &impl Serialize) -> bool {
        self.buffer.push(if self.items == 0 { b'[' } else { b',' });
        if let Err(e) = serde_json::to_writer(&mut self.buffer, item) {
            tracing::error!(error = %e, "cannot serialise a testers row");
            return false;
        }
        self.items += 1;
        self.buffer.len() < CHUNK || self.flush()
    }

    fn flush(&mut self) -> bool {
        if let Some(start) = self.start.take() {
            let _ = start.send(Start::Rows);
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.body.blocking_send(Ok(chunk)).is_ok()
    }

    fn finish(mut self, result: Result<(), String>) {
        match result {
            Err(reason) => match self.start.take() {
                Some(start) => {
                    let _ = start.send(Start::Failed(reason));
                }
                // Headers are gone: end the body with an error so the client sees a
                // truncated transfer rather than a short, valid-looking array.
                None => {
                    tracing::error!(%reason, "testers stream failed midway");
                    let _ = self.body.blocking_send(Err(std::io::Error::other(reason)));
                }
            },
            Ok(()) if self.items == 0 => {
                if let Some(start) = self.start.take() {
                    let _ = start.send(Start::Empty);
                }
            }
            Ok(()) => {
                self.buffer.push(b']');
                self.flush();
            }
        }
    }
}

/// Streams the JSON array `produce` writes; `empty` answers a list without rows.
async fn stream_array(
    state: &ServerState,
    empty: Response,
    produce: impl FnOnce(&Connection, &mut ArrayWriter) -> Result<(), String> + Send + 'static,
) -> Response {
    let state = state.clone();
    let (start_tx, start_rx) = oneshot::channel();
    let (body_tx, mut body_rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut writer = ArrayWriter {
            buffer: Vec::with_capacity(CHUNK + 1024),
            items: 0,
            start: Some(start_tx),
            body: body_tx,
        };
        let result = with_reader(&state, |conn| produce(conn, &mut writer));
        writer.finish(result);
    });
    match start_rx.await {
        Ok(Start::Rows) => {
            let stream = futures_util::stream::poll_fn(move |cx| body_rx.poll_recv(cx));
            (
                [(header::CONTENT_TYPE, "application/json")],
                Body::from_stream(stream),
            )
                .into_response()
        }
        Ok(Start::Empty) => empty,
        Ok(Start::Failed(reason)) => internal(&reason),
        Err(_) => internal("the query task ended without an answer"),
    }
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
                match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                    Some(Ok(b)) => {
                        out.push(b);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query's `(key, value)` pairs, decoded, repeated keys kept.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A refused query parameter: the message and the parameter's JSON pointer (a 400).
struct BadParameter(String, &'static str);

impl BadParameter {
    fn new(message: impl Into<String>, path: &'static str) -> BadParameter {
        BadParameter(message.into(), path)
    }

    fn response(self) -> Response {
        v3_error(StatusCode::BAD_REQUEST, self.0, self.1)
    }
}

fn parse_since(value: &str) -> Result<Since, BadParameter> {
    Since::parse(value).map_err(|e| BadParameter::new(e.to_string(), "/since"))
}

// ------------------------------------------------------------------------------------------
// /v3/summary.

fn summary_query(raw: Option<&str>) -> Result<SummaryQuery, BadParameter> {
    let mut q = SummaryQuery::default();
    for (key, value) in query_pairs(raw) {
        match key.as_str() {
            "grade" => {
                q.grade = Some(
                    LegacyGrade::parse(&value)
                        .filter(|g| g.as_str() == value)
                        .ok_or_else(|| {
                            BadParameter::new(
                                "Not in enum list: pass, fail, na, unknown.",
                                "/grade",
                            )
                        })?,
                )
            }
            "perl" => q.perl.push(value),
            "osname" => q.osname.push(value),
            "since" => q.since = Some(parse_since(&value)?),
            "perl_maturity" => {
                q.perl_maturity = Some(PerlMaturity::parse(&value).ok_or_else(|| {
                    BadParameter::new("Not in enum list: stable, dev.", "/perl_maturity")
                })?)
            }
            _ => {}
        }
    }
    Ok(q)
}

async fn summary(
    state: ServerState,
    dist: Option<String>,
    version: Option<String>,
    raw: Option<String>,
) -> Response {
    let mut q = match summary_query(raw.as_deref()) {
        Ok(q) => q,
        Err(bad) => return bad.response(),
    };
    q.dist = dist;
    q.version = version;
    if q.dist.is_none() && q.perl.is_empty() && q.osname.is_empty() {
        return v3_error(
            StatusCode::BAD_REQUEST,
            ReadError::NeedPerlOrOsname.to_string(),
            "/",
        );
    }
    stream_array(&state, no_results(), move |conn, out| {
        read::summaries(conn, &q, |row| out.push(&row))
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
}

/// `GET /v3/summary` (all dists; `perl` or `osname` required).
async fn summary_all(State(state): State<ServerState>, RawQuery(raw): RawQuery) -> Response {
    summary(state, None, None, raw).await
}

/// `GET /v3/summary/{dist}`.
async fn summary_dist(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    summary(state, Some(dist), None, raw).await
}

/// `GET /v3/summary/{dist}/{version}`.
async fn summary_version(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    summary(state, Some(dist), Some(version), raw).await
}

// ------------------------------------------------------------------------------------------
// /v3/release.

fn release_query(raw: Option<&str>, since_allowed: bool) -> Result<ReleaseQuery, BadParameter> {
    let mut q = ReleaseQuery::default();
    for (key, value) in query_pairs(raw) {
        match key.as_str() {
            "since" if !since_allowed => {
                return Err(BadParameter::new("\"since\" parameter not allowed", "/"))
            }
            "since" => q.since = Some(parse_since(&value)?),
            "limit" => {
                let n: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| BadParameter::new("Expected integer - got string.", "/limit"))?;
                if n < 1 {
                    return Err(BadParameter::new(
                        "The value for \"limit\" must be a positive integer",
                        "/limit",
                    ));
                }
                q.limit = Some(n as u64);
            }
            "maturity" => {
                q.maturity = Some(ReleaseMaturity::parse(&value).ok_or_else(|| {
                    BadParameter::new("Not in enum list: stable, dev.", "/maturity")
                })?)
            }
            _ => {}
        }
    }
    Ok(q)
}

async fn release_list(state: ServerState, scope: ReleaseScope, raw: Option<String>) -> Response {
    let q = match release_query(raw.as_deref(), scope != ReleaseScope::All) {
        Ok(q) => q,
        Err(bad) => return bad.response(),
    };
    stream_array(&state, no_results(), move |conn, out| {
        read::releases(conn, &scope, &q, |row| out.push(&row))
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
}

/// `GET /v3/release`: every release with reports (MetaCPAN's bulk pull).
async fn release_all(State(state): State<ServerState>, RawQuery(raw): RawQuery) -> Response {
    release_list(state, ReleaseScope::All, raw).await
}

/// `GET /v3/release/dist/{dist}`.
async fn release_dist(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    release_list(state, ReleaseScope::Dist(dist), raw).await
}

/// `GET /v3/release/author/{author}`.
async fn release_author(
    State(state): State<ServerState>,
    Path(author): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    release_list(state, ReleaseScope::Author(author), raw).await
}

/// `GET /v3/release/dist/{dist}/{version}`: one object, the sum over every report (not the
/// one partition CPAN Testers returns by mistake).
async fn release_dist_version(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match release_query(raw.as_deref(), true) {
        Ok(q) => q,
        Err(bad) => return bad.response(),
    };
    let scope = ReleaseScope::DistVersion(dist, version);
    let found = with_store(&state, move |conn| {
        let mut first = None;
        read::releases(conn, &scope, &q, |row| {
            first = Some(row);
            false
        })
        .map_err(|e| e.to_string())?;
        Ok(first)
    })
    .await;
    match found {
        Ok(Some(release)) => Json(release).into_response(),
        Ok(None) => no_results(),
        Err(response) => response,
    }
}

// ------------------------------------------------------------------------------------------
// /v3/upload.

async fn upload_list(state: ServerState, scope: UploadScope, raw: Option<String>) -> Response {
    let mut since = None;
    for (key, value) in query_pairs(raw.as_deref()) {
        if key == "since" {
            since = match parse_since(&value) {
                Ok(s) => Some(s),
                Err(bad) => return bad.response(),
            };
        }
    }
    let not_found = match &scope {
        UploadScope::All => no_results(),
        UploadScope::Dist(d) => v3_error(
            StatusCode::NOT_FOUND,
            format!("Distribution \"{d}\" not found"),
            "/",
        ),
        UploadScope::Author(a) => v3_error(
            StatusCode::NOT_FOUND,
            format!("Author \"{a}\" not found"),
            "/",
        ),
    };
    stream_array(&state, not_found, move |conn, out| {
        let rows = read::uploads(conn, &scope, since.as_ref()).map_err(|e| e.to_string())?;
        for row in &rows {
            if !out.push(row) {
                break;
            }
        }
        Ok(())
    })
    .await
}

/// `GET /v3/upload`.
async fn upload_all(State(state): State<ServerState>, RawQuery(raw): RawQuery) -> Response {
    upload_list(state, UploadScope::All, raw).await
}

/// `GET /v3/upload/dist/{dist}`.
async fn upload_dist(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    upload_list(state, UploadScope::Dist(dist), raw).await
}

/// `GET /v3/upload/author/{author}`.
async fn upload_author(
    State(state): State<ServerState>,
    Path(author): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    upload_list(state, UploadScope::Author(author), raw).await
}

// ------------------------------------------------------------------------------------------
// Legacy feeds.

/// `GET /show/{dist}.json`: every report of the dist (all versions), legacy records; `[]` for
/// a dist without reports.
async fn show_dist(State(state): State<ServerState>, Path(file): Path<String>) -> Response {
    let Some(dist) = file.strip_suffix(".json").map(str::to_string) else {
        return v3_error(StatusCode::NOT_FOUND, "Only .json is served", "/");
    };
    let empty = ([(header::CONTENT_TYPE, "application/json")], "[]").into_response();
    stream_array(&state, empty, move |conn, out| {
        read::show_records(conn, &dist, |row| out.push(&row))
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
}

/// `GET /tail/log.txt`.
async fn tail_log(State(state): State<ServerState>) -> Response {
    let now = riverpan_testers::ingest::now_rfc3339();
    match with_store(&state, move |conn| {
        read::tail_log(conn, &now).map_err(|e| e.to_string())
    })
    .await
    {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Err(response) => response,
    }
}

// ------------------------------------------------------------------------------------------
// riverpan's own.

/// `GET /api/v1/testers/perls`.
async fn perls(State(state): State<ServerState>) -> Response {
    let result = with_store(&state, |conn| {
        let known = query::perls(conn).map_err(|e| e.to_string())?;
        let versions: Vec<_> = known.iter().map(|p| p.version.clone()).collect();
        let name = |v: Option<riverpan_testers::PerlVersion>| v.map(|v| v.to_string());
        Ok(json!({
            "perls": known,
            "latest": {
                "stable": name(latest_stable(&versions)),
                "development": name(latest_development(&versions)),
                "release_candidate": name(latest_release_candidate(&versions)),
            },
        }))
    })
    .await;
    match result {
        Ok(body) => Json(body).into_response(),
        Err(response) => response,
    }
}

/// `{pass, fail, na, unknown, prerequisite_failure, total}` of riverpan's view.
fn counts_json(c: &Counts) -> Value {
    json!({
        "pass": c.pass, "fail": c.fail, "na": c.na, "unknown": c.unknown,
        "prerequisite_failure": c.prerequisite_failure, "total": c.total(),
    })
}

/// `GET /api/v1/testers/matrix/{dist}/{version}`.
async fn matrix(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
) -> Response {
    let (d, v) = (dist.clone(), version.clone());
    let result = with_store(&state, move |conn| {
        query::matrix(conn, &d, &v).map_err(|e| e.to_string())
    })
    .await;
    let cells = match result {
        Ok(cells) if cells.is_empty() => {
            return api_error(
                StatusCode::NOT_FOUND,
                format!("no reports for {dist} {version}"),
            )
        }
        Ok(cells) => cells,
        Err(response) => return response,
    };
    let mut perls: Vec<String> = Vec::new();
    let mut by_perl: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_osname: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    let mut rows = Vec::with_capacity(cells.len());
    for cell in &cells {
        // Cells come newest perl first, so first sight keeps that order.
        if !perls.contains(&cell.perl) {
            perls.push(cell.perl.clone());
        }
        by_perl
            .entry(cell.perl.clone())
            .or_default()
            .merge(&cell.counts);
        by_osname
            .entry(cell.osname.clone())
            .or_default()
            .merge(&cell.counts);
        total.merge(&cell.counts);
        let mut row = counts_json(&cell.counts);
        row["perl"] = json!(cell.perl);
        row["osname"] = json!(cell.osname);
        rows.push(row);
    }
    let map = |m: &BTreeMap<String, Counts>| -> Value {
        m.iter()
            .map(|(k, c)| (k.clone(), counts_json(c)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    Json(json!({
        "dist": dist,
        "version": version,
        "perls": perls,
        "osnames": by_osname.keys().collect::<Vec<_>>(),
        "cells": rows,
        "by_perl": map(&by_perl),
        "by_osname": map(&by_osname),
        "totals": counts_json(&total),
        "legacy_totals": total.legacy(),
    }))
    .into_response()
}

async fn own_summary(state: ServerState, dist: String, version: Option<String>) -> Response {
    let (d, v) = (dist.clone(), version.clone());
    let result = with_store(&state, move |conn| {
        read::dist_summary(conn, &d, v.as_deref()).map_err(|e| e.to_string())
    })
    .await;
    match result {
        Ok(Some(summary)) => Json(summary).into_response(),
        Ok(None) => api_error(
            StatusCode::NOT_FOUND,
            match version {
                Some(v) => format!("no reports for {dist} {v}"),
                None => format!("no reports for {dist}"),
            },
        ),
        Err(response) => response,
    }
}

/// `GET /api/v1/testers/summary/{dist}`.
async fn own_summary_dist(State(state): State<ServerState>, Path(dist): Path<String>) -> Response {
    own_summary(state, dist, None).await
}

/// `GET /api/v1/testers/summary/{dist}/{version}`.
async fn own_summary_version(
    State(state): State<ServerState>,
    Path((dist, version)): Path<(String, String)>,
) -> Response {
    own_summary(state, dist, Some(version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(percent_decode("5.42.0+RC1"), "5.42.0 RC1");
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        let pairs = query_pairs(Some("perl=5.42.0&perl=5.43.9&osname=linux&flag"));
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[1], ("perl".into(), "5.43.9".into()));
        assert_eq!(pairs[3], ("flag".into(), String::new()));
    }
}
