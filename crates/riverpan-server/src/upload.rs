//! The upload endpoints (`pause.md` §1.1, §1.2) and what the write side's handlers share:
//! authentication with rate limiting, and error answers in PAUSE's HTML or the token API's JSON.
//!
//! * `POST /pause/authenquery` — CPAN::Uploader's `multipart/form-data` form (parts in any order:
//!   `HIDDENNAME`, `CAN_MULTIPART`, `pause99_add_uri_httpupload` = the file,
//!   `SUBMIT_pause99_add_uri_httpupload`, `pause99_add_uri_subdirtext`, …) with HTTP Basic auth
//!   (password or token). Answers like PAUSE: 200 HTML "Query succeeded", 409 for a file name
//!   used before, 401 with `WWW-Authenticate: Basic realm="PAUSE"`, 403, 413 over the size limit.
//! * `POST /api/upload` — the token API: `Authorization: Bearer PAUSEID:TOKENID:SECRET` (Basic
//!   works too), multipart with a `file` part (optional `subdir`), or the raw archive as the body
//!   with `?filename=NAME`. Answers JSON: 201 `{"result","upload_id","path","status_url"}`,
//!   errors `{"error": "…"}`.
//!
//! Both store the file with [`riverpan_repository::Repository::store_upload`] (queued, state
//! `stored`) and return at once; the worker ([`crate::queue`]) indexes it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use riverpan_repository::{QueuedUpload, RepositoryError};
use riverpan_store::StoreError;

use crate::auth::{self, CheckError, Credentials, Principal, Refusal};
use crate::queue::{now_seconds, WriteSide};
use crate::ServerState;

/// Bytes a multipart body may carry beyond the file itself (boundaries, part headers, the
/// small form fields).
const FORM_OVERHEAD: u64 = 1 << 20;
/// Largest non-file form field.
const MAX_FIELD_BYTES: usize = 64 << 10;
/// Most parts a form may have (CPAN::Uploader sends 6).
const MAX_PARTS: usize = 32;

/// The write side's routes: uploads here, deletions in [`crate::deletion`].
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/pause/authenquery", post(pause_authenquery))
        .route("/api/upload", post(api_upload))
        .merge(crate::deletion::routes())
        // The size limit is enforced by the handlers while the body streams in, with the
        // configured maximum; axum's default 2 MB limit would refuse real distributions.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// How an error is rendered: PAUSE's HTML page or the token API's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Html,
    Json,
}

/// A refusal or failure, rendered in the endpoint's flavor.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) flavor: Flavor,
    pub(crate) retry_after: Option<Duration>,
}

impl Answer {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>, flavor: Flavor) -> Answer {
        Answer {
            status,
            message: message.into(),
            flavor,
            retry_after: None,
        }
    }

    /// A 500 whose details go to the log, not to the client.
    pub(crate) fn internal(error: impl std::fmt::Display, flavor: Flavor) -> Answer {
        tracing::error!(%error, "write request failed");
        Answer::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            flavor,
        )
    }

    /// The answer for a repository error while storing or deleting.
    pub(crate) fn from_repository(error: RepositoryError, flavor: Flavor) -> Answer {
        match error {
            RepositoryError::Store(StoreError::FileExists(path)) => Answer::new(
                StatusCode::CONFLICT,
                format!(
                    "Duplicated: {path} was uploaded before. PAUSE doesn't let you upload a \
                     file twice (not even after deleting it): upload a new version."
                ),
                flavor,
            ),
            RepositoryError::UnknownAuthor(userid) => Answer::new(
                StatusCode::FORBIDDEN,
                format!("{userid} is not a registered author"),
                flavor,
            ),
            RepositoryError::BadUserid(_) | RepositoryError::BadFileName(_) => {
                Answer::new(StatusCode::BAD_REQUEST, error.to_string(), flavor)
            }
            RepositoryError::Refused(_) => {
                Answer::new(StatusCode::FORBIDDEN, error.to_string(), flavor)
            }
            RepositoryError::NoSuchUpload(_) => {
                Answer::new(StatusCode::NOT_FOUND, error.to_string(), flavor)
            }
            other => Answer::internal(other, flavor),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match self.flavor {
            Flavor::Json => (
                self.status,
                axum::Json(serde_json::json!({ "error": self.message })),
            )
                .into_response(),
            Flavor::Html => (
                self.status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html_page(
                    self.status.canonical_reason().unwrap_or("Error"),
                    &format!("<p class=\"error\">{}</p>", escape_html(&self.message)),
                ),
            )
                .into_response(),
        };
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"PAUSE\""),
            );
        }
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up: a client retrying at once would be refused again.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>PAUSE: {}</title></head>\n\
         <body>\n<h2>{}</h2>\n{body}\n</body></html>\n",
        escape_html(title),
        escape_html(title)
    )
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The write side, or 503 when this server was started read-only.
pub(crate) fn write_side(state: &ServerState, flavor: Flavor) -> Result<Arc<WriteSide>, Answer> {
    state.writes().cloned().ok_or_else(|| {
        Answer::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "uploads are not enabled on this server",
            flavor,
        )
    })
}

/// The client's address, when the server was started with connection info.
pub(crate) fn peer_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Authenticates a request from its `Authorization` header, with the failure rate limit.
pub(crate) async fn authenticate(
    side: &Arc<WriteSide>,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    flavor: Flavor,
) -> Result<Principal, Answer> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(auth::parse_authorization);
    let Some(credentials) = credentials else {
        return Err(Answer::new(
            StatusCode::UNAUTHORIZED,
            "Authorization required: HTTP Basic (PAUSE id and password or token) or \
             Bearer PAUSEID:TOKENID:SECRET",
            flavor,
        ));
    };
    let claimed_user = match &credentials {
        Credentials::Basic { userid, .. } => userid.clone(),
        Credentials::Bearer(text) => match text.split(':').collect::<Vec<_>>().as_slice() {
            [userid, _, _] => userid.to_ascii_uppercase(),
            _ => String::new(),
        },
    };
    let user_key = format!("user:{claimed_user}");
    let keys = vec![
        format!(
            "ip:{}",
            peer.map_or_else(|| "unknown".into(), |ip| ip.to_string())
        ),
        user_key.clone(),
    ];
    if let Some(wait) = side.limiter.blocked(&keys) {
        let mut answer = Answer::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed logins: try again later",
            flavor,
        );
        answer.retry_after = Some(wait);
        return Err(answer);
    }
    let check_side = Arc::clone(side);
    let outcome = tokio::task::spawn_blocking(move || {
        let store = check_side.open_store()?;
        auth::check_credentials(&store, &credentials, now_seconds())
    })
    .await
    .map_err(|error| Answer::internal(error, flavor))?;
    match outcome {
        Ok(principal) => {
            side.limiter.record_success(&user_key);
            Ok(principal)
        }
        Err(CheckError::Refused(refusal)) => {
            side.limiter.record_failure(&keys);
            let Refusal::Invalid(why) = refusal;
            let message = format!("Authorization failed: {why}");
            tracing::info!(user = %claimed_user, ?peer, %message, "login refused");
            Err(Answer::new(StatusCode::UNAUTHORIZED, message, flavor))
        }
        Err(CheckError::Store(error)) => Err(Answer::internal(error, flavor)),
    }
}

/// Refuses client file names that could leave the author's directory or hide a file: only
/// PAUSE's characters (`[A-Za-z0-9_.@+-]`), no leading dot. Clients send the base name.
fn check_client_file_name(name: &str, flavor: Flavor) -> Result<(), Answer> {
    let refuse = |why: &str| {
        Err(Answer::new(
            StatusCode::BAD_REQUEST,
            format!("Refused file name {name:?}: {why}"),
            flavor,
        ))
    };
    if name.is_empty() {
        return refuse("the file part has no file name");
    }
    if name.contains('/') || name.contains('\\') || name.contains(':') {
        return refuse("a file name must not contain a path (/, \\ or :)");
    }
    if name.starts_with('.') {
        return refuse("a file name must not start with a dot");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-.@+".contains(&b))
    {
        return refuse("only letters, digits and _ - . @ + are allowed");
    }
    if name.len() > 200 {
        return refuse("the name is too long");
    }
    Ok(())
}

/// What an upload form carried.
#[derive(Default)]
pub(crate) struct UploadForm {
    file_name: Option<String>,
    bytes: Option<Vec<u8>>,
    hidden_name: Option<String>,
    subdir: Option<String>,
    url: Option<String>,
    /// The web form's CSRF token (`csrf`), checked by the web handler.
    pub(crate) csrf: Option<String>,
}

fn too_large(max: u64, flavor: Flavor) -> Answer {
    Answer::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The upload is larger than this server's limit of {max} bytes"),
        flavor,
    )
}

/// Refuses a body whose declared length is already over the limit, before reading it.
pub(crate) fn check_content_length(
    headers: &HeaderMap,
    max: u64,
    flavor: Flavor,
) -> Result<(), Answer> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match declared {
        Some(length) if length > max.saturating_add(FORM_OVERHEAD) => Err(too_large(max, flavor)),
        _ => Ok(()),
    }
}

/// Reads the multipart form, keeping the file part (`file_field`) up to `max` bytes; the limit
/// is checked chunk by chunk, so an oversized body is refused without being read to the end.
pub(crate) async fn read_form(
    request: Request,
    file_field: &[&str],
    max: u64,
    flavor: Flavor,
) -> Result<UploadForm, Answer> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| {
            Answer::new(
                StatusCode::BAD_REQUEST,
                format!("expected a multipart/form-data upload: {rejection}"),
                flavor,
            )
        })?;
    let bad_form = |error: axum::extract::multipart::MultipartError| {
        Answer::new(
            StatusCode::BAD_REQUEST,
            format!("malformed multipart body: {error}"),
            flavor,
        )
    };
    let mut form = UploadForm::default();
    let mut parts = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(Answer::new(
                StatusCode::BAD_REQUEST,
                "too many form fields",
                flavor,
            ));
        }
        let name = field.name().unwrap_or_default().to_string();
        if file_field.contains(&name.as_str()) && field.file_name().is_some() {
            form.file_name = field.file_name().map(str::to_string);
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                if (bytes.len() + chunk.len()) as u64 > max {
                    return Err(too_large(max, flavor));
                }
                bytes.extend_from_slice(&chunk);
            }
            form.bytes = Some(bytes);
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
            if value.len() + chunk.len() > MAX_FIELD_BYTES {
                return Err(Answer::new(
                    StatusCode::BAD_REQUEST,
                    format!("form field {name:?} is too long"),
                    flavor,
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8_lossy(&value).trim().to_string();
        match name.as_str() {
            "HIDDENNAME" => form.hidden_name = Some(value),
            "pause99_add_uri_subdirtext" | "subdir" => form.subdir = Some(value),
            "pause99_add_uri_uri" => form.url = Some(value),
            "csrf" => form.csrf = Some(value),
            // CAN_MULTIPART, SUBMIT_*, pause99_add_uri_upload (the legacy base name, ignored
            // by PAUSE when the file part is present) and anything else.
            _ => {}
        }
    }
    Ok(form)
}

/// Checks who may upload what, then stores the file in the queue.
pub(crate) async fn store(
    side: &Arc<WriteSide>,
    principal: &Principal,
    form: UploadForm,
    flavor: Flavor,
) -> Result<QueuedUpload, Answer> {
    if form.url.as_deref().is_some_and(|url| !url.is_empty()) && form.bytes.is_none() {
        return Err(Answer::new(
            StatusCode::BAD_REQUEST,
            "Uploads from a URL are not supported here: upload the file itself",
            flavor,
        ));
    }
    let (Some(file_name), Some(bytes)) = (form.file_name, form.bytes) else {
        return Err(Answer::new(
            StatusCode::BAD_REQUEST,
            "No file: send the archive as the file part of the form",
            flavor,
        ));
    };
    check_client_file_name(&file_name, flavor)?;
    if bytes.is_empty() {
        return Err(Answer::new(StatusCode::BAD_REQUEST, "Empty file", flavor));
    }
    if form
        .subdir
        .as_deref()
        .is_some_and(|subdir| !subdir.is_empty())
    {
        return Err(Answer::new(
            StatusCode::BAD_REQUEST,
            "Uploads into subdirectories are not supported here: upload without a directory",
            flavor,
        ));
    }
    let target = match form.hidden_name.as_deref().map(str::trim) {
        Some(hidden) if !hidden.is_empty() => hidden.to_ascii_uppercase(),
        _ => principal.userid.clone(),
    };
    if target != principal.userid && !principal.is_admin {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} may not upload as {target}: only administrators upload for other authors",
                principal.userid
            ),
            flavor,
        ));
    }
    riverpan_repository::check_userid(&target)
        .map_err(|error| Answer::from_repository(error, flavor))?;
    let path = format!("{}/{file_name}", riverpan_repository::author_dir(&target));
    check_scope(principal, &path, flavor)?;
    let store_side = Arc::clone(side);
    let queued = tokio::task::spawn_blocking(move || {
        store_side
            .repository()
            .store_upload(&target, &file_name, &bytes)
    })
    .await
    .map_err(|error| Answer::internal(error, flavor))?
    .map_err(|error| Answer::from_repository(error, flavor))?;
    tracing::info!(
        upload_id = queued.upload_id,
        path = %queued.path,
        by = %principal.userid,
        token = principal.token_id.as_deref().unwrap_or("-"),
        "upload stored and queued"
    );
    side.notify();
    Ok(queued)
}

/// A scoped token may only touch distributions whose main package is in its scope.
pub(crate) fn check_scope(principal: &Principal, path: &str, flavor: Flavor) -> Result<(), Answer> {
    if principal.scope == auth::TokenScope::Upload {
        return Ok(());
    }
    let main = riverpan_repository::main_package(path);
    match main {
        Some(package) if principal.scope.allows_package(&package) => Ok(()),
        Some(package) => Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!(
                "Invalid scope: this token ({}) does not cover {package}, the main package of {}",
                principal.scope,
                path.rsplit('/').next().unwrap_or(path)
            ),
            flavor,
        )),
        None => Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!(
                "Invalid scope: this token ({}) only covers distributions, and {} is not one",
                principal.scope,
                path.rsplit('/').next().unwrap_or(path)
            ),
            flavor,
        )),
    }
}

fn status_url(upload_id: i64) -> String {
    format!("/api/v1/uploads/{upload_id}")
}

async fn pause_authenquery(State(state): State<ServerState>, request: Request) -> Response {
    match pause_upload(state, request).await {
        Ok(response) | Err(response) => response,
    }
}

async fn pause_upload(state: ServerState, request: Request) -> Result<Response, Response> {
    let flavor = Flavor::Html;
    let side = write_side(&state, flavor).map_err(IntoResponse::into_response)?;
    let peer = peer_ip(&request);
    let principal = authenticate(&side, request.headers(), peer, flavor)
        .await
        .map_err(IntoResponse::into_response)?;
    let max = side.options.max_upload_size;
    check_content_length(request.headers(), max, flavor).map_err(IntoResponse::into_response)?;
    let form = read_form(request, &["pause99_add_uri_httpupload"], max, flavor)
        .await
        .map_err(IntoResponse::into_response)?;
    let queued = store(&side, &principal, form, flavor)
        .await
        .map_err(IntoResponse::into_response)?;
    let mut body = format!(
        "<p>Query succeeded. Thank you for your contribution</p>\n\
         <p>File successfully copied to '$CPAN/authors/id/{}'</p>\n\
         <p>It is queued for indexing as upload {}; its status and the indexer's report are at \
         <a href=\"{url}\">{url}</a>.</p>",
        escape_html(&queued.path),
        queued.upload_id,
        url = status_url(queued.upload_id)
    );
    if let Some(warning) = &queued.precheck_warning {
        body.push_str(&format!(
            "\n<p class=\"warning\">Warning: {}</p>",
            escape_html(warning)
        ));
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html_page("add_uri", &body),
    )
        .into_response())
}

async fn api_upload(State(state): State<ServerState>, request: Request) -> Response {
    match token_upload(state, request).await {
        Ok(response) => response,
        Err(answer) => answer.into_response(),
    }
}

async fn token_upload(state: ServerState, request: Request) -> Result<Response, Answer> {
    let flavor = Flavor::Json;
    let side = write_side(&state, flavor)?;
    let peer = peer_ip(&request);
    let principal = authenticate(&side, request.headers(), peer, flavor).await?;
    let max = side.options.max_upload_size;
    check_content_length(request.headers(), max, flavor)?;
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let form = if is_multipart {
        read_form(
            request,
            &["file", "pause99_add_uri_httpupload"],
            max,
            flavor,
        )
        .await?
    } else {
        let query = request.uri().query().unwrap_or_default().to_string();
        let file_name = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "filename")
            .map(|(_, value)| percent_decode(value));
        let Some(file_name) = file_name else {
            return Err(Answer::new(
                StatusCode::BAD_REQUEST,
                "send multipart/form-data with a `file` part, or the archive as the body with \
                 ?filename=NAME",
                flavor,
            ));
        };
        let body = axum::body::to_bytes(
            request.into_body(),
            usize::try_from(max).unwrap_or(usize::MAX),
        )
        .await
        .map_err(|_| too_large(max, flavor))?;
        UploadForm {
            file_name: Some(file_name),
            bytes: Some(body.to_vec()),
            ..UploadForm::default()
        }
    };
    let queued = store(&side, &principal, form, flavor).await?;
    let mut answer = serde_json::json!({
        "result": "Upload succeeded",
        "upload_id": queued.upload_id,
        "path": queued.path,
        "status_url": status_url(queued.upload_id),
    });
    if let Some(warning) = queued.precheck_warning {
        answer["warning"] = serde_json::Value::String(warning);
    }
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// Decodes `%XX` and `+` in a query value (invalid escapes are kept as they are).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_file_names_are_checked() {
        for good in ["Foo-Bar-1.0.tar.gz", "a+b@c_d.zip"] {
            assert!(check_client_file_name(good, Flavor::Json).is_ok(), "{good}");
        }
        for bad in [
            "../../etc/passwd",
            "..\\x.tar.gz",
            ".hidden.tar.gz",
            "C:x.tar.gz",
            "a b.tar.gz",
            "",
        ] {
            assert!(check_client_file_name(bad, Flavor::Json).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_values_decode() {
        assert_eq!(percent_decode("Foo-1.0.tar.gz"), "Foo-1.0.tar.gz");
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("x+y"), "x y");
    }
}
