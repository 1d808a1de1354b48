//! One timer: wait until due, run, repeat.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jinn_core::contract::envelope::TimerTick;

use super::TimerStats;
use super::schedule::{missed, next_due, now_ns, until};
use crate::call::CallResult;
use crate::config::timer::TimerSpec;
use crate::dispatch::{self, Cancel};
use crate::metrics::Rejection;
use crate::shared::Shared;

/// Late runs counted at once, at most (a device suspended for long).
const MISSED_CAP: u64 = 1_000_000;

/// Runs `spec` of `stats.function` until aborted: from its first due time
/// after now, never a run due before the start.
pub async fn run(shared: Arc<Shared>, spec: TimerSpec, stats: Arc<TimerStats>) {
    let origin = now_ns();
    let busy = Arc::new(AtomicBool::new(false));
    let Some(mut due) = next_due(&spec.schedule, origin, origin) else {
        return;
    };
    loop {
        tokio::time::sleep(until(due, now_ns())).await;
        if busy.swap(true, Ordering::AcqRel) {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                function = &*stats.function,
                timer = &*stats.timer,
                "timer: the previous run is still going; this run is skipped"
            );
        } else {
            let (shared, spec, stats, busy) =
                (shared.clone(), spec.clone(), stats.clone(), busy.clone());
            tokio::spawn(async move {
                once(&shared, &spec, due, &stats).await;
                busy.store(false, Ordering::Release);
            });
        }
        let now = now_ns();
        let late = missed(&spec.schedule, origin, due, now, MISSED_CAP);
        if late > 0 {
            stats.skipped.fetch_add(late, Ordering::Relaxed);
            tracing::warn!(
                function = &*stats.function,
                timer = &*stats.timer,
                skipped = late,
                "timer: runs due while the timer was late are skipped"
            );
        }
        match next_due(&spec.schedule, origin, due.max(now)) {
            Some(next) => due = next,
            None => {
                tracing::info!(timer = &*stats.timer, "timer: never due again");
                return;
            }
        }
    }
}

/// One run due at `due` (ns since the epoch): the call, to its end.
async fn once(shared: &Arc<Shared>, spec: &TimerSpec, due: u64, stats: &TimerStats) {
    let function = &*stats.function;
    let timer = &*stats.timer;
    let skip = |why: &str| {
        stats.skipped.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(function, timer, "timer: {why}; this run is skipped");
    };
    let Some(loaded) = shared
        .current()
        .functions
        .iter()
        .find(|l| &*l.name == function)
        .cloned()
    else {
        return skip("the function is no longer configured");
    };
    if shared.quotas.admit(&loaded.name).is_err() {
        loaded.metrics.reject(Rejection::QuotaExceeded);
        return skip("the function's quota is spent");
    }
    let request = TimerTick {
        name: &spec.name,
        schedule: &spec.written,
        due_unix_ns: due,
    }
    .envelope(|bytes| {
        let _ = getrandom::fill(bytes);
    });
    let trace_id = request.trace_id.clone().unwrap_or_default();
    let cancel = Arc::new(Cancel::default());
    let Ok((rx, _ticket)) =
        dispatch::submit(shared, loaded.clone(), request, trace_id.clone(), cancel)
    else {
        loaded.metrics.reject(Rejection::Overloaded);
        return skip("the worker pool is full");
    };
    let Ok(CallResult { outcome, .. }) = rx.await else {
        // Shutting down before the run started.
        return;
    };
    stats.runs.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = outcome.result {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            function,
            timer,
            trace_id,
            kind = e.kind().as_str(),
            "timer: the run failed"
        );
    }
}
