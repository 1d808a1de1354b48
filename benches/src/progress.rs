//! A bar of the rounds of `jinn-bench run` (a full run takes minutes), with
//! indicatif: drawn on stderr only when it is a terminal and `TERM` is not
//! `dumb`; in pipes and logs (the test command's smoke run) nothing.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The rounds of a run and what is measured now; cleared when dropped.
#[derive(Debug)]
pub struct Rounds(ProgressBar);

impl Rounds {
    /// A bar of `rounds` steps, or a hidden one off a terminal.
    pub fn new(rounds: u32) -> Self {
        let drawn =
            std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        if !drawn {
            return Self(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(u64::from(rounds));
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:24} {pos}/{len} rounds · {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(bar)
    }

    /// Says what round `round` (from 0) measures now.
    pub fn doing(&self, round: u32, what: &str) {
        self.0.set_message(format!("round {}: {what}", round + 1));
    }

    /// A round is done.
    pub fn round_done(&self) {
        self.0.inc(1);
    }
}

impl Drop for Rounds {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
