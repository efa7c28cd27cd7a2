//! Times `cpan-distname` on a list of CPAN paths: `DistnameInfo::new` plus every accessor.
//! Pairs with `bench/distname-bench.pl`.

use cpan_distname::DistnameInfo;
use riverpan_bench::{read_lines_arg, time_ns_per_op};

fn main() {
    let paths = read_lines_arg();
    time_ns_per_op("distname", paths.len(), 5, || {
        paths
            .iter()
            .map(|p| {
                let d = DistnameInfo::new(p);
                (d.dist().map_or(0, str::len) + d.version().map_or(0, str::len)) as u64
            })
            .sum()
    });
}
