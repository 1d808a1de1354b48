//! Fuel: deterministic, exact at the limit, and the same however a call is sliced.

mod support;

use std::sync::Arc;

use jinn_core::{EngineLimits, ErrorKind, InvokeError, Manifest, Outcome};
use support::*;

const KV_SET: &str = r#"(import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))"#;

/// A guest that loops, calls the host between loops, then answers.
fn busy_guest(iterations: u32) -> String {
    let body = format!(
        "{spin} (call $kv_set (i32.const 1024) (i32.const 8) (i32.const 1024) (i32.const 40)) {spin}",
        spin = spin(iterations)
    );
    guest(KV_SET, &body, OK)
}

fn manifest(fuel: u64) -> Manifest {
    let mut m = Manifest::default();
    m.limits.fuel = fuel;
    m.permissions.kv_write = vec!["*".into()];
    m
}

/// Runs with slices of `slice` fuel; returns the outcome and how many resumes it took.
fn sliced(wat: &str, manifest: Manifest, slice: u64) -> (Outcome, usize) {
    let function = load(wat);
    let mut call = function.invoke(TestHost::default(), Arc::new(manifest), b"{}".to_vec());
    let mut resumes = 1;
    while call.resume(slice).is_running() {
        resumes += 1;
    }
    (call.finish().0, resumes)
}

#[test]
fn same_input_same_fuel() {
    let wat = busy_guest(10_000);
    let a = run(&load(&wat), manifest(10_000_000), b"{}").0;
    let b = run(&load(&wat), manifest(10_000_000), b"{}").0;
    assert!(a.result.is_ok());
    assert_eq!(a.fuel_used, b.fuel_used);
    assert!(
        a.fuel_used > 20_000,
        "two loops of 10k iterations: {}",
        a.fuel_used
    );
}

/// Functions are translated when first called (lazy translation), and that
/// is free: the first call of a loaded function, which translates it, costs
/// exactly what every later call costs — sliced or not. (With wasmi's
/// default costs the first call pays 7 fuel per byte it translates.)
#[test]
fn the_first_call_costs_what_later_calls_cost() {
    let wat = busy_guest(1_000);
    let function = load(&wat);
    let first = run(&function, manifest(10_000_000), b"{}").0;
    assert!(first.result.is_ok());
    for _ in 0..2 {
        let later = run(&function, manifest(10_000_000), b"{}").0;
        assert_eq!(later.fuel_used, first.fuel_used);
        assert_eq!(later.stats, first.stats);
    }
    let fresh = load(&wat);
    let mut call = fresh.invoke(
        TestHost::default(),
        Arc::new(manifest(10_000_000)),
        b"{}".to_vec(),
    );
    while call.resume(7).is_running() {}
    assert_eq!(
        call.finish().0.fuel_used,
        first.fuel_used,
        "first call in slices of 7"
    );
    // At the limit: exactly the fuel a later call needs suffices for a first call.
    let exact = load(&wat);
    assert!(
        run(&exact, manifest(first.fuel_used), b"{}")
            .0
            .result
            .is_ok()
    );
}

#[test]
fn slicing_changes_nothing_but_the_number_of_resumes() {
    let wat = busy_guest(20_000);
    let (whole, unbounded) = sliced(&wat, manifest(10_000_000), u64::MAX);
    // However large the slice asked for, one resume runs at most the engine's
    // cap (a host call may overdraw by what it costs: the KV write here,
    // with the call's commit).
    let cap = EngineLimits::default().max_slice_fuel;
    let write = jinn_core::metering::KV_COMMIT_FUEL + jinn_core::metering::KV_WRITE_FUEL;
    assert!(
        unbounded as u64 >= (whole.fuel_used - write) / cap,
        "{unbounded} resumes for {} fuel",
        whole.fuel_used
    );
    for slice in [1, 7, 100, 4096, cap, 3 * cap] {
        let (part, resumes) = sliced(&wat, manifest(10_000_000), slice);
        assert_eq!(part.result, whole.result, "slice {slice}");
        assert_eq!(part.fuel_used, whole.fuel_used, "slice {slice}");
        assert_eq!(part.stats, whole.stats, "slice {slice}");
        // wasmi charges fuel per basic block, so one resume may run a few units more than the slice.
        assert!(
            resumes as u64 >= whole.fuel_used / (slice * 16),
            "slice {slice}: {resumes} resumes"
        );
    }
}

#[test]
fn the_limit_is_exact() {
    let wat = busy_guest(5_000);
    let needed = run(&load(&wat), manifest(u64::MAX / 2), b"{}").0.fuel_used;
    for slice in [u64::MAX, 13, 1000] {
        let (enough, _) = sliced(&wat, manifest(needed), slice);
        assert!(
            enough.result.is_ok(),
            "exactly {needed} fuel is enough (slice {slice})"
        );
        assert_eq!(enough.fuel_used, needed);
        let (short, _) = sliced(&wat, manifest(needed - 1), slice);
        assert_eq!(
            short.result.unwrap_err(),
            InvokeError::FuelExhausted { limit: needed - 1 }
        );
        assert!(short.fuel_used < needed);
    }
}

#[test]
fn running_out_stops_at_the_same_point_whatever_the_slice() {
    let wat = busy_guest(50_000);
    let (whole, _) = sliced(&wat, manifest(60_000), u64::MAX);
    assert_eq!(
        whole.result.as_ref().unwrap_err().kind(),
        ErrorKind::FuelExhausted
    );
    for slice in [1, 99, 5000] {
        let (part, _) = sliced(&wat, manifest(60_000), slice);
        assert_eq!(part.result, whole.result);
        assert_eq!(part.fuel_used, whole.fuel_used, "slice {slice}");
        assert_eq!(part.stats, whole.stats);
    }
}

#[test]
fn a_never_ending_function_is_stopped() {
    let wat = guest("", "(loop $forever (br $forever))", OK);
    let (outcome, _) = run(&load(&wat), manifest(1_000_000), b"");
    let err = outcome.result.unwrap_err();
    assert_eq!(err, InvokeError::FuelExhausted { limit: 1_000_000 });
    assert_eq!(err.http_status(), 504);
    assert!(outcome.fuel_used <= 1_000_000);
    assert!(outcome.fuel_used > 999_000);
}

#[test]
fn host_calls_cost_fuel() {
    let without = run(&load(&guest(KV_SET, "", OK)), manifest(1_000_000), b"")
        .0
        .fuel_used;
    let with = run(
        &load(&guest(
            KV_SET,
            "(call $kv_set (i32.const 1024) (i32.const 8) (i32.const 1024) (i32.const 64))",
            OK,
        )),
        manifest(1_000_000),
        b"",
    )
    .0
    .fuel_used;
    assert!(
        with >= without + jinn_core::metering::HOST_CALL_FUEL + 72 / 16,
        "{without} -> {with}"
    );
}

#[test]
fn an_interrupted_call_reports_a_timeout() {
    let wat = guest("", "(loop $forever (br $forever))", OK);
    let function = load(&wat);
    let mut call = function.invoke(
        TestHost::default(),
        Arc::new(manifest(u64::MAX)),
        Vec::new(),
    );
    for _ in 0..3 {
        assert!(call.resume(5_000).is_running());
    }
    call.interrupt();
    let (outcome, _) = call.finish();
    assert_eq!(outcome.result.unwrap_err().kind(), ErrorKind::Timeout);
    assert!(outcome.fuel_used >= 15_000, "{}", outcome.fuel_used);
}
