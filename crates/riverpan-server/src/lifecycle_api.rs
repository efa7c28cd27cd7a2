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
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use riverpan_repository::RepositoryError;
use riverpan_store::IdRequestRecord;
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

fn answer(outcome: Result<Response, Answer>) -> Response {
    outcome.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
struct StateFilter {
    state: Option<String>,
}

async fn list_requests(
    State(state): State<ServerState>,
    Query(filter): Query<StateFilter>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (_, side) = administrator(&state, &caller).await?;
            let requests = blocking(move || {
                side.repository()
                    .store()
                    .id_requests(filter.state.as_deref())
                    .map_err(|error| Answer::internal(error, FLAVOR))
            })
            .await?;
            let list: Vec<_> = requests.iter().map(request_json).collect();
            Ok(Json(serde_json::json!({ "requests": list })).into_response())
        }
        .await,
    )
}

async fn approve(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (admin, side) = administrator(&state, &caller).await?;
            let (approved, password) = blocking(move || {
                let (password, hash) = crate::web::lifecycle::new_password().map_err(refusal)?;
                let approved = side
                    .repository()
                    .approve_id_request(id, &admin.userid, &password, &hash)
                    .map_err(refusal)?;
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
            Ok(Json(body).into_response())
        }
        .await,
    )
}

#[derive(Deserialize, Default)]
struct RejectBody {
    note: Option<String>,
}

async fn reject(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (admin, side) = administrator(&state, &caller).await?;
            let body = axum::body::to_bytes(request.into_body(), 64 << 10)
                .await
                .map_err(|_| {
                    Answer::new(StatusCode::PAYLOAD_TOO_LARGE, "body too large", FLAVOR)
                })?;
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
            let (rejected, mailed) = blocking(move || {
                side.repository()
                    .reject_id_request(id, &admin.userid, wanted.note.as_deref())
                    .map_err(refusal)
            })
            .await?;
            Ok(Json(serde_json::json!({
                "request": request_json(&rejected),
                "mailed": mailed,
            }))
            .into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct StateBody {
    state: String,
}

async fn set_state(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (admin, side) = administrator(&state, &caller).await?;
            let Json(wanted) = Json::<StateBody>::from_request(request, &())
                .await
                .map_err(|rejection| {
                    Answer::new(
                        StatusCode::BAD_REQUEST,
                        format!("expected JSON {{\"state\": \"nologin\"}}: {rejection}"),
                        FLAVOR,
                    )
                })?;
            let userid = userid.to_ascii_uppercase();
            let job_userid = userid.clone();
            let job_state = wanted.state.clone();
            let previous = blocking(move || {
                side.repository()
                    .set_account_state(&job_userid, &job_state, &admin.userid)
                    .map_err(refusal)
            })
            .await?;
            Ok(Json(serde_json::json!({
                "userid": userid,
                "state": wanted.state,
                "previous": previous,
            }))
            .into_response())
        }
        .await,
    )
}

async fn delete_id(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (principal, side) = principal(&state, &caller).await?;
            let userid = userid.to_ascii_uppercase();
            let own = principal.userid == userid;
            if !own && !principal.is_admin {
                return Err(Answer::new(
                    StatusCode::FORBIDDEN,
                    format!("{} may only delete their own id", principal.userid),
                    FLAVOR,
                ));
            }
            if own && principal.token_id.is_some() {
                return Err(Answer::new(
                    StatusCode::FORBIDDEN,
                    "deleting your id needs your password, not a token",
                    FLAVOR,
                ));
            }
            let job_userid = userid.clone();
            blocking(move || {
                let reason = if own {
                    "deleted by its owner"
                } else {
                    "deleted by an administrator"
                };
                side.repository()
                    .delete_id(&job_userid, &principal.userid, reason)
                    .map_err(refusal)
            })
            .await?;
            Ok(Json(serde_json::json!({ "deleted": userid })).into_response())
        }
        .await,
    )
}

async fn inactive(State(state): State<ServerState>, request: Request) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (_, side) = administrator(&state, &caller).await?;
            let rule = side.options.inactivity;
            let ids =
                blocking(move || side.repository().inactive_ids(&rule).map_err(refusal)).await?;
            Ok(Json(serde_json::json!({
                "inactive_for_seconds": rule.inactive_for.as_secs(),
                "grace_seconds": rule.grace.as_secs(),
                "ids": ids,
            }))
            .into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct CleanupBody {
    opt_out: bool,
}

async fn set_cleanup(
    State(state): State<ServerState>,
    Path(userid): Path<String>,
    request: Request,
) -> Response {
    let caller = Caller::of(&request);
    answer(
        async move {
            let (principal, side) = principal(&state, &caller).await?;
            let userid = userid.to_ascii_uppercase();
            if principal.userid != userid && !principal.is_admin {
                return Err(Answer::new(
                    StatusCode::FORBIDDEN,
                    format!("{} may only change their own setting", principal.userid),
                    FLAVOR,
                ));
            }
            let Json(wanted) = Json::<CleanupBody>::from_request(request, &())
                .await
                .map_err(|rejection| {
                    Answer::new(
                        StatusCode::BAD_REQUEST,
                        format!("expected JSON {{\"opt_out\": true}}: {rejection}"),
                        FLAVOR,
                    )
                })?;
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
            Ok(Json(serde_json::json!({ "userid": userid, "opt_out": wanted.opt_out }))
                .into_response())
        }
        .await,
    )
}
