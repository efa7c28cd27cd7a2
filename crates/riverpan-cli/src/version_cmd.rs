//! `riverpan version`: Perl version strings as `version.pm` sees them.  A stable scripting
//! interface: the `--json` keys, the `--cmp`/`--vcmp` output and the exit codes are specified
//! in the help text below and covered by tests.

use std::cmp::Ordering;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use cpan_version::Version;
use serde::Serialize;

use crate::input::{for_each_input, for_each_line};

/// Help text after the options: the exact output contract.
const VERSION_AFTER_HELP: &str = "\
Input:
  Each STRING argument is one input. Without arguments, each line of standard input is one
  input: the trailing \"\\n\" and a trailing \"\\r\" are removed, all other white space is kept
  (it is part of the version string). Arguments that begin with \"-\" must come after \"--\".

Output:
  (default)  one line per input for people, e.g.
             1.02_03  stringify=1.02_03 numify=1.020300 normal=v1.20.300 alpha lax
  --json     one JSON object per line (JSON Lines) with the keys, in this order:
             input, valid, lax, strict, stringify, numify, normal, is_alpha, is_qv
             and \"error\" when \"valid\" is false: the version.pm message class (the words in
             parentheses of \"Invalid version format (non-numeric data)\"). For invalid input
             stringify, numify, normal, is_alpha and is_qv are null; lax and strict are always
             booleans: version::is_lax and version::is_strict of the input.
  --cmp      reads lines \"A B\" from standard input (or takes A and B as two arguments) and
             prints -1, 0 or 1 per line: version.pm's  A <=> B . The line is split at its first
             tab if it has one, otherwise at its first run of white space. When a side does not
             parse the line prints \"error: <version.pm message>\" instead.
  --vcmp     the same with CPAN::Version->vcmp(A, B), which accepts any strings.

Exit status:
  0  every input was reported on (an invalid version is a result: see \"valid\")
  1  a --cmp/--vcmp line could not be compared (reported as \"error: ...\"), or an I/O error
  2  usage error

Examples:
  riverpan version 1.02_03 v1.2.3_0
  riverpan version --json 1.02_03 abc
  printf '1.10 1.9\\nv1.10 v1.9\\n' | riverpan version --cmp
  printf '1.0-TRIAL\\t1.0\\n' | riverpan version --vcmp";

/// Parse Perl version strings like version.pm, or compare them.
#[derive(Debug, Args)]
#[command(
    long_about = "Parse Perl version strings exactly as Perl's version.pm does \
        (version->parse), and show what it makes of them: stringify, numify, normal, is_alpha, \
        is_qv, and whether the string matches version::is_lax / version::is_strict. With \
        --cmp or --vcmp, compare pairs of versions instead.",
    after_help = VERSION_AFTER_HELP,
    group(ArgGroup::new("comparison").args(["cmp", "vcmp"]))
)]
pub(crate) struct VersionArgs {
    /// Print one JSON object per input (JSON Lines); the keys are listed below.
    #[arg(long, conflicts_with = "comparison")]
    json: bool,

    /// Compare "A B" pairs with version.pm's <=> and print -1, 0 or 1.
    #[arg(long)]
    cmp: bool,

    /// Compare "A B" pairs with CPAN::Version->vcmp and print -1, 0 or 1.
    #[arg(long)]
    vcmp: bool,

    /// Version strings [default: the lines of standard input].
    #[arg(value_name = "STRING")]
    strings: Vec<String>,
}

/// One `--json` line.  Field order is the key order of the output: do not reorder.
#[derive(Debug, Serialize)]
struct VersionReport<'a> {
    input: &'a str,
    valid: bool,
    lax: bool,
    strict: bool,
    stringify: Option<String>,
    numify: Option<String>,
    normal: Option<String>,
    is_alpha: Option<bool>,
    is_qv: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> VersionReport<'a> {
    fn new(input: &'a str) -> VersionReport<'a> {
        let lax = cpan_version::is_lax(input);
        let strict = cpan_version::is_strict(input);
        match Version::parse(input) {
            Ok(version) => VersionReport {
                input,
                valid: true,
                lax,
                strict,
                stringify: Some(version.stringify()),
                numify: Some(version.numify()),
                normal: Some(version.normal()),
                is_alpha: Some(version.is_alpha()),
                is_qv: Some(version.is_qv()),
                error: None,
            },
            Err(error) => VersionReport {
                input,
                valid: false,
                lax,
                strict,
                stringify: None,
                numify: None,
                normal: None,
                is_alpha: None,
                is_qv: None,
                error: Some(error.class().to_owned()),
            },
        }
    }

    /// The human-readable line (not part of the stable interface).
    fn human_line(&self) -> String {
        let mut line = display_input(self.input);
        match (&self.stringify, &self.numify, &self.normal) {
            (Some(stringify), Some(numify), Some(normal)) => {
                line.push_str(&format!(
                    "  stringify={stringify} numify={numify} normal={normal}"
                ));
            }
            _ => line.push_str("  invalid"),
        }
        if let Some(error) = &self.error {
            line.push_str(&format!(" ({error})"));
        }
        for (flag, set) in [
            ("alpha", self.is_alpha == Some(true)),
            ("qv", self.is_qv == Some(true)),
            ("lax", self.lax),
            ("strict", self.strict),
        ] {
            if set {
                line.push(' ');
                line.push_str(flag);
            }
        }
        line
    }
}

/// The input as people should see it: quoted when white space or control characters (or
/// emptiness) would otherwise be invisible.
fn display_input(input: &str) -> String {
    if input.is_empty() || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{input:?}")
    } else {
        input.to_owned()
    }
}

/// Which comparison `--cmp`/`--vcmp` asked for.
#[derive(Debug, Clone, Copy)]
enum Comparison {
    /// `version.pm`'s `<=>`: both sides must parse.
    VersionPm,
    /// `CPAN::Version->vcmp`: any strings.
    CpanVcmp,
}

impl Comparison {
    /// The comparison of `a` and `b`, or version.pm's message when one does not parse.
    fn compare(self, a: &str, b: &str) -> Result<Ordering, String> {
        match self {
            Comparison::VersionPm => {
                let a = Version::parse(a).map_err(|error| error.to_string())?;
                let b = Version::parse(b).map_err(|error| error.to_string())?;
                Ok(a.cmp(&b))
            }
            Comparison::CpanVcmp => Ok(cpan_version::vcmp(a, b)),
        }
    }
}

/// Runs `riverpan version`.
pub(crate) fn run(args: &VersionArgs) -> anyhow::Result<ExitCode> {
    let comparison = match (args.cmp, args.vcmp) {
        (true, _) => Some(Comparison::VersionPm),
        (_, true) => Some(Comparison::CpanVcmp),
        _ => None,
    };
    let stdout = io::stdout();
    // Stdout is line-buffered: every answer is flushed as soon as it is written, so a program
    // can keep `riverpan version --json` open as a co-process and ask one line at a time.
    let mut out = stdout.lock();
    if let Some(comparison) = comparison {
        return compare_pairs(comparison, &args.strings, &mut out);
    }
    for_each_input(&args.strings, "version strings", |input| {
        let report = VersionReport::new(input);
        if args.json {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{}", report.human_line())?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `--cmp`/`--vcmp`: one answer per pair; exit status 1 if any pair failed.
fn compare_pairs(
    comparison: Comparison,
    strings: &[String],
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut all_compared = true;
    match strings {
        [] => for_each_line(io::stdin().lock(), |line| {
            all_compared &= write_answer(comparison, split_pair(line), out)?;
            Ok(())
        })?,
        [a, b] => all_compared = write_answer(comparison, Some((a, b)), out)?,
        _ => crate::usage_error(format!(
            "--cmp and --vcmp take two STRING arguments (A and B) or none (lines of standard \
             input), not {}",
            strings.len()
        )),
    }
    Ok(if all_compared {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes the answer for one pair (`None`: the line held no pair) and says whether it was a
/// comparison rather than an error.  Every input line gets exactly one output line, so that
/// answers stay aligned with questions.
fn write_answer(
    comparison: Comparison,
    pair: Option<(&str, &str)>,
    out: &mut impl Write,
) -> io::Result<bool> {
    let Some((a, b)) = pair else {
        writeln!(
            out,
            "error: expected two versions separated by white space or a tab"
        )?;
        return Ok(false);
    };
    match comparison.compare(a, b) {
        Ok(ordering) => {
            writeln!(out, "{}", ordering as i8)?;
            Ok(true)
        }
        Err(message) => {
            writeln!(out, "error: {message}")?;
            Ok(false)
        }
    }
}

/// Splits a `--cmp` line into A and B: at the first tab if there is one (both sides kept as
/// they are, white space included), otherwise at the first run of ASCII white space.
fn split_pair(line: &str) -> Option<(&str, &str)> {
    if let Some(pair) = line.split_once('\t') {
        return Some(pair);
    }
    let start = line.find(|c: char| c.is_ascii_whitespace())?;
    let a = &line[..start];
    let b = line[start..].trim_start_matches(|c: char| c.is_ascii_whitespace());
    if b.is_empty() {
        None
    } else {
        Some((a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_at_the_first_tab_or_white_space_run() {
        assert_eq!(split_pair("1.0 2.0"), Some(("1.0", "2.0")));
        assert_eq!(split_pair("1.0 \t  2.0"), Some(("1.0 ", "  2.0")));
        assert_eq!(split_pair("1.0   2.0"), Some(("1.0", "2.0")));
        assert_eq!(split_pair("1.0\t 2.0 "), Some(("1.0", " 2.0 ")));
        assert_eq!(split_pair("1.0\t"), Some(("1.0", "")));
        assert_eq!(split_pair("1.0 2.0 3.0"), Some(("1.0", "2.0 3.0")));
        assert_eq!(split_pair("1.0"), None);
        assert_eq!(split_pair("1.0   "), None);
        assert_eq!(split_pair(""), None);
    }

    #[test]
    fn invisible_inputs_are_quoted_for_people() {
        assert_eq!(display_input("1.02_03"), "1.02_03");
        assert_eq!(display_input(" 1.0"), "\" 1.0\"");
        assert_eq!(display_input(""), "\"\"");
    }
}
