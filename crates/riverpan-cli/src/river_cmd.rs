//! `riverpan river`: the CPAN river of this repository — every distribution's direct and total
//! downriver dependents, MetaCPAN's bucket and the Berlin consensus band, reverse dependencies.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use riverpan_repository::Repository;
use riverpan_river::{River, RiverPosition};
use serde_json::{json, Map, Value};

use crate::GlobalOptions;

/// Show the CPAN river: how many distributions depend on each one, directly and in all.
///
/// The graph is the release each distribution's packages point at in this repository's index,
/// with its `requires` prerequisites of the configure, build, test and runtime phases; each
/// module maps to the distribution the index says provides it. `total` counts distinct
/// transitive dependents; `bucket` is MetaCPAN's (0: none, 1: <10, 2: <100, 3: <1000,
/// 4: <10000, 5: more); the band is the Berlin consensus' (way downriver: <50, in the middle:
/// 50-4999, way upriver: 5000+).
///
/// Examples:
///   riverpan river --json                  {"Dist": {"immediate": N, "total": N, "bucket": N}, ...}
///   riverpan river Moose Try-Tiny          the position of two distributions
///   riverpan river --top 20                the 20 most upriver distributions
///   riverpan river --rdeps Try-Tiny --deep every distribution that depends on Try-Tiny
///   riverpan river --rdeps Try::Tiny       distributions whose release requires the module
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct RiverArgs {
    /// JSON output (with no DIST: the shape metacpan-river publishes).
    #[arg(long)]
    json: bool,
    /// The N most upriver distributions (by total, then immediate dependents).
    #[arg(long, value_name = "N", conflicts_with_all = ["rdeps", "unresolved"])]
    top: Option<usize>,
    /// Reverse dependencies of a distribution (Foo-Bar) or a module (Foo::Bar).
    #[arg(long, value_name = "DIST_OR_MODULE", conflicts_with = "unresolved")]
    rdeps: Option<String>,
    /// With --rdeps: every transitive dependent, not only the direct ones.
    #[arg(long, requires = "rdeps")]
    deep: bool,
    /// Modules required by some release that no distribution in the index provides.
    #[arg(long)]
    unresolved: bool,
    /// Distributions to show (default: all).
    #[arg(value_name = "DIST", conflicts_with_all = ["top", "rdeps", "unresolved"])]
    dists: Vec<String>,
}

/// Whether `name` names a module rather than a distribution: `::` says module, `-` says
/// distribution; a single word is a distribution when the river has one by that name.
pub(crate) fn names_module(river: &River, name: &str) -> bool {
    if name.contains("::") {
        return true;
    }
    if name.contains('-') {
        return false;
    }
    river.position(name).is_none()
}

fn position_json(position: &RiverPosition) -> Value {
    json!({
        "immediate": position.immediate,
        "total": position.total,
        "bucket": position.bucket,
    })
}

pub(crate) fn run(globals: &GlobalOptions, args: &RiverArgs) -> anyhow::Result<ExitCode> {
    let mut repository = Repository::open(&globals.data_dir)
        .with_context(|| format!("opening the repository in {}", globals.data_dir.display()))?;
    // Recomputing also brings the stored positions (and releases indexed before riverpan kept
    // prerequisites) up to date, so the answer always matches the index as it is now.
    let (river, _) = repository.refresh_river()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();

    if args.unresolved {
        if args.json {
            let map: Map<String, Value> = river
                .unresolved()
                .iter()
                .map(|(module, dists)| (module.clone(), json!(dists)))
                .collect();
            writeln!(out, "{}", Value::Object(map))?;
        } else {
            for (module, dists) in river.unresolved() {
                let dists: Vec<&str> = dists.iter().map(String::as_str).collect();
                writeln!(out, "{module}\trequired by {}", dists.join(", "))?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    if let Some(name) = &args.rdeps {
        let module = names_module(river, name);
        let dependents: Vec<&str> = if module {
            river.module_dependents(name, args.deep)
        } else if args.deep {
            river.deep_dependents(name)
        } else {
            river.direct_dependents(name)
        };
        if !module && river.position(name).is_none() {
            eprintln!("riverpan river: no distribution {name} in the river");
            return Ok(ExitCode::FAILURE);
        }
        if args.json {
            let rows: Vec<Value> = dependents
                .iter()
                .map(|dist| {
                    let mut row = json!({ "dist": dist });
                    if let (Some(position), Value::Object(map)) = (river.position(dist), &mut row) {
                        if let Value::Object(counts) = position_json(&position) {
                            map.extend(counts);
                        }
                    }
                    row
                })
                .collect();
            let answer = json!({
                "name": name,
                "kind": if module { "module" } else { "dist" },
                "deep": args.deep,
                "count": dependents.len(),
                "dependents": rows,
            });
            writeln!(out, "{answer}")?;
        } else {
            for dist in dependents {
                writeln!(out, "{dist}")?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let rows: Vec<(String, RiverPosition)> = if let Some(n) = args.top {
        river
            .top(n)
            .into_iter()
            .map(|(dist, position)| (dist.to_string(), position))
            .collect()
    } else if args.dists.is_empty() {
        river
            .positions()
            .map(|(dist, position)| (dist.to_string(), position))
            .collect()
    } else {
        let mut rows = Vec::new();
        let mut missing = false;
        for dist in &args.dists {
            match river.position(dist) {
                Some(position) => rows.push((dist.clone(), position)),
                None => {
                    eprintln!("riverpan river: no distribution {dist} in the river");
                    missing = true;
                }
            }
        }
        if missing && rows.is_empty() {
            return Ok(ExitCode::FAILURE);
        }
        rows
    };

    if args.json {
        if args.dists.is_empty() && args.top.is_none() {
            let map: Map<String, Value> = rows
                .iter()
                .map(|(dist, position)| (dist.clone(), position_json(position)))
                .collect();
            writeln!(out, "{}", Value::Object(map))?;
        } else {
            for (dist, position) in &rows {
                let line = json!({
                    "dist": dist,
                    "immediate": position.immediate,
                    "total": position.total,
                    "bucket": position.bucket,
                    "band": position.band.as_str(),
                });
                writeln!(out, "{line}")?;
            }
        }
    } else {
        writeln!(
            out,
            "{:<40} {:>9} {:>7} {:>6}  band",
            "distribution", "immediate", "total", "bucket"
        )?;
        for (dist, position) in &rows {
            writeln!(
                out,
                "{:<40} {:>9} {:>7} {:>6}  {}",
                dist,
                position.immediate,
                position.total,
                position.bucket,
                position.band.as_str()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
