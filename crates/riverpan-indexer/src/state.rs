//! The rows the indexer reads and writes (PAUSE's `packages`, `perms` and `primeur` tables, and
//! the pumpking bit), held in memory, with a journal of every change and an undo log for
//! PAUSE's dist-level rollback.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One row of PAUSE's `packages` table: the indexed version of a package and where it lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageRow {
    /// The package name, case as indexed.
    pub package: String,
    /// The version as recorded (`"undef"` when there is none).
    pub version: String,
    /// The distribution path below `authors/id/`, e.g. `O/OP/OPRIME/Foo-1.0.tar.gz`.
    pub dist: String,
    /// The file declaring the package, as the inspection reported it.
    pub file: String,
    /// The mtime of `dist` in seconds (PAUSE's `omt` when a later upload competes with it).
    pub dist_mtime: i64,
}

/// One row of PAUSE's `perms` table: a user who may upload the package (co-maintainers, and
/// first-come owners too).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PermRow {
    /// The package, case-preserving; permissions are checked case-insensitively.
    pub package: String,
    /// The PAUSE id.
    pub userid: String,
}

/// One row of PAUSE's `primeur` table: the first-come owner of a package (one per exact name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PrimeurRow {
    /// The package, case-preserving.
    pub package: String,
    /// The PAUSE id of the first-come owner.
    pub userid: String,
}

/// One change to the rows, as the store writes it back (in order, in one transaction).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Insert the row, or replace the row with exactly the same `package`.
    PackageUpsert(PackageRow),
    /// Delete the row whose `package` is exactly this.
    PackageDelete {
        /// The exact package name.
        package: String,
    },
    /// Insert a `perms` row.
    PermInsert(PermRow),
    /// Delete a `perms` row.
    PermDelete(PermRow),
    /// Insert a `primeur` row.
    PrimeurInsert(PrimeurRow),
    /// Delete a `primeur` row.
    PrimeurDelete(PrimeurRow),
}

/// Who may upload a package: its first-come owner and its co-maintainers (any case).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageOwners {
    /// The first-come owner (PAUSE's `primeur`), when there is one.
    pub first_come: Option<String>,
    /// Everyone else with a `perms` row, sorted.
    pub comaints: Vec<String>,
}

impl PackageOwners {
    /// Nobody has any permission on the package.
    pub fn is_empty(&self) -> bool {
        self.first_come.is_none() && self.comaints.is_empty()
    }
}

/// PAUSE's case-insensitive key (`lc_package`).
pub(crate) fn lc(package: &str) -> String {
    package.to_lowercase()
}

/// All rows the indexing decision may read, with the journal of changes made to them.
///
/// Rows are grouped by lower-case package name because every lookup PAUSE makes is by
/// `lc_package`; several `packages` rows may share one lower-case name (legacy data, PAUSE's
/// EDBCONFLICT).
#[derive(Clone, Debug, Default)]
pub struct IndexState {
    packages: BTreeMap<String, BTreeMap<String, PackageRow>>,
    perms: BTreeMap<String, BTreeSet<PermRow>>,
    primeurs: BTreeMap<String, BTreeMap<String, PrimeurRow>>,
    pumpkings: BTreeSet<String>,
    /// Every effective change since the last `take_changes`.
    journal: Vec<Change>,
    /// For each journal entry, the change that undoes it (for rollback).
    undo: Vec<Change>,
}

impl IndexState {
    /// An empty state.
    pub fn new() -> IndexState {
        IndexState::default()
    }

    /// Loads a `packages` row (not journaled); replaces a row with the same exact name.
    pub fn load_package(&mut self, row: PackageRow) {
        self.apply(Change::PackageUpsert(row));
    }

    /// Loads a `perms` row (not journaled).
    pub fn load_perm(&mut self, row: PermRow) {
        self.apply(Change::PermInsert(row));
    }

    /// Loads a `primeur` row (not journaled); replaces the owner of the same exact name.
    pub fn load_primeur(&mut self, row: PrimeurRow) {
        let group = self.primeurs.entry(lc(&row.package)).or_default();
        group.insert(row.package.clone(), row);
    }

    /// Gives `userid` the pumpking bit (may upload perl core releases).
    pub fn add_pumpking(&mut self, userid: &str) {
        self.pumpkings.insert(userid.to_string());
    }

    /// Whether `userid` has the pumpking bit.
    pub fn is_pumpking(&self, userid: &str) -> bool {
        self.pumpkings.contains(userid)
    }

    /// All `packages` rows, sorted by lower-case then exact name.
    pub fn packages(&self) -> impl Iterator<Item = &PackageRow> {
        self.packages.values().flat_map(|group| group.values())
    }

    /// All `perms` rows, sorted by lower-case package, then package and userid.
    pub fn perms(&self) -> impl Iterator<Item = &PermRow> {
        self.perms.values().flat_map(|group| group.iter())
    }

    /// All `primeur` rows, sorted by lower-case then exact package.
    pub fn primeurs(&self) -> impl Iterator<Item = &PrimeurRow> {
        self.primeurs.values().flat_map(|group| group.values())
    }

    /// The `packages` rows whose name equals `package` case-insensitively.
    pub fn package_rows_any_case(&self, package: &str) -> Vec<&PackageRow> {
        self.packages
            .get(&lc(package))
            .map(|group| group.values().collect())
            .unwrap_or_default()
    }

    /// Who may upload `package` (checked case-insensitively, as PAUSE does).
    pub fn owners(&self, package: &str) -> PackageOwners {
        let first_come = self.first_come_any_case(package);
        let mut comaints: Vec<String> = self
            .perms
            .get(&lc(package))
            .into_iter()
            .flatten()
            .map(|row| row.userid.clone())
            .filter(|userid| Some(userid) != first_come.as_ref())
            .collect();
        comaints.sort();
        comaints.dedup();
        PackageOwners {
            first_come,
            comaints,
        }
    }

    /// `get_package_first_come_any_case`: the owner of the first `primeur` row of any case.
    pub(crate) fn first_come_any_case(&self, package: &str) -> Option<String> {
        self.primeurs
            .get(&lc(package))
            .and_then(|group| group.values().next())
            .map(|row| row.userid.clone())
    }

    /// `get_package_first_come_with_exact_case`.
    pub(crate) fn first_come_exact(&self, package: &str) -> Option<&str> {
        self.primeurs
            .get(&lc(package))
            .and_then(|group| group.get(package))
            .map(|row| row.userid.as_str())
    }

    /// `get_package_maintainers_list_any_case`: (exact package, userid) from primeur ∪ perms.
    pub(crate) fn maintainers_any_case(&self, package: &str) -> BTreeSet<(String, String)> {
        let key = lc(package);
        let from_primeur = self
            .primeurs
            .get(&key)
            .into_iter()
            .flat_map(|group| group.values())
            .map(|row| (row.package.clone(), row.userid.clone()));
        let from_perms = self
            .perms
            .get(&key)
            .into_iter()
            .flatten()
            .map(|row| (row.package.clone(), row.userid.clone()));
        from_primeur.chain(from_perms).collect()
    }

    /// `userid_has_permissions_on_package` for an ordinary package: any `perms` or `primeur`
    /// row of any case.
    pub(crate) fn has_permission_any_case(&self, userid: &str, package: &str) -> bool {
        self.maintainers_any_case(package)
            .iter()
            .any(|(_, owner)| owner == userid)
    }

    /// Whether anybody has a permission on `package` (any case): "in the perms table".
    pub(crate) fn is_registered(&self, package: &str) -> bool {
        !self.maintainers_any_case(package).is_empty()
    }

    /// The `perms` rows of any case (for copying and canonicalizing).
    pub(crate) fn perm_rows_any_case(&self, package: &str) -> Vec<PermRow> {
        self.perms
            .get(&lc(package))
            .map(|group| group.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The `primeur` rows of any case.
    pub(crate) fn primeur_rows_any_case(&self, package: &str) -> Vec<PrimeurRow> {
        self.primeurs
            .get(&lc(package))
            .map(|group| group.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Journal of every change since the last call, in order (rolled-back changes are not in
    /// it).
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.undo.clear();
        std::mem::take(&mut self.journal)
    }

    /// Applies a journal (as returned by [`IndexState::take_changes`]) without journaling it:
    /// what the store does when it writes the changes back, and what a replica does to catch up.
    pub fn apply_changes(&mut self, changes: &[Change]) {
        for change in changes {
            self.apply(change.clone());
        }
    }

    /// `riverpan perms grant`: gives `userid` a `perms` row on `package` and, with
    /// `first_come`, makes them the first-come owner (the previous first-come owner of any
    /// case keeps a co-maintainer row).
    pub fn grant(&mut self, package: &str, userid: &str, first_come: bool) {
        self.record(Change::PermInsert(PermRow {
            package: package.to_string(),
            userid: userid.to_string(),
        }));
        if first_come {
            for row in self.primeur_rows_any_case(package) {
                if row.package != package || row.userid != userid {
                    self.record(Change::PrimeurDelete(row));
                }
            }
            self.record(Change::PrimeurInsert(PrimeurRow {
                package: package.to_string(),
                userid: userid.to_string(),
            }));
        }
    }

    /// `riverpan perms revoke`: removes every permission (first-come and co-maint, any case)
    /// of `userid` on `package`.
    pub fn revoke(&mut self, package: &str, userid: &str) {
        for row in self.primeur_rows_any_case(package) {
            if row.userid == userid {
                self.record(Change::PrimeurDelete(row));
            }
        }
        for row in self.perm_rows_any_case(package) {
            if row.userid == userid {
                self.record(Change::PermDelete(row));
            }
        }
    }

    /// `riverpan delete`: the index drops the packages whose row points at `dist` (PAUSE D7:
    /// older releases are not promoted; a later upload or reindex has to bring them back).
    pub fn forget_dist(&mut self, dist: &str) {
        let doomed: Vec<String> = self
            .packages()
            .filter(|row| row.dist == dist)
            .map(|row| row.package.clone())
            .collect();
        for package in doomed {
            self.record(Change::PackageDelete { package });
        }
    }

    /// Applies `change`, journaling it when it changed something.
    pub(crate) fn record(&mut self, change: Change) {
        if let Some(inverse) = self.apply(change.clone()) {
            self.journal.push(change);
            self.undo.push(inverse);
        }
    }

    /// Where a transaction starts (for [`IndexState::rollback_to`]).
    pub(crate) fn savepoint(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every change after `savepoint` and returns them (in the order they were made).
    pub(crate) fn rollback_to(&mut self, savepoint: usize) -> Vec<Change> {
        let mut undone = Vec::new();
        while self.journal.len() > savepoint {
            let (Some(change), Some(inverse)) = (self.journal.pop(), self.undo.pop()) else {
                break;
            };
            self.apply(inverse);
            undone.push(change);
        }
        undone.reverse();
        undone
    }

    /// The changes made after `savepoint`.
    pub(crate) fn changes_since(&self, savepoint: usize) -> &[Change] {
        self.journal.get(savepoint..).unwrap_or(&[])
    }

    /// Applies one change; returns the change that undoes it, or `None` when nothing changed
    /// (PAUSE's inserts are insert-or-ignore).
    fn apply(&mut self, change: Change) -> Option<Change> {
        match change {
            Change::PackageUpsert(row) => {
                let key = lc(&row.package);
                let group = self.packages.entry(key).or_default();
                let previous = group.insert(row.package.clone(), row.clone());
                match previous {
                    Some(old) if old == row => None,
                    Some(old) => Some(Change::PackageUpsert(old)),
                    None => Some(Change::PackageDelete {
                        package: row.package,
                    }),
                }
            }
            Change::PackageDelete { package } => {
                let key = lc(&package);
                let group = self.packages.get_mut(&key)?;
                let old = group.remove(&package)?;
                if group.is_empty() {
                    self.packages.remove(&key);
                }
                Some(Change::PackageUpsert(old))
            }
            Change::PermInsert(row) => {
                let group = self.perms.entry(lc(&row.package)).or_default();
                if group.insert(row.clone()) {
                    Some(Change::PermDelete(row))
                } else {
                    None
                }
            }
            Change::PermDelete(row) => {
                let key = lc(&row.package);
                let group = self.perms.get_mut(&key)?;
                if !group.remove(&row) {
                    return None;
                }
                if group.is_empty() {
                    self.perms.remove(&key);
                }
                Some(Change::PermInsert(row))
            }
            Change::PrimeurInsert(row) => {
                let group = self.primeurs.entry(lc(&row.package)).or_default();
                // `primeur.package` is the primary key: a second claimant is ignored.
                if group.contains_key(&row.package) {
                    return None;
                }
                group.insert(row.package.clone(), row.clone());
                Some(Change::PrimeurDelete(row))
            }
            Change::PrimeurDelete(row) => {
                let key = lc(&row.package);
                let group = self.primeurs.get_mut(&key)?;
                if group.get(&row.package) != Some(&row) {
                    return None;
                }
                group.remove(&row.package);
                if group.is_empty() {
                    self.primeurs.remove(&key);
                }
                Some(Change::PrimeurInsert(row))
            }
        }
    }
}
