//! Hot reload, on SIGHUP and when the config file or a module file changes.
//!
//! The new configuration is parsed and every module loaded on a blocking
//! thread; only if all of it succeeds is it swapped in, atomically. Calls in
//! flight finish on the version they started with. A bad config or module is
//! refused with its errors logged, and the old version keeps serving.
//! Only `[[function]]` tables and `[cors]` are reloaded; every other section
//! is read at start only: a reload that changes one logs a warning.
//!
//! Files are watched by polling their size, modification time and inode every
//! `reload.interval`; a change is acted on once it has been stable for one
//! interval, so a module half-way through being copied is not loaded.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::config::{self, Source};
use crate::loaded::Gateway;
use crate::shared::Shared;

/// Reloads now; returns whether the new configuration is in force.
pub async fn reload(shared: &Arc<Shared>, why: &str) -> bool {
    let _one_at_a_time = shared.reload_lock.lock().await;
    let worker = shared.clone();
    let built = tokio::task::spawn_blocking(move || {
        let source = Source::load(worker.config_path.as_deref())?;
        let config = config::parse(&source, &worker.overrides)?;
        let previous = worker.current();
        Gateway::build(config, &worker.modules, &worker.metrics, Some(&previous))
            .map_err(config::LoadError::from)
    })
    .await;
    match built {
        Ok(Ok(gateway)) => {
            warn_fixed_settings(shared, &gateway);
            let generation = gateway.generation;
            let functions = gateway.functions.len();
            shared.swap(gateway);
            crate::memory::give_back();
            shared.metrics.reload(true);
            shared
                .status
                .reload(why, Ok(generation), crate::status::now_ms());
            tracing::info!(generation, functions, why, "configuration reloaded");
            true
        }
        Ok(Err(errors)) => {
            shared.metrics.reload(false);
            let text = errors.to_string();
            let first = text.lines().next().unwrap_or("refused");
            shared
                .status
                .reload(why, Err(first), crate::status::now_ms());
            for line in errors.to_string().lines() {
                tracing::error!(why, "reload refused: {line}");
            }
            tracing::error!(
                why,
                "reload refused; the previous configuration keeps serving"
            );
            false
        }
        Err(e) => {
            shared.metrics.reload(false);
            shared
                .status
                .reload(why, Err(&e.to_string()), crate::status::now_ms());
            tracing::error!(why, "reload failed: {e}");
            false
        }
    }
}

fn warn_fixed_settings(shared: &Shared, new: &Gateway) {
    let (old, new) = (&shared.startup, &new.config);
    let changed = [
        ("http", old.http != new.http),
        (
            "https.listen",
            old.https.as_ref().map(|h| &h.listen) != new.https.as_ref().map(|h| &h.listen),
        ),
        ("admin", old.admin != new.admin),
        ("data_dir", old.data_dir != new.data_dir),
        ("pool", old.pool != new.pool),
        ("modules", old.modules != new.modules),
        (
            "mqtt, mqtt_route or a function's mqtt triggers",
            old.mqtt != new.mqtt || triggers(old) != triggers(new),
        ),
        ("a function's timers", timers(old).ne(timers(new))),
        (
            "reload, shutdown, outbox, crashes or log",
            (old.watch, old.watch_interval, old.drain_timeout, old.outbox)
                != (new.watch, new.watch_interval, new.drain_timeout, new.outbox)
                || (
                    old.crashes_max,
                    old.guest_stderr_bytes,
                    old.guest_stderr_lines,
                ) != (
                    new.crashes_max,
                    new.guest_stderr_bytes,
                    new.guest_stderr_lines,
                ),
        ),
    ];
    for (section, differs) in changed {
        if differs {
            tracing::warn!(
                section,
                "changed in the config, takes effect after a restart"
            );
        }
    }
}

/// The timers of the functions that have some (started at start only).
fn timers(
    config: &crate::config::Config,
) -> impl Iterator<Item = (&str, &[crate::config::timer::TimerSpec])> {
    config
        .functions
        .iter()
        .filter(|f| !f.timers.is_empty())
        .map(|f| (f.name.as_str(), f.timers.as_slice()))
}

/// Each function's MQTT triggers (subscribed at start only).
fn triggers(config: &crate::config::Config) -> Vec<(&str, &[crate::config::mqtt::MqttTrigger])> {
    config
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.mqtt.as_slice()))
        .collect()
}

type Stamp = Vec<(PathBuf, Option<(SystemTime, u64, u64)>)>;

fn stamp(files: &[PathBuf]) -> Stamp {
    use std::os::unix::fs::MetadataExt as _;
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok().map(|m| {
                (
                    m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    m.len(),
                    m.ino(),
                )
            });
            (f.clone(), meta)
        })
        .collect()
}

/// Reloads on each SIGHUP `hup` receives, until the process ends, telling
/// systemd when each reload starts and ends (`systemctl reload`).
pub async fn on_sighup(shared: Arc<Shared>, mut hup: tokio::signal::unix::Signal) {
    while hup.recv().await.is_some() {
        crate::systemd::reloading();
        reload(&shared, "SIGHUP").await;
        crate::systemd::ready_serving(&shared);
    }
}

/// Polls the watched files and reloads when they change.
pub async fn watch(shared: Arc<Shared>) {
    let interval = shared.startup.watch_interval;
    let mut seen = stamp(&shared.current().watched_files());
    let mut pending: Option<Stamp> = None;
    loop {
        tokio::time::sleep(interval).await;
        let files = shared.current().watched_files();
        let now = tokio::task::spawn_blocking(move || stamp(&files))
            .await
            .unwrap_or_default();
        if now == seen {
            pending = None;
            continue;
        }
        if pending.as_ref() != Some(&now) {
            pending = Some(now);
            continue;
        }
        pending = None;
        reload(&shared, "file changed").await;
        let files = shared.current().watched_files();
        seen = tokio::task::spawn_blocking(move || stamp(&files))
            .await
            .unwrap_or_default();
    }
}
