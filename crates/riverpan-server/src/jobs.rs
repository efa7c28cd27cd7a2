//! When each periodic job last ran, for `/status` and `/metrics`: the indexing worker's pass,
//! the deletion executor, the river refresh and the cleanup of old releases. Each run costs two atomic stores and, on
//! failure, one short lock.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// The periodic jobs riverpan runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Job {
    /// The indexing worker's pass over the upload queue.
    IndexPass,
    /// Executing the deletions that are due.
    Deletions,
    /// Bringing the river up to date with the index.
    RiverRefresh,
    /// Scheduling the deletion of old releases (Lancaster consensus), when enabled.
    Cleanup,
}

impl Job {
    /// Every job, in the order shown.
    pub(crate) const ALL: [Job; 4] = [
        Job::IndexPass,
        Job::Deletions,
        Job::RiverRefresh,
        Job::Cleanup,
    ];

    /// The `job` label at `/metrics`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Job::IndexPass => "index_pass",
            Job::Deletions => "deletions",
            Job::RiverRefresh => "river_refresh",
            Job::Cleanup => "cleanup",
        }
    }

    /// The name shown on `/status`.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Job::IndexPass => "indexing worker pass",
            Job::Deletions => "deletion executor",
            Job::RiverRefresh => "river refresh",
            Job::Cleanup => "cleanup of old releases",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Default)]
struct JobClock {
    /// Seconds since the epoch of the last finished run; 0 before the first.
    last_run: AtomicI64,
    runs: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// The last run of every [`Job`].
#[derive(Default)]
pub(crate) struct JobRuns {
    clocks: [JobClock; 4],
}

/// One job's record, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobRecord {
    /// Seconds since the epoch of the last finished run.
    pub(crate) last_run: Option<i64>,
    /// Runs since the server started.
    pub(crate) runs: u64,
    /// Of which failed.
    pub(crate) failures: u64,
    /// The error of the last run, when it failed.
    pub(crate) last_error: Option<String>,
}

impl JobRuns {
    /// Records a finished run of `job` at `now` (seconds); `error` when it failed.
    pub(crate) fn finished(&self, job: Job, now: i64, error: Option<String>) {
        let clock = &self.clocks[job.index()];
        clock.last_run.store(now, Ordering::Relaxed);
        clock.runs.fetch_add(1, Ordering::Relaxed);
        if error.is_some() {
            clock.failures.fetch_add(1, Ordering::Relaxed);
        }
        *clock
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = error;
    }

    /// What is known of `job`.
    pub(crate) fn record(&self, job: Job) -> JobRecord {
        let clock = &self.clocks[job.index()];
        let last_run = clock.last_run.load(Ordering::Relaxed);
        JobRecord {
            last_run: (last_run > 0).then_some(last_run),
            runs: clock.runs.load(Ordering::Relaxed),
            failures: clock.failures.load(Ordering::Relaxed),
            last_error: clock
                .last_error
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_failures_are_recorded_per_job() {
        let runs = JobRuns::default();
        assert_eq!(runs.record(Job::Deletions).last_run, None);
        runs.finished(Job::Deletions, 100, None);
        runs.finished(Job::Deletions, 110, Some("disk full".into()));
        let record = runs.record(Job::Deletions);
        assert_eq!(record.last_run, Some(110));
        assert_eq!((record.runs, record.failures), (2, 1));
        assert_eq!(record.last_error.as_deref(), Some("disk full"));
        assert_eq!(runs.record(Job::IndexPass).runs, 0);
    }
}
