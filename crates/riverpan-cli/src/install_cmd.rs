//! `riverpan install` and `riverpan exec`: the client side — install modules from a riverpan or
//! any CPAN mirror into a local lib, and run a command with that lib.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use riverpan_install::{InstallEvent, InstallOptions, PrereqSelection};

use crate::GlobalOptions;

/// Install modules (and what they need) into a local lib, from a riverpan or a CPAN mirror.
///
/// Each distribution is fetched (checked against its author's CHECKSUMS, kept in a download
/// cache shared by all projects), expanded with riverpan's archive limits, configured, built
/// and — with --test — tested in its own work directory, with its dependencies' build output on
/// PERL5LIB; nothing reaches the local lib until the end, when everything that built is
/// installed in dependency order. A distribution that fails stops only what needs it.
///
/// Examples:
///   riverpan install --from http://127.0.0.1:5000/ Moose
///   riverpan install --from /srv/riverpan-data -L local --test Try::Tiny Moo@2.005005
///   riverpan install --from https://cpan.example.org/ 'Plack~>= 1.0047, < 2' --dry-run
///   riverpan exec -L local -- perl -MMoose -e 'print Moose->VERSION'
///   riverpan install --from http://127.0.0.1:5000/           # ./cpanfile; writes cpanfile.snapshot
///   riverpan install --from http://127.0.0.1:5000/ --locked  # exactly what the snapshot locks
///
/// Exit status: 0 when every target is installed or already there, 1 otherwise.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct InstallArgs {
    /// Where to install from: a riverpan or CPAN mirror URL, a CPAN tree or a riverpan data
    /// directory; repeat to try several in order.
    #[arg(
        long = "from",
        value_name = "URL_OR_DIR",
        env = "RIVERPAN_INSTALL_FROM",
        value_delimiter = ' '
    )]
    from: Vec<String>,
    /// The local lib: modules in DIR/lib/perl5, scripts in DIR/bin (as cpanm -L).
    #[arg(
        short = 'L',
        long = "local-lib",
        value_name = "DIR",
        default_value = "local"
    )]
    local_lib: PathBuf,
    /// The perl every step runs with.
    #[arg(long, value_name = "PATH", default_value = "perl")]
    perl: PathBuf,
    /// Install into the perl's own directories instead of a local lib (site, or --installdirs).
    #[arg(short = 'g', long, conflicts_with = "local_lib")]
    global: bool,
    /// With --global: site (default), vendor or perl — where OS packages put their modules.
    #[arg(long, value_name = "DIRS", requires = "global")]
    installdirs: Option<String>,
    /// With --global: stage the files below DIR (DIR/usr/...), for OS packagers.
    #[arg(long, value_name = "DIR", requires = "global")]
    destdir: Option<PathBuf>,
    /// Workers (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// Run each distribution's tests (off by default, as in cpm and Carton).
    #[arg(long)]
    test: bool,
    /// Do not check tarballs against CHECKSUMS.
    #[arg(long)]
    no_verify: bool,
    /// Neither reuse nor keep builds (the build cache is keyed by the tarball's SHA-256, the
    /// perl and the build options).
    #[arg(long)]
    no_build_cache: bool,
    /// Ask for pure-Perl builds (PUREPERL_ONLY=1 / --pureperl-only).
    #[arg(long)]
    pp: bool,
    /// Print the plan (what would be fetched, built and installed) and install nothing.
    #[arg(long)]
    dry_run: bool,
    /// With --test: send each tested distribution's result to this riverpan as a CPAN Testers
    /// report (graded as CPAN::Reporter grades; POST URL/v3/report).
    #[arg(
        long,
        value_name = "URL",
        env = "RIVERPAN_REPORT_URL",
        requires = "test"
    )]
    report: Option<String>,
    /// Who reports: "Name <email>" [default: [tester] in riverpan.toml].
    #[arg(long, value_name = "NAME <EMAIL>", env = "RIVERPAN_TESTER")]
    tester: Option<String>,
    /// Set EXTENDED_TESTING=1 for the tests (the extended testing context).
    #[arg(long)]
    extended_testing: bool,
    /// Modules the OS installed in the perl's vendor directories do not count as installed.
    #[arg(long)]
    exclude_vendor: bool,
    /// Install the targets even when a sufficient version is already installed.
    #[arg(long)]
    reinstall: bool,
    /// Install even when a release declares (x_breaks) that it breaks an installed module.
    #[arg(long)]
    force: bool,
    /// One JSON event per line on standard output, then the report.
    #[arg(long)]
    json: bool,
    /// Seconds a configure / build / test step may take.
    #[arg(
        long,
        value_name = "S,S,S",
        default_value = "60,3600,1800",
        value_delimiter = ','
    )]
    timeouts: Vec<u64>,
    /// Install what this cpanfile asks for [default, without MODULEs: ./cpanfile, else the
    /// prerequisites in ./META.json or ./META.yml]; writes cpanfile.snapshot beside it.
    #[arg(long, value_name = "FILE")]
    cpanfile: Option<PathBuf>,
    /// With the cpanfile: also its develop prerequisites.
    #[arg(long)]
    with_develop: bool,
    /// Also the top level's recommends.
    #[arg(long)]
    with_recommends: bool,
    /// Also the top level's suggests.
    #[arg(long)]
    with_suggests: bool,
    /// With the cpanfile: also this feature's prerequisites (repeatable).
    #[arg(long = "feature", value_name = "NAME")]
    features: Vec<String>,
    /// Install exactly the releases cpanfile.snapshot locks (failing when the cpanfile asks for
    /// what it lacks); the snapshot is not rewritten.
    #[arg(long)]
    locked: bool,
    /// As --locked, and resolve nothing that is not in the snapshot.
    #[arg(long, conflicts_with = "locked")]
    frozen: bool,
    /// Modules: Foo::Bar, Foo::Bar@1.23 (exactly), Foo::Bar~">= 1.2, < 2"; distribution
    /// files: AUTHOR/Foo-Bar-1.23.tar.gz (that release, even when the index has a newer one);
    /// or on disk: ./Foo-Bar-1.23.tar.gz, or a directory with Makefile.PL/Build.PL (`.`).
    #[arg(value_name = "MODULE")]
    targets: Vec<String>,
}

/// Run a command with the local lib on PERL5LIB and its bin on PATH (as carton exec).
///
/// Examples:
///   riverpan exec -- perl -MTry::Tiny -e 'print Try::Tiny->VERSION'
///   riverpan exec -L /opt/app/local -- plackup app.psgi
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct ExecArgs {
    /// The local lib.
    #[arg(
        short = 'L',
        long = "local-lib",
        value_name = "DIR",
        default_value = "local"
    )]
    local_lib: PathBuf,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub(crate) fn cache_root() -> PathBuf {
    std::env::var_os("RIVERPAN_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("riverpan")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/riverpan")))
        .unwrap_or_else(|| std::env::temp_dir().join("riverpan-cache"))
}

pub(crate) fn install(globals: &GlobalOptions, args: &InstallArgs) -> anyhow::Result<ExitCode> {
    let sender = match &args.report {
        Some(url) => {
            let reporter = tester_identity(globals, args.tester.as_deref())?;
            Some(
                riverpan_install::report::ReportSender::new(url, reporter, &args.perl)
                    .context("preparing reports")?,
            )
        }
        None => None,
    };
    let selection = PrereqSelection {
        develop: args.with_develop,
        recommends: args.with_recommends,
        suggests: args.with_suggests,
        features: args.features.clone(),
    };
    // Targets: the modules given, else the cpanfile, else the current directory's META.
    let mut cpanfile_dir = None;
    // A target with a `/` and an archive's extension is a distribution file.
    let is_dist_file = |t: &String| {
        t.contains('/')
            && [".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".zip"]
                .iter()
                .any(|ext| t.ends_with(ext))
    };
    // A target on disk (a tarball, or a directory such as `.`) is built from there, as cpanm does.
    let is_local = |t: &String| {
        let path = Path::new(t);
        path.is_dir() || (path.is_file() && is_dist_file(&format!("./{t}")))
    };
    let local_targets: Vec<PathBuf> = args
        .targets
        .iter()
        .filter(|t| is_local(t))
        .map(PathBuf::from)
        .collect();
    let dist_targets: Vec<String> = args
        .targets
        .iter()
        .filter(|t| !is_local(t) && is_dist_file(t))
        .cloned()
        .collect();
    let targets = if !args.targets.is_empty() && args.cpanfile.is_none() {
        args.targets
            .iter()
            .filter(|t| !is_local(t) && !is_dist_file(t))
            .map(|target| riverpan_install::parse_target(target))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let cpanfile = args
            .cpanfile
            .clone()
            .unwrap_or_else(|| PathBuf::from("cpanfile"));
        if cpanfile.is_file() {
            let (_, targets) = riverpan_install::cpanfile_requirements(&cpanfile, &selection)?;
            let dir = cpanfile
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            cpanfile_dir = Some(dir);
            targets
        } else if args.cpanfile.is_some() {
            anyhow::bail!("{}: no such cpanfile", cpanfile.display());
        } else {
            riverpan_install::meta_requirements(std::path::Path::new("."), &selection)?
        }
    };
    if (args.locked || args.frozen) && cpanfile_dir.is_none() {
        anyhow::bail!("--locked and --frozen install from a cpanfile and its cpanfile.snapshot");
    }
    let lock = match &cpanfile_dir {
        Some(dir) if args.locked || args.frozen => {
            Some(riverpan_install::LockedSnapshot::read(dir, args.frozen)?)
        }
        _ => None,
    };
    let seconds =
        |i: usize, default: u64| Duration::from_secs(*args.timeouts.get(i).unwrap_or(&default));
    let local_lib = crate::installed_cmd::absolute(&args.local_lib)?;
    let cache = cache_root();
    let options = InstallOptions {
        sources: args
            .from
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect(),
        local_lib,
        global: if args.global {
            let dirs = match &args.installdirs {
                Some(dirs) => dirs.parse()?,
                None => riverpan_install::InstallDirs::Site,
            };
            Some((dirs, args.destdir.clone()))
        } else {
            None
        },
        perl: args.perl.clone(),
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        test: args.test,
        verify: !args.no_verify,
        cache_dir: cache.join("downloads"),
        work_dir: cache.join("work"),
        timeouts: [seconds(0, 60), seconds(1, 3600), seconds(2, 1800)],
        pureperl: args.pp,
        dry_run: args.dry_run,
        selection,
        lock: lock.clone(),
        build_cache: (!args.no_build_cache).then(|| cache.join("builds")),
        force: args.force,
        dist_targets,
        local_targets,
        reinstall: args.reinstall,
        exclude_vendor: args.exclude_vendor,
        extended_testing: args.extended_testing,
        show_logs: globals.verbose > 0,
        extra_env: Vec::new(),
        test_only: Vec::new(),
    };
    let json = args.json;
    let out = Mutex::new(std::io::stdout());
    // On a terminal, one line per worker shows what it is doing (as cpm's tty mode), and
    // finished steps scroll above; otherwise (or with -v) one line per finished step.
    let progress = (!json && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| WorkerLines::new(options.jobs));
    let events = |event: InstallEvent| {
        use std::io::Write;
        if json {
            if let (Ok(line), Ok(mut out)) = (serde_json::to_string(&event), out.lock()) {
                let _ = writeln!(out, "{line}");
            }
            return;
        }
        if event.step == "log" {
            // -v: each step's output as it finishes, under the distribution's name.
            let mut text = String::new();
            for line in event.detail.lines() {
                text.push_str(&format!("{} | {line}\n", event.subject));
            }
            match &progress {
                Some(lines) => lines.show(&event, text.trim_end()),
                None => eprint!("{text}"),
            }
            return;
        }
        let line = format!(
            "{:<10} {:<8} {}{}",
            event.step,
            event.state,
            event.subject,
            if event.detail.is_empty() || event.state == "failed" {
                String::new()
            } else {
                format!(" ({})", event.detail)
            }
        );
        match &progress {
            Some(lines) => lines.show(&event, &line),
            None if event.state != "start" || event.step == "install" => eprintln!("{line}"),
            None => {}
        }
    };
    let report =
        riverpan_install::install(&targets, &options, &events).context("riverpan install")?;
    if let Some(lines) = &progress {
        lines.finish();
    }
    // The lock file follows a successful install from a cpanfile (as carton install does).
    let mut snapshot_written = None;
    if let (Some(dir), None, false, true, false) = (
        &cpanfile_dir,
        &lock,
        args.dry_run,
        report.is_success(),
        args.global,
    ) {
        let perl = riverpan_install::Perl::probe(&options.perl)?;
        let local = riverpan_install::LocalLib::new(&options.local_lib, &perl);
        let snapshot = riverpan_install::snapshot_of(&local)?;
        riverpan_install::write_snapshot(dir, &snapshot)?;
        snapshot_written = Some(dir.join("cpanfile.snapshot"));
    }
    if let Some(sender) = &sender {
        send_reports(sender, &report.tested, json);
    }
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        if args.dry_run {
            println!("would install, in this order:");
            for dist in &report.planned {
                println!("  {dist}");
            }
        }
        for (module, version) in &report.up_to_date {
            println!("up to date: {module} {version}");
        }
        for dist in &report.installed {
            println!("installed: {dist}");
        }
        for failed in &report.failed {
            println!("FAILED: {} at {}:", failed.dist, failed.step);
            for line in failed.reason.lines() {
                println!("    {line}");
            }
            if let Some(log) = &failed.log {
                println!("    log: {}", log.display());
            }
        }
        for (dist, why) in &report.skipped {
            println!("skipped: {dist}: {why}");
        }
        for problem in &report.problems {
            println!("not installed: {problem}");
        }
        for cycle in &report.cycles {
            println!("dependency cycle: {cycle}");
        }
        if !report.breaks.is_empty() {
            for line in &report.breaks {
                println!("BREAKS: {line}");
            }
            println!(
                "nothing was installed: upgrade the broken modules in the same install, or \
                 --force to install anyway"
            );
        }
        if let Some(path) = &snapshot_written {
            println!("wrote {}", path.display());
        }
    }
    Ok(if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub(crate) fn exec(_globals: &GlobalOptions, args: &ExecArgs) -> anyhow::Result<ExitCode> {
    let base = crate::installed_cmd::absolute(&args.local_lib)?;
    let (program, rest) = args
        .command
        .split_first()
        .context("riverpan exec needs a command")?;
    let mut command = std::process::Command::new(program);
    command.args(rest);
    for (key, value) in riverpan_install::exec_environment(&base) {
        command.env(key, value);
    }
    let status = command
        .status()
        .with_context(|| format!("running {program}"))?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// The download and build caches riverpan install keeps (shared by every project).
///
/// Examples:
///   riverpan cache dir                 # where they are ($RIVERPAN_CACHE_DIR, else ~/.cache/riverpan)
///   riverpan cache prune --days 30     # builds not used for 30 days
///   riverpan cache clean               # everything
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove every download and build.
    Clean,
    /// Remove the builds not used for some days.
    Prune {
        /// Days without use.
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
}

pub(crate) fn cache(_globals: &GlobalOptions, args: &CacheArgs) -> anyhow::Result<ExitCode> {
    let root = cache_root();
    match &args.command {
        CacheCommand::Dir => println!("{}", root.display()),
        CacheCommand::Clean => {
            for part in ["downloads", "builds", "work"] {
                let dir = root.join(part);
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)
                        .with_context(|| format!("removing {}", dir.display()))?;
                }
            }
            println!("emptied {}", root.display());
        }
        CacheCommand::Prune { days } => {
            let builds = riverpan_install::BuildCache::new(&root.join("builds"));
            let removed = builds
                .prune(Duration::from_secs(days.saturating_mul(86_400)))
                .with_context(|| format!("pruning {}", builds.dir().display()))?;
            println!("removed {removed} build(s) unused for {days} days");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The terminal display: a line per worker with its current step.
struct WorkerLines {
    multi: indicatif::MultiProgress,
    bars: Vec<indicatif::ProgressBar>,
    busy: Mutex<Vec<Option<String>>>,
}

impl WorkerLines {
    fn new(workers: usize) -> WorkerLines {
        let multi = indicatif::MultiProgress::new();
        let style = indicatif::ProgressStyle::with_template("{spinner} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        let bars = (0..workers.max(1))
            .map(|_| {
                let bar = multi.add(indicatif::ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.set_message("idle");
                bar
            })
            .collect();
        WorkerLines {
            multi,
            bars,
            busy: Mutex::new(vec![None; workers.max(1)]),
        }
    }

    fn show(&self, event: &InstallEvent, line: &str) {
        let key = format!("{} {}", event.step, event.subject);
        let Ok(mut busy) = self.busy.lock() else {
            return;
        };
        if event.state == "start" && event.step != "install" {
            if let Some(slot) = busy.iter().position(Option::is_none) {
                busy[slot] = Some(key);
                if let Some(bar) = self.bars.get(slot) {
                    bar.set_message(format!("{} {}", event.step, event.subject));
                }
            }
            return;
        }
        if let Some(slot) = busy.iter().position(|k| k.as_deref() == Some(key.as_str())) {
            busy[slot] = None;
            if let Some(bar) = self.bars.get(slot) {
                bar.set_message("idle");
            }
        }
        if event.state != "start" {
            let _ = self.multi.println(line);
        }
    }

    fn finish(&self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
    }
}

/// The tester: `--tester "Name <email>"` (or `RIVERPAN_TESTER`), else `[tester]` in the config
/// file; an e-mail address is required, as CPAN::Reporter requires `email_from`.
pub(crate) fn tester_identity(
    globals: &GlobalOptions,
    given: Option<&str>,
) -> anyhow::Result<cpan_reporter::Reporter> {
    if let Some(text) = given {
        let text = text.trim();
        let (name, email) = match (text.rfind('<'), text.rfind('>')) {
            (Some(open), Some(close)) if open < close => (
                Some(text[..open].trim().to_string()).filter(|n| !n.is_empty()),
                text[open + 1..close].trim().to_string(),
            ),
            _ => (None, text.to_string()),
        };
        if !email.contains('@') {
            anyhow::bail!("--tester {text:?}: no e-mail address (\"Name <you@example.org>\")");
        }
        return Ok(cpan_reporter::Reporter { name, email });
    }
    let config = crate::config::load(globals)?;
    match config.file.tester.email {
        Some(email) => Ok(cpan_reporter::Reporter {
            name: config.file.tester.name,
            email,
        }),
        None => anyhow::bail!(
            "a report needs the tester's e-mail address: --tester \"Name <you@example.org>\", \
             RIVERPAN_TESTER, or email in the [tester] table of riverpan.toml"
        ),
    }
}

/// Grades and sends each tested distribution's report; one line (or JSON event) each.
fn send_reports(
    sender: &riverpan_install::report::ReportSender,
    tested: &[riverpan_install::TestedDist],
    json: bool,
) {
    use riverpan_install::report::ReportOutcome;
    for dist in tested {
        let outcome = sender.send(dist);
        let (state, detail) = match &outcome {
            ReportOutcome::Sent { grade, id } => ("sent", format!("{} {id}", grade.as_str())),
            ReportOutcome::Discarded { reason } => ("discarded", reason.clone()),
            ReportOutcome::Failed { why } => ("failed", why.clone()),
        };
        if json {
            println!(
                "{}",
                serde_json::json!({"step": "report", "subject": dist.path, "state": state, "detail": detail})
            );
        } else {
            match &outcome {
                ReportOutcome::Sent { grade, id } => println!(
                    "reported: {} {} ({id})",
                    dist.path,
                    grade.as_str().to_uppercase()
                ),
                ReportOutcome::Discarded { reason } => {
                    let first = reason.lines().next().unwrap_or_default();
                    println!("not reported: {}: {first}", dist.path)
                }
                ReportOutcome::Failed { why } => {
                    eprintln!("report not sent: {}: {why}", dist.path)
                }
            }
        }
    }
}
