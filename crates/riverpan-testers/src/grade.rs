//! Grades: the four CPAN Testers grades and riverpan's prerequisite-failure category.
//!
//! CPAN Testers knows exactly `pass`, `fail`, `na` and `unknown` (testers.md §1.4), and every
//! legacy consumer expects only those.  The Berlin consensus (QA Hackathon 2015, "CPAN Testers
//! grading") asked for failures caused by unsatisfied prerequisites to be reported "under some
//! other category than FAIL", so that a broken upriver dependency does not look like a broken
//! distribution.  riverpan keeps the grade the client sent ([`LegacyGrade`]) and derives a
//! [`Grade`] that may be [`Grade::PrerequisiteFailure`]; [`Grade::legacy_grade`] maps back.
//!
//! # The prerequisite-failure rule
//!
//! A report is a prerequisite failure when its legacy grade is `fail` or `unknown` (or `na`,
//! see below) **and** its text shows an unsatisfied prerequisite, i.e. any of:
//!
//! 1. a row of the `PREREQUISITES` tables that CPAN::Reporter, CPANPLUS and
//!    App::cpanminus::reporter write, flagged with `!` (CPAN::Reporter's marker for an unmet
//!    requirement) or whose *Have* column is `n/a`, for a module other than `perl`;
//! 2. the wording of the clients and build tools for a missing prerequisite:
//!    `Prerequisite missing`, `prerequisites were not satisfied`, `Missing prerequisite`,
//!    MakeMaker's `Warning: prerequisite Foo 1.0 not found`, Module::Build's `ERRORS/WARNINGS
//!    FOUND IN PREREQUISITES`, cpanm's `Installing the dependencies failed`;
//! 3. `Can't locate Foo/Bar.pm in @INC` where `Foo::Bar` is a declared prerequisite (from the
//!    report's prerequisite table or the v3 `distribution.prerequisites`).  A `Can't locate`
//!    for an undeclared module is the distribution's own bug (a missing declaration), so it
//!    stays a `fail`.
//!
//! `pass` is never reclassified (the tests passed; CPAN::Reporter sends such reports too).
//! `na` is reclassified only when the unmet prerequisite is not `perl` itself and the text has
//! none of the NA triggers (`No support for OS`, `OS unsupported`, a perl-too-old message):
//! an NA because the OS or perl is unsupported is a genuine NA.

use serde::{Deserialize, Serialize};

/// The four grades of CPAN Testers, exactly as clients send them and legacy views show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyGrade {
    /// All tests passed.
    Pass,
    /// One or more tests failed.
    Fail,
    /// The distribution will not work on this platform.
    Na,
    /// Any other problem (no tests, build failure, inconclusive).
    Unknown,
}

impl LegacyGrade {
    /// All four, in display order.
    pub const ALL: [LegacyGrade; 4] = [
        LegacyGrade::Pass,
        LegacyGrade::Fail,
        LegacyGrade::Na,
        LegacyGrade::Unknown,
    ];

    /// The lower-case name (`pass`, `fail`, `na`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyGrade::Pass => "pass",
            LegacyGrade::Fail => "fail",
            LegacyGrade::Na => "na",
            LegacyGrade::Unknown => "unknown",
        }
    }

    /// Parses a grade case-insensitively (clients send `PASS`, the v3 API `pass`).
    pub fn parse(s: &str) -> Option<LegacyGrade> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pass" => Some(LegacyGrade::Pass),
            "fail" => Some(LegacyGrade::Fail),
            "na" => Some(LegacyGrade::Na),
            "unknown" => Some(LegacyGrade::Unknown),
            _ => None,
        }
    }
}

/// riverpan's grade: a legacy grade, or a prerequisite failure that keeps its legacy grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// All tests passed.
    Pass,
    /// Tests failed, and not because of prerequisites.
    Fail,
    /// Not applicable to this platform or perl.
    Na,
    /// Other problem.
    Unknown,
    /// The report failed because prerequisites were not satisfied; carries the grade the
    /// client sent so that legacy views still show it.
    PrerequisiteFailure(LegacyGrade),
}

impl Grade {
    /// The grade legacy views show.
    pub fn legacy_grade(self) -> LegacyGrade {
        match self {
            Grade::Pass => LegacyGrade::Pass,
            Grade::Fail => LegacyGrade::Fail,
            Grade::Na => LegacyGrade::Na,
            Grade::Unknown => LegacyGrade::Unknown,
            Grade::PrerequisiteFailure(g) => g,
        }
    }

    /// True for [`Grade::PrerequisiteFailure`].
    pub fn is_prerequisite_failure(self) -> bool {
        matches!(self, Grade::PrerequisiteFailure(_))
    }

    /// The grade without reclassification.
    pub fn from_legacy(g: LegacyGrade) -> Grade {
        match g {
            LegacyGrade::Pass => Grade::Pass,
            LegacyGrade::Fail => Grade::Fail,
            LegacyGrade::Na => Grade::Na,
            LegacyGrade::Unknown => Grade::Unknown,
        }
    }
}

/// Applies the rule in the module docs: `declared` are prerequisites known from outside the
/// text (the v3 `distribution.prerequisites` names); the text's own tables are read too.
pub fn classify(legacy: LegacyGrade, text: &str, declared: &[&str]) -> Grade {
    if legacy == LegacyGrade::Pass {
        return Grade::Pass;
    }
    let unmet = unsatisfied_prerequisites(text, declared);
    if unmet.is_empty() {
        return Grade::from_legacy(legacy);
    }
    if legacy == LegacyGrade::Na && (unmet.iter().all(|m| m == "perl") || has_na_trigger(text)) {
        return Grade::Na;
    }
    Grade::PrerequisiteFailure(legacy)
}

/// The phrases that mean "a prerequisite was not satisfied" without naming it in a table.
const MISSING_PHRASES: &[&str] = &[
    "prerequisite missing",
    "prerequisites were not satisfied",
    "missing prerequisite",
    "errors/warnings found in prerequisites",
    "installing the dependencies failed",
];

/// NA triggers of CPAN::Reporter (`_downgrade_known_causes`), lower-cased.
const NA_TRIGGERS: &[&str] = &[
    "no support for os",
    "os unsupported",
    "--this is only",
    "or higher required. we run",
];

fn has_na_trigger(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    NA_TRIGGERS.iter().any(|t| lower.contains(t))
}

/// The evidence of unsatisfied prerequisites in `text`: module names (or `"?"` when only a
/// phrase says so).  Empty when there is none.
pub fn unsatisfied_prerequisites(text: &str, declared: &[&str]) -> Vec<String> {
    let mut unmet: Vec<String> = Vec::new();
    let mut push = |m: String| {
        if !unmet.contains(&m) {
            unmet.push(m);
        }
    };
    let table = prerequisite_table(text);
    for row in &table {
        if !row.satisfied {
            push(row.module.clone());
        }
    }
    for line in text.lines() {
        let trimmed = line.trim();
        // MakeMaker: "Warning: prerequisite Foo::Bar 1.02 not found."
        if let Some(rest) = trimmed.strip_prefix("Warning: prerequisite ") {
            if rest.contains("not found") {
                if let Some(m) = rest.split_whitespace().next() {
                    push(m.to_string());
                }
            }
        }
        // "Can't locate Foo/Bar.pm in @INC" for a declared prerequisite.
        if let Some(pos) = trimmed.find("Can't locate ") {
            let rest = &trimmed[pos + "Can't locate ".len()..];
            if let Some(file) = rest.split_whitespace().next() {
                if let Some(stem) = file.strip_suffix(".pm") {
                    let module = stem.replace('/', "::");
                    let is_declared = declared.iter().any(|d| *d == module)
                        || table.iter().any(|r| r.module == module);
                    if is_declared {
                        push(module);
                    }
                }
            }
        }
    }
    let lower = text.to_ascii_lowercase();
    if unmet.is_empty() && MISSING_PHRASES.iter().any(|p| lower.contains(p)) {
        unmet.push("?".to_string());
    }
    unmet
}

/// One row of a report's `PREREQUISITES` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrerequisiteRow {
    /// The phase heading the row is under (`requires`, `build_requires`, ...).
    pub phase: String,
    /// The module name.
    pub module: String,
    /// The version needed.
    pub need: String,
    /// The version found (`n/a` when missing).
    pub have: String,
    /// False when flagged with `!` or when `have` is `n/a`.
    pub satisfied: bool,
}

/// Reads the `PREREQUISITES` section of a CPAN::Reporter-style text report:
///
/// ```text
/// PREREQUISITES
/// ...
///     requires:
///
///         Module              Need Have
///         ------------------- ---- ----
///       ! Foo::Bar            1.0  n/a
///         perl                5.006 5.036000
/// ```
pub fn prerequisite_table(text: &str) -> Vec<PrerequisiteRow> {
    let mut rows = Vec::new();
    let mut in_section = false;
    let mut phase = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed == "PREREQUISITES" {
            in_section = true;
            continue;
        }
        if !in_section {
            continue;
        }
        // The next upper-case section heading ends the prerequisites.
        if !trimmed.is_empty()
            && trimmed.len() > 3
            && trimmed
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '-')
            && !trimmed.starts_with('-')
        {
            break;
        }
        if let Some(p) = trimmed.strip_suffix(':') {
            if !p.contains(' ') {
                phase = p.to_string();
            }
            continue;
        }
        if trimmed.starts_with("Module") || trimmed.starts_with("---") {
            continue;
        }
        let (flagged, body) = match trimmed.strip_prefix('!') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed),
        };
        let cols: Vec<&str> = body.split_whitespace().collect();
        if cols.len() != 3 || phase.is_empty() {
            continue;
        }
        let module_like = cols[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '_');
        if !module_like {
            continue;
        }
        rows.push(PrerequisiteRow {
            phase: phase.clone(),
            module: cols[0].to_string(),
            need: cols[1].to_string(),
            have: cols[2].to_string(),
            satisfied: !flagged && cols[2] != "n/a",
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
PREREQUISITES

Here is a list of prerequisites you specified and versions we
managed to load:

    requires:

        Module              Need     Have
        ------------------- -------- --------
      ! Moo                 2.0      n/a
        perl                5.008001 5.043009
        Scalar::Util        0        1.63

    build_requires:

        Module              Need     Have
        ------------------- -------- --------
        Test::More          0.88     1.302199

ENVIRONMENT AND OTHER CONTEXT

Environment variables:
";

    #[test]
    fn reads_the_prerequisite_table() {
        let rows = prerequisite_table(TABLE);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].module, "Moo");
        assert!(!rows[0].satisfied);
        assert_eq!(rows[3].phase, "build_requires");
        assert!(rows[3].satisfied);
    }

    #[test]
    fn fail_with_unmet_prerequisite_is_a_prerequisite_failure() {
        let g = classify(LegacyGrade::Fail, TABLE, &[]);
        assert_eq!(g, Grade::PrerequisiteFailure(LegacyGrade::Fail));
        assert_eq!(g.legacy_grade(), LegacyGrade::Fail);
        let g = classify(LegacyGrade::Unknown, TABLE, &[]);
        assert_eq!(g.legacy_grade(), LegacyGrade::Unknown);
        assert!(g.is_prerequisite_failure());
    }

    #[test]
    fn pass_is_never_reclassified() {
        assert_eq!(classify(LegacyGrade::Pass, TABLE, &[]), Grade::Pass);
    }

    #[test]
    fn phrases_count() {
        for text in [
            "Prerequisite missing: Foo",
            "the prerequisites were not satisfied",
            "Warning: prerequisite Foo::Bar 1.02 not found.",
            "ERRORS/WARNINGS FOUND IN PREREQUISITES.  You may wish to install...",
            "! Installing the dependencies failed: Module 'Foo' is not installed",
        ] {
            assert!(
                classify(LegacyGrade::Fail, text, &[]).is_prerequisite_failure(),
                "{text}"
            );
        }
        assert_eq!(
            unsatisfied_prerequisites("Warning: prerequisite Foo::Bar 1.02 not found.", &[]),
            ["Foo::Bar"]
        );
    }

    #[test]
    fn cant_locate_counts_only_for_declared_prerequisites() {
        let text = "t/basic.t .. Can't locate Foo/Bar.pm in @INC (you may need to install the Foo::Bar module)";
        assert_eq!(classify(LegacyGrade::Fail, text, &[]), Grade::Fail);
        assert_eq!(
            classify(LegacyGrade::Fail, text, &["Foo::Bar"]),
            Grade::PrerequisiteFailure(LegacyGrade::Fail)
        );
    }

    #[test]
    fn na_for_platform_or_perl_stays_na() {
        let os = format!("OS unsupported\n{TABLE}");
        assert_eq!(classify(LegacyGrade::Na, &os, &[]), Grade::Na);
        let perl_only = TABLE
            .replace("! Moo                 2.0      n/a", "  Moo 2.0 2.005")
            .replace("  perl ", "! perl ");
        assert_eq!(classify(LegacyGrade::Na, &perl_only, &[]), Grade::Na);
        assert_eq!(
            classify(LegacyGrade::Na, TABLE, &[]),
            Grade::PrerequisiteFailure(LegacyGrade::Na)
        );
    }

    #[test]
    fn plain_failures_stay_failures() {
        let text = "t/01.t .. 1/3 # Failed test 'x'\nFailed 1/3 subtests\n";
        assert_eq!(classify(LegacyGrade::Fail, text, &[]), Grade::Fail);
        assert_eq!(
            classify(LegacyGrade::Unknown, "No tests defined", &[]),
            Grade::Unknown
        );
    }
}
