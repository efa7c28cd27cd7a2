//! The indexer report: everything decided, for `--json`, and the text for a person
//! (`PAUSE::dist::mail_summary`'s layout, with explanations PAUSE does not give).

use riverpan_inspect::{DistInspection, IndexMethod};
use serde::Serialize;

use crate::state::{Change, PackageOwners};
use crate::text::{perl_gmtime, wrap, wrap_paragraphs};
use crate::{Policy, StatusCode, Upload};

/// How a dist-level skip reason is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Not indexed and not reported (PAUSE sends no mail): not a distribution, a corrupt or
    /// hostile archive, a perl-like or untrusted perl release, Perl 6, a script.
    Silent,
    /// A developer release (`_` in the version, `-TRIAL`): PAUSE stops silently; the
    /// `proposed` policy records permissions first.
    Trial,
    /// Not indexed, and the report says why (unstable META, bare .pm file, no META).
    Reported,
    /// The archive's layout (blib/, several roots, world-writable files) prevents indexing;
    /// reported, and the dist-name rule is still checked.
    Layout,
}

/// Why the distribution was not indexed as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DistSkip {
    /// The inspection's problem code (`developer_release`, `no_meta`, …) or `untrusted_perl`.
    pub code: String,
    /// The explanation for a person.
    pub reason: String,
    /// How it is treated.
    pub kind: SkipKind,
    /// The status it stands for.
    pub status: StatusCode,
}

/// What happened to one package (PAUSE's `INDEX_STATUS` entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageOutcome {
    /// The package, as found in the upload.
    pub package: String,
    /// Its version as found (`undef` for a version that could not be parsed).
    pub version: String,
    /// The file declaring it.
    pub file: String,
    /// The status.
    pub status: StatusCode,
    /// PAUSE's number for `status`.
    pub status_code: u16,
    /// PAUSE's heading for `status`.
    pub heading: String,
    /// What happened and what to do about it.
    pub message: String,
    /// Warnings (e.g. capitalization of the package against its file name).
    pub warnings: Vec<String>,
}

/// Everything [`index_upload`](crate::index_upload) decided about one upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexReport {
    /// The rules applied.
    pub policy: Policy,
    /// The uploader's PAUSE id.
    pub uploader: String,
    /// The upload's path below `authors/id/`.
    pub dist: String,
    /// The upload's mtime (seconds).
    pub dist_mtime: i64,
    /// The META file read, if any.
    pub meta_file: Option<String>,
    /// Versions came from META `provides` ("META-driven index").
    pub meta_driven: bool,
    /// How packages were found (`None`: no `provides` and no `.pm` file).
    pub method: Option<IndexMethod>,
    /// The package named after the distribution.
    pub main_package: String,
    /// Whether the upload contains a package of exactly that name.
    pub main_package_found: bool,
    /// Who owns the package named after the distribution, after this upload.
    pub main_package_owners: PackageOwners,
    /// Why the distribution was not indexed as a whole, if it was not.
    pub skip: Option<DistSkip>,
    /// The uploader has no permission on the package named after the distribution.
    pub no_distname_permission: bool,
    /// (`proposed`) … and processing stopped before anything was examined.
    pub stopped_before_examination: bool,
    /// Changes made and then rolled back because of the dist-name rule.
    pub rolled_back: Vec<Change>,
    /// Permission changes that stand (perms and primeur rows).
    pub permission_changes: Vec<Change>,
    /// Index changes that stand (packages rows).
    pub index_changes: Vec<Change>,
    /// Per-package outcomes, in PAUSE's order (status code descending, then name).
    pub packages: Vec<PackageOutcome>,
    /// (`proposed`) Packages not indexed because META `provides` marks them `x_private`.
    pub private_packages: Vec<String>,
    /// Some package has a warning (PAUSE's "irregularities" paragraph).
    pub has_warnings: bool,
    /// The inspection's remarks that are not a skip reason (files skipped, META problems…).
    pub notes: Vec<String>,
    /// Messages PAUSE sends to its administrators.
    pub alerts: Vec<String>,
    /// The first package found (for the "different distribution name" hint).
    pub first_package: Option<String>,
    /// Where the distribution sits in the CPAN river and the care the Berlin consensus asks for
    /// there; set by the caller, who knows the river (the indexer does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub river: Option<RiverNote>,
    /// META's `license` (spec-2 names), `None` without a META file: the report nudges when it
    /// states none, and, in the middle of the river or upriver, when it is not OSI-approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<Vec<String>>,
}

/// Whether a CPAN::Meta spec-2 license name is OSI-approved (`perl_5`, "the terms of Perl
/// itself", counts: the Berlin consensus names it first). `open_source`, `unrestricted` (public
/// domain), `restricted`, `unknown`, the GFDL, GPL 1, OpenSSL and SSLeay are not.
pub fn is_osi_approved(license: &str) -> bool {
    matches!(
        license,
        "agpl_3"
            | "apache_1_1"
            | "apache_2_0"
            | "artistic_1"
            | "artistic_2"
            | "bsd"
            | "freebsd"
            | "gpl_2"
            | "gpl_3"
            | "lgpl_2_1"
            | "lgpl_3_0"
            | "mit"
            | "mozilla_1_0"
            | "mozilla_1_1"
            | "perl_5"
            | "qpl_1_0"
            | "sun"
            | "zlib"
    )
}

/// The distribution's place in the CPAN river, for the uploader (Berlin consensus, 2015).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiverNote {
    /// The distribution name.
    pub dist: String,
    /// Distributions that depend on it directly.
    pub immediate: u64,
    /// Distributions that depend on it directly or through others.
    pub total: u64,
    /// `way downriver`, `in the middle` or `way upriver`.
    pub band: String,
    /// The practices the consensus recommends for that band, one sentence each.
    pub advice: Vec<String>,
    /// The riverpan's own address (`[server] public_url`), for the `riverpan smoke --from`
    /// command; `None`: the command says `URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke_from: Option<String>,
}

/// How many direct dependents the report's `riverpan smoke --downriver` command tests before it
/// takes only the most upriver ones.
const DOWNRIVER_TOP: u64 = 20;

/// PAUSE's `$status_over_all`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Overall {
    Ok,
    Failed(StatusCode),
    /// Nothing examined and nothing to say: no report at all.
    Nothing,
}

/// "ALICE (first-come) and co-maintainers BOB, CAROL", or "nobody".
pub(crate) fn describe_owners(owners: &PackageOwners) -> String {
    let comaints = owners.comaints.join(", ");
    match (&owners.first_come, owners.comaints.is_empty()) {
        (Some(first), true) => format!("{first} (first-come)"),
        (Some(first), false) => format!("{first} (first-come) and co-maintainer(s) {comaints}"),
        (None, false) => format!("co-maintainer(s) {comaints} (no first-come owner)"),
        (None, true) => "nobody".to_string(),
    }
}

fn describe_change(change: &Change) -> String {
    match change {
        Change::PackageUpsert(row) => {
            format!("index {} {} ({})", row.package, row.version, row.dist)
        }
        Change::PackageDelete { package } => format!("drop {package} from the index"),
        Change::PermInsert(row) => format!("{} may now upload {}", row.userid, row.package),
        Change::PermDelete(row) => format!("{} no longer listed for {}", row.userid, row.package),
        Change::PrimeurInsert(row) => {
            format!("{} is first-come owner of {}", row.userid, row.package)
        }
        Change::PrimeurDelete(row) => {
            format!(
                "{} no longer first-come owner of {}",
                row.userid, row.package
            )
        }
    }
}

impl IndexReport {
    pub(crate) fn new(
        upload: &Upload,
        inspection: &DistInspection,
        policy: Policy,
        main: &str,
    ) -> IndexReport {
        IndexReport {
            policy,
            uploader: upload.uploader.clone(),
            dist: upload.dist.clone(),
            dist_mtime: upload.mtime,
            meta_file: inspection.meta.clone(),
            meta_driven: inspection.method == Some(IndexMethod::Meta),
            method: inspection.method,
            main_package: main.to_string(),
            main_package_found: false,
            main_package_owners: PackageOwners::default(),
            skip: None,
            no_distname_permission: false,
            stopped_before_examination: false,
            rolled_back: Vec::new(),
            permission_changes: Vec::new(),
            index_changes: Vec::new(),
            packages: Vec::new(),
            private_packages: Vec::new(),
            has_warnings: false,
            notes: Vec::new(),
            alerts: Vec::new(),
            first_package: None,
            river: None,
            license: inspection.license.clone(),
        }
    }

    /// The dist path as PAUSE's subject shows it: without the `X/XY/` directories.
    fn short_dist(&self) -> &str {
        let mut rest = self.dist.as_str();
        for _ in 0..2 {
            match rest.split_once('/') {
                Some((_, tail)) if tail.contains('/') => rest = tail,
                _ => break,
            }
        }
        rest
    }

    fn overall(&self) -> Overall {
        if let Some(skip) = &self.skip {
            match skip.kind {
                SkipKind::Silent | SkipKind::Trial if !self.no_distname_permission => {
                    return Overall::Nothing
                }
                _ => {}
            }
        }
        if self.no_distname_permission {
            return Overall::Failed(StatusCode::EDistNamePerm);
        }
        if let Some(skip) = &self.skip {
            return Overall::Failed(skip.status);
        }
        match self.packages.first() {
            Some(first) if first.status == StatusCode::Ok => Overall::Ok,
            Some(first) => Overall::Failed(first.status),
            None => Overall::Failed(StatusCode::ENothingFound),
        }
    }

    /// The overall status: the skip reason, `EDISTNAMEPERM` for the dist-name rule, the
    /// highest package status, or `ENOTHINGFOUND`.
    pub fn status(&self) -> StatusCode {
        match self.overall() {
            Overall::Ok => StatusCode::Ok,
            Overall::Failed(code) => code,
            Overall::Nothing => self
                .skip
                .as_ref()
                .map_or(StatusCode::ENothingFound, |skip| skip.status),
        }
    }

    /// `PAUSE indexer report OPRIME/Foo-1.0.tar.gz`, with PAUSE's `Failed: ` prefix whenever
    /// the overall status is not OK.
    pub fn subject(&self) -> String {
        let failed = if self.overall() == Overall::Ok {
            ""
        } else {
            "Failed: "
        };
        format!("{failed}PAUSE indexer report {}", self.short_dist())
    }

    /// Whether the report is sent to the uploader.
    ///
    /// `pause`: PAUSE's rules — no mail for silent skips and developer releases, nor when
    /// nothing could be examined at all (no package found, no `.pm` file, no skip reason).
    /// `proposed`: only when something was logged (a permission recorded, a package outcome, a
    /// stop reason) or rolled back.
    pub fn should_mail(&self) -> bool {
        match self.policy {
            Policy::Pause => match self.overall() {
                Overall::Nothing => false,
                Overall::Ok => true,
                Overall::Failed(_) => {
                    self.skip.is_some() || !self.packages.is_empty() || self.something_found()
                }
            },
            Policy::Proposed => {
                let stopped = self.no_distname_permission
                    || self.skip.as_ref().is_some_and(|skip| {
                        matches!(skip.kind, SkipKind::Reported | SkipKind::Layout)
                    });
                !self.permission_changes.is_empty()
                    || !self.rolled_back.is_empty()
                    || !self.packages.is_empty()
                    || !self.private_packages.is_empty()
                    || stopped
            }
        }
    }

    /// PAUSE mails a report with nothing indexed only when the dist had `.pm` files (riverpan
    /// knows that an indexing method was found) or META said it provides nothing.
    fn something_found(&self) -> bool {
        self.method.is_some()
    }

    /// The report for a person.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "The following report has been written by the riverpan namespace\nindexer (policy \"{}\"). Please ask the administrators of this\nrepository if there are any open questions.\n",
            self.policy
        ));
        if self.has_warnings {
            out.push_str("\nWARNING:  Some irregularities were found while indexing your\n          distribution.  See below for more details.\n");
        }
        let basename = self.dist.rsplit('/').next().unwrap_or(&self.dist);
        out.push_str(&format!(
            "\n  User: {}\n  Distribution file: {}\n  META-File: {}\n  META-driven index: {}\n  Timestamp of file: {} UTC\n\n",
            self.uploader,
            basename,
            self.meta_file.as_deref().unwrap_or("(none)"),
            if self.meta_driven { "yes" } else { "no" },
            perl_gmtime(self.dist_mtime),
        ));

        if let Some(skip) = &self.skip {
            if skip.kind != SkipKind::Layout {
                out.push_str(&wrap(skip.status.heading(), 0, 0));
                out.push('\n');
                if !skip.reason.is_empty() {
                    out.push_str(&wrap(&skip.reason, 0, 0));
                    out.push('\n');
                }
            }
        }
        if self.no_distname_permission {
            self.render_distname(&mut out);
        }
        if let Some(skip) = self
            .skip
            .as_ref()
            .filter(|skip| skip.kind == SkipKind::Layout)
        {
            out.push_str(&wrap(
                &format!(
                    "{} and is therefore not being indexed. {}",
                    skip.status.heading(),
                    skip.reason
                ),
                0,
                0,
            ));
            out.push('\n');
        } else if !self.packages.is_empty() {
            self.render_packages(&mut out);
        } else if self.skip.is_none()
            && !self.stopped_before_examination
            && self.rolled_back.is_empty()
        {
            if self.meta_driven {
                out.push_str("Nothing in this distro has been \nindexed, because according to META.yml this\npackage does not provide any modules.\n\n");
            } else {
                out.push_str("No or no indexable package statements could be found\nin the distro (maybe a script or documentation\ndistribution or a developer release?)\n\n");
            }
        }
        if !self.private_packages.is_empty() {
            out.push_str(&wrap(
                &format!(
                    "Not indexed because META provides marks them x_private: {}.",
                    self.private_packages.join(", ")
                ),
                0,
                0,
            ));
            out.push('\n');
        }
        if !self.permission_changes.is_empty() {
            out.push_str("Permissions recorded by this upload:\n\n");
            for change in &self.permission_changes {
                out.push_str(&format!("     {}\n", describe_change(change)));
            }
            out.push('\n');
        }
        if !self.rolled_back.is_empty() {
            out.push_str("Rolled back (nothing of this was recorded):\n\n");
            for change in &self.rolled_back {
                out.push_str(&format!("     {}\n", describe_change(change)));
            }
            out.push('\n');
        }
        if !self.notes.is_empty() {
            out.push_str("Notes from reading the distribution:\n\n");
            for note in &self.notes {
                out.push_str(&wrap(note, 5, 7));
            }
            out.push('\n');
        }
        if let Some(river) = &self.river {
            out.push_str(&wrap(
                &format!(
                    "{} is {} in the CPAN river: {} distribution{} depend{} on it directly and {} in all.",
                    river.dist,
                    river.band,
                    river.immediate,
                    if river.immediate == 1 { "" } else { "s" },
                    if river.immediate == 1 { "s" } else { "" },
                    river.total
                ),
                0,
                0,
            ));
            out.push('\n');
            if !river.advice.is_empty() {
                out.push_str(
                    "The Berlin consensus (QA Hackathon 2015) asks of distributions there:\n\n",
                );
                for line in &river.advice {
                    out.push_str(&wrap(&format!("- {line}"), 5, 7));
                }
                out.push('\n');
            }
            // The consensus's first request made concrete: the command that tests the
            // dependents against a release before it ships (this one, or the next as a tarball).
            let scope = if river.immediate <= DOWNRIVER_TOP {
                "--all".to_string()
            } else {
                format!("--top {DOWNRIVER_TOP}")
            };
            let (from, intro) = match &river.smoke_from {
                Some(url) => (
                    url.as_str(),
                    "To test its dependents with a release before you ship it (a trial release here, or the tarball on your disk in place of this file), run:",
                ),
                None => (
                    "URL",
                    "To test its dependents with a release before you ship it (a trial release here, or the tarball on your disk in place of this file), run, with this riverpan's address as URL:",
                ),
            };
            out.push_str(&wrap(intro, 0, 0));
            out.push('\n');
            out.push_str(&format!(
                "     riverpan smoke --from {from} --downriver {} {scope}\n\n",
                self.short_dist()
            ));
        }
        for paragraph in self.license_nudge() {
            out.push_str(&wrap(&paragraph, 0, 0));
            out.push('\n');
        }
        out.push_str("__END__\n");
        out
    }

    /// The Berlin consensus' license nudge (QA Hackathon 2015): "don't require a license, but
    /// the indexer mail could nudge when none is found"; and, for distributions in the middle
    /// of the river or upriver, its recommendation of "the terms of Perl itself or else a
    /// compatible OSI-approved license".
    pub fn license_nudge(&self) -> Vec<String> {
        let Some(names) = &self.license else {
            return Vec::new();
        };
        let stated: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "unknown")
            .collect();
        if stated.is_empty() {
            return vec![
                "License: the META file states no license (it is missing or \"unknown\"). \
                 Nothing requires one, but the Berlin consensus (QA Hackathon 2015) asks every \
                 distribution for a clearly stated license, so that people know whether they \
                 may use it. State it in META, e.g. LICENSE => 'perl_5' in Makefile.PL \
                 (ExtUtils::MakeMaker), license => 'perl' in Build.PL (Module::Build), or \
                 license = Perl_5 in dist.ini (Dist::Zilla)."
                    .to_string(),
            ];
        }
        let Some(river) = &self.river else {
            return Vec::new();
        };
        let listed = stated.join(", ");
        if !stated.iter().any(|name| is_osi_approved(name)) {
            return vec![format!(
                "License: {} is {} in the CPAN river and its license ({listed}) is not \
                 OSI-approved. The Berlin consensus asks distributions there to be licensed \
                 under the terms of Perl itself or else a compatible OSI-approved license \
                 (https://opensource.org/licenses/); note that a \"public domain\" dedication is \
                 not always legally valid and is not an OSI-approved license.",
                river.dist, river.band
            )];
        }
        let viral_only = stated
            .iter()
            .all(|name| matches!(*name, "gpl_1" | "gpl_2" | "gpl_3" | "agpl_3"));
        if viral_only {
            return vec![format!(
                "License: {} is {} in the CPAN river and licensed under the GPL only ({listed}). \
                 The Berlin consensus notes that a GPL-only (or other \"viral\") license may \
                 limit how far upriver a distribution can go; the terms of Perl itself \
                 (perl_5) are the usual choice.",
                river.dist, river.band
            )];
        }
        Vec::new()
    }

    /// The dist-name rule paragraphs: PAUSE's text, then who owns the name and what to do.
    fn render_distname(&self, out: &mut String) {
        let main = &self.main_package;
        out.push_str(&wrap(&format!(
            "This distribution name will only be indexed when uploaded by users with permission for the package {main}. Either someone else has ownership over that package name, or this is a brand new distribution and that package name was neither listed in the 'provides' field in the META file nor found inside the distribution's modules.  Therefore, no modules will be indexed."
        ), 0, 0));
        out.push('\n');
        let owners = &self.main_package_owners;
        let explanation = if main == "perl" {
            format!(
                "{} is a perl release: only users with the pumpking bit may have it indexed.",
                self.short_dist()
            )
        } else if !owners.is_empty() {
            let ask = owners
                .first_come
                .clone()
                .unwrap_or_else(|| owners.comaints.join(" or "));
            format!(
                "The package {main} belongs to {}, and {} has no permission on it. To release under this name, ask {ask} to make you a co-maintainer of {main}; or rename the distribution after a package you own.",
                describe_owners(owners),
                self.uploader,
            )
        } else if self.main_package_found {
            format!(
                "Nobody owns {main} yet, but {} could not claim it.",
                self.uploader
            )
        } else {
            format!(
                "Nobody owns {main} yet: the name becomes yours when the distribution contains the package {main} (e.g. in lib/{}.pm). Or rename the distribution after a package it contains.",
                main.replace("::", "/")
            )
        };
        if self.stopped_before_examination {
            out.push_str(&wrap(&format!("{explanation} Processing stopped before any package was examined or any permission recorded."), 0, 0));
        } else {
            out.push_str(&wrap(&explanation, 0, 0));
        }
        out.push_str("\nFurther details on the indexing attempt follow.\n\n");
        if !self.packages.is_empty() && !self.main_package_found {
            let example = self
                .first_package
                .as_deref()
                .unwrap_or("Some::Package")
                .replace("::", "-");
            out.push_str(&wrap(&format!(
                "You appear to be missing a .pm file containing a package matching the dist name ({main}). Adding this may solve your issue. Or maybe it is the other way round and a different distribution name could be chosen to reflect an actually included package name (eg. {example}-...)."
            ), 0, 0));
            out.push('\n');
        }
    }

    /// "Status of this distro" and the packages grouped by status.
    fn render_packages(&self, out: &mut String) {
        let Some(first) = self.packages.first() else {
            return;
        };
        let overall = if first.status == StatusCode::Ok {
            "OK".to_string()
        } else {
            first.heading.clone()
        };
        out.push_str(&format!(
            "Status of this distro: {overall}\n{}\n\n",
            "=".repeat(overall.len() + 23)
        ));
        out.push_str(
            "\nThe following packages (grouped by status) have been found in the distro:\n\n",
        );
        let mut last: Option<StatusCode> = None;
        for outcome in &self.packages {
            if last != Some(outcome.status) {
                out.push_str(&format!(
                    "Status: {}\n{}\n\n",
                    outcome.heading,
                    "=".repeat(outcome.heading.len() + 8)
                ));
                last = Some(outcome.status);
            }
            out.push_str(&format!("     module : {}\n", outcome.package));
            for warning in &outcome.warnings {
                out.push_str(&format!("     WARNING: {warning}\n"));
            }
            out.push_str(&format!("     version: {}\n", outcome.version));
            let file = if outcome.file.is_empty() {
                "missing in META.yml, tolerated by PAUSE indexer"
            } else {
                outcome.file.as_str()
            };
            out.push_str(&format!("     in file: {file}\n"));
            let status = wrap_paragraphs(&outcome.message, 14, 14);
            out.push_str(&format!("     status : {}\n", status.trim_start()));
        }
    }
}
