//! Times `cpan-version` on a list of version strings: parse, `<=>` on neighbouring pairs, and
//! `CPAN::Version->vcmp` on the same pairs. Pairs with `bench/version-bench.pl`.

use cpan_version::{vcmp, Version};
use riverpan_bench::{read_lines_arg, time_ns_per_op};

fn main() {
    let lines = read_lines_arg();
    let rounds = 5;
    time_ns_per_op("parse", lines.len(), rounds, || {
        lines
            .iter()
            .filter_map(|s| Version::parse(s).ok())
            .map(|v| v.components().len() as u64)
            .sum()
    });
    let parsed: Vec<Version> = lines
        .iter()
        .filter_map(|s| Version::parse(s).ok())
        .collect();
    time_ns_per_op("compare", parsed.len() - 1, rounds, || {
        parsed
            .windows(2)
            .map(|w| (w[0].cmp(&w[1]) as i64 + 1) as u64)
            .sum()
    });
    time_ns_per_op("vcmp", lines.len() - 1, rounds, || {
        lines
            .windows(2)
            .map(|w| (vcmp(&w[0], &w[1]) as i64 + 1) as u64)
            .sum()
    });
}
