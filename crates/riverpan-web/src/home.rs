//! The home page (recent uploads, the search box) and search results.

use maud::{html, Markup};

use crate::format::{author_url, dist_url, file_url, release_url, upload_url, utc_datetime};
use crate::layout::{page, Section, Viewer};

/// One recent upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentUpload {
    /// The upload's id.
    pub id: i64,
    /// Path below `authors/id/`.
    pub path: String,
    /// The uploader.
    pub userid: String,
    /// The distribution name and version, once indexed.
    pub release: Option<(String, String)>,
    /// When it was accepted (Unix seconds).
    pub uploaded_at: i64,
    /// `stored`, `indexed`, `failed`.
    pub state: String,
}

/// A module found by search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleHit {
    /// The package.
    pub module: String,
    /// Its indexed version.
    pub version: String,
    /// The distribution providing it.
    pub dist: String,
}

/// An author found by search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorHit {
    /// The PAUSE id.
    pub userid: String,
    /// The full name.
    pub fullname: String,
}

/// What a search found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResults {
    /// The query as typed.
    pub query: String,
    /// Modules, exact match first, then by name.
    pub modules: Vec<ModuleHit>,
    /// Distribution names.
    pub dists: Vec<String>,
    /// Authors.
    pub authors: Vec<AuthorHit>,
    /// Some list was cut at its limit.
    pub truncated: bool,
}

fn search_form(query: &str) -> Markup {
    html! {
        form.search method="get" action="/search" role="search" {
            label for="q" { "Module, distribution or author " }
            input #q type="search" name="q" value=(query) placeholder="Foo::Bar, Foo-Bar or NEILB";
            " "
            button type="submit" { "Search" }
        }
    }
}

/// The uploads table shared by the home and author pages.
pub fn uploads_table(uploads: &[RecentUpload], show_author: bool) -> Markup {
    html! {
        div.table-scroll {
            table {
                thead { tr {
                    th { "When" } th { "File" }
                    @if show_author { th { "Author" } }
                    th { "Release" } th { "State" }
                } }
                tbody {
                    @for upload in uploads {
                        tr {
                            td { (utc_datetime(upload.uploaded_at)) }
                            td { a href=(file_url(&upload.path)) { (upload.path) } }
                            @if show_author {
                                td { a href=(author_url(&upload.userid)) { (upload.userid) } }
                            }
                            td {
                                @if let Some((dist, version)) = &upload.release {
                                    a href=(release_url(dist, version)) { (dist) " " (version) }
                                } @else {
                                    span.muted { "—" }
                                }
                            }
                            td { a href=(upload_url(upload.id)) { (upload.state) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /`: the search box and the most recent uploads.
pub fn home(viewer: &Viewer, recent: &[RecentUpload]) -> Markup {
    page(
        "CPAN",
        Section::Home,
        viewer,
        html! {
            h1 { "riverpan" }
            (search_form(""))
            p {
                a href="/bbc" { "Blead Breaks CPAN" } " · "
                a href="/river" { "the river" } " · "
                a href="/status" { "status" }
            }
            h2 { "Recent uploads" }
            @if recent.is_empty() {
                p.muted { "Nothing uploaded yet." }
            } @else {
                (uploads_table(recent, true))
            }
        },
    )
}

/// `GET /search?q=`: what was found, in three lists.
pub fn search(viewer: &Viewer, results: &SearchResults) -> Markup {
    let nothing =
        results.modules.is_empty() && results.dists.is_empty() && results.authors.is_empty();
    page(
        &format!("Search: {}", results.query),
        Section::Home,
        viewer,
        html! {
            h1 { "Search" }
            (search_form(&results.query))
            @if results.query.trim().is_empty() {
                p.muted { "Type a module (Foo::Bar), a distribution (Foo-Bar) or a PAUSE id." }
            } @else if nothing {
                p { "Nothing matches " q { (results.query) } "." }
            }
            @if !results.modules.is_empty() {
                h2 { "Modules" }
                div.table-scroll { table {
                    thead { tr { th { "Module" } th { "Version" } th { "Distribution" } } }
                    tbody {
                        @for hit in &results.modules {
                            tr {
                                td { a href=(dist_url(&hit.dist)) { (hit.module) } }
                                td { (hit.version) }
                                td { a href=(dist_url(&hit.dist)) { (hit.dist) } }
                            }
                        }
                    }
                } }
            }
            @if !results.dists.is_empty() {
                h2 { "Distributions" }
                ul {
                    @for dist in &results.dists {
                        li { a href=(dist_url(dist)) { (dist) } }
                    }
                }
            }
            @if !results.authors.is_empty() {
                h2 { "Authors" }
                ul {
                    @for author in &results.authors {
                        li { a href=(author_url(&author.userid)) { (author.userid) } " " (author.fullname) }
                    }
                }
            }
            @if results.truncated {
                p.muted { "Only the first matches are shown; type more of the name." }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x\")</script>&";

    #[test]
    fn home_lists_uploads_with_escaped_names_and_links() {
        let html = home(
            &Viewer::default(),
            &[RecentUpload {
                id: 7,
                path: "N/NE/NEILB/Foo-Bar-1.0.tar.gz".into(),
                userid: "NEILB".into(),
                release: Some(("Foo-Bar".into(), HOSTILE.into())),
                uploaded_at: 0,
                state: "indexed".into(),
            }],
        )
        .into_string();
        assert!(html.contains(r#"href="/authors/id/N/NE/NEILB/Foo-Bar-1.0.tar.gz""#));
        assert!(html.contains(r#"href="/author/NEILB""#));
        assert!(html.contains(r#"href="/upload/7""#));
        assert!(html.contains(r#"action="/search""#));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn search_results_escape_the_query_and_hits() {
        let html = search(
            &Viewer::default(),
            &SearchResults {
                query: HOSTILE.into(),
                modules: vec![ModuleHit {
                    module: "Foo::Bar".into(),
                    version: "1.0".into(),
                    dist: "Foo-Bar".into(),
                }],
                dists: vec!["Foo-Bar".into()],
                authors: vec![AuthorHit {
                    userid: "NEILB".into(),
                    fullname: HOSTILE.into(),
                }],
                truncated: true,
            },
        )
        .into_string();
        assert!(!html.contains("<script>"));
        assert!(html.contains(r#"href="/dist/Foo-Bar""#));
        assert!(html.contains("Only the first matches"));
        let empty = search(
            &Viewer::default(),
            &SearchResults {
                query: "zzz".into(),
                ..SearchResults::default()
            },
        )
        .into_string();
        assert!(empty.contains("Nothing matches"));
    }
}
