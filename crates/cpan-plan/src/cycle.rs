//! Dependency cycles: how they are named and what is done about them.

use std::collections::BTreeMap;
use std::fmt;

use crate::{DistId, Phase, Relationship};

/// What to do when distributions wait for each other in a cycle.
///
/// In both cases the cycle is detected as soon as it is a deadlock (every member waiting for
/// the next one to become ready), named, and reported in the
/// [`Summary`](crate::Summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CyclePolicy {
    /// cpanm's rule, made deterministic: one requirement of the cycle is treated as satisfied
    /// ("a module being installed higher up the stack is considered satisfied"), so the others
    /// can go on. The requirement dropped is the weakest one (`recommends`/`suggests` before
    /// `requires`, then `develop`, `test`, `runtime`, `build`, `configure`), and among equals
    /// the one on the distribution that entered the plan first (the one "higher up the stack").
    /// The members then form a group: outside distributions that need one of them wait until
    /// all of them are ready, and get all of them on `PERL5LIB`.
    #[default]
    Break,
    /// cpm's outcome: every member of the cycle fails (`Detected circular dependencies A -> B
    /// -> A`), and whatever needs them is skipped.
    Fail,
}

/// One edge of a cycle: `from` waits for `to` because of a requirement on `module`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleEdge {
    /// The waiting distribution.
    pub from: DistId,
    /// The distribution it waits for (the module's provider, or a member of the provider's
    /// cycle group).
    pub to: DistId,
    /// The module required.
    pub module: String,
    /// The requirement's phase (the strongest one when several requirements make the edge).
    pub phase: Phase,
    /// The requirement's relationship.
    pub relationship: Relationship,
}

impl CycleEdge {
    /// Rank for breaking: lower breaks first.
    pub(crate) fn strength(&self) -> (u8, u8) {
        let rel = u8::from(!self.relationship.is_optional());
        (rel, self.phase.strength())
    }
}

/// A dependency cycle, in order: `edges[0].from` waits for `edges[0].to`, which is
/// `edges[1].from`, … and the last edge leads back to `edges[0].from`. It starts at the member
/// that entered the plan first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub(crate) edges: Vec<CycleEdge>,
}

impl Cycle {
    /// The edges, in order.
    pub fn edges(&self) -> &[CycleEdge] {
        &self.edges
    }

    /// The distributions around the cycle, the first repeated at the end (`[A, B, A]`).
    pub fn dists(&self) -> Vec<&DistId> {
        let mut out: Vec<&DistId> = self.edges.iter().map(|e| &e.from).collect();
        if let Some(first) = self.edges.first() {
            out.push(&first.from);
        }
        out
    }

    /// The modules required along the cycle, in order.
    pub fn modules(&self) -> Vec<&str> {
        self.edges.iter().map(|e| e.module.as_str()).collect()
    }

    /// `A -> B -> A`, as cpm logs it.
    pub fn short(&self) -> String {
        self.dists()
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

impl fmt::Display for Cycle {
    /// `A -(runtime requires B::Mod)-> B -(configure requires A::Mod)-> A`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.edges.iter().enumerate() {
            if i == 0 {
                write!(f, "{}", e.from)?;
            }
            write!(
                f,
                " -({} {} {})-> {}",
                e.phase, e.relationship, e.module, e.to
            )?;
        }
        Ok(())
    }
}

/// What was done about a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CycleResolution {
    /// `from`'s requirement on `module` (provided by `to`) is treated as satisfied; `from` goes
    /// on without `to`'s build output.
    Broken {
        /// The requirer.
        from: DistId,
        /// The provider it no longer waits for.
        to: DistId,
        /// The module.
        module: String,
    },
    /// A distribution waiting for a broken cycle's group was itself waited for by the group: it
    /// joined the group, and nothing was dropped.
    Joined,
    /// Every member failed ([`CyclePolicy::Fail`]).
    Failed,
}

/// A cycle found in the plan and its resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// The cycle.
    pub cycle: Cycle,
    /// What was done.
    pub resolution: CycleResolution,
}

impl fmt::Display for CycleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circular dependency {}: ", self.cycle)?;
        match &self.resolution {
            CycleResolution::Broken { from, to, module } => write!(
                f,
                "{from} goes on without {to} ({module} considered satisfied)"
            ),
            CycleResolution::Joined => f.write_str("joined into one group"),
            CycleResolution::Failed => f.write_str("all of them failed"),
        }
    }
}

/// The first cycle of the directed graph `edges`, visiting nodes in the order of `rank`
/// (lowest first) and following edges in that order too; the cycle is returned starting at
/// its lowest-ranked member, as the list of nodes `[a, b, c]` for `a -> b -> c -> a`.
pub(crate) fn find_cycle(
    edges: &BTreeMap<DistId, Vec<DistId>>,
    rank: &dyn Fn(&DistId) -> usize,
) -> Option<Vec<DistId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut nodes: Vec<&DistId> = edges.keys().collect();
    nodes.sort_by_key(|n| (rank(n), (*n).clone()));
    let mut sorted: BTreeMap<&DistId, Vec<&DistId>> = BTreeMap::new();
    for (n, out) in edges {
        let mut out: Vec<&DistId> = out.iter().filter(|t| edges.contains_key(*t)).collect();
        out.sort_by_key(|t| (rank(t), (*t).clone()));
        out.dedup();
        sorted.insert(n, out);
    }
    let mut mark: BTreeMap<&DistId, Mark> = nodes.iter().map(|n| (*n, Mark::New)).collect();
    for start in nodes {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        // Iterative depth-first search: (node, index of the next edge to follow).
        let mut stack: Vec<(&DistId, usize)> = vec![(start, 0)];
        mark.insert(start, Mark::OnStack);
        while let Some((node, next)) = stack.last().copied() {
            let out = sorted.get(node).map_or(&[][..], |v| v.as_slice());
            if let Some(&succ) = out.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match mark.get(succ).copied().unwrap_or(Mark::Done) {
                    Mark::New => {
                        mark.insert(succ, Mark::OnStack);
                        stack.push((succ, 0));
                    }
                    Mark::OnStack => {
                        let pos = stack.iter().position(|(n, _)| *n == succ).unwrap_or(0);
                        let mut cycle: Vec<DistId> =
                            stack[pos..].iter().map(|(n, _)| (*n).clone()).collect();
                        let first = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, n)| (rank(n), (*n).clone()))
                            .map_or(0, |(i, _)| i);
                        cycle.rotate_left(first);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> BTreeMap<DistId, Vec<DistId>> {
        let mut g: BTreeMap<DistId, Vec<DistId>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(DistId::from(*a))
                .or_default()
                .push(DistId::from(*b));
            g.entry(DistId::from(*b)).or_default();
        }
        g
    }

    #[test]
    fn finds_and_rotates() {
        let g = graph(&[("C", "A"), ("A", "B"), ("B", "C"), ("D", "A")]);
        let rank = |d: &DistId| match d.as_str() {
            "B" => 0,
            "A" => 1,
            _ => 2,
        };
        let cycle = find_cycle(&g, &rank).map(|c| c.into_iter().map(|d| d.0).collect::<Vec<_>>());
        assert_eq!(cycle, Some(vec!["B".into(), "C".into(), "A".into()]));
        assert_eq!(find_cycle(&graph(&[("A", "B"), ("B", "C")]), &|_| 0), None);
        let self_loop = find_cycle(&graph(&[("A", "A")]), &|_| 0);
        assert_eq!(self_loop, Some(vec![DistId::from("A")]));
    }
}
