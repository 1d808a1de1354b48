//! The timers' series on `/metrics`, per function and timer.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{TimerStats, TimersState};

/// The Prometheus text of the timers.
pub fn encode(state: &TimersState) -> String {
    let mut out = String::new();
    type Series = (&'static str, &'static str, fn(&TimerStats) -> &AtomicU64);
    let series: [Series; 3] = [
        (
            "jinn_timer_runs_total",
            "Timer runs made (answered or failed).",
            |t| &t.runs,
        ),
        (
            "jinn_timer_failed_total",
            "Timer runs made that failed.",
            |t| &t.failed,
        ),
        (
            "jinn_timer_skipped_total",
            "Timer runs not made: the previous run still going, the timer late, no room in the pool, no quota left.",
            |t| &t.skipped,
        ),
    ];
    for (name, help, value) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for t in &state.timers {
            let _ = writeln!(
                out,
                "{name}{{function=\"{}\",timer=\"{}\"}} {}",
                t.function,
                t.timer,
                value(t).load(Ordering::Relaxed)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn one_series_per_timer() {
        let t = Arc::new(TimerStats {
            function: "report".into(),
            timer: "report.0".into(),
            ..TimerStats::default()
        });
        t.runs.store(3, Ordering::Relaxed);
        t.skipped.store(1, Ordering::Relaxed);
        let text = encode(&TimersState { timers: vec![t] });
        assert!(
            text.contains("jinn_timer_runs_total{function=\"report\",timer=\"report.0\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("jinn_timer_failed_total{function=\"report\",timer=\"report.0\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("jinn_timer_skipped_total{function=\"report\",timer=\"report.0\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE jinn_timer_runs_total counter"),
            "{text}"
        );
    }
}
