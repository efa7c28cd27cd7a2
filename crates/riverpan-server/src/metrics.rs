//! `/metrics` in the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// The `Content-Type` Prometheus expects for the text format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `path` label of requests that matched no route (they are answered with 404).
pub const UNMATCHED_PATH_LABEL: &str = "unmatched";

/// Upper bounds (seconds) of the request latency histogram buckets: fine below 10 ms, where
/// mirror and cpanmetadb answers live, coarse above.
pub(crate) const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The latency histogram of one route.
#[derive(Default, Clone)]
struct Latency {
    /// Requests per bucket (not cumulative; made cumulative when rendered), and one more for
    /// `+Inf`.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum_seconds: f64,
    count: u64,
}

/// What is counted of one route.
#[derive(Default)]
struct RouteCounts {
    /// Requests by status code.
    statuses: BTreeMap<u16, u64>,
    latency: Latency,
}

#[derive(Default)]
struct Counts {
    // BTreeMaps keep the output in a stable order, which makes it easy to read and to test;
    // keyed by route alone so that a lookup by `&str` allocates nothing.
    routes: BTreeMap<String, RouteCounts>,
}

/// `riverpan_http_requests_total`, keyed by (route pattern, status code), and
/// `riverpan_http_request_duration_seconds`, keyed by route pattern.
#[derive(Default)]
pub(crate) struct RequestCounters {
    counts: Mutex<Counts>,
}

/// Facts about the repository that `/metrics` shows next to the request counters; `None`
/// where they could not be read.
#[derive(Debug, Default, Clone)]
pub(crate) struct RepositoryGauges {
    /// Seconds since `modules/02packages.details.txt.gz` was last written.
    pub(crate) index_age_seconds: Option<f64>,
    /// Uploads stored but not yet indexed.
    pub(crate) queue_depth: Option<u64>,
    /// The index generation of the in-memory snapshot, and its package count.
    pub(crate) snapshot: Option<(u64, usize)>,
    /// Seconds the oldest upload still waiting to be indexed has waited (0 with an empty queue).
    pub(crate) queue_oldest_age_seconds: Option<f64>,
    /// CPAN Testers reports stored (the highest report row id: reports are never removed).
    pub(crate) reports_total: Option<u64>,
    /// Mean seconds between a report's submission and its storage, over the reports stored
    /// in the last sampling interval; `None` when none arrived.
    pub(crate) report_lag_seconds: Option<f64>,
    /// Each periodic job: its `job` label and what is known of its runs.
    pub(crate) jobs: Vec<(&'static str, crate::jobs::JobRecord)>,
}

/// One route's requests since the start, for the status page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RouteSummary {
    /// The route pattern.
    pub(crate) route: String,
    /// Requests answered.
    pub(crate) requests: u64,
    /// Of which with a 5xx status.
    pub(crate) server_errors: u64,
    /// Of which with a 4xx status.
    pub(crate) client_errors: u64,
    /// Sum of the answer times.
    pub(crate) seconds: f64,
    /// The smallest bucket bound at or below which 99% of the answers fell (`None`: `+Inf`).
    pub(crate) p99_seconds: Option<f64>,
}

/// Totals over every route, for the status history.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RequestTotals {
    /// Requests answered.
    pub(crate) requests: u64,
    /// Of which 5xx.
    pub(crate) server_errors: u64,
    /// Sum of the answer times.
    pub(crate) seconds: f64,
}

impl RequestCounters {
    /// Counts one answered request that took `elapsed`.
    pub(crate) fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Look up before inserting: allocating the key on every request would be the cost.
        if !counts.routes.contains_key(route) {
            counts
                .routes
                .insert(route.to_owned(), RouteCounts::default());
        }
        let Some(route_counts) = counts.routes.get_mut(route) else {
            return;
        };
        *route_counts.statuses.entry(status).or_insert(0) += 1;
        let latency = &mut route_counts.latency;
        latency.buckets[bucket] += 1;
        latency.sum_seconds += seconds;
        latency.count += 1;
    }

    /// Per-route requests, errors and latency since the start, in route order.
    pub(crate) fn summaries(&self) -> Vec<RouteSummary> {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts
            .routes
            .iter()
            .map(|(route, route_counts)| {
                let count_where = |wanted: fn(u16) -> bool| {
                    route_counts
                        .statuses
                        .iter()
                        .filter(|(status, _)| wanted(**status))
                        .map(|(_, count)| count)
                        .sum()
                };
                let latency = &route_counts.latency;
                // The 99th answer in a hundred, rounded up.
                let target = latency.count.saturating_mul(99).div_ceil(100);
                let mut cumulative = 0;
                let mut p99_seconds = None;
                for (bound, in_bucket) in LATENCY_BUCKETS.iter().zip(latency.buckets.iter()) {
                    cumulative += in_bucket;
                    if cumulative >= target {
                        p99_seconds = Some(*bound);
                        break;
                    }
                }
                RouteSummary {
                    route: route.clone(),
                    requests: latency.count,
                    server_errors: count_where(|status| status >= 500),
                    client_errors: count_where(|status| (400..500).contains(&status)),
                    seconds: latency.sum_seconds,
                    p99_seconds,
                }
            })
            .collect()
    }

    /// Requests, server errors and answer time over all routes since the start.
    pub(crate) fn totals(&self) -> RequestTotals {
        self.summaries()
            .iter()
            .fold(RequestTotals::default(), |totals, route| RequestTotals {
                requests: totals.requests + route.requests,
                server_errors: totals.server_errors + route.server_errors,
                seconds: totals.seconds + route.seconds,
            })
    }

    /// Every metric of the server, as the body of a `/metrics` response.
    pub(crate) fn render(
        &self,
        version: &str,
        uptime: Duration,
        gauges: &RepositoryGauges,
    ) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail; `let _` keeps that fact out of the signature.
        let _ = writeln!(
            out,
            "# HELP riverpan_up 1 while the riverpan server answers requests.\n\
             # TYPE riverpan_up gauge\n\
             riverpan_up 1"
        );
        let _ = writeln!(
            out,
            "# HELP riverpan_build_info The riverpan version this server runs; the value is 1.\n\
             # TYPE riverpan_build_info gauge\n\
             riverpan_build_info{{version=\"{}\"}} 1",
            escape_label_value(version)
        );
        let _ = writeln!(
            out,
            "# HELP riverpan_uptime_seconds Seconds since the server started.\n\
             # TYPE riverpan_uptime_seconds gauge\n\
             riverpan_uptime_seconds {:.3}",
            uptime.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP riverpan_http_requests_total HTTP requests answered, by route and status code.\n\
             # TYPE riverpan_http_requests_total counter"
        );
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (route, route_counts) in counts.routes.iter() {
            for (status, count) in route_counts.statuses.iter() {
                let _ = writeln!(
                    out,
                    "riverpan_http_requests_total{{path=\"{}\",status=\"{status}\"}} {count}",
                    escape_label_value(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP riverpan_http_request_duration_seconds Time to answer a request, by route.\n\
             # TYPE riverpan_http_request_duration_seconds histogram"
        );
        for (route, route_counts) in counts.routes.iter() {
            let latency = &route_counts.latency;
            let route = escape_label_value(route);
            let mut cumulative = 0;
            for (bound, in_bucket) in LATENCY_BUCKETS.iter().zip(latency.buckets.iter()) {
                cumulative += in_bucket;
                let _ = writeln!(
                    out,
                    "riverpan_http_request_duration_seconds_bucket{{path=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "riverpan_http_request_duration_seconds_bucket{{path=\"{route}\",le=\"+Inf\"}} {}\n\
                 riverpan_http_request_duration_seconds_sum{{path=\"{route}\"}} {:.6}\n\
                 riverpan_http_request_duration_seconds_count{{path=\"{route}\"}} {}",
                latency.count, latency.sum_seconds, latency.count
            );
        }
        drop(counts);
        if let Some(age) = gauges.index_age_seconds {
            let _ = writeln!(
                out,
                "# HELP riverpan_index_age_seconds Seconds since modules/02packages.details.txt.gz was last published.\n\
                 # TYPE riverpan_index_age_seconds gauge\n\
                 riverpan_index_age_seconds {age:.3}"
            );
        }
        if let Some(depth) = gauges.queue_depth {
            let _ = writeln!(
                out,
                "# HELP riverpan_upload_queue_depth Uploads stored and waiting to be indexed.\n\
                 # TYPE riverpan_upload_queue_depth gauge\n\
                 riverpan_upload_queue_depth {depth}"
            );
        }
        if let Some(age) = gauges.queue_oldest_age_seconds {
            let _ = writeln!(
                out,
                "# HELP riverpan_upload_queue_oldest_age_seconds Seconds the oldest upload waiting to be indexed has waited (0 when none waits).\n\
                 # TYPE riverpan_upload_queue_oldest_age_seconds gauge\n\
                 riverpan_upload_queue_oldest_age_seconds {age:.3}"
            );
        }
        if let Some(total) = gauges.reports_total {
            let _ = writeln!(
                out,
                "# HELP riverpan_testers_reports_total CPAN Testers reports stored.\n\
                 # TYPE riverpan_testers_reports_total counter\n\
                 riverpan_testers_reports_total {total}"
            );
        }
        // Declared even without a value (no report in the last interval), so that dashboards
        // find the series.
        let _ = writeln!(
            out,
            "# HELP riverpan_testers_report_lag_seconds Mean seconds from a report's submission to its storage, over the reports of the last sampling interval.\n\
             # TYPE riverpan_testers_report_lag_seconds gauge"
        );
        if let Some(lag) = gauges.report_lag_seconds {
            let _ = writeln!(out, "riverpan_testers_report_lag_seconds {lag:.3}");
        }
        if !gauges.jobs.is_empty() {
            let _ = writeln!(
                out,
                "# HELP riverpan_job_last_run_timestamp_seconds When each periodic job last finished (seconds since the epoch).\n\
                 # TYPE riverpan_job_last_run_timestamp_seconds gauge"
            );
            for (job, record) in &gauges.jobs {
                if let Some(last_run) = record.last_run {
                    let _ = writeln!(
                        out,
                        "riverpan_job_last_run_timestamp_seconds{{job=\"{job}\"}} {last_run}"
                    );
                }
            }
            let _ = writeln!(
                out,
                "# HELP riverpan_job_runs_total Runs of each periodic job since the server started.\n\
                 # TYPE riverpan_job_runs_total counter"
            );
            for (job, record) in &gauges.jobs {
                let _ = writeln!(
                    out,
                    "riverpan_job_runs_total{{job=\"{job}\"}} {}",
                    record.runs
                );
            }
            let _ = writeln!(
                out,
                "# HELP riverpan_job_failures_total Failed runs of each periodic job since the server started.\n\
                 # TYPE riverpan_job_failures_total counter"
            );
            for (job, record) in &gauges.jobs {
                let _ = writeln!(
                    out,
                    "riverpan_job_failures_total{{job=\"{job}\"}} {}",
                    record.failures
                );
            }
        }
        if let Some((generation, packages)) = gauges.snapshot {
            let _ = writeln!(
                out,
                "# HELP riverpan_index_generation Index generation of the in-memory package index.\n\
                 # TYPE riverpan_index_generation gauge\n\
                 riverpan_index_generation {generation}\n\
                 # HELP riverpan_index_packages Packages in the in-memory package index.\n\
                 # TYPE riverpan_index_packages gauge\n\
                 riverpan_index_packages {packages}"
            );
        }
        out
    }
}

/// Escapes a label value as the text format requires: backslash, double quote and line feed.
fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape_label_value("line\nbreak"), "line\\nbreak");
    }

    #[test]
    fn counters_render_in_stable_order() {
        let counters = RequestCounters::default();
        counters.record("/metrics", 200, Duration::from_micros(300));
        counters.record("/", 200, Duration::from_millis(2));
        counters.record("/", 200, Duration::from_secs(20));
        counters.record(UNMATCHED_PATH_LABEL, 404, Duration::ZERO);
        let gauges = RepositoryGauges {
            index_age_seconds: Some(1.5),
            queue_depth: Some(3),
            snapshot: Some((7, 250_000)),
            queue_oldest_age_seconds: Some(12.0),
            reports_total: Some(42),
            report_lag_seconds: None,
            jobs: vec![(
                "index_pass",
                crate::jobs::JobRecord {
                    last_run: Some(1_700_000_000),
                    runs: 4,
                    failures: 1,
                    last_error: None,
                },
            )],
        };
        let text = counters.render("1.2.3", Duration::from_millis(1500), &gauges);
        let samples: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("riverpan_http_requests_total"))
            .collect();
        assert_eq!(
            samples,
            [
                r#"riverpan_http_requests_total{path="/",status="200"} 2"#,
                r#"riverpan_http_requests_total{path="/metrics",status="200"} 1"#,
                r#"riverpan_http_requests_total{path="unmatched",status="404"} 1"#,
            ]
        );
        assert!(text.contains("riverpan_build_info{version=\"1.2.3\"} 1\n"));
        assert!(text.contains("riverpan_uptime_seconds 1.500\n"));
        for line in [
            r#"riverpan_http_request_duration_seconds_bucket{path="/",le="0.001"} 0"#,
            r#"riverpan_http_request_duration_seconds_bucket{path="/",le="0.0025"} 1"#,
            r#"riverpan_http_request_duration_seconds_bucket{path="/",le="10"} 1"#,
            r#"riverpan_http_request_duration_seconds_bucket{path="/",le="+Inf"} 2"#,
            r#"riverpan_http_request_duration_seconds_count{path="/"} 2"#,
            r#"riverpan_http_request_duration_seconds_bucket{path="/metrics",le="0.0005"} 1"#,
            "riverpan_index_age_seconds 1.500",
            "riverpan_upload_queue_depth 3",
            "riverpan_index_generation 7",
            "riverpan_index_packages 250000",
            "riverpan_upload_queue_oldest_age_seconds 12.000",
            "riverpan_testers_reports_total 42",
            r#"riverpan_job_last_run_timestamp_seconds{job="index_pass"} 1700000000"#,
            r#"riverpan_job_runs_total{job="index_pass"} 4"#,
            r#"riverpan_job_failures_total{job="index_pass"} 1"#,
        ] {
            assert!(text.contains(&format!("{line}\n")), "{line} in\n{text}");
        }
        assert!(text.ends_with('\n'));
        assert!(text.contains("# TYPE riverpan_testers_report_lag_seconds gauge\n"));
        assert!(!text.contains("\nriverpan_testers_report_lag_seconds "));
        let summaries = counters.summaries();
        let root = summaries
            .iter()
            .find(|summary| summary.route == "/")
            .expect("/ summarised");
        assert_eq!((root.requests, root.server_errors), (2, 0));
        // Two answers: the 99th percentile is the slower one, above every bucket.
        assert_eq!(root.p99_seconds, None);
        let unmatched = summaries
            .iter()
            .find(|summary| summary.route == UNMATCHED_PATH_LABEL)
            .expect("unmatched summarised");
        assert_eq!(unmatched.client_errors, 1);
        assert_eq!(unmatched.p99_seconds, Some(0.0005));
        assert_eq!(counters.totals().requests, 4);
    }
}
