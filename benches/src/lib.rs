//! Shared pieces of the benchmarks: a host whose ports cost nothing, and the
//! example guests.

use std::path::{Path, PathBuf};

use jinn_core::{
    Clock, Entropy, GuestLog, KvError, KvStore, LogLevel, PublishError, Publisher, Qos,
};

/// Ports that do nothing, so that a benchmark measures the runtime alone.
#[derive(Debug, Default)]
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
    fn kv_set(&mut self, _key: &str, _value: &[u8]) -> Result<(), KvError> {
        Ok(())
    }
}

impl Publisher for NullHost {
    fn publish(&mut self, _topic: &str, _payload: &[u8], _qos: Qos) -> Result<(), PublishError> {
        Ok(())
    }
}

impl GuestLog for NullHost {
    fn guest_log(&mut self, _level: LogLevel, _message: &str) {}
}

/// A built example guest.
///
/// # Panics
///
/// When the guests were not built (`scripts/build-examples.sh`).
pub fn example(name: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/wasm")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the guests with scripts/build-examples.sh",
            path.display()
        )
    })
}

/// The smallest command module: writes a fixed response.
pub const MINIMAL_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"status\":200,\"body\":\"ok\"}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 26))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
