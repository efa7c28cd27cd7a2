//! Test helpers: hand-built inspections (what Module::Faker dists look like to
//! `riverpan inspect`) and a small repository that uploads them in sequence.

#![allow(dead_code)]

use std::collections::BTreeMap;

use riverpan_indexer::{
    index_upload, IndexOptions, IndexReport, IndexState, PermRow, Policy, PrimeurRow, Upload,
};
use riverpan_inspect::{DistInspection, IndexMethod, InspectedPackage, Problem};

/// A dist indexed by scanning files: each package in `lib/<Its/Path>.pm`, like Module::Faker.
pub fn dist(packages: &[(&str, &str)]) -> DistInspection {
    let mut inspection = empty("dist");
    inspection.method = Some(IndexMethod::Files);
    for (package, version) in packages {
        inspection.packages.insert(
            package.to_string(),
            InspectedPackage {
                version: version.to_string(),
                file: format!("lib/{}.pm", package.replace("::", "/")),
                x_private: false,
            },
        );
    }
    inspection
}

/// A dist indexed from META `provides`.
pub fn dist_by_meta(packages: &[(&str, &str, &str)]) -> DistInspection {
    let mut inspection = empty("dist");
    inspection.method = Some(IndexMethod::Meta);
    for (package, version, file) in packages {
        inspection.packages.insert(
            package.to_string(),
            InspectedPackage {
                version: version.to_string(),
                file: file.to_string(),
                x_private: false,
            },
        );
    }
    inspection
}

/// A dist with nothing in it.
pub fn empty(file: &str) -> DistInspection {
    DistInspection {
        meta: Some("Dist/META.json".to_string()),
        ..DistInspection::empty(file)
    }
}

/// `inspection` with a dist-level skip reason, as riverpan-inspect records it.
pub fn skipped(mut inspection: DistInspection, code: &str, sentence: &str) -> DistInspection {
    inspection.skip = Some(sentence.to_string());
    inspection.skip_code = Some(code.to_string());
    inspection.problems.push(Problem {
        code: code.to_string(),
        message: sentence.to_string(),
    });
    inspection
}

/// `PAUSEID` → `P/PA/PAUSEID`.
pub fn author_dir(userid: &str) -> String {
    let first: String = userid.chars().take(1).collect();
    let two: String = userid.chars().take(2).collect();
    format!("{first}/{two}/{userid}")
}

/// An index under test: uploads in sequence, with mtimes increasing by default.
pub struct Repo {
    pub state: IndexState,
    pub policy: Policy,
    pub clock: i64,
    pub reports: Vec<IndexReport>,
}

impl Repo {
    pub fn new() -> Repo {
        Repo::with_policy(Policy::Pause)
    }

    pub fn with_policy(policy: Policy) -> Repo {
        Repo {
            state: IndexState::new(),
            policy,
            clock: 1_600_000_000,
            reports: Vec::new(),
        }
    }

    /// `userid` uploads `file` (a base name) at the next tick.
    pub fn upload(&mut self, userid: &str, file: &str, inspection: DistInspection) -> IndexReport {
        self.clock += 100;
        let mtime = self.clock;
        self.upload_at(userid, file, inspection, mtime)
    }

    pub fn upload_at(
        &mut self,
        userid: &str,
        file: &str,
        mut inspection: DistInspection,
        mtime: i64,
    ) -> IndexReport {
        let upload = Upload {
            uploader: userid.to_string(),
            dist: format!("{}/{file}", author_dir(userid)),
            mtime,
        };
        inspection.file = upload.dist.clone();
        let report = index_upload(
            &mut self.state,
            &upload,
            &inspection,
            &IndexOptions {
                policy: self.policy,
            },
        );
        self.reports.push(report.clone());
        report
    }

    pub fn perm(&mut self, package: &str, userid: &str) {
        self.state.load_perm(PermRow {
            package: package.into(),
            userid: userid.into(),
        });
    }

    pub fn primeur(&mut self, package: &str, userid: &str) {
        self.state.load_primeur(PrimeurRow {
            package: package.into(),
            userid: userid.into(),
        });
    }

    /// `package_list_ok`'s view: (package, version), sorted case-insensitively.
    pub fn index(&self) -> Vec<(String, String)> {
        self.state
            .packages()
            .map(|row| (row.package.clone(), row.version.clone()))
            .collect()
    }

    /// (package, version, dist base name).
    pub fn index_with_dists(&self) -> Vec<(String, String, String)> {
        self.state
            .packages()
            .map(|row| {
                let base = row.dist.rsplit('/').next().unwrap_or_default().to_string();
                (row.package.clone(), row.version.clone(), base)
            })
            .collect()
    }

    /// `perm_list_ok`'s view of 06perms: exact package → (first-come, sorted co-maints).
    pub fn perms_view(&self) -> BTreeMap<String, (Option<String>, Vec<String>)> {
        let mut view: BTreeMap<String, (Option<String>, Vec<String>)> = BTreeMap::new();
        for row in self.state.primeurs() {
            view.entry(row.package.clone()).or_default().0 = Some(row.userid.clone());
        }
        for row in self.state.perms() {
            let entry = view.entry(row.package.clone()).or_default();
            if entry.0.as_deref() != Some(row.userid.as_str()) {
                entry.1.push(row.userid.clone());
            }
        }
        for entry in view.values_mut() {
            entry.1.sort();
        }
        view
    }

    pub fn perms_of(&self, package: &str) -> (Option<String>, Vec<String>) {
        self.perms_view().get(package).cloned().unwrap_or_default()
    }
}

/// `("Foo", "1.0")` pairs as owned strings.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// (first-come, co-maints) as owned strings.
pub fn fc(first: &str, comaints: &[&str]) -> (Option<String>, Vec<String>) {
    (
        Some(first.to_string()),
        comaints.iter().map(|c| c.to_string()).collect(),
    )
}
