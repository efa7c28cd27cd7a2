//! Who may change which permission, as pure logic over plain values: no store, no clock, no
//! I/O. The caller loads who holds a package ([`Holders`]), asks [`decide`] what an operation
//! does to it, and applies the [`Step`]s it answers (or records the refusal).
//!
//! PAUSE's rules (`perms.md` §1.2): the owner (first-come) adds and removes co-maintainers,
//! transfers ownership and gives it up (to `ADOPTME`); a co-maintainer can only give up its own
//! co-maintenance; administrators may act as anyone. riverpan adds: a transfer by a non-admin is
//! an offer the recipient accepts within [`OFFER_LIFETIME`] (crates.io's invitations), the new
//! owner always gets a co-maintainer row too (pause#348), and the Berlin consensus' adoption
//! rule ([`adoption_path`]).

use std::collections::BTreeSet;

/// `ADOPTME` as owner: the package is up for adoption (PAUSE's "give up").
pub const ADOPTME: &str = "ADOPTME";
/// `HANDOFF` as co-maintainer: the owner wants someone else to take over.
pub const HANDOFF: &str = "HANDOFF";
/// `NEEDHELP` as co-maintainer: the owner looks for help but stays the owner.
pub const NEEDHELP: &str = "NEEDHELP";
/// The ids that mark a package rather than name a person; nobody signs in as them.
pub const SPECIAL_IDS: [&str; 3] = [ADOPTME, HANDOFF, NEEDHELP];
/// How long a transfer offer waits for its recipient (crates.io: 30 days).
pub const OFFER_LIFETIME: i64 = 30 * 86_400;

/// Whether `userid` is one of the [`SPECIAL_IDS`].
pub fn is_special(userid: &str) -> bool {
    SPECIAL_IDS.contains(&userid)
}

/// Who holds permissions on one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holders {
    /// The first-come owner (`primeur`), if any.
    pub owner: Option<String>,
    /// Every `perms` row's id (the owner normally has one too).
    pub rows: BTreeSet<String>,
}

impl Holders {
    /// Whether `userid` is a co-maintainer (a `perms` row, not the owner).
    pub fn is_comaint(&self, userid: &str) -> bool {
        self.rows.contains(userid) && self.owner.as_deref() != Some(userid)
    }

    /// Whether `userid` owns the package.
    pub fn is_owner(&self, userid: &str) -> bool {
        self.owner.as_deref() == Some(userid)
    }

    /// Whether nobody holds anything.
    pub fn is_empty(&self) -> bool {
        self.owner.is_none() && self.rows.is_empty()
    }
}

/// Who asks for an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in PAUSE id.
    pub userid: String,
    /// Administrators may act for anyone, and their transfers need no acceptance.
    pub is_admin: bool,
    /// The author an administrator acts for (`None`: themself, or the owner when the
    /// administrator is not a holder).
    pub for_userid: Option<String>,
}

impl Actor {
    /// An author acting for themself.
    pub fn author(userid: &str) -> Actor {
        Actor {
            userid: userid.to_string(),
            is_admin: false,
            for_userid: None,
        }
    }

    /// The id the operation is evaluated as on a package held by `holders`: the named author;
    /// for an administrator who names nobody and holds nothing, the owner.
    pub fn effective<'a>(&'a self, holders: &'a Holders) -> &'a str {
        if let Some(named) = &self.for_userid {
            return named;
        }
        if self.is_admin && !holders.rows.contains(&self.userid) && !holders.is_owner(&self.userid)
        {
            if let Some(owner) = &holders.owner {
                return owner;
            }
        }
        &self.userid
    }
}

/// The markers an owner sets on a package (stored as co-maintainer rows of those ids, as PAUSE
/// does, so that 06perms reads the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `HANDOFF`.
    Handoff,
    /// `NEEDHELP`.
    Needhelp,
}

impl Marker {
    /// The id the marker is stored as.
    pub fn userid(self) -> &'static str {
        match self {
            Marker::Handoff => HANDOFF,
            Marker::Needhelp => NEEDHELP,
        }
    }

    /// Parses `HANDOFF` or `NEEDHELP` (any case).
    pub fn parse(text: &str) -> Option<Marker> {
        match text.trim().to_ascii_uppercase().as_str() {
            HANDOFF => Some(Marker::Handoff),
            NEEDHELP => Some(Marker::Needhelp),
            _ => None,
        }
    }
}

/// What an operation asks for on one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Make `userid` a co-maintainer.
    AddComaint(String),
    /// Remove `userid`'s co-maintenance (by the owner, or by `userid` itself).
    RemoveComaint(String),
    /// Make `to` the owner.
    Transfer(String),
    /// The owner gives the package up to `ADOPTME`; a co-maintainer gives up its co-maintenance.
    GiveUp,
    /// Mark the package.
    Mark(Marker),
}

/// One change of a permission row, in the order it is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The owner changes (the `primeur` row).
    SetOwner {
        /// The previous owner.
        from: Option<String>,
        /// The new owner.
        to: String,
    },
    /// A `perms` row is added.
    AddRow(String),
    /// A `perms` row is removed.
    RemoveRow(String),
}

/// What an operation does to a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Apply these steps now.
    Apply(Vec<Step>),
    /// A transfer by the owner: it waits for the recipient to accept an offer from `from`.
    Offer {
        /// The owner offering.
        from: String,
    },
}

/// How a refusal is answered (HTTP 403, 409, 400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The actor may not do this.
    Forbidden,
    /// The state does not allow it (already done, not held, expired).
    Conflict,
    /// The request names something that cannot be a target.
    BadTarget,
}

/// Why an operation was refused, in words for the author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The kind.
    pub kind: RefusalKind,
    /// The message.
    pub message: String,
}

impl Refusal {
    fn forbidden(message: String) -> Refusal {
        Refusal {
            kind: RefusalKind::Forbidden,
            message,
        }
    }

    fn conflict(message: String) -> Refusal {
        Refusal {
            kind: RefusalKind::Conflict,
            message,
        }
    }

    fn bad_target(message: String) -> Refusal {
        Refusal {
            kind: RefusalKind::BadTarget,
            message,
        }
    }
}

/// What is known about the id an operation names as its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetStatus {
    /// No author of that id.
    Unknown,
    /// An author whose account may not sign in (`nologin`).
    NoLogin,
    /// An author who may sign in (or could, once given a password).
    Author,
    /// One of the [`SPECIAL_IDS`].
    Special,
}

/// Checks the id an operation names: unknown and `nologin` ids are refused (PAUSE only checks
/// that the id exists); marker ids only where a marker makes sense.
pub fn check_target(userid: &str, status: TargetStatus, action: &Action) -> Result<(), Refusal> {
    match status {
        TargetStatus::Unknown => Err(Refusal::bad_target(format!(
            "{userid} is not a valid userid: no author has that PAUSE id."
        ))),
        TargetStatus::NoLogin => Err(Refusal::bad_target(format!(
            "{userid} cannot log in (the account is set to nologin): it cannot be given \
             permissions."
        ))),
        TargetStatus::Author => Ok(()),
        TargetStatus::Special => match action {
            Action::AddComaint(_) | Action::RemoveComaint(_) | Action::Mark(_) => Ok(()),
            Action::Transfer(_) | Action::GiveUp => Err(Refusal::bad_target(format!(
                "{userid} is a marker, not an author: to put a package up for adoption, give \
                 it up; to look for a new owner, mark it HANDOFF."
            ))),
        },
    }
}

/// What `action` by `actor` does to `package`, held by `holders`.
pub fn decide(
    package: &str,
    action: &Action,
    actor: &Actor,
    holders: &Holders,
) -> Result<Decision, Refusal> {
    if let Some(named) = &actor.for_userid {
        if !actor.is_admin && named != &actor.userid {
            return Err(Refusal::forbidden(format!(
                "Only administrators may act for another author ({} is not one).",
                actor.userid
            )));
        }
    }
    let me = actor.effective(holders);
    let owner_text = holders.owner.as_deref().unwrap_or("nobody");
    let not_owner = || {
        Refusal::forbidden(format!(
            "{me} is not the owner of {package}: only its owner ({owner_text}) may do that."
        ))
    };
    match action {
        Action::AddComaint(userid) => {
            if !holders.is_owner(me) {
                return Err(not_owner());
            }
            if holders.is_owner(userid) {
                return Err(Refusal::conflict(format!("{userid} owns {package}.")));
            }
            if holders.rows.contains(userid) {
                return Err(Refusal::conflict(format!(
                    "{userid} was already a co-maintainer of {package}: skipping"
                )));
            }
            if userid == ADOPTME && !actor.is_admin {
                return Err(Refusal::forbidden(format!(
                    "Only an administrator may add {ADOPTME} as a co-maintainer (it says that the \
                     author is verified unresponsive); give {package} up instead."
                )));
            }
            Ok(Decision::Apply(vec![Step::AddRow(userid.clone())]))
        }
        Action::RemoveComaint(userid) => {
            if !holders.is_owner(me) && me != userid {
                return Err(not_owner());
            }
            if holders.is_owner(userid) {
                return Err(Refusal::conflict(format!(
                    "{userid} owns {package}: ownership is transferred or given up, not removed."
                )));
            }
            if !holders.rows.contains(userid) {
                return Err(Refusal::conflict(format!(
                    "{userid} is not a co-maintainer of {package}."
                )));
            }
            Ok(Decision::Apply(vec![Step::RemoveRow(userid.clone())]))
        }
        Action::Transfer(to) => {
            if holders.is_comaint(me) && !actor.is_admin {
                return Err(Refusal::forbidden(format!(
                    "{me} is a co-maintainer of {package}: only its owner ({owner_text}) may \
                     transfer ownership."
                )));
            }
            if !holders.is_owner(me) && !actor.is_admin {
                return Err(not_owner());
            }
            if holders.is_owner(to) {
                return Err(Refusal::conflict(format!("{to} already owns {package}.")));
            }
            if actor.is_admin {
                return Ok(Decision::Apply(change_owner(holders, to)));
            }
            Ok(Decision::Offer {
                from: me.to_string(),
            })
        }
        Action::GiveUp => {
            if holders.is_owner(me) {
                if me == ADOPTME {
                    return Err(Refusal::conflict(format!(
                        "{package} is already up for adoption."
                    )));
                }
                return Ok(Decision::Apply(change_owner(holders, ADOPTME)));
            }
            if holders.rows.contains(me) {
                return Ok(Decision::Apply(vec![Step::RemoveRow(me.to_string())]));
            }
            Err(Refusal::forbidden(format!(
                "{me} holds no permission on {package}."
            )))
        }
        Action::Mark(marker) => {
            if !holders.is_owner(me) {
                return Err(not_owner());
            }
            let id = marker.userid();
            if holders.rows.contains(id) {
                return Err(Refusal::conflict(format!(
                    "{package} is already marked {id}."
                )));
            }
            Ok(Decision::Apply(vec![Step::AddRow(id.to_string())]))
        }
    }
}

/// The steps that make `to` the owner: the owner row; a co-maintainer row for the new owner
/// (PAUSE gives none, the cause of pause#348); the previous owner stays a co-maintainer unless
/// it was a marker; and the `HANDOFF` and `ADOPTME` markers go, their purpose fulfilled.
pub fn change_owner(holders: &Holders, to: &str) -> Vec<Step> {
    let mut steps = vec![Step::SetOwner {
        from: holders.owner.clone(),
        to: to.to_string(),
    }];
    if !holders.rows.contains(to) {
        steps.push(Step::AddRow(to.to_string()));
    }
    if let Some(old) = &holders.owner {
        if !is_special(old) && !holders.rows.contains(old) {
            steps.push(Step::AddRow(old.clone()));
        }
    }
    for marker in [ADOPTME, HANDOFF] {
        if marker != to && holders.rows.contains(marker) {
            steps.push(Step::RemoveRow(marker.to_string()));
        }
    }
    steps
}

/// The state of an ownership offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferState {
    /// Waiting for the recipient.
    Pending,
    /// The recipient accepted; ownership moved.
    Accepted,
    /// Nobody accepted within [`OFFER_LIFETIME`].
    Expired,
    /// The owner made another offer of the same thing, or no longer owned it.
    Withdrawn,
}

impl OfferState {
    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<OfferState> {
        match text {
            "pending" => Some(OfferState::Pending),
            "accepted" => Some(OfferState::Accepted),
            "expired" => Some(OfferState::Expired),
            "withdrawn" => Some(OfferState::Withdrawn),
            _ => None,
        }
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferState::Pending => "pending",
            OfferState::Accepted => "accepted",
            OfferState::Expired => "expired",
            OfferState::Withdrawn => "withdrawn",
        }
    }
}

/// What accepting an offer leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Move ownership now.
    Accept,
    /// The offer lapsed: record it expired, and refuse.
    Expired(Refusal),
}

/// Whether `actor` may accept the offer to `to`, in `state`, lapsing at `expires_at`, at `now`.
pub fn accept_offer(
    state: OfferState,
    to: &str,
    expires_at: i64,
    now: i64,
    actor: &Actor,
) -> Result<Acceptance, Refusal> {
    if actor.userid != to && !actor.is_admin {
        return Err(Refusal::forbidden(format!(
            "This offer is for {to}; {} cannot accept it.",
            actor.userid
        )));
    }
    match state {
        OfferState::Pending if now >= expires_at => Ok(Acceptance::Expired(Refusal::conflict(
            "This offer has expired (offers lapse after 30 days): ask the owner for a new one."
                .to_string(),
        ))),
        OfferState::Pending => Ok(Acceptance::Accept),
        other => Err(Refusal::conflict(format!(
            "This offer was {} already.",
            other.as_str()
        ))),
    }
}

/// Why a distribution can be adopted: its owner gave it up, or it is marked.
pub fn adoption_marker(holders: &Holders) -> Option<&'static str> {
    if holders.is_owner(ADOPTME) {
        Some(ADOPTME)
    } else if holders.rows.contains(ADOPTME) {
        // ADOPTME as co-maintainer: a verified unresponsive owner (Lancaster consensus).
        Some(ADOPTME)
    } else if holders.rows.contains(HANDOFF) {
        Some(HANDOFF)
    } else if holders.rows.contains(NEEDHELP) {
        Some(NEEDHELP)
    } else {
        None
    }
}

/// What a repository does with an adoption request for a distribution without downriver
/// dependents (the setting `perms.adoption_without_dependents`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdoptionRule {
    /// The Berlin consensus' "first warm body": granted to the first author who asks.
    FirstCome,
    /// Every request waits for an administrator.
    Admin,
}

impl AdoptionRule {
    /// Parses `first-come` or `admin`.
    pub fn parse(text: &str) -> Option<AdoptionRule> {
        match text {
            "first-come" => Some(AdoptionRule::FirstCome),
            "admin" => Some(AdoptionRule::Admin),
            _ => None,
        }
    }

    /// The setting's text.
    pub fn as_str(self) -> &'static str {
        match self {
            AdoptionRule::FirstCome => "first-come",
            AdoptionRule::Admin => "admin",
        }
    }
}

/// How an adoption request proceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdoptionPath {
    /// Granted at once.
    Granted,
    /// An administrator decides (and publishes the rationale).
    NeedsAdmin,
}

/// The Berlin consensus (2015): a distribution with no known dependents may go to the first
/// author who asks; any other needs the administrators' judgement.
pub fn adoption_path(rule: AdoptionRule, downriver_dependents: u64) -> AdoptionPath {
    match (rule, downriver_dependents) {
        (AdoptionRule::FirstCome, 0) => AdoptionPath::Granted,
        _ => AdoptionPath::NeedsAdmin,
    }
}

/// The steps that give a package of an adopted distribution to `userid`: ownership when it is
/// up for adoption or marked `HANDOFF`, co-maintenance when marked `NEEDHELP` (its owner stays);
/// `None` when the package is not up for adoption or `userid` already has what it would get.
pub fn adoption_steps(holders: &Holders, userid: &str) -> Option<Vec<Step>> {
    match adoption_marker(holders)? {
        NEEDHELP => (!holders.rows.contains(userid) && !holders.is_owner(userid))
            .then(|| vec![Step::AddRow(userid.to_string())]),
        _ => (!holders.is_owner(userid)).then(|| change_owner(holders, userid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holders(owner: Option<&str>, rows: &[&str]) -> Holders {
        Holders {
            owner: owner.map(str::to_string),
            rows: rows.iter().map(|id| id.to_string()).collect(),
        }
    }

    fn admin(for_userid: Option<&str>) -> Actor {
        Actor {
            userid: "ADMIN".into(),
            is_admin: true,
            for_userid: for_userid.map(str::to_string),
        }
    }

    fn refusal_kind(result: Result<Decision, Refusal>) -> RefusalKind {
        match result {
            Err(refusal) => refusal.kind,
            Ok(decision) => panic!("expected a refusal, got {decision:?}"),
        }
    }

    #[test]
    fn the_owner_adds_and_removes_comaints() {
        let foo = holders(Some("OWNER"), &["OWNER", "HELPER"]);
        let owner = Actor::author("OWNER");
        assert_eq!(
            decide("Foo", &Action::AddComaint("NEW".into()), &owner, &foo),
            Ok(Decision::Apply(vec![Step::AddRow("NEW".into())]))
        );
        assert_eq!(
            decide("Foo", &Action::RemoveComaint("HELPER".into()), &owner, &foo),
            Ok(Decision::Apply(vec![Step::RemoveRow("HELPER".into())]))
        );
        let again = decide("Foo", &Action::AddComaint("HELPER".into()), &owner, &foo);
        assert_eq!(refusal_kind(again), RefusalKind::Conflict);
        let not_there = decide("Foo", &Action::RemoveComaint("NOBODY".into()), &owner, &foo);
        assert_eq!(refusal_kind(not_there), RefusalKind::Conflict);
        let the_owner = decide("Foo", &Action::RemoveComaint("OWNER".into()), &owner, &foo);
        assert_eq!(refusal_kind(the_owner), RefusalKind::Conflict);
    }

    #[test]
    fn others_and_comaints_may_not_manage() {
        let foo = holders(Some("OWNER"), &["OWNER", "HELPER"]);
        for who in ["HELPER", "STRANGER"] {
            let actor = Actor::author(who);
            for action in [
                Action::AddComaint("NEW".into()),
                Action::RemoveComaint("OWNER".into()),
                Action::Mark(Marker::Handoff),
                Action::Transfer("NEW".into()),
            ] {
                let result = decide("Foo", &action, &actor, &foo);
                assert!(
                    matches!(
                        result,
                        Err(Refusal {
                            kind: RefusalKind::Forbidden,
                            ..
                        }) | Err(Refusal {
                            kind: RefusalKind::Conflict,
                            ..
                        })
                    ),
                    "{who} {action:?}: {result:?}"
                );
            }
        }
        let transfer = decide(
            "Foo",
            &Action::Transfer("NEW".into()),
            &Actor::author("HELPER"),
            &foo,
        );
        let Err(refusal) = transfer else {
            panic!("a co-maintainer transferred")
        };
        assert_eq!(refusal.kind, RefusalKind::Forbidden);
        assert!(
            refusal.message.contains("co-maintainer"),
            "{}",
            refusal.message
        );
        let pretend = Actor {
            userid: "STRANGER".into(),
            is_admin: false,
            for_userid: Some("OWNER".into()),
        };
        let result = decide("Foo", &Action::AddComaint("X".into()), &pretend, &foo);
        assert_eq!(refusal_kind(result), RefusalKind::Forbidden);
    }

    #[test]
    fn a_comaint_gives_up_its_own_comaintenance_only() {
        let foo = holders(Some("OWNER"), &["OWNER", "HELPER", "OTHER"]);
        let helper = Actor::author("HELPER");
        assert_eq!(
            decide("Foo", &Action::GiveUp, &helper, &foo),
            Ok(Decision::Apply(vec![Step::RemoveRow("HELPER".into())]))
        );
        assert_eq!(
            decide(
                "Foo",
                &Action::RemoveComaint("HELPER".into()),
                &helper,
                &foo
            ),
            Ok(Decision::Apply(vec![Step::RemoveRow("HELPER".into())]))
        );
        let other = decide("Foo", &Action::RemoveComaint("OTHER".into()), &helper, &foo);
        assert_eq!(refusal_kind(other), RefusalKind::Forbidden);
        let stranger = decide("Foo", &Action::GiveUp, &Actor::author("NOBODY"), &foo);
        assert_eq!(refusal_kind(stranger), RefusalKind::Forbidden);
    }

    #[test]
    fn giving_up_goes_to_adoptme_and_keeps_the_owner_as_comaint() {
        let primeur_only = holders(Some("OWNER"), &["HANDOFF"]);
        assert_eq!(
            decide(
                "Foo",
                &Action::GiveUp,
                &Actor::author("OWNER"),
                &primeur_only
            ),
            Ok(Decision::Apply(vec![
                Step::SetOwner {
                    from: Some("OWNER".into()),
                    to: ADOPTME.into()
                },
                Step::AddRow(ADOPTME.into()),
                Step::AddRow("OWNER".into()),
                Step::RemoveRow(HANDOFF.into()),
            ]))
        );
    }

    #[test]
    fn transfers_are_offers_unless_an_admin_makes_them() {
        let foo = holders(Some("OWNER"), &["OWNER", "HANDOFF"]);
        assert_eq!(
            decide(
                "Foo",
                &Action::Transfer("NEW".into()),
                &Actor::author("OWNER"),
                &foo
            ),
            Ok(Decision::Offer {
                from: "OWNER".into()
            })
        );
        let steps = vec![
            Step::SetOwner {
                from: Some("OWNER".into()),
                to: "NEW".into(),
            },
            Step::AddRow("NEW".into()),
            Step::RemoveRow(HANDOFF.into()),
        ];
        assert_eq!(
            decide("Foo", &Action::Transfer("NEW".into()), &admin(None), &foo),
            Ok(Decision::Apply(steps))
        );
        let to_self = decide(
            "Foo",
            &Action::Transfer("OWNER".into()),
            &Actor::author("OWNER"),
            &foo,
        );
        assert_eq!(refusal_kind(to_self), RefusalKind::Conflict);
    }

    #[test]
    fn admins_act_as_the_owner_or_as_whom_they_name() {
        let foo = holders(Some("OWNER"), &["OWNER", "HELPER"]);
        assert_eq!(admin(None).effective(&foo), "OWNER");
        assert_eq!(admin(Some("HELPER")).effective(&foo), "HELPER");
        assert_eq!(
            decide("Foo", &Action::GiveUp, &admin(Some("HELPER")), &foo),
            Ok(Decision::Apply(vec![Step::RemoveRow("HELPER".into())]))
        );
        assert!(matches!(
            decide(
                "Foo",
                &Action::AddComaint(ADOPTME.into()),
                &admin(None),
                &foo
            ),
            Ok(Decision::Apply(_))
        ));
        let author_adoptme = decide(
            "Foo",
            &Action::AddComaint(ADOPTME.into()),
            &Actor::author("OWNER"),
            &foo,
        );
        assert_eq!(refusal_kind(author_adoptme), RefusalKind::Forbidden);
    }

    #[test]
    fn markers_are_comaint_rows() {
        let foo = holders(Some("OWNER"), &["OWNER"]);
        let owner = Actor::author("OWNER");
        assert_eq!(
            decide("Foo", &Action::Mark(Marker::Needhelp), &owner, &foo),
            Ok(Decision::Apply(vec![Step::AddRow(NEEDHELP.into())]))
        );
        let marked = holders(Some("OWNER"), &["OWNER", "NEEDHELP"]);
        let twice = decide("Foo", &Action::Mark(Marker::Needhelp), &owner, &marked);
        assert_eq!(refusal_kind(twice), RefusalKind::Conflict);
        assert_eq!(Marker::parse("handoff"), Some(Marker::Handoff));
        assert_eq!(Marker::parse("ADOPTME"), None);
    }

    #[test]
    fn targets_are_checked() {
        let add = Action::AddComaint("X".into());
        assert!(check_target("X", TargetStatus::Author, &add).is_ok());
        for status in [TargetStatus::Unknown, TargetStatus::NoLogin] {
            let refusal = check_target("X", status, &add).expect_err("refused");
            assert_eq!(refusal.kind, RefusalKind::BadTarget);
        }
        assert!(check_target("HANDOFF", TargetStatus::Special, &add).is_ok());
        let transfer = Action::Transfer("ADOPTME".into());
        assert!(check_target("ADOPTME", TargetStatus::Special, &transfer).is_err());
    }

    #[test]
    fn offers_are_accepted_by_their_recipient_before_they_expire() {
        let new = Actor::author("NEW");
        assert_eq!(
            accept_offer(OfferState::Pending, "NEW", 100, 99, &new),
            Ok(Acceptance::Accept)
        );
        assert!(matches!(
            accept_offer(OfferState::Pending, "NEW", 100, 100, &new),
            Ok(Acceptance::Expired(_))
        ));
        let stranger = accept_offer(OfferState::Pending, "NEW", 100, 1, &Actor::author("OTHER"));
        assert_eq!(stranger.map_err(|r| r.kind), Err(RefusalKind::Forbidden));
        for state in [
            OfferState::Accepted,
            OfferState::Expired,
            OfferState::Withdrawn,
        ] {
            let result = accept_offer(state, "NEW", 100, 1, &new);
            assert_eq!(result.map_err(|r| r.kind), Err(RefusalKind::Conflict));
            assert_eq!(OfferState::parse(state.as_str()), Some(state));
        }
        assert_eq!(
            accept_offer(OfferState::Pending, "NEW", 100, 1, &admin(None)),
            Ok(Acceptance::Accept)
        );
    }

    #[test]
    fn adoption_follows_the_berlin_consensus() {
        assert_eq!(
            adoption_path(AdoptionRule::FirstCome, 0),
            AdoptionPath::Granted
        );
        assert_eq!(
            adoption_path(AdoptionRule::FirstCome, 1),
            AdoptionPath::NeedsAdmin
        );
        assert_eq!(
            adoption_path(AdoptionRule::Admin, 0),
            AdoptionPath::NeedsAdmin
        );
        assert_eq!(AdoptionRule::parse("admin"), Some(AdoptionRule::Admin));
        assert_eq!(
            AdoptionRule::parse("first-come").map(AdoptionRule::as_str),
            Some("first-come")
        );

        let given_up = holders(Some(ADOPTME), &[ADOPTME, "OLD"]);
        assert_eq!(adoption_marker(&given_up), Some(ADOPTME));
        assert_eq!(
            adoption_steps(&given_up, "NEW"),
            Some(vec![
                Step::SetOwner {
                    from: Some(ADOPTME.into()),
                    to: "NEW".into()
                },
                Step::AddRow("NEW".into()),
                Step::RemoveRow(ADOPTME.into()),
            ])
        );
        let needhelp = holders(Some("OWNER"), &["OWNER", NEEDHELP]);
        assert_eq!(
            adoption_steps(&needhelp, "NEW"),
            Some(vec![Step::AddRow("NEW".into())])
        );
        assert_eq!(adoption_steps(&needhelp, "OWNER"), None);
        assert_eq!(adoption_marker(&holders(Some("OWNER"), &["OWNER"])), None);
        assert_eq!(
            adoption_steps(&holders(Some("OWNER"), &["OWNER"]), "NEW"),
            None
        );
    }
}
