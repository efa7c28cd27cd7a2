//! `riverpan smoke` on real CPAN releases: the install issue's corpus fixture (real paths,
//! authors and permissions; `scripts/fetch-install-fixture`), imported into a riverpan served on
//! 127.0.0.1, smoked end to end — Config-GitLike (pure Perl, its closure of twelve
//! distributions built from the fixture) and Clone (XS, over B-COW) — and reported to the same
//! riverpan.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

mod install_support;
use install_support::*;

/// The fetched fixture, or `None` (with the reason on stderr) when it was not fetched.
fn fixture_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RIVERPAN_INSTALL_FIXTURE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|home| PathBuf::from(home).join(".cache/riverpan-install-fixture"))
        })?;
    if dir.join("manifest.tsv").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "WARNING: the install corpus fixture is missing ({}): run scripts/fetch-install-fixture \
             (scripts/test does); skipping",
            dir.display()
        );
        None
    }
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A riverpan data directory holding the fixture: permissions from the real index first,
/// then the tree.
fn corpus_riverpan(scratch: &Path, corpus: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let tree = scratch.join("tree");
    let made = Command::new("python3")
        .arg(repository_root().join("scripts/install-fixture"))
        .arg("--corpus")
        .arg(corpus)
        .arg("--out")
        .arg(&tree)
        .output()?;
    assert!(made.status.success(), "{}", text(&made));
    let data = scratch.join("data");
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["init", "--policy", "pause"]))?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .args(["perms", "import"])
        .arg(tree.join("06perms.txt")))?;
    ok(riverpan(scratch)
        .arg("--data")
        .arg(&data)
        .arg("import")
        .arg(&tree))?;
    Ok(data)
}

#[test]
fn real_closures_are_smoked_and_reported() -> Result<(), Box<dyn Error>> {
    let Some(corpus) = fixture_dir() else {
        return Ok(());
    };
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path();
    let data = corpus_riverpan(scratch, &corpus)?;
    let server = Server::start(&data)?;
    let output = run(riverpan(scratch)
        .arg("smoke")
        .args(["--from", &server.url(), "--report", &server.url()])
        .args(["--tester", "Smoke Er <smoker@example.org>", "-j", "2"])
        .args(["Config-GitLike", "Clone"]))?;
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    for dist in ["Config-GitLike", "Clone"] {
        let body = Command::new("curl")
            .args(["-sf", &format!("{}v3/summary/{dist}", server.url())])
            .output()?;
        assert!(body.status.success(), "{dist}: no report\n{printed}");
        let rows: serde_json::Value = serde_json::from_slice(&body.stdout)?;
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
        assert_eq!(rows[0]["grade"], "pass", "{dist}: {rows}\n{printed}");
    }
    server.stop();
    Ok(())
}
