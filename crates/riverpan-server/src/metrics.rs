//! `/metrics` in the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// The `Content-Type` Prometheus expects for the text format.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `path` label of requests that matched no route (they are answered with 404).
pub const UNMATCHED_PATH_LABEL: &str = "unmatched";

/// `riverpan_http_requests_total`, keyed by (route pattern, status code).
#[derive(Default)]
pub(crate) struct RequestCounters {
    // A BTreeMap keeps the output in a stable order, which makes it easy to read and to test.
    counts: Mutex<BTreeMap<(String, u16), u64>>,
}

impl RequestCounters {
    /// Counts one answered request.
    pub(crate) fn record(&self, route: &str, status: u16) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry((route.to_owned(), status)).or_insert(0) += 1;
    }

    /// Every metric of the server, as the body of a `/metrics` response.
    pub(crate) fn render(&self, version: &str, uptime: Duration) -> String {
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
        for ((route, status), count) in counts.iter() {
            let _ = writeln!(
                out,
                "riverpan_http_requests_total{{path=\"{}\",status=\"{status}\"}} {count}",
                escape_label_value(route)
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
        counters.record("/metrics", 200);
        counters.record("/", 200);
        counters.record("/", 200);
        counters.record(UNMATCHED_PATH_LABEL, 404);
        let text = counters.render("1.2.3", Duration::from_millis(1500));
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
        assert!(text.ends_with('\n'));
    }
}
