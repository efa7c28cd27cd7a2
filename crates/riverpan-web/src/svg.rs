//! Charts as inline SVG, drawn on the server from numbers. Labels are escaped; the geometry is
//! computed here, so a chart never contains anything a user wrote unescaped.

use maud::{html, Markup, PreEscaped};

/// Escapes text for SVG/XML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of [`bar_chart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Label under the bar.
    pub label: String,
    /// The value.
    pub value: f64,
    /// CSS class for its colour (`pass`, `fail`, `band-0`, …), from a fixed set chosen by
    /// the caller.
    pub class: &'static str,
}

/// A horizontal bar chart with labels and values, `title` for screen readers.
pub fn bar_chart(title: &str, bars: &[Bar]) -> Markup {
    let row = 26.0;
    let label_width = 170.0;
    let width = 640.0;
    let plot = width - label_width - 90.0;
    let max = bars
        .iter()
        .map(|bar| bar.value)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let height = row * bars.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let w = if bar.value > 0.0 {
            (bar.value / max * plot).max(1.0)
        } else {
            0.0
        };
        svg.push_str(&format!(
            r#"<text class="label" x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="{class}" x="{label_width}" y="{y}" width="{w:.1}" height="{h}"/><text class="value" x="{vx:.1}" y="{ty}">{value}</text>"#,
            lx = label_width - 6.0,
            ty = y + row * 0.62,
            label = escape(&bar.label),
            class = bar.class,
            h = row - 6.0,
            vx = label_width + w + 6.0,
            value = format_number(bar.value),
        ));
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}

/// A small time-series line chart of `(seconds, value)` points (oldest first), with the
/// latest value written beside it.
pub fn sparkline(title: &str, points: &[(f64, f64)], unit: &str) -> Markup {
    let (width, height) = (320.0, 60.0);
    let mut svg = format!(
        r#"<svg class="spark" role="img" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    if points.len() >= 2 {
        let (t0, t1) = (points[0].0, points[points.len() - 1].0);
        let span = (t1 - t0).max(1.0);
        let max = points
            .iter()
            .map(|p| p.1)
            .fold(0.0_f64, f64::max)
            .max(f64::MIN_POSITIVE);
        let path: Vec<String> = points
            .iter()
            .map(|(t, v)| {
                format!(
                    "{:.1},{:.1}",
                    (t - t0) / span * (width - 70.0),
                    height - 6.0 - v / max * (height - 14.0)
                )
            })
            .collect();
        svg.push_str(&format!(
            r#"<polyline class="line" fill="none" points="{}"/>"#,
            path.join(" ")
        ));
    }
    let latest = points
        .last()
        .map(|p| format!("{} {}", format_number(p.1), escape(unit)))
        .unwrap_or_else(|| "no data yet".to_string());
    svg.push_str(&format!(
        r#"<text class="value" x="{}" y="{}">{latest}</text></svg>"#,
        width - 66.0,
        height / 2.0 + 4.0
    ));
    html! { (PreEscaped(svg)) }
}

/// `1234` → `1,234`; fractions with up to two decimals.
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    if value.fract().abs() > f64::EPSILON && value.abs() < 1000.0 {
        return format!("{value:.2}");
    }
    let integer = value.round() as i64;
    let digits = integer.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if integer < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_to_the_largest() {
        let chart = bar_chart(
            "bands <x>",
            &[
                Bar {
                    label: "<script>".into(),
                    value: 10.0,
                    class: "band-0",
                },
                Bar {
                    label: "b".into(),
                    value: 5.0,
                    class: "band-1",
                },
            ],
        )
        .into_string();
        assert!(chart.contains("&lt;script&gt;"));
        assert!(!chart.contains("<script>"));
        assert!(chart.contains("<title>bands &lt;x&gt;</title>"));
        assert!(chart.contains(r#"width="380.0""#));
        assert!(chart.contains(r#"width="190.0""#));
    }

    #[test]
    fn sparkline_says_when_there_is_no_data() {
        assert!(sparkline("q", &[], "s")
            .into_string()
            .contains("no data yet"));
        let line = sparkline("q", &[(0.0, 1.0), (10.0, 2.0)], "uploads").into_string();
        assert!(line.contains("<polyline"));
        assert!(line.contains("2 uploads"));
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(format_number(1234567.0), "1,234,567");
        assert_eq!(format_number(999.0), "999");
        assert_eq!(format_number(0.5), "0.50");
        assert_eq!(format_number(-1234.0), "-1,234");
    }
}
