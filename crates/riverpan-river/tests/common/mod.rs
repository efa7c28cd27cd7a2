//! An independent implementation of metacpan-river's algorithm (`bin/river.pl` phases 2–4),
//! written as plainly as the Perl: string-keyed maps, one BFS per distribution.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use riverpan_river::{ReleaseRequires, River, RiverPosition};

/// The river's input as plain maps: dist → required modules, module → providing dist.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub releases: BTreeMap<String, Vec<String>>,
    pub providers: BTreeMap<String, String>,
}

impl Input {
    pub fn build(&self) -> River {
        River::build(
            self.releases
                .iter()
                .map(|(dist, modules)| ReleaseRequires::new(dist.clone(), modules.clone())),
            self.providers.clone(),
        )
    }
}

/// What metacpan-river computes, plus the reverse-dependency lists riverpan exposes.
#[derive(Debug, Default)]
pub struct Naive {
    pub positions: BTreeMap<String, RiverPosition>,
    pub reverse_deps: BTreeMap<String, BTreeSet<String>>,
    pub deep: BTreeMap<String, BTreeSet<String>>,
    pub unresolved: BTreeMap<String, BTreeSet<String>>,
}

pub fn naive(input: &Input) -> Naive {
    let mut all_dists: BTreeSet<String> = input.releases.keys().cloned().collect();
    all_dists.extend(input.providers.values().cloned());
    let mut reverse_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unresolved: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (dist, modules) in &input.releases {
        for module in modules {
            if module == "perl" {
                continue;
            }
            match input.providers.get(module) {
                None => {
                    unresolved
                        .entry(module.clone())
                        .or_default()
                        .insert(dist.clone());
                }
                Some(dep) if dep == dist => {}
                Some(dep) => {
                    reverse_deps
                        .entry(dep.clone())
                        .or_default()
                        .insert(dist.clone());
                }
            }
        }
    }
    let mut positions = BTreeMap::new();
    let mut deep = BTreeMap::new();
    for dist in &all_dists {
        let direct = reverse_deps.get(dist).cloned().unwrap_or_default();
        let mut visited: BTreeSet<String> = direct.clone();
        let mut queue: VecDeque<String> = direct.iter().cloned().collect();
        while let Some(node) = queue.pop_front() {
            for dependent in reverse_deps.get(&node).into_iter().flatten() {
                if visited.insert(dependent.clone()) {
                    queue.push_back(dependent.clone());
                }
            }
        }
        positions.insert(
            dist.clone(),
            RiverPosition::new(direct.len() as u64, visited.len() as u64),
        );
        deep.insert(dist.clone(), visited);
    }
    Naive {
        positions,
        reverse_deps,
        deep,
        unresolved,
    }
}

/// Asserts that `river` answers every query exactly as the naive implementation of `input`.
pub fn assert_matches_naive(river: &River, input: &Input) {
    let expected = naive(input);
    let positions: BTreeMap<String, RiverPosition> = river
        .positions()
        .map(|(name, position)| (name.to_string(), position))
        .collect();
    assert_eq!(positions, expected.positions, "positions");
    assert_eq!(river.len(), expected.positions.len());
    assert_eq!(river.unresolved(), &expected.unresolved, "unresolved");
    for dist in expected.positions.keys() {
        let direct: Vec<&str> = expected
            .reverse_deps
            .get(dist)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(river.direct_dependents(dist), direct, "direct of {dist}");
        let deep: Vec<&str> = expected.deep[dist].iter().map(String::as_str).collect();
        assert_eq!(river.deep_dependents(dist), deep, "deep of {dist}");
        let dependencies: Vec<&str> = expected
            .reverse_deps
            .iter()
            .filter(|(_, dependents)| dependents.contains(dist))
            .map(|(dep, _)| dep.as_str())
            .collect();
        assert_eq!(
            river.dependencies(dist),
            dependencies,
            "dependencies of {dist}"
        );
    }
    let mut modules: BTreeSet<&String> = input.providers.keys().collect();
    modules.extend(input.releases.values().flatten());
    for module in modules {
        assert_eq!(
            river.provider(module),
            input.providers.get(module).map(String::as_str),
            "provider of {module}"
        );
        let provider = input.providers.get(module);
        let direct: BTreeSet<&String> = input
            .releases
            .iter()
            .filter(|(dist, modules)| {
                module != "perl" && Some(*dist) != provider && modules.contains(module)
            })
            .map(|(dist, _)| dist)
            .collect();
        let direct_names: Vec<&str> = direct.iter().map(|d| d.as_str()).collect();
        assert_eq!(
            river.module_dependents(module, false),
            direct_names,
            "module dependents of {module}"
        );
        let mut deep: BTreeSet<&str> = direct_names.iter().copied().collect();
        for dist in &direct {
            deep.extend(expected.deep[dist.as_str()].iter().map(String::as_str));
        }
        assert_eq!(
            river.module_dependents(module, true),
            deep.into_iter().collect::<Vec<_>>(),
            "deep module dependents of {module}"
        );
    }
}

/// Every position of a river, by name.
pub fn positions(river: &River) -> BTreeMap<String, RiverPosition> {
    river
        .positions()
        .map(|(name, position)| (name.to_string(), position))
        .collect()
}
