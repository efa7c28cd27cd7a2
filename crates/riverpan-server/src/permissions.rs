//! Permission management over the JSON API (`perms.md` §1, §2). Writes need the account's
//! password (Basic) or a token with scope `perms`; an upload token is refused.
//!
//! | route | what |
//! |---|---|
//! | `POST /api/v1/permissions/{package}/comaints` | `{"userid"}`: add a co-maintainer |
//! | `DELETE /api/v1/permissions/{package}/comaints/{userid}` | remove one (the owner), or give up one's own |
//! | `POST /api/v1/permissions/{package}/transfer` | `{"to"}`: an offer the recipient accepts (`201`); an administrator's transfer is immediate |
//! | `POST /api/v1/permissions/{package}/give-up` | the owner: to `ADOPTME`; a co-maintainer: its co-maintenance |
//! | `POST /api/v1/permissions/{package}/markers` | `{"marker": "HANDOFF"\|"NEEDHELP"}` |
//! | `GET /api/v1/permissions/{package}/log` | every recorded change |
//! | `…/distributions/{name}/permissions/…` | the same for every package of a distribution; `GET …/permissions` the holders, `GET …/log` |
//! | `GET /api/v1/transfers/{id}`, `POST /api/v1/transfers/{id}/accept` | an offer; accepting it |
//! | `POST /api/v1/distributions/{name}/adoption` | `{"reason"}`: ask to adopt |
//! | `GET /api/v1/distributions/{name}/adoptions` | the requests and decisions, with rationales |
//! | `GET /api/v1/adoptions` | administrators: the pending requests |
//! | `POST /api/v1/adoptions/{id}/decision` | administrators: `{"grant", "rationale"}` |
//!
//! Every write body may also carry `"reason"` (recorded and mailed) and, for administrators,
//! `"as": "PAUSEID"` (act for that author; recorded as the administrator's act on their
//! behalf). Refusals: `401` no credentials, `403` not allowed, `404` unknown package,
//! distribution, offer or request, `409` a conflicting state, `422` an unknown or `nologin`
//! target; nothing changes on a refusal.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use riverpan_repository::permissions::rules::{Action, Actor, Marker, RefusalKind};
use riverpan_repository::permissions::{
    self as perms, Interface, PermOutcome, PermRequest, Subject,
};
use riverpan_repository::RepositoryError;
use riverpan_store::{AdoptionRecord, OfferRecord, PermChangeRecord, PermOperationRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{internal_error, json_error, rfc3339};
use crate::auth::{Principal, TokenScope};
use crate::queue::WriteSide;
use crate::upload::{authenticate, peer_ip, write_side, Answer, Flavor};
use crate::ServerState;

const FLAVOR: Flavor = Flavor::Json;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/permissions/{package}/comaints", post(package_add))
        .route(
            "/api/v1/permissions/{package}/comaints/{userid}",
            delete(package_remove),
        )
        .route(
            "/api/v1/permissions/{package}/transfer",
            post(package_transfer),
        )
        .route(
            "/api/v1/permissions/{package}/give-up",
            post(package_give_up),
        )
        .route("/api/v1/permissions/{package}/markers", post(package_mark))
        .route("/api/v1/permissions/{package}/log", get(package_log))
        .route(
            "/api/v1/distributions/{name}/permissions",
            get(dist_holders),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/comaints",
            post(dist_add),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/comaints/{userid}",
            delete(dist_remove),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/transfer",
            post(dist_transfer),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/give-up",
            post(dist_give_up),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/markers",
            post(dist_mark),
        )
        .route(
            "/api/v1/distributions/{name}/permissions/log",
            get(dist_log),
        )
        .route("/api/v1/distributions/{name}/adoption", post(adopt))
        .route(
            "/api/v1/distributions/{name}/adoptions",
            get(dist_adoptions),
        )
        .route("/api/v1/transfers/{id}", get(show_offer))
        .route("/api/v1/transfers/{id}/accept", post(accept))
        .route("/api/v1/adoptions", get(pending_adoptions))
        .route("/api/v1/adoptions/{id}/decision", post(decide))
}

/// The optional fields every write body may carry.
#[derive(Debug, Default, Deserialize)]
struct WriteBody {
    userid: Option<String>,
    to: Option<String>,
    marker: Option<String>,
    reason: Option<String>,
    /// An administrator acting for this author.
    #[serde(rename = "as")]
    acting_for: Option<String>,
    grant: Option<bool>,
    rationale: Option<String>,
}

/// The body of a write, or the 400 answer.
fn parse_body(bytes: &[u8]) -> Result<WriteBody, Box<Response>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(WriteBody::default());
    }
    serde_json::from_slice(bytes).map_err(|error| {
        Box::new(json_error(
            StatusCode::BAD_REQUEST,
            format!("expected a JSON object: {error}"),
        ))
    })
}

/// The answer of a refused or failed operation.
pub(crate) fn error_response(error: RepositoryError) -> Response {
    match error {
        RepositoryError::PermissionRefused(refusal) => {
            let status = status_of(refusal.kind);
            (
                status,
                Json(json!({ "error": refusal.message, "skipped": refusal.skipped })),
            )
                .into_response()
        }
        RepositoryError::NotFound(message) => json_error(StatusCode::NOT_FOUND, message),
        other => Answer::from_repository(other, FLAVOR).into_response(),
    }
}

/// The HTTP status of a refusal.
pub(crate) fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::BadTarget => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The signed-in principal, refused unless it may manage permissions (a password login or a
/// `perms` token).
async fn perms_principal(
    state: &ServerState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Result<(Arc<WriteSide>, Principal), Response> {
    let side = write_side(state, FLAVOR).map_err(IntoResponse::into_response)?;
    let principal = authenticate(&side, headers, peer, FLAVOR)
        .await
        .map_err(IntoResponse::into_response)?;
    if principal.token_id.is_some() && principal.scope != TokenScope::Perms {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            format!(
                "Invalid scope: this token ({}) cannot change permissions; use a token with \
                 scope perms",
                principal.scope
            ),
        ));
    }
    Ok((side, principal))
}

/// The actor a principal is, acting for `acting_for` when given.
pub(crate) fn actor_of(userid: &str, is_admin: bool, acting_for: Option<&str>) -> Actor {
    Actor {
        userid: userid.to_string(),
        is_admin,
        for_userid: acting_for
            .map(|id| id.trim().to_ascii_uppercase())
            .filter(|id| !id.is_empty()),
    }
}

/// Runs a blocking repository call on the write side's repository.
pub(crate) async fn on_repository<T: Send + 'static>(
    side: &Arc<WriteSide>,
    call: impl FnOnce(&mut riverpan_repository::Repository) -> Result<T, RepositoryError>
        + Send
        + 'static,
) -> Result<T, Response> {
    let side = Arc::clone(side);
    tokio::task::spawn_blocking(move || call(&mut side.repository()))
        .await
        .map_err(|error| internal_error(&error.to_string()))?
        .map_err(error_response)
}

/// What an operation asks, from the route and its body.
enum Wanted {
    Add,
    Remove(String),
    Transfer,
    GiveUp,
    Mark,
}

/// The action a route and body ask for, or the message of the 400 answer.
fn action_of(wanted: Wanted, body: &WriteBody) -> Result<Action, String> {
    let id = |value: &Option<String>, field: &str| {
        value
            .as_deref()
            .map(|text| text.trim().to_ascii_uppercase())
            .filter(|text| !text.is_empty())
            .ok_or_else(|| format!("expected JSON {{\"{field}\": \"PAUSEID\"}}"))
    };
    Ok(match wanted {
        Wanted::Add => Action::AddComaint(id(&body.userid, "userid")?),
        Wanted::Remove(userid) => Action::RemoveComaint(userid.trim().to_ascii_uppercase()),
        Wanted::Transfer => Action::Transfer(id(&body.to, "to")?),
        Wanted::GiveUp => Action::GiveUp,
        Wanted::Mark => {
            let marker = body
                .marker
                .as_deref()
                .and_then(Marker::parse)
                .ok_or_else(|| {
                    "expected JSON {\"marker\": \"HANDOFF\"} or {\"marker\": \"NEEDHELP\"}"
                        .to_string()
                })?;
            Action::Mark(marker)
        }
    })
}

/// The request's body bytes once its principal may manage permissions (see
/// [`perms_principal`]).
async fn signed_in(
    state: &ServerState,
    request: Request,
) -> Result<(Arc<WriteSide>, Principal, Bytes), Response> {
    // Split before the await: a `&Request` held across it would need its body to be `Sync`.
    let peer = peer_ip(&request);
    let (head, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 10)
        .await
        .unwrap_or_default();
    let (side, principal) = perms_principal(state, &head.headers, peer).await?;
    Ok((side, principal, bytes))
}

/// A write's principal and its body (see [`signed_in`] and [`parse_body`]).
async fn write_request(
    state: &ServerState,
    request: Request,
) -> Result<(Arc<WriteSide>, Principal, WriteBody), Response> {
    let (side, principal, bytes) = signed_in(state, request).await?;
    let body = parse_body(&bytes).map_err(|response| *response)?;
    Ok((side, principal, body))
}

/// Runs `read` on a reader of the store; a failure is the `500` answer.
async fn read<T: Send + 'static>(
    state: &ServerState,
    read: impl FnOnce(&riverpan_store::Store) -> Result<T, riverpan_store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    state
        .inner
        .readers
        .read(read)
        .await
        .map_err(|reason| internal_error(&reason))
}

async fn operate(
    state: ServerState,
    subject: Subject,
    wanted: Wanted,
    request: Request,
) -> Result<Response, Response> {
    let (side, principal, body) = write_request(&state, request).await?;
    let action =
        action_of(wanted, &body).map_err(|message| json_error(StatusCode::BAD_REQUEST, message))?;
    let request = PermRequest {
        subject,
        action,
        actor: actor_of(
            &principal.userid,
            principal.is_admin,
            body.acting_for.as_deref(),
        ),
        interface: Interface::Api,
        reason: body.reason,
    };
    let outcome = on_repository(&side, move |repository| {
        repository.change_permissions_as(&request)
    })
    .await?;
    let status = if outcome.offer.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome_json(&outcome))).into_response())
}

/// A handler of one operation on a package or a distribution; `removing` takes the
/// co-maintainer to remove from the path.
macro_rules! operation_handler {
    ($name:ident, $subject:ident, removing) => {
        async fn $name(
            State(state): State<ServerState>,
            Path((name, userid)): Path<(String, String)>,
            request: Request,
        ) -> Result<Response, Response> {
            operate(
                state,
                Subject::$subject(name),
                Wanted::Remove(userid),
                request,
            )
            .await
        }
    };
    ($name:ident, $subject:ident, $wanted:expr) => {
        async fn $name(
            State(state): State<ServerState>,
            Path(name): Path<String>,
            request: Request,
        ) -> Result<Response, Response> {
            operate(state, Subject::$subject(name), $wanted, request).await
        }
    };
}

operation_handler!(package_add, Package, Wanted::Add);
operation_handler!(package_remove, Package, removing);
operation_handler!(package_transfer, Package, Wanted::Transfer);
operation_handler!(package_give_up, Package, Wanted::GiveUp);
operation_handler!(package_mark, Package, Wanted::Mark);
operation_handler!(dist_add, Distribution, Wanted::Add);
operation_handler!(dist_remove, Distribution, removing);
operation_handler!(dist_transfer, Distribution, Wanted::Transfer);
operation_handler!(dist_give_up, Distribution, Wanted::GiveUp);
operation_handler!(dist_mark, Distribution, Wanted::Mark);

async fn accept(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    let (side, principal, _) = signed_in(&state, request).await?;
    // Any id that is not a number names no transfer offer either.
    let id = id
        .parse::<i64>()
        .map_err(|_| json_error(StatusCode::NOT_FOUND, format!("no transfer offer {id}")))?;
    let actor = actor_of(&principal.userid, principal.is_admin, None);
    let outcome = on_repository(&side, move |repository| {
        repository.accept_offer(id, &actor, Interface::Api)
    })
    .await?;
    Ok(Json(outcome_json(&outcome)).into_response())
}

async fn adopt(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    let (side, principal, body) = write_request(&state, request).await?;
    let actor = actor_of(
        &principal.userid,
        principal.is_admin,
        body.acting_for.as_deref(),
    );
    let reason = body.reason.unwrap_or_default();
    let outcome = on_repository(&side, move |repository| {
        repository.request_adoption(&name, &actor, &reason, Interface::Api)
    })
    .await?;
    let granted = outcome
        .adoption
        .as_ref()
        .is_some_and(|adoption| adoption.state == "granted");
    let status = if granted {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(outcome_json(&outcome))).into_response())
}

async fn decide(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    let (side, principal, body) = write_request(&state, request).await?;
    // Any id that is not a number names no adoption request either.
    let id = id
        .parse::<i64>()
        .map_err(|_| json_error(StatusCode::NOT_FOUND, format!("no adoption request {id}")))?;
    let Some(grant) = body.grant else {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "expected JSON {\"grant\": true|false, \"rationale\": \"…\"}",
        ));
    };
    let actor = actor_of(&principal.userid, principal.is_admin, None);
    let rationale = body.rationale.unwrap_or_default();
    let outcome = on_repository(&side, move |repository| {
        repository.decide_adoption(id, &actor, grant, &rationale, Interface::Api)
    })
    .await?;
    Ok(Json(outcome_json(&outcome)).into_response())
}

async fn pending_adoptions(
    State(state): State<ServerState>,
    request: Request,
) -> Result<Response, Response> {
    let (_, principal, _) = signed_in(&state, request).await?;
    if !principal.is_admin {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "Only administrators see the pending adoption requests.",
        ));
    }
    let requests = read(&state, |store| store.reader().pending_adoptions()).await?;
    Ok(Json(json!({
        "adoptions": requests.iter().map(adoption_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn dist_adoptions(
    State(state): State<ServerState>,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let dist = name.clone();
    let requests = read(&state, move |store| store.reader().adoptions_of_dist(&dist)).await?;
    Ok(Json(json!({
        "distribution": name,
        "adoptions": requests.iter().map(adoption_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

async fn show_offer(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    // Any id that is not a number names no transfer offer either.
    let id = id
        .parse::<i64>()
        .map_err(|_| json_error(StatusCode::NOT_FOUND, format!("no transfer offer {id}")))?;
    match read(&state, move |store| store.reader().offer(id)).await? {
        Some(offer) => Ok(Json(offer_json(&offer)).into_response()),
        None => Err(json_error(
            StatusCode::NOT_FOUND,
            format!("no transfer offer {id}"),
        )),
    }
}

async fn package_log(
    State(state): State<ServerState>,
    Path(package): Path<String>,
) -> Result<Response, Response> {
    let name = package.clone();
    let (log, holders) = read(&state, move |store| {
        let log = store.reader().perm_log_of_package(&name)?;
        let holders = perms::package_permissions(store, &name);
        Ok((log, holders))
    })
    .await?;
    let holders = holders.map_err(|error| internal_error(&error.to_string()))?;
    if log.is_empty() && holders.is_none() {
        return Err(json_error(
            StatusCode::NOT_FOUND,
            format!("no package {package}: nobody holds permissions on it"),
        ));
    }
    Ok(
        Json(json!({ "package": package, "permissions": holders, "log": log_json(&log) }))
            .into_response(),
    )
}

async fn dist_log(
    State(state): State<ServerState>,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let dist = name.clone();
    let log = read(&state, move |store| store.reader().perm_log_of_dist(&dist)).await?;
    Ok(Json(json!({ "distribution": name, "log": log_json(&log) })).into_response())
}

async fn dist_holders(
    State(state): State<ServerState>,
    Path(name): Path<String>,
) -> Result<Response, Response> {
    let dist = name.clone();
    let packages = read(&state, move |store| {
        Ok(perms::dist_permissions(store, &dist))
    })
    .await?
    .map_err(|error| internal_error(&error.to_string()))?;
    if packages.is_empty() {
        return Err(json_error(
            StatusCode::NOT_FOUND,
            format!("no distribution {name}: no package of it is indexed or held"),
        ));
    }
    let owners: std::collections::BTreeSet<&str> = packages
        .iter()
        .filter_map(|package| package.owner.as_deref())
        .collect();
    Ok(Json(json!({
        "distribution": name,
        "packages": packages,
        "owners": owners,
        "incomplete_ownership": owners.len() > 1,
    }))
    .into_response())
}

/// An operation's answer: what was recorded, changed, left alone, offered or filed.
pub(crate) fn outcome_json(outcome: &PermOutcome) -> Value {
    json!({
        "operation": operation_json(&outcome.operation),
        "changes": outcome.changes.iter().map(change_json).collect::<Vec<_>>(),
        "skipped": outcome.skipped,
        "offer": outcome.offer.as_ref().map(offer_json),
        "adoption": outcome.adoption.as_ref().map(adoption_json),
        "mail_error": outcome.mail_error,
    })
}

fn operation_json(operation: &PermOperationRecord) -> Value {
    json!({
        "id": operation.id,
        "at": rfc3339(operation.at),
        "actor": operation.actor,
        "on_behalf_of": operation.on_behalf_of,
        "interface": operation.interface,
        "operation": operation.operation,
        "scope": operation.scope,
        "subject": operation.subject,
        "argument": operation.argument,
        "reason": operation.reason,
        "skipped": serde_json::from_str::<Value>(&operation.skipped).unwrap_or(Value::Null),
    })
}

fn change_json(change: &PermChangeRecord) -> Value {
    json!({
        "package": change.package,
        "distribution": change.dist,
        "role": change.role,
        "before": change.before,
        "after": change.after,
    })
}

fn log_json(log: &[(PermOperationRecord, Vec<PermChangeRecord>)]) -> Vec<Value> {
    log.iter()
        .map(|(operation, changes)| {
            let mut entry = operation_json(operation);
            entry["changes"] = changes.iter().map(change_json).collect();
            entry
        })
        .collect()
}

pub(crate) fn offer_json(offer: &OfferRecord) -> Value {
    json!({
        "id": offer.id,
        "scope": offer.scope,
        "subject": offer.subject,
        "from": offer.from_userid,
        "to": offer.to_userid,
        "packages": serde_json::from_str::<Value>(&offer.packages).unwrap_or(Value::Null),
        "offered_by": offer.offered_by,
        "created_at": rfc3339(offer.created_at),
        "expires_at": rfc3339(offer.expires_at),
        "state": offer.state,
        "decided_at": offer.decided_at.map(rfc3339),
        "accept_url": format!("/api/v1/transfers/{}/accept", offer.id),
    })
}

pub(crate) fn adoption_json(adoption: &AdoptionRecord) -> Value {
    json!({
        "id": adoption.id,
        "distribution": adoption.dist,
        "userid": adoption.userid,
        "reason": adoption.reason,
        "held_by": adoption.held_by,
        "river": {
            "immediate": adoption.immediate,
            "total": adoption.total,
            "bucket": adoption.bucket,
            "band": riverpan_river::band(adoption.total.max(0) as u64).as_str(),
        },
        "created_at": rfc3339(adoption.created_at),
        "state": adoption.state,
        "decided_by": adoption.decided_by,
        "decided_at": adoption.decided_at.map(rfc3339),
        "rationale": adoption.rationale,
    })
}
