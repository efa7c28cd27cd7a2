//! A built report goes through riverpan-testers exactly as `POST /v3/report` takes it: the v3
//! validation accepts it with the right grade, distribution, author and perl, and ingesting it
//! into a store counts it where it belongs.

use std::time::{Duration, UNIX_EPOCH};

use cpan_reporter::{
    build_report, grade, tester_comment, BuildDir, DistributionId, Error, ExitStatus, Grade,
    Harness, Have, PerlIdentity, Phase, PhaseOutput, PhaseRun, Prereq, PrereqSection, ReportInput,
    Reporter, Verdict,
};
use riverpan_testers::ingest::{author_from_path, validate};
use riverpan_testers::{Ingested, LegacyGrade, PerlVersion};

const PERL_V: &str = include_str!("fixtures/perl-V-5.36.0-debian12.txt");
const CONFIGURE: &str = include_str!("fixtures/harness/pass-configure.txt");
const BUILD: &str = include_str!("fixtures/harness/pass-build.txt");
const TEST_FAIL: &str = include_str!("fixtures/harness/fail-test.txt");

fn prereqs() -> Vec<Prereq> {
    vec![
        Prereq::new(
            PrereqSection::Requires,
            "perl",
            "5.008001",
            Have::Version("5.036000".into()),
        ),
        Prereq::new(
            PrereqSection::BuildRequires,
            "Test::More",
            "0.88",
            Have::Version("1.302190".into()),
        ),
    ]
}

fn reporter() -> Reporter {
    Reporter {
        name: Some("Ada Smoker".into()),
        email: "ada@example.org".into(),
    }
}

fn failing_verdict(prereqs: &[Prereq]) -> Verdict {
    grade(&PhaseRun {
        phase: Phase::Test,
        command: "make test",
        exit: ExitStatus::Exited(2),
        timed_out: false,
        output: TEST_FAIL,
        prerequisites: prereqs,
        build_dir: BuildDir::default(),
        harness: Harness::Tap,
    })
}

#[test]
fn riverpan_accepts_a_built_report() {
    let perl = PerlIdentity::parse(PERL_V).unwrap();
    let dist = DistributionId::from_path("authors/id/N/NE/NEILB/Foo-Bar-1.23.tar.gz").unwrap();
    let prereqs = prereqs();
    let verdict = failing_verdict(&prereqs);
    assert_eq!(verdict.grade(), Some(Grade::Fail));
    let reporter = reporter();
    let comment = tester_comment(true, None);
    let env = [
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("AUTOMATED_TESTING".to_string(), "1".to_string()),
        ("HOME".to_string(), "/home/ada".to_string()),
    ];
    let toolchain = [("ExtUtils::MakeMaker".to_string(), "7.64".to_string())];
    let mut input = ReportInput::new(
        &reporter,
        "riverpan 0.1.0",
        &dist,
        &perl,
        &verdict,
        PhaseOutput {
            configure: Some(CONFIGURE),
            build: Some(BUILD),
            test: Some(TEST_FAIL),
            install: None,
        },
    );
    input.prerequisites = &prereqs;
    input.perl_path = Some("/usr/bin/perl");
    input.environment = &env;
    input.toolchain = &toolchain;
    input.comments = Some(&comment);
    input.hostname = Some("smoker1");
    input.started = Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600));
    input.duration = Some(Duration::from_millis(12_500));
    let json = build_report(&input).unwrap();

    let report = validate(&json).unwrap_or_else(|e| panic!("{e}\n{json:#}"));
    assert_eq!(report.result.grade, "fail");
    assert_eq!(report.distribution.name, "Foo-Bar");
    assert_eq!(report.distribution.version, "1.23");
    assert_eq!(
        report
            .distribution
            .path
            .as_deref()
            .and_then(author_from_path)
            .as_deref(),
        Some("NEILB")
    );
    assert_eq!(report.environment.language.name, "Perl 5");
    assert_eq!(report.environment.language.version, "5.36.0");
    assert_eq!(
        report.environment.language.archname,
        "x86_64-linux-gnu-thread-multi"
    );
    assert_eq!(report.environment.language.build.as_deref(), Some(PERL_V));
    assert_eq!(
        PerlVersion::parse(&report.environment.language.version).unwrap(),
        PerlVersion::new(5, 36, 0)
    );
    assert_eq!(report.environment.system.osname, "linux");
    assert_eq!(
        report.environment.system.osversion.as_deref(),
        Some("4.19.0")
    );
    assert_eq!(report.created.as_deref(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(report.reporter.email, "ada@example.org");
    assert_eq!(report.result.output.test.as_deref(), Some(TEST_FAIL));
    assert_eq!(report.result.extra["tests"], 3);
    assert_eq!(report.result.extra["failures"], 1);
    assert_eq!(report.result.extra["duration"], 12.5);
    let vars = &report.environment.system.extra["variables"];
    assert_eq!(vars["PATH"], "/usr/bin:/bin");
    assert!(
        vars.get("HOME").is_none(),
        "CPAN::Reporter does not report HOME"
    );
    let declared = report.distribution.prerequisites.as_ref().unwrap();
    assert_eq!(declared[0].phase, "requires");
    assert_eq!(declared[0].have.as_deref(), Some("5.036000"));

    // And through the store: one FAIL for Foo-Bar 1.23, not a prerequisite failure.
    let dir = tempfile::tempdir().unwrap();
    let mut conn = riverpan_testers::store::open(dir.path()).unwrap();
    let stored = riverpan_testers::ingest(&mut conn, &[report]).unwrap();
    assert!(matches!(stored[..], [Ingested::Stored(_)]));
    let counts = riverpan_testers::query::summary(&conn, "Foo-Bar", Some("1.23")).unwrap();
    assert_eq!((counts.fail, counts.total()), (1, 1));
    assert_eq!(counts.legacy().fail, 1);
    let _ = LegacyGrade::Fail;
}

#[test]
fn a_patched_perl_reports_its_patch() {
    let text = PERL_V.replacen(
        "(revision 5 version 36 subversion 0)",
        "(revision 5 version 36 subversion 0 patch SMOKE123)",
        1,
    );
    let perl = PerlIdentity::parse(&text).unwrap();
    let dist = DistributionId::new("Foo-Bar", "1.23");
    let prereqs = prereqs();
    let verdict = failing_verdict(&prereqs);
    let reporter = reporter();
    let input = ReportInput::new(
        &reporter,
        "riverpan 0.1.0",
        &dist,
        &perl,
        &verdict,
        PhaseOutput {
            test: Some(TEST_FAIL),
            ..PhaseOutput::default()
        },
    );
    let report = validate(&build_report(&input).unwrap()).unwrap();
    assert_eq!(report.environment.language.version, "5.36.0 patch SMOKE123");
    assert!(
        PerlVersion::parse(&report.environment.language.version)
            .unwrap()
            .patched
    );
    assert_eq!(report.distribution.path, None);
}

#[test]
fn long_output_is_cut_and_still_accepted() {
    let perl = PerlIdentity::parse(PERL_V).unwrap();
    let dist = DistributionId::new("Foo-Bar", "1.23");
    let verdict = Verdict::Report {
        phase: Phase::Test,
        grade: Grade::Fail,
        reason: "One or more tests failed".into(),
    };
    let huge = format!("{}\n{TEST_FAIL}", "t/01.t .. 1/? # noise\n".repeat(150_000));
    assert!(huge.len() > 3_000_000);
    let reporter = reporter();
    let input = ReportInput::new(
        &reporter,
        "riverpan 0.1.0",
        &dist,
        &perl,
        &verdict,
        PhaseOutput {
            test: Some(&huge),
            ..PhaseOutput::default()
        },
    );
    let report = validate(&build_report(&input).unwrap()).unwrap();
    let test = report.result.output.test.unwrap();
    assert!(test.len() < 1_000_100, "{}", test.len());
    assert!(test.contains("[Output truncated because it exceeded 1000K]"));
    // The end, where the harness summary is, survives.
    assert!(test.ends_with(TEST_FAIL));
}

#[test]
fn nothing_is_built_for_what_cpan_reporter_would_not_send() {
    let perl = PerlIdentity::parse(PERL_V).unwrap();
    let dist = DistributionId::new("Foo-Bar", "1.23");
    let reporter = reporter();
    let output = PhaseOutput {
        test: Some("x"),
        ..PhaseOutput::default()
    };
    let discard = Verdict::Discard {
        phase: Phase::Test,
        reason: "Command interrupted".into(),
    };
    let cont = Verdict::Continue {
        phase: Phase::Configure,
    };
    for v in [&discard, &cont] {
        let input = ReportInput::new(&reporter, "riverpan", &dist, &perl, v, output);
        assert!(matches!(build_report(&input), Err(Error::NotReportable(_))));
    }
    let fail = Verdict::Report {
        phase: Phase::Test,
        grade: Grade::Fail,
        reason: String::new(),
    };
    let input = ReportInput::new(
        &reporter,
        "riverpan",
        &dist,
        &perl,
        &fail,
        PhaseOutput::default(),
    );
    assert_eq!(build_report(&input), Err(Error::NoOutput));
    let nobody = Reporter {
        name: None,
        email: " ".into(),
    };
    let input = ReportInput::new(&nobody, "riverpan", &dist, &perl, &fail, output);
    assert_eq!(build_report(&input), Err(Error::NoEmail));
}
