//! CPAN Testers benchmarks (issue 6): ingest throughput with summaries kept current, then the
//! BBC query and one dist's summary over everything ingested.
//!
//! Usage: `testers-bench [REPORTS] [DISTS] [DIR]` (defaults: 1,000,000 reports over 20,000
//! dists in a temporary directory).  Prints `label value unit` lines.  `REPORTS` 0 skips the
//! ingest and only times the queries over what an earlier run left in `DIR`.

use std::time::{Duration, Instant};

use riverpan_testers::generate::Generator;
use riverpan_testers::{ingest, query, store};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reports = arg(1, 1_000_000);
    let dists = arg(2, 20_000);
    let tmp = tempfile::tempdir()?;
    let dir = std::env::args()
        .nth(3)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let mut conn = store::open(&dir)?;
    let mut gen = Generator::new(2026, dists);
    // Reports per ingest transaction (`RIVERPAN_TESTERS_BENCH_BATCH`, default 50,000: a bulk
    // load's batch; at millions of reports larger transactions write each random index page
    // once for many reports, see bench/README.md).
    let batch: usize = std::env::var("RIVERPAN_TESTERS_BENCH_BATCH")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(50_000);
    let (mut gen_time, mut ingest_time) = (Duration::ZERO, Duration::ZERO);
    let mut done = 0;
    let mut last_print = Instant::now();
    while done < reports {
        let n = batch.min(reports - done);
        let t = Instant::now();
        let b = gen.batch(n);
        gen_time += t.elapsed();
        let t = Instant::now();
        ingest::ingest(&mut conn, &b)?;
        ingest_time += t.elapsed();
        done += n;
        if last_print.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "{done} reports, {:.0}/s",
                done as f64 / ingest_time.as_secs_f64()
            );
            last_print = Instant::now();
        }
    }
    if reports > 0 {
        println!("dists {dists}");
        println!(
            "generate {:.0} reports/s",
            reports as f64 / gen_time.as_secs_f64()
        );
        println!(
            "ingest {:.0} reports/s ({:.1} s, batches of {batch}, summaries current)",
            reports as f64 / ingest_time.as_secs_f64(),
            ingest_time.as_secs_f64()
        );
    }
    println!("reports {}", store::report_count(&conn)?);
    let size = std::fs::metadata(dir.join("riverpan.sqlite"))?.len();
    println!("store {:.0} MB", size as f64 / 1e6);
    let summary_rows: i64 =
        conn.query_row("SELECT COUNT(*) FROM testers_summary", [], |r| r.get(0))?;
    println!("summary_rows {summary_rows}");
    // BBC: best and worst of 3 (the first run reads from a cold SQLite page cache).
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let b = query::bbc(&conn, None, None)?;
        times.push(t.elapsed());
        found = b.candidates.len();
    }
    println!(
        "bbc {:.1} ms first, {:.1} ms best ({found} candidates)",
        times[0].as_secs_f64() * 1e3,
        times
            .iter()
            .min()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    );
    // One dist's summary: the most reported dist (index 0 has the largest Zipf weight) and a
    // mid-popularity one.
    let first: String = conn.query_row(
        "SELECT dist FROM testers_releases GROUP BY dist ORDER BY SUM(reports) DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    for dist in [first.as_str()] {
        let t = Instant::now();
        let mut total = 0;
        let runs = 100;
        for _ in 0..runs {
            total += query::summary(&conn, dist, None)?.total();
        }
        println!(
            "summary {:.3} ms/op ({dist}, {} reports)",
            t.elapsed().as_secs_f64() * 1e3 / runs as f64,
            total / runs
        );
        let t = Instant::now();
        let version: String = conn.query_row(
            "SELECT version FROM testers_latest WHERE dist = ?1",
            [dist],
            |r| r.get(0),
        )?;
        let m = query::matrix(&conn, dist, &version)?;
        println!(
            "matrix {:.3} ms ({} cells)",
            t.elapsed().as_secs_f64() * 1e3,
            m.len()
        );
    }
    Ok(())
}
