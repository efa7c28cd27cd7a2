//! A distribution: its releases, packages, permissions, prerequisites, reverse dependencies,
//! river position, indexer report and CPAN Testers results; the test matrix of a release, the
//! reports of one matrix cell, one test report, and one upload with its indexer report.

use maud::{html, Markup};

use crate::format::{
    author_url, dist_url, file_url, grade_totals, matrix_url, release_url, report_url, upload_url,
    utc_datetime, GradeCounts,
};
use crate::layout::{page, Section, Viewer};
use crate::{path_segment, query_value};

/// One upload of the distribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRow {
    /// The upload id.
    pub upload_id: i64,
    /// The version.
    pub version: String,
    /// Path below `authors/id/`.
    pub path: String,
    /// The uploader.
    pub userid: String,
    /// When it was accepted (Unix seconds).
    pub uploaded_at: i64,
    /// Its packages are what the index points at.
    pub indexed: bool,
}

/// An indexed package of the release, with who may upload it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRow {
    /// The package.
    pub package: String,
    /// Its version in the index.
    pub version: String,
    /// The first-come owner.
    pub first_come: Option<String>,
    /// Co-maintainers.
    pub co_maintainers: Vec<String>,
}

/// A declared prerequisite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrereqRow {
    /// `configure`, `build`, `test`, `runtime`, `develop`.
    pub phase: String,
    /// `requires`, `recommends`, `suggests`, `conflicts`.
    pub relationship: String,
    /// The module.
    pub module: String,
    /// The version requirement.
    pub requirement: String,
}

/// A place in the river.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiverSpot {
    /// Direct dependents.
    pub immediate: u64,
    /// All transitive dependents.
    pub total: u64,
    /// MetaCPAN's bucket, 0–5.
    pub bucket: u8,
    /// The Berlin consensus band (`way upriver`, ...).
    pub band: String,
}

/// The indexer's report on an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexerReport {
    /// Overall status.
    pub status: String,
    /// The mail subject.
    pub subject: String,
    /// The report text.
    pub text: String,
}

/// A page of a list: which page, how big, how many in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page.
    pub page: usize,
    /// Rows per page.
    pub per_page: usize,
    /// Rows in all.
    pub count: usize,
}

impl Paging {
    /// How many pages there are (at least 1).
    pub fn pages(&self) -> usize {
        self.count.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// Previous/next links for `base` (a path, maybe with a query) at `paging`.
pub fn pager(base: &str, paging: &Paging) -> Markup {
    let join = if base.contains('?') { '&' } else { '?' };
    html! {
        @if paging.pages() > 1 {
            p.pager {
                @if paging.page > 1 {
                    a rel="prev" href=(format!("{base}{join}page={}", paging.page - 1)) { "← previous" }
                    " "
                }
                "page " (paging.page) " of " (paging.pages())
                @if paging.page < paging.pages() {
                    " "
                    a rel="next" href=(format!("{base}{join}page={}", paging.page + 1)) { "next →" }
                }
            }
        }
    }
}

/// Everything the distribution page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistPage {
    /// The distribution name.
    pub dist: String,
    /// The release shown.
    pub version: String,
    /// The release shown is the one the index points at (or the newest).
    pub is_latest: bool,
    /// The upload of the release shown, when riverpan has it.
    pub release: Option<ReleaseRow>,
    /// Every upload of the distribution, newest first.
    pub releases: Vec<ReleaseRow>,
    /// Versions known only from test reports (no upload here), newest first.
    pub tested_versions: Vec<String>,
    /// Indexed packages of the release shown.
    pub packages: Vec<PackageRow>,
    /// Its prerequisites.
    pub prereqs: Vec<PrereqRow>,
    /// Its river position.
    pub river: Option<RiverSpot>,
    /// Direct dependents (one page), with their river totals.
    pub dependents: Vec<(String, Option<u64>)>,
    /// Paging of `dependents`.
    pub dependents_paging: Paging,
    /// The indexer report of the release.
    pub indexer_report: Option<IndexerReport>,
    /// CPAN Testers grade totals of the release.
    pub testers: GradeCounts,
}

/// `GET /dist/{dist}[/{version}]`.
pub fn dist_page(viewer: &Viewer, dist: &DistPage) -> Markup {
    let base = release_url(&dist.dist, &dist.version);
    let mut phases: Vec<&str> = dist.prereqs.iter().map(|p| p.phase.as_str()).collect();
    phases.dedup();
    page(
        &format!("{} {}", dist.dist, dist.version),
        Section::Other,
        viewer,
        html! {
            h1 { (dist.dist) " " (dist.version) }
            @if let Some(release) = &dist.release {
                p {
                    "Uploaded by " a href=(author_url(&release.userid)) { (release.userid) }
                    " on " (utc_datetime(release.uploaded_at)) " · "
                    a href=(file_url(&release.path)) { "download" }
                    @if !dist.is_latest {
                        " · " a href=(dist_url(&dist.dist)) { "latest release" }
                    }
                }
            } @else {
                p.muted { "riverpan has test reports of this release but not its file." }
            }
            nav.links {
                a href=(matrix_url(&dist.dist, &dist.version)) { "test matrix" } " · "
                a href=(format!("/river/{}", path_segment(&dist.dist))) { "all reverse dependencies" } " · "
                a href=(format!("/dist/{}/permissions", path_segment(&dist.dist))) { "permissions and their history" } " · "
                a href=(format!("/api/v1/distributions/{}", path_segment(&dist.dist))) { "JSON" }
            }

            h2 { "CPAN Testers" }
            (grade_totals(&dist.testers))
            p { a href=(matrix_url(&dist.dist, &dist.version)) { "perl × OS matrix" } }

            h2 { "River" }
            @if let Some(river) = &dist.river {
                p {
                    strong { (river.band) } " — " (river.total) " distributions depend on it, "
                    (river.immediate) " directly (bucket " (river.bucket) ")."
                }
            } @else {
                p.muted { "Not in the river (no indexed release)." }
            }

            h2 { "Packages" }
            @if dist.packages.is_empty() {
                p.muted { "No package of this release is in the index." }
            } @else {
                div.table-scroll { table {
                    thead { tr { th { "Package" } th { "Version" } th { "First-come" } th { "Co-maintainers" } } }
                    tbody {
                        @for package in &dist.packages {
                            tr {
                                td { (package.package) }
                                td { (package.version) }
                                td {
                                    @if let Some(owner) = &package.first_come {
                                        a href=(author_url(owner)) { (owner) }
                                    }
                                }
                                td {
                                    @for (i, userid) in package.co_maintainers.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        a href=(author_url(userid)) { (userid) }
                                    }
                                }
                            }
                        }
                    }
                } }
            }

            h2 { "Prerequisites" }
            @if dist.prereqs.is_empty() {
                p.muted { "None declared (or not recorded)." }
            }
            @for phase in &phases {
                h3 { (phase) }
                div.table-scroll { table {
                    thead { tr { th { "Module" } th { "Version" } th { "Relationship" } } }
                    tbody {
                        @for prereq in dist.prereqs.iter().filter(|p| p.phase == *phase) {
                            tr {
                                td { a href=(format!("/search?q={}", query_value(&prereq.module))) { (prereq.module) } }
                                td { (prereq.requirement) }
                                td { (prereq.relationship) }
                            }
                        }
                    }
                } }
            }

            h2 { "Reverse dependencies" }
            p {
                (dist.dependents_paging.count) " distributions depend on it directly. "
                a href=(format!("/river/{}", path_segment(&dist.dist))) { "All deep reverse dependencies" } "."
            }
            @if !dist.dependents.is_empty() {
                ul {
                    @for (dependent, total) in &dist.dependents {
                        li {
                            a href=(dist_url(dependent)) { (dependent) }
                            @if let Some(total) = total { span.muted { " (" (total) ")" } }
                        }
                    }
                }
                (pager(&base, &dist.dependents_paging))
            }

            h2 { "Indexer report" }
            @if let Some(report) = &dist.indexer_report {
                p { strong { (report.status) } " — " (report.subject) }
                pre { (report.text) }
            } @else {
                p.muted { "No indexer report." }
            }

            h2 { "Releases" }
            div.table-scroll { table {
                thead { tr { th { "Version" } th { "Date" } th { "Author" } th { "File" } th { "Upload" } } }
                tbody {
                    @for release in &dist.releases {
                        tr {
                            td {
                                a href=(release_url(&dist.dist, &release.version)) { (release.version) }
                                @if release.indexed { " " span.muted { "(indexed)" } }
                            }
                            td { (utc_datetime(release.uploaded_at)) }
                            td { a href=(author_url(&release.userid)) { (release.userid) } }
                            td { a href=(file_url(&release.path)) { (release.path) } }
                            td { a href=(upload_url(release.upload_id)) { "#" (release.upload_id) } }
                        }
                    }
                    @for version in &dist.tested_versions {
                        tr {
                            td { a href=(release_url(&dist.dist, version)) { (version) } }
                            td.muted colspan="4" { "known from test reports only" }
                        }
                    }
                }
            } }
        },
    )
}

/// One perl × OS cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixCell {
    /// The perl (canonical).
    pub perl: String,
    /// The OS name.
    pub osname: String,
    /// Its counts.
    pub counts: GradeCounts,
}

/// The test matrix of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixPage {
    /// Distribution.
    pub dist: String,
    /// Version.
    pub version: String,
    /// Every cell with reports, perls newest first.
    pub cells: Vec<MatrixCell>,
    /// Grade totals.
    pub totals: GradeCounts,
}

/// The URL of the reports of one cell.
pub fn cell_reports_url(dist: &str, version: &str, perl: &str, osname: &str) -> String {
    format!(
        "{}/reports?perl={}&osname={}",
        release_url(dist, version),
        query_value(perl),
        query_value(osname)
    )
}

/// `GET /dist/{dist}/{version}/matrix`.
pub fn matrix_page(viewer: &Viewer, matrix: &MatrixPage) -> Markup {
    let mut perls: Vec<&str> = Vec::new();
    for cell in &matrix.cells {
        if !perls.contains(&cell.perl.as_str()) {
            perls.push(&cell.perl);
        }
    }
    let mut osnames: Vec<&str> = matrix.cells.iter().map(|c| c.osname.as_str()).collect();
    osnames.sort_unstable();
    osnames.dedup();
    let cell_at = |perl: &str, osname: &str| {
        matrix
            .cells
            .iter()
            .find(|c| c.perl == perl && c.osname == osname)
    };
    page(
        &format!("{} {} test matrix", matrix.dist, matrix.version),
        Section::Other,
        viewer,
        html! {
            h1 { "Test matrix of " a href=(release_url(&matrix.dist, &matrix.version)) { (matrix.dist) " " (matrix.version) } }
            (grade_totals(&matrix.totals))
            @if matrix.cells.is_empty() {
                p.muted { "No test reports for this release yet." }
            } @else {
                p.legend {
                    span.pass { "pass" } " " span.fail { "fail" } " " span.na { "na" } " "
                    span.unknown { "unknown" } " " span.prereq { "prerequisite failure" } " "
                    span.mixed { "mixed" }
                }
                div.table-scroll { table.matrix {
                    thead { tr {
                        th { "perl" }
                        @for osname in &osnames { th { (osname) } }
                    } }
                    tbody {
                        @for perl in &perls {
                            tr {
                                th { (perl) }
                                @for osname in &osnames {
                                    @if let Some(cell) = cell_at(perl, osname) {
                                        td class=(format!("cell {}", cell.counts.cell_class())) {
                                            a href=(cell_reports_url(&matrix.dist, &matrix.version, perl, osname))
                                              title=(format!("pass {} fail {} na {} unknown {} prereq {}", cell.counts.pass, cell.counts.fail, cell.counts.na, cell.counts.unknown, cell.counts.prereq)) {
                                                (cell.counts.total())
                                            }
                                        }
                                    } @else {
                                        td.cell {}
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        },
    )
}

/// One CPAN Testers report in a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// The report id.
    pub id: String,
    /// `pass`, `fail`, `na`, `unknown`.
    pub grade: String,
    /// Classified as a prerequisite failure.
    pub prereq_failure: bool,
    /// Who sent it.
    pub tester: String,
    /// When (as stored, ISO 8601).
    pub submitted_at: String,
    /// The perl.
    pub perl: String,
    /// OS name.
    pub osname: String,
    /// OS version.
    pub osvers: String,
    /// Architecture.
    pub archname: String,
}

/// The reports of one matrix cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportListPage {
    /// Distribution.
    pub dist: String,
    /// Version.
    pub version: String,
    /// The perl of the cell, if filtered.
    pub perl: Option<String>,
    /// The OS of the cell, if filtered.
    pub osname: Option<String>,
    /// The reports, newest first.
    pub reports: Vec<ReportRow>,
    /// There are more than shown.
    pub truncated: bool,
}

fn grade_class(grade: &str, prereq_failure: bool) -> &'static str {
    if prereq_failure {
        return "prereq";
    }
    match grade {
        "pass" => "pass",
        "fail" => "fail",
        "na" => "na",
        _ => "unknown",
    }
}

/// `GET /dist/{dist}/{version}/reports?perl=&osname=`.
pub fn report_list_page(viewer: &Viewer, list: &ReportListPage) -> Markup {
    page(
        &format!("{} {} reports", list.dist, list.version),
        Section::Other,
        viewer,
        html! {
            h1 { "Reports of " a href=(release_url(&list.dist, &list.version)) { (list.dist) " " (list.version) } }
            p {
                @if let Some(perl) = &list.perl { "perl " (perl) " " }
                @if let Some(osname) = &list.osname { "on " (osname) " " }
                "· " a href=(matrix_url(&list.dist, &list.version)) { "back to the matrix" }
            }
            @if list.reports.is_empty() {
                p.muted { "No reports." }
            } @else {
                div.table-scroll { table {
                    thead { tr { th { "Grade" } th { "Report" } th { "Date" } th { "Tester" } th { "perl" } th { "OS" } th { "Architecture" } } }
                    tbody {
                        @for report in &list.reports {
                            tr {
                                td class=(grade_class(&report.grade, report.prereq_failure)) {
                                    (report.grade) @if report.prereq_failure { " (prerequisite)" }
                                }
                                td { a href=(report_url(&report.id)) { (report.id) } }
                                td { (report.submitted_at) }
                                td { (report.tester) }
                                td { (report.perl) }
                                td { (report.osname) " " (report.osvers) }
                                td { (report.archname) }
                            }
                        }
                    }
                } }
                @if list.truncated { p.muted { "Only the newest reports are listed." } }
            }
        },
    )
}

/// One CPAN Testers report with its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportPage {
    /// The list row (id, grade, tester, platform).
    pub row: ReportRow,
    /// Distribution.
    pub dist: String,
    /// Version.
    pub version: String,
    /// The report text.
    pub text: String,
}

/// `GET /report/{id}`.
pub fn report_page(viewer: &Viewer, report: &ReportPage) -> Markup {
    let row = &report.row;
    page(
        &format!("Report {}", row.id),
        Section::Other,
        viewer,
        html! {
            h1 {
                span class=(grade_class(&row.grade, row.prereq_failure)) { (row.grade.to_uppercase()) }
                " " a href=(release_url(&report.dist, &report.version)) { (report.dist) " " (report.version) }
            }
            div.table-scroll { table {
                tbody {
                    tr { th { "Report" } td { (row.id) " · " a href=(format!("/v3/report/{}", path_segment(&row.id))) { "JSON" } } }
                    tr { th { "Tester" } td { (row.tester) } }
                    tr { th { "Date" } td { (row.submitted_at) } }
                    tr { th { "perl" } td { (row.perl) } }
                    tr { th { "OS" } td { (row.osname) " " (row.osvers) } }
                    tr { th { "Architecture" } td { (row.archname) } }
                    @if row.prereq_failure { tr { th { "Classified" } td { "prerequisite failure" } } }
                }
            } }
            p { a href=(cell_reports_url(&report.dist, &report.version, &row.perl, &row.osname)) { "Other reports of this perl and OS" } }
            h2 { "Output" }
            pre { (report.text) }
        },
    )
}

/// An upload and its indexer report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPage {
    /// The upload.
    pub upload: ReleaseRow,
    /// `stored`, `indexed`, `failed`.
    pub state: String,
    /// The distribution name and version, once indexed.
    pub release: Option<(String, String)>,
    /// The indexer report.
    pub report: Option<IndexerReport>,
}

/// `GET /upload/{id}`.
pub fn upload_page(viewer: &Viewer, upload: &UploadPage) -> Markup {
    let row = &upload.upload;
    page(
        &format!("Upload {}", row.upload_id),
        Section::Other,
        viewer,
        html! {
            h1 { "Upload #" (row.upload_id) }
            div.table-scroll { table { tbody {
                tr { th { "File" } td { a href=(file_url(&row.path)) { (row.path) } } }
                tr { th { "Author" } td { a href=(author_url(&row.userid)) { (row.userid) } } }
                tr { th { "Uploaded" } td { (utc_datetime(row.uploaded_at)) } }
                tr { th { "State" } td { (upload.state) } }
                @if let Some((dist, version)) = &upload.release {
                    tr { th { "Release" } td { a href=(release_url(dist, version)) { (dist) " " (version) } } }
                }
            } } }
            h2 { "Indexer report" }
            @if let Some(report) = &upload.report {
                p { strong { (report.status) } " — " (report.subject) }
                pre { (report.text) }
            } @else {
                p.muted { "Not indexed yet." }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x\")</script>&'";

    fn release(version: &str) -> ReleaseRow {
        ReleaseRow {
            upload_id: 3,
            version: version.into(),
            path: "N/NE/NEILB/Foo-Bar-1.0.tar.gz".into(),
            userid: "NEILB".into(),
            uploaded_at: 1_700_000_000,
            indexed: true,
        }
    }

    fn sample() -> DistPage {
        DistPage {
            dist: "Foo-Bar".into(),
            version: "1.0".into(),
            is_latest: true,
            release: Some(release("1.0")),
            releases: vec![release("1.0")],
            tested_versions: vec![HOSTILE.into()],
            packages: vec![PackageRow {
                package: "Foo::Bar".into(),
                version: "1.0".into(),
                first_come: Some("NEILB".into()),
                co_maintainers: vec!["ETHER".into(), "HAARG".into()],
            }],
            prereqs: vec![
                PrereqRow {
                    phase: "runtime".into(),
                    relationship: "requires".into(),
                    module: "Moo".into(),
                    requirement: HOSTILE.into(),
                },
                PrereqRow {
                    phase: "test".into(),
                    relationship: "requires".into(),
                    module: "Test::More".into(),
                    requirement: "0.88".into(),
                },
            ],
            river: Some(RiverSpot {
                immediate: 2,
                total: 12,
                bucket: 2,
                band: "way downriver".into(),
            }),
            dependents: vec![("Baz".into(), Some(4))],
            dependents_paging: Paging {
                page: 1,
                per_page: 1,
                count: 2,
            },
            indexer_report: Some(IndexerReport {
                status: "indexed".into(),
                subject: HOSTILE.into(),
                text: HOSTILE.into(),
            }),
            testers: GradeCounts {
                pass: 5,
                fail: 1,
                ..GradeCounts::default()
            },
        }
    }

    #[test]
    fn dist_page_has_every_section_and_escapes() {
        let html = dist_page(&Viewer::default(), &sample()).into_string();
        for needle in [
            "<h2>CPAN Testers</h2>",
            "<h2>River</h2>",
            "way downriver",
            "<h2>Packages</h2>",
            "<h3>runtime</h3>",
            "<h3>test</h3>",
            r#"href="/dist/Foo-Bar/1.0/matrix""#,
            r#"href="/river/Foo-Bar""#,
            r#"href="/author/ETHER""#,
            r#"href="/dist/Baz""#,
            r#"href="/dist/Foo-Bar/1.0?page=2""#,
            r#"href="/authors/id/N/NE/NEILB/Foo-Bar-1.0.tar.gz""#,
            "known from test reports only",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn matrix_cells_link_to_their_reports() {
        let html = matrix_page(
            &Viewer::default(),
            &MatrixPage {
                dist: "Foo-Bar".into(),
                version: "1.0".into(),
                cells: vec![
                    MatrixCell {
                        perl: "5.40.0".into(),
                        osname: "linux".into(),
                        counts: GradeCounts {
                            pass: 2,
                            ..GradeCounts::default()
                        },
                    },
                    MatrixCell {
                        perl: "5.38.2".into(),
                        osname: HOSTILE.into(),
                        counts: GradeCounts {
                            pass: 1,
                            fail: 1,
                            ..GradeCounts::default()
                        },
                    },
                ],
                totals: GradeCounts {
                    pass: 3,
                    fail: 1,
                    ..GradeCounts::default()
                },
            },
        )
        .into_string();
        assert!(html.contains(r#"<td class="cell pass"><a href="/dist/Foo-Bar/1.0/reports?perl=5.40.0&amp;osname=linux""#));
        assert!(html.contains(r#"class="cell mixed""#));
        assert!(html.contains("osname=%3Cscript%3E"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn report_text_is_escaped_in_pre() {
        let row = ReportRow {
            id: "abc-123".into(),
            grade: "fail".into(),
            prereq_failure: false,
            tester: HOSTILE.into(),
            submitted_at: "2024-01-01T00:00:00Z".into(),
            perl: "5.40.0".into(),
            osname: "linux".into(),
            osvers: "6.1".into(),
            archname: "x86_64-linux".into(),
        };
        let html = report_page(
            &Viewer::default(),
            &ReportPage {
                row: row.clone(),
                dist: "Foo-Bar".into(),
                version: "1.0".into(),
                text: format!("t/basic.t .. {HOSTILE}"),
            },
        )
        .into_string();
        assert!(html.contains("<pre>t/basic.t .. &lt;script&gt;"));
        assert!(!html.contains("<script>"));
        let list = report_list_page(
            &Viewer::default(),
            &ReportListPage {
                dist: "Foo-Bar".into(),
                version: "1.0".into(),
                perl: Some("5.40.0".into()),
                osname: Some(HOSTILE.into()),
                reports: vec![row],
                truncated: false,
            },
        )
        .into_string();
        assert!(list.contains(r#"href="/report/abc-123""#));
        assert!(!list.contains("<script>"));
    }

    #[test]
    fn upload_page_shows_the_indexer_report() {
        let html = upload_page(
            &Viewer::default(),
            &UploadPage {
                upload: release("1.0"),
                state: "indexed".into(),
                release: Some(("Foo-Bar".into(), "1.0".into())),
                report: Some(IndexerReport {
                    status: "ok".into(),
                    subject: "Foo-Bar-1.0 indexed".into(),
                    text: HOSTILE.into(),
                }),
            },
        )
        .into_string();
        assert!(html.contains("Foo-Bar-1.0 indexed"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn pages_count() {
        let paging = Paging {
            page: 1,
            per_page: 100,
            count: 0,
        };
        assert_eq!(paging.pages(), 1);
        assert_eq!(pager("/x", &paging).into_string(), "");
    }
}
