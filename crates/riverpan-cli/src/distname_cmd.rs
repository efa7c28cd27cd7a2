//! `riverpan distname`: CPAN distribution paths split as `CPAN::DistnameInfo` splits them.  A
//! stable scripting interface: the `--json` keys and their order are specified in the help text
//! below and covered by tests.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use cpan_distname::DistnameInfo;
use serde::Serialize;

use crate::input::for_each_input;

const DISTNAME_AFTER_HELP: &str = "\
Input:
  Each PATH argument is one input. Without arguments, each line of standard input is one input
  (the trailing \"\\n\" and a trailing \"\\r\" are removed). Any string is accepted; parts that
  cannot be determined are undef (null).

Output:
  (default)  a block of aligned \"key: value\" lines per path, blocks separated by an empty line
  --json     one JSON object per line (JSON Lines) with always these eight keys, in this order:
             dist, version, maturity, cpanid, distvname, extension, filename, pathname
             (null where CPAN::DistnameInfo returns undef; maturity is \"released\" or
             \"developer\")

Exit status: 0 (every path gets an answer); 1 on I/O errors; 2 on usage errors.

Examples:
  riverpan distname authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz
  riverpan distname --json authors/id/M/MS/MSCHWERN/Test-Simple-0.48_01.tar.gz
  zcat 02packages.details.txt.gz | tail -n +10 | awk '{print \"authors/id/\" $3}' \\
      | riverpan distname --json";

/// Split CPAN distribution paths into dist, version, maturity, author, … like CPAN::DistnameInfo.
#[derive(Debug, Args)]
#[command(
    long_about = "Split CPAN distribution paths (authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz) into \
        distribution name, version, maturity, CPAN author id, extension and file name, exactly \
        as Perl's CPAN::DistnameInfo 0.12 does, the way PAUSE, MetaCPAN and CPAN clients guess \
        them.",
    after_help = DISTNAME_AFTER_HELP
)]
pub(crate) struct DistnameArgs {
    /// Print one JSON object per path (JSON Lines); the keys are listed below.
    #[arg(long)]
    json: bool,

    /// Distribution paths [default: the lines of standard input].
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
}

/// One `--json` line.  Field order is the key order of the output: do not reorder.
#[derive(Debug, Serialize)]
struct DistnameReport<'a> {
    dist: Option<&'a str>,
    version: Option<&'a str>,
    maturity: Option<&'a str>,
    cpanid: Option<&'a str>,
    distvname: Option<&'a str>,
    extension: Option<&'a str>,
    filename: Option<&'a str>,
    pathname: Option<&'a str>,
}

impl<'a> DistnameReport<'a> {
    fn new(info: &'a DistnameInfo) -> DistnameReport<'a> {
        DistnameReport {
            dist: info.dist(),
            version: info.version(),
            maturity: info.maturity(),
            cpanid: info.cpanid(),
            distvname: info.distvname(),
            extension: info.extension(),
            filename: info.filename(),
            pathname: info.pathname(),
        }
    }

    /// The fields in output order, for the human-readable block.
    fn fields(&self) -> [(&'static str, Option<&'a str>); 8] {
        [
            ("dist", self.dist),
            ("version", self.version),
            ("maturity", self.maturity),
            ("cpanid", self.cpanid),
            ("distvname", self.distvname),
            ("extension", self.extension),
            ("filename", self.filename),
            ("pathname", self.pathname),
        ]
    }
}

/// Runs `riverpan distname`.
pub(crate) fn run(args: &DistnameArgs) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut first = true;
    for_each_input(&args.paths, "distribution paths", |path| {
        let info = DistnameInfo::new(path);
        let report = DistnameReport::new(&info);
        if args.json {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        } else {
            if !first {
                writeln!(out)?;
            }
            for (key, value) in report.fields() {
                // "distvname:" is the longest label; values start in one column.
                writeln!(
                    out,
                    "{:<11}{}",
                    format!("{key}:"),
                    value.unwrap_or("(undef)")
                )?;
            }
        }
        first = false;
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
