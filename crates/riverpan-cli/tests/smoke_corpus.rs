//! `riverpan smoke` on real CPAN releases: the install issue's corpus fixture (real paths,
//! authors and permissions; `scripts/fetch-install-fixture`), imported into a riverpan served on
//! 127.0.0.1, smoked end to end — Config-GitLike (pure Perl, its closure of twelve
//! distributions built from the fixture) and Clone (XS, over B-COW) — and reported to the same
//! riverpan.

use std::error::Error;
use std::process::Command;

mod install_support;
use install_support::*;

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
