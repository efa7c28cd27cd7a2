//! The author life-cycle (`perms.md` §4; Lancaster consensus): requests for a PAUSE id and
//! their approval or rejection, account states (`active`, `nologin`), deleting an id that never
//! uploaded, and the report of inactive unused ids with its reminder and reclamation.
//!
//! The checks of a request are pure functions ([`check_id_request`], [`spam_reason`]) so that
//! they are tested with plain values; the limits and the queue need the store.
//!
//! Rules that never bend: an id that ever uploaded is never deleted (its files stay on BackPAN
//! under that id); an id holding permissions is not deleted either (06perms would change behind
//! its owners' backs); no id is reclaimed without a reminder first, and a sign-in after the
//! reminder keeps it.

use std::collections::BTreeSet;
use std::time::Duration;

use riverpan_store::{AuthorRecord, IdActivityRecord, IdRequestRecord};

use crate::{publish, Repository, RepositoryError};

/// Who decides automatic approvals, as recorded in `decided_by` (PAUSE writes `RECAPTCHA`).
pub const AUTO_APPROVER: &str = "AUTO";

/// Ids a request may not take: PAUSE's special ids, and riverpan's default administrator.
const RESERVED_IDS: &[&str] = &[
    "ADOPTME", "HANDOFF", "NEEDHELP", "NOXFER", "ADMIN", "LOCAL", "CPAN", "PAUSE",
];

/// Limits and automation of the id request queue (config `[registration]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Requests accepted from one e-mail address per 24 hours.
    pub per_email_per_day: i64,
    /// Requests accepted from one client address per 24 hours.
    pub per_client_per_day: i64,
    /// Requests accepted in all per 24 hours.
    pub per_day: i64,
    /// Approve requests without an administrator (Lancaster: "with appropriate protections").
    pub auto_approve: bool,
    /// At most this many automatic approvals per 24 hours; the rest wait for an administrator.
    pub auto_approve_daily_cap: i64,
}

impl Default for RegistrationPolicy {
    fn default() -> RegistrationPolicy {
        RegistrationPolicy {
            per_email_per_day: 2,
            per_client_per_day: 5,
            per_day: 50,
            auto_approve: false,
            // PAUSE's RECAPTCHA_DAILY_LIMIT is 100; a private CPAN needs far fewer.
            auto_approve_daily_cap: 10,
        }
    }
}

/// What the public form carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdRequestForm {
    /// The id wanted (upper-cased by the checks).
    pub userid: String,
    /// The requester's full name.
    pub fullname: String,
    /// Where the decision is mailed.
    pub email: String,
    /// An optional web page.
    pub homepage: String,
    /// Why they want an id.
    pub rationale: String,
    /// The client's address (for the per-address limit).
    pub client_ip: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdRequestRefusal {
    /// A field is wrong (each problem a sentence).
    #[error("{}", .0.join(" "))]
    Invalid(Vec<String>),
    /// The id exists, is reserved, or is requested already.
    #[error("{0}")]
    Taken(String),
    /// Over a limit per address or per day.
    #[error("{0}")]
    TooMany(String),
    /// The spam checks matched.
    #[error("the request looks like spam ({0}); if it is not, write to the administrators")]
    Spam(String),
}

/// Checks an id as PAUSE's request form does: `^[A-Z]{3,9}$` after upper-casing.
pub fn check_requested_userid(userid: &str) -> Result<String, String> {
    let userid = userid.trim().to_ascii_uppercase();
    if (3..=9).contains(&userid.len()) && userid.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(userid)
    } else {
        Err(format!(
            "The id {userid:?} is not 3 to 9 letters A-Z (as PAUSE asks of new ids)."
        ))
    }
}

/// Whether `address` is a plausible `local@domain.tld` address (an addr-spec without quoting
/// or comments: what a person types into a form).
pub fn is_plausible_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// How many URLs a text carries.
fn url_count(text: &str) -> usize {
    let lower = text.to_ascii_lowercase();
    lower.matches("http://").count() + lower.matches("https://").count()
}

/// Checks the fields of a request as PAUSE's `request_id` does (a name with a space, an
/// e-mail address, a reason of 10 characters or more without links, the id's syntax), with
/// length limits PAUSE leaves to its database. Returns the form cleaned (trimmed, id upper-case)
/// or every problem found.
pub fn check_id_request(form: &IdRequestForm) -> Result<IdRequestForm, Vec<String>> {
    let mut problems = Vec::new();
    let cleaned = IdRequestForm {
        userid: form.userid.trim().to_ascii_uppercase(),
        fullname: form.fullname.trim().to_string(),
        email: form.email.trim().to_string(),
        homepage: form.homepage.trim().to_string(),
        rationale: form.rationale.trim().to_string(),
        client_ip: form.client_ip.clone(),
    };
    if let Err(problem) = check_requested_userid(&cleaned.userid) {
        problems.push(problem);
    }
    let has_control = |text: &str| text.chars().any(char::is_control);
    if !cleaned.fullname.contains(' ')
        || cleaned.fullname.chars().count() > 100
        || has_control(&cleaned.fullname)
    {
        problems.push(
            "Please give your full name (first and last name, at most 100 characters).".into(),
        );
    }
    if cleaned.email.len() > 254 || !is_plausible_email(&cleaned.email) {
        problems.push("Please give an e-mail address like name@example.org.".into());
    }
    if !cleaned.homepage.is_empty()
        && (cleaned.homepage.len() > 200
            || has_control(&cleaned.homepage)
            || !(cleaned.homepage.starts_with("https://")
                || cleaned.homepage.starts_with("http://")))
    {
        problems.push(
            "The homepage must be an http:// or https:// address of at most 200 characters.".into(),
        );
    }
    let rationale_chars = cleaned.rationale.chars().count();
    if rationale_chars < 10 {
        problems.push(
            "Please say in a sentence or two what you plan to contribute (10 characters or more)."
                .into(),
        );
    } else if rationale_chars > 2000 {
        problems.push("Please keep the reason under 2000 characters.".into());
    }
    if cleaned.rationale.to_ascii_lowercase().contains("<a href")
        || url_count(&cleaned.rationale) > 1
    {
        problems.push("The reason may contain at most one URL, and no HTML links.".into());
    }
    if problems.is_empty() {
        Ok(cleaned)
    } else {
        Err(problems)
    }
}

/// PAUSE's spam heuristics over a (checked) request: the name equal to the id, five or more
/// `.info` or `http://` in the reason, "interesting" with a `.cn/….htm` homepage. The reason
/// names the rule matched.
pub fn spam_reason(form: &IdRequestForm) -> Option<&'static str> {
    if form.fullname.eq_ignore_ascii_case(&form.userid)
        || form
            .fullname
            .replace(' ', "")
            .eq_ignore_ascii_case(&form.userid)
    {
        return Some("the name is the id");
    }
    let rationale = form.rationale.to_ascii_lowercase();
    if rationale.matches(".info").count() >= 5 || rationale.matches("http://").count() >= 5 {
        return Some("too many links");
    }
    let homepage = form.homepage.to_ascii_lowercase();
    if rationale.contains("interesting") && homepage.contains(".cn/") && homepage.ends_with(".htm")
    {
        return Some("a known spam pattern");
    }
    None
}

/// The outcome of approving a request.
#[derive(Debug, Clone)]
pub struct ApprovedId {
    /// The request, now approved.
    pub request: IdRequestRecord,
    /// Whether the welcome mail (with the one-time password) reached the relay.
    pub mailed: bool,
}

/// An id in the report of inactive unused ids.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InactiveId {
    /// The PAUSE id.
    pub userid: String,
    /// When it was registered.
    pub created_at: i64,
    /// Its last sign-in, token use or creation.
    pub last_activity_at: i64,
    /// Where the reminder goes (`None`: no address known, so never reminded nor reclaimed).
    pub email: Option<String>,
    /// When the reminder was sent, if it was sent after the last activity.
    pub warned_at: Option<i64>,
    /// From when it may be reclaimed (reminder + grace period), if reminded.
    pub reclaimable_from: Option<i64>,
}

/// How the inactive-id report is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InactivityRule {
    /// An id is inactive after this long without a sign-in.
    pub inactive_for: Duration,
    /// How long after the reminder an id may be reclaimed.
    pub grace: Duration,
}

impl Default for InactivityRule {
    fn default() -> InactivityRule {
        InactivityRule {
            inactive_for: Duration::from_secs(2 * 365 * 86_400),
            grace: Duration::from_secs(30 * 86_400),
        }
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Whether an id is inactive and unused at `now` under `rule` (pure): never uploaded, holds no
/// permission, not an administrator, no activity for `rule.inactive_for`.
pub fn is_inactive_unused(activity: &IdActivityRecord, rule: &InactivityRule, now: i64) -> bool {
    !activity.is_admin
        && activity.uploads == 0
        && activity.permissions == 0
        && activity.last_activity_at <= now.saturating_sub(seconds(rule.inactive_for))
}

impl Repository {
    /// The mail relay, when one is configured.
    pub fn mail(&self) -> Option<&crate::MailConfig> {
        self.mail.as_ref()
    }

    /// Sends a mail when a relay is configured; failures are logged, not fatal (the change it
    /// reports is committed already). `true` when the relay accepted it.
    pub(crate) fn send_mail(&self, to: &[String], subject: &str, body: &str) -> bool {
        let Some(mail) = &self.mail else {
            return false;
        };
        if to.is_empty() {
            return false;
        }
        match mail.send(to, subject, body) {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, %subject, "mail not sent");
                false
            }
        }
    }

    /// The administrators' address, as a recipient list.
    fn admin_recipients(&self) -> Vec<String> {
        self.mail
            .as_ref()
            .and_then(|mail| mail.admin.clone())
            .into_iter()
            .collect()
    }

    /// Whether `userid` is taken: an author, an account, a reserved id, or a pending request.
    pub fn id_is_taken(&self, userid: &str) -> Result<bool, RepositoryError> {
        Ok(RESERVED_IDS.contains(&userid)
            || self.store.reader().author(userid)?.is_some()
            || self.store.account(userid)?.is_some()
            || self.store.id_request_pending_for(userid)?)
    }

    /// Checks and queues a request for a PAUSE id, and tells the administrators. Refusals are
    /// [`RepositoryError::IdRequest`]. The caller decides on automatic approval
    /// ([`Repository::may_auto_approve`]).
    pub fn submit_id_request(
        &self,
        form: &IdRequestForm,
        policy: &RegistrationPolicy,
    ) -> Result<IdRequestRecord, RepositoryError> {
        let refused = |refusal| Err(RepositoryError::IdRequest(refusal));
        let form = match check_id_request(form) {
            Ok(form) => form,
            Err(problems) => return refused(IdRequestRefusal::Invalid(problems)),
        };
        if let Some(reason) = spam_reason(&form) {
            tracing::info!(userid = %form.userid, client = %form.client_ip, reason, "id request refused as spam");
            return refused(IdRequestRefusal::Spam(reason.to_string()));
        }
        let now = self.now();
        let (all, by_email, by_client) =
            self.store
                .id_requests_since(now - 86_400, &form.email, &form.client_ip)?;
        if by_email >= policy.per_email_per_day || by_client >= policy.per_client_per_day {
            return refused(IdRequestRefusal::TooMany(
                "Too many requests from this address today: please wait a day, or write to the \
                 administrators."
                    .into(),
            ));
        }
        if all >= policy.per_day {
            return refused(IdRequestRefusal::TooMany(
                "This server takes no more id requests today: please try again tomorrow.".into(),
            ));
        }
        if self.id_is_taken(&form.userid)? {
            return refused(IdRequestRefusal::Taken(format!(
                "The id {} is taken (or requested already): please choose another.",
                form.userid
            )));
        }
        let mut record = IdRequestRecord {
            id: 0,
            userid: form.userid.clone(),
            fullname: form.fullname,
            email: form.email,
            homepage: form.homepage,
            rationale: form.rationale,
            client_ip: form.client_ip,
            requested_at: now,
            state: "pending".into(),
            decided_at: None,
            decided_by: None,
            decision_note: None,
        };
        record.id = match self.store.insert_id_request(&record) {
            Ok(id) => id,
            // Two forms for the same id at once: the unique index lets one through.
            Err(_) if self.store.id_request_pending_for(&record.userid)? => {
                return refused(IdRequestRefusal::Taken(format!(
                    "The id {} is requested already: please choose another.",
                    record.userid
                )))
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(id = record.id, userid = %record.userid, "id request queued");
        self.send_mail(
            &self.admin_recipients(),
            &format!("PAUSE ID request ({}; {})", record.userid, record.fullname),
            &format!(
                "Request {} for the id {}:\n\n  Name:     {}\n  E-mail:   {}\n  Homepage: {}\n\n{}\n\n\
                 Approve or reject it on /admin/id-requests, or with\n  riverpan ids approve {}\n  riverpan ids reject {} --note '...'\n",
                record.id,
                record.userid,
                record.fullname,
                record.email,
                if record.homepage.is_empty() { "-" } else { &record.homepage },
                record.rationale,
                record.id,
                record.id
            ),
        );
        Ok(record)
    }

    /// Whether a new request may be approved automatically now: automatic approval is on and
    /// fewer than its daily cap were approved so in the last 24 hours.
    pub fn may_auto_approve(&self, policy: &RegistrationPolicy) -> Result<bool, RepositoryError> {
        if !policy.auto_approve {
            return Ok(false);
        }
        let approved = self
            .store
            .id_requests_approved_by_since(AUTO_APPROVER, self.now() - 86_400)?;
        Ok(approved < policy.auto_approve_daily_cap)
    }

    /// Approves pending request `id` for `decided_by`: registers the author and creates its
    /// account with `password_hash` in one transaction, publishes 01mailrc/02authors, and mails
    /// the requester the one-time `password` (and the administrators a copy without it).
    pub fn approve_id_request(
        &mut self,
        id: i64,
        decided_by: &str,
        password: &str,
        password_hash: &str,
    ) -> Result<ApprovedId, RepositoryError> {
        let request = self.pending_request(id)?;
        let now = self.now();
        let tx = self.store.index_transaction()?;
        if tx.author(&request.userid)?.is_some() {
            return Err(RepositoryError::Conflict(format!(
                "the id {} was registered in the meantime: reject request {id}",
                request.userid
            )));
        }
        if !tx.decide_id_request(id, "approved", decided_by, None, now)? {
            return Err(RepositoryError::Conflict(format!(
                "request {id} was decided in the meantime"
            )));
        }
        // As PAUSE: the address given is the secret one (mailed, never published); the author
        // publishes an address of their choice later (`riverpan user add … --email`).
        tx.upsert_author(
            &AuthorRecord {
                userid: request.userid.clone(),
                fullname: request.fullname.clone(),
                email: None,
                pumpking: false,
            },
            now,
        )?;
        tx.set_secret_email(&request.userid, &request.email)?;
        tx.create_account(&request.userid, password_hash, now)?;
        tx.bump_generation()?;
        tx.bump_counter(publish::AUTHORS_COUNTER)?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        tracing::info!(id, userid = %request.userid, by = decided_by, "id request approved");
        let mailed = self.send_mail(
            std::slice::from_ref(&request.email),
            &format!("Welcome new user {}", request.userid),
            &format!(
                "Welcome {},\n\nyour PAUSE id {} on this riverpan is ready. Sign in with this one-time \
                 password and change it:\n\n    {}\n\nUpload with cpan-upload, or on the account page \
                 after signing in.\n",
                request.fullname, request.userid, password
            ),
        );
        self.send_mail(
            &self.admin_recipients(),
            &format!("Welcome new user {}", request.userid),
            &format!(
                "Request {id} for {} ({}) was approved by {decided_by}.\n",
                request.userid, request.fullname
            ),
        );
        let request = self.store.id_request(id)?.unwrap_or(request);
        Ok(ApprovedId { request, mailed })
    }

    /// Rejects pending request `id` with an optional `note` (mailed to the requester).
    pub fn reject_id_request(
        &mut self,
        id: i64,
        decided_by: &str,
        note: Option<&str>,
    ) -> Result<(IdRequestRecord, bool), RepositoryError> {
        let request = self.pending_request(id)?;
        let now = self.now();
        let tx = self.store.index_transaction()?;
        if !tx.decide_id_request(id, "rejected", decided_by, note, now)? {
            return Err(RepositoryError::Conflict(format!(
                "request {id} was decided in the meantime"
            )));
        }
        tx.commit()?;
        tracing::info!(id, userid = %request.userid, by = decided_by, "id request rejected");
        let mailed = self.send_mail(
            std::slice::from_ref(&request.email),
            &format!("Your PAUSE ID request ({})", request.userid),
            &format!(
                "Hello {},\n\nyour request for the id {} on this riverpan was not approved.\n{}\n\
                 If you think this is a mistake, answer the administrators.\n",
                request.fullname,
                request.userid,
                note.map(|note| format!("\nThe administrators wrote: {note}\n"))
                    .unwrap_or_default()
            ),
        );
        let request = self.store.id_request(id)?.unwrap_or(request);
        Ok((request, mailed))
    }

    fn pending_request(&self, id: i64) -> Result<IdRequestRecord, RepositoryError> {
        let request = self
            .store
            .id_request(id)?
            .ok_or_else(|| RepositoryError::NotFound(format!("no id request {id}")))?;
        if request.state != "pending" {
            return Err(RepositoryError::Conflict(format!(
                "request {id} for {} was {} already",
                request.userid, request.state
            )));
        }
        Ok(request)
    }

    /// Sets `userid`'s account state (`active` or `nologin`) for administrator `by`, ending its
    /// sessions on `nologin`, and tells the administrators as PAUSE does ("The ustatus of X has
    /// changed from A to B."). Returns the previous state.
    pub fn set_account_state(
        &self,
        userid: &str,
        state: &str,
        by: &str,
    ) -> Result<String, RepositoryError> {
        if state != "active" && state != "nologin" {
            return Err(RepositoryError::BadSetting(format!(
                "an account state is active or nologin, not {state:?}"
            )));
        }
        let before = self
            .store
            .account_state(userid)?
            .ok_or_else(|| RepositoryError::NotFound(format!("{userid} has no account")))?;
        self.store
            .set_account_state(userid, state, by, self.now())?;
        tracing::info!(%userid, from = %before.state, to = state, %by, "account state changed");
        if before.state != state {
            self.send_mail(
                &self.admin_recipients(),
                &format!("User status update for {userid}"),
                &format!(
                    "The ustatus of {userid} has changed from {} to {state} (by {by}).\n",
                    before.state
                ),
            );
        }
        Ok(before.state)
    }

    /// Why `userid` may not be deleted, if it may not: it uploaded (its files are on BackPAN
    /// under that id), it holds permissions, or it is an administrator.
    pub fn id_deletion_refusal(&self, userid: &str) -> Result<Option<String>, RepositoryError> {
        let uploads = self
            .store
            .uploads_ever(userid, &crate::author_dir(userid))?;
        if uploads > 0 {
            return Ok(Some(format!(
                "{userid} has uploaded {uploads} file(s): an id that ever uploaded is never deleted \
                 (its files stay on BackPAN under it)"
            )));
        }
        let permissions = self.store.permissions_held(userid)?;
        if permissions > 0 {
            return Ok(Some(format!(
                "{userid} holds {permissions} permission(s): give them up (or transfer them) first"
            )));
        }
        if self
            .store
            .account(userid)?
            .is_some_and(|account| account.is_admin)
        {
            return Ok(Some(format!(
                "{userid} is an administrator: take the administrator right away first"
            )));
        }
        Ok(None)
    }

    /// Deletes the id `userid` now (its owner's wish, or a reclamation), after
    /// [`Repository::id_deletion_refusal`] found nothing against it; the id becomes available
    /// again. Publishes 01mailrc/02authors.
    pub fn delete_id(
        &mut self,
        userid: &str,
        by: &str,
        reason: &str,
    ) -> Result<(), RepositoryError> {
        if self.store.reader().author(userid)?.is_none() && self.store.account(userid)?.is_none() {
            return Err(RepositoryError::NotFound(format!("no id {userid}")));
        }
        if let Some(refusal) = self.id_deletion_refusal(userid)? {
            return Err(RepositoryError::Conflict(refusal));
        }
        let now = self.now();
        let tx = self.store.index_transaction()?;
        tx.delete_id(userid, by, reason, now)?;
        tx.bump_generation()?;
        tx.bump_counter(publish::AUTHORS_COUNTER)?;
        tx.commit()?;
        self.publish_scoped(publish::ChecksumScope::Only(&BTreeSet::new()))?;
        tracing::info!(%userid, %by, %reason, "id deleted");
        Ok(())
    }

    /// The report of inactive unused ids at this moment (see [`is_inactive_unused`]).
    pub fn inactive_ids(&self, rule: &InactivityRule) -> Result<Vec<InactiveId>, RepositoryError> {
        let now = self.now();
        let mut out = Vec::new();
        for activity in self.store.id_activity()? {
            if !is_inactive_unused(&activity, rule, now) {
                continue;
            }
            let email = self.store.contact_email(&activity.userid)?;
            // A reminder sent before the last activity is void: the id was used since.
            let warned_at = activity
                .warned_at
                .filter(|warned| *warned >= activity.last_activity_at);
            out.push(InactiveId {
                userid: activity.userid,
                created_at: activity.created_at,
                last_activity_at: activity.last_activity_at,
                email,
                warned_at,
                reclaimable_from: warned_at
                    .map(|warned| warned.saturating_add(seconds(rule.grace))),
            });
        }
        Ok(out)
    }

    /// Sends the reminder ("sign in, or the id is deleted after …") to every inactive unused id
    /// with an address that was not reminded since its last activity. Returns the ids reminded.
    pub fn warn_inactive_ids(&self, rule: &InactivityRule) -> Result<Vec<String>, RepositoryError> {
        if self.mail.is_none() {
            return Err(RepositoryError::BadSetting(
                "no mail relay is configured ([mail] relay): reminders cannot be sent, so no id \
                 can be reclaimed"
                    .into(),
            ));
        }
        let now = self.now();
        let mut warned = Vec::new();
        for id in self.inactive_ids(rule)? {
            let (None, Some(email)) = (id.warned_at, &id.email) else {
                continue;
            };
            let days = rule.grace.as_secs() / 86_400;
            let sent = self.send_mail(
                std::slice::from_ref(email),
                &format!("Your PAUSE id {} is unused: please sign in", id.userid),
                &format!(
                    "Hello,\n\nthe PAUSE id {} on this riverpan has never uploaded anything and has not \
                     been used for a long time. Unused ids are deleted and made available again \
                     (Lancaster consensus, 2013).\n\nIf you want to keep it, sign in within {days} days; \
                     signing in is enough. Otherwise it may be deleted after that.\n",
                    id.userid
                ),
            );
            if sent {
                self.store.record_inactive_warning(&id.userid, now)?;
                warned.push(id.userid);
            }
        }
        Ok(warned)
    }

    /// Deletes the inactive unused ids whose reminder is older than the grace period (and that
    /// were not used since). With `dry_run`, only says which. Returns the ids (to be) deleted.
    pub fn reclaim_inactive_ids(
        &mut self,
        rule: &InactivityRule,
        by: &str,
        dry_run: bool,
    ) -> Result<Vec<String>, RepositoryError> {
        let now = self.now();
        let due: Vec<String> = self
            .inactive_ids(rule)?
            .into_iter()
            .filter(|id| id.reclaimable_from.is_some_and(|from| from <= now))
            .map(|id| id.userid)
            .collect();
        if !dry_run {
            for userid in &due {
                self.delete_id(
                    userid,
                    by,
                    "reclaimed: inactive and unused after a reminder",
                )?;
            }
        }
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> IdRequestForm {
        IdRequestForm {
            userid: "newbie".into(),
            fullname: "New Author".into(),
            email: "new@example.org".into(),
            homepage: String::new(),
            rationale: "I want to release Foo::Bar, a parser.".into(),
            client_ip: "192.0.2.1".into(),
        }
    }

    #[test]
    fn ids_follow_pause_syntax() {
        assert_eq!(check_requested_userid("neilb"), Ok("NEILB".into()));
        assert!(check_requested_userid("AB").is_err());
        assert!(check_requested_userid("ABCDEFGHIJ").is_err());
        assert!(check_requested_userid("NEIL-B").is_err());
        assert!(check_requested_userid("NEIL1").is_err());
    }

    #[test]
    fn requests_are_checked_like_pause() {
        let cleaned = check_id_request(&form()).expect("a good request");
        assert_eq!(cleaned.userid, "NEWBIE");
        let bad = IdRequestForm {
            fullname: "Newbie".into(),
            email: "not-an-address".into(),
            rationale: "short".into(),
            homepage: "javascript:alert(1)".into(),
            ..form()
        };
        let problems = check_id_request(&bad).expect_err("bad request");
        assert_eq!(problems.len(), 4, "{problems:?}");
        let links = IdRequestForm {
            rationale: "see http://a.example and https://b.example".into(),
            ..form()
        };
        assert!(check_id_request(&links).is_err());
        let html = IdRequestForm {
            rationale: "<a href='x'>cheap watches</a>".into(),
            ..form()
        };
        assert!(check_id_request(&html).is_err());
    }

    #[test]
    fn addresses_are_plausible_or_not() {
        assert!(is_plausible_email("a.b+c@example.org"));
        assert!(!is_plausible_email("a@localhost"));
        assert!(!is_plausible_email("a@@example.org"));
        assert!(!is_plausible_email("a b@example.org"));
        assert!(!is_plausible_email(".a@example.org"));
        assert!(!is_plausible_email("a@-x.org"));
    }

    #[test]
    fn pause_spam_heuristics() {
        assert_eq!(spam_reason(&form()), None);
        let named = IdRequestForm {
            fullname: "NEW BIE".into(),
            userid: "NEWBIE".into(),
            ..form()
        };
        assert_eq!(spam_reason(&named), Some("the name is the id"));
        let info = IdRequestForm {
            rationale: "a.info b.info c.info d.info e.info".into(),
            ..form()
        };
        assert_eq!(spam_reason(&info), Some("too many links"));
        let cn = IdRequestForm {
            rationale: "very interesting site".into(),
            homepage: "http://spam.cn/page.htm".into(),
            ..form()
        };
        assert_eq!(spam_reason(&cn), Some("a known spam pattern"));
    }

    #[test]
    fn inactivity_never_covers_uploaders_holders_or_admins() {
        let rule = InactivityRule {
            inactive_for: Duration::from_secs(100),
            grace: Duration::from_secs(10),
        };
        let quiet = IdActivityRecord {
            userid: "QUIET".into(),
            created_at: 0,
            last_activity_at: 50,
            has_account: true,
            is_admin: false,
            uploads: 0,
            permissions: 0,
            warned_at: None,
        };
        assert!(is_inactive_unused(&quiet, &rule, 150));
        assert!(!is_inactive_unused(&quiet, &rule, 149));
        for changed in [
            IdActivityRecord {
                uploads: 1,
                ..quiet.clone()
            },
            IdActivityRecord {
                permissions: 1,
                ..quiet.clone()
            },
            IdActivityRecord {
                is_admin: true,
                ..quiet.clone()
            },
        ] {
            assert!(!is_inactive_unused(&changed, &rule, 1_000_000));
        }
    }
}
