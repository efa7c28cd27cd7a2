//! `riverpan install` and `riverpan exec` end to end: distributions with real `Makefile.PL`s
//! (ExtUtils::MakeMaker, core perl) uploaded into a riverpan, installed from its data directory
//! and from `riverpan serve` on 127.0.0.1, loaded with `riverpan exec`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod install_support;
use install_support::*;

/// A riverpan data directory holding the fixture distributions, uploaded by ALICE.
fn fixture(scratch: &Path) -> Result<PathBuf, Box<dyn Error>> {
    // The testing contexts: the caller's AUTOMATED_TESTING reaches the tests, riverpan's own
    // variables are set, nothing sets RELEASE_TESTING.
    let env_test = "print((($ENV{AUTOMATED_TESTING} // '') eq 'from-the-caller' \
        && $ENV{NONINTERACTIVE_TESTING} && $ENV{PERL_MM_USE_DEFAULT} && $ENV{PERL5_CPANM_IS_RUNNING} \
        && !exists $ENV{RELEASE_TESTING}) ? \"ok 1\\n\" : \"not ok 1\\n\");";
    let dist = |name, version, requires| Dist {
        name,
        version,
        requires,
        ..Dist::default()
    };
    riverpan_with(
        scratch,
        &[
            dist("Leaf-Dist", "1.0", &[]),
            dist("Mid-Dist", "1.0", &["Leaf::Dist"]),
            dist("Mid-Dist", "1.1", &["Leaf::Dist"]),
            dist("Top-Dist", "2.0", &["Mid::Dist"]),
            Dist {
                test: FAIL,
                ..dist("Broken-Tests", "0.1", &[])
            },
            dist("Needs-Broken", "0.1", &["Broken::Tests"]),
            Dist {
                test: env_test,
                ..dist("Env-Check", "0.1", &[])
            },
            Dist {
                makefile_extra:
                    "my $answer = prompt('Install the extras?', 'n');\nmy $line = <STDIN>;",
                ..dist("Prompt-Dist", "0.1", &[])
            },
            dist("Tampered-Dist", "0.1", &[]),
            // MYMETA keeps META's perl requirement only when nothing is computed at configure
            // time: a static install.
            Dist {
                min_perl: "5.999",
                meta_extra: r#""x_static_install":1,"#,
                ..dist("Newer-Perl", "0.1", &[])
            },
        ],
    )
}

fn exec_version(scratch: &Path, lib: &Path, module: &str) -> Result<String, Box<dyn Error>> {
    let output = ok(riverpan(scratch).arg("exec").arg("-L").arg(lib).args([
        "--",
        "perl",
        &format!("-M{module}"),
        "-e",
        &format!("print {module}->VERSION"),
    ]))?;
    Ok(output)
}

#[test]
fn install_from_a_data_directory_and_over_http() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;

    // A chain of three, with tests, from the data directory.
    let lib = scratch.join("local");
    let output = run(install_into(scratch, &data, &lib).args(["--test", "Top::Dist"]))?;
    assert!(output.status.success(), "{}", text(&output));
    let printed = text(&output);
    for dist in ["Leaf-Dist-1.0", "Mid-Dist-1.1", "Top-Dist-2.0"] {
        assert!(printed.contains(&format!("installed: {dist}")), "{printed}");
    }
    assert_eq!(exec_version(scratch, &lib, "Top::Dist")?, "2.0");
    assert_eq!(exec_version(scratch, &lib, "Leaf::Dist")?, "1.0");
    let arch = std::fs::read_dir(lib.join("lib/perl5"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join(".meta").is_dir())
        .ok_or("no .meta directory")?;
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        arch.join(".meta/Mid-Dist-1.1/install.json"),
    )?)?;
    assert_eq!(record["pathname"], "A/AL/ALICE/Mid-Dist-1.1.tar.gz");
    assert_eq!(record["name"], "Mid::Dist");
    assert!(arch.join("auto/Mid/Dist/.packlist").is_file());
    // Installed once: a second run finds everything up to date and installs nothing.
    let again = ok(install_into(scratch, &data, &lib).arg("Top::Dist"))?;
    assert!(again.contains("up to date: Top::Dist 2.0"), "{again}");
    assert!(!again.contains("installed:"), "{again}");

    // Over HTTP from `riverpan serve`, into a fresh lib, served from the download cache.
    let server = Server::start(&data)?;
    let fresh = scratch.join("fresh");
    let output = run(riverpan(scratch)
        .arg("install")
        .args(["--from", &server.url(), "--json", "-L"])
        .arg(&fresh)
        .arg("Mid::Dist@1.1"))?;
    assert!(output.status.success(), "{}", text(&output));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    // Built by the first install (with tests), so taken from the build cache: nothing is
    // configured or built again.
    let prebuilt: Vec<&str> = events
        .iter()
        .filter(|e| e["step"] == "fetch" && e["detail"] == "built before: from the build cache")
        .filter_map(|e| e["subject"].as_str())
        .collect();
    assert_eq!(
        prebuilt,
        [
            "A/AL/ALICE/Mid-Dist-1.1.tar.gz",
            "A/AL/ALICE/Leaf-Dist-1.0.tar.gz"
        ],
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e["step"] == "configure" && e["state"] == "start"),
        "{events:?}"
    );
    assert_eq!(exec_version(scratch, &fresh, "Mid::Dist")?, "1.1");

    // A pinned older version: the index has 1.1, the server's cpanmetadb history has 1.0.
    let pinned = scratch.join("pinned");
    let printed = ok(riverpan(scratch)
        .arg("install")
        .args(["--from", &server.url(), "-L"])
        .arg(&pinned)
        .arg("Mid::Dist@1.0"))?;
    assert!(printed.contains("installed: Mid-Dist-1.0"), "{printed}");
    assert_eq!(exec_version(scratch, &pinned, "Mid::Dist")?, "1.0");
    // A data directory has no history: the pin fails with one clear line, nothing installed.
    let output = run(install_into(scratch, &data, &scratch.join("unpinned")).arg("Mid::Dist@1.0"))?;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("== 1.0 wanted, but the index has 1.1"),
        "{}",
        text(&output)
    );
    assert!(!scratch.join("unpinned/lib/perl5/Mid").exists());
    server.stop();
    Ok(())
}

#[test]
fn failures_block_only_their_dependents_and_nothing_half_installs() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let lib = scratch.join("local");
    // Broken-Tests fails its tests; Needs-Broken is not built; Leaf-Dist is installed; the
    // prompting Makefile.PL does not hang; the caller's testing context reaches the tests.
    let started = Instant::now();
    let output = run(riverpan(scratch)
        .env("AUTOMATED_TESTING", "from-the-caller")
        .arg("install")
        .arg("--from")
        .arg(&data)
        .arg("-L")
        .arg(&lib)
        .args([
            "--test",
            "Needs::Broken",
            "Leaf::Dist",
            "Prompt::Dist",
            "Env::Check",
        ]))?;
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let printed = text(&output);
    assert!(
        printed.contains("FAILED: A/AL/ALICE/Broken-Tests-0.1.tar.gz at test"),
        "{printed}"
    );
    assert!(
        printed.contains("skipped: A/AL/ALICE/Needs-Broken-0.1.tar.gz"),
        "{printed}"
    );
    for dist in ["Leaf-Dist-1.0", "Prompt-Dist-0.1", "Env-Check-0.1"] {
        assert!(printed.contains(&format!("installed: {dist}")), "{printed}");
    }
    assert!(!lib.join("lib/perl5/Broken/Tests.pm").exists());
    assert!(!lib.join("lib/perl5/Needs/Broken.pm").exists());

    // A tarball changed after it was published fails verification; nothing is installed.
    let tampered = data.join("cpan/authors/id/A/AL/ALICE/Tampered-Dist-0.1.tar.gz");
    let mut bytes = std::fs::read(&tampered)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&tampered, bytes)?;
    let other = scratch.join("other");
    let output = run(install_into(scratch, &data, &other).arg("Tampered::Dist"))?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("verification failed"),
        "{}",
        text(&output)
    );
    assert!(!other.join("lib/perl5/Tampered").exists());
    // An unknown module is one clear line.
    let output = run(install_into(scratch, &data, &other).arg("No::Such::Module"))?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("No::Such::Module"),
        "{}",
        text(&output)
    );
    Ok(())
}

/// A project's cpanfile: installed, locked in a cpanfile.snapshot that Carton reads (with the
/// tarballs' SHA-256 in the sidecar), and `--locked` installs the locked releases after the index
/// moved on; `--locked` refuses a cpanfile asking for what the snapshot lacks.
#[test]
fn cpanfile_snapshot_and_locked_installs() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let project = scratch.join("project");
    std::fs::create_dir_all(&project)?;
    std::fs::write(
        project.join("cpanfile"),
        "requires 'Mid::Dist', '1.0';\non test => sub {\n    requires 'Leaf::Dist';\n};\n",
    )?;
    let installed = ok(riverpan(&project).arg("install").arg("--from").arg(&data))?;
    assert!(
        installed.contains("wrote ./cpanfile.snapshot"),
        "{installed}"
    );
    let snapshot = std::fs::read_to_string(project.join("cpanfile.snapshot"))?;
    assert!(
        snapshot.starts_with("# carton snapshot format: version 1.0\nDISTRIBUTIONS\n"),
        "{snapshot}"
    );
    assert!(
        snapshot.contains("  Mid-Dist-1.1\n    pathname: A/AL/ALICE/Mid-Dist-1.1.tar.gz\n"),
        "{snapshot}"
    );
    assert!(snapshot.contains("      Leaf::Dist 0\n"), "{snapshot}");
    let sidecar = std::fs::read_to_string(project.join("cpanfile.snapshot.sha256"))?;
    let leaf = std::fs::read(data.join("cpan/authors/id/A/AL/ALICE/Leaf-Dist-1.0.tar.gz"))?;
    assert!(
        sidecar.contains(&format!(
            "{}  A/AL/ALICE/Leaf-Dist-1.0.tar.gz",
            riverpan_sha256(&leaf)
        )),
        "{sidecar}"
    );
    // Carton's own parser reads it.
    let carton = Command::new("perl")
        .args([
            "-MCarton::Snapshot",
            "-e",
            "my $s = Carton::Snapshot->new(path => 'cpanfile.snapshot'); $s->load; \
             print join(',', map { $_->name . '=' . $_->pathname } $s->distributions)",
        ])
        .current_dir(&project)
        .output()?;
    if carton.status.success() {
        assert_eq!(
            String::from_utf8_lossy(&carton.stdout),
            "Leaf-Dist-1.0=A/AL/ALICE/Leaf-Dist-1.0.tar.gz,Mid-Dist-1.1=A/AL/ALICE/Mid-Dist-1.1.tar.gz"
        );
    } else {
        eprintln!(
            "Carton is not installed (scripts/test installs it): {}",
            text(&carton)
        );
    }

    // The index moves on: Leaf-Dist 2.0. A fresh --locked install still gets 1.0.
    let dists = scratch.join("dists2");
    std::fs::create_dir_all(&dists)?;
    let newer = Dist {
        name: "Leaf-Dist",
        version: "2.0",
        ..Dist::default()
    }
    .make(&dists)?;
    upload(scratch, &data, &newer)?;
    std::fs::remove_dir_all(project.join("local"))?;
    ok(riverpan(&project)
        .arg("install")
        .arg("--from")
        .arg(&data)
        .arg("--locked"))?;
    assert_eq!(
        exec_version(&project, &project.join("local"), "Leaf::Dist")?,
        "1.0"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("cpanfile.snapshot"))?,
        snapshot
    );
    // Without --locked the new release is taken.
    std::fs::remove_dir_all(project.join("local"))?;
    ok(riverpan(&project).arg("install").arg("--from").arg(&data))?;
    assert_eq!(
        exec_version(&project, &project.join("local"), "Leaf::Dist")?,
        "2.0"
    );

    // A cpanfile asking for what the snapshot lacks: --locked says so and installs nothing.
    std::fs::write(project.join("cpanfile.snapshot"), &snapshot)?;
    std::fs::write(project.join("cpanfile.snapshot.sha256"), &sidecar)?;
    std::fs::write(project.join("cpanfile"), "requires 'Top::Dist';\n")?;
    std::fs::remove_dir_all(project.join("local"))?;
    let refused = run(riverpan(&project)
        .arg("install")
        .arg("--from")
        .arg(&data)
        .arg("--locked"))?;
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("Top::Dist (not in the snapshot)"),
        "{}",
        text(&refused)
    );
    assert!(!project.join("local/lib/perl5/Top").exists());
    Ok(())
}

fn riverpan_sha256(bytes: &[u8]) -> String {
    riverpan_install::sha256_hex(bytes)
}

/// The Lancaster consensus on `x_breaks`: a release declaring it breaks an installed module's
/// version is not installed (nothing is), unless `--force`.
#[test]
fn x_breaks_stops_the_plan_unless_forced() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let breaker = Dist {
        name: "Breaker-Dist",
        version: "1.0",
        meta_extra: r#""x_breaks":{"Leaf::Dist":"< 2"},"#,
        ..Dist::default()
    }
    .make(&scratch.join("dists"))?;
    upload(scratch, &data, &breaker)?;
    let lib = scratch.join("local");
    ok(install_into(scratch, &data, &lib).arg("Leaf::Dist"))?;
    let refused = run(install_into(scratch, &data, &lib).arg("Breaker::Dist"))?;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let said = text(&refused);
    assert!(
        said.contains("BREAKS:") && said.contains("Leaf::Dist"),
        "{said}"
    );
    assert!(said.contains("Breaker-Dist"), "{said}");
    assert!(!lib.join("lib/perl5/Breaker/Dist.pm").exists());
    let forced = ok(riverpan(scratch)
        .arg("install")
        .arg("--force")
        .arg("--from")
        .arg(&data)
        .arg("-L")
        .arg(&lib)
        .arg("Breaker::Dist"))?;
    assert!(forced.contains("installed: Breaker-Dist-1.0"), "{forced}");
    Ok(())
}

/// For OS packagers: `--global --installdirs site|vendor --destdir DIR` stages the files where
/// the perl's Config says those directories are, below DIR.
#[test]
fn global_installs_stage_below_a_destdir() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    for (dirs, key) in [("site", "installsitelib"), ("vendor", "installvendorlib")] {
        let config = Command::new("perl")
            .args(["-MConfig", "-e", &format!("print $Config{{{key}}}")])
            .output()?;
        let lib = String::from_utf8_lossy(&config.stdout).into_owned();
        let destdir = scratch.join(format!("stage-{dirs}"));
        let output = run(riverpan(scratch)
            .arg("install")
            .arg("--from")
            .arg(&data)
            .args(["--global", "--installdirs", dirs, "--destdir"])
            .arg(&destdir)
            .arg("Leaf::Dist"))?;
        assert!(output.status.success(), "{}", text(&output));
        let staged = destdir
            .join(lib.trim_start_matches('/'))
            .join("Leaf/Dist.pm");
        assert!(
            staged.is_file(),
            "{} missing: {}",
            staged.display(),
            text(&output)
        );
    }
    Ok(())
}

/// A distribution with only a Build.PL and no configure requirement gets Module::Build as one
/// (as cpanm and cpm inject it).
#[test]
fn module_build_is_injected_for_a_build_pl_only_distribution() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let dists = scratch.join("dists");
    let root = dists.join("Built-Dist-0.1");
    std::fs::create_dir_all(root.join("lib/Built"))?;
    std::fs::write(
        root.join("lib/Built/Dist.pm"),
        "package Built::Dist;\nour $VERSION = '0.1';\n1;\n",
    )?;
    std::fs::write(
        root.join("Build.PL"),
        "use Module::Build;\nModule::Build->new(module_name => 'Built::Dist')->create_build_script;\n",
    )?;
    std::fs::write(
        root.join("META.json"),
        r#"{"name":"Built-Dist","version":"0.1","abstract":"t","author":["T"],"license":["perl_5"],
"dynamic_config":1,"release_status":"stable","generated_by":"hand","meta-spec":{"version":2}}"#,
    )?;
    let archive = dists.join("Built-Dist-0.1.tar.gz");
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(&dists)
        .arg("Built-Dist-0.1")
        .status()?;
    assert!(status.success());
    let data = riverpan_with(scratch, &[])?;
    upload(scratch, &data, &archive)?;
    let output = run(riverpan(scratch)
        .arg("install")
        .arg("--from")
        .arg(&data)
        .args(["--dry-run", "--json", "-L"])
        .arg(scratch.join("local"))
        .arg("Built::Dist"))?;
    let asked: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .filter(|e: &serde_json::Value| e["subject"] == "Module::Build")
        .collect();
    assert!(!asked.is_empty(), "{}", text(&output));
    Ok(())
}

/// A distribution file as the target: that release, even when the index has moved on.
#[test]
fn a_distribution_file_target_installs_that_release() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let dists = scratch.join("dists2");
    std::fs::create_dir_all(&dists)?;
    let newer = Dist {
        name: "Leaf-Dist",
        version: "2.0",
        ..Dist::default()
    }
    .make(&dists)?;
    upload(scratch, &data, &newer)?;
    for (spec, lib) in [
        ("ALICE/Leaf-Dist-1.0.tar.gz", "short"),
        ("A/AL/ALICE/Leaf-Dist-1.0.tar.gz", "long"),
    ] {
        let lib = scratch.join(lib);
        ok(install_into(scratch, &data, &lib).arg(spec))?;
        assert_eq!(exec_version(scratch, &lib, "Leaf::Dist")?, "1.0", "{spec}");
    }
    let latest = scratch.join("latest");
    ok(install_into(scratch, &data, &latest).arg("Leaf::Dist"))?;
    assert_eq!(exec_version(scratch, &latest, "Leaf::Dist")?, "2.0");
    Ok(())
}

/// Targets on disk, as `cpanm ./Foo-1.0.tar.gz` and `cpanm .`: a tarball and a directory are
/// built from there (their prerequisites from the source), the directory left as it was.
#[test]
fn local_tarball_and_directory_targets() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let mine = scratch.join("mine");
    std::fs::create_dir_all(&mine)?;
    let tarball = Dist {
        name: "My-Tarball",
        version: "0.5",
        requires: &["Leaf::Dist"],
        ..Dist::default()
    }
    .make(&mine)?;
    let _ = Dist {
        name: "My-Checkout",
        version: "0.7",
        requires: &["Mid::Dist"],
        ..Dist::default()
    }
    .make(&mine)?;
    let checkout = mine.join("My-Checkout-0.7");
    let before = std::fs::read_dir(&checkout)?.count();
    let lib = scratch.join("local");
    let printed = ok(riverpan(scratch)
        .current_dir(&checkout)
        .arg("install")
        .arg("--from")
        .arg(&data)
        .arg("-L")
        .arg(&lib)
        .arg("--test")
        .arg(&tarball)
        .arg("."))?;
    for dist in [
        "My-Tarball-0.5",
        "My-Checkout-0.7",
        "Leaf-Dist-1.0",
        "Mid-Dist-1.1",
    ] {
        assert!(printed.contains(&format!("installed: {dist}")), "{printed}");
    }
    assert_eq!(exec_version(scratch, &lib, "My::Tarball")?, "0.5");
    assert_eq!(exec_version(scratch, &lib, "My::Checkout")?, "0.7");
    // Built in the work directory: no Makefile, blib or MYMETA left in the checkout.
    assert_eq!(std::fs::read_dir(&checkout)?.count(), before);
    assert!(!checkout.join("blib").exists());
    // Recorded as cpanm records a local distribution: its name and version from META.
    let listed = ok(riverpan(scratch).args(["list", "--json", "-L"]).arg(&lib))?;
    assert!(listed.contains("My-Checkout"), "{listed}");
    // A directory that is not a distribution: one clear line.
    let output = run(install_into(scratch, &data, &lib).arg(&mine))?;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("neither Build.PL nor Makefile.PL"),
        "{}",
        text(&output)
    );
    Ok(())
}

/// `x_static_install: 1`: installed without running its Makefile.PL (which would die here),
/// tested with the harness, its script's `#!` line pointed at the perl; listed and
/// uninstallable as any other.
#[test]
fn a_static_install_runs_no_makefile_pl() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = riverpan_with(
        scratch,
        &[
            Dist {
                name: "Leaf-Dist",
                version: "1.0",
                ..Dist::default()
            },
            Dist {
                name: "Static-Dist",
                version: "0.3",
                requires: &["Leaf::Dist"],
                makefile_extra: "die 'a static install never runs Makefile.PL';",
                meta_extra: r#""x_static_install":1,"#,
                script: true,
                ..Dist::default()
            },
            Dist {
                name: "Static-Failing",
                version: "0.1",
                test: FAIL,
                makefile_extra: "die 'a static install never runs Makefile.PL';",
                meta_extra: r#""x_static_install":"1","#,
                ..Dist::default()
            },
        ],
    )?;
    let lib = scratch.join("local");
    let output = run(install_into(scratch, &data, &lib).args([
        "--test",
        "Static::Dist",
        "Static::Failing",
    ]))?;
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("installed: Static-Dist-0.3"), "{printed}");
    assert!(
        printed.contains("FAILED: A/AL/ALICE/Static-Failing-0.1.tar.gz at test"),
        "{printed}"
    );
    assert_eq!(exec_version(scratch, &lib, "Static::Dist")?, "0.3");
    let script = std::fs::read_to_string(lib.join("bin/static-dist"))?;
    assert!(
        script.starts_with("#!/") && script.lines().next().is_some_and(|l| l.contains("perl")),
        "{script}"
    );
    let ran = ok(riverpan(scratch)
        .arg("exec")
        .arg("-L")
        .arg(&lib)
        .args(["--", "static-dist"]))?;
    assert_eq!(ran.trim(), "Static-Dist");
    let listed = ok(riverpan(scratch).args(["list", "-L"]).arg(&lib))?;
    assert!(listed.contains("Static-Dist"), "{listed}");
    ok(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("Static-Dist"))?;
    assert!(!lib.join("lib/perl5/Static/Dist.pm").exists());
    assert!(!lib.join("bin/static-dist").exists());
    Ok(())
}

/// `--test --report URL`: each tested distribution's result reaches the riverpan as a CPAN
/// Testers report, graded as CPAN::Reporter grades it (pass, fail); the tester comes from
/// `--tester`; reporting without an address is refused before anything runs.
#[test]
fn tested_distributions_are_reported_to_a_riverpan() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = fixture(scratch)?;
    let server = Server::start(&data)?;
    let lib = scratch.join("local");
    let output = run(riverpan(scratch)
        .arg("install")
        .args(["--from", &server.url(), "--test", "--report", &server.url()])
        .args(["--tester", "Test Er <tester@example.org>", "-L"])
        .arg(&lib)
        .args(["Leaf::Dist", "Broken::Tests", "Newer::Perl"]))?;
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    // META wants a newer perl: stopped before anything runs, and reported na as
    // CPAN::Reporter reports it.
    assert!(
        printed.contains("reported: A/AL/ALICE/Newer-Perl-0.1.tar.gz NA"),
        "{printed}"
    );
    assert!(
        printed.contains("reported: A/AL/ALICE/Leaf-Dist-1.0.tar.gz PASS"),
        "{printed}"
    );
    assert!(
        printed.contains("reported: A/AL/ALICE/Broken-Tests-0.1.tar.gz FAIL"),
        "{printed}"
    );
    let summary = |dist: &str| -> Result<serde_json::Value, Box<dyn Error>> {
        let body = Command::new("curl")
            .args(["-sf", &format!("{}v3/summary/{dist}", server.url())])
            .output()?;
        assert!(body.status.success(), "{}", text(&body));
        Ok(serde_json::from_slice(&body.stdout)?)
    };
    let leaf = summary("Leaf-Dist")?;
    assert_eq!(leaf.as_array().map(Vec::len), Some(1), "{leaf}");
    assert_eq!(leaf[0]["grade"], "pass", "{leaf}");
    assert_eq!(leaf[0]["version"], "1.0", "{leaf}");
    let broken = summary("Broken-Tests")?;
    assert_eq!(broken[0]["grade"], "fail", "{broken}");
    let newer = summary("Newer-Perl")?;
    assert_eq!(newer[0]["grade"], "na", "{newer}");
    assert!(!lib.join("lib/perl5/Newer").exists());
    // No address: refused at once, nothing installed.
    let output = run(riverpan(scratch)
        .arg("install")
        .args([
            "--from",
            &server.url(),
            "--test",
            "--report",
            &server.url(),
            "-L",
        ])
        .arg(scratch.join("none"))
        .arg("Leaf::Dist"))?;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("e-mail address"),
        "{}",
        text(&output)
    );
    assert!(!scratch.join("none").exists());
    server.stop();
    Ok(())
}

/// Each distribution reaches the target whole or not at all: a script that cannot be installed
/// (a file stands where the lib's `bin` directory goes) keeps its module out too, and what needs
/// it is not installed, while the other distributions of the run are.
#[test]
fn a_distribution_that_cannot_be_installed_leaves_nothing_behind() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = riverpan_with(
        scratch,
        &[
            Dist {
                name: "Leaf-Dist",
                version: "1.0",
                ..Dist::default()
            },
            Dist {
                name: "Atomic-Dist",
                version: "0.1",
                script: true,
                ..Dist::default()
            },
            Dist {
                name: "Needs-Atomic",
                version: "0.1",
                requires: &["Atomic::Dist"],
                ..Dist::default()
            },
        ],
    )?;
    let lib = scratch.join("local");
    std::fs::create_dir_all(&lib)?;
    std::fs::write(lib.join("bin"), "not a directory")?;
    let output = run(install_into(scratch, &data, &lib).args(["Leaf::Dist", "Needs::Atomic"]))?;
    let printed = text(&output);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(printed.contains("installed: Leaf-Dist-1.0"), "{printed}");
    assert!(
        printed.contains("FAILED: A/AL/ALICE/Atomic-Dist-0.1.tar.gz at install"),
        "{printed}"
    );
    assert!(lib.join("lib/perl5/Leaf/Dist.pm").is_file());
    assert!(!lib.join("lib/perl5/Atomic").exists(), "{printed}");
    // What was built against it is not installed either.
    assert!(!lib.join("lib/perl5/Needs").exists(), "{printed}");
    assert!(
        printed.contains("Needs-Atomic-0.1.tar.gz at install")
            && printed.contains("Atomic-Dist-0.1 could not be installed"),
        "{printed}"
    );
    // Nothing of the staging is left in the lib.
    let arch = std::fs::read_dir(lib.join("lib/perl5"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join(".meta").is_dir())
        .ok_or("no .meta directory")?;
    let leftovers: Vec<_> = std::fs::read_dir(&arch)?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".riverpan-staging")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    Ok(())
}

/// `--extended-testing` sets EXTENDED_TESTING=1 for the tests (which fail without it here), and
/// `-v` shows each step's output under the distribution's name.
#[test]
fn extended_testing_and_verbose_output() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = riverpan_with(
        scratch,
        &[Dist {
            name: "Extended-Only",
            version: "0.1",
            test: "print(($ENV{EXTENDED_TESTING} // '') eq '1' ? \"ok 1 - extended\\n\" : \"not ok 1\\n\");",
            ..Dist::default()
        }],
    )?;
    let install = |lib: &str, extra: &[&str]| {
        run(install_into(scratch, &data, &scratch.join(lib))
            .args(["--test", "--no-build-cache"])
            .args(extra)
            .arg("Extended::Only"))
    };
    let plain = install("plain", &[])?;
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain));
    let extended = install("extended", &["--extended-testing", "-v"])?;
    let printed = text(&extended);
    assert!(extended.status.success(), "{printed}");
    assert!(
        printed.contains("A/AL/ALICE/Extended-Only-0.1.tar.gz | ok 1 - extended")
            || printed.contains("A/AL/ALICE/Extended-Only-0.1.tar.gz | t/basic.t .. ok"),
        "{printed}"
    );
    assert!(
        printed.contains("A/AL/ALICE/Extended-Only-0.1.tar.gz | perl Makefile.PL"),
        "{printed}"
    );
    Ok(())
}

/// A dependency cycle (Cycle-A requires Cycle-B at run time and Cycle-B requires Cycle-A) is
/// broken as cpm breaks it and named in the summary; both install and load.
#[test]
fn a_dependency_cycle_is_broken_and_named() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    // The tests load nothing, so a build with the other's blib missing still succeeds.
    let cyclic = |name, other: &'static [&'static str]| Dist {
        name,
        version: "1.0",
        requires: other,
        ..Dist::default()
    };
    let data = riverpan_with(
        scratch,
        &[
            cyclic("Cycle-A", &["Cycle::B"]),
            cyclic("Cycle-B", &["Cycle::A"]),
        ],
    )?;
    let lib = scratch.join("local");
    let output = run(install_into(scratch, &data, &lib).arg("Cycle::A"))?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("dependency cycle:"), "{printed}");
    assert!(
        printed.contains("Cycle-A-1.0") && printed.contains("Cycle-B-1.0"),
        "{printed}"
    );
    assert_eq!(exec_version(scratch, &lib, "Cycle::A")?, "1.0");
    assert_eq!(exec_version(scratch, &lib, "Cycle::B")?, "1.0");
    Ok(())
}
