//! Every grading rule on real (or real-looking) Test::Harness, MakeMaker and Module::Build
//! output; see `common/mod.rs` for the cases and `src/grade.rs` for the rules.

mod common;

use cpan_reporter::{
    grade, has_recursive_make, is_make, makefile_has_test_target, ExitStatus, Grade, Harness,
    Phase, PhaseRun, Verdict,
};
use proptest::prelude::*;

fn run(c: &common::Case) -> Verdict {
    grade(&PhaseRun {
        phase: c.phase,
        command: c.command,
        exit: c.exit,
        timed_out: c.timed_out,
        output: &c.output,
        prerequisites: &c.prereqs,
        build_dir: c.build_dir,
        harness: c.harness,
    })
}

#[test]
fn every_case_grades_as_cpan_reporter_does() {
    let mut failures = Vec::new();
    for c in common::cases() {
        let v = run(&c);
        let (got, reason) = match &v {
            Verdict::Report { grade, reason, .. } => (grade.as_str(), reason.as_str()),
            Verdict::Discard { reason, .. } => ("discard", reason.as_str()),
            Verdict::Continue { .. } => ("continue", "No errors"),
        };
        assert_eq!(v.phase(), c.phase);
        if got != c.expect || !reason.starts_with(c.reason) {
            failures.push(format!(
                "{}: expected {} ({:?}), got {} ({:?})",
                c.name, c.expect, c.reason, got, reason
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn prerequisite_discards_quote_the_table() {
    let c = common::cases()
        .into_iter()
        .find(|c| c.name == "missing prerequisite at test")
        .unwrap();
    let Verdict::Discard { reason, .. } = run(&c) else {
        panic!("not a discard")
    };
    assert!(
        reason.starts_with("Prerequisite missing:\nrequires:\n"),
        "{reason}"
    );
    assert!(
        reason
            .lines()
            .any(|l| l.starts_with("  ! Not::There 1.0   n/a")),
        "{reason}"
    );
}

#[test]
fn success_is_what_cpan_pm_is_told() {
    let v = |phase, grade| Verdict::Report {
        phase,
        grade,
        reason: String::new(),
    };
    assert!(v(Phase::Test, Grade::Pass).success());
    assert!(v(Phase::Test, Grade::Unknown).success());
    assert!(!v(Phase::Test, Grade::Fail).success());
    assert!(!v(Phase::Test, Grade::Na).success());
    assert!(!v(Phase::Configure, Grade::Unknown).success());
    assert!(!v(Phase::Configure, Grade::Na).success());
    assert!(Verdict::Continue {
        phase: Phase::Build
    }
    .success());
    assert!(!Verdict::Discard {
        phase: Phase::Test,
        reason: String::new()
    }
    .success());
}

#[test]
fn exit_statuses_as_perl_sees_them() {
    assert_eq!(ExitStatus::Exited(2).wait_status(), 512);
    assert_eq!(ExitStatus::Exited(255).wait_status(), 0xff00);
    assert_eq!(ExitStatus::Signaled(9).wait_status(), 9);
}

#[test]
fn make_or_build() {
    for c in [
        "make",
        "make test",
        "/usr/bin/make test",
        "gmake",
        "dmake test",
        "nmake",
        "perl Makefile.PL",
        "MAKE test",
    ] {
        assert!(is_make(c), "{c}");
    }
    for c in [
        "./Build",
        "./Build test",
        "perl Build.PL",
        "makefoo",
        "xMakefile.PL",
    ] {
        assert!(!is_make(c), "{c}");
    }
}

#[test]
fn build_directory_helpers() {
    assert!(makefile_has_test_target(
        "all :: pure_all\ntest :: $(TEST_TYPE)\n"
    ));
    assert!(makefile_has_test_target("test:\n"));
    assert!(!makefile_has_test_target(
        "all ::\n# test :: x\ntesting : y\n"
    ));
    assert!(has_recursive_make(["Makefile.PL", "Sub/Makefile.PL"]));
    assert!(!has_recursive_make([
        "Makefile.PL",
        "t/lib/Makefile.PL",
        "Build.PL"
    ]));
    assert!(!has_recursive_make(["./Makefile.PL"]));
}

#[test]
fn harness_generation_from_its_version() {
    assert_eq!(Harness::for_test_harness_version("3.44"), Harness::Tap);
    assert_eq!(Harness::for_test_harness_version("2.99_02"), Harness::Tap);
    assert_eq!(
        Harness::for_test_harness_version("2.99_01"),
        Harness::Legacy
    );
    assert_eq!(Harness::for_test_harness_version("2.64"), Harness::Legacy);
}

fn any_phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        Just(Phase::Configure),
        Just(Phase::Build),
        Just(Phase::Test)
    ]
}

/// Lines that are near the patterns, so that the search paths get exercised.
fn near_miss_output() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("Result: ".to_string()),
        Just("Result:\tPASS".to_string()),
        Just("No tests defined".to_string()),
        Just("Perl v5.9 required".to_string()),
        Just("--this is only".to_string()),
        Just("skipped: ".to_string()),
        Just("Bailout called.".to_string()),
        Just("FAILED--".to_string()),
        Just("open3: IO::Pipe: Can't spawn".to_string()),
        Just("TAP/Parser/Iterator/Process".to_string()),
        Just("Makefile out-of-date with respect to Makefile".to_string()),
        Just("\n".to_string()),
        "[ -~\\n\\t\\r]{0,20}",
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..30).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn grading_never_panics(
        phase in any_phase(),
        command in "[ -~]{0,30}",
        output in prop_oneof![any::<String>(), near_miss_output()],
        code in any::<i32>(),
        signaled in any::<bool>(),
        timed_out in any::<bool>(),
        legacy in any::<bool>(),
        flags in any::<[bool; 4]>(),
    ) {
        let build_dir = cpan_reporter::BuildDir {
            build_file_written: flags[0],
            makefile_has_test_target: flags[1],
            has_test_pl: flags[2],
            recursive_make: flags[3],
        };
        let v = grade(&PhaseRun {
            phase,
            command: &command,
            exit: if signaled { ExitStatus::Signaled(code) } else { ExitStatus::Exited(code) },
            timed_out,
            output: &output,
            prerequisites: &[],
            build_dir,
            harness: if legacy { Harness::Legacy } else { Harness::Tap },
        });
        prop_assert_eq!(v.phase(), phase);
        // A passing configure or build is never reported.
        if phase != Phase::Test {
            prop_assert_ne!(v.grade(), Some(Grade::Pass));
        }
        let _ = is_make(&command);
    }
}
