//! Structured logs on stderr (human by default, JSON lines with `--log-json`).
//! `RUST_LOG` filters them (default `info`).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;

/// Whether the logs are JSON lines (`--log-json`): then nothing but plain
/// lines and JSON is written, no progress bar.
static JSON: AtomicBool = AtomicBool::new(false);

/// Whether [`init`] was asked for JSON lines.
pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Installs the global subscriber once, for the `jinn` binary.
pub fn init(json: bool) {
    JSON.store(json, Ordering::Relaxed);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
