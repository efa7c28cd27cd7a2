//! Decompresses archives without looking at their contents, on all cores, and prints the
//! seconds it took: the floor `riverpan inspect` is measured against in `run-inspect-bench`.
//! Usage: decompress-bench LIST   (LIST: one archive path per line)

use std::io::BufRead;
use std::time::Instant;

use cpan_archive::ArchiveFormat;
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let list = std::env::args()
        .nth(1)
        .ok_or("usage: decompress-bench LIST")?;
    let paths: Vec<String> = std::io::BufReader::new(std::fs::File::open(list)?)
        .lines()
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    let (bytes, failures) = paths
        .par_iter()
        .map(|path| {
            let format = ArchiveFormat::from_file_name(path);
            let file = std::fs::File::open(path);
            match (format, file) {
                (Some(format), Ok(file)) => {
                    match cpan_archive::decompress_only(std::io::BufReader::new(file), format) {
                        Ok(bytes) => (bytes, 0u64),
                        Err(_) => (0, 1),
                    }
                }
                _ => (0, 1),
            }
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let seconds = start.elapsed().as_secs_f64();
    println!("decompress_s {seconds:.3}");
    println!("decompressed_bytes {bytes}");
    println!("decompress_failures {failures}");
    Ok(())
}
