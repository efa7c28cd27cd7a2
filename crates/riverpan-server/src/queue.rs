//! The write side's shared handles and the indexing worker.
//!
//! Uploads are answered as soon as the file and its `uploads` row (state `stored`) are
//! committed; the row *is* the queue, so it survives restarts. One dedicated thread owns a
//! [`Repository`] and runs [`Repository::index_queued`] when notified (debounced, so that a burst
//! of uploads is indexed in one pass and published once), once at start, and executes scheduled
//! deletions when they are due. Storing uploads and scheduling deletions use a second
//! `Repository` behind a mutex, so an upload never waits for indexing to finish (SQLite's WAL
//! and busy timeout serialise the two connections' short write transactions).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use riverpan_repository::{
    CleanupOptions, CleanupRule, InactivityRule, MailConfig, RegistrationPolicy, Repository,
    RepositoryError,
};

use crate::auth::FailureLimiter;
use crate::jobs::{Job, JobRuns};

/// Default largest upload: 256 MiB.
pub const DEFAULT_MAX_UPLOAD_SIZE: u64 = 256 * 1024 * 1024;
/// Default delay before a scheduled deletion runs (PAUSE: 72 hours; the Berlin consensus asks
/// for "nearly immediate" with a slight delay).
pub const DEFAULT_DELETION_DELAY: Duration = Duration::from_secs(3600);
/// How often the worker looks for deletions scheduled by another process (`riverpan delete`).
const POLL_INTERVAL: Duration = Duration::from_secs(30);

/// Settings of the write side (config `[server]`, env `RIVERPAN_*`).
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Largest accepted upload in bytes (413 above it, checked while the body streams in).
    pub max_upload_size: u64,
    /// How long a scheduled deletion waits (undelete is possible until then).
    pub deletion_delay: Duration,
    /// Quiet time after an upload before the worker indexes (a burst publishes once).
    pub debounce: Duration,
    /// Failed logins per minute per client address and per PAUSE id before 429.
    pub failures_per_minute: usize,
    /// Where indexer reports are mailed, if anywhere.
    pub mail: Option<MailConfig>,
    /// Test switch: the worker does nothing, so uploads stay queued (restart tests).
    pub hold_queue: bool,
    /// Limits and automation of the id request queue (`[registration]`).
    pub registration: RegistrationPolicy,
    /// The id request form is refused when sent back sooner than this after it was served
    /// (people take longer; robots do not).
    pub min_form_time: Duration,
    /// The periodic cleanup of old releases (`[cleanup]`), when enabled.
    pub cleanup: Option<CleanupSchedule>,
    /// What counts as an inactive unused id (`[ids]`).
    pub inactivity: InactivityRule,
}

/// When and how the worker runs the cleanup of old releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupSchedule {
    /// How often a run starts (the last run's time is kept in the store across restarts).
    pub interval: Duration,
    /// How long the authors have to cancel a scheduled deletion.
    pub delay: Duration,
    /// An author gets at most one notice per this period (the consensus' rolling basis).
    pub notice_interval: Duration,
    /// The rule's numbers.
    pub rule: CleanupRule,
}

impl Default for CleanupSchedule {
    fn default() -> CleanupSchedule {
        CleanupSchedule {
            interval: Duration::from_secs(86_400),
            // PAUSE's usual 72 hours: enough for an author to read the notice and cancel.
            delay: Duration::from_secs(72 * 3600),
            notice_interval: Duration::from_secs(30 * 86_400),
            rule: CleanupRule::default(),
        }
    }
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            max_upload_size: DEFAULT_MAX_UPLOAD_SIZE,
            deletion_delay: DEFAULT_DELETION_DELAY,
            debounce: Duration::from_millis(200),
            failures_per_minute: 10,
            mail: None,
            hold_queue: false,
            registration: RegistrationPolicy::default(),
            min_form_time: Duration::from_secs(5),
            cleanup: None,
            inactivity: InactivityRule::default(),
        }
    }
}

/// Parses a duration such as `90`, `90s`, `15m`, `1h`, `30d`, `2w` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 15m, 1h, 30d"))?;
    let seconds_per_unit = match unit.trim() {
        "" | "s" | "sec" | "secs" | "seconds" => 1,
        "m" | "min" | "mins" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use s, m, h, d or w)"
            ))
        }
    };
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Parses a size such as `1048576`, `512K`, `256MiB`, `1G` (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 256MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use K, M or G)"
            ))
        }
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// Seconds since the epoch (the repository's clock, so tests with `RIVERPAN_NOW` agree).
pub(crate) fn now_seconds() -> i64 {
    std::env::var("RIVERPAN_NOW")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

/// What the request handlers share on the write side.
pub(crate) struct WriteSide {
    pub(crate) options: WriteOptions,
    pub(crate) data_dir: PathBuf,
    /// Stores uploads and schedules deletions (never indexes: that is the worker's).
    repository: Mutex<Repository>,
    worker: Mutex<mpsc::Sender<Signal>>,
    pub(crate) limiter: FailureLimiter,
}

impl WriteSide {
    /// The repository for storing uploads; a poisoned lock is taken over (SQLite rolled back
    /// whatever the panicking handler left unfinished).
    pub(crate) fn repository(&self) -> MutexGuard<'_, Repository> {
        self.repository
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the worker that there is work (an upload, or a deletion scheduled or cancelled).
    pub(crate) fn notify(&self) {
        let sender = self
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // A stopped worker picks the queue up at the next start: the queue is durable.
        let _ = sender.send(Signal::Work);
    }

    /// A read-only connection for the handler's own lookups.
    pub(crate) fn open_store(&self) -> Result<riverpan_store::Store, riverpan_store::StoreError> {
        riverpan_store::Store::open(&self.data_dir)
    }
}

enum Signal {
    Work,
    Stop,
}

/// The running worker; [`WriteHandle::shutdown`] stops it (the queue stays in the database).
pub struct WriteHandle {
    sender: mpsc::Sender<Signal>,
    thread: Option<JoinHandle<()>>,
    passes: Arc<AtomicU64>,
}

impl WriteHandle {
    /// How many indexing passes indexed at least one upload (each pass publishes once).
    pub fn indexing_passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// Stops the worker after the pass it is running, and waits for it.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.sender.send(Signal::Stop);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the indexing worker panicked");
            }
        }
    }
}

impl Drop for WriteHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Opens the two repositories, starts the worker thread and returns the handlers' side.
pub(crate) fn start(
    data_dir: &Path,
    options: WriteOptions,
    jobs: Arc<JobRuns>,
    river: Arc<crate::river::RiverCache>,
) -> Result<(Arc<WriteSide>, WriteHandle), RepositoryError> {
    let mut repository = Repository::open(data_dir)?;
    // The handlers' repository mails id requests, decisions and account-state changes.
    // Permission operations run on this repository and mail the authors concerned.
    repository.set_mail(options.mail.clone());
    let mut worker_repository = Repository::open(data_dir)?;
    worker_repository.set_mail(options.mail.clone());
    let (sender, receiver) = mpsc::channel();
    let worker_options = options.clone();
    let passes = Arc::new(AtomicU64::new(0));
    let worker_passes = Arc::clone(&passes);
    let thread = std::thread::Builder::new()
        .name("riverpan-indexer".into())
        .spawn(move || {
            run_worker(
                worker_repository,
                receiver,
                &worker_options,
                &worker_passes,
                &jobs,
                &river,
            )
        })
        .map_err(|source| RepositoryError::Io {
            what: "starting the indexing worker".into(),
            source,
        })?;
    let side = Arc::new(WriteSide {
        limiter: FailureLimiter::new(options.failures_per_minute, Duration::from_secs(60)),
        options,
        data_dir: data_dir.to_path_buf(),
        repository: Mutex::new(repository),
        worker: Mutex::new(sender.clone()),
    });
    Ok((
        side,
        WriteHandle {
            sender,
            thread: Some(thread),
            passes,
        },
    ))
}

impl crate::ServerState {
    /// Turns on uploads and deletions for this server: opens the repository in the data
    /// directory, starts the indexing worker (which first indexes whatever is still queued), and
    /// returns its handle; [`WriteHandle::shutdown`] it after the server stopped. Calling it a
    /// second time fails.
    pub fn enable_writes(&self, options: WriteOptions) -> Result<WriteHandle, RepositoryError> {
        let (side, handle) = start(
            self.data_dir(),
            options,
            Arc::clone(&self.inner.jobs),
            Arc::clone(&self.inner.river),
        )?;
        self.inner.writes.set(side).map_err(|_| {
            RepositoryError::BadSetting("uploads are already enabled on this server".into())
        })?;
        Ok(handle)
    }

    /// The write side, when enabled.
    pub(crate) fn writes(&self) -> Option<&Arc<WriteSide>> {
        self.inner.writes.get()
    }
}

fn run_worker(
    mut repository: Repository,
    receiver: mpsc::Receiver<Signal>,
    options: &WriteOptions,
    passes: &AtomicU64,
    jobs: &JobRuns,
    river: &crate::river::RiverCache,
) {
    if options.hold_queue {
        tracing::warn!("indexing queue held (test switch): uploads stay queued");
        // Wait for the stop signal only.
        while let Ok(Signal::Work) = receiver.recv() {}
        return;
    }
    // Uploads queued before a restart; then the river (it also reads the prerequisites of
    // uploads indexed before riverpan kept them, once).
    run_pending(&mut repository, options, passes, jobs, river);
    repository.keep_river_current();
    jobs.finished(Job::RiverRefresh, now_seconds(), None);
    river.offer_from(&repository);
    loop {
        let wait = next_wait(&repository);
        match receiver.recv_timeout(wait) {
            Ok(Signal::Work) => {
                // Debounce: keep collecting signals until the uploads stop for a moment, but
                // never put indexing off for more than a few seconds.
                let started = Instant::now();
                loop {
                    match receiver.recv_timeout(options.debounce) {
                        Ok(Signal::Work) if started.elapsed() < options.debounce * 20 => continue,
                        Ok(Signal::Work) | Err(RecvTimeoutError::Timeout) => break,
                        Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                run_pending(&mut repository, options, passes, jobs, river);
            }
            Err(RecvTimeoutError::Timeout) => {
                run_pending(&mut repository, options, passes, jobs, river)
            }
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// How long to sleep: until the next deletion is due, at most [`POLL_INTERVAL`].
fn next_wait(repository: &Repository) -> Duration {
    match repository.store().next_deletion_due() {
        Ok(Some(due)) => {
            let left = due.saturating_sub(now_seconds()).max(0) as u64;
            // A little after the due second, so that the deletion is due when the worker wakes.
            (Duration::from_secs(left) + Duration::from_millis(50)).min(POLL_INTERVAL)
        }
        Ok(None) => POLL_INTERVAL,
        Err(error) => {
            tracing::error!(%error, "cannot read the deletion schedule");
            POLL_INTERVAL
        }
    }
}

/// Indexes the queue and executes due deletions; errors are logged (the work stays queued and
/// is retried on the next pass).
///
/// Each pass is recorded in `jobs`; indexing or deleting something also refreshed the river
/// (the repository keeps it current after every index change).
fn run_pending(
    repository: &mut Repository,
    options: &WriteOptions,
    passes: &AtomicU64,
    jobs: &JobRuns,
    river: &crate::river::RiverCache,
) {
    let started = Instant::now();
    let mut index_changed = false;
    match repository.index_queued() {
        Ok(done) if !done.is_empty() => {
            passes.fetch_add(1, Ordering::Relaxed);
            index_changed = true;
            jobs.finished(Job::IndexPass, now_seconds(), None);
            tracing::info!(
                uploads = done.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "indexed queued uploads and published"
            )
        }
        Ok(_) => jobs.finished(Job::IndexPass, now_seconds(), None),
        Err(error) => {
            jobs.finished(Job::IndexPass, now_seconds(), Some(error.to_string()));
            tracing::error!(%error, "indexing the queue failed")
        }
    }
    match repository.execute_due_deletions() {
        Ok(done) if !done.is_empty() => {
            index_changed = true;
            jobs.finished(Job::Deletions, now_seconds(), None);
            tracing::info!(deletions = done.len(), "executed scheduled deletions")
        }
        Ok(_) => jobs.finished(Job::Deletions, now_seconds(), None),
        Err(error) => {
            jobs.finished(Job::Deletions, now_seconds(), Some(error.to_string()));
            tracing::error!(%error, "executing scheduled deletions failed")
        }
    }
    if let Some(schedule) = &options.cleanup {
        run_cleanup_when_due(repository, schedule, jobs);
    }
    if index_changed {
        jobs.finished(Job::RiverRefresh, now_seconds(), None);
        // The readers get the river the worker just updated in place, instead of rebuilding
        // it from the store on their next request.
        river.offer_from(repository);
    }
}

/// The store setting that records when the periodic cleanup last ran.
const CLEANUP_LAST_RUN: &str = "cleanup.last_run";

/// Runs the cleanup of old releases when `schedule.interval` passed since the last run (kept
/// in the store, so a restart does not run it again); its deletions are executed by the
/// worker's next passes when due.
fn run_cleanup_when_due(repository: &Repository, schedule: &CleanupSchedule, jobs: &JobRuns) {
    let now = now_seconds();
    let last = repository
        .store()
        .setting(CLEANUP_LAST_RUN)
        .ok()
        .flatten()
        .and_then(|value| value.parse::<i64>().ok());
    let interval = i64::try_from(schedule.interval.as_secs()).unwrap_or(i64::MAX);
    if last.is_some_and(|last| now < last.saturating_add(interval)) {
        return;
    }
    let options = CleanupOptions {
        rule: schedule.rule,
        delay: schedule.delay,
        author: None,
        dry_run: false,
        notice_interval: Some(schedule.notice_interval),
    };
    let outcome = repository.cleanup(&options).and_then(|summary| {
        repository
            .store()
            .set_setting(CLEANUP_LAST_RUN, &now.to_string())?;
        Ok(summary)
    });
    match outcome {
        Ok(summary) => {
            jobs.finished(Job::Cleanup, now, None);
            let files: usize = summary.authors.iter().map(|a| a.paths.len()).sum();
            tracing::info!(
                authors = summary.authors.len(),
                files,
                "cleanup of old releases ran"
            );
        }
        Err(error) => {
            jobs.finished(Job::Cleanup, now, Some(error.to_string()));
            tracing::error!(%error, "the cleanup of old releases failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_duration("1y").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("1T").is_err());
    }
}
