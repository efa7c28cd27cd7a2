//! The CPAN river: for every distribution, how many distributions depend on it directly
//! (`immediate`) and transitively (`total`), MetaCPAN's `bucket` and the Berlin consensus band.
//!
//! The numbers are metacpan-river's (`bin/river.pl`): an edge from a distribution to each
//! distribution that provides a module its latest release `requires`, `perl` and
//! self-dependencies dropped; `immediate` is the number of distinct direct dependents, `total`
//! the number of distinct distributions reached by a breadth-first search over the reverse edges
//! (a distribution in a dependency cycle reaches itself and counts itself).  The module →
//! distribution map is the caller's (riverpan's permission-aware index) rather than "the last
//! release scanned wins".
//!
//! A [`River`] is built once ([`River::build`]) and then kept current by
//! [`River::set_release`], [`River::remove_dist`] and [`River::set_providers`], each of which
//! recomputes only what the change can affect and says which positions moved.  The crate does
//! no I/O.
//!
//! ```
//! use riverpan_river::{Band, ReleaseRequires, River};
//!
//! let river = River::build(
//!     [
//!         ReleaseRequires::new("App-Foo", ["Foo::Bar", "perl"]),
//!         ReleaseRequires::new("Foo-Bar", ["Moo"]),
//!     ],
//!     [
//!         ("Foo::Bar".to_string(), "Foo-Bar".to_string()),
//!         ("Moo".to_string(), "Moo".to_string()),
//!     ],
//! );
//! let moo = river.position("Moo").unwrap();
//! assert_eq!((moo.immediate, moo.total, moo.bucket, moo.band), (1, 2, 1, Band::WayDownriver));
//! assert_eq!(river.deep_dependents("Moo"), ["App-Foo", "Foo-Bar"]);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde::Serialize;

pub mod advice;
mod interner;
mod search;
pub mod synthetic;

use interner::Interner;
use search::{Adjacency, Csr, Visited};

/// Below this many total dependents a distribution is "way downriver".
///
/// The Berlin consensus (seed 002) gives the bands only in words: "way downriver — zero to low
/// tens of total dependents; in the middle — high tens to low thousands; way upriver — high
/// thousands to tens of thousands".  Fifty splits "low tens" from "high tens".
pub const IN_THE_MIDDLE_FROM: u64 = 50;

/// From this many total dependents on a distribution is "way upriver".
///
/// Five thousand splits the consensus's "low thousands" (the upper end of the middle) from
/// "high thousands" (way upriver); see [`IN_THE_MIDDLE_FROM`] for the quote.
pub const WAY_UPRIVER_FROM: u64 = 5000;

/// Where a distribution sits in the river by the Berlin consensus's three groups, each with its
/// own recommended standards of care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Band {
    /// Fewer than [`IN_THE_MIDDLE_FROM`] total dependents.
    #[serde(rename = "way downriver")]
    WayDownriver,
    /// From [`IN_THE_MIDDLE_FROM`] to [`WAY_UPRIVER_FROM`]` - 1` total dependents.
    #[serde(rename = "in the middle")]
    InTheMiddle,
    /// [`WAY_UPRIVER_FROM`] or more total dependents.
    #[serde(rename = "way upriver")]
    WayUpriver,
}

impl Band {
    /// The consensus's own words: `"way downriver"`, `"in the middle"` or `"way upriver"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::WayDownriver => "way downriver",
            Band::InTheMiddle => "in the middle",
            Band::WayUpriver => "way upriver",
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// MetaCPAN's river stage for a total: 0 when nothing depends on the distribution, then one
/// more per power of ten (1 below 10, 2 below 100, 3 below 1,000, 4 below 10,000, else 5).
pub fn bucket(total: u64) -> u8 {
    match total {
        0 => 0,
        1..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1000..=9999 => 4,
        _ => 5,
    }
}

/// The Berlin consensus band for a total (see [`IN_THE_MIDDLE_FROM`] and [`WAY_UPRIVER_FROM`]).
pub fn band(total: u64) -> Band {
    if total < IN_THE_MIDDLE_FROM {
        Band::WayDownriver
    } else if total < WAY_UPRIVER_FROM {
        Band::InTheMiddle
    } else {
        Band::WayUpriver
    }
}

/// One distribution's place in the river.  Serialises as metacpan-river's
/// `{"immediate": N, "total": N, "bucket": N}` plus `"band"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RiverPosition {
    /// Distinct distributions that require one of its modules directly.
    pub immediate: u64,
    /// Distinct distributions that depend on it directly or transitively (itself included only
    /// when it is in a dependency cycle).
    pub total: u64,
    /// MetaCPAN's river stage, [`bucket`] of `total`.
    pub bucket: u8,
    /// The Berlin consensus band, [`band`] of `total`.
    pub band: Band,
}

impl RiverPosition {
    /// The position of a distribution with these counts.
    pub fn new(immediate: u64, total: u64) -> RiverPosition {
        RiverPosition {
            immediate,
            total,
            bucket: bucket(total),
            band: band(total),
        }
    }
}

/// The input for one distribution: its name and the modules its latest indexed release
/// `requires`, already filtered by phase and relationship by the caller.  The list may contain
/// `perl`, duplicates and the distribution's own modules; the river drops them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleaseRequires {
    /// Distribution name, e.g. `Moose`.
    pub dist: String,
    /// Module names the release requires.
    pub modules: Vec<String>,
}

impl ReleaseRequires {
    /// A release of `dist` requiring `modules`.
    pub fn new(
        dist: impl Into<String>,
        modules: impl IntoIterator<Item = impl Into<String>>,
    ) -> ReleaseRequires {
        ReleaseRequires {
            dist: dist.into(),
            modules: modules.into_iter().map(Into::into).collect(),
        }
    }
}

/// What one incremental update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiverUpdate {
    /// Distributions whose [`RiverPosition`] changed, that joined the river or that left it
    /// ([`River::position`] is then `None`), sorted by name.
    pub changed: Vec<String>,
    /// Distributions whose set of dependencies changed.
    pub relinked: usize,
    /// Totals recomputed by a search.
    pub recomputed: usize,
    /// Totals corrected without a search: by one when a distribution nobody depends on gained
    /// or lost a transitive dependency, otherwise by counting how many of its downstream
    /// distributions the affected total did not already reach (see [`UpdateLimits::max_walked`]).
    pub adjusted: usize,
    /// Dependency edges examined by those counts (upstream of the relinked dists' dependents),
    /// a measure of their cost.
    pub walked: usize,
    /// Whether the update gave up on locality and recomputed every total, as [`River::build`]
    /// does (when too many distributions were relinked or too many totals were affected for
    /// per-distribution searches to be cheaper).
    pub full_recompute: bool,
}

type DistId = u32;
type ModuleId = u32;

/// A distribution known to the river, node or not (a name once seen keeps its id so that a dist
/// deleted and uploaded again is cheap).
#[derive(Debug, Clone, Default)]
struct Dist {
    has_release: bool,
    /// Modules its latest release requires: sorted, distinct, without `perl`.
    requires: Vec<ModuleId>,
    /// Modules the provider map assigns to it, in no order.
    provides: Vec<ModuleId>,
    /// Distributions it requires (sorted ids).
    dependencies: Vec<DistId>,
    /// Distributions that require it (sorted ids).
    dependents: Vec<DistId>,
    total: u32,
}

impl Dist {
    /// A node of the river: it has a release, or the index says it provides a module.
    fn is_node(&self) -> bool {
        self.has_release || !self.provides.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Module {
    provider: Option<DistId>,
    /// Distributions whose release requires it (sorted ids), provider included.
    requirers: Vec<DistId>,
}

/// The dependents graph as seen by the searches.
struct DependentsOf<'a>(&'a [Dist]);

impl Adjacency for DependentsOf<'_> {
    fn node_count(&self) -> usize {
        self.0.len()
    }

    fn neighbours(&self, node: u32) -> &[u32] {
        &self.0[node as usize].dependents
    }
}

/// The dependencies graph, for the upstream closures of incremental updates.
struct DependenciesOf<'a>(&'a [Dist]);

impl Adjacency for DependenciesOf<'_> {
    fn node_count(&self) -> usize {
        self.0.len()
    }

    fn neighbours(&self, node: u32) -> &[u32] {
        &self.0[node as usize].dependencies
    }
}

/// The dependencies graph with one dist's own dependencies hidden, for the upward walks of
/// [`River::count_unreached`]: a walk may arrive at the avoided dist but never goes on through
/// it, and never uses the edges a relink of it changed.
struct Avoiding<'a> {
    dists: &'a [Dist],
    avoided: DistId,
}

impl Adjacency for Avoiding<'_> {
    fn node_count(&self) -> usize {
        self.dists.len()
    }

    fn neighbours(&self, node: u32) -> &[u32] {
        if node == self.avoided {
            &[]
        } else {
            &self.dists[node as usize].dependencies
        }
    }
}

/// When an incremental update stops being local and recomputes every total as
/// [`River::build`] does.  The defaults suit CPAN-size rivers; tests lower them to exercise both
/// paths on small graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateLimits {
    /// Most distributions one update may relink one by one (a toolchain module moving to
    /// another distribution relinks every dist requiring it; past a few thousand, recomputing
    /// everything is cheaper).
    pub max_relinked: usize,
    /// Most totals one update may recompute by searches; `None` means an eighth of the river,
    /// but at least 8.
    pub max_searched: Option<usize>,
    /// Most dependency edges one update may examine to correct totals by counting instead of
    /// searching (exploring upstream of the relinked dist's downstream set); `None` weighs each
    /// count against the searches it would save and caps the update at about two passes over
    /// the graph.
    /// `Some(0)` turns counting off except for a distribution nobody depends on, which needs no
    /// walk.
    pub max_walked: Option<usize>,
    /// From this many dirty totals on, the searches share bit-parallel passes over the graph
    /// (`search::count_reachable_batched`) instead of running one by one.
    pub batch_from: usize,
}

impl Default for UpdateLimits {
    fn default() -> UpdateLimits {
        UpdateLimits {
            max_relinked: 2048,
            max_searched: None,
            max_walked: None,
            // Two toolchain searches cost about as much as one batched pass.
            batch_from: 3,
        }
    }
}

/// Below this many dirty totals the searches run on the calling thread.
const PARALLEL_FROM: usize = 8;

/// The river of a set of distributions.  Cheap queries, incremental updates; `Clone`, `Send`
/// and `Sync`.
#[derive(Debug, Clone, Default)]
pub struct River {
    dists: Vec<Dist>,
    dist_names: Interner,
    /// The nodes, by name.
    nodes: BTreeMap<String, DistId>,
    modules: Vec<Module>,
    module_names: Interner,
    unresolved: BTreeMap<String, BTreeSet<String>>,
    /// Scratch for updates: per-dist bit flags, all zero between updates.
    flags: Vec<u8>,
    /// Scratch for updates: per-dist slot (index + 1) among the totals being counted, all zero
    /// between updates.
    slots: Vec<u32>,
    /// Number of dependency edges, for cost estimates.
    edges: usize,
    visited: Visited,
    /// Scratch for the counting of [`River::count_unreached`].
    tarjan: search::Tarjan,
    limits: UpdateLimits,
}

/// What an update has touched so far.
#[derive(Default)]
struct Pending {
    /// Position (immediate, total) before the update; `None` if it was not a node.
    before: HashMap<DistId, Option<(u32, u32)>>,
    dirty: HashSet<DistId>,
    modules: HashSet<ModuleId>,
    full: bool,
    old_totals: Vec<u32>,
    stats: RiverUpdate,
}

/// A total that one relink changes: the dist, and +1 if it now reaches the relinked dist, -1 if
/// it no longer does.
type Reach = (DistId, i64);

const IN_OLD_CLOSURE: u8 = 1;
const IN_NEW_CLOSURE: u8 = 2;

impl River {
    /// Computes the whole river.  `releases` are the latest indexed releases (a dist listed twice
    /// keeps its last entry); `providers` maps each module to the distribution the index says
    /// provides it (a module listed twice keeps its last entry).  A distribution that only
    /// provides modules is a node with no requirements.
    pub fn build(
        releases: impl IntoIterator<Item = ReleaseRequires>,
        providers: impl IntoIterator<Item = (String, String)>,
    ) -> River {
        let mut river = River::default();
        for release in releases {
            let dist = river.intern_dist(release.dist);
            let requires = river.normalise_requires(release.modules);
            let entry = &mut river.dists[dist as usize];
            entry.requires = requires;
            entry.has_release = true;
        }
        for (module, dist) in providers {
            let module = river.intern_module(module);
            let dist = river.intern_dist(dist);
            river.assign_provider(module, Some(dist));
        }
        for dist in 0..river.dists.len() {
            for i in 0..river.dists[dist].requires.len() {
                let module = river.dists[dist].requires[i];
                river.modules[module as usize]
                    .requirers
                    .push(dist as DistId);
            }
        }
        for dist in 0..river.dists.len() as DistId {
            let dependencies = river.resolve_dependencies(dist);
            for &target in &dependencies {
                river.dists[target as usize].dependents.push(dist);
            }
            river.dists[dist as usize].dependencies = dependencies;
        }
        for (id, dist) in river.dists.iter().enumerate() {
            if dist.is_node() {
                let name = river.dist_names.name(id as DistId).to_string();
                river.nodes.insert(name, id as DistId);
            }
        }
        for module in 0..river.modules.len() as ModuleId {
            river.refresh_unresolved(module);
        }
        river.recompute_all_totals();
        river.edges = river.dists.iter().map(|d| d.dependencies.len()).sum();
        river.flags = vec![0; river.dists.len()];
        river.slots = vec![0; river.dists.len()];
        river.visited = Visited::with_capacity(river.dists.len());
        river
    }

    /// Changes when later updates fall back to recomputing every total.
    pub fn set_update_limits(&mut self, limits: UpdateLimits) {
        self.limits = limits;
    }

    /// The position of `dist`, or `None` if it is not in the river.
    pub fn position(&self, dist: &str) -> Option<RiverPosition> {
        self.nodes.get(dist).map(|&id| self.position_of(id))
    }

    /// Every distribution in the river, zeros included, sorted by name.
    pub fn positions(&self) -> impl Iterator<Item = (&str, RiverPosition)> + '_ {
        self.nodes
            .iter()
            .map(|(name, &id)| (name.as_str(), self.position_of(id)))
    }

    /// The `n` distributions furthest upriver: by total descending, then immediate descending,
    /// then name.
    pub fn top(&self, n: usize) -> Vec<(&str, RiverPosition)> {
        let mut all: Vec<_> = self.positions().collect();
        all.sort_by(|(a_name, a), (b_name, b)| {
            b.total
                .cmp(&a.total)
                .then(b.immediate.cmp(&a.immediate))
                .then(a_name.cmp(b_name))
        });
        all.truncate(n);
        all
    }

    /// Distributions that require one of `dist`'s modules directly, sorted by name.
    pub fn direct_dependents(&self, dist: &str) -> Vec<&str> {
        match self.nodes.get(dist) {
            Some(&id) => self.sorted_names(&self.dists[id as usize].dependents),
            None => Vec::new(),
        }
    }

    /// Distributions that depend on `dist` directly or transitively, sorted by name and
    /// distinct; `dist` itself is included only when it is in a dependency cycle.
    pub fn deep_dependents(&self, dist: &str) -> Vec<&str> {
        match self.nodes.get(dist) {
            Some(&id) => {
                let mut visited = Visited::default();
                let found = visited.reachable_from(&DependentsOf(&self.dists), [id]);
                self.sorted_names(found)
            }
            None => Vec::new(),
        }
    }

    /// Distributions whose release requires `module` (its provider excepted: a self-dependency
    /// does not count), sorted by name; with `deep`, also every distribution that depends on
    /// those transitively.  Works for modules no distribution provides too.
    pub fn module_dependents(&self, module: &str, deep: bool) -> Vec<&str> {
        let Some(id) = self.module_names.get(module) else {
            return Vec::new();
        };
        let module = &self.modules[id as usize];
        let direct = module
            .requirers
            .iter()
            .copied()
            .filter(|&dist| Some(dist) != module.provider);
        if deep {
            let mut visited = Visited::default();
            let found = visited.reachable_including(&DependentsOf(&self.dists), direct);
            self.sorted_names(found)
        } else {
            let direct: Vec<DistId> = direct.collect();
            self.sorted_names(&direct)
        }
    }

    /// The distribution that provides `module`, if any.
    pub fn provider(&self, module: &str) -> Option<&str> {
        let id = self.module_names.get(module)?;
        let dist = self.modules[id as usize].provider?;
        Some(self.dist_names.name(dist))
    }

    /// The distributions `dist` requires directly (upriver of it), sorted by name.
    pub fn dependencies(&self, dist: &str) -> Vec<&str> {
        match self.nodes.get(dist) {
            Some(&id) => self.sorted_names(&self.dists[id as usize].dependencies),
            None => Vec::new(),
        }
    }

    /// Modules that some release requires but no distribution provides, each with the
    /// distributions requiring it.
    pub fn unresolved(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.unresolved
    }

    /// Number of distributions in the river.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the river has no distributions.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Records the new (or replaced) latest release of a distribution.
    pub fn set_release(&mut self, release: ReleaseRequires) -> RiverUpdate {
        let mut pending = Pending::default();
        let dist = self.intern_dist(release.dist);
        self.record(dist, &mut pending);
        let requires = self.normalise_requires(release.modules);
        self.replace_requires(dist, requires, &mut pending);
        self.dists[dist as usize].has_release = true;
        self.relink(&BTreeSet::from([dist]), &mut pending);
        self.finish(pending)
    }

    /// Takes a distribution out of the river (deleted, or no longer indexed): its release is
    /// forgotten and so are the index entries naming it as provider, so its modules become
    /// unresolved unless [`River::set_providers`] gives them to another distribution.
    pub fn remove_dist(&mut self, dist: &str) -> RiverUpdate {
        let mut pending = Pending::default();
        let Some(id) = self.dist_names.get(dist) else {
            return self.finish(pending);
        };
        self.record(id, &mut pending);
        self.replace_requires(id, Vec::new(), &mut pending);
        self.dists[id as usize].has_release = false;
        let mut relink = BTreeSet::from([id]);
        for module in self.dists[id as usize].provides.clone() {
            relink.extend(self.modules[module as usize].requirers.iter().copied());
            pending.modules.insert(module);
            self.assign_provider(module, None);
        }
        self.relink(&relink, &mut pending);
        self.finish(pending)
    }

    /// Applies changes to the module → distribution map: `Some(dist)` gives the module to `dist`
    /// (which joins the river if new), `None` drops it from the index.
    pub fn set_providers(
        &mut self,
        changes: impl IntoIterator<Item = (String, Option<String>)>,
    ) -> RiverUpdate {
        let mut pending = Pending::default();
        let mut relink = BTreeSet::new();
        for (module, dist) in changes {
            let module = self.intern_module(module);
            let dist = dist.map(|name| self.intern_dist(name));
            let old = self.modules[module as usize].provider;
            if old == dist {
                continue;
            }
            for side in [old, dist].into_iter().flatten() {
                self.record(side, &mut pending);
            }
            self.assign_provider(module, dist);
            pending.modules.insert(module);
            relink.extend(self.modules[module as usize].requirers.iter().copied());
        }
        self.relink(&relink, &mut pending);
        self.finish(pending)
    }

    fn position_of(&self, id: DistId) -> RiverPosition {
        let dist = &self.dists[id as usize];
        RiverPosition::new(dist.dependents.len() as u64, dist.total as u64)
    }

    fn sorted_names(&self, ids: &[DistId]) -> Vec<&str> {
        let mut names: Vec<&str> = ids.iter().map(|&id| self.dist_names.name(id)).collect();
        names.sort_unstable();
        names
    }

    fn intern_dist(&mut self, name: String) -> DistId {
        let (id, new) = self.dist_names.intern(name);
        if new {
            self.dists.push(Dist::default());
        }
        id
    }

    fn intern_module(&mut self, name: String) -> ModuleId {
        let (id, new) = self.module_names.intern(name);
        if new {
            self.modules.push(Module {
                provider: None,
                requirers: Vec::new(),
            });
        }
        id
    }

    fn normalise_requires(&mut self, modules: Vec<String>) -> Vec<ModuleId> {
        let mut ids: Vec<ModuleId> = modules
            .into_iter()
            .filter(|module| module != "perl")
            .map(|module| self.intern_module(module))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Moves `module` to `dist` in the provider map (bookkeeping only, no edges).
    fn assign_provider(&mut self, module: ModuleId, dist: Option<DistId>) {
        if let Some(old) = self.modules[module as usize].provider {
            let provides = &mut self.dists[old as usize].provides;
            if let Some(at) = provides.iter().position(|&m| m == module) {
                provides.swap_remove(at);
            }
        }
        if let Some(new) = dist {
            self.dists[new as usize].provides.push(module);
        }
        self.modules[module as usize].provider = dist;
    }

    /// Replaces a dist's requirements and the modules' requirer lists (no edges yet).
    fn replace_requires(&mut self, dist: DistId, requires: Vec<ModuleId>, pending: &mut Pending) {
        let old = std::mem::take(&mut self.dists[dist as usize].requires);
        for &module in &old {
            if requires.binary_search(&module).is_err() {
                remove_sorted(&mut self.modules[module as usize].requirers, dist);
                pending.modules.insert(module);
            }
        }
        for &module in &requires {
            if old.binary_search(&module).is_err() {
                insert_sorted(&mut self.modules[module as usize].requirers, dist);
                pending.modules.insert(module);
            }
        }
        self.dists[dist as usize].requires = requires;
    }

    /// The dependencies a dist's requirements resolve to under the current provider map.
    fn resolve_dependencies(&self, dist: DistId) -> Vec<DistId> {
        let mut dependencies: Vec<DistId> = self.dists[dist as usize]
            .requires
            .iter()
            .filter_map(|&module| self.modules[module as usize].provider)
            .filter(|&provider| provider != dist)
            .collect();
        dependencies.sort_unstable();
        dependencies.dedup();
        dependencies
    }

    fn record(&self, dist: DistId, pending: &mut Pending) {
        pending.before.entry(dist).or_insert_with(|| {
            let entry = &self.dists[dist as usize];
            entry
                .is_node()
                .then_some((entry.dependents.len() as u32, entry.total))
        });
    }

    /// Brings the edges of `dists` in line with their requirements and the provider map, marking
    /// the totals that may have changed.
    fn relink(&mut self, dists: &BTreeSet<DistId>, pending: &mut Pending) {
        if self.flags.len() < self.dists.len() {
            self.flags.resize(self.dists.len(), 0);
            self.slots.resize(self.dists.len(), 0);
        }
        if dists.len() > self.limits.max_relinked {
            self.start_full(pending);
        }
        for &dist in dists {
            let dependencies = self.resolve_dependencies(dist);
            if dependencies == self.dists[dist as usize].dependencies {
                continue;
            }
            pending.stats.relinked += 1;
            if pending.full {
                self.replace_dependencies(dist, dependencies, pending);
            } else {
                self.relink_one(dist, dependencies, pending);
            }
        }
    }

    /// One dist's dependencies change from `old` to `new`.  Let `up(G)` be the set of dists it
    /// depends on transitively in graph `G`.  A dist X outside `up(old) ∪ up(new)` has no path
    /// (along "is required by") through the changed edges, so its total is unchanged.  For X in
    /// both, its dependents are `F(X) ∪ {dist} ∪ F(dist)` in either graph, `F` being what is
    /// reachable without entering `dist`, which the change does not touch: unchanged too.  So
    /// only `up(old) Δ up(new)` can change.  For `dist` itself, `F(dist)` is its dependents apart
    /// from itself, so its total moves by one exactly when it joins or leaves a cycle (it is then
    /// in the difference).  Any other X of the difference reaches `F(X)` in the graph where it
    /// does not reach `dist`, and `F(X) ∪ S` in the other, with `S = {dist} ∪ F(dist)`: its
    /// total moves by `|S \ F(X)|`, which [`River::count_unreached`] counts without searching
    /// from X (or it is left to a search at the end when counting would cost more).
    fn relink_one(&mut self, dist: DistId, new: Vec<DistId>, pending: &mut Pending) {
        let mut touched = Vec::new();
        self.mark_closure(dist, IN_OLD_CLOSURE, &mut touched);
        self.replace_dependencies(dist, new, pending);
        self.mark_closure(dist, IN_NEW_CLOSURE, &mut touched);
        let mut open: Vec<Reach> = Vec::new();
        for &x in &touched {
            let flags = std::mem::take(&mut self.flags[x as usize]);
            let sign = match flags {
                IN_NEW_CLOSURE => 1,
                IN_OLD_CLOSURE => -1,
                _ => continue,
            };
            self.record(x, pending);
            // A total already left to a search stays so: it is not known exactly any more.
            if !pending.dirty.contains(&x) {
                open.push((x, sign));
            }
        }
        if open.is_empty() {
            return;
        }
        match self.count_unreached(dist, &open, pending) {
            Some(deltas) => {
                for (&(x, sign), delta) in open.iter().zip(deltas) {
                    let total = &mut self.dists[x as usize].total;
                    *total = (*total as i64 + sign * delta as i64) as u32;
                    pending.stats.adjusted += 1;
                }
            }
            None => pending.dirty.extend(open.iter().map(|&(x, _)| x)),
        }
    }

    /// `|S \ F(X)|` for each X of `open` (see [`River::relink_one`]), or `None` when counting
    /// would cost more than searching.  X reaches `s ∈ S` without entering `dist` exactly when
    /// a walk up the dependency edges from `s` that never goes on through `dist` finds X; such
    /// walks never use the edges the relink changed (they all leave `dist`), so they hold in
    /// both graphs and see alternative paths and cycles as they are.  All the walks are done at
    /// once by [`search::count_reaching`], which explores the dists upstream of S once and
    /// carries the members of `open` as bits.  `dist` is in S and in no `F(X)`, and
    /// `F(dist) = S \ {dist}`, hence the plain 1 for `dist` itself.
    fn count_unreached(
        &mut self,
        dist: DistId,
        open: &[Reach],
        pending: &mut Pending,
    ) -> Option<Vec<u32>> {
        let leaf = self.dists[dist as usize].dependents.is_empty();
        if leaf {
            // S = {dist}: every total in the difference moves by one, no walk needed.
            return Some(vec![1; open.len()]);
        }
        let budget = self.walk_budget(open, pending);
        // Each element of S costs at least the edges entering it; a cheap early refusal for a
        // dist with many known dependents (its total is exact unless already dirty).
        if !pending.dirty.contains(&dist) && self.dists[dist as usize].total as usize > budget {
            return None;
        }
        let downstream: Vec<DistId> = self
            .visited
            .reachable_including(&DependentsOf(&self.dists), [dist])
            .iter()
            .copied()
            .filter(|&s| s != dist)
            .collect();
        let sources: Vec<DistId> = open.iter().map(|&(x, _)| x).collect();
        let graph = Avoiding {
            dists: &self.dists,
            avoided: dist,
        };
        let counted =
            search::count_reaching(&graph, &downstream, &sources, budget, &mut self.tarjan);
        pending.stats.walked += match &counted {
            Some((_, examined)) => *examined,
            None => budget,
        };
        let (reached, _) = counted?;
        // |S| counts `dist` itself, which no X reaches without entering it.
        let size = downstream.len() as u32 + 1;
        Some(
            open.iter()
                .zip(reached)
                .map(|(&(x, _), reached)| if x == dist { 1 } else { size - reached })
                .collect(),
        )
    }

    /// How many dependency edges counting may examine for this relink: what is left of the
    /// update's allowance, and by default no more than the searches it saves would cost.
    fn walk_budget(&self, open: &[Reach], pending: &Pending) -> usize {
        if let Some(max) = self.limits.max_walked {
            return max.saturating_sub(pending.stats.walked);
        }
        let nodes = self.dists.len().max(1);
        let degree = self.edges.div_ceil(nodes).max(1);
        // Searching X visits about total(X) dists and their edges; dirty totals share a batched
        // pass, which visits each reachable dist about three times (gathering, components,
        // bitsets), so the saving is at most that.  Counting reads each edge it examines twice.
        let searched: usize = open
            .iter()
            .map(|&(x, _)| self.dists[x as usize].total as usize + 1)
            .sum();
        let saved = searched.min(3 * nodes) * degree;
        // Past two passes over the graph in one update, a full recompute is near anyway.
        let allowance = (2 * self.edges + 4096).saturating_sub(pending.stats.walked);
        saved.min(allowance)
    }

    /// Flags every dist `dist` depends on transitively with `flag`, appending newly flagged ones
    /// to `touched`.
    fn mark_closure(&mut self, dist: DistId, flag: u8, touched: &mut Vec<DistId>) {
        let found = self
            .visited
            .reachable_from(&DependenciesOf(&self.dists), [dist]);
        for &x in found {
            let flags = &mut self.flags[x as usize];
            if *flags == 0 {
                touched.push(x);
            }
            *flags |= flag;
        }
    }

    fn replace_dependencies(&mut self, dist: DistId, new: Vec<DistId>, pending: &mut Pending) {
        let old = std::mem::take(&mut self.dists[dist as usize].dependencies);
        self.edges = self.edges + new.len() - old.len();
        for &target in &old {
            if new.binary_search(&target).is_err() {
                self.record(target, pending);
                remove_sorted(&mut self.dists[target as usize].dependents, dist);
            }
        }
        for &target in &new {
            if old.binary_search(&target).is_err() {
                self.record(target, pending);
                insert_sorted(&mut self.dists[target as usize].dependents, dist);
            }
        }
        self.dists[dist as usize].dependencies = new;
    }

    /// Switches the update to recomputing every total at the end; positions before are then
    /// read from a copy of all totals.
    fn start_full(&mut self, pending: &mut Pending) {
        if !pending.full {
            pending.full = true;
            pending.old_totals = self.dists.iter().map(|dist| dist.total).collect();
        }
    }

    fn recompute_all_totals(&mut self) {
        let graph = Csr::from_adjacency(&DependentsOf(&self.dists));
        let mut roots: Vec<DistId> = (0..self.dists.len() as DistId)
            .filter(|&id| !self.dists[id as usize].dependents.is_empty())
            .collect();
        // The most depended-upon first, so that the expensive searches do not end up last on
        // one thread.
        roots.sort_by_key(|&id| std::cmp::Reverse(self.dists[id as usize].dependents.len()));
        let totals = search::count_reachable(&graph, &roots, search::default_threads());
        for dist in &mut self.dists {
            dist.total = 0;
        }
        for (&id, total) in roots.iter().zip(totals) {
            self.dists[id as usize].total = total;
        }
    }

    fn finish(&mut self, mut pending: Pending) -> RiverUpdate {
        let presence: Vec<DistId> = pending.before.keys().copied().collect();
        for id in presence {
            let dist = &mut self.dists[id as usize];
            let name = self.dist_names.name(id);
            if dist.is_node() {
                if !self.nodes.contains_key(name) {
                    self.nodes.insert(name.to_string(), id);
                }
            } else {
                dist.total = 0;
                pending.dirty.remove(&id);
                self.nodes.remove(name);
            }
        }
        let max_searched = self
            .limits
            .max_searched
            .unwrap_or((self.nodes.len() / 8).max(PARALLEL_FROM));
        if !pending.full && pending.dirty.len() > max_searched {
            self.start_full(&mut pending);
        }
        if pending.full {
            self.recompute_all_totals();
            pending.stats.full_recompute = true;
            pending.stats.recomputed = self.nodes.len();
        } else {
            self.recompute_totals(&pending.dirty);
            pending.stats.recomputed = pending.dirty.len();
        }
        for &module in &pending.modules {
            self.refresh_unresolved(module);
        }
        let mut changed: Vec<String> = Vec::new();
        let mut report = |river: &River, id: DistId, before: Option<(u32, u32)>| {
            let dist = &river.dists[id as usize];
            let after = dist
                .is_node()
                .then_some((dist.dependents.len() as u32, dist.total));
            let moved = match (before, after) {
                (Some((bi, bt)), Some((ai, at))) => bi != ai || bt != at,
                (None, None) => false,
                _ => true,
            };
            if moved {
                changed.push(river.dist_names.name(id).to_string());
            }
        };
        if pending.full {
            for id in 0..self.dists.len() as DistId {
                let before = match pending.before.get(&id) {
                    Some(&before) => before,
                    // Not recorded: its node status and immediate count did not change.
                    None => self.dists[id as usize].is_node().then(|| {
                        (
                            self.dists[id as usize].dependents.len() as u32,
                            pending.old_totals[id as usize],
                        )
                    }),
                };
                report(self, id, before);
            }
        } else {
            for (&id, &before) in &pending.before {
                report(self, id, before);
            }
        }
        changed.sort_unstable();
        pending.stats.changed = changed;
        pending.stats
    }

    fn recompute_totals(&mut self, dirty: &HashSet<DistId>) {
        let roots: Vec<DistId> = dirty.iter().copied().collect();
        if roots.len() >= self.limits.batch_from {
            let totals = search::count_reachable_batched(
                &DependentsOf(&self.dists),
                &DependenciesOf(&self.dists),
                &roots,
            );
            for (&id, total) in roots.iter().zip(totals) {
                self.dists[id as usize].total = total;
            }
        } else if roots.len() < PARALLEL_FROM {
            for &id in &roots {
                let total = self
                    .visited
                    .reachable_from(&DependentsOf(&self.dists), [id])
                    .len() as u32;
                self.dists[id as usize].total = total;
            }
        } else {
            let totals = search::count_reachable(
                &DependentsOf(&self.dists),
                &roots,
                search::default_threads(),
            );
            for (&id, total) in roots.iter().zip(totals) {
                self.dists[id as usize].total = total;
            }
        }
    }

    fn refresh_unresolved(&mut self, module: ModuleId) {
        let entry = &self.modules[module as usize];
        let name = self.module_names.name(module);
        if entry.provider.is_none() && !entry.requirers.is_empty() {
            let requirers = entry
                .requirers
                .iter()
                .map(|&id| self.dist_names.name(id).to_string())
                .collect();
            self.unresolved.insert(name.to_string(), requirers);
        } else {
            self.unresolved.remove(name);
        }
    }
}

fn insert_sorted(list: &mut Vec<u32>, value: u32) {
    if let Err(at) = list.binary_search(&value) {
        list.insert(at, value);
    }
}

fn remove_sorted(list: &mut Vec<u32>, value: u32) {
    if let Ok(at) = list.binary_search(&value) {
        list.remove(at);
    }
}
