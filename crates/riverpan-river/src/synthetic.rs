//! A deterministic generator of CPAN-shaped dependency graphs, for tests and benchmarks.
//!
//! The shape follows what the real river looks like: a toolchain core of a few dozen dists
//! (think ExtUtils-MakeMaker, Test-Simple, Scalar-List-Utils) that nearly everything requires,
//! then a long tail where a dist's chance of being required falls off with its age rank (a
//! power law in-degree, most dists required by nobody), a few small dependency cycles, `perl`
//! in most requirement lists, some duplicated and self-referencing requirements, a few modules
//! nobody provides and a few dists that only provide modules.  Dist `i` mostly requires dists
//! older than itself (lower `i`), which is what makes the graph deep rather than flat.

use std::collections::BTreeSet;

use crate::ReleaseRequires;

/// SplitMix64: tiny and good enough for synthetic data; keeps the crate free of an RNG
/// dependency and the output stable across dependency upgrades.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The name of synthetic dist `i`.
pub fn dist_name(i: usize) -> String {
    format!("Synth-River-{i}")
}

/// The name of module `k` of synthetic dist `i` (module 0 is the dist's main module).
pub fn module_name(i: usize, k: usize) -> String {
    match k {
        0 => format!("Synth::River::{i}"),
        _ => format!("Synth::River::{i}::Part{k}"),
    }
}

/// A CPAN-like graph of `dists` distributions and about `edges` distinct dist → dist
/// dependencies: the latest releases' requirements and the module → dist provider map.  The
/// same arguments always give the same graph.
pub fn cpan_like(
    seed: u64,
    dists: usize,
    edges: usize,
) -> (Vec<ReleaseRequires>, Vec<(String, String)>) {
    let mut rng = Rng::new(seed);
    let core = (dists / 1000).clamp(1, 40);
    let mean_degree = edges as f64 / dists.max(1) as f64;
    let module_counts: Vec<usize> = (0..dists)
        .map(|_| {
            let extra = if rng.chance(0.05) { rng.below(20) } else { 0 };
            1 + rng.below(5) + extra
        })
        .collect();
    // The youngest few dists only provide modules (no release in the input), as happens when a
    // dist's only indexed release lacks usable metadata.
    let provider_only = dists / 5000;
    let mut targets: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); dists];
    for (i, chosen) in targets.iter_mut().enumerate().skip(1) {
        if i < core {
            // The toolchain requires a little of itself.
            for _ in 0..rng.below(3) {
                chosen.insert(rng.below(i));
            }
            continue;
        }
        if rng.chance(0.9) {
            chosen.insert(pick_core(&mut rng, core));
        }
        let wanted = (-(mean_degree - 0.05) * (1.0 - rng.unit()).ln()).round() as usize;
        let wanted = wanted.min(i);
        let mut attempts = 0;
        while chosen.len() < wanted && attempts < 4 * wanted + 8 {
            attempts += 1;
            let target = if rng.chance(0.25) {
                pick_core(&mut rng, core)
            } else {
                // Log-uniform over older dists with extra weight on the oldest: P(j) falls off
                // roughly as a power of j, giving the long tail of rarely required dists.
                let u = rng.unit().powf(1.4);
                ((i as f64).powf(u) as usize).saturating_sub(1).min(i - 1)
            };
            chosen.insert(target);
        }
    }
    // A few small cycles among mid-river dists: pairs and triples requiring each other.
    let cycles = (dists / 9000).clamp(1, 8);
    for c in 0..cycles {
        if dists < core + 60 {
            break;
        }
        let a = core + rng.below(dists - core - 50);
        let length = 2 + c % 2;
        let members: Vec<usize> = (0..length).map(|k| a + k * (1 + rng.below(10))).collect();
        for k in 0..length {
            targets[members[k]].insert(members[(k + 1) % length]);
        }
    }
    let mut releases = Vec::with_capacity(dists);
    for (i, chosen) in targets.iter().enumerate() {
        if i >= dists - provider_only {
            continue;
        }
        let mut modules = Vec::new();
        if rng.chance(0.7) {
            modules.push("perl".to_string());
        }
        for &target in chosen {
            modules.push(module_name(target, rng.below(module_counts[target])));
            if rng.chance(0.15) {
                // Several modules of one dist: still one dependency.
                modules.push(module_name(target, rng.below(module_counts[target])));
            }
        }
        if rng.chance(0.1) {
            modules.push(module_name(i, rng.below(module_counts[i])));
        }
        if rng.chance(0.02) {
            modules.push(format!("Synth::Missing::{}", rng.below(dists / 10 + 1)));
        }
        if !modules.is_empty() && rng.chance(0.05) {
            let again = modules[rng.below(modules.len())].clone();
            modules.push(again);
        }
        // Requirement lists come in META order, not sorted.
        for k in (1..modules.len()).rev() {
            modules.swap(k, rng.below(k + 1));
        }
        releases.push(ReleaseRequires {
            dist: dist_name(i),
            modules,
        });
    }
    let mut providers = Vec::new();
    for (i, &count) in module_counts.iter().enumerate() {
        for k in 0..count {
            providers.push((module_name(i, k), dist_name(i)));
        }
    }
    (releases, providers)
}

/// A toolchain dist, Zipf-weighted: the first (the MakeMaker of the river) most of all.
fn pick_core(rng: &mut Rng, core: usize) -> usize {
    let u = rng.unit();
    (((core + 1) as f64).powf(u) as usize)
        .saturating_sub(1)
        .min(core - 1)
}
