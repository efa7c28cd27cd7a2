//! Prerequisites as CPAN::Reporter checks and prints them.
//!
//! CPAN::Reporter asks `CPAN::Reporter::PrereqCheck` (run by the tester's perl, so that
//! `PERL5LIB` counts) which version of each declared prerequisite is installed, prints the
//! result as the `PREREQUISITES` table of the report (`_prereq_report`), and then greps that
//! table while grading: `n/a` means a prerequisite is missing, a leading `!` that one is too
//! old or broken, and `! perl` that perl itself is too old.  [`Prereq`] holds one row (the
//! caller finds the installed version; riverpan runs perl, this crate does not),
//! [`Prereq::is_met`] ports PrereqCheck's comparison and [`prereq_report`] the table.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The sections CPAN::Reporter reports, in its order (`@prereq_sections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrereqSection {
    /// Runtime requirements.
    Requires,
    /// Build (and, in CPAN.pm's merged view, test) requirements.
    BuildRequires,
    /// Requirements of `Makefile.PL`/`Build.PL` itself.
    ConfigureRequires,
    /// Optional runtime requirements (`recommends`).
    OptRequires,
    /// Optional build requirements.
    OptBuildRequires,
}

impl PrereqSection {
    /// All sections in the order CPAN::Reporter prints them.
    pub const ALL: [PrereqSection; 5] = [
        PrereqSection::Requires,
        PrereqSection::BuildRequires,
        PrereqSection::ConfigureRequires,
        PrereqSection::OptRequires,
        PrereqSection::OptBuildRequires,
    ];

    /// The section name as printed (`requires`, `build_requires`, ...); the v3 report uses it
    /// as a prerequisite's `phase`, as the CPAN Testers API's sample report does.
    pub fn as_str(self) -> &'static str {
        match self {
            PrereqSection::Requires => "requires",
            PrereqSection::BuildRequires => "build_requires",
            PrereqSection::ConfigureRequires => "configure_requires",
            PrereqSection::OptRequires => "opt_requires",
            PrereqSection::OptBuildRequires => "opt_build_requires",
        }
    }
}

/// What the tester's perl found for a prerequisite.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Have {
    /// Installed with this version (`0` when the module declares none; `$]` for `perl`).
    Version(String),
    /// Not installed: PrereqCheck prints `n/a`.
    Missing,
    /// Installed but failed to load: PrereqCheck prints `broken` and counts it unmet.
    Broken,
}

impl Have {
    /// The *Have* column as PrereqCheck prints it.
    pub fn as_str(&self) -> &str {
        match self {
            Have::Version(v) => v,
            Have::Missing => "n/a",
            Have::Broken => "broken",
        }
    }
}

/// One declared prerequisite and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Prereq {
    /// The section it was declared in.
    pub section: PrereqSection,
    /// The module name (`perl` for the perl version).
    pub name: String,
    /// The requirement as declared (`0`, `1.02`, `>= 1.0, < 2, != 1.5`).
    pub need: String,
    /// What is installed.
    pub have: Have,
}

impl Prereq {
    /// A row.
    pub fn new(section: PrereqSection, name: &str, need: &str, have: Have) -> Prereq {
        Prereq {
            section,
            name: name.to_string(),
            need: need.to_string(),
            have,
        }
    }

    /// Whether the requirement holds, as `CPAN::Reporter::PrereqCheck` decides it: missing and
    /// broken modules never do; otherwise every comma-separated clause must hold, compared
    /// with `CPAN::Version` (`>=` is the default, and `>`, `!=`, `<=`, `<` are understood).
    pub fn is_met(&self) -> bool {
        let have = match &self.have {
            Have::Version(v) => v.as_str(),
            Have::Missing | Have::Broken => return false,
        };
        let need = self.need.trim();
        // `split /\s*,\s*/, ""` is the empty list: no clause, so the requirement holds.
        if need.is_empty() {
            return true;
        }
        need.split(',').map(str::trim).all(|clause| {
            let cmp = |v: &str| cpan_version::vcmp(have, v.trim());
            if let Some(v) = clause.strip_prefix(">=") {
                cmp(v) != Ordering::Less
            } else if let Some(v) = clause.strip_prefix('>') {
                cmp(v) == Ordering::Greater
            } else if let Some(v) = clause.strip_prefix("!=") {
                cmp(v) != Ordering::Equal
            } else if let Some(v) = clause.strip_prefix("<=") {
                cmp(v) != Ordering::Greater
            } else if let Some(v) = clause.strip_prefix('<') {
                cmp(v) == Ordering::Less
            } else {
                cmp(clause) != Ordering::Less
            }
        })
    }
}

/// The `PREREQUISITES` table exactly as CPAN::Reporter's `_prereq_report` prints it: per
/// section a `section:` heading, a `Module Need Have` header and ruler with columns at least
/// 6/4/4 wide, rows sorted case-insensitively and flagged `!` when unmet; or
/// `    No requirements found` when nothing was declared.
pub fn prereq_report(prereqs: &[Prereq]) -> String {
    let (mut name_w, mut need_w, mut have_w) = (6, 4, 4);
    for p in prereqs {
        name_w = name_w.max(p.name.chars().count());
        need_w = need_w.max(p.need.chars().count());
        have_w = have_w.max(p.have.as_str().chars().count());
    }
    let mut report = String::new();
    let row = |report: &mut String, flag: &str, a: &str, b: &str, c: &str| {
        let _ = writeln!(report, "  {flag:1} {a:<name_w$} {b:<need_w$} {c:<have_w$}");
    };
    for section in PrereqSection::ALL {
        let mut rows: Vec<&Prereq> = prereqs.iter().filter(|p| p.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        // `sort { lc $a cmp lc $b }`; ties (names differing only in case) by the name itself
        // so that the output is deterministic where Perl's hash order is not.
        rows.sort_by(|a, b| {
            (a.name.to_lowercase(), &a.name).cmp(&(b.name.to_lowercase(), &b.name))
        });
        let _ = write!(report, "{}:\n\n", section.as_str());
        row(&mut report, " ", "Module", "Need", "Have");
        row(
            &mut report,
            " ",
            &"-".repeat(name_w),
            &"-".repeat(need_w),
            &"-".repeat(have_w),
        );
        for p in rows {
            let flag = if p.is_met() { " " } else { "!" };
            row(&mut report, flag, &p.name, &p.need, p.have.as_str());
        }
        report.push('\n');
    }
    if report.is_empty() {
        report.push_str("    No requirements found\n");
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Have {
        Have::Version(s.into())
    }

    #[test]
    fn prereq_check_comparisons() {
        let p = |need: &str, have: Have| Prereq::new(PrereqSection::Requires, "Foo", need, have);
        assert!(p("0", v("0")).is_met());
        assert!(p("1.02", v("1.10")).is_met());
        assert!(!p("1.10", v("1.02")).is_met());
        assert!(p(">= 1.0, < 2", v("1.5")).is_met());
        assert!(!p(">= 1.0, < 2", v("2.0")).is_met());
        assert!(!p("!= 1.5", v("1.5")).is_met());
        assert!(p("> 1.5", v("1.6")).is_met());
        assert!(!p("> 1.5", v("1.5")).is_met());
        assert!(p("<= 1.5", v("1.5")).is_met());
        assert!(p("", v("1")).is_met());
        assert!(!p("0", Have::Missing).is_met());
        assert!(!p("0", Have::Broken).is_met());
        // perl's own version as `$]` against a v-string requirement.
        let perl = Prereq::new(PrereqSection::Requires, "perl", "5.008001", v("5.036000"));
        assert!(perl.is_met());
        let perl = Prereq::new(PrereqSection::Requires, "perl", "v5.999.0", v("5.036000"));
        assert!(!perl.is_met());
    }

    #[test]
    fn report_layout_matches_cpan_reporter() {
        let rows = [
            Prereq::new(PrereqSection::Requires, "Moo", "2.0", Have::Missing),
            Prereq::new(PrereqSection::Requires, "perl", "5.008001", v("5.036000")),
            Prereq::new(
                PrereqSection::BuildRequires,
                "Test::More",
                "0.88",
                v("1.302190"),
            ),
        ];
        let expected = "\
requires:

    Module     Need     Have    
    ---------- -------- --------
  ! Moo        2.0      n/a     
    perl       5.008001 5.036000

build_requires:

    Module     Need     Have    
    ---------- -------- --------
    Test::More 0.88     1.302190

";
        assert_eq!(prereq_report(&rows), expected);
        assert_eq!(prereq_report(&[]), "    No requirements found\n");
    }
}
