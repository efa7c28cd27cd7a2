//! Deletion over HTTP (`pause.md` §1.4): schedule, look at, and undelete.
//!
//! * `POST /api/v1/deletions` with JSON `{"path": "…"}` (a file name of your own directory,
//!   `X/XX/ID/file` or `authors/id/X/XX/ID/file`), Basic or Bearer auth: schedules the deletion
//!   after the configured delay; `202` with the deletion. Only your own files, unless you are an
//!   administrator; a scoped token only for distributions in its scope.
//! * `GET /api/v1/deletions/{id}`: the deletion (`scheduled`, `cancelled`, `done`, `failed`).
//! * `DELETE /api/v1/deletions/{id}`: undelete before it ran; `409` once it ran.
//!
//! The worker executes due deletions ([`riverpan_repository::Repository::execute_due_deletions`]):
//! the file moves to `DIR/backpan/authors/id/…` and its packages leave the index.

use std::sync::Arc;

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use riverpan_store::DeletionRecord;
use serde::Deserialize;

use crate::auth::Principal;
use crate::queue::WriteSide;
use crate::upload::{authenticate, check_scope, peer_ip, write_side, Answer, Flavor};
use crate::ServerState;

const FLAVOR: Flavor = Flavor::Json;

pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/deletions", post(schedule))
        .route("/api/v1/deletions/{id}", get(show).delete(undelete))
}

#[derive(Deserialize)]
struct DeletionRequest {
    path: String,
}

fn deletion_json(deletion: &DeletionRecord) -> serde_json::Value {
    serde_json::json!({
        "deletion_id": deletion.id,
        "upload_id": deletion.upload_id,
        "path": deletion.path,
        "state": deletion.state,
        "requested_by": deletion.requested_by,
        "requested_at": deletion.requested_at,
        "due_at": deletion.due_at,
        "finished_at": deletion.finished_at,
        "error": deletion.error,
        "status_url": format!("/api/v1/deletions/{}", deletion.id),
    })
}

async fn schedule(State(state): State<ServerState>, request: Request) -> Response {
    match schedule_deletion(state, request).await {
        Ok(response) => response,
        Err(answer) => answer.into_response(),
    }
}

async fn schedule_deletion(state: ServerState, request: Request) -> Result<Response, Answer> {
    let side = write_side(&state, FLAVOR)?;
    let peer = peer_ip(&request);
    let principal = authenticate(&side, request.headers(), peer, FLAVOR).await?;
    let Json(wanted) = Json::<DeletionRequest>::from_request(request, &())
        .await
        .map_err(|rejection| {
            Answer::new(
                StatusCode::BAD_REQUEST,
                format!("expected JSON {{\"path\": \"Foo-1.0.tar.gz\"}}: {rejection}"),
                FLAVOR,
            )
        })?;
    let job_side = Arc::clone(&side);
    let deletion =
        tokio::task::spawn_blocking(move || schedule_blocking(&job_side, &principal, &wanted.path))
            .await
            .map_err(|error| Answer::internal(error, FLAVOR))??;
    side.notify();
    Ok((StatusCode::ACCEPTED, Json(deletion_json(&deletion))).into_response())
}

pub(crate) fn schedule_blocking(
    side: &WriteSide,
    principal: &Principal,
    path: &str,
) -> Result<DeletionRecord, Answer> {
    let repository = side.repository();
    let upload = repository
        .deletable_upload(&principal.userid, path)
        .map_err(|error| Answer::from_repository(error, FLAVOR))?;
    may_touch(principal, &upload.userid, &upload.path)?;
    let deletion = repository
        .schedule_deletion(&upload, &principal.userid, side.options.deletion_delay)
        .map_err(|error| Answer::from_repository(error, FLAVOR))?;
    tracing::info!(
        path = %deletion.path,
        by = %principal.userid,
        due_at = deletion.due_at,
        "deletion scheduled"
    );
    Ok(deletion)
}

/// Only the owner (or an administrator) may delete or undelete, and a scoped token only
/// within its scope.
fn may_touch(principal: &Principal, owner: &str, path: &str) -> Result<(), Answer> {
    if owner != principal.userid && !principal.is_admin {
        return Err(Answer::new(
            StatusCode::FORBIDDEN,
            format!(
                "{path} belongs to {owner}: {} may only delete their own files",
                principal.userid
            ),
            FLAVOR,
        ));
    }
    check_scope(principal, path, FLAVOR)
}

async fn show(State(state): State<ServerState>, Path(id): Path<i64>) -> Response {
    let outcome = async {
        let side = write_side(&state, FLAVOR)?;
        let deletion = tokio::task::spawn_blocking(move || {
            side.open_store()
                .and_then(|store| store.deletion(id))
                .map_err(|error| Answer::internal(error, FLAVOR))
        })
        .await
        .map_err(|error| Answer::internal(error, FLAVOR))??;
        deletion
            .ok_or_else(|| Answer::new(StatusCode::NOT_FOUND, format!("no deletion {id}"), FLAVOR))
    }
    .await;
    match outcome {
        Ok(deletion) => Json(deletion_json(&deletion)).into_response(),
        Err(answer) => answer.into_response(),
    }
}

/// Cancels deletion `id` for `principal` (the owner, or an administrator).
pub(crate) fn cancel_blocking(
    side: &WriteSide,
    principal: &Principal,
    id: i64,
) -> Result<DeletionRecord, Answer> {
    let repository = side.repository();
    let store = repository.store();
    let deletion = store
        .deletion(id)
        .map_err(|error| Answer::internal(error, FLAVOR))?
        .ok_or_else(|| Answer::new(StatusCode::NOT_FOUND, format!("no deletion {id}"), FLAVOR))?;
    let owner = store
        .reader()
        .upload_by_id(deletion.upload_id)
        .map_err(|error| Answer::internal(error, FLAVOR))?
        .map_or_else(String::new, |upload| upload.userid);
    may_touch(principal, &owner, &deletion.path)?;
    let cancelled = repository
        .cancel_deletion(id)
        .map_err(|error| Answer::from_repository(error, FLAVOR))?;
    let current = store
        .deletion(id)
        .map_err(|error| Answer::internal(error, FLAVOR))?
        .unwrap_or(deletion);
    if !cancelled {
        return Err(Answer::new(
            StatusCode::CONFLICT,
            format!(
                "deletion {id} of {} is {} and can no longer be undone",
                current.path, current.state
            ),
            FLAVOR,
        ));
    }
    tracing::info!(path = %current.path, by = %principal.userid, "deletion cancelled");
    Ok(current)
}

async fn undelete(
    State(state): State<ServerState>,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    // `move`: a `&Request` held across an await would need the body to be `Sync`.
    let outcome = async move {
        let side = write_side(&state, FLAVOR)?;
        let peer = peer_ip(&request);
        let principal = authenticate(&side, request.headers(), peer, FLAVOR).await?;
        let job_side = Arc::clone(&side);
        let deletion =
            tokio::task::spawn_blocking(move || cancel_blocking(&job_side, &principal, id))
                .await
                .map_err(|error| Answer::internal(error, FLAVOR))??;
        side.notify();
        Ok::<_, Answer>(deletion)
    }
    .await;
    match outcome {
        Ok(deletion) => Json(deletion_json(&deletion)).into_response(),
        Err(answer) => answer.into_response(),
    }
}
