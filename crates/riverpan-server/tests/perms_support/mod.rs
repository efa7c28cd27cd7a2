//! Shared by the permission tests: a repository with authors (with addresses), distributions of
//! several packages built with tar, readers of the permission tables and a checker of 06perms by the rules `PAUSE::Permissions` reads it with
//! (`perms.md` §6.1; Debian does not package the module).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;

use riverpan_repository::Repository;
use riverpan_store::{AuthorRecord, Store};

use crate::write_support::{add_account, TestResult};

/// Registers an author with an account (password [`crate::write_support::PASSWORD`]) and an
/// address `lc(id)@example.org`.
pub fn author(data_dir: &Path, userid: &str, is_admin: bool) -> TestResult {
    add_account(data_dir, userid, is_admin)?;
    let mut repository = Repository::open(data_dir)?;
    repository.add_author(&AuthorRecord {
        userid: userid.into(),
        fullname: format!("{userid} Tester"),
        email: Some(format!("{}@example.org", userid.to_lowercase())),
        pumpking: false,
    })?;
    Ok(())
}

/// The repository of the permission tests: `authors` (userid, administrator?); NEILB's
/// Foo-Bar-1.0 with Foo::Bar, Foo::Bar::Util and Foo::Bar::Theirs, the last one first-come of
/// OTHER (so not indexed for NEILB), and Base-Dist-1.0; then NEILB's `extra_dists` (name and
/// its one package, which nothing requires); last OTHER's User-Dist-1.0, which requires
/// Base::Dist.
pub fn foo_bar_and_base(
    dir: &Path,
    authors: &[(&str, bool)],
    extra_dists: &[(&str, &str)],
) -> TestResult {
    for (userid, admin) in authors {
        author(dir, userid, *admin)?;
    }
    let dists = tempfile::tempdir()?;
    let mut repository = Repository::open(dir)?;
    repository.grant("Foo::Bar::Theirs", "OTHER", true)?;
    let foo_bar = build_dist(
        dists.path(),
        "Foo-Bar",
        "1.0",
        &["Foo::Bar", "Foo::Bar::Util", "Foo::Bar::Theirs"],
        &[],
    )?;
    repository.upload("NEILB", &foo_bar)?;
    let base = build_dist(dists.path(), "Base-Dist", "1.0", &["Base::Dist"], &[])?;
    repository.upload("NEILB", &base)?;
    for (dist, package) in extra_dists {
        let archive = build_dist(dists.path(), dist, "1.0", &[package], &[])?;
        repository.upload("NEILB", &archive)?;
    }
    let user = build_dist(
        dists.path(),
        "User-Dist",
        "1.0",
        &["User::Dist"],
        &["Base::Dist"],
    )?;
    repository.upload("OTHER", &user)?;
    Ok(())
}

/// Builds `DIST-VERSION.tar.gz` in `dir` with one `.pm` per package and META.json requiring
/// `requires` at runtime.
pub fn build_dist(
    dir: &Path,
    dist: &str,
    version: &str,
    packages: &[&str],
    requires: &[&str],
) -> Result<PathBuf, Box<dyn Error>> {
    let root_name = format!("{dist}-{version}");
    let root = dir.join(&root_name);
    for package in packages {
        let module = root
            .join("lib")
            .join(format!("{}.pm", package.replace("::", "/")));
        std::fs::create_dir_all(module.parent().ok_or("no parent")?)?;
        std::fs::write(
            &module,
            format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
        )?;
    }
    let requires: Vec<String> = requires
        .iter()
        .map(|module| format!("\"{module}\":\"0\""))
        .collect();
    std::fs::write(
        root.join("META.json"),
        format!(
            r#"{{"name":"{dist}","version":"{version}","abstract":"test","author":["T"],
"license":["perl_5"],"dynamic_config":0,"release_status":"stable","generated_by":"hand",
"prereqs":{{"runtime":{{"requires":{{{}}}}}}},
"meta-spec":{{"version":2}}}}"#,
            requires.join(",")
        ),
    )?;
    std::fs::write(
        root.join("Makefile.PL"),
        "use ExtUtils::MakeMaker;\nWriteMakefile(NAME => 'x');\n",
    )?;
    let archive = dir.join(format!("{root_name}.tar.gz"));
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg(&root_name)
        .status()?;
    if !status.success() {
        return Err("tar failed".into());
    }
    Ok(archive)
}

/// The owner and the `perms` rows of `package` (exact case) in the store.
pub fn holders(
    data_dir: &Path,
    package: &str,
) -> Result<(Option<String>, BTreeSet<String>), Box<dyn Error>> {
    let store = Store::open(data_dir)?;
    let conn = store.connection();
    let owner: Option<String> = conn
        .query_row(
            "SELECT userid FROM primeur WHERE package = ?1",
            [package],
            |row| row.get(0),
        )
        .ok();
    let mut statement = conn.prepare("SELECT userid FROM perms WHERE package = ?1")?;
    let rows = statement
        .query_map([package], |row| row.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok((owner, rows))
}

/// Every row of `primeur`, `perms`, `perm_operations`, `ownership_offers` and
/// `adoption_requests`, as text: equal snapshots mean nothing changed.
pub fn snapshot(data_dir: &Path) -> Result<String, Box<dyn Error>> {
    let store = Store::open(data_dir)?;
    let conn = store.connection();
    let mut out = String::new();
    for (table, order) in [
        ("primeur", "package"),
        ("perms", "package, userid"),
        ("perm_operations", "id"),
        ("perm_changes", "operation_id, seq"),
        ("ownership_offers", "id"),
        ("adoption_requests", "id"),
        ("admin_grants", "seq"),
    ] {
        let mut statement = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
        let columns = statement.column_count();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let mut line = format!("{table}:");
            for index in 0..columns {
                let value: rusqlite::types::Value = row.get(index)?;
                line.push_str(&format!(" {value:?}"));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The published `modules/06perms.txt`.
pub fn perms_file(data_dir: &Path) -> Result<String, Box<dyn Error>> {
    Ok(std::fs::read_to_string(
        data_dir.join("cpan/modules/06perms.txt"),
    )?)
}

/// What `PAUSE::Permissions` makes of a package: owner (`m || f`) and co-maintainers (the
/// sorted `c` users).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModulePerms {
    pub owner: Option<String>,
    pub co_maintainers: Vec<String>,
}

/// Reads 06perms as `PAUSE::Permissions` does (`perms.md` §6.1): the header up to the first
/// blank line is skipped; each line is `package,user,perm`; a module's lines must be
/// consecutive (its `module_iterator` groups consecutive lines by `lc(module)`, so a split
/// group would lose permissions); only `m`, `f` and `c` mean anything (any other letter would
/// be silently ignored, so it is an error here); at most one owner per module.
pub fn read_06perms(text: &str) -> Result<BTreeMap<String, ModulePerms>, Box<dyn Error>> {
    let (header, body) = text
        .split_once("\n\n")
        .ok_or("06perms has no blank line after its header")?;
    if !header.starts_with("File:") {
        return Err(format!("06perms header starts with {header:.20?}").into());
    }
    let mut modules: BTreeMap<String, ModulePerms> = BTreeMap::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in body.lines().filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let [package, user, perm] = fields.as_slice() else {
            return Err(format!("06perms line {line:?} is not package,user,perm").into());
        };
        let lc = package.to_lowercase();
        if current.as_deref() != Some(lc.as_str()) {
            if let Some(previous) = current.take() {
                finished.insert(previous);
            }
            if finished.contains(&lc) {
                return Err(format!("the lines of {package} are not consecutive").into());
            }
            current = Some(lc.clone());
        }
        let entry = modules.entry(lc).or_default();
        let user = user.to_ascii_uppercase();
        match *perm {
            "m" | "f" => {
                if entry.owner.is_some() {
                    return Err(format!("{package} has two owners").into());
                }
                entry.owner = Some(user);
            }
            "c" => entry.co_maintainers.push(user),
            other => return Err(format!("unknown permission {other:?} in {line:?}").into()),
        }
    }
    for module in modules.values_mut() {
        module.co_maintainers.sort();
    }
    Ok(modules)
}

/// `PAUSE::Permissions`' view of `package` in the published 06perms.
pub fn published(data_dir: &Path, package: &str) -> Result<ModulePerms, Box<dyn Error>> {
    let mut modules = read_06perms(&perms_file(data_dir)?)?;
    Ok(modules.remove(&package.to_lowercase()).unwrap_or_default())
}
