//! One call on a worker thread: drive the guest in fuel slices, checking the
//! wall-clock deadline (and whether the client is still there) between
//! slices; then store its publishes, charge its quota, count it, log its
//! stderr and, when asked, write a crash snapshot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jinn_core::{ErrorKind, Function, InvokeError, Manifest, Outcome, Request};

use crate::crash::{self, CrashError, CrashSnapshot};
use crate::host::{GatewayHost, Seeds};
use crate::loaded::Loaded;
use crate::metrics::CallEnd;
use crate::shared::Shared;

/// How a driven call stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It ended by itself (response or error).
    Ended,
    /// The wall-clock deadline passed.
    Deadline,
    /// The client left.
    Cancelled,
    /// It reached the fuel it was replayed to.
    FuelTarget,
}

/// Runs `function` until it ends, its deadline passes, `cancel` is set, or
/// it has used `stop_at_fuel` (replays of timeouts).
#[allow(clippy::too_many_arguments)]
pub fn drive(
    function: &Function<GatewayHost>,
    host: GatewayHost,
    manifest: Arc<Manifest>,
    stdin: Vec<u8>,
    timeout: Duration,
    slice: u64,
    cancel: Option<&AtomicBool>,
    stop_at_fuel: Option<u64>,
) -> (Outcome, GatewayHost, Stop) {
    let deadline = Instant::now() + timeout;
    let mut call = function.invoke(host, manifest, stdin);
    let mut stop = Stop::Ended;
    loop {
        let step = match stop_at_fuel {
            Some(target) => target.saturating_sub(call.fuel_used()).clamp(1, slice),
            None => slice,
        };
        if !call.resume(step).is_running() {
            break;
        }
        if stop_at_fuel.is_some_and(|t| call.fuel_used() >= t) {
            stop = Stop::FuelTarget;
        } else if stop_at_fuel.is_none() && Instant::now() >= deadline {
            stop = Stop::Deadline;
        } else if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            stop = Stop::Cancelled;
        } else {
            continue;
        }
        call.interrupt();
        break;
    }
    let (outcome, host) = call.finish();
    (outcome, host, stop)
}

/// What the HTTP side gets back.
pub enum CallResult {
    /// The call ran.
    Ran {
        /// Its outcome (boxed: it is large and travels through a channel).
        outcome: Box<Outcome>,
        /// The client left and the call was stopped.
        cancelled: bool,
    },
    /// It waited longer than `pool.queue_timeout` for a worker.
    QueueTimeout,
}

/// Runs one call of `loaded` on this (worker) thread.
pub fn run(
    shared: &Shared,
    loaded: &Loaded,
    request: &Request,
    trace_id: &str,
    cancel: &AtomicBool,
    waited: Duration,
) -> Option<CallResult> {
    let config = &shared.startup;
    if waited > config.pool.queue_timeout {
        return Some(CallResult::QueueTimeout);
    }
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    let record = loaded.spec.record_crashes;
    let seeds = Seeds::fresh();
    let mut host = GatewayHost::seeded(
        loaded.name.clone(),
        Some(trace_id.to_string()),
        shared.kv.clone(),
        seeds,
    )
    .with_publish_room(shared.outbox.room());
    if record {
        host = host.record_kv_reads();
    }
    let stdin = request.to_json();
    let input = record.then(|| stdin.clone());
    let started = Instant::now();
    // Compiled here when the module is not in memory (`modules` settings).
    let (outcome, host, stop) = match loaded.function() {
        Ok(function) => drive(
            &function,
            host,
            loaded.manifest.clone(),
            stdin,
            loaded.spec.timeout,
            config.pool.fuel_slice,
            Some(cancel),
            None,
        ),
        Err(e) => {
            let outcome = Outcome {
                result: Err(e),
                fuel_used: 0,
                stderr: Vec::new(),
                stats: Default::default(),
                staged: Default::default(),
            };
            (outcome, host, Stop::Ended)
        }
    };
    let elapsed = started.elapsed();
    let cancelled = stop == Stop::Cancelled;

    let published = &outcome.staged.published;
    if let Err(e) = shared.outbox.append(&loaded.name, trace_id, published) {
        tracing::error!(
            function = &*loaded.name,
            trace_id,
            "{e}; {} messages lost",
            published.len()
        );
    }
    shared.quotas.charge(&loaded.name, outcome.fuel_used);
    let end = match (&outcome.result, cancelled) {
        (_, true) => CallEnd::Cancelled,
        (Ok(_), _) => CallEnd::Ok,
        (Err(e), _) => CallEnd::Failed(e.kind()),
    };
    loaded
        .metrics
        .call(end, elapsed, outcome.fuel_used, &outcome.stats);
    log_stderr(shared, loaded, trace_id, &outcome.stderr);
    match &outcome.result {
        Ok(response) => tracing::debug!(
            function = &*loaded.name,
            trace_id,
            status = response.status,
            fuel = outcome.fuel_used,
            micros = elapsed.as_micros() as u64,
            "call ok"
        ),
        Err(e) if !cancelled => tracing::warn!(
            function = &*loaded.name,
            trace_id,
            kind = e.kind().as_str(),
            fuel = outcome.fuel_used,
            micros = elapsed.as_micros() as u64,
            "call failed: {e}"
        ),
        Err(_) => tracing::debug!(
            function = &*loaded.name,
            trace_id,
            "call cancelled: client left"
        ),
    }
    if let (Err(e), Some(input), false) = (&outcome.result, input, cancelled) {
        snapshot(shared, loaded, trace_id, e, &outcome, &host, &input);
    }
    Some(CallResult::Ran {
        outcome: Box::new(outcome),
        cancelled,
    })
}

fn log_stderr(shared: &Shared, loaded: &Loaded, trace_id: &str, stderr: &[u8]) {
    if stderr.is_empty() {
        return;
    }
    let limit = shared.startup.guest_stderr_bytes;
    let text = String::from_utf8_lossy(&stderr[..stderr.len().min(limit)]);
    let max_lines = shared.startup.guest_stderr_lines;
    let mut lines = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if lines == max_lines {
            break;
        }
        tracing::info!(
            function = &*loaded.name,
            trace_id,
            stream = "stderr",
            "{line}"
        );
        lines += 1;
    }
    if stderr.len() > limit || text.lines().filter(|l| !l.trim().is_empty()).count() > lines {
        tracing::info!(
            function = &*loaded.name,
            trace_id,
            stream = "stderr",
            bytes = stderr.len(),
            "stderr truncated in the log"
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn snapshot(
    shared: &Shared,
    loaded: &Loaded,
    trace_id: &str,
    error: &InvokeError,
    outcome: &Outcome,
    host: &GatewayHost,
    input: &[u8],
) {
    let seeds = host.seeds();
    let (kv_reads, kv_reads_complete) = crash::kv_record(host.kv_reads.as_ref());
    let manifest = &loaded.manifest;
    let snap = CrashSnapshot {
        version: crash::VERSION,
        time: crash::rfc3339(seeds.wall_clock_ns),
        function: loaded.spec.name.clone(),
        module: loaded.spec.module.clone(),
        module_sha256: crash::hex(&loaded.sha256),
        trace_id: Some(trace_id.to_string()),
        error: CrashError {
            kind: error.kind().as_str().into(),
            message: error.to_string(),
        },
        fuel_used: outcome.fuel_used,
        limits: manifest.limits.clone(),
        timeout_ms: loaded.spec.timeout.as_millis() as u64,
        permissions: manifest.permissions.clone(),
        env: manifest
            .env
            .iter()
            .map(|(k, v)| (k.clone(), crash::mask(v)))
            .collect(),
        args: manifest.args.clone(),
        seeds: crash::seed_record(&seeds),
        kv_reads,
        kv_reads_complete,
        input: crash::masked_input(input),
    };
    let dir = shared.startup.data_dir.join("crashes");
    match crash::write(&dir, &snap, seeds.wall_clock_ns, shared.startup.crashes_max) {
        Ok(path) => {
            loaded.metrics.crash_recorded();
            tracing::info!(
                function = &*loaded.name,
                trace_id,
                kind = error.kind().as_str(),
                path = %path.display(),
                "crash snapshot written"
            );
        }
        Err(e) => tracing::error!(
            function = &*loaded.name,
            trace_id,
            "cannot write a crash snapshot: {e}"
        ),
    }
}

/// The error kind of an outcome, if it failed.
pub fn failed_kind(outcome: &Outcome) -> Option<ErrorKind> {
    outcome.result.as_ref().err().map(InvokeError::kind)
}
