//! `riverpan install`: the CPAN client of the toolchain documents — resolve, fetch, expand,
//! configure, build, test, install — in cpm v1's phase-gated model (`cpan-plan` decides what
//! may run; this crate runs it).
//!
//! * **Resolve** through the sources' `02packages` (`cpan-index`); a module the local lib or
//!   the perl itself (vendor, core) already has at a sufficient version is not installed again.
//! * **Fetch** on the worker pool, every tarball checked against its author's `CHECKSUMS`
//!   (SHA-256) unless verification is turned off, into a download cache addressed by SHA-256
//!   and shared by all projects.
//! * **Expand** with `cpan-archive`'s limits: a dependency is as untrusted as an upload.
//! * **Configure / build / test** each distribution in its own work directory, with its
//!   dependencies' `blib` on `PERL5LIB` and nothing installed until the end; the toolchain's
//!   environment; standard input closed; a time limit per step.
//! * **Install** at the end, in dependency order, with `ExtUtils::Install`, writing the
//!   `.packlist` and the `.meta/<distvname>/install.json` that cpanm, cpm and Carton read.
//!
//! A failing distribution stops only what depends on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cpan_plan::{DistId, DistTask, Phase, Relationship, Requirement, Scheduler, Step, Task};

mod build_cache;
mod installed;
mod lock;
mod perl;
pub mod report;
mod source;
mod static_install;
mod work;

pub use build_cache::BuildCache;
pub use installed::{
    check_entry, dist_name_of, execute_uninstall, find_blockers, is_module_name, list_installed,
    meta_root_candidates, module_file, packlist_path, parse_install_json, parse_packlist, perl_inc,
    plan_uninstall, prune_empty_dirs, read_meta_root, runtime_requires, satisfies, select_dists,
    Blocker, EntryCheck, InstallJson, InstalledDist, UninstallOutcome, UninstallPlan,
};
pub use lock::{
    cpanfile_requirements, meta_requirements, snapshot_of, write_snapshot, LockedSnapshot,
    PrereqSelection,
};
pub use perl::{exec_environment, InstallDirs, InstallRecord, LocalLib, Perl};
pub use source::{sha256_hex, DownloadCache, Fetched, Fetcher, Source};
pub use work::{expand, read_prereqs, run_step, BuildTool, StepEnvironment, StepOutput};

/// Everything that can stop an install (a failing distribution is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A source cannot be used.
    #[error("{source_name}: {why}")]
    Source {
        /// The source.
        source_name: String,
        /// What went wrong.
        why: String,
    },
    /// No source was given.
    #[error("no source to install from: give --from URL (or set RIVERPAN_INSTALL_FROM)")]
    NoSource,
    /// A tarball does not match its CHECKSUMS (or they cannot be read).
    #[error("{path}: verification failed: {why}")]
    Verification {
        /// The file below `authors/id/`.
        path: String,
        /// Why.
        why: String,
    },
    /// An archive was refused.
    #[error("{name}: refused: {why}")]
    Archive {
        /// The file.
        name: String,
        /// Why.
        why: String,
    },
    /// The target perl cannot be used.
    #[error("perl: {0}")]
    Perl(String),
    /// The final install of a distribution failed.
    #[error("installing {dist} failed: {why}")]
    Install {
        /// The distribution.
        dist: String,
        /// The installer's output.
        why: String,
    },
    /// A target or requirement cannot be read.
    #[error("{0}")]
    Target(String),
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What riverpan was doing.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl InstallError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> InstallError {
        let what = what.into();
        move |source| InstallError::Io { what, source }
    }
}

/// How to install.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Where distributions come from, tried in order.
    pub sources: Vec<String>,
    /// The local lib (`-L`).
    pub local_lib: PathBuf,
    /// Instead of the local lib: a global install into these directories of the perl
    /// (`--global`, `--installdirs`), below a staging directory when given (`--destdir`).
    pub global: Option<(InstallDirs, Option<PathBuf>)>,
    /// The perl every step runs with.
    pub perl: PathBuf,
    /// Workers.
    pub jobs: usize,
    /// Run every distribution's tests.
    pub test: bool,
    /// Check every tarball against CHECKSUMS.
    pub verify: bool,
    /// The download cache (shared by all projects).
    pub cache_dir: PathBuf,
    /// Where distributions are expanded and built (a fresh directory per run is made below).
    pub work_dir: PathBuf,
    /// Time limit of configure / build / test steps.
    pub timeouts: [Duration; 3],
    /// Ask for pure-Perl builds (`PUREPERL_ONLY=1`, `--pureperl-only`).
    pub pureperl: bool,
    /// Print the plan and do nothing.
    pub dry_run: bool,
    /// Which optional prerequisites of the top level are followed.
    pub selection: PrereqSelection,
    /// Install the releases a `cpanfile.snapshot` locks.
    pub lock: Option<LockedSnapshot>,
    /// Where successful builds are kept and reused (`None`: no build cache).
    pub build_cache: Option<PathBuf>,
    /// Install even when a release's `x_breaks` says it breaks an installed module.
    pub force: bool,
    /// Targets named by their distribution file (`AUTHOR/Dist-1.0.tar.gz` or
    /// `A/AU/AUTHOR/Dist-1.0.tar.gz`): that release, whatever the index's latest is.
    pub dist_targets: Vec<String>,
    /// Targets on disk: a distribution tarball or a directory holding `Makefile.PL`/`Build.PL`
    /// (as `cpanm ./Foo-1.0.tar.gz` or `cpanm .`).
    pub local_targets: Vec<PathBuf>,
    /// Install the targets even when a sufficient version is already there (as `cpanm
    /// --reinstall`); their dependencies are still taken as they are.
    pub reinstall: bool,
    /// Modules in the perl's vendor directories do not count as installed (cpm's
    /// `--exclude-vendor`; what the benchmark uses so that every client builds the same set).
    pub exclude_vendor: bool,
    /// Set `EXTENDED_TESTING=1` for every step (the Lancaster consensus' extended context).
    pub extended_testing: bool,
    /// Hand each finished step's output to `events` (an event with step `log`), for `-v`.
    pub show_logs: bool,
    /// Extra variables for every configure, build and test step (the smoker's automated-testing
    /// context: `AUTOMATED_TESTING=1`, ...), set after the toolchain's own.
    pub extra_env: Vec<(String, String)>,
    /// With `test`: only these distributions (by name, `Foo-Bar`) are built fresh and tested;
    /// every other one is taken from the build cache when it is there and is never tested (what
    /// a smoker and a downriver run want: the release under test, on dependencies built once).
    /// Empty: every distribution is built fresh and tested.
    pub test_only: Vec<String>,
}

/// One line of progress, for the display and `--json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallEvent {
    /// `resolve`, `fetch`, `configure`, `build`, `test`, `install`, `up-to-date`.
    pub step: String,
    /// The module or distribution.
    pub subject: String,
    /// `start`, `done`, `failed`.
    pub state: &'static str,
    /// A detail (version, from cache, the failure's last lines).
    pub detail: String,
}

/// A distribution that failed, for the summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedDist {
    /// The distribution.
    pub dist: String,
    /// The step.
    pub step: String,
    /// Why, with the last lines of its log.
    pub reason: String,
    /// The full log, when there is one.
    pub log: Option<PathBuf>,
}

/// What an install did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InstallReport {
    /// Installed, in order.
    pub installed: Vec<String>,
    /// Already there at a sufficient version: module and version.
    pub up_to_date: Vec<(String, String)>,
    /// Failed.
    pub failed: Vec<FailedDist>,
    /// Not built because something they need failed: distribution and why.
    pub skipped: Vec<(String, String)>,
    /// Targets that cannot be met, and modules no source provides.
    pub problems: Vec<String>,
    /// Dependency cycles found.
    pub cycles: Vec<String>,
    /// In a dry run: the distributions the plan would fetch, in install order.
    pub planned: Vec<String>,
    /// Installed modules a release of the plan declares it breaks (`x_breaks`, `conflicts`);
    /// without `force` nothing is installed when there are any.
    pub breaks: Vec<String>,
    /// With tests: every distribution configured here and what ran (what `--report` grades
    /// and sends).
    #[serde(skip)]
    pub tested: Vec<TestedDist>,
}

impl InstallReport {
    /// Every requested target was installed or already there.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.problems.is_empty()
            && self.breaks.is_empty()
    }
}

/// The distribution name of a distribution id (a path below `authors/id/`, or a local
/// target's absolute path): what [`InstallOptions::test_only`] names.
pub fn dist_name_of_id(id: &str) -> Option<String> {
    let file = id.rsplit('/').next().unwrap_or(id);
    cpan_distname::DistnameInfo::new(&format!("authors/id/L/LO/LOCAL/{file}"))
        .dist()
        .map(str::to_string)
}

/// A target: `Module`, `Module@1.23` (exactly), `Module~">= 1, < 2"` (a range).
pub fn parse_target(text: &str) -> Result<Requirement, InstallError> {
    let (module, range) = if let Some((module, version)) = text.split_once('@') {
        (module, format!("== {version}"))
    } else if let Some((module, range)) = text.split_once('~') {
        (module, range.to_string())
    } else {
        (text, "0".to_string())
    };
    let valid = !module.is_empty()
        && module
            .split("::")
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !valid {
        return Err(InstallError::Target(format!(
            "{text}: not a module name (Foo::Bar, Foo::Bar@1.2, Foo::Bar~\">= 1.2, < 2\")"
        )));
    }
    Requirement::parse(module, &range, Phase::Runtime, Relationship::Requires)
        .map_err(|error| InstallError::Target(format!("{text}: {error}")))
}

/// The requirements a META/MYMETA declares, as the planner takes them.
fn requirements_of(meta: &cpan_meta::CpanMeta) -> Vec<Requirement> {
    let mut out = Vec::new();
    for (phase, relationship, requirements) in meta.prereqs.iter() {
        let (Some(phase), Some(relationship)) = (
            Phase::parse(phase.as_str()),
            Relationship::parse(relationship.as_str()),
        ) else {
            continue;
        };
        for (module, range) in requirements.as_string_hash() {
            match Requirement::parse(&module, &range, phase, relationship) {
                Ok(requirement) => out.push(requirement),
                Err(error) => tracing::warn!("ignoring {module} {range}: {error}"),
            }
        }
    }
    out
}

/// A distribution's work: where it is, how it builds.
#[derive(Debug, Clone, Default)]
struct DistWork {
    root: Option<PathBuf>,
    tool: Option<BuildTool>,
    target_module: String,
    sha256: Option<String>,
    /// Taken from the build cache: nothing to configure or build.
    prebuilt: bool,
    /// What its META says it breaks (`x_breaks`): module → range.
    breaks: BTreeMap<String, String>,
    /// The configure, build and test runs, in order.
    runs: Vec<StepRun>,
    /// The distributions whose build output its build used: what must be installed before it.
    build_dependencies: Vec<DistId>,
}

/// What a worker sends back.
struct Done {
    task: DistTask,
    outcome: Result<StepResult, String>,
    log: Option<StepRun>,
}

/// One configure, build or test run of a distribution, as it ran: what CPAN::Reporter grades
/// and a report carries.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// Which step.
    pub step: Step,
    /// The command line, as CPAN::Reporter records it (`perl Makefile.PL`, `make test`).
    pub command: String,
    /// Its output (stdout and stderr interleaved).
    pub log: String,
    /// Its exit code (`None`: killed, or stopped at the time limit).
    pub exit_code: Option<i32>,
    /// Stopped at the step's time limit.
    pub timed_out: bool,
    /// How long it ran.
    pub elapsed: Duration,
}

/// A distribution that was configured, built and (with `--test`) tested here: its runs, in
/// order, and its build directory (what grading looks at).
#[derive(Debug, Clone)]
pub struct TestedDist {
    /// Its path below `authors/id/` (or the local target's path).
    pub path: String,
    /// What grading needs to know of its build directory.
    pub build_dir: cpan_reporter::BuildDir,
    /// The steps that ran.
    pub runs: Vec<StepRun>,
}

enum StepResult {
    Fetched {
        root: PathBuf,
        tool: BuildTool,
        requirements: Vec<Requirement>,
        from_cache: bool,
        sha256: String,
        prebuilt: bool,
        /// META's `x_breaks`: module → range.
        breaks: BTreeMap<String, String>,
    },
    Configured(Vec<Requirement>),
    Built,
    Tested,
}

/// Installs `targets` as `options` say, reporting progress to `events`.
pub fn install(
    targets: &[Requirement],
    options: &InstallOptions,
    events: &(dyn Fn(InstallEvent) + Sync),
) -> Result<InstallReport, InstallError> {
    if options.sources.is_empty() {
        return Err(InstallError::NoSource);
    }
    let sources = options
        .sources
        .iter()
        .map(|spec| Source::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let perl = Perl::probe(&options.perl)?;
    let local = match &options.global {
        Some((dirs, destdir)) => perl.global_target(*dirs, destdir.as_deref())?,
        None => LocalLib::new(&options.local_lib, &perl),
    };
    let mut fetcher = Fetcher::new(
        sources,
        DownloadCache::new(&options.cache_dir),
        options.verify,
    );
    let mut pins: BTreeMap<String, (String, Vec<(String, String)>)> = BTreeMap::new();
    let mut targets = targets.to_vec();
    // Local targets: served by the fetcher from disk; the modules each provides are pinned to it.
    let mut local_names: BTreeMap<String, LocalRelease> = BTreeMap::new();
    for path in &options.local_targets {
        let local = local_release(path, &options.work_dir)?;
        fetcher.add_local(&local.id, local.path.clone());
        for (module, _) in &local.provides {
            pins.insert(module.clone(), (local.id.clone(), local.provides.clone()));
        }
        targets.push(
            Requirement::parse(&local.main, "0", Phase::Runtime, Relationship::Requires)
                .map_err(|error| InstallError::Target(format!("{}: {error}", path.display())))?,
        );
        local_names.insert(local.id.clone(), local);
    }
    let fetcher = Arc::new(fetcher);
    let index = fetcher.package_index()?;
    // Distribution-file targets: the modules each provides are pinned to it.
    for spec in &options.dist_targets {
        let (path, provides, main) = pinned_release(spec, &index, &fetcher, &options.work_dir)?;
        for (module, _) in &provides {
            pins.insert(module.clone(), (path.clone(), provides.clone()));
        }
        targets.push(
            Requirement::parse(&main, "0", Phase::Runtime, Relationship::Requires)
                .map_err(|error| InstallError::Target(format!("{spec}: {error}")))?,
        );
    }
    let targets = &targets[..];
    let target_modules: BTreeSet<String> = targets.iter().map(|t| t.module().to_string()).collect();
    std::fs::create_dir_all(&options.work_dir).map_err(InstallError::io(format!(
        "creating {}",
        options.work_dir.display()
    )))?;
    let run_dir = options.work_dir.join(format!(
        "{}.{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        std::process::id()
    ));
    let search_inc = if options.exclude_vendor {
        local.search_inc_without_vendor(&perl)
    } else {
        local.search_inc(&perl)
    };
    let mut oracle = perl::InstalledOracle::start(&perl, &search_inc)?;
    let build_cache = options.build_cache.as_deref().map(BuildCache::new);
    // Tests run on a fresh build (as cpm: its prebuilt distributions are off with --test); the
    // builds made are still kept.
    let reuse_builds = build_cache.is_some() && !options.test;
    // `test_only`: the named distributions are tested on a fresh build; the others are
    // dependencies, reused from the build cache and not tested.
    let tested_here = |dist: &DistId| {
        options.test_only.is_empty()
            || dist_name_of_id(dist.as_str()).is_some_and(|name| options.test_only.contains(&name))
    };
    if let Some(lock) = &options.lock {
        lock.check_targets(targets)?;
    }
    let mut plan_options = cpan_plan::Options::default().with_test(options.test);
    if options.selection.develop {
        plan_options = plan_options.with_develop();
    }
    if options.selection.recommends {
        plan_options = plan_options.with_recommends();
    }
    if options.selection.suggests {
        plan_options = plan_options.with_suggests();
    }
    let mut scheduler = Scheduler::new(plan_options, targets.iter().cloned());
    // Every `requires 'perl'` is checked against the target perl (never installed).
    let _ = scheduler.already_installed("perl", &perl.version);
    let mut work: BTreeMap<DistId, DistWork> = BTreeMap::new();
    let mut logs: BTreeMap<DistId, PathBuf> = BTreeMap::new();
    let mut installed_cache: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut report = InstallReport::default();

    let (job_sender, job_receiver) = mpsc::channel::<(DistTask, Job)>();
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let (done_sender, done_receiver) = mpsc::channel::<Done>();
    let jobs = options.jobs.max(1);
    std::thread::scope(|scope| -> Result<(), InstallError> {
        for _ in 0..jobs {
            let receiver = Arc::clone(&job_receiver);
            let sender = done_sender.clone();
            let fetcher = Arc::clone(&fetcher);
            let run_dir = run_dir.clone();
            scope.spawn(move || loop {
                let next = receiver.lock().ok().and_then(|r| r.recv().ok());
                let Some((task, job)) = next else {
                    break;
                };
                let (outcome, log) = run_job(&fetcher, &run_dir, &task, job, events);
                if sender.send(Done { task, outcome, log }).is_err() {
                    break;
                }
            });
        }
        drop(done_sender);
        let mut in_flight = 0usize;
        loop {
            let tasks = scheduler.next_tasks(jobs.saturating_sub(in_flight).max(1) * 4);
            // Resolutions are cheap and answered here, all of a round with one question to perl.
            let modules: Vec<String> = tasks
                .iter()
                .filter_map(|task| match task {
                    Task::Resolve { module, .. } if !installed_cache.contains_key(module) => {
                        Some(module.clone())
                    }
                    _ => None,
                })
                .filter(|module| module != "perl")
                .collect();
            if !modules.is_empty() {
                installed_cache.extend(oracle.versions(&modules)?);
            }
            let mut progressed = false;
            for task in tasks {
                match task {
                    Task::Resolve { module, range } => {
                        progressed = true;
                        if module == "perl" {
                            // perl is never installed by a client: it is what it is, and a
                            // release that wants a newer one is blocked as "perl too old".
                            if !range.accepts_str(&perl.version).unwrap_or(true) {
                                events(InstallEvent {
                                    step: "resolve".into(),
                                    subject: module.clone(),
                                    state: "failed",
                                    detail: format!(
                                        "{} wanted, this is perl {}",
                                        range.as_string(),
                                        perl.version
                                    ),
                                });
                            }
                            let _ = scheduler.already_installed(&module, &perl.version);
                            continue;
                        }
                        let installed = installed_cache.get(&module).cloned().flatten();
                        let reinstalled = options.reinstall && target_modules.contains(&module);
                        let sufficient = !reinstalled
                            && installed.as_deref().is_some_and(|version| {
                                range
                                    .accepts_str(version)
                                    .unwrap_or(version == "undef" && range.as_string() == "0")
                            });
                        if let (true, Some(version)) = (sufficient, installed) {
                            events(InstallEvent {
                                step: "up-to-date".into(),
                                subject: module.clone(),
                                state: "done",
                                detail: version.clone(),
                            });
                            let version = if version == "undef" {
                                "0".to_string()
                            } else {
                                version
                            };
                            let _ = scheduler.already_installed(&module, &version);
                            continue;
                        }
                        let pinned = pins.get(&module).cloned();
                        let locked = pinned.or_else(|| {
                            options.lock.as_ref().and_then(|lock| {
                                lock.find(&module).map(|dist| {
                                    let provides: Vec<(String, String)> = dist
                                        .provides
                                        .iter()
                                        .map(|(p, v)| {
                                            (p.clone(), v.clone().unwrap_or_else(|| "0".into()))
                                        })
                                        .collect();
                                    (dist.pathname.clone(), provides)
                                })
                            })
                        });
                        let frozen = options.lock.as_ref().is_some_and(|lock| lock.frozen);
                        if locked.is_none() && frozen {
                            events(InstallEvent {
                                step: "resolve".into(),
                                subject: module.clone(),
                                state: "failed",
                                detail: "not in cpanfile.snapshot (--frozen)".into(),
                            });
                            scheduler
                                .resolve_failed(&module, "not in cpanfile.snapshot (--frozen)");
                            continue;
                        }
                        let found = match locked {
                            Some(found) => Some(found),
                            None => match choose_release(&module, &range, &index, &fetcher) {
                                Ok(found) => found,
                                Err(why) => {
                                    events(InstallEvent {
                                        step: "resolve".into(),
                                        subject: module.clone(),
                                        state: "failed",
                                        detail: why.clone(),
                                    });
                                    scheduler.resolve_failed(&module, why);
                                    continue;
                                }
                            },
                        };
                        match found {
                            Some((path, provides)) => {
                                let dist = DistId::new(path.clone());
                                work.entry(dist.clone()).or_insert_with(|| DistWork {
                                    target_module: module.clone(),
                                    ..DistWork::default()
                                });
                                events(InstallEvent {
                                    step: "resolve".into(),
                                    subject: module.clone(),
                                    state: "done",
                                    detail: path,
                                });
                                if let Err(error) = scheduler.resolved(&module, dist, provides) {
                                    scheduler.resolve_failed(&module, error.to_string());
                                }
                            }
                            None => {
                                events(InstallEvent {
                                    step: "resolve".into(),
                                    subject: module.clone(),
                                    state: "failed",
                                    detail: "no source provides it".into(),
                                });
                                scheduler.resolve_failed(&module, "no source provides it");
                            }
                        }
                    }
                    Task::Run(task) => {
                        if task.step == Step::Build {
                            if let Some(dist) = work.get_mut(&task.dist) {
                                dist.build_dependencies = task.dependencies.clone();
                            }
                        }
                        let prebuilt = work.get(&task.dist).is_some_and(|w| w.prebuilt);
                        let untested = task.step == Step::Test && !tested_here(&task.dist);
                        if (options.dry_run || prebuilt || untested) && task.step != Step::Fetch {
                            // A dry run fetches (to read each META) but runs nothing: the plan
                            // follows the META's requirements instead of MYMETA's.
                            progressed = true;
                            let applied = match task.step {
                                Step::Configure => {
                                    let requirements = work
                                        .get(&task.dist)
                                        .and_then(|w| w.root.as_ref())
                                        .and_then(|root| read_prereqs(root, prebuilt))
                                        .map(|meta| requirements_of(&meta))
                                        .unwrap_or_default();
                                    scheduler.configured(&task.dist, requirements)
                                }
                                Step::Build => scheduler.built(&task.dist),
                                _ => scheduler.tested(&task.dist),
                            };
                            if prebuilt {
                                step_done(events, &task);
                            }
                            if let Err(error) = applied {
                                tracing::warn!("{}: {error}", task.dist);
                            }
                            continue;
                        }
                        let job = match task.step {
                            Step::Fetch => Job::Fetch {
                                locked_sha256: options
                                    .lock
                                    .as_ref()
                                    .and_then(|lock| lock.sha256_of(task.dist.as_str())),
                                prebuilt: build_cache
                                    .as_ref()
                                    .filter(|_| {
                                        reuse_builds
                                            || (build_cache.is_some()
                                                && !options.test_only.is_empty()
                                                && !tested_here(&task.dist))
                                    })
                                    .map(|cache| (cache.clone(), perl.clone(), options.pureperl)),
                            },
                            step => {
                                let Some(dist) = work.get(&task.dist) else {
                                    let _ = scheduler.failed(&task.dist, step, "no work directory");
                                    continue;
                                };
                                let (Some(root), Some(tool)) = (dist.root.clone(), dist.tool)
                                else {
                                    let _ = scheduler.failed(&task.dist, step, "not fetched");
                                    continue;
                                };
                                let environment = step_environment(
                                    options,
                                    &perl,
                                    &task.dependencies,
                                    &work,
                                    step,
                                );
                                let store_key = match (task.step, &build_cache, &dist.sha256) {
                                    (Step::Build, Some(_), Some(sha256)) => {
                                        Some(BuildCache::key(sha256, &perl, options.pureperl))
                                    }
                                    _ => None,
                                };
                                Job::Step {
                                    root,
                                    tool,
                                    environment,
                                    store: store_key.zip(build_cache.clone()),
                                }
                            }
                        };
                        progressed = true;
                        in_flight += 1;
                        if job_sender.send((task, job)).is_err() {
                            return Err(InstallError::Target("the workers stopped".into()));
                        }
                    }
                }
            }
            if in_flight == 0 {
                if scheduler.is_finished() || !progressed {
                    break;
                }
                continue;
            }
            let Ok(done) = done_receiver.recv() else {
                break;
            };
            in_flight -= 1;
            let Done { task, outcome, log } = done;
            if let Some(run) = log {
                let text = run.log.clone();
                if options.show_logs {
                    events(InstallEvent {
                        step: "log".into(),
                        subject: task.dist.as_str().to_string(),
                        state: "done",
                        detail: format!("{}\n{}", run.command, run.log),
                    });
                }
                if let Some(dist) = work.get_mut(&task.dist) {
                    dist.runs.push(run);
                }
                let path = run_dir.join("logs").join(format!(
                    "{}.{}.log",
                    task.dist.as_str().replace('/', "_"),
                    task.step.as_str()
                ));
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if std::fs::write(&path, text).is_ok() {
                    logs.insert(task.dist.clone(), path);
                }
            }
            let applied = match outcome {
                Ok(StepResult::Fetched {
                    root,
                    tool,
                    requirements,
                    from_cache,
                    sha256,
                    prebuilt,
                    breaks,
                }) => {
                    if !breaks.is_empty() {
                        if let Err(error) = scheduler.set_breaks(&task.dist, breaks.clone()) {
                            tracing::warn!("{}: x_breaks: {error}", task.dist);
                        }
                    }
                    if let Some(dist) = work.get_mut(&task.dist) {
                        dist.root = Some(root);
                        dist.tool = Some(tool);
                        // A local directory has no tarball, so no digest (and no build cache).
                        dist.sha256 = Some(sha256).filter(|sha256| !sha256.is_empty());
                        dist.prebuilt = prebuilt;
                        dist.breaks = breaks;
                    }
                    events(InstallEvent {
                        step: "fetch".into(),
                        subject: task.dist.as_str().to_string(),
                        state: "done",
                        detail: match (prebuilt, from_cache) {
                            (true, _) => "built before: from the build cache".into(),
                            (false, true) => "from the cache".into(),
                            _ => String::new(),
                        },
                    });
                    scheduler.fetched(&task.dist, requirements)
                }
                Ok(StepResult::Configured(requirements)) => {
                    step_done(events, &task);
                    scheduler.configured(&task.dist, requirements)
                }
                Ok(StepResult::Built) => {
                    step_done(events, &task);
                    scheduler.built(&task.dist)
                }
                Ok(StepResult::Tested) => {
                    step_done(events, &task);
                    scheduler.tested(&task.dist)
                }
                Err(reason) => {
                    events(InstallEvent {
                        step: task.step.as_str().to_string(),
                        subject: task.dist.as_str().to_string(),
                        state: "failed",
                        detail: reason.clone(),
                    });
                    scheduler.failed(&task.dist, task.step, reason)
                }
            };
            if let Err(error) = applied {
                tracing::warn!("{}: {error}", task.dist);
            }
        }
        drop(job_sender);
        Ok(())
    })?;

    // The Lancaster consensus on x_breaks: a release is not installed over a module it breaks
    // unless the plan upgrades that module too.
    let broken: BTreeSet<String> = work
        .values()
        .flat_map(|w| w.breaks.keys().cloned())
        .collect();
    if !broken.is_empty() {
        let unknown: Vec<String> = broken
            .iter()
            .filter(|m| !installed_cache.contains_key(*m))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            installed_cache.extend(oracle.versions(&unknown)?);
        }
        let mut latest = BTreeMap::new();
        for module in &broken {
            if let Some(Some(version)) = installed_cache.get(module) {
                let version = if version == "undef" { "0" } else { version };
                let _ = scheduler.already_installed(module, version);
            }
            if let Some(version) = index
                .get(module)
                .and_then(|line| cpan_plan::Version::parse(&line.version).ok())
            {
                latest.insert(module.clone(), version);
            }
        }
        report.breaks = scheduler
            .check_breaks(&latest)
            .iter()
            .map(ToString::to_string)
            .collect();
        for line in &report.breaks {
            events(InstallEvent {
                step: "breaks".into(),
                subject: line.clone(),
                state: if options.force { "done" } else { "failed" },
                detail: if options.force {
                    "installing anyway (--force)".into()
                } else {
                    "nothing is installed (--force installs anyway)".into()
                },
            });
        }
        if options.force {
            report.breaks.clear();
        }
    }
    let order = scheduler.install_order();
    if options.dry_run || !report.breaks.is_empty() {
        report.planned = order.iter().map(|d| d.as_str().to_string()).collect();
    } else {
        // One perl process installs everything, in dependency order.
        let mut batch = Vec::new();
        for dist in &order {
            let Some(DistWork {
                root: Some(root),
                target_module,
                sha256,
                ..
            }) = work.get(dist).cloned()
            else {
                continue;
            };
            let mut record = install_record(dist, &target_module, &index);
            if let Some(local) = local_names.get(dist.as_str()) {
                record.name = local.main.clone();
                record.version = local.version.clone();
                record.dist = format!("{}-{}", local.name, local.version);
                record.provides = local
                    .provides
                    .iter()
                    .map(|(package, version)| {
                        (package.clone(), serde_json::json!({ "version": version }))
                    })
                    .collect();
            }
            record.sha256 = sha256;
            events(InstallEvent {
                step: "install".into(),
                subject: dist.as_str().to_string(),
                state: "start",
                detail: String::new(),
            });
            batch.push((dist.clone(), root, record));
        }
        let items: Vec<(PathBuf, InstallRecord)> = batch
            .iter()
            .map(|(_, root, record)| (root.clone(), record.clone()))
            .collect();
        // A distribution whose dependency could not be installed is not installed either.
        let position: BTreeMap<&DistId, usize> = batch
            .iter()
            .enumerate()
            .map(|(n, (dist, _, _))| (dist, n))
            .collect();
        let depends_on: Vec<Vec<usize>> = batch
            .iter()
            .map(|(dist, _, _)| {
                work.get(dist)
                    .map(|w| {
                        w.build_dependencies
                            .iter()
                            .filter_map(|d| position.get(d).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let results = perl::install_all_built(&perl, &local, &items, &depends_on)?;
        for ((dist, _, record), result) in batch.iter().zip(results) {
            match result {
                Ok(()) => {
                    let _ = scheduler.installed(dist);
                    report.installed.push(record.dist.clone());
                    events(InstallEvent {
                        step: "install".into(),
                        subject: dist.as_str().to_string(),
                        state: "done",
                        detail: record.dist.clone(),
                    });
                }
                Err(error) => {
                    let _ = scheduler.failed(dist, Step::Install, error);
                }
            }
        }
    }
    let summary = scheduler.summary();
    if options.test {
        // Read before the work directory goes: what grading looks at in each build directory.
        report.tested = work
            .iter()
            .filter(|(_, dist)| !dist.runs.is_empty())
            .map(|(path, dist)| TestedDist {
                path: path.as_str().to_string(),
                build_dir: dist
                    .root
                    .as_deref()
                    .map(report::build_dir_facts)
                    .unwrap_or_default(),
                runs: dist.runs.clone(),
            })
            .collect();
        // A release that needs a newer perl stops where CPAN.pm stops it, with the message a
        // MakeMaker MIN_PERL_VERSION check prints: what CPAN::Reporter grades `na`.
        for skip in &summary.skipped {
            let cpan_plan::Blocker::PerlTooOld { required, have } = &skip.blocker else {
                continue;
            };
            let runs = work
                .get(&skip.dist)
                .map(|dist| dist.runs.clone())
                .unwrap_or_default();
            let (step, command) = if runs.is_empty() {
                (Step::Configure, "perl Makefile.PL")
            } else {
                (Step::Build, "make")
            };
            let mut runs = runs;
            runs.push(StepRun {
                step,
                command: command.to_string(),
                log: format!(
                    "Perl version {} or higher required. We run {have}.\n",
                    required.trim_start_matches(">=").trim()
                ),
                exit_code: Some(1),
                timed_out: false,
                elapsed: Duration::ZERO,
            });
            report.tested.retain(|t| t.path != skip.dist.as_str());
            report.tested.push(TestedDist {
                path: skip.dist.as_str().to_string(),
                build_dir: work
                    .get(&skip.dist)
                    .and_then(|dist| dist.root.as_deref())
                    .map(report::build_dir_facts)
                    .unwrap_or_default(),
                runs,
            });
        }
    }
    if summary.is_success() && !options.dry_run {
        // Everything built is installed (and kept in the build cache): the work directory of
        // a successful run has nothing left to show. A failed run keeps it, logs included.
        let _ = std::fs::remove_dir_all(&run_dir);
    }
    report.up_to_date = summary
        .up_to_date
        .iter()
        .map(|(module, version)| (module.clone(), version.to_string()))
        .collect();
    report.failed = summary
        .failed
        .iter()
        .map(|failure| FailedDist {
            dist: failure.dist.as_str().to_string(),
            step: failure.step.as_str().to_string(),
            reason: failure.cause.to_string(),
            log: logs.get(&failure.dist).cloned(),
        })
        .collect();
    report.skipped = summary
        .skipped
        .iter()
        .map(|skip| (skip.dist.as_str().to_string(), skip.to_string()))
        .collect();
    report.problems = summary
        .target_problems
        .iter()
        .map(ToString::to_string)
        .collect();
    for (module, why) in &summary.unresolved {
        // A target that cannot be resolved is already named above.
        if !report
            .problems
            .iter()
            .any(|p| p.starts_with(&format!("{module}:")))
        {
            report.problems.push(format!("{module}: {why}"));
        }
    }
    report.cycles = summary.cycles.iter().map(|c| format!("{c:?}")).collect();
    Ok(report)
}

/// A distribution file named as a target: its normalised path, the packages it provides
/// (from the index when it is the indexed release, else from its META's `provides`, else its
/// main module) and its main module.
#[allow(clippy::type_complexity)]
fn pinned_release(
    spec: &str,
    index: &cpan_index::PackageIndex,
    fetcher: &Fetcher,
    work_dir: &Path,
) -> Result<(String, Vec<(String, String)>, String), InstallError> {
    let trimmed = spec
        .trim_start_matches('/')
        .trim_start_matches("authors/id/");
    let parts: Vec<&str> = trimmed.split('/').collect();
    let path = match parts.as_slice() {
        [author, ..] if author.len() > 2 && parts.len() >= 2 => {
            let first: String = author.chars().take(1).collect();
            let two: String = author.chars().take(2).collect();
            format!("{first}/{two}/{trimmed}")
        }
        _ => trimmed.to_string(),
    };
    let info = cpan_distname::DistnameInfo::new(&format!("authors/id/{path}"));
    let Some(dist) = info.dist() else {
        return Err(InstallError::Target(format!(
            "{spec}: not a distribution file (AUTHOR/Dist-Name-1.23.tar.gz)"
        )));
    };
    let main = dist.replace('-', "::");
    let indexed: Vec<(String, String)> = index
        .provided_by(&path)
        .into_iter()
        .map(|p| (p.package.clone(), version_or_zero(&p.version)))
        .collect();
    if !indexed.is_empty() {
        let main = if indexed.iter().any(|(p, _)| *p == main) {
            main
        } else {
            indexed[0].0.clone()
        };
        return Ok((path, indexed, main));
    }
    // Not (or no longer) in the index: read what it says it provides.
    let fetched = fetcher.fetch(&path)?;
    let name = path.rsplit('/').next().unwrap_or(&path);
    let dest = work_dir.join(format!(".pin-{}-{}", std::process::id(), fetched.sha256));
    let root = expand(name, &fetched.bytes, &dest)?;
    let version = info.version().unwrap_or("0").to_string();
    let provides = provides_of(read_prereqs(&root, false).as_ref(), &main, &version);
    let _ = std::fs::remove_dir_all(&dest);
    Ok((path, provides, main))
}

fn step_done(events: &(dyn Fn(InstallEvent) + Sync), task: &DistTask) {
    events(InstallEvent {
        step: task.step.as_str().to_string(),
        subject: task.dist.as_str().to_string(),
        state: "done",
        detail: String::new(),
    });
}

/// A release chosen for a module: its path and what it provides (package, version).
type ChosenRelease = (String, Vec<(String, String)>);

/// The release that provides `module` in `range`: the indexed one when its version is in range,
/// else the newest release in range from cpanmetadb's history (older versions a target pins).
/// `Ok(None)`: no source knows the module; `Err`: it is known, but nothing is in range.
fn choose_release(
    module: &str,
    range: &cpan_version::VersionRange,
    index: &cpan_index::PackageIndex,
    fetcher: &Fetcher,
) -> Result<Option<ChosenRelease>, String> {
    let in_range = |version: &str| {
        range
            .accepts_str(&version_or_zero(version))
            .unwrap_or(false)
    };
    let indexed = index.get(module);
    if let Some(line) = indexed {
        if in_range(&line.version) || range.as_string() == "0" {
            let provides = index
                .provided_by(&line.path)
                .into_iter()
                .map(|p| (p.package.clone(), version_or_zero(&p.version)))
                .collect();
            return Ok(Some((line.path.clone(), provides)));
        }
    }
    let history = fetcher.history(module);
    if let Some((version, path)) = history.iter().rev().find(|(version, _)| in_range(version)) {
        return Ok(Some((
            path.clone(),
            vec![(module.to_string(), version_or_zero(version))],
        )));
    }
    match indexed {
        Some(line) => Err(format!(
            "{} wanted, but the index has {} ({}){}",
            range.as_string(),
            line.version,
            line.path,
            if history.is_empty() {
                " and no source offers its history (cpanmetadb)"
            } else {
                " and no release in its history is in range"
            }
        )),
        None if history.is_empty() => Ok(None),
        None => Err(format!(
            "{} wanted; no release in its history is in range",
            range.as_string()
        )),
    }
}

fn version_or_zero(version: &str) -> String {
    if version == "undef" {
        "0".to_string()
    } else {
        version.to_string()
    }
}

/// The `.meta` record of a distribution about to be installed.
fn install_record(dist: &DistId, target: &str, index: &cpan_index::PackageIndex) -> InstallRecord {
    let info = cpan_distname::DistnameInfo::new(&format!("authors/id/{}", dist.as_str()));
    let name = info.dist().unwrap_or(dist.as_str()).replace('-', "::");
    let provides = index
        .provided_by(dist.as_str())
        .into_iter()
        .map(|p| {
            // As cpanm writes it: no version key for a package without one.
            let entry = if p.version == "undef" {
                serde_json::json!({})
            } else {
                serde_json::json!({ "version": p.version })
            };
            (p.package.clone(), entry)
        })
        .collect();
    InstallRecord {
        name,
        target: target.to_string(),
        version: info.version().unwrap_or("").to_string(),
        dist: info.distvname().unwrap_or(dist.as_str()).to_string(),
        pathname: dist.as_str().to_string(),
        provides,
        sha256: None,
    }
}

/// The environment of a step: the dependencies' build output first.
fn step_environment(
    options: &InstallOptions,
    perl: &Perl,
    dependencies: &[DistId],
    work: &BTreeMap<DistId, DistWork>,
    step: Step,
) -> StepEnvironment {
    let mut perl5lib = Vec::new();
    let mut path = Vec::new();
    for dependency in dependencies {
        if let Some(root) = work.get(dependency).and_then(|w| w.root.as_ref()) {
            perl5lib.push(root.join("blib/arch"));
            perl5lib.push(root.join("blib/lib"));
            path.push(root.join("blib/script"));
            path.push(root.join("blib/bin"));
        }
    }
    let mut extra = BTreeMap::new();
    if options.pureperl {
        extra.insert("PUREPERL_ONLY".to_string(), "1".to_string());
    }
    if options.extended_testing {
        extra.insert("EXTENDED_TESTING".to_string(), "1".to_string());
    }
    for (key, value) in &options.extra_env {
        extra.insert(key.clone(), value.clone());
    }
    let timeout = match step {
        Step::Configure => options.timeouts[0],
        Step::Test => options.timeouts[2],
        _ => options.timeouts[1],
    };
    StepEnvironment {
        perl: perl.executable.clone(),
        perl5lib,
        path,
        extra,
        timeout,
    }
}

/// What a worker is asked to do.
enum Job {
    Fetch {
        /// What the lock file's sidecar says the tarball's SHA-256 is.
        locked_sha256: Option<String>,
        /// Where to look for an earlier build of the same tarball with the same perl.
        prebuilt: Option<(BuildCache, Perl, bool)>,
    },
    Step {
        root: PathBuf,
        tool: BuildTool,
        environment: StepEnvironment,
        /// After a successful build: keep it under this key.
        store: Option<(String, BuildCache)>,
    },
}

/// Runs one task on a worker.
fn run_job(
    fetcher: &Fetcher,
    run_dir: &Path,
    task: &DistTask,
    job: Job,
    events: &(dyn Fn(InstallEvent) + Sync),
) -> (Result<StepResult, String>, Option<StepRun>) {
    events(InstallEvent {
        step: task.step.as_str().to_string(),
        subject: task.dist.as_str().to_string(),
        state: "start",
        detail: String::new(),
    });
    match job {
        Job::Fetch {
            locked_sha256,
            prebuilt,
        } => {
            let path = task.dist.as_str();
            if let Some(directory) = fetcher.local_directory(path) {
                let dest = run_dir.join("build").join(path.replace('/', "_"));
                return match copy_source_tree(directory, &dest) {
                    Ok(()) => (fetched_result(dest, String::new(), false), None),
                    Err(error) => (Err(error.to_string()), None),
                };
            }
            let fetched = match fetcher.fetch(path) {
                Ok(fetched) => fetched,
                Err(error) => return (Err(error.to_string()), None),
            };
            if let Some(expected) = locked_sha256 {
                if expected != fetched.sha256 {
                    return (
                        Err(format!(
                            "{path}: its SHA-256 is {}, cpanfile.snapshot.sha256 locks {expected}",
                            fetched.sha256
                        )),
                        None,
                    );
                }
            }
            if let Some((cache, perl, pureperl)) = prebuilt {
                let key = BuildCache::key(&fetched.sha256, &perl, pureperl);
                if let Some(root) = cache.lookup(&key) {
                    if let Some(tool) = BuildTool::of(&root) {
                        let breaks = read_prereqs(&root, false)
                            .map(|meta| meta.x_breaks)
                            .unwrap_or_default();
                        return (
                            Ok(StepResult::Fetched {
                                root,
                                tool,
                                // Built already: no configure requirements to wait for.
                                requirements: Vec::new(),
                                from_cache: fetched.from_cache,
                                sha256: fetched.sha256,
                                prebuilt: true,
                                breaks,
                            }),
                            None,
                        );
                    }
                }
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            let dest = run_dir.join("build").join(path.replace('/', "_"));
            let root = match expand(name, &fetched.bytes, &dest) {
                Ok(root) => root,
                Err(error) => return (Err(error.to_string()), None),
            };
            (
                fetched_result(root, fetched.sha256, fetched.from_cache),
                None,
            )
        }
        Job::Step {
            root,
            tool,
            environment,
            store,
        } => {
            let perl = environment.perl.clone();
            if tool == BuildTool::Static {
                let output = match task.step {
                    Step::Configure => static_install::configure(&root),
                    Step::Build => {
                        let name = read_prereqs(&root, true)
                            .and_then(|meta| meta.name)
                            .unwrap_or_default();
                        static_install::build(&root, &name, &perl)
                    }
                    _ => static_install::test_arguments(&root).and_then(|arguments| {
                        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
                        run_step(&root, &perl, &arguments, &environment)
                    }),
                };
                let command = match task.step {
                    Step::Configure => "riverpan static install: configure",
                    Step::Build => "riverpan static install: build",
                    _ => "perl -MTAP::Harness::Env (static install test)",
                };
                return match output {
                    Ok(output) => step_outcome(task.step, command, &root, output, store),
                    Err(error) => (Err(error.to_string()), None),
                };
            }
            let (program, args): (PathBuf, Vec<&str>) = match (task.step, tool) {
                (Step::Configure, BuildTool::ModuleBuild) => (perl, vec!["Build.PL"]),
                (Step::Configure, BuildTool::MakeMaker) => (perl, vec!["Makefile.PL"]),
                (Step::Build, BuildTool::ModuleBuild) => (perl, vec!["./Build"]),
                (Step::Build, BuildTool::MakeMaker) => (PathBuf::from("make"), vec![]),
                (Step::Test, BuildTool::ModuleBuild) => (perl, vec!["./Build", "test"]),
                (Step::Test, BuildTool::MakeMaker) => (PathBuf::from("make"), vec!["test"]),
                (step, _) => return (Err(format!("{step} is not a worker's step")), None),
            };
            let mut args = args;
            if task.step == Step::Configure && environment.extra.contains_key("PUREPERL_ONLY") {
                args.push(match tool {
                    BuildTool::ModuleBuild => "--pureperl-only",
                    _ => "PUREPERL_ONLY=1",
                });
            }
            if task.step == Step::Configure {
                // Man pages are off, as with cpanm -L and cpm.
                args.extend(match tool {
                    BuildTool::ModuleBuild => {
                        ["--config", "installman1dir=", "--config", "installman3dir="].as_slice()
                    }
                    _ => ["INSTALLMAN1DIR=none", "INSTALLMAN3DIR=none"].as_slice(),
                });
            }
            let command = format!(
                "{} {}",
                program.file_name().map_or_else(
                    || program.display().to_string(),
                    |name| name.to_string_lossy().into_owned()
                ),
                args.join(" ")
            );
            if task.step == Step::Build && tool == BuildTool::MakeMaker {
                // The blib directories MakeMaker would make with 24 processes, made here.
                work::prepare_makemaker_dirs(&root);
            }
            match run_step(&root, &program, &args, &environment) {
                Ok(output) => step_outcome(task.step, command.trim(), &root, output, store),
                Err(error) => (Err(error.to_string()), None),
            }
        }
    }
}

/// A finished step's result for the scheduler (its log kept): the requirements MYMETA states
/// after configure; a build kept in the build cache.
fn step_outcome(
    step: Step,
    command: &str,
    root: &Path,
    output: work::StepOutput,
    store: Option<(String, BuildCache)>,
) -> (Result<StepResult, String>, Option<StepRun>) {
    let run = StepRun {
        step,
        command: command.to_string(),
        log: output.log,
        exit_code: output.exit_code,
        timed_out: output.timed_out,
        elapsed: output.elapsed,
    };
    if !output.success {
        let tail: Vec<&str> = run.log.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return (Err(tail.join("\n")), Some(run));
    }
    let result = match step {
        Step::Configure => StepResult::Configured(
            read_prereqs(root, true)
                .map(|meta| requirements_of(&meta))
                .unwrap_or_default(),
        ),
        Step::Build => {
            if let Some((key, cache)) = store {
                cache.store(&key, root);
            }
            StepResult::Built
        }
        _ => StepResult::Tested,
    };
    (Ok(result), Some(run))
}

/// What a fetched (or copied) source tree tells the scheduler: how it is built, its configure
/// requirements from META, its `x_breaks`.
fn fetched_result(root: PathBuf, sha256: String, from_cache: bool) -> Result<StepResult, String> {
    let meta = read_prereqs(&root, false);
    let static_install = meta.as_ref().is_some_and(static_install::opts_in);
    let tool = match BuildTool::of(&root) {
        _ if static_install => BuildTool::Static,
        Some(tool) => tool,
        None => return Err("neither Build.PL nor Makefile.PL: riverpan cannot build it".into()),
    };
    let mut requirements = meta.as_ref().map(requirements_of).unwrap_or_default();
    if static_install {
        // Nothing runs at configure time, so nothing is needed for it (as cpm).
        requirements.retain(|r| r.phase() != Phase::Configure);
    }
    let breaks = meta.map(|meta| meta.x_breaks).unwrap_or_default();
    // A Build.PL-only distribution that declares no configure requirement still needs
    // Module::Build (cpan-packaging.md; cpanm and cpm inject it the same way).
    let configures_nothing = !requirements
        .iter()
        .any(|r| r.phase() == Phase::Configure && r.relationship() == Relationship::Requires);
    if tool == BuildTool::ModuleBuild && configures_nothing && !root.join("Makefile.PL").is_file() {
        if let Ok(module_build) = Requirement::requires("Module::Build", "0.38", Phase::Configure) {
            requirements.push(module_build);
        }
    }
    Ok(StepResult::Fetched {
        root,
        tool,
        requirements,
        from_cache,
        sha256,
        prebuilt: false,
        breaks,
    })
}

/// What a release outside the index provides: META's `provides` (a package without a version
/// at `0`), and its main module at the release's version when META does not list it.
fn provides_of(
    meta: Option<&cpan_meta::CpanMeta>,
    main: &str,
    version: &str,
) -> Vec<(String, String)> {
    let mut provides: Vec<(String, String)> = meta
        .map(|meta| {
            meta.provides
                .iter()
                .map(|(p, v)| (p.clone(), v.version.clone().unwrap_or_else(|| "0".into())))
                .collect()
        })
        .unwrap_or_default();
    if !provides.iter().any(|(p, _)| p == main) {
        provides.push((main.to_string(), version.to_string()));
    }
    provides
}

/// A local target, read before planning.
struct LocalRelease {
    /// Its distribution id: the absolute path.
    id: String,
    /// The file or directory.
    path: PathBuf,
    /// Its distribution name (from META, else the file or directory name).
    name: String,
    /// Its version.
    version: String,
    /// Its main module, the target the plan resolves.
    main: String,
    /// What it provides (META's `provides`, and its main module).
    provides: Vec<(String, String)>,
}

/// Read a local target: a tarball (expanded with `cpan-archive`'s limits into a scratch
/// directory, then removed) or a directory with `Makefile.PL`/`Build.PL`.
fn local_release(path: &Path, work_dir: &Path) -> Result<LocalRelease, InstallError> {
    let absolute = std::fs::canonicalize(path)
        .map_err(InstallError::io(format!("reading {}", path.display())))?;
    let file_name = absolute
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (root, scratch) = if absolute.is_dir() {
        (absolute.clone(), None)
    } else {
        let bytes = source::read_bounded(&absolute)?;
        std::fs::create_dir_all(work_dir)
            .map_err(InstallError::io(format!("creating {}", work_dir.display())))?;
        let scratch = work_dir.join(format!(
            ".local-{}-{}",
            std::process::id(),
            &sha256_hex(&bytes)[..16]
        ));
        (expand(&file_name, &bytes, &scratch)?, Some(scratch))
    };
    let buildable = BuildTool::of(&root).is_some();
    let meta = read_prereqs(&root, false);
    if let Some(scratch) = scratch {
        let _ = std::fs::remove_dir_all(scratch);
    }
    if !buildable {
        return Err(InstallError::Target(format!(
            "{}: neither Build.PL nor Makefile.PL: not a distribution riverpan can build",
            path.display()
        )));
    }
    let info = cpan_distname::DistnameInfo::new(&format!("authors/id/L/LO/LOCAL/{file_name}"));
    let name = meta
        .as_ref()
        .and_then(|meta| meta.name.clone())
        .or_else(|| info.dist().map(str::to_string))
        .unwrap_or_else(|| file_name.clone());
    let version = meta
        .as_ref()
        .and_then(|meta| meta.version.clone())
        .or_else(|| info.version().map(str::to_string))
        .unwrap_or_else(|| "0".to_string());
    let main = name.replace('-', "::");
    let provides = provides_of(meta.as_ref(), &main, &version);
    Ok(LocalRelease {
        id: absolute.to_string_lossy().into_owned(),
        path: absolute,
        name,
        version,
        main,
        provides,
    })
}

/// Copy a local distribution's directory into the work directory, so the build leaves the
/// user's tree as it was: regular files and directories only (no symbolic links), without
/// version-control directories and the outputs of an earlier build or install.
fn copy_source_tree(from: &Path, to: &Path) -> Result<(), InstallError> {
    std::fs::create_dir_all(to).map_err(InstallError::io(format!("creating {}", to.display())))?;
    // The work directory may lie inside the tree (a cache below the project): never copy it.
    let destination = std::fs::canonicalize(to).unwrap_or_else(|_| to.to_path_buf());
    copy_tree_below(from, to, true, &destination)
}

fn copy_tree_below(
    from: &Path,
    to: &Path,
    top: bool,
    destination: &Path,
) -> Result<(), InstallError> {
    const SKIPPED: &[&str] = &[".git", ".svn", ".hg", "blib", "_build", "local", ".build"];
    std::fs::create_dir_all(to).map_err(InstallError::io(format!("creating {}", to.display())))?;
    let entries =
        std::fs::read_dir(from).map_err(InstallError::io(format!("reading {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(InstallError::io(format!("reading {}", from.display())))?;
        let name = entry.file_name();
        if (top && SKIPPED.iter().any(|skipped| name == *skipped))
            || destination.starts_with(entry.path())
        {
            continue;
        }
        let kind = entry.file_type().map_err(InstallError::io(format!(
            "reading {}",
            entry.path().display()
        )))?;
        if kind.is_dir() {
            copy_tree_below(&entry.path(), &to.join(&name), false, destination)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name)).map_err(InstallError::io(format!(
                "copying {}",
                entry.path().display()
            )))?;
        }
    }
    Ok(())
}
