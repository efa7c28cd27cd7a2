//! The frame of every page: head, navigation, the signed-in author, the footer.

use maud::{html, Markup, DOCTYPE};

use crate::STYLESHEET_PATH;

/// The sections of the site, for the navigation bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// `/` and search.
    Home,
    /// `/bbc`.
    BleadBreaksCpan,
    /// `/river`.
    River,
    /// `/status`.
    Status,
    /// `/account/...` (signed in).
    Account,
    /// Pages of one distribution or author (no tab highlighted).
    Other,
}

/// Who is looking at the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The signed-in PAUSE id, if any.
    pub userid: Option<String>,
    /// The CSRF token of the session, put in every form (and the sign-out form).
    pub csrf_token: Option<String>,
}

/// A whole HTML page: `title` (escaped), the current `section`, and `body`.
pub fn page(title: &str, section: Section, viewer: &Viewer, body: Markup) -> Markup {
    let tab = |target: Section, href: &str, label: &str| {
        html! {
            @if target == section {
                a href=(href) aria-current="page" { (label) }
            } @else {
                a href=(href) { (label) }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · riverpan" }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                header.site {
                    a.brand href="/" { "riverpan" }
                    nav {
                        (tab(Section::Home, "/", "Search"))
                        (tab(Section::BleadBreaksCpan, "/bbc", "Blead Breaks CPAN"))
                        (tab(Section::River, "/river", "River"))
                        (tab(Section::Status, "/status", "Status"))
                        @if let Some(userid) = &viewer.userid {
                            (tab(Section::Account, "/account", userid))
                            form.inline method="post" action="/signout" {
                                @if let Some(token) = &viewer.csrf_token {
                                    input type="hidden" name="csrf" value=(token);
                                }
                                button type="submit" { "Sign out" }
                            }
                        } @else {
                            (tab(Section::Account, "/signin", "Sign in"))
                        }
                    }
                }
                main { (body) }
                footer.site {
                    "riverpan — PAUSE, a CPAN mirror, CPAN Testers and the river in one binary. "
                    a href="/api/v1/openapi.json" { "API" }
                    " · "
                    a href="/metrics" { "metrics" }
                }
            }
        }
    }
}

/// A page saying something went wrong, with `status` (e.g. 404) in the title.
pub fn error_page(status: u16, message: &str, viewer: &Viewer) -> Markup {
    page(
        &format!("{status}"),
        Section::Other,
        viewer,
        html! {
            h1 { (status) }
            p { (message) }
            p { a href="/" { "Search riverpan" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_escapes_the_title_and_marks_the_current_tab() {
        let viewer = Viewer {
            userid: Some("NEILB".into()),
            csrf_token: Some("tok\"en".into()),
        };
        let html = page("<b>x</b>", Section::River, &viewer, html! { p { "body" } }).into_string();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt; · riverpan"));
        assert!(html.contains(r#"<a href="/river" aria-current="page">River</a>"#));
        assert!(html.contains(r#"value="tok&quot;en""#));
        assert!(html.contains("Sign out"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("style="));
    }
}
