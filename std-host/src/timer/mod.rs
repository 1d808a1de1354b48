//! The timers of `jinn serve`: one task per timer of each `[[function]]`
//! (`timers = [{ every = "10s" }, { cron = "0 */5 * * * *" }]`), calling
//! the function through the HTTP and MQTT calls' dispatch path (the worker
//! pool, fuel, limits, deadline, quota) with the timer envelope of
//! `jinn_core::contract::envelope::TimerTick`.
//!
//! * Timers run whether or not any broker is connected: what a run
//!   publishes goes to the outbox in the call's transaction, and is drained
//!   when its connection is up.
//! * Runs due while the gateway was down are not made up: a timer's first
//!   run is its first due time after the start. An interval counts from
//!   the start; a cron schedule is evaluated in UTC.
//! * A run still going when the next is due: the next is skipped, and
//!   counted. So is a run due while the task was late (the device
//!   suspended), a run the pool has no room for, one whose function's
//!   quota is spent, and one whose function was removed by a reload.
//! * The timers are those of the configuration at start (a reload does not
//!   change them); the function called is the one in force.
//!
//! [`schedule`] says when a timer is due, [`task`] runs it, [`metrics`]
//! shows the counters on `/metrics`.

pub mod metrics;
pub mod schedule;
pub mod task;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::task::JoinHandle;

use crate::shared::Shared;

/// The counters of one timer.
#[derive(Default)]
pub struct TimerStats {
    /// The function it calls.
    pub function: String,
    /// Its name.
    pub timer: String,
    /// Runs made (each ended: answered or failed).
    pub runs: AtomicU64,
    /// Runs made that failed (trap, fuel, deadline, storage…).
    pub failed: AtomicU64,
    /// Runs not made: the previous still going, late, no room, no quota.
    pub skipped: AtomicU64,
}

/// What the timers show of themselves (`/metrics`).
pub struct TimersState {
    /// Per timer, in configuration order.
    pub timers: Vec<Arc<TimerStats>>,
}

/// The running timers.
pub struct Timers {
    tasks: Vec<JoinHandle<()>>,
}

impl Timers {
    /// Stops every timer; runs already on the pool end as calls do.
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Starts a task per configured timer, and gives their counters to
/// `shared` ([`Shared::timers`]).
pub fn start(shared: &Arc<Shared>) -> Option<Timers> {
    let mut tasks = Vec::new();
    let mut timers = Vec::new();
    for f in &shared.startup.functions {
        for spec in &f.timers {
            let stats = Arc::new(TimerStats {
                function: f.name.clone(),
                timer: spec.name.clone(),
                ..TimerStats::default()
            });
            tasks.push(tokio::spawn(task::run(
                shared.clone(),
                spec.clone(),
                stats.clone(),
            )));
            timers.push(stats);
        }
    }
    if tasks.is_empty() {
        return None;
    }
    tracing::info!(timers = tasks.len(), "timers started");
    let _ = shared.timers.set(Arc::new(TimersState { timers }));
    Some(Timers { tasks })
}
