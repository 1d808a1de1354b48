//! `poll_oneoff`: a guest that sleeps suspends its call with the wake-up
//! time; stdio subscriptions are ready at once; fuel does not depend on how
//! long or whether the target really waited.

mod support;

use jinn_core::{Manifest, Progress, Sleep};
use support::*;

const POLL: &str = r#"
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))"#;

/// One relative monotonic clock subscription of `ns` at 256 (userdata 7),
/// events at 512, the event count at 16, the errno at 20.
fn sleep_body(ns: u64) -> String {
    format!(
        "(i64.store (i32.const 256) (i64.const 7))
         (i32.store8 (i32.const 264) (i32.const 0))
         (i32.store (i32.const 272) (i32.const 1))
         (i64.store (i32.const 280) (i64.const {ns}))
         (i32.store (i32.const 20) (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 16)))
         (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 24)))"
    )
}

fn with_clock(now_ns: u64) -> TestHost {
    TestHost {
        now_ns,
        ..TestHost::default()
    }
}

#[test]
fn a_clock_subscription_suspends_the_call_with_its_wake_up_time() {
    let function = load(&guest(POLL, &sleep_body(250_000_000), OK));
    let mut call = function.invoke(with_clock(2_000), Manifest::default().into(), Vec::new());
    let mut sleeps = Vec::new();
    loop {
        match call.resume(u64::MAX) {
            Progress::Sleeping(s) => sleeps.push(s),
            Progress::Running => {}
            Progress::Finished => break,
        }
    }
    // TestHost's monotonic clock is now_ns / 2 = 1000.
    assert_eq!(
        sleeps,
        [Sleep {
            duration_ns: 250_000_000,
            wake_at_ns: 1_000 + 250_000_000
        }]
    );
    let (outcome, host) = call.finish();
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(host.slept_ns, 250_000_000, "the host clock was told");
}

#[test]
fn sleeping_costs_no_fuel_and_fuel_is_the_same_however_it_is_sliced() {
    let short = load(&guest(POLL, &sleep_body(1_000), OK));
    let long = load(&guest(POLL, &sleep_body(10_000_000_000), OK));
    let fuel = |f: &jinn_core::Function<TestHost>, slice: u64| {
        let mut call = f.invoke(TestHost::default(), Manifest::default().into(), Vec::new());
        while call.resume(slice).is_running() {}
        call.finish().0.fuel_used
    };
    let reference = fuel(&short, u64::MAX);
    assert_eq!(fuel(&long, u64::MAX), reference);
    assert_eq!(fuel(&short, 7), reference);
    assert_eq!(fuel(&long, 13), reference);
}

#[test]
fn stdio_subscriptions_are_ready_and_no_sleep_happens() {
    // stdin readable (userdata 1) and a 1 s clock (userdata 2): stdin is ready
    // with the request's length, the clock does not fire.
    let body = "(i64.store (i32.const 256) (i64.const 1))
         (i32.store8 (i32.const 264) (i32.const 1))
         (i32.store (i32.const 272) (i32.const 0))
         (i64.store (i32.const 304) (i64.const 2))
         (i32.store8 (i32.const 312) (i32.const 0))
         (i32.store (i32.const 320) (i32.const 1))
         (i64.store (i32.const 328) (i64.const 1000000000))
         (i32.store (i32.const 20) (call $poll (i32.const 256) (i32.const 512) (i32.const 2) (i32.const 16)))";
    let body = format!(
        "{body}
         (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 8))
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
         (i32.store (i32.const 0) (i32.const 512)) (i32.store (i32.const 4) (i32.const 32))
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))"
    );
    let function = load(&guest(POLL, &body, OK));
    let mut call = function.invoke(
        TestHost::default(),
        Manifest::default().into(),
        b"12345".to_vec(),
    );
    let mut slept = false;
    while let progress @ (Progress::Running | Progress::Sleeping(_)) = call.resume(u64::MAX) {
        slept |= matches!(progress, Progress::Sleeping(_));
    }
    assert!(!slept);
    let (outcome, _) = call.finish();
    let e = &outcome.stderr;
    assert_eq!(&e[0..4], &1u32.to_le_bytes(), "one event");
    assert_eq!(&e[4..8], &0u32.to_le_bytes(), "poll_oneoff succeeded");
    let event = &e[8..40];
    assert_eq!(&event[0..8], &1u64.to_le_bytes(), "stdin's userdata");
    assert_eq!((event[8], event[10]), (0, 1), "no error, fd_read");
    assert_eq!(&event[16..24], &5u64.to_le_bytes(), "5 bytes to read");
}

#[test]
fn no_subscriptions_is_einval() {
    let body = "(i32.store8 (i32.const 200) (call $poll (i32.const 256) (i32.const 512) (i32.const 0) (i32.const 16)))
         (i32.store (i32.const 0) (i32.const 200)) (i32.store (i32.const 4) (i32.const 1))
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))";
    let (outcome, _) = run(&load(&guest(POLL, body, OK)), Manifest::default(), b"");
    assert_eq!(outcome.stderr, [28]);
}

#[test]
fn what_a_call_staged_before_a_sleep_is_kept_and_committed_once_at_its_end() {
    // A write and a publish, a sleep, a second write: everything the call
    // staged reaches the target once, in `Outcome::staged`, when it ends.
    let imports = format!(
        r#"{POLL}
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))"#
    );
    let body = format!(
        "(call $kv_set (i32.const 2048) (i32.const 5) (i32.const 2053) (i32.const 1))
         (drop (call $publish (i32.const 2054) (i32.const 6) (i32.const 2053) (i32.const 1) (i32.const 1)))
         {}
         (call $kv_set (i32.const 2048) (i32.const 5) (i32.const 2060) (i32.const 1))",
        sleep_body(1_000_000)
    );
    let wat = guest(&imports, &body, OK).replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 1) (data (i32.const 2048) \"key/a1alerts2\")",
    );
    let mut manifest = Manifest::default();
    manifest.permissions.kv_write = vec!["key/*".into()];
    manifest.permissions.publish = vec!["alerts".into()];
    let function = load(&wat);
    let mut call = function.invoke(TestHost::default(), manifest.into(), Vec::new());
    let mut slept = 0;
    loop {
        match call.resume(u64::MAX) {
            Progress::Sleeping(_) => {
                slept += 1;
                assert!(call.fuel_used() > 0);
            }
            Progress::Running => {}
            Progress::Finished => break,
        }
    }
    let (outcome, mut host) = call.finish();
    assert_eq!(slept, 1);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert!(host.kv.is_empty(), "nothing reached the store while it ran");
    assert_eq!(outcome.staged.writes["key/a"], b"2", "the last write");
    assert_eq!(outcome.staged.published.len(), 1);
    host.commit(&outcome);
    assert_eq!(host.kv["key/a"], b"2");
}
