//! The permission pages: who holds a package or each package of a distribution, the record of
//! every change, adoption requests with their published rationale, and the forms of the
//! operations (for a signed-in author; the server decides who may do what); the ownership
//! offers waiting for the signed-in author; the administrators' queue of adoption requests.

use maud::{html, Markup};

use crate::account::csrf_field;
use crate::layout::{page, Section, Viewer};
use crate::path_segment;

/// Who holds one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolderRow {
    /// The package.
    pub package: String,
    /// The first-come owner.
    pub owner: Option<String>,
    /// The co-maintainers.
    pub comaints: Vec<String>,
    /// `HANDOFF`, `NEEDHELP`, `ADOPTME` rows.
    pub markers: Vec<String>,
}

/// One recorded operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogEntry {
    /// When (RFC 3339).
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// For whom, when not themself.
    pub on_behalf_of: Option<String>,
    /// `web`, `api`, `cli`.
    pub interface: String,
    /// What was done.
    pub operation: String,
    /// Its argument.
    pub argument: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Each change in words.
    pub changes: Vec<String>,
    /// Packages left alone, with why.
    pub skipped: Vec<String>,
}

/// One adoption request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdoptionRow {
    /// Its id.
    pub id: i64,
    /// The distribution.
    pub dist: String,
    /// Who asks.
    pub userid: String,
    /// What they wrote.
    pub reason: String,
    /// `ADOPTME`, `HANDOFF` or `NEEDHELP`.
    pub held_by: String,
    /// Direct downriver dependents when asked.
    pub immediate: i64,
    /// All downriver dependents when asked.
    pub total: i64,
    /// The Berlin consensus band.
    pub band: String,
    /// `pending`, `granted`, `refused`.
    pub state: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The published rationale.
    pub rationale: Option<String>,
}

/// A permission page (of a package, or of a distribution).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermsPage {
    /// `true` for a distribution.
    pub is_dist: bool,
    /// The package or distribution.
    pub name: String,
    /// The distribution of a package, when indexed.
    pub dist: Option<String>,
    /// Who holds what.
    pub holders: Vec<HolderRow>,
    /// Every recorded operation, newest first.
    pub log: Vec<LogEntry>,
    /// Adoption requests (distributions).
    pub adoptions: Vec<AdoptionRow>,
    /// The outcome of the last form.
    pub notice: Option<String>,
    /// Why the last form was refused.
    pub error: Option<String>,
    /// The viewer is an administrator (the "act for" field).
    pub viewer_is_admin: bool,
}

fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "—".to_string()
    } else {
        ids.join(", ")
    }
}

/// Where a page's operation form posts.
pub fn form_action(is_dist: bool, name: &str) -> String {
    if is_dist {
        format!("/dist/{}/permissions", path_segment(name))
    } else {
        format!("/package/{}", path_segment(name))
    }
}

fn messages(notice: &Option<String>, error: &Option<String>) -> Markup {
    html! {
        @if let Some(notice) = notice {
            p.notice role="status" { (notice) }
        }
        @if let Some(error) = error {
            p.error role="alert" { (error) }
        }
    }
}

/// `GET /package/{package}` and `GET /dist/{dist}/permissions`.
pub fn perms_page(viewer: &Viewer, view: &PermsPage) -> Markup {
    let kind = if view.is_dist {
        "distribution"
    } else {
        "package"
    };
    let title = format!("Permissions of {}", view.name);
    let multiple_owners = {
        let mut owners: Vec<&String> = view
            .holders
            .iter()
            .filter_map(|h| h.owner.as_ref())
            .collect();
        owners.sort();
        owners.dedup();
        owners.len() > 1
    };
    page(
        &title,
        Section::Other,
        viewer,
        html! {
            h1 { (title) }
            (messages(&view.notice, &view.error))
            @if view.is_dist {
                p { a href=(format!("/dist/{}", path_segment(&view.name))) { "the distribution" } }
            } @else if let Some(dist) = &view.dist {
                p { "In " a href=(format!("/dist/{}/permissions", path_segment(dist))) { (dist) } "." }
            }
            @if multiple_owners {
                p.error { "Incomplete ownership: the packages of this distribution have several owners." }
            }
            table #holders {
                thead { tr { th { "package" } th { "owner" } th { "co-maintainers" } th { "markers" } } }
                tbody {
                    @for row in &view.holders {
                        tr {
                            td { a href=(format!("/package/{}", path_segment(&row.package))) { (row.package) } }
                            td { (row.owner.as_deref().unwrap_or("—")) }
                            td { (list(&row.comaints)) }
                            td { (list(&row.markers)) }
                        }
                    }
                }
            }
            @if !view.adoptions.is_empty() {
                h2 { "Adoption" }
                table #adoptions {
                    thead { tr { th { "asked by" } th { "held by" } th { "downriver" } th { "state" } th { "decided by" } th { "rationale" } } }
                    tbody {
                        @for row in &view.adoptions {
                            tr {
                                td { (row.userid) }
                                td { (row.held_by) }
                                td { (row.immediate) " direct, " (row.total) " total (" (row.band) ")" }
                                td { (row.state) }
                                td { (row.decided_by.as_deref().unwrap_or("—")) }
                                td { (row.rationale.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
            @if let Some(token) = &viewer.csrf_token {
                h2 { "Change" }
                p.muted {
                    "The owner adds and removes co-maintainers, transfers ownership (the new owner \
                     accepts the offer within 30 days), gives the " (kind) " up for adoption, or \
                     marks it HANDOFF or NEEDHELP; a co-maintainer gives up its co-maintenance."
                }
                form #change method="post" action=(form_action(view.is_dist, &view.name)) {
                    (csrf_field(token))
                    p {
                        label for="action" { "Operation" } br;
                        select #action name="action" {
                            option value="add-comaint" { "add a co-maintainer" }
                            option value="remove-comaint" { "remove a co-maintainer" }
                            option value="transfer" { "transfer ownership" }
                            option value="give-up" { "give up (ownership to ADOPTME, or my co-maintenance)" }
                            option value="mark-handoff" { "mark HANDOFF" }
                            option value="mark-needhelp" { "mark NEEDHELP" }
                        }
                    }
                    p {
                        label for="userid" { "PAUSE id (co-maintainer, or new owner)" } br;
                        input #userid type="text" name="userid" autocapitalize="characters";
                    }
                    p {
                        label for="reason" { "Reason (recorded)" } br;
                        input #reason type="text" name="reason";
                    }
                    @if view.viewer_is_admin {
                        p {
                            label for="as" { "Act for (administrators)" } br;
                            input #as type="text" name="as" autocapitalize="characters";
                        }
                    }
                    p { button type="submit" { "Apply" } }
                }
                @if view.is_dist {
                    form #adopt method="post" action=(format!("/dist/{}/adopt", path_segment(&view.name))) {
                        (csrf_field(token))
                        p {
                            label for="adopt-reason" { "Why you want to adopt it" } br;
                            input #adopt-reason type="text" name="reason";
                        }
                        p { button type="submit" { "Ask to adopt" } }
                    }
                }
            }
            h2 { "Changes" }
            @if view.log.is_empty() {
                p.muted { "No permission change recorded." }
            } @else {
                table #log {
                    thead { tr { th { "when" } th { "who" } th { "what" } th { "changes" } th { "reason" } } }
                    tbody {
                        @for entry in &view.log {
                            tr {
                                td { (entry.at) }
                                td {
                                    (entry.actor)
                                    @if let Some(for_id) = &entry.on_behalf_of { " for " (for_id) }
                                    " (" (entry.interface) ")"
                                }
                                td {
                                    (entry.operation)
                                    @if let Some(argument) = &entry.argument { " " (argument) }
                                }
                                td {
                                    @for change in &entry.changes { (change) br; }
                                    @for skipped in &entry.skipped { span.muted { "left alone: " (skipped) } br; }
                                }
                                td { (entry.reason.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// An ownership offer waiting for the signed-in author.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfferRow {
    /// Its id.
    pub id: i64,
    /// `package` or `distribution`.
    pub scope: String,
    /// What is offered.
    pub subject: String,
    /// The owner offering.
    pub from: String,
    /// The packages.
    pub packages: Vec<String>,
    /// When it lapses (RFC 3339).
    pub expires_at: String,
}

/// `GET /account/transfers`: the offers waiting for the signed-in author.
pub fn transfers_page(
    viewer: &Viewer,
    offers: &[OfferRow],
    notice: &Option<String>,
    error: &Option<String>,
) -> Markup {
    page(
        "Ownership offers",
        Section::Account,
        viewer,
        html! {
            h1 { "Ownership offers" }
            (messages(notice, error))
            @if offers.is_empty() {
                p.muted { "Nobody offers you ownership of anything." }
            }
            @for offer in offers {
                form.offer method="post" action=(format!("/account/transfers/{}/accept", offer.id)) {
                    @if let Some(token) = &viewer.csrf_token { (csrf_field(token)) }
                    p {
                        (offer.from) " offers you the " (offer.scope) " " strong { (offer.subject) }
                        " (" (offer.packages.join(", ")) "), until " (offer.expires_at) ". "
                        button type="submit" { "Accept" }
                    }
                }
            }
        },
    )
}

/// `GET /admin/adoptions`: the pending requests, each with a decision form.
pub fn adoptions_page(
    viewer: &Viewer,
    requests: &[AdoptionRow],
    notice: &Option<String>,
    error: &Option<String>,
) -> Markup {
    page(
        "Adoption requests",
        Section::Account,
        viewer,
        html! {
            h1 { "Adoption requests" }
            (messages(notice, error))
            p.muted {
                "Berlin consensus: weigh the downriver dependents and the requester's track record; \
                 the rationale is published on the distribution's page."
            }
            @if requests.is_empty() {
                p.muted { "No request waits." }
            }
            @for request in requests {
                section.adoption {
                    h2 { a href=(format!("/dist/{}/permissions", path_segment(&request.dist))) { (request.dist) } }
                    p {
                        (request.userid) " asks (" (request.held_by) "): " (request.reason)
                    }
                    p { "River: " (request.immediate) " direct and " (request.total) " total dependents (" (request.band) ")." }
                    form method="post" action=(format!("/admin/adoptions/{}", request.id)) {
                        @if let Some(token) = &viewer.csrf_token { (csrf_field(token)) }
                        p {
                            label for=(format!("rationale-{}", request.id)) { "Rationale (published)" } br;
                            input id=(format!("rationale-{}", request.id)) type="text" name="rationale" required;
                        }
                        p {
                            button type="submit" name="decision" value="grant" { "Grant" } " "
                            button type="submit" name="decision" value="refuse" { "Refuse" }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>";

    #[test]
    fn pages_escape_and_show_forms_only_when_signed_in() {
        let view = PermsPage {
            is_dist: true,
            name: "Foo-Bar".into(),
            holders: vec![
                HolderRow {
                    package: "Foo::Bar".into(),
                    owner: Some("NEILB".into()),
                    comaints: vec!["HELPER".into()],
                    markers: vec!["HANDOFF".into()],
                },
                HolderRow {
                    package: "Foo::Bar::Theirs".into(),
                    owner: Some("OTHER".into()),
                    ..HolderRow::default()
                },
            ],
            log: vec![LogEntry {
                reason: Some(HOSTILE.into()),
                operation: "add-comaint".into(),
                ..LogEntry::default()
            }],
            ..PermsPage::default()
        };
        let signed_out = perms_page(&Viewer::default(), &view).into_string();
        assert!(!signed_out.contains("<script>"));
        assert!(signed_out.contains("&lt;script&gt;"));
        assert!(signed_out.contains("Incomplete ownership"));
        assert!(!signed_out.contains("<form id=\"change\""));
        let viewer = Viewer {
            userid: Some("NEILB".into()),
            csrf_token: Some("tok".into()),
        };
        let signed_in = perms_page(&viewer, &view).into_string();
        assert!(signed_in.contains(r#"action="/dist/Foo-Bar/permissions""#));
        assert!(signed_in.contains(r#"action="/dist/Foo-Bar/adopt""#));
        assert!(signed_in.contains(r#"name="csrf" value="tok""#));
        assert!(!signed_in.contains(r#"name="as""#));
    }
}
