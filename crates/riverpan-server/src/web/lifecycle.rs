//! The author life-cycle on the web (`perms.md` §4; Lancaster consensus).
//!
//! | route | answer |
//! |---|---|
//! | `GET /request-id` | the public form to request a PAUSE id |
//! | `POST /request-id` | `userid`, `fullname`, `email`, `homepage`, `rationale`, `issued`, `form_token` (and the trap `url`, which must stay empty) → `200` queued (or approved automatically); `400` a field or the spam checks, `409` id taken, `429` over a limit |
//! | `POST /account/cleanup` | `opt_out` (`1`/`0`), `csrf` → `303 /account` |
//! | `POST /account/delete` | `confirm` (the id), `csrf` → the id is deleted, `303 /`; `409` when it ever uploaded or holds permissions |
//! | `GET /admin/id-requests` | administrators: the queue, approve/reject forms, the account-state form |
//! | `POST /admin/id-requests/{id}/approve`, `…/reject` (`note`) | `csrf` → `303 /admin/id-requests` |
//! | `POST /admin/account-state` | `userid`, `state` (`active`/`nologin`), `csrf` → `303 /admin/id-requests` |
//! | `GET /admin/inactive-ids` | administrators: the report of inactive unused ids |
//!
//! The request form is public, so it carries its own protections instead of a session: a
//! hidden trap field robots fill, a token signing the time the form was served (so that a form
//! sent back too fast, or forged, is refused), and the repository's checks and limits.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use riverpan_repository::{IdRequestForm, IdRequestRefusal, RepositoryError, AUTO_APPROVER};
use riverpan_web::ids::{
    self as pages, IdRequestRow, IdRequestsView, InactiveIdRow, RequestIdView,
};
use riverpan_web::layout::Viewer;

use super::account::{
    blocking, error, flash, html, internal, on_blocking_pool, page_session, parse_form, see_other,
    signed_form, signed_out, viewer, viewer_of, write_side, writes_disabled,
};
use super::session::{self, Session};
use crate::api::rfc3339;
use crate::auth::{random_hex, sha256_hex};
use crate::queue::{now_seconds, WriteSide};
use crate::ServerState;

/// Largest request form body.
const MAX_FORM_BYTES: usize = 16 << 10;
/// A request form older than this is refused (reload it).
const FORM_LIFETIME: i64 = 86_400;
/// Decided requests shown on the administrators' page.
const DECIDED_SHOWN: usize = 50;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/request-id", get(request_form).post(submit_request))
        .route("/account/cleanup", post(set_cleanup_opt_out))
        .route("/account/delete", post(delete_own_id))
        .route("/admin/id-requests", get(admin_queue))
        .route("/admin/id-requests/{id}/approve", post(approve))
        .route("/admin/id-requests/{id}/reject", post(reject))
        .route("/admin/account-state", post(set_account_state))
        .route("/admin/inactive-ids", get(inactive_ids))
}

/// A secret of this process that signs the request forms' issue times (a restart invalidates
/// the forms being filled in, which then ask to be sent again).
fn form_secret() -> &'static str {
    static SECRET: OnceLock<String> = OnceLock::new();
    SECRET.get_or_init(|| {
        random_hex(32).unwrap_or_else(|_| format!("{:?}", std::time::Instant::now()))
    })
}

fn form_token(issued: i64) -> String {
    sha256_hex(&format!("riverpan request-id {} {issued}", form_secret()))
}

/// The form, with `fields` kept and `problems` shown, freshly signed.
fn render_form(
    viewer: &Viewer,
    status: StatusCode,
    fields: &IdRequestForm,
    problems: Vec<String>,
) -> Response {
    let issued = now_seconds();
    let view = RequestIdView {
        userid: fields.userid.clone(),
        fullname: fields.fullname.clone(),
        email: fields.email.clone(),
        homepage: fields.homepage.clone(),
        rationale: fields.rationale.clone(),
        problems,
        issued,
        form_token: form_token(issued),
    };
    html(status, pages::request_id(&view, viewer))
}

async fn request_form(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if write_side(&state).is_none() {
        return writes_disabled();
    }
    let viewer = viewer(&state, &headers).await;
    render_form(
        &viewer,
        StatusCode::OK,
        &IdRequestForm::default(),
        Vec::new(),
    )
}

async fn submit_request(State(state): State<ServerState>, request: Request) -> Response {
    let Some(side) = write_side(&state) else {
        return writes_disabled();
    };
    let peer = crate::upload::peer_ip(&request);
    let (parts, body) = request.into_parts();
    let viewer = viewer(&state, &parts.headers).await;
    let Ok(body) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large.",
            &viewer,
        );
    };
    let form = parse_form(&body);
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let fields = IdRequestForm {
        userid: field("userid"),
        fullname: field("fullname"),
        email: field("email"),
        homepage: field("homepage"),
        rationale: field("rationale"),
        client_ip: peer.map(|ip| ip.to_string()).unwrap_or_default(),
    };
    let received = "Your request was received. An administrator will look at it; you get a mail \
                    with the decision.";
    if !field("url").is_empty() {
        // PAUSE's bot trap: thank the robot, keep nothing.
        tracing::info!(client = %fields.client_ip, "id request trapped (the hidden field was filled)");
        return html(StatusCode::OK, pages::request_received(received, &viewer));
    }
    let now = now_seconds();
    let issued: i64 = field("issued").parse().unwrap_or(i64::MIN);
    let genuine = session::tokens_match(&form_token(issued), &field("form_token"));
    if !genuine || issued > now || now.saturating_sub(issued) > FORM_LIFETIME {
        return render_form(
            &viewer,
            StatusCode::BAD_REQUEST,
            &fields,
            vec![
                "This form is out of date or did not come from this site: please send it again."
                    .into(),
            ],
        );
    }
    let min_time = i64::try_from(side.options.min_form_time.as_secs()).unwrap_or(i64::MAX);
    if now - issued < min_time {
        tracing::info!(client = %fields.client_ip, "id request refused: sent back too fast");
        return render_form(
            &viewer,
            StatusCode::BAD_REQUEST,
            &fields,
            vec!["That was fast: please check the form and send it again.".into()],
        );
    }
    let job_side = Arc::clone(&side);
    let job_fields = fields.clone();
    let outcome = match on_blocking_pool(move || submit_blocking(&job_side, &job_fields)).await {
        Ok(outcome) => outcome,
        Err(response) => return response,
    };
    match outcome {
        Ok(message) => html(StatusCode::OK, pages::request_received(&message, &viewer)),
        Err(RepositoryError::IdRequest(refusal)) => {
            let status = match &refusal {
                IdRequestRefusal::Invalid(_) | IdRequestRefusal::Spam(_) => StatusCode::BAD_REQUEST,
                IdRequestRefusal::Taken(_) => StatusCode::CONFLICT,
                IdRequestRefusal::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            };
            let problems = match refusal {
                IdRequestRefusal::Invalid(problems) => problems,
                other => vec![other.to_string()],
            };
            render_form(&viewer, status, &fields, problems)
        }
        Err(reason) => internal(reason),
    }
}

/// Queues the request, and approves it at once when the automatic approval allows; the
/// message for the requester.
pub(crate) fn submit_blocking(
    side: &WriteSide,
    fields: &IdRequestForm,
) -> Result<String, RepositoryError> {
    let mut repository = side.repository();
    let request = repository.submit_id_request(fields, &side.options.registration)?;
    // Automatic approval needs the mail: the one-time password goes to the address given,
    // which is also how the address is proven.
    if repository.mail().is_some() && repository.may_auto_approve(&side.options.registration)? {
        let (password, hash) = new_password()?;
        let approved =
            repository.approve_id_request(request.id, AUTO_APPROVER, &password, &hash)?;
        return Ok(format!(
            "Your id {} is ready: {}",
            approved.request.userid,
            if approved.mailed {
                "a one-time password is on its way to your mailbox."
            } else {
                "but the mail with your password could not be sent; write to the administrators."
            }
        ));
    }
    Ok(format!(
        "Your request {} for the id {} was received. An administrator will look at it; you get a \
         mail with the decision.",
        request.id, request.userid
    ))
}

/// A one-time password and its hash.
pub(crate) fn new_password() -> Result<(String, String), RepositoryError> {
    let fail = |error: crate::auth::CredentialError| RepositoryError::BadSetting(error.to_string());
    let password = crate::auth::random_password().map_err(fail)?;
    let hash = crate::auth::hash_password(&password).map_err(fail)?;
    Ok((password, hash))
}

async fn set_cleanup_opt_out(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let opt_out = form.get("opt_out").is_some_and(|value| value == "1");
    let userid = session.userid.clone();
    blocking(move || {
        side.repository()
            .store()
            .set_cleanup_opt_out(&userid, opt_out)
    })
    .await?;
    tracing::info!(user = %session.userid, opt_out, "cleanup opt-out changed on the web");
    let notice = if opt_out {
        "Your old releases are kept: you opted out of the cleanup."
    } else {
        "The cleanup may schedule your old releases for deletion (you get a notice first)."
    };
    flash(&state, &session, Some(notice.into()), None);
    Ok(see_other("/account#cleanup"))
}

async fn delete_own_id(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let confirmed = form
        .get("confirm")
        .is_some_and(|typed| typed.trim().eq_ignore_ascii_case(&session.userid));
    if !confirmed {
        flash(
            &state,
            &session,
            None,
            Some("Type your id to confirm the deletion.".into()),
        );
        return Ok(see_other("/account#delete-id"));
    }
    let userid = session.userid.clone();
    let deleted = on_blocking_pool(move || {
        side.repository()
            .delete_id(&userid, &userid, "deleted by its owner")
    })
    .await?;
    match deleted {
        Ok(()) => {
            tracing::info!(user = %session.userid, "id deleted by its owner on the web");
            // The session went with the id: the browser forgets its cookie too.
            Ok(signed_out("/", &headers))
        }
        Err(RepositoryError::Conflict(why)) => Err(error(
            StatusCode::CONFLICT,
            &format!("The id cannot be deleted: {why}."),
            &viewer_of(&session),
        )),
        Err(reason) => Err(internal(reason)),
    }
}

/// The session of an administrator's page, or the answer refusing it.
async fn admin_session(
    state: &ServerState,
    headers: &HeaderMap,
) -> Result<(Session, Arc<WriteSide>), Response> {
    let side = write_side(state).ok_or_else(writes_disabled)?;
    let session = page_session(state, headers).await?;
    if !session.is_admin {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Only administrators may see this page.",
            &viewer_of(&session),
        ));
    }
    Ok((session, side))
}

/// A POST of an administrator's form: session, CSRF token and the admin flag checked.
async fn admin_form(
    state: &ServerState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Session,
        Arc<WriteSide>,
    ),
    Response,
> {
    let (form, session, side) = signed_form(state, headers, body).await?;
    if !session.is_admin {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Only administrators may do this.",
            &viewer_of(&session),
        ));
    }
    Ok((form, session, side))
}

fn request_row(request: riverpan_store::IdRequestRecord) -> IdRequestRow {
    let decision = request.decided_by.as_ref().map(|by| {
        let mut text = format!(
            "{} by {by} at {}",
            request.state,
            request.decided_at.map(rfc3339).unwrap_or_default()
        );
        if let Some(note) = &request.decision_note {
            text.push_str(&format!(": {note}"));
        }
        text
    });
    IdRequestRow {
        id: request.id,
        userid: request.userid,
        fullname: request.fullname,
        email: request.email,
        homepage: request.homepage,
        rationale: request.rationale,
        requested_at: rfc3339(request.requested_at),
        state: request.state,
        decision,
    }
}

async fn admin_queue(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let (session, side) = admin_session(&state, &headers).await?;
    let requests = blocking(move || side.repository().store().id_requests(None)).await?;
    let flash = state.inner.web.flashes.take(&session);
    let (pending, mut decided): (Vec<_>, Vec<_>) = requests
        .into_iter()
        .map(request_row)
        .partition(|row| row.state == "pending");
    decided.reverse();
    decided.truncate(DECIDED_SHOWN);
    let view = IdRequestsView {
        notice: flash.notice,
        error: flash.error,
        pending,
        decided,
    };
    Ok(html(
        StatusCode::OK,
        pages::admin_id_requests(&view, &viewer_of(&session)),
    ))
}

/// The message after an approval: the password only when the mail did not carry it.
pub(crate) fn approval_message(
    approved: &riverpan_repository::ApprovedId,
    password: &str,
) -> String {
    if approved.mailed {
        format!(
            "{} approved; the one-time password was mailed to {}.",
            approved.request.userid, approved.request.email
        )
    } else {
        format!(
            "{} approved, but no mail was sent: give them this one-time password: {password}",
            approved.request.userid
        )
    }
}

async fn approve(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (_, session, side) = admin_form(&state, &headers, &body).await?;
    let by = session.userid.clone();
    let outcome = on_blocking_pool(move || {
        let (password, hash) = new_password()?;
        let approved = side
            .repository()
            .approve_id_request(id, &by, &password, &hash)?;
        Ok::<_, RepositoryError>(approval_message(&approved, &password))
    })
    .await?;
    Ok(decision_answer(&state, &session, outcome))
}

async fn reject(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = admin_form(&state, &headers, &body).await?;
    let by = session.userid.clone();
    let note: Option<String> = form
        .get("note")
        .map(|note| note.trim().chars().take(500).collect::<String>())
        .filter(|note| !note.is_empty());
    let outcome = on_blocking_pool(move || {
        let (request, mailed) = side
            .repository()
            .reject_id_request(id, &by, note.as_deref())?;
        Ok::<_, RepositoryError>(format!(
            "Request {id} for {} rejected{}.",
            request.userid,
            if mailed {
                "; the requester was mailed"
            } else {
                ""
            }
        ))
    })
    .await?;
    Ok(decision_answer(&state, &session, outcome))
}

/// Back to the queue with the decision's message, or its refusal, kept for the page.
fn decision_answer(
    state: &ServerState,
    session: &Session,
    outcome: Result<String, RepositoryError>,
) -> Response {
    match outcome {
        Ok(message) => flash(state, session, Some(message), None),
        Err(RepositoryError::NotFound(why) | RepositoryError::Conflict(why)) => {
            flash(state, session, None, Some(why))
        }
        Err(reason) => return internal(reason),
    }
    see_other("/admin/id-requests")
}

async fn set_account_state(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = admin_form(&state, &headers, &body).await?;
    let userid = form
        .get("userid")
        .map(|userid| userid.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let wanted = form.get("state").cloned().unwrap_or_default();
    let by = session.userid.clone();
    let job_userid = userid.clone();
    let job_wanted = wanted.clone();
    let outcome = on_blocking_pool(move || {
        side.repository()
            .set_account_state(&job_userid, &job_wanted, &by)
    })
    .await?;
    match outcome {
        Ok(before) => flash(
            &state,
            &session,
            Some(format!("{userid}: {before} → {wanted}.")),
            None,
        ),
        Err(RepositoryError::NotFound(why) | RepositoryError::BadSetting(why)) => {
            flash(&state, &session, None, Some(why))
        }
        Err(reason) => return Err(internal(reason)),
    }
    Ok(see_other("/admin/id-requests#account-state"))
}

async fn inactive_ids(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let (session, side) = admin_session(&state, &headers).await?;
    let rule = side.options.inactivity;
    let ids = blocking(move || side.repository().inactive_ids(&rule)).await?;
    let rows: Vec<InactiveIdRow> = ids
        .into_iter()
        .map(|id| InactiveIdRow {
            userid: id.userid,
            created_at: rfc3339(id.created_at),
            last_activity_at: rfc3339(id.last_activity_at),
            warned_at: id.warned_at.map(rfc3339),
            reclaimable_from: id.reclaimable_from.map(rfc3339),
            has_email: id.email.is_some(),
        })
        .collect();
    let words = riverpan_web::status::duration_words(rule.inactive_for.as_secs_f64());
    Ok(html(
        StatusCode::OK,
        pages::admin_inactive_ids(&rows, &words, &viewer_of(&session)),
    ))
}
