//! Prerequisites by phase and relationship: `CPAN::Meta::Prereqs`.

use crate::error::Error;
use cpan_version::{RequirementError, Requirements};
use std::collections::BTreeMap;
use std::fmt;

/// A phase of CPAN::Meta::Spec prerequisites, in the spec's order (the order of `Ord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// `configure`: needed to run `Makefile.PL`/`Build.PL`.
    Configure,
    /// `build`: needed to build.
    Build,
    /// `test`: needed to test.
    Test,
    /// `runtime`: needed to use the code (the default phase of a cpanfile).
    Runtime,
    /// `develop`: needed to develop the code (`author_requires`).
    Develop,
}

impl Phase {
    /// The five phases, in the spec's order.
    pub const ALL: [Phase; 5] = [
        Phase::Configure,
        Phase::Build,
        Phase::Test,
        Phase::Runtime,
        Phase::Develop,
    ];

    /// The phase's name (`configure`, `build`, `test`, `runtime`, `develop`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Configure => "configure",
            Phase::Build => "build",
            Phase::Test => "test",
            Phase::Runtime => "runtime",
            Phase::Develop => "develop",
        }
    }

    /// The phase of that exact (lower-case) name.
    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A relationship of CPAN::Meta::Spec prerequisites (the cpanfile function that declares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    /// `requires`.
    Requires,
    /// `recommends`.
    Recommends,
    /// `suggests`.
    Suggests,
    /// `conflicts`.
    Conflicts,
}

impl Relationship {
    /// The four relationships, in the spec's order.
    pub const ALL: [Relationship; 4] = [
        Relationship::Requires,
        Relationship::Recommends,
        Relationship::Suggests,
        Relationship::Conflicts,
    ];

    /// The relationship's name (`requires`, `recommends`, `suggests`, `conflicts`).
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Requires => "requires",
            Relationship::Recommends => "recommends",
            Relationship::Suggests => "suggests",
            Relationship::Conflicts => "conflicts",
        }
    }

    /// The relationship of that exact name.
    pub fn from_name(name: &str) -> Option<Relationship> {
        Relationship::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prerequisites: for each phase and relationship, a `CPAN::Meta::Requirements` (module →
/// version range, from `cpan-version`). It is `CPAN::Meta::Prereqs` without `x_` phases and
/// relationships; a phase and relationship without modules is absent, as in Perl's
/// `as_string_hash`.
///
/// Two `Prereqs` are equal when their [`Prereqs::as_string_hash`] are.
#[derive(Debug, Clone, Default)]
pub struct Prereqs {
    map: BTreeMap<(Phase, Relationship), Requirements>,
}

/// Prerequisites as plain strings: phase → relationship → module → requirement string
/// (`CPAN::Meta::Prereqs->as_string_hash`, what `Module::CPANfile->prereq_specs` returns).
pub type PrereqHash = BTreeMap<Phase, BTreeMap<Relationship, BTreeMap<String, String>>>;

impl PartialEq for Prereqs {
    fn eq(&self, other: &Prereqs) -> bool {
        self.as_string_hash() == other.as_string_hash()
    }
}

impl Eq for Prereqs {}

impl Prereqs {
    /// No prerequisites.
    pub fn new() -> Prereqs {
        Prereqs::default()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The requirements of a phase and relationship (`requirements_for`), `None` when there are
    /// none.
    pub fn requirements_for(
        &self,
        phase: Phase,
        relationship: Relationship,
    ) -> Option<&Requirements> {
        self.map.get(&(phase, relationship))
    }

    /// One module's requirement string in a phase and relationship.
    pub fn requirement_for_module(
        &self,
        phase: Phase,
        relationship: Relationship,
        module: &str,
    ) -> Option<String> {
        self.requirements_for(phase, relationship)?
            .requirements_for_module(module)
    }

    /// Adds a requirement string (`CPAN::Meta::Requirements->add_string_requirement` on the
    /// phase and relationship): it narrows an existing requirement for the module.
    pub fn add_string_requirement(
        &mut self,
        phase: Phase,
        relationship: Relationship,
        module: &str,
        requirement: &str,
    ) -> Result<(), RequirementError> {
        let key = (phase, relationship);
        let requirements = self.map.entry(key).or_default();
        let result = requirements.add_string_requirement(module, requirement);
        self.drop_if_empty(key);
        result
    }

    /// Sets the requirements of a phase and relationship (removes them when empty).
    pub(crate) fn set(
        &mut self,
        phase: Phase,
        relationship: Relationship,
        requirements: Requirements,
    ) {
        let key = (phase, relationship);
        self.map.insert(key, requirements);
        self.drop_if_empty(key);
    }

    fn drop_if_empty(&mut self, key: (Phase, Relationship)) {
        if self
            .map
            .get(&key)
            .is_some_and(|r| r.required_modules().next().is_none())
        {
            self.map.remove(&key);
        }
    }

    /// Every phase and relationship that has requirements, in the spec's order.
    pub fn iter(&self) -> impl Iterator<Item = (Phase, Relationship, &Requirements)> {
        self.map.iter().map(|(&(p, r), req)| (p, r, req))
    }

    /// `as_string_hash`: phase → relationship → module → requirement string.
    pub fn as_string_hash(&self) -> PrereqHash {
        let mut out = PrereqHash::new();
        for (phase, relationship, requirements) in self.iter() {
            out.entry(phase)
                .or_default()
                .insert(relationship, requirements.as_string_hash());
        }
        out
    }

    /// `with_merged_prereqs`: these prerequisites and `others`, each phase and relationship's
    /// requirements combined with `add_requirements` (so `1.0` and `< 2` make `>= 1.0, < 2`).
    pub fn with_merged_prereqs(&self, others: &[&Prereqs]) -> Result<Prereqs, Error> {
        let mut merged = Prereqs::new();
        for prereqs in std::iter::once(self).chain(others.iter().copied()) {
            for (phase, relationship, requirements) in prereqs.iter() {
                let target = merged.map.entry((phase, relationship)).or_default();
                target
                    .add_requirements(requirements)
                    .map_err(|source| Error::Merge {
                        phase: phase.to_string(),
                        relationship: relationship.to_string(),
                        source,
                    })?;
            }
        }
        Ok(merged)
    }

    /// `merged_requirements`: the requirements of the given phases and relationships combined
    /// into one (an installer's list of what to install, e.g. runtime + test `requires`).
    pub fn merged_requirements(
        &self,
        phases: &[Phase],
        relationships: &[Relationship],
    ) -> Result<Requirements, Error> {
        let mut merged = Requirements::new();
        for &phase in phases {
            for &relationship in relationships {
                if let Some(requirements) = self.requirements_for(phase, relationship) {
                    merged
                        .add_requirements(requirements)
                        .map_err(|source| Error::Merge {
                            phase: phase.to_string(),
                            relationship: relationship.to_string(),
                            source,
                        })?;
                }
            }
        }
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_intersects_ranges() {
        let mut a = Prereqs::new();
        a.add_string_requirement(Phase::Runtime, Relationship::Requires, "Foo", "1.0")
            .unwrap();
        let mut b = Prereqs::new();
        b.add_string_requirement(Phase::Runtime, Relationship::Requires, "Foo", "< 2")
            .unwrap();
        b.add_string_requirement(Phase::Test, Relationship::Requires, "Test::More", "0.96")
            .unwrap();
        let merged = a.with_merged_prereqs(&[&b]).unwrap();
        assert_eq!(
            merged
                .requirement_for_module(Phase::Runtime, Relationship::Requires, "Foo")
                .as_deref(),
            Some(">= 1.0, < 2")
        );
        let all = merged
            .merged_requirements(&[Phase::Runtime, Phase::Test], &[Relationship::Requires])
            .unwrap();
        assert_eq!(
            all.required_modules().collect::<Vec<_>>(),
            ["Foo", "Test::More"]
        );

        let mut c = Prereqs::new();
        c.add_string_requirement(Phase::Runtime, Relationship::Requires, "Foo", "== 3")
            .unwrap();
        let err = merged.with_merged_prereqs(&[&c]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "runtime requires: illegal requirements for Foo: exact specification 3 outside of \
             range >= 1.0, < 2"
        );
    }

    #[test]
    fn empty_requirements_are_absent() {
        let mut p = Prereqs::new();
        p.add_string_requirement(Phase::Runtime, Relationship::Requires, "Foo", ",")
            .unwrap();
        assert!(p.is_empty());
        assert_eq!(p, Prereqs::new());
    }
}
