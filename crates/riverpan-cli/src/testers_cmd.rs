//! `riverpan testers`: CPAN Testers data in the store — the perls with reports, Blead Breaks
//! CPAN, and a generator of synthetic reports for trying it out.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use riverpan_testers::generate::Generator;
use riverpan_testers::{ingest, query, store, PerlVersion};

use crate::GlobalOptions;

/// CPAN Testers: perls with reports, Blead Breaks CPAN, synthetic reports.
#[derive(Debug, Args)]
pub(crate) struct TestersArgs {
    #[command(subcommand)]
    command: TestersCommand,
}

#[derive(Debug, Subcommand)]
enum TestersCommand {
    /// List the perls with reports and the latest stable and development perl (computed from
    /// the reports, nothing hard-coded).
    Perls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Blead Breaks CPAN: dists whose latest release passes on the old perl and fails on the
    /// new one (andk's candidate filter; strong candidates first).
    Bbc {
        /// The old perl [default: the latest stable perl with reports].
        #[arg(long, value_name = "PERL")]
        old: Option<String>,
        /// The new perl [default: the latest development perl with reports].
        #[arg(long, value_name = "PERL")]
        new: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fill the store with N synthetic reports (deterministic for a seed).
    Generate {
        /// Number of reports.
        #[arg(value_name = "N")]
        count: usize,
        /// Number of distributions.
        #[arg(long, default_value_t = 2_000)]
        dists: usize,
        /// Random seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

fn parse_perl(s: Option<&str>) -> anyhow::Result<Option<PerlVersion>> {
    s.map(|s| PerlVersion::parse(s).with_context(|| format!("--old/--new {s:?}")))
        .transpose()
}

/// Runs `riverpan testers ...`.
pub(crate) fn run(globals: &GlobalOptions, args: &TestersArgs) -> anyhow::Result<ExitCode> {
    let mut conn = store::open(&globals.data_dir)
        .with_context(|| format!("opening the store in {}", globals.data_dir.display()))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match &args.command {
        TestersCommand::Perls { json } => {
            let perls = query::perls(&conn)?;
            let (stable, dev) = query::latest_perls(&conn)?;
            if *json {
                let value = serde_json::json!({
                    "latest_stable": stable.map(|p| p.to_string()),
                    "latest_development": dev.map(|p| p.to_string()),
                    "perls": perls,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            } else {
                let show = |p: Option<PerlVersion>| p.map_or("-".to_string(), |p| p.to_string());
                writeln!(out, "latest stable:      {}", show(stable))?;
                writeln!(out, "latest development: {}", show(dev))?;
                for p in perls.iter().rev() {
                    writeln!(out, "{:<16} {:<18} {:>10}", p.perl, p.kind, p.reports)?;
                }
            }
        }
        TestersCommand::Bbc { old, new, json } => {
            let old = parse_perl(old.as_deref())?;
            let new = parse_perl(new.as_deref())?;
            let bbc = query::bbc(&conn, old, new)?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&bbc)?)?;
            } else {
                writeln!(
                    out,
                    "# {} candidates, old perl {}, new perl {} (* = passes old, fails new)",
                    bbc.candidates.len(),
                    bbc.old,
                    bbc.new
                )?;
                for e in &bbc.candidates {
                    writeln!(
                        out,
                        "{} {}/{}-{}  old {}/{}  new {}/{}  first fail {}  last pass {}  {}",
                        if e.strong { "*" } else { " " },
                        e.author.as_deref().unwrap_or("?"),
                        e.dist,
                        e.version,
                        e.old.pass,
                        e.old.fail,
                        e.new.pass,
                        e.new.fail,
                        e.first_failing_dev_perl.as_deref().unwrap_or("-"),
                        e.last_passing_dev_perl.as_deref().unwrap_or("-"),
                        e.sample_fail_reports.first().map_or("", String::as_str),
                    )?;
                }
            }
        }
        TestersCommand::Generate { count, dists, seed } => {
            let mut generator = Generator::new(*seed, (*dists).max(1));
            let mut done = 0;
            let mut stored = 0;
            while done < *count {
                let n = 5_000.min(count - done);
                let outcome = ingest::ingest(&mut conn, &generator.batch(n))?;
                stored += outcome
                    .iter()
                    .filter(|o| matches!(o, ingest::Ingested::Stored(_)))
                    .count();
                done += n;
            }
            writeln!(
                out,
                "generated {done} reports ({stored} new, {} duplicates of an earlier run with the same seed)",
                done - stored
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_then_bbc() {
        let dir = tempfile::tempdir().unwrap();
        let globals = GlobalOptions {
            data_dir: dir.path().to_path_buf(),
            config_file: None,
        };
        let generate = TestersArgs {
            command: TestersCommand::Generate {
                count: 2_000,
                dists: 50,
                seed: 1,
            },
        };
        run(&globals, &generate).unwrap();
        let conn = store::open(dir.path()).unwrap();
        assert_eq!(store::report_count(&conn).unwrap(), 2_000);
        let (stable, dev) = query::latest_perls(&conn).unwrap();
        assert_eq!(stable.unwrap().to_string(), "5.42.0");
        assert_eq!(dev.unwrap().to_string(), "5.43.9");
        assert!(parse_perl(Some("nonsense")).is_err());
    }
}
