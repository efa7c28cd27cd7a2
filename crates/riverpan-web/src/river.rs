//! The river: the most upriver distributions, how CPAN splits into bands, and one
//! distribution's deep reverse dependencies.

use maud::{html, Markup};

use crate::dist::{pager, Paging};
use crate::format::dist_url;
use crate::layout::{page, Section, Viewer};
use crate::path_segment;
use crate::svg::{bar_chart, Bar};

/// One distribution in the river.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiverRow {
    /// Distribution name.
    pub dist: String,
    /// Direct dependents.
    pub immediate: u64,
    /// All transitive dependents.
    pub total: u64,
    /// MetaCPAN's bucket, 0–5.
    pub bucket: u8,
    /// The consensus band.
    pub band: String,
}

/// The river overview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiverPage {
    /// How many are listed (`?top=`).
    pub top: usize,
    /// The most upriver, by total.
    pub rows: Vec<RiverRow>,
    /// Distributions per consensus band, upriver first: (band, count).
    pub bands: Vec<(String, u64)>,
    /// Distributions per MetaCPAN bucket 0–5.
    pub buckets: [u64; 6],
}

fn river_table(rows: &[RiverRow], rank_from: usize) -> Markup {
    html! {
        div.table-scroll { table {
            thead { tr { th.num { "#" } th { "Distribution" } th.num { "Direct" } th.num { "Total" } th.num { "Bucket" } th { "Band" } } }
            tbody {
                @for (i, row) in rows.iter().enumerate() {
                    tr {
                        td.num { (rank_from + i) }
                        td { a href=(dist_url(&row.dist)) { (row.dist) } }
                        td.num { (row.immediate) }
                        td.num { a href=(format!("/river/{}", path_segment(&row.dist))) { (row.total) } }
                        td.num { (row.bucket) }
                        td { (row.band) }
                    }
                }
            }
        } }
    }
}

fn lookup_form() -> Markup {
    html! {
        form method="get" action="/river" {
            label for="dist" { "Deep reverse dependencies of " }
            input #dist type="text" name="dist" placeholder="Foo-Bar";
            " " button type="submit" { "Look up" }
        }
    }
}

/// `GET /river[?top=N]`.
pub fn river_page(viewer: &Viewer, river: &RiverPage) -> Markup {
    let band_class = |band: &str| match band {
        "way upriver" => "band-2",
        "in the middle" => "band-1",
        _ => "band-0",
    };
    let band_bars: Vec<Bar> = river
        .bands
        .iter()
        .map(|(band, count)| Bar {
            label: band.clone(),
            value: *count as f64,
            class: band_class(band),
        })
        .collect();
    let bucket_bars: Vec<Bar> = river
        .buckets
        .iter()
        .enumerate()
        .map(|(bucket, count)| Bar {
            label: format!("bucket {bucket}"),
            value: *count as f64,
            class: match bucket {
                0..=2 => "band-0",
                3 => "band-1",
                _ => "band-2",
            },
        })
        .collect();
    let total: u64 = river.buckets.iter().sum();
    page(
        "The river",
        Section::River,
        viewer,
        html! {
            h1 { "The CPAN river" }
            p { (total) " distributions. A distribution is upriver of those that depend on it; the further upriver, the more a change to it can break." }
            (lookup_form())
            h2 { "Bands" }
            (bar_chart("Distributions per consensus band", &band_bars))
            h2 { "MetaCPAN buckets" }
            (bar_chart("Distributions per MetaCPAN river bucket", &bucket_bars))
            h2 { "The " (river.top) " most upriver" }
            (river_table(&river.rows, 1))
            p {
                "Show the top "
                @for n in [100, 500, 1000, 5000] {
                    a href=(format!("/river?top={n}")) { (n) } " "
                }
            }
        },
    )
}

/// One distribution's deep reverse dependencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiverDistPage {
    /// The distribution.
    pub dist: String,
    /// Its own position.
    pub position: RiverRow,
    /// One page of its deep dependents, with their positions.
    pub dependents: Vec<RiverRow>,
    /// The paging.
    pub paging: Paging,
}

/// `GET /river/{dist}?page=`.
pub fn river_dist_page(viewer: &Viewer, river: &RiverDistPage) -> Markup {
    page(
        &format!("{} reverse dependencies", river.dist),
        Section::River,
        viewer,
        html! {
            h1 { "Everything that depends on " a href=(dist_url(&river.dist)) { (river.dist) } }
            p {
                strong { (river.position.band) } " — " (river.position.total) " distributions, "
                (river.position.immediate) " directly (bucket " (river.position.bucket) ")."
            }
            (lookup_form())
            @if river.dependents.is_empty() {
                p.muted { "Nothing depends on it." }
            } @else {
                (river_table(&river.dependents, (river.paging.page - 1) * river.paging.per_page + 1))
                (pager(&format!("/river/{}", path_segment(&river.dist)), &river.paging))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(dist: &str, total: u64) -> RiverRow {
        RiverRow {
            dist: dist.into(),
            immediate: 1,
            total,
            bucket: 2,
            band: "way downriver".into(),
        }
    }

    #[test]
    fn overview_has_charts_table_and_lookup() {
        let html = river_page(
            &Viewer::default(),
            &RiverPage {
                top: 100,
                rows: vec![row("Moo", 9000), row("<script>", 1)],
                bands: vec![
                    ("way upriver".into(), 1),
                    ("in the middle".into(), 0),
                    ("way downriver".into(), 1),
                ],
                buckets: [1, 1, 0, 0, 0, 0],
            },
        )
        .into_string();
        assert!(html.contains("<svg class=\"chart\""));
        assert!(html.contains(r#"class="band-2""#));
        assert!(html.contains(r#"href="/river/Moo""#));
        assert!(html.contains(r#"action="/river""#));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn deep_dependents_are_paginated() {
        let html = river_dist_page(
            &Viewer::default(),
            &RiverDistPage {
                dist: "Moo".into(),
                position: row("Moo", 3),
                dependents: vec![row("A", 0), row("B", 0)],
                paging: Paging {
                    page: 2,
                    per_page: 2,
                    count: 5,
                },
            },
        )
        .into_string();
        assert!(html.contains(r#"href="/river/Moo?page=1""#));
        assert!(html.contains(r#"href="/river/Moo?page=3""#));
        assert!(html.contains("page 2 of 3"));
        assert!(html.contains("<td class=\"num\">3</td>"));
    }
}
