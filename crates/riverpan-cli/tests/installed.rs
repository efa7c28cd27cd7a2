//! `riverpan list` and `riverpan uninstall` end to end: a chain of three distributions with
//! real `Makefile.PL`s uploaded into a riverpan and installed with `riverpan install` (and one
//! with cpanm), listed from their `.meta` records and removed through their `.packlist`s.

use std::collections::BTreeSet;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod install_support;
use install_support::*;

/// A riverpan data directory holding Leaf-Dist 1.0 <- Mid-Dist 1.1 <- Top-Dist 2.0 (which
/// installs a script).
fn fixture(scratch: &Path) -> Result<PathBuf, Box<dyn Error>> {
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
            dist("Mid-Dist", "1.1", &["Leaf::Dist"]),
            Dist {
                script: true,
                ..dist("Top-Dist", "2.0", &["Mid::Dist"])
            },
        ],
    )
}

/// Every file (and link) below `dir`, relative to it.
fn files_below(dir: &Path) -> Result<BTreeSet<PathBuf>, Box<dyn Error>> {
    let mut found = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(current) = todo.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                todo.push(entry.path());
            } else {
                found.insert(entry.path().strip_prefix(dir)?.to_path_buf());
            }
        }
    }
    Ok(found)
}

fn list_json(scratch: &Path, lib: &Path) -> Result<Vec<serde_json::Value>, Box<dyn Error>> {
    let output = ok(riverpan(scratch).args(["list", "--json", "-L"]).arg(lib))?;
    let all: Vec<serde_json::Value> = serde_json::from_str(&output)?;
    // The perl's own @INC may hold records too (site installs): they come after the lib's.
    let first_other = all
        .iter()
        .position(|d| d["local"] != true)
        .unwrap_or(all.len());
    assert!(all[first_other..].iter().all(|d| d["local"] == false));
    Ok(all[..first_other].to_vec())
}

fn arch_of(lib: &Path) -> Result<PathBuf, Box<dyn Error>> {
    Ok(std::fs::read_dir(lib.join("lib/perl5"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join(".meta").is_dir())
        .ok_or("no .meta directory")?)
}

fn exec_perl(scratch: &Path, lib: &Path, module: &str) -> Result<Output, Box<dyn Error>> {
    run(riverpan(scratch).arg("exec").arg("-L").arg(lib).args([
        "--",
        "perl",
        &format!("-M{module}"),
        "-e1",
    ]))
}

#[test]
fn list_and_uninstall_through_the_packlists() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path().canonicalize()?;
    let scratch = scratch.as_path();
    let data = fixture(scratch)?;
    let lib = scratch.join("local");
    ok(riverpan(scratch)
        .arg("install")
        .arg("--from")
        .arg(&data)
        .arg("-L")
        .arg(&lib)
        .arg("Top::Dist"))?;
    let arch = arch_of(&lib)?;

    // The three records, in the local lib, with versions and CPAN paths.
    let listed = list_json(scratch, &lib)?;
    let summary: Vec<(String, String, String, String)> = listed
        .iter()
        .map(|d| {
            (
                d["dist"].as_str().unwrap_or("").to_string(),
                d["name"].as_str().unwrap_or("").to_string(),
                d["version"].as_str().unwrap_or("").to_string(),
                d["pathname"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String, String)> = [
        ("Leaf-Dist-1.0", "Leaf::Dist", "1.0"),
        ("Mid-Dist-1.1", "Mid::Dist", "1.1"),
        ("Top-Dist-2.0", "Top::Dist", "2.0"),
    ]
    .iter()
    .map(|(dist, name, version)| {
        (
            dist.to_string(),
            name.to_string(),
            version.to_string(),
            format!("A/AL/ALICE/{dist}.tar.gz"),
        )
    })
    .collect();
    assert_eq!(summary, expected);
    assert!(listed
        .iter()
        .all(|d| d["location"] == arch.to_str().unwrap_or("")
            && d["shadowed"] == serde_json::json!([])));
    assert_eq!(listed[0]["dist_name"], "Leaf-Dist");
    assert_eq!(listed[0]["provides"]["Leaf::Dist"], "1.0");
    let only: Vec<serde_json::Value> = serde_json::from_str(&ok(riverpan(scratch)
        .args(["list", "--json", "--local-only", "-L"])
        .arg(&lib))?)?;
    assert_eq!(only, listed);
    // The table.
    let table = ok(riverpan(scratch)
        .args(["list", "--local-only", "-L"])
        .arg(&lib))?;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("DIST "), "{table}");
    assert!(
        lines[2].starts_with("Mid-Dist-1.1   Mid::Dist   1.1 "),
        "{table}"
    );
    assert_eq!(
        lines[1].find("A/AL/ALICE"),
        lines[3].find("A/AL/ALICE"),
        "{table}"
    );

    // Mid-Dist needs Leaf-Dist: refused, nothing removed.
    let before = files_below(&lib)?;
    let output = run(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("Leaf-Dist"))?;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("Mid-Dist-1.1"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert_eq!(files_below(&lib)?, before);
    // A name that is not installed.
    let output = run(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("No-Such-Dist"))?;
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("No-Such-Dist"));
    // A dry run names the files and removes nothing.
    let dry = ok(riverpan(scratch)
        .args(["uninstall", "--dry-run", "-L"])
        .arg(&lib)
        .arg("Top-Dist-2.0"))?;
    assert!(dry.contains("Top/Dist.pm"), "{dry}");
    assert_eq!(files_below(&lib)?, before);

    // Top-Dist: exactly its packlist's files, the packlist and its .meta record.
    let packlist = arch.join("auto/Top/Dist/.packlist");
    let mut expected_gone: BTreeSet<PathBuf> = std::fs::read_to_string(&packlist)?
        .lines()
        .map(|line| Ok(Path::new(line).strip_prefix(&lib)?.to_path_buf()))
        .collect::<Result<_, Box<dyn Error>>>()?;
    assert!(
        expected_gone.iter().any(|p| p.starts_with("bin")),
        "{expected_gone:?}"
    );
    expected_gone.insert(packlist.strip_prefix(&lib)?.to_path_buf());
    for file in std::fs::read_dir(arch.join(".meta/Top-Dist-2.0"))? {
        expected_gone.insert(file?.path().strip_prefix(&lib)?.to_path_buf());
    }
    let removed = ok(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("Top-Dist"))?;
    assert!(removed.contains("removed: Top-Dist-2.0"), "{removed}");
    let after = files_below(&lib)?;
    assert!(after.is_subset(&before));
    let gone: BTreeSet<PathBuf> = before.difference(&after).cloned().collect();
    assert_eq!(gone, expected_gone);
    // The directories it left empty are gone, the others stay.
    assert!(!lib.join("bin").exists());
    assert!(!lib.join("lib/perl5/Top").exists());
    assert!(!arch.join("auto/Top").exists());
    assert!(!arch.join(".meta/Top-Dist-2.0").exists());
    assert!(arch.join(".meta/Mid-Dist-1.1").is_dir());
    let output = exec_perl(scratch, &lib, "Mid::Dist")?;
    assert!(output.status.success(), "{}", text(&output));
    assert!(!exec_perl(scratch, &lib, "Top::Dist")?.status.success());
    assert_eq!(list_json(scratch, &lib)?.len(), 2);

    // --force removes what is still needed.
    let forced = ok(riverpan(scratch)
        .args(["uninstall", "--force", "-L"])
        .arg(&lib)
        .arg("Leaf-Dist"))?;
    assert!(forced.contains("removed: Leaf-Dist-1.0"), "{forced}");
    assert!(!lib.join("lib/perl5/Leaf/Dist.pm").exists());
    assert!(lib.join("lib/perl5/Mid/Dist.pm").exists());

    // A packlist naming files outside the lib: those are left alone (and said so).
    let outside = scratch.join("precious.txt");
    std::fs::write(&outside, "keep me")?;
    let mid_packlist = arch.join("auto/Mid/Dist/.packlist");
    let mut hostile = std::fs::read_to_string(&mid_packlist)?;
    hostile.push_str(&format!("{}\n", outside.display()));
    hostile.push_str(&format!("{}/lib/../../precious.txt\n", lib.display()));
    hostile.push_str(&format!("{}\n", lib.join("lib/perl5").display()));
    std::fs::write(&mid_packlist, hostile)?;
    let output = run(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("Mid::Dist"))?;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("precious.txt"), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&outside)?, "keep me");
    assert!(!lib.join("lib/perl5/Mid/Dist.pm").exists());
    assert!(list_json(scratch, &lib)?.is_empty());
    assert!(lib.is_dir());
    Ok(())
}

#[test]
fn a_lib_cpanm_installed_is_listed_the_same_way() -> TestResult {
    if !have_make() {
        return Ok(());
    }
    if !Command::new("cpanm")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("cpanm is missing; skipping");
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let scratch = scratch.path().canonicalize()?;
    let scratch = scratch.as_path();
    let data = fixture(scratch)?;
    let lib = scratch.join("lib2");
    let output = run(Command::new("cpanm")
        .current_dir(scratch)
        .env("HOME", scratch)
        .env("PERL_CPANM_HOME", scratch.join("cpanm"))
        .env_remove("PERL5LIB")
        .env_remove("PERL_MM_OPT")
        .env_remove("PERL_MB_OPT")
        .env_remove("PERL_LOCAL_LIB_ROOT")
        .env_remove("PERL_CPANM_OPT")
        .arg("-L")
        .arg(&lib)
        .arg("-n")
        .arg("--mirror")
        .arg(format!("file://{}", data.join("cpan").display()))
        .args(["--mirror-only", "Leaf::Dist"]))?;
    assert!(output.status.success(), "cpanm: {}", text(&output));

    let table = ok(riverpan(scratch)
        .args(["list", "--local-only", "-L"])
        .arg(&lib))?;
    let row = table
        .lines()
        .find(|line| line.starts_with("Leaf-Dist-1.0 "))
        .ok_or_else(|| format!("no Leaf-Dist-1.0 in:\n{table}"))?;
    assert!(row.contains("Leaf::Dist"), "{table}");
    assert!(row.contains("A/AL/ALICE/Leaf-Dist-1.0.tar.gz"), "{table}");
    let listed = list_json(scratch, &lib)?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["version"], "1.0");

    // And removed the same way, through cpanm's .packlist.
    ok(riverpan(scratch)
        .args(["uninstall", "-L"])
        .arg(&lib)
        .arg("Leaf::Dist"))?;
    assert!(!lib.join("lib/perl5/Leaf/Dist.pm").exists());
    assert!(list_json(scratch, &lib)?.is_empty());
    Ok(())
}

#[test]
fn list_and_uninstall_have_help_with_examples() -> TestResult {
    for command in ["list", "uninstall"] {
        let output = Command::new(RIVERPAN).args([command, "--help"]).output()?;
        assert!(output.status.success());
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Examples:"), "{help}");
        assert!(help.contains(&format!("riverpan {command} ")), "{help}");
    }
    Ok(())
}
