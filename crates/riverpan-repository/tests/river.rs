//! The river kept current by a repository: after every upload the stored positions (updated in
//! place from the uploads indexed since the last refresh) equal a river rebuilt from the store.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use riverpan_repository::{river_from_store, Repository};
use riverpan_store::AuthorRecord;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `dir/NAME-VERSION.tar.gz` with a META.json requiring `requires` (runtime) and the modules.
fn dist(dir: &Path, name: &str, version: &str, modules: &[&str], requires: &[String]) -> PathBuf {
    let root = format!("{name}-{version}");
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, content: &str| {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder
            .append_data(&mut header, format!("{root}/{path}"), content.as_bytes())
            .unwrap();
    };
    let requires: serde_json::Map<String, serde_json::Value> = requires
        .iter()
        .map(|m| (m.clone(), serde_json::json!("0")))
        .collect();
    let meta = serde_json::json!({
        "name": name, "version": version, "abstract": "x", "author": ["A <a@example.org>"],
        "license": ["perl_5"], "dynamic_config": 0, "release_status": "stable",
        "meta-spec": {"version": 2},
        "prereqs": {"runtime": {"requires": requires}},
    });
    add("META.json", &meta.to_string());
    for package in modules {
        let file = format!("lib/{}.pm", package.replace("::", "/"));
        add(
            &file,
            &format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
        );
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let path = dir.join(format!("{root}.tar.gz"));
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    path
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn stored_positions(repository: &Repository) -> BTreeMap<String, (u64, u64, u8)> {
    repository
        .store()
        .reader()
        .river_positions()
        .unwrap()
        .into_iter()
        .map(|(dist, p)| (dist, (p.immediate, p.total, p.bucket)))
        .collect()
}

fn rebuilt_positions(repository: &Repository) -> BTreeMap<String, (u64, u64, u8)> {
    river_from_store(&repository.store().reader())
        .unwrap()
        .positions()
        .map(|(dist, p)| (dist.to_string(), (p.immediate, p.total, p.bucket)))
        .collect()
}

#[test]
fn incremental_river_equals_a_rebuild_after_every_upload() -> TestResult {
    let data = tempfile::tempdir()?;
    let work = tempfile::tempdir()?;
    let mut repository = Repository::open(data.path())?;
    repository.add_author(&AuthorRecord {
        userid: "NEILB".into(),
        fullname: "Neil".into(),
        email: None,
        pumpking: false,
    })?;
    let dists = ["Aa", "Bb", "Cc", "Dd", "Ee", "Ff", "Gg", "Hh"];
    // Modules that may move between dists: Shared::N is provided by whichever dist uploaded it
    // last (same author, so the permission holds).
    let mut rng = Rng(0x5eed_cafe);
    let mut versions: BTreeMap<&str, u32> = BTreeMap::new();
    let mut incremental_refreshes = 0;
    for step in 0..60 {
        let name = dists[rng.below(dists.len())];
        let version = versions.entry(name).or_insert(0);
        *version += 1;
        let mut modules = vec![name.to_string()];
        if rng.below(4) == 0 {
            modules.push(format!("Shared::M{}", rng.below(3)));
        }
        let mut requires = Vec::new();
        for _ in 0..rng.below(4) {
            let target = rng.below(dists.len() + 4);
            requires.push(match target {
                t if t < dists.len() => dists[t].to_string(),
                t if t < dists.len() + 3 => format!("Shared::M{}", t - dists.len()),
                _ => "Not::Provided".to_string(),
            });
        }
        if rng.below(5) == 0 {
            requires.push("perl".into());
        }
        let module_refs: Vec<&str> = modules.iter().map(String::as_str).collect();
        // Now and then a developer release: indexed nothing, changes nothing.
        let version_string = if rng.below(8) == 0 {
            format!("{version}.0_01")
        } else {
            format!("{version}.0")
        };
        let file = dist(work.path(), name, &version_string, &module_refs, &requires);
        repository.upload("NEILB", &file)?;
        let refresh = repository
            .last_river_refresh()
            .ok_or("no river refresh after an upload")?;
        if refresh.incremental {
            incremental_refreshes += 1;
        }
        assert_eq!(
            stored_positions(&repository),
            rebuilt_positions(&repository),
            "after step {step} ({name} {version_string} requiring {requires:?}, providing {modules:?})"
        );
    }
    // The first refresh builds; every later one is applied in place.
    assert_eq!(incremental_refreshes, 59);
    Ok(())
}
