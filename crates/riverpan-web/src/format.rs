//! Small formatting helpers the public pages share: dates, links to files and pages, grade
//! counts.

use maud::{html, Markup};
use serde::Serialize;

use crate::path_segment;

/// `2024-05-01 12:34 UTC` for a Unix time in seconds (no time-zone database: pages say UTC).
pub fn utc_datetime(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        in_day / 3600,
        in_day % 3600 / 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The mirror URL of a file below `authors/id/` (`N/NE/NEILB/Foo-1.0.tar.gz`), each segment
/// escaped.
pub fn file_url(path: &str) -> String {
    let segments: Vec<String> = path.split('/').map(path_segment).collect();
    format!("/authors/id/{}", segments.join("/"))
}

/// `/dist/{dist}`.
pub fn dist_url(dist: &str) -> String {
    format!("/dist/{}", path_segment(dist))
}

/// `/dist/{dist}/{version}`.
pub fn release_url(dist: &str, version: &str) -> String {
    format!("/dist/{}/{}", path_segment(dist), path_segment(version))
}

/// `/dist/{dist}/{version}/matrix`.
pub fn matrix_url(dist: &str, version: &str) -> String {
    format!("{}/matrix", release_url(dist, version))
}

/// `/author/{userid}`.
pub fn author_url(userid: &str) -> String {
    format!("/author/{}", path_segment(userid))
}

/// `/report/{id}` (a CPAN Testers report).
pub fn report_url(id: &str) -> String {
    format!("/report/{}", path_segment(id))
}

/// `/upload/{id}` (an upload and its indexer report).
pub fn upload_url(id: i64) -> String {
    format!("/upload/{id}")
}

/// CPAN Testers grade counts of a release, a cell or a perl, with prerequisite failures apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GradeCounts {
    /// PASS.
    pub pass: u64,
    /// FAIL (not caused by a missing prerequisite).
    pub fail: u64,
    /// NA.
    pub na: u64,
    /// UNKNOWN.
    pub unknown: u64,
    /// Reports of any grade that riverpan classified as prerequisite failures.
    pub prereq: u64,
}

impl GradeCounts {
    /// Every report counted.
    pub fn total(&self) -> u64 {
        self.pass + self.fail + self.na + self.unknown + self.prereq
    }

    /// The CSS class of a matrix cell: the one grade present, or `mixed`.
    pub fn cell_class(&self) -> &'static str {
        let present: Vec<&'static str> = [
            (self.pass, "pass"),
            (self.fail, "fail"),
            (self.na, "na"),
            (self.unknown, "unknown"),
            (self.prereq, "prereq"),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(_, class)| class)
        .collect();
        match present.as_slice() {
            [] => "unknown",
            [one] => one,
            _ => "mixed",
        }
    }
}

/// The grade totals as a small table row set (`pass 12 · fail 3 · …`).
pub fn grade_totals(counts: &GradeCounts) -> Markup {
    html! {
        ul.grades {
            li { span.pass { "PASS" } " " (counts.pass) }
            li { span.fail { "FAIL" } " " (counts.fail) }
            li { span.na { "NA" } " " (counts.na) }
            li { span.unknown { "UNKNOWN" } " " (counts.unknown) }
            li { span.prereq { "prerequisite failure" } " " (counts.prereq) }
            li { "total " (counts.total()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_datetime(1_714_566_840), "2024-05-01 12:34 UTC");
        assert_eq!(utc_datetime(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn urls_escape_their_parts() {
        assert_eq!(
            file_url("N/NE/NEILB/Foo Bar-1.0.tar.gz"),
            "/authors/id/N/NE/NEILB/Foo%20Bar-1.0.tar.gz"
        );
        assert_eq!(matrix_url("<x>", "1.0\""), "/dist/%3Cx%3E/1.0%22/matrix");
        assert_eq!(author_url("NEILB"), "/author/NEILB");
    }

    #[test]
    fn cell_classes() {
        let only_pass = GradeCounts {
            pass: 3,
            ..GradeCounts::default()
        };
        assert_eq!(only_pass.cell_class(), "pass");
        let mixed = GradeCounts {
            pass: 3,
            fail: 1,
            ..GradeCounts::default()
        };
        assert_eq!(mixed.cell_class(), "mixed");
        let prereq = GradeCounts {
            prereq: 2,
            ..GradeCounts::default()
        };
        assert_eq!(prereq.cell_class(), "prereq");
        assert_eq!(mixed.total(), 4);
    }
}
