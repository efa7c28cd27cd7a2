//! Breadth-first searches over the dependents graph, the workhorse of the river.
//!
//! A distribution's `total` is the size of the set of nodes reachable from it along "is required
//! by" edges, exactly the set metacpan-river's phase 3 collects with a BFS.  Distinct counts do
//! not compose (two dependents share most of their own dependents), so every count is one search;
//! what keeps it fast is a visited-stamp array reused across searches (no clearing, no hashing)
//! and splitting the roots over the cores.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Something whose nodes are `0..node_count()` and whose edges can be listed per node.
pub(crate) trait Adjacency: Sync {
    /// Number of nodes; every neighbour is below it.
    fn node_count(&self) -> usize;
    /// The nodes one edge away from `node`.
    fn neighbours(&self, node: u32) -> &[u32];
}

/// The dependents graph in compressed sparse row form: one allocation, sequential memory, the
/// layout that makes the full computation's tens of millions of edge visits cheap.
pub(crate) struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    /// Copies `neighbours(0..node_count)` of any adjacency.
    pub(crate) fn from_adjacency(graph: &impl Adjacency) -> Csr {
        let n = graph.node_count();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for node in 0..n as u32 {
            targets.extend_from_slice(graph.neighbours(node));
            offsets.push(targets.len() as u32);
        }
        Csr { offsets, targets }
    }
}

impl Adjacency for Csr {
    fn node_count(&self) -> usize {
        self.offsets.len() - 1
    }

    fn neighbours(&self, node: u32) -> &[u32] {
        let node = node as usize;
        &self.targets[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }
}

/// A visited set for repeated searches: a node is visited when its stamp equals the current
/// epoch, so starting a new search costs one increment instead of clearing the array.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visited {
    stamps: Vec<u32>,
    epoch: u32,
    queue: Vec<u32>,
}

impl Visited {
    pub(crate) fn with_capacity(nodes: usize) -> Visited {
        Visited {
            stamps: vec![0; nodes],
            epoch: 0,
            queue: Vec::new(),
        }
    }

    fn start(&mut self, nodes: usize) {
        if self.stamps.len() < nodes {
            self.stamps.resize(nodes, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 2^32 searches old stamps could collide with the new epoch.
            self.stamps.fill(0);
            self.epoch = 1;
        }
        self.queue.clear();
    }

    fn visit(&mut self, node: u32) {
        let stamp = &mut self.stamps[node as usize];
        if *stamp != self.epoch {
            *stamp = self.epoch;
            self.queue.push(node);
        }
    }

    /// Every node reachable from any of `roots` by one or more edges, in BFS order.  A root is
    /// in the result only when some path leads back to it (a cycle), as in metacpan-river.
    pub(crate) fn reachable_from(
        &mut self,
        graph: &impl Adjacency,
        roots: impl IntoIterator<Item = u32>,
    ) -> &[u32] {
        self.start(graph.node_count());
        for root in roots {
            for &next in graph.neighbours(root) {
                self.visit(next);
            }
        }
        let mut head = 0;
        while head < self.queue.len() {
            let node = self.queue[head];
            head += 1;
            for &next in graph.neighbours(node) {
                self.visit(next);
            }
        }
        &self.queue
    }

    /// Like [`Visited::reachable_from`], but the roots themselves are part of the result.
    pub(crate) fn reachable_including(
        &mut self,
        graph: &impl Adjacency,
        roots: impl IntoIterator<Item = u32>,
    ) -> &[u32] {
        self.start(graph.node_count());
        for root in roots {
            self.visit(root);
        }
        let mut head = 0;
        while head < self.queue.len() {
            let node = self.queue[head];
            head += 1;
            for &next in graph.neighbours(node) {
                self.visit(next);
            }
        }
        &self.queue
    }
}

/// The number of nodes reachable from each of `roots` (one search per root), spread over up to
/// `threads` threads.  The result is aligned with `roots`.
pub(crate) fn count_reachable(graph: &impl Adjacency, roots: &[u32], threads: usize) -> Vec<u32> {
    let mut counts = vec![0u32; roots.len()];
    let threads = threads.clamp(1, roots.len().max(1));
    if threads == 1 {
        let mut visited = Visited::with_capacity(graph.node_count());
        for (count, &root) in counts.iter_mut().zip(roots) {
            *count = visited.reachable_from(graph, [root]).len() as u32;
        }
        return counts;
    }
    // Roots vary in cost by four orders of magnitude (a toolchain dist's search visits almost
    // every edge, a leaf's none), so threads take small chunks from a shared cursor rather than
    // fixed halves.
    const CHUNK: usize = 16;
    let cursor = AtomicUsize::new(0);
    let results: Vec<Vec<(usize, u32)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut visited = Visited::with_capacity(graph.node_count());
                    let mut found = Vec::new();
                    loop {
                        let start = cursor.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= roots.len() {
                            break;
                        }
                        for (i, &root) in roots.iter().enumerate().skip(start).take(CHUNK) {
                            found.push((i, visited.reachable_from(graph, [root]).len() as u32));
                        }
                    }
                    found
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| match worker.join() {
                Ok(found) => found,
                // A panic in a worker is a bug in this module; surface it unchanged.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    for (i, count) in results.into_iter().flatten() {
        counts[i] = count;
    }
    counts
}

/// How many threads the full computation uses: all the cores the process may run on.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Roots per bit-parallel pass: four 64-bit words per strongly connected component, enough for
/// the few dozen toolchain totals an upload typically dirties while keeping the bitsets of a
/// CPAN-size graph to a few megabytes.
const BATCH: usize = 256;

/// Marks "no such local index" in the per-node arrays below.
const NONE: u32 = u32::MAX;

/// The same counts as [`count_reachable`] (aligned with `roots`, which must be distinct), from
/// one pass over the graph per 256 roots instead of one search per root.
///
/// The dirty totals of an update are mostly toolchain dists whose searches each visit nearly
/// the whole graph, so dozens of separate searches repeat the same work.  Here the nodes
/// reachable from the roots are split into strongly connected components (Tarjan), and in
/// topological order each component gets the set of roots that reach it by one or more edges,
/// as a bitset: the union, over the edges entering its members, of the source's component set
/// (when that is another component) and of the roots in the source's component (all of them
/// reach the source).  Inside a component every member reaches every other, which is why one
/// set serves all of them.  A root's count is then the summed size of the components whose set
/// holds it.  `dependencies` must be exactly the reverse of `dependents`.
pub(crate) fn count_reachable_batched(
    dependents: &impl Adjacency,
    dependencies: &impl Adjacency,
    roots: &[u32],
) -> Vec<u32> {
    let mut counts = Vec::with_capacity(roots.len());
    let mut tarjan = Tarjan::default();
    for chunk in roots.chunks(BATCH) {
        counts.extend(count_chunk(dependents, dependencies, chunk, &mut tarjan));
    }
    counts
}

/// One pass of [`count_reachable_batched`] for at most [`BATCH`] roots.
fn count_chunk(
    dependents: &impl Adjacency,
    dependencies: &impl Adjacency,
    roots: &[u32],
    tarjan: &mut Tarjan,
) -> Vec<u32> {
    // Without a limit the run always completes.
    let _ = tarjan.run(dependents, roots, usize::MAX);
    let components = tarjan.ends.len();
    let words = roots.len().div_ceil(64);
    // Per component, side by side so that one edge costs one cache line: the roots reaching it
    // (`words` words), then the roots in it (`words` words).
    let row = 2 * words;
    let mut rows = vec![0u64; components * row];
    for (bit, &root) in roots.iter().enumerate() {
        let c = tarjan.component[root as usize] as usize;
        rows[c * row + words + bit / 64] |= 1 << (bit % 64);
    }
    let mut acc = vec![0u64; words];
    // Tarjan completes components sinks first, so descending ids are a topological order: every
    // component with an edge into `c` has a higher id and is already done.
    for c in (0..components).rev() {
        acc.fill(0);
        let start = if c == 0 {
            0
        } else {
            tarjan.ends[c - 1] as usize
        };
        for &member in &tarjan.finished[start..tarjan.ends[c] as usize] {
            for &pred in dependencies.neighbours(member) {
                let pc = tarjan.component[pred as usize];
                if pc == NONE {
                    // No root reaches it, so it brings no root along.
                    continue;
                }
                let pc = pc as usize;
                let source = &rows[pc * row..(pc + 1) * row];
                let (reaching, inside) = source.split_at(words);
                if pc != c {
                    for (a, (r, i)) in acc.iter_mut().zip(reaching.iter().zip(inside)) {
                        *a |= r | i;
                    }
                } else {
                    // An edge inside the component: its roots reach all of it.
                    for (a, i) in acc.iter_mut().zip(inside) {
                        *a |= i;
                    }
                }
            }
        }
        rows[c * row..c * row + words].copy_from_slice(&acc);
    }
    let mut counts = vec![0u32; roots.len()];
    for c in 0..components {
        let start = if c == 0 { 0 } else { tarjan.ends[c - 1] };
        let size = tarjan.ends[c] - start;
        for (w, &word) in rows[c * row..c * row + words].iter().enumerate() {
            let mut word = word;
            while word != 0 {
                counts[w * 64 + word.trailing_zeros() as usize] += size;
                word &= word - 1;
            }
        }
    }
    tarjan.clear();
    counts
}

/// Tarjan's strongly connected components of the nodes reachable from some roots, over global
/// node ids.  Iterative, because CPAN's dependency chains are deeper than a thread's stack
/// should be trusted with.  The per-node arrays are all `NONE` between runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    /// Component of each reached node, numbered in completion order: every edge goes to a
    /// component with a lower or equal id.
    component: Vec<u32>,
    /// The reached nodes grouped by component, in completion order.
    finished: Vec<u32>,
    /// `ends[c]`: where component `c`'s members end in `finished`.
    ends: Vec<u32>,
    stack: Vec<u32>,
    /// The depth-first path: (node, position of its next edge).
    calls: Vec<(u32, u32)>,
}

impl Tarjan {
    /// Finds the components of everything reachable from `roots`, examining at most `limit`
    /// edges.  Returns the number of edges examined, or `None` (and keeps nothing) when the
    /// limit was not enough.
    fn run(&mut self, graph: &impl Adjacency, roots: &[u32], limit: usize) -> Option<usize> {
        let nodes = graph.node_count();
        if self.index.len() < nodes {
            self.index.resize(nodes, NONE);
            self.low.resize(nodes, NONE);
            self.component.resize(nodes, NONE);
        }
        let mut next_index = 0u32;
        let mut examined = 0usize;
        for &root in roots {
            if self.index[root as usize] != NONE {
                continue;
            }
            self.open(root, &mut next_index);
            while let Some(&(v, pos)) = self.calls.last() {
                if let Some(&w) = graph.neighbours(v).get(pos as usize) {
                    if let Some(call) = self.calls.last_mut() {
                        call.1 += 1;
                    }
                    examined += 1;
                    if examined > limit {
                        self.abandon();
                        return None;
                    }
                    if self.index[w as usize] == NONE {
                        self.open(w, &mut next_index);
                    } else if self.component[w as usize] == NONE {
                        // Visited and in no component yet: on the stack, so in v's component
                        // or one still open below it.
                        let v = v as usize;
                        self.low[v] = self.low[v].min(self.index[w as usize]);
                    }
                    continue;
                }
                self.calls.pop();
                let (vi, low) = (self.index[v as usize], self.low[v as usize]);
                if let Some(&(parent, _)) = self.calls.last() {
                    let parent = parent as usize;
                    self.low[parent] = self.low[parent].min(low);
                }
                if low == vi {
                    let id = self.ends.len() as u32;
                    while let Some(w) = self.stack.pop() {
                        self.component[w as usize] = id;
                        self.finished.push(w);
                        if w == v {
                            break;
                        }
                    }
                    self.ends.push(self.finished.len() as u32);
                }
            }
        }
        Some(examined)
    }

    /// Resets a run stopped half-way: nodes still on the stack have an index but no component.
    fn abandon(&mut self) {
        for &node in &self.stack {
            self.index[node as usize] = NONE;
            self.low[node as usize] = NONE;
        }
        self.stack.clear();
        self.calls.clear();
        self.clear();
    }

    fn open(&mut self, node: u32, next_index: &mut u32) {
        self.index[node as usize] = *next_index;
        self.low[node as usize] = *next_index;
        *next_index += 1;
        self.stack.push(node);
        self.calls.push((node, 0));
    }

    fn clear(&mut self) {
        for &node in &self.finished {
            self.index[node as usize] = NONE;
            self.low[node as usize] = NONE;
            self.component[node as usize] = NONE;
        }
        self.finished.clear();
        self.ends.clear();
    }
}

/// For each of `sources`, how many of `targets` (distinct) it reaches by one or more edges,
/// where `x` reaches `t` when a chain of `reached_from` edges leads from `t` back to `x`, and
/// how many edges the exploration examined (each is read once more for the bitsets); or `None`
/// when that takes more than `limit` edge visits.
///
/// This is the batched search turned around: instead of searching forward from every source
/// over all it reaches, it explores backwards only from the targets.  Tarjan over
/// `reached_from` finds the components of everything the targets are reached from; it completes
/// a component after every component it is reached from, so in completion order each gets the
/// set of sources reaching it as a bitset (the union over its members' `reached_from` edges of
/// the other component's set and of the sources in the edge's component, which reach all of
/// it).  A target's set is its component's.
pub(crate) fn count_reaching(
    reached_from: &impl Adjacency,
    targets: &[u32],
    sources: &[u32],
    limit: usize,
    tarjan: &mut Tarjan,
) -> Option<(Vec<u32>, usize)> {
    let examined = tarjan.run(reached_from, targets, limit)?;
    let components = tarjan.ends.len();
    let mut counts = Vec::with_capacity(sources.len());
    for chunk in sources.chunks(BATCH) {
        let words = chunk.len().div_ceil(64);
        let row = 2 * words;
        let mut rows = vec![0u64; components * row];
        for (bit, &source) in chunk.iter().enumerate() {
            let c = tarjan.component[source as usize];
            if c != NONE {
                rows[c as usize * row + words + bit / 64] |= 1 << (bit % 64);
            }
        }
        let mut acc = vec![0u64; words];
        for c in 0..components {
            acc.fill(0);
            let start = if c == 0 {
                0
            } else {
                tarjan.ends[c - 1] as usize
            };
            for &member in &tarjan.finished[start..tarjan.ends[c] as usize] {
                for &from in reached_from.neighbours(member) {
                    // Tarjan visited every node reachable from the targets, so `from` has a
                    // component, completed no later than `c`.
                    let fc = tarjan.component[from as usize] as usize;
                    let source = &rows[fc * row..(fc + 1) * row];
                    let (reaching, inside) = source.split_at(words);
                    if fc != c {
                        for (a, (r, i)) in acc.iter_mut().zip(reaching.iter().zip(inside)) {
                            *a |= r | i;
                        }
                    } else {
                        for (a, i) in acc.iter_mut().zip(inside) {
                            *a |= i;
                        }
                    }
                }
            }
            rows[c * row..c * row + words].copy_from_slice(&acc);
        }
        let mut chunk_counts = vec![0u32; chunk.len()];
        for &target in targets {
            let c = tarjan.component[target as usize] as usize;
            for (w, &word) in rows[c * row..c * row + words].iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    chunk_counts[w * 64 + word.trailing_zeros() as usize] += 1;
                    word &= word - 1;
                }
            }
        }
        counts.extend(chunk_counts);
    }
    tarjan.clear();
    Some((counts, examined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::Rng;

    /// A random graph with edges both ways between nodes (so cycles of every length), and its
    /// reverse.
    fn graph(seed: u64, nodes: usize, edges: usize) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
        let mut rng = Rng::new(seed);
        let mut out = vec![Vec::new(); nodes];
        let mut back = vec![Vec::new(); nodes];
        for _ in 0..edges {
            let (a, b) = (rng.below(nodes), rng.below(nodes));
            if a != b && !out[a].contains(&(b as u32)) {
                out[a].push(b as u32);
                back[b].push(a as u32);
            }
        }
        (out, back)
    }

    struct Lists<'a>(&'a [Vec<u32>]);

    impl Adjacency for Lists<'_> {
        fn node_count(&self) -> usize {
            self.0.len()
        }
        fn neighbours(&self, node: u32) -> &[u32] {
            &self.0[node as usize]
        }
    }

    #[test]
    fn batched_counts_equal_one_search_per_root() {
        for (seed, nodes, edges, roots) in [
            (1, 40, 30, 10),
            (2, 200, 500, 70),
            (3, 600, 1500, 300),
            (4, 600, 3000, 600),
        ] {
            let (out, back) = graph(seed, nodes, edges);
            let mut rng = Rng::new(seed);
            let mut chosen: Vec<u32> = (0..nodes as u32).collect();
            for k in (1..chosen.len()).rev() {
                chosen.swap(k, rng.below(k + 1));
            }
            chosen.truncate(roots);
            let expected = count_reachable(&Lists(&out), &chosen, 1);
            let batched = count_reachable_batched(&Lists(&out), &Lists(&back), &chosen);
            assert_eq!(batched, expected, "seed {seed}");
        }
    }

    #[test]
    fn count_reaching_equals_walks_from_each_target() {
        for (seed, nodes, edges, targets, sources) in [
            (5, 40, 30, 5, 10),
            (6, 200, 400, 20, 70),
            (7, 600, 1200, 50, 300),
        ] {
            let (_, back) = graph(seed, nodes, edges);
            let mut rng = Rng::new(seed);
            let mut order: Vec<u32> = (0..nodes as u32).collect();
            for k in (1..order.len()).rev() {
                order.swap(k, rng.below(k + 1));
            }
            let chosen_targets = &order[..targets];
            let chosen_sources: Vec<u32> = (0..sources).map(|_| rng.below(nodes) as u32).collect();
            let mut expected = vec![0u32; sources];
            let mut visited = Visited::default();
            for &target in chosen_targets {
                let found = visited.reachable_from(&Lists(&back), [target]).to_vec();
                for (count, source) in expected.iter_mut().zip(&chosen_sources) {
                    *count += found.contains(source) as u32;
                }
            }
            let mut tarjan = Tarjan::default();
            // Too small a limit gives up, and leaves the scratch fit for the next run.
            assert!(count_reaching(
                &Lists(&back),
                chosen_targets,
                &chosen_sources,
                3,
                &mut tarjan
            )
            .is_none());
            let (counts, examined) = count_reaching(
                &Lists(&back),
                chosen_targets,
                &chosen_sources,
                usize::MAX,
                &mut tarjan,
            )
            .expect("no limit");
            assert_eq!(counts, expected, "seed {seed}");
            assert!(examined > 3);
            assert!(tarjan.index.iter().all(|&i| i == NONE));
        }
    }
}
