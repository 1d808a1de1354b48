//! What every benchmark runner shares, whichever engine it drives: the
//! timing loop, the process's peak resident memory, and the one-line JSON
//! record a runner prints for the orchestrator (`jinn-bench run`).
//!
//! Runners are separate processes (one per contender, workload and round)
//! so that each peak RSS is the contender's own.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// What one runner process measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Per-iteration times in nanoseconds (warm-up excluded), in run order.
    pub samples_ns: Vec<u64>,
    /// A score the workload computes itself (CoreMark iterations/s), if any.
    pub score: Option<f64>,
    /// Fuel per call, for engines that meter it.
    pub fuel: Option<u64>,
    /// Peak resident set of the runner process (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// What the last iteration produced (a response document), so that the
    /// orchestrator can check every contender did the same work.
    pub output: String,
}

impl Record {
    /// The record as the single line a runner prints.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serialises")
    }

    /// Parses the last line of a runner's stdout that is a record.
    ///
    /// # Errors
    ///
    /// When no line is a record.
    pub fn from_stdout(stdout: &str) -> Result<Self, String> {
        stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| format!("no result record in the runner's output: {stdout:?}"))
    }
}

/// Runs `call` `warmup` times untimed, then `iterations` times, timing each.
/// `call` returns what its iteration produced; the last one is kept.
pub fn time_calls<T>(warmup: u64, iterations: u64, mut call: impl FnMut() -> T) -> (Vec<u64>, T) {
    let mut last = None;
    for _ in 0..warmup {
        last = Some(call());
    }
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        let out = call();
        samples.push(start.elapsed().as_nanos() as u64);
        last = Some(out);
    }
    (samples, last.expect("at least one iteration ran"))
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM`, `VmRSS`), or 0 when unreadable.
pub fn status_kib(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// `--name value` options of a runner's command line.
#[derive(Debug, Clone, Default)]
pub struct Options(Vec<String>);

impl Options {
    /// The options (the words after the subcommand).
    pub fn new(words: impl IntoIterator<Item = String>) -> Self {
        Self(words.into_iter().collect())
    }

    /// The value after `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        let flag = format!("--{name}");
        self.0
            .iter()
            .position(|w| *w == flag)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }

    /// The value after `--name`.
    ///
    /// # Errors
    ///
    /// When it is missing.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("missing --{name}"))
    }

    /// The number after `--name`, or `default`.
    ///
    /// # Errors
    ///
    /// When it is given and is not a number.
    pub fn number(&self, name: &str, default: u64) -> Result<u64, String> {
        self.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("--{name}: not a number: {v}"))
        })
    }
}

/// Peak resident set of this process, in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib(None, "VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_the_round_trip_among_other_lines() {
        let record = Record {
            samples_ns: vec![3, 1, 2],
            score: Some(1.5),
            fuel: Some(7),
            peak_rss_kib: 1234,
            output: "{\"status\":200}".into(),
        };
        let stdout = format!("noise\n{}\n", record.to_line());
        assert_eq!(Record::from_stdout(&stdout).unwrap(), record);
        assert!(Record::from_stdout("nothing here").is_err());
    }

    #[test]
    fn timing_counts_iterations_and_keeps_the_last_output() {
        let mut n = 0;
        let (samples, last) = time_calls(2, 5, || {
            n += 1;
            n
        });
        assert_eq!(samples.len(), 5);
        assert_eq!(last, 7);
    }

    #[test]
    fn options_are_read_by_name() {
        let o = Options::new(["--wasm", "a.wasm", "--iters", "10", "--bad", "x"].map(String::from));
        assert_eq!(o.get("wasm"), Some("a.wasm"));
        assert_eq!(o.number("iters", 1), Ok(10));
        assert_eq!(o.number("warmup", 3), Ok(3));
        assert!(o.number("bad", 0).is_err());
        assert!(o.required("stdin").is_err());
    }

    #[test]
    fn this_process_has_a_peak_rss() {
        assert!(peak_rss_kib() > 0);
        assert_eq!(status_kib(None, "NoSuchField"), 0);
    }
}
