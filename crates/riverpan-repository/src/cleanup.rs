//! The automatic cleanup of old releases (Lancaster consensus, 2013): "For a distribution to be
//! selected for deletion, there must be at least 3 stable releases. Anything older than the
//! oldest of those 3 will be scheduled for deletion if it is older than 5 years and is not
//! indexed in the 02packages file. All perl tarballs will be excluded."
//!
//! [`select_for_cleanup`] is that rule as a pure function over plain values; "those 3" are the
//! three newest stable releases (by the file's date, as "older than" speaks of time; equal
//! dates by version). [`Repository::cleanup`] applies it to the store: authors who opted out are
//! skipped, each author gets one notice listing the files and when they go, and the files are
//! scheduled through the ordinary deletion machinery (`requested_by` = `(cleanup)`), so the
//! author can cancel each one until it is due, and executed deletions move the files to BackPAN.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::{Repository, RepositoryError};

/// Who the cleanup's deletions are recorded as requested by.
pub const CLEANUP_REQUESTER: &str = "(cleanup)";

/// A file as the cleanup rule sees it: plain values only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// The upload's id.
    pub upload_id: i64,
    /// Its path below `authors/id/`.
    pub path: String,
    /// The distribution's name (`Foo-Bar`).
    pub dist: String,
    /// The release's version as in the file name.
    pub version: String,
    /// A stable release (not a developer release: no `_`, no `-TRIAL`).
    pub stable: bool,
    /// The file's date (seconds since the epoch).
    pub mtime: i64,
    /// 02packages points at it.
    pub indexed: bool,
}

/// The rule's two numbers (the consensus says 3 and 5 years).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupRule {
    /// How many newest stable releases are kept.
    pub keep_stable: usize,
    /// Only files older than this go.
    pub min_age: Duration,
}

impl Default for CleanupRule {
    fn default() -> CleanupRule {
        CleanupRule {
            keep_stable: 3,
            // Five years of 365.25 days.
            min_age: Duration::from_secs(5 * 31_557_600),
        }
    }
}

/// Whether `dist` is perl itself (`perl` for `perl-5.36.0.tar.gz`, `perl5.004_04`): never
/// cleaned.
pub fn is_perl_dist(dist: &str) -> bool {
    let lower = dist.to_ascii_lowercase();
    lower == "perl"
        || lower
            .strip_prefix("perl")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Newest first: later date, then higher version.
fn newest_first(a: &ReleaseFile, b: &ReleaseFile) -> Ordering {
    b.mtime
        .cmp(&a.mtime)
        .then_with(|| cpan_version::vcmp(&b.version, &a.version))
}

/// The files the rule schedules for deletion at `now`, in path order: per distribution with
/// at least `rule.keep_stable` stable releases, every file dated before the oldest of its
/// `keep_stable` newest stable releases, older than `rule.min_age`, and not in 02packages;
/// perl's tarballs never.
pub fn select_for_cleanup(files: &[ReleaseFile], now: i64, rule: &CleanupRule) -> Vec<ReleaseFile> {
    let min_age = i64::try_from(rule.min_age.as_secs()).unwrap_or(i64::MAX);
    let old_before = now.saturating_sub(min_age);
    let mut by_dist: BTreeMap<&str, Vec<&ReleaseFile>> = BTreeMap::new();
    for file in files {
        by_dist.entry(file.dist.as_str()).or_default().push(file);
    }
    let mut chosen = Vec::new();
    for (dist, releases) in by_dist {
        if is_perl_dist(dist) || rule.keep_stable == 0 {
            continue;
        }
        let mut stable: Vec<&ReleaseFile> = releases.iter().copied().filter(|f| f.stable).collect();
        if stable.len() < rule.keep_stable {
            continue;
        }
        stable.sort_by(|a, b| newest_first(a, b));
        let oldest_kept = stable[rule.keep_stable - 1];
        let kept: BTreeSet<&str> = stable[..rule.keep_stable]
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        for file in releases {
            let older = newest_first(oldest_kept, file) == Ordering::Less;
            if older
                && !kept.contains(file.path.as_str())
                && file.mtime < old_before
                && !file.indexed
            {
                chosen.push(file.clone());
            }
        }
    }
    chosen.sort_by(|a, b| a.path.cmp(&b.path));
    chosen
}

/// How a cleanup run behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupOptions {
    /// The rule's numbers.
    pub rule: CleanupRule,
    /// How long the author has to cancel (the deletions' delay).
    pub delay: Duration,
    /// Only this author's files.
    pub author: Option<String>,
    /// Say what would happen; change nothing, mail nobody.
    pub dry_run: bool,
    /// Skip authors noticed less than this long ago (the consensus' "rolling basis by author
    /// ID to avoid bothering authors with frequent deletion notices"); `None` for none.
    pub notice_interval: Option<Duration>,
}

/// One author's part of a cleanup run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorCleanup {
    /// The author (the directory the files are in).
    pub userid: String,
    /// The files scheduled (or, in a dry run, that would be).
    pub paths: Vec<String>,
    /// When they are deleted unless cancelled.
    pub due_at: i64,
    /// Whether the notice reached the mail relay.
    pub noticed: bool,
}

/// What a cleanup run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupSummary {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Per author, in id order.
    pub authors: Vec<AuthorCleanup>,
    /// Authors with files the rule selects who opted out.
    pub opted_out: Vec<String>,
    /// Authors skipped because they were noticed recently (their turn comes later).
    pub postponed: Vec<String>,
}

/// The author whose directory holds `path` (`X/XX/AUTHOR/…`).
fn owner_of(path: &str) -> Option<&str> {
    path.split('/').nth(2)
}

impl Repository {
    /// The store's files as [`ReleaseFile`]s (archives CPAN::DistnameInfo can name, not deleted,
    /// not scheduled for deletion already, and not kept by their author by cancelling the
    /// cleanup's deletion).
    pub fn release_files(&self) -> Result<Vec<ReleaseFile>, RepositoryError> {
        let mut files = Vec::new();
        for upload in self.store.live_uploads(CLEANUP_REQUESTER)? {
            // Scheduled already, or the author cancelled the cleanup's deletion: keep it.
            if upload.deletion_pending || upload.deletion_cancelled {
                continue;
            }
            let info = cpan_distname::DistnameInfo::new(&upload.path);
            let (Some(dist), Some(version)) = (info.dist(), info.version()) else {
                continue;
            };
            files.push(ReleaseFile {
                upload_id: upload.upload_id,
                dist: dist.to_string(),
                version: version.to_string(),
                stable: !info.is_developer(),
                mtime: upload.mtime,
                indexed: upload.indexed,
                path: upload.path,
            });
        }
        Ok(files)
    }

    /// Runs the cleanup: selects the files ([`select_for_cleanup`]), leaves out authors who
    /// opted out (and, with `notice_interval`, authors noticed recently), schedules each
    /// remaining file's deletion after `delay` and mails each author one notice.
    pub fn cleanup(&self, options: &CleanupOptions) -> Result<CleanupSummary, RepositoryError> {
        let now = self.now();
        let files = self.release_files()?;
        // The rule looks at whole distributions (all authors' releases of it).
        let chosen = select_for_cleanup(&files, now, &options.rule);
        let mut by_author: BTreeMap<String, Vec<ReleaseFile>> = BTreeMap::new();
        for file in chosen {
            let Some(owner) = owner_of(&file.path) else {
                continue;
            };
            if options
                .author
                .as_deref()
                .is_some_and(|wanted| wanted != owner)
            {
                continue;
            }
            by_author.entry(owner.to_string()).or_default().push(file);
        }
        let opted_out: BTreeSet<String> = self.store.cleanup_opt_outs()?.into_iter().collect();
        let delay = i64::try_from(options.delay.as_secs()).unwrap_or(i64::MAX);
        let due_at = now.saturating_add(delay);
        let mut summary = CleanupSummary {
            dry_run: options.dry_run,
            ..CleanupSummary::default()
        };
        for (userid, files) in by_author {
            if opted_out.contains(&userid) {
                summary.opted_out.push(userid);
                continue;
            }
            if let Some(interval) = options.notice_interval {
                let interval = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
                let recent = self
                    .store
                    .last_cleanup_notice(&userid)?
                    .is_some_and(|sent| sent > now.saturating_sub(interval));
                if recent {
                    summary.postponed.push(userid);
                    continue;
                }
            }
            let paths: Vec<String> = files.iter().map(|file| file.path.clone()).collect();
            if options.dry_run {
                summary.authors.push(AuthorCleanup {
                    userid,
                    paths,
                    due_at,
                    noticed: false,
                });
                continue;
            }
            let mut scheduled = Vec::new();
            let mut due = due_at;
            for file in &files {
                let Some(upload) = self.store.reader().upload_by_id(file.upload_id)? else {
                    continue;
                };
                let deletion = self.schedule_deletion(&upload, CLEANUP_REQUESTER, options.delay)?;
                due = due.max(deletion.due_at);
                scheduled.push(format!("{} (deletion {})", deletion.path, deletion.id));
            }
            let noticed = self.send_cleanup_notice(&userid, &scheduled, due);
            self.store
                .record_cleanup_notice(&userid, now, scheduled.len() as i64, due)?;
            tracing::info!(%userid, files = scheduled.len(), due_at = due, "old releases scheduled for deletion");
            summary.authors.push(AuthorCleanup {
                userid,
                paths,
                due_at: due,
                noticed,
            });
        }
        Ok(summary)
    }

    /// Mails `userid` the one notice of a cleanup run.
    fn send_cleanup_notice(&self, userid: &str, scheduled: &[String], due_at: i64) -> bool {
        let Ok(Some(author)) = self.store.reader().author(userid) else {
            return false;
        };
        let Ok(Some(email)) = self.store.contact_email(userid) else {
            return false;
        };
        let list: String = scheduled.iter().map(|line| format!("  {line}\n")).collect();
        self.send_mail(
            &[email],
            &format!("Old releases of {userid} scheduled for deletion"),
            &format!(
                "Hello {},\n\nas the Lancaster consensus (2013) asks, old releases are removed from CPAN \
                 when their distribution has at least three newer stable releases, they are more \
                 than five years old and no package in 02packages points at them. They stay on \
                 BackPAN.\n\nThese files of yours are scheduled for deletion at {} (seconds since \
                 the epoch {due_at}):\n\n{list}\nTo keep a file, cancel its deletion before then on \
                 your account page, with `DELETE /api/v1/deletions/ID`, or ask an administrator. To \
                 keep all your releases from now on, opt out of the cleanup on your account page.\n",
                author.fullname,
                crate::cleanup::utc(due_at),
            ),
        )
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for mails.
pub(crate) fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
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
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: i64 = 31_557_600;
    const NOW: i64 = 30 * YEAR;

    fn file(dist: &str, version: &str, years_ago: i64, indexed: bool) -> ReleaseFile {
        ReleaseFile {
            upload_id: 0,
            path: format!("A/AU/AUTHOR/{dist}-{version}.tar.gz"),
            dist: dist.into(),
            version: version.into(),
            stable: !version.contains('_') && !version.contains("TRIAL"),
            mtime: NOW - years_ago * YEAR,
            indexed,
        }
    }

    fn paths(files: &[ReleaseFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn keeps_the_three_newest_stable_releases() {
        let files = vec![
            file("Foo", "0.01", 12, false),
            file("Foo", "0.02_01", 11, false),
            file("Foo", "0.02", 10, false),
            file("Foo", "0.03", 9, false),
            file("Foo", "0.04", 8, false),
            file("Foo", "0.05", 7, true),
        ];
        let chosen = select_for_cleanup(&files, NOW, &CleanupRule::default());
        assert_eq!(
            paths(&chosen),
            [
                "A/AU/AUTHOR/Foo-0.01.tar.gz",
                "A/AU/AUTHOR/Foo-0.02.tar.gz",
                "A/AU/AUTHOR/Foo-0.02_01.tar.gz"
            ]
        );
    }

    #[test]
    fn needs_three_stable_releases() {
        let files = vec![
            file("Foo", "0.01", 12, false),
            file("Foo", "0.02_01", 11, false),
            file("Foo", "0.02", 10, false),
            file("Foo", "0.03_01", 9, false),
            file("Foo", "0.03_02", 8, false),
        ];
        assert!(select_for_cleanup(&files, NOW, &CleanupRule::default()).is_empty());
    }

    #[test]
    fn young_and_indexed_files_stay() {
        let files = vec![
            file("Foo", "1", 6, false),
            file("Foo", "2", 4, false),
            file("Foo", "3", 3, false),
            file("Foo", "4", 2, false),
            file("Foo", "5", 1, false),
            file("Bar", "1", 20, true),
            file("Bar", "2", 3, false),
            file("Bar", "3", 2, false),
            file("Bar", "4", 1, false),
        ];
        let chosen = select_for_cleanup(&files, NOW, &CleanupRule::default());
        // Foo 2 is older than the oldest kept (3) but only 4 years old; Bar 1 is in 02packages.
        assert_eq!(paths(&chosen), ["A/AU/AUTHOR/Foo-1.tar.gz"]);
    }

    #[test]
    fn perl_is_never_cleaned() {
        let files: Vec<ReleaseFile> = ["5.6.0", "5.6.1", "5.8.0", "5.8.1", "5.10.0"]
            .iter()
            .enumerate()
            .map(|(i, v)| file("perl", v, 20 - i as i64, false))
            .collect();
        assert!(select_for_cleanup(&files, NOW, &CleanupRule::default()).is_empty());
        assert!(is_perl_dist("perl5.004_04"));
        assert!(!is_perl_dist("Perl-Critic"));
        assert!(!is_perl_dist("perlfaq"));
    }

    #[test]
    fn equal_dates_order_by_version() {
        let files = vec![
            file("Foo", "1.10", 10, false),
            file("Foo", "1.9", 10, false),
            file("Foo", "1.11", 10, false),
            file("Foo", "1.2", 10, false),
        ];
        // As decimals: 1.9 > 1.2 > 1.11 > 1.10.
        let chosen = select_for_cleanup(&files, NOW, &CleanupRule::default());
        assert_eq!(paths(&chosen), ["A/AU/AUTHOR/Foo-1.10.tar.gz"]);
    }

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
    }
}
