//! Times one upload into a repository the size of CPAN: builds (once, cached in the directory
//! given) a store with 40,000 distributions and 250,000 packages with their permissions, then
//! uploads a few new distributions and prints the time of each, split into storing+indexing and
//! publishing the index files.
//! Usage: upload-bench DIR

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use riverpan_repository::Repository;
use riverpan_store::{AuthorRecord, PackageRecord, PermissionRecord, ReleasePrerequisite, Store};

const DISTS: usize = 40_000;
const PACKAGES: usize = 250_000;

fn build(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut store = Store::open(dir)?;
    let tx = store.index_transaction()?;
    for a in 0..2_000 {
        tx.upsert_author(
            &AuthorRecord {
                userid: format!("AUTHOR{a:04}").replace('0', "A").replace('1', "B"),
                fullname: format!("Author {a}"),
                email: None,
                pumpking: false,
            },
            0,
        )?;
    }
    for p in 0..PACKAGES {
        let d = p % DISTS;
        let author = format!("AUTHOR{:04}", d % 2_000)
            .replace('0', "A")
            .replace('1', "B");
        let dist = format!(
            "{}/{}/{author}/Dist{d}-Name-1.{d}.tar.gz",
            &author[..1],
            &author[..2]
        );
        let package = if p < DISTS {
            format!("Dist{d}::Name")
        } else {
            format!("Dist{d}::Name::Sub{p}")
        };
        tx.upsert_package(&PackageRecord {
            package: package.clone(),
            version: format!("1.{d}"),
            dist,
            file: format!("lib/Dist{d}/Name.pm"),
            dist_mtime: 1_600_000_000,
        })?;
        let perm = PermissionRecord {
            package,
            userid: author,
        };
        tx.insert_permission(&perm, true)?;
        tx.insert_permission(&perm, false)?;
    }
    // Every dist is an indexed upload with a release record whose prerequisites follow the
    // river crate's CPAN-like synthetic graph (synthetic dist i is Dist{i}-Name here), so that
    // pages, the river and the reverse dependencies have CPAN's shape.
    let (releases, _) = riverpan_river::synthetic::cpan_like(7, DISTS, 350_000);
    for (d, release) in releases.iter().enumerate().take(DISTS) {
        let author = format!("AUTHOR{:04}", d % 2_000)
            .replace('0', "A")
            .replace('1', "B");
        let path = format!(
            "{}/{}/{author}/Dist{d}-Name-1.{d}.tar.gz",
            &author[..1],
            &author[..2]
        );
        // The file itself (publishing checksums every author directory).
        let file = dir.join("cpan/authors/id").join(&path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        tarball(&file, &format!("Dist{d}-Name"), &format!("1.{d}"))?;
        let upload_id = tx.insert_upload(
            &path,
            &author,
            1_000,
            "0000000000000000000000000000000000000000000000000000000000000000",
            1_600_000_000,
            1_600_000_000 + d as i64,
        )?;
        tx.execute(
            "UPDATE uploads SET state = 'indexed' WHERE id = ?1",
            [upload_id],
        )?;
        let prereqs: Vec<ReleasePrerequisite> = release
            .modules
            .iter()
            .map(|module| ReleasePrerequisite {
                phase: "runtime".into(),
                relationship: "requires".into(),
                module: bench_module(module),
                requirement: "0".into(),
            })
            .collect();
        tx.save_release(
            upload_id,
            &format!("Dist{d}-Name"),
            &format!("1.{d}"),
            &prereqs,
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// `Synth::River::{i}[::PartK]` (the synthetic graph's module names) → `Dist{i}::Name`, the
/// main package of this repository's dist i; other names stay as they are (unresolved).
fn bench_module(module: &str) -> String {
    module
        .strip_prefix("Synth::River::")
        .and_then(|rest| rest.split("::").next())
        .and_then(|index| index.parse::<usize>().ok())
        .map_or_else(|| module.to_string(), |i| format!("Dist{i}::Name"))
}

fn tarball(path: &Path, name: &str, version: &str) -> Result<(), Box<dyn std::error::Error>> {
    let root = format!("{name}-{version}");
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |p: &str, content: &str| -> std::io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder.append_data(&mut header, format!("{root}/{p}"), content.as_bytes())
    };
    add(
        "META.yml",
        &format!("---\nname: {name}\nversion: {version}\n"),
    )?;
    let package = name.replace('-', "::");
    add(
        &format!("lib/{}.pm", package.replace("::", "/")),
        &format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
    )?;
    let tar = builder.into_inner()?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar)?;
    std::fs::write(path, gz.finish()?)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: upload-bench DIR")?;
    let dir = Path::new(&dir);
    if !dir.join("riverpan.sqlite").exists() {
        let start = Instant::now();
        build(dir)?;
        eprintln!(
            "built a repository of {DISTS} dists, {PACKAGES} packages in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
    let start = Instant::now();
    let mut repository = Repository::open(dir)?;
    eprintln!(
        "open (first publish if needed): {:.2} s",
        start.elapsed().as_secs_f64()
    );
    repository.add_author(&AuthorRecord {
        userid: "BENCHER".into(),
        fullname: "Bench".into(),
        email: None,
        pumpking: false,
    })?;
    let work = tempfile::tempdir()?;
    let mut totals = Vec::new();
    for i in 0..5 {
        let name = format!("Bench-Upload{}", std::process::id() * 10 + i);
        let file = work.path().join(format!("{name}-1.0.tar.gz"));
        tarball(&file, &name, "1.0")?;
        let start = Instant::now();
        let outcome = repository.upload_without_publishing("BENCHER", &file)?;
        let indexed = start.elapsed();
        repository.publish_upload_dir(&outcome.path)?;
        let total = start.elapsed();
        println!(
            "upload {i}: store+inspect+index {:.1} ms, publish {:.1} ms, total {:.1} ms",
            indexed.as_secs_f64() * 1e3,
            (total - indexed).as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
        totals.push((indexed.as_secs_f64() * 1e3, total.as_secs_f64() * 1e3));
    }
    totals.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (indexed, total) = totals[totals.len() / 2];
    println!("median: store+inspect+index {indexed:.1} ms, with publishing {total:.1} ms (goal: one upload < 50 ms)");
    Ok(())
}
