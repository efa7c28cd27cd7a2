//! The decision itself: `PAUSE::mldistwatch::maybe_index_dist` from the point where the archive
//! has been read, `_do_the_database_work`, `PAUSE::package::examine_pkg` and its helpers — and
//! the `proposed` policy's reordering of the same steps.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use riverpan_inspect::{DistInspection, IndexMethod, InspectedPackage};

use crate::report::{DistSkip, IndexReport, PackageOutcome, SkipKind};
use crate::state::{lc, Change, IndexState, PackageRow, PermRow, PrimeurRow};
use crate::{main_package, Policy, StatusCode, Upload};

/// One run of the indexer over one upload.
struct Run<'a> {
    state: &'a mut IndexState,
    upload: &'a Upload,
    inspection: &'a DistInspection,
    /// The package named after the dist (`MAIN`).
    main: String,
    /// `PAUSE::isa_regular_perl($dist)`.
    regular_perl: bool,
    /// `version_from_meta_ok` with a `provides` hash: versions come from META.
    by_meta: bool,
    /// PAUSE's `INDEX_STATUS`: the last status set for each package.
    statuses: BTreeMap<String, Status>,
    /// PAUSE's `INDEX_WARNINGS`.
    warnings: BTreeMap<String, Vec<String>>,
    /// PAUSE's `CHECKINS`: lower-case name → the case forms checked in by this upload.
    checkins: BTreeMap<String, BTreeSet<String>>,
    /// Admin alerts (PAUSE mails them to the admins once per run).
    alerts: Vec<String>,
}

/// One entry of `INDEX_STATUS`.
struct Status {
    version: String,
    file: String,
    code: StatusCode,
    message: String,
}

/// `PAUSE::isa_regular_perl` on a dist path (the regex wants a `/` before the file name).
fn is_regular_perl(dist: &str) -> bool {
    cpan_pmscan::is_regular_perl(&format!("/{dist}"))
}

/// `CPAN::Version->vgt`.
fn vgt(left: &str, right: &str) -> bool {
    cpan_version::vcmp(left, right) == Ordering::Greater
}

/// Perl's numeric value of a string is zero (`$v == 0`): the leading decimal number, if any,
/// is zero (`"0.000"`, `"v1.2"`, `"abc"` all are).
fn perl_numeric_is_zero(text: &str) -> bool {
    let trimmed = text.trim_start();
    let unsigned = trimmed
        .strip_prefix('+')
        .or_else(|| trimmed.strip_prefix('-'))
        .unwrap_or(trimmed);
    let mut seen_dot = false;
    for c in unsigned.chars() {
        match c {
            '1'..='9' => return false,
            '0' => {}
            '.' if !seen_dot => seen_dot = true,
            _ => break,
        }
    }
    true
}

/// `PAUSE->basename_matches_package($file, $package)`: `$package =~ /\b\Q$base\E$/` where
/// `$base` is the file's base name without `.pm` / `.pm.PL`.
fn basename_matches_package(file: &str, package: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    let base = match base.find(".pm") {
        Some(at) => {
            let rest = &base[at + 3..];
            let cut = if rest.starts_with(".PL") { 6 } else { 3 };
            format!("{}{}", &base[..at], &base[at + cut..])
        }
        None => base.to_string(),
    };
    let Some(head) = package.strip_suffix(base.as_str()) else {
        return false;
    };
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    word(head.chars().next_back()) != word(base.chars().next())
}

/// `PAUSE::package::_pkg_name_insane`.
fn package_name_insane(package: &str) -> bool {
    let mut chars = package.chars();
    let first_is_word = chars
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    let shape = first_is_word
        && package
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ':' || c == '\'');
    let ends_in_word = package
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    let bytes: Vec<char> = package.chars().collect();
    let single_colon_between_words = bytes.windows(3).any(|w| {
        (w[0].is_alphanumeric() || w[0] == '_')
            && w[1] == ':'
            && (w[2].is_alphanumeric() || w[2] == '_')
    });
    !shape
        || !ends_in_word
        || (package.contains(':') && !package.contains("::"))
        || single_colon_between_words
        || package.contains(":::")
}

/// How PAUSE treats the inspection's dist-level skip reason.
fn classify_skip(code: &str) -> (SkipKind, StatusCode) {
    match code {
        "developer_release" => (SkipKind::Trial, StatusCode::EDevRelease),
        "meta_unstable" => (SkipKind::Reported, StatusCode::EMetaUnstable),
        "bare_pm_file" => (SkipKind::Reported, StatusCode::EBarePmFile),
        "no_meta" => (SkipKind::Reported, StatusCode::ENoMetaFile),
        "multiple_roots" | "blib" | "world_writable" => (SkipKind::Layout, StatusCode::EDistLayout),
        _ => (SkipKind::Silent, StatusCode::ESkipped),
    }
}

/// Inspection problems worth a line in the report (what is not already a skip reason or a
/// per-package warning).
fn notes_from(inspection: &DistInspection) -> Vec<String> {
    inspection
        .problems
        .iter()
        .filter(|problem| {
            Some(&problem.code) != inspection.skip_code.as_ref()
                && !matches!(
                    problem.code.as_str(),
                    "capitalization_mismatch" | "perl_release"
                )
        })
        .map(|problem| problem.message.clone())
        .collect()
}

pub(crate) fn run(
    state: &mut IndexState,
    upload: &Upload,
    inspection: &DistInspection,
    policy: Policy,
) -> IndexReport {
    let mut run = Run {
        main: main_package(&upload.dist),
        regular_perl: is_regular_perl(&upload.dist),
        by_meta: inspection.method == Some(IndexMethod::Meta),
        state,
        upload,
        inspection,
        statuses: BTreeMap::new(),
        warnings: BTreeMap::new(),
        checkins: BTreeMap::new(),
        alerts: Vec::new(),
    };
    let mut report = IndexReport::new(upload, inspection, policy, &run.main);
    report.notes = notes_from(inspection);
    let savepoint = run.state.savepoint();

    // examine_dist: a perl release from a user without the pumpking bit is dropped silently.
    if run.regular_perl && !run.state.is_pumpking(&upload.uploader) {
        run.alerts.push(format!(
            "perl dist {} from untrusted user {}; skip set to [1]",
            upload.dist, upload.uploader
        ));
        report.skip = Some(DistSkip {
            code: "untrusted_perl".into(),
            reason: format!(
                "This is a perl release; only users with the pumpking bit may have one indexed, and {} does not have it.",
                upload.uploader
            ),
            kind: SkipKind::Silent,
            status: StatusCode::ESkipped,
        });
        return run.finish(report, savepoint);
    }

    let skip = inspection.skip_code.as_deref().map(|code| {
        let (kind, status) = classify_skip(code);
        DistSkip {
            code: code.to_string(),
            reason: inspection.skip.clone().unwrap_or_default(),
            kind,
            status,
        }
    });
    if let Some(skip) = &skip {
        if skip.kind == SkipKind::Silent {
            report.skip = Some(skip.clone());
            return run.finish(report, savepoint);
        }
    }

    match policy {
        Policy::Pause => run.pause(&mut report, skip, savepoint),
        Policy::Proposed => run.proposed(&mut report, skip, savepoint),
    }
    run.finish(report, savepoint)
}

impl Run<'_> {
    /// Today's PAUSE.
    fn pause(&mut self, report: &mut IndexReport, skip: Option<DistSkip>, savepoint: usize) {
        if let Some(skip) = skip {
            let layout = skip.kind == SkipKind::Layout;
            report.skip = Some(skip);
            if !layout {
                // Developer releases, unstable META, bare .pm files, no META: not examined.
                return;
            }
            // blib/, several roots, world-writable: examine_pms returns at once, but the
            // dist-name check of _do_the_database_work still runs.
        } else {
            let packages: Vec<(&String, &InspectedPackage)> = self.inspection.found_packages();
            for (package, found) in packages {
                self.examine_package(package, found);
            }
        }
        if self.uploader_has_distname_permission() {
            self.normalize_package_casing();
        } else {
            self.refuse_distname(report, savepoint);
        }
    }

    /// Seed 004's proposed behaviour.
    fn proposed(&mut self, report: &mut IndexReport, skip: Option<DistSkip>, savepoint: usize) {
        // 1. The distpkg is registered and the uploader has no permission on it: stop.
        let main_registered = self.main == "perl" || self.state.is_registered(&self.main);
        if main_registered && !self.uploader_has_distname_permission() {
            self.alerts.push(format!(
                "Uploading user has no permissions on package {}",
                self.main
            ));
            report.no_distname_permission = true;
            report.stopped_before_examination = true;
            report.skip = skip;
            return;
        }
        let trial = match &skip {
            None => false,
            Some(skip) if skip.kind == SkipKind::Trial || skip.code == "meta_unstable" => true,
            Some(_) => {
                // No META, a bare .pm file, a broken layout: nothing trustworthy to record.
                report.skip = skip;
                return;
            }
        };
        // 3. Permissions for every package not in the perms table yet (x_private ones too).
        let packages: Vec<(&String, &InspectedPackage)> = self.inspection.found_packages();
        for (package, _) in &packages {
            if !package_name_insane(package) && !self.state.is_registered(package) {
                self.assign_new_package(package);
            }
        }
        if !self.uploader_has_distname_permission() {
            self.refuse_distname(report, savepoint);
            return;
        }
        if trial {
            report.skip = skip;
            return;
        }
        for (package, found) in packages {
            if found.x_private {
                report.private_packages.push(package.clone());
                continue;
            }
            self.examine_package(package, found);
        }
        self.normalize_package_casing();
    }

    /// The proposed policy's permission assignment for a package nobody has a permission on:
    /// the same rows PAUSE's `perm_check`, `give_regdowner_perms` and `checkin_into_primeur`
    /// would write when the package is indexed.
    fn assign_new_package(&mut self, package: &str) {
        self.insert_perm(package, &self.upload.uploader.clone());
        self.copy_main_perms(package);
        self.checkin_into_primeur(package);
    }

    /// `userid_has_permissions_on_package(U, MAIN)`.
    fn uploader_has_distname_permission(&self) -> bool {
        if self.main == "perl" {
            return self.state.is_pumpking(&self.upload.uploader);
        }
        self.state
            .has_permission_any_case(&self.upload.uploader, &self.main)
    }

    /// The dist-name rule failed: roll everything back and relabel what was indexed.
    fn refuse_distname(&mut self, report: &mut IndexReport, savepoint: usize) {
        self.alerts.push(format!(
            "Uploading user has no permissions on package {}",
            self.main
        ));
        report.no_distname_permission = true;
        report.rolled_back = self.state.rollback_to(savepoint);
        let author = self.upload.uploader.clone();
        for status in self.statuses.values_mut() {
            if status.code == StatusCode::Ok {
                status.code = StatusCode::EDistNamePerm;
                status.message =
                    format!("Not indexed; {author} not authorized for this distribution name");
            }
        }
    }

    fn set_status(
        &mut self,
        package: &str,
        version: &str,
        file: &str,
        code: StatusCode,
        message: String,
    ) {
        self.statuses.insert(
            package.to_string(),
            Status {
                version: version.to_string(),
                file: file.to_string(),
                code,
                message,
            },
        );
    }

    fn insert_perm(&mut self, package: &str, userid: &str) {
        self.state.record(Change::PermInsert(PermRow {
            package: package.to_string(),
            userid: userid.to_string(),
        }));
    }

    /// `give_regdowner_perms`: every `perms` user of MAIN gets a `perms` row on `package`.
    fn copy_main_perms(&mut self, package: &str) {
        if lc(&self.main) == lc(package) {
            return;
        }
        for row in self.state.perm_rows_any_case(&self.main) {
            self.insert_perm(package, &row.userid);
        }
    }

    /// `PAUSE::package::examine_pkg`.
    fn examine_package(&mut self, package: &str, found: &InspectedPackage) {
        if package_name_insane(package) {
            return;
        }
        if !self.perm_check(package, found) {
            return;
        }
        self.copy_main_perms(package);
        self.capitalization_warning(package, found);
        let version = found.version.as_str();
        if version.starts_with('{') && version.ends_with('}') {
            // A JSON error object from the version evaluation (PAUSE's parse_version).
            self.set_status(
                package,
                "undef",
                &found.file,
                StatusCode::EParseVersion,
                format!("The PAUSE indexer was not able to parse the following line in that file: C< {version} > Note: the indexer cannot provide the full functionality of perl in the VERSION line. As a workaround, please consider writing a META.yml that contains a 'provides' attribute, or declare the version as a plain literal."),
            );
            return;
        }
        let blank = |text: &str| text.trim().is_empty() || text.chars().any(char::is_whitespace);
        if blank(package) || blank(version) || blank(&self.upload.dist) {
            return;
        }
        self.checkin(package, found);
    }

    /// `perm_check`: may the uploader index `package`? Records the uploader's `perms` row when
    /// the package is new, a perl core package, or theirs by exact-case first-come.
    fn perm_check(&mut self, package: &str, found: &InspectedPackage) -> bool {
        let uploader = self.upload.uploader.clone();
        if self.regular_perl {
            self.insert_perm(package, &uploader);
            return true;
        }
        if self.state.first_come_exact(package) == Some(uploader.as_str()) {
            self.insert_perm(package, &uploader);
            return true;
        }
        let maintainers = self.state.maintainers_any_case(package);
        if maintainers.is_empty() {
            self.insert_perm(package, &uploader);
            return true;
        }
        if maintainers.iter().any(|(_, userid)| *userid == uploader) {
            // Same case: fine. Only a case variant: "case mismatch; let's correct".
            return true;
        }
        let owners = self.state.owners(package);
        let owner = owners.first_come.clone().unwrap_or_default();
        let mut message = format!(
            "Not indexed because permission missing. Current registered primary maintainer is {owner}. Hint: you can always find the legitimate maintainer(s) on PAUSE under \"View Permissions\"."
        );
        message.push_str(&format!(
            "\n\n{package} belongs to {}. To index it from this distribution, ask {} to make you a co-maintainer of {package}; or remove it from the distribution (or mark it x_private / no_index) if it is not yours.",
            crate::report::describe_owners(&owners),
            if owner.is_empty() { "one of them".to_string() } else { owner.clone() },
        ));
        self.set_status(
            package,
            &found.version,
            &found.file,
            StatusCode::EMissPerm,
            message,
        );
        let owner_list: Vec<String> = maintainers.into_iter().map(|(_, userid)| userid).collect();
        self.alerts.push(format!(
            "not owner:\npackage[{package}]\nversion[{}]\nfile[{}]\ndist[{}]\nuserid[{uploader}]\nowners[{}]\nowner[{owner}]",
            found.version,
            found.file,
            self.upload.dist,
            owner_list.join(" ")
        ));
        false
    }

    /// `examine_pkg` step 4: the file under `lib/` names the package in another case.
    fn capitalization_warning(&mut self, package: &str, found: &InspectedPackage) {
        // PAUSE splits its PMFILE on "/lib/": on the files path PMFILE starts with the dist's
        // root directory, on the META path it is the provides file as written.
        let pmfile = if self.by_meta {
            found.file.clone()
        } else {
            format!("/{}", found.file)
        };
        let Some((_, module)) = pmfile.split_once("/lib/") else {
            return;
        };
        if module.is_empty() {
            return;
        }
        let module = module
            .strip_suffix(".pm")
            .unwrap_or(module)
            .replace('/', "::");
        if lc(&module) == lc(package) && module != package {
            self.warnings
                .entry(package.to_string())
                .or_default()
                .push(format!(
                    "Capitalization of package ({package}) does not match filename!"
                ));
        }
    }

    /// `checkin`.
    fn checkin(&mut self, package: &str, found: &InspectedPackage) {
        self.checkins
            .entry(lc(package))
            .or_default()
            .insert(package.to_string());
        let rows = self.state.package_rows_any_case(package);
        let row_count = rows.len();
        match rows.first() {
            Some(&old) => {
                let old = old.clone();
                self.update_package(package, found, &old, row_count);
            }
            None => self.insert_into_package(package, found),
        }
        let status = self.statuses.get(package).map(|status| status.code);
        if status.is_none() || status == Some(StatusCode::Ok) {
            self.checkin_into_primeur(package);
        }
    }

    /// `_version_ok`: at most 16 bytes.
    fn version_ok(&mut self, package: &str, found: &InspectedPackage) -> bool {
        if found.version.len() <= 16 {
            return true;
        }
        let heading = StatusCode::ELongVersion.heading();
        self.set_status(
            package,
            &found.version,
            &found.file,
            StatusCode::ELongVersion,
            format!("{heading}. The index stores at most 16 characters of version: release with a shorter version."),
        );
        self.alerts.push(format!(
            "{heading}:\npackage[{package}]\nversion[{}]\nfile[{}]\ndist[{}]",
            found.version, found.file, self.upload.dist
        ));
        false
    }

    fn new_row(&self, package: &str, found: &InspectedPackage) -> PackageRow {
        PackageRow {
            package: package.to_string(),
            version: found.version.clone(),
            dist: self.upload.dist.clone(),
            file: found.file.clone(),
            dist_mtime: self.upload.mtime,
        }
    }

    /// `insert_into_package`.
    fn insert_into_package(&mut self, package: &str, found: &InspectedPackage) {
        if !self.version_ok(package, found) {
            return;
        }
        let row = self.new_row(package, found);
        self.state.record(Change::PackageUpsert(row));
        self.set_status(
            package,
            &found.version,
            &found.file,
            StatusCode::Ok,
            "indexed".into(),
        );
    }

    /// `update_package`: the new release competes with the indexed row (pause.md §2.6 table).
    fn update_package(
        &mut self,
        package: &str,
        found: &InspectedPackage,
        old: &PackageRow,
        row_count: usize,
    ) {
        let new_version = found.version.as_str();
        let old_version = old.version.as_str();
        let (tmt, omt) = (self.upload.mtime, old.dist_mtime);
        let old_is_perl = is_regular_perl(&old.dist);
        let (ofile, odist, opack) = (&old.file, &old.dist, &old.package);
        let mut ok = false;
        if self.regular_perl {
            if old_is_perl {
                if vgt(new_version, old_version) {
                    ok = true;
                } else if vgt(old_version, new_version) {
                    // An older perl does not replace a newer one; silently.
                } else if tmt >= omt {
                    ok = true;
                }
            } else if vgt(new_version, old_version) {
                self.set_status(package, new_version, &found.file, StatusCode::EDualOlder, format!(
                    "Not indexed because package {opack} in file {ofile} seems to have a dual life in {odist}. Although the other package is at version [{old_version}], the indexer lets the other dist continue to be the reference version, shadowing the one in the core. Maybe harmless, maybe needs resolving."
                ));
            } else {
                self.set_status(package, new_version, &found.file, StatusCode::EDualYounger, format!(
                    "Not indexed because package {opack} in file {ofile} has a dual life in {odist}. The other version is at {old_version}, so not indexing seems okay."
                ));
            }
        } else if !cpan_version::is_lax(new_version) {
            self.set_status(package, new_version, &found.file, StatusCode::EBadVersion, format!(
                "Not indexed because VERSION [{new_version}] is not a valid \"lax version\" string. Use a decimal (1.23) or dotted-decimal (v1.2.3) version."
            ));
        } else if vgt(new_version, old_version) {
            ok = true;
        } else if vgt(old_version, new_version) {
            if *odist != self.upload.dist {
                self.set_status(package, new_version, &found.file, StatusCode::EVerFalling, format!(
                    "Not indexed because {ofile} in {odist}\nhas a higher version number ({old_version}). Versions on CPAN never go down: release {package} with a version above {old_version} to have it indexed."
                ));
                if let Some(forms) = self.checkins.get_mut(&lc(package)) {
                    forms.remove(package);
                }
                self.alerts.push(format!(
                    "decreasing VERSION number [{new_version}]\nin package[{package}]\ndist[{}]\noldversion[{old_version}]\npmfile[{}]",
                    self.upload.dist, found.file
                ));
            } else if old_is_perl {
                ok = true;
            } else {
                self.alerts.push(format!(
                    "Taking back previous version calculation. odist[{odist}]oversion[{old_version}]dist[{}]version[{new_version}].",
                    self.upload.dist
                ));
                ok = true;
            }
        } else if new_version == "undef" || perl_numeric_is_zero(new_version) {
            if tmt >= omt {
                ok = true;
            } else {
                self.set_status(package, new_version, &found.file, StatusCode::EOldRelease, format!(
                    "Not indexed because {ofile} in {odist}\nalso has a zero version number and the distro has a more recent modification time. Give {package} a version above zero to have it indexed."
                ));
            }
        } else if cpan_version::vcmp(new_version, old_version) == Ordering::Equal {
            if tmt >= omt {
                ok = true;
            } else {
                self.set_status(package, new_version, &found.file, StatusCode::EOldRelease, format!(
                    "Not indexed because {ofile} in {odist}\nhas the same version number and the distro has a more recent modification time. Raise the version of {package} to have it indexed."
                ));
            }
        }

        if ok
            && !self.by_meta
            && !basename_matches_package(&found.file, package)
            && basename_matches_package(ofile, package)
        {
            // The package moved out of the file named after it: PAUSE keeps the old row.
            ok = false;
        }
        if ok && row_count > 1 {
            self.set_status(package, "undef", &found.file, StatusCode::EDbConflict, format!(
                "Indexing failed because of conflicting records for {package}.\nPlease report the case to the administrators of this repository: the index holds several case variants of this name."
            ));
            ok = false;
        }
        if !self.version_ok(package, found) {
            return;
        }
        if ok {
            if old.package != package {
                self.state.record(Change::PackageDelete {
                    package: old.package.clone(),
                });
            }
            let row = self.new_row(package, found);
            self.state.record(Change::PackageUpsert(row));
            self.set_status(
                package,
                new_version,
                &found.file,
                StatusCode::Ok,
                "indexed".into(),
            );
        }
    }

    /// `checkin_into_primeur`: the first-come owner of a package (a no-op when it has one in
    /// this exact case already; the chosen user always gets a `perms` row).
    fn checkin_into_primeur(&mut self, package: &str) {
        let userid = match &self.inspection.x_authority {
            Some(authority) => {
                let lower = authority.to_ascii_lowercase();
                if lower.starts_with("cpan:") {
                    authority[5..].to_string()
                } else {
                    authority.clone()
                }
            }
            None if lc(&self.main) == lc(package) => self.upload.uploader.clone(),
            None => self
                .state
                .first_come_any_case(&self.main)
                .filter(|owner| !owner.is_empty())
                .unwrap_or_else(|| self.upload.uploader.clone()),
        };
        self.insert_perm(package, &userid);
        self.state.record(Change::PrimeurInsert(PrimeurRow {
            package: package.to_string(),
            userid,
        }));
    }

    /// `normalize_package_casing`: every name checked in gets one case across the index and
    /// the permission tables (the first sorted form when the upload used several).
    fn normalize_package_casing(&mut self) {
        let forms: Vec<String> = self
            .checkins
            .values()
            .filter_map(|forms| forms.iter().next().cloned())
            .collect();
        for form in forms {
            self.canonicalize_module_casing(&form);
        }
    }

    /// `canonicalize_module_casing`, journaling only what differs.
    fn canonicalize_module_casing(&mut self, form: &str) {
        let primeur_rows = self.state.primeur_rows_any_case(form);
        let perm_rows = self.state.perm_rows_any_case(form);
        let mut primaries: Vec<String> = Vec::new();
        for row in &primeur_rows {
            if !primaries.contains(&row.userid) {
                primaries.push(row.userid.clone());
            }
        }
        let mut users: BTreeSet<String> = primaries.iter().cloned().collect();
        users.extend(perm_rows.iter().map(|row| row.userid.clone()));
        let wanted_perms: BTreeSet<PermRow> = users
            .into_iter()
            .map(|userid| PermRow {
                package: form.to_string(),
                userid,
            })
            .collect();
        // `primeur.package` is the key: with first-come owners of two case forms, the first
        // keeps first-come and the other keeps a co-maint row.
        let wanted_primeur = primaries.first().map(|userid| PrimeurRow {
            package: form.to_string(),
            userid: userid.clone(),
        });
        for row in perm_rows {
            if !wanted_perms.contains(&row) {
                self.state.record(Change::PermDelete(row));
            }
        }
        for row in primeur_rows {
            if Some(&row) != wanted_primeur.as_ref() {
                self.state.record(Change::PrimeurDelete(row));
            }
        }
        for row in wanted_perms {
            self.state.record(Change::PermInsert(row));
        }
        if let Some(row) = wanted_primeur {
            self.state.record(Change::PrimeurInsert(row));
        }
        let rows = self.state.package_rows_any_case(form);
        if let [only] = rows.as_slice() {
            if only.package != form {
                let mut renamed = (*only).clone();
                renamed.package = form.to_string();
                self.state.record(Change::PackageDelete {
                    package: only.package.clone(),
                });
                self.state.record(Change::PackageUpsert(renamed));
            }
        }
    }

    /// Builds the report's package list and final fields.
    fn finish(self, mut report: IndexReport, savepoint: usize) -> IndexReport {
        report.permission_changes = self
            .state
            .changes_since(savepoint)
            .iter()
            .filter(|change| {
                !matches!(
                    change,
                    Change::PackageUpsert(_) | Change::PackageDelete { .. }
                )
            })
            .cloned()
            .collect();
        report.index_changes = self
            .state
            .changes_since(savepoint)
            .iter()
            .filter(|change| {
                matches!(
                    change,
                    Change::PackageUpsert(_) | Change::PackageDelete { .. }
                )
            })
            .cloned()
            .collect();
        let mut packages: Vec<PackageOutcome> = self
            .statuses
            .into_iter()
            .map(|(package, status)| PackageOutcome {
                warnings: self.warnings.get(&package).cloned().unwrap_or_default(),
                package,
                version: status.version,
                file: status.file,
                status_code: status.code.code(),
                status: status.code,
                heading: status.code.heading().to_string(),
                message: status.message,
            })
            .collect();
        // PAUSE's order: by status code descending, then by name.
        packages.sort_by(|a, b| {
            b.status_code
                .cmp(&a.status_code)
                .then_with(|| a.package.cmp(&b.package))
        });
        report.packages = packages;
        report.has_warnings = self.warnings.values().any(|list| !list.is_empty());
        report.main_package_owners = self.state.owners(&self.main);
        report.main_package_found = self
            .inspection
            .packages
            .keys()
            .any(|package| *package == self.main);
        report.first_package = self.inspection.packages.keys().next().cloned();
        report.alerts = self.alerts;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_zero_as_perl() {
        for zero in ["0", "0.000", "v1.2", "abc", "0_0", "", ".0"] {
            assert!(perl_numeric_is_zero(zero), "{zero}");
        }
        for nonzero in ["1", "0.001", "00.1", "-1"] {
            assert!(!perl_numeric_is_zero(nonzero), "{nonzero}");
        }
    }

    #[test]
    fn basename_rule() {
        assert!(basename_matches_package("lib/Foo/Bar.pm", "Foo::Bar"));
        assert!(basename_matches_package("Foo-1/Simple.pm", "HTML::Simple"));
        assert!(!basename_matches_package("lib/Foo/Bar.pm", "Foo::Baz"));
        assert!(!basename_matches_package("lib/Bar.pm", "Foo::FooBar"));
        assert!(basename_matches_package("lib/Foo.pm.PL", "Foo"));
    }

    #[test]
    fn insane_names() {
        for bad in ["Foo:Bar", "Foo:::Bar", "Foo::", "::Foo", "Foo Bar", ""] {
            assert!(package_name_insane(bad), "{bad}");
        }
        for good in ["Foo", "Foo::Bar", "Foo'Bar", "_Foo"] {
            assert!(!package_name_insane(good), "{good}");
        }
    }
}
