//! The web pages (issue 8), rendered by `riverpan-web` from what the store, the testers tables
//! and the river say. Every HTML answer carries the restrictive Content-Security-Policy of
//! [`riverpan_web::CONTENT_SECURITY_POLICY`] and `X-Content-Type-Options: nosniff`.
//!
//! The handlers live in submodules: `public` (home and search, distributions, authors, Blead
//! Breaks CPAN, the river), `account` (signing in, the signed-in author's pages), `lifecycle`
//! (requesting an id, the cleanup opt-out, deleting an id, the administrators' pages) and
//! Breaks CPAN, the river), `account` (signing in, the signed-in author's pages), `permissions`
//! (the permission pages and forms, ownership offers, the administrators' adoption queue) and
//! `dashboard` (the status page).

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::ServerState;

pub(crate) mod account;
pub(crate) mod dashboard;
pub(crate) mod lifecycle;
pub(crate) mod permissions;
pub(crate) mod public;
pub(crate) mod session;

/// What the web pages keep in memory: the status history and one-time messages of signed-in
/// authors.
#[derive(Default)]
pub(crate) struct WebState {
    /// The sampled figures of `/status`.
    pub(crate) history: dashboard::StatusHistory,
    /// Messages shown once on the next page of a session.
    pub(crate) flashes: account::Flashes,
}

/// The web routes, with the security headers applied.
pub(crate) fn routes(state: &ServerState) -> Router<ServerState> {
    Router::new()
        .route(riverpan_web::STYLESHEET_PATH, get(stylesheet))
        .merge(public::routes().route_layer(middleware::from_fn_with_state(
            state.clone(),
            public::with_viewer,
        )))
        .merge(account::routes())
        .merge(lifecycle::routes())
        .merge(permissions::routes())
        .merge(dashboard::routes())
        .layer(middleware::from_fn(security_headers))
}

/// `text/html` answers get the CSP; every answer of these routes gets `nosniff` and a strict
/// referrer policy.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(riverpan_web::CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        riverpan_web::STYLESHEET,
    )
}
