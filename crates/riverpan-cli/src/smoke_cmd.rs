//! `riverpan smoke`: CPAN::Reporter::Smoker's job — test what is uploaded to a riverpan and
//! report it — and the Berlin consensus's downriver test of a release before it ships.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use riverpan_smoke::{
    remote, CandidateRelease, Choice, Exclusions, History, Outcome, PassResult, Release, Settings,
    SmokePerl, SmokeResult, Summary,
};

use crate::GlobalOptions;

/// Test the latest uploads of a riverpan and send CPAN Testers reports (a smoker); or test a
/// release's dependents against it before shipping it (--downriver).
///
/// Smoking (CPAN::Reporter::Smoker's job): the latest indexed release of each chosen
/// distribution, newest uploads first, is tested in a fresh target of its own — its
/// dependencies from the shared build cache — with AUTOMATED_TESTING=1 and the rest of the
/// automated-testing context, graded as CPAN::Reporter grades and sent as one CPAN Testers v3
/// report per perl to --report. A missing prerequisite or a test suite killed at its time limit
/// is a discard: no report, the reason in the log. A history per perl keeps a release from
/// being tested twice.
///
/// Downriver (the Berlin consensus): each dependent of the candidate's distribution in the
/// --from riverpan's river, most upriver first, is tested with the indexed release and with the
/// candidate; each is named ok, newly broken, fixed, still failing or not tested. Exit status 1 when the
/// candidate newly breaks one.
///
/// Examples:
///   riverpan smoke --from http://127.0.0.1:5000/ --report http://127.0.0.1:5000/ --recent 20
///   riverpan smoke --from URL --report URL --perl /usr/bin/perl --perl /opt/perl-5.40/bin/perl -j 2
///   riverpan smoke --from URL --report URL --since 24h --exclude 'Acme-*'
///   riverpan smoke --from URL --report URL Moo Try-Tiny
///   riverpan smoke --from URL --report URL --watch               # until SIGINT/SIGTERM
///   riverpan smoke --from URL --downriver ./Foo-Bar-2.0.tar.gz --top 20
///   riverpan smoke --from URL --downriver ALICE/Foo-Bar-2.0-TRIAL.tar.gz --all --deep --json
///
/// Exit status: 0 when every result was recorded (whatever the grades); 1 when a report could
/// not be sent, or (--downriver) when the candidate newly breaks a dependent.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct SmokeArgs {
    /// The riverpan (or CPAN mirror, or tree) releases and their dependencies come from;
    /// repeat to add sources.
    #[arg(
        long = "from",
        value_name = "URL",
        env = "RIVERPAN_INSTALL_FROM",
        value_delimiter = ' ',
        required = true
    )]
    from: Vec<String>,
    /// Send each result as a CPAN Testers report to this riverpan (POST URL/v3/report);
    /// without it, results are shown and nothing is sent or recorded.
    #[arg(long, value_name = "URL", env = "RIVERPAN_REPORT_URL")]
    report: Option<String>,
    /// Who reports: "Name <email>" [default: [tester] in riverpan.toml].
    #[arg(long, value_name = "NAME <EMAIL>", env = "RIVERPAN_TESTER")]
    tester: Option<String>,
    /// A perl to test with; repeat to test every release with each (one report each).
    #[arg(long = "perl", value_name = "PATH")]
    perls: Vec<PathBuf>,
    /// Only the N most recently uploaded releases.
    #[arg(long, value_name = "N", conflicts_with_all = ["since", "dists"])]
    recent: Option<usize>,
    /// Only releases uploaded since TIME (2024-05-01, 2024-05-01T12:00:00Z, or an age: 90m,
    /// 12h, 7d).
    #[arg(long, value_name = "TIME", conflicts_with = "dists")]
    since: Option<String>,
    /// Releases tested at once.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 1)]
    jobs: usize,
    /// Never test distributions matching PATTERN (`*`, `?`; repeatable; also `[smoke] exclude`
    /// in riverpan.toml; perl, parrot, Bundle-* and mod_perl are always skipped).
    #[arg(long = "exclude", value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Seconds a configure / build / test step may take; a step past its limit is killed
    /// (and, as CPAN::Reporter does, not reported).
    #[arg(
        long,
        value_name = "S,S,S",
        default_value = "120,3600,1800",
        value_delimiter = ','
    )]
    timeouts: Vec<u64>,
    /// Follow new uploads of --from and smoke each once it is indexed, until SIGINT/SIGTERM
    /// (what is being tested then is neither reported nor recorded).
    #[arg(long, conflicts_with = "downriver")]
    watch: bool,
    /// With --watch: seconds between looks at the index.
    #[arg(long, value_name = "S", default_value_t = 60)]
    interval: u64,
    /// Test the dependents of this candidate release (a tarball on disk, or AUTHOR/Dist-2.0.tar.gz
    /// on --from) with the indexed release and with it.
    #[arg(long, value_name = "CANDIDATE")]
    downriver: Option<String>,
    /// With --downriver: the N most upriver dependents.
    #[arg(long, value_name = "N", default_value_t = 10, conflicts_with = "all")]
    top: usize,
    /// With --downriver: every dependent.
    #[arg(long)]
    all: bool,
    /// With --downriver: all transitive dependents, not only the direct ones.
    #[arg(long)]
    deep: bool,
    /// Do not check tarballs against CHECKSUMS.
    #[arg(long)]
    no_verify: bool,
    /// Build every dependency afresh for every release (no build cache).
    #[arg(long)]
    no_build_cache: bool,
    /// One JSON object per result on standard output, then the summary.
    #[arg(long)]
    json: bool,
    /// Distributions to smoke (Foo-Bar or Foo::Bar) [default: every indexed distribution].
    #[arg(value_name = "DIST")]
    dists: Vec<String>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn settings(args: &SmokeArgs, cache: &Path) -> Settings {
    let seconds =
        |i: usize, default: u64| Duration::from_secs(*args.timeouts.get(i).unwrap_or(&default));
    Settings {
        sources: args
            .from
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        cache_dir: cache.join("downloads"),
        build_cache: (!args.no_build_cache).then(|| cache.join("builds")),
        scratch: cache.join("work").join("smoke"),
        logs: cache.join("smoke").join("logs"),
        timeouts: [seconds(0, 120), seconds(1, 3600), seconds(2, 1800)],
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        verify: !args.no_verify,
        env: riverpan_smoke::AUTOMATED_ENV
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Sets `stop` on SIGINT or SIGTERM (a thread with its own small runtime).
fn stop_on_signals(stop: Arc<AtomicBool>, quiet: bool) {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            let Ok(mut terminate) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                let _ = tokio::signal::ctrl_c().await;
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        });
        stop.store(true, Ordering::SeqCst);
        if !quiet {
            eprintln!("stopping: no new release starts; what is running is not reported");
        }
    });
}

pub(crate) fn run(globals: &GlobalOptions, args: &SmokeArgs) -> anyhow::Result<ExitCode> {
    let cache = crate::install_cmd::cache_root();
    let settings = settings(args, &cache);
    let perls: Vec<PathBuf> = if args.perls.is_empty() {
        vec![PathBuf::from("perl")]
    } else {
        args.perls.clone()
    };
    if let Some(candidate) = &args.downriver {
        return downriver(args, &settings, &perls[0], candidate);
    }
    let reporter = match &args.report {
        Some(_) => Some(crate::install_cmd::tester_identity(
            globals,
            args.tester.as_deref(),
        )?),
        None => None,
    };
    let config = crate::config::load(globals)?;
    let mut patterns = args.exclude.clone();
    patterns.extend(config.file.smoke.exclude.iter().cloned());
    let exclusions = Exclusions::with_defaults(patterns);
    let env = settings.env.clone();
    let mut smoke_perls = Vec::new();
    for path in &perls {
        let perl = riverpan_install::Perl::probe(path)
            .with_context(|| format!("the perl {}", path.display()))?;
        let label = format!("perl {} ({})", perl.version, path.display());
        let history_file = cache.join("smoke").join("history").join(format!(
            "{}.tsv",
            &perl.identity[..16.min(perl.identity.len())]
        ));
        let history = History::open(&history_file, &label)?;
        let sender = match (&args.report, &reporter) {
            (Some(url), Some(reporter)) => Some(
                riverpan_install::report::ReportSender::new(url, reporter.clone(), path)
                    .context("preparing reports")?
                    .automated(&env),
            ),
            _ => None,
        };
        smoke_perls.push(SmokePerl {
            harness: riverpan_smoke::perl_harness(path),
            path: path.clone(),
            label,
            sender,
            history: Mutex::new(history),
        });
    }
    let choice = match (&args.recent, &args.since) {
        (Some(n), _) => Choice::Recent(*n),
        (_, Some(since)) => Choice::Since(
            riverpan_smoke::select::parse_since(since, now()).map_err(anyhow::Error::msg)?,
        ),
        _ if !args.dists.is_empty() => Choice::Dists(args.dists.clone()),
        _ => Choice::All,
    };
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signals(stop.clone(), args.json);
    let display = Display::new(args.json);
    let mut summary = Summary::default();
    let mut send_failed = false;
    let releases = remote::indexed_releases(&settings.sources, &settings.cache_dir)?;
    if let Choice::Dists(names) = &choice {
        for unknown in riverpan_smoke::select::unknown_dists(&releases, names) {
            display.note(&format!("not in the index: {unknown}"));
        }
    }
    // Watching without a choice starts from what is indexed now: only later uploads are smoked.
    let mut seen: BTreeSet<String> = releases.iter().map(|r| r.path.clone()).collect();
    let initial = if args.watch && choice == Choice::All && args.dists.is_empty() {
        Vec::new()
    } else {
        releases
    };
    let mut batch = initial;
    let mut batch_choice = choice;
    loop {
        let tested = |path: &str| smoke_perls.iter().all(|perl| perl.tested(path));
        let (smoke, left_out) = riverpan_smoke::choose(&batch, &batch_choice, &exclusions, &tested);
        display.left_out(&left_out);
        let results = display.run(&smoke, &smoke_perls, &settings, args.jobs, &stop);
        for result in &results {
            summary.add(&result.perl, result.outcome.label());
            send_failed |= matches!(result.outcome, Outcome::SendFailed { .. });
        }
        if !args.watch || stop.load(Ordering::SeqCst) {
            break;
        }
        // Wait for the next look, ending at once on a signal.
        let mut waited = Duration::ZERO;
        while waited < Duration::from_secs(args.interval.max(1)) && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            waited += Duration::from_millis(100);
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        batch = match remote::indexed_releases(&settings.sources, &settings.cache_dir) {
            Ok(releases) => releases
                .into_iter()
                .filter(|r| seen.insert(r.path.clone()))
                .collect(),
            Err(error) => {
                tracing::warn!("looking at the index: {error}");
                Vec::new()
            }
        };
        batch_choice = Choice::All;
    }
    display.summary(&summary);
    Ok(if send_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Output: JSON lines, or a progress bar on a terminal with a line per result, or plain lines.
struct Display {
    json: bool,
    terminal: bool,
}

impl Display {
    fn new(json: bool) -> Display {
        Display {
            json,
            terminal: !json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }

    fn note(&self, line: &str) {
        if self.json {
            println!("{}", serde_json::json!({"event": "note", "detail": line}));
        } else {
            eprintln!("{line}");
        }
    }

    fn left_out(&self, left_out: &[riverpan_smoke::LeftOut]) {
        for item in left_out {
            if self.json {
                println!(
                    "{}",
                    serde_json::json!({"event": "left-out", "path": item.path, "why": item.why})
                );
            } else {
                tracing::info!("not smoked: {}: {}", item.path, item.why);
            }
        }
        let before = left_out
            .iter()
            .filter(|l| l.why.starts_with("tested before"))
            .count();
        if !self.json && before > 0 {
            eprintln!("{before} release(s) tested before (history), not tested again");
        }
    }

    fn run(
        &self,
        releases: &[Release],
        perls: &[SmokePerl],
        settings: &Settings,
        jobs: usize,
        stop: &AtomicBool,
    ) -> Vec<SmokeResult> {
        let total: usize = releases
            .iter()
            .map(|r| perls.iter().filter(|p| !p.tested(&r.path)).count())
            .sum();
        let bar = self.terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let on_event =
            |release: &Release, _perl: &SmokePerl, event: riverpan_install::InstallEvent| {
                if let Some(bar) = &bar {
                    if event.state == "start" {
                        bar.set_message(format!(
                            "{}: {} {}",
                            release.dist, event.step, event.subject
                        ));
                    }
                }
            };
        let on_result = |result: &SmokeResult| {
            let line = self.result_line(result);
            match &bar {
                Some(bar) => {
                    bar.inc(1);
                    bar.println(line);
                }
                None => println!("{line}"),
            }
        };
        let results =
            riverpan_smoke::smoke_all(releases, perls, settings, jobs, stop, &on_event, &on_result);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        results
    }

    fn result_line(&self, result: &SmokeResult) -> String {
        if self.json {
            let mut value = serde_json::to_value(result).unwrap_or_default();
            value["event"] = "result".into();
            return value.to_string();
        }
        let (label, detail) = match &result.outcome {
            Outcome::Reported { grade, id } => {
                (grade.as_str().to_uppercase(), format!("reported {id}"))
            }
            Outcome::Graded { grade } => (grade.as_str().to_uppercase(), "not sent".into()),
            Outcome::Discarded { reason } => ("DISCARD".into(), reason.clone()),
            Outcome::SendFailed { grade, why } => (
                grade.as_str().to_uppercase(),
                format!("report not sent: {why}"),
            ),
            Outcome::Interrupted => ("STOPPED".into(), "interrupted: not reported".into()),
        };
        let mut line = format!(
            "{label:<8} {}  {}  {:.1}s  {detail}",
            result.path, result.perl, result.seconds
        );
        if let Some(log) = &result.log {
            line.push_str(&format!("\n         log: {}", log.display()));
        }
        line
    }

    fn summary(&self, summary: &Summary) {
        if self.json {
            println!(
                "{}",
                serde_json::json!({"event": "summary", "total": summary.total(), "per_perl": summary.per_perl})
            );
            return;
        }
        println!("smoked {} release(s) × perl(s)", summary.total());
        for line in summary.lines() {
            println!("  {line}");
        }
    }
}

/// One dependent's two runs and the verdict.
#[derive(Debug, serde::Serialize)]
struct DependentResult {
    dist: String,
    path: Option<String>,
    current: String,
    candidate: String,
    verdict: Option<&'static str>,
    why_not_tested: Vec<String>,
    logs: Vec<PathBuf>,
    seconds: f64,
    /// How long the pass with the indexed release took (its dependencies built, or taken from
    /// the build cache).
    current_seconds: f64,
    /// How long the pass with the candidate took (only the candidate and the dependent built).
    candidate_seconds: f64,
}

fn downriver(
    args: &SmokeArgs,
    settings: &Settings,
    perl: &Path,
    candidate: &str,
) -> anyhow::Result<ExitCode> {
    let as_file = Path::new(candidate);
    let release = if as_file.is_file() {
        CandidateRelease::File(
            std::fs::canonicalize(as_file).with_context(|| format!("reading {candidate}"))?,
        )
    } else if candidate.contains('/') {
        CandidateRelease::Path(candidate.to_string())
    } else {
        anyhow::bail!("{candidate}: neither a tarball on disk nor AUTHOR/Dist-1.0.tar.gz");
    };
    let dist = riverpan_install::dist_name_of_id(candidate)
        .with_context(|| format!("{candidate}: no distribution name in it (Foo-Bar-2.0.tar.gz)"))?;
    let dependents = remote::dependents(&settings.sources, &dist, args.deep)?;
    let chosen = riverpan_smoke::most_upriver(dependents, (!args.all).then_some(args.top));
    let releases = remote::indexed_releases(&settings.sources, &settings.cache_dir)?;
    let harness = riverpan_smoke::perl_harness(perl);
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signals(stop.clone(), args.json);
    if !args.json {
        eprintln!(
            "testing {} dependent(s) of {dist} with the indexed release and with {candidate}",
            chosen.len()
        );
    }
    let candidate_name = candidate
        .rsplit('/')
        .next()
        .unwrap_or(candidate)
        .to_string();
    let queue = Mutex::new(
        chosen
            .into_iter()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let results = Mutex::new(Vec::new());
    let quiet = |_: riverpan_install::InstallEvent| {};
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Some(dependent) = queue.lock().ok().and_then(|mut q| q.pop_front()) else {
                    break;
                };
                let started = std::time::Instant::now();
                let path = releases
                    .iter()
                    .find(|r| r.dist == dependent.dist)
                    .map(|r| r.path.clone());
                let mut result = DependentResult {
                    dist: dependent.dist.clone(),
                    path: path.clone(),
                    current: "not tested".into(),
                    candidate: "not tested".into(),
                    verdict: None,
                    why_not_tested: Vec::new(),
                    logs: Vec::new(),
                    seconds: 0.0,
                    current_seconds: 0.0,
                    candidate_seconds: 0.0,
                };
                let Some(path) = path else {
                    result
                        .why_not_tested
                        .push("no release of it is indexed".into());
                    if let Ok(mut results) = results.lock() {
                        results.push(result);
                    }
                    continue;
                };
                let mut pass = |with: Option<&CandidateRelease>, name: &str| -> PassResult {
                    let log_name = format!("downriver/{candidate_name}/{}.{name}", dependent.dist);
                    match riverpan_smoke::test_release(
                        settings,
                        perl,
                        &path,
                        &dependent.dist,
                        with,
                        &log_name,
                        &quiet,
                    ) {
                        Ok(run) => {
                            result.logs.extend(run.log.clone());
                            riverpan_smoke::grade_of(&run, harness)
                        }
                        Err(error) => PassResult::NotTested(error.to_string()),
                    }
                };
                let current = pass(None, "current");
                let current_seconds = started.elapsed().as_secs_f64();
                let with_candidate = pass(Some(&release), "candidate");
                result.current_seconds = current_seconds;
                result.candidate_seconds = started.elapsed().as_secs_f64() - current_seconds;
                for (name, run) in [("current", &current), ("candidate", &with_candidate)] {
                    if let PassResult::NotTested(why) = run {
                        result.why_not_tested.push(format!("{name}: {why}"));
                    }
                }
                result.current = current.label();
                result.candidate = with_candidate.label();
                result.verdict = Some(riverpan_smoke::verdict(&current, &with_candidate).as_str());
                result.seconds = started.elapsed().as_secs_f64();
                if let Ok(mut results) = results.lock() {
                    results.push(result);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by(|a, b| a.dist.cmp(&b.dist));
    let newly_broken = results
        .iter()
        .filter(|r| r.verdict == Some("newly broken"))
        .count();
    let current_seconds: f64 = results.iter().map(|r| r.current_seconds).sum();
    let candidate_seconds: f64 = results.iter().map(|r| r.candidate_seconds).sum();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "candidate": candidate,
                "dist": dist,
                "dependents": results,
                "newly_broken": newly_broken,
                "current_seconds": current_seconds,
                "candidate_seconds": candidate_seconds,
            })
        );
    } else {
        println!(
            "{:<32} {:<11} {:<11} verdict",
            "dependent", "current", "candidate"
        );
        for result in &results {
            println!(
                "{:<32} {:<11} {:<11} {}",
                result.dist,
                result.current,
                result.candidate,
                result.verdict.unwrap_or("not tested")
            );
            for why in &result.why_not_tested {
                println!("    {why}");
            }
            for log in &result.logs {
                println!("    log: {}", log.display());
            }
        }
        println!(
            "passes: {current_seconds:.1} s with the indexed release, {candidate_seconds:.1} s \
             with {candidate_name} (only it and each dependent built again)"
        );
        println!(
            "{newly_broken} dependent(s) newly broken by {candidate_name}{}",
            if newly_broken > 0 {
                ": tell their authors, or fix it before the release"
            } else {
                ""
            }
        );
    }
    Ok(if newly_broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
