//! jinn-core on a 32-bit target, where `usize` is what a Cortex-M has: the
//! heap probe (targets/heap-probe, jinn-core built for `wasm32-wasip1`) runs
//! inside `jinn run` and calls a hostile guest with jinn-core's 32-bit build.
//!
//! `iovec-overflow.wat` hands `fd_write` 1,024 buffers of 4 MiB + 1 byte:
//! 2^32 + 1,024 bytes. Before lengths were summed in 64 bits, the 32-bit sum
//! wrapped to 1,024, passed the stdout cap, and the host tried to copy 4 GiB:
//! the probe aborted (a `trap` in the outer report). Now the inner call ends
//! with `output_too_large`, as on a 64-bit host.
//!
//! Needs the gateway binary and the probe (targets/ci.sh builds both).

#[path = "../harness/mod.rs"]
mod harness;

use harness::artefacts::{heap_probe_wasm, jinn_run_report};
use harness::files::{TempDir, hostile_dir};
use jinn_core::{Headers, Request};
use serde_json::Value;

/// The outcome of `module` called once by jinn-core's 32-bit build.
fn outcome_on_32_bits(module: &[u8]) -> Value {
    let mut headers = Headers::new();
    headers.insert("X-Probe-Request".into(), vec!["{}".into()]);
    let request = Request {
        method: "POST".into(),
        uri: "/".into(),
        headers,
        body: module.to_vec(),
        trace_id: None,
    };
    let dir = TempDir::new("thirty-two");
    let input = dir.path().join("probe.json");
    std::fs::write(&input, request.to_json()).expect("probe input");
    let report = jinn_run_report(
        &heap_probe_wasm(),
        &input,
        &["--fuel", "100000000000", "--memory", "1GiB"],
    );
    // The probe itself must not fail: a trap here is the 32-bit host dying.
    let body = report["response"]["body"]
        .as_str()
        .unwrap_or_else(|| panic!("the 32-bit host did not answer: {report}"));
    serde_json::from_str(body).expect("probe answer")
}

#[test]
fn fd_write_lengths_do_not_wrap_on_32_bits() {
    let wasm = wat::parse_file(hostile_dir().join("iovec-overflow.wat")).expect("hostile guest");
    let answer = outcome_on_32_bits(&wasm);
    assert_eq!(answer["outcome"], "output_too_large", "{answer}");
}

#[test]
fn too_many_iovecs_are_refused_on_32_bits() {
    // 65,537 buffers of 64 KiB: the count alone is refused (EINVAL) before
    // anything is summed; the guest then exits with the errno.
    let wasm = wat::parse_str(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 10)
  (func (export "_start") (local $i i32)
    (loop $fill
      (i32.store (i32.shl (local.get $i) (i32.const 3)) (i32.const 0))
      (i32.store (i32.add (i32.shl (local.get $i) (i32.const 3)) (i32.const 4)) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65537))))
    (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 65537) (i32.const 8)))))"#,
    )
    .expect("wat");
    let answer = outcome_on_32_bits(&wasm);
    // EINVAL is 28: a non-zero exit code, not an abort.
    assert_eq!(answer["outcome"], "exit_code", "{answer}");
}
