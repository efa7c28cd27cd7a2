//! The end-of-run summary: how many releases got each outcome, per perl.

use std::collections::BTreeMap;

/// Counts of outcomes (`pass`, `fail`, `na`, `unknown`, `discard`, `send failed`, ...) per perl.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// perl → outcome → count.
    pub per_perl: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Summary {
    /// Counts one outcome for `perl`.
    pub fn add(&mut self, perl: &str, outcome: &str) {
        *self
            .per_perl
            .entry(perl.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
    }

    /// Everything counted.
    pub fn total(&self) -> usize {
        self.per_perl.values().flat_map(|m| m.values()).sum()
    }

    /// One line per perl: `perl 5.36.0 (/usr/bin/perl): 3 pass, 1 fail, 2 discard`.
    pub fn lines(&self) -> Vec<String> {
        self.per_perl
            .iter()
            .map(|(perl, counts)| {
                let parts: Vec<String> = counts
                    .iter()
                    .map(|(outcome, n)| format!("{n} {outcome}"))
                    .collect();
                format!("{perl}: {}", parts.join(", "))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_perl_and_outcome() {
        let mut summary = Summary::default();
        summary.add("perl 5.36.0 (a)", "pass");
        summary.add("perl 5.36.0 (a)", "pass");
        summary.add("perl 5.36.0 (a)", "discard");
        summary.add("perl 5.36.0 (b)", "fail");
        assert_eq!(summary.total(), 4);
        assert_eq!(
            summary.lines(),
            [
                "perl 5.36.0 (a): 1 discard, 2 pass",
                "perl 5.36.0 (b): 1 fail"
            ]
        );
    }
}
