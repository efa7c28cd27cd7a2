//! Measures `examine_pmfile` throughput over the unpacked corpus (all files in memory first).
//! Usage: cargo run --release -p cpan-pmscan --example scanbench [CORPUS/unpacked]
use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| {
        format!(
            "{}/.cache/cpan-corpus/unpacked",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".pm") {
                if let Ok(c) = std::fs::read(&p) {
                    files.push((p.to_string_lossy().into_owned(), c));
                }
            }
        }
    }
    let bytes: usize = files.iter().map(|(_, c)| c.len()).sum();
    let options = cpan_pmscan::ScanOptions {
        version_from_meta_ok: std::env::var("NOVERSION").is_ok(),
        ..Default::default()
    };
    let mut best = f64::MAX;
    let mut packages = 0;
    for _ in 0..3 {
        let start = Instant::now();
        packages = 0;
        for (path, content) in &files {
            packages += cpan_pmscan::examine_pmfile(path, content, &options)
                .packages
                .len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{} files, {:.1} MB, {} packages, {:.3} s, {:.0} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        packages,
        best,
        bytes as f64 / 1e6 / best
    );
}
