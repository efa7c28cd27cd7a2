//! `riverpan perms` for administrators: the operations recorded as the administrator's with
//! interface `cli`, refusals exiting 1 with nothing changed, the log, the adoption rule.

use std::error::Error;
use std::path::Path;
use std::process::{Command, Output};

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

fn riverpan(data: &Path, args: &[&str]) -> Result<Output, Box<dyn Error>> {
    Ok(Command::new(RIVERPAN)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_CONFIG")
        .env_remove("RIVERPAN_SMTP_RELAY")
        .env_remove("RUST_LOG")
        .output()?)
}

fn ok(data: &Path, args: &[&str]) -> Result<String, Box<dyn Error>> {
    let output = riverpan(data, args)?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "riverpan {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

#[test]
fn administrators_manage_permissions_on_the_command_line() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let data = dir.path();
    for id in ["NEILB", "OTHER", "HELPER"] {
        ok(data, &["user", "add", id])?;
    }
    ok(
        data,
        &["perms", "grant", "Foo::Bar", "NEILB", "--first-come"],
    )?;
    let added = ok(
        data,
        &[
            "perms",
            "add-comaint",
            "Foo::Bar",
            "HELPER",
            "--by",
            "ROOT",
            "--reason",
            "asked",
        ],
    )?;
    assert!(
        added.contains("add-comaint on package Foo::Bar by ROOT for NEILB"),
        "{added}"
    );
    assert!(added.contains("HELPER added as co-maintainer"), "{added}");

    // A refusal: exit status 1, the reason on stderr, nothing changed.
    let before = ok(data, &["perms", "show", "Foo::Bar"])?;
    let refused = riverpan(data, &["perms", "add-comaint", "Foo::Bar", "NOSUCH"])?;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("NOSUCH is not a valid userid"));
    let refused = riverpan(
        data,
        &["perms", "mark", "Foo::Bar", "NEEDHELP", "--as", "HELPER"],
    )?;
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(ok(data, &["perms", "show", "Foo::Bar"])?, before);

    // An administrator's transfer is immediate.
    ok(data, &["perms", "transfer", "Foo::Bar", "OTHER"])?;
    assert_eq!(
        ok(data, &["perms", "show", "Foo::Bar"])?,
        "Foo::Bar,HELPER,c\nFoo::Bar,NEILB,c\nFoo::Bar,OTHER,f\n"
    );
    ok(data, &["perms", "give-up", "Foo::Bar"])?;
    assert!(ok(data, &["perms", "show", "Foo::Bar"])?.contains("Foo::Bar,ADOPTME,f"));

    let log = ok(data, &["perms", "log", "Foo::Bar"])?;
    let lines: Vec<&str> = log.lines().filter(|line| !line.starts_with(' ')).collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("ADMIN for OTHER (cli) give-up"), "{log}");
    assert!(
        lines[2].contains("ROOT for NEILB (cli) add-comaint HELPER — asked"),
        "{log}"
    );

    assert_eq!(ok(data, &["perms", "adoption-rule"])?, "first-come\n");
    assert_eq!(ok(data, &["perms", "adoption-rule", "admin"])?, "admin\n");
    Ok(())
}
