//! `riverpan testers`: CPAN Testers data in the store — the perls with reports, Blead Breaks
//! CPAN (also as andk's beforemaintrelease files), one stored report, and a generator of
//! synthetic reports for trying it out.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
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
    /// new one ("breaks"), then those the new perl fixed ("fixed"), then those with mixed
    /// results ("mixed"), each under its heading (andk's candidate filter; strong candidates,
    /// with no mixed results on either perl, first).
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
    /// Write andk's beforemaintrelease data: `result-<old>:<new>.json` (every dist-version
    /// with reports on either perl that andk's filter keeps, with its pass/fail/na/unknown
    /// counts on both) and the `overview.json` that maps each pair to its last update.
    Beforemaintrelease {
        /// The old perl [default: the latest stable perl with reports].
        #[arg(long, value_name = "PERL")]
        old: Option<String>,
        /// The new perl [default: the latest development perl with reports].
        #[arg(long, value_name = "PERL")]
        new: Option<String>,
        /// Directory of the result files and overview.json.
        #[arg(long, value_name = "DIR", default_value = ".")]
        output: PathBuf,
        /// Print what was written as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print one stored report: a header and the report text, or the v3 JSON.
    Report {
        /// The report id (Metabase guid or v3 uuid).
        #[arg(value_name = "ID")]
        id: String,
        /// Print the stored v3 report JSON.
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

/// The text form of a BBC answer: a summary line, then the candidates of each verdict under
/// their own heading, breaks first (the answer is already in that order).
fn write_bbc_text(out: &mut impl Write, bbc: &query::Bbc) -> io::Result<()> {
    let count = |verdict| {
        bbc.candidates
            .iter()
            .filter(|e| e.verdict == verdict)
            .count()
    };
    writeln!(
        out,
        "# {} candidates, old perl {}, new perl {}: {} break, {} fixed, {} mixed (* = strong: no mixed results on either perl)",
        bbc.candidates.len(),
        bbc.old,
        bbc.new,
        count(query::Verdict::Breaks),
        count(query::Verdict::Fixed),
        count(query::Verdict::Mixed),
    )?;
    for verdict in query::Verdict::ALL {
        let n = count(verdict);
        if n == 0 {
            continue;
        }
        let heading = match verdict {
            query::Verdict::Breaks => format!("Breaks on {}", bbc.new),
            query::Verdict::Fixed => format!("Fixed by {}", bbc.new),
            query::Verdict::Mixed => "Mixed results".to_string(),
        };
        writeln!(out)?;
        writeln!(out, "## {heading} ({n})")?;
        for e in bbc.candidates.iter().filter(|e| e.verdict == verdict) {
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
    Ok(())
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
                write_bbc_text(&mut out, &bbc)?;
            }
        }
        TestersCommand::Beforemaintrelease {
            old,
            new,
            output,
            json,
        } => {
            let old = parse_perl(old.as_deref())?;
            let new = parse_perl(new.as_deref())?;
            let written = write_beforemaintrelease(&conn, old, new, output)?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&written)?)?;
            } else {
                writeln!(
                    out,
                    "wrote {} ({} candidate dist-versions of {} with reports on {}, {} reports); updated {}",
                    written["result"].as_str().unwrap_or_default(),
                    written["candidates"],
                    written["totalrcdists"],
                    written["new"].as_str().unwrap_or_default(),
                    written["reports_on_new"],
                    written["overview"].as_str().unwrap_or_default(),
                )?;
            }
        }
        TestersCommand::Report { id, json } => {
            let Some(report) = store::report_json(&conn, id)? else {
                anyhow::bail!("no report {id}");
            };
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                write_report_text(&mut out, &report)?;
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

/// Writes `result-<old>:<new>.json` and merges `"<old>:<new>": datetime` into
/// `overview.json` in `dir`, each atomically (temporary file, fsync, rename), and says what it
/// wrote.
fn write_beforemaintrelease(
    conn: &riverpan_testers::rusqlite::Connection,
    old: Option<PerlVersion>,
    new: Option<PerlVersion>,
    dir: &Path,
) -> anyhow::Result<serde_json::Value> {
    let (stable, dev) = query::latest_perls(conn)?;
    let old = old
        .or(stable)
        .context("no stable perl has reports; give --old")?;
    let new = new
        .or(dev)
        .context("no development perl has reports; give --new")?;
    // andk's timestamps: UTC, to the second, without a zone letter.
    let now = ingest::now_rfc3339();
    let datetime = now.trim_end_matches('Z');
    let data = query::beforemaintrelease(conn, &old, &new, datetime)?;
    let pair = format!("{}:{}", old.andk_name(), new.andk_name());
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let result_path = dir.join(format!("result-{pair}.json"));
    riverpan_publish::write_atomically(&result_path, data.as_bytes())
        .with_context(|| format!("writing {}", result_path.display()))?;

    let overview_path = dir.join("overview.json");
    let mut overview = match std::fs::read(&overview_path) {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(map)) => map,
            // Never overwrite a file we cannot read back: it holds other pairs' history.
            _ => anyhow::bail!("{} is not a JSON object", overview_path.display()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", overview_path.display())),
    };
    overview.insert(pair.clone(), serde_json::json!(datetime));
    let overview_text = query::andk_json(&serde_json::Value::Object(overview));
    riverpan_publish::write_atomically(&overview_path, overview_text.as_bytes())
        .with_context(|| format!("writing {}", overview_path.display()))?;

    let parsed: serde_json::Value = serde_json::from_str(&data)?;
    let all = &parsed["!ALL"];
    let candidates: usize = parsed["!CAND"]
        .as_object()
        .map(|dists| {
            dists
                .values()
                .filter_map(serde_json::Value::as_object)
                .map(serde_json::Map::len)
                .sum()
        })
        .unwrap_or(0);
    Ok(serde_json::json!({
        "old": old.andk_name(),
        "new": new.andk_name(),
        "datetime": datetime,
        "result": result_path.display().to_string(),
        "overview": overview_path.display().to_string(),
        "candidates": candidates,
        "totalrcdists": all["totalrcdists"],
        "reports_on_new": all[new.andk_name()],
    }))
}

/// A stored report for a person: what, where, by whom, then the report text.
fn write_report_text(out: &mut impl Write, report: &serde_json::Value) -> io::Result<()> {
    let text = |ptr: &str| report.pointer(ptr).and_then(|v| v.as_str()).unwrap_or("-");
    writeln!(out, "id:        {}", text("/id"))?;
    writeln!(
        out,
        "dist:      {} {}",
        text("/distribution/name"),
        text("/distribution/version")
    )?;
    writeln!(out, "grade:     {}", text("/result/grade"))?;
    writeln!(
        out,
        "perl:      {} {}",
        text("/environment/language/version"),
        text("/environment/language/archname")
    )?;
    writeln!(
        out,
        "os:        {} {}",
        text("/environment/system/osname"),
        text("/environment/system/osversion")
    )?;
    writeln!(
        out,
        "reporter:  {} <{}>",
        text("/reporter/name"),
        text("/reporter/email")
    )?;
    writeln!(out, "created:   {}", text("/created"))?;
    writeln!(out)?;
    // The report text as TestReport::text() builds it.
    let output = report.pointer("/result/output");
    let field = |k: &str| output.and_then(|o| o.get(k)).and_then(|v| v.as_str());
    let body = match field("uncategorized") {
        Some(all) => all.to_string(),
        None => ["configure", "build", "test", "install"]
            .iter()
            .filter_map(|k| field(k))
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    writeln!(out, "{body}")
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
            verbose: 0,
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
