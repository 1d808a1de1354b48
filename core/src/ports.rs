//! The traits a target implements to give guests time, entropy, storage,
//! publishing and a log. The core never does I/O itself.
//!
//! A target implements all five on one type; [`Host`] is then implemented for
//! it automatically. Calls are synchronous: they run inside a host call of the
//! guest, so they must be quick (a RAM cache, a buffered queue, an embedded
//! database) — never a network round trip.

use alloc::vec::Vec;
use core::fmt;

pub use jinn_contract::Qos;

/// Wall-clock and monotonic time, in nanoseconds, and the call's deadline.
pub trait Clock {
    /// Nanoseconds since the Unix epoch (WASI `realtime`).
    fn wall_clock_ns(&mut self) -> u64;
    /// Nanoseconds from an arbitrary fixed point (WASI `monotonic`).
    fn monotonic_ns(&mut self) -> u64;
    /// The guest goes to sleep for `ns` nanoseconds (`poll_oneoff`); both
    /// clocks should read at least that much later when it wakes. A clock
    /// that follows real time has nothing to do (the default); a virtual,
    /// replayable clock moves forward here.
    fn advance(&mut self, ns: u64) {
        let _ = ns;
    }
    /// Whether the call must end now: its wall-clock deadline passed, or
    /// whoever asked for it left. Host calls ask at least once per
    /// [`STOP_CHECK_FUEL`](crate::metering::STOP_CHECK_FUEL) of fuel and
    /// between chunks of long work, so that nothing a
    /// guest does inside host calls outlasts the deadline by more than one
    /// such step; the call then ends as
    /// [`InvokeError::Interrupted`](crate::InvokeError::Interrupted).
    /// `fuel_used` lets a replay stop where a recorded call stopped. It must
    /// be cheap (a flag or a monotonic clock read). The default never stops:
    /// a target that checks between slices only needs nothing more when its
    /// host calls are quick.
    fn should_stop(&mut self, fuel_used: u64) -> bool {
        let _ = fuel_used;
        false
    }
}

/// Random bytes for WASI `random_get`.
pub trait Entropy {
    /// Fills `buf`.
    fn fill_bytes(&mut self, buf: &mut [u8]);
}

/// A KV store failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum KvError {
    /// The target has no store.
    Unavailable,
    /// The store is full.
    Full,
    /// The backing storage failed.
    Io,
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unavailable => "no key-value store",
            Self::Full => "key-value store full",
            Self::Io => "key-value storage failed",
        })
    }
}

impl core::error::Error for KvError {}

/// Storage behind `host_kv_get`. Permissions are checked by the core before
/// any call. Writes (`host_kv_set`) never reach the target while a call
/// runs: the core stages them and the target commits them with the call's
/// messages when it ends ([`crate::staged`]).
pub trait KvStore {
    /// Looks `key` up; on `Ok(true)` its value is in `value` (cleared first).
    ///
    /// # Errors
    ///
    /// [`KvError`] when the store cannot answer; the call then ends with
    /// `storage_unavailable` (a guest must not act on a value it could not read).
    fn kv_get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError>;
}

/// Room for `jinn.publish`. The core stages a call's messages itself and
/// hands them over in the call's outcome ([`crate::staged`]); the target only
/// says how many more its outbox can take. Permissions and per-call limits
/// are checked by the core.
pub trait Publisher {
    /// Messages the target's outbox can still take, not counting what the
    /// running call has staged; 0 when the target has no publisher. Once the
    /// call has staged that many, further publishes get `-3`.
    fn outbox_room(&mut self) -> usize;

    /// Bytes of topics and payloads the outbox can still take for this
    /// call's function, not counting what the call has staged; a publish
    /// that would go over gets `-3`. Unbounded unless the target says so.
    fn outbox_room_bytes(&mut self) -> usize {
        usize::MAX
    }
}

/// Severity of a guest log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LogLevel {
    /// `host_log` level 0.
    Debug,
    /// `host_log` level 1 (and any unknown level).
    Info,
    /// `host_log` level 2.
    Warn,
    /// `host_log` level 3.
    Error,
}

impl LogLevel {
    /// Gojinn's levels: 0 debug, 1 info, 2 warn, 3 error; anything else is info.
    pub fn from_gojinn(level: i32) -> Self {
        match level {
            0 => Self::Debug,
            2 => Self::Warn,
            3 => Self::Error,
            _ => Self::Info,
        }
    }

    /// `debug`, `info`, `warn` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// Receives the `host_log` lines of a guest (bounded per call by the core)
/// and the core's own notes about the call (denied KV keys, …).
pub trait GuestLog {
    /// One line, already cut to the per-line cap; not necessarily UTF-8 clean
    /// (invalid sequences were replaced).
    fn guest_log(&mut self, level: LogLevel, message: &str);
}

/// Everything a target gives the core. Implemented for every type that
/// implements the five port traits.
pub trait Host: Clock + Entropy + KvStore + Publisher + GuestLog + 'static {}

impl<T> Host for T where T: Clock + Entropy + KvStore + Publisher + GuestLog + 'static {}

/// Ports that do nothing: clocks at 0, constant entropy, an empty KV store
/// that keeps nothing, no outbox. For measurements of the runtime alone
/// (benchmarks, the heap probe).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullHost;

impl Clock for NullHost {
    fn wall_clock_ns(&mut self) -> u64 {
        0
    }

    fn monotonic_ns(&mut self) -> u64 {
        0
    }
}

impl Entropy for NullHost {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
}

impl KvStore for NullHost {
    fn kv_get(&mut self, _key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        value.clear();
        Ok(false)
    }
}

impl Publisher for NullHost {
    fn outbox_room(&mut self) -> usize {
        usize::MAX
    }
}

impl GuestLog for NullHost {
    fn guest_log(&mut self, _level: LogLevel, _message: &str) {}
}
