//! Grading cases shared by the unit-style tests (`grading.rs`) and the differential test
//! against CPAN::Reporter itself (`differential.rs`).
//!
//! The `harness/*.txt` fixtures are real output captured on Debian 12 (perl 5.36.0,
//! Test::Harness 3.44, ExtUtils::MakeMaker 7.64, Module::Build 0.4232) from tiny
//! distributions built for each situation; the exit code of each run is noted by its case.

#![allow(dead_code)]

use cpan_reporter::{BuildDir, ExitStatus, Harness, Have, Phase, Prereq, PrereqSection};

pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/harness/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a case should grade to: `pass`/`fail`/`unknown`/`na`, `discard` or `continue`.
pub struct Case {
    pub name: String,
    pub phase: Phase,
    pub command: &'static str,
    pub output: String,
    pub exit: ExitStatus,
    pub timed_out: bool,
    pub prereqs: Vec<Prereq>,
    pub build_dir: BuildDir,
    pub harness: Harness,
    pub expect: &'static str,
    pub reason: &'static str,
    /// Rule only in CPAN::Reporter 1.2020 (older ones give another message).
    pub since_1_2020: bool,
}

pub fn case(
    name: &str,
    phase: Phase,
    command: &'static str,
    output: String,
    exit: i32,
    expect: &'static str,
    reason: &'static str,
) -> Case {
    Case {
        name: name.to_string(),
        phase,
        command,
        output,
        exit: ExitStatus::Exited(exit),
        timed_out: false,
        prereqs: vec![
            Prereq::new(
                PrereqSection::Requires,
                "perl",
                "5.006",
                Have::Version("5.036000".into()),
            ),
            Prereq::new(
                PrereqSection::BuildRequires,
                "Test::More",
                "0.88",
                Have::Version("1.302190".into()),
            ),
        ],
        build_dir: BuildDir::default(),
        harness: Harness::Tap,
        expect,
        reason,
        since_1_2020: false,
    }
}

fn missing_prereq() -> Vec<Prereq> {
    vec![
        Prereq::new(PrereqSection::Requires, "Not::There", "1.0", Have::Missing),
        Prereq::new(
            PrereqSection::Requires,
            "perl",
            "5.006",
            Have::Version("5.036000".into()),
        ),
    ]
}

fn old_prereq() -> Vec<Prereq> {
    vec![Prereq::new(
        PrereqSection::Requires,
        "Test::More",
        "99",
        Have::Version("1.302190".into()),
    )]
}

const LEGACY_FAIL: &str = "\
t/01....ok
t/02....FAILED test 2
\tFailed 1/3 tests, 66.67% okay
Failed Test Stat Wstat Total Fail  Failed  List of Failed
-------------------------------------------------------------------------------
t/02.t                     3    1  33.33%  2
Failed 1/2 test scripts, 50.00% okay. 1/4 subtests failed, 75.00% okay.
make: *** [test_dynamic] Error 255
";

const LEGACY_PASS: &str = "\
t/01....ok
t/02....ok
All tests successful.
Files=2, Tests=4,  0 wallclock secs ( 0.02 cusr +  0.00 csys =  0.02 CPU)
";

pub fn cases() -> Vec<Case> {
    use Phase::{Build, Configure, Test};
    let mut v = vec![
        // C1 and the "no report for a passing configure/build" rule.
        case("configure passes", Configure, "perl Makefile.PL", fixture("pass-configure"), 0, "continue", "No errors"),
        case("build passes", Build, "make", fixture("pass-build"), 0, "continue", "No errors"),
        case("make fails: unknown", Build, "make", fixture("xs-build"), 2, "unknown", "Stopped with an error"),
        case("Module::Build configure passes", Configure, "perl Build.PL", fixture("mb-configure"), 0, "continue", "No errors"),
        // T4.
        case("TAP pass", Test, "make test", fixture("pass-test"), 0, "pass", "All tests successful"),
        case("TAP fail, Failed 1/3 subtests", Test, "make test", fixture("fail-test"), 2, "fail", "One or more tests failed"),
        case("Dubious, test returned 255", Test, "make test", fixture("dubious-test"), 2, "fail", "One or more tests failed"),
        case("Result: NOTESTS", Test, "make test", fixture("skipall-test"), 0, "unknown", "No tests were run"),
        // T5 / T6b.
        case("bail out", Test, "make test", fixture("bailout-test"), 2, "fail", "Bailed out of tests"),
        // T3.
        case("MakeMaker without t/", Test, "make test", fixture("notests-eumm-test"), 0, "unknown", "No tests provided"),
        case("Module::Build without t/", Test, "./Build test", fixture("mb-notests-test"), 0, "unknown", "No tests provided"),
        // T2.
        case("OS unsupported in a test", Test, "make test",
             "t/00-os.t .. OS unsupported\nt/00-os.t .. ok\nAll tests successful.\nFiles=1, Tests=1\nResult: PASS\n".into(),
             0, "pass", "All tests successful"),
        case("No support for OS as the last word", Test, "./Build test",
             "t/00-os.t .. skipped: No support for OS\nFiles=1, Tests=0\nResult: NOTESTS\nNo support for OS: MSWin32\n".into(),
             0, "na", "This platform is not supported"),
        // T8.
        case("no harness output, exit 0", Test, "./Build test", "running custom tests\nall good\n".into(), 0, "pass", "'Build test' no errors"),
        case("no harness output, exit 1", Test, "make test", "running custom tests\nsomething broke\n".into(), 1, "fail", "'make test' error detected"),
        case("Result: with an unknown word decides nothing", Test, "make test", "Result: PASSED\n".into(), 0, "pass", "'make test' no errors"),
        // D3 at configure.
        case("Perl v5.999.0 required at configure", Configure, "perl Makefile.PL", fixture("perlold-configure"), 255, "na", "Perl version too low"),
        case("MakeMaker MIN_PERL_VERSION", Configure, "perl Makefile.PL",
             "Perl version 5.999 or higher required. We run 5.036000.\n".into(), 255, "na", "Perl version too low"),
        case("Module::Build perl version", Configure, "perl Build.PL",
             "ERROR: perl: Version 5.036000 is installed, but we need version >= 5.999\n".into(), 0, "na", "Perl version too low"),
        case("skipped test's perl requirement does not count", Test, "make test",
             "t/01.t .. skipped: Perl v5.40.0 required--this is only v5.36.0\nsomething broke\n".into(), 2, "fail", "'make test' error detected"),
        // D4.
        case("Makefile.PL dies OS unsupported", Configure, "perl Makefile.PL", fixture("osdie-configure"), 255, "na", "This platform is not supported"),
        case("Makefile.PL prints OS unsupported and exits 0", Configure, "perl Makefile.PL", fixture("osexit-configure"), 0, "na", "This platform is not supported"),
        // D6: a missing prerequisite makes a failure say nothing about the distribution.
        {
            let mut c = case("missing prerequisite at test", Test, "make test", fixture("prereq-test"), 2, "discard", "Prerequisite missing:");
            c.prereqs = missing_prereq();
            c
        },
        {
            let mut c = case("missing prerequisite at build", Build, "make", fixture("xs-build"), 2, "discard", "Prerequisite missing:");
            c.prereqs = missing_prereq();
            c
        },
        {
            // A passing configure with a missing prerequisite is fine: CPAN.pm installs it next.
            let mut c = case("missing prerequisite at a passing configure", Configure, "perl Makefile.PL", fixture("prereq-configure"), 0, "continue", "No errors");
            c.prereqs = missing_prereq();
            c
        },
        {
            // A passing test run is never downgraded.
            let mut c = case("missing prerequisite but tests pass", Test, "make test", fixture("pass-test"), 0, "pass", "All tests successful");
            c.prereqs = missing_prereq();
            c
        },
        // D7.
        {
            let mut c = case("prerequisite too old", Test, "make test", fixture("fail-test"), 2, "discard", "Prerequisite version too low:");
            c.prereqs = old_prereq();
            c
        },
        // D3 through the table: `! perl`.
        {
            let mut c = case("perl prerequisite unmet", Test, "make test", fixture("fail-test"), 2, "na", "Perl version too low");
            c.prereqs = vec![Prereq::new(PrereqSection::Requires, "perl", "5.040", Have::Version("5.036000".into()))];
            c
        },
        // D8.
        {
            let mut c = case("exit 0 without a Makefile", Configure, "perl Makefile.PL", fixture("nomakefile-configure"), 0, "discard", "No Makefile or Build file found");
            c.build_dir.build_file_written = false;
            c
        },
        // D5.
        {
            let mut c = case("no make test target", Test, "make test",
                "make: *** No rule to make target 'test'.  Stop.\n".into(), 2, "unknown", "No make test target");
            c.build_dir.makefile_has_test_target = false;
            c
        },
        // T1.
        {
            let mut c = case("test.pl: exit code decides", Test, "make test", fixture("fail-test"), 0, "pass", "'make test' no errors");
            c.build_dir.has_test_pl = true;
            c
        },
        {
            let mut c = case("recursive Makefile.PL: exit code decides", Test, "make test", fixture("pass-test"), 2, "fail", "'make test' error detected");
            c.build_dir.recursive_make = true;
            c
        },
        // D2.
        case("harness spawn failure", Test, "make test",
             "open3: IO::Pipe: Can't spawn-NOWAIT: No such file or directory at /usr/share/perl/5.36/TAP/Parser/Iterator/Process.pm line 165.\n".into(),
             2, "discard", "Test harness failure"),
        // D9.
        case("Build -j", Test, "./Build test -j4", "weird\n".into(), 1, "discard", "-j is not a valid option for Module::Build (upgrade your CPAN.pm)"),
        // D10.
        case("Makefile out of date", Build, "make",
             "Makefile out-of-date with respect to Makefile.PL\nCleaning current config before rebuilding Makefile...\n".into(),
             2, "discard", "Makefile out-of-date"),
        // T7.
        {
            let mut c = case("Test::Harness 2 failure", Test, "make test", LEGACY_FAIL.into(), 2, "fail", "One or more tests failed");
            c.harness = Harness::Legacy;
            c
        },
        {
            let mut c = case("Test::Harness 2 pass", Test, "make test", LEGACY_PASS.into(), 0, "pass", "All tests successful");
            c.harness = Harness::Legacy;
            c
        },
        {
            let mut c = case("Test::Harness 2 no tests", Test, "make test", "FAILED--no tests were run for some reason.\n".into(), 2, "unknown", "No tests were run");
            c.harness = Harness::Legacy;
            c
        },
        // T6b: TAP::Harness 3.49 prints only this line on a bail-out.
        {
            let mut c = case("TAP::Harness 3.49 bail out", Test, "make test",
                "t/01.t .. \nFAILED--Further testing stopped: no database\nmake: *** [Makefile:807: test_dynamic] Error 255\n".into(),
                2, "fail", "Bailed out of tests");
            c.since_1_2020 = true;
            c
        },
    ];
    // Edges of the patterns: case folding, the one-character prefix, carriage returns.
    v.extend([
        case(
            "os UNSUPPORTED, any case",
            Test,
            "make test",
            "t/00.t .. os UNSUPPORTED here\n".into(),
            1,
            "na",
            "This platform is not supported",
        ),
        case(
            "one character before No tests defined",
            Test,
            "./Build test",
            "\rNo tests defined.\n".into(),
            0,
            "unknown",
            "No tests provided",
        ),
        case(
            "two characters before No tests defined",
            Test,
            "./Build test",
            "  No tests defined.\n".into(),
            0,
            "pass",
            "'Build test' no errors",
        ),
        case(
            "no tests defined is case-sensitive",
            Test,
            "./Build test",
            "no tests defined\n".into(),
            3,
            "fail",
            "'Build test' error detected",
        ),
        case(
            "Result line with CRLF",
            Test,
            "make test",
            "Result:  FAIL\r\n".into(),
            2,
            "fail",
            "One or more tests failed",
        ),
        case(
            "SKIPPED: in capitals still excuses",
            Test,
            "make test",
            "SKIPPED: perl 5.40 required--this is only 5.36\n".into(),
            2,
            "fail",
            "'make test' error detected",
        ),
        case(
            "Could not eval",
            Build,
            "make",
            "Could not eval '\n    package ExtUtils::MakeMaker::_version;\n".into(),
            2,
            "na",
            "Perl version too low",
        ),
        case(
            "first downgrade line wins: OS before perl",
            Configure,
            "perl Makefile.PL",
            "OS unsupported\nPerl v5.40.0 required--this is only v5.36.0\n".into(),
            2,
            "na",
            "This platform is not supported",
        ),
    ]);
    // D1: killed by the timeout, with no summary line yet.
    let mut killed = case("killed by the timeout", Test, "make test",
        "PERL_DL_NONLAZY=1 \"/usr/bin/perl\" \"-MExtUtils::Command::MM\" \"-MTest::Harness\" \"-e\" \"undef *Test::Harness::Switches; test_harness(0, 'blib/lib', 'blib/arch')\" t/*.t\nt/01-slow.t .. 1/3 ".into(),
        0, "discard", "Command interrupted");
    killed.timed_out = true;
    killed.exit = ExitStatus::Signaled(9);
    v.push(killed);
    // ... and a killed run that had already printed its failure summary is discarded too.
    let mut killed = case(
        "killed after Result: FAIL",
        Test,
        "make test",
        fixture("fail-test"),
        0,
        "discard",
        "Command interrupted",
    );
    killed.timed_out = true;
    v.push(killed);
    // ... but a PASS is never downgraded.
    let mut killed = case(
        "killed after Result: PASS",
        Test,
        "make test",
        fixture("pass-test"),
        0,
        "pass",
        "All tests successful",
    );
    killed.timed_out = true;
    v.push(killed);
    let mut segv = case(
        "configure killed by SIGSEGV",
        Configure,
        "perl Makefile.PL",
        "Generating a Unix-style Makefile\n".into(),
        0,
        "discard",
        "Command interrupted",
    );
    segv.exit = ExitStatus::Signaled(11);
    v.push(segv);
    v
}
