//! `riverpan inspect`: what PAUSE's indexer sees in distribution archives — the META file it
//! uses, whether it indexes the dist at all, how it finds packages, and the packages and
//! versions it records. A stable scripting interface: the `--json` keys are specified in the help.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use cpan_archive::Limits;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use riverpan_inspect::{inspect_file, DistInspection, IndexMethod};

use crate::input::for_each_input;

const INSPECT_AFTER_HELP: &str = "\
Input:
  Each TARBALL argument is one archive (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar, .zip); without
  arguments, each line of standard input is a path. The CPAN name rules (developer releases, perl
  releases) look at the part of the path after authors/id/ when there is one, else the file name.
  Archives are read in memory, never unpacked, and no code from them is run.

Output:
  (default)  a readable summary per archive
  --json     one JSON object per line (JSON Lines), keys in this order:
             file      the path as given
             skip      null, or why PAUSE would not index the distribution at all
             meta      the archive path of the META file used, or null
             method    \"meta\" (META provides) or \"files\" (.pm files scanned), or null
             packages  {\"Package::Name\": {\"version\": \"1.23\", \"file\": \"lib/Package/Name.pm\"}}
                       version as PAUSE records it (\"undef\" when none); file relative to the
                       distribution's root directory. Listed even when skip is set.
             problems  [{\"code\": \"...\", \"message\": \"...\"}] everything PAUSE would warn
                       about or refuse

Exit status: 0 when every archive could be read (even if PAUSE would refuse it); 1 when a file
could not be read at all (missing, unreadable, corrupt); 2 on usage errors.

Examples:
  riverpan inspect Foo-Bar-1.23.tar.gz
  riverpan inspect --json ~/cpan/authors/id/N/NE/NEILB/*.tar.gz | jq .packages
  find minicpan/authors -name '*.tar.gz' | riverpan inspect --json > inspection.jsonl";

/// See a distribution archive the way PAUSE's indexer sees it.
#[derive(Debug, Args)]
#[command(
    long_about = "Read distribution archives the way PAUSE's indexer reads them and report which \
        META file counts, whether the distribution would be indexed, how packages are found \
        (META provides or .pm files), each package with the version PAUSE records, and every \
        problem PAUSE would warn about or refuse. Hostile archives are refused with a reason.",
    after_help = INSPECT_AFTER_HELP
)]
pub(crate) struct InspectArgs {
    /// Print one JSON object per archive (JSON Lines); the keys are listed below.
    #[arg(long)]
    json: bool,

    /// Inspect this many archives at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,

    /// Archives [default: the lines of standard input].
    #[arg(value_name = "TARBALL")]
    tarballs: Vec<String>,
}

pub(crate) fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let mut paths = Vec::new();
    for_each_input(&args.tarballs, "archive paths", |path| {
        paths.push(path.to_string());
        Ok(())
    })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    let limits = Limits::default();
    let progress = if paths.len() >= 50 {
        let bar = ProgressBar::new(paths.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} archives {eta}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let results: Vec<Result<DistInspection, String>> = pool.install(|| {
        paths
            .par_iter()
            .map(|path| {
                let result = inspect_file(Path::new(path), &limits).map_err(|e| e.to_string());
                progress.inc(1);
                result
            })
            .collect()
    });
    progress.finish_and_clear();

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for result in &results {
        match result {
            Ok(inspection) => {
                failed |= unreadable(inspection);
                if args.json {
                    serde_json::to_writer(&mut out, inspection)?;
                    writeln!(out)?;
                } else {
                    write_human(&mut out, inspection)?;
                }
            }
            Err(message) => {
                failed = true;
                eprintln!("riverpan inspect: {message}");
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Corrupt or truncated archives count as unreadable for the exit status.
fn unreadable(inspection: &DistInspection) -> bool {
    inspection
        .problems
        .iter()
        .any(|problem| matches!(problem.code.as_str(), "corrupt" | "truncated"))
}

fn write_human(out: &mut impl Write, inspection: &DistInspection) -> io::Result<()> {
    writeln!(out, "{}", inspection.file)?;
    match &inspection.skip {
        Some(reason) => writeln!(out, "  not indexed: {reason}")?,
        None => writeln!(out, "  indexed by PAUSE: yes")?,
    }
    writeln!(
        out,
        "  META file:   {}",
        inspection.meta.as_deref().unwrap_or("(none used)")
    )?;
    let method = match inspection.method {
        Some(IndexMethod::Meta) => "META provides",
        Some(IndexMethod::Files) => "scanning .pm files",
        None => "(none)",
    };
    writeln!(out, "  method:      {method}")?;
    if inspection.packages.is_empty() {
        writeln!(out, "  packages:    (none)")?;
    } else {
        writeln!(out, "  packages:")?;
        let width = inspection
            .packages
            .keys()
            .map(|name| name.chars().count())
            .max()
            .unwrap_or(0);
        let vwidth = inspection
            .packages
            .values()
            .map(|package| package.version.chars().count())
            .max()
            .unwrap_or(0);
        for (name, package) in &inspection.packages {
            writeln!(
                out,
                "    {name:<width$}  {:<vwidth$}  {}",
                package.version, package.file
            )?;
        }
    }
    if !inspection.problems.is_empty() {
        writeln!(out, "  problems:")?;
        for problem in &inspection.problems {
            writeln!(out, "    [{}] {}", problem.code, problem.message)?;
        }
    }
    writeln!(out)
}
