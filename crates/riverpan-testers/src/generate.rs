//! A deterministic generator of realistic synthetic reports, for tests and benchmarks.
//!
//! Shaped after what testers.md §9 says about the real stream: a handful of automated smokers
//! send most reports (testers are Zipf-weighted), each smoker runs one OS and a set of perls,
//! ~30 perls (stable, development, release candidates and a patched build), ~10 OS names, dists
//! of Zipf-skewed popularity with one to four releases, a few dists that break from some blead
//! perl on, a few that fail on one OS, and some prerequisite failures and NAs.  The same seed
//! always gives the same reports (ids included).

use std::collections::BTreeMap;

use crate::ingest::{
    format_uuid, rfc3339, Distribution, Environment, Language, NewReport, Reporter, System,
    TestOutput, TestResult,
};

/// SplitMix64: tiny, fast and good enough for synthetic data; keeps the crate free of an RNG
/// dependency and makes output stable across dependency upgrades.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// Cumulative weights for sampling by index.
#[derive(Debug, Clone)]
struct Weighted(Vec<f64>);

impl Weighted {
    fn zipf(n: usize, s: f64) -> Weighted {
        let mut acc = 0.0;
        Weighted(
            (1..=n)
                .map(|k| {
                    acc += 1.0 / (k as f64).powf(s);
                    acc
                })
                .collect(),
        )
    }

    fn from(weights: &[f64]) -> Weighted {
        let mut acc = 0.0;
        Weighted(
            weights
                .iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.0
            .partition_point(|c| *c <= x)
            .min(self.0.len().saturating_sub(1))
    }
}

/// The perls the generator reports on (30), oldest first; the last stable is 5.42.0 and the
/// last development 5.43.9.
pub const PERLS: &[&str] = &[
    "5.16.3",
    "5.18.4",
    "5.20.3",
    "5.22.4",
    "5.24.4",
    "5.26.3",
    "5.28.3",
    "5.30.3",
    "5.32.1",
    "5.34.3",
    "5.36.3",
    "5.38.4",
    "5.40.2",
    "5.41.10",
    "5.41.11",
    "5.41.12",
    "5.41.13",
    "5.42.0 RC1",
    "5.42.0 RC2",
    "5.42.0",
    "5.43.1",
    "5.43.2",
    "5.43.3",
    "5.43.4",
    "5.43.5",
    "5.43.6",
    "5.43.7",
    "5.43.8",
    "5.43.9",
    "5.40.2 patch GitLive-maint-5.40-12-gabc1234",
];

/// OS names with an archname, an OS version and a weight.
const OSES: &[(&str, &str, &str, f64)] = &[
    ("linux", "x86_64-linux", "6.1.0-18-amd64", 40.0),
    ("freebsd", "amd64-freebsd", "14.1-release", 14.0),
    ("openbsd", "OpenBSD.amd64-openbsd", "7.5", 8.0),
    ("netbsd", "amd64-netbsd", "10.0", 4.0),
    ("darwin", "darwin-2level", "23.4.0", 10.0),
    ("MSWin32", "MSWin32-x64-multi-thread", "10.0", 9.0),
    ("solaris", "i86pc-solaris-64", "2.11", 3.0),
    ("cygwin", "x86_64-cygwin-threads", "3.5.3", 3.0),
    ("dragonfly", "x86_64-dragonfly", "6.4-release", 2.0),
    ("midnightbsd", "amd64-midnightbsd", "3.1", 1.0),
];

/// What a dist does.
#[derive(Debug, Clone)]
struct DistSpec {
    name: String,
    author: String,
    versions: Vec<String>,
    /// Index into [`PERLS`]-sorted dev perls from which the latest release fails (BBC).
    breaks_from: Option<usize>,
    /// An OS on which it always fails.
    fails_on_os: Option<usize>,
    /// Base failure rate.
    flaky: f64,
}

#[derive(Debug, Clone)]
struct TesterSpec {
    name: String,
    email: String,
    os: usize,
    perls: Vec<usize>,
}

/// The generator.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Rng,
    dists: Vec<DistSpec>,
    dist_weights: Weighted,
    testers: Vec<TesterSpec>,
    tester_weights: Weighted,
    dev_rank: BTreeMap<usize, usize>,
    seq: u64,
    start: u64,
}

const SYLLABLES: &[&str] = &[
    "Acme", "App", "Data", "Text", "Net", "HTTP", "JSON", "XML", "File", "Test", "Moo", "Type",
    "Tiny", "Simple", "Util", "Any", "Lite", "Class", "Role", "DB", "SQL", "Time", "Date", "IO",
    "Log", "Dancer", "Mojo", "Plack", "Template", "Config",
];

impl Generator {
    /// A generator of `dists` distributions and 60 testers from `seed`.
    pub fn new(seed: u64, dists: usize) -> Generator {
        let mut rng = Rng::new(seed);
        let mut specs = Vec::with_capacity(dists);
        let dev: Vec<usize> = (0..PERLS.len())
            .filter(|&i| {
                PERLS[i]
                    .split('.')
                    .nth(1)
                    .is_some_and(|m| m.parse::<u32>().is_ok_and(|m| m % 2 == 1))
            })
            .collect();
        for i in 0..dists {
            let a = SYLLABLES[rng.below(SYLLABLES.len())];
            let b = SYLLABLES[rng.below(SYLLABLES.len())];
            let name = format!("{a}-{b}-{i}");
            let author = format!("AUTH{:03}", rng.below(500));
            let n_versions = 1 + rng.below(4);
            let versions = (0..n_versions)
                .map(|v| format!("{}.{:03}", 1 + v / 3, 10 * (v + 1) + rng.below(9)))
                .collect();
            let breaks_from = if rng.chance(0.03) {
                // Break at one of the 5.43 perls.
                Some(dev.len() - 1 - rng.below(6))
            } else {
                None
            };
            let fails_on_os = if rng.chance(0.05) {
                Some(rng.below(OSES.len()))
            } else {
                None
            };
            let flaky = if rng.chance(0.1) { 0.2 } else { 0.01 };
            specs.push(DistSpec {
                name,
                author,
                versions,
                breaks_from,
                fails_on_os,
                flaky,
            });
        }
        let os_weights = Weighted::from(&OSES.iter().map(|o| o.3).collect::<Vec<_>>());
        let testers: Vec<TesterSpec> = (0..60)
            .map(|t| {
                let os = os_weights.sample(&mut rng);
                // Smokers run a band of perls; the big ones run blead too.
                let perls = (0..PERLS.len())
                    .filter(|_| rng.chance(0.5))
                    .collect::<Vec<_>>();
                let perls = if perls.is_empty() {
                    vec![PERLS.len() - 2]
                } else {
                    perls
                };
                TesterSpec {
                    name: format!("Smoker {t}"),
                    email: format!("smoker{t}@example.org"),
                    os,
                    perls,
                }
            })
            .collect();
        let dev_rank = dev.iter().enumerate().map(|(r, &i)| (i, r)).collect();
        Generator {
            rng,
            dist_weights: Weighted::zipf(dists.max(1), 0.8),
            dists: specs,
            tester_weights: Weighted::zipf(60, 1.3),
            testers,
            dev_rank,
            seq: 0,
            start: 1_767_225_600, // 2026-01-01
        }
    }

    /// The next report.
    pub fn next_report(&mut self) -> NewReport {
        let rng = &mut self.rng;
        let d = &self.dists[self.dist_weights.sample(rng)];
        let t = &self.testers[self.tester_weights.sample(rng)];
        let perl_idx = t.perls[rng.below(t.perls.len())];
        let perl = PERLS[perl_idx];
        // Newer releases get more reports.
        let vi = if d.versions.len() > 1 && rng.chance(0.3) {
            rng.below(d.versions.len())
        } else {
            d.versions.len() - 1
        };
        let version = &d.versions[vi];
        let latest = vi == d.versions.len() - 1;
        let (osname, archname, osvers, _) = OSES[t.os];
        let broken = latest
            && match (d.breaks_from, self.dev_rank.get(&perl_idx)) {
                (Some(from), Some(rank)) => *rank >= from,
                _ => false,
            };
        let grade;
        let mut text = String::with_capacity(1200);
        text.push_str(&format!(
            "Dear {},\n\nThis is a computer-generated report for {}-{}\non perl {}, created by CPAN-Reporter-1.2019.\n\n",
            d.author, d.name, version, perl
        ));
        if rng.chance(0.015) {
            grade = if rng.chance(0.8) { "fail" } else { "unknown" };
            text.push_str("PROGRAM OUTPUT\n\nOutput from '/usr/bin/make test':\n\nt/00-load.t .. Can't locate Moo.pm in @INC\n\nPREREQUISITES\n\n    requires:\n\n        Module Need Have\n        ------ ---- ----\n      ! Moo    2.0  n/a\n\n");
        } else if rng.chance(0.01) {
            grade = "na";
            text.push_str("PROGRAM OUTPUT\n\nOS unsupported\n\n");
        } else if broken || d.fails_on_os == Some(t.os) || rng.chance(d.flaky) {
            grade = "fail";
            text.push_str("PROGRAM OUTPUT\n\nOutput from '/usr/bin/make test':\n\nt/basic.t .. 1/12\n#   Failed test 'works'\n#   at t/basic.t line 42.\nFailed 1/12 subtests\n\n");
        } else if rng.chance(0.005) {
            grade = "unknown";
            text.push_str("PROGRAM OUTPUT\n\nNo tests defined for this distribution.\n\n");
        } else {
            grade = "pass";
            text.push_str("PROGRAM OUTPUT\n\nOutput from '/usr/bin/make test':\n\nt/basic.t .. ok\nAll tests successful.\nFiles=1, Tests=12,  0 wallclock secs\nResult: PASS\n\n");
        }
        text.push_str(&format!(
            "ENVIRONMENT AND OTHER CONTEXT\n\nEnvironment variables:\n\n    AUTOMATED_TESTING = 1\n    PERL5LIB = \n    SHELL = /bin/sh\n\nSummary of my perl5 ({perl}) configuration:\n   osname={osname}\n   osvers={osvers}\n   archname={archname}\n"
        ));
        self.seq += 1;
        let id = format_uuid(rng.next_u64(), rng.next_u64());
        // About 40k reports a day, as in 2015 (testers.md §9).
        let created = rfc3339(self.start + self.seq * 2);
        NewReport {
            id: Some(id),
            created: Some(created),
            reporter: Reporter {
                name: Some(t.name.clone()),
                email: t.email.clone(),
            },
            environment: Environment {
                language: Language {
                    name: "Perl 5".into(),
                    version: perl.into(),
                    archname: archname.into(),
                    build: None,
                    commit_id: None,
                    variables: None,
                },
                system: System {
                    osname: osname.into(),
                    osversion: Some(osvers.into()),
                    extra: BTreeMap::new(),
                },
                user_agent: Some("CPAN-Reporter/1.2019".into()),
                toolchain: None,
            },
            distribution: Distribution {
                name: d.name.clone(),
                version: version.clone(),
                path: Some(format!("{}/{}-{}.tar.gz", d.author, d.name, version)),
                prerequisites: None,
            },
            result: TestResult {
                grade: grade.into(),
                output: TestOutput {
                    uncategorized: Some(text),
                    ..TestOutput::default()
                },
                extra: BTreeMap::new(),
            },
            comments: None,
        }
    }

    /// The next `n` reports.
    pub fn batch(&mut self, n: usize) -> Vec<NewReport> {
        (0..n).map(|_| self.next_report()).collect()
    }

    /// Names of the dists generated to break on blead (latest release), for checks.
    pub fn breaking_dists(&self) -> Vec<&str> {
        self.dists
            .iter()
            .filter(|d| d.breaks_from.is_some())
            .map(|d| d.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perl::{latest_development, latest_stable, PerlVersion};

    #[test]
    fn is_deterministic() {
        let a = Generator::new(7, 100).batch(50);
        let b = Generator::new(7, 100).batch(50);
        assert_eq!(a, b);
        let c = Generator::new(8, 100).batch(50);
        assert_ne!(a, c);
    }

    #[test]
    fn perls_are_realistic() {
        let v: Vec<PerlVersion> = PERLS
            .iter()
            .map(|p| PerlVersion::parse(p).unwrap())
            .collect();
        assert_eq!(v.len(), 30);
        assert_eq!(latest_stable(&v).unwrap().to_string(), "5.42.0");
        assert_eq!(latest_development(&v).unwrap().to_string(), "5.43.9");
    }

    #[test]
    fn smokers_are_skewed() {
        let mut g = Generator::new(1, 500);
        let mut by_tester: BTreeMap<String, usize> = BTreeMap::new();
        for r in g.batch(20_000) {
            *by_tester.entry(r.reporter.email).or_default() += 1;
        }
        let mut counts: Vec<usize> = by_tester.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top5: usize = counts.iter().take(5).sum();
        assert!(
            top5 * 2 > 20_000,
            "top 5 testers send most reports: {counts:?}"
        );
    }
}
