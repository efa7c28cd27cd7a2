//! An author: distributions, permissions held, recent uploads with their indexer reports.

use maud::{html, Markup};

use crate::format::{dist_url, file_url, release_url, utc_datetime};
use crate::home::{uploads_table, RecentUpload};
use crate::layout::{page, Section, Viewer};

/// A distribution of the author, at the release the index points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorDist {
    /// Distribution name.
    pub dist: String,
    /// Version.
    pub version: String,
    /// Path below `authors/id/`.
    pub path: String,
    /// The file's time (Unix seconds).
    pub mtime: i64,
}

/// A permission the author holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldPermission {
    /// The package.
    pub package: String,
    /// The first-come owner (else a co-maintainer).
    pub first_come: bool,
    /// The distribution now providing the package, if indexed.
    pub dist: Option<String>,
}

/// Everything the author page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorPage {
    /// The PAUSE id.
    pub userid: String,
    /// The full name.
    pub fullname: String,
    /// Distributions uploaded by the author that the index points at.
    pub dists: Vec<AuthorDist>,
    /// Permissions.
    pub permissions: Vec<HeldPermission>,
    /// Recent uploads, newest first.
    pub uploads: Vec<RecentUpload>,
}

/// `GET /author/{id}`.
pub fn author_page(viewer: &Viewer, author: &AuthorPage) -> Markup {
    let first_come = author.permissions.iter().filter(|p| p.first_come).count();
    page(
        &author.userid,
        Section::Other,
        viewer,
        html! {
            h1 { (author.userid) @if !author.fullname.is_empty() { " — " (author.fullname) } }
            p {
                (author.dists.len()) " distributions · " (first_come) " first-come and "
                (author.permissions.len() - first_come) " co-maintainer permissions"
            }
            h2 { "Distributions" }
            @if author.dists.is_empty() {
                p.muted { "No indexed distribution." }
            } @else {
                div.table-scroll { table {
                    thead { tr { th { "Distribution" } th { "Version" } th { "Date" } th { "File" } } }
                    tbody {
                        @for dist in &author.dists {
                            tr {
                                td { a href=(dist_url(&dist.dist)) { (dist.dist) } }
                                td { a href=(release_url(&dist.dist, &dist.version)) { (dist.version) } }
                                td { (utc_datetime(dist.mtime)) }
                                td { a href=(file_url(&dist.path)) { (dist.path) } }
                            }
                        }
                    }
                } }
            }
            h2 { "Recent uploads" }
            @if author.uploads.is_empty() {
                p.muted { "No uploads." }
            } @else {
                (uploads_table(&author.uploads, false))
            }
            h2 { "Permissions" }
            @if author.permissions.is_empty() {
                p.muted { "None." }
            } @else {
                div.table-scroll { table {
                    thead { tr { th { "Package" } th { "Permission" } th { "Distribution" } } }
                    tbody {
                        @for permission in &author.permissions {
                            tr {
                                td { (permission.package) }
                                td { @if permission.first_come { "first-come" } @else { "co-maint" } }
                                td {
                                    @if let Some(dist) = &permission.dist {
                                        a href=(dist_url(dist)) { (dist) }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_page_lists_dists_uploads_and_permissions() {
        let hostile = "<script>alert('x')</script> & \"Q\"";
        let html = author_page(
            &Viewer::default(),
            &AuthorPage {
                userid: "NEILB".into(),
                fullname: hostile.into(),
                dists: vec![AuthorDist {
                    dist: "Foo-Bar".into(),
                    version: "1.0".into(),
                    path: "N/NE/NEILB/Foo-Bar-1.0.tar.gz".into(),
                    mtime: 0,
                }],
                permissions: vec![
                    HeldPermission {
                        package: "Foo::Bar".into(),
                        first_come: true,
                        dist: Some("Foo-Bar".into()),
                    },
                    HeldPermission {
                        package: "Baz".into(),
                        first_come: false,
                        dist: None,
                    },
                ],
                uploads: vec![RecentUpload {
                    id: 9,
                    path: "N/NE/NEILB/Foo-Bar-1.0.tar.gz".into(),
                    userid: "NEILB".into(),
                    release: None,
                    uploaded_at: 0,
                    state: "failed".into(),
                }],
            },
        )
        .into_string();
        assert!(html.contains("1 first-come and 1 co-maintainer"));
        assert!(html.contains(r#"href="/dist/Foo-Bar/1.0""#));
        assert!(html.contains(r#"<a href="/upload/9">failed</a>"#));
        assert!(html.contains("co-maint"));
        assert!(!html.contains("<script>"));
    }
}
