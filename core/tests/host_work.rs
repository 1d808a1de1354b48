//! Host work is charged and bounded: what a host call makes the host do
//! costs fuel, and the target is asked whether to stop often enough that
//! no loop of host calls runs on past it, inside one slice or not.

mod support;

use std::sync::Arc;

use jinn_core::limits::MAX_IOVECS;
use jinn_core::metering::{
    IOVEC_FUEL, KV_COMMIT_FUEL, KV_WRITE_FUEL, RANDOM_BYTE_FUEL, STOP_CHECK_FUEL,
};
use jinn_core::{InvokeError, LogLevel, Manifest, Outcome};
use support::*;

const FD_READ: &str = r#"(import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))"#;
const RANDOM: &str =
    r#"(import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))"#;
const KV: &str = r#"(import "gojinn" "host_kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "gojinn" "host_kv_set" (func $kv_set (param i32 i32 i32 i32)))
  (import "jinn" "publish" (func $publish (param i32 i32 i32 i32 i32) (result i32)))"#;

fn manifest(fuel: u64) -> Manifest {
    let mut m = Manifest::default();
    m.limits.fuel = fuel;
    m.permissions.kv_write = vec!["*".into()];
    m
}

/// Runs `body` with a host that says stop from `stop_at` fuel on, the
/// target never checking anything itself between slices.
fn run_stopping(imports: &str, body: &str, memory_pages: u32, stop_at: u64) -> (Outcome, TestHost) {
    let wat = guest(imports, body, OK).replace(
        "(memory (export \"memory\") 1)",
        &format!("(memory (export \"memory\") {memory_pages})"),
    );
    let mut m = manifest(u64::MAX / 2);
    m.limits.memory = u64::from(memory_pages) * 65_536;
    let host = TestHost {
        stop_at_fuel: Some(stop_at),
        ..TestHost::default()
    };
    let mut call = load(&wat).invoke(host, Arc::new(m), Vec::new());
    while call.resume(u64::MAX).is_running() {}
    call.finish()
}

/// The largest step between two questions, and the fuel it stopped at.
fn assert_stopped_soon(outcome: &Outcome, host: &TestHost, stop_at: u64, step: u64) {
    assert_eq!(outcome.result, Err(InvokeError::Interrupted));
    assert!(
        outcome.fuel_used >= stop_at && outcome.fuel_used <= stop_at + STOP_CHECK_FUEL + step,
        "stopped at {} (asked from {stop_at}, step {step})",
        outcome.fuel_used
    );
    let gaps = host.stop_checks.windows(2).map(|w| w[1] - w[0]);
    assert!(
        gaps.clone().all(|g| g <= STOP_CHECK_FUEL + step),
        "{:?}",
        gaps.max()
    );
}

#[test]
fn empty_iovecs_are_charged_and_capped() {
    let per_call = u64::from(MAX_IOVECS) * IOVEC_FUEL;
    // MAX_IOVECS empty iovecs (a zeroed table at 64 KiB) are charged each.
    let walk =
        "(drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 1024) (i32.const 8)))";
    let none =
        "(drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 0) (i32.const 8)))";
    let fuel = |body: &str| {
        let wat = guest("", body, OK).replace(
            "(memory (export \"memory\") 1)",
            "(memory (export \"memory\") 2)",
        );
        run(&load(&wat), manifest(10_000_000), b"").0.fuel_used
    };
    assert_eq!(fuel(walk) - fuel(none), per_call);
    // More than MAX_IOVECS are refused (EINVAL) without walking the table.
    let refused =
        "(drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 1025) (i32.const 8)))";
    assert!(fuel(refused) - fuel(none) < 100);

    // The attack: 2,000,000 empty iovecs (16 MB of table) per call, on both
    // streams, forever, inside one slice.
    let flood = "(loop $l
        (drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 2000000) (i32.const 8)))
        (drop (call $fd_write (i32.const 2) (i32.const 65536) (i32.const 1024) (i32.const 8)))
        (drop (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 2000000) (i32.const 8)))
        (drop (call $fd_read (i32.const 0) (i32.const 65536) (i32.const 1024) (i32.const 8)))
        (br $l))";
    let (outcome, host) = run_stopping(FD_READ, flood, 246, 5_000_000);
    assert_stopped_soon(&outcome, &host, 5_000_000, per_call + 100);
}

#[test]
fn a_kv_write_loop_pays_for_each_write_and_stops() {
    // Writes are staged for the call's one commit: each pays its insert, the
    // first the commit too, and the loop stops at the question after the stop.
    let body = "(loop $l
        (call $kv_set (i32.const 1024) (i32.const 8) (i32.const 1024) (i32.const 64))
        (br $l))";
    let (outcome, host) = run_stopping(KV, body, 1, 5_000_000);
    assert_stopped_soon(
        &outcome,
        &host,
        5_000_000,
        KV_COMMIT_FUEL + KV_WRITE_FUEL + 100,
    );
    let writes = u64::from(outcome.stats.kv_writes);
    assert!(writes > 10, "{writes}");
    assert!(
        outcome.fuel_used >= KV_COMMIT_FUEL + writes * KV_WRITE_FUEL,
        "{} fuel for {writes} writes",
        outcome.fuel_used
    );
    // Nothing of a stopped call is kept.
    assert!(outcome.staged.is_empty());
}

#[test]
fn random_bytes_are_charged_and_big_buffers_checked_in_chunks() {
    let body = "(loop $l (drop (call $random (i32.const 0) (i32.const 4194304))) (br $l))";
    let per_call = 4_194_304 * RANDOM_BYTE_FUEL;
    // Stops in the second call: the first runs whole.
    let stop_at = per_call + per_call / 2;
    let (outcome, host) = run_stopping(RANDOM, body, 64, stop_at);
    assert_eq!(outcome.result, Err(InvokeError::Interrupted));
    assert!(outcome.fuel_used >= stop_at && outcome.fuel_used <= stop_at + per_call);
    // Asked between the 16 KiB chunks of each 4 MiB call, not once per call.
    assert!(host.stop_checks.len() >= 64, "{}", host.stop_checks.len());

    let once = guest(
        RANDOM,
        "(drop (call $random (i32.const 0) (i32.const 1000)))",
        OK,
    );
    let none = guest(
        RANDOM,
        "(drop (call $random (i32.const 0) (i32.const 0)))",
        OK,
    );
    let a = run(&load(&once), manifest(10_000_000), b"").0.fuel_used;
    let b = run(&load(&none), manifest(10_000_000), b"").0.fuel_used;
    assert_eq!(a - b, 1000 * RANDOM_BYTE_FUEL);
}

#[test]
fn a_host_that_never_stops_changes_nothing() {
    let body = "(local.set 0 (i32.const 100))
        (loop $l
          (call $kv_set (i32.const 1024) (i32.const 8) (i32.const 1024) (i32.const 64))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0)))";
    let wat = guest(KV, body, OK);
    let (whole, _) = run(&load(&wat), manifest(100_000_000), b"");
    assert!(whole.result.is_ok());
    for slice in [1_000, 77_777] {
        let mut call = load(&wat).invoke(
            TestHost::default(),
            Arc::new(manifest(100_000_000)),
            Vec::new(),
        );
        while call.resume(slice).is_running() {}
        let (part, _) = call.finish();
        assert_eq!(
            (part.result, part.fuel_used),
            (whole.result.clone(), whole.fuel_used)
        );
    }
}

#[test]
fn a_huge_denied_key_is_neither_copied_nor_logged() {
    // A 16 MiB key of NULs (valid UTF-8), read and written 100 times each.
    let body = "(local.set 0 (i32.const 100))
        (loop $l
          (drop (call $kv_get (i32.const 65536) (i32.const 16777216) (i32.const 16) (i32.const 8)))
          (call $kv_set (i32.const 65536) (i32.const 16777216) (i32.const 16) (i32.const 8))
          (drop (call $publish (i32.const 65536) (i32.const 16777216) (i32.const 16) (i32.const 8) (i32.const 0)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0)))";
    let wat = guest(KV, body, OK).replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 257)",
    );
    let mut m = manifest(10_000_000);
    m.limits.memory = 257 * 65_536;
    m.limits.log_lines = 1_000;
    let (outcome, host) = run(&load(&wat), m, b"");
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(outcome.stats.kv_denied, 200);
    let logged: usize = host.logs.iter().map(|(_, l)| l.len()).sum();
    assert!(logged < 200 * 400, "{logged} bytes of log");
    let (level, line) = &host.logs[0];
    assert_eq!(*level, LogLevel::Warn);
    assert!(line.ends_with("(16777216 bytes)"), "{line}");
    assert!(line.contains("key too long"), "{line}");
    // Copying 16 MiB 200 times would cost over 200 M fuel; the call used far less.
    assert!(outcome.fuel_used < 1_000_000, "{}", outcome.fuel_used);
}

#[test]
fn log_lines_are_cut_and_cannot_forge_lines() {
    let imports = r#"(import "gojinn" "host_log" (func $log (param i32 i32 i32)))"#;
    let line = "first\nsecond\r\x1b[2Jthird";
    let wat = guest(
        imports,
        &format!(
            "(call $log (i32.const 1) (i32.const 4096) (i32.const {}))
             (call $log (i32.const 1) (i32.const 8192) (i32.const 100000))",
            line.len()
        ),
        OK,
    )
    .replace(
        "(memory (export \"memory\") 1)",
        &format!(
            "(memory (export \"memory\") 2) (data (i32.const 4096) \"{}\")",
            wat_bytes(line.as_bytes())
        ),
    );
    let mut m = manifest(10_000_000);
    m.limits.log_line_bytes = 64;
    let (outcome, host) = run(&load(&wat), m, b"");
    assert!(outcome.result.is_ok());
    assert_eq!(host.logs[0].1, "first\\nsecond\\r\\u{1b}[2Jthird");
    assert!(host.logs[1].1.len() <= 64 + 3, "{}", host.logs[1].1.len());
}

#[test]
fn a_write_over_the_cap_pays_only_for_what_fits() {
    // 1,024 buffers of 64 KiB: 64 MiB asked for, 4 MiB of fuel if it were all
    // moved; the cap keeps 4 KiB, and only that (and the buffers) is charged.
    let body = "(local.set 0 (i32.const 0))
        (loop $fill
          (i32.store (i32.shl (local.get 0) (i32.const 3)) (i32.const 65536))
          (i32.store (i32.add (i32.shl (local.get 0) (i32.const 3)) (i32.const 4)) (i32.const 65536))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (br_if $fill (i32.lt_u (local.get 0) (i32.const 1024))))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1024) (i32.const 8192)))";
    let wat = guest("", body, OK).replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 2)",
    );
    let mut m = manifest(1_000_000);
    m.limits.stdout = 4096;
    let (outcome, _) = run(&load(&wat), m, b"");
    assert!(
        matches!(
            outcome.result,
            Err(InvokeError::OutputTooLarge { limit: 4096, .. })
        ),
        "{:?}",
        outcome.result
    );
    assert!(outcome.fuel_used < 100_000, "{}", outcome.fuel_used);
}
