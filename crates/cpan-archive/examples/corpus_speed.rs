//! Compares `read_archive` with `decompress_only` over a directory of archives:
//! `cargo run --release -p cpan-archive --example corpus_speed [DIR]`
//! (default `$CPAN_CORPUS_DIR/orig` or `~/.cache/cpan-corpus/orig`).

use cpan_archive::{decompress_only, read_archive, ArchiveFormat, Limits};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("CPAN_CORPUS_DIR") {
            Some(base) => PathBuf::from(base).join("orig"),
            None => PathBuf::from(std::env::var_os("HOME").ok_or("no HOME")?)
                .join(".cache/cpan-corpus/orig"),
        },
    };
    let mut files: Vec<(PathBuf, ArchiveFormat, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(&path)?;
        let format = name
            .as_deref()
            .and_then(ArchiveFormat::from_file_name)
            .or_else(|| ArchiveFormat::sniff(&bytes));
        if let Some(format) = format {
            files.push((path, format, bytes));
        }
    }
    let compressed: usize = files.iter().map(|(_, _, b)| b.len()).sum();
    let limits = Limits::default();
    let mut best_plain = Duration::MAX;
    let mut best_read = Duration::MAX;
    let mut produced = 0;
    let mut entries = 0;
    for _ in 0..3 {
        let start = Instant::now();
        produced = 0;
        for (_, format, bytes) in &files {
            produced += decompress_only(bytes.as_slice(), *format)?;
        }
        best_plain = best_plain.min(start.elapsed());
        let start = Instant::now();
        entries = 0;
        for (path, format, bytes) in &files {
            let listing = read_archive(bytes.as_slice(), *format, &limits, &mut |e| {
                e.path.ends_with(".pm")
                    || e.path.ends_with("/META.json")
                    || e.path.ends_with("/META.yml")
            })
            .map_err(|e| format!("{}: {e}", path.display()))?;
            entries += listing.entries.len();
        }
        best_read = best_read.min(start.elapsed());
    }
    println!(
        "{} archives, {} MB compressed, {} MB decompressed, {} entries",
        files.len(),
        compressed / 1_000_000,
        produced / 1_000_000,
        entries
    );
    println!(
        "decompress_only: {best_plain:.2?}  read_archive: {best_read:.2?}  ratio {:.3}",
        best_read.as_secs_f64() / best_plain.as_secs_f64()
    );
    Ok(())
}
