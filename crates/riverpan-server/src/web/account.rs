//! Signing in and out, and the signed-in author's pages.
//!
//! | route | answer |
//! |---|---|
//! | `GET /signin` | the form (sets the double-submit cookie); `303 /account` when signed in |
//! | `POST /signin` | `userid`, `password`, `csrf` → session cookie, `303 /account`; `401` wrong, `429` rate-limited, `403` bad token |
//! | `POST /signout` | `csrf` → session removed, `303 /` |
//! | `GET /account` | upload form, uploads with state and report, tokens, deletions; `303 /signin` when signed out |
//! | `POST /account/upload` | multipart `file`, `csrf` → stored and queued as `POST /pause/authenquery` does, `303 /account/uploads/{id}`; its refusals with their status |
//! | `GET /account/uploads/{id}` | one upload of the author: state, queue position, indexer report |
//! | `POST /account/tokens` | `scope`, `expires` (`90d`, empty: never), `description`, `csrf` → `303 /account`, the secret shown once there |
//! | `POST /account/tokens/{id}/revoke` | `csrf` → `303 /account` |
//! | `POST /account/deletions` | `path`, `csrf` → deletion scheduled, `303 /account` |
//! | `POST /account/deletions/{id}/cancel` | `csrf` → deletion cancelled, `303 /account` |
//!
//! Every POST needs a live session (else `403`) and its CSRF token in the `csrf` field (else
//! `403`). Accounts belong to the write side: without it these pages answer `503`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use riverpan_web::account::{self as pages, AccountView, SignInView, UploadView};
use riverpan_web::layout::{error_page, Viewer};
use riverpan_web::Markup;

use super::session::{self, Session, SESSION_COOKIE, SIGNIN_COOKIE};
use crate::api::rfc3339;
use crate::auth::{self, CheckError, Credentials, Principal, TokenScope};
use crate::queue::{now_seconds, WriteSide};
use crate::upload::{self, Flavor};
use crate::ServerState;

/// Largest urlencoded form body (the forms here are a few fields).
const MAX_FORM_BYTES: usize = 64 << 10;
/// Most uploads listed on the account page.
const MAX_LISTED_UPLOADS: i64 = 500;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/signin", get(sign_in_form).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/account", get(account))
        .route(
            "/account/upload",
            // The upload limit is enforced while the body streams in, as for the PAUSE form.
            post(upload_form).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/account/uploads/{id}", get(upload_page))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/account/deletions", post(schedule_deletion))
        .route("/account/deletions/{id}/cancel", post(cancel_deletion))
}

/// What the next `GET /account` of a session shows once: the outcome of its last POST.
#[derive(Debug, Default, Clone)]
pub(crate) struct Flash {
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) new_token: Option<String>,
}

/// One-time messages per session (by the session's hashed id), kept in memory only: a token
/// secret must never reach the disk.
#[derive(Default)]
pub(crate) struct Flashes {
    by_session: Mutex<HashMap<String, Flash>>,
}

impl Flashes {
    pub(crate) fn put(&self, session: &Session, flash: Flash) {
        let mut map = self
            .by_session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Abandoned messages must not pile up; losing a notice is harmless.
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(session.id_sha256.clone(), flash);
    }

    pub(crate) fn take(&self, session: &Session) -> Flash {
        self.by_session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&session.id_sha256)
            .unwrap_or_default()
    }
}

/// An HTML answer that no cache may keep (these pages are per person).
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

pub(crate) fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store"),
        ],
    )
        .into_response()
}

pub(crate) fn error(status: StatusCode, message: &str, viewer: &Viewer) -> Response {
    html(status, error_page(status.as_u16(), message, viewer))
}

pub(crate) fn internal(reason: impl std::fmt::Display) -> Response {
    tracing::error!(%reason, "web request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal server error",
        &Viewer::default(),
    )
}

pub(crate) fn viewer_of(session: &Session) -> Viewer {
    Viewer {
        userid: Some(session.userid.clone()),
        csrf_token: Some(session.csrf_token.clone()),
    }
}

/// Runs `work` on the blocking pool; a task that panicked is the `500` page.
pub(crate) async fn on_blocking_pool<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R, Response> {
    tokio::task::spawn_blocking(work).await.map_err(internal)
}

/// Runs `work` on the blocking pool; its failure, like a panic, is the `500` page.
pub(crate) async fn blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Response> {
    on_blocking_pool(work).await?.map_err(internal)
}

/// Keeps `notice` or `error` for the next page of `session`.
pub(crate) fn flash(
    state: &ServerState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
) {
    state.inner.web.flashes.put(
        session,
        Flash {
            notice,
            error,
            ..Flash::default()
        },
    );
}

/// The answer to a form or upload sent without a live session.
fn not_signed_in() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "You are not signed in (or your session expired): sign in and try again.",
        &Viewer::default(),
    )
}

/// The prologue of every account form: its fields, the session its CSRF token belongs to, and
/// the write side (or the answer refusing the request).
pub(crate) async fn signed_form(
    state: &ServerState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(HashMap<String, String>, Session, Arc<WriteSide>), Response> {
    let form = parse_form(body);
    let session = checked_session(state, headers, form.get("csrf").map(String::as_str)).await?;
    let side = write_side(state).ok_or_else(writes_disabled)?;
    Ok((form, session, side))
}

/// The write side, when enabled.
pub(crate) fn write_side(state: &ServerState) -> Option<Arc<WriteSide>> {
    state.writes().cloned()
}

/// The answer while accounts (the write side) are not enabled.
pub(crate) fn writes_disabled() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Accounts and uploads are not enabled on this server.",
        &Viewer::default(),
    )
}

/// The session of the request's cookie, if it is live.
pub(crate) async fn current_session(
    state: &ServerState,
    headers: &HeaderMap,
) -> Result<Option<Session>, Response> {
    let Some(secret) = session::cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let dir = state.data_dir().to_path_buf();
    tokio::task::spawn_blocking(move || session::lookup(&dir, &secret, now_seconds()))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// Who is looking, for the navigation bar of any page (signed out when the session cannot be
/// read).
pub(crate) async fn viewer(state: &ServerState, headers: &HeaderMap) -> Viewer {
    match current_session(state, headers).await {
        Ok(Some(session)) => viewer_of(&session),
        _ => Viewer::default(),
    }
}

/// Parses an `application/x-www-form-urlencoded` body (later duplicates win).
pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (upload::percent_decode(key), upload::percent_decode(value))
        })
        .collect()
}

/// A POST's session with its CSRF token checked: `403` without a session or with a missing or
/// wrong token.
async fn checked_session(
    state: &ServerState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Response> {
    let Some(session) = current_session(state, headers).await? else {
        return Err(not_signed_in());
    };
    if !session::tokens_match(&session.csrf_token, csrf.unwrap_or_default()) {
        tracing::info!(user = %session.userid, "form refused: missing or wrong CSRF token");
        return Err(error(
            StatusCode::FORBIDDEN,
            "This form is out of date or did not come from this site (CSRF token \
             missing or wrong): reload the page and try again.",
            &viewer_of(&session),
        ));
    }
    Ok(session)
}

async fn sign_in_form(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    match current_session(&state, &headers).await {
        Ok(Some(_)) => return see_other("/account"),
        Ok(None) => {}
        Err(response) => return response,
    }
    render_sign_in(&headers, StatusCode::OK, String::new(), None)
}

/// The sign-in form with a fresh double-submit token.
fn render_sign_in(
    headers: &HeaderMap,
    status: StatusCode,
    userid: String,
    error: Option<String>,
) -> Response {
    let token = match session::signin_token() {
        Ok(token) => token,
        Err(reason) => return internal(reason),
    };
    let view = SignInView {
        userid,
        error,
        csrf_token: token.clone(),
    };
    let mut response = html(status, pages::sign_in(&view, &Viewer::default()));
    response.headers_mut().append(
        header::SET_COOKIE,
        session::signin_cookie(&token, session::came_over_https(headers)),
    );
    response
}

async fn sign_in(State(state): State<ServerState>, request: Request) -> Response {
    let Some(side) = write_side(&state) else {
        return writes_disabled();
    };
    let peer = upload::peer_ip(&request);
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Ok(body) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large.",
            &Viewer::default(),
        );
    };
    let form = parse_form(&body);
    let expected = session::cookie(&headers, SIGNIN_COOKIE).unwrap_or_default();
    let given = form.get("csrf").map(String::as_str).unwrap_or_default();
    if !session::tokens_match(&expected, given) {
        return error(
            StatusCode::FORBIDDEN,
            "This sign-in form is out of date or did not come from this site: open the \
             sign-in page again.",
            &Viewer::default(),
        );
    }
    let userid = form
        .get("userid")
        .map(|userid| userid.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    // The same limiter and keys as uploads: failures here and there count together.
    let user_key = format!("user:{userid}");
    let keys = vec![
        format!(
            "ip:{}",
            peer.map_or_else(|| "unknown".into(), |ip| ip.to_string())
        ),
        user_key.clone(),
    ];
    if let Some(wait) = side.limiter.blocked(&keys) {
        let mut response = render_sign_in(
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            userid,
            Some("Too many failed sign-ins: wait a minute and try again.".into()),
        );
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return response;
    }
    let check_side = Arc::clone(&side);
    let credentials = Credentials::Basic {
        userid: userid.clone(),
        password,
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let store = check_side.open_store()?;
        auth::check_credentials(&store, &credentials, now_seconds())
    })
    .await;
    let principal = match outcome {
        // A token is for programs; the web form takes the account's password only.
        Ok(Ok(principal)) if principal.token_id.is_none() => principal,
        Ok(Ok(_)) | Ok(Err(CheckError::Refused(_))) => {
            side.limiter.record_failure(&keys);
            tracing::info!(user = %userid, ?peer, "web sign-in refused");
            // A nologin account is told why (its password was right); anyone else is not.
            let message = match outcome {
                Ok(Err(CheckError::Refused(auth::Refusal::Invalid(why))))
                    if why.contains("nologin") =>
                {
                    why
                }
                _ => "Wrong PAUSE id or password.".into(),
            };
            return render_sign_in(&headers, StatusCode::UNAUTHORIZED, userid, Some(message));
        }
        Ok(Err(CheckError::Store(reason))) => return internal(reason),
        Err(reason) => return internal(reason),
    };
    side.limiter.record_success(&user_key);
    let dir = state.data_dir().to_path_buf();
    let user = principal.userid.clone();
    let secret = match blocking(move || session::create(&dir, &user, now_seconds())).await {
        Ok(secret) => secret,
        Err(response) => return response,
    };
    tracing::info!(user = %principal.userid, ?peer, "web sign-in");
    let secure = session::came_over_https(&headers);
    let mut response = see_other("/account");
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, session::session_cookie(&secret, secure));
    cookies.append(
        header::SET_COOKIE,
        session::set_cookie(SIGNIN_COOKIE, "", std::time::Duration::ZERO, secure),
    );
    response
}

async fn sign_out(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let form = parse_form(&body);
    let session = checked_session(&state, &headers, form.get("csrf").map(String::as_str)).await?;
    let dir = state.data_dir().to_path_buf();
    let id = session.id_sha256.clone();
    blocking(move || session::delete(&dir, &id)).await?;
    Ok(signed_out("/", &headers))
}

/// A redirect to `location` that also ends the session in the browser (its cookie cleared).
pub(crate) fn signed_out(location: &str, headers: &HeaderMap) -> Response {
    let mut response = see_other(location);
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            SESSION_COOKIE,
            "",
            std::time::Duration::ZERO,
            session::came_over_https(headers),
        ),
    );
    response
}

/// The page's session, or a redirect to the sign-in form.
pub(crate) async fn page_session(
    state: &ServerState,
    headers: &HeaderMap,
) -> Result<Session, Response> {
    match current_session(state, headers).await? {
        Some(session) => Ok(session),
        None => Err(see_other("/signin")),
    }
}

/// The state an upload is shown in.
fn upload_state(state: &str, deleted: bool, report_status: Option<&str>) -> String {
    match (deleted, state, report_status) {
        (true, _, _) => "deleted",
        (false, "stored", _) => "queued",
        (false, _, Some(status)) if status != "Ok" => "failed",
        _ => "indexed",
    }
    .to_string()
}

/// The author's uploads, newest first, with report status and deletion.
fn uploads_of(
    data_dir: &std::path::Path,
    userid: &str,
) -> Result<Vec<pages::UploadRow>, session::SessionError> {
    let conn = session::open_store_file(data_dir)?;
    let mut statement = conn.prepare(
        "SELECT u.id, u.path, u.state, u.uploaded_at, u.deleted_at IS NOT NULL, r.status,
                d.id, d.state, d.due_at
         FROM uploads u
         LEFT JOIN reports r ON r.upload_id = u.id
         LEFT JOIN deletions d ON d.id = (
             SELECT max(id) FROM deletions WHERE upload_id = u.id AND state != 'cancelled')
         WHERE u.userid = ?1
         ORDER BY u.id DESC
         LIMIT ?2",
    )?;
    let rows = statement.query_map(
        riverpan_testers::rusqlite::params![userid, MAX_LISTED_UPLOADS],
        |row| {
            let state: String = row.get(2)?;
            let deleted: bool = row.get(4)?;
            let report_status: Option<String> = row.get(5)?;
            let deletion = match row.get::<_, Option<i64>>(6)? {
                Some(id) => Some(pages::DeletionRow {
                    id,
                    state: row.get(7)?,
                    due_at: rfc3339(row.get(8)?),
                }),
                None => None,
            };
            Ok(pages::UploadRow {
                id: row.get(0)?,
                path: row.get(1)?,
                state: upload_state(&state, deleted, report_status.as_deref()),
                uploaded_at: rfc3339(row.get(3)?),
                report_status,
                deletion,
            })
        },
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

async fn account(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let session = page_session(&state, &headers).await?;
    let flash = state.inner.web.flashes.take(&session);
    Ok(account_page(&state, &session, flash, StatusCode::OK).await)
}

/// Renders `/account` for `session` with `flash`, answered with `status`.
async fn account_page(
    state: &ServerState,
    session: &Session,
    flash: Flash,
    status: StatusCode,
) -> Response {
    let Some(side) = write_side(state) else {
        return writes_disabled();
    };
    let dir = state.data_dir().to_path_buf();
    let userid = session.userid.clone();
    let now = now_seconds();
    let lifecycle_side = Arc::clone(&side);
    let loaded = blocking(move || {
        let uploads = uploads_of(&dir, &userid).map_err(|error| error.to_string())?;
        let tokens = riverpan_store::Store::open(&dir)
            .and_then(|store| store.tokens_of(&userid))
            .map_err(|error| error.to_string())?;
        let repository = lifecycle_side.repository();
        let opt_out = repository
            .store()
            .cleanup_opt_out(&userid)
            .map_err(|error| error.to_string())?;
        let may_delete = repository
            .id_deletion_refusal(&userid)
            .map_err(|error| error.to_string())?
            .is_none();
        Ok::<_, String>((uploads, tokens, opt_out, may_delete))
    })
    .await;
    let (uploads, mut tokens, cleanup_opt_out, may_delete_id) = match loaded {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    tokens.sort_by_key(|token| std::cmp::Reverse(token.created_at));
    let view = AccountView {
        userid: session.userid.clone(),
        notice: flash.notice,
        error: flash.error,
        new_token: flash.new_token,
        max_upload_size: side.options.max_upload_size,
        uploads,
        tokens: tokens
            .into_iter()
            .map(|token| pages::TokenRow {
                state: if token.revoked_at.is_some() {
                    "revoked"
                } else if token.expires_at.is_some_and(|expires| expires <= now) {
                    "expired"
                } else {
                    "active"
                }
                .to_string(),
                token_id: token.token_id,
                scope: token.scope,
                description: token.description,
                created_at: rfc3339(token.created_at),
                expires_at: token.expires_at.map(rfc3339),
                last_used_at: token.last_used_at.map(rfc3339),
            })
            .collect(),
        deletion_delay: riverpan_web::status::duration_words(
            side.options.deletion_delay.as_secs_f64(),
        ),
        cleanup_opt_out,
        may_delete_id,
        is_admin: session.is_admin,
    };
    html(status, pages::account(&view, &viewer_of(session)))
}

/// The principal a signed-in author acts as: a password login's full upload scope.
fn principal_of(session: &Session) -> Principal {
    Principal {
        userid: session.userid.clone(),
        is_admin: session.is_admin,
        scope: TokenScope::Upload,
        token_id: None,
    }
}

async fn upload_form(State(state): State<ServerState>, request: Request) -> Response {
    let Some(side) = write_side(&state) else {
        return writes_disabled();
    };
    let headers = request.headers().clone();
    // Refuse strangers before reading a possibly large body.
    let Some(session) = (match current_session(&state, &headers).await {
        Ok(session) => session,
        Err(response) => return response,
    }) else {
        return not_signed_in();
    };
    let max = side.options.max_upload_size;
    let refused = |answer: upload::Answer| {
        let flash = Flash {
            error: Some(answer.message),
            ..Flash::default()
        };
        (answer.status, flash)
    };
    let outcome = async {
        upload::check_content_length(&headers, max, Flavor::Html).map_err(refused)?;
        let form = upload::read_form(request, &["file"], max, Flavor::Html)
            .await
            .map_err(refused)?;
        Ok::<_, (StatusCode, Flash)>(form)
    }
    .await;
    let form = match outcome {
        Ok(form) => form,
        Err((status, flash)) => return account_page(&state, &session, flash, status).await,
    };
    if let Err(response) = checked_session(&state, &headers, form.csrf.as_deref()).await {
        return response;
    }
    match upload::store(&side, &principal_of(&session), form, Flavor::Html).await {
        Ok(queued) => {
            let mut notice = format!(
                "{} stored and queued for indexing as upload {}.",
                queued.path, queued.upload_id
            );
            if let Some(warning) = queued.precheck_warning {
                notice.push_str(&format!(" Warning: {warning}"));
            }
            state.inner.web.flashes.put(
                &session,
                Flash {
                    notice: Some(notice),
                    ..Flash::default()
                },
            );
            see_other(&format!("/account/uploads/{}", queued.upload_id))
        }
        Err(answer) => {
            let (status, flash) = refused(answer);
            account_page(&state, &session, flash, status).await
        }
    }
}

async fn upload_page(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let session = page_session(&state, &headers).await?;
    Ok(upload_page_of(&state, &session, &id).await)
}

/// The page of upload `id` for `session`.
async fn upload_page_of(state: &ServerState, session: &Session, id: &str) -> Response {
    let viewer = viewer_of(session);
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, "No such upload.", &viewer);
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
            let deleted = store.upload_deleted_at(id)?.is_some();
            let deletion = store.pending_deletion(id)?;
            Ok(Some((upload, report, ahead, deleted, deletion)))
        })
        .await;
    let (upload, report, queue_position, deleted, deletion) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return error(StatusCode::NOT_FOUND, "No such upload.", &viewer),
        Err(reason) => return internal(reason),
    };
    // Someone else's upload does not exist, as far as this page is concerned.
    if upload.userid != session.userid && !session.is_admin {
        return error(StatusCode::NOT_FOUND, "No such upload.", &viewer);
    }
    let report_status = report.as_ref().map(|report| report.status.clone());
    let flash = state.inner.web.flashes.take(session);
    let view = UploadView {
        notice: flash.notice.or(flash.error),
        upload: pages::UploadRow {
            id: upload.id,
            state: upload_state(&upload.state, deleted, report_status.as_deref()),
            path: upload.path,
            uploaded_at: rfc3339(upload.uploaded_at),
            report_status,
            deletion: deletion.map(|deletion| pages::DeletionRow {
                id: deletion.id,
                state: deletion.state,
                due_at: rfc3339(deletion.due_at),
            }),
        },
        queue_position,
        report: report.map(|report| pages::ReportView {
            status: report.status,
            subject: report.subject,
            text: report.text,
        }),
    };
    html(StatusCode::OK, pages::upload(&view, &viewer))
}

async fn create_token(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let refuse = |message: String| Flash {
        error: Some(message),
        ..Flash::default()
    };
    let scope = match TokenScope::parse(form.get("scope").map_or("upload", String::as_str)) {
        Ok(scope) => scope,
        Err(reason) => {
            return Ok(account_page(
                &state,
                &session,
                refuse(reason.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await)
        }
    };
    let now = now_seconds();
    let expires_at = match form.get("expires").map(|text| text.trim()) {
        None | Some("") => None,
        Some(text) => match crate::queue::parse_duration(text) {
            Ok(lifetime) => Some(now.saturating_add(lifetime.as_secs() as i64)),
            Err(reason) => {
                return Ok(
                    account_page(&state, &session, refuse(reason), StatusCode::BAD_REQUEST).await,
                )
            }
        },
    };
    let description: String = form
        .get("description")
        .map(|text| text.trim().chars().take(200).collect())
        .unwrap_or_default();
    let token = auth::generate_token(&session.userid, &scope, expires_at, &description, now)
        .map_err(internal)?;
    let record = token.record.clone();
    blocking(move || side.repository().store().insert_token(&record)).await?;
    tracing::info!(user = %session.userid, token = %token.record.token_id, %scope, "token created on the web");
    state.inner.web.flashes.put(
        &session,
        Flash {
            notice: Some(format!("Token {} created.", token.record.token_id)),
            new_token: Some(token.shown),
            ..Flash::default()
        },
    );
    Ok(see_other("/account"))
}

async fn revoke_token(
    State(state): State<ServerState>,
    Path(token_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (_, session, side) = signed_form(&state, &headers, &body).await?;
    let userid = session.userid.clone();
    let is_admin = session.is_admin;
    let wanted = token_id.clone();
    let revoked = blocking(move || {
        let repository = side.repository();
        let store = repository.store();
        match store.token(&wanted)? {
            Some(token) if token.userid == userid || is_admin => {
                store.revoke_token(&wanted, now_seconds()).map(Some)
            }
            _ => Ok(None),
        }
    })
    .await?;
    let notice = match revoked {
        Some(true) => format!("Token {token_id} revoked."),
        Some(false) => format!("Token {token_id} was already revoked."),
        None => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "No such token.",
                &viewer_of(&session),
            ))
        }
    };
    flash(&state, &session, Some(notice), None);
    Ok(see_other("/account"))
}

async fn schedule_deletion(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let path = form.get("path").cloned().unwrap_or_default();
    let principal = principal_of(&session);
    let job_side = Arc::clone(&side);
    let scheduled =
        on_blocking_pool(move || crate::deletion::schedule_blocking(&job_side, &principal, &path))
            .await?;
    Ok(
        deletion_answer(&state, &session, &side, scheduled, |deletion| {
            format!(
                "{} will be deleted at {} (cancel until then).",
                deletion.path,
                rfc3339(deletion.due_at)
            )
        })
        .await,
    )
}

/// The answer to a deletion form: back to the account page with `notice`, or the page with
/// the refusal.
async fn deletion_answer(
    state: &ServerState,
    session: &Session,
    side: &WriteSide,
    outcome: Result<riverpan_store::DeletionRecord, upload::Answer>,
    notice: impl FnOnce(&riverpan_store::DeletionRecord) -> String,
) -> Response {
    match outcome {
        Ok(deletion) => {
            side.notify();
            flash(state, session, Some(notice(&deletion)), None);
            see_other("/account")
        }
        Err(answer) => {
            let flash = Flash {
                error: Some(answer.message),
                ..Flash::default()
            };
            account_page(state, session, flash, answer.status).await
        }
    }
}

async fn cancel_deletion(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (_, session, side) = signed_form(&state, &headers, &body).await?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "No such deletion.",
            &viewer_of(&session),
        ));
    };
    let principal = principal_of(&session);
    let job_side = Arc::clone(&side);
    let cancelled =
        on_blocking_pool(move || crate::deletion::cancel_blocking(&job_side, &principal, id))
            .await?;
    Ok(
        deletion_answer(&state, &session, &side, cancelled, |deletion| {
            format!("The deletion of {} is cancelled.", deletion.path)
        })
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse() {
        let form = parse_form(b"csrf=ab%2Bc&path=N%2FNE%2FX%2FFoo-1.0.tar.gz&empty=&flag");
        assert_eq!(form.get("csrf").map(String::as_str), Some("ab+c"));
        assert_eq!(
            form.get("path").map(String::as_str),
            Some("N/NE/X/Foo-1.0.tar.gz")
        );
        assert_eq!(form.get("empty").map(String::as_str), Some(""));
        assert_eq!(form.get("flag").map(String::as_str), Some(""));
    }

    #[test]
    fn upload_states() {
        assert_eq!(upload_state("stored", false, None), "queued");
        assert_eq!(upload_state("indexed", false, Some("Ok")), "indexed");
        assert_eq!(
            upload_state("indexed", false, Some("EVerFalling")),
            "failed"
        );
        assert_eq!(upload_state("indexed", true, Some("Ok")), "deleted");
        assert_eq!(upload_state("indexed", false, None), "indexed");
    }
}
