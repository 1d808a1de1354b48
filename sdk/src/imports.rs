//! The host calls a Jinn function can make, as safe functions over slices.
//!
//! On `wasm32` each function calls the matching host import:
//!
//! | function     | import                     | signature                                          |
//! |--------------|----------------------------|----------------------------------------------------|
//! | [`log`]      | `gojinn.host_log`          | `(level, ptr, len)`                                |
//! | [`kv_get`]   | `jinn.kv_get`              | `(k_ptr, k_len, out_ptr, out_max) -> i64`          |
//! | [`kv_set`]   | `gojinn.host_kv_set`       | `(k_ptr, k_len, v_ptr, v_len)`                     |
//! | [`publish`]  | `jinn.publish`             | `(topic_ptr, topic_len, payload_ptr, payload_len, qos) -> i32` |
//!
//! On every other target they are in-process stand-ins so that functions
//! build, link and can be unit-tested natively: [`log`] does nothing,
//! [`kv_get`]/[`kv_set`] use a per-thread map with the host's exact return
//! conventions (without the `std` feature: no key is ever found, writes are
//! dropped), and [`publish`] always answers `-3` (publisher unavailable).
//!
//! Most code wants the typed wrappers in [`crate::logger`], `crate::kv` (std) and
//! [`crate::publish`](mod@crate::publish) instead.

#[cfg(target_arch = "wasm32")]
mod raw {
    #[link(wasm_import_module = "gojinn")]
    unsafe extern "C" {
        pub fn host_log(level: i32, ptr: i32, len: i32);
        pub fn host_kv_set(k_ptr: i32, k_len: i32, v_ptr: i32, v_len: i32);
    }

    #[link(wasm_import_module = "jinn")]
    unsafe extern "C" {
        pub fn kv_get(k_ptr: i32, k_len: i32, out_ptr: i32, out_max: i32) -> i64;
        pub fn publish(
            topic_ptr: i32,
            topic_len: i32,
            payload_ptr: i32,
            payload_len: i32,
            qos: i32,
        ) -> i32;
    }
}

/// Writes one log line at `level` (0 debug, 1 info, 2 warn, 3 error).
#[cfg(target_arch = "wasm32")]
pub fn log(level: i32, message: &[u8]) {
    // SAFETY: the host only reads `message.len()` bytes at `message`.
    unsafe { raw::host_log(level, message.as_ptr() as i32, message.len() as i32) }
}

/// Looks `key` up and copies its value into `out` if it fits.
///
/// Returns `-1` when the key is missing or access is denied; otherwise the
/// value's full length. When that length is larger than `out.len()`, nothing
/// was written and the caller should retry with a buffer of exactly that size.
#[cfg(target_arch = "wasm32")]
pub fn kv_get(key: &[u8], out: &mut [u8]) -> i64 {
    // SAFETY: the host reads `key.len()` bytes at `key` and writes at most
    // `out.len()` bytes at `out`.
    unsafe {
        raw::kv_get(
            key.as_ptr() as i32,
            key.len() as i32,
            out.as_mut_ptr() as i32,
            out.len() as i32,
        )
    }
}

/// Stores `value` under `key`. The host may refuse silently (no permission,
/// store full); read the key back when that matters.
#[cfg(target_arch = "wasm32")]
pub fn kv_set(key: &[u8], value: &[u8]) {
    // SAFETY: the host only reads `key.len()` and `value.len()` bytes.
    unsafe {
        raw::host_kv_set(
            key.as_ptr() as i32,
            key.len() as i32,
            value.as_ptr() as i32,
            value.len() as i32,
        )
    }
}

/// Publishes `payload` on `topic` with QoS `qos` (0, 1 or 2).
///
/// Returns `0` on success, `-1` permission denied, `-2` invalid topic or QoS,
/// `-3` publisher unavailable or its queue full, `-4` payload too large.
#[cfg(target_arch = "wasm32")]
pub fn publish(topic: &[u8], payload: &[u8], qos: i32) -> i32 {
    // SAFETY: the host only reads `topic.len()` and `payload.len()` bytes.
    unsafe {
        raw::publish(
            topic.as_ptr() as i32,
            topic.len() as i32,
            payload.as_ptr() as i32,
            payload.len() as i32,
            qos,
        )
    }
}

#[cfg(all(not(target_arch = "wasm32"), feature = "std"))]
mod stub {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        pub static KV: RefCell<BTreeMap<Vec<u8>, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
    }
}

/// Writes one log line at `level` (0 debug, 1 info, 2 warn, 3 error).
///
/// Native stand-in: does nothing.
#[cfg(not(target_arch = "wasm32"))]
pub fn log(level: i32, message: &[u8]) {
    let _ = (level, message);
}

/// Looks `key` up and copies its value into `out` if it fits.
///
/// Returns `-1` when the key is missing or access is denied; otherwise the
/// value's full length. When that length is larger than `out.len()`, nothing
/// was written and the caller should retry with a buffer of exactly that size.
///
/// Native stand-in: a per-thread in-process map.
#[cfg(all(not(target_arch = "wasm32"), feature = "std"))]
pub fn kv_get(key: &[u8], out: &mut [u8]) -> i64 {
    stub::KV.with(|kv| match kv.borrow().get(key) {
        None => -1,
        Some(value) => {
            if value.len() <= out.len() {
                out[..value.len()].copy_from_slice(value);
            }
            value.len() as i64
        }
    })
}

/// Stores `value` under `key`. The host may refuse silently (no permission,
/// store full); read the key back when that matters.
///
/// Native stand-in: a per-thread in-process map.
#[cfg(all(not(target_arch = "wasm32"), feature = "std"))]
pub fn kv_set(key: &[u8], value: &[u8]) {
    stub::KV.with(|kv| kv.borrow_mut().insert(key.to_vec(), value.to_vec()));
}

/// Looks `key` up; natively without `std`: always missing (`-1`).
#[cfg(all(not(target_arch = "wasm32"), not(feature = "std")))]
pub fn kv_get(key: &[u8], out: &mut [u8]) -> i64 {
    let _ = (key, out);
    jinn_contract::abi::KV_MISSING
}

/// Stores `value` under `key`; natively without `std`: dropped.
#[cfg(all(not(target_arch = "wasm32"), not(feature = "std")))]
pub fn kv_set(key: &[u8], value: &[u8]) {
    let _ = (key, value);
}

/// Publishes `payload` on `topic` with QoS `qos` (0, 1 or 2).
///
/// Returns `0` on success, `-1` permission denied, `-2` invalid topic or QoS,
/// `-3` publisher unavailable or its queue full, `-4` payload too large.
///
/// Native stand-in: always `-3`, as there is no publisher.
#[cfg(not(target_arch = "wasm32"))]
pub fn publish(topic: &[u8], payload: &[u8], qos: i32) -> i32 {
    let _ = (topic, payload, qos);
    jinn_contract::abi::PUBLISH_UNAVAILABLE
}
