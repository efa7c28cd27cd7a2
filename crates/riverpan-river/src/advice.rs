//! The Berlin consensus's advice for an upload, by how far upriver its distribution is.
//!
//! The sentences paraphrase seed 002's "Recommended practices for CPAN authors"; only the
//! practices that bear on shipping a release are here (the rest are about how a distribution
//! is kept, not about one upload).

use crate::{band, Band};

/// Total dependents from which the consensus suggests testing downriver dependents before a
/// stable release ("the upper-middle parts of the CPAN river (e.g. 1000+ total downriver
/// dependents)").
pub const TEST_DEPENDENTS_FROM: u64 = 1000;

/// The practices the consensus recommends before and around an upload of a distribution with
/// `total` downriver dependents, one sentence each; empty way downriver.  A developer (trial)
/// release is itself the first recommended step, so it gets the advice on what to watch.
pub fn for_upload(total: u64, developer_release: bool) -> Vec<&'static str> {
    let band = band(total);
    if band == Band::WayDownriver {
        return Vec::new();
    }
    let mut advice = Vec::new();
    if developer_release {
        advice.push(
            "Watch the CPAN Testers matrix for this trial release (36 to 48 hours usually gives \
             good coverage of operating systems and perl versions) before a stable release.",
        );
    } else {
        advice.push(
            "Release a non-indexed developer (trial) version first and watch its CPAN Testers \
             results for 36 to 48 hours before shipping a stable release.",
        );
    }
    advice.push(
        "Keep the API stable: make breaking changes rarely and only after a deprecation period.",
    );
    if total >= TEST_DEPENDENTS_FROM {
        advice.push(
            "Test a sample of the downriver dependents against this version before shipping it \
             as stable.",
        );
    }
    if band == Band::WayUpriver {
        advice.push("Have the changes reviewed by someone else before a stable release.");
        advice.push(
            "Discuss major changes in a public forum before implementing them, and design for \
             forward compatibility.",
        );
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::for_upload;

    #[test]
    fn advice_grows_with_the_band() {
        assert!(for_upload(49, false).is_empty());
        let middle = for_upload(50, false);
        assert_eq!(middle.len(), 2);
        assert!(middle[0].contains("trial"));
        assert!(middle[0].contains("36 to 48 hours"));
        assert_eq!(for_upload(1000, false).len(), 3);
        assert!(for_upload(1000, false)[2].contains("downriver dependents"));
        assert_eq!(for_upload(5000, false).len(), 5);
        assert!(for_upload(5000, true)[0].contains("Watch the CPAN Testers matrix"));
    }
}
