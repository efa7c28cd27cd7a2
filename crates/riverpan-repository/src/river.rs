//! This repository's CPAN river: the dependency graph of the release each distribution's
//! packages point at in the index, and every distribution's direct and total dependents.
//!
//! The graph is built from the store (`releases`, `release_prereqs`, `packages`): a module maps
//! to the distribution the permission-aware index says provides it, edges are the `requires`
//! prerequisites of the configure, build, test and runtime phases (MetaCPAN's river). The
//! computed positions are kept in `river_positions`, rewritten after every index change in the
//! same way publishing is: only rows that changed are written.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use riverpan_indexer::{Change, IndexReport, RiverNote};
use riverpan_river::{ReleaseRequires, River};
use riverpan_store::{IndexReader, IndexedRelease, StoreError, StoredRiverPosition};

use crate::{Repository, RepositoryError};

/// The prerequisite phases that make a river edge (MetaCPAN's `river.pl`).
pub const RIVER_PHASES: [&str; 4] = ["configure", "build", "test", "runtime"];

/// The relationship that makes a river edge.
pub const RIVER_RELATIONSHIP: &str = "requires";

/// The river's input for one release: the modules it requires in the river's phases.
pub fn river_requires(release: &IndexedRelease) -> ReleaseRequires {
    ReleaseRequires::new(
        release.dist.clone(),
        release
            .prereqs
            .iter()
            .filter(|p| {
                p.relationship == RIVER_RELATIONSHIP && RIVER_PHASES.contains(&p.phase.as_str())
            })
            .map(|p| p.module.clone()),
    )
}

/// Builds the river from what the store holds now.
pub fn river_from_store(reader: &IndexReader<'_>) -> Result<River, StoreError> {
    let releases = reader.indexed_releases()?;
    let providers = reader.package_providers()?;
    Ok(River::build(releases.iter().map(river_requires), providers))
}

/// The river a [`Repository`] computed last, and the uploads indexed since, so that the next
/// refresh can update it in place instead of rebuilding it from the store.
#[derive(Default)]
pub(crate) struct RiverCache {
    /// The river and the index generation it describes.
    current: Option<(u64, River)>,
    /// Uploads indexed by this repository since, each with the packages its indexing changed.
    pending: Vec<IndexedSince>,
    /// What the last refresh did.
    last: Option<RiverRefresh>,
}

/// One upload indexed since the river was computed.
struct IndexedSince {
    upload_id: i64,
    path: String,
    packages: BTreeSet<String>,
}

impl RiverCache {
    /// Notes an upload whose indexing was committed (each bumps the index generation once).
    pub(crate) fn indexed(&mut self, upload_id: i64, path: &str, report: &IndexReport) {
        if self.current.is_none() {
            return;
        }
        let packages = report
            .index_changes
            .iter()
            .filter_map(|change| match change {
                Change::PackageUpsert(row) => Some(row.package.clone()),
                Change::PackageDelete { package } => Some(package.clone()),
                _ => None,
            })
            .collect();
        self.pending.push(IndexedSince {
            upload_id,
            path: path.to_string(),
            packages,
        });
    }
}

/// What a river refresh wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RiverRefresh {
    /// Distributions in the river.
    pub dists: usize,
    /// Stored positions written (new or changed).
    pub changed: usize,
    /// Stored positions dropped (distributions no longer in the river).
    pub removed: usize,
    /// Uploads whose prerequisites had to be read from their files first.
    pub backfilled: usize,
    /// Whether the river was updated in place (only the uploads indexed since the last
    /// refresh were applied) rather than rebuilt from the store.
    pub incremental: bool,
    /// Time spent computing (not writing), in microseconds.
    pub compute_micros: u64,
}

impl Repository {
    /// Brings the river and `river_positions` up to date with the index, writing only the rows
    /// that changed, and returns it. When this repository computed the river before and indexed
    /// the uploads since itself, only those are applied (the river's incremental update);
    /// otherwise (first call, an import, a rebuild, a deletion, another process indexing) the
    /// river is rebuilt from the store. Uploads indexed before riverpan recorded prerequisites
    /// are read once first.
    pub fn refresh_river(&mut self) -> Result<(&River, RiverRefresh), RepositoryError> {
        let generation = self.store.index_generation()?;
        let pending = std::mem::take(&mut self.river.pending);
        let cached = self.river.current.take();
        let started = Instant::now();
        let (river, incremental, backfilled, changed_dists) = match cached {
            Some((at, mut river)) if at + pending.len() as u64 == generation => {
                let changed = apply_indexed(&self.store.reader(), &mut river, &pending)?;
                (river, true, 0, Some(changed))
            }
            _ => {
                let backfilled = self.backfill_releases()?;
                let river = river_from_store(&self.store.reader())?;
                (river, false, backfilled, None)
            }
        };
        let compute_micros = started.elapsed().as_micros() as u64;
        let (changed, removed) = match changed_dists {
            Some(dists) => {
                let mut changed = Vec::new();
                let mut removed = Vec::new();
                for dist in dists {
                    match river.position(&dist) {
                        Some(position) => changed.push((dist, stored(&position))),
                        None => removed.push(dist),
                    }
                }
                (changed, removed)
            }
            None => {
                let stored_now: BTreeMap<String, StoredRiverPosition> =
                    self.store.reader().river_positions()?.into_iter().collect();
                let changed: Vec<(String, StoredRiverPosition)> = river
                    .positions()
                    .filter(|(dist, position)| stored_now.get(*dist) != Some(&stored(position)))
                    .map(|(dist, position)| (dist.to_string(), stored(&position)))
                    .collect();
                let removed: Vec<String> = stored_now
                    .keys()
                    .filter(|dist| river.position(dist).is_none())
                    .cloned()
                    .collect();
                (changed, removed)
            }
        };
        if !changed.is_empty() || !removed.is_empty() {
            let tx = self.store.index_transaction()?;
            tx.save_river_positions(&changed, &removed)?;
            tx.commit()?;
        }
        let refresh = RiverRefresh {
            dists: river.len(),
            changed: changed.len(),
            removed: removed.len(),
            backfilled,
            incremental,
            compute_micros,
        };
        self.river.last = Some(refresh.clone());
        let (_, river) = self.river.current.insert((generation, river));
        Ok((river, refresh))
    }

    /// The river as last refreshed, with the index generation it describes.
    pub fn current_river(&self) -> Option<(u64, &River)> {
        self.river
            .current
            .as_ref()
            .map(|(generation, river)| (*generation, river))
    }

    /// What the last river refresh of this repository did (for status pages and tests).
    pub fn last_river_refresh(&self) -> Option<&RiverRefresh> {
        self.river.last.as_ref()
    }

    /// Forgets the computed river: the next refresh rebuilds it from the store.
    pub fn forget_river(&mut self) {
        self.river = RiverCache::default();
    }

    /// [`Repository::refresh_river`] after an index change. The change itself is committed and
    /// published by then, so a failure here is logged rather than failing it; the next change
    /// (or `riverpan river --refresh`) recomputes everything.
    pub fn keep_river_current(&mut self) {
        match self.refresh_river() {
            Ok((_, refresh)) => tracing::debug!(?refresh, "river refreshed"),
            Err(error) => tracing::warn!("could not refresh the river: {error}"),
        }
    }

    /// Records the release (name, version, prerequisites) of indexed uploads that have none:
    /// those indexed before the store kept prerequisites.
    pub fn backfill_releases(&mut self) -> Result<usize, RepositoryError> {
        let missing = self.store.reader().uploads_without_release()?;
        if missing.is_empty() {
            return Ok(0);
        }
        let mut inspected = Vec::with_capacity(missing.len());
        for (upload_id, path) in &missing {
            let file = self.cpan.join("authors/id").join(path);
            match riverpan_inspect::inspect_file(&file, &cpan_archive::Limits::default()) {
                Ok(inspection) => inspected.push((*upload_id, path.clone(), inspection)),
                // A file that cannot be read now still gets a row (no prerequisites) so that it
                // is not read again at every refresh.
                Err(error) => {
                    tracing::warn!("river: cannot read {path}: {error}");
                    inspected.push((
                        *upload_id,
                        path.clone(),
                        riverpan_inspect::DistInspection::empty(path),
                    ))
                }
            }
        }
        let tx = self.store.index_transaction()?;
        for (upload_id, path, inspection) in &inspected {
            crate::save_release(&tx, *upload_id, path, inspection)?;
        }
        tx.commit()?;
        Ok(inspected.len())
    }
}

/// The distribution name of a file, as `save_release` records it.
fn dist_name(path: &str) -> String {
    cpan_distname::DistnameInfo::new(path)
        .dist()
        .unwrap_or(path)
        .to_string()
}

fn stored(position: &riverpan_river::RiverPosition) -> StoredRiverPosition {
    StoredRiverPosition {
        immediate: position.immediate,
        total: position.total,
        bucket: position.bucket,
    }
}

/// Applies the uploads indexed since `river` was computed: which distribution now provides each
/// package they touched, distributions left without packages, and the new releases' requires.
/// Returns the distributions whose position changed.
fn apply_indexed(
    reader: &IndexReader<'_>,
    river: &mut River,
    indexed: &[IndexedSince],
) -> Result<BTreeSet<String>, StoreError> {
    let mut changed = BTreeSet::new();
    for upload in indexed {
        let lc: BTreeSet<String> = upload.packages.iter().map(|p| p.to_lowercase()).collect();
        let rows = reader.packages_named(&lc)?;
        let mut providers = Vec::new();
        let mut losers = BTreeSet::new();
        for package in &upload.packages {
            let now = rows
                .iter()
                .find(|row| &row.package == package)
                .map(|row| dist_name(&row.dist));
            let before = river.provider(package).map(str::to_string);
            if before != now {
                if let Some(before) = before {
                    losers.insert(before);
                }
                providers.push((package.clone(), now));
            }
        }
        changed.extend(river.set_providers(providers).changed);
        for dist in losers {
            if !reader.dist_has_packages(&dist)? {
                changed.extend(river.remove_dist(&dist).changed);
            }
        }
        if reader.path_has_packages(&upload.path)? {
            if let Some(release) = reader.indexed_release_of_upload(upload.upload_id)? {
                changed.extend(river.set_release(river_requires(&release)).changed);
            }
        }
    }
    Ok(changed)
}

/// The river note for an upload's report: the stored position of the distribution the upload
/// belongs to, when it is in the middle of the river or further up. Its dependents do not
/// depend on this upload, so the position before it is the one that counts.
pub(crate) fn river_note(
    tx: &riverpan_store::IndexTransaction<'_>,
    path: &str,
) -> Result<Option<RiverNote>, RepositoryError> {
    {
        let info = cpan_distname::DistnameInfo::new(path);
        let Some(dist) = info.dist() else {
            return Ok(None);
        };
        let Some(position) = tx.river_position(dist)? else {
            return Ok(None);
        };
        let band = riverpan_river::band(position.total);
        if band == riverpan_river::Band::WayDownriver {
            return Ok(None);
        }
        Ok(Some(RiverNote {
            dist: dist.to_string(),
            immediate: position.immediate,
            total: position.total,
            band: band.as_str().to_string(),
            advice: riverpan_river::advice::for_upload(position.total, info.is_developer())
                .into_iter()
                .map(str::to_string)
                .collect(),
            smoke_from: tx
                .setting(crate::settings::PUBLIC_URL)?
                .filter(|url| !url.is_empty()),
        }))
    }
}
