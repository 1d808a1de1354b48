//! What the firmware decides: capacities (compile-time constants that size
//! every static buffer) and the runtime [`Config`].

use embassy_time::Duration;
use jinn_core::signature::{PUBLIC_KEY_LEN, Policy};
use jinn_core::{EngineLimits, Limits};

/// Functions a device holds.
pub const MAX_FUNCTIONS: usize = 8;
/// MQTT topic filters per function.
pub const MAX_TOPICS: usize = 4;
/// Interval timers per function.
pub const MAX_TIMERS: usize = 4;
/// Longest timer name in bytes (as on the gateway).
pub const TIMER_NAME_BYTES: usize = 64;
/// Longest function name in bytes.
pub const NAME_BYTES: usize = 32;
/// Longest HTTP route in bytes.
pub const ROUTE_BYTES: usize = 64;
/// Longest MQTT topic or topic filter in bytes (triggers and outbox).
pub const TOPIC_BYTES: usize = 128;
/// Longest KV key in bytes (the flash map's key buffer).
pub const KV_KEY_BYTES: usize = 64;
/// Largest KV value in bytes (the flash map's item buffer).
pub const KV_VALUE_BYTES: usize = 1024;
/// Messages the flash outbox holds before `publish` answers "queue full".
pub const OUTBOX_SLOTS: usize = 32;
/// Largest published payload in bytes (an outbox slot).
pub const PAYLOAD_BYTES: usize = 1024;
/// Messages one call may publish (staged on the heap until the call ends).
pub const STAGED_MESSAGES: usize = 8;
/// Bytes of one call's KV transaction (writes staged on the heap until the
/// call ends, and the keys it read).
pub const TRANSACTION_BYTES: usize = 8 * 1024;

/// What a device can give a function, whatever its manifest asks. Each
/// function's limits are clamped to these when it is loaded
/// ([`Limits::within`]), so the core refuses what the device could not keep,
/// with the code of the limit (a 2 KiB publish gets `-4`, a 65-byte key reads
/// as missing and is never written), exactly as a gateway with those limits
/// would.
pub const CAPS: Limits = Limits {
    kv_key_bytes: KV_KEY_BYTES as u32,
    kv_value_bytes: KV_VALUE_BYTES as u32,
    kv_transaction_bytes: TRANSACTION_BYTES as u32,
    publishes: STAGED_MESSAGES as u32,
    publish_bytes: PAYLOAD_BYTES as u32,
    topic_bytes: TOPIC_BYTES as u32,
    ..Limits::UNBOUNDED
};
/// Largest postcard-encoded function record (name, route, topics, manifest).
pub const RECORD_BYTES: usize = 1024;
/// Largest MQTT client identifier (MQTT 3.1.1's portable limit).
pub const CLIENT_ID_BYTES: usize = 23;
/// Public keys a device trusts to sign modules (firmware or settings).
pub const MAX_TRUSTED_KEYS: usize = 4;

/// Where Jinn keeps its data in the flash it is given: the catalog
/// (functions) first, then the KV map, then the outbox, in erase pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Layout {
    /// Erase pages of the KV map (at least 2).
    pub kv_pages: u32,
    /// Erase pages of the outbox (at least 2).
    pub outbox_pages: u32,
}

impl Layout {
    /// 2 pages of KV and 2 of outbox: enough on parts with large sectors
    /// (STM32H7: 128 KiB).
    pub const fn const_default() -> Self {
        Self {
            kv_pages: 2,
            outbox_pages: 2,
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::const_default()
    }
}

/// Runtime settings chosen by the firmware. Network endpoints (the MQTT
/// broker) are device settings kept in flash with the functions.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// TCP port of the HTTP server. Default 80.
    pub http_port: u16,
    /// Fuel a guest may use before it yields to the executor. Default 10,000
    /// (tens of microseconds on a PC, about a millisecond on a Cortex-M7).
    pub slice_fuel: u64,
    /// Wall-clock deadline of one call, on top of its fuel. Default 10 s.
    pub call_deadline: Duration,
    /// wasmi's stack limits. Default [`EngineLimits::DEVICE`].
    pub engine: EngineLimits,
    /// What this device can give a function: each function's limits are
    /// clamped to these when it is loaded ([`Limits::within`]). Default
    /// [`CAPS`]; a board lowers `memory` to its heap's largest block, since
    /// linear memory is one allocation: a grow past it is then refused
    /// before its fuel is charged, as at a manifest's limit.
    pub caps: Limits,
    /// Unix time in nanoseconds at boot, for WASI `realtime` (0 when the
    /// board has no clock source: guests then see time since boot).
    pub unix_ns_at_boot: u64,
    /// Where the data lives in the flash.
    pub layout: Layout,
    /// Compiled modules kept in RAM at once; 0 keeps them all. With a
    /// limit, a function whose module is not resident is compiled from
    /// flash when it is called, after the least recently used ones are
    /// dropped: a device then holds more functions than fit in its RAM
    /// together, at the cost of a compile (blocking, tens of ms on a
    /// Cortex-M7 for 100 KiB of wasm) when the function changes. Default 0.
    pub resident_modules: usize,
    /// How module signatures are checked, at least: the device settings
    /// may ask for a stricter policy, never a laxer one. Default `off`.
    pub signature_policy: Policy,
    /// Ed25519 public keys (32 bytes each) that sign modules, built into
    /// the firmware. When there are some, keys in the device settings are
    /// ignored: someone who can write the flash cannot add their own. At
    /// most [`MAX_TRUSTED_KEYS`] are used. Default none.
    pub trusted_keys: &'static [[u8; PUBLIC_KEY_LEN]],
}

impl Config {
    /// The defaults, usable in a `const`.
    pub const fn const_default() -> Self {
        Self {
            http_port: 80,
            slice_fuel: 10_000,
            call_deadline: Duration::from_secs(10),
            engine: EngineLimits::DEVICE,
            caps: CAPS,
            unix_ns_at_boot: 0,
            layout: Layout::const_default(),
            resident_modules: 0,
            signature_policy: Policy::Off,
            trusted_keys: &[],
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::const_default()
    }
}
