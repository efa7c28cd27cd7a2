//! `riverpan river` end to end.
//!
//! * Hand-made graphs built from real uploads (tarballs made here with GNU tar, uploaded or
//!   imported with the binary): a chain, a diamond, a cycle, a module moving to another
//!   distribution by a permitted upload, a deletion, an unresolved prerequisite, developer
//!   releases, two releases of one distribution in 02packages, and the river note in the
//!   indexer's report; each also compared with the Perl reference below when perl is there.
//! * The differential test the river issue asks for: the real corpus (Debian's CPAN tarballs,
//!   laid out by `bench/make-corpus-tree`) imported with `riverpan import`; every
//!   distribution's `immediate`, `total` and `bucket` from `riverpan river --json` must equal
//!   those of `tests/reference/river.pl`, a straightforward Perl implementation of
//!   metacpan-river's algorithm reading riverpan's published 02packages and the tarballs
//!   themselves (CPAN::DistnameInfo, Archive::Tar, CPAN::Meta). Reverse dependencies
//!   (`--rdeps`, `--rdeps --deep`), `--top 10` and `--unresolved` are checked against it too.
//!   A sample of 300 tarballs runs by default; `RIVERPAN_RIVER_SAMPLE=N|all` picks another size.
//!   Skipped with a message without the corpus, perl or python3, or with
//!   `RIVERPAN_SKIP_CORPUS=1` / `RIVERPAN_SKIP_PERL=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

type TestResult = Result<(), Box<dyn Error>>;
type AnyResult<T> = Result<T, Box<dyn Error>>;

const RIVERPAN: &str = env!("CARGO_BIN_EXE_riverpan");

/// A distribution's river numbers: (immediate, total, bucket).
type Numbers = (u64, u64, u64);

// ---------------------------------------------------------------------------------------------
// helpers

/// `riverpan --data DATA` without the developer's RIVERPAN_* settings.
fn riverpan(data: &Path) -> Command {
    let mut command = Command::new(RIVERPAN);
    command
        .arg("--data")
        .arg(data)
        .env_remove("RIVERPAN_DATA")
        .env_remove("RIVERPAN_CONFIG")
        .env_remove("RIVERPAN_FAILPOINT")
        .env_remove("RIVERPAN_SMTP_RELAY")
        .env_remove("RUST_LOG");
    command
}

fn output_of(command: &mut Command) -> AnyResult<Output> {
    Ok(command.output()?)
}

/// Runs `command`, requires success, returns its standard output.
fn stdout_ok(command: &mut Command) -> AnyResult<String> {
    let output = output_of(command)?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// White space collapsed, so that sentences wrapped in a report can be searched for.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A distribution to build: its packages (one `.pm` each, no `provides`, so PAUSE's file scan
/// indexes them) and its META prerequisites.
#[derive(Clone, Debug)]
struct Dist {
    name: String,
    version: String,
    /// Appended to `Name-Version` in the file name (`-TRIAL`).
    suffix: String,
    packages: Vec<String>,
    /// (phase, relationship, module).
    prereqs: Vec<(String, String, String)>,
}

/// `Name-Version` providing `packages`, requiring `requires` at runtime.
fn dist(name: &str, version: &str, packages: &[&str], requires: &[&str]) -> Dist {
    Dist {
        name: name.to_string(),
        version: version.to_string(),
        suffix: String::new(),
        packages: packages.iter().map(|p| p.to_string()).collect(),
        prereqs: requires
            .iter()
            .map(|m| ("runtime".to_string(), "requires".to_string(), m.to_string()))
            .collect(),
    }
}

impl Dist {
    fn prereq(mut self, phase: &str, relationship: &str, module: &str) -> Dist {
        self.prereqs
            .push((phase.into(), relationship.into(), module.into()));
        self
    }

    fn trial(mut self) -> Dist {
        self.suffix = "-TRIAL".into();
        self
    }

    fn file_name(&self) -> String {
        format!("{}-{}{}.tar.gz", self.name, self.version, self.suffix)
    }

    /// Builds the tarball in `dir` and returns its path.
    fn build(&self, dir: &Path) -> AnyResult<PathBuf> {
        let root = format!("{}-{}", self.name, self.version);
        let src = dir.join(format!("src-{}{}", root, self.suffix));
        let top = src.join(&root);
        std::fs::create_dir_all(&top)?;
        let mut prereqs = serde_json::Map::new();
        for (phase, relationship, module) in &self.prereqs {
            let phase = prereqs
                .entry(phase.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or("phase")?;
            let relationship = phase
                .entry(relationship.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or("relationship")?;
            relationship.insert(module.clone(), json!("0"));
        }
        let meta = json!({
            "name": self.name,
            "version": self.version,
            "abstract": "a distribution of the river test",
            "author": ["Test Author <test@example.org>"],
            "license": ["perl_5"],
            "dynamic_config": 0,
            "generated_by": "riverpan's river test",
            "meta-spec": {"version": 2},
            "release_status": if self.suffix.is_empty() && !self.version.contains('_') { "stable" } else { "testing" },
            "prereqs": prereqs,
        });
        std::fs::write(top.join("META.json"), serde_json::to_string_pretty(&meta)?)?;
        for package in &self.packages {
            let file = top
                .join("lib")
                .join(format!("{}.pm", package.replace("::", "/")));
            std::fs::create_dir_all(file.parent().ok_or("parent")?)?;
            std::fs::write(
                &file,
                format!(
                    "package {package};\nour $VERSION = '{}';\n1;\n",
                    self.version
                ),
            )?;
        }
        let archive = dir.join(self.file_name());
        let status = Command::new("tar")
            .arg("-C")
            .arg(&src)
            .arg("-czf")
            .arg(&archive)
            .arg(&root)
            .status()?;
        if !status.success() {
            return Err(format!("tar failed for {}", archive.display()).into());
        }
        Ok(archive)
    }
}

/// `authors/id/` path of `file` uploaded by `author`.
fn cpan_path(author: &str, file: &str) -> String {
    format!("{}/{}/{author}/{file}", &author[..1], &author[..2])
}

/// A repository in a scratch directory (policy `pause`), with scratch space for tarballs.
struct Repo {
    data: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Repo {
    fn new(authors: &[&str]) -> AnyResult<Repo> {
        let repo = Repo {
            data: tempfile::tempdir()?,
            work: tempfile::tempdir()?,
        };
        stdout_ok(repo.cmd().args(["init", "--policy", "pause"]))?;
        for author in authors {
            stdout_ok(repo.cmd().args(["user", "add", author]))?;
        }
        Ok(repo)
    }

    fn cmd(&self) -> Command {
        riverpan(self.data.path())
    }

    /// Uploads `dist` as `author`; returns its `authors/id/` path.
    fn upload(&self, author: &str, dist: &Dist) -> AnyResult<String> {
        let archive = dist.build(self.work.path())?;
        stdout_ok(self.cmd().args(["upload", "--as", author]).arg(&archive))?;
        Ok(cpan_path(author, &dist.file_name()))
    }

    /// Imports `dists` as a CPAN tree (one import, as `riverpan import` replays a mirror).
    fn import(&self, dists: &[(&str, Dist)]) -> AnyResult<()> {
        let tree = self.work.path().join("tree");
        let scratch = self.work.path().join("import-scratch");
        for (author, dist) in dists {
            let dir = tree
                .join("authors/id")
                .join(&author[..1])
                .join(&author[..2])
                .join(author);
            std::fs::create_dir_all(&dir)?;
            std::fs::create_dir_all(&scratch)?;
            let made = dist.build(&scratch)?;
            std::fs::rename(&made, dir.join(dist.file_name()))?;
        }
        stdout_ok(self.cmd().arg("import").arg(&tree))?;
        Ok(())
    }

    /// `riverpan river --json`: every distribution's numbers.
    fn river(&self) -> AnyResult<BTreeMap<String, Numbers>> {
        parse_river(&stdout_ok(self.cmd().args(["river", "--json"]))?)
    }

    /// `riverpan river --rdeps NAME [--deep]`, one name per line.
    fn rdeps(&self, name: &str, deep: bool) -> AnyResult<Vec<String>> {
        let mut command = self.cmd();
        command.args(["river", "--rdeps", name]);
        if deep {
            command.arg("--deep");
        }
        Ok(stdout_ok(&mut command)?
            .lines()
            .map(str::to_string)
            .collect())
    }

    fn report(&self, path: &str) -> AnyResult<String> {
        stdout_ok(self.cmd().args(["report", path]))
    }
}

fn parse_river(text: &str) -> AnyResult<BTreeMap<String, Numbers>> {
    let value: Value = serde_json::from_str(text)?;
    let mut out = BTreeMap::new();
    for (dist, numbers) in value.as_object().ok_or("river --json is not an object")? {
        let field = |key: &str| -> AnyResult<u64> {
            numbers[key]
                .as_u64()
                .ok_or_else(|| format!("{dist}: {key} is not a number: {numbers}").into())
        };
        let keys: Vec<&String> = numbers.as_object().ok_or("entry")?.keys().collect();
        assert_eq!(
            keys,
            ["bucket", "immediate", "total"],
            "{dist}: metacpan-river's keys"
        );
        out.insert(
            dist.clone(),
            (field("immediate")?, field("total")?, field("bucket")?),
        );
    }
    Ok(out)
}

/// The expected river: every distribution listed, nothing else.
fn expect_river(repo: &Repo, expected: &[(&str, u64, u64, u64)], what: &str) -> TestResult {
    let river = repo.river()?;
    let expected: BTreeMap<String, Numbers> = expected
        .iter()
        .map(|&(dist, immediate, total, bucket)| (dist.to_string(), (immediate, total, bucket)))
        .collect();
    assert_eq!(
        river, expected,
        "{what}: riverpan river --json (left) differs from the expected numbers"
    );
    Ok(())
}

/// The hand-made repository's river is also what the Perl reference computes from its
/// 02packages and files (when perl has the reference's modules).
fn agrees_with_reference(repo: &Repo) -> TestResult {
    if env_is_one("RIVERPAN_SKIP_PERL") || !perl_has_reference_modules() {
        eprintln!(
            "not compared with the Perl reference: RIVERPAN_SKIP_PERL=1 or perl lacks its modules"
        );
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let reference = run_reference(&repo.data.path().join("cpan"), scratch.path())?;
    assert_eq!(
        repo.river()?,
        reference.river,
        "riverpan river --json (left) and the Perl reference (right)"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// hand-made graphs

#[test]
fn chain_counts_direct_and_transitive_dependents() -> TestResult {
    let repo = Repo::new(&["ALICE"])?;
    // Alpha <- Beta (configure) <- Gamma (test). Alpha requires itself and perl (both dropped);
    // develop requirements and recommendations are no river edges.
    repo.upload(
        "ALICE",
        &dist(
            "Alpha",
            "1.0",
            &["Alpha", "Alpha::Util"],
            &["perl", "Alpha::Util"],
        ),
    )?;
    repo.upload(
        "ALICE",
        &dist("Beta", "1.0", &["Beta"], &[]).prereq("configure", "requires", "Alpha"),
    )?;
    repo.upload(
        "ALICE",
        &dist("Gamma", "1.0", &["Gamma"], &[])
            .prereq("test", "requires", "Beta")
            .prereq("build", "requires", "perl"),
    )?;
    repo.upload(
        "ALICE",
        &dist("Delta", "1.0", &["Delta"], &[])
            .prereq("develop", "requires", "Gamma")
            .prereq("runtime", "recommends", "Gamma")
            .prereq("runtime", "suggests", "Alpha"),
    )?;
    expect_river(
        &repo,
        &[
            ("Alpha", 1, 2, 1),
            ("Beta", 1, 1, 1),
            ("Delta", 0, 0, 0),
            ("Gamma", 0, 0, 0),
        ],
        "chain",
    )?;
    assert_eq!(repo.rdeps("Alpha", false)?, ["Beta"]);
    assert_eq!(repo.rdeps("Alpha", true)?, ["Beta", "Gamma"]);
    assert_eq!(repo.rdeps("Gamma", true)?, Vec::<String>::new());
    // A module: the distributions whose release requires it (its own dist's self-requirement
    // does not count).
    assert_eq!(repo.rdeps("Alpha::Util", false)?, Vec::<String>::new());
    assert_eq!(repo.rdeps("Beta", false)?, ["Gamma"]);
    let top = stdout_ok(repo.cmd().args(["river", "--top", "2", "--json"]))?;
    let top: Vec<Value> = top
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(top.len(), 2);
    assert_eq!(top[0]["dist"], "Alpha");
    assert_eq!(top[0]["band"], "way downriver");
    assert_eq!(top[1]["dist"], "Beta");
    agrees_with_reference(&repo)
}

#[test]
fn diamond_counts_a_dependent_reached_twice_once() -> TestResult {
    let repo = Repo::new(&["ALICE", "BOB"])?;
    repo.upload("ALICE", &dist("Base", "1.0", &["Base"], &[]))?;
    repo.upload("ALICE", &dist("Left", "1.0", &["Left"], &["Base"]))?;
    repo.upload("BOB", &dist("Right", "1.0", &["Right"], &["Base"]))?;
    // Bottom requires Base directly as well: still one dependent.
    repo.upload(
        "BOB",
        &dist("Bottom", "1.0", &["Bottom"], &["Left", "Right", "Base"]),
    )?;
    expect_river(
        &repo,
        &[
            ("Base", 3, 3, 1),
            ("Bottom", 0, 0, 0),
            ("Left", 1, 1, 1),
            ("Right", 1, 1, 1),
        ],
        "diamond",
    )?;
    assert_eq!(repo.rdeps("Base", false)?, ["Bottom", "Left", "Right"]);
    assert_eq!(repo.rdeps("Base", true)?, ["Bottom", "Left", "Right"]);
    assert_eq!(repo.rdeps("Left", true)?, ["Bottom"]);
    agrees_with_reference(&repo)
}

#[test]
fn a_cycle_counts_its_root_among_its_dependents() -> TestResult {
    let repo = Repo::new(&["ALICE"])?;
    repo.upload("ALICE", &dist("Ying", "1.0", &["Ying"], &["Yang"]))?;
    repo.upload("ALICE", &dist("Yang", "1.0", &["Yang"], &["Ying"]))?;
    repo.upload("ALICE", &dist("Outer", "1.0", &["Outer"], &["Ying"]))?;
    // Ying: direct dependents Yang and Outer; the search from Ying reaches Yang, Outer and,
    // through Yang, Ying itself (metacpan-river counts it).
    expect_river(
        &repo,
        &[("Outer", 0, 0, 0), ("Yang", 1, 3, 1), ("Ying", 2, 3, 1)],
        "cycle",
    )?;
    assert_eq!(repo.rdeps("Ying", true)?, ["Outer", "Yang", "Ying"]);
    assert_eq!(repo.rdeps("Yang", false)?, ["Ying"]);
    agrees_with_reference(&repo)
}

#[test]
fn dependents_follow_a_module_that_moves_to_another_distribution() -> TestResult {
    let repo = Repo::new(&["ALICE", "BOB", "CAROL"])?;
    repo.upload(
        "ALICE",
        &dist("Old-Home", "1.0", &["Old::Home", "Shared::Util"], &[]),
    )?;
    repo.upload("CAROL", &dist("User", "1.0", &["User"], &["Shared::Util"]))?;
    expect_river(
        &repo,
        &[("Old-Home", 1, 1, 1), ("User", 0, 0, 0)],
        "before the move",
    )?;

    // Without permission BOB's Shared::Util is not indexed: the river does not move (with
    // metacpan-river's "last release scanned wins" it could).
    repo.upload(
        "BOB",
        &dist("New-Home", "2.0", &["New::Home", "Shared::Util"], &[]),
    )?;
    expect_river(
        &repo,
        &[
            ("New-Home", 0, 0, 0),
            ("Old-Home", 1, 1, 1),
            ("User", 0, 0, 0),
        ],
        "an upload without permission",
    )?;

    stdout_ok(
        repo.cmd()
            .args(["perms", "grant", "--comaint", "Shared::Util", "BOB"]),
    )?;
    let moved = repo.upload(
        "BOB",
        &dist("New-Home", "2.1", &["New::Home", "Shared::Util"], &[]),
    )?;
    let packages =
        std::fs::read_to_string(repo.data.path().join("cpan/modules/02packages.details.txt"))?;
    assert!(
        packages
            .lines()
            .any(|line| line.starts_with("Shared::Util ") && line.ends_with(&moved)),
        "Shared::Util did not move to {moved}:\n{packages}"
    );
    expect_river(
        &repo,
        &[
            ("New-Home", 1, 1, 1),
            ("Old-Home", 0, 0, 0),
            ("User", 0, 0, 0),
        ],
        "after the move",
    )?;
    assert_eq!(repo.rdeps("Shared::Util", false)?, ["User"]);
    assert_eq!(repo.rdeps("New-Home", false)?, ["User"]);
    assert_eq!(repo.rdeps("Old-Home", false)?, Vec::<String>::new());
    agrees_with_reference(&repo)
}

#[test]
fn edges_come_from_the_newest_indexed_release_only() -> TestResult {
    let repo = Repo::new(&["ALICE", "BOB"])?;
    repo.upload("BOB", &dist("Dep-One", "1.0", &["Dep::One"], &[]))?;
    repo.upload("BOB", &dist("Dep-Two", "1.0", &["Dep::Two"], &[]))?;
    repo.upload(
        "ALICE",
        &dist(
            "Evolving",
            "1.0",
            &["Evolving", "Evolving::Legacy"],
            &["Dep::One"],
        ),
    )?;
    // 2.0 drops Evolving::Legacy (02packages keeps pointing it at 1.0) and Dep::One.
    repo.upload(
        "ALICE",
        &dist("Evolving", "2.0", &["Evolving"], &["Dep::Two"]),
    )?;
    repo.upload(
        "BOB",
        &dist("Old-Fan", "1.0", &["Old::Fan"], &["Evolving::Legacy"]),
    )?;
    let packages =
        std::fs::read_to_string(repo.data.path().join("cpan/modules/02packages.details.txt"))?;
    assert!(
        packages
            .lines()
            .any(|line| line.starts_with("Evolving::Legacy ")
                && line.ends_with("Evolving-1.0.tar.gz")),
        "{packages}"
    );
    expect_river(
        &repo,
        &[
            ("Dep-One", 0, 0, 0),
            ("Dep-Two", 1, 2, 1),
            ("Evolving", 1, 1, 1),
            ("Old-Fan", 0, 0, 0),
        ],
        "two releases of one distribution in 02packages",
    )?;
    agrees_with_reference(&repo)
}

#[test]
fn a_deleted_distribution_leaves_the_river() -> TestResult {
    let repo = Repo::new(&["ALICE"])?;
    repo.upload(
        "ALICE",
        &dist("Bottom-Layer", "1.0", &["Bottom::Layer"], &[]),
    )?;
    let middle = repo.upload(
        "ALICE",
        &dist(
            "Middle-Layer",
            "1.0",
            &["Middle::Layer"],
            &["Bottom::Layer"],
        ),
    )?;
    repo.upload(
        "ALICE",
        &dist("Top-Layer", "1.0", &["Top::Layer"], &["Middle::Layer"]),
    )?;
    expect_river(
        &repo,
        &[
            ("Bottom-Layer", 1, 2, 1),
            ("Middle-Layer", 1, 1, 1),
            ("Top-Layer", 0, 0, 0),
        ],
        "before the deletion",
    )?;
    assert_eq!(
        stdout_ok(repo.cmd().args(["river", "--unresolved"]))?,
        "",
        "nothing is unresolved yet"
    );

    stdout_ok(repo.cmd().args(["delete", "--now", &middle]))?;
    expect_river(
        &repo,
        &[("Bottom-Layer", 0, 0, 0), ("Top-Layer", 0, 0, 0)],
        "after the deletion",
    )?;
    let no_such = output_of(repo.cmd().args(["river", "--rdeps", "Middle-Layer"]))?;
    assert!(!no_such.status.success(), "a deleted dist has no rdeps");
    // Top-Layer's prerequisite is now provided by no one.
    assert_eq!(
        stdout_ok(repo.cmd().args(["river", "--unresolved"]))?,
        "Middle::Layer\trequired by Top-Layer\n"
    );
    agrees_with_reference(&repo)
}

#[test]
fn a_prerequisite_no_one_provides_is_unresolved() -> TestResult {
    let repo = Repo::new(&["ALICE"])?;
    repo.upload("ALICE", &dist("Known", "1.0", &["Known"], &[]))?;
    repo.upload(
        "ALICE",
        &dist("Needy", "1.0", &["Needy"], &["Known", "No::Such::Module"]).prereq(
            "test",
            "requires",
            "Test::Nowhere",
        ),
    )?;
    repo.upload(
        "ALICE",
        &dist("Needier", "1.0", &["Needier"], &["No::Such::Module"])
            // Not an edge, so not unresolved either.
            .prereq("runtime", "recommends", "Optional::Nowhere"),
    )?;
    expect_river(
        &repo,
        &[("Known", 1, 1, 1), ("Needier", 0, 0, 0), ("Needy", 0, 0, 0)],
        "unresolved",
    )?;
    assert_eq!(
        stdout_ok(repo.cmd().args(["river", "--unresolved"]))?,
        "No::Such::Module\trequired by Needier, Needy\nTest::Nowhere\trequired by Needy\n"
    );
    let unresolved: Value = serde_json::from_str(&stdout_ok(repo.cmd().args([
        "river",
        "--unresolved",
        "--json",
    ]))?)?;
    assert_eq!(
        unresolved,
        json!({"No::Such::Module": ["Needier", "Needy"], "Test::Nowhere": ["Needy"]})
    );
    agrees_with_reference(&repo)
}

#[test]
fn developer_releases_do_not_change_the_river() -> TestResult {
    let repo = Repo::new(&["ALICE", "BOB"])?;
    repo.upload("ALICE", &dist("Stable-Base", "1.0", &["Stable::Base"], &[]))?;
    repo.upload(
        "BOB",
        &dist("Stable-User", "1.0", &["Stable::User"], &["Stable::Base"]),
    )?;
    let before = repo.river()?;
    assert_eq!(before.get("Stable-Base"), Some(&(1, 1, 1)));

    // A trial of the dependent that drops the prerequisite; a trial of the base that would
    // close a cycle; a new distribution that exists only as a developer release.
    repo.upload(
        "BOB",
        &dist("Stable-User", "1.1", &["Stable::User"], &[]).trial(),
    )?;
    repo.upload(
        "ALICE",
        &dist(
            "Stable-Base",
            "1.1_01",
            &["Stable::Base"],
            &["Stable::User"],
        ),
    )?;
    repo.upload(
        "BOB",
        &dist("Newcomer", "0.01_01", &["Newcomer"], &["Stable::Base"]),
    )?;
    assert_eq!(
        repo.river()?,
        before,
        "developer releases changed the river"
    );
    assert_eq!(repo.rdeps("Stable::Base", false)?, ["Stable-User"]);
    agrees_with_reference(&repo)
}

#[test]
fn the_report_of_an_upload_in_the_middle_of_the_river_says_so() -> TestResult {
    let repo = Repo::new(&["HUBBER", "SPOKES"])?;
    // Hub-Core: 40 direct dependents, 15 more through Spoke-N01 (55 in all: in the middle).
    let mut dists = vec![("HUBBER", dist("Hub-Core", "1.0", &["Hub::Core"], &[]))];
    for n in 1..=40 {
        let name = format!("Spoke-N{n:02}");
        let package = format!("Spoke::N{n:02}");
        dists.push((
            "SPOKES",
            dist(&name, "1.0", &[package.as_str()], &["Hub::Core"]),
        ));
    }
    for n in 1..=15 {
        let name = format!("Rim-N{n:02}");
        let package = format!("Rim::N{n:02}");
        dists.push((
            "SPOKES",
            dist(&name, "1.0", &[package.as_str()], &["Spoke::N01"]),
        ));
    }
    repo.import(&dists)?;
    let river = repo.river()?;
    assert_eq!(river.len(), 56);
    assert_eq!(river.get("Hub-Core"), Some(&(40, 55, 2)));
    assert_eq!(river.get("Spoke-N01"), Some(&(15, 15, 2)));
    let band = stdout_ok(repo.cmd().args(["river", "--json", "Hub-Core"]))?;
    let band: Value = serde_json::from_str(&band)?;
    assert_eq!(band["band"], "in the middle");
    assert_eq!(repo.rdeps("Hub-Core", true)?.len(), 55);

    let upload = repo.upload(
        "HUBBER",
        &dist("Hub-Core", "1.1", &["Hub::Core"], &["Some::New::Prereq"]),
    )?;
    let report = one_line(&repo.report(&upload)?);
    assert!(
        report.contains(
            "Hub-Core is in the middle in the CPAN river: 40 distributions depend on it directly and 55 in all."
        ),
        "{report}"
    );
    assert!(
        report.contains("Release a non-indexed developer (trial) version first"),
        "{report}"
    );
    assert!(report.contains("36 to 48 hours"), "{report}");
    // Fewer than 1000 dependents: not yet the advice to test them.
    assert!(!report.contains("downriver dependents against"), "{report}");

    let json: Value =
        serde_json::from_str(&stdout_ok(repo.cmd().args(["report", "--json", &upload]))?)?;
    let note = &json["river"];
    assert_eq!(note["band"], "in the middle", "{json}");
    assert_eq!(note["immediate"], 40, "{json}");
    assert_eq!(note["total"], 55, "{json}");
    assert_eq!(note["dist"], "Hub-Core", "{json}");
    assert!(
        note["advice"][0]
            .as_str()
            .is_some_and(|advice| advice.contains("trial")),
        "{json}"
    );

    // A trial of it: the advice for a trial release.
    let trial = repo.upload(
        "HUBBER",
        &dist("Hub-Core", "1.2", &["Hub::Core"], &[]).trial(),
    )?;
    let report = one_line(&repo.report(&trial)?);
    assert!(
        report.contains("Hub-Core is in the middle in the CPAN river: 40 distributions depend on it directly and 55 in all."),
        "{report}"
    );
    assert!(
        report.contains("Watch the CPAN Testers matrix for this trial release"),
        "{report}"
    );
    assert!(
        !report.contains("Release a non-indexed developer"),
        "{report}"
    );

    // A distribution way downriver gets no river note.
    let spoke = repo.upload(
        "SPOKES",
        &dist("Spoke-N01", "1.1", &["Spoke::N01"], &["Hub::Core"]),
    )?;
    let report = one_line(&repo.report(&spoke)?);
    assert!(!report.contains("CPAN river"), "{report}");
    let json: Value =
        serde_json::from_str(&stdout_ok(repo.cmd().args(["report", "--json", &spoke]))?)?;
    assert!(json.get("river").is_none_or(Value::is_null), "{json}");
    // The new prerequisite of Hub-Core is nobody's module.
    assert_eq!(
        stdout_ok(repo.cmd().args(["river", "--unresolved"]))?,
        "Some::New::Prereq\trequired by Hub-Core\n"
    );
    agrees_with_reference(&repo)
}

// ---------------------------------------------------------------------------------------------
// the differential test on the real corpus

fn env_is_one(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| value == "1")
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CPAN_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/cpan-corpus"))
        })?;
    (dir.join("orig").is_dir() && dir.join("manifest.tsv").is_file()).then_some(dir)
}

fn perl_has_reference_modules() -> bool {
    Command::new("perl")
        .args([
            "-MArchive::Tar",
            "-MCPAN::Meta",
            "-MCPAN::DistnameInfo",
            "-MJSON::PP",
            "-MIO::Uncompress::Gunzip",
            "-e1",
        ])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// A corpus directory holding an evenly spaced, deterministic sample of the corpus's tarballs
/// (`RIVERPAN_RIVER_SAMPLE`, default 300; `all` for every one): its manifest lists only the
/// sample, `orig/` and `unpacked/` link to the corpus's.
fn sample_corpus(corpus: &Path, into: &Path) -> AnyResult<usize> {
    let mut files: Vec<String> = std::fs::read_dir(corpus.join("orig"))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    files.sort();
    let wanted = std::env::var("RIVERPAN_RIVER_SAMPLE").unwrap_or_else(|_| "300".into());
    let chosen: BTreeSet<String> = if wanted == "all" {
        files.into_iter().collect()
    } else {
        let n: usize = wanted
            .parse()
            .map_err(|_| format!("RIVERPAN_RIVER_SAMPLE is a number or 'all', not {wanted}"))?;
        if files.len() <= n {
            files.into_iter().collect()
        } else {
            (0..n).map(|i| files[i * files.len() / n].clone()).collect()
        }
    };
    std::fs::create_dir_all(into)?;
    let manifest = std::fs::read_to_string(corpus.join("manifest.tsv"))?;
    let mut lines = manifest.lines();
    let mut sampled = String::new();
    if let Some(header) = lines.next() {
        sampled.push_str(header);
        sampled.push('\n');
    }
    for line in lines {
        if line
            .split('\t')
            .nth(1)
            .is_some_and(|file| chosen.contains(file))
        {
            sampled.push_str(line);
            sampled.push('\n');
        }
    }
    std::fs::write(into.join("manifest.tsv"), sampled)?;
    std::os::unix::fs::symlink(corpus.join("orig"), into.join("orig"))?;
    if corpus.join("unpacked").is_dir() {
        std::os::unix::fs::symlink(corpus.join("unpacked"), into.join("unpacked"))?;
    }
    Ok(chosen.len())
}

/// What the Perl reference says: the river, and its direct and deep reverse dependencies and
/// unresolved modules.
struct Reference {
    river: BTreeMap<String, Numbers>,
    direct: BTreeMap<String, Vec<String>>,
    deep: BTreeMap<String, Vec<String>>,
    unresolved: BTreeMap<String, Vec<String>>,
}

fn run_reference(cpan: &Path, scratch: &Path) -> AnyResult<Reference> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/river.pl");
    let sets = scratch.join("reference-rdeps.json");
    let output = output_of(
        Command::new("perl")
            .arg(&script)
            .arg("--rdeps")
            .arg(&sets)
            .arg(cpan),
    )?;
    if !output.status.success() {
        return Err(format!(
            "the Perl reference failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let river = parse_river(&String::from_utf8(output.stdout)?)?;
    let sets: Value = serde_json::from_str(&std::fs::read_to_string(&sets)?)?;
    let lists = |key: &str| -> AnyResult<BTreeMap<String, Vec<String>>> {
        Ok(serde_json::from_value(sets[key].clone())?)
    };
    Ok(Reference {
        river,
        direct: lists("direct")?,
        deep: lists("deep")?,
        unresolved: lists("unresolved")?,
    })
}

#[test]
fn the_corpus_river_equals_the_metacpan_river_reference() -> TestResult {
    if env_is_one("RIVERPAN_SKIP_CORPUS") {
        eprintln!("SKIPPED: RIVERPAN_SKIP_CORPUS=1");
        return Ok(());
    }
    if env_is_one("RIVERPAN_SKIP_PERL") {
        eprintln!("SKIPPED: RIVERPAN_SKIP_PERL=1");
        return Ok(());
    }
    let Some(corpus) = corpus_dir() else {
        eprintln!("SKIPPED: no CPAN corpus (CPAN_CORPUS_DIR or ~/.cache/cpan-corpus with orig/ and manifest.tsv; ./scripts/test fetches a sample)");
        return Ok(());
    };
    if !perl_has_reference_modules() {
        eprintln!("SKIPPED: perl with Archive::Tar, CPAN::Meta, CPAN::DistnameInfo, JSON::PP and IO::Uncompress::Gunzip is not available");
        return Ok(());
    }
    if !Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
    {
        eprintln!("SKIPPED: python3 (for bench/make-corpus-tree) is not available");
        return Ok(());
    }

    let work = tempfile::tempdir()?;
    let sampled = sample_corpus(&corpus, &work.path().join("corpus"))?;
    let tree = work.path().join("tree");
    let make_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/make-corpus-tree");
    stdout_ok(
        Command::new("python3")
            .arg(&make_tree)
            .arg(&tree)
            .arg(work.path().join("corpus")),
    )?;
    let data = work.path().join("data");
    stdout_ok(riverpan(&data).args(["init", "--policy", "pause"]))?;
    stdout_ok(riverpan(&data).arg("import").arg(&tree))?;
    let ours = parse_river(&stdout_ok(riverpan(&data).args(["river", "--json"]))?)?;
    let reference = run_reference(&data.join("cpan"), work.path())?;

    // Every distribution's three numbers.
    let names: BTreeSet<&String> = ours.keys().chain(reference.river.keys()).collect();
    let mut differences = Vec::new();
    for name in &names {
        let (mine, theirs) = (ours.get(*name), reference.river.get(*name));
        if mine != theirs {
            let show = |numbers: Option<&Numbers>| {
                numbers.map_or("absent".to_string(), |(i, t, b)| {
                    format!("immediate {i}, total {t}, bucket {b}")
                })
            };
            differences.push(format!(
                "{name}: riverpan {} / reference {}",
                show(mine),
                show(theirs)
            ));
        }
    }
    let agree = names.len() - differences.len();
    let with_dependents = reference.river.values().filter(|n| n.1 > 0).count();
    let edges: usize = reference.direct.values().map(Vec::len).sum();
    eprintln!(
        "river differential: {sampled} tarballs sampled, {} distributions in 02packages, {edges} edges, {with_dependents} with dependents; {agree} of {} distributions agree ({:.2}%)",
        reference.river.len(),
        names.len(),
        100.0 * agree as f64 / names.len().max(1) as f64
    );
    assert!(
        differences.is_empty(),
        "{} distributions differ (first 20):\n{}",
        differences.len(),
        differences
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !ours.is_empty(),
        "the import indexed nothing: the corpus tree is empty"
    );

    // Reverse dependencies of the most upriver distributions, one with indirect dependents,
    // and one nobody depends on.
    let mut ranked: Vec<(&String, &Numbers)> = reference.river.iter().collect();
    ranked.sort_by(|(a_name, a), (b_name, b)| {
        b.1.cmp(&a.1).then(b.0.cmp(&a.0)).then(a_name.cmp(b_name))
    });
    let mut probes: Vec<&String> = ranked.iter().take(3).map(|(name, _)| *name).collect();
    // Below the top: one with more dependents than direct ones, and one in a cycle (its deep
    // dependents include itself).
    probes.extend(
        ranked
            .iter()
            .skip(ranked.len().min(10))
            .find(|(_, numbers)| numbers.1 > numbers.0)
            .map(|(name, _)| *name),
    );
    probes.extend(
        ranked
            .iter()
            .find(|(name, _)| {
                reference
                    .deep
                    .get(*name)
                    .is_some_and(|deep| deep.contains(name))
            })
            .map(|(name, _)| *name),
    );
    probes.extend(
        ranked
            .iter()
            .rev()
            .find(|(_, numbers)| numbers.1 == 0)
            .map(|(name, _)| *name),
    );
    let mut seen = BTreeSet::new();
    probes.retain(|name| seen.insert(*name));
    let none = Vec::new();
    for dist in &probes {
        let direct = stdout_ok(riverpan(&data).args(["river", "--rdeps", dist]))?;
        let direct: Vec<&str> = direct.lines().collect();
        assert_eq!(
            direct,
            *reference.direct.get(*dist).unwrap_or(&none),
            "river --rdeps {dist}"
        );
        let deep = stdout_ok(riverpan(&data).args(["river", "--rdeps", dist, "--deep"]))?;
        let deep: Vec<&str> = deep.lines().collect();
        assert_eq!(
            deep,
            *reference.deep.get(*dist).unwrap_or(&none),
            "river --rdeps {dist} --deep"
        );
    }
    eprintln!("river differential: --rdeps and --rdeps --deep agree for {probes:?}");

    // --top 10: by total, then immediate, then name.
    let top = stdout_ok(riverpan(&data).args(["river", "--top", "10", "--json"]))?;
    let top: Vec<(String, Numbers)> = top
        .lines()
        .map(|line| -> AnyResult<(String, Numbers)> {
            let row: Value = serde_json::from_str(line)?;
            let number = |key: &str| row[key].as_u64().ok_or(format!("{key} in {row}"));
            Ok((
                row["dist"].as_str().ok_or("dist")?.to_string(),
                (number("immediate")?, number("total")?, number("bucket")?),
            ))
        })
        .collect::<AnyResult<_>>()?;
    let expected_top: Vec<(String, Numbers)> = ranked
        .iter()
        .take(10)
        .map(|(name, numbers)| ((*name).clone(), **numbers))
        .collect();
    assert_eq!(top, expected_top, "river --top 10");

    // Modules required and provided by no one.
    let unresolved: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&stdout_ok(riverpan(&data).args([
            "river",
            "--unresolved",
            "--json",
        ]))?)?;
    let missing: Vec<&String> = reference
        .unresolved
        .keys()
        .filter(|module| !unresolved.contains_key(*module))
        .collect();
    let extra: Vec<&String> = unresolved
        .keys()
        .filter(|module| !reference.unresolved.contains_key(*module))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "river --unresolved: missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(
        unresolved, reference.unresolved,
        "river --unresolved --json"
    );
    eprintln!(
        "river differential: {} unresolved modules agree",
        unresolved.len()
    );
    Ok(())
}
