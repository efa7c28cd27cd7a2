//! Agreement with the real PAUSE index: `riverpan inspect` and the indexer against the lines
//! PAUSE wrote into CPAN's `02packages.details.txt.gz` of 2023-02-17
//! (`../shared/data/cpan-02packages-2023-02-17.txt.gz`, or `RIVERPAN_02PACKAGES`).
//!
//! Each corpus tarball (Debian's `orig` tarballs of CPAN distributions, fetched by
//! `../shared/corpus/fetch-debian-cpan` into `~/.cache/cpan-corpus`) is matched with the
//! distribution file of 02packages that is the same release: same `CPAN::DistnameInfo` dist
//! name and version, from the tarball's top directory (the Debian file name's version and the
//! manifest's `cpan_dist` as second guesses), same archive format. Tarballs Debian repacked
//! (`+dfsg`, `+ds`, or a top directory named after the Debian package) are not the uploaded file
//! and are left out. For every matched release, the (package, version) lines 02packages has with
//! the release's path are compared, as printed, with what riverpan would index from it: the
//! inspection (named with the real CPAN path), then the indexer (`Policy::Pause`) on an index
//! where the uploader owns the package named after the distribution and every package the
//! release declares has the lines 02packages has for it from other releases.
//!
//! Every difference falls into a category. Some are outside the release (the index also
//! reflects history and permissions: another author's release keeps the package) or come from a
//! dist-level rule newer than the release; the others must be listed in
//! `tests/data/real-index-known.tsv` with the rule PAUSE applied when the release was indexed
//! (`RULES`: what, until when, which andk/pause commit changed it). Anything else fails the
//! test: it is a riverpan bug until shown otherwise. `docs/inspect-differences.md` ("Against the
//! real index") has the figures.
//!
//! By default a deterministic sample of the corpus runs (300 archives, as CI fetches);
//! `RIVERPAN_INSPECT_SAMPLE=all` runs all of it and `RIVERPAN_REAL_INDEX_REPORT=FILE` writes
//! every difference. Skipped (with a message) when the corpus or the index file is missing, or
//! with `RIVERPAN_SKIP_CORPUS=1`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cpan_archive::{ArchiveFormat, Limits};
use cpan_distname::DistnameInfo;
use rayon::prelude::*;
use riverpan_indexer::{index_upload, IndexOptions, IndexState, Policy, Upload};
use riverpan_inspect::DistInspection;

fn corpus_dir() -> Option<PathBuf> {
    if std::env::var_os("RIVERPAN_SKIP_CORPUS").is_some() {
        return None;
    }
    let dir = std::env::var_os("CPAN_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/cpan-corpus"))
        })?;
    dir.join("orig").is_dir().then_some(dir)
}

fn index_file() -> Option<PathBuf> {
    let path = std::env::var_os("RIVERPAN_02PACKAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/cpan-02packages-2023-02-17.txt.gz")
        });
    path.is_file().then_some(path)
}

/// An evenly spaced, deterministic sample of the archives (or all of them), as
/// `riverpan-inspect`'s corpus differential test takes it.
fn sample(orig: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(orig)
        .expect("corpus dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    all.sort();
    let wanted = std::env::var("RIVERPAN_INSPECT_SAMPLE").unwrap_or_else(|_| "300".into());
    if wanted == "all" {
        return all;
    }
    let n: usize = wanted
        .parse()
        .expect("RIVERPAN_INSPECT_SAMPLE is a number or 'all'");
    if all.len() <= n {
        return all;
    }
    (0..n).map(|i| all[i * all.len() / n].clone()).collect()
}

/// One line of 02packages.
#[derive(Clone, Debug)]
struct Line {
    package: String,
    version: String,
    path: String,
}

/// 02packages, read for lookups.
struct RealIndex {
    /// Distribution path → its lines.
    by_path: HashMap<String, Vec<Arc<Line>>>,
    /// Lower-cased package name → its lines (more than one for legacy case variants).
    by_package: HashMap<String, Vec<Arc<Line>>>,
    /// (dist name, version) → the paths of that release.
    by_release: HashMap<(String, String), Vec<String>>,
    /// Dist name → (version, path) of every release with lines.
    by_dist: HashMap<String, Vec<(String, String)>>,
}

impl RealIndex {
    fn read(path: &Path) -> RealIndex {
        let file = std::fs::File::open(path).expect("02packages");
        let mut text = String::new();
        flate2::read::GzDecoder::new(BufReader::new(file))
            .read_to_string(&mut text)
            .expect("02packages is gzipped text");
        let mut index = RealIndex {
            by_path: HashMap::new(),
            by_package: HashMap::new(),
            by_release: HashMap::new(),
            by_dist: HashMap::new(),
        };
        let mut in_header = true;
        for line in text.lines() {
            if in_header {
                in_header = !line.is_empty();
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(package), Some(version), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("malformed 02packages line {line:?}");
            };
            let line = Arc::new(Line {
                package: package.to_string(),
                version: version.to_string(),
                path: path.to_string(),
            });
            index
                .by_package
                .entry(package.to_lowercase())
                .or_default()
                .push(Arc::clone(&line));
            index
                .by_path
                .entry(path.to_string())
                .or_default()
                .push(line);
        }
        for path in index.by_path.keys() {
            let info = DistnameInfo::new(path);
            let (Some(dist), Some(version)) = (info.dist(), info.version()) else {
                continue;
            };
            index
                .by_release
                .entry((dist.to_string(), version.to_string()))
                .or_default()
                .push(path.clone());
            index
                .by_dist
                .entry(dist.to_string())
                .or_default()
                .push((version.to_string(), path.clone()));
        }
        for paths in index.by_release.values_mut() {
            paths.sort();
        }
        index
    }
}

/// The manifest's `file` → `cpan_dist` column.
fn manifest(corpus: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(corpus.join("manifest.tsv")) else {
        return HashMap::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            (columns.len() >= 6 && !columns[5].is_empty())
                .then(|| (columns[1].to_string(), columns[5].to_string()))
        })
        .collect()
}

const REPACKED: &str =
    "repacked by Debian (+dfsg/+ds, or a top directory named after the Debian package)";

/// How a corpus tarball relates to the index.
enum Matching {
    /// The same release: its path in 02packages.
    Matched {
        path: String,
        latest: bool,
        /// The newest member's mtime, as a date: about when the release was made.
        date: String,
    },
    /// Not judged, and why.
    Unmatched(&'static str),
}

fn match_release(
    index: &RealIndex,
    manifest: &HashMap<String, String>,
    tarball: &Path,
    limits: &Limits,
) -> (Matching, String) {
    let file = tarball
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let upstream = file.split_once('_').map_or("", |(_, rest)| rest);
    if ["+dfsg", "+ds", "+repack", "+really", "~dfsg", "~ds"]
        .iter()
        .any(|mark| upstream.contains(mark))
    {
        return (Matching::Unmatched(REPACKED), file);
    }
    let Ok(listing) = cpan_archive::read_file(tarball, limits, &mut |_| false) else {
        return (Matching::Unmatched("unreadable"), file);
    };
    let Some(root) = listing.root() else {
        return (Matching::Unmatched("no single top directory"), file);
    };
    // The release's name: the top directory's, with the version of the Debian file name as a
    // second guess (`DelimMatch-1.06/` in DelimMatch-1.06a.tar.gz), and the manifest's CPAN
    // name for a top directory named otherwise (`Locale-gettext-1.07/` in gettext-1.07.tar.gz).
    let info = DistnameInfo::new(&format!("A/AA/AAA/{root}.tar.gz"));
    let dist = info.dist().unwrap_or(root).to_string();
    let debian_version = upstream.split(".orig").next().unwrap_or_default();
    let versions: Vec<&str> = info.version().into_iter().chain([debian_version]).collect();
    // A top directory named after the Debian package: Debian made this tarball (only the
    // top directory's own name can then match the release).
    let debian_package = file.split_once('_').map_or("", |(name, _)| name);
    let renamed = root.starts_with(&format!("{debian_package}-"));
    let mut names = vec![dist.clone()];
    if let Some(cpan_dist) = manifest
        .get(&file)
        .filter(|name| !renamed && **name != dist)
    {
        names.push(cpan_dist.clone());
    }
    for name in &names {
        for version in &versions {
            let Some(paths) = index.by_release.get(&(name.clone(), version.to_string())) else {
                continue;
            };
            // Several uploads of one release (by several authors, or as .tar.gz and .zip): the
            // one in the same archive format.
            let same_format = paths
                .iter()
                .find(|path| ArchiveFormat::from_file_name(path) == Some(listing.format));
            let Some(path) = same_format else {
                return (
                    Matching::Unmatched("another archive format than on CPAN"),
                    file,
                );
            };
            let latest = index.by_dist[name].iter().all(|(other, _)| {
                cpan_version::vcmp(other, version) != std::cmp::Ordering::Greater
            });
            let newest = listing.entries.iter().map(|entry| entry.mtime).max();
            return (
                Matching::Matched {
                    path: path.clone(),
                    latest,
                    date: date(newest.unwrap_or(0)),
                },
                file,
            );
        }
    }
    if renamed {
        return (Matching::Unmatched(REPACKED), file);
    }
    if index.by_dist.contains_key(&dist)
        || manifest
            .get(&file)
            .is_some_and(|dist| index.by_dist.contains_key(dist))
    {
        (
            Matching::Unmatched("another release of the distribution is in the index"),
            file,
        )
    } else {
        (
            Matching::Unmatched("the distribution is not in the index"),
            file,
        )
    }
}

/// `YYYY-MM-DD` of a time in seconds since the epoch (UTC).
fn date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// What riverpan would index from the release at `path`: (package, version) by lower-cased
/// package name.
fn riverpan_lines(
    index: &RealIndex,
    path: &str,
    inspection: &DistInspection,
) -> BTreeMap<String, (String, String)> {
    let info = DistnameInfo::new(path);
    let uploader = info.cpanid().unwrap_or("UNKNOWN").to_string();
    let mut state = IndexState::new();
    // The lines of other releases for the packages this one declares: the indexer decides
    // against them as PAUSE did. 02packages has no file names and no mtimes: the file is taken
    // to be named after the package (PAUSE keeps such a row against a file that is not) and
    // the release to be older than this one.
    for (package, _) in inspection.found_packages() {
        for line in index
            .by_package
            .get(&package.to_lowercase())
            .into_iter()
            .flatten()
        {
            if line.path != path {
                state.load_package(riverpan_indexer::PackageRow {
                    package: line.package.clone(),
                    version: line.version.clone(),
                    dist: line.path.clone(),
                    file: format!("lib/{}.pm", line.package.replace("::", "/")),
                    dist_mtime: 0,
                });
            }
        }
    }
    let main = riverpan_indexer::main_package(path);
    if !main.is_empty() {
        // The uploader owned the dist-name package: the release is in the index.
        state.load_perm(riverpan_indexer::PermRow {
            package: main.clone(),
            userid: uploader.clone(),
        });
        state.load_primeur(riverpan_indexer::PrimeurRow {
            package: main,
            userid: uploader.clone(),
        });
    }
    state.add_pumpking(&uploader);
    let upload = Upload {
        uploader,
        dist: path.to_string(),
        mtime: 1,
    };
    index_upload(
        &mut state,
        &upload,
        inspection,
        &IndexOptions {
            policy: Policy::Pause,
        },
    );
    state
        .packages()
        .filter(|row| row.dist == path)
        .map(|row| {
            let version = row.version.strip_prefix('+').unwrap_or(&row.version);
            (
                row.package.to_lowercase(),
                (row.package.clone(), version.to_string()),
            )
        })
        .collect()
}

/// A rule PAUSE applied when a release was indexed that is not today's (andk/pause history).
struct Rule {
    id: &'static str,
    /// The rule changed on this date: only releases made before it may be justified by it.
    before: Option<&'static str>,
    /// It only explains a package riverpan records with version `undef` or `0`.
    zero_version: bool,
    summary: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        id: "no-meta",
        before: Some("2023-04-29"),
        zero_version: false,
        summary: "a release without META.json or META.yml was indexed (refused since 2023-04-29, andk/pause 36b8870a, after this index)",
    },
    Rule {
        id: "world-writable",
        before: Some("2008-09-23"),
        zero_version: false,
        summary: "a release with world-writable files was indexed (refused since 2008-09-23, 567c7f7c)",
    },
    Rule {
        id: "provides-ignored",
        before: Some("2005-04-19"),
        zero_version: false,
        summary: "META provides was not read; versions came from the .pm files (read since 2005-04-19, e1a066cd)",
    },
    Rule {
        id: "provides-with-files",
        before: Some("2009-02-09"),
        zero_version: false,
        summary: "with META provides the .pm files were still scanned: provides versions numified (v0.0.8 -> 0.000008), packages absent from provides or outside their own file dropped (provides first since 2009-02-09, 25caf6a2)",
    },
    Rule {
        id: "provides-unversioned",
        before: Some("2009-09-23"),
        zero_version: false,
        summary: "a provides entry without a version was dropped (recorded as undef since 2009-09-23, 2e00f1a0)",
    },
    Rule {
        id: "filename-filter",
        before: Some("2011-11-29"),
        zero_version: false,
        summary: "02packages listed a package only when its file's name contains the package's last component (check dropped 2011-11-29, ae6379f6)",
    },
    Rule {
        id: "lenient-version",
        before: Some("2014-03-20"),
        zero_version: false,
        summary: "a $VERSION with trailing letters (2.00b5) was numified by the version.pm of the day (the file is skipped since 2014-03-20, 53058a26)",
    },
    Rule {
        id: "example-dirs",
        before: Some("2016-07-22"),
        zero_version: false,
        summary: ".pm files under examples/, example/, ex/, eg/ and demo/ were scanned (skipped since 2016-07-22, e3a8642e)",
    },
    Rule {
        id: "package-anywhere",
        before: Some("2024-04-25"),
        zero_version: false,
        summary: "`package NAME` counted anywhere on a line: after code (`}{package X;`), in a heredoc or a qw() list (only at the start of a statement since 2024-04-25, 0daf9c31)",
    },
    Rule {
        id: "version-comparison",
        before: Some("2019-04-28"),
        zero_version: false,
        summary: "a line comparing another package's $VERSION (`if ($mod_perl::VERSION >= 1.99) {`) counted as the $VERSION assignment, failed to evaluate and made the package unindexable (EPARSEVERSION; comparisons skipped since 2019-04-28, 55956c72)",
    },
    Rule {
        id: "before-history",
        before: Some("2002-12-23"),
        zero_version: false,
        summary: "indexed by a PAUSE older than the andk/pause history (which starts on 2002-12-23), whose rules are not known",
    },
    Rule {
        id: "permissions",
        before: None,
        zero_version: false,
        summary: "the package belongs to someone else, or did when the release was indexed: PAUSE refused it (EMISSPERM); 06perms is not at hand to show who",
    },
    Rule {
        id: "earlier-release-deleted",
        before: None,
        zero_version: true,
        summary: "an earlier release had the package at a version this release's undef (or 0) did not beat, the CPAN::Version PAUSE ran then ranking undef below every version, so PAUSE kept the earlier row; that release was deleted since and took the package out of the index",
    },
];

fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// What a difference is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// riverpan would not index the release at all (the inspection's skip code).
    Skip(String),
    /// Both list the package, with other versions.
    Version,
    /// Both list the package, in another case.
    Case,
    /// riverpan indexes the package; the index has it from no release at all.
    OnlyRiverpan,
    /// The index has the package from this release; riverpan does not index it.
    OnlyIndex,
    /// riverpan indexes the package; the index has it from another release, at a version this
    /// release does not beat for PAUSE's rules: another author's permissions, or the history
    /// of the index (the string says how).
    Elsewhere(&'static str),
}

impl Kind {
    fn code(&self) -> &str {
        match self {
            Kind::Skip(_) => "skip",
            Kind::Version => "version",
            Kind::Case => "case",
            Kind::OnlyRiverpan => "only-riverpan",
            Kind::OnlyIndex => "only-index",
            Kind::Elsewhere(_) => "elsewhere",
        }
    }

    fn describe(&self) -> String {
        match self {
            Kind::Skip(code) => format!("riverpan skips the release ({code})"),
            Kind::Version => "the version differs".into(),
            Kind::Case => "the package name's case differs".into(),
            Kind::OnlyRiverpan => {
                "only riverpan indexes the package; the index has it from no release".into()
            }
            Kind::OnlyIndex => "only the index lists the package".into(),
            Kind::Elsewhere(how) => {
                format!("the index has the package from another release: {how}")
            }
        }
    }
}

/// The CPAN::Version PAUSE ran until its rebuilds of 2023–2024 (before cpanpm e891deca, 2014-03,
/// "Compare 'undef' versions as '0'") ranked undef below every version: a release with undef
/// never replaced a row with a version, which today's PAUSE (and riverpan) would do.
const UNDEF_RANKED_LOW: &str = "the index keeps a version where this release has undef (the CPAN::Version PAUSE ran then ranked undef below every version)";
/// The same author's releases: not obviously permissions, so each is explained in
/// `real-index-known.tsv` (kind `elsewhere`).
const SAME_AUTHOR_SAME_VERSION: &str =
    "the index keeps the same version from another release by the same author";
const SAME_AUTHOR_LOWER_VERSION: &str =
    "the index keeps a lower version from another release by the same author";

/// One difference between the index and riverpan.
#[derive(Clone, Debug)]
struct Difference {
    kind: Kind,
    path: String,
    package: String,
    /// The version riverpan records, when it indexes the package.
    ours: Option<String>,
    detail: String,
}

fn compare(index: &RealIndex, path: &str, inspection: &DistInspection) -> Vec<Difference> {
    let mut differences = Vec::new();
    let mut difference = |kind: Kind, package: &str, ours: Option<&String>, detail: String| {
        differences.push(Difference {
            kind,
            path: path.to_string(),
            package: package.to_string(),
            ours: ours.cloned(),
            detail,
        })
    };
    let ours = match &inspection.skip_code {
        None => riverpan_lines(index, path, inspection),
        Some(code) => {
            difference(Kind::Skip(code.clone()), "*", None, String::new());
            // The packages are still compared, as if the release had been indexed.
            let mut unskipped = inspection.clone();
            unskipped.skip = None;
            unskipped.skip_code = None;
            riverpan_lines(index, path, &unskipped)
        }
    };
    let theirs: BTreeMap<String, (String, String)> = index.by_path[path]
        .iter()
        .map(|line| {
            (
                line.package.to_lowercase(),
                (line.package.clone(), line.version.clone()),
            )
        })
        .collect();
    let names: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for name in names {
        match (ours.get(name), theirs.get(name)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) if a.1 == b.1 => difference(
                Kind::Case,
                &b.0,
                Some(&a.1),
                format!("riverpan {} index {}", a.0, b.0),
            ),
            (Some(a), Some(b)) => difference(
                Kind::Version,
                &b.0,
                Some(&a.1),
                format!("riverpan {} index {}", a.1, b.1),
            ),
            (Some((package, version)), None) => {
                let Some(line) = index.by_package.get(name).and_then(|lines| lines.first()) else {
                    difference(
                        Kind::OnlyRiverpan,
                        package,
                        Some(version),
                        format!("riverpan {version}"),
                    );
                    continue;
                };
                let cpanid = |path: &str| DistnameInfo::new(path).cpanid().map(str::to_string);
                let same_author = cpanid(&line.path) == cpanid(path);
                let equal = cpan_version::vcmp(&line.version, version) == std::cmp::Ordering::Equal;
                let how = match (
                    version == "undef" && line.version != "undef",
                    equal,
                    same_author,
                ) {
                    (true, _, _) => UNDEF_RANKED_LOW,
                    (false, true, false) => {
                        "the index keeps the same version from another author's release"
                    }
                    (false, false, false) => {
                        "the index keeps a lower version from another author's release"
                    }
                    (false, true, true) => SAME_AUTHOR_SAME_VERSION,
                    (false, false, true) => SAME_AUTHOR_LOWER_VERSION,
                };
                difference(
                    Kind::Elsewhere(how),
                    package,
                    Some(version),
                    format!(
                        "riverpan {version}; index {} {} {}",
                        line.package, line.version, line.path
                    ),
                );
            }
            (None, Some((package, version))) => {
                let found = inspection
                    .found_packages()
                    .into_iter()
                    .find(|(found, _)| found.to_lowercase() == *name);
                let detail = match found {
                    Some((found, entry)) => format!(
                        "index {version}; riverpan finds {found} {} in {} but does not index it",
                        entry.version, entry.file
                    ),
                    None => format!("index {version}; riverpan does not find it"),
                };
                difference(Kind::OnlyIndex, package, None, detail);
            }
            (None, None) => unreachable!(),
        }
    }
    differences
}

/// One line of `tests/data/real-index-known.tsv`: a difference in one release, explained.
struct Known {
    line: usize,
    path: String,
    /// A package, or `*` for every package of the release.
    package: String,
    /// A [`Kind::code`], or `*`.
    kind: String,
    rule: &'static Rule,
}

fn known_differences() -> Vec<Known> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-index-known.tsv");
    let text = std::fs::read_to_string(&file).expect("tests/data/real-index-known.tsv");
    let mut known = Vec::new();
    for (at, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        assert!(
            columns.len() >= 4,
            "real-index-known.tsv:{}: expected path, package, kind, rule[, note]",
            at + 1
        );
        let rule = rule(columns[3]).unwrap_or_else(|| {
            panic!(
                "real-index-known.tsv:{}: unknown rule {:?}",
                at + 1,
                columns[3]
            )
        });
        known.push(Known {
            line: at + 1,
            path: columns[0].to_string(),
            package: columns[1].to_string(),
            kind: columns[2].to_string(),
            rule,
        });
    }
    known
}

/// Why a difference is not a riverpan bug, or `Err` with why the explanation does not hold.
fn justify(
    difference: &Difference,
    date: &str,
    known: &[Known],
    used: &mut BTreeSet<usize>,
) -> Result<String, String> {
    let dated = |rule: &Rule| {
        let zero =
            |version: &str| version == "undef" || version.trim_start_matches(['0', '.']).is_empty();
        match rule.before {
            Some(before) if date >= before => Err(format!(
                "rule {} only explains releases made before {before}; this one is from {date}",
                rule.id
            )),
            _ if rule.zero_version && !difference.ours.as_deref().is_some_and(zero) => {
                Err(format!(
                    "rule {} only explains a package riverpan records at undef or 0",
                    rule.id
                ))
            }
            _ => Ok(format!("{}: {}", rule.id, rule.summary)),
        }
    };
    match &difference.kind {
        Kind::Elsewhere(how)
            if *how != SAME_AUTHOR_SAME_VERSION && *how != SAME_AUTHOR_LOWER_VERSION =>
        {
            return Ok(format!("outside the release: {how}"))
        }
        Kind::Skip(code) if code == "no_meta" => return dated(rule("no-meta").expect("rule")),
        Kind::Skip(code) if code == "world_writable" => {
            return dated(rule("world-writable").expect("rule"))
        }
        _ => {}
    }
    let entry = known.iter().find(|entry| {
        entry.path == difference.path
            && (entry.package == "*" || entry.package == difference.package)
            && (entry.kind == "*" || entry.kind == difference.kind.code())
    });
    match entry {
        Some(entry) => {
            used.insert(entry.line);
            dated(entry.rule)
        }
        None => Err("not explained (a riverpan bug, or add it to tests/data/real-index-known.tsv with its reason)".into()),
    }
}

#[test]
fn inspect_and_indexer_agree_with_the_real_index() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("SKIPPED: no corpus (run ../shared/corpus/fetch-debian-cpan) or RIVERPAN_SKIP_CORPUS set");
        return;
    };
    let Some(index_path) = index_file() else {
        eprintln!("SKIPPED: no real 02packages (../shared/data/cpan-02packages-2023-02-17.txt.gz or RIVERPAN_02PACKAGES)");
        return;
    };
    let index = RealIndex::read(&index_path);
    let manifest = manifest(&corpus);
    let known = known_differences();
    let tarballs = sample(&corpus.join("orig"));
    assert!(!tarballs.is_empty(), "the corpus directory is empty");
    let limits = Limits::default();

    struct Outcome {
        file: String,
        matching: Matching,
        differences: Vec<Difference>,
    }
    let outcomes: Vec<Outcome> = tarballs
        .par_iter()
        .map(|tarball| {
            let (matching, file) = match_release(&index, &manifest, tarball, &limits);
            let differences = match &matching {
                Matching::Matched { path, .. } => {
                    let reader = std::fs::File::open(tarball).expect("corpus file");
                    let inspection = riverpan_inspect::inspect_reader(
                        &format!("authors/id/{path}"),
                        std::io::BufReader::new(reader),
                        &limits,
                    )
                    .expect("readable corpus file");
                    compare(&index, path, &inspection)
                }
                Matching::Unmatched(_) => Vec::new(),
            };
            Outcome {
                file,
                matching,
                differences,
            }
        })
        .collect();

    let mut unmatched: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut judged: BTreeSet<&str> = BTreeSet::new();
    let (mut latest, mut lines, mut differing_lines) = (0usize, 0usize, 0usize);
    // Kind → justification → differences.
    let mut by_kind: BTreeMap<Kind, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut used = BTreeSet::new();
    for outcome in &outcomes {
        let (path, date) = match &outcome.matching {
            Matching::Matched {
                path,
                latest: is_latest,
                date,
            } => {
                latest += usize::from(*is_latest);
                lines += index.by_path[path].len();
                judged.insert(path.as_str());
                (path.as_str(), date.as_str())
            }
            Matching::Unmatched(why) => {
                unmatched.entry(why).or_default().push(&outcome.file);
                continue;
            }
        };
        for difference in &outcome.differences {
            if !matches!(
                difference.kind,
                Kind::Skip(_) | Kind::OnlyRiverpan | Kind::Elsewhere(_)
            ) {
                differing_lines += 1;
            }
            let item = format!(
                "{path} {} {} ({}, {date})",
                difference.package, difference.detail, outcome.file
            );
            let why = match justify(difference, date, &known, &mut used) {
                Ok(why) => why,
                Err(why) => {
                    failures.push(format!("{item}: {}: {why}", difference.kind.describe()));
                    "UNEXPLAINED".to_string()
                }
            };
            by_kind
                .entry(difference.kind.clone())
                .or_default()
                .entry(why)
                .or_default()
                .push(item);
        }
    }
    for entry in &known {
        if judged.contains(entry.path.as_str()) && !used.contains(&entry.line) {
            failures.push(format!(
                "tests/data/real-index-known.tsv:{}: {} {} {} no longer differs: remove the line",
                entry.line, entry.path, entry.package, entry.kind
            ));
        }
    }

    let matched = judged.len();
    let total: usize = by_kind
        .values()
        .flat_map(|by_why| by_why.values())
        .map(Vec::len)
        .sum();
    let mut report = format!(
        "archives: {}; matched with their release in 02packages: {matched} ({latest} the latest release of their distribution there)\n\
         index lines of the matched releases: {lines}, of which {differing_lines} differ from riverpan\n\
         differences: {total} (unexplained: {})\n",
        outcomes.len(),
        failures.len(),
    );
    for (why, files) in &unmatched {
        report.push_str(&format!("not judged, {why}: {}\n", files.len()));
    }
    for (kind, by_why) in &by_kind {
        let count: usize = by_why.values().map(Vec::len).sum();
        report.push_str(&format!("\n== {}: {count}\n", kind.describe()));
        for (why, items) in by_why {
            report.push_str(&format!("  -- {why}: {}\n", items.len()));
            for item in items {
                report.push_str(&format!("     {item}\n"));
            }
        }
    }
    for (why, files) in &unmatched {
        report.push_str(&format!("\n== not judged, {why}: {}\n", files.len()));
        for file in files {
            report.push_str(&format!("     {file}\n"));
        }
    }
    if let Some(path) = std::env::var_os("RIVERPAN_REAL_INDEX_REPORT") {
        std::fs::write(&path, &report).expect("write the report");
    }
    // The summary and the categories, for the test log (the report file has every item).
    for line in report.lines().filter(|line| !line.starts_with("     ")) {
        eprintln!("{line}");
    }
    assert!(matched > 0, "no corpus release matched the index");
    assert!(
        failures.is_empty(),
        "{} differences with the real index are not explained:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
