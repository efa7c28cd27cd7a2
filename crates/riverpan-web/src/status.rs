//! The status page: is each part of riverpan working, with the figures that say so, their
//! recent history as sparklines, per-endpoint error rates and latency, and the last run of
//! each periodic job.

use maud::{html, Markup};

use crate::layout::{page, Section, Viewer};
use crate::svg::{format_number, sparkline};

/// How a part is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Working.
    Ok,
    /// Working, but a figure is outside its usual range.
    Warning,
    /// Not working, or not enabled.
    Down,
    /// Not enough data to tell.
    Unknown,
}

impl Health {
    /// The word shown, also the CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warning => "warning",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Health::Ok => "pass",
            Health::Warning => "mixed",
            Health::Down => "fail",
            Health::Unknown => "na",
        }
    }
}

/// One part of the system and one figure of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Stable id (also the `id` of its row), e.g. `upload-queue-depth`.
    pub id: &'static str,
    /// What it is, for people.
    pub label: String,
    /// Its current value in words (`3`, `12 s`, `not enabled`).
    pub value: String,
    /// How that is.
    pub health: Health,
    /// Its history, `(seconds since the epoch, value)`, oldest first.
    pub history: Vec<(f64, f64)>,
    /// The unit written beside the sparkline.
    pub unit: String,
    /// The metric at `/metrics` with the same figure.
    pub metric: &'static str,
}

/// One route's requests since the server started.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointRow {
    /// The route pattern (`/dist/{name}`).
    pub route: String,
    /// Requests answered.
    pub requests: u64,
    /// Of which 5xx.
    pub server_errors: u64,
    /// Of which 4xx.
    pub client_errors: u64,
    /// Mean answer time in milliseconds.
    pub mean_ms: f64,
    /// The latency bucket bound below which 99% of the answers fell, in milliseconds (`None`
    /// above the largest bucket).
    pub p99_ms: Option<f64>,
}

/// The last run of one periodic job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    /// The job, e.g. `indexing worker pass`.
    pub name: String,
    /// When it last ran (RFC 3339), `None` if not since the server started.
    pub last_run: Option<String>,
    /// How long ago, in words.
    pub ago: Option<String>,
    /// `ok`, or the last error.
    pub outcome: String,
    /// Runs since the server started.
    pub runs: u64,
}

/// Everything the status page shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusView {
    /// riverpan's version.
    pub version: String,
    /// Time since start, in words.
    pub uptime: String,
    /// When this page was made (RFC 3339).
    pub generated_at: String,
    /// How often the figures are sampled, in seconds, and how many samples are kept.
    pub sample_every_seconds: u64,
    /// The figures.
    pub figures: Vec<Figure>,
    /// Per-endpoint requests.
    pub endpoints: Vec<EndpointRow>,
    /// The periodic jobs.
    pub jobs: Vec<JobRow>,
    /// Facts about this installation: (label, value), e.g. the data directory.
    pub system: Vec<(String, String)>,
}

/// `GET /status`.
pub fn status(view: &StatusView, viewer: &Viewer) -> Markup {
    let worst =
        view.figures
            .iter()
            .map(|figure| figure.health)
            .fold(Health::Ok, |worst, health| match (worst, health) {
                (Health::Down, _) | (_, Health::Down) => Health::Down,
                (Health::Warning, _) | (_, Health::Warning) => Health::Warning,
                _ => Health::Ok,
            });
    page(
        "Status",
        Section::Status,
        viewer,
        html! {
            h1 { "Status" }
            p #overall class=(worst.class()) {
                @match worst {
                    Health::Ok | Health::Unknown => "All parts are working.",
                    Health::Warning => "Working, but some figures need a look.",
                    Health::Down => "Some parts are not working.",
                }
            }
            p.muted {
                "riverpan " (view.version) ", up " (view.uptime) ". Figures at "
                (view.generated_at) "; the charts show the last hour, one point every "
                (view.sample_every_seconds) " s. For machines: "
                a href="/metrics" { "/metrics" } ", " a href="/api/v1/status" { "/api/v1/status" }
                ", " a href="/healthz" { "/healthz" } "."
            }
            h2 { "Figures" }
            div.table-scroll {
                table #figures {
                    thead { tr { th { "Part" } th { "Now" } th { "State" } th { "Last hour" }
                        th { "Metric" } } }
                    tbody {
                        @for figure in &view.figures {
                            tr id=(figure.id) {
                                th { (figure.label) }
                                td.num { (figure.value) }
                                td class=(figure.health.class()) { (figure.health.as_str()) }
                                td { (sparkline(&figure.label, &figure.history, &figure.unit)) }
                                td { code { (figure.metric) } }
                            }
                        }
                    }
                }
            }
            h2 { "Periodic jobs" }
            div.table-scroll {
                table #jobs {
                    thead { tr { th { "Job" } th { "Last run" } th { "Runs" } th { "Outcome" } } }
                    tbody {
                        @for job in &view.jobs {
                            tr {
                                th { (job.name) }
                                td {
                                    @match (&job.last_run, &job.ago) {
                                        (Some(at), Some(ago)) => { (ago) " ago " span.muted { "(" (at) ")" } }
                                        _ => { span.muted { "not since the server started" } }
                                    }
                                }
                                td.num { (format_number(job.runs as f64)) }
                                td { (job.outcome) }
                            }
                        }
                    }
                }
            }
            h2 { "This server" }
            table #system {
                @for (label, value) in &view.system {
                    tr { th { (label) } td { (value) } }
                }
            }
            h2 { "Endpoints" }
            p.muted { "Since the server started; latency percentiles are histogram bucket bounds." }
            div.table-scroll {
                table #endpoints {
                    thead { tr {
                        th { "Route" } th.num { "Requests" } th.num { "5xx" } th.num { "4xx" }
                        th.num { "5xx rate" } th.num { "Mean" } th.num { "p99 ≤" }
                    } }
                    tbody {
                        @for row in &view.endpoints {
                            tr {
                                td { code { (row.route) } }
                                td.num { (format_number(row.requests as f64)) }
                                td.num { (format_number(row.server_errors as f64)) }
                                td.num { (format_number(row.client_errors as f64)) }
                                td.num { (percent(row.server_errors, row.requests)) }
                                td.num { (format_number(row.mean_ms)) " ms" }
                                td.num {
                                    @match row.p99_ms {
                                        Some(ms) => { (format_number(ms)) " ms" }
                                        None => "> 10 s",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_string();
    }
    format!("{:.2} %", part as f64 * 100.0 / whole as f64)
}

/// `75` → `1 min 15 s`: an age or duration for people.
pub fn duration_words(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".to_string();
    }
    let whole = seconds.round() as u64;
    match whole {
        0..=59 => format!("{whole} s"),
        60..=3599 => format!("{} min {} s", whole / 60, whole % 60),
        3600..=86_399 => format!("{} h {} min", whole / 3600, whole / 60 % 60),
        _ => format!("{} d {} h", whole / 86_400, whole / 3600 % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_figures_jobs_and_endpoints() {
        let view = StatusView {
            version: "1.0".into(),
            uptime: "5 s".into(),
            generated_at: "now".into(),
            sample_every_seconds: 10,
            figures: vec![Figure {
                id: "upload-queue-depth",
                label: "Upload queue depth".into(),
                value: "3".into(),
                health: Health::Warning,
                history: vec![(0.0, 1.0), (10.0, 3.0)],
                unit: "uploads".into(),
                metric: "riverpan_upload_queue_depth",
            }],
            endpoints: vec![EndpointRow {
                route: "/dist/{name}<script>".into(),
                requests: 200,
                server_errors: 1,
                client_errors: 3,
                mean_ms: 1.5,
                p99_ms: Some(5.0),
            }],
            jobs: vec![JobRow {
                name: "indexing worker pass".into(),
                last_run: None,
                ago: None,
                outcome: "ok".into(),
                runs: 0,
            }],
            system: vec![("Data directory".into(), "/srv/<x>".into())],
        };
        let html = status(&view, &Viewer::default()).into_string();
        assert!(html.contains(r#"<tr id="upload-queue-depth">"#));
        assert!(html.contains("<polyline"));
        assert!(html.contains("0.50 %"));
        assert!(html.contains("not since the server started"));
        assert!(html.contains("/dist/{name}&lt;script&gt;"));
        assert!(html.contains(r#"<p id="overall" class="mixed">"#));
        assert!(html.contains("<tr><th>Data directory</th><td>/srv/&lt;x&gt;</td></tr>"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_words(5.0), "5 s");
        assert_eq!(duration_words(75.0), "1 min 15 s");
        assert_eq!(duration_words(7322.0), "2 h 2 min");
        assert_eq!(duration_words(90_000.0), "1 d 1 h");
        assert_eq!(duration_words(-1.0), "–");
    }
}
