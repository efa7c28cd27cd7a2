//! The read side of the JSON API under `/api/v1/`: packages, distributions and their releases,
//! authors, permissions, uploads and their indexing reports.  Errors are JSON too:
//! `{"error": "..."}` with a 404 (or 400, 500).
//!
//! Package and permission lookups answer from the in-memory index snapshot
//! ([`crate::metadb::Snapshot`]); the rest reads the store on the blocking pool through a small
//! pool of read-only connections ([`StorePool`]), which WAL lets run beside the indexer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cpan_distname::DistnameInfo;
use riverpan_store::{Store, StoreError, UploadRecord};
use serde_json::{json, Value};

use crate::ServerState;

/// How many idle read connections the pool keeps; more may be open while requests run.
const IDLE_CONNECTIONS: usize = 4;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/packages/{name}", get(package))
        .route("/api/v1/distributions/{name}", get(distribution))
        .route("/api/v1/authors/{id}", get(author))
        .route("/api/v1/permissions/{package}", get(permissions))
        .route("/api/v1/uploads/{id}", get(upload))
        .route("/api/v1/reports/{id}", get(report))
}

/// Read connections to the store, opened on demand and reused: opening one runs the schema
/// checks, which is too slow to do per request.
#[derive(Clone)]
pub(crate) struct StorePool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    data_dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl StorePool {
    /// A pool for the store in `data_dir` (nothing is opened yet).
    pub(crate) fn new(data_dir: PathBuf) -> StorePool {
        StorePool {
            inner: Arc::new(PoolInner {
                data_dir,
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Runs `read` with a connection; blocks, so call it on the blocking pool.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let store = match taken {
            Some(store) => store,
            None => Store::open(&self.inner.data_dir)?,
        };
        let result = read(&store);
        // A connection whose read failed may be broken: drop it rather than hand it out again.
        if result.is_ok() {
            let mut idle = self
                .inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(store);
            }
        }
        result
    }

    /// Runs `read` on the blocking pool; the error is why it failed, for a 500.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let pool = self.clone();
        match tokio::task::spawn_blocking(move || pool.with(read)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(error.to_string()),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// `{"error": message}` with `status`.
pub(crate) fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// A 500 for a failure of the store or of the blocking pool, logged.
pub(crate) fn internal_error(reason: &str) -> Response {
    tracing::error!(%reason, "request failed");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal server error: {reason}"),
    )
}

/// A JSON answer with `Cache-Control: no-cache` (the index changes with every upload).
fn json_ok(value: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(value)).into_response()
}

/// `2026-09-27T13:54:24Z` for a Unix time in seconds.
pub(crate) fn rfc3339(seconds: i64) -> String {
    // Store times are never before 1970.
    riverpan_testers::ingest::rfc3339(seconds.max(0).unsigned_abs())
}

/// The API's name for an upload's state: `stored` means waiting in the indexing queue.
fn state_name(state: &str) -> &str {
    match state {
        "stored" => "queued",
        other => other,
    }
}

/// The CPAN::DistnameInfo view of a path below `authors/id/`.
fn distname(path: &str) -> DistnameInfo {
    DistnameInfo::new(&format!("authors/id/{path}"))
}

/// A release (one uploaded file) as the API shows it.
fn release_json(upload: &UploadRecord, provides: &[(Box<str>, Box<str>)]) -> Value {
    let info = distname(&upload.path);
    json!({
        "upload_id": upload.id,
        "distfile": upload.path,
        "download_url": format!("/authors/id/{}", upload.path),
        "distribution": info.dist(),
        "version": info.version(),
        "maturity": info.maturity(),
        "author": upload.userid,
        "size": upload.size,
        "sha256": upload.sha256,
        "uploaded_at": rfc3339(upload.uploaded_at),
        "state": state_name(&upload.state),
        "packages": provides
            .iter()
            .map(|(package, version)| json!({ "package": package, "version": version }))
            .collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/packages/{name}`: where the index points the package (exact case).
async fn package(State(state): State<ServerState>, Path(name): Path<String>) -> Response {
    let snapshot = match state.inner.snapshot.get().await {
        Ok(snapshot) => snapshot,
        Err(reason) => return crate::metadb::unavailable(&reason),
    };
    let Some((entry, dist)) = snapshot.package(&name) else {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("package {name} is not indexed"),
        );
    };
    let (version, distfile) = (entry.version.to_string(), dist.path.to_string());
    let lookup = name.clone();
    let details = state
        .inner
        .readers
        .read(move |store| {
            let reader = store.reader();
            let lc: BTreeSet<String> = [lookup.to_lowercase()].into();
            let file = reader
                .packages_named(&lc)?
                .into_iter()
                .find(|row| row.package == lookup)
                .map(|row| row.file);
            let history = reader.package_history(&lookup)?;
            let permissions = permission_rows(store, &lookup)?;
            Ok((file, history, permissions))
        })
        .await;
    let (file, history, permissions) = match details {
        Ok(details) => details,
        Err(reason) => return internal_error(&reason),
    };
    let info = distname(&distfile);
    json_ok(json!({
        "package": name,
        "version": version,
        "distfile": distfile,
        "download_url": format!("/authors/id/{distfile}"),
        "distribution": info.dist(),
        "author": info.cpanid(),
        "file": file,
        "permissions": permissions
            .iter()
            .filter(|(package, _, _)| *package == name)
            .map(|(_, userid, permission)| json!({ "userid": userid, "permission": permission }))
            .collect::<Vec<_>>(),
        "history": history
            .iter()
            .map(|(version, distfile)| json!({ "version": version, "distfile": distfile }))
            .collect::<Vec<_>>(),
    }))
}

/// Who holds which permission on `package` (any case), best permission per person as 06perms
/// shows it: (package as stored, userid, `f` or `c`).
fn permission_rows(
    store: &Store,
    package: &str,
) -> Result<Vec<(String, String, &'static str)>, StoreError> {
    let names: BTreeSet<String> = [package.to_lowercase()].into();
    let reader = store.reader();
    let mut best: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    for row in reader.permissions_named(&names, true)? {
        best.insert((row.package, row.userid), "f");
    }
    for row in reader.permissions_named(&names, false)? {
        best.entry((row.package, row.userid)).or_insert("c");
    }
    Ok(best
        .into_iter()
        .map(|((package, userid), permission)| (package, userid, permission))
        .collect())
}

/// `GET /api/v1/permissions/{package}`: 06perms rows of the package (case-insensitively, as
/// PAUSE checks permissions).
async fn permissions(State(state): State<ServerState>, Path(package): Path<String>) -> Response {
    let lookup = package.clone();
    let rows = match state
        .inner
        .readers
        .read(move |store| permission_rows(store, &lookup))
        .await
    {
        Ok(rows) => rows,
        Err(reason) => return internal_error(&reason),
    };
    if rows.is_empty() {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("nobody has permissions on {package}"),
        );
    }
    json_ok(json!({
        "package": package,
        "permissions": rows
            .iter()
            .map(|(package, userid, permission)| {
                json!({ "package": package, "userid": userid, "permission": permission })
            })
            .collect::<Vec<_>>(),
    }))
}

/// `GET /api/v1/distributions/{name}`: every release of the distribution, newest first.
async fn distribution(State(state): State<ServerState>, Path(name): Path<String>) -> Response {
    let prefix = format!("{name}-");
    let uploads = match state
        .inner
        .readers
        .read(move |store| {
            let mut uploads = store.reader().uploads()?;
            // A cheap test on the file name first: parsing every name would be the cost.
            uploads.retain(|upload| {
                let file = upload.path.rsplit('/').next().unwrap_or_default();
                file.starts_with(&prefix)
            });
            Ok(uploads)
        })
        .await
    {
        Ok(uploads) => uploads,
        Err(reason) => return internal_error(&reason),
    };
    let mut releases: Vec<&UploadRecord> = uploads
        .iter()
        .filter(|upload| distname(&upload.path).dist() == Some(name.as_str()))
        .collect();
    if releases.is_empty() {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("no release of the distribution {name}"),
        );
    }
    releases.sort_by_key(|upload| std::cmp::Reverse(upload.id));
    let snapshot = state.inner.snapshot.peek();
    let provides = |path: &str| -> Vec<(Box<str>, Box<str>)> {
        snapshot
            .as_ref()
            .map(|snapshot| snapshot.provides(path).to_vec())
            .unwrap_or_default()
    };
    let releases: Vec<Value> = releases
        .iter()
        .map(|upload| release_json(upload, &provides(&upload.path)))
        .collect();
    json_ok(json!({
        "distribution": name,
        "latest": releases.first(),
        "releases": releases,
    }))
}

/// `GET /api/v1/authors/{id}`: the author, their distributions and their permissions.
async fn author(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    let userid = id.to_uppercase();
    let lookup = userid.clone();
    let found = state
        .inner
        .readers
        .read(move |store| {
            let reader = store.reader();
            let Some(author) = reader.author(&lookup)? else {
                return Ok(None);
            };
            let mut uploads = reader.uploads()?;
            uploads.retain(|upload| upload.userid == lookup);
            Ok(Some((author, uploads)))
        })
        .await;
    let (author, uploads) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            return json_error(StatusCode::NOT_FOUND, format!("no author {userid}"));
        }
        Err(reason) => return internal_error(&reason),
    };
    // Newest release of each distribution, by upload order.
    let mut distributions: BTreeMap<String, (&UploadRecord, usize)> = BTreeMap::new();
    for upload in &uploads {
        let Some(dist) = distname(&upload.path).dist().map(str::to_owned) else {
            continue;
        };
        let slot = distributions.entry(dist).or_insert((upload, 0));
        slot.1 += 1;
        if upload.id > slot.0.id {
            slot.0 = upload;
        }
    }
    let permissions: Vec<Value> = state
        .inner
        .snapshot
        .peek()
        .and_then(|snapshot| {
            snapshot
                .permissions_by_author
                .get(userid.as_str())
                .map(|list| {
                    list.iter()
                        .map(|(package, permission)| {
                            json!({ "package": package, "permission": permission.letter() })
                        })
                        .collect()
                })
        })
        .unwrap_or_default();
    json_ok(json!({
        "userid": author.userid,
        "fullname": author.fullname,
        "email": author.email,
        "distributions": distributions
            .iter()
            .map(|(name, (latest, count))| {
                json!({
                    "distribution": name,
                    "releases": count,
                    "latest_version": distname(&latest.path).version(),
                    "latest_distfile": latest.path,
                })
            })
            .collect::<Vec<_>>(),
        "permissions": permissions,
    }))
}

/// The report of an upload as JSON (`json` is the indexer's structured report, parsed).
fn report_json(report: &riverpan_store::ReportRecord) -> Value {
    json!({
        "upload_id": report.upload_id,
        "policy": report.policy,
        "status": report.status,
        "subject": report.subject,
        "text": report.text,
        "json": serde_json::from_str::<Value>(&report.json).unwrap_or(Value::Null),
    })
}

/// Parses an upload id; the error is the 400's message.
fn parse_id(id: &str) -> Result<i64, String> {
    id.parse::<i64>()
        .map_err(|_| format!("{id:?} is not an upload id (a number)"))
}

/// `GET /api/v1/uploads/{id}`: an upload, its place in the indexing queue and its report.
async fn upload(State(state): State<ServerState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, message),
    };
    let found = state
        .inner
        .readers
        .read(move |store| {
            let reader = store.reader();
            let Some(upload) = reader.upload_by_id(id)? else {
                return Ok(None);
            };
            let report = reader.report(id)?;
            let ahead = if upload.state == "stored" {
                Some(
                    reader
                        .queued_uploads()?
                        .iter()
                        .filter(|queued| queued.id < id)
                        .count(),
                )
            } else {
                None
            };
            Ok(Some((upload, report, ahead)))
        })
        .await;
    let (upload, report, ahead) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, format!("no upload {id}")),
        Err(reason) => return internal_error(&reason),
    };
    let provides = state
        .inner
        .snapshot
        .peek()
        .map(|snapshot| snapshot.provides(&upload.path).to_vec())
        .unwrap_or_default();
    let mut value = release_json(&upload, &provides);
    if let Value::Object(map) = &mut value {
        map.insert("id".into(), json!(upload.id));
        map.insert("queue_position".into(), json!(ahead));
        map.insert(
            "report".into(),
            report.as_ref().map_or(Value::Null, report_json),
        );
    }
    json_ok(value)
}

/// `GET /api/v1/reports/{id}`: the indexing report of upload `id`, as JSON, or as the text
/// PAUSE mails when the client asks for `text/plain` first.
async fn report(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, message),
    };
    let found = state
        .inner
        .readers
        .read(move |store| store.reader().report(id))
        .await;
    let report = match found {
        Ok(Some(report)) => report,
        Ok(None) => {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("no report for upload {id} (unknown, or still queued)"),
            )
        }
        Err(reason) => return internal_error(&reason),
    };
    let wants_text = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.trim_start().starts_with("text/plain"));
    if wants_text {
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            report.text,
        )
            .into_response();
    }
    json_ok(report_json(&report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_790_430_864), "2026-09-26T13:54:24Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
