//! One call on worker threads: drive the guest in fuel slices, checking the
//! wall-clock deadline (and whether the client is still there) between
//! slices; when the guest sleeps, hand the call back so that the worker is
//! free while it waits (the HTTP side resumes it with a tokio timer); at the
//! end commit what it staged (KV writes and publishes, one transaction:
//! [`crate::txn`]) and run it again in a fresh sandbox when another call
//! changed what it read; then charge its quota, count it, log its stderr
//! and, when asked, write a crash snapshot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jinn_core::excerpt::escaped;
use jinn_core::{ErrorKind, Invocation, InvokeError, Outcome, Progress, Request, Setup, Stdio};

use crate::crash::{self, CrashError, CrashSnapshot};
use crate::host::{GatewayHost, Seeds, StopWhen};
use crate::loaded::Loaded;
use crate::metrics::CallEnd;
use crate::shared::Shared;
use crate::status::CallRecord;
use crate::txn::{self, CommitError};

/// Times a call runs at most when other calls keep changing what it read
/// before it commits; then it fails with `conflict` (503).
pub const MAX_ATTEMPTS: u32 = 16;

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

/// How [`drive`] runs a call.
#[derive(Debug, Clone, Copy)]
pub struct Drive<'a> {
    /// Wall-clock deadline of the call (sleeps included).
    pub deadline: Instant,
    /// Fuel between two checks of the deadline and of `cancel`.
    pub slice: u64,
    /// Stops the call when set (the client left).
    pub cancel: Option<&'a Arc<AtomicBool>>,
    /// Stops the call once it has used this much fuel (replays of timeouts).
    pub stop_at_fuel: Option<u64>,
    /// What a sleeping guest does to this thread.
    pub sleeps: Sleeps,
}

/// What happens when the guest sleeps (`poll_oneoff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sleeps {
    /// Return [`Driven::Asleep`]: the caller waits without holding the thread.
    Yield,
    /// Wait here (a one-shot `jinn run`, which has nothing else to do).
    Block,
    /// Do not wait: the guest's seeded clock moved on (replays).
    Skip,
}

/// Where [`drive`] left a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driven {
    /// It stopped; finish it.
    Stopped(Stop),
    /// It sleeps until then (only with [`Sleeps::Yield`]).
    Asleep(Instant),
}

/// Runs `call` until it ends, its deadline passes, `cancel` is set, it has
/// used `stop_at_fuel`, or it sleeps (as `sleeps` says). Checked between
/// slices of fuel, and by the host calls themselves ([`StopWhen`]), so a
/// guest stuck in host work stops as soon as one returns.
pub fn drive(call: &mut Invocation<GatewayHost>, how: Drive<'_>) -> Driven {
    // A call woken at its deadline (it slept up to it) does not run on.
    if how.stop_at_fuel.is_none() && Instant::now() >= how.deadline {
        call.interrupt();
        return Driven::Stopped(Stop::Deadline);
    }
    call.host_mut().stop = match how.stop_at_fuel {
        Some(target) => StopWhen::Fuel(target),
        None => StopWhen::Deadline {
            at: how.deadline,
            cancel: how.cancel.cloned(),
        },
    };
    loop {
        let step = match how.stop_at_fuel {
            Some(target) => target.saturating_sub(call.fuel_used()).clamp(1, how.slice),
            None => how.slice,
        };
        let progress = call.resume(step);
        let stop = if !progress.is_running() {
            // A host call that was told to stop ended it: say why.
            let by_host = std::mem::take(&mut call.host_mut().stopped);
            return Driven::Stopped(if !by_host {
                Stop::Ended
            } else if how.stop_at_fuel.is_some() {
                Stop::FuelTarget
            } else if how.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                Stop::Cancelled
            } else {
                Stop::Deadline
            });
        } else if how.stop_at_fuel.is_some_and(|t| call.fuel_used() >= t) {
            Stop::FuelTarget
        } else if how.stop_at_fuel.is_none() && Instant::now() >= how.deadline {
            Stop::Deadline
        } else if how.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            Stop::Cancelled
        } else if let Progress::Sleeping(sleep) = progress {
            let wake = Instant::now() + Duration::from_nanos(sleep.duration_ns);
            match how.sleeps {
                Sleeps::Skip => continue,
                Sleeps::Yield => return Driven::Asleep(wake.min(how.deadline)),
                Sleeps::Block if wake < how.deadline => {
                    std::thread::sleep(wake - Instant::now());
                    continue;
                }
                Sleeps::Block => {
                    std::thread::sleep(how.deadline.saturating_duration_since(Instant::now()));
                    Stop::Deadline
                }
            }
        } else {
            continue;
        };
        call.interrupt();
        return Driven::Stopped(stop);
    }
}

/// Fuel between two checks of a one-shot command's `--timeout` (as `pool.fuel_slice`).
const TIMEOUT_SLICE: u64 = 1_000_000;

/// Runs `call` to its end on this thread, sleeping here when the guest
/// sleeps: the one-shot commands (`jinn run`, `jinn run --raw`) have nothing
/// else to do. Fuel bounds the call, and `timeout` when there is one.
pub fn run_to_end(call: &mut Invocation<GatewayHost>, timeout: Option<Duration>) {
    let how = Drive {
        deadline: Instant::now() + timeout.unwrap_or(Duration::from_secs(100 * 365 * 86_400)),
        slice: if timeout.is_some() {
            TIMEOUT_SLICE
        } else {
            u64::MAX
        },
        cancel: None,
        stop_at_fuel: None,
        sleeps: Sleeps::Block,
    };
    let _ = drive(call, how);
}

/// What the HTTP side gets back: the call ran.
pub struct CallResult {
    /// Its outcome (boxed: it is large and travels through a channel).
    pub outcome: Box<Outcome>,
    /// The client left and the call was stopped.
    pub cancelled: bool,
}

/// A call between two runs on a worker: asleep, waiting for its wake-up.
pub struct Pending {
    call: Invocation<GatewayHost>,
    started: Started,
    deadline: Instant,
}

/// What a call's attempts start from and its end is reported with.
struct Started {
    loaded: Arc<Loaded>,
    trace_id: String,
    /// The request envelope, the stdin of every attempt.
    stdin: Vec<u8>,
    /// Whether a failure writes a crash snapshot (of `stdin`).
    record: bool,
    at: Instant,
    /// Attempts started so far (a conflict at commit starts another).
    attempts: u32,
    /// Fuel of the attempts that ended.
    fuel_total: u64,
}

/// Where a call stands after a run on a worker.
pub enum Stepped {
    /// It ended (`None`: the client had left before it started).
    Done(Option<CallResult>),
    /// It sleeps until the instant; resume it with [`step`] then.
    Asleep(Box<Pending>, Instant),
}

/// Starts one call of `loaded` on this (worker) thread and runs it until it
/// ends or sleeps. (How long it may wait for a worker is the HTTP side's
/// business: see [`crate::dispatch::Claim`].)
pub fn run(
    shared: &Shared,
    loaded: &Arc<Loaded>,
    request: &Request,
    trace_id: &str,
    cancel: &Arc<AtomicBool>,
) -> Stepped {
    if cancel.load(Ordering::Relaxed) {
        return Stepped::Done(None);
    }
    let started = Started {
        loaded: loaded.clone(),
        trace_id: trace_id.to_string(),
        stdin: request.to_json(),
        record: loaded.spec.record_crashes,
        at: Instant::now(),
        attempts: 0,
        fuel_total: 0,
    };
    match attempt(shared, started) {
        Ok(pending) => step(shared, pending, cancel),
        Err(result) => Stepped::Done(Some(result)),
    }
}

/// Starts an attempt of the call in a fresh sandbox. Every attempt shares
/// the call's deadline.
fn attempt(shared: &Shared, mut started: Started) -> Result<Box<Pending>, CallResult> {
    started.attempts += 1;
    let loaded = &started.loaded;
    let mut host = GatewayHost::seeded(
        loaded.name.clone(),
        Some(started.trace_id.clone()),
        shared.kv.clone(),
        Seeds::fresh(),
    )
    .with_publish_room(shared.outbox.room(&loaded.name));
    if started.record {
        host = host.record_kv_reads();
    }
    // Compiled here when the module is not in memory (`modules` settings).
    let function = match loaded.function() {
        Ok(function) => function,
        Err(e) => {
            let outcome = Outcome {
                result: Err(e),
                fuel_used: 0,
                stderr: Vec::new(),
                stats: Default::default(),
                staged: Default::default(),
            };
            return Err(end(shared, started, Stop::Ended, outcome, host));
        }
    };
    let setup = Setup {
        stdio: Stdio::Captured(started.stdin.clone()),
        files: loaded.files(),
    };
    Ok(Box::new(Pending {
        call: function.invoke_with(host, loaded.manifest.clone(), setup),
        deadline: started.at + loaded.spec.timeout,
        started,
    }))
}

/// Runs a started call on this (worker) thread until it ends or sleeps; a
/// call whose commit conflicts runs again here, while its deadline allows.
pub fn step(shared: &Shared, mut pending: Box<Pending>, cancel: &Arc<AtomicBool>) -> Stepped {
    loop {
        let how = Drive {
            deadline: pending.deadline,
            slice: shared.startup.pool.fuel_slice,
            cancel: Some(cancel),
            stop_at_fuel: None,
            sleeps: Sleeps::Yield,
        };
        let stop = match drive(&mut pending.call, how) {
            Driven::Asleep(wake) => return Stepped::Asleep(pending, wake),
            Driven::Stopped(stop) => stop,
        };
        let Pending {
            call,
            mut started,
            deadline,
        } = *pending;
        let (mut outcome, host) = call.finish();
        started.fuel_total += outcome.fuel_used;
        if outcome.result.is_ok() {
            let (loaded, trace_id) = (&*started.loaded, started.trace_id.as_str());
            match txn::commit(
                &shared.kv,
                Some(&shared.outbox),
                &loaded.name,
                trace_id,
                &outcome.staged,
            ) {
                Ok(()) => {}
                Err(CommitError::Conflict)
                    if started.attempts < MAX_ATTEMPTS && Instant::now() < deadline =>
                {
                    loaded.metrics.rerun();
                    tracing::debug!(
                        function = &*loaded.name,
                        trace_id,
                        attempts = started.attempts,
                        "conflict at commit: running the call again"
                    );
                    pending = match attempt(shared, started) {
                        Ok(pending) => pending,
                        Err(result) => return Stepped::Done(Some(result)),
                    };
                    continue;
                }
                Err(CommitError::Conflict) => {
                    outcome.result = Err(InvokeError::Conflict {
                        attempts: started.attempts,
                    });
                    outcome.staged = Default::default();
                }
                Err(CommitError::Unavailable(e)) => {
                    tracing::error!(
                        function = &*loaded.name,
                        trace_id,
                        "commit failed, nothing of the call was kept: {e}"
                    );
                    outcome.result = Err(InvokeError::StorageUnavailable);
                    outcome.staged = Default::default();
                }
            }
        }
        return Stepped::Done(Some(end(shared, started, stop, outcome, host)));
    }
}

/// Ends a call (committed or failed): charges its quota, counts and logs it,
/// writes a crash snapshot when asked, and tells the status page.
fn end(
    shared: &Shared,
    started: Started,
    stop: Stop,
    outcome: Outcome,
    host: GatewayHost,
) -> CallResult {
    let Started {
        loaded,
        trace_id,
        stdin,
        record,
        at: started,
        fuel_total,
        ..
    } = started;
    let (loaded, trace_id) = (&*loaded, trace_id.as_str());
    let elapsed = started.elapsed();
    let cancelled = stop == Stop::Cancelled;

    // Every attempt's fuel was spent: the quota and the fuel total pay for all.
    shared.quotas.charge(&loaded.name, fuel_total);
    let end = match (&outcome.result, cancelled) {
        (_, true) => CallEnd::Cancelled,
        (Ok(_), _) => CallEnd::Ok,
        (Err(e), _) => CallEnd::Failed(e.kind()),
    };
    loaded
        .metrics
        .call(end, elapsed, fuel_total, &outcome.stats);
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
    // A snapshot replays the guest: not for failures of the store or of concurrency.
    let guest_failed = failed_kind(&outcome)
        .is_some_and(|k| !matches!(k, ErrorKind::StorageUnavailable | ErrorKind::Conflict));
    let mut written = None;
    if let (Err(e), true, false, true) = (&outcome.result, record, cancelled, guest_failed) {
        written = snapshot(shared, loaded, trace_id, e, &outcome, &host, &stdin);
    }
    let message = outcome.result.as_ref().err().map(|e| e.to_string());
    shared.status.call(
        CallRecord {
            function: &loaded.name,
            trace_id,
            end,
            fuel: fuel_total,
            message: message.as_deref().unwrap_or(""),
            snapshot: written.as_deref(),
        },
        crate::status::now_ms(),
    );
    CallResult {
        outcome: Box::new(outcome),
        cancelled,
    }
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
            "{}",
            escaped(line, limit)
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
) -> Option<std::path::PathBuf> {
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
            Some(path)
        }
        Err(e) => {
            tracing::error!(
                function = &*loaded.name,
                trace_id,
                "cannot write a crash snapshot: {e}"
            );
            None
        }
    }
}

/// The error kind of an outcome, if it failed.
pub fn failed_kind(outcome: &Outcome) -> Option<ErrorKind> {
    outcome.result.as_ref().err().map(InvokeError::kind)
}
