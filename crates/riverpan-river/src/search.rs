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
