//! Prometheus metrics, hand-rolled: a fixed set of counters, gauges and
//! histograms kept in atomics and written in the text exposition format.
//!
//! Hand-rolled rather than a client crate because the set is small and
//! fixed, labels are bounded by the configured functions, and it keeps the
//! binary and its dependency tree small on a gateway.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jinn_core::{CallStats, ErrorKind};

use crate::connections::Refusal;
use crate::listener::Plane;

/// Outcome labels: `ok`, each error kind, and `cancelled` (the client left).
const OUTCOMES: usize = 1 + ErrorKind::ALL.len() + 1;

fn outcome_label(i: usize) -> &'static str {
    match i {
        0 => "ok",
        i if i <= ErrorKind::ALL.len() => ErrorKind::ALL[i - 1].as_str(),
        _ => "cancelled",
    }
}

/// How a call ended, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// A response.
    Ok,
    /// An error of this kind.
    Failed(ErrorKind),
    /// The client disconnected and the call was stopped.
    Cancelled,
}

impl CallEnd {
    fn index(self) -> usize {
        match self {
            Self::Ok => 0,
            Self::Failed(kind) => ErrorKind::ALL
                .iter()
                .position(|k| *k == kind)
                .map_or(OUTCOMES - 1, |p| p + 1),
            Self::Cancelled => OUTCOMES - 1,
        }
    }
}

/// Why a request was refused before its function ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Queue full or waited too long: `503`.
    Overloaded,
    /// Fuel quota spent: `429`.
    QuotaExceeded,
    /// Missing or wrong API key: `401`.
    Unauthorized,
    /// Body over the cap: `413`.
    BodyTooLarge,
    /// Body not received in time: `408`.
    BodyTimeout,
}

const REJECTIONS: [(Rejection, &str); 5] = [
    (Rejection::Overloaded, "overloaded"),
    (Rejection::QuotaExceeded, "quota_exceeded"),
    (Rejection::Unauthorized, "unauthorized"),
    (Rejection::BodyTooLarge, "body_too_large"),
    (Rejection::BodyTimeout, "body_timeout"),
];

impl Rejection {
    /// The label, e.g. `quota_exceeded`.
    pub fn as_str(self) -> &'static str {
        REJECTIONS
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("other", |(_, s)| s)
    }

    fn index(self) -> usize {
        REJECTIONS.iter().position(|(r, _)| *r == self).unwrap_or(0)
    }
}

struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
    /// Sum units per exposed unit (1e9 for seconds kept in ns).
    scale: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64], scale: f64) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            scale,
        }
    }

    fn observe(&self, raw: u64) {
        let value = raw as f64 / self.scale;
        let i = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(raw, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, function: &str) {
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| format!("{b}"));
            let _ = writeln!(
                out,
                "{name}_bucket{{function=\"{function}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum.load(Ordering::Relaxed) as f64 / self.scale;
        let _ = writeln!(out, "{name}_sum{{function=\"{function}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{function=\"{function}\"}} {cumulative}");
    }
}

const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const FUEL_BUCKETS: [f64; 10] = [1e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8, 1e9, 1e10];

/// The counters of one function (kept across reloads, by name).
pub struct FunctionMetrics {
    outcomes: [AtomicU64; OUTCOMES],
    rejected: [AtomicU64; REJECTIONS.len()],
    fuel_total: AtomicU64,
    duration: Histogram,
    fuel: Histogram,
    kv: [AtomicU64; KV_OPS.len()],
    published: AtomicU64,
    publish_refused: AtomicU64,
    log_lines: AtomicU64,
    log_dropped: AtomicU64,
    crashes: AtomicU64,
    reruns: AtomicU64,
}

impl FunctionMetrics {
    fn new() -> Self {
        Self {
            outcomes: Default::default(),
            rejected: Default::default(),
            fuel_total: AtomicU64::new(0),
            duration: Histogram::new(&DURATION_BUCKETS, 1e9),
            fuel: Histogram::new(&FUEL_BUCKETS, 1.0),
            kv: Default::default(),
            published: AtomicU64::new(0),
            publish_refused: AtomicU64::new(0),
            log_lines: AtomicU64::new(0),
            log_dropped: AtomicU64::new(0),
            crashes: AtomicU64::new(0),
            reruns: AtomicU64::new(0),
        }
    }

    /// Counts a call run again after a conflict at commit.
    pub fn rerun(&self) {
        self.reruns.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls run again so far.
    pub fn reruns(&self) -> u64 {
        self.reruns.load(Ordering::Relaxed)
    }

    /// Counts one call that ran.
    pub fn call(&self, end: CallEnd, elapsed: Duration, fuel: u64, stats: &CallStats) {
        self.outcomes[end.index()].fetch_add(1, Ordering::Relaxed);
        self.fuel_total.fetch_add(fuel, Ordering::Relaxed);
        self.duration.observe(elapsed.as_nanos() as u64);
        self.fuel.observe(fuel);
        let kv = [
            stats.kv_reads,
            stats.kv_writes,
            stats.kv_denied,
            stats.kv_errors,
        ];
        for (slot, n) in self.kv.iter().zip(kv) {
            slot.fetch_add(u64::from(n), Ordering::Relaxed);
        }
        self.published
            .fetch_add(u64::from(stats.published), Ordering::Relaxed);
        self.publish_refused
            .fetch_add(u64::from(stats.publish_refused), Ordering::Relaxed);
        self.log_lines
            .fetch_add(u64::from(stats.log_lines), Ordering::Relaxed);
        self.log_dropped
            .fetch_add(u64::from(stats.log_dropped), Ordering::Relaxed);
    }

    /// Counts a refused request.
    pub fn reject(&self, why: Rejection) {
        self.rejected[why.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a crash snapshot written.
    pub fn crash_recorded(&self) {
        self.crashes.fetch_add(1, Ordering::Relaxed);
    }

    /// Fuel used by all calls so far.
    pub fn fuel_total(&self) -> u64 {
        self.fuel_total.load(Ordering::Relaxed)
    }
}

/// Values read when `/metrics` is scraped.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Calls running on workers.
    pub in_flight: u64,
    /// Calls waiting for a worker.
    pub queue_depth: u64,
    /// Worker threads.
    pub workers: u64,
    /// Queue capacity.
    pub queue_capacity: u64,
    /// Open HTTP connections.
    pub connections: u64,
    /// Idle HTTP connections closed to make room for new ones.
    pub connections_evicted: u64,
    /// Messages in the outbox.
    pub outbox_messages: u64,
    /// Functions loaded.
    pub functions: u64,
    /// 1 while the store commits, 0 after a failure until a commit works again.
    pub storage_healthy: u64,
    /// Fuel left in each quota bucket.
    pub quota_remaining: Vec<(String, f64)>,
}

/// All metrics.
#[derive(Default)]
pub struct Metrics {
    functions: Mutex<BTreeMap<String, Arc<FunctionMetrics>>>,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    not_found: AtomicU64,
    /// Refused connections: [plane][reason].
    refused: [[AtomicU64; 2]; 2],
    /// Panics contained: [plane].
    panics: [AtomicU64; 2],
}

const PLANES: [Plane; 2] = [Plane::Data, Plane::Admin];
const REFUSALS: [Refusal; 2] = [Refusal::PerPeer, Refusal::Total];

impl Metrics {
    /// The counters of `function` (created on first use).
    pub fn function(&self, name: &str) -> Arc<FunctionMetrics> {
        let mut map = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(name.into())
            .or_insert_with(|| Arc::new(FunctionMetrics::new()))
            .clone()
    }

    /// Keeps only the functions in `names` (after a reload), so labels stay bounded.
    pub fn retain(&self, names: &[&str]) {
        let mut map = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|k, _| names.contains(&k.as_str()));
    }

    /// Counts a reload.
    pub fn reload(&self, ok: bool) {
        let c = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request no route matched.
    pub fn not_found(&self) {
        self.not_found.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection refused at a cap.
    pub fn connection_refused(&self, plane: Plane, why: Refusal) {
        let p = PLANES.iter().position(|x| *x == plane).unwrap_or(0);
        let r = REFUSALS.iter().position(|x| *x == why).unwrap_or(0);
        self.refused[p][r].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a panic contained in a request or connection task.
    pub fn panicked(&self, plane: Plane) {
        let p = PLANES.iter().position(|x| *x == plane).unwrap_or(0);
        self.panics[p].fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn encode(&self, g: &Gauges) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let functions: Vec<(String, Arc<FunctionMetrics>)> = {
            let map = self.functions.lock().unwrap_or_else(|e| e.into_inner());
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        for (name, help, samples) in FUNCTION_COUNTERS {
            head(&mut out, name, "counter", help);
            for (function, m) in &functions {
                samples(m, &mut |label, value| {
                    let label = label.map_or(String::new(), |(k, v)| format!(",{k}=\"{v}\""));
                    let _ = writeln!(out, "{name}{{function=\"{function}\"{label}}} {value}");
                });
            }
        }
        for (name, help, histogram) in FUNCTION_HISTOGRAMS {
            head(&mut out, name, "histogram", help);
            for (function, m) in &functions {
                histogram(m).write(&mut out, name, function);
            }
        }
        head(
            &mut out,
            "jinn_quota_fuel_remaining",
            "gauge",
            "Fuel left in a function's quota bucket (negative while an overdraft is paid back).",
        );
        for (name, left) in &g.quota_remaining {
            let _ = writeln!(
                out,
                "jinn_quota_fuel_remaining{{function=\"{name}\"}} {left:.0}"
            );
        }
        let gauges = [
            ("jinn_in_flight", "Calls running on workers.", g.in_flight),
            (
                "jinn_queue_depth",
                "Calls waiting for a worker.",
                g.queue_depth,
            ),
            (
                "jinn_queue_capacity",
                "Calls that may wait for a worker.",
                g.queue_capacity,
            ),
            ("jinn_workers", "Worker threads running guests.", g.workers),
            (
                "jinn_http_connections",
                "Open HTTP connections.",
                g.connections,
            ),
            (
                "jinn_outbox_messages",
                "Messages waiting in the outbox.",
                g.outbox_messages,
            ),
            ("jinn_functions", "Functions loaded.", g.functions),
            (
                "jinn_storage_healthy",
                "1 while the KV/outbox store commits; 0 from a failed commit until one succeeds again.",
                g.storage_healthy,
            ),
        ];
        for (name, help, value) in gauges {
            head(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut counters = Vec::new();
        for (p, plane) in PLANES.iter().enumerate() {
            for (r, why) in REFUSALS.iter().enumerate() {
                counters.push((
                    "jinn_connections_refused_total",
                    "Connections refused at a cap (answered 503 too_many_connections), by listener and cap.",
                    format!("{{listener=\"{}\",reason=\"{}\"}}", plane.as_str(), why.as_str()),
                    load(&self.refused[p][r]),
                ));
            }
        }
        counters.push((
            "jinn_connections_evicted_total",
            "Idle HTTP connections closed to make room for new ones.",
            String::new(),
            g.connections_evicted,
        ));
        for (p, plane) in PLANES.iter().enumerate() {
            counters.push((
                "jinn_panics_total",
                "Panics contained in a request or connection task (the request got 500), by listener.",
                format!("{{listener=\"{}\"}}", plane.as_str()),
                load(&self.panics[p]),
            ));
        }
        counters.push((
            "jinn_not_found_total",
            "Requests no route matched.",
            String::new(),
            load(&self.not_found),
        ));
        for (result, value) in [("ok", &self.reloads_ok), ("failed", &self.reloads_failed)] {
            counters.push((
                "jinn_reloads_total",
                "Configuration reloads, by result.",
                format!("{{result=\"{result}\"}}"),
                load(value),
            ));
        }
        let mut last = "";
        for (name, help, labels, value) in counters {
            // One head per family, before its first sample.
            if name != last {
                head(&mut out, name, "counter", help);
                last = name;
            }
            let _ = writeln!(out, "{name}{labels} {value}");
        }
        head(
            &mut out,
            "jinn_build_info",
            "gauge",
            "Version of this jinn.",
        );
        let _ = writeln!(
            out,
            "jinn_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// `# HELP` and `# TYPE` of a family.
fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Writes the samples of one function: an optional extra label, a value.
type Samples = fn(&FunctionMetrics, &mut dyn FnMut(Option<(&str, &str)>, u64));

/// The per-function counters: name, help, samples.
const FUNCTION_COUNTERS: [(&str, &str, Samples); 9] = [
    (
        "jinn_invocations_total",
        "Calls that ran, by function and outcome (ok, an error kind, or cancelled).",
        |m, out| {
            for (i, c) in m.outcomes.iter().enumerate() {
                out(Some(("outcome", outcome_label(i))), load(c));
            }
        },
    ),
    (
        "jinn_rejected_total",
        "Requests refused before their function ran, by reason.",
        |m, out| {
            for ((_, reason), c) in REJECTIONS.iter().zip(&m.rejected) {
                out(Some(("reason", reason)), load(c));
            }
        },
    ),
    (
        "jinn_fuel_used_total",
        "Fuel used by all calls of a function.",
        |m, out| out(None, m.fuel_total()),
    ),
    (
        "jinn_kv_operations_total",
        "KV operations of guests: read, write, denied (permissions or caps), error (store failed).",
        |m, out| {
            for (op, c) in KV_OPS.iter().zip(&m.kv) {
                out(Some(("op", op)), load(c));
            }
        },
    ),
    (
        "jinn_published_total",
        "Messages accepted into the outbox.",
        |m, out| out(None, load(&m.published)),
    ),
    (
        "jinn_publish_refused_total",
        "Publishes refused (permissions, caps, outbox full).",
        |m, out| out(None, load(&m.publish_refused)),
    ),
    (
        "jinn_guest_log_lines_total",
        "host_log lines logged and dropped over the per-call cap.",
        |m, out| {
            out(Some(("result", "logged")), load(&m.log_lines));
            out(Some(("result", "dropped")), load(&m.log_dropped));
        },
    ),
    (
        "jinn_crash_snapshots_total",
        "Crash snapshots written.",
        |m, out| out(None, load(&m.crashes)),
    ),
    (
        "jinn_reruns_total",
        "Calls run again in a fresh sandbox because another call changed what they read (or took their outbox room) before they committed.",
        |m, out| out(None, m.reruns()),
    ),
];

/// Picks one histogram of a function.
type Pick = fn(&FunctionMetrics) -> &Histogram;

/// The per-function histograms: name, help, which.
const FUNCTION_HISTOGRAMS: [(&str, &str, Pick); 2] = [
    (
        "jinn_invocation_duration_seconds",
        "Wall-clock time of a call on its worker.",
        |m| &m.duration,
    ),
    ("jinn_invocation_fuel", "Fuel used by one call.", |m| {
        &m.fuel
    }),
];

/// The `op` labels of `jinn_kv_operations_total`, in [`FunctionMetrics`]'s order.
const KV_OPS: [&str; 4] = ["read", "write", "denied", "error"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        let f = m.function("echo");
        let stats = CallStats {
            kv_reads: 2,
            ..CallStats::default()
        };
        f.call(CallEnd::Ok, Duration::from_millis(3), 50_000, &stats);
        f.call(
            CallEnd::Failed(ErrorKind::Trap),
            Duration::from_millis(30),
            2_000_000,
            &stats,
        );
        f.reject(Rejection::QuotaExceeded);
        let text = m.encode(&Gauges::default());
        for line in [
            "jinn_invocations_total{function=\"echo\",outcome=\"ok\"} 1",
            "jinn_invocations_total{function=\"echo\",outcome=\"trap\"} 1",
            "jinn_rejected_total{function=\"echo\",reason=\"quota_exceeded\"} 1",
            "jinn_fuel_used_total{function=\"echo\"} 2050000",
            "jinn_invocation_duration_seconds_bucket{function=\"echo\",le=\"0.005\"} 1",
            "jinn_invocation_duration_seconds_bucket{function=\"echo\",le=\"+Inf\"} 2",
            "jinn_invocation_fuel_bucket{function=\"echo\",le=\"100000\"} 1",
            "jinn_invocation_fuel_count{function=\"echo\"} 2",
            "jinn_kv_operations_total{function=\"echo\",op=\"read\"} 4",
            "jinn_guest_log_lines_total{function=\"echo\",result=\"dropped\"} 0",
            "jinn_crash_snapshots_total{function=\"echo\"} 0",
            "# TYPE jinn_invocation_fuel histogram",
            "jinn_reloads_total{result=\"failed\"} 0",
            "jinn_not_found_total 0",
        ] {
            assert!(text.contains(line), "missing {line}\n{text}");
        }
        m.retain(&[]);
        assert!(!m.encode(&Gauges::default()).contains("echo"));
    }
}
