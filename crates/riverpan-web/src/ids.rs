//! The author life-cycle's pages: the public form to request a PAUSE id, and the
//! administrators' pages (the queue of id requests with approve/reject, the report of inactive
//! unused ids). The account page's own forms (cleanup opt-out, deleting the id) are in
//! [`crate::account`].

use maud::{html, Markup};

use crate::account::csrf_field;
use crate::layout::{page, Section, Viewer};

/// `GET /request-id`: what the form shows (the fields typed before, after a refusal).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestIdView {
    /// The id wanted.
    pub userid: String,
    /// Full name.
    pub fullname: String,
    /// E-mail address.
    pub email: String,
    /// Homepage (optional).
    pub homepage: String,
    /// Why.
    pub rationale: String,
    /// Why the last attempt was refused, one sentence each.
    pub problems: Vec<String>,
    /// When the form was issued (seconds), signed by `form_token`.
    pub issued: i64,
    /// The form's token: ties `issued` to this server.
    pub form_token: String,
}

/// The request form. The `url` field is a trap for robots: hidden from people (and from
/// screen readers), filled only by programs that fill every field.
pub fn request_id(view: &RequestIdView, viewer: &Viewer) -> Markup {
    page(
        "Request a PAUSE id",
        Section::Other,
        viewer,
        html! {
            h1 { "Request a PAUSE id" }
            p.muted { "An administrator looks at every request; you get a mail either way. \
                       Uploading implies permission to mirror and process your files." }
            @if !view.problems.is_empty() {
                div.error role="alert" {
                    @for problem in &view.problems { p { (problem) } }
                }
            }
            form #request-id method="post" action="/request-id" {
                input type="hidden" name="issued" value=(view.issued);
                input type="hidden" name="form_token" value=(view.form_token);
                p {
                    label for="userid" { "PAUSE id wanted (3 to 9 letters)" } br;
                    input #userid type="text" name="userid" value=(view.userid) maxlength="9"
                        autocapitalize="characters" required;
                }
                p {
                    label for="fullname" { "Full name" } br;
                    input #fullname type="text" name="fullname" value=(view.fullname)
                        maxlength="100" required;
                }
                p {
                    label for="email" { "E-mail address" } br;
                    input #email type="email" name="email" value=(view.email) maxlength="254"
                        required;
                }
                p {
                    label for="homepage" { "Homepage (optional)" } br;
                    input #homepage type="url" name="homepage" value=(view.homepage)
                        maxlength="200";
                }
                p {
                    label for="rationale" { "What do you plan to contribute?" } br;
                    textarea #rationale name="rationale" rows="5" cols="60" maxlength="2000"
                        required { (view.rationale) }
                }
                p.trap aria-hidden="true" {
                    label for="url" { "Leave this empty" } br;
                    input #url type="text" name="url" value="" tabindex="-1" autocomplete="off";
                }
                p { button type="submit" { "Send the request" } }
            }
        },
    )
}

/// The answer after a request (or a trapped robot: the same words).
pub fn request_received(message: &str, viewer: &Viewer) -> Markup {
    page(
        "Request received",
        Section::Other,
        viewer,
        html! {
            h1 { "Thank you!" }
            p role="status" { (message) }
        },
    )
}

/// One id request as the administrators see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdRequestRow {
    /// The request's number.
    pub id: i64,
    /// The id asked for.
    pub userid: String,
    /// Name.
    pub fullname: String,
    /// E-mail.
    pub email: String,
    /// Homepage.
    pub homepage: String,
    /// Why.
    pub rationale: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// `pending`, `approved`, `rejected`.
    pub state: String,
    /// Who decided and when, with the note.
    pub decision: Option<String>,
}

/// `GET /admin/id-requests`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdRequestsView {
    /// A message from the last action.
    pub notice: Option<String>,
    /// An error from the last action.
    pub error: Option<String>,
    /// Waiting for a decision, oldest first.
    pub pending: Vec<IdRequestRow>,
    /// Decided recently, newest first.
    pub decided: Vec<IdRequestRow>,
}

/// The queue of id requests, with approve/reject forms, and the account-state form.
pub fn admin_id_requests(view: &IdRequestsView, viewer: &Viewer) -> Markup {
    let csrf = viewer.csrf_token.as_deref().unwrap_or_default();
    page(
        "Id requests",
        Section::Account,
        viewer,
        html! {
            h1 { "Requests for a PAUSE id" }
            p { a href="/admin/inactive-ids" { "Inactive unused ids" } }
            @if let Some(notice) = &view.notice { p.notice role="status" { (notice) } }
            @if let Some(error) = &view.error { p.error role="alert" { (error) } }
            h2 { "Pending" }
            @if view.pending.is_empty() {
                p.muted { "No request is waiting." }
            }
            @for request in &view.pending {
                section.request data-request=(request.id) {
                    h3 { (request.userid) " — " (request.fullname) }
                    p { (request.email)
                        @if !request.homepage.is_empty() { " · " (request.homepage) }
                        " · " (request.requested_at) }
                    blockquote { (request.rationale) }
                    form.inline method="post" action={ "/admin/id-requests/" (request.id) "/approve" } {
                        (csrf_field(csrf))
                        button type="submit" { "Approve" }
                    }
                    form.inline method="post" action={ "/admin/id-requests/" (request.id) "/reject" } {
                        (csrf_field(csrf))
                        input type="text" name="note" placeholder="reason (mailed)" maxlength="500";
                        button type="submit" { "Reject" }
                    }
                }
            }
            @if !view.decided.is_empty() {
                h2 { "Decided" }
                div.table-scroll { table #decided {
                    thead { tr { th { "Id" } th { "Name" } th { "State" } th { "Decision" } } }
                    tbody { @for request in &view.decided { tr {
                        td { (request.userid) } td { (request.fullname) } td { (request.state) }
                        td { (request.decision.as_deref().unwrap_or("")) }
                    } } }
                } }
            }
            h2 #account-state { "Account state" }
            p.muted { code { "nologin" } " refuses sign-in, password and token uploads." }
            form #state-form method="post" action="/admin/account-state" {
                (csrf_field(csrf))
                label for="state-userid" { "PAUSE id " }
                input #state-userid type="text" name="userid" required;
                " "
                select name="state" {
                    option value="nologin" { "nologin" }
                    option value="active" { "active" }
                }
                " "
                button type="submit" { "Set" }
            }
        },
    )
}

/// One row of the inactive-ids report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InactiveIdRow {
    /// The id.
    pub userid: String,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Last activity (RFC 3339).
    pub last_activity_at: String,
    /// Reminder sent (RFC 3339), if sent.
    pub warned_at: Option<String>,
    /// Reclaimable from (RFC 3339), if reminded.
    pub reclaimable_from: Option<String>,
    /// Whether an address is known.
    pub has_email: bool,
}

/// `GET /admin/inactive-ids`: ids that never uploaded, hold no permission and were not used
/// for `inactive_for` (words).
pub fn admin_inactive_ids(rows: &[InactiveIdRow], inactive_for: &str, viewer: &Viewer) -> Markup {
    page(
        "Inactive unused ids",
        Section::Account,
        viewer,
        html! {
            h1 { "Inactive unused ids" }
            p.muted { "Never uploaded, no permission, no sign-in for " (inactive_for) ". \
                       Remind them with " code { "riverpan ids inactive --warn" }
                       "; ids reminded and still unused after the grace period are deleted with "
                       code { "riverpan ids reclaim" } "." }
            @if rows.is_empty() {
                p.muted { "None." }
            } @else {
                div.table-scroll { table #inactive-ids {
                    thead { tr { th { "Id" } th { "Registered" } th { "Last activity" }
                        th { "Reminded" } th { "Reclaimable from" } } }
                    tbody { @for row in rows { tr data-userid=(row.userid) {
                        td { (row.userid) } td { (row.created_at) } td { (row.last_activity_at) }
                        td { @if let Some(at) = &row.warned_at { (at) }
                             @else if row.has_email { span.muted { "not yet" } }
                             @else { span.muted { "no address known" } } }
                        td { (row.reclaimable_from.as_deref().unwrap_or("—")) }
                    } } }
                } }
            }
        },
    )
}
