//! riverpan's HTTP server: one router for every part, each in its module.
//!
//! | module | routes |
//! |---|---|
//! | this file | `GET /api/v1/status` (JSON facts, [`Status`]), `/healthz`, `/metrics` (Prometheus) |
//! | `mirror` | the CPAN mirror: `/authors/…`, `/modules/…`, `/backpan/…` |
//! | `metadb` | cpanmetadb: `/v1.0/package/{module}`, `/v1.0/history/{module}` |
//! | `api`, `openapi` | the JSON API `/api/v1/…` and its OpenAPI document |
//! | `upload`, `deletion` | `POST /pause/authenquery`, `POST /api/upload`, `/api/v1/deletions` |
//! | `lifecycle_api` | id requests, account states, deleting an id, inactive ids, the cleanup opt-out (`/api/v1/id-requests…`, `/api/v1/accounts/…`, `/api/v1/ids/inactive`, `/api/v1/authors/{id}/cleanup`) |
//! | `permissions` | permission management: `/api/v1/permissions/{package}/…`, `/api/v1/distributions/{name}/permissions/…`, transfers, adoptions |
//! | `testers`, `testers_read` | CPAN Testers: Metabase protocol, `/v3/…`, legacy feeds, BBC |
//! | `river` | `/api/v1/river…`, `/api/v1/rdeps/…` |
//! | `web` | the HTML pages (`/`, `/dist/…`, `/bbc`, `/river`, `/status`, `/account`, `/request-id`, `/admin/…`, …) |
//!
//! Anything else is `404 not found` (`405` for a known path with another method).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let store = riverpan_store::Store::open("riverpan-data").expect("store");
//! let state = riverpan_server::ServerState::new(env!("CARGO_PKG_VERSION"), store);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//! riverpan_server::serve(listener, state, riverpan_server::shutdown_signal()).await
//! # }
//! ```

mod api;
mod auth;
mod deletion;
mod jobs;
mod lifecycle_api;
mod metadb;
mod metrics;
mod mirror;
mod openapi;
mod permissions;
mod queue;
mod river;
mod status;
mod testers;
mod testers_read;
mod upload;
mod web;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use riverpan_store::Store;

pub use auth::{
    generate_token, hash_password, random_password, verify_password, NewToken, TokenScope,
};
pub use metrics::UNMATCHED_PATH_LABEL;
pub use queue::{parse_duration, parse_size, CleanupSchedule, WriteHandle, WriteOptions};
pub use status::{MirrorStatus, Status, StoreStatus};

/// Everything the handlers share: cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct ServerState {
    inner: Arc<SharedState>,
}

struct SharedState {
    version: String,
    data_dir: PathBuf,
    /// One connection behind a mutex: status requests are rare and short, and a
    /// connection pool arrives with the mirror.
    store: Mutex<Store>,
    started: Instant,
    metrics: metrics::RequestCounters,
    /// The package index in memory (cpanmetadb, the JSON API), refreshed in the background.
    snapshot: metadb::SnapshotCache,
    /// Read-only store connections for the JSON API and cpanmetadb history.
    readers: api::StorePool,
    /// Uploads, deletions and the indexing worker, once [`ServerState::enable_writes`] ran.
    writes: std::sync::OnceLock<Arc<queue::WriteSide>>,
    /// The river of the current index generation, built on demand.
    river: Arc<river::RiverCache>,
    /// The public web pages' read connections and caches (search index, Blead Breaks CPAN).
    public_web: web::public::PublicState,
    /// When each periodic job last ran (`/status`, `/metrics`).
    jobs: Arc<jobs::JobRuns>,
    /// The web's own state: the status history and one-time messages of signed-in authors.
    web: web::WebState,
}

impl ServerState {
    /// State for a server reporting riverpan version `version` and serving from `store` (whose
    /// data directory is shown on the status page as given to [`Store::open`]).
    pub fn new(version: impl Into<String>, store: Store) -> ServerState {
        let read_dir = store.data_dir().to_path_buf();
        ServerState {
            inner: Arc::new(SharedState {
                version: version.into(),
                data_dir: store.data_dir().to_path_buf(),
                store: Mutex::new(store),
                started: Instant::now(),
                metrics: metrics::RequestCounters::default(),
                snapshot: metadb::SnapshotCache::start(read_dir.clone()),
                readers: api::StorePool::new(read_dir),
                writes: std::sync::OnceLock::new(),
                river: Arc::default(),
                public_web: web::public::PublicState::default(),
                jobs: Arc::default(),
                web: web::WebState::default(),
            }),
        }
    }

    /// The riverpan version this server reports.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// The data directory this server serves from.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Time since the state was created, i.e. since the server started.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A handler that panicked while holding the lock cannot have left the connection in a
        // half-written state (SQLite rolls back unfinished transactions), so keep using it.
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why a request could not be answered; becomes a `500` response and an error log line.
#[derive(Debug, thiserror::Error)]
enum HandlerError {
    #[error("store: {0}")]
    Store(#[from] riverpan_store::StoreError),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl IntoResponse for HandlerError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("internal server error: {self}\n"),
        )
            .into_response()
    }
}

/// The application: every route, the 404 fallback and the request-counting middleware.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/api/v1/status", get(status_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        // The read side: the CPAN mirror, cpanmetadb, the JSON API and its OpenAPI document.
        .merge(mirror::routes())
        .merge(metadb::routes())
        .merge(api::routes())
        .merge(openapi::routes())
        .merge(upload::routes())
        .merge(lifecycle_api::routes())
        .merge(permissions::routes())
        .merge(river::routes())
        .merge(web::routes(&state))
        // CPAN Testers: ingestion and the read side, with CORS as api.cpantesters.org has it.
        .merge(testers_read::with_cors(
            testers::routes().merge(testers_read::routes()),
        ))
        .fallback(not_found)
        // `layer` (not `route_layer`) so that 404s are counted too; axum applies it per route,
        // which is what makes `MatchedPath` visible to the middleware.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` completes, then stops accepting connections
/// and waits for the requests in flight to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The status page's history: sampled while the server runs.
    let sampler = tokio::spawn(web::dashboard::sample_forever(state.clone()));
    // With the peer address: the failed-login limit counts per client address.
    let served = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sampler.abort();
    served
}

/// A future that completes when the process receives SIGINT (Ctrl-C) or SIGTERM (`docker stop`,
/// systemd).
///
/// The handlers are installed when this function is called, not when the future is first
/// polled, so a signal that arrives between the call and the start of [`serve`] still shuts the
/// server down cleanly instead of killing the process.  Must be called inside a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(error), _) | (_, Err(error)) => {
                    // Without handlers the default action (terminate) still stops the process.
                    tracing::error!(%error, "cannot install the SIGINT/SIGTERM handlers");
                    return std::future::pending().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("Ctrl-C received, shutting down"),
            Err(error) => {
                tracing::error!(%error, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Reads the status off the store on the blocking pool: SQLite calls block.
async fn current_status(state: &ServerState) -> Result<Status, HandlerError> {
    let state = state.clone();
    let status = tokio::task::spawn_blocking(move || Status::collect(&state)).await??;
    Ok(status)
}

async fn status_json(State(state): State<ServerState>) -> Result<Json<Status>, HandlerError> {
    Ok(Json(current_status(&state).await?))
}

async fn healthz() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok")
}

async fn metrics_text(State(state): State<ServerState>) -> impl IntoResponse {
    let gauges = web::dashboard::gauges(&state).await;
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state
            .inner
            .metrics
            .render(&state.inner.version, state.uptime(), &gauges),
    )
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
}

/// Counts every answered request by route and status for `/metrics`, and logs it.
async fn count_requests(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    // The route pattern, not the requested path: labels must come from a small fixed set, or a
    // scanner probing random URLs would create unbounded time series.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_PATH_LABEL, |matched| matched.as_str())
        .to_owned();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    state
        .inner
        .metrics
        .record(&route, status.as_u16(), started.elapsed());
    tracing::debug!(
        %method,
        %uri,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}
