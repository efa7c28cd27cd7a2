//! cpan-cpanfile's cpanfile reader on arbitrary input: it must never panic (deep nesting is
//! refused, not a stack overflow), every error has a location inside the input, and what it
//! reads is self-consistent.
#![no_main]

use cpan_cpanfile::{Cpanfile, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Cpanfile::parse(text) {
        Ok(cpanfile) => {
            let ids: Vec<&str> = cpanfile
                .features()
                .iter()
                .map(|f| f.identifier.as_str())
                .collect();
            let _ = cpanfile.effective_prereqs(&ids);
            for d in cpanfile.declarations() {
                assert!(cpanfile.prereq_for_module(&d.module).is_some());
            }
        }
        Err(
            Error::Unsupported { location, .. }
            | Error::Syntax { location, .. }
            | Error::Unterminated { location, .. }
            | Error::Arguments { location, .. }
            | Error::UnknownPhase { location, .. }
            | Error::UnknownOption { location, .. }
            | Error::Requirement { location, .. },
        ) => {
            assert!(location.line >= 1 && location.line <= text.split('\n').count());
            assert!(location.column >= 1);
        }
        Err(other) => panic!("a cpanfile error without a location: {other:?}"),
    }
});
