//! The gateway's configuration parser: any text gets a configuration or
//! errors that name a place in it — never a panic.

use std::path::PathBuf;

use jinn_host::config::{self, Overrides, Source};

/// Parses `data` as a `jinn.toml`.
///
/// # Panics
///
/// When the parser panics, or an error does not point into the text.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let lines = text.lines().count().max(1);
    let source = Source {
        name: "fuzz.toml".into(),
        path: None,
        text,
        base: PathBuf::from("/nonexistent"),
    };
    if let Err(errors) = config::parse(&source, &Overrides::default()) {
        assert!(!errors.0.is_empty());
        for e in &errors.0 {
            assert!(e.at.line >= 1 && e.at.line <= lines + 1, "{e}");
            assert!(e.at.column >= 1, "{e}");
            let _ = e.to_string();
        }
    }
}
