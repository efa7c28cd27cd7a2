//! The Berlin consensus's request, as pure logic: which dependents of a release to test (the
//! most upriver first) and what their two results — with the indexed release and with the
//! candidate — say.

use cpan_reporter::Grade;

/// A dependent as the river API lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Dependent {
    /// Distribution name.
    pub dist: String,
    /// Its own direct dependents.
    #[serde(default)]
    pub immediate: u64,
    /// Its own distinct transitive dependents.
    #[serde(default)]
    pub total: u64,
}

/// The `top` most upriver of `dependents` (most total dependents first, then most direct, then
/// by name); all of them when `top` is `None`.
pub fn most_upriver(mut dependents: Vec<Dependent>, top: Option<usize>) -> Vec<Dependent> {
    dependents.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| b.immediate.cmp(&a.immediate))
            .then_with(|| a.dist.cmp(&b.dist))
    });
    if let Some(top) = top {
        dependents.truncate(top);
    }
    dependents
}

/// What one test run of a dependent gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassResult {
    /// Tested: its grade as CPAN::Reporter gives it.
    Graded(Grade),
    /// Not tested (a prerequisite missing or failing, killed at the time limit, ...): why.
    NotTested(String),
}

impl PassResult {
    /// `PASS`, `FAIL`, `NA`, `UNKNOWN`, or `not tested`.
    pub fn label(&self) -> String {
        match self {
            PassResult::Graded(grade) => grade.as_str().to_uppercase(),
            PassResult::NotTested(_) => "not tested".into(),
        }
    }

    fn passes(&self) -> bool {
        matches!(self, PassResult::Graded(Grade::Pass))
    }
}

/// The verdict on one dependent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DownriverVerdict {
    /// Passes with the indexed release, not with the candidate: the candidate breaks it.
    NewlyBroken,
    /// Does not pass with the indexed release, passes with the candidate.
    Fixed,
    /// Passes with neither.
    StillFailing,
    /// Passes with both.
    Ok,
    /// Tested with neither (a prerequisite the fixture lacks, ...): nothing is known.
    NotTested,
}

impl DownriverVerdict {
    /// `newly broken`, `fixed`, `still failing`, `ok`, `not tested`.
    pub fn as_str(self) -> &'static str {
        match self {
            DownriverVerdict::NewlyBroken => "newly broken",
            DownriverVerdict::Fixed => "fixed",
            DownriverVerdict::StillFailing => "still failing",
            DownriverVerdict::Ok => "ok",
            DownriverVerdict::NotTested => "not tested",
        }
    }
}

/// The verdict of a dependent's result with the indexed release and with the candidate: only a
/// pass counts as working (a fail, na, unknown or a run that could not test are not).
pub fn verdict(current: &PassResult, candidate: &PassResult) -> DownriverVerdict {
    if let (PassResult::NotTested(_), PassResult::NotTested(_)) = (current, candidate) {
        return DownriverVerdict::NotTested;
    }
    match (current.passes(), candidate.passes()) {
        (true, true) => DownriverVerdict::Ok,
        (true, false) => DownriverVerdict::NewlyBroken,
        (false, true) => DownriverVerdict::Fixed,
        (false, false) => DownriverVerdict::StillFailing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependent(dist: &str, immediate: u64, total: u64) -> Dependent {
        Dependent {
            dist: dist.into(),
            immediate,
            total,
        }
    }

    #[test]
    fn the_most_upriver_first() {
        let all = vec![
            dependent("Leaf", 0, 0),
            dependent("Big", 3, 40),
            dependent("Wide", 9, 40),
            dependent("Mid", 2, 5),
        ];
        let names =
            |list: Vec<Dependent>| -> Vec<String> { list.into_iter().map(|d| d.dist).collect() };
        assert_eq!(names(most_upriver(all.clone(), Some(2))), ["Wide", "Big"]);
        assert_eq!(
            names(most_upriver(all, None)),
            ["Wide", "Big", "Mid", "Leaf"]
        );
    }

    #[test]
    fn verdicts() {
        let pass = PassResult::Graded(Grade::Pass);
        let fail = PassResult::Graded(Grade::Fail);
        let na = PassResult::Graded(Grade::Na);
        let untested = PassResult::NotTested("missing prerequisite".into());
        assert_eq!(verdict(&pass, &pass), DownriverVerdict::Ok);
        assert_eq!(verdict(&pass, &fail), DownriverVerdict::NewlyBroken);
        assert_eq!(verdict(&pass, &untested), DownriverVerdict::NewlyBroken);
        assert_eq!(verdict(&fail, &pass), DownriverVerdict::Fixed);
        assert_eq!(verdict(&fail, &na), DownriverVerdict::StillFailing);
        assert_eq!(verdict(&untested, &untested), DownriverVerdict::NotTested);
        assert_eq!(verdict(&untested, &fail), DownriverVerdict::StillFailing);
        assert_eq!(DownriverVerdict::NewlyBroken.as_str(), "newly broken");
        assert_eq!(untested.label(), "not tested");
        assert_eq!(fail.label(), "FAIL");
    }
}
