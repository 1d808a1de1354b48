//! The ports of a Linux gateway for one call: a seeded clock and random
//! generator, the KV store, the publisher and the guest log.
//!
//! Clocks and entropy are deterministic functions of three per-call seeds
//! ([`Seeds`]) so that a failed call can be replayed exactly:
//!
//! * the wall clock starts at the call's start time and the monotonic clock
//!   at the gateway's uptime then; every clock read advances both by
//!   [`CLOCK_STEP_NS`] (a guest sees time move forward, and the same
//!   sequence of reads gives the same values);
//! * `random_get` draws from SHA-256 in counter mode over a 256-bit seed
//!   taken from the operating system for each call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use jinn_core::{Clock, Entropy, GuestLog, KvError, KvStore, LogLevel, Publisher};
use sha2::{Digest, Sha256};

use crate::kv::Kv;

/// How far the clocks move at each read, in nanoseconds.
pub const CLOCK_STEP_NS: u64 = 1_000;

/// The seeds a call's clocks and random generator start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// Wall clock at the start of the call, ns since the Unix epoch.
    pub wall_clock_ns: u64,
    /// Monotonic clock at the start of the call, ns.
    pub monotonic_ns: u64,
    /// Seed of the random generator.
    pub random: [u8; 32],
}

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl Seeds {
    /// Seeds for a new call: now, the uptime, and 32 bytes from the OS.
    pub fn fresh() -> Self {
        let mut random = [0; 32];
        if getrandom::fill(&mut random).is_err() {
            // The OS generator does not fail on Linux after boot; should it,
            // hash the time rather than panic.
            random = Sha256::digest(format!("{:?}", SystemTime::now())).into();
        }
        let (wall_clock_ns, monotonic_ns) = Self::fresh_clock();
        Self {
            wall_clock_ns,
            monotonic_ns,
            random,
        }
    }

    /// The system's wall clock and the gateway's uptime now, in ns.
    fn fresh_clock() -> (u64, u64) {
        (
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
            process_start().elapsed().as_nanos() as u64 + 1,
        )
    }
}

/// What a call read from the KV store, first read of each key: enough to
/// replay it without the store. Bounded; `complete` is false when it was cut.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KvReads {
    /// Key → value (`None`: missing).
    pub values: BTreeMap<String, Option<Vec<u8>>>,
    /// Bytes recorded.
    pub bytes: usize,
    /// False when a read was not recorded because of the bound.
    pub complete: bool,
}

/// Recorded KV bytes per call at most.
pub const KV_RECORD_LIMIT: usize = 1 << 20;

/// When a call must stop, as host calls ask ([`Clock::should_stop`]).
#[derive(Debug, Clone, Default)]
pub enum StopWhen {
    /// Never: the caller checks between slices only.
    #[default]
    Never,
    /// At this instant, or as soon as `cancel` is set (the client left).
    Deadline {
        /// The call's wall-clock deadline.
        at: Instant,
        /// Set when the client went away.
        cancel: Option<Arc<AtomicBool>>,
    },
    /// Once the call has used this much fuel (a replay of a timeout).
    Fuel(u64),
}

/// The host of one call on a gateway.
pub struct GatewayHost {
    function: Arc<str>,
    trace_id: Option<String>,
    kv: Kv,
    seeds: Seeds,
    clock_reads: u64,
    slept_ns: u64,
    live_clock: bool,
    random_block: u64,
    random_buf: [u8; 32],
    random_used: usize,
    /// Room in the outbox: messages, bytes.
    publish_room: (usize, usize),
    /// When host calls should end the call.
    pub stop: StopWhen,
    /// Whether a host call was told to stop.
    pub stopped: bool,
    /// KV reads, when recording (for crash snapshots).
    pub kv_reads: Option<KvReads>,
}

impl GatewayHost {
    /// A host for one call of `function`, with fresh seeds.
    pub fn new(function: Arc<str>, trace_id: Option<String>, kv: Kv) -> Self {
        Self::seeded(function, trace_id, kv, Seeds::fresh())
    }

    /// A host whose clocks and random generator start from `seeds`.
    pub fn seeded(function: Arc<str>, trace_id: Option<String>, kv: Kv, seeds: Seeds) -> Self {
        Self {
            function,
            trace_id,
            kv,
            seeds,
            clock_reads: 0,
            slept_ns: 0,
            live_clock: false,
            random_block: 0,
            random_buf: [0; 32],
            random_used: 32,
            publish_room: (usize::MAX, usize::MAX),
            stop: StopWhen::Never,
            stopped: false,
            kv_reads: None,
        }
    }

    /// Reads the system clocks instead of the seeded ones (`jinn run --raw`:
    /// a plain WASI program measuring time wants real time, and is not replayed).
    pub fn with_live_clock(mut self) -> Self {
        self.live_clock = true;
        self
    }

    /// Records the first read of each key (see [`KvReads`]).
    pub fn record_kv_reads(mut self) -> Self {
        self.kv_reads = Some(KvReads {
            complete: true,
            ..KvReads::default()
        });
        self
    }

    /// The outbox takes at most `room` more of this function's messages
    /// (read when the call starts).
    pub fn with_publish_room(mut self, room: crate::outbox::Share) -> Self {
        let clamp = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        self.publish_room = (clamp(room.messages), clamp(room.bytes));
        self
    }

    /// The seeds of this call.
    pub fn seeds(&self) -> Seeds {
        self.seeds
    }

    fn tick(&mut self) -> u64 {
        let t = (self.clock_reads * CLOCK_STEP_NS).wrapping_add(self.slept_ns);
        self.clock_reads += 1;
        t
    }
}

impl Clock for GatewayHost {
    fn wall_clock_ns(&mut self) -> u64 {
        if self.live_clock {
            return Seeds::fresh_clock().0;
        }
        self.seeds.wall_clock_ns.wrapping_add(self.tick())
    }

    fn monotonic_ns(&mut self) -> u64 {
        if self.live_clock {
            return Seeds::fresh_clock().1;
        }
        self.seeds.monotonic_ns.wrapping_add(self.tick())
    }

    fn advance(&mut self, ns: u64) {
        self.slept_ns = self.slept_ns.wrapping_add(ns);
    }

    fn should_stop(&mut self, fuel_used: u64) -> bool {
        let stop = match &self.stop {
            StopWhen::Never => false,
            StopWhen::Deadline { at, cancel } => {
                cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) || Instant::now() >= *at
            }
            StopWhen::Fuel(target) => fuel_used >= *target,
        };
        self.stopped |= stop;
        stop
    }
}

impl Entropy for GatewayHost {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for byte in buf {
            if self.random_used == self.random_buf.len() {
                let mut h = Sha256::new();
                h.update(self.seeds.random);
                h.update(self.random_block.to_le_bytes());
                self.random_buf = h.finalize().into();
                self.random_block += 1;
                self.random_used = 0;
            }
            *byte = self.random_buf[self.random_used];
            self.random_used += 1;
        }
    }
}

impl KvStore for GatewayHost {
    fn kv_get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        let found = self.kv.get(key, value)?;
        if let Some(reads) = &mut self.kv_reads
            && !reads.values.contains_key(key)
        {
            let size = key.len() + value.len();
            if reads.bytes + size > KV_RECORD_LIMIT {
                reads.complete = false;
            } else {
                reads.bytes += size;
                reads
                    .values
                    .insert(key.into(), found.then(|| value.clone()));
            }
        }
        Ok(found)
    }
}

impl Publisher for GatewayHost {
    fn outbox_room(&mut self) -> usize {
        self.publish_room.0
    }

    fn outbox_room_bytes(&mut self) -> usize {
        self.publish_room.1
    }
}

impl GuestLog for GatewayHost {
    fn guest_log(&mut self, level: LogLevel, message: &str) {
        let function = &*self.function;
        let trace_id = self.trace_id.as_deref().unwrap_or("");
        match level {
            LogLevel::Debug => tracing::debug!(function, trace_id, "{message}"),
            LogLevel::Info => tracing::info!(function, trace_id, "{message}"),
            LogLevel::Warn => tracing::warn!(function, trace_id, "{message}"),
            LogLevel::Error => tracing::error!(function, trace_id, "{message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(seeds: Seeds) -> GatewayHost {
        GatewayHost::seeded("f".into(), None, Kv::memory(), seeds)
    }

    #[test]
    fn seeded_clocks_and_random_repeat() {
        let seeds = Seeds::fresh();
        let (mut a, mut b) = (host(seeds), host(seeds));
        let mut ra = [0u8; 77];
        let mut rb = [0u8; 77];
        a.fill_bytes(&mut ra);
        b.fill_bytes(&mut rb[..10]);
        b.fill_bytes(&mut rb[10..]);
        assert_eq!(ra, rb);
        let ta = [a.wall_clock_ns(), a.monotonic_ns(), a.wall_clock_ns()];
        let tb = [b.wall_clock_ns(), b.monotonic_ns(), b.wall_clock_ns()];
        assert_eq!(ta, tb);
        assert_eq!(ta[2] - ta[0], 2 * CLOCK_STEP_NS);
        assert_eq!(ta[0], seeds.wall_clock_ns);
        // A sleep moves both clocks by its length, in both runs alike.
        a.advance(5_000_000);
        b.advance(5_000_000);
        let (wa, wb) = (a.wall_clock_ns(), b.wall_clock_ns());
        assert_eq!(wa, wb);
        assert_eq!(wa - ta[2], CLOCK_STEP_NS + 5_000_000);
    }

    #[test]
    fn different_seeds_differ() {
        let mut a = host(Seeds::fresh());
        let mut b = host(Seeds::fresh());
        let (mut ra, mut rb) = ([0u8; 32], [0u8; 32]);
        a.fill_bytes(&mut ra);
        b.fill_bytes(&mut rb);
        assert_ne!(ra, rb);
    }

    #[test]
    fn first_kv_reads_are_recorded() {
        let kv = Kv::memory();
        kv.set("a", b"1").unwrap();
        let mut h = GatewayHost::new("f".into(), None, kv).record_kv_reads();
        let mut v = Vec::new();
        assert!(h.kv_get("a", &mut v).unwrap());
        h.kv.set("a", b"2").unwrap();
        assert!(h.kv_get("a", &mut v).unwrap());
        assert!(!h.kv_get("b", &mut v).unwrap());
        let reads = h.kv_reads.unwrap();
        assert_eq!(reads.values["a"], Some(b"1".to_vec()));
        assert_eq!(reads.values["b"], None);
        assert!(reads.complete);
    }
}
