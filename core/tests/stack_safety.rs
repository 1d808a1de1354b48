//! No guest can overflow the host's native stack.
//!
//! Under wasmi's tail-call dispatch each `memory.grow` (and refused
//! `table.grow`) nests a native frame until the interpreter returns to the
//! host. Before the core capped the fuel one slice may hold, a guest that
//! retried a refused grow in a loop aborted the process (~47,000 frames).
//! Each guest below runs a million grows (or as many as its fuel allows) on
//! a thread whose stack is just what `EngineLimits::native_stack_bytes`
//! promises plus room for the thread's own frames: an overflow aborts this
//! test binary, which fails the test run.

mod support;

use std::sync::Arc;

use jinn_core::{EngineLimits, ErrorKind, InvokeError, LoadError, Manifest, Outcome, Runtime};
use support::*;

/// What a test thread needs besides the nesting (harness, host calls, wasmi's entry).
const OWN_STACK: usize = 512 * 1024;

fn manifest(fuel: u64, memory: u64) -> Manifest {
    let mut m = Manifest::default();
    m.limits.fuel = fuel;
    m.limits.memory = memory;
    m
}

/// Runs `wat` to its end on a thread with the promised stack, asking for
/// slices of `slice` fuel.
fn run_on_small_stack(
    limits: EngineLimits,
    wat: &str,
    manifest: Manifest,
    slice: u64,
) -> Result<Outcome, ErrorKind> {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let stack = limits.native_stack_bytes() + OWN_STACK;
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let runtime = Runtime::<TestHost>::new(limits);
            let function = runtime.load(&wasm).map_err(|e| e.kind())?;
            let mut call = function.invoke(TestHost::default(), Arc::new(manifest), Vec::new());
            while call.resume(slice).is_running() {}
            Ok(call.finish().0)
        })
        .expect("thread starts")
        .join()
        .expect("the call ends without a panic")
}

/// A `_start` that runs `body` a million times.
fn looping(memory: &str, table: &str, body: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") {memory})
  {table}
  (func (export "_start") (local $i i32) (local $z i32)
    (loop $l
      {body}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))))"#
    )
}

/// Every way a grow can be refused or succeed, each a million times.
fn hostile_guests() -> Vec<(&'static str, String)> {
    vec![
        (
            "memory.grow refused by the limiter",
            looping("1", "", "(drop (memory.grow (i32.const 100)))"),
        ),
        (
            "memory.grow over the module's own maximum",
            looping("1 1", "", "(drop (memory.grow (i32.const 1)))"),
        ),
        (
            "memory.grow past 4 GiB",
            looping("1", "", "(drop (memory.grow (i32.const 0x10000)))"),
        ),
        (
            "memory.grow by a zero that is not a constant",
            looping("1", "", "(drop (memory.grow (local.get $z)))"),
        ),
        (
            "memory.grow that succeeds, then is refused",
            looping("1", "", "(drop (memory.grow (i32.const 1)))"),
        ),
        (
            "table.grow refused by the limiter",
            looping(
                "1",
                "(table 1 funcref)",
                "(drop (table.grow (ref.null func) (i32.const 60000)))",
            ),
        ),
        (
            "table.grow over the table's own maximum",
            looping(
                "1",
                "(table 1 1 funcref)",
                "(drop (table.grow (ref.null func) (i32.const 1)))",
            ),
        ),
        (
            "a chain of 16,000 grows in one block, in a loop",
            looping(
                "1 1",
                "",
                &format!(
                    "(drop {}(local.get $z){})",
                    "(memory.grow ".repeat(16_000),
                    ")".repeat(16_000)
                ),
            ),
        ),
    ]
}

#[test]
fn refused_and_repeated_grows_never_overflow_the_native_stack() {
    let limits = EngineLimits::gateway();
    for (name, wat) in hostile_guests() {
        for slice in [u64::MAX, 10_000] {
            let outcome = run_on_small_stack(limits, &wat, manifest(20_000_000, 1 << 20), slice)
                .expect("module loads");
            let kind = outcome.result.as_ref().err().map(|e| e.kind());
            // The loops end by themselves (no response: empty output) or run out of fuel.
            assert!(
                matches!(
                    kind,
                    Some(
                        ErrorKind::EmptyOutput | ErrorKind::FuelExhausted | ErrorKind::MemoryLimit
                    )
                ),
                "{name}, slice {slice}: {:?}",
                outcome.result
            );
        }
    }
}

#[test]
fn the_device_limits_hold_too() {
    let limits = EngineLimits::default();
    for (name, wat) in hostile_guests() {
        match run_on_small_stack(limits, &wat, manifest(5_000_000, 1 << 20), 10_000) {
            Ok(outcome) => assert!(outcome.result.is_err(), "{name}"),
            // 16,000 grows in one function: more than a device slice may pay for.
            Err(kind) => assert_eq!(kind, ErrorKind::InvalidModule, "{name}"),
        }
    }
}

#[test]
fn a_start_section_runs_sliced_and_bounded() {
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (global $ran (mut i32) (i32.const 0))
  (func $init (local $i i32)
    (loop $l
      (drop (memory.grow (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000))))
    (global.set $ran (i32.const 1)))
  (start $init)
  (data (i32.const 16) "{\"status\":201}")
  (func (export "_start")
    ;; Answers only if the start function ran to its end first.
    (if (i32.eqz (global.get $ran)) (then unreachable))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 14))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let limits = EngineLimits::gateway();
    let ran = run_on_small_stack(limits, wat, manifest(100_000_000, 1 << 20), u64::MAX).unwrap();
    assert_eq!(ran.result.as_ref().map(|r| r.status), Ok(201));

    // The start function is billed and sliced like `_start`: the same fuel
    // whatever the slice, and it runs out of fuel like any other code.
    let sliced = run_on_small_stack(limits, wat, manifest(100_000_000, 1 << 20), 7).unwrap();
    assert_eq!(sliced.fuel_used, ran.fuel_used);
    let short = run_on_small_stack(limits, wat, manifest(1_000_000, 1 << 20), u64::MAX).unwrap();
    assert_eq!(
        short.result,
        Err(InvokeError::FuelExhausted { limit: 1_000_000 })
    );
}

#[test]
fn a_start_section_ending_the_program_skips_start() {
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $init (call $exit (i32.const 3)))
  (start $init)
  (func (export "_start") unreachable))"#;
    let outcome = run(&load(wat), Manifest::default(), b"").0;
    assert_eq!(outcome.result, Err(InvokeError::ExitCode(3)));
}

#[test]
fn a_function_with_more_grows_than_a_slice_can_pay_is_refused() {
    let limits = EngineLimits::gateway();
    let max = limits.max_slice_fuel;
    let chain = |n: u64| {
        format!(
            r#"(module (memory (export "memory") 1)
  (func (export "_start") (drop {}(i32.const 0){})))"#,
            "(memory.grow ".repeat(n as usize),
            ")".repeat(n as usize)
        )
    };
    let runtime = Runtime::<TestHost>::new(limits);
    assert!(runtime.load(&wat::parse_str(chain(max)).unwrap()).is_ok());
    let err = runtime
        .load(&wat::parse_str(chain(max + 1)).unwrap())
        .err()
        .expect("refused");
    assert!(matches!(err, LoadError::Invalid(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::InvalidModule);
}

/// The cost the bound rests on: every grow costs at least 1 fuel, also
/// when its operands come from locals (which cost nothing).
#[test]
fn a_grow_costs_at_least_one_fuel() {
    for (op, setup) in [
        ("(memory.grow (local.get $n))", ""),
        (
            "(table.grow (local.get $r) (local.get $n))",
            "(table 1 1 funcref)",
        ),
    ] {
        let body = format!("(local.set $n {op})").repeat(1000);
        let wat = format!(
            r#"(module (memory (export "memory") 1) {setup}
  (func (export "_start") (local $n i32) (local $r funcref) {body}))"#
        );
        let outcome = run(&load(&wat), Manifest::default(), b"").0;
        assert!(
            outcome.fuel_used >= 1000,
            "{op}: {} fuel for 1000",
            outcome.fuel_used
        );
    }
}
