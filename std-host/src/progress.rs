//! Progress bars where a person waits (`jinn build`), with indicatif.
//!
//! A bar is drawn on stderr only when stderr is a terminal, the logs are
//! human-readable (not `--log-json`) and `TERM` is not `dumb`; otherwise it
//! is hidden and the plain lines each command prints anyway are the whole
//! output, so logs, pipes and tests see no escape sequences. While a bar is
//! drawn, every line printed goes above it ([`Progress::out`],
//! [`Progress::err`]).

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars are drawn in this process (see the module).
pub fn enabled() -> bool {
    std::io::stderr().is_terminal()
        && !crate::logging::json()
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// A bar of `len` steps, or a hidden one; cleared when dropped.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `len` steps, drawn when [`enabled`].
    pub fn new(len: u64) -> Self {
        if !enabled() {
            return Self::hidden();
        }
        let bar = ProgressBar::new(len);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    /// A bar that is never drawn.
    pub fn hidden() -> Self {
        Self {
            bar: ProgressBar::hidden(),
        }
    }

    /// Whether this bar is drawn.
    pub fn is_drawn(&self) -> bool {
        !self.bar.is_hidden()
    }

    /// Says what is being done now.
    pub fn doing(&self, message: String) {
        self.bar.set_message(message);
        self.bar.tick();
    }

    /// One step done.
    pub fn step(&self) {
        self.bar.inc(1);
    }

    /// A handle that prints above the bar, for other threads.
    pub fn lines(&self) -> Lines {
        Lines(self.bar.clone())
    }

    /// Prints a line to stdout above the bar.
    pub fn println(&self, line: &str) {
        self.lines().out(format!("{line}\n").as_bytes());
    }
}

impl Drop for Progress {
    /// The bar goes away with the work it measured, also on an error.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Prints above a [`Progress`] bar (or plainly when it is hidden).
#[derive(Debug, Clone)]
pub struct Lines(ProgressBar);

impl Lines {
    /// Writes `bytes` to stdout above the bar.
    pub fn out(&self, bytes: &[u8]) {
        self.0.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(bytes);
            let _ = out.flush();
        });
    }

    /// Writes `bytes` to stderr above the bar.
    pub fn err(&self, bytes: &[u8]) {
        self.0.suspend(|| {
            let _ = std::io::stderr().lock().write_all(bytes);
        });
    }
}
