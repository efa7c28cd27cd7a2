//! This repository's CPAN river: the dependency graph of the release each distribution's
//! packages point at in the index, and every distribution's direct and total dependents.
//!
//! The graph is built from the store (`releases`, `release_prereqs`, `packages`): a module maps
//! to the distribution the permission-aware index says provides it, edges are the `requires`
//! prerequisites of the configure, build, test and runtime phases (MetaCPAN's river). The
//! computed positions are kept in `river_positions`, rewritten after every index change in the
//! same way publishing is: only rows that changed are written.

use std::collections::BTreeMap;

use riverpan_indexer::RiverNote;
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
}

impl Repository {
    /// Recomputes the river from the store and brings `river_positions` up to date, writing only
    /// the rows that changed. Uploads indexed before riverpan recorded prerequisites are read
    /// once first.
    pub fn refresh_river(&mut self) -> Result<(River, RiverRefresh), RepositoryError> {
        let backfilled = self.backfill_releases()?;
        let river = river_from_store(&self.store.reader())?;
        let stored: BTreeMap<String, StoredRiverPosition> =
            self.store.reader().river_positions()?.into_iter().collect();
        let mut changed = Vec::new();
        for (dist, position) in river.positions() {
            let now = StoredRiverPosition {
                immediate: position.immediate,
                total: position.total,
                bucket: position.bucket,
            };
            if stored.get(dist) != Some(&now) {
                changed.push((dist.to_string(), now));
            }
        }
        let removed: Vec<String> = stored
            .keys()
            .filter(|dist| river.position(dist).is_none())
            .cloned()
            .collect();
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
        };
        Ok((river, refresh))
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
                        riverpan_inspect::DistInspection {
                            file: path.clone(),
                            skip: None,
                            skip_code: None,
                            meta: None,
                            method: None,
                            packages: BTreeMap::new(),
                            problems: Vec::new(),
                            x_authority: None,
                            refused: BTreeMap::new(),
                            prereqs: Vec::new(),
                        },
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
        }))
    }
}
