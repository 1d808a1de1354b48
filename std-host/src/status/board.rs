//! What the status page remembers of the gateway's recent past, in memory
//! and bounded: per function its counts, the fuel of its last calls and its
//! calls and errors per 10-second slot over the last five minutes; the last
//! failures (with trace id and crash snapshot) and the last reloads. Every
//! list is a [`Ring`], so nothing grows with the number of calls; a restart
//! starts empty (Prometheus keeps the long history).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use super::ring::Ring;
use crate::metrics::CallEnd;

/// Calls whose fuel the percentiles are taken over.
pub const FUEL_SAMPLES: usize = 256;
/// Slots of the call history.
pub const HISTORY_SLOTS: usize = 30;
/// Length of one history slot, in ms.
pub const SLOT_MS: u64 = 10_000;
/// Failures kept.
pub const FAILURES: usize = 32;
/// Reloads kept.
pub const RELOADS: usize = 16;
/// Failures in a row from which a function is "failing".
pub const FAILING_AFTER: u32 = 3;
/// Longest error message or reload error kept, in bytes.
pub const MESSAGE_BYTES: usize = 240;

/// One ended call, as [`Board::call`] records it.
#[derive(Debug, Clone, Copy)]
pub struct CallRecord<'a> {
    /// Function name.
    pub function: &'a str,
    /// The request's trace id.
    pub trace_id: &'a str,
    /// How it ended.
    pub end: CallEnd,
    /// Fuel of all its attempts.
    pub fuel: u64,
    /// The error's message (empty when it did not fail).
    pub message: &'a str,
    /// The crash snapshot written of it.
    pub snapshot: Option<&'a std::path::Path>,
}

/// One failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// When it ended (ms since the epoch).
    pub at_ms: u64,
    /// Function name.
    pub function: String,
    /// Trace id of the request.
    pub trace_id: String,
    /// Error kind, e.g. `fuel_exhausted`.
    pub kind: &'static str,
    /// The error's message, cut to [`MESSAGE_BYTES`].
    pub message: String,
    /// Its crash snapshot, when the function records them.
    pub snapshot: Option<PathBuf>,
}

/// One reload, done or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadRecord {
    /// When (ms since the epoch).
    pub at_ms: u64,
    /// Why: `SIGHUP`, `file changed`, `status page`.
    pub why: String,
    /// The generation in force afterwards, when it was swapped in.
    pub generation: Option<u64>,
    /// The first error, cut to [`MESSAGE_BYTES`], when it was refused.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    index: u64,
    calls: u32,
    errors: u32,
}

/// What is kept of one function.
#[derive(Default)]
struct FunctionBoard {
    calls: u64,
    errors: u64,
    cancelled: u64,
    failures_in_a_row: u32,
    last_error: Option<&'static str>,
    fuel: Ring<u64, FUEL_SAMPLES>,
    slots: Ring<Slot, HISTORY_SLOTS>,
}

impl FunctionBoard {
    fn call(&mut self, end: CallEnd, fuel: u64, now_ms: u64) {
        self.calls += 1;
        self.fuel.push(fuel);
        let failed = matches!(end, CallEnd::Failed(_));
        match end {
            CallEnd::Ok => self.failures_in_a_row = 0,
            CallEnd::Failed(kind) => {
                self.errors += 1;
                self.failures_in_a_row += 1;
                self.last_error = Some(kind.as_str());
            }
            CallEnd::Cancelled => self.cancelled += 1,
        }
        let index = now_ms / SLOT_MS;
        match self.slots.newest_mut() {
            Some(slot) if slot.index == index => {
                slot.calls += 1;
                slot.errors += u32::from(failed);
            }
            _ => self.slots.push(Slot {
                index,
                calls: 1,
                errors: u32::from(failed),
            }),
        }
    }

    /// Nearest-rank percentile of the fuel samples.
    fn fuel_percentile(&self, percent: u64) -> Option<u64> {
        let mut sorted = [0u64; FUEL_SAMPLES];
        let n = self.fuel.len();
        for (slot, fuel) in sorted.iter_mut().zip(self.fuel.iter()) {
            *slot = *fuel;
        }
        let sorted = &mut sorted[..n];
        sorted.sort_unstable();
        let rank = (percent as usize * n).div_ceil(100).max(1);
        sorted.get(rank - 1).copied()
    }

    fn summary(&self, now_ms: u64) -> FunctionSummary {
        let now = now_ms / SLOT_MS;
        let mut calls = vec![0; HISTORY_SLOTS];
        let mut errors = vec![0; HISTORY_SLOTS];
        for slot in self.slots.iter() {
            let Some(age) = now.checked_sub(slot.index) else {
                continue;
            };
            if let Some(i) = (HISTORY_SLOTS as u64 - 1).checked_sub(age) {
                calls[i as usize] = slot.calls;
                errors[i as usize] = slot.errors;
            }
        }
        FunctionSummary {
            calls: self.calls,
            errors: self.errors,
            cancelled: self.cancelled,
            failures_in_a_row: self.failures_in_a_row,
            last_error: self.last_error,
            fuel_p50: self.fuel_percentile(50),
            fuel_p99: self.fuel_percentile(99),
            fuel_samples: self.fuel.len(),
            history_calls: calls,
            history_errors: errors,
        }
    }
}

/// A function's numbers at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionSummary {
    /// Calls that ran (ended by a response, an error or the client leaving).
    pub calls: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// Calls stopped because the client left.
    pub cancelled: u64,
    /// Failures since its last successful call.
    pub failures_in_a_row: u32,
    /// Kind of its last error.
    pub last_error: Option<&'static str>,
    /// Median fuel of its last [`FUEL_SAMPLES`] calls.
    pub fuel_p50: Option<u64>,
    /// 99th percentile of the same.
    pub fuel_p99: Option<u64>,
    /// Calls the percentiles are taken over.
    pub fuel_samples: usize,
    /// Calls per slot, oldest first, the last slot the current one.
    pub history_calls: Vec<u32>,
    /// Errors per slot, aligned with `history_calls`.
    pub history_errors: Vec<u32>,
}

#[derive(Default)]
struct Inner {
    functions: BTreeMap<String, FunctionBoard>,
    failures: Ring<Failure, FAILURES>,
    reloads: Ring<ReloadRecord, RELOADS>,
    last_storage_failure_ms: Option<u64>,
}

/// The status page's memory of the gateway.
#[derive(Default)]
pub struct Board {
    inner: Mutex<Inner>,
}

/// Everything the board holds, copied out at one moment.
#[derive(Debug, Clone, Default)]
pub struct BoardView {
    /// Per function, by name.
    pub functions: BTreeMap<String, FunctionSummary>,
    /// Failures, newest first.
    pub failures: Vec<Failure>,
    /// Reloads, newest first.
    pub reloads: Vec<ReloadRecord>,
    /// When a call last failed `storage_unavailable`.
    pub last_storage_failure_ms: Option<u64>,
}

/// `text` cut to at most [`MESSAGE_BYTES`] at a character boundary.
fn cut(text: &str) -> String {
    if text.len() <= MESSAGE_BYTES {
        return text.to_string();
    }
    let mut end = MESSAGE_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an ended call at `now_ms`.
    pub fn call(&self, call: CallRecord<'_>, now_ms: u64) {
        let mut inner = self.lock();
        match inner.functions.get_mut(call.function) {
            Some(f) => f.call(call.end, call.fuel, now_ms),
            None => {
                let mut f = FunctionBoard::default();
                f.call(call.end, call.fuel, now_ms);
                inner.functions.insert(call.function.to_string(), f);
            }
        }
        if let CallEnd::Failed(kind) = call.end {
            if kind == jinn_core::ErrorKind::StorageUnavailable {
                inner.last_storage_failure_ms = Some(now_ms);
            }
            inner.failures.push(Failure {
                at_ms: now_ms,
                function: call.function.to_string(),
                trace_id: cut(call.trace_id),
                kind: kind.as_str(),
                message: cut(call.message),
                snapshot: call.snapshot.map(std::path::Path::to_path_buf),
            });
        }
    }

    /// Records a reload: `Ok(generation)` swapped in, `Err(first error)` refused.
    pub fn reload(&self, why: &str, result: Result<u64, &str>, now_ms: u64) {
        let (generation, error) = match result {
            Ok(g) => (Some(g), None),
            Err(e) => (None, Some(cut(e))),
        };
        self.lock().reloads.push(ReloadRecord {
            at_ms: now_ms,
            why: cut(why),
            generation,
            error,
        });
    }

    /// Forgets the functions not in `names` (after a reload), so the board
    /// holds only configured functions.
    pub fn retain(&self, names: &[&str]) {
        self.lock()
            .functions
            .retain(|k, _| names.contains(&k.as_str()));
    }

    /// A copy of what is held, the history aligned to `now_ms`.
    pub fn view(&self, now_ms: u64) -> BoardView {
        let inner = self.lock();
        BoardView {
            functions: inner
                .functions
                .iter()
                .map(|(k, f)| (k.clone(), f.summary(now_ms)))
                .collect(),
            failures: inner.failures.iter().rev().cloned().collect(),
            reloads: inner.reloads.iter().rev().cloned().collect(),
            last_storage_failure_ms: inner.last_storage_failure_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use jinn_core::ErrorKind;

    use super::*;

    fn call(function: &str, trace_id: &str, end: CallEnd, fuel: u64) -> CallRecord<'static> {
        CallRecord {
            function: Box::leak(function.into()),
            trace_id: Box::leak(trace_id.into()),
            end,
            fuel,
            message: if matches!(end, CallEnd::Failed(_)) {
                "it failed"
            } else {
                ""
            },
            snapshot: None,
        }
    }

    #[test]
    fn counts_percentiles_and_failures_in_a_row() {
        let board = Board::default();
        for fuel in 1..=100 {
            board.call(call("f", "t", CallEnd::Ok, fuel * 10), 0);
        }
        let trap = CallEnd::Failed(ErrorKind::Trap);
        board.call(call("f", "abc", trap, 5), 0);
        board.call(call("f", "abd", trap, 5), 0);
        board.call(call("g", "x", CallEnd::Cancelled, 1), 0);
        let view = board.view(0);
        let f = &view.functions["f"];
        assert_eq!((f.calls, f.errors, f.cancelled), (102, 2, 0));
        assert_eq!(f.failures_in_a_row, 2);
        assert_eq!(f.last_error, Some("trap"));
        // 102 samples: 5, 5, 10, 20, …, 1000; rank 51 is 490, rank 101 is 990.
        assert_eq!((f.fuel_p50, f.fuel_p99), (Some(490), Some(990)));
        assert_eq!(view.functions["g"].cancelled, 1);
        assert_eq!(view.functions["g"].errors, 0);
        let traces: Vec<&str> = view.failures.iter().map(|f| f.trace_id.as_str()).collect();
        assert_eq!(traces, ["abd", "abc"]);
        board.call(call("f", "t", CallEnd::Ok, 1), 0);
        assert_eq!(board.view(0).functions["f"].failures_in_a_row, 0);
    }

    #[test]
    fn history_is_aligned_to_now_and_bounded() {
        let board = Board::default();
        let fail = CallEnd::Failed(ErrorKind::Timeout);
        // Slot 100: two calls, one failed; slot 103: one call; slot 40: long gone.
        board.call(call("f", "a", CallEnd::Ok, 1), 40 * SLOT_MS);
        board.call(call("f", "a", CallEnd::Ok, 1), 100 * SLOT_MS);
        board.call(call("f", "b", fail, 1), 100 * SLOT_MS + 9_999);
        board.call(call("f", "a", CallEnd::Ok, 1), 103 * SLOT_MS);
        let f = &board.view(103 * SLOT_MS + 5).functions["f"];
        assert_eq!(f.history_calls.len(), HISTORY_SLOTS);
        let n = HISTORY_SLOTS;
        assert_eq!(f.history_calls[n - 4..], [2, 0, 0, 1]);
        assert_eq!(f.history_errors[n - 4..], [1, 0, 0, 0]);
        assert_eq!(f.history_calls.iter().sum::<u32>(), 3);
        // A minute later the slots moved left by six.
        let later = &board.view(109 * SLOT_MS).functions["f"];
        assert_eq!(later.history_calls[n - 10..n - 6], [2, 0, 0, 1]);
        // The fuel ring and the failure list keep only their newest entries.
        for i in 0..1000 {
            board.call(call("f", &format!("t{i}"), fail, i), 110 * SLOT_MS);
        }
        let view = board.view(110 * SLOT_MS);
        assert_eq!(view.functions["f"].fuel_samples, FUEL_SAMPLES);
        assert_eq!(view.functions["f"].fuel_p99, Some(997));
        assert_eq!(view.failures.len(), FAILURES);
        assert_eq!(view.failures[0].trace_id, "t999");
    }

    #[test]
    fn messages_are_cut_and_reloads_and_retain_kept() {
        let board = Board::default();
        let long = "é".repeat(500);
        let mut c = call("f", "t", CallEnd::Failed(ErrorKind::Trap), 1);
        c.message = Box::leak(long.into_boxed_str());
        board.call(c, 0);
        let message = &board.view(0).failures[0].message;
        assert!(message.len() <= MESSAGE_BYTES && message.ends_with('…'));
        board.reload("SIGHUP", Ok(2), 5);
        board.reload("file changed", Err("jinn.toml:3:1: bad"), 6);
        let view = board.view(0);
        assert_eq!(view.reloads[0].error.as_deref(), Some("jinn.toml:3:1: bad"));
        assert_eq!(view.reloads[1].generation, Some(2));
        board.retain(&["g"]);
        assert!(board.view(0).functions.is_empty());
    }
}
