//! Shared helpers for riverpan's benchmark binaries: input loading and timing that prints the
//! same `name ns/op` lines as the Perl reference scripts, so `run-*` scripts can pair them.

use std::time::Instant;

/// Reads one item per line from the file named by the first argument.
pub fn read_lines_arg() -> Vec<String> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: {} FILE (one item per line)", env!("CARGO_PKG_NAME"));
        std::process::exit(2);
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    }
}

/// Runs `op` over the whole input `rounds` times and prints `label <ns per op>`; the checksum
/// returned by `op` keeps the optimiser from discarding the work.
pub fn time_ns_per_op(
    label: &str,
    ops_per_round: usize,
    rounds: usize,
    mut op: impl FnMut() -> u64,
) {
    let mut checksum = 0u64;
    let start = Instant::now();
    for _ in 0..rounds {
        checksum = checksum.wrapping_add(op());
    }
    let elapsed = start.elapsed().as_nanos() as f64;
    let ns = elapsed / (ops_per_round * rounds) as f64;
    println!("{label} {ns:.1} (checksum {checksum})");
}
