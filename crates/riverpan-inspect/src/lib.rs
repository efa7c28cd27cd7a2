//! What PAUSE's indexer sees in a distribution archive: which META file counts, whether the dist is
//! indexed at all, which method finds its packages (META `provides` or scanning `.pm` files), and
//! the packages and versions it would record — decided exactly as `mldistwatch`, `PAUSE::dist`,
//! `PAUSE::pmfile` and `PAUSE::package` decide, without a database and without running Perl.
//!
//! The order of the checks follows `PAUSE::mldistwatch::maybe_index_dist`: the file name rules of
//! `ignoredist` and `examine_dist`, then the archive (`read_dist`), the META file
//! (`extract_readme_and_meta`), `distribution_type` and `release_status`, the dist-level sanity
//! checks, and `examine_pms`. Unlike PAUSE, riverpan keeps going after a reason to skip the dist
//! (a developer release, a missing META file…): the packages are still listed, because the
//! indexer records permissions for developer releases too, and because an author wants to see them.
//!
//! Everything here is a pure function of the archive listing; [`inspect_file`] and
//! [`inspect_reader`] add the reading.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use cpan_archive::{ArchiveError, ArchiveFormat, ArchiveListing, DistFinding, EntryKind, Limits};
use cpan_meta::RawValue;
use cpan_pmscan::{FileSkip, FileVersion, ScanOptions, VersionSource};
use serde::Serialize;

mod perl_regex;
pub use perl_regex::InterpolatedPattern;

/// The result of inspecting one archive, in the shape `riverpan inspect --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DistInspection {
    /// The archive as named on the command line (or the upload's path).
    pub file: String,
    /// Why PAUSE would not index this distribution at all (a sentence), or `None`.
    pub skip: Option<String>,
    /// The problem code of `skip` (not part of the JSON shape, which has the sentence only).
    #[serde(skip)]
    pub skip_code: Option<String>,
    /// The archive path of the META file PAUSE reads, when there is one it can use.
    pub meta: Option<String>,
    /// How packages are found.
    pub method: Option<IndexMethod>,
    /// Package name → what PAUSE would record for it.
    pub packages: BTreeMap<String, InspectedPackage>,
    /// Everything PAUSE would warn about or refuse, in the order found.
    pub problems: Vec<Problem>,
    /// META `x_authority` (who gets first-come on new packages), when the META file has one.
    #[serde(skip)]
    pub x_authority: Option<String>,
    /// Packages PAUSE finds but refuses whatever the permissions, with the version it saw:
    /// longer than 16 bytes (ELONGVERSION) or an unparseable `$VERSION` line (a JSON error
    /// object, EPARSEVERSION). Not in `packages` (PAUSE records none of them) but the indexer
    /// reports them.
    #[serde(skip)]
    pub refused: BTreeMap<String, InspectedPackage>,
    /// The prerequisites the META file declares (every phase and relationship, as `CPAN::Meta`
    /// converts them); empty without a usable META file. Not part of the JSON shape: the river
    /// is built from them.
    #[serde(skip)]
    pub prereqs: Vec<DeclaredPrerequisite>,
    /// The META file's `license` as `CPAN::Meta` converts it (spec-2 names such as `perl_5`;
    /// `unknown` when the file states none), or `None` without a META file. Not part of the JSON
    /// shape: the indexer's report nudges authors about it (Berlin consensus).
    #[serde(skip)]
    pub license: Option<Vec<String>>,
}

/// One prerequisite of a distribution's META file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeclaredPrerequisite {
    /// `configure`, `build`, `test`, `runtime` or `develop`.
    pub phase: &'static str,
    /// `requires`, `recommends`, `suggests` or `conflicts`.
    pub relationship: &'static str,
    /// The module (or `perl`).
    pub module: String,
    /// The version requirement as `CPAN::Meta::Requirements` writes it (`0`, `>= 1.2, < 2`).
    pub requirement: String,
}

impl DistInspection {
    /// An inspection of `file` that found nothing yet (no META, no packages, no problems).
    pub fn empty(file: &str) -> DistInspection {
        DistInspection {
            file: file.to_string(),
            skip: None,
            skip_code: None,
            meta: None,
            method: None,
            packages: BTreeMap::new(),
            problems: Vec::new(),
            x_authority: None,
            refused: BTreeMap::new(),
            prereqs: Vec::new(),
            license: None,
        }
    }

    /// Every package PAUSE examines: `packages` and `refused`, by name.
    pub fn found_packages(&self) -> Vec<(&String, &InspectedPackage)> {
        let mut all: Vec<(&String, &InspectedPackage)> =
            self.packages.iter().chain(self.refused.iter()).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all.dedup_by(|a, b| a.0 == b.0);
        all
    }
}

/// The indexing method `examine_pms` chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexMethod {
    /// `_index_by_meta`: the META `provides` hash, files not read.
    Meta,
    /// `_index_by_files`: the `.pm` files are scanned.
    Files,
}

/// One package as PAUSE would record it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InspectedPackage {
    /// The version as PAUSE records it in 02packages (`"undef"` when none).
    pub version: String,
    /// The file declaring it, relative to the distribution's root directory.
    pub file: String,
    /// META `provides` marks it `x_private` (the `proposed` policy does not index it).
    #[serde(skip)]
    pub x_private: bool,
}

/// Something PAUSE would warn about or refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable snake_case identifier (listed in the crate README).
    pub code: String,
    /// What happened and what to do about it, for a person.
    pub message: String,
}

impl Problem {
    fn new(code: &str, message: impl Into<String>) -> Problem {
        Problem {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// Why an archive could not be inspected at all.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Inspects an archive on disk. Errors only when the file cannot be opened or read; an archive
/// that is corrupt or refused as hostile is an inspection whose `skip` says so.
pub fn inspect_file(path: &Path, limits: &Limits) -> Result<DistInspection, InspectError> {
    let display = path.to_string_lossy().into_owned();
    let file = std::fs::File::open(path).map_err(|source| InspectError::Io {
        path: display.clone(),
        source,
    })?;
    inspect_reader(&display, std::io::BufReader::new(file), limits)
}

/// Inspects an archive read from `reader`; `name` is its path (for CPAN's name rules, the part
/// after `authors/id/` counts; otherwise the base name).
pub fn inspect_reader<R: Read>(
    name: &str,
    reader: R,
    limits: &Limits,
) -> Result<DistInspection, InspectError> {
    inspect_reader_observed(name, reader, limits, &mut |_| {})
}

/// [`inspect_reader`], handing the decompressed stream of a compressed tar to `observe` as
/// [`cpan_archive::read_archive_observed`] does: every chunk, then an empty slice when the whole
/// stream was read. (Archives the name rules stop before reading are not read at all.)
pub fn inspect_reader_observed<R: Read>(
    name: &str,
    mut reader: R,
    limits: &Limits,
    observe: &mut dyn FnMut(&[u8]),
) -> Result<DistInspection, InspectError> {
    let dist = dist_path(name);
    let mut inspection = DistInspection::empty(name);
    let naming = NameRules::of(&dist);
    naming.apply(&mut inspection);
    if naming.stop {
        return Ok(inspection);
    }
    // Sniff the format from the first bytes when the name does not say it.
    let mut head = Vec::with_capacity(512);
    (&mut reader)
        .take(512)
        .read_to_end(&mut head)
        .map_err(|source| InspectError::Io {
            path: name.to_string(),
            source,
        })?;
    let format = ArchiveFormat::from_file_name(name).or_else(|| ArchiveFormat::sniff(&head));
    let Some(format) = format else {
        skip(
            &mut inspection,
            "not_a_distribution",
            "The file is not an archive riverpan can read (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar or .zip).",
        );
        return Ok(inspection);
    };
    let chained = std::io::Cursor::new(head).chain(reader);
    let mut want = |entry: &cpan_archive::Entry| wanted(&entry.path);
    match cpan_archive::read_archive_observed(chained, format, limits, &mut want, observe) {
        Ok(listing) => {
            inspect_listing(&mut inspection, &listing, naming.regular_perl);
            Ok(inspection)
        }
        Err(ArchiveError::Io { source, .. }) => Err(InspectError::Io {
            path: name.to_string(),
            source,
        }),
        Err(error) => {
            let code = error.code();
            skip(
                &mut inspection,
                code,
                format!("The archive cannot be indexed: {error}"),
            );
            Ok(inspection)
        }
    }
}

/// The path CPAN's name rules look at: the part after `authors/id/` when present (as PAUSE's
/// `O/OP/OPRIME/Foo-1.0.tar.gz`), otherwise `/` and the base name, so that rules anchored on a
/// `/` (perl releases) apply to a bare file name too.
pub fn dist_path(name: &str) -> String {
    if let Some(at) = name.find("authors/id/") {
        return name[at + "authors/id/".len()..].to_string();
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    format!("/{base}")
}

/// Which archive members the inspection needs the bytes of: META files, and `.pm` files outside
/// the top-level directories PAUSE never scans.
fn wanted(path: &str) -> bool {
    if path.ends_with("/META.json") || path.ends_with("/META.yml") || path.ends_with("META6.json") {
        return true;
    }
    if !is_pm_candidate(path) {
        return false;
    }
    match path.split_once('/') {
        Some((_, inner)) => !in_skipped_top_dir(inner),
        None => false,
    }
}

/// `filter_pms`'s first test: `/\.pm(?:\.PL)?$/i`.
fn is_pm_candidate(path: &str) -> bool {
    let lower_ends = |suffix: &str| {
        path.len() >= suffix.len()
            && path.is_char_boundary(path.len() - suffix.len())
            && path[path.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    lower_ends(".pm") || lower_ends(".pm.pl")
}

/// `filter_pms`: libraries in these top-level directories are tests, installers, bundled
/// dependencies or examples, never the distribution's own modules.
fn in_skipped_top_dir(inner: &str) -> bool {
    const SKIPPED: [&str; 11] = [
        "t/",
        "xt/",
        "inc/",
        "local/",
        "perl5/",
        "fatlib/",
        "example/",
        "examples/",
        "ex/",
        "eg/",
        "demo/",
    ];
    SKIPPED.iter().any(|dir| inner.starts_with(dir))
}

fn skip(inspection: &mut DistInspection, code: &str, message: impl Into<String>) {
    let message = message.into();
    if inspection.skip.is_none() {
        inspection.skip = Some(message.clone());
        inspection.skip_code = Some(code.to_string());
    }
    inspection.problems.push(Problem::new(code, message));
}

/// The rules PAUSE applies to the file name before opening it (`ignoredist`, `examine_dist`).
struct NameRules {
    regular_perl: bool,
    /// Nothing more can be learnt from the archive (a bare .pm upload, a non-dist file).
    stop: bool,
    findings: Vec<(&'static str, String, bool)>,
}

impl NameRules {
    fn of(dist: &str) -> NameRules {
        let mut rules = NameRules {
            regular_perl: false,
            stop: false,
            findings: Vec::new(),
        };
        let mut note = |code: &'static str, message: String, is_skip: bool| {
            rules_push(&mut rules.findings, code, message, is_skip)
        };
        if dist.contains("/.") {
            note(
                "illegal_file_name",
                "PAUSE ignores files whose path has a component starting with a dot.".into(),
                true,
            );
            rules.stop = true;
            return rules;
        }
        if [".readme", ".sig", ".meta", "CHECKSUMS"]
            .iter()
            .any(|suffix| dist.ends_with(suffix))
        {
            note(
                "not_a_distribution",
                "README, signature, META and CHECKSUMS files are not distributions.".into(),
                true,
            );
            rules.stop = true;
            return rules;
        }
        if cpan_pmscan::is_regular_perl(dist) {
            rules.regular_perl = true;
            note(
                "perl_release",
                "This is a perl release: PAUSE indexes it only for an uploader with the pumpking bit, and its packages do not replace dual-life modules indexed from their own distributions.".into(),
                false,
            );
        } else if cpan_pmscan::is_dev_release(dist) {
            note(
                "developer_release",
                "This is a developer release (its name has an underscore in the version or ends in -TRIAL): PAUSE does not index it. Release it without the underscore or -TRIAL to have it indexed.".into(),
                true,
            );
        } else if perl_like(dist) {
            note(
                "perl_like_release",
                "Files named perl-<digits> that are not official perl releases are never indexed."
                    .into(),
                true,
            );
        }
        if !rules.regular_perl {
            if pause_tar_suffix(dist) || dist.ends_with(".zip") {
                // readable by PAUSE
            } else if is_bare_pm(dist) {
                note(
                    "bare_pm_file",
                    "Bare .pm files are not indexed: upload a distribution made with 'make dist'."
                        .into(),
                    true,
                );
                rules.stop = true;
            } else {
                note(
                    "not_a_distribution",
                    "PAUSE indexes only .tar.gz, .tgz, .tar.bz2, .tbz, .tar.Z and .zip files; this file is stored but not indexed (riverpan still shows what it contains).".into(),
                    true,
                );
            }
        }
        rules
    }

    fn apply(&self, inspection: &mut DistInspection) {
        for (code, message, is_skip) in &self.findings {
            if *is_skip {
                skip(inspection, code, message.clone());
            } else {
                inspection
                    .problems
                    .push(Problem::new(code, message.clone()));
            }
        }
    }
}

fn rules_push(
    findings: &mut Vec<(&'static str, String, bool)>,
    code: &'static str,
    message: String,
    is_skip: bool,
) {
    findings.push((code, message, is_skip));
}

/// `m|/perl-\d+|`.
fn perl_like(dist: &str) -> bool {
    dist.match_indices("/perl-").any(|(at, matched)| {
        dist[at + matched.len()..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
    })
}

/// PAUSE's `$SUFFQR`: `\.(tgz|tbz|tar[\._-]gz|tar\.bz2|tar\.Z)$`.
fn pause_tar_suffix(dist: &str) -> bool {
    [
        ".tgz", ".tbz", ".tar.gz", ".tar_gz", ".tar-gz", ".tar.bz2", ".tar.Z",
    ]
    .iter()
    .any(|suffix| dist.ends_with(suffix))
}

/// `/\.pm\.(?:Z|gz|bz2)$/`.
fn is_bare_pm(dist: &str) -> bool {
    [".pm.Z", ".pm.gz", ".pm.bz2"]
        .iter()
        .any(|suffix| dist.ends_with(suffix))
}

/// The prerequisites of a META structure as `CPAN::Meta` converts them.
fn declared_prerequisites(converted: &cpan_meta::CpanMeta) -> Vec<DeclaredPrerequisite> {
    let mut out = Vec::new();
    for (phase, relationship, requirements) in converted.prereqs.iter() {
        for (module, requirement) in requirements.as_string_hash() {
            out.push(DeclaredPrerequisite {
                phase: phase.as_str(),
                relationship: relationship.as_str(),
                module,
                requirement,
            });
        }
    }
    out
}

/// Everything after the archive has been read.
fn inspect_listing(inspection: &mut DistInspection, listing: &ArchiveListing, regular_perl: bool) {
    // read_dist: ExtUtils::Manifest::manifind lists what is not a directory, sorted.
    let mut manifound: Vec<&str> = listing
        .entries
        .iter()
        .filter(|entry| !matches!(entry.kind, EntryKind::Directory))
        .map(|entry| entry.path.as_str())
        .collect();
    manifound.sort_unstable();
    manifound.dedup();

    let meta = choose_meta(inspection, listing, &manifound);
    let empty = RawValue::Map(BTreeMap::new());
    let meta = meta.as_ref().unwrap_or(&empty);
    inspection.x_authority = meta
        .get("x_authority")
        .and_then(RawValue::as_perl_string)
        .filter(|authority| !authority.is_empty());
    // A META file CPAN::Meta refuses declares nothing a client would honour.
    let converted = cpan_meta::CpanMeta::from_raw(meta).ok();
    inspection.prereqs = converted
        .as_ref()
        .map(declared_prerequisites)
        .unwrap_or_default();
    if inspection.meta.is_some() {
        inspection.license = Some(converted.map(|meta| meta.license).unwrap_or_default());
    }

    if inspection.skip.is_none() {
        let distribution_type = meta
            .get("distribution_type")
            .and_then(RawValue::as_perl_string);
        let release_status = meta
            .get("release_status")
            .and_then(RawValue::as_perl_string)
            .unwrap_or_else(|| "stable".to_string());
        if distribution_type.as_deref() == Some("script") {
            skip(
                inspection,
                "script_distribution",
                "META says distribution_type: script; PAUSE does not index scripts.",
            );
        } else if release_status != "stable" {
            skip(
                inspection,
                "meta_unstable",
                format!("META release_status is not stable ({release_status}): PAUSE treats the release as a trial and does not index it."),
            );
        }
    }

    for finding in listing.findings() {
        match finding {
            DistFinding::SymlinkedMeta { .. } | DistFinding::SymlinkedReadme { .. } => {
                inspection
                    .problems
                    .push(Problem::new(finding.code(), finding.message()));
            }
            _ => skip(inspection, finding.code(), finding.message()),
        }
    }

    examine_pms(inspection, listing, &manifound, meta, regular_perl);
}

/// `extract_readme_and_meta`'s choice of META file, and its parsing.
fn choose_meta(
    inspection: &mut DistInspection,
    listing: &ArchiveListing,
    manifound: &[&str],
) -> Option<RawValue> {
    let shortest = |pred: &dyn Fn(&str) -> bool| -> Option<&str> {
        manifound
            .iter()
            .copied()
            .filter(|path| pred(path) && !path.contains("/t/"))
            // List::Util::reduce { length $a < length $b ? $a : $b }: a tie keeps the later path.
            .reduce(|a, b| if a.len() < b.len() { a } else { b })
    };
    let perl6 = manifound.iter().any(|path| {
        path.split_once('/')
            .is_some_and(|(_, rest)| rest == "META6.json")
    });
    if perl6 {
        skip(
            inspection,
            "perl6_distribution",
            "This is a Perl 6 (Raku) distribution (it has META6.json): nothing goes to 02packages.",
        );
        return None;
    }
    let json = shortest(&|path: &str| path.ends_with("/META.json"));
    let yaml = shortest(&|path: &str| path.ends_with("/META.yml"));
    let chosen = match (json, yaml) {
        (None, None) => {
            skip(
                inspection,
                "no_meta",
                "Distribution included neither META.json nor META.yml: PAUSE does not index it. Build the tarball with 'make dist' (ExtUtils::MakeMaker), 'Build dist' or 'dzil build', which write META files.",
            );
            return None;
        }
        // A META.json only in a subdirectory does not win over a top-level META.yml.
        (Some(json), Some(yaml)) if json.len() > yaml.len() + 1 => yaml,
        (Some(json), _) => json,
        (None, Some(yaml)) => yaml,
    };
    let entry = listing.entries.iter().find(|entry| entry.path == chosen);
    if entry.is_some_and(|entry| matches!(entry.kind, EntryKind::Symlink { .. })) {
        inspection.problems.push(Problem::new(
            "meta_symlink",
            format!("{chosen} is a symbolic link; PAUSE ignores it and indexes without META."),
        ));
        return None;
    }
    let Some(bytes) = listing.contents.get(chosen) else {
        inspection.problems.push(Problem::new(
            "meta_unreadable",
            format!("{chosen} is not a regular file; PAUSE cannot use it."),
        ));
        return None;
    };
    if bytes.is_empty() {
        inspection.problems.push(Problem::new(
            "meta_empty",
            format!("{chosen} is empty; PAUSE ignores it."),
        ));
        return None;
    }
    inspection.meta = Some(chosen.to_string());
    match cpan_meta::parse_file_content(chosen, bytes) {
        Ok(raw) => Some(raw),
        Err(error) => {
            inspection.problems.push(Problem::new(
                "meta_unparsable",
                format!("{chosen} cannot be parsed ({error}); PAUSE indexes as if it had no META content (no provides, no no_index)."),
            ));
            None
        }
    }
}

/// `PAUSE::dist::version_from_meta_ok`.
fn version_from_meta_ok(meta: &RawValue) -> bool {
    let Some(provides) = meta.get("provides") else {
        return false;
    };
    if !provides.is_truthy() {
        return false;
    }
    let generated_by = meta
        .get("generated_by")
        .and_then(RawValue::as_perl_string)
        .unwrap_or_default();
    let Some(mb_version) = module_build_version(&generated_by) else {
        return true;
    };
    if mb_version == "0.250.0" {
        return true;
    }
    let numeric = perl_numeric_prefix(&mb_version);
    let empty_hash = matches!(provides, RawValue::Map(map) if map.is_empty());
    !((0.19..0.26).contains(&numeric) && empty_hash)
}

/// The capture of `/Module::Build version ([\d\.]+)/`.
fn module_build_version(generated_by: &str) -> Option<String> {
    const NEEDLE: &str = "Module::Build version ";
    let at = generated_by.find(NEEDLE)?;
    let rest = &generated_by[at + NEEDLE.len()..];
    let captured: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!captured.is_empty()).then_some(captured)
}

/// Perl's numification of a string that starts with digits and dots ("0.28.08" is 0.28).
fn perl_numeric_prefix(text: &str) -> f64 {
    let mut end = 0;
    let mut seen_dot = false;
    for (at, c) in text.char_indices() {
        if c.is_ascii_digit() {
            end = at + 1;
        } else if c == '.' && !seen_dot {
            seen_dot = true;
            end = at + 1;
        } else {
            break;
        }
    }
    text[..end].parse().unwrap_or(0.0)
}

/// The `no_index` (or legacy `private`) values for one key: a scalar or a list of scalars.
fn no_index_values(meta: &RawValue, key: &str) -> Vec<String> {
    let no_index = match meta.get("no_index") {
        Some(value) if value.is_truthy() => Some(value),
        _ => meta.get("private"),
    };
    let Some(RawValue::Map(map)) = no_index else {
        return Vec::new();
    };
    let Some(value) = map.get(key) else {
        return Vec::new();
    };
    if !value.is_truthy() {
        return Vec::new();
    }
    match value {
        RawValue::Array(items) => items.iter().filter_map(RawValue::as_perl_string).collect(),
        other => other.as_perl_string().into_iter().collect(),
    }
}

/// `PAUSE::dist::examine_pms` with `filter_pms`, `_index_by_meta` and `_index_by_files`.
fn examine_pms(
    inspection: &mut DistInspection,
    listing: &ArchiveListing,
    manifound: &[&str],
    meta: &RawValue,
    regular_perl: bool,
) {
    let no_index_patterns: Vec<InterpolatedPattern> = no_index_values(meta, "file")
        .iter()
        .map(|value| InterpolatedPattern::new(value.trim_end_matches('/'), r"\z"))
        .chain(
            no_index_values(meta, "directory")
                .iter()
                .map(|value| InterpolatedPattern::new(value.trim_end_matches('/'), "/")),
        )
        .collect();
    let pmfiles: Vec<&str> = manifound
        .iter()
        .copied()
        .filter(|path| is_pm_candidate(path))
        .filter(|path| {
            let Some((_, inner)) = path.split_once('/') else {
                return false;
            };
            if in_skipped_top_dir(inner) {
                return false;
            }
            !no_index_patterns
                .iter()
                .any(|pattern| pattern.matches_start_of(inner))
        })
        .collect();

    let from_meta_ok = version_from_meta_ok(meta);
    let mut checkins = Checkins::default();
    match meta.get("provides") {
        Some(RawValue::Map(provides)) if from_meta_ok => {
            inspection.method = Some(IndexMethod::Meta);
            for (package, provided) in provides {
                let RawValue::Map(fields) = provided else {
                    continue;
                };
                let file = fields.get("file").and_then(RawValue::as_perl_string);
                let Some(file) = file.filter(|file| !file.is_empty()) else {
                    continue;
                };
                let version = fields
                    .get("version")
                    .and_then(|version| match version {
                        RawValue::Null => None,
                        other => Some(other.as_perl_string()),
                    })
                    .map(|version| version.unwrap_or_else(|| "REF".to_string()))
                    .unwrap_or_else(|| "undef".to_string());
                capitalization_warning(inspection, &file, package);
                checkins.check_in(inspection, package, &version, &file, true, false);
                let private = fields.get("x_private").is_some_and(RawValue::is_truthy);
                if let Some(entry) = inspection.packages.get_mut(package.as_str()) {
                    entry.x_private = private;
                }
            }
        }
        _ if !pmfiles.is_empty() => {
            inspection.method = Some(IndexMethod::Files);
            let no_index_packages = no_index_values(meta, "package");
            let no_index_namespaces = no_index_values(meta, "namespace");
            let options = ScanOptions {
                is_regular_perl: regular_perl,
                version_from_meta_ok: from_meta_ok,
                no_index_packages: &no_index_packages,
                no_index_namespaces: &no_index_namespaces,
            };
            for pmfile in pmfiles {
                if pmfile.contains("/blib/") {
                    continue;
                }
                let Some(content) = listing.contents.get(pmfile) else {
                    // A symlink or hardlink: GNU tar would materialise it; riverpan reads
                    // only regular members (documented difference).
                    continue;
                };
                let outcome = cpan_pmscan::examine_pmfile(pmfile, content, &options);
                let relative = pmfile.split_once('/').map_or(pmfile, |(_, rest)| rest);
                if let Some(skipped) = &outcome.skipped {
                    let (code, message) = match skipped {
                        FileSkip::DevVersion { version } => (
                            "dev_version_file",
                            format!("{relative} was skipped: its $VERSION {version} is a developer version (it has an underscore or blank); PAUSE does not index the packages of such a file."),
                        ),
                        FileSkip::VersionError { version, error } => (
                            "version_unparsable",
                            format!("{relative} was skipped: its $VERSION ({version}) is not a version PAUSE understands: {error}"),
                        ),
                    };
                    inspection.problems.push(Problem::new(code, message));
                    continue;
                }
                let simile_file = relative;
                let mut reported_version_line = false;
                for found in &outcome.packages {
                    match &found.version_source {
                        VersionSource::File(FileVersion::EvalError { line, error }) => {
                            refuse(inspection, &found.name, &found.version, relative);
                            if !std::mem::replace(&mut reported_version_line, true) {
                                inspection.problems.push(Problem::new(
                                    "version_unparsable",
                                    format!("{relative}: the indexer was not able to evaluate the $VERSION line `{}` ({error}); its packages are not indexed. Declare the version as a plain literal, or list the packages in META provides.", line.trim()),
                                ));
                            }
                            continue;
                        }
                        VersionSource::File(FileVersion::Unevaluable { line, reason }) => {
                            refuse(inspection, &found.name, &found.version, relative);
                            if !std::mem::replace(&mut reported_version_line, true) {
                                inspection.problems.push(Problem::new(
                                    "version_not_evaluated",
                                    format!("{relative}: riverpan does not evaluate the $VERSION line `{}` ({reason}); its packages are not listed. PAUSE runs such lines in a sandbox; a plain literal version, or META provides, works everywhere.", line.trim()),
                                ));
                            }
                            continue;
                        }
                        _ => {}
                    }
                    capitalization_warning(inspection, pmfile, &found.name);
                    let simile = simile(simile_file, &found.name);
                    checkins.check_in(
                        inspection,
                        &found.name,
                        &found.version,
                        relative,
                        false,
                        simile,
                    );
                }
            }
        }
        _ => {
            inspection.problems.push(Problem::new(
                "no_indexing_method",
                "Neither META provides nor any .pm file outside t/, inc/, examples/… was found: nothing can be indexed.",
            ));
        }
    }
}

/// Remembers a package PAUSE would find and refuse (see [`DistInspection::refused`]).
fn refuse(inspection: &mut DistInspection, package: &str, version: &str, file: &str) {
    if !cpan_pmscan::is_sane_package_name(package) || inspection.packages.contains_key(package) {
        return;
    }
    inspection
        .refused
        .entry(package.to_string())
        .or_insert_with(|| InspectedPackage {
            version: version.to_string(),
            file: file.to_string(),
            x_private: false,
        });
}

/// `PAUSE::package::examine_pkg` step 4: a package under `lib/` whose name matches its file name
/// only case-insensitively.
fn capitalization_warning(inspection: &mut DistInspection, pmfile: &str, package: &str) {
    let Some((_, module)) = pmfile.split_once("/lib/") else {
        return;
    };
    let module = module
        .strip_suffix(".pm")
        .unwrap_or(module)
        .replace('/', "::");
    if module.eq_ignore_ascii_case(package) && module != package {
        inspection.problems.push(Problem::new(
            "capitalization_mismatch",
            format!("Capitalization of package ({package}) does not match filename! ({pmfile})"),
        ));
    }
}

/// The packages checked in so far, for the competition between two files of one distribution
/// declaring the same package (`update_package` against the row the earlier file wrote).
#[derive(Default)]
struct Checkins {
    simile: BTreeMap<String, bool>,
}

impl Checkins {
    fn check_in(
        &mut self,
        inspection: &mut DistInspection,
        package: &str,
        version: &str,
        file: &str,
        by_meta: bool,
        simile: bool,
    ) {
        if !cpan_pmscan::is_sane_package_name(package) {
            return;
        }
        // examine_pkg: blank or whitespace-containing names and versions never reach 02packages.
        if version.trim().is_empty() || version.chars().any(char::is_whitespace) {
            return;
        }
        if version.len() > 16 {
            inspection.problems.push(Problem::new(
                "version_too_long",
                format!("{package}: version string {version} exceeds the maximum allowed length of 16 bytes; not indexed."),
            ));
            refuse(inspection, package, version, file);
            return;
        }
        if let Some(&old_simile) = self.simile.get(package) {
            if version != "undef" && !cpan_version::is_lax(version) {
                inspection.problems.push(Problem::new(
                    "bad_version",
                    format!("{package}: VERSION [{version}] in {file} is not a valid \"lax version\" string; not indexed."),
                ));
                return;
            }
            if !by_meta && !simile && old_simile {
                return;
            }
        }
        self.simile.insert(package.to_string(), simile);
        inspection.packages.insert(
            package.to_string(),
            InspectedPackage {
                version: version.to_string(),
                file: file.to_string(),
                x_private: false,
            },
        );
    }
}

/// `PAUSE::pmfile::simile`: does the file's base name (without `.pm`/`.pm.PL`) end the package
/// name at a word boundary? (`Version.pm` matches everything, for Apache::mod_perl_guide.)
fn simile(file: &str, package: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    let base = match base.find(".pm") {
        Some(at) => {
            let rest = &base[at + 3..];
            let cut = if rest.starts_with(".PL") { 6 } else { 3 };
            format!("{}{}", &base[..at], &base[at + cut..])
        }
        None => base.to_string(),
    };
    if base.eq_ignore_ascii_case("version") {
        return true;
    }
    if base.is_empty() {
        return true;
    }
    package.strip_suffix(base.as_str()).is_some_and(|head| {
        let before = head.chars().next_back();
        let first = base.chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        word(before) != word(first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_path_takes_the_part_after_authors_id() {
        assert_eq!(
            dist_path("/srv/cpan/authors/id/O/OP/OPRIME/Foo-1.0.tar.gz"),
            "O/OP/OPRIME/Foo-1.0.tar.gz"
        );
        assert_eq!(dist_path("dir/Foo-1.0.tar.gz"), "/Foo-1.0.tar.gz");
        assert_eq!(dist_path("Foo-1.0.tar.gz"), "/Foo-1.0.tar.gz");
    }

    #[test]
    fn wanted_files() {
        assert!(wanted("Foo-1/META.json"));
        assert!(wanted("Foo-1/lib/Foo.pm"));
        assert!(wanted("Foo-1/lib/Foo.PM"));
        assert!(wanted("Foo-1/Foo.pm.PL"));
        assert!(!wanted("Foo-1/t/lib/Foo.pm"));
        assert!(!wanted("Foo-1/inc/Module/Install.pm"));
        assert!(!wanted("Foo.pm"));
        assert!(wanted("Foo-1/lib/t/Foo.pm"));
    }

    #[test]
    fn module_build_versions() {
        assert_eq!(
            module_build_version("Module::Build version 0.2808"),
            Some("0.2808".into())
        );
        assert_eq!(
            module_build_version("ExtUtils::MakeMaker version 7.1"),
            None
        );
        assert_eq!(perl_numeric_prefix("0.28.08"), 0.28);
        assert_eq!(perl_numeric_prefix("0.2808"), 0.2808);
    }

    #[test]
    fn perl_like_names() {
        assert!(perl_like("/perl-6.tar.gz"));
        assert!(!perl_like("/perl-Foo-1.tar.gz"));
    }
}
