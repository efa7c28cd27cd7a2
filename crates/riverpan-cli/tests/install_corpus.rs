//! `riverpan install` against real CPAN distributions: the corpus fixture
//! (`tests/data/install-fixture.txt`, fetched by `scripts/fetch-install-fixture`, laid out under
//! their real CPAN paths with the real index's permissions by `scripts/install-fixture`),
//! imported into a riverpan and served on 127.0.0.1. A pure-Perl tree (Config-GitLike: twelve
//! distributions with its build and test requirements, Moo among them, Module-Build to build)
//! and an XS module (Clone, over B-COW, XS too; `--reinstall`, since the OS may ship it) install
//! with their tests and load; a fresh lib is then served from the build cache, through a
//! cpanfile whose snapshot Carton reads.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

mod install_support;
use install_support::*;

fn exec_perl(scratch: &Path, lib: &Path, code: &str) -> Result<String, Box<dyn Error>> {
    ok(riverpan(scratch)
        .arg("exec")
        .arg("-L")
        .arg(lib)
        .args(["--", "perl", "-e", code]))
}

#[test]
fn a_deep_pure_perl_tree_and_an_xs_module_from_real_cpan_releases() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let Some(corpus) = fixture_dir() else {
        return Ok(());
    };
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = corpus_riverpan(scratch, &corpus)?;
    // The real index's permissions held: Module::Build is LEONT's, whoever declares it.
    let perms =
        ok(riverpan(scratch)
            .arg("--data")
            .arg(&data)
            .args(["perms", "show", "Module::Build"]))?;
    assert!(perms.contains("LEONT"), "{perms}");
    let packages = std::fs::read(data.join("cpan/modules/02packages.details.txt.gz"))?;
    let mut index = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(packages.as_slice()),
        &mut index,
    )?;
    for line in ["A/AL/ALEXMV/Config-GitLike-", "G/GA/GARU/Clone-"] {
        assert!(index.contains(line), "{line} is not indexed:\n{index}");
    }

    let server = Server::start(&data)?;
    let lib = scratch.join("local");
    let output = run(riverpan(scratch)
        .arg("install")
        .args(["--from", &server.url(), "--test", "--reinstall", "-L"])
        .arg(&lib)
        .args(["Config::GitLike", "Clone"]))?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    for dist in ["Config-GitLike-", "Clone-"] {
        assert!(
            printed.contains(&format!("installed: {dist}")),
            "{dist}: {printed}"
        );
    }
    let loaded = exec_perl(
        scratch,
        &lib,
        "use Config::GitLike; use Clone qw(clone); \
         my $copy = clone({ a => [1, 2] }); \
         print Config::GitLike->VERSION, ' ', Clone->VERSION, ' ', \
         scalar @{ $copy->{a} }, ' ', $INC{'Clone.pm'}",
    )?;
    let fields: Vec<&str> = loaded.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{loaded}");
    assert_eq!(fields[2], "2", "{loaded}");
    // Clone was built here, XS and all, and loads from the lib's arch directory.
    assert!(
        fields[3].starts_with(lib.to_string_lossy().as_ref()),
        "{loaded}"
    );
    let shared_object = walk(&lib.join("lib/perl5"))
        .into_iter()
        .any(|p| p.ends_with("auto/Clone/Clone.so"));
    assert!(shared_object, "no Clone.so below {}", lib.display());

    // A project asks for the same through its cpanfile: a fresh lib, served from the build
    // cache (nothing configured or built again), locked in a snapshot Carton reads.
    let project = scratch.join("project");
    std::fs::create_dir_all(&project)?;
    std::fs::write(
        project.join("cpanfile"),
        "requires 'Config::GitLike';\nrequires 'Clone', '0.40';\n",
    )?;
    let output = run(riverpan(scratch)
        .current_dir(&project)
        .arg("install")
        .args(["--from", &server.url(), "--reinstall", "--json"]))?;
    assert!(output.status.success(), "{}", text(&output));
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        !events
            .iter()
            .any(|e| e["step"] == "build" && e["state"] == "start"),
        "built again: {events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["detail"] == "built before: from the build cache"),
        "{events:?}"
    );
    let carton = Command::new("perl")
        .current_dir(&project)
        .args([
            "-MCarton::Snapshot",
            "-e",
            "my $s = Carton::Snapshot->new(path => 'cpanfile.snapshot'); $s->load; \
             print join(' ', sort map { $_->name } $s->distributions)",
        ])
        .output()?;
    assert!(carton.status.success(), "{}", text(&carton));
    let names = String::from_utf8_lossy(&carton.stdout).to_string();
    assert!(
        names.contains("Config-GitLike-") && names.contains("Clone-"),
        "{names}"
    );
    let again = exec_perl(
        scratch,
        &project.join("local"),
        "use Config::GitLike; use Clone; print $INC{'Clone.pm'} =~ /^\\Q$ENV{PERL_LOCAL_LIB_ROOT}\\E/ ? 'ok' : $INC{'Clone.pm'}",
    )?;
    assert_eq!(again, "ok");
    server.stop();
    Ok(())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}
