//! The benchmarks of Jinn against its peers (`scripts/bench.sh` runs them
//! all; `jinn-bench run --smoke` is the harness's own test in CI), and the
//! pieces the criterion benchmark shares: a host whose ports cost nothing,
//! the example guests, hand-written modules.

pub mod machine;
pub mod native;
pub mod orchestrate;
pub mod progress;
pub mod report;
pub mod runners;
pub mod serve;
pub mod stats;
pub mod workloads;

use std::path::{Path, PathBuf};

/// Ports that do nothing, so that a benchmark measures the runtime alone.
pub use jinn_core::NullHost;

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

/// A command module whose `_start` does nothing: instantiation alone.
pub const EMPTY_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start")))"#;

/// A module with CoreMark's interface (`env.clock_ms`, `run() -> f32`) that
/// loops briefly and scores 1: the smoke run's stand-in for CoreMark.
pub const COREMARK_STANDIN_WAT: &str = r#"(module
  (import "env" "clock_ms" (func $clock (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result f32)
    (local $i i32) (local $acc i32)
    (drop (call $clock))
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
    (f32.convert_i32_u (i32.add (i32.const 1) (i32.and (local.get $acc) (i32.const 0))))))"#;

/// A hand-written module by name (`empty`, `minimal`), as binary.
pub fn builtin(name: &str) -> Option<Vec<u8>> {
    let wat = match name {
        "empty" => EMPTY_WAT,
        "minimal" => MINIMAL_WAT,
        _ => return None,
    };
    wat::parse_str(wat).ok()
}
