//! The status page (`GET /status`) and the figures behind it and `/metrics`.
//!
//! A sampler task ([`sample_forever`], started by [`crate::serve`]) reads the figures every
//! [`SAMPLE_EVERY`] into an in-memory ring of [`SAMPLES_KEPT`] points (an hour), which the page
//! draws as sparklines: upload queue depth and the age of its oldest upload, report ingestion
//! rate and lag, the age of the published index, request rate, 5xx share and mean latency.
//! Per-endpoint figures come from the request counters of [`crate::metrics`], the last run of
//! each periodic job from [`crate::jobs`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use riverpan_testers::rusqlite::{params, OptionalExtension};
use riverpan_web::status::{self as page, duration_words, EndpointRow, Figure, Health, JobRow};

use crate::jobs::Job;
use crate::metrics::{RepositoryGauges, RequestTotals};
use crate::queue::now_seconds;
use crate::ServerState;

/// How often the sampler reads the figures.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// How many samples are kept (an hour at [`SAMPLE_EVERY`]).
pub(crate) const SAMPLES_KEPT: usize = 360;
/// The oldest waiting upload is worth a look after this long (the worker indexes within
/// seconds and polls every 30 s).
const QUEUE_AGE_WARNING: f64 = 300.0;
/// ... and something is wrong after this long.
const QUEUE_AGE_DOWN: f64 = 3600.0;
/// A share of 5xx answers (percent) worth a look.
const SERVER_ERRORS_WARNING: f64 = 1.0;
/// The worker passes at least every 30 s; silence for this long means it stopped.
const WORKER_SILENCE: i64 = 120;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new().route("/status", get(status))
}

/// One reading of the figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sample {
    /// Seconds since the epoch.
    at: f64,
    queue_depth: Option<f64>,
    queue_oldest_age: Option<f64>,
    index_age: Option<f64>,
    /// Reports stored per minute since the previous sample.
    reports_per_minute: Option<f64>,
    report_lag: Option<f64>,
    requests_per_second: Option<f64>,
    server_error_percent: Option<f64>,
    mean_latency_ms: Option<f64>,
}

/// What the previous sample saw, to turn totals into rates.
#[derive(Clone, Copy, Debug)]
struct Baseline {
    at: f64,
    reports_total: Option<u64>,
    requests: RequestTotals,
}

/// The sampled history, newest last.
#[derive(Default)]
pub(crate) struct StatusHistory {
    samples: Mutex<VecDeque<Sample>>,
    baseline: Mutex<Option<Baseline>>,
}

impl StatusHistory {
    fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .copied()
            .collect()
    }

    fn push(&self, sample: Sample) {
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if samples.len() == SAMPLES_KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    fn latest(&self) -> Option<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .back()
            .copied()
    }
}

/// What the store says, read on the blocking pool.
#[derive(Debug, Default, Clone)]
struct StoreFacts {
    index_age: Option<f64>,
    queue_depth: Option<u64>,
    queue_oldest_age: Option<f64>,
    reports_total: Option<u64>,
    /// Reports stored after the baseline's, with their mean lag.
    new_reports_lag: Option<f64>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// Reads the store's figures (blocking). With `reports_after`, also the mean lag of the reports
/// stored after that row.
fn read_store(state: &ServerState, reports_after: Option<u64>) -> StoreFacts {
    let now = now_seconds();
    let index = state
        .data_dir()
        .join("cpan/modules/02packages.details.txt.gz");
    let index_age = std::fs::metadata(&index)
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .map(|age| age.as_secs_f64());
    let queued = state
        .inner
        .readers
        .with(|store| store.reader().queued_uploads())
        .map_err(|error| tracing::warn!(%error, "status: cannot read the upload queue"))
        .ok();
    let queue_depth = queued.as_ref().map(|queued| queued.len() as u64);
    let queue_oldest_age = queued.as_ref().map(|queued| {
        queued
            .iter()
            .map(|upload| upload.uploaded_at)
            .min()
            .map_or(0.0, |oldest| now.saturating_sub(oldest).max(0) as f64)
    });
    let testers = super::session::open_store_file(state.data_dir())
        .map_err(|error| error.to_string())
        .and_then(|conn| {
            // Reports are never removed, so the highest row id counts them without a scan.
            let total: u64 = conn
                .query_row(
                    "SELECT COALESCE(MAX(rowid_), 0) FROM testers_reports",
                    [],
                    |row| row.get(0),
                )
                .map_err(|error| error.to_string())?;
            let lag = match reports_after {
                Some(after) if after < total => conn
                    .query_row(
                        "SELECT AVG(?2 - unixepoch(submitted_at)) FROM testers_reports
                         WHERE rowid_ > ?1",
                        params![after, now],
                        |row| row.get::<_, Option<f64>>(0),
                    )
                    .optional()
                    .map_err(|error| error.to_string())?
                    .flatten()
                    .map(|lag| lag.max(0.0)),
                _ => None,
            };
            Ok((total, lag))
        })
        .map_err(|error| tracing::warn!(%error, "status: cannot read the testers reports"))
        .ok();
    StoreFacts {
        index_age,
        queue_depth,
        queue_oldest_age,
        reports_total: testers.map(|(total, _)| total),
        new_reports_lag: testers.and_then(|(_, lag)| lag),
    }
}

/// Takes one sample into the history.
pub(crate) async fn sample_once(state: &ServerState) {
    let history = &state.inner.web.history;
    let baseline = *history
        .baseline
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let reports_after = baseline.and_then(|baseline| baseline.reports_total);
    let reader = state.clone();
    let Ok(facts) = tokio::task::spawn_blocking(move || read_store(&reader, reports_after)).await
    else {
        return;
    };
    let at = unix_now();
    let requests = state.inner.metrics.totals();
    let mut sample = Sample {
        at,
        queue_depth: facts.queue_depth.map(|depth| depth as f64),
        queue_oldest_age: facts.queue_oldest_age,
        index_age: facts.index_age,
        report_lag: facts.new_reports_lag,
        ..Sample::default()
    };
    if let Some(baseline) = baseline {
        let span = (at - baseline.at).max(0.001);
        if let (Some(now), Some(before)) = (facts.reports_total, baseline.reports_total) {
            sample.reports_per_minute = Some(now.saturating_sub(before) as f64 * 60.0 / span);
        }
        let answered = requests.requests.saturating_sub(baseline.requests.requests);
        sample.requests_per_second = Some(answered as f64 / span);
        if answered > 0 {
            let errors = requests
                .server_errors
                .saturating_sub(baseline.requests.server_errors);
            sample.server_error_percent = Some(errors as f64 * 100.0 / answered as f64);
            sample.mean_latency_ms =
                Some((requests.seconds - baseline.requests.seconds) * 1000.0 / answered as f64);
        } else {
            sample.server_error_percent = Some(0.0);
        }
    }
    *history
        .baseline
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Baseline {
        at,
        reports_total: facts.reports_total,
        requests,
    });
    history.push(sample);
}

/// Samples every [`SAMPLE_EVERY`] until the task is aborted.
pub(crate) async fn sample_forever(state: ServerState) {
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sample_once(&state).await;
    }
}

/// The repository's gauges for `/metrics`: read now, except the report lag (from the latest
/// sample: it is a figure over a sampling interval).
pub(crate) async fn gauges(state: &ServerState) -> RepositoryGauges {
    let reader = state.clone();
    let facts = tokio::task::spawn_blocking(move || read_store(&reader, None))
        .await
        .unwrap_or_default();
    RepositoryGauges {
        index_age_seconds: facts.index_age,
        queue_depth: facts.queue_depth,
        snapshot: state
            .inner
            .snapshot
            .peek()
            .map(|snapshot| (snapshot.generation, snapshot.packages.len())),
        queue_oldest_age_seconds: facts.queue_oldest_age,
        reports_total: facts.reports_total,
        report_lag_seconds: state
            .inner
            .web
            .history
            .latest()
            .and_then(|sample| sample.report_lag),
        jobs: Job::ALL
            .iter()
            .map(|job| (job.label(), state.inner.jobs.record(*job)))
            .collect(),
    }
}

/// `(at, value)` points of one field of the history.
fn series(samples: &[Sample], field: impl Fn(&Sample) -> Option<f64>) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|sample| field(sample).map(|value| (sample.at, value)))
        .collect()
}

/// The figures of the page from the latest sample and the history.
fn figures(samples: &[Sample], writes_enabled: bool) -> Vec<Figure> {
    let latest = samples.last().copied().unwrap_or_default();
    let or_unknown = |value: Option<f64>, words: fn(f64) -> String| {
        value.map_or_else(|| "unknown".to_string(), words)
    };
    let queue_health = match latest.queue_oldest_age {
        Some(age) if age >= QUEUE_AGE_DOWN => Health::Down,
        Some(age) if age >= QUEUE_AGE_WARNING => Health::Warning,
        Some(_) if writes_enabled => Health::Ok,
        // Without the write side nothing indexes the queue, and nothing can fill it.
        Some(age) if age > 0.0 => Health::Warning,
        Some(_) => Health::Ok,
        None => Health::Unknown,
    };
    let known = |value: Option<f64>| {
        if value.is_some() {
            Health::Ok
        } else {
            Health::Unknown
        }
    };
    vec![
        Figure {
            id: "upload-queue-depth",
            label: "Upload queue depth".into(),
            value: or_unknown(latest.queue_depth, |depth| format!("{depth:.0}")),
            health: queue_health,
            history: series(samples, |sample| sample.queue_depth),
            unit: "uploads".into(),
            metric: "riverpan_upload_queue_depth",
        },
        Figure {
            id: "upload-queue-oldest-age",
            label: "Oldest waiting upload".into(),
            value: or_unknown(latest.queue_oldest_age, |age| {
                if age > 0.0 {
                    duration_words(age)
                } else {
                    "none waiting".to_string()
                }
            }),
            health: queue_health,
            history: series(samples, |sample| sample.queue_oldest_age),
            unit: "s".into(),
            metric: "riverpan_upload_queue_oldest_age_seconds",
        },
        Figure {
            id: "report-ingestion-rate",
            label: "Reports ingested".into(),
            value: or_unknown(latest.reports_per_minute, |rate| {
                format!("{} / min", riverpan_web::svg::format_number(rate))
            }),
            health: known(latest.reports_per_minute),
            history: series(samples, |sample| sample.reports_per_minute),
            unit: "/min".into(),
            metric: "riverpan_testers_reports_total",
        },
        Figure {
            id: "report-lag",
            label: "Report processing lag".into(),
            value: latest.report_lag.map_or_else(
                || "no reports in the last interval".to_string(),
                duration_words,
            ),
            health: Health::Ok,
            history: series(samples, |sample| sample.report_lag),
            unit: "s".into(),
            metric: "riverpan_testers_report_lag_seconds",
        },
        Figure {
            id: "index-age",
            label: "Age of the published index".into(),
            value: latest
                .index_age
                .map_or_else(|| "not published yet".to_string(), duration_words),
            health: known(latest.index_age),
            history: series(samples, |sample| sample.index_age),
            unit: "s".into(),
            metric: "riverpan_index_age_seconds",
        },
        Figure {
            id: "request-rate",
            label: "Requests".into(),
            value: or_unknown(latest.requests_per_second, |rate| {
                format!("{} / s", riverpan_web::svg::format_number(rate))
            }),
            health: known(latest.requests_per_second),
            history: series(samples, |sample| sample.requests_per_second),
            unit: "/s".into(),
            metric: "riverpan_http_requests_total",
        },
        Figure {
            id: "server-errors",
            label: "Server errors (5xx)".into(),
            value: or_unknown(latest.server_error_percent, |percent| {
                format!("{percent:.2} %")
            }),
            health: match latest.server_error_percent {
                Some(percent) if percent >= SERVER_ERRORS_WARNING => Health::Warning,
                Some(_) => Health::Ok,
                None => Health::Unknown,
            },
            history: series(samples, |sample| sample.server_error_percent),
            unit: "%".into(),
            metric: "riverpan_http_requests_total",
        },
        Figure {
            id: "latency",
            label: "Mean answer time".into(),
            value: or_unknown(latest.mean_latency_ms, |ms| format!("{ms:.2} ms")),
            health: known(latest.mean_latency_ms),
            history: series(samples, |sample| sample.mean_latency_ms),
            unit: "ms".into(),
            metric: "riverpan_http_request_duration_seconds",
        },
    ]
}

async fn status(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if state.inner.web.history.latest().is_none() {
        // Before the sampler's first tick (or in a router without `serve`): read now.
        sample_once(&state).await;
    }
    let samples = state.inner.web.history.samples();
    let writes_enabled = state.writes().is_some();
    let now = now_seconds();
    let mut view = page::StatusView {
        version: state.version().to_owned(),
        uptime: duration_words(state.uptime().as_secs_f64()),
        generated_at: crate::api::rfc3339(now),
        sample_every_seconds: SAMPLE_EVERY.as_secs(),
        figures: figures(&samples, writes_enabled),
        endpoints: state
            .inner
            .metrics
            .summaries()
            .into_iter()
            .map(|route| EndpointRow {
                mean_ms: if route.requests > 0 {
                    route.seconds * 1000.0 / route.requests as f64
                } else {
                    0.0
                },
                p99_ms: route.p99_seconds.map(|seconds| seconds * 1000.0),
                route: route.route,
                requests: route.requests,
                server_errors: route.server_errors,
                client_errors: route.client_errors,
            })
            .collect(),
        jobs: Job::ALL
            .iter()
            .map(|job| {
                let record = state.inner.jobs.record(*job);
                JobRow {
                    name: job.title().to_string(),
                    last_run: record.last_run.map(crate::api::rfc3339),
                    ago: record
                        .last_run
                        .map(|at| duration_words(now.saturating_sub(at).max(0) as f64)),
                    outcome: match (&record.last_error, writes_enabled) {
                        (Some(error), _) => format!("failed: {error}"),
                        (None, false) => "not running: uploads are not enabled".to_string(),
                        (None, true) if record.runs == 0 => "not run yet".to_string(),
                        (None, true) => "ok".to_string(),
                    },
                    runs: record.runs,
                }
            })
            .collect(),
        system: Vec::new(),
    };
    // A silent worker is a broken worker: show it among the figures, where the overall state
    // is computed.
    if writes_enabled {
        let pass = state.inner.jobs.record(Job::IndexPass);
        let silent_for = pass.last_run.map(|at| now.saturating_sub(at));
        view.figures.push(Figure {
            id: "indexing-worker",
            label: "Indexing worker".into(),
            value: match (silent_for, &pass.last_error) {
                (_, Some(error)) => format!("last pass failed: {error}"),
                (Some(seconds), None) => format!("passed {} ago", duration_words(seconds as f64)),
                (None, None) => "starting".to_string(),
            },
            health: match (silent_for, &pass.last_error) {
                (_, Some(_)) => Health::Down,
                (Some(seconds), None) if seconds > WORKER_SILENCE => Health::Down,
                (Some(_), None) => Health::Ok,
                (None, None) => Health::Unknown,
            },
            history: Vec::new(),
            unit: String::new(),
            metric: "riverpan_job_last_run_timestamp_seconds",
        });
    }
    let collector = state.clone();
    match tokio::task::spawn_blocking(move || crate::Status::collect(&collector)).await {
        Ok(Ok(facts)) => {
            view.system = vec![
                ("Version".into(), facts.version),
                ("Data directory".into(), facts.data_dir),
                ("Store".into(), facts.store.path),
                (
                    "Store schema version".into(),
                    facts.store.schema_version.to_string(),
                ),
                (
                    "Store created".into(),
                    facts.store.created_at.unwrap_or_else(|| "unknown".into()),
                ),
                (
                    "Uploads".into(),
                    if writes_enabled {
                        "enabled"
                    } else {
                        "not enabled"
                    }
                    .into(),
                ),
                ("Mirror".into(), facts.mirror.note.into()),
            ]
        }
        Ok(Err(error)) => tracing::warn!(%error, "status: cannot read the store facts"),
        Err(error) => tracing::warn!(%error, "status: cannot read the store facts"),
    }
    let viewer = super::account::viewer(&state, &headers).await;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        page::status(&view, &viewer).into_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_hour() {
        let history = StatusHistory::default();
        for i in 0..(SAMPLES_KEPT + 5) {
            history.push(Sample {
                at: i as f64,
                ..Sample::default()
            });
        }
        let samples = history.samples();
        assert_eq!(samples.len(), SAMPLES_KEPT);
        assert_eq!(samples[0].at, 5.0);
        assert_eq!(
            history.latest().map(|sample| sample.at),
            Some((SAMPLES_KEPT + 4) as f64)
        );
    }

    #[test]
    fn a_stuck_queue_is_reported() {
        let stuck = Sample {
            at: 1.0,
            queue_depth: Some(2.0),
            queue_oldest_age: Some(QUEUE_AGE_DOWN + 1.0),
            ..Sample::default()
        };
        let figures = figures(&[stuck], true);
        assert_eq!(figures[0].id, "upload-queue-depth");
        assert_eq!(figures[0].health, Health::Down);
        assert_eq!(figures[1].value, "1 h 0 min");
        let calm = Sample {
            queue_depth: Some(0.0),
            queue_oldest_age: Some(0.0),
            ..stuck
        };
        let figures = super::figures(&[calm], true);
        assert_eq!(figures[0].health, Health::Ok);
        assert_eq!(figures[1].value, "none waiting");
    }
}
