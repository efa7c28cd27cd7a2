//! Log output: `tracing` events to standard error.

use std::io::IsTerminal;

use tracing_subscriber::filter::{EnvFilter, LevelFilter};

/// Installs the global subscriber.
///
/// `-v`/`-vv` choose debug/trace for riverpan's own crates; without them `RUST_LOG` applies
/// (e.g. `RUST_LOG=riverpan_server=debug,tower=trace`), and without that, `info`.  Logs go to
/// standard error so that the scripting commands' standard output stays machine-readable.
pub(crate) fn init(verbosity: u8) {
    let filter = match verbosity {
        0 => EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            // A malformed RUST_LOG should not stop the program; the valid parts still apply.
            .from_env_lossy(),
        // Targets match by prefix: `riverpan` covers the binary's modules (`riverpan::…`) and the
        // `riverpan_server` and `riverpan_store` crates.
        1 => EnvFilter::new("info,riverpan=debug"),
        _ => EnvFilter::new("debug,riverpan=trace"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
