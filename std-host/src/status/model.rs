//! The JSON the status page reads (`GET /status.json` on the admin
//! listener): the gateway, each function, the outbox, the last failures and
//! reloads, and what needs attention. Built from the running gateway and the
//! [`Board`](super::board::Board) each time it is asked for.

use std::path::Path;

use serde::Serialize;

use super::board::{BoardView, FAILING_AFTER, Failure, FunctionSummary, ReloadRecord, SLOT_MS};
use super::{Action, now_ms};
use crate::config::RouteKind;
use crate::shared::Shared;

/// What the attention list says of a spent quota: the bucket goes below
/// zero when the last call overshot it, and that overdraft is paid back
/// before the next call is admitted.
fn quota_spent_text(q: &QuotaView) -> String {
    let window = q.window_ms / 1000;
    if q.left < 0 {
        format!(
            "fuel quota overdrawn by {} (quota {} per {window} s): requests get 429 until it refills",
            q.left.unsigned_abs(),
            q.fuel
        )
    } else {
        format!(
            "fuel quota spent (0 of {} per {window} s left): requests get 429 until it refills",
            q.fuel
        )
    }
}

/// Outbox use (of messages, in percent) from which it "is filling".
pub const OUTBOX_FILLING_PERCENT: u64 = 80;
/// How long a call failing `storage_unavailable` stays on the attention list.
pub const STORAGE_FAILURE_SHOWN_MS: u64 = 5 * 60 * 1000;

/// The whole status.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Version of this jinn.
    pub version: &'static str,
    /// When this was built (ms since the epoch).
    pub now_ms: u64,
    /// Serving: started, not draining, the store commits.
    pub ready: bool,
    /// The configuration generation in force (1 at start, +1 per reload).
    pub generation: u64,
    /// Workers, queue and connections.
    pub gateway: GatewayView,
    /// Each configured function, in configuration order.
    pub functions: Vec<FunctionView>,
    /// The publish outbox.
    pub outbox: OutboxView,
    /// Each MQTT connection, in configuration order (empty without MQTT).
    pub brokers: Vec<BrokerView>,
    /// The last failed calls, newest first.
    pub failures: Vec<FailureView>,
    /// The last reloads, newest first.
    pub reloads: Vec<ReloadView>,
    /// What an operator should look at, errors first.
    pub attention: Vec<Attention>,
    /// Actions the page may offer (`admin.actions`; each needs the admin token).
    pub actions: Vec<&'static str>,
}

/// Workers, queue, connections, storage.
#[derive(Debug, Serialize)]
pub struct GatewayView {
    /// Calls running on workers.
    pub in_flight: u64,
    /// Calls waiting for a worker.
    pub queue_depth: u64,
    /// Calls that may wait.
    pub queue_capacity: u64,
    /// Worker threads.
    pub workers: u64,
    /// Open HTTP connections.
    pub connections: u64,
    /// The KV/outbox store commits.
    pub storage_healthy: bool,
}

/// One function.
#[derive(Debug, Serialize)]
pub struct FunctionView {
    /// Name.
    pub name: String,
    /// Routes, e.g. `/hello` or `/echo/*` (a prefix).
    pub routes: Vec<String>,
    /// `idle` (no call yet), `ok`, `last_failed`, `failing` (the last
    /// [`FAILING_AFTER`] calls or more failed) or `quota_spent`.
    pub status: &'static str,
    /// Calls that ran (since start; kept across reloads by name).
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Calls stopped because the client left.
    pub cancelled: u64,
    /// Failures since the last successful call.
    pub failures_in_a_row: u32,
    /// Kind of the last error.
    pub last_error: Option<&'static str>,
    /// Median fuel of the last calls.
    pub fuel_p50: Option<u64>,
    /// 99th percentile of the same.
    pub fuel_p99: Option<u64>,
    /// How many calls the percentiles are over.
    pub fuel_samples: usize,
    /// Its fuel quota, if it has one.
    pub quota: Option<QuotaView>,
    /// The module file.
    pub module: String,
    /// SHA-256 of the module file, hex.
    pub module_sha256: String,
    /// Writes crash snapshots that `jinn replay` runs again.
    pub record_crashes: bool,
    /// Calls and errors per slot over the last minutes.
    pub history: History,
}

/// A fuel quota's state.
#[derive(Debug, Serialize)]
pub struct QuotaView {
    /// Fuel left in the bucket (negative while an overdraft is paid back).
    pub left: i64,
    /// Fuel per window, also the bucket's capacity.
    pub fuel: u64,
    /// The window, in ms.
    pub window_ms: u64,
}

/// Calls and errors per slot, oldest first; the last slot is the current one.
#[derive(Debug, Serialize)]
pub struct History {
    /// Length of a slot, in ms.
    pub slot_ms: u64,
    /// Calls per slot.
    pub calls: Vec<u32>,
    /// Errors per slot.
    pub errors: Vec<u32>,
}

/// The outbox.
#[derive(Debug, Serialize)]
pub struct OutboxView {
    /// Messages waiting.
    pub messages: u64,
    /// Messages it holds at most.
    pub max_messages: u64,
    /// Age of the oldest message, in ms (`null` when empty or unknown).
    pub oldest_age_ms: Option<u64>,
}

/// One MQTT connection.
#[derive(Debug, Clone, Serialize)]
pub struct BrokerView {
    /// Its name (`[mqtt.<name>]`).
    pub name: String,
    /// Its broker, `mqtt://host:port` or `mqtts://host:port` (no credentials).
    pub url: String,
    /// `connected`, `connecting` (not yet since the start) or `down`.
    pub state: &'static str,
    /// When it entered that state (ms since the epoch).
    pub since_ms: Option<u64>,
    /// `/readyz` needs it up.
    pub required: bool,
    /// Outbox messages routed to it, not yet acknowledged by its broker.
    pub outbox_messages: u64,
    /// Their payload bytes.
    pub outbox_bytes: u64,
    /// Age of the oldest of them, in ms (`null` when none).
    pub outbox_oldest_age_ms: Option<u64>,
    /// Messages that arrived on it and were dead-lettered.
    pub dead_letters: u64,
}

/// The connections of the MQTT bridge at `now_ms`.
pub fn broker_views(state: &crate::mqtt::BridgeState, now_ms: u64) -> Vec<BrokerView> {
    use std::sync::atomic::Ordering::Relaxed;
    state
        .connections
        .iter()
        .map(|c| {
            let (link, since_ms) = c.link.state();
            let oldest_ns = c.queue.oldest_ns.load(Relaxed);
            BrokerView {
                name: c.name.clone(),
                url: c.broker.clone(),
                state: link.as_str(),
                since_ms,
                required: c.required,
                outbox_messages: c.queue.depth.load(Relaxed),
                outbox_bytes: c.queue.bytes.load(Relaxed),
                outbox_oldest_age_ms: (oldest_ns > 0)
                    .then(|| now_ms.saturating_sub(oldest_ns / 1_000_000)),
                dead_letters: c.triggers.dead_letters.load(Relaxed),
            }
        })
        .collect()
}

/// A failed call.
#[derive(Debug, Serialize)]
pub struct FailureView {
    /// When it ended (ms since the epoch).
    pub at_ms: u64,
    /// Function.
    pub function: String,
    /// Trace id (the `x-trace-id` of its response).
    pub trace_id: String,
    /// Error kind.
    pub kind: &'static str,
    /// Error message.
    pub message: String,
    /// The crash snapshot file, when the function records them.
    pub snapshot: Option<String>,
    /// The command that runs the call again (with a snapshot).
    pub replay: Option<String>,
}

/// A reload.
#[derive(Debug, Serialize)]
pub struct ReloadView {
    /// When (ms since the epoch).
    pub at_ms: u64,
    /// Why it happened.
    pub why: String,
    /// Swapped in.
    pub ok: bool,
    /// The generation it made.
    pub generation: Option<u64>,
    /// Why it was refused.
    pub error: Option<String>,
}

/// Something to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attention {
    /// `error` or `warning`.
    pub level: &'static str,
    /// `quota_spent`, `failing`, `storage`, `broker_down`, `outbox_filling`
    /// or `reload_refused`.
    pub what: &'static str,
    /// The function concerned, if one.
    pub function: Option<String>,
    /// The MQTT connection concerned, if one.
    pub connection: Option<String>,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// `value` quoted for a POSIX shell.
pub fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@%,".contains(&b));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// The `jinn replay` command of a snapshot; with `config` when the
/// function has env values (masked in the snapshot, read from there).
pub fn replay_command(snapshot: &Path, config: Option<&Path>) -> String {
    let quoted = |p: &Path| {
        let path = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        shell_quote(&path.to_string_lossy())
    };
    match config {
        Some(c) => format!("jinn replay {} --config {}", quoted(snapshot), quoted(c)),
        None => format!("jinn replay {}", quoted(snapshot)),
    }
}

fn failure_view<'a>(f: &Failure, config_for: impl Fn(&str) -> Option<&'a Path>) -> FailureView {
    FailureView {
        at_ms: f.at_ms,
        function: f.function.clone(),
        trace_id: f.trace_id.clone(),
        kind: f.kind,
        message: f.message.clone(),
        snapshot: f.snapshot.as_ref().map(|p| p.display().to_string()),
        replay: f
            .snapshot
            .as_deref()
            .map(|s| replay_command(s, config_for(&f.function))),
    }
}

fn reload_view(r: &ReloadRecord) -> ReloadView {
    ReloadView {
        at_ms: r.at_ms,
        why: r.why.clone(),
        ok: r.error.is_none(),
        generation: r.generation,
        error: r.error.clone(),
    }
}

/// What the attention rules look at besides the functions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Health {
    /// The store commits.
    pub storage_healthy: bool,
    /// When a call last failed `storage_unavailable`.
    pub last_storage_failure_ms: Option<u64>,
    /// Outbox messages held and their cap.
    pub outbox: (u64, u64),
    /// Now (ms since the epoch).
    pub now_ms: u64,
}

/// The attention list: errors first, then warnings.
pub fn attention(
    functions: &[FunctionView],
    brokers: &[BrokerView],
    outbox_shares: &[(String, u64, u64)],
    last_reload: Option<&ReloadRecord>,
    health: Health,
) -> Vec<Attention> {
    let mut list = Vec::new();
    let item = |level, what, function: Option<&str>, message: String| Attention {
        level,
        what,
        function: function.map(str::to_string),
        connection: None,
        message,
    };
    if !health.storage_healthy {
        list.push(item(
            "error",
            "storage",
            None,
            "the store failed to commit: calls that write KV or publish fail with \
             storage_unavailable until a commit succeeds (retried every second)"
                .into(),
        ));
    } else if let Some(at) = health.last_storage_failure_ms
        && health.now_ms.saturating_sub(at) < STORAGE_FAILURE_SHOWN_MS
    {
        list.push(item(
            "warning",
            "storage",
            None,
            "a call failed with storage_unavailable in the last 5 minutes; the store commits again"
                .into(),
        ));
    }
    for f in functions {
        if f.failures_in_a_row >= FAILING_AFTER {
            list.push(item(
                "error",
                "failing",
                Some(&f.name),
                format!(
                    "its last {} calls failed (last error: {})",
                    f.failures_in_a_row,
                    f.last_error.unwrap_or("?")
                ),
            ));
        }
        if let Some(q) = &f.quota
            && q.left < 1
        {
            list.push(item(
                "error",
                "quota_spent",
                Some(&f.name),
                quota_spent_text(q),
            ));
        }
    }
    for b in brokers
        .iter()
        .filter(|b| b.required && b.state != "connected")
    {
        list.push(Attention {
            connection: Some(b.name.clone()),
            ..item(
                "error",
                "broker_down",
                None,
                format!(
                    "the required MQTT connection {} to {} is {}: /readyz answers 503 and its \
                     outbox messages wait until it is back",
                    b.name, b.url, b.state
                ),
            )
        });
    }
    let (held, max) = health.outbox;
    if max > 0 && held * 100 >= max * OUTBOX_FILLING_PERCENT {
        list.push(item(
            "warning",
            "outbox_filling",
            None,
            format!("the outbox holds {held} of {max} messages; publishes fail once it is full"),
        ));
    }
    for (function, held, max) in outbox_shares {
        if *max > 0 && held * 100 >= max * OUTBOX_FILLING_PERCENT {
            list.push(item(
                "warning",
                "outbox_filling",
                Some(function),
                format!("holds {held} of its {max} outbox messages; its publishes fail once full"),
            ));
        }
    }
    if let Some(r) = last_reload
        && let Some(e) = &r.error
    {
        list.push(item(
            "warning",
            "reload_refused",
            None,
            format!(
                "the last reload ({}) was refused, the previous configuration keeps serving: {e}",
                r.why
            ),
        ));
    }
    list.sort_by_key(|a| a.level != "error");
    list
}

fn route_text(kind: RouteKind, path: &str) -> String {
    match kind {
        RouteKind::Path => path.to_string(),
        RouteKind::Prefix if path.ends_with('/') => format!("{path}*"),
        RouteKind::Prefix => format!("{path}/*"),
    }
}

/// Builds the status of `shared` with what `board` holds.
pub fn build(shared: &Shared, board: BoardView, outbox_oldest_ms: Option<u64>) -> Status {
    let now = now_ms();
    let gateway = shared.current();
    let gauges = shared.gauges();
    let levels = gauges.quota_remaining;
    let functions: Vec<FunctionView> = gateway
        .functions
        .iter()
        .map(|f| {
            let summary =
                board
                    .functions
                    .get(&*f.name)
                    .cloned()
                    .unwrap_or_else(|| FunctionSummary {
                        history_calls: vec![0; super::board::HISTORY_SLOTS],
                        history_errors: vec![0; super::board::HISTORY_SLOTS],
                        ..FunctionSummary::default()
                    });
            let quota = f.spec.quota.map(|q| QuotaView {
                left: levels
                    .iter()
                    .find(|(n, _)| **n == *f.name)
                    .map_or(q.fuel as f64, |(_, l)| *l)
                    .floor() as i64,
                fuel: q.fuel,
                window_ms: q.window.as_millis() as u64,
            });
            let status = if quota.as_ref().is_some_and(|q| q.left < 1) {
                "quota_spent"
            } else if summary.failures_in_a_row >= FAILING_AFTER {
                "failing"
            } else if summary.failures_in_a_row > 0 {
                "last_failed"
            } else if summary.calls == 0 {
                "idle"
            } else {
                "ok"
            };
            FunctionView {
                name: f.name.to_string(),
                routes: f
                    .spec
                    .routes
                    .iter()
                    .map(|r| route_text(r.kind, &r.path))
                    .collect(),
                status,
                calls: summary.calls,
                errors: summary.errors,
                cancelled: summary.cancelled,
                failures_in_a_row: summary.failures_in_a_row,
                last_error: summary.last_error,
                fuel_p50: summary.fuel_p50,
                fuel_p99: summary.fuel_p99,
                fuel_samples: summary.fuel_samples,
                quota,
                module: f.spec.module.display().to_string(),
                module_sha256: crate::crash::hex(&f.sha256),
                record_crashes: f.spec.record_crashes,
                history: History {
                    slot_ms: SLOT_MS,
                    calls: summary.history_calls,
                    errors: summary.history_errors,
                },
            }
        })
        .collect();
    let limits = shared.outbox.limits();
    let shares: Vec<(String, u64, u64)> = {
        let usage = shared.outbox.usage();
        functions
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    usage.of(&f.name).messages,
                    limits.function_messages,
                )
            })
            .collect()
    };
    let health = Health {
        storage_healthy: gauges.storage_healthy == 1,
        last_storage_failure_ms: board.last_storage_failure_ms,
        outbox: (gauges.outbox_messages, limits.max_messages),
        now_ms: now,
    };
    let brokers = shared
        .mqtt
        .get()
        .map_or_else(Vec::new, |m| broker_views(m, now));
    let attention = attention(&functions, &brokers, &shares, board.reloads.first(), health);
    Status {
        version: env!("CARGO_PKG_VERSION"),
        now_ms: now,
        ready: shared.is_ready(),
        generation: gateway.generation,
        gateway: GatewayView {
            in_flight: gauges.in_flight,
            queue_depth: gauges.queue_depth,
            queue_capacity: gauges.queue_capacity,
            workers: gauges.workers,
            connections: gauges.connections,
            storage_healthy: health.storage_healthy,
        },
        functions,
        outbox: OutboxView {
            messages: gauges.outbox_messages,
            max_messages: limits.max_messages,
            oldest_age_ms: outbox_oldest_ms.map(|t| now.saturating_sub(t)),
        },
        brokers,
        failures: board
            .failures
            .iter()
            .map(|f| {
                failure_view(f, |name| {
                    let has_env = gateway
                        .functions
                        .iter()
                        .any(|l| *l.name == *name && !l.manifest.env.is_empty());
                    shared.config_path.as_deref().filter(|_| has_env)
                })
            })
            .collect(),
        reloads: board.reloads.iter().map(reload_view).collect(),
        attention,
        actions: shared
            .startup
            .admin
            .actions
            .iter()
            .map(|a: &Action| a.as_str())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str, in_a_row: u32, quota_left: Option<i64>) -> FunctionView {
        FunctionView {
            name: name.into(),
            routes: vec![],
            status: "ok",
            calls: 10,
            errors: u64::from(in_a_row),
            cancelled: 0,
            failures_in_a_row: in_a_row,
            last_error: (in_a_row > 0).then_some("trap"),
            fuel_p50: None,
            fuel_p99: None,
            fuel_samples: 0,
            quota: quota_left.map(|left| QuotaView {
                left,
                fuel: 1000,
                window_ms: 60_000,
            }),
            module: String::new(),
            module_sha256: String::new(),
            record_crashes: false,
            history: History {
                slot_ms: SLOT_MS,
                calls: vec![],
                errors: vec![],
            },
        }
    }

    fn broker(name: &str, state: &'static str, required: bool) -> BrokerView {
        BrokerView {
            name: name.into(),
            url: "mqtt://127.0.0.1:1883".into(),
            state,
            since_ms: Some(1),
            required,
            outbox_messages: 0,
            outbox_bytes: 0,
            outbox_oldest_age_ms: None,
            dead_letters: 0,
        }
    }

    fn whats(list: &[Attention]) -> Vec<(&str, &str, Option<&str>)> {
        list.iter()
            .map(|a| (a.level, a.what, a.function.as_deref()))
            .collect()
    }

    #[test]
    fn attention_names_each_problem_errors_first() {
        let healthy = Health {
            storage_healthy: true,
            last_storage_failure_ms: None,
            outbox: (10, 100),
            now_ms: 1_000_000,
        };
        let fine = [function("a", 2, Some(1)), function("b", 0, None)];
        assert!(attention(&fine, &[], &[], None, healthy).is_empty());

        let refused = ReloadRecord {
            at_ms: 0,
            why: "SIGHUP".into(),
            generation: None,
            error: Some("bad".into()),
        };
        let bad = [function("a", 3, Some(0)), function("b", 0, Some(-5))];
        let list = attention(
            &bad,
            &[
                broker("uplink", "down", true),
                broker("local", "down", false),
                broker("cloud", "connected", true),
            ],
            &[("a".into(), 800, 1000), ("b".into(), 799, 1000)],
            Some(&refused),
            Health {
                storage_healthy: false,
                outbox: (80, 100),
                ..healthy
            },
        );
        assert_eq!(
            whats(&list),
            [
                ("error", "storage", None),
                ("error", "failing", Some("a")),
                ("error", "quota_spent", Some("a")),
                ("error", "quota_spent", Some("b")),
                ("error", "broker_down", None),
                ("warning", "outbox_filling", None),
                ("warning", "outbox_filling", Some("a")),
                ("warning", "reload_refused", None),
            ]
        );
        let spent: Vec<&str> = list
            .iter()
            .filter(|a| a.what == "quota_spent")
            .map(|a| a.message.as_str())
            .collect();
        assert!(
            spent[0].starts_with("fuel quota spent (0 of "),
            "{}",
            spent[0]
        );
        assert!(
            spent[1].starts_with("fuel quota overdrawn by 5 "),
            "{}",
            spent[1]
        );
        let down = list.iter().find(|a| a.what == "broker_down").unwrap();
        assert_eq!(down.connection.as_deref(), Some("uplink"));
        assert!(
            down.message.contains("mqtt://127.0.0.1:1883 is down"),
            "{}",
            down.message
        );
        // A storage failure a minute ago, the store healthy again: a warning, for five minutes.
        let recent = Health {
            last_storage_failure_ms: Some(healthy.now_ms - 60_000),
            ..healthy
        };
        assert_eq!(
            whats(&attention(&[], &[], &[], None, recent)),
            [("warning", "storage", None)]
        );
        let old = Health {
            now_ms: healthy.now_ms + STORAGE_FAILURE_SHOWN_MS,
            ..recent
        };
        assert!(attention(&[], &[], &[], None, old).is_empty());
    }

    #[test]
    fn replay_commands_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("/a/b-c_1.json"), "/a/b-c_1.json");
        assert_eq!(shell_quote("/tmp/my dir/x"), "'/tmp/my dir/x'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(
            replay_command(Path::new("/d/crashes/1-f-ab.json"), None),
            "jinn replay /d/crashes/1-f-ab.json"
        );
        assert_eq!(
            replay_command(Path::new("/d/c.json"), Some(Path::new("/e t/jinn.toml"))),
            "jinn replay /d/c.json --config '/e t/jinn.toml'"
        );
    }
}
