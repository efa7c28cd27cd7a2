//! CPAN river benchmark (issue 7): the full computation on a CPAN-size synthetic graph, the
//! incremental update after one upload, and a straightforward per-dist BFS (metacpan-river's
//! phases 2–4) on the same graph as the reference.
//!
//! Usage: `river-bench [DISTS [EDGES [OUT_DIR]]]` (defaults 45,000 dists, 350,000 edges).  With
//! `OUT_DIR` it also writes the graph as `graph.tsv` (for `bench/river-bench.pl`) and riverpan's
//! numbers as `riverpan.tsv` (`dist immediate total bucket`, sorted), so the script can compare
//! them with the Perl reference's.  Prints `label value unit` lines.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::time::{Duration, Instant};

use riverpan_river::synthetic::{self, Rng};
use riverpan_river::{ReleaseRequires, River, RiverPosition};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dists = arg(1, 45_000);
    let edges = arg(2, 350_000);
    let out_dir = std::env::args().nth(3).map(std::path::PathBuf::from);

    let t = Instant::now();
    let (releases, providers) = synthetic::cpan_like(2026, dists, edges);
    println!("generate {:.0} ms", ms(t.elapsed()));

    let mut builds = Vec::new();
    let mut river = River::default();
    for _ in 0..5 {
        let (r, p) = (releases.clone(), providers.clone());
        let t = Instant::now();
        river = River::build(r, p);
        builds.push(t.elapsed());
    }
    let build = median(&mut builds);
    let dist_edges: usize = river
        .positions()
        .map(|(_, position)| position.immediate as usize)
        .sum();
    println!(
        "graph {} dists, {} dist edges, {} modules required but unprovided",
        river.len(),
        dist_edges,
        river.unresolved().len()
    );
    let mut buckets = [0usize; 6];
    let mut bands = HashMap::new();
    for (_, position) in river.positions() {
        buckets[position.bucket as usize] += 1;
        *bands.entry(position.band.as_str()).or_insert(0usize) += 1;
    }
    println!("buckets 0..5: {buckets:?}");
    println!(
        "bands: way downriver {}, in the middle {}, way upriver {}",
        bands.get("way downriver").unwrap_or(&0),
        bands.get("in the middle").unwrap_or(&0),
        bands.get("way upriver").unwrap_or(&0)
    );
    for (name, position) in river.top(3) {
        println!(
            "top {name} immediate {} total {}",
            position.immediate, position.total
        );
    }
    println!(
        "build {:.1} ms median of 5 (min {:.1}, max {:.1}; goal < 1000 ms)",
        ms(build),
        ms(*builds.iter().min().unwrap_or(&build)),
        ms(*builds.iter().max().unwrap_or(&build))
    );

    // The reference: metacpan-river's phases 2–4 written plainly (string-keyed hashes, one
    // BFS per dist with a fresh visited set), as a Rust port of river.pl would be.
    let t = Instant::now();
    let reference = naive_river(&releases, &providers);
    let naive = t.elapsed();
    let agree = river.len() == reference.len()
        && river
            .positions()
            .all(|(name, position)| reference.get(name) == Some(&position));
    println!(
        "reference per-dist BFS (Rust, single thread) {:.1} ms, {:.1}x riverpan's build; numbers {}",
        ms(naive),
        naive.as_secs_f64() / build.as_secs_f64(),
        if agree { "agree" } else { "DIFFER" }
    );

    if let Some(dir) = &out_dir {
        let mut graph = std::io::BufWriter::new(std::fs::File::create(dir.join("graph.tsv"))?);
        for (module, dist) in &providers {
            writeln!(graph, "P\t{module}\t{dist}")?;
        }
        for release in &releases {
            write!(graph, "R\t{}", release.dist)?;
            for module in &release.modules {
                write!(graph, "\t{module}")?;
            }
            writeln!(graph)?;
        }
        graph.flush()?;
        let mut ours = std::io::BufWriter::new(std::fs::File::create(dir.join("riverpan.tsv"))?);
        for (name, position) in river.positions() {
            writeln!(
                ours,
                "{name}\t{}\t{}\t{}",
                position.immediate, position.total, position.bucket
            )?;
        }
        ours.flush()?;
        std::fs::write(dir.join("build_ms"), format!("{:.3}\n", ms(build)))?;
    }

    // Incremental updates.  `requires` mirrors the river's input so each upload can be written
    // as a whole new release.
    let mut requires: HashMap<String, Vec<String>> = releases
        .iter()
        .map(|r| (r.dist.clone(), r.modules.clone()))
        .collect();
    let mut current_providers: HashMap<String, String> = providers.iter().cloned().collect();
    let all_modules: Vec<String> = providers.iter().map(|(m, _)| m.clone()).collect();
    let mut rng = Rng::new(7);
    let runs = 200;
    for kind in ["mid-river upload", "leaf upload", "module move"] {
        let mut times = Vec::new();
        let (mut changed, mut recomputed, mut fulls) = (0usize, 0usize, 0usize);
        let mut slowest = (Duration::ZERO, 0usize, 0usize);
        for _ in 0..runs {
            let t;
            let update = match kind {
                "module move" => {
                    let module = all_modules[rng.below(all_modules.len())].clone();
                    let to = synthetic::dist_name(rng.below(dists));
                    current_providers.insert(module.clone(), to.clone());
                    t = Instant::now();
                    river.set_providers([(module, Some(to))])
                }
                _ => {
                    let wanted = |p: RiverPosition| match kind {
                        "leaf upload" => p.total == 0,
                        _ => (50..5000).contains(&p.total),
                    };
                    let dist = loop {
                        let name = releases[rng.below(releases.len())].dist.as_str();
                        if river.position(name).is_some_and(wanted) {
                            break name.to_string();
                        }
                    };
                    let mut modules = requires.get(&dist).cloned().unwrap_or_default();
                    let droppable: Vec<usize> = (0..modules.len())
                        .filter(|&k| {
                            river
                                .provider(&modules[k])
                                .is_some_and(|p| p != dist.as_str())
                        })
                        .collect();
                    if !droppable.is_empty() {
                        modules.remove(droppable[rng.below(droppable.len())]);
                    }
                    // A new dependency on an older dist, weighted towards popular ones as the
                    // generator does.
                    let index: usize = dist
                        .rsplit('-')
                        .next()
                        .and_then(|i| i.parse().ok())
                        .unwrap_or(dists);
                    let u = rng.unit().powf(1.4);
                    let target = ((index.max(2) as f64).powf(u) as usize).saturating_sub(1);
                    modules.push(synthetic::module_name(target, 0));
                    requires.insert(dist.clone(), modules.clone());
                    let release = ReleaseRequires { dist, modules };
                    t = Instant::now();
                    river.set_release(release)
                }
            };
            let took = t.elapsed();
            times.push(took);
            if took > slowest.0 {
                slowest = (took, update.relinked, update.recomputed);
            }
            changed += update.changed.len();
            recomputed += update.recomputed;
            fulls += update.full_recompute as usize;
        }
        let max = times.iter().max().copied().unwrap_or_default();
        let med = median(&mut times);
        println!(
            "update {kind}: median {:.3} ms, max {:.3} ms over {runs} (goal < 20 ms); \
             mean {:.1} positions changed, {:.1} totals searched, {fulls} full recomputes; \
             the slowest relinked {} dists and searched {} totals",
            ms(med),
            ms(max),
            changed as f64 / runs as f64,
            recomputed as f64 / runs as f64,
            slowest.1,
            slowest.2
        );
    }

    // The incremental river must equal a fresh build of the final input.
    let final_releases: Vec<ReleaseRequires> = requires
        .into_iter()
        .map(|(dist, modules)| ReleaseRequires { dist, modules })
        .collect();
    let rebuilt = River::build(final_releases, current_providers);
    let same = rebuilt.len() == river.len()
        && rebuilt
            .positions()
            .zip(river.positions())
            .all(|(a, b)| a == b);
    println!(
        "incremental state after {} updates {} a fresh build",
        3 * runs,
        if same { "equals" } else { "DIFFERS FROM" }
    );
    if !same {
        return Err("incremental river differs from a fresh build".into());
    }
    Ok(())
}

/// metacpan-river's phases 2–4 over the same input, as plainly as river.pl does them.
fn naive_river(
    releases: &[ReleaseRequires],
    providers: &[(String, String)],
) -> HashMap<String, RiverPosition> {
    let module_to_dist: HashMap<&str, &str> = providers
        .iter()
        .map(|(m, d)| (m.as_str(), d.as_str()))
        .collect();
    let mut reverse_deps: HashMap<&str, HashSet<&str>> = HashMap::new();
    for release in releases {
        for module in &release.modules {
            if module == "perl" {
                continue;
            }
            let Some(&dep) = module_to_dist.get(module.as_str()) else {
                continue;
            };
            if dep == release.dist {
                continue;
            }
            reverse_deps.entry(dep).or_default().insert(&release.dist);
        }
    }
    let mut result = HashMap::new();
    let all = releases
        .iter()
        .map(|r| r.dist.as_str())
        .chain(providers.iter().map(|(_, d)| d.as_str()));
    for dist in all {
        if result.contains_key(dist) {
            continue;
        }
        let (immediate, total) = match reverse_deps.get(dist) {
            None => (0, 0),
            Some(direct) => {
                let mut visited: HashSet<&str> = direct.iter().copied().collect();
                let mut queue: Vec<&str> = direct.iter().copied().collect();
                let mut head = 0;
                while head < queue.len() {
                    let node = queue[head];
                    head += 1;
                    if let Some(next) = reverse_deps.get(node) {
                        for &dependent in next {
                            if visited.insert(dependent) {
                                queue.push(dependent);
                            }
                        }
                    }
                }
                (direct.len() as u64, visited.len() as u64)
            }
        };
        result.insert(dist.to_string(), RiverPosition::new(immediate, total));
    }
    result
}
