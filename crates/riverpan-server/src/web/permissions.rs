//! The permission pages and their forms (session + CSRF, as the account pages).
//!
//! | route | answer |
//! |---|---|
//! | `GET /package/{package}` | who holds the package, its recorded changes, the operation form when signed in |
//! | `POST /package/{package}` | `action` (`add-comaint`, `remove-comaint`, `transfer`, `give-up`, `mark-handoff`, `mark-needhelp`), `userid`, `reason`, `as` (administrators), `csrf` → the page with the outcome |
//! | `GET /dist/{dist}/permissions`, `POST` | the same for every package of a distribution, with its adoption requests and their rationale |
//! | `POST /dist/{dist}/adopt` | `reason`, `csrf` → an adoption request |
//! | `GET /account/transfers`, `POST /account/transfers/{id}/accept` | the ownership offers waiting for the signed-in author |
//! | `GET /admin/adoptions`, `POST /admin/adoptions/{id}` | administrators: pending requests; `decision` (`grant`/`refuse`), `rationale` |
//!
//! Refusals answer the page with the message and the API's status (403, 404, 409, 422).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use riverpan_repository::permissions::rules::{Action, Marker};
use riverpan_repository::permissions::{
    self as perms, Interface, PermOutcome, PermRequest, Subject,
};
use riverpan_repository::RepositoryError;
use riverpan_web::perms::{self as pages, AdoptionRow, HolderRow, LogEntry, OfferRow, PermsPage};

use super::account::{
    current_session, error, html, internal, on_blocking_pool, page_session, signed_form, viewer_of,
};
use super::session::Session;
use crate::api::rfc3339;
use crate::permissions::{actor_of, on_repository, status_of};
use crate::queue::{now_seconds, WriteSide};
use crate::ServerState;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/package/{package}", get(package_page).post(package_form))
        .route("/dist/{dist}/permissions", get(dist_page).post(dist_form))
        .route("/dist/{dist}/adopt", post(adopt_form))
        .route("/account/transfers", get(transfers))
        .route("/account/transfers/{id}/accept", post(accept_form))
        .route("/admin/adoptions", get(adoptions))
        .route("/admin/adoptions/{id}", post(decide_form))
}

fn log_entries(
    log: &[(
        riverpan_store::PermOperationRecord,
        Vec<riverpan_store::PermChangeRecord>,
    )],
) -> Vec<LogEntry> {
    log.iter()
        .map(|(operation, changes)| {
            let skipped: Vec<String> =
                serde_json::from_str::<Vec<serde_json::Value>>(&operation.skipped)
                    .unwrap_or_default()
                    .iter()
                    .map(|entry| {
                        format!(
                            "{}: {}",
                            entry["package"].as_str().unwrap_or(""),
                            entry["reason"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
            LogEntry {
                at: rfc3339(operation.at),
                actor: operation.actor.clone(),
                on_behalf_of: operation.on_behalf_of.clone(),
                interface: operation.interface.clone(),
                operation: operation.operation.clone(),
                argument: operation.argument.clone(),
                reason: operation.reason.clone(),
                changes: changes.iter().map(perms::describe_change).collect(),
                skipped,
            }
        })
        .collect()
}

fn adoption_row(adoption: &riverpan_store::AdoptionRecord) -> AdoptionRow {
    AdoptionRow {
        id: adoption.id,
        dist: adoption.dist.clone(),
        userid: adoption.userid.clone(),
        reason: adoption.reason.clone(),
        held_by: adoption.held_by.clone(),
        immediate: adoption.immediate,
        total: adoption.total,
        band: riverpan_river::band(adoption.total.max(0) as u64)
            .as_str()
            .to_string(),
        state: adoption.state.clone(),
        decided_by: adoption.decided_by.clone(),
        rationale: adoption.rationale.clone(),
    }
}

fn holder_row(holders: &perms::PackagePermissions) -> HolderRow {
    HolderRow {
        package: holders.package.clone(),
        owner: holders.owner.clone(),
        comaints: holders.comaints.clone(),
        markers: holders.markers.clone(),
    }
}

/// Reads a page's holders, log and adoptions; `None` when riverpan knows no such package or
/// distribution.
async fn load(state: &ServerState, is_dist: bool, name: &str) -> Result<Option<PermsPage>, String> {
    let name = name.to_string();
    let read = state
        .inner
        .readers
        .read(move |store| {
            let reader = store.reader();
            let page = if is_dist {
                let holders = perms::dist_permissions(store, &name);
                let log = reader.perm_log_of_dist(&name)?;
                let adoptions = reader.adoptions_of_dist(&name)?;
                holders.map(|holders| {
                    (!holders.is_empty() || !log.is_empty()).then(|| PermsPage {
                        is_dist,
                        name: name.clone(),
                        holders: holders.iter().map(holder_row).collect(),
                        log: log_entries(&log),
                        adoptions: adoptions.iter().map(adoption_row).collect(),
                        ..PermsPage::default()
                    })
                })
            } else {
                let holders = perms::package_permissions(store, &name);
                let log = reader.perm_log_of_package(&name)?;
                holders.map(|holders| {
                    (holders.is_some() || !log.is_empty()).then(|| PermsPage {
                        is_dist,
                        name: holders
                            .as_ref()
                            .map_or_else(|| name.clone(), |h| h.package.clone()),
                        dist: holders.as_ref().and_then(|h| h.dist.clone()),
                        holders: holders.iter().map(holder_row).collect(),
                        log: log_entries(&log),
                        ..PermsPage::default()
                    })
                })
            };
            Ok(page)
        })
        .await?;
    read.map_err(|error| error.to_string())
}

/// What a page shows after a form (or without one): its status, and the form's outcome as a
/// notice or its refusal as an error.
struct Feedback {
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
}

impl Feedback {
    /// The page as it is, no form sent.
    fn none() -> Feedback {
        Feedback {
            status: StatusCode::OK,
            notice: None,
            error: None,
        }
    }

    /// A form refused with `status` and `message`.
    fn refused(status: StatusCode, message: String) -> Feedback {
        Feedback {
            status,
            notice: None,
            error: Some(message),
        }
    }

    /// An operation done: its description as the notice.
    fn done(outcome: &PermOutcome) -> Feedback {
        Feedback {
            status: StatusCode::OK,
            notice: Some(describe(outcome)),
            error: None,
        }
    }

    /// An operation's outcome, done or refused (see [`refusal`]).
    fn of(outcome: Result<PermOutcome, RepositoryError>) -> Feedback {
        match outcome {
            Ok(outcome) => Feedback::done(&outcome),
            Err(failure) => {
                let (status, message) = refusal(&failure);
                Feedback::refused(status, message)
            }
        }
    }
}

/// Renders a permission page with the feedback of a form and the viewer.
async fn render(
    state: &ServerState,
    headers: &HeaderMap,
    is_dist: bool,
    name: &str,
    feedback: Feedback,
) -> Response {
    let session = match current_session(state, headers).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let viewer = session.as_ref().map(viewer_of).unwrap_or_default();
    match load(state, is_dist, name).await {
        Ok(Some(mut view)) => {
            view.notice = feedback.notice;
            view.error = feedback.error;
            view.viewer_is_admin = session.as_ref().is_some_and(|s| s.is_admin);
            html(feedback.status, pages::perms_page(&viewer, &view))
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            &feedback
                .error
                .unwrap_or_else(|| format!("riverpan knows no {name}.")),
            &viewer,
        ),
        Err(reason) => internal(reason),
    }
}

async fn package_page(
    State(state): State<ServerState>,
    Path(package): Path<String>,
    headers: HeaderMap,
) -> Response {
    render(&state, &headers, false, &package, Feedback::none()).await
}

async fn dist_page(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    headers: HeaderMap,
) -> Response {
    render(&state, &headers, true, &dist, Feedback::none()).await
}

/// The words of an outcome, for the notice.
fn describe(outcome: &PermOutcome) -> String {
    let mut text = format!(
        "Done: {} on {}.",
        outcome.operation.operation, outcome.operation.subject
    );
    if let Some(offer) = &outcome.offer {
        if offer.state == "pending" {
            text = format!(
                "Offered ownership of {} to {}: it moves when {} accepts (within 30 days).",
                offer.subject, offer.to_userid, offer.to_userid
            );
        }
    }
    if let Some(adoption) = &outcome.adoption {
        text = match adoption.state.as_str() {
            "pending" => format!(
                "Your request to adopt {} waits for an administrator ({} downriver dependents).",
                adoption.dist, adoption.total
            ),
            state => format!(
                "The adoption of {} by {} is {state}.",
                adoption.dist, adoption.userid
            ),
        };
    }
    for change in &outcome.changes {
        text.push(' ');
        text.push_str(&perms::describe_change(change));
        text.push('.');
    }
    for skipped in &outcome.skipped {
        text.push_str(&format!(
            " Left alone: {}: {}",
            skipped.package, skipped.reason
        ));
    }
    text
}

/// The status and message of a failed operation.
fn refusal(error: &RepositoryError) -> (StatusCode, String) {
    match error {
        RepositoryError::PermissionRefused(refusal) => {
            (status_of(refusal.kind), refusal.message.clone())
        }
        RepositoryError::NotFound(message) => (StatusCode::NOT_FOUND, message.clone()),
        other => {
            tracing::error!(error = %other, "permission form failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error".into(),
            )
        }
    }
}

/// Runs a repository call of a form on the blocking pool: what the page shows after it.
async fn run_form_call(
    side: &Arc<WriteSide>,
    call: impl FnOnce(&mut riverpan_repository::Repository) -> Result<PermOutcome, RepositoryError>
        + Send
        + 'static,
) -> Result<Feedback, Response> {
    let side = Arc::clone(side);
    let outcome = on_blocking_pool(move || call(&mut side.repository())).await?;
    Ok(Feedback::of(outcome))
}

/// Runs a repository call for a form and renders the page with its outcome.
async fn run_and_render(
    state: &ServerState,
    headers: &HeaderMap,
    side: &Arc<WriteSide>,
    is_dist: bool,
    name: &str,
    call: impl FnOnce(&mut riverpan_repository::Repository) -> Result<PermOutcome, RepositoryError>
        + Send
        + 'static,
) -> Result<Response, Response> {
    let feedback = run_form_call(side, call).await?;
    Ok(render(state, headers, is_dist, name, feedback).await)
}

async fn operation_form(
    state: ServerState,
    headers: HeaderMap,
    body: Bytes,
    is_dist: bool,
    name: String,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let field = |key: &str| {
        form.get(key)
            .map(|value| value.trim().to_string())
            .unwrap_or_default()
    };
    let userid = field("userid").to_ascii_uppercase();
    let action = match field("action").as_str() {
        "add-comaint" => Action::AddComaint(userid),
        "remove-comaint" => Action::RemoveComaint(userid),
        "transfer" => Action::Transfer(userid),
        "give-up" => Action::GiveUp,
        "mark-handoff" => Action::Mark(Marker::Handoff),
        "mark-needhelp" => Action::Mark(Marker::Needhelp),
        other => {
            let message = format!("Unknown operation {other:?}.");
            let feedback = Feedback::refused(StatusCode::BAD_REQUEST, message);
            return Ok(render(&state, &headers, is_dist, &name, feedback).await);
        }
    };
    if matches!(&action, Action::AddComaint(id) | Action::RemoveComaint(id) | Action::Transfer(id) if id.is_empty())
    {
        let message = "You need to enter a userid. Nothing done.".to_string();
        let feedback = Feedback::refused(StatusCode::BAD_REQUEST, message);
        return Ok(render(&state, &headers, is_dist, &name, feedback).await);
    }
    let subject = if is_dist {
        Subject::Distribution(name.clone())
    } else {
        Subject::Package(name.clone())
    };
    let acting_for = field("as");
    let request = PermRequest {
        subject,
        action,
        actor: actor_of(&session.userid, session.is_admin, Some(&acting_for)),
        interface: Interface::Web,
        reason: Some(field("reason")),
    };
    run_and_render(&state, &headers, &side, is_dist, &name, move |repository| {
        repository.change_permissions_as(&request)
    })
    .await
}

async fn package_form(
    State(state): State<ServerState>,
    Path(package): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    operation_form(state, headers, body, false, package).await
}

async fn dist_form(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    operation_form(state, headers, body, true, dist).await
}

async fn adopt_form(
    State(state): State<ServerState>,
    Path(dist): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let reason = form.get("reason").cloned().unwrap_or_default();
    let actor = actor_of(&session.userid, session.is_admin, None);
    let name = dist.clone();
    run_and_render(&state, &headers, &side, true, &dist, move |repository| {
        repository.request_adoption(&name, &actor, &reason, Interface::Web)
    })
    .await
}

async fn transfers_with(state: &ServerState, session: &Session, feedback: Feedback) -> Response {
    let userid = session.userid.clone();
    let offers = state
        .inner
        .readers
        .read(move |store| store.reader().pending_offers_to(&userid))
        .await;
    let now = now_seconds();
    match offers {
        Ok(offers) => {
            let rows: Vec<OfferRow> = offers
                .iter()
                .filter(|offer| offer.expires_at > now)
                .map(|offer| OfferRow {
                    id: offer.id,
                    scope: offer.scope.clone(),
                    subject: offer.subject.clone(),
                    from: offer.from_userid.clone(),
                    packages: serde_json::from_str(&offer.packages).unwrap_or_default(),
                    expires_at: rfc3339(offer.expires_at),
                })
                .collect();
            html(
                feedback.status,
                pages::transfers_page(
                    &viewer_of(session),
                    &rows,
                    &feedback.notice,
                    &feedback.error,
                ),
            )
        }
        Err(reason) => internal(reason),
    }
}

async fn transfers(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let session = page_session(&state, &headers).await?;
    Ok(transfers_with(&state, &session, Feedback::none()).await)
}

async fn accept_form(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (_, session, side) = signed_form(&state, &headers, &body).await?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "No such offer.",
            &viewer_of(&session),
        ));
    };
    let actor = actor_of(&session.userid, session.is_admin, None);
    // Through the API's call, so that a refusal carries the API's status and message.
    let outcome = on_repository(&side, move |repository| {
        repository.accept_offer(id, &actor, Interface::Web)
    })
    .await;
    let feedback = match outcome {
        Ok(outcome) => Feedback::done(&outcome),
        Err(response) => {
            let status = response.status();
            let message = match axum::body::to_bytes(response.into_body(), 64 << 10).await {
                Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|value| value["error"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "Refused.".into()),
                Err(_) => "Refused.".into(),
            };
            Feedback::refused(status, message)
        }
    };
    Ok(transfers_with(&state, &session, feedback).await)
}

async fn adoptions_with(state: &ServerState, session: &Session, feedback: Feedback) -> Response {
    if !session.is_admin {
        return error(
            StatusCode::FORBIDDEN,
            "Only administrators see the adoption requests.",
            &viewer_of(session),
        );
    }
    match state
        .inner
        .readers
        .read(|store| store.reader().pending_adoptions())
        .await
    {
        Ok(requests) => {
            let rows: Vec<AdoptionRow> = requests.iter().map(adoption_row).collect();
            html(
                feedback.status,
                pages::adoptions_page(
                    &viewer_of(session),
                    &rows,
                    &feedback.notice,
                    &feedback.error,
                ),
            )
        }
        Err(reason) => internal(reason),
    }
}

async fn adoptions(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let session = page_session(&state, &headers).await?;
    Ok(adoptions_with(&state, &session, Feedback::none()).await)
}

async fn decide_form(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let (form, session, side) = signed_form(&state, &headers, &body).await?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "No such request.",
            &viewer_of(&session),
        ));
    };
    let grant = form.get("decision").map(String::as_str) == Some("grant");
    let rationale = form.get("rationale").cloned().unwrap_or_default();
    let actor = actor_of(&session.userid, session.is_admin, None);
    let feedback = run_form_call(&side, move |repository| {
        repository.decide_adoption(id, &actor, grant, &rationale, Interface::Web)
    })
    .await?;
    Ok(adoptions_with(&state, &session, feedback).await)
}
