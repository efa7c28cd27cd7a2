//! A parsed cpanfile: what `Module::CPANfile->load` gives, without running Perl.

use crate::error::{Error, Location};
use crate::parser;
use crate::prereqs::{Phase, Prereqs, Relationship};
use cpan_version::Requirements;
use std::collections::BTreeMap;

/// The per-module options of a `requires` (and the other relationships): `requires 'Foo',
/// '1.0', dist => 'X/Y/Foo-1.0.tar.gz';`. These are the options cpanm, cpm and Carton read;
/// any other option name is refused ([`Error::UnknownOption`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ModuleOptions {
    /// `dist`: the distribution to install it from (`AUTHOR/Dist-1.0.tar.gz` or a full
    /// `authors/id/...` path).
    pub dist: Option<String>,
    /// `mirror`: the mirror to fetch `dist` from.
    pub mirror: Option<String>,
    /// `url`: a tarball URL to install it from.
    pub url: Option<String>,
    /// `git`: a git repository to install it from.
    pub git: Option<String>,
    /// `ref`: the git branch, tag or commit.
    pub git_ref: Option<String>,
}

impl ModuleOptions {
    /// The option names, in the (sorted) order [`ModuleOptions::iter`] gives them.
    pub const NAMES: [&'static str; 5] = ["dist", "git", "mirror", "ref", "url"];

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The options that are set, as (name, value) pairs sorted by name (Perl's option hash).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("dist", &self.dist),
            ("git", &self.git),
            ("mirror", &self.mirror),
            ("ref", &self.git_ref),
            ("url", &self.url),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    }

    /// The option of that name, if it is one of [`ModuleOptions::NAMES`].
    pub(crate) fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "dist" => Some(&mut self.dist),
            "git" => Some(&mut self.git),
            "mirror" => Some(&mut self.mirror),
            "ref" => Some(&mut self.git_ref),
            "url" => Some(&mut self.url),
            _ => None,
        }
    }
}

/// One `requires`/`recommends`/`suggests`/`conflicts` (or shortcut) statement, as
/// Module::CPANfile records it (a `Module::CPANfile::Prereq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// The feature it is declared in (the innermost `feature` around it), if any. A feature
    /// whose identifier is false in Perl (`""`, `"0"`) puts its prerequisites in the main set,
    /// as Module::CPANfile does.
    pub feature: Option<String>,
    /// The phase (`on` or the shortcut), `runtime` by default.
    pub phase: Phase,
    /// The relationship.
    pub relationship: Relationship,
    /// The module name.
    pub module: String,
    /// The requirement as given (a number as Perl stringifies it); `0` when it is omitted or
    /// false in Perl (`''`, `undef`, `0`, `0.0` written as a number).
    pub version: String,
    /// The module's options.
    pub options: ModuleOptions,
    /// Where the statement starts.
    pub location: Location,
}

impl Declaration {
    /// Whether it counts for the main prerequisites (it is in no feature, or in one whose
    /// identifier is false in Perl).
    pub fn in_main(&self) -> bool {
        self.feature.as_deref().map_or(true, perl_false)
    }
}

/// Whether Perl considers the string false.
pub(crate) fn perl_false(s: &str) -> bool {
    s.is_empty() || s == "0"
}

/// An optional feature: `feature 'sqlite', 'SQLite support' => sub { ... };`
/// (`CPAN::Meta::Feature`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// The identifier (the first argument).
    pub identifier: String,
    /// The description (the identifier when it is omitted; the last one when the feature is
    /// declared more than once).
    pub description: String,
    /// The feature's own prerequisites (those of every `feature` block with this identifier).
    pub prereqs: Prereqs,
}

/// A cpanfile, read without running Perl (see the crate documentation for the subset of Perl
/// that is read).
///
/// ```
/// use cpan_cpanfile::{Cpanfile, Phase, Relationship};
/// let cpanfile = Cpanfile::parse(
///     "requires 'Plack', '1.0';\n\
///      on test => sub { requires 'Test::More', '>= 0.96, < 2.0' };\n\
///      feature 'sqlite', 'SQLite support' => sub { recommends 'DBD::SQLite' };\n",
/// )
/// .unwrap();
/// let prereqs = cpanfile.prereqs();
/// assert_eq!(
///     prereqs.requirement_for_module(Phase::Test, Relationship::Requires, "Test::More").as_deref(),
///     Some(">= 0.96, < 2.0")
/// );
/// assert_eq!(cpanfile.features()[0].description, "SQLite support");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpanfile {
    mirrors: Vec<String>,
    prereqs: Prereqs,
    features: Vec<Feature>,
    declarations: Vec<Declaration>,
}

impl Cpanfile {
    /// Reads a cpanfile. Anything outside the static subset is an [`Error`] with its location,
    /// and so is a requirement `CPAN::Meta::Requirements` refuses.
    pub fn parse(source: &str) -> Result<Cpanfile, Error> {
        let parsed = parser::parse(source)?;
        Cpanfile::build(parsed.mirrors, parsed.features, parsed.declarations)
    }

    fn build(
        mirrors: Vec<String>,
        feature_list: Vec<(String, String)>,
        declarations: Vec<Declaration>,
    ) -> Result<Cpanfile, Error> {
        let prereqs = prereqs_of(declarations.iter().filter(|d| d.in_main()))?;
        let mut features = Vec::with_capacity(feature_list.len());
        for (identifier, description) in feature_list {
            // Module::CPANfile files a declaration under its feature's identifier, or under ``
            // when that is false; so the feature `` has the main prerequisites.
            let prereqs =
                if identifier.is_empty() {
                    prereqs.clone()
                } else {
                    prereqs_of(declarations.iter().filter(|d| {
                        !d.in_main() && d.feature.as_deref() == Some(identifier.as_str())
                    }))?
                };
            features.push(Feature {
                identifier,
                description,
                prereqs,
            });
        }
        Ok(Cpanfile {
            mirrors,
            prereqs,
            features,
            declarations,
        })
    }

    /// The `mirror` URLs, in order.
    pub fn mirrors(&self) -> &[String] {
        &self.mirrors
    }

    /// The main prerequisites (`prereqs`; their [`Prereqs::as_string_hash`] is
    /// `prereq_specs`). In each phase and relationship, a module declared twice has the
    /// requirement of its last declaration: Module::CPANfile replaces, it does not merge.
    pub fn prereqs(&self) -> &Prereqs {
        &self.prereqs
    }

    /// The features, in the order of their first declaration.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The feature with that identifier.
    pub fn feature(&self, identifier: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.identifier == identifier)
    }

    /// `prereqs_with`/`effective_prereqs`: the main prerequisites merged (with
    /// `CPAN::Meta::Requirements`' `add_requirements`) with those of the given features.
    pub fn effective_prereqs(&self, features: &[&str]) -> Result<Prereqs, Error> {
        let mut others = Vec::with_capacity(features.len());
        for &identifier in features {
            let feature = self
                .feature(identifier)
                .ok_or_else(|| Error::UnknownFeature(identifier.to_string()))?;
            others.push(&feature.prereqs);
        }
        self.prereqs.with_merged_prereqs(&others)
    }

    /// Every declaration (`requires` and the like), in the order they were read.
    pub fn declarations(&self) -> &[Declaration] {
        &self.declarations
    }

    /// `prereq_for_module`: the first declaration of the module among the main ones, else in
    /// the features (in the order of their first declaration; Perl takes them in hash order).
    pub fn prereq_for_module(&self, module: &str) -> Option<&Declaration> {
        let main = self
            .declarations
            .iter()
            .find(|d| d.in_main() && d.module == module);
        main.or_else(|| {
            self.features.iter().find_map(|f| {
                self.declarations.iter().find(|d| {
                    !d.in_main()
                        && d.feature.as_deref() == Some(f.identifier.as_str())
                        && d.module == module
                })
            })
        })
    }

    /// `options_for_module`: the options of [`Cpanfile::prereq_for_module`]'s declaration (so
    /// options given on a later declaration of the module are not seen, as in Perl).
    pub fn options_for_module(&self, module: &str) -> Option<&ModuleOptions> {
        self.prereq_for_module(module).map(|d| &d.options)
    }
}

/// The prerequisites of some declarations: in each phase and relationship the last
/// declaration of a module wins (a Perl hash assignment), then the strings go through
/// `CPAN::Meta::Requirements->from_string_hash`.
fn prereqs_of<'a>(declarations: impl Iterator<Item = &'a Declaration>) -> Result<Prereqs, Error> {
    let mut specs: BTreeMap<(Phase, Relationship), BTreeMap<&str, &Declaration>> = BTreeMap::new();
    for d in declarations {
        specs
            .entry((d.phase, d.relationship))
            .or_default()
            .insert(d.module.as_str(), d);
    }
    let mut prereqs = Prereqs::new();
    for ((phase, relationship), modules) in specs {
        let mut requirements = Requirements::new();
        for (module, d) in modules {
            requirements
                .add_string_requirement(module, &d.version)
                .map_err(|source| Error::Requirement {
                    location: d.location,
                    source,
                })?;
        }
        prereqs.set(phase, relationship, requirements);
    }
    Ok(prereqs)
}
