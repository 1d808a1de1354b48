//! Memory, table and instance limits.

mod support;

use jinn_core::{ErrorKind, InvokeError, Manifest};
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
