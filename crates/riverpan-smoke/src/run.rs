//! One test run of one release with one perl: `riverpan install --test` into a fresh target of
//! its own (so nothing an earlier release installed is seen), only the release itself built
//! fresh and tested, its dependencies from the shared build cache; the log kept, the scratch
//! directory removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cpan_reporter::{Harness, Verdict};
use riverpan_install::{InstallEvent, InstallOptions, PrereqSelection, TestedDist};

use crate::downriver::PassResult;
use crate::SmokeError;

/// The automated-testing context of the Lancaster consensus, as CPAN::Reporter::Smoker sets it
/// for its whole run (`AUTOMATED_TESTING=1`, `PERL_MM_USE_DEFAULT=1`,
/// `PERL_EXTUTILS_AUTOINSTALL=--defaultdeps`), with `NONINTERACTIVE_TESTING=1`. A client run
/// by a person never sets these; the smoker sets them on every step.
pub const AUTOMATED_ENV: [(&str, &str); 4] = [
    ("AUTOMATED_TESTING", "1"),
    ("NONINTERACTIVE_TESTING", "1"),
    ("PERL_MM_USE_DEFAULT", "1"),
    ("PERL_EXTUTILS_AUTOINSTALL", "--defaultdeps"),
];

/// Where and how releases are tested.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The sources the releases and their dependencies come from (`--from`).
    pub sources: Vec<String>,
    /// The download cache.
    pub cache_dir: PathBuf,
    /// The build cache dependencies are taken from (`None`: everything built every time).
    pub build_cache: Option<PathBuf>,
    /// Below this, a fresh directory per run (removed afterwards).
    pub scratch: PathBuf,
    /// Where each run's log is kept.
    pub logs: PathBuf,
    /// Time limits of configure, build, test.
    pub timeouts: [Duration; 3],
    /// Workers of each install (dependencies build in parallel).
    pub jobs: usize,
    /// Check tarballs against CHECKSUMS.
    pub verify: bool,
    /// The variables every step gets (normally [`AUTOMATED_ENV`]).
    pub env: Vec<(String, String)>,
}

/// A release to put in place of the indexed one (the downriver run's candidate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateRelease {
    /// A tarball on disk, not released.
    File(PathBuf),
    /// A release on the source (`AUTHOR/Dist-2.0-TRIAL.tar.gz`), indexed or not.
    Path(String),
}

/// What one run gave.
#[derive(Debug, Clone)]
pub struct TestRun {
    /// The distribution's configure/build/test runs, when any ran.
    pub tested: Option<TestedDist>,
    /// Why it was not (fully) tested: a missing or failing prerequisite, a release that cannot
    /// be resolved, ...
    pub problem: Option<String>,
    /// The log kept (every step's command, exit code and output).
    pub log: Option<PathBuf>,
    /// How long the run took.
    pub elapsed: Duration,
}

static RUNS: AtomicU64 = AtomicU64::new(0);

/// Tests the release at `path` (below `authors/id/`) of the distribution `dist` with `perl`,
/// with `candidate` in place of the indexed release of what it depends on; the log is written
/// to `settings.logs/<log_name>.log`.
pub fn test_release(
    settings: &Settings,
    perl: &Path,
    path: &str,
    dist: &str,
    candidate: Option<&CandidateRelease>,
    log_name: &str,
    events: &(dyn Fn(InstallEvent) + Sync),
) -> Result<TestRun, SmokeError> {
    let started = Instant::now();
    let dir = settings.scratch.join(format!(
        "run-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| SmokeError::Io {
        what: format!("creating {}", dir.display()),
        source,
    })?;
    let mut dist_targets = vec![path.to_string()];
    let mut local_targets = Vec::new();
    match candidate {
        Some(CandidateRelease::File(file)) => local_targets.push(file.clone()),
        Some(CandidateRelease::Path(release)) => dist_targets.push(release.clone()),
        None => {}
    }
    let options = InstallOptions {
        sources: settings.sources.clone(),
        local_lib: dir.join("lib"),
        global: None,
        perl: perl.to_path_buf(),
        jobs: settings.jobs.max(1),
        test: true,
        verify: settings.verify,
        cache_dir: settings.cache_dir.clone(),
        work_dir: dir.join("work"),
        timeouts: settings.timeouts,
        pureperl: false,
        dry_run: false,
        selection: PrereqSelection::default(),
        lock: None,
        build_cache: settings.build_cache.clone(),
        force: true,
        dist_targets,
        local_targets,
        // The perl may have the distribution already (vendor, site): it is tested all the same.
        reinstall: true,
        exclude_vendor: false,
        // The smoker's own context says which variables are set; EXTENDED_TESTING comes
        // through `extra_env` when the tester asks for it.
        extended_testing: false,
        show_logs: false,
        extra_env: settings.env.clone(),
        test_only: vec![dist.to_string()],
    };
    let outcome = riverpan_install::install(&[], &options, events);
    let run = match outcome {
        Err(error) => TestRun {
            tested: None,
            problem: Some(error.to_string()),
            log: None,
            elapsed: started.elapsed(),
        },
        Ok(report) => {
            let is_it = |id: &str| riverpan_install::dist_name_of_id(id).as_deref() == Some(dist);
            let tested = report
                .tested
                .iter()
                .find(|t| is_it(&t.path) && !t.runs.is_empty())
                .cloned();
            let mut problems: Vec<String> = report
                .skipped
                .iter()
                .filter(|(id, _)| is_it(id))
                .map(|(_, why)| why.clone())
                .collect();
            problems.extend(
                report
                    .failed
                    .iter()
                    .filter(|f| !is_it(&f.dist))
                    .map(|f| format!("prerequisite {} failed at {}", f.dist, f.step)),
            );
            problems.extend(report.problems.iter().cloned());
            TestRun {
                tested,
                problem: (!problems.is_empty()).then(|| problems.join("; ")),
                log: None,
                elapsed: started.elapsed(),
            }
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let log = write_log(&settings.logs, log_name, path, perl, &run);
    Ok(TestRun { log, ..run })
}

fn write_log(logs: &Path, name: &str, path: &str, perl: &Path, run: &TestRun) -> Option<PathBuf> {
    let mut text = format!("riverpan smoke: {path} with {}\n", perl.display());
    if let Some(problem) = &run.problem {
        text.push_str(&format!("not tested: {problem}\n"));
    }
    for step in run.tested.iter().flat_map(|t| &t.runs) {
        text.push_str(&format!(
            "\n==> {} (exit {}{}, {:.1} s)\n{}",
            step.command,
            step.exit_code
                .map_or_else(|| "none".to_string(), |c| c.to_string()),
            if step.timed_out {
                ", stopped at the time limit"
            } else {
                ""
            },
            step.elapsed.as_secs_f64(),
            step.log
        ));
    }
    // `name` may hold directories (`downriver/<candidate>/<dependent>.current`); nothing in it
    // climbs out of `logs`.
    let safe: Vec<&str> = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != "." && *part != "..")
        .collect();
    let file = logs.join(format!("{}.log", safe.join("/")));
    std::fs::create_dir_all(file.parent()?).ok()?;
    std::fs::write(&file, text).ok()?;
    Some(file)
}

/// The Test::Harness flavour of `perl` (what CPAN::Reporter's test grading looks for).
pub fn perl_harness(perl: &Path) -> Harness {
    let version = Command::new(perl)
        .args(["-MTest::Harness", "-e", "print $Test::Harness::VERSION"])
        .stdin(Stdio::null())
        .env_remove("PERL5LIB")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_default();
    Harness::for_test_harness_version(&version)
}

/// A run's result as CPAN::Reporter grades it, without sending anything: a grade, or why
/// nothing would be reported (the run's problem when it was not tested).
pub fn grade_of(run: &TestRun, harness: Harness) -> PassResult {
    let Some(tested) = &run.tested else {
        return PassResult::NotTested(
            run.problem
                .clone()
                .unwrap_or_else(|| "nothing ran".to_string()),
        );
    };
    match riverpan_install::report::verdict_of(tested, harness) {
        Verdict::Report { grade, .. } => PassResult::Graded(grade),
        Verdict::Discard { reason, .. } => {
            PassResult::NotTested(discard_reason(&reason, run.problem.as_deref()))
        }
        Verdict::Continue { .. } => PassResult::NotTested(
            run.problem
                .clone()
                .unwrap_or_else(|| "not tested".to_string()),
        ),
    }
}

/// CPAN::Reporter's discard reason, or — when it only says the tests never ran — the reason
/// they did not (a missing prerequisite).
pub fn discard_reason(reason: &str, problem: Option<&str>) -> String {
    match problem {
        Some(problem) if reason == "not tested" || reason == "nothing ran" => problem.to_string(),
        _ => reason.lines().next().unwrap_or(reason).to_string(),
    }
}
