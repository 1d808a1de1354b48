//! Notifications to systemd (`Type=notify`) through the `sd_notify`
//! protocol, when the service manager gave the process a `NOTIFY_SOCKET`:
//!
//! * `READY=1` once the functions are loaded and every listener is bound;
//! * `RELOADING=1` (with `MONOTONIC_USEC`) when a SIGHUP reload starts
//!   (`systemctl reload`), `READY=1` when it has ended, applied or refused;
//! * `WATCHDOG=1` every half `WATCHDOG_USEC` (`WatchdogSec=`), from the
//!   reactor that serves the data plane: a stalled reactor is restarted;
//! * `STOPPING=1` when SIGTERM or Ctrl-C starts the drain (`systemctl stop`).
//!
//! Without `NOTIFY_SOCKET` every call does nothing. A notification that
//! cannot be sent is logged at debug level and never stops the gateway.

use std::time::Duration;

use sd_notify::NotifyState;

use crate::shared::Shared;

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::debug!("systemd notification {states:?} not sent: {e}");
    }
}

/// `READY=1`, with the number of functions served as the status line of
/// `systemctl status`.
pub fn ready_serving(shared: &Shared) {
    let status = format!("serving {} functions", shared.current().functions.len());
    send(&[NotifyState::Ready, NotifyState::Status(&status)]);
}

/// `RELOADING=1` and the monotonic time it started.
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(_) => send(&[NotifyState::Reloading]),
    }
}

/// `STOPPING=1`.
pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("draining")]);
}

/// How often `WATCHDOG=1` is due: half the watchdog period systemd set
/// for this process, if it set one.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
}

/// Sends `WATCHDOG=1` every `interval`, until aborted.
pub async fn watchdog(interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        send(&[NotifyState::Watchdog]);
    }
}
