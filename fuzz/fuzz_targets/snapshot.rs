//! cpan-cpanfile's cpanfile.snapshot reader (and sha256 sidecar reader) on arbitrary input: it
//! must never panic, and a snapshot it reads must write back (or be refused as unrepresentable)
//! and read back the same.
#![no_main]

use cpan_cpanfile::{Error, Snapshot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One input, split in two: the snapshot, and a sha256 sidecar for it.
    let (snapshot_text, sidecar) = text.split_once('\0').unwrap_or((text, ""));
    let Ok(mut snapshot) = Snapshot::parse(snapshot_text) else {
        return;
    };
    let _ = snapshot.apply_sha256_sidecar(sidecar);
    match snapshot.emit() {
        Ok(written) => {
            let mut sorted = snapshot.clone();
            sorted.distributions.sort_by(|a, b| a.name.cmp(&b.name));
            for d in &mut sorted.distributions {
                d.sha256 = None;
            }
            let again = Snapshot::parse(&written).expect("our output reads back");
            assert_eq!(again, sorted);
        }
        Err(e) => assert!(matches!(e, Error::Unrepresentable { .. }), "{e}"),
    }
    let _ = snapshot.emit_sha256_sidecar();
});
