//! What the smoker asks the `--from` riverpan: the index (02packages), the uploads with their
//! times (`GET /v3/upload`), a distribution's dependents in the river (`GET /api/v1/rdeps`).

use std::collections::BTreeSet;
use std::path::Path;

use riverpan_install::{DownloadCache, Fetcher, Source};

use crate::downriver::Dependent;
use crate::select::{latest_releases, Release, Upload};
use crate::SmokeError;

fn sources_of(specs: &[String]) -> Result<Vec<Source>, SmokeError> {
    Ok(specs
        .iter()
        .map(|spec| Source::parse(spec))
        .collect::<Result<Vec<_>, _>>()?)
}

/// The latest indexed release of each distribution the sources' `02packages` lists, newest
/// upload first (upload times from the first source that is a riverpan).
pub fn indexed_releases(specs: &[String], cache_dir: &Path) -> Result<Vec<Release>, SmokeError> {
    let fetcher = Fetcher::new(sources_of(specs)?, DownloadCache::new(cache_dir), false);
    let index = fetcher.package_index()?;
    let paths: BTreeSet<&str> = index.lines().map(|line| line.path.as_str()).collect();
    let uploads = uploads(fetcher.sources());
    Ok(latest_releases(paths, &uploads))
}

/// The uploads a riverpan lists (`GET /v3/upload`); none from a plain mirror.
fn uploads(sources: &[Source]) -> Vec<Upload> {
    for source in sources {
        if !matches!(source, Source::Http { .. }) {
            continue;
        }
        match source.get("v3/upload") {
            Ok(Some(bytes)) => match serde_json::from_slice::<Vec<Upload>>(&bytes) {
                Ok(list) => return list,
                Err(error) => tracing::debug!("{}v3/upload: {error}", source.name()),
            },
            Ok(None) => {}
            Err(error) => tracing::debug!("{error}"),
        }
    }
    Vec::new()
}

/// The dependents of `dist` in the river of the first riverpan among the sources: direct ones,
/// or with `deep` all transitive ones.
pub fn dependents(specs: &[String], dist: &str, deep: bool) -> Result<Vec<Dependent>, SmokeError> {
    let sources = sources_of(specs)?;
    let Some(source) = sources.iter().find(|s| matches!(s, Source::Http { .. })) else {
        return Err(SmokeError::Source {
            what: "the river".into(),
            why: "--downriver asks a riverpan's river API: give --from URL".into(),
        });
    };
    let mut all = Vec::new();
    for page in 1.. {
        let path = format!(
            "api/v1/rdeps/{dist}?kind=dist&per_page=5000&page={page}{}",
            if deep { "&deep=1" } else { "" }
        );
        let Some(bytes) = source.get(&path)? else {
            return Err(SmokeError::Source {
                what: format!("{}{path}", source.name()),
                why: format!("no distribution {dist} in the river"),
            });
        };
        let body: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|error| SmokeError::Source {
                what: format!("{}{path}", source.name()),
                why: error.to_string(),
            })?;
        let rows: Vec<Dependent> =
            serde_json::from_value(body["dependents"].clone()).map_err(|error| {
                SmokeError::Source {
                    what: format!("{}{path}", source.name()),
                    why: error.to_string(),
                }
            })?;
        all.extend(rows);
        let pages = body["pages"].as_u64().unwrap_or(1);
        if page as u64 >= pages {
            break;
        }
    }
    Ok(all)
}
