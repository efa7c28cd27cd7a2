//! What to smoke, as CPAN::Reporter::Smoker chooses (client.md §4.4): the latest indexed release
//! of each distribution, newest uploads first, without the distributions an exclusion names
//! and the releases this perl has tested before. Pure: the index's paths and the upload list in,
//! releases out.

use std::collections::BTreeMap;

use crate::exclude::Exclusions;

/// An upload as a riverpan's `GET /v3/upload` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Upload {
    /// Distribution name.
    pub dist: String,
    /// Its version.
    pub version: String,
    /// PAUSE id (`""` when unknown).
    #[serde(default)]
    pub author: String,
    /// Archive file name (`""` for a release riverpan does not host).
    #[serde(default)]
    pub filename: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(default)]
    pub released: String,
}

/// A release that may be smoked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Release {
    /// Distribution name (`Foo-Bar`).
    pub dist: String,
    /// Version.
    pub version: String,
    /// Its path below `authors/id/` (`A/AL/ALICE/Foo-Bar-1.0.tar.gz`).
    pub path: String,
    /// When it was uploaded (`YYYY-MM-DDTHH:MM:SSZ`), when the source says.
    pub released: Option<String>,
}

/// Which releases a run takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Every latest release, newest first.
    All,
    /// The N most recently uploaded.
    Recent(usize),
    /// Those uploaded at or after this time (`YYYY-MM-DD[THH:MM:SSZ]`).
    Since(String),
    /// These distributions (`Foo-Bar` or `Foo::Bar`).
    Dists(Vec<String>),
}

/// A release left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// The release.
    pub path: String,
    /// Why (`excluded by Acme-*`, `tested before`).
    pub why: String,
}

/// `A/AL/ALICE/Foo-1.0.tar.gz` of an upload.
fn upload_path(upload: &Upload) -> Option<String> {
    let author = upload.author.to_ascii_uppercase();
    if author.len() < 2 || upload.filename.is_empty() {
        return None;
    }
    Some(format!(
        "{}/{}/{author}/{}",
        &author[..1],
        &author[..2],
        upload.filename
    ))
}

/// The latest indexed release of each distribution among `index_paths` (the distribution files
/// of `02packages`), newest upload first (releases without a known upload time last, by name).
/// When the index names several releases of a distribution (packages left behind in an older
/// one), the most recently uploaded wins, then the highest version.
pub fn latest_releases<'a>(
    index_paths: impl IntoIterator<Item = &'a str>,
    uploads: &[Upload],
) -> Vec<Release> {
    let released: BTreeMap<String, &str> = uploads
        .iter()
        .filter_map(|u| upload_path(u).map(|path| (path, u.released.as_str())))
        .collect();
    let mut by_dist: BTreeMap<String, Release> = BTreeMap::new();
    for path in index_paths {
        let info = cpan_distname::DistnameInfo::new(&format!("authors/id/{path}"));
        let (Some(dist), Some(version)) = (info.dist(), info.version()) else {
            continue;
        };
        let release = Release {
            dist: dist.to_string(),
            version: version.to_string(),
            path: path.to_string(),
            released: released
                .get(path)
                .filter(|r| !r.is_empty())
                .map(|r| r.to_string()),
        };
        match by_dist.get(dist) {
            Some(known) if !newer(&release, known) => {}
            _ => {
                by_dist.insert(dist.to_string(), release);
            }
        }
    }
    let mut releases: Vec<Release> = by_dist.into_values().collect();
    releases.sort_by(|a, b| {
        b.released
            .cmp(&a.released)
            .then_with(|| a.dist.cmp(&b.dist))
    });
    releases
}

fn newer(candidate: &Release, known: &Release) -> bool {
    if candidate.released != known.released {
        return candidate.released > known.released;
    }
    match (
        cpan_version::Version::parse(&candidate.version),
        cpan_version::Version::parse(&known.version),
    ) {
        (Ok(a), Ok(b)) => a > b,
        _ => candidate.version > known.version,
    }
}

/// The releases a run smokes, in order, and those left out with the reason: the choice first
/// (`--recent N` counts uploads, so a second run over the same N finds them tested), then the
/// exclusions, then the history (`tested` says whether a path was tested before).
pub fn choose(
    releases: &[Release],
    choice: &Choice,
    exclusions: &Exclusions,
    tested: &dyn Fn(&str) -> bool,
) -> (Vec<Release>, Vec<LeftOut>) {
    let chosen: Vec<&Release> = match choice {
        Choice::All => releases.iter().collect(),
        Choice::Recent(n) => releases.iter().take(*n).collect(),
        Choice::Since(bound) => releases
            .iter()
            .filter(|r| r.released.as_deref().is_some_and(|at| at >= bound.as_str()))
            .collect(),
        Choice::Dists(names) => {
            let wanted: Vec<String> = names.iter().map(|n| n.replace("::", "-")).collect();
            releases
                .iter()
                .filter(|r| wanted.contains(&r.dist))
                .collect()
        }
    };
    let mut smoke = Vec::new();
    let mut left_out = Vec::new();
    for release in chosen {
        if let Some(pattern) = exclusions.matching(&release.dist) {
            left_out.push(LeftOut {
                path: release.path.clone(),
                why: format!("excluded by {pattern}"),
            });
        } else if tested(&release.path) {
            left_out.push(LeftOut {
                path: release.path.clone(),
                why: "tested before with this perl".into(),
            });
        } else {
            smoke.push(release.clone());
        }
    }
    (smoke, left_out)
}

/// The distributions named in a [`Choice::Dists`] that the index does not have.
pub fn unknown_dists(releases: &[Release], names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            let dist = name.replace("::", "-");
            !releases.iter().any(|r| r.dist == dist)
        })
        .cloned()
        .collect()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
pub fn iso_of_epoch(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `--since`: an absolute time (`2024-05-01`, `2024-05-01T12:00:00Z`) or an age (`90m`, `12h`,
/// `7d`) before `now` (a Unix time), as the comparable `YYYY-MM-DD...` text.
pub fn parse_since(text: &str, now: u64) -> Result<String, String> {
    let text = text.trim();
    let age = |digits: &str, unit: u64| -> Result<String, String> {
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{text}: not a number of minutes, hours or days"))?;
        Ok(iso_of_epoch(now.saturating_sub(n.saturating_mul(unit))))
    };
    if let Some(n) = text.strip_suffix('m') {
        return age(n, 60);
    }
    if let Some(n) = text.strip_suffix('h') {
        return age(n, 3600);
    }
    if let Some(n) = text.strip_suffix('d') {
        return age(n, 86_400);
    }
    let bytes = text.as_bytes();
    let date_like = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if date_like {
        return Ok(text.to_string());
    }
    Err(format!(
        "{text}: not a time (2024-05-01, 2024-05-01T12:00:00Z) or an age (90m, 12h, 7d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(dist: &str, version: &str, released: &str) -> Upload {
        Upload {
            dist: dist.into(),
            version: version.into(),
            author: "ALICE".into(),
            filename: format!("{dist}-{version}.tar.gz"),
            released: released.into(),
        }
    }

    #[test]
    fn the_latest_release_of_each_dist_newest_upload_first() {
        let uploads = [
            upload("Old-One", "1.0", "2024-01-01T00:00:00Z"),
            upload("New-One", "0.5", "2024-03-01T00:00:00Z"),
            upload("Mid-One", "2.0", "2024-02-01T00:00:00Z"),
            upload("Mid-One", "1.9", "2024-01-15T00:00:00Z"),
        ];
        let paths = [
            "A/AL/ALICE/Old-One-1.0.tar.gz",
            "A/AL/ALICE/Mid-One-1.9.tar.gz",
            "A/AL/ALICE/Mid-One-2.0.tar.gz",
            "A/AL/ALICE/New-One-0.5.tar.gz",
            "B/BO/BOB/Unknown-Time-3.0.tar.gz",
        ];
        let releases = latest_releases(paths, &uploads);
        let order: Vec<&str> = releases.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            order,
            [
                "A/AL/ALICE/New-One-0.5.tar.gz",
                "A/AL/ALICE/Mid-One-2.0.tar.gz",
                "A/AL/ALICE/Old-One-1.0.tar.gz",
                "B/BO/BOB/Unknown-Time-3.0.tar.gz",
            ]
        );
        assert_eq!(releases[3].released, None);
    }

    #[test]
    fn without_upload_times_the_higher_version_wins() {
        let releases = latest_releases(
            ["A/AL/ALICE/Foo-1.10.tar.gz", "A/AL/ALICE/Foo-1.09.tar.gz"],
            &[],
        );
        assert_eq!(releases.len(), 1);
        assert_eq!(releases[0].version, "1.10");
    }

    #[test]
    fn choice_then_exclusions_then_history() {
        let uploads = [
            upload("Acme-Silly", "1", "2024-04-01T00:00:00Z"),
            upload("Foo", "1", "2024-03-01T00:00:00Z"),
            upload("Bar", "1", "2024-02-01T00:00:00Z"),
            upload("Baz", "1", "2024-01-01T00:00:00Z"),
        ];
        let paths: Vec<String> = uploads
            .iter()
            .map(|u| format!("A/AL/ALICE/{}", u.filename))
            .collect();
        let releases = latest_releases(paths.iter().map(String::as_str), &uploads);
        let exclusions = Exclusions::new(["Acme-*".to_string()]);
        let tested = |path: &str| path.contains("Foo");
        let (smoke, left) = choose(&releases, &Choice::Recent(3), &exclusions, &tested);
        let names: Vec<&str> = smoke.iter().map(|r| r.dist.as_str()).collect();
        assert_eq!(names, ["Bar"]);
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].why, "excluded by Acme-*");
        assert_eq!(left[1].why, "tested before with this perl");
        let (smoke, _) = choose(
            &releases,
            &Choice::Since("2024-02-01".into()),
            &Exclusions::default(),
            &|_| false,
        );
        assert_eq!(smoke.len(), 3);
        let (smoke, _) = choose(
            &releases,
            &Choice::Dists(vec!["Baz".into()]),
            &Exclusions::default(),
            &|_| false,
        );
        assert_eq!(smoke[0].path, "A/AL/ALICE/Baz-1.tar.gz");
        assert_eq!(
            unknown_dists(&releases, &["Baz".into(), "No::Such".into()]),
            ["No::Such"]
        );
    }

    #[test]
    fn times() {
        assert_eq!(iso_of_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_of_epoch(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(
            parse_since("2h", 1_709_251_199).as_deref(),
            Ok("2024-02-29T21:59:59Z")
        );
        assert_eq!(parse_since("2024-01-01", 0).as_deref(), Ok("2024-01-01"));
        assert!(parse_since("yesterday", 0).is_err());
    }
}
