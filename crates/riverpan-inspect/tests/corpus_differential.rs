//! Differential test of `riverpan inspect` against a reference pipeline written in Perl on the
//! modules PAUSE uses or that port it (Parse::PMFile, Parse::CPAN::Meta; `tests/reference/
//! pause-inspect.pl`), over real CPAN distributions (the Debian corpus, fetched by
//! `../shared/corpus/fetch-debian-cpan` into `~/.cache/cpan-corpus/orig`).
//!
//! Every (dist, package, version, file) entry either side reports is compared; the test requires
//! 99.5% of them to agree and prints every disagreement by category. By default a deterministic
//! sample of 300 archives runs (CI); `RIVERPAN_INSPECT_SAMPLE=all` runs the whole corpus and
//! `RIVERPAN_INSPECT_REPORT=FILE` writes the full list of differences.
//!
//! Skipped (with a message) when the corpus or Perl's Parse::PMFile is missing, or with
//! `RIVERPAN_SKIP_CORPUS=1` / `RIVERPAN_SKIP_PERL=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rayon::prelude::*;
use riverpan_inspect::inspect_file;
use serde_json::Value;

fn corpus_dir() -> Option<PathBuf> {
    if std::env::var_os("RIVERPAN_SKIP_CORPUS").is_some() {
        return None;
    }
    let dir = std::env::var_os("CPAN_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/cpan-corpus"))
        })?;
    let orig = dir.join("orig");
    orig.is_dir().then_some(orig)
}

fn perl_has_reference() -> bool {
    if std::env::var_os("RIVERPAN_SKIP_PERL").is_some() {
        return false;
    }
    Command::new("perl")
        .args(["-MParse::PMFile", "-MParse::CPAN::Meta", "-e1"])
        .status()
        .is_ok_and(|status| status.success())
}

/// An evenly spaced, deterministic sample of the archives (or all of them).
fn sample(orig: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(orig)
        .expect("corpus dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    all.sort();
    let wanted = std::env::var("RIVERPAN_INSPECT_SAMPLE").unwrap_or_else(|_| "300".into());
    if wanted == "all" {
        return all;
    }
    let n: usize = wanted
        .parse()
        .expect("RIVERPAN_INSPECT_SAMPLE is a number or 'all'");
    if all.len() <= n {
        return all;
    }
    (0..n).map(|i| all[i * all.len() / n].clone()).collect()
}

/// Runs the Perl reference on `paths` with two processes (one per core), keyed by path.
fn reference(paths: &[PathBuf]) -> BTreeMap<String, Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pause-inspect.pl");
    let chunks: Vec<&[PathBuf]> = paths.chunks(paths.len().div_ceil(2).max(1)).collect();
    let outputs: Vec<String> = chunks
        .par_iter()
        .map(|chunk| {
            let mut child = Command::new("perl")
                .arg(&script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("perl");
            let mut stdin = child.stdin.take().expect("stdin");
            let input: String = chunk
                .iter()
                .map(|path| format!("{}\n", path.display()))
                .collect();
            let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
            let output = child.wait_with_output().expect("reference output");
            writer.join().expect("writer").expect("write paths");
            String::from_utf8_lossy(&output.stdout).into_owned()
        })
        .collect();
    let mut by_file = BTreeMap::new();
    for line in outputs.iter().flat_map(|output| output.lines()) {
        let value: Value = serde_json::from_str(line).expect("reference JSON");
        let file = value["file"].as_str().expect("file").to_string();
        by_file.insert(file, value);
    }
    by_file
}

type Entries = BTreeMap<String, (String, String)>;

fn reference_entries(value: &Value) -> Entries {
    value["packages"]
        .as_object()
        .map(|packages| {
            packages
                .iter()
                .map(|(name, package)| {
                    let field =
                        |key: &str| package[key].as_str().unwrap_or("<non-string>").to_string();
                    (name.clone(), (field("version"), field("file")))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn inspect_agrees_with_the_pause_reference_pipeline() {
    let Some(orig) = corpus_dir() else {
        eprintln!("SKIPPED: no corpus (run ../shared/corpus/fetch-debian-cpan) or RIVERPAN_SKIP_CORPUS set");
        return;
    };
    if !perl_has_reference() {
        eprintln!("SKIPPED: Perl with Parse::PMFile and Parse::CPAN::Meta is not available (apt-get install libparse-pmfile-perl)");
        return;
    }
    let paths = sample(&orig);
    assert!(
        !paths.is_empty(),
        "the corpus directory {} is empty",
        orig.display()
    );
    let limits = cpan_archive::Limits::default();
    let ours: BTreeMap<String, riverpan_inspect::DistInspection> = paths
        .par_iter()
        .map(|path| {
            let inspection = inspect_file(path, &limits).expect("readable corpus file");
            (path.display().to_string(), inspection)
        })
        .collect();
    let theirs = reference(&paths);

    let mut total = 0usize;
    let mut agree = 0usize;
    let mut categories: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut skip_disagreements = Vec::new();
    let mut meta_disagreements = Vec::new();
    let mut method_disagreements = Vec::new();
    for (file, inspection) in &ours {
        let Some(reference) = theirs.get(file) else {
            categories
                .entry("reference crashed")
                .or_default()
                .push(file.clone());
            continue;
        };
        let short = Path::new(file)
            .file_name()
            .map_or(file.clone(), |name| name.to_string_lossy().into_owned());
        let their_entries = reference_entries(reference);
        let our_entries: Entries = inspection
            .packages
            .iter()
            .map(|(name, package)| {
                (
                    name.clone(),
                    (package.version.clone(), package.file.clone()),
                )
            })
            .collect();
        let names: BTreeSet<&String> = their_entries.keys().chain(our_entries.keys()).collect();
        for name in names {
            total += 1;
            match (our_entries.get(name), their_entries.get(name)) {
                (Some(a), Some(b)) if a == b => agree += 1,
                (Some(a), Some(b)) if a.0 != b.0 => categories
                    .entry("version differs")
                    .or_default()
                    .push(format!(
                        "{short}: {name} riverpan {} reference {}",
                        a.0, b.0
                    )),
                (Some(a), Some(b)) => categories.entry("file differs").or_default().push(format!(
                    "{short}: {name} riverpan {} reference {}",
                    a.1, b.1
                )),
                (Some(a), None) => categories
                    .entry("only riverpan lists the package")
                    .or_default()
                    .push(format!("{short}: {name} {} {}", a.0, a.1)),
                (None, Some(b)) => categories
                    .entry("only the reference lists the package")
                    .or_default()
                    .push(format!("{short}: {name} {} {}", b.0, b.1)),
                (None, None) => unreachable!(),
            }
        }
        let their_skip = reference["skip"].as_str().map(str::to_string);
        if their_skip != inspection.skip_code {
            skip_disagreements.push(format!(
                "{short}: riverpan {:?} reference {:?}",
                inspection.skip_code, their_skip
            ));
        }
        let their_meta = reference["meta"].as_str().map(str::to_string);
        if their_meta != inspection.meta {
            meta_disagreements.push(format!(
                "{short}: riverpan {:?} reference {:?}",
                inspection.meta, their_meta
            ));
        }
        let their_method = reference["method"].as_str().map(str::to_string);
        let our_method = inspection.method.map(|method| {
            serde_json::to_value(method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        });
        if their_method != our_method {
            method_disagreements.push(format!(
                "{short}: riverpan {our_method:?} reference {their_method:?}"
            ));
        }
    }

    let mut report = String::new();
    let ratio = if total == 0 {
        1.0
    } else {
        agree as f64 / total as f64
    };
    report.push_str(&format!(
        "archives: {}\n(dist, package, version, file) entries: {total}, agreeing: {agree} ({:.3}%)\n\
         skip disagreements: {}\nMETA file disagreements: {}\nmethod disagreements: {}\n",
        ours.len(),
        ratio * 100.0,
        skip_disagreements.len(),
        meta_disagreements.len(),
        method_disagreements.len()
    ));
    for (category, items) in &categories {
        report.push_str(&format!("\n== {category}: {}\n", items.len()));
        for item in items {
            report.push_str(&format!("  {item}\n"));
        }
    }
    for (title, items) in [
        ("skip", &skip_disagreements),
        ("META file", &meta_disagreements),
        ("method", &method_disagreements),
    ] {
        if !items.is_empty() {
            report.push_str(&format!("\n== {title} disagreements: {}\n", items.len()));
            for item in items {
                report.push_str(&format!("  {item}\n"));
            }
        }
    }
    if let Some(path) = std::env::var_os("RIVERPAN_INSPECT_REPORT") {
        std::fs::write(&path, &report).expect("write the report");
    }
    // The summary and the first examples of each category, for the test log.
    for line in report.lines().take(200) {
        eprintln!("{line}");
    }
    assert!(total > 0, "no packages at all: the comparison is broken");
    assert!(
        ratio >= 0.995,
        "only {:.3}% of the entries agree with the reference (need 99.5%)",
        ratio * 100.0
    );
    let archives = ours.len() as f64;
    assert!(
        (meta_disagreements.len() as f64) <= archives * 0.005,
        "{} archives use a different META file than PAUSE would",
        meta_disagreements.len()
    );
}
