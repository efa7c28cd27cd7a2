//! The author life-cycle over the JSON API (Basic or Bearer credentials, as for uploads).
//!
//! | route | who | answer |
//! |---|---|---|
//! | `GET /api/v1/id-requests?state=pending` | administrators | the requests (`state` optional) |
//! | `POST /api/v1/id-requests/{id}/approve` | administrators | the request; `password` only when no mail carried it |
//! | `POST /api/v1/id-requests/{id}/reject` `{"note"}` | administrators | the request |
//! | `PUT /api/v1/accounts/{userid}/state` `{"state": "active"\|"nologin"}` | administrators | `{"userid","state","previous"}` |
//! | `DELETE /api/v1/accounts/{userid}` | the id itself (password, not a token) or an administrator | `{"deleted"}`; `409` when it ever uploaded or holds permissions |
//! | `GET /api/v1/ids/inactive` | administrators | the inactive unused ids |
//! | `PUT /api/v1/authors/{userid}/cleanup` `{"opt_out": bool}` | the author or an administrator | `{"userid","opt_out"}` |
//!
//! Refusals: `401` without (or with wrong) credentials, `403` not allowed, `404` unknown, `409`
//! a conflicting state; nothing changes on a refusal. A token limited to some packages
//! (`upload:Foo::*`) may do none of this.

use std::sync::Arc;

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use riverpan_repository::{Repository, RepositoryError};
use riverpan_store::IdRequestRecord;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::auth::{Principal, TokenScope};
use crate::queue::WriteSide;
use crate::upload::{authenticate, peer_ip, write_side, Answer, Flavor};
use crate::ServerState;

const FLAVOR: Flavor = Flavor::Json;

pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/id-requests", get(list_requests))
        .route("/api/v1/id-requests/{id}/approve", post(approve))
        .route("/api/v1/id-requests/{id}/reject", post(reject))
        .route("/api/v1/accounts/{userid}/state", put(set_state))
        .route("/api/v1/accounts/{userid}", delete(delete_id))
        .route("/api/v1/ids/inactive", get(inactive))
        .route("/api/v1/authors/{userid}/cleanup", put(set_cleanup))
}

fn request_json(request: &IdRequestRecord) -> serde_json::Value {
    serde_json::json!({
        "id": request.id,
        "userid": request.userid,
        "fullname": request.fullname,
        "email": request.email,
        "homepage": request.homepage,
        "rationale": request.rationale,
        "requested_at": request.requested_at,
        "state": request.state,
        "decided_at": request.decided_at,
        "decided_by": request.decided_by,
        "decision_note": request.decision_note,
    })
}

/// The answer for a repository refusal.
fn refusal(error: RepositoryError) -> Answer {
    match error {
        RepositoryError::NotFound(why) => Answer::new(StatusCode::NOT_FOUND, why, FLAVOR),
        RepositoryError::Conflict(why) => Answer::new(StatusCode::CONFLICT, why, FLAVOR),
        RepositoryError::BadSetting(why) => Answer::new(StatusCode::BAD_REQUEST, why, FLAVOR),
        other => Answer::internal(other, FLAVOR),
    }
}

/// A request's headers and client address: what authentication needs (the request itself is
/// not `Sync`, so a handler must not hold a reference to it across an await).
struct Caller(axum::http::HeaderMap, Option<std::net::IpAddr>);

impl Caller {
    fn of(request: &Request) -> Caller {
        Caller(request.headers().clone(), peer_ip(request))
    }
}

/// The authenticated principal with its write side.
async fn principal(
    state: &ServerState,
    caller: &Caller,
) -> Result<(Principal, Arc<WriteSide>), Answer> {
    let side = write_side(state, FLAVOR)?;
    let principal = authenticate(&side, &caller.0, caller.1, FLAVOR).await?;
    if principal.scope != TokenScope::Upload {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            "a token limited to some packages cannot manage accounts",
            FLAVOR,
        ));
    }
    Ok((principal, side))
}

/// The principal, refused unless an administrator.
async fn administrator(
    state: &ServerState,
    caller: &Caller,
) -> Result<(Principal, Arc<WriteSide>), Answer> {
    let (principal, side) = principal(state, caller).await?;
    if !principal.is_admin {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!("{} is not an administrator", principal.userid),
            FLAVOR,
        ));
    }
    Ok((principal, side))
}

/// Runs `work` on the blocking pool; its error becomes an [`Answer`].
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Answer> + Send + 'static,
) -> Result<T, Answer> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Answer::internal(error, FLAVOR))?
}

/// Runs `call` on the write side's repository on the blocking pool; a refusal becomes its
/// [`Answer`] (see [`refusal`]).
async fn on_repository<T: Send + 'static>(
    side: Arc<WriteSide>,
    call: impl FnOnce(&mut Repository) -> Result<T, RepositoryError> + Send + 'static,
) -> Result<T, Answer> {
    blocking(move || call(&mut side.repository()).map_err(refusal)).await
}

/// What a handler answers: a JSON body with `200`, or the refusal.
type JsonAnswer = Result<Json<serde_json::Value>, Answer>;

/// The request's JSON body, or the `400` answer showing the body expected (`example`).
async fn json_body<T: DeserializeOwned>(request: Request, example: &str) -> Result<T, Answer> {
    let Json(body) = Json::<T>::from_request(request, &())
        .await
        .map_err(|rejection| {
            Answer::new(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {example}: {rejection}"),
                FLAVOR,
            )
        })?;
    Ok(body)
}

/// Whether `principal` acts on its own id `userid`: refused unless it does or is an
/// administrator; `may_only` says what a plain author may do.
fn own_or_administrator(
    principal: &Principal,
    userid: &str,
    may_only: &str,
) -> Result<bool, Answer> {
    let own = principal.userid == userid;
    if !own && !principal.is_admin {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!("{} may only {may_only}", principal.userid),
            FLAVOR,
        ));
    }
    Ok(own)
}

#[derive(Deserialize)]
struct StateFilter {
    state: Option<String>,
}

async fn list_requests(
    State(state): State<ServerState>,
    Query(filter): Query<StateFilter>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (_, side) = administrator(&state, &caller).await?;
    let requests = blocking(move || {
        side.repository()
            .store()
            .id_requests(filter.state.as_deref())
            .map_err(|error| Answer::internal(error, FLAVOR))
    })
    .await?;
    let list: Vec<_> = requests.iter().map(request_json).collect();
    Ok(Json(serde_json::json!({ "requests": list })))
}

async fn approve(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (admin, side) = administrator(&state, &caller).await?;
    let (approved, password) = on_repository(side, move |repository| {
        let (password, hash) = crate::web::lifecycle::new_password()?;
        let approved = repository.approve_id_request(id, &admin.userid, &password, &hash)?;
        Ok((approved, password))
    })
    .await?;
    let mut body = serde_json::json!({
        "request": request_json(&approved.request),
        "mailed": approved.mailed,
    });
    if !approved.mailed {
        // Nobody else can tell the new author the password.
        body["password"] = serde_json::Value::String(password);
    }
    Ok(Json(body))
}

#[derive(Deserialize, Default)]
struct RejectBody {
    note: Option<String>,
}

async fn reject(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (admin, side) = administrator(&state, &caller).await?;
    // Unlike the other bodies this one may be empty: a rejection needs no note.
    let body = axum::body::to_bytes(request.into_body(), 64 << 10)
        .await
        .map_err(|_| Answer::new(StatusCode::PAYLOAD_TOO_LARGE, "body too large", FLAVOR))?;
    let wanted: RejectBody = if body.iter().all(u8::is_ascii_whitespace) {
        RejectBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| {
            Answer::new(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {{\"note\": \"…\"}}: {error}"),
                FLAVOR,
            )
        })?
    };
    let (rejected, mailed) = on_repository(side, move |repository| {
        repository.reject_id_request(id, &admin.userid, wanted.note.as_deref())
    })
    .await?;
    Ok(Json(serde_json::json!({
        "request": request_json(&rejected),
        "mailed": mailed,
    })))
}

#[derive(Deserialize)]
struct StateBody {
    state: String,
}

async fn set_state(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (admin, side) = administrator(&state, &caller).await?;
    let wanted: StateBody = json_body(request, r#"{"state": "nologin"}"#).await?;
    let userid = userid.to_ascii_uppercase();
    let job_userid = userid.clone();
    let job_state = wanted.state.clone();
    let previous = on_repository(side, move |repository| {
        repository.set_account_state(&job_userid, &job_state, &admin.userid)
    })
    .await?;
    Ok(Json(serde_json::json!({
        "userid": userid,
        "state": wanted.state,
        "previous": previous,
    })))
}

async fn delete_id(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (principal, side) = principal(&state, &caller).await?;
    let userid = userid.to_ascii_uppercase();
    let own = own_or_administrator(&principal, &userid, "delete their own id")?;
    if own && principal.token_id.is_some() {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            "deleting your id needs your password, not a token",
            FLAVOR,
        ));
    }
    let job_userid = userid.clone();
    on_repository(side, move |repository| {
        let reason = if own {
            "deleted by its owner"
        } else {
            "deleted by an administrator"
        };
        repository.delete_id(&job_userid, &principal.userid, reason)
    })
    .await?;
    Ok(Json(serde_json::json!({ "deleted": userid })))
}

async fn inactive(State(state): State<ServerState>, request: Request) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (_, side) = administrator(&state, &caller).await?;
    let rule = side.options.inactivity;
    let ids = on_repository(side, move |repository| repository.inactive_ids(&rule)).await?;
    Ok(Json(serde_json::json!({
        "inactive_for_seconds": rule.inactive_for.as_secs(),
        "grace_seconds": rule.grace.as_secs(),
        "ids": ids,
    })))
}

#[derive(Deserialize)]
struct CleanupBody {
    opt_out: bool,
}

async fn set_cleanup(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> JsonAnswer {
    let caller = Caller::of(&request);
    let (principal, side) = principal(&state, &caller).await?;
    let userid = userid.to_ascii_uppercase();
    own_or_administrator(&principal, &userid, "change their own setting")?;
    let wanted: CleanupBody = json_body(request, r#"{"opt_out": true}"#).await?;
    let job_userid = userid.clone();
    let found = blocking(move || {
        side.repository()
            .store()
            .set_cleanup_opt_out(&job_userid, wanted.opt_out)
            .map_err(|error| Answer::internal(error, FLAVOR))
    })
    .await?;
    if !found {
        return Err(Answer::new(
            StatusCode::NOT_FOUND,
            format!("no author {userid}"),
            FLAVOR,
        ));
    }
    tracing::info!(%userid, by = %principal.userid, opt_out = wanted.opt_out, "cleanup opt-out changed");
    Ok(Json(
        serde_json::json!({ "userid": userid, "opt_out": wanted.opt_out }),
    ))
}
