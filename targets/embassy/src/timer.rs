//! Interval timers: each function's `timers` (in its catalog record) call
//! it every `every_ms` milliseconds with jinn-core's timer envelope
//! (`jinn_core::contract::envelope::TimerTick`), whether or not a broker is
//! reachable: what a run publishes waits in the flash outbox.
//!
//! The policy is the gateway's, from one definition (`jinn_core::timer`):
//! a timer counts from boot (runs due while the device was off or resetting
//! are not made up); a run is made for its due time even when it starts
//! late; due times that passed meanwhile — the previous run still going,
//! the guest slot held by another call — are skipped, counted on
//! `/healthz` (`timer_skipped`) and logged. One task runs every timer, one
//! run at a time, through [`Jinn::call`] (fuel, slices, the call deadline,
//! the one-guest slot).

use alloc::string::String;
use alloc::vec::Vec;

use embassy_time::{Duration, Instant, Timer};
use embedded_storage::nor_flash::NorFlash;
use jinn_core::contract::envelope::TimerTick;

use crate::device::Jinn;

/// Late runs counted at once, at most.
const MISSED_CAP: u64 = 1_000_000;

/// One timer and when it is due next (nanoseconds since boot).
struct Scheduled {
    function: usize,
    timer: usize,
    every_ns: u64,
    written: String,
    due: u64,
}

fn now_ns() -> u64 {
    Instant::now().as_micros().saturating_mul(1000)
}

/// Runs every timer of every function, forever. Without timers it waits
/// forever.
pub async fn run<F: NorFlash + 'static>(jinn: &'static Jinn<F>) -> ! {
    let origin = now_ns();
    let mut timers: Vec<Scheduled> = Vec::new();
    for (function, loaded) in jinn.functions.iter().enumerate() {
        for (timer, record) in loaded.timers.iter().enumerate() {
            let every_ns = u64::from(record.every_ms).saturating_mul(1_000_000);
            if let Some(due) = jinn_core::timer::next_due(origin, every_ns, origin) {
                timers.push(Scheduled {
                    function,
                    timer,
                    every_ns,
                    written: jinn_core::timer::written(u64::from(record.every_ms)),
                    due,
                });
            }
        }
    }
    if !timers.is_empty() {
        info!("timers: {} started", timers.len());
    }
    loop {
        let Some(next) = timers.iter_mut().min_by_key(|t| t.due) else {
            Timer::after(Duration::from_secs(3600)).await;
            continue;
        };
        Timer::at(Instant::from_micros(next.due / 1000)).await;
        once(jinn, next).await;
        let now = now_ns();
        let late = jinn_core::timer::missed(origin, next.every_ns, next.due, now, MISSED_CAP);
        if late > 0 {
            jinn.timer_skipped(late);
            warn!(
                "timer {}: {} runs due while it was late skipped",
                name(jinn, next),
                late
            );
        }
        match jinn_core::timer::next_due(origin, next.every_ns, next.due.max(now)) {
            Some(due) => next.due = due,
            // Past the clock's range: never due again.
            None => next.due = u64::MAX,
        }
    }
}

fn name<'a, F: NorFlash + 'static>(jinn: &'a Jinn<F>, t: &Scheduled) -> &'a str {
    jinn.functions[t.function].timers[t.timer].name.as_str()
}

/// One run, due at `t.due`: the call, to its end.
async fn once<F: NorFlash + 'static>(jinn: &'static Jinn<F>, t: &Scheduled) {
    let name = name(jinn, t);
    let request = TimerTick {
        name,
        schedule: &t.written,
        due_unix_ns: jinn.config.unix_ns_at_boot.saturating_add(t.due),
    }
    .envelope(|b| jinn.random(b));
    // On the heap while it runs: the task's static storage holds only the
    // schedule (a call's future is over a kilobyte).
    let outcome = alloc::boxed::Box::pin(jinn.call(t.function, &request)).await;
    jinn.timer_ran();
    match outcome.result {
        Ok(response) => info!(
            "timer {} -> {}: {} ({} fuel)",
            name,
            jinn.name(t.function),
            response.status,
            outcome.fuel_used
        ),
        Err(e) => warn!(
            "timer {} -> {}: {} ({} fuel)",
            name,
            jinn.name(t.function),
            e,
            outcome.fuel_used
        ),
    }
}
