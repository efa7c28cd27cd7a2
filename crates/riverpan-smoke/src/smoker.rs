//! A smoke run: every chosen release tested with every perl (several at once), each result
//! graded, reported, recorded in that perl's history and handed to the caller as it comes.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use cpan_reporter::{Grade, Harness};
use riverpan_install::report::{ReportOutcome, ReportSender};
use riverpan_install::InstallEvent;

use crate::downriver::PassResult;
use crate::history::{History, HistoryEntry};
use crate::run::{grade_of, test_release, Settings};
use crate::select::Release;

/// A perl the releases are tested with.
#[derive(Debug)]
pub struct SmokePerl {
    /// The perl given (`--perl`).
    pub path: PathBuf,
    /// How it is named in output: `perl 5.36.0 (/usr/bin/perl)`.
    pub label: String,
    /// Its Test::Harness flavour (for grading).
    pub harness: Harness,
    /// Where its reports go (`None`: graded and shown, not sent, not recorded).
    pub sender: Option<ReportSender>,
    /// What it tested before.
    pub history: Mutex<History>,
}

impl SmokePerl {
    /// Whether this perl tested `path` before.
    pub fn tested(&self, path: &str) -> bool {
        self.history
            .lock()
            .map(|history| history.contains(path))
            .unwrap_or(false)
    }
}

/// What became of one release with one perl.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Graded and reported.
    Reported {
        /// The grade.
        grade: Grade,
        /// The report's id on the riverpan.
        id: String,
    },
    /// Graded; no `--report`, so nothing sent.
    Graded {
        /// The grade.
        grade: Grade,
    },
    /// Not reported, as CPAN::Reporter would not report it (a missing prerequisite, killed at
    /// the time limit, ...).
    Discarded {
        /// Why.
        reason: String,
    },
    /// Graded, but sending the report failed (not recorded: the next run tries again).
    SendFailed {
        /// The grade.
        grade: Grade,
        /// Why.
        why: String,
    },
    /// Stopped (SIGINT/SIGTERM) while it ran: neither reported nor recorded.
    Interrupted,
}

impl Outcome {
    /// How the summary counts it: the grade, `discard`, `send failed`, `interrupted`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Reported { grade, .. } | Outcome::Graded { grade } => grade.as_str(),
            Outcome::Discarded { .. } => "discard",
            Outcome::SendFailed { .. } => "send failed",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// One release with one perl.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmokeResult {
    /// The release (`A/AL/ALICE/Foo-1.0.tar.gz`).
    pub path: String,
    /// Its distribution.
    pub dist: String,
    /// The perl's label.
    pub perl: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The log of its run.
    pub log: Option<PathBuf>,
    /// Seconds it took.
    pub seconds: f64,
}

/// Tests each of `releases` with each of `perls` that has not tested it, `parallel` at a time;
/// nothing new starts once `stop` is set, and what was running then is neither reported nor
/// recorded. `on_event` sees every install step, `on_result` every result as it comes.
pub fn smoke_all(
    releases: &[Release],
    perls: &[SmokePerl],
    settings: &Settings,
    parallel: usize,
    stop: &AtomicBool,
    on_event: &(dyn Fn(&Release, &SmokePerl, InstallEvent) + Sync),
    on_result: &(dyn Fn(&SmokeResult) + Sync),
) -> Vec<SmokeResult> {
    let queue: Mutex<VecDeque<(&Release, &SmokePerl)>> = Mutex::new(
        releases
            .iter()
            .flat_map(|release| {
                perls
                    .iter()
                    .filter(|perl| !perl.tested(&release.path))
                    .map(move |perl| (release, perl))
            })
            .collect(),
    );
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some((release, perl)) = next else {
                    break;
                };
                let result = smoke_one(release, perl, settings, stop, on_event);
                on_result(&result);
                if let Ok(mut results) = results.lock() {
                    results.push(result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

fn smoke_one(
    release: &Release,
    perl: &SmokePerl,
    settings: &Settings,
    stop: &AtomicBool,
    on_event: &(dyn Fn(&Release, &SmokePerl, InstallEvent) + Sync),
) -> SmokeResult {
    let log_name = format!(
        "{}/{}",
        perl.label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            })
            .collect::<String>(),
        release.path.replace('/', "_")
    );
    let events = |event: InstallEvent| on_event(release, perl, event);
    let run = test_release(
        settings,
        &perl.path,
        &release.path,
        &release.dist,
        None,
        &log_name,
        &events,
    );
    let finish = |outcome: Outcome, log: Option<PathBuf>, seconds: f64| SmokeResult {
        path: release.path.clone(),
        dist: release.dist.clone(),
        perl: perl.label.clone(),
        outcome,
        log,
        seconds,
    };
    let run = match run {
        Ok(run) => run,
        Err(error) => {
            return finish(
                Outcome::Discarded {
                    reason: error.to_string(),
                },
                None,
                0.0,
            )
        }
    };
    let seconds = run.elapsed.as_secs_f64();
    if stop.load(Ordering::SeqCst) {
        // The signal may have reached the steps too (a terminal's Ctrl-C does): what they
        // printed is no result.
        return finish(Outcome::Interrupted, run.log, seconds);
    }
    let outcome = match (grade_of(&run, perl.harness), &perl.sender, &run.tested) {
        (PassResult::NotTested(reason), _, _) => Outcome::Discarded { reason },
        (PassResult::Graded(grade), None, _) => Outcome::Graded { grade },
        (PassResult::Graded(grade), Some(sender), Some(tested)) => match sender.send(tested) {
            ReportOutcome::Sent { grade, id } => Outcome::Reported { grade, id },
            ReportOutcome::Discarded { reason } => Outcome::Discarded { reason },
            ReportOutcome::Failed { why } => Outcome::SendFailed { grade, why },
        },
        (PassResult::Graded(grade), Some(_), None) => Outcome::Graded { grade },
    };
    let recorded = match &outcome {
        Outcome::Reported { grade, .. } => Some(grade.as_str()),
        Outcome::Discarded { .. } if perl.sender.is_some() => Some("discard"),
        _ => None,
    };
    if let Some(recorded) = recorded {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Ok(mut history) = perl.history.lock() {
            if let Err(error) = history.record(HistoryEntry {
                path: release.path.clone(),
                outcome: recorded.to_string(),
                at,
            }) {
                tracing::warn!("{error}");
            }
        }
    }
    finish(outcome, run.log, seconds)
}
