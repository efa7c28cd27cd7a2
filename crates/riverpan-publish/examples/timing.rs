//! Times the formatting and compression of a CPAN-size 02packages: `cargo run --release -p riverpan-publish
//! --example timing [PATH-TO-02packages.gz]` (default: CPAN's real file in /work/shared/data).

use std::io::Read;
use std::time::{Duration, Instant, UNIX_EPOCH};

use riverpan_publish::{details_body, packages_details, FileHeader, IndexedPackage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/shared/data/cpan-02packages-2023-02-17.txt.gz".to_string());
    let mut original = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&path)?).read_to_string(&mut original)?;
    let rows: Vec<IndexedPackage> = details_body(&original)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some(IndexedPackage {
                package: fields.next()?,
                version: fields.next()?,
                dist: fields.next()?,
            })
        })
        .collect();
    let header = FileHeader::at(UNIX_EPOCH + Duration::from_secs(1_676_627_640));

    let mut best = Duration::MAX;
    let mut text = String::new();
    for _ in 0..5 {
        let start = Instant::now();
        text = packages_details(&rows, &header);
        best = best.min(start.elapsed());
    }
    println!(
        "format {} lines ({} bytes): {:.1} ms (best of 5)",
        rows.len(),
        text.len(),
        best.as_secs_f64() * 1e3
    );
    println!(
        "identical to the input: {}",
        details_body(&text) == details_body(&original)
    );

    // `ORDER BY package` in SQLite's default (byte) collation: close to the published order, not equal to it.
    let mut byte_ordered = rows.clone();
    byte_ordered.sort_by(|a, b| a.package.cmp(b.package));
    let mut best_byte_ordered = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let again = packages_details(&byte_ordered, &header);
        best_byte_ordered = best_byte_ordered.min(start.elapsed());
        assert!(again == text, "the order of the rows must not matter");
    }
    println!(
        "format rows in byte order of package: {:.1} ms (best of 5)",
        best_byte_ordered.as_secs_f64() * 1e3
    );

    // Rows from a database come in whatever order it keeps them: a shuffled copy measures the sort for real.
    let mut shuffled = rows.clone();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for index in (1..shuffled.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        shuffled.swap(index, (state >> 33) as usize % (index + 1));
    }
    let mut best_shuffled = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let again = packages_details(&shuffled, &header);
        best_shuffled = best_shuffled.min(start.elapsed());
        assert!(again == text, "the order of the rows must not matter");
    }
    println!(
        "format shuffled rows: {:.1} ms (best of 5)",
        best_shuffled.as_secs_f64() * 1e3
    );

    for level in [1, 2, 3, 4, 5, 6, 9] {
        let start = Instant::now();
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        std::io::Write::write_all(&mut encoder, text.as_bytes())?;
        let compressed = encoder.finish()?;
        println!(
            "gzip level {level}: {} bytes, {:.1} ms",
            compressed.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
    }

    let dir = tempfile::tempdir()?;
    let target = dir.path().join("02packages.details.txt");
    let start = Instant::now();
    riverpan_publish::write_text_and_gz(&target, &text)?;
    println!(
        "write_text_and_gz (level {}): {:.1} ms",
        riverpan_publish::GZIP_LEVEL,
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
