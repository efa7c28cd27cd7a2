//! The CPAN river over HTTP.
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/v1/river` | `{"Dist": {"immediate", "total", "bucket"}, ...}` for every distribution (metacpan-river's `river.json`); `?top=N` gives the N most upriver as a list with bands |
//! | `GET /api/v1/river/{dist}` | one distribution: counts, bucket, band, its direct dependencies; `404` when not in the river |
//! | `GET /api/v1/river-unresolved` | `{"Module::Name": ["Dist-Requiring-It", ...]}`: required modules no distribution in the index provides |
//! | `GET /api/v1/rdeps/{dist-or-module}` | reverse dependencies, `?deep=1` for all transitive ones, `?page=`/`?per_page=` (default 100, at most 5000), no cap on the page number; `?kind=dist|module` when a one-word name is ambiguous |
//!
//! The river is built from the store when first asked and rebuilt when the index generation
//! moves (every indexed upload bumps it), on the blocking pool; requests in between share one
//! copy.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use riverpan_river::{River, RiverPosition};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::api::{internal_error, json_error};
use crate::ServerState;

/// The largest page `rdeps` gives.
const MAX_PER_PAGE: usize = 5000;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/river", get(all))
        .route("/api/v1/river/{dist}", get(one))
        .route("/api/v1/rdeps/{name}", get(rdeps))
        .route("/api/v1/river-unresolved", get(unresolved))
}

/// The river of one index generation, shared by requests.
#[derive(Default)]
pub(crate) struct RiverCache {
    current: Mutex<Option<(u64, Arc<River>)>>,
    /// Serialises rebuilds: concurrent requests after an upload wait for one build.
    building: Mutex<()>,
}

impl RiverCache {
    /// The river for the store's current generation (blocking: call on the blocking pool).
    pub(crate) fn get(&self, state: &ServerState) -> Result<Arc<River>, String> {
        let generation = state
            .inner
            .readers
            .with(|store| store.index_generation())
            .map_err(|e| e.to_string())?;
        if let Some(river) = self.cached(generation) {
            return Ok(river);
        }
        let _building = self
            .building
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(river) = self.cached(generation) {
            return Ok(river);
        }
        let river = Arc::new(
            state
                .inner
                .readers
                .with(|store| riverpan_repository::river_from_store(&store.reader()))
                .map_err(|e| e.to_string())?,
        );
        *self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((generation, river.clone()));
        Ok(river)
    }

    /// Takes the river the indexing worker's repository holds (it is updated in place after
    /// every upload), so that readers need not rebuild it from the store.
    pub(crate) fn offer_from(&self, repository: &riverpan_repository::Repository) {
        if let Some((generation, river)) = repository.current_river() {
            let newer = self
                .current
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .as_ref()
                .map(|(at, _)| *at)
                < Some(generation);
            if newer {
                let river = Arc::new(river.clone());
                *self
                    .current
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((generation, river));
            }
        }
    }

    fn cached(&self, generation: u64) -> Option<Arc<River>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .filter(|(built_for, _)| *built_for == generation)
            .map(|(_, river)| river.clone())
    }
}

async fn river_of(state: &ServerState) -> Result<Arc<River>, Response> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || state.inner.river.get(&state)).await {
        Ok(Ok(river)) => Ok(river),
        Ok(Err(reason)) => Err(internal_error(&reason)),
        Err(join) => Err(internal_error(&join.to_string())),
    }
}

fn counts(position: &RiverPosition) -> Value {
    json!({
        "immediate": position.immediate,
        "total": position.total,
        "bucket": position.bucket,
    })
}

fn with_band(dist: &str, position: &RiverPosition) -> Value {
    json!({
        "dist": dist,
        "immediate": position.immediate,
        "total": position.total,
        "bucket": position.bucket,
        "band": position.band.as_str(),
    })
}

fn no_cache(value: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Json(value)).into_response()
}

/// `?top=N`.
#[derive(Debug, Deserialize)]
struct AllQuery {
    top: Option<usize>,
}

async fn all(State(state): State<ServerState>, Query(query): Query<AllQuery>) -> Response {
    let river = match river_of(&state).await {
        Ok(river) => river,
        Err(response) => return response,
    };
    if let Some(n) = query.top {
        let rows: Vec<Value> = river
            .top(n)
            .iter()
            .map(|(dist, position)| with_band(dist, position))
            .collect();
        return no_cache(Value::Array(rows));
    }
    let map: Map<String, Value> = river
        .positions()
        .map(|(dist, position)| (dist.to_string(), counts(&position)))
        .collect();
    no_cache(Value::Object(map))
}

async fn unresolved(State(state): State<ServerState>) -> Response {
    let river = match river_of(&state).await {
        Ok(river) => river,
        Err(response) => return response,
    };
    let map: Map<String, Value> = river
        .unresolved()
        .iter()
        .map(|(module, dists)| (module.clone(), json!(dists)))
        .collect();
    no_cache(Value::Object(map))
}

async fn one(State(state): State<ServerState>, Path(dist): Path<String>) -> Response {
    let river = match river_of(&state).await {
        Ok(river) => river,
        Err(response) => return response,
    };
    let Some(position) = river.position(&dist) else {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("no distribution {dist} in the river"),
        );
    };
    let mut value = with_band(&dist, &position);
    if let Value::Object(map) = &mut value {
        map.insert("dependencies".into(), json!(river.dependencies(&dist)));
    }
    no_cache(value)
}

/// The query of `rdeps`.
#[derive(Debug, Deserialize)]
struct RdepsQuery {
    deep: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
    kind: Option<String>,
}

fn truthy(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "true" | "yes" | "on" | ""))
}

async fn rdeps(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    Query(query): Query<RdepsQuery>,
) -> Response {
    let river = match river_of(&state).await {
        Ok(river) => river,
        Err(response) => return response,
    };
    let deep = truthy(query.deep.as_deref());
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(100);
    if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
        return json_error(
            StatusCode::BAD_REQUEST,
            format!("page must be at least 1 and per_page between 1 and {MAX_PER_PAGE}"),
        );
    }
    let module = match query.kind.as_deref() {
        Some("module") => true,
        Some("dist") => false,
        Some(other) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("kind must be dist or module, not {other}"),
            )
        }
        None => name.contains("::") || (!name.contains('-') && river.position(&name).is_none()),
    };
    let dependents: Vec<&str> = if module {
        if river.provider(&name).is_none() && river.module_dependents(&name, false).is_empty() {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("no module {name} in the index and no release requires it"),
            );
        }
        river.module_dependents(&name, deep)
    } else {
        if river.position(&name).is_none() {
            return json_error(
                StatusCode::NOT_FOUND,
                format!("no distribution {name} in the river"),
            );
        }
        if deep {
            river.deep_dependents(&name)
        } else {
            river.direct_dependents(&name)
        }
    };
    let count = dependents.len();
    let rows: Vec<Value> = dependents
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|dist| match river.position(dist) {
            Some(position) => with_band(dist, &position),
            None => json!({ "dist": dist }),
        })
        .collect();
    let mut value = json!({
        "name": name,
        "kind": if module { "module" } else { "dist" },
        "deep": deep,
        "count": count,
        "page": page,
        "per_page": per_page,
        "pages": count.div_ceil(per_page),
        "dependents": rows,
    });
    if module {
        if let Value::Object(map) = &mut value {
            map.insert("provided_by".into(), json!(river.provider(&name)));
        }
    }
    no_cache(value)
}
