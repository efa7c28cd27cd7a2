//! Grading one configure, build or test run exactly as CPAN::Reporter does.
//!
//! Ported from CPAN::Reporter 1.2020 (`lib/CPAN/Reporter.pm`, the newest release; Debian 12
//! ships 1.2018, which lacks rule T6b below).  CPAN.pm calls `grade_PL` after `perl
//! Makefile.PL`/`perl Build.PL`, `grade_make` after `make`/`./Build` and `grade_test` after
//! `make test`/`./Build test`; each computes a grade from the exit status and the captured
//! output, then `_downgrade_known_causes` may turn it into `na` or `discard`.  A passing
//! configure or build is not reported (CPAN.pm goes on to the next phase); every other grade
//! is, except `discard`, which sends nothing.  CPAN::Reporter does not grade `make install`.
//!
//! The rules, in the order they are applied (the name in brackets is the Perl code ported):
//!
//! **Configure and build** (`_compute_PL_grade`, `_compute_make_grade`)
//! * C1. exit status ≠ 0 → `unknown`, "Stopped with an error"; else `pass`, "No errors".
//!
//! **Test** (`_compute_test_grade`)
//! * T1. `make test` (the command looks like make, `_is_make`) with a `test.pl` or more than
//!   one `Makefile.PL` outside `t/` (`_has_recursive_make`): the exit status alone decides —
//!   `fail` "'make test' error detected" or `pass` "'make test' no errors".
//! * Otherwise the output lines are read **from the last one backwards**, stopping at the first
//!   line that decides:
//!   * T2. `No support for OS` or `OS unsupported` anywhere in the line, any case → `na`,
//!     "This platform is not supported";
//!   * T3. the line starts with `No tests defined` (after at most one character; Module::Build
//!     and MakeMaker without `t/` print it) → `unknown`, "No tests provided";
//!   * with Test::Harness > 2.99_01 (`_parse_tap_harness`, [`Harness::Tap`]):
//!     * T4. `^Result:\s+([A-Z]+)` with `PASS` → `pass` "All tests successful", `FAIL` →
//!       `fail` "One or more tests failed", `NOTESTS` → `unknown` "No tests were run" (any
//!       other word: the line decides nothing);
//!     * T5. `Bailout called.  Further testing stopped` → `fail`, "Bailed out of tests";
//!     * T6b. `FAILED--Further testing stopped` (TAP::Harness 3.49+) → `fail`, same (1.2020);
//!   * with an older Test::Harness (`_parse_test_harness`, [`Harness::Legacy`]):
//!     * T7. `^All tests successful` → `pass`; `^FAILED--no tests were run` and
//!       `^FAILED--….--no output` → `unknown` "No tests were run";
//!       `FAILED--Further testing stopped` → `fail` "Bailed out of tests"; `^Failed ` → `fail`
//!       "One or more tests failed";
//!   * T8. no line decided → exit status ≠ 0 → `fail`, else `pass` ("'make test' error
//!     detected" / "'Build test' no errors"...).  The `Files=.., Tests=..` line plays no part.
//!
//! **Downgrades** (`_downgrade_known_causes`), skipped when the grade is `na`, or `pass` in any
//! phase but configure:
//! * D1. killed by a signal (`$? & 127`) → **discard**, "Command interrupted".  CPAN::Reporter's
//!   timeout wrapper kills the command and forces its status to 9 (SIGKILL), so a run killed
//!   for exceeding the timeout is discarded, not failed — unless its output already graded it
//!   `pass` (never downgraded) or `na`.
//! * The output lines are read **forwards**, stopping at the first that shows one of:
//!   * D2. (test phase) `open3: IO::Pipe: Can't spawn…TAP/Parser/Iterator/Process.pm` →
//!     **discard**, "Test harness failure";
//!   * D3. a perl-version error, any case: `Perl … required…--this is only` (not after
//!     `skipped: `), MakeMaker's `Perl version … or higher required. We run`, Module::Build's
//!     `ERROR: perl: Version … is installed, but we need version` and
//!     `ERROR: perl (…) is installed, but we need version`, `Error evaling version line
//!     'BEGIN`, `Could not eval '` → `na`, "Perl version too low";
//!   * D4. `No support for OS`/`OS unsupported`, any case → `na`, "This platform is not
//!     supported" (this also catches a configure step that printed it and exited 0);
//! * D3 also applies when the prerequisite table flags `perl` itself (`! perl`).
//! * D5. test phase under make whose `Makefile` has no `test:` target → `unknown`, "No make
//!   test target".
//! * D6. not `pass`, and a prerequisite is missing (`n/a` in the table) → **discard**,
//!   "Prerequisite missing:" and the table.
//! * D7. not `pass`, and a prerequisite is flagged `!` (too old, broken) → **discard**,
//!   "Prerequisite version too low:" and the table.
//! * D8. configure passed but wrote neither `Makefile` nor `Build` (the Devel::CheckLib /
//!   Devel::AssertOS "exit 0 without a Makefile" convention) → **discard**, "No Makefile or
//!   Build file found".
//! * D9. the command matches `Build.*?-j` → **discard** (old CPAN.pm passing `-j` to
//!   Module::Build).
//! * D10. build phase under make whose output says `Makefile out-of-date with respect to
//!   Makefile.PL` → **discard**, "Makefile out-of-date".

use serde::{Deserialize, Serialize};

use crate::prereq::{prereq_report, Prereq};
use crate::text;

/// The four CPAN Testers grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// Built and tested correctly.
    Pass,
    /// The tests failed.
    Fail,
    /// Failed to build, no test suite, or inconclusive.
    Unknown,
    /// Not applicable to this platform or perl version.
    Na,
}

impl Grade {
    /// The grade as CPAN Testers spells it (`pass`, `fail`, `unknown`, `na`).
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Pass => "pass",
            Grade::Fail => "fail",
            Grade::Unknown => "unknown",
            Grade::Na => "na",
        }
    }
}

/// The phases CPAN::Reporter grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// `perl Makefile.PL` / `perl Build.PL` (CPAN::Reporter's `PL`).
    Configure,
    /// `make` / `./Build` (CPAN::Reporter's `make`).
    Build,
    /// `make test` / `./Build test`.
    Test,
}

impl Phase {
    /// `configure`, `build`, `test`: the v3 report's output keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Build => "build",
            Phase::Test => "test",
        }
    }

    /// The name CPAN::Reporter uses (`PL`, `make`, `test`).
    pub fn cpan_reporter_name(self) -> &'static str {
        match self {
            Phase::Configure => "PL",
            Phase::Build => "make",
            Phase::Test => "test",
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
}

impl ExitStatus {
    /// Perl's `$?` for this status (`code << 8`, or the signal number), which is what
    /// CPAN::Reporter's `exit_value` holds.
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => (code & 0xff) << 8,
            ExitStatus::Signaled(sig) => sig & 0x7f,
        }
    }
}

/// Which Test::Harness output CPAN::Reporter looks for; it chooses by the tester's
/// Test::Harness version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Harness {
    /// Test::Harness > 2.99_01, i.e. TAP::Harness (every perl since 5.10.1): the
    /// `Result: PASS|FAIL|NOTESTS` line.
    #[default]
    Tap,
    /// Test::Harness 2.x: `All tests successful`, `Failed `, `FAILED--...`.
    Legacy,
}

impl Harness {
    /// CPAN::Reporter's choice: `CPAN::Version->vgt($version, '2.99_01')` selects
    /// [`Harness::Tap`].
    pub fn for_test_harness_version(version: &str) -> Harness {
        if cpan_version::vcmp(version, "2.99_01").is_gt() {
            Harness::Tap
        } else {
            Harness::Legacy
        }
    }
}

/// Facts about the build directory that CPAN::Reporter checks on disk (the caller looks; the
/// grading stays pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BuildDir {
    /// After configure: a `Makefile` or `Build` exists (rule D8).
    pub build_file_written: bool,
    /// The `Makefile` has a `test:` target ([`makefile_has_test_target`]; rule D5).  Only
    /// read for a make-driven test phase.
    pub makefile_has_test_target: bool,
    /// A `test.pl` exists at the top (rule T1).
    pub has_test_pl: bool,
    /// More than one `Makefile.PL` outside `t/` directories ([`has_recursive_make`]; rule T1).
    pub recursive_make: bool,
}

impl Default for BuildDir {
    /// The ordinary distribution: a build file was written, the Makefile has a test target,
    /// no `test.pl`, one `Makefile.PL`.
    fn default() -> BuildDir {
        BuildDir {
            build_file_written: true,
            makefile_has_test_target: true,
            has_test_pl: false,
            recursive_make: false,
        }
    }
}

/// One finished run of a phase, as grading needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseRun<'a> {
    /// Which phase ran.
    pub phase: Phase,
    /// The command line (`perl Makefile.PL`, `make test`, `./Build test`); CPAN::Reporter
    /// tells make from Module::Build by it.
    pub command: &'a str,
    /// How it ended.
    pub exit: ExitStatus,
    /// It was killed for exceeding the timeout (CPAN::Reporter then records status 9).
    pub timed_out: bool,
    /// Its merged stdout and stderr.
    pub output: &'a str,
    /// The distribution's prerequisites and what is installed.
    pub prerequisites: &'a [Prereq],
    /// What is on disk.
    pub build_dir: BuildDir,
    /// The tester's Test::Harness generation.
    pub harness: Harness,
}

/// What to do after a phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Send a report with this grade; `reason` is CPAN::Reporter's grade message.
    Report {
        /// The phase the report is about.
        phase: Phase,
        /// The grade.
        grade: Grade,
        /// Why (e.g. "One or more tests failed", "Perl version too low").
        reason: String,
    },
    /// Send nothing: the result says nothing about the distribution (a missing prerequisite,
    /// an interrupted command...).  CPAN::Reporter records it in its history and stops.
    Discard {
        /// The phase that was discarded.
        phase: Phase,
        /// Why (CPAN::Reporter's message; prerequisite discards include the table).
        reason: String,
    },
    /// Configure or build passed: CPAN::Reporter sends nothing and CPAN.pm goes on.
    Continue {
        /// The phase that passed.
        phase: Phase,
    },
}

impl Verdict {
    /// The phase graded.
    pub fn phase(&self) -> Phase {
        match self {
            Verdict::Report { phase, .. }
            | Verdict::Discard { phase, .. }
            | Verdict::Continue { phase } => *phase,
        }
    }

    /// The grade, when there is one to send.
    pub fn grade(&self) -> Option<Grade> {
        match self {
            Verdict::Report { grade, .. } => Some(*grade),
            _ => None,
        }
    }

    /// What the `grade_*` functions return to CPAN.pm: a configure or build succeeds only
    /// when it passed; a test phase succeeds when `pass` or `unknown` (installation goes on);
    /// a discard never does.
    pub fn success(&self) -> bool {
        match self {
            Verdict::Continue { .. } => true,
            Verdict::Discard { .. } => false,
            Verdict::Report { phase, grade, .. } => match phase {
                Phase::Test => matches!(grade, Grade::Pass | Grade::Unknown),
                Phase::Configure | Phase::Build => *grade == Grade::Pass,
            },
        }
    }
}

/// CPAN::Reporter's internal grades: the four, plus "send nothing".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Raw {
    Report(Grade),
    Discard,
}

/// Grades one run (the module docs list the rules).
pub fn grade(run: &PhaseRun<'_>) -> Verdict {
    let output = run.output.as_bytes();
    let is_make = is_make(run.command);
    // `_timeout_wrapper` prints "exited with 9" for a command it killed, whatever the kill
    // looked like from outside.
    let exit_value = if run.timed_out {
        9
    } else {
        run.exit.wait_status()
    };
    let (raw, msg) = match run.phase {
        // C1.
        Phase::Configure | Phase::Build => {
            if exit_value != 0 {
                (
                    Raw::Report(Grade::Unknown),
                    "Stopped with an error".to_string(),
                )
            } else {
                (Raw::Report(Grade::Pass), "No errors".to_string())
            }
        }
        Phase::Test => {
            let (g, m) = test_grade(output, exit_value, is_make, run);
            (Raw::Report(g), m.to_string())
        }
    };
    let (raw, reason) = downgrade(run, raw, msg, exit_value, is_make, output);
    match raw {
        Raw::Discard => Verdict::Discard {
            phase: run.phase,
            reason,
        },
        Raw::Report(Grade::Pass) if run.phase != Phase::Test => {
            Verdict::Continue { phase: run.phase }
        }
        Raw::Report(grade) => Verdict::Report {
            phase: run.phase,
            grade,
            reason,
        },
    }
}

/// `_compute_test_grade` before the downgrades.
fn test_grade(
    output: &[u8],
    exit_value: i32,
    is_make: bool,
    run: &PhaseRun<'_>,
) -> (Grade, &'static str) {
    // T1.
    if is_make && (run.build_dir.has_test_pl || run.build_dir.recursive_make) {
        return if exit_value != 0 {
            (Grade::Fail, "'make test' error detected")
        } else {
            (Grade::Pass, "'make test' no errors")
        };
    }
    for line in text::lines(output).rev() {
        if let Some(found) = test_line(line, run.harness) {
            return found;
        }
    }
    // T8.
    match (exit_value != 0, is_make) {
        (true, true) => (Grade::Fail, "'make test' error detected"),
        (true, false) => (Grade::Fail, "'Build test' error detected"),
        (false, true) => (Grade::Pass, "'make test' no errors"),
        (false, false) => (Grade::Pass, "'Build test' no errors"),
    }
}

/// What one test-output line says, read by the reverse scan (T2–T7).
fn test_line(line: &[u8], harness: Harness) -> Option<(Grade, &'static str)> {
    // T2.
    if os_unsupported(line) {
        return Some((Grade::Na, "This platform is not supported"));
    }
    // T3: `m{^.?No tests defined}ms`, `.` matching any one byte.
    const NO_TESTS: &[u8] = b"No tests defined";
    if text::starts_with(line, NO_TESTS, false)
        || line
            .get(1..)
            .is_some_and(|rest| text::starts_with(rest, NO_TESTS, false))
    {
        return Some((Grade::Unknown, "No tests provided"));
    }
    match harness {
        Harness::Tap => tap_line(line),
        Harness::Legacy => legacy_line(line),
    }
}

/// `_parse_tap_harness` (T4–T6b).
fn tap_line(line: &[u8]) -> Option<(Grade, &'static str)> {
    if let Some(rest) = line.strip_prefix(b"Result:") {
        let spaces = rest.iter().take_while(|&&b| text::is_space(b)).count();
        let word_len = rest[spaces..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        if spaces > 0 && word_len > 0 {
            // The regex matched: the word decides, or nothing does (the `elsif`s below are
            // not tried for this line).
            return match &rest[spaces..spaces + word_len] {
                b"PASS" => Some((Grade::Pass, "All tests successful")),
                b"FAIL" => Some((Grade::Fail, "One or more tests failed")),
                b"NOTESTS" => Some((Grade::Unknown, "No tests were run")),
                _ => None,
            };
        }
    }
    if bailout_called(line) || text::contains(line, b"FAILED--Further testing stopped", false) {
        return Some((Grade::Fail, "Bailed out of tests"));
    }
    None
}

/// `m{Bailout called\.\s+Further testing stopped}`.
fn bailout_called(line: &[u8]) -> bool {
    const HEAD: &[u8] = b"Bailout called.";
    let mut from = 0;
    while let Some(i) = text::find_from(line, HEAD, from, false) {
        let rest = &line[i + HEAD.len()..];
        let spaces = rest.iter().take_while(|&&b| text::is_space(b)).count();
        if spaces > 0 && rest[spaces..].starts_with(b"Further testing stopped") {
            return true;
        }
        from = i + 1;
    }
    false
}

/// `_parse_test_harness` (T7).
fn legacy_line(line: &[u8]) -> Option<(Grade, &'static str)> {
    if line.starts_with(b"All tests successful") {
        Some((Grade::Pass, "All tests successful"))
    } else if line.starts_with(b"FAILED--no tests were run")
        || (line.starts_with(b"FAILED--")
            && text::find_from(line, b"--no output", 8, false).is_some())
    {
        // `^FAILED--no tests were run` and `^FAILED--.*--no output`.
        Some((Grade::Unknown, "No tests were run"))
    } else if text::contains(line, b"FAILED--Further testing stopped", false) {
        Some((Grade::Fail, "Bailed out of tests"))
    } else if line.starts_with(b"Failed ") {
        Some((Grade::Fail, "One or more tests failed"))
    } else {
        None
    }
}

/// `m{No support for OS|OS unsupported}ims`.
fn os_unsupported(line: &[u8]) -> bool {
    text::contains(line, b"No support for OS", true)
        || text::contains(line, b"OS unsupported", true)
}

/// The perl-version messages of rule D3.
fn perl_version_error(line: &[u8]) -> bool {
    perl_required_this_is_only(line)
        || text::sequence(
            line,
            &[b"Perl version ", b" or higher required. We run"],
            true,
        )
        || text::sequence(
            line,
            &[
                b"ERROR: perl: Version ",
                b" is installed, but we need version",
            ],
            true,
        )
        || text::sequence(
            line,
            &[b"ERROR: perl (", b") is installed, but we need version"],
            true,
        )
        || text::contains(line, b"Error evaling version line 'BEGIN", true)
        || text::contains(line, b"Could not eval '", true)
}

/// `/(?<!skipped: )Perl .*? required.*?--this is only/ims`: the lookbehind keeps a skipped
/// test's "Perl v5.x required" from counting (CPAN-Reporter issue #23).
fn perl_required_this_is_only(line: &[u8]) -> bool {
    const SKIPPED: &[u8] = b"skipped: ";
    let mut from = 0;
    while let Some(i) = text::find_from(line, b"Perl ", from, true) {
        let after_skipped =
            i >= SKIPPED.len() && line[i - SKIPPED.len()..i].eq_ignore_ascii_case(SKIPPED);
        if !after_skipped {
            // The leftmost acceptable start leaves the most room for the rest.
            return text::sequence(&line[i + 5..], &[b" required", b"--this is only"], true);
        }
        from = i + 1;
    }
    false
}

/// `m{open3: IO::Pipe: Can't spawn.*?TAP/Parser/Iterator/Process.pm}` (the `.` before `pm`
/// matches any byte but a newline, which cannot occur inside one captured line).
fn harness_spawn_error(line: &[u8]) -> bool {
    const HEAD: &[u8] = b"open3: IO::Pipe: Can't spawn";
    const FILE: &[u8] = b"TAP/Parser/Iterator/Process";
    let Some(h) = text::find_from(line, HEAD, 0, false) else {
        return false;
    };
    let mut from = h + HEAD.len();
    while let Some(i) = text::find_from(line, FILE, from, false) {
        let after = &line[i + FILE.len()..];
        if after.len() >= 3 && after[0] != b'\n' && &after[1..3] == b"pm" {
            return true;
        }
        from = i + 1;
    }
    false
}

/// `_downgrade_known_causes` (D1–D10).
fn downgrade(
    run: &PhaseRun<'_>,
    raw: Raw,
    msg: String,
    exit_value: i32,
    is_make: bool,
    output: &[u8],
) -> (Raw, String) {
    let grade = match raw {
        Raw::Report(g) => g,
        Raw::Discard => return (raw, msg),
    };
    if grade == Grade::Na || (grade == Grade::Pass && run.phase != Phase::Configure) {
        return (raw, msg);
    }
    // D1.
    if exit_value & 127 != 0 {
        return (Raw::Discard, "Command interrupted".into());
    }
    let (mut harness_error, mut version_error, mut unsupported) = (false, false, false);
    for line in text::lines(output) {
        if run.phase == Phase::Test && harness_spawn_error(line) {
            harness_error = true;
            break;
        }
        if perl_version_error(line) {
            version_error = true;
            break;
        }
        if os_unsupported(line) {
            unsupported = true;
            break;
        }
    }
    let table = prereq_report(run.prerequisites);
    let table_bytes = table.as_bytes();
    if harness_error {
        // D2.
        (Raw::Discard, "Test harness failure".into())
    } else if version_error || perl_flagged(table_bytes) {
        // D3.
        (Raw::Report(Grade::Na), "Perl version too low".into())
    } else if unsupported {
        // D4.
        (
            Raw::Report(Grade::Na),
            "This platform is not supported".into(),
        )
    } else if is_make && run.phase == Phase::Test && !run.build_dir.makefile_has_test_target {
        // D5.
        (Raw::Report(Grade::Unknown), "No make test target".into())
    } else if grade != Grade::Pass && text::contains(table_bytes, b"n/a", true) {
        // D6.
        (Raw::Discard, format!("Prerequisite missing:\n{table}"))
    } else if grade != Grade::Pass && text::bang_after_leading_space(table_bytes).next().is_some() {
        // D7.
        (
            Raw::Discard,
            format!("Prerequisite version too low:\n{table}"),
        )
    } else if run.phase == Phase::Configure
        && grade == Grade::Pass
        && !run.build_dir.build_file_written
    {
        // D8.
        (Raw::Discard, "No Makefile or Build file found".into())
    } else if build_dash_j(run.command.as_bytes()) {
        // D9.
        (
            Raw::Discard,
            "-j is not a valid option for Module::Build (upgrade your CPAN.pm)".into(),
        )
    } else if is_make && run.phase == Phase::Build && text::lines(output).any(makefile_out_of_date)
    {
        // D10.
        (Raw::Discard, "Makefile out-of-date".into())
    } else {
        (raw, msg)
    }
}

/// `m{^\s+!\s+perl\s}ims` on the prerequisite table.
fn perl_flagged(table: &[u8]) -> bool {
    text::bang_after_leading_space(table).any(|after| {
        let rest = &table[after..];
        let spaces = rest.iter().take_while(|&&b| text::is_space(b)).count();
        spaces > 0
            && rest[spaces..].len() > 4
            && rest[spaces..spaces + 4].eq_ignore_ascii_case(b"perl")
            && text::is_space(rest[spaces + 4])
    })
}

/// `$result->{command} =~ /Build.*?-j/`.
fn build_dash_j(command: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = text::find_from(command, b"Build", from, false) {
        let rest = &command[i + 5..];
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        if text::contains(line, b"-j", false) {
            return true;
        }
        from = i + 1;
    }
    false
}

/// `/Makefile out-of-date with respect to Makefile.PL/`.
fn makefile_out_of_date(line: &[u8]) -> bool {
    const HEAD: &[u8] = b"Makefile out-of-date with respect to Makefile";
    let mut from = 0;
    while let Some(i) = text::find_from(line, HEAD, from, false) {
        let after = &line[i + HEAD.len()..];
        if after.len() >= 3 && after[0] != b'\n' && &after[1..3] == b"PL" {
            return true;
        }
        from = i + 1;
    }
    false
}

/// CPAN::Reporter's `_is_make`: `m{\b(?:\S*make|Makefile.PL)\b}ims` on the command.  The
/// `\b\S*` prefix can always be satisfied, so this is "`make` (any case) not followed by a
/// word character, or a whole word `Makefile?PL`".
pub fn is_make(command: &str) -> bool {
    let c = command.as_bytes();
    let word_after = |end: usize| c.get(end).is_some_and(|&b| text::is_word(b));
    let mut from = 0;
    while let Some(i) = text::find_from(c, b"make", from, true) {
        if !word_after(i + 4) {
            return true;
        }
        let word_before = i > 0 && text::is_word(c[i - 1]);
        let whole = c.len() >= i + 11
            && c[i..i + 8].eq_ignore_ascii_case(b"Makefile")
            && c[i + 9..i + 11].eq_ignore_ascii_case(b"PL");
        if whole && !word_before && !word_after(i + 11) {
            return true;
        }
        from = i + 1;
    }
    false
}

/// CPAN::Reporter's `_has_test_target`: a line of the `Makefile` matching `^test[ ]*:`.
pub fn makefile_has_test_target(makefile: &str) -> bool {
    makefile.lines().any(|l| {
        l.strip_prefix("test")
            .is_some_and(|r| r.trim_start_matches(' ').starts_with(':'))
    })
}

/// CPAN::Reporter's `_has_recursive_make`: more than one `Makefile.PL` among the build
/// directory's relative paths, not counting anything under a directory named `t`.
pub fn has_recursive_make<'a>(relative_paths: impl IntoIterator<Item = &'a str>) -> bool {
    relative_paths
        .into_iter()
        .filter(|p| {
            let mut parts: Vec<&str> = p
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect();
            let file = parts.pop();
            file == Some("Makefile.PL") && !parts.contains(&"t")
        })
        .count()
        > 1
}
