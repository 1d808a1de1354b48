//! Memory, table and instance limits.

mod support;

use std::sync::Arc;

use jinn_core::{EngineLimits, ErrorKind, InvokeError, Manifest, Outcome, Runtime};
use support::*;

fn with_memory(bytes: u64) -> Manifest {
    let mut m = Manifest::default();
    m.limits.memory = bytes;
    m
}

#[test]
fn initial_memory_over_the_cap() {
    let wat = r#"(module (memory (export "memory") 4) (func (export "_start")))"#;
    let (outcome, _) = run(&load(wat), with_memory(3 * 65536), b"");
    assert_eq!(
        outcome.result.unwrap_err(),
        InvokeError::MemoryLimit { limit: 3 * 65536 }
    );
}

#[test]
fn a_trap_after_a_refused_grow_is_memory_limit() {
    // What Rust's allocator does: grow fails (-1), then abort (unreachable).
    let body = "(if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) (then unreachable))";
    let (outcome, _) = run(&load(&guest("", body, OK)), with_memory(4 * 65536), b"");
    let err = outcome.result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MemoryLimit);
    assert_eq!(err.http_status(), 500);
}

#[test]
fn a_non_zero_exit_after_a_refused_grow_is_memory_limit() {
    // What Go does: `fatal error: out of memory`, then proc_exit(2).
    let imports = r#"(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))"#;
    let body = "(if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) (then (call $exit (i32.const 2))))";
    let (outcome, _) = run(
        &load(&guest(imports, body, OK)),
        with_memory(4 * 65536),
        b"",
    );
    assert_eq!(
        outcome.result.unwrap_err(),
        InvokeError::MemoryLimit { limit: 4 * 65536 }
    );
    // The same exit without a refused grow stays an exit code.
    let body = "(call $exit (i32.const 2))";
    let (outcome, _) = run(
        &load(&guest(imports, body, OK)),
        with_memory(4 * 65536),
        b"",
    );
    assert_eq!(outcome.result.unwrap_err(), InvokeError::ExitCode(2));
}

#[test]
fn a_grow_that_waits_for_fuel_is_not_a_refused_grow() {
    // Growing 200 pages costs more fuel than a slice holds: wasmi fails the
    // grow for fuel and the call resumes it; a later exit stays an exit code.
    let imports = r#"(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))"#;
    let body = "(if (i32.eq (memory.grow (i32.const 200)) (i32.const -1)) (then unreachable))
                (call $exit (i32.const 2))";
    let function = load(&guest(imports, body, OK));
    for slice in [1, 100, u64::MAX] {
        let mut call = function.invoke(
            TestHost::default(),
            with_memory(256 * 65536).into(),
            Vec::new(),
        );
        while call.resume(slice).is_running() {}
        assert_eq!(
            call.finish().0.result.unwrap_err(),
            InvokeError::ExitCode(2)
        );
    }
}

#[test]
fn a_refused_grow_the_guest_handles_is_fine() {
    let body = "(drop (memory.grow (i32.const 10)))";
    let (outcome, _) = run(&load(&guest("", body, OK)), with_memory(4 * 65536), b"");
    assert_eq!(outcome.result.unwrap().status, 200);
}

#[test]
fn growing_within_the_cap_works() {
    let body = "(if (i32.eq (memory.grow (i32.const 2)) (i32.const -1)) (then unreachable))";
    let (outcome, _) = run(&load(&guest("", body, OK)), with_memory(3 * 65536), b"");
    assert!(outcome.result.is_ok());
}

#[test]
fn table_growth_is_capped() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (table 1 funcref)
      (memory (export "memory") 1)
      (func (export "_start")
        (if (i32.eq (table.grow (ref.null func) (i32.const 100)) (i32.const -1))
          (then (call $exit (i32.const 7))))))"#;
    let mut m = Manifest::default();
    m.limits.table_elements = 50;
    let (outcome, _) = run(&load(wat), m, b"");
    assert_eq!(outcome.result.unwrap_err(), InvokeError::ExitCode(7));
}

#[test]
fn each_call_gets_fresh_memory() {
    // The guest answers from memory it then overwrites; a second call must
    // see the original data again.
    let body = "(i32.store8 (i32.const 1025) (i32.const 0x58))";
    let function = load(&guest("", "", OK));
    let dirty = load(&guest("", body, OK));
    let first = run(&dirty, Manifest::default(), b"").0;
    assert!(first.result.is_err(), "the guest broke its own output");
    let again = run(&dirty, Manifest::default(), b"").0;
    assert_eq!(first, again);
    assert!(run(&function, Manifest::default(), b"").0.result.is_ok());
}

/// Runs `wasm` on an engine whose machine holds at most `machine` bytes of
/// linear memory per call.
fn run_on_machine(machine: u64, wasm: &[u8], manifest: Manifest) -> Outcome {
    let runtime = Runtime::<TestHost>::new(EngineLimits {
        max_memory_bytes: machine,
        ..EngineLimits::DEVICE
    });
    let function = runtime.load(wasm).expect("module loads");
    let mut call = function.invoke(TestHost::default(), Arc::new(manifest), Vec::new());
    while call.resume(10_000).is_running() {}
    call.finish().0
}

#[test]
fn the_machine_holds_memory_below_the_manifest() {
    let grow = "(if (i32.eq (memory.grow (i32.const 10)) (i32.const -1)) (then unreachable))";
    let wasm = wat::parse_str(guest("", grow, OK)).expect("WAT");
    let outcome = run_on_machine(4 * 65536, &wasm, Manifest::default());
    assert_eq!(
        outcome.result.unwrap_err(),
        InvokeError::MemoryLimit { limit: 4 * 65536 },
        "the limit reported is the one that applied"
    );
    // The lower of the two applies: here the manifest's.
    let outcome = run_on_machine(64 * 65536, &wasm, with_memory(3 * 65536));
    assert_eq!(
        outcome.result.unwrap_err(),
        InvokeError::MemoryLimit { limit: 3 * 65536 }
    );
    assert!(
        run_on_machine(64 * 65536, &wasm, Manifest::default())
            .result
            .is_ok()
    );
    let big = wat::parse_str(r#"(module (memory (export "memory") 5) (func (export "_start")))"#)
        .expect("WAT");
    let outcome = run_on_machine(4 * 65536, &big, Manifest::default());
    assert_eq!(outcome.result.unwrap_err().kind(), ErrorKind::MemoryLimit);
}

/// examples/hostile/grow-retry.wat retries a 100-page grow a million times.
/// On a machine that cannot hold 100 pages (a board's heap), the grow is
/// refused before its fuel is charged, exactly as under a manifest limit of
/// the same size: the guest answers, with the same fuel.
#[test]
fn a_grow_the_machine_cannot_hold_is_refused_before_its_fuel_is_paid() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/hostile/grow-retry.wat"
    );
    let wasm = wat::parse_file(path).expect("grow-retry.wat");
    let heap_block = 440 * 1024;
    let on_board = run_on_machine(heap_block, &wasm, Manifest::default());
    let by_manifest = run_on_machine(u64::MAX, &wasm, with_memory(heap_block));
    assert_eq!(on_board, by_manifest);
    let response = on_board.result.expect("the guest answers");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"still here");
    // With room for them, the first two grows succeed and are paid for.
    let roomy = run_on_machine(u64::MAX, &wasm, Manifest::default());
    assert!(
        on_board.fuel_used < roomy.fuel_used,
        "{} vs {}",
        on_board.fuel_used,
        roomy.fuel_used
    );
}
