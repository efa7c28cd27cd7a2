//! The pages of a signed-in author: signing in, the account overview (upload form, uploads,
//! API tokens, deletions) and the indexer's report of one upload.
//!
//! Every form posts with the session's CSRF token in a hidden `csrf` field ([`csrf_field`]);
//! the sign-in form carries the pre-session token of its own double-submit cookie.

use maud::{html, Markup};

use crate::layout::{page, Section, Viewer};
use crate::path_segment;

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The hidden CSRF input of a form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

/// What the sign-in page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInView {
    /// The PAUSE id typed before (kept after a failed attempt).
    pub userid: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The pre-session CSRF token (the same value is in a cookie).
    pub csrf_token: String,
}

/// `GET /signin`: PAUSE id and password.
pub fn sign_in(view: &SignInView, viewer: &Viewer) -> Markup {
    page(
        "Sign in",
        Section::Account,
        viewer,
        html! {
            h1 { "Sign in" }
            p.muted { "With your PAUSE id and password, as for uploads." }
            @if let Some(error) = &view.error {
                p.error role="alert" { (error) }
            }
            form #signin method="post" action="/signin" {
                (csrf_field(&view.csrf_token))
                p {
                    label for="userid" { "PAUSE id" } br;
                    input #userid type="text" name="userid" value=(view.userid)
                        autocomplete="username" autocapitalize="characters" required;
                }
                p {
                    label for="password" { "Password" } br;
                    input #password type="password" name="password"
                        autocomplete="current-password" required;
                }
                p { button type="submit" { "Sign in" } }
            }
        },
    )
}

/// One upload of the author, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRow {
    /// The upload id.
    pub id: i64,
    /// The path below `authors/id/`.
    pub path: String,
    /// `queued`, `indexed`, `failed` or `deleted`.
    pub state: String,
    /// When it was uploaded (RFC 3339).
    pub uploaded_at: String,
    /// The indexer's overall status (`Ok`, `EVerFalling`, …), once indexed.
    pub report_status: Option<String>,
    /// The deletion of the file, if one was scheduled (and not cancelled).
    pub deletion: Option<DeletionRow>,
}

impl UploadRow {
    /// The file name (the last path segment).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// A scheduled, done or failed deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionRow {
    /// The deletion id.
    pub id: i64,
    /// `scheduled`, `done` or `failed`.
    pub state: String,
    /// When it runs or ran (RFC 3339).
    pub due_at: String,
}

/// One API token, as listed (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The public token id.
    pub token_id: String,
    /// `upload` or `upload:Foo::*,Bar`.
    pub scope: String,
    /// What the author wrote when creating it.
    pub description: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or `None` for never.
    pub expires_at: Option<String>,
    /// RFC 3339, when last used.
    pub last_used_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
}

/// What `/account` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountView {
    /// The signed-in PAUSE id.
    pub userid: String,
    /// A message from the last action (shown once).
    pub notice: Option<String>,
    /// An error from the last action (shown once).
    pub error: Option<String>,
    /// A token created just now: `PAUSEID:TOKENID:SECRET`, shown this once.
    pub new_token: Option<String>,
    /// Largest accepted upload, in bytes.
    pub max_upload_size: u64,
    /// The author's uploads, newest first.
    pub uploads: Vec<UploadRow>,
    /// The author's tokens, newest first.
    pub tokens: Vec<TokenRow>,
    /// Until when a scheduled deletion can still be cancelled, in words (`1 hour`).
    pub deletion_delay: String,
    /// The author opted out of the automatic cleanup of old releases.
    pub cleanup_opt_out: bool,
    /// The id never uploaded and holds nothing: its owner may delete it.
    pub may_delete_id: bool,
    /// An administrator (links to the administrators' pages).
    pub is_admin: bool,
}

fn state_class(state: &str) -> &'static str {
    match state {
        "indexed" | "active" | "done" => "pass",
        "failed" | "revoked" | "expired" => "fail",
        _ => "na",
    }
}

/// `GET /account`.
pub fn account(view: &AccountView, viewer: &Viewer) -> Markup {
    let csrf = viewer.csrf_token.as_deref().unwrap_or_default();
    page(
        &format!("Account {}", view.userid),
        Section::Account,
        viewer,
        html! {
            h1 { (view.userid) }
            @if let Some(notice) = &view.notice {
                p.notice role="status" { (notice) }
            }
            @if let Some(error) = &view.error {
                p.error role="alert" { (error) }
            }
            @if let Some(token) = &view.new_token {
                div.notice #new-token {
                    p { "Your new token — copy it now, it is shown only this once:" }
                    pre { code { (token) } }
                }
            }
            p {
                a href={ "/author/" (path_segment(&view.userid)) } { "Your public author page" }
            }
            h2 #upload { "Upload a distribution" }
            form #upload-form method="post" action="/account/upload"
                enctype="multipart/form-data" {
                (csrf_field(csrf))
                p {
                    label for="file" { "Archive (.tar.gz, .tgz, .tar.bz2, .zip …), at most "
                        (crate::svg::format_number(view.max_upload_size as f64)) " bytes" }
                    br;
                    input #file type="file" name="file" required;
                }
                p { button type="submit" { "Upload" } }
            }
            h2 #uploads { "Your uploads" }
            @if view.uploads.is_empty() {
                p.muted { "Nothing uploaded yet." }
            } @else {
                div.table-scroll {
                    table #upload-list {
                        thead { tr {
                            th { "File" } th { "Uploaded" } th { "State" } th { "Report" }
                            th { "Deletion" }
                        } }
                        tbody {
                            @for upload in &view.uploads {
                                tr data-upload=(upload.id) {
                                    td { a href={ "/account/uploads/" (upload.id) } {
                                        (upload.file_name()) } }
                                    td { (upload.uploaded_at) }
                                    td class=(state_class(&upload.state)) { (upload.state) }
                                    td {
                                        @if let Some(status) = &upload.report_status {
                                            a href={ "/account/uploads/" (upload.id) } { (status) }
                                        } @else {
                                            span.muted { "—" }
                                        }
                                    }
                                    td { (deletion_cell(upload, csrf, &view.deletion_delay)) }
                                }
                            }
                        }
                    }
                }
            }
            h2 #tokens { "API tokens" }
            p.muted {
                "For " code { "cpan-upload" } " and the upload API: "
                code { "Authorization: Bearer PAUSEID:TOKENID:SECRET" } "."
            }
            @if view.tokens.is_empty() {
                p.muted { "No tokens." }
            } @else {
                div.table-scroll {
                    table #token-list {
                        thead { tr {
                            th { "Token" } th { "Scope" } th { "Description" } th { "Created" }
                            th { "Expires" } th { "Last used" } th { "State" } th {}
                        } }
                        tbody {
                            @for token in &view.tokens {
                                tr data-token=(token.token_id) {
                                    td { code { (token.token_id) } }
                                    td { code { (token.scope) } }
                                    td { (token.description) }
                                    td { (token.created_at) }
                                    td { (token.expires_at.as_deref().unwrap_or("never")) }
                                    td { (token.last_used_at.as_deref().unwrap_or("never")) }
                                    td class=(state_class(&token.state)) { (token.state) }
                                    td {
                                        @if token.state == "active" {
                                            form.inline method="post" action={
                                                "/account/tokens/" (path_segment(&token.token_id))
                                                "/revoke" } {
                                                (csrf_field(csrf))
                                                button type="submit" { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Create a token" }
            form #token-form method="post" action="/account/tokens" {
                (csrf_field(csrf))
                p {
                    label for="scope" { "Scope" } br;
                    input #scope type="text" name="scope" value="upload";
                    br;
                    small.muted { code { "upload" } " (every distribution) or "
                        code { "upload:Foo::*,Bar" } " (only those main packages)" }
                }
                p {
                    label for="expires" { "Expires in" } br;
                    input #expires type="text" name="expires" value="90d";
                    br;
                    small.muted { "e.g. " code { "30d" } ", " code { "12h" }
                        "; empty for never" }
                }
                p {
                    label for="description" { "Description" } br;
                    input #description type="text" name="description" maxlength="200";
                }
                p { button type="submit" { "Create token" } }
            }
            h2 #cleanup { "Old releases" }
            p.muted { "Releases older than your three newest stable releases of a distribution, more \
                       than five years old and not in 02packages, are scheduled for deletion (they \
                       stay on BackPAN); you get a notice and can cancel (Lancaster consensus)." }
            form #cleanup-form method="post" action="/account/cleanup" {
                (csrf_field(csrf))
                @if view.cleanup_opt_out {
                    input type="hidden" name="opt_out" value="0";
                    p { "You opted out: your old releases are kept. "
                        button type="submit" { "Let the cleanup remove them" } }
                } @else {
                    input type="hidden" name="opt_out" value="1";
                    p { button type="submit" { "Keep all my releases (opt out)" } }
                }
            }
            @if view.may_delete_id {
                h2 #delete-id { "Delete this id" }
                p.muted { "Your id never uploaded anything, so you may delete it; it becomes \
                           available to others. Type your id to confirm." }
                form #delete-id-form method="post" action="/account/delete" {
                    (csrf_field(csrf))
                    input type="text" name="confirm" placeholder=(view.userid) required;
                    " "
                    button type="submit" { "Delete my id" }
                }
            }
            @if view.is_admin {
                h2 #admin { "Administration" }
                p { a href="/admin/id-requests" { "Id requests and account states" } " · "
                    a href="/admin/inactive-ids" { "Inactive unused ids" } }
            }
        },
    )
}

fn deletion_cell(upload: &UploadRow, csrf: &str, delay: &str) -> Markup {
    html! {
        @match &upload.deletion {
            Some(deletion) if deletion.state == "scheduled" => {
                "scheduled for " (deletion.due_at) " "
                form.inline method="post" action={ "/account/deletions/" (deletion.id) "/cancel" } {
                    (csrf_field(csrf))
                    button type="submit" { "Cancel deletion" }
                }
            }
            Some(deletion) => { (deletion.state) " " (deletion.due_at) }
            None if upload.state != "deleted" => {
                form.inline method="post" action="/account/deletions" {
                    (csrf_field(csrf))
                    input type="hidden" name="path" value=(upload.path);
                    button type="submit" title={ "Deleted after " (delay) "; can be cancelled until then" }
                        { "Delete" }
                }
            }
            None => { span.muted { "—" } }
        }
    }
}

/// The indexer's report of one upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportView {
    /// The overall status (`Ok`, …).
    pub status: String,
    /// The mail subject.
    pub subject: String,
    /// The report text as mailed.
    pub text: String,
}

/// What `/account/uploads/{id}` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadView {
    /// What the last action said (shown once), e.g. that the upload was stored.
    pub notice: Option<String>,
    /// The upload.
    pub upload: UploadRow,
    /// Uploads ahead of it in the queue, while queued.
    pub queue_position: Option<usize>,
    /// Its report, once indexed.
    pub report: Option<ReportView>,
}

/// `GET /account/uploads/{id}`.
pub fn upload(view: &UploadView, viewer: &Viewer) -> Markup {
    let upload = &view.upload;
    page(
        upload.file_name(),
        Section::Account,
        viewer,
        html! {
            p { a href="/account" { "← your account" } }
            @if let Some(notice) = &view.notice {
                p.notice role="status" { (notice) }
            }
            h1 { (upload.file_name()) }
            table #upload-facts {
                tr { th { "Upload" } td { (upload.id) } }
                tr { th { "Path" } td { code { (upload.path) } } }
                tr { th { "Uploaded" } td { (upload.uploaded_at) } }
                tr { th { "State" } td #upload-state class=(state_class(&upload.state)) {
                    (upload.state) } }
                @if let Some(ahead) = view.queue_position {
                    tr { th { "Queue" } td { (ahead) " upload(s) ahead of it" } }
                }
            }
            p.muted {
                "JSON: " a href={ "/api/v1/uploads/" (upload.id) } { "/api/v1/uploads/" (upload.id) }
            }
            h2 { "Indexer report" }
            @match &view.report {
                Some(report) => {
                    p { strong { (report.subject) } " (" (report.status) ")" }
                    pre #report-text { (report.text) }
                }
                None => { p.muted { "Not indexed yet: reload this page in a moment." } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x\")</script>&'";

    fn viewer() -> Viewer {
        Viewer {
            userid: Some("NEILB".into()),
            csrf_token: Some("csrf-token-value".into()),
        }
    }

    fn hostile_upload(state: &str) -> UploadRow {
        UploadRow {
            id: 7,
            path: format!("N/NE/NEILB/{HOSTILE}-1.0.tar.gz"),
            state: state.into(),
            uploaded_at: "2026-01-01T00:00:00Z".into(),
            report_status: Some(HOSTILE.into()),
            deletion: None,
        }
    }

    fn assert_escaped(html: &str) {
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn every_form_carries_the_csrf_token() {
        let view = AccountView {
            userid: "NEILB".into(),
            uploads: vec![hostile_upload("indexed"), {
                let mut row = hostile_upload("indexed");
                row.deletion = Some(DeletionRow {
                    id: 3,
                    state: "scheduled".into(),
                    due_at: "2026-01-02T00:00:00Z".into(),
                });
                row
            }],
            tokens: vec![TokenRow {
                token_id: "abcdef0123456789".into(),
                scope: "upload".into(),
                description: HOSTILE.into(),
                created_at: "x".into(),
                expires_at: None,
                last_used_at: None,
                state: "active".into(),
            }],
            ..AccountView::default()
        };
        let html = account(&view, &viewer()).into_string();
        let forms = html.matches("<form").count();
        let tokens = html
            .matches(r#"<input type="hidden" name="csrf" value="csrf-token-value">"#)
            .count();
        // upload, delete, cancel, revoke, create token, cleanup opt-out, sign out
        assert_eq!(forms, 7, "{html}");
        assert_eq!(tokens, forms, "{html}");
        assert!(html.contains(r#"enctype="multipart/form-data""#));
        assert!(html.contains(r#"action="/account/deletions/3/cancel""#));
        assert!(html.contains(r#"action="/account/tokens/abcdef0123456789/revoke""#));
        assert_escaped(&html);
    }

    #[test]
    fn the_upload_page_escapes_the_report() {
        let view = UploadView {
            notice: Some(HOSTILE.into()),
            upload: hostile_upload("failed"),
            queue_position: None,
            report: Some(ReportView {
                status: HOSTILE.into(),
                subject: HOSTILE.into(),
                text: HOSTILE.into(),
            }),
        };
        let html = upload(&view, &viewer()).into_string();
        assert_escaped(&html);
        assert!(html.contains(r#"<td id="upload-state" class="fail">failed</td>"#));
    }

    #[test]
    fn the_sign_in_form_posts_with_its_token() {
        let view = SignInView {
            userid: HOSTILE.into(),
            error: Some("wrong PAUSE id or password".into()),
            csrf_token: "pre".into(),
        };
        let html = sign_in(&view, &Viewer::default()).into_string();
        assert!(html.contains(r#"action="/signin""#));
        assert!(html.contains(r#"name="csrf" value="pre""#));
        assert!(html.contains("wrong PAUSE id or password"));
        assert_escaped(&html);
    }
}
