//! Permission management (`perms.md` §1, §2): the operations PAUSE's permission pages offer,
//! per package and per distribution, ownership offers, adoption requests, the record of every
//! change and the mail to the authors concerned.
//!
//! The rules are in [`rules`] (pure); this module loads who holds what, applies the steps the
//! rules answer, and records the operation — all in one transaction per operation — then
//! publishes (06perms) and mails. Every change is also written to `admin_grants`, so that
//! `index --rebuild` replays it at the same point of the upload history.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet};

use riverpan_store::{
    AdoptionRecord, IndexTransaction, OfferRecord, PermChangeRecord, PermOperationRecord,
};
use serde::Serialize;

use self::rules::{
    Action, Actor, AdoptionPath, AdoptionRule, Decision, Holders, Refusal, RefusalKind, Step,
    TargetStatus,
};
use crate::{load_state, publish, Repository, RepositoryError};

/// The repository setting holding the [`AdoptionRule`] (`first-come`, the default, or `admin`).
pub const ADOPTION_RULE_SETTING: &str = "perms.adoption_without_dependents";

/// Through which interface an operation came (recorded with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    /// The web pages.
    Web,
    /// The JSON API.
    Api,
    /// `riverpan perms` on the command line.
    Cli,
}

impl Interface {
    /// `web`, `api` or `cli`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::Web => "web",
            Interface::Api => "api",
            Interface::Cli => "cli",
        }
    }
}

/// What an operation applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// One package (matched case-insensitively, applied to the case it is held in).
    Package(String),
    /// Every package of a distribution: those the index points at a release of it, the package
    /// the dist-name rule requires, and those of its latest upload not indexed (pause#362).
    Distribution(String),
}

impl Subject {
    fn scope(&self) -> &'static str {
        match self {
            Subject::Package(_) => "package",
            Subject::Distribution(_) => "distribution",
        }
    }

    fn name(&self) -> &str {
        match self {
            Subject::Package(name) | Subject::Distribution(name) => name,
        }
    }
}

/// One permission operation asked for.
#[derive(Clone, Debug)]
pub struct PermRequest {
    /// What it applies to.
    pub subject: Subject,
    /// What it does.
    pub action: Action,
    /// Who asks.
    pub actor: Actor,
    /// Through which interface.
    pub interface: Interface,
    /// Why (optional, recorded and mailed).
    pub reason: Option<String>,
}

/// A package of a distribution the operation left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The package.
    pub package: String,
    /// Why it was not changed (e.g. held by someone else).
    pub reason: String,
}

/// A refused operation: nothing changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermRefusal {
    /// 403, 409 or 400-like.
    pub kind: RefusalKind,
    /// The message for the author.
    pub message: String,
    /// For a distribution: each package and why it was refused.
    pub skipped: Vec<Skipped>,
}

impl std::fmt::Display for PermRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What an operation did.
#[derive(Clone, Debug)]
pub struct PermOutcome {
    /// The recorded operation (its id is the log entry's).
    pub operation: PermOperationRecord,
    /// The rows it changed (none for an offer).
    pub changes: Vec<PermChangeRecord>,
    /// Packages of a distribution it left alone.
    pub skipped: Vec<Skipped>,
    /// The offer it made, for a transfer that waits for its recipient.
    pub offer: Option<OfferRecord>,
    /// The adoption request it filed or decided, for an adoption.
    pub adoption: Option<AdoptionRecord>,
    /// Why the mail to the authors concerned failed, when a relay is configured and it did.
    pub mail_error: Option<String>,
}

/// Who holds a package, as the pages and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackagePermissions {
    /// The package, in the case it is held in.
    pub package: String,
    /// The distribution whose release the index points at, if indexed.
    pub dist: Option<String>,
    /// The first-come owner.
    pub owner: Option<String>,
    /// The co-maintainers (not the owner, not the markers).
    pub comaints: Vec<String>,
    /// `HANDOFF`, `NEEDHELP`, `ADOPTME` rows.
    pub markers: Vec<String>,
}

impl PackagePermissions {
    fn from_holders(package: &str, dist: Option<String>, holders: &Holders) -> PackagePermissions {
        let others = holders
            .rows
            .iter()
            .filter(|id| !holders.is_owner(id))
            .cloned();
        let (markers, comaints): (Vec<String>, Vec<String>) =
            others.partition(|id| rules::is_special(id));
        PackagePermissions {
            package: package.to_string(),
            dist,
            owner: holders.owner.clone(),
            comaints,
            markers,
        }
    }
}

fn refused(kind: RefusalKind, message: impl Into<String>) -> RepositoryError {
    RepositoryError::PermissionRefused(PermRefusal {
        kind,
        message: message.into(),
        skipped: Vec::new(),
    })
}

fn from_refusal(refusal: Refusal) -> RepositoryError {
    refused(refusal.kind, refusal.message)
}

/// The reads the operations need, from a transaction or from a plain reader (the pages).
trait PermReads {
    fn permissions_named(
        &self,
        names: &BTreeSet<String>,
        first_come: bool,
    ) -> Result<Vec<riverpan_store::PermissionRecord>, riverpan_store::StoreError>;
    fn packages_named(
        &self,
        names: &BTreeSet<String>,
    ) -> Result<Vec<riverpan_store::PackageRecord>, riverpan_store::StoreError>;
    fn indexed_packages_of_dist(
        &self,
        dist: &str,
    ) -> Result<Vec<String>, riverpan_store::StoreError>;
    fn uploads_named_like(
        &self,
        fragment: &str,
    ) -> Result<Vec<(i64, String)>, riverpan_store::StoreError>;
}

macro_rules! perm_reads_by_delegation {
    ($type:ty) => {
        impl PermReads for $type {
            fn permissions_named(
                &self,
                names: &BTreeSet<String>,
                first_come: bool,
            ) -> Result<Vec<riverpan_store::PermissionRecord>, riverpan_store::StoreError> {
                <$type>::permissions_named(self, names, first_come)
            }
            fn packages_named(
                &self,
                names: &BTreeSet<String>,
            ) -> Result<Vec<riverpan_store::PackageRecord>, riverpan_store::StoreError> {
                <$type>::packages_named(self, names)
            }
            fn indexed_packages_of_dist(
                &self,
                dist: &str,
            ) -> Result<Vec<String>, riverpan_store::StoreError> {
                <$type>::indexed_packages_of_dist(self, dist)
            }
            fn uploads_named_like(
                &self,
                fragment: &str,
            ) -> Result<Vec<(i64, String)>, riverpan_store::StoreError> {
                <$type>::uploads_named_like(self, fragment)
            }
        }
    };
}

perm_reads_by_delegation!(IndexTransaction<'_>);
perm_reads_by_delegation!(riverpan_store::IndexReader<'_>);

/// Who holds `package` (any case), and the case it is held in.
fn holders_in(tx: &impl PermReads, package: &str) -> Result<(String, Holders), RepositoryError> {
    let names: BTreeSet<String> = [package.to_lowercase()].into();
    let owners = tx.permissions_named(&names, true)?;
    let rows = tx.permissions_named(&names, false)?;
    let indexed = tx.packages_named(&names)?;
    // The case to apply changes to: as asked when held so, else the owner's, the index's.
    let canonical = owners
        .iter()
        .map(|row| &row.package)
        .chain(rows.iter().map(|row| &row.package))
        .chain(indexed.iter().map(|row| &row.package))
        .find(|name| name.as_str() == package)
        .or_else(|| owners.first().map(|row| &row.package))
        .or_else(|| indexed.first().map(|row| &row.package))
        .or_else(|| rows.first().map(|row| &row.package))
        .cloned()
        .unwrap_or_else(|| package.to_string());
    let owner = owners
        .iter()
        .find(|row| row.package == canonical)
        .or_else(|| owners.first())
        .map(|row| row.userid.clone());
    let holders = Holders {
        owner,
        rows: rows.into_iter().map(|row| row.userid).collect(),
    };
    Ok((canonical, holders))
}

impl Repository {
    /// The adoption rule for distributions without downriver dependents.
    pub fn adoption_rule(&self) -> Result<AdoptionRule, RepositoryError> {
        match self.store.setting(ADOPTION_RULE_SETTING)? {
            None => Ok(AdoptionRule::FirstCome),
            Some(text) => AdoptionRule::parse(&text).ok_or_else(|| {
                RepositoryError::BadSetting(format!(
                    "{ADOPTION_RULE_SETTING} must be first-come or admin, not {text:?}"
                ))
            }),
        }
    }

    /// Sets the adoption rule.
    pub fn set_adoption_rule(&self, rule: AdoptionRule) -> Result<(), RepositoryError> {
        self.store
            .set_setting(ADOPTION_RULE_SETTING, rule.as_str())?;
        Ok(())
    }

    /// What is known about `userid` as the target of an operation.
    pub fn target_status(&self, userid: &str) -> Result<TargetStatus, RepositoryError> {
        if rules::is_special(userid) {
            return Ok(TargetStatus::Special);
        }
        let reader = self.store.reader();
        if reader.author(userid)?.is_none() {
            return Ok(TargetStatus::Unknown);
        }
        if reader.is_nologin(userid)? {
            return Ok(TargetStatus::NoLogin);
        }
        Ok(TargetStatus::Author)
    }

    /// Runs one permission operation in one transaction, publishes and mails. A refusal is
    /// [`RepositoryError::PermissionRefused`] (nothing changed), an unknown package or
    /// distribution [`RepositoryError::NotFound`].
    pub fn change_permissions_as(
        &mut self,
        request: &PermRequest,
    ) -> Result<PermOutcome, RepositoryError> {
        // The target is checked once, before anything else.
        let target = match &request.action {
            Action::AddComaint(userid) | Action::Transfer(userid) => Some(userid.clone()),
            _ => None,
        };
        if let Some(userid) = &target {
            let status = self.target_status(userid)?;
            rules::check_target(userid, status, &request.action).map_err(from_refusal)?;
        }
        if let Some(named) = &request.actor.for_userid {
            if request.actor.is_admin && self.store.reader().author(named)?.is_none() {
                return Err(refused(
                    RefusalKind::BadTarget,
                    format!("{named} is not a valid userid: no author has that PAUSE id."),
                ));
            }
        }
        let now = self.now();
        let cpan = self.cpan.clone();
        let tx = self.store.index_transaction()?;
        let packages = subject_packages(&tx, &cpan, &request.subject)?;
        let mut plans: Vec<(String, Holders, Vec<Step>)> = Vec::new();
        let mut offered: Vec<String> = Vec::new();
        let mut offer_from: Option<String> = None;
        let mut skipped: Vec<Skipped> = Vec::new();
        let mut refusals: Vec<Refusal> = Vec::new();
        let mut acting_for: BTreeSet<String> = BTreeSet::new();
        for package in &packages {
            let (canonical, holders) = holders_in(&tx, package)?;
            if holders.is_empty() {
                skipped.push(Skipped {
                    package: canonical,
                    reason: "nobody holds permissions on it yet (its first uploader will own it)"
                        .into(),
                });
                continue;
            }
            let me = request.actor.effective(&holders).to_string();
            match rules::decide(&canonical, &request.action, &request.actor, &holders) {
                Ok(Decision::Apply(steps)) => {
                    acting_for.insert(me);
                    plans.push((canonical, holders, steps));
                }
                Ok(Decision::Offer { from }) => {
                    acting_for.insert(me);
                    offer_from = Some(from);
                    offered.push(canonical);
                }
                Err(refusal) => {
                    skipped.push(Skipped {
                        package: canonical,
                        reason: refusal.message.clone(),
                    });
                    refusals.push(refusal);
                }
            }
        }
        if plans.is_empty() && offered.is_empty() {
            return Err(refusal_of_all(&request.subject, refusals, skipped));
        }
        let on_behalf_of = acting_for
            .into_iter()
            .find(|id| id != &request.actor.userid);
        let mut operation = PermOperationRecord {
            id: 0,
            at: now,
            actor: request.actor.userid.clone(),
            on_behalf_of,
            interface: request.interface.as_str().into(),
            operation: operation_name(&request.action, &request.actor, &plans).into(),
            scope: request.subject.scope().into(),
            subject: request.subject.name().into(),
            argument: argument_of(&request.action),
            reason: request
                .reason
                .clone()
                .filter(|text| !text.trim().is_empty()),
            skipped: serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into()),
        };
        let mut offer = None;
        let changes = if let Some(from) = offer_from.filter(|_| plans.is_empty()) {
            let Action::Transfer(to) = &request.action else {
                return Err(refused(RefusalKind::Conflict, "only transfers make offers"));
            };
            tx.withdraw_offers(request.subject.scope(), request.subject.name(), &from, now)?;
            let mut record = OfferRecord {
                id: 0,
                scope: request.subject.scope().into(),
                subject: request.subject.name().into(),
                from_userid: from,
                to_userid: to.clone(),
                packages: serde_json::to_string(&offered).unwrap_or_else(|_| "[]".into()),
                offered_by: request.actor.userid.clone(),
                created_at: now,
                expires_at: now + rules::OFFER_LIFETIME,
                state: "pending".into(),
                decided_at: None,
            };
            record.id = tx.insert_offer(&record)?;
            operation.operation = "transfer-offer".into();
            operation.argument = Some(format!("{to} (offer {})", record.id));
            offer = Some(record);
            Vec::new()
        } else {
            apply_plans(&tx, &plans)?
        };
        operation.id = tx.record_perm_operation(&operation, &changes)?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        let mut outcome = PermOutcome {
            operation,
            changes,
            skipped,
            offer,
            adoption: None,
            mail_error: None,
        };
        outcome.mail_error = self.mail_outcome(&outcome, target.as_deref());
        Ok(outcome)
    }

    /// Accepts the ownership offer `id` (its recipient, or an administrator).
    pub fn accept_offer(
        &mut self,
        id: i64,
        actor: &Actor,
        interface: Interface,
    ) -> Result<PermOutcome, RepositoryError> {
        let now = self.now();
        let offer = self
            .store
            .reader()
            .offer(id)?
            .ok_or_else(|| RepositoryError::NotFound(format!("no transfer offer {id}")))?;
        let state = rules::OfferState::parse(&offer.state).unwrap_or(rules::OfferState::Withdrawn);
        match rules::accept_offer(state, &offer.to_userid, offer.expires_at, now, actor)
            .map_err(from_refusal)?
        {
            rules::Acceptance::Accept => {}
            rules::Acceptance::Expired(refusal) => {
                let tx = self.store.index_transaction()?;
                tx.close_offer(id, "expired", now)?;
                tx.commit()?;
                return Err(from_refusal(refusal));
            }
        }
        let status = self.target_status(&offer.to_userid)?;
        rules::check_target(
            &offer.to_userid,
            status,
            &Action::Transfer(offer.to_userid.clone()),
        )
        .map_err(from_refusal)?;
        let packages: Vec<String> = serde_json::from_str(&offer.packages).unwrap_or_default();
        let tx = self.store.index_transaction()?;
        let mut plans = Vec::new();
        let mut skipped = Vec::new();
        for package in &packages {
            let (canonical, holders) = holders_in(&tx, package)?;
            if holders.is_owner(&offer.from_userid) {
                let steps = rules::change_owner(&holders, &offer.to_userid);
                plans.push((canonical, holders, steps));
            } else {
                skipped.push(Skipped {
                    package: canonical,
                    reason: format!(
                        "{} no longer owns it (its owner is now {})",
                        offer.from_userid,
                        holders.owner.as_deref().unwrap_or("nobody")
                    ),
                });
            }
        }
        if plans.is_empty() {
            tx.close_offer(id, "withdrawn", now)?;
            tx.commit()?;
            return Err(RepositoryError::PermissionRefused(PermRefusal {
                kind: RefusalKind::Conflict,
                message: format!(
                    "{} no longer owns anything this offer covers; it is withdrawn.",
                    offer.from_userid
                ),
                skipped,
            }));
        }
        tx.close_offer(id, "accepted", now)?;
        let changes = apply_plans(&tx, &plans)?;
        let mut operation = PermOperationRecord {
            id: 0,
            at: now,
            actor: actor.userid.clone(),
            on_behalf_of: (actor.userid != offer.to_userid).then(|| offer.to_userid.clone()),
            interface: interface.as_str().into(),
            operation: "transfer".into(),
            scope: offer.scope.clone(),
            subject: offer.subject.clone(),
            argument: Some(format!(
                "{} (offer {id} from {})",
                offer.to_userid, offer.from_userid
            )),
            reason: None,
            skipped: serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into()),
        };
        operation.id = tx.record_perm_operation(&operation, &changes)?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        let mut accepted = offer;
        accepted.state = "accepted".into();
        accepted.decided_at = Some(now);
        let mut outcome = PermOutcome {
            operation,
            changes,
            skipped,
            offer: Some(accepted),
            adoption: None,
            mail_error: None,
        };
        outcome.mail_error = self.mail_outcome(&outcome, None);
        Ok(outcome)
    }

    /// An author asks to adopt `dist` (up for adoption, or marked `HANDOFF`/`NEEDHELP`):
    /// granted at once when nothing depends on it and the rule is `first-come`, else filed for
    /// an administrator.
    pub fn request_adoption(
        &mut self,
        dist: &str,
        actor: &Actor,
        reason: &str,
        interface: Interface,
    ) -> Result<PermOutcome, RepositoryError> {
        let requester = match (&actor.for_userid, actor.is_admin) {
            (Some(named), true) => named.clone(),
            _ => actor.userid.clone(),
        };
        let status = self.target_status(&requester)?;
        rules::check_target(&requester, status, &Action::Transfer(requester.clone()))
            .map_err(from_refusal)?;
        let rule = self.adoption_rule()?;
        let now = self.now();
        let cpan = self.cpan.clone();
        let tx = self.store.index_transaction()?;
        let packages = subject_packages(&tx, &cpan, &Subject::Distribution(dist.to_string()))?;
        let mut marker = None;
        let mut plans = Vec::new();
        let mut skipped = Vec::new();
        for package in &packages {
            let (canonical, holders) = holders_in(&tx, package)?;
            marker = marker.or_else(|| rules::adoption_marker(&holders));
            match rules::adoption_steps(&holders, &requester) {
                Some(steps) => plans.push((canonical, holders, steps)),
                None => skipped.push(Skipped {
                    package: canonical,
                    reason: match rules::adoption_marker(&holders) {
                        Some(_) => format!("{requester} already has it"),
                        None => format!(
                            "not up for adoption (owned by {})",
                            holders.owner.as_deref().unwrap_or("nobody")
                        ),
                    },
                }),
            }
        }
        let Some(marker) = marker else {
            return Err(refused(
                RefusalKind::Conflict,
                format!(
                    "{dist} is not up for adoption: its owner has neither given it up (ADOPTME) \
                     nor marked it HANDOFF or NEEDHELP."
                ),
            ));
        };
        if plans.is_empty() {
            return Err(RepositoryError::PermissionRefused(PermRefusal {
                kind: RefusalKind::Conflict,
                message: format!("{requester} already holds what adopting {dist} would give."),
                skipped,
            }));
        }
        if tx
            .adoptions_of_dist(dist)?
            .iter()
            .any(|request| request.userid == requester && request.state == "pending")
        {
            return Err(refused(
                RefusalKind::Conflict,
                format!("{requester} already asked to adopt {dist}; an administrator decides."),
            ));
        }
        // A distribution the river has no position for has no dependents.
        let (immediate, total, bucket) = tx
            .river_position(dist)?
            .map_or((0, 0, 0), |p| (p.immediate, p.total, p.bucket));
        let path = rules::adoption_path(rule, total);
        let mut adoption = AdoptionRecord {
            id: 0,
            dist: dist.to_string(),
            userid: requester.clone(),
            reason: reason.trim().to_string(),
            held_by: marker.to_string(),
            immediate: immediate as i64,
            total: total as i64,
            bucket: i64::from(bucket),
            created_at: now,
            state: "pending".into(),
            decided_by: None,
            decided_at: None,
            rationale: None,
        };
        let mut operation = PermOperationRecord {
            id: 0,
            at: now,
            actor: actor.userid.clone(),
            on_behalf_of: (requester != actor.userid).then(|| requester.clone()),
            interface: interface.as_str().into(),
            operation: "adoption-request".into(),
            scope: "distribution".into(),
            subject: dist.to_string(),
            argument: Some(requester.clone()),
            reason: Some(adoption.reason.clone()).filter(|text| !text.is_empty()),
            skipped: serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into()),
        };
        let changes = if path == AdoptionPath::Granted {
            adoption.state = "granted".into();
            adoption.decided_at = Some(now);
            adoption.rationale = Some(format!(
                "Granted at once: no distribution depends on {dist}, so the first author who \
                 asks may adopt it (Berlin consensus)."
            ));
            operation.operation = "adoption".into();
            apply_plans(&tx, &plans)?
        } else {
            Vec::new()
        };
        adoption.id = tx.insert_adoption(&adoption)?;
        operation.id = tx.record_perm_operation(&operation, &changes)?;
        tx.commit()?;
        if !changes.is_empty() {
            self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        }
        let mut outcome = PermOutcome {
            operation,
            changes,
            skipped,
            offer: None,
            adoption: Some(adoption),
            mail_error: None,
        };
        outcome.mail_error = self.mail_outcome(&outcome, Some(&requester));
        Ok(outcome)
    }

    /// An administrator grants or refuses the pending adoption request `id`, with the rationale
    /// published on the distribution's page.
    pub fn decide_adoption(
        &mut self,
        id: i64,
        actor: &Actor,
        grant: bool,
        rationale: &str,
        interface: Interface,
    ) -> Result<PermOutcome, RepositoryError> {
        if !actor.is_admin {
            return Err(refused(
                RefusalKind::Forbidden,
                "Only administrators decide adoption requests.",
            ));
        }
        let rationale = rationale.trim();
        if rationale.is_empty() {
            return Err(refused(
                RefusalKind::BadTarget,
                "A decision needs its rationale: it is published on the distribution's page.",
            ));
        }
        let now = self.now();
        let cpan = self.cpan.clone();
        let tx = self.store.index_transaction()?;
        let request = tx
            .adoption(id)?
            .ok_or_else(|| RepositoryError::NotFound(format!("no adoption request {id}")))?;
        if request.state != "pending" {
            return Err(refused(
                RefusalKind::Conflict,
                format!("Adoption request {id} was {} already.", request.state),
            ));
        }
        let mut plans = Vec::new();
        let mut skipped = Vec::new();
        if grant {
            let packages =
                subject_packages(&tx, &cpan, &Subject::Distribution(request.dist.clone()))?;
            for package in &packages {
                let (canonical, holders) = holders_in(&tx, package)?;
                match rules::adoption_steps(&holders, &request.userid) {
                    Some(steps) => plans.push((canonical, holders, steps)),
                    None => skipped.push(Skipped {
                        package: canonical,
                        reason: format!(
                            "not up for adoption any more (owned by {})",
                            holders.owner.as_deref().unwrap_or("nobody")
                        ),
                    }),
                }
            }
            if plans.is_empty() {
                return Err(RepositoryError::PermissionRefused(PermRefusal {
                    kind: RefusalKind::Conflict,
                    message: format!("{} is no longer up for adoption.", request.dist),
                    skipped,
                }));
            }
        }
        tx.decide_adoption(id, grant, &actor.userid, rationale, now)?;
        let changes = apply_plans(&tx, &plans)?;
        let mut operation = PermOperationRecord {
            id: 0,
            at: now,
            actor: actor.userid.clone(),
            on_behalf_of: None,
            interface: interface.as_str().into(),
            operation: if grant {
                "adoption"
            } else {
                "adoption-refused"
            }
            .into(),
            scope: "distribution".into(),
            subject: request.dist.clone(),
            argument: Some(request.userid.clone()),
            reason: Some(rationale.to_string()),
            skipped: serde_json::to_string(&skipped).unwrap_or_else(|_| "[]".into()),
        };
        operation.id = tx.record_perm_operation(&operation, &changes)?;
        let decided = tx.adoption(id)?;
        tx.commit()?;
        if !changes.is_empty() {
            self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        }
        let mut outcome = PermOutcome {
            operation,
            changes,
            skipped,
            offer: None,
            adoption: decided,
            mail_error: None,
        };
        outcome.mail_error = self.mail_outcome(&outcome, Some(&request.userid));
        Ok(outcome)
    }

    /// Mails the operation to the authors concerned (once, all of them together) and the
    /// administrators' copy; the error's text when the relay failed.
    fn mail_outcome(&self, outcome: &PermOutcome, target: Option<&str>) -> Option<String> {
        let mail = self.mail.as_ref()?;
        let operation = &outcome.operation;
        let mut ids: BTreeSet<String> = BTreeSet::new();
        ids.insert(operation.actor.clone());
        ids.extend(operation.on_behalf_of.clone());
        ids.extend(target.map(str::to_string));
        if let Some(offer) = &outcome.offer {
            ids.insert(offer.from_userid.clone());
            ids.insert(offer.to_userid.clone());
        }
        for change in &outcome.changes {
            ids.extend(change.before.clone());
            ids.extend(change.after.clone());
        }
        let reader = self.store.reader();
        let mut recipients: Vec<String> = Vec::new();
        for id in ids.iter().filter(|id| !rules::is_special(id)) {
            // Only real addresses: cpan.org forwarding ended in 2026.
            if let Ok(Some(author)) = reader.author(id) {
                recipients.extend(author.email);
            }
        }
        recipients.extend(mail.admin.clone());
        recipients.sort();
        recipients.dedup();
        if recipients.is_empty() {
            return None;
        }
        let subject = format!(
            "Permissions: {} on {} {}",
            operation.operation, operation.scope, operation.subject
        );
        mail.send(&recipients, &subject, &render_mail(outcome))
            .err()
            .map(|error| {
                tracing::warn!(%error, "permission mail not sent");
                error.to_string()
            })
    }
}

/// Who holds `package` (any case) in `store`; `None` when nobody holds it and it is not
/// indexed.
pub fn package_permissions(
    store: &riverpan_store::Store,
    package: &str,
) -> Result<Option<PackagePermissions>, RepositoryError> {
    let reader = store.reader();
    let (canonical, holders) = holders_in(&reader, package)?;
    let indexed = !reader
        .packages_named(&[package.to_lowercase()].into())?
        .is_empty();
    if holders.is_empty() && !indexed {
        return Ok(None);
    }
    let dist = reader.dist_of_package(&canonical)?;
    Ok(Some(PackagePermissions::from_holders(
        &canonical, dist, &holders,
    )))
}

/// Who holds each package of `dist` in `store` (see [`Subject::Distribution`]); empty when
/// riverpan knows no such distribution.
pub fn dist_permissions(
    store: &riverpan_store::Store,
    dist: &str,
) -> Result<Vec<PackagePermissions>, RepositoryError> {
    let reader = store.reader();
    let cpan = store.data_dir().join("cpan");
    let packages = dist_packages(&reader, &cpan, dist)?;
    let mut out = Vec::with_capacity(packages.len());
    for package in packages {
        let (canonical, holders) = holders_in(&reader, &package)?;
        out.push(PackagePermissions::from_holders(
            &canonical,
            Some(dist.to_string()),
            &holders,
        ));
    }
    Ok(out)
}

/// The packages an operation on `subject` considers; `NotFound` when there are none.
fn subject_packages(
    tx: &impl PermReads,
    cpan: &std::path::Path,
    subject: &Subject,
) -> Result<Vec<String>, RepositoryError> {
    match subject {
        Subject::Package(package) => {
            let (_, holders) = holders_in(tx, package)?;
            let indexed = !tx
                .packages_named(&[package.to_lowercase()].into())?
                .is_empty();
            if holders.is_empty() && !indexed {
                return Err(RepositoryError::NotFound(format!(
                    "no package {package}: nobody holds permissions on it"
                )));
            }
            Ok(vec![package.clone()])
        }
        Subject::Distribution(dist) => {
            let packages = dist_packages(tx, cpan, dist)?;
            if packages.is_empty() {
                return Err(RepositoryError::NotFound(format!(
                    "no distribution {dist}: no package of it is indexed or held"
                )));
            }
            Ok(packages)
        }
    }
}

/// Every package of distribution `dist` (one per lower-case name): those the index points at a
/// release of it, the package the dist-name rule requires when someone holds it, and the
/// packages of its latest upload (indexed or not, pause#362).
fn dist_packages(
    tx: &impl PermReads,
    cpan: &std::path::Path,
    dist: &str,
) -> Result<Vec<String>, RepositoryError> {
    let mut by_lc: BTreeMap<String, String> = BTreeMap::new();
    for package in tx.indexed_packages_of_dist(dist)? {
        by_lc.entry(package.to_lowercase()).or_insert(package);
    }
    let latest = tx
        .uploads_named_like(&format!("{dist}-"))?
        .into_iter()
        .find(|(_, path)| cpan_distname::DistnameInfo::new(path).dist() == Some(dist));
    let known = !by_lc.is_empty() || latest.is_some();
    let main = dist.replace('-', "::");
    let mut candidates = vec![main];
    if let Some((_, path)) = latest {
        let file = cpan.join("authors/id").join(&path);
        // An archive that cannot be read adds nothing: its packages were never indexed.
        if let Ok(inspection) =
            riverpan_inspect::inspect_file(&file, &cpan_archive::Limits::default())
        {
            candidates.extend(
                inspection
                    .found_packages()
                    .into_iter()
                    .map(|(package, _)| package.to_string()),
            );
        }
    }
    for package in candidates {
        let lc = package.to_lowercase();
        if by_lc.contains_key(&lc) {
            continue;
        }
        let (canonical, holders) = holders_in(tx, &package)?;
        if !holders.is_empty() || known {
            by_lc.insert(lc, canonical);
        }
    }
    Ok(by_lc.into_values().collect())
}

/// Applies each package's steps (through the indexer's state, as `riverpan perms grant` does,
/// and recorded for rebuilds) and returns the changes for the log.
fn apply_plans(
    tx: &IndexTransaction<'_>,
    plans: &[(String, Holders, Vec<Step>)],
) -> Result<Vec<PermChangeRecord>, RepositoryError> {
    let mut changes = Vec::new();
    if plans.is_empty() {
        return Ok(changes);
    }
    tx.bump_generation()?;
    for (package, _, steps) in plans {
        let names: BTreeSet<String> = [package.to_lowercase()].into();
        let dist = tx.dist_of_package(package)?;
        let mut state = load_state(tx, &names)?;
        for step in steps {
            let (userid, action, change) = match step {
                Step::SetOwner { from, to } => {
                    state.grant(package, to, true);
                    (to, "first-come", ("owner", from.clone(), Some(to.clone())))
                }
                Step::AddRow(userid) => {
                    state.grant(package, userid, false);
                    (
                        userid,
                        "co-maint",
                        ("co-maintainer", None, Some(userid.clone())),
                    )
                }
                Step::RemoveRow(userid) => {
                    state.revoke(package, userid);
                    (
                        userid,
                        "revoke",
                        ("co-maintainer", Some(userid.clone()), None),
                    )
                }
            };
            tx.record_admin_grant(package, userid, action)?;
            changes.push(PermChangeRecord {
                package: package.clone(),
                dist: dist.clone(),
                role: change.0.into(),
                before: change.1,
                after: change.2,
            });
        }
        crate::apply_changes(tx, state.take_changes())?;
    }
    Ok(changes)
}

/// The refusal of an operation that changed nothing: for one package its reason; for a
/// distribution the strongest kind (a conflict over a prohibition: the actor may act, but
/// nothing was left to do) with every package's reason.
fn refusal_of_all(
    subject: &Subject,
    refusals: Vec<Refusal>,
    skipped: Vec<Skipped>,
) -> RepositoryError {
    let only_forbidden =
        !refusals.is_empty() && refusals.iter().all(|r| r.kind == RefusalKind::Forbidden);
    let kind = if only_forbidden {
        RefusalKind::Forbidden
    } else if let [only] = refusals.as_slice() {
        only.kind
    } else {
        RefusalKind::Conflict
    };
    let message = match (subject, refusals.as_slice()) {
        (Subject::Package(_), [only]) => only.message.clone(),
        (Subject::Distribution(dist), _) => {
            let reasons: Vec<String> = skipped
                .iter()
                .map(|s| format!("{}: {}", s.package, s.reason))
                .collect();
            format!("Nothing done on {dist}. {}", reasons.join(" "))
        }
        (Subject::Package(package), _) => format!("Nothing done on {package}."),
    };
    RepositoryError::PermissionRefused(PermRefusal {
        kind,
        message,
        skipped,
    })
}

fn operation_name(
    action: &Action,
    actor: &Actor,
    plans: &[(String, Holders, Vec<Step>)],
) -> &'static str {
    match action {
        Action::AddComaint(_) => "add-comaint",
        Action::RemoveComaint(userid) => {
            let own = plans
                .iter()
                .any(|(_, holders, _)| actor.effective(holders) == userid);
            if own {
                "give-up-comaint"
            } else {
                "remove-comaint"
            }
        }
        Action::Transfer(_) => "transfer",
        Action::GiveUp => {
            let owner_gave_up = plans
                .iter()
                .flat_map(|(_, _, steps)| steps)
                .any(|step| matches!(step, Step::SetOwner { .. }));
            if owner_gave_up {
                "give-up"
            } else {
                "give-up-comaint"
            }
        }
        Action::Mark(_) => "marker",
    }
}

fn argument_of(action: &Action) -> Option<String> {
    match action {
        Action::AddComaint(userid) | Action::RemoveComaint(userid) | Action::Transfer(userid) => {
            Some(userid.clone())
        }
        Action::GiveUp => None,
        Action::Mark(marker) => Some(marker.userid().to_string()),
    }
}

/// One change in words: "Foo::Bar: owner NEILB → ADOPTME".
pub fn describe_change(change: &PermChangeRecord) -> String {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => {
            format!("{}: {} {before} → {after}", change.package, change.role)
        }
        (None, Some(after)) => format!("{}: {after} added as {}", change.package, change.role),
        (Some(before), None) => format!("{}: {before} removed as {}", change.package, change.role),
        (None, None) => format!("{}: {} unchanged", change.package, change.role),
    }
}

/// The mail body of an operation.
fn render_mail(outcome: &PermOutcome) -> String {
    let operation = &outcome.operation;
    let mut text = format!(
        "{} ({}) on {} {}",
        operation.operation, operation.interface, operation.scope, operation.subject
    );
    if let Some(argument) = &operation.argument {
        text.push_str(&format!(": {argument}"));
    }
    text.push_str(&format!("\nby {}", operation.actor));
    if let Some(on_behalf_of) = &operation.on_behalf_of {
        text.push_str(&format!(" for {on_behalf_of}"));
    }
    text.push('\n');
    if let Some(reason) = &operation.reason {
        text.push_str(&format!("reason: {reason}\n"));
    }
    if let Some(offer) = &outcome.offer {
        if offer.state == "pending" {
            text.push_str(&format!(
                "\n{} offers ownership to {}. The offer waits for {} to accept it \
                 (POST /api/v1/transfers/{}/accept, or on the web) and lapses after 30 days.\n",
                offer.from_userid, offer.to_userid, offer.to_userid, offer.id
            ));
        }
    }
    if let Some(adoption) = &outcome.adoption {
        text.push_str(&format!(
            "\nAdoption request {} by {} for {} ({}; {} direct and {} total downriver \
             dependents): {}\n",
            adoption.id,
            adoption.userid,
            adoption.dist,
            adoption.held_by,
            adoption.immediate,
            adoption.total,
            adoption.state
        ));
        if let Some(rationale) = &adoption.rationale {
            text.push_str(&format!("rationale: {rationale}\n"));
        }
    }
    if !outcome.changes.is_empty() {
        text.push_str("\nchanges:\n");
        for change in &outcome.changes {
            text.push_str(&format!("  {}\n", describe_change(change)));
        }
    }
    if !outcome.skipped.is_empty() {
        text.push_str("\nleft alone:\n");
        for skipped in &outcome.skipped {
            text.push_str(&format!("  {}: {}\n", skipped.package, skipped.reason));
        }
    }
    text
}
