//! The Blead Breaks CPAN dashboard and its CSV export.

use maud::{html, Markup};

use crate::dist::{pager, Paging};
use crate::format::{author_url, dist_url, matrix_url, report_url, GradeCounts};
use crate::layout::{page, Section, Viewer};
use crate::query_value;

/// A perl with reports, for the selection form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerlChoice {
    /// Canonical name (`5.42.0`, `5.43.9`).
    pub perl: String,
    /// `stable`, `development`, `release-candidate`.
    pub kind: String,
    /// Reports on it.
    pub reports: u64,
}

/// Pass/fail on both perls for one OS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsBreakdown {
    /// OS name.
    pub osname: String,
    /// Old perl pass.
    pub old_pass: u64,
    /// Old perl fail.
    pub old_fail: u64,
    /// New perl pass.
    pub new_pass: u64,
    /// New perl fail.
    pub new_fail: u64,
}

/// One candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BbcRow {
    /// Distribution.
    pub dist: String,
    /// Its latest release.
    pub version: String,
    /// The author, when known.
    pub author: Option<String>,
    /// Counts on the old perl.
    pub old: GradeCounts,
    /// Counts on the new perl.
    pub new: GradeCounts,
    /// Passes everywhere on old, fails everywhere on new.
    pub strong: bool,
    /// The first development perl it fails on.
    pub first_failing: Option<String>,
    /// The last development perl it passed on.
    pub last_passing: Option<String>,
    /// Sample failing report ids.
    pub sample_fail: Vec<String>,
    /// A sample passing report id.
    pub sample_pass: Option<String>,
    /// Per OS.
    pub os: Vec<OsBreakdown>,
    /// Total reverse dependencies in the river.
    pub river_total: Option<u64>,
    /// Its band.
    pub band: Option<String>,
}

/// The dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BbcPage {
    /// Known perls, oldest first.
    pub perls: Vec<PerlChoice>,
    /// The old (stable) perl compared.
    pub old: String,
    /// The new (development) perl compared.
    pub new: String,
    /// The candidates of this page, strong first, then by river total.
    pub rows: Vec<BbcRow>,
    /// Which page of all candidates `rows` is (`count` = every candidate).
    pub paging: Paging,
}

fn perl_select(name: &str, perls: &[PerlChoice], selected: &str) -> Markup {
    html! {
        select name=(name) id=(name) {
            @for perl in perls.iter().rev() {
                @if perl.perl == selected {
                    option value=(perl.perl) selected { (perl.perl) " (" (perl.kind) ")" }
                } @else {
                    option value=(perl.perl) { (perl.perl) " (" (perl.kind) ")" }
                }
            }
        }
    }
}

/// `GET /bbc?old=&new=`.
pub fn bbc_page(viewer: &Viewer, bbc: &BbcPage) -> Markup {
    let query = format!(
        "old={}&new={}",
        query_value(&bbc.old),
        query_value(&bbc.new)
    );
    page(
        "Blead Breaks CPAN",
        Section::BleadBreaksCpan,
        viewer,
        html! {
            h1 { "Blead Breaks CPAN" }
            p { "Distributions whose latest release passes on perl " strong { (bbc.old) }
                " and fails on " strong { (bbc.new) } ", most upriver first." }
            form method="get" action="/bbc" {
                label for="old" { "passes on " } (perl_select("old", &bbc.perls, &bbc.old))
                " "
                label for="new" { "fails on " } (perl_select("new", &bbc.perls, &bbc.new))
                " " button type="submit" { "Compare" }
            }
            p {
                (bbc.paging.count) " candidates · export: "
                a href=(format!("/bbc.json?{query}")) { "JSON" } " · "
                a href=(format!("/bbc.csv?{query}")) { "CSV" }
            }
            @if !bbc.rows.is_empty() {
                div.table-scroll { table.bbc {
                    thead { tr {
                        th { "Distribution" } th { "Author" } th.num { "River" }
                        th.num { (bbc.old) " pass/fail" } th.num { (bbc.new) " pass/fail" }
                        th { "First failing" } th { "Last passing" } th { "OS" } th { "Reports" }
                    } }
                    tbody {
                        @for row in &bbc.rows {
                            tr {
                                td {
                                    a href=(dist_url(&row.dist)) { (row.dist) } " "
                                    a href=(matrix_url(&row.dist, &row.version)) { (row.version) }
                                    @if row.strong { " " strong { "strong" } }
                                }
                                td { @if let Some(author) = &row.author { a href=(author_url(author)) { (author) } } }
                                td.num {
                                    @if let Some(total) = row.river_total { (total) }
                                    @if let Some(band) = &row.band { br; span.muted { (band) } }
                                }
                                td.num { (row.old.pass) "/" (row.old.fail) }
                                td.num { (row.new.pass) "/" (row.new.fail) }
                                td { @if let Some(perl) = &row.first_failing { (perl) } }
                                td { @if let Some(perl) = &row.last_passing { (perl) } }
                                td {
                                    @for os in &row.os {
                                        span.os { (os.osname) " " (os.old_pass) "/" (os.old_fail) " → " (os.new_pass) "/" (os.new_fail) } br;
                                    }
                                }
                                td {
                                    @for (i, id) in row.sample_fail.iter().enumerate() {
                                        a.fail href=(report_url(id)) { "fail " (i + 1) } " "
                                    }
                                    @if let Some(id) = &row.sample_pass {
                                        a.pass href=(report_url(id)) { "pass" } " "
                                    }
                                    a href=(matrix_url(&row.dist, &row.version)) { "matrix" }
                                }
                            }
                        }
                    }
                } }
                (pager(&format!("/bbc?{query}"), &bbc.paging))
            }
        },
    )
}

/// The header of [`csv`].
pub const CSV_HEADER: &[&str] = &[
    "dist",
    "version",
    "author",
    "river_total",
    "band",
    "strong",
    "old_perl",
    "old_pass",
    "old_fail",
    "new_perl",
    "new_pass",
    "new_fail",
    "first_failing_dev_perl",
    "last_passing_dev_perl",
    "os",
    "sample_fail_reports",
    "sample_pass_report",
];

/// One CSV field: quoted as RFC 4180 says when needed, and a leading `= + - @` (or tab/CR)
/// prefixed with `'` so that a spreadsheet does not run it as a formula.
pub fn csv_field(value: &str) -> String {
    let mut value = value.to_string();
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        value.insert(0, '\'');
    }
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The dashboard's table as CSV (CRLF line ends, a header row).
pub fn csv(bbc: &BbcPage) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for row in &bbc.rows {
        let os: Vec<String> = row
            .os
            .iter()
            .map(|os| {
                format!(
                    "{} {}/{}>{}/{}",
                    os.osname, os.old_pass, os.old_fail, os.new_pass, os.new_fail
                )
            })
            .collect();
        let fields = [
            row.dist.clone(),
            row.version.clone(),
            row.author.clone().unwrap_or_default(),
            row.river_total.map(|t| t.to_string()).unwrap_or_default(),
            row.band.clone().unwrap_or_default(),
            row.strong.to_string(),
            bbc.old.clone(),
            row.old.pass.to_string(),
            row.old.fail.to_string(),
            bbc.new.clone(),
            row.new.pass.to_string(),
            row.new.fail.to_string(),
            row.first_failing.clone().unwrap_or_default(),
            row.last_passing.clone().unwrap_or_default(),
            os.join("; "),
            row.sample_fail.join(" "),
            row.sample_pass.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dist: &str) -> BbcPage {
        BbcPage {
            perls: vec![
                PerlChoice {
                    perl: "5.42.0".into(),
                    kind: "stable".into(),
                    reports: 10,
                },
                PerlChoice {
                    perl: "5.43.9".into(),
                    kind: "development".into(),
                    reports: 5,
                },
            ],
            old: "5.42.0".into(),
            new: "5.43.9".into(),
            rows: vec![BbcRow {
                dist: dist.into(),
                version: "1.0".into(),
                author: Some("NEILB".into()),
                old: GradeCounts {
                    pass: 4,
                    ..GradeCounts::default()
                },
                new: GradeCounts {
                    fail: 3,
                    ..GradeCounts::default()
                },
                strong: true,
                first_failing: Some("5.43.2".into()),
                last_passing: Some("5.43.1".into()),
                sample_fail: vec!["f-1".into(), "f-2".into()],
                sample_pass: Some("p-1".into()),
                os: vec![OsBreakdown {
                    osname: "linux".into(),
                    old_pass: 4,
                    old_fail: 0,
                    new_pass: 0,
                    new_fail: 3,
                }],
                river_total: Some(1200),
                band: Some("in the middle".into()),
            }],
            paging: Paging {
                page: 1,
                per_page: 100,
                count: 1,
            },
        }
    }

    #[test]
    fn long_lists_are_paged_with_the_perls_kept() {
        let mut bbc = sample("Foo");
        bbc.paging = Paging {
            page: 2,
            per_page: 1,
            count: 3,
        };
        let html = bbc_page(&Viewer::default(), &bbc).into_string();
        assert!(html.contains("3 candidates"));
        assert!(html.contains(r#"href="/bbc?old=5.42.0&amp;new=5.43.9&amp;page=1""#));
        assert!(html.contains(r#"href="/bbc?old=5.42.0&amp;new=5.43.9&amp;page=3""#));
        assert!(html.contains("page 2 of 3"));
    }

    #[test]
    fn dashboard_has_the_form_rows_and_links() {
        let html = bbc_page(&Viewer::default(), &sample("<script>x</script>")).into_string();
        assert!(html.contains(r#"<option value="5.42.0" selected>"#));
        assert!(html.contains(r#"<option value="5.43.9" selected>"#));
        assert!(html.contains(r#"href="/bbc.csv?old=5.42.0&amp;new=5.43.9""#));
        assert!(html.contains(r#"href="/report/f-2""#));
        assert!(html.contains(r#"href="/dist/%3Cscript%3Ex%3C%2Fscript%3E/1.0/matrix""#));
        assert!(html.contains("in the middle"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-1+2"), "'-1+2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+x,y"), "\"'+x,y\"");
        let text = csv(&sample("=HYPERLINK(\"x\")"));
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next(), Some(CSV_HEADER.join(",").as_str()));
        let row = lines.next().unwrap_or_default();
        assert!(row.starts_with("\"'=HYPERLINK(\"\"x\"\")\",1.0,NEILB,1200,in the middle,true,"));
        assert_eq!(lines.next(), Some(""));
    }
}
