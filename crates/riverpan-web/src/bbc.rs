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

/// What a candidate's counts say about the new perl; the order of the variants is the order
/// of the page (breaks first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Passes on the old perl, fails on the new one.
    Breaks,
    /// Fails on the old perl, passes on the new one.
    Fixed,
    /// Mixed results on one perl with nothing to compare on the other.
    Mixed,
}

impl Verdict {
    /// Every verdict, in the order of the page.
    pub const ALL: [Verdict; 3] = [Verdict::Breaks, Verdict::Fixed, Verdict::Mixed];

    /// `breaks`, `fixed` or `mixed` (the CSV's `verdict` column, the JSON's `verdict`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Breaks => "breaks",
            Verdict::Fixed => "fixed",
            Verdict::Mixed => "mixed",
        }
    }

    /// The heading of its section of the page.
    pub fn heading(self, new: &str) -> String {
        match self {
            Verdict::Breaks => format!("Breaks on {new}"),
            Verdict::Fixed => format!("Fixed by {new}"),
            Verdict::Mixed => "Mixed results".to_string(),
        }
    }
}

/// How many candidates (of all pages) have each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictCounts {
    /// Breaks on the new perl.
    pub breaks: usize,
    /// Fixed by the new perl.
    pub fixed: usize,
    /// Mixed results.
    pub mixed: usize,
}

impl VerdictCounts {
    /// The count of `verdict`.
    pub fn of(&self, verdict: Verdict) -> usize {
        match verdict {
            Verdict::Breaks => self.breaks,
            Verdict::Fixed => self.fixed,
            Verdict::Mixed => self.mixed,
        }
    }

    /// Counts one more candidate of `verdict`.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Breaks => self.breaks += 1,
            Verdict::Fixed => self.fixed += 1,
            Verdict::Mixed => self.mixed += 1,
        }
    }
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
    /// Breaks, fixed or mixed.
    pub verdict: Verdict,
    /// No mixed results on either perl (passes only on one, fails only on the other).
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
    /// The candidates of this page: breaks, then fixed, then mixed; within each, strong first,
    /// then by river total.
    pub rows: Vec<BbcRow>,
    /// Candidates of each verdict over all pages.
    pub verdicts: VerdictCounts,
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

/// `GET /bbc?old=&new=`: a section per verdict present on this page (breaks first), the pager
/// over all candidates.
pub fn bbc_page(viewer: &Viewer, bbc: &BbcPage) -> Markup {
    let query = format!(
        "old={}&new={}",
        query_value(&bbc.old),
        query_value(&bbc.new)
    );
    // Where this page starts among all candidates, and where each verdict's section does.
    let page_start = bbc
        .paging
        .page
        .saturating_sub(1)
        .saturating_mul(bbc.paging.per_page);
    let mut section_start = 0;
    let mut sections = Vec::new();
    for verdict in Verdict::ALL {
        let rows: Vec<&BbcRow> = bbc.rows.iter().filter(|r| r.verdict == verdict).collect();
        if !rows.is_empty() {
            sections.push((verdict, page_start > section_start, rows));
        }
        section_start += bbc.verdicts.of(verdict);
    }
    page(
        "Blead Breaks CPAN",
        Section::BleadBreaksCpan,
        viewer,
        html! {
            h1 { "Blead Breaks CPAN" }
            p { "Distributions whose latest release passes on perl " strong { (bbc.old) }
                " and fails on " strong { (bbc.new) } " come first; then those that fail on "
                (bbc.old) " and pass on " (bbc.new) ", then those with mixed results. In each, "
                strong { "strong" } " ones (no mixed results on either perl) first, then the most upriver." }
            form method="get" action="/bbc" {
                label for="old" { "old perl " } (perl_select("old", &bbc.perls, &bbc.old))
                " "
                label for="new" { "new perl " } (perl_select("new", &bbc.perls, &bbc.new))
                " " button type="submit" { "Compare" }
            }
            p {
                (bbc.paging.count) " candidates: "
                (bbc.verdicts.breaks) " break on " (bbc.new) ", "
                (bbc.verdicts.fixed) " fixed by " (bbc.new) ", "
                (bbc.verdicts.mixed) " mixed · export: "
                a href=(format!("/bbc.json?{query}")) { "JSON" } " · "
                a href=(format!("/bbc.csv?{query}")) { "CSV" }
            }
            @for (verdict, continued, rows) in &sections {
                h2 id=(verdict.as_str()) {
                    (verdict.heading(&bbc.new)) " (" (bbc.verdicts.of(*verdict)) ")"
                    @if *continued { " continued" }
                }
                (table(bbc, rows))
            }
            @if !bbc.rows.is_empty() {
                (pager(&format!("/bbc?{query}"), &bbc.paging))
            }
        },
    )
}

/// The candidates of one section.
fn table(bbc: &BbcPage, rows: &[&BbcRow]) -> Markup {
    html! {
        div.table-scroll { table.bbc {
            thead { tr {
                th { "Distribution" } th { "Author" } th.num { "River" }
                th.num { (bbc.old) " pass/fail" } th.num { (bbc.new) " pass/fail" }
                th { "First failing" } th { "Last passing" } th { "OS" } th { "Reports" }
            } }
            tbody {
                @for row in rows {
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
    }
}

/// The header of [`csv`].
pub const CSV_HEADER: &[&str] = &[
    "dist",
    "version",
    "author",
    "river_total",
    "band",
    "verdict",
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

/// The dashboard's table as CSV (CRLF line ends, a header row), the rows in the page's order
/// (breaks first) with their `verdict`.
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
            row.verdict.as_str().to_string(),
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
                verdict: Verdict::Breaks,
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
            verdicts: VerdictCounts {
                breaks: 1,
                ..VerdictCounts::default()
            },
            paging: Paging {
                page: 1,
                per_page: 100,
                count: 1,
            },
        }
    }

    /// A break, a fix and a mixed result, in the order the server gives them.
    fn three() -> BbcPage {
        let mut bbc = sample("Broken-Dist");
        let mut fixed = bbc.rows[0].clone();
        fixed.dist = "Fixed-Dist".into();
        fixed.verdict = Verdict::Fixed;
        (
            fixed.old.pass,
            fixed.old.fail,
            fixed.new.pass,
            fixed.new.fail,
        ) = (0, 2, 5, 0);
        fixed.sample_fail.clear();
        let mut mixed = bbc.rows[0].clone();
        mixed.dist = "Mixed-Dist".into();
        mixed.verdict = Verdict::Mixed;
        mixed.strong = false;
        (
            mixed.old.pass,
            mixed.old.fail,
            mixed.new.pass,
            mixed.new.fail,
        ) = (1, 1, 0, 0);
        bbc.rows.extend([fixed, mixed]);
        bbc.verdicts = VerdictCounts {
            breaks: 1,
            fixed: 1,
            mixed: 1,
        };
        bbc.paging.count = 3;
        bbc
    }

    #[test]
    fn breaks_come_first_and_the_others_under_their_own_heading() {
        let html = bbc_page(&Viewer::default(), &three()).into_string();
        assert!(html.contains("3 candidates: 1 break on 5.43.9, 1 fixed by 5.43.9, 1 mixed"));
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
        let breaks = at(r#"<h2 id="breaks">Breaks on 5.43.9 (1)</h2>"#);
        let fixed = at(r#"<h2 id="fixed">Fixed by 5.43.9 (1)</h2>"#);
        let mixed = at(r#"<h2 id="mixed">Mixed results (1)</h2>"#);
        let (broken_row, fixed_row, mixed_row) = (
            at(r#"href="/dist/Broken-Dist""#),
            at(r#"href="/dist/Fixed-Dist""#),
            at(r#"href="/dist/Mixed-Dist""#),
        );
        assert!(breaks < broken_row && broken_row < fixed);
        assert!(fixed < fixed_row && fixed_row < mixed);
        assert!(mixed < mixed_row);
        assert_eq!(html.matches("<table").count(), 3);
    }

    #[test]
    fn a_page_has_only_the_sections_it_shows() {
        // Page 2 of 1 per page: only the fix, under its own heading; no break heading.
        let mut bbc = three();
        bbc.rows.retain(|r| r.verdict == Verdict::Fixed);
        bbc.paging.per_page = 1;
        bbc.paging.page = 2;
        let html = bbc_page(&Viewer::default(), &bbc).into_string();
        assert!(
            html.contains(r#"<h2 id="fixed">Fixed by 5.43.9 (1)</h2>"#),
            "{html}"
        );
        assert!(!html.contains(r#"id="breaks""#));
        assert!(!html.contains(r#"id="mixed""#));
        assert!(html.contains("page 2 of 3"));
        // A section that began on an earlier page says so.
        let mut bbc = three();
        bbc.rows.truncate(1);
        bbc.rows[0].dist = "Second-Break".into();
        bbc.verdicts.breaks = 2;
        bbc.paging = Paging {
            page: 2,
            per_page: 1,
            count: 4,
        };
        let html = bbc_page(&Viewer::default(), &bbc).into_string();
        assert!(html.contains(r#"<h2 id="breaks">Breaks on 5.43.9 (2) continued</h2>"#));
    }

    #[test]
    fn csv_has_the_verdict_in_the_page_order() {
        let text = csv(&three());
        let lines: Vec<&str> = text.split("\r\n").collect();
        let verdict = CSV_HEADER.iter().position(|h| *h == "verdict");
        let strong = CSV_HEADER.iter().position(|h| *h == "strong");
        assert_eq!((verdict, strong), (Some(5), Some(6)));
        let rows: Vec<(&str, &str, &str)> = lines[1..4]
            .iter()
            .map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f[0], f[5], f[6])
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("Broken-Dist", "breaks", "true"),
                ("Fixed-Dist", "fixed", "true"),
                ("Mixed-Dist", "mixed", "false"),
            ]
        );
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
        assert!(
            row.starts_with("\"'=HYPERLINK(\"\"x\"\")\",1.0,NEILB,1200,in the middle,breaks,true,")
        );
        assert_eq!(lines.next(), Some(""));
    }
}
