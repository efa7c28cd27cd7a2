//! The facts shown by `/` and `/api/v1/status`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::ServerState;

/// The note shown while riverpan serves no mirror yet.
const MIRROR_NOT_PUBLISHED: &str =
    "The CPAN mirror is not published yet: no index files exist (nothing was uploaded).";
const MIRROR_PUBLISHED: &str =
    "The CPAN mirror is published: point cpanm, cpm, Carton or CPAN.pm at this server's root URL.";

/// What `GET /api/v1/status` answers (field order is the JSON key order).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Always `riverpan`.
    pub name: &'static str,
    /// The riverpan version.
    pub version: String,
    /// The data directory (`--data`).
    pub data_dir: String,
    /// The embedded store.
    pub store: StoreStatus,
    /// Whole seconds since the server started.
    pub uptime_seconds: u64,
    /// Whether a CPAN mirror is being served.
    pub mirror: MirrorStatus,
}

/// The store part of [`Status`].
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    /// The SQLite file.
    pub path: String,
    /// Its schema version.
    pub schema_version: u32,
    /// When it was created (UTC, RFC 3339), if recorded.
    pub created_at: Option<String>,
}

/// The mirror part of [`Status`].
#[derive(Debug, Clone, Serialize)]
pub struct MirrorStatus {
    /// Whether `modules/02packages.details.txt.gz` exists (clients can install).
    pub published: bool,
    /// A sentence for humans.
    pub note: &'static str,
}

impl Status {
    /// Reads the current status; blocks on the store.
    pub(crate) fn collect(state: &ServerState) -> Result<Status, riverpan_store::StoreError> {
        let store_status = {
            let store = state.store();
            StoreStatus {
                path: store.path().display().to_string(),
                schema_version: store.schema_version()?,
                created_at: store.setting(riverpan_store::keys::CREATED_AT)?,
            }
        };
        Ok(Status {
            name: "riverpan",
            version: state.version().to_owned(),
            data_dir: state.data_dir().display().to_string(),
            store: store_status,
            uptime_seconds: state.uptime().as_secs(),
            mirror: {
                let published = state
                    .data_dir()
                    .join("cpan/modules/02packages.details.txt.gz")
                    .exists();
                MirrorStatus {
                    published,
                    note: if published {
                        MIRROR_PUBLISHED
                    } else {
                        MIRROR_NOT_PUBLISHED
                    },
                }
            },
        })
    }
}

/// The HTML status page.  Every dynamic value goes through [`escape_html`]: the data directory,
/// for one, is whatever the operator named it.
pub(crate) fn render_html(status: &Status) -> String {
    let rows = [
        ("Version", escape_html(&status.version)),
        (
            "Data directory",
            format!("<code>{}</code>", escape_html(&status.data_dir)),
        ),
        (
            "Store",
            format!("<code>{}</code>", escape_html(&status.store.path)),
        ),
        (
            "Store schema version",
            status.store.schema_version.to_string(),
        ),
        (
            "Store created",
            escape_html(status.store.created_at.as_deref().unwrap_or("unknown")),
        ),
        ("Uptime", format_uptime(status.uptime_seconds)),
    ];
    let mut table = String::new();
    for (label, value) in rows {
        let _ = writeln!(table, "<tr><th>{label}</th><td>{value}</td></tr>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>riverpan {version}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
th {{ text-align: left; padding-right: 1.5rem; font-weight: 600; }}
td, th {{ padding-top: .25rem; padding-bottom: .25rem; vertical-align: top; }}
.note {{ background: #fff6d5; border-left: 4px solid #e0b000; padding: .75rem 1rem; }}
</style>
</head>
<body>
<h1>riverpan</h1>
<p>A self-hostable CPAN: PAUSE-style uploads and indexing, a CPAN mirror, CPAN Testers and the CPAN river, in one binary.</p>
<table>
{table}</table>
<p class="note">{note}</p>
<p>For machines: <a href="/api/v1/status">/api/v1/status</a> (JSON), <a href="/metrics">/metrics</a> (Prometheus), <a href="/healthz">/healthz</a>.</p>
</body>
</html>
"#,
        version = escape_html(&status.version),
        note = escape_html(status.mirror.note),
    )
}

/// `3d 4h 5m 6s`, leaving out leading zero units.
fn format_uptime(seconds: u64) -> String {
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if days > 0 {
        format!("{days}d {hours}h {minutes}m {secs}s")
    } else if hours > 0 {
        format!("{hours}h {minutes}m {secs}s")
    } else if minutes > 0 {
        format!("{minutes}m {secs}s")
    } else {
        format!("{secs}s")
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
        assert_eq!(escape_html("/srv/riverpan-data"), "/srv/riverpan-data");
    }

    #[test]
    fn uptime_is_human_readable() {
        assert_eq!(format_uptime(0), "0s");
        assert_eq!(format_uptime(59), "59s");
        assert_eq!(format_uptime(61), "1m 1s");
        assert_eq!(format_uptime(3_600), "1h 0m 0s");
        assert_eq!(format_uptime(90_061), "1d 1h 1m 1s");
    }
}
