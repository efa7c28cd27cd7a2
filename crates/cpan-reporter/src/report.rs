//! A CPAN Testers v3 report (`NewReport`, testers.md §1.2) built from a verdict.
//!
//! The shape is the v3 schema's, as the CPAN Testers API's sample report fills it: the
//! reporter, the environment (`language` "Perl 5" with version, archname and the `perl -V`
//! text as `build`; `system` with osname/osversion), the distribution (name, version, the
//! `AUTHOR/file` path riverpan reads the author from, prerequisites with CPAN::Reporter's
//! section names as phases) and the result (grade, per-phase output, duration, test counts).
//! Each phase's output is cut the way CPAN::Reporter cuts a report's program output.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::grade::Verdict;
use crate::perlv::PerlIdentity;
use crate::prereq::Prereq;
use crate::Error;

/// CPAN::Reporter's `MAX_OUTPUT_LENGTH`: longer program output is cut to its first and last
/// half-million characters (1.2019+; counted in bytes here, as CPAN::Reporter's undecoded
/// capture does).
pub const MAX_OUTPUT_LENGTH: usize = 1_000_000;

/// The tester comment of an automated run (`_comment_text` with `AUTOMATED_TESTING` set).
pub const AUTOMATED_COMMENT: &str =
    "this report is from an automated smoke testing program\nand was not reviewed by a human for accuracy";

/// The environment CPAN::Reporter::Smoker sets for the whole run (client.md §4.4).
pub const SMOKER_ENV: [(&str, &str); 3] = [
    ("AUTOMATED_TESTING", "1"),
    ("PERL_MM_USE_DEFAULT", "1"),
    ("PERL_EXTUTILS_AUTOINSTALL", "--defaultdeps"),
];

/// The tester comment as CPAN::Reporter's `_comment_text` assembles it: the automated-testing
/// notice, then the tester's own comment (`comment.txt`), joined by a blank line, or
/// `none provided` when there is neither.
pub fn tester_comment(automated: bool, own: Option<&str>) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if automated {
        parts.push(AUTOMATED_COMMENT);
    }
    if let Some(own) = own {
        // `chomp`: one trailing newline goes.
        parts.push(own.strip_suffix('\n').unwrap_or(own));
    }
    if parts.is_empty() {
        return "none provided".to_string();
    }
    parts.join("\n\n")
}

/// Whether CPAN::Reporter's environment report (`_env_report`) includes this variable: names
/// containing `HARNESS`, `LC_`, `PERL` or `_TEST`, and a fixed list (`PATH`, `SHELL`, `LANG`,
/// `TMPDIR`...).
pub fn is_reported_env_var(name: &str) -> bool {
    const PATTERNS: [&str; 4] = ["HARNESS", "LC_", "PERL", "_TEST"];
    const NAMES: [&str; 18] = [
        "CCFLAGS",
        "COMSPEC",
        "INCLUDE",
        "INSTALL_BASE",
        "LANG",
        "LANGUAGE",
        "LD_LIBRARY_PATH",
        "LDFLAGS",
        "LIB",
        "NON_INTERACTIVE",
        "NUMBER_OF_PROCESSORS",
        "PATH",
        "PREFIX",
        "PROCESSOR_IDENTIFIER",
        "SHELL",
        "TERM",
        "TEMP",
        "TMPDIR",
    ];
    PATTERNS.iter().any(|p| name.contains(p)) || NAMES.contains(&name)
}

/// Cuts output longer than [`MAX_OUTPUT_LENGTH`] as CPAN::Reporter 1.2019+ does (`_report_text`):
/// the first half, a blank line, `[Output truncated because it exceeded 1000K]`, a blank line,
/// the last half.  Cuts fall on character boundaries.
pub fn truncate_output(output: &str) -> Cow<'_, str> {
    if output.len() <= MAX_OUTPUT_LENGTH {
        return Cow::Borrowed(output);
    }
    let half = MAX_OUTPUT_LENGTH / 2;
    let mut head_end = half;
    while !output.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = output.len() - half;
    while !output.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    Cow::Owned(format!(
        "{}\n\n[Output truncated because it exceeded {}K]\n\n{}",
        &output[..head_end],
        MAX_OUTPUT_LENGTH / 1000,
        &output[tail_start..]
    ))
}

/// Who sends the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    /// Display name.
    pub name: Option<String>,
    /// E-mail address (CPAN::Reporter's required `email_from`).
    pub email: String,
}

/// The distribution a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionId {
    /// `Foo-Bar`.
    pub name: String,
    /// `1.23`.
    pub version: String,
    /// The PAUSE id of the uploader, when known.
    pub author: Option<String>,
    /// The archive's file name (`Foo-Bar-1.23.tar.gz`), when known.
    pub filename: Option<String>,
}

impl DistributionId {
    /// A distribution known by name and version only.
    pub fn new(name: &str, version: &str) -> DistributionId {
        DistributionId {
            name: name.to_string(),
            version: version.to_string(),
            author: None,
            filename: None,
        }
    }

    /// From a CPAN path (`authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz`, `NEILB/Foo-Bar-1.23.tar.gz`
    /// or a bare file name) as `CPAN::DistnameInfo` reads it.
    pub fn from_path(path: &str) -> Result<DistributionId, Error> {
        let info = cpan_distname::DistnameInfo::new(path);
        let bad = || Error::Distribution {
            path: path.to_string(),
        };
        Ok(DistributionId {
            name: info.dist().ok_or_else(bad)?.to_string(),
            version: info.version().ok_or_else(bad)?.to_string(),
            author: info.cpanid().map(str::to_string),
            filename: info.filename().map(str::to_string),
        })
    }

    /// `AUTHOR/Foo-Bar-1.23.tar.gz` (CPAN.pm's `pretty_id`), when both are known: the report's
    /// `distribution.path`, from which riverpan-testers takes the author.
    pub fn path(&self) -> Option<String> {
        match (&self.author, &self.filename) {
            (Some(a), Some(f)) => Some(format!("{a}/{f}")),
            _ => None,
        }
    }
}

/// The captured output of each phase that ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseOutput<'a> {
    /// `perl Makefile.PL` / `perl Build.PL`.
    pub configure: Option<&'a str>,
    /// `make` / `./Build`.
    pub build: Option<&'a str>,
    /// `make test` / `./Build test`.
    pub test: Option<&'a str>,
    /// `make install` / `./Build install`.
    pub install: Option<&'a str>,
}

/// Everything a report says.  Build it with [`ReportInput::new`] and set the optional fields.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Who sends it.
    pub reporter: &'a Reporter,
    /// The client (`riverpan 0.1.0`), the v3 `environment.user_agent`.
    pub user_agent: &'a str,
    /// What was tested.
    pub distribution: &'a DistributionId,
    /// The perl it ran on.
    pub perl: &'a PerlIdentity,
    /// The grade to send; only [`Verdict::Report`] makes a report.
    pub verdict: &'a Verdict,
    /// Each phase's output.
    pub output: PhaseOutput<'a>,
    /// The prerequisites and what was installed.
    pub prerequisites: &'a [Prereq],
    /// `$^X`, the perl binary's path.
    pub perl_path: Option<&'a str>,
    /// Toolchain module versions (`ExtUtils::MakeMaker` → `7.64`).
    pub toolchain: &'a [(String, String)],
    /// Environment variables; only those [`is_reported_env_var`] accepts are sent.
    pub environment: &'a [(String, String)],
    /// The host's name.
    pub hostname: Option<&'a str>,
    /// The tester comment ([`tester_comment`]).
    pub comments: Option<&'a str>,
    /// When the run started (the report's `created`).
    pub started: Option<SystemTime>,
    /// How long it took.
    pub duration: Option<Duration>,
}

impl<'a> ReportInput<'a> {
    /// The required parts; everything else empty.
    pub fn new(
        reporter: &'a Reporter,
        user_agent: &'a str,
        distribution: &'a DistributionId,
        perl: &'a PerlIdentity,
        verdict: &'a Verdict,
        output: PhaseOutput<'a>,
    ) -> ReportInput<'a> {
        ReportInput {
            reporter,
            user_agent,
            distribution,
            perl,
            verdict,
            output,
            prerequisites: &[],
            perl_path: None,
            toolchain: &[],
            environment: &[],
            hostname: None,
            comments: None,
            started: None,
            duration: None,
        }
    }
}

/// Builds the v3 report JSON.  Fails when the verdict is not a report (a discard or a passing
/// configure/build sends nothing, as in CPAN::Reporter), when no phase output was given (the
/// schema needs one), or when the reporter has no e-mail address (CPAN::Reporter refuses to
/// send without `email_from`).
pub fn build_report(input: &ReportInput<'_>) -> Result<Value, Error> {
    let grade = match input.verdict {
        Verdict::Report { grade, .. } => *grade,
        Verdict::Discard { reason, .. } => return Err(Error::NotReportable(reason.clone())),
        Verdict::Continue { phase } => {
            return Err(Error::NotReportable(format!(
                "the {} phase passed and is not reported on its own",
                phase.as_str()
            )))
        }
    };
    if input.reporter.email.trim().is_empty() {
        return Err(Error::NoEmail);
    }
    let mut output = Map::new();
    for (key, text) in [
        ("configure", input.output.configure),
        ("build", input.output.build),
        ("test", input.output.test),
        ("install", input.output.install),
    ] {
        if let Some(text) = text {
            output.insert(
                key.into(),
                Value::String(truncate_output(text).into_owned()),
            );
        }
    }
    if output.is_empty() {
        return Err(Error::NoOutput);
    }

    let mut reporter = Map::new();
    if let Some(name) = input.reporter.name.as_deref().filter(|n| !n.is_empty()) {
        reporter.insert("name".into(), name.into());
    }
    reporter.insert("email".into(), input.reporter.email.as_str().into());

    let perl = input.perl;
    let mut language = json!({
        "name": "Perl 5",
        "version": perl.report_version(),
        "archname": perl.archname,
        "build": perl.text,
    });
    if let Some(x) = input.perl_path {
        language["variables"] = json!({ "$^X": x });
    }
    if let Some(id) = &perl.commit_id {
        language["commit_id"] = id.as_str().into();
    }
    let mut system = json!({ "osname": perl.osname, "osversion": perl.osvers });
    if let Some(host) = input.hostname {
        system["hostname"] = host.into();
    }
    let vars: Map<String, Value> = input
        .environment
        .iter()
        .filter(|(k, _)| is_reported_env_var(k))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    if !vars.is_empty() {
        system["variables"] = Value::Object(vars);
    }
    let mut environment = json!({
        "user_agent": input.user_agent,
        "language": language,
        "system": system,
    });
    if !input.toolchain.is_empty() {
        let tc: Map<String, Value> = input
            .toolchain
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        environment["toolchain"] = Value::Object(tc);
    }

    let dist = input.distribution;
    let mut distribution = json!({ "name": dist.name, "version": dist.version });
    if let Some(path) = dist.path() {
        distribution["path"] = path.into();
    }
    if !input.prerequisites.is_empty() {
        distribution["prerequisites"] = input
            .prerequisites
            .iter()
            .map(|p| {
                json!({
                    "phase": p.section.as_str(),
                    "name": p.name,
                    "need": p.need,
                    "have": p.have.as_str(),
                })
            })
            .collect();
    }

    let mut result = json!({ "grade": grade.as_str(), "output": output });
    if let Some(d) = input.duration {
        result["duration"] = json!(d.as_secs_f64());
    }
    if let Some(test) = input.output.test {
        let counts = test_counts(test);
        if let Some(n) = counts.tests {
            result["tests"] = n.into();
        }
        if let Some(n) = counts.failures {
            result["failures"] = n.into();
        }
    }

    let mut report = json!({
        "reporter": reporter,
        "environment": environment,
        "distribution": distribution,
        "result": result,
    });
    if let Some(t) = input.started {
        report["created"] = rfc3339(t).into();
    }
    if let Some(c) = input.comments {
        report["comments"] = c.into();
    }
    Ok(report)
}

/// Test counts read from TAP::Harness's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestCounts {
    /// `Files=N, Tests=M`: M.
    pub tests: Option<u64>,
    /// `Failed A/B test programs. C/D subtests failed.`: C; 0 after `Result: PASS`.
    pub failures: Option<u64>,
}

/// Reads the last `Files=.., Tests=..` and `Failed ../.. test programs. ../.. subtests
/// failed.` lines of a test run.
pub fn test_counts(output: &str) -> TestCounts {
    let mut counts = TestCounts::default();
    let mut passed = false;
    for line in output.lines() {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("Files=") {
            if let Some((_, tests)) = rest.split_once(", Tests=") {
                counts.tests = leading_number(tests);
            }
        } else if let Some(rest) = line.strip_prefix("Failed ") {
            if let Some((_, sub)) = rest.split_once(" test programs. ") {
                if let Some((failed, _)) = sub.split_once('/') {
                    counts.failures = failed.parse().ok();
                }
            }
        } else if line == "Result: PASS" {
            passed = true;
        }
    }
    if passed && counts.failures.is_none() && counts.tests.is_some() {
        counts.failures = Some(0);
    }
    counts
}

fn leading_number(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    s[..digits].parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SSZ` (times before 1970 become the epoch).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days, on the unsigned range only.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_both_ends() {
        let short = "ok\n";
        assert!(matches!(truncate_output(short), Cow::Borrowed(_)));
        let long = format!("{}{}", "a".repeat(600_000), "é".repeat(300_000));
        let cut = truncate_output(&long);
        assert!(cut.starts_with(&"a".repeat(500_000)));
        assert!(cut.contains("\n\n[Output truncated because it exceeded 1000K]\n\n"));
        assert!(cut.ends_with('é'));
        assert!(cut.len() <= MAX_OUTPUT_LENGTH + 64);
    }

    #[test]
    fn counts_from_tap_summary() {
        let fail = "Files=1, Tests=3,  0 wallclock secs\nResult: FAIL\nFailed 1/1 test programs. 1/3 subtests failed.\n";
        assert_eq!(
            test_counts(fail),
            TestCounts {
                tests: Some(3),
                failures: Some(1)
            }
        );
        let pass = "All tests successful.\nFiles=2, Tests=10,  1 wallclock secs\nResult: PASS\n";
        assert_eq!(
            test_counts(pass),
            TestCounts {
                tests: Some(10),
                failures: Some(0)
            }
        );
        assert_eq!(test_counts("nothing"), TestCounts::default());
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_709_251_199); // 2024-02-29T23:59:59Z
        assert_eq!(rfc3339(t), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn comments_and_env() {
        assert_eq!(tester_comment(false, None), "none provided");
        assert_eq!(tester_comment(true, None), AUTOMATED_COMMENT);
        assert_eq!(
            tester_comment(true, Some("hi\n")),
            format!("{AUTOMATED_COMMENT}\n\nhi")
        );
        assert!(is_reported_env_var("PERL5LIB"));
        assert!(is_reported_env_var("HARNESS_OPTIONS"));
        assert!(is_reported_env_var("AUTHOR_TESTING") && is_reported_env_var("PATH"));
        assert!(!is_reported_env_var("HOME") && !is_reported_env_var("path"));
    }

    #[test]
    fn distribution_from_path() {
        let d = DistributionId::from_path("authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz").unwrap();
        assert_eq!((d.name.as_str(), d.version.as_str()), ("Foo-Bar", "1.23"));
        assert_eq!(d.path().as_deref(), Some("NEILB/Foo-Bar-1.23.tar.gz"));
        assert!(DistributionId::from_path("README").is_err());
        assert_eq!(DistributionId::new("Foo", "1").path(), None);
    }
}
