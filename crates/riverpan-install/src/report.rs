//! CPAN Testers reports of what an install tested (`riverpan install --test --report URL`, and
//! the smoker): each distribution's runs graded as CPAN::Reporter grades them (`cpan-reporter`),
//! built into a v3 report with each phase's output and sent to a riverpan's `POST /v3/report`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cpan_plan::Step;
use cpan_reporter::{
    BuildDir, DistributionId, ExitStatus, Grade, Harness, PerlIdentity, Phase, PhaseOutput,
    PhaseRun, ReportInput, Reporter, Verdict,
};

use crate::{InstallError, StepRun, TestedDist};

/// What grading looks at in a build directory, read while it still exists.
pub fn build_dir_facts(root: &Path) -> BuildDir {
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap_or_default();
    let mut makefile_pls = Vec::new();
    collect_makefile_pls(root, Path::new(""), 0, &mut makefile_pls);
    BuildDir {
        build_file_written: root.join("Makefile").is_file() || root.join("Build").is_file(),
        makefile_has_test_target: cpan_reporter::makefile_has_test_target(&makefile),
        has_test_pl: root.join("test.pl").is_file(),
        recursive_make: cpan_reporter::has_recursive_make(makefile_pls.iter().map(String::as_str)),
    }
}

fn collect_makefile_pls(root: &Path, relative: &Path, depth: usize, found: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let path = relative.join(entry.file_name());
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && entry.file_name() != "blib" => {
                collect_makefile_pls(root, &path, depth + 1, found)
            }
            Ok(kind) if kind.is_file() && entry.file_name() == "Makefile.PL" => {
                found.push(path.to_string_lossy().into_owned())
            }
            _ => {}
        }
    }
}

fn phase_of(step: Step) -> Option<Phase> {
    match step {
        Step::Configure => Some(Phase::Configure),
        Step::Build => Some(Phase::Build),
        Step::Test => Some(Phase::Test),
        _ => None,
    }
}

/// The verdict on a distribution's runs, as CPAN::Reporter reaches it: each phase in order
/// until one is reported or discarded (a passing configure or build goes on).
pub fn verdict_of(tested: &TestedDist, harness: Harness) -> Verdict {
    let mut last = Verdict::Discard {
        phase: Phase::Configure,
        reason: "nothing ran".into(),
    };
    // A static install (`x_static_install`) writes no Makefile or Build by design: CPAN::Reporter's
    // "configured without a build file" discard is for Makefile.PLs that gave up, not for it.
    let mut build_dir = tested.build_dir;
    if tested
        .runs
        .iter()
        .any(|run| run.command.starts_with("riverpan static install"))
    {
        build_dir.build_file_written = true;
    }
    for run in &tested.runs {
        let Some(phase) = phase_of(run.step) else {
            continue;
        };
        let exit = match run.exit_code {
            Some(code) => ExitStatus::Exited(code),
            // Killed at the time limit: CPAN::Reporter's timeout wrapper records status 9.
            None => ExitStatus::Signaled(9),
        };
        let verdict = cpan_reporter::grade(&PhaseRun {
            phase,
            command: &run.command,
            exit,
            timed_out: run.timed_out,
            output: &run.log,
            prerequisites: &[],
            build_dir,
            harness,
        });
        match verdict {
            Verdict::Continue { .. } => last = verdict,
            decided => return decided,
        }
    }
    match last {
        // Configured and built, never tested: nothing to report.
        Verdict::Continue { phase } => Verdict::Discard {
            phase,
            reason: "not tested".into(),
        },
        other => other,
    }
}

fn output_of(runs: &[StepRun], step: Step) -> Option<&str> {
    runs.iter()
        .rev()
        .find(|run| run.step == step)
        .map(|run| run.log.as_str())
}

/// What happened to one distribution's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Sent: its grade and the id the server gave it.
    Sent {
        /// The grade.
        grade: Grade,
        /// The report's id (`/v3/report/{id}`).
        id: String,
    },
    /// Not sent: CPAN::Reporter would not report it (a missing prerequisite, a killed run, ...).
    Discarded {
        /// Why.
        reason: String,
    },
    /// Sending failed.
    Failed {
        /// Why.
        why: String,
    },
}

/// Sends reports for one perl and one tester to one riverpan.
#[derive(Debug)]
pub struct ReportSender {
    base: String,
    agent: ureq::Agent,
    reporter: Reporter,
    perl: PerlIdentity,
    perl_path: String,
    harness: Harness,
    /// The tester comment (the automated-testing notice of a smoker), if any.
    comments: Option<String>,
    /// Variables the steps ran with that the caller's environment lacks (the smoker's).
    step_env: Vec<(String, String)>,
}

impl ReportSender {
    /// A sender to the riverpan at `url`, for `reporter`, describing the perl at `perl` (asked
    /// once: `perl -V` and its Test::Harness version).
    pub fn new(url: &str, reporter: Reporter, perl: &Path) -> Result<ReportSender, InstallError> {
        let ask = |args: &[&str]| -> Result<String, InstallError> {
            let output = Command::new(perl)
                .args(args)
                .stdin(Stdio::null())
                .env_remove("PERL5LIB")
                .output()
                .map_err(InstallError::io(format!("running {}", perl.display())))?;
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        };
        let identity = PerlIdentity::parse(&ask(&["-V"])?)
            .map_err(|error| InstallError::Perl(error.to_string()))?;
        let harness_version = ask(&["-MTest::Harness", "-e", "print $Test::Harness::VERSION"])?;
        let perl_path = ask(&["-e", "print $^X"])?;
        let mut base = url.trim_end_matches('/').to_string();
        base.push('/');
        Ok(ReportSender {
            base,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            reporter,
            perl: identity,
            perl_path,
            harness: Harness::for_test_harness_version(harness_version.trim()),
            comments: None,
            step_env: Vec::new(),
        })
    }

    /// Reports of an automated run (the smoker): CPAN::Reporter's automated-testing comment, and
    /// `step_env` — the variables every step ran with — in the report's environment.
    pub fn automated(mut self, step_env: &[(String, String)]) -> ReportSender {
        self.comments = Some(cpan_reporter::tester_comment(true, None));
        self.step_env = step_env.to_vec();
        self
    }

    /// The perl's version as reports carry it (`5.36.0`).
    pub fn perl_version(&self) -> String {
        self.perl.report_version()
    }

    /// The grade and the v3 report for `tested`, or why none is sent.
    pub fn report_of(
        &self,
        tested: &TestedDist,
    ) -> Result<(Grade, serde_json::Value), ReportOutcome> {
        let verdict = verdict_of(tested, self.harness);
        let grade = match &verdict {
            Verdict::Report { grade, .. } => *grade,
            Verdict::Discard { reason, .. } => {
                return Err(ReportOutcome::Discarded {
                    reason: reason.clone(),
                })
            }
            Verdict::Continue { .. } => Grade::Unknown,
        };
        let distribution = DistributionId::from_path(&tested.path)
            .or_else(|_| DistributionId::from_path(&format!("authors/id/{}", tested.path)))
            .map_err(|error| ReportOutcome::Failed {
                why: error.to_string(),
            })?;
        let output = PhaseOutput {
            configure: output_of(&tested.runs, Step::Configure),
            build: output_of(&tested.runs, Step::Build),
            test: output_of(&tested.runs, Step::Test),
            install: None,
        };
        let user_agent = format!("riverpan/{}", env!("CARGO_PKG_VERSION"));
        let mut environment: Vec<(String, String)> = std::env::vars()
            .filter(|(name, _)| cpan_reporter::report::is_reported_env_var(name))
            .filter(|(name, _)| !self.step_env.iter().any(|(set, _)| set == name))
            .collect();
        environment.extend(
            self.step_env
                .iter()
                .filter(|(name, _)| cpan_reporter::report::is_reported_env_var(name))
                .cloned(),
        );
        let duration: Duration = tested.runs.iter().map(|run| run.elapsed).sum();
        let mut input = ReportInput::new(
            &self.reporter,
            &user_agent,
            &distribution,
            &self.perl,
            &verdict,
            output,
        );
        input.perl_path = Some(&self.perl_path);
        input.environment = &environment;
        input.duration = Some(duration);
        input.comments = self.comments.as_deref();
        cpan_reporter::build_report(&input)
            .map(|report| (grade, report))
            .map_err(|error| ReportOutcome::Failed {
                why: error.to_string(),
            })
    }

    /// Grades `tested` and sends its report (`POST /v3/report`).
    pub fn send(&self, tested: &TestedDist) -> ReportOutcome {
        let (grade, report) = match self.report_of(tested) {
            Ok(graded) => graded,
            Err(outcome) => return outcome,
        };
        let url = format!("{}v3/report", self.base);
        let request = self
            .agent
            .post(&url)
            .set("Content-Type", "application/json");
        match request.send_string(&report.to_string()) {
            Ok(response) => {
                let body: serde_json::Value = response
                    .into_string()
                    .ok()
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default();
                ReportOutcome::Sent {
                    grade,
                    id: body["id"].as_str().unwrap_or_default().to_string(),
                }
            }
            Err(ureq::Error::Status(code, response)) => ReportOutcome::Failed {
                why: format!(
                    "{url}: HTTP {code}: {}",
                    response.into_string().unwrap_or_default()
                ),
            },
            Err(error) => ReportOutcome::Failed {
                why: format!("{url}: {error}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(step: Step, command: &str, log: &str, exit_code: Option<i32>) -> StepRun {
        StepRun {
            step,
            command: command.into(),
            log: log.into(),
            exit_code,
            timed_out: exit_code.is_none(),
            elapsed: Duration::from_millis(10),
        }
    }

    fn tested(runs: Vec<StepRun>) -> TestedDist {
        TestedDist {
            path: "A/AL/ALICE/Foo-Bar-1.0.tar.gz".into(),
            build_dir: BuildDir::default(),
            runs,
        }
    }

    #[test]
    fn the_first_phase_that_decides_gives_the_verdict() {
        let configure = run(
            Step::Configure,
            "perl Makefile.PL",
            "Writing Makefile\n",
            Some(0),
        );
        let build = run(
            Step::Build,
            "make",
            "cp lib/Foo/Bar.pm blib/lib/Foo/Bar.pm\n",
            Some(0),
        );
        let pass = run(
            Step::Test,
            "make test",
            "t/basic.t .. ok\nAll tests successful.\nFiles=1, Tests=1\nResult: PASS\n",
            Some(0),
        );
        let fail = run(
            Step::Test,
            "make test",
            "t/basic.t .. Failed 1/1 subtests\nResult: FAIL\n",
            Some(2),
        );
        let verdict = |runs| verdict_of(&tested(runs), Harness::Tap).grade();
        assert_eq!(
            verdict(vec![configure.clone(), build.clone(), pass]),
            Some(Grade::Pass)
        );
        assert_eq!(
            verdict(vec![configure.clone(), build.clone(), fail]),
            Some(Grade::Fail)
        );
        // A perl too old at configure time: na, without building.
        let too_old = run(
            Step::Configure,
            "perl Makefile.PL",
            "Perl v5.999.0 required--this is only v5.36.0, stopped at Makefile.PL line 1.\n",
            Some(255),
        );
        assert_eq!(verdict(vec![too_old]), Some(Grade::Na));
        // Built but never tested: no report.
        assert!(matches!(
            verdict_of(&tested(vec![configure, build]), Harness::Tap),
            Verdict::Discard { .. }
        ));
        // A static install writes no Makefile: still graded by its tests.
        let static_configure = run(
            Step::Configure,
            "riverpan static install: configure",
            "",
            Some(0),
        );
        let static_build = run(Step::Build, "riverpan static install: build", "", Some(0));
        let static_test = run(
            Step::Test,
            "perl -MTAP::Harness::Env (static install test)",
            "t/basic.t .. ok\nAll tests successful.\nResult: PASS\n",
            Some(0),
        );
        assert_eq!(
            verdict(vec![static_configure, static_build, static_test]),
            Some(Grade::Pass)
        );
        // A test suite stopped at the time limit: discarded, as CPAN::Reporter does.
        let hung = run(Step::Test, "make test", "t/hang.t .. ", None);
        assert!(matches!(
            verdict_of(&tested(vec![hung]), Harness::Tap),
            Verdict::Discard { .. }
        ));
    }
}
