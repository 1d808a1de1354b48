//! WASI preview1 without files: stdio, environment, arguments, clocks, randomness, errnos.

mod support;

use jinn_core::Manifest;
use support::*;

/// Imports shared by the guests below.
const IMPORTS: &str = r#"
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))"#;

/// Writes `len` bytes at `ptr` to stderr (the tests read it back from the outcome).
fn to_stderr(ptr: &str, len: &str) -> String {
    format!(
        "(i32.store (i32.const 0) {ptr}) (i32.store (i32.const 4) {len})
         (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))"
    )
}

/// Stores an errno as one byte at 200 + index and writes them all to stderr at the end.
fn errno_at(index: u32, call: &str) -> String {
    format!("(i32.store8 (i32.const {}) {call})", 200 + index)
}

#[test]
fn stdin_is_the_request() {
    let body = format!(
        "(i32.store (i32.const 0) (i32.const 4096)) (i32.store (i32.const 4) (i32.const 100))
         (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
         {}",
        to_stderr("(i32.const 4096)", "(i32.load (i32.const 8))")
    );
    let (outcome, _) = run(
        &load(&guest(IMPORTS, &body, OK)),
        Manifest::default(),
        b"request bytes",
    );
    assert_eq!(outcome.stderr, b"request bytes");
}

#[test]
fn environment_and_arguments_come_from_the_manifest() {
    let manifest = Manifest {
        env: vec![("A".into(), "1".into()), ("TOKEN".into(), "x=y".into())],
        args: vec!["fn".into(), "--flag".into()],
        ..Manifest::default()
    };
    let body = format!(
        "(drop (call $env_sizes (i32.const 16) (i32.const 20)))
         (drop (call $env_get (i32.const 3000) (i32.const 4096)))
         {env}
         (drop (call $args_sizes (i32.const 16) (i32.const 20)))
         (drop (call $args_get (i32.const 3000) (i32.const 5000)))
         {args}",
        env = to_stderr("(i32.const 4096)", "(i32.load (i32.const 20))"),
        args = to_stderr("(i32.const 5000)", "(i32.load (i32.const 20))"),
    );
    let (outcome, _) = run(&load(&guest(IMPORTS, &body, OK)), manifest, b"");
    assert_eq!(outcome.stderr, b"A=1\0TOKEN=x=y\0fn\0--flag\0");
}

#[test]
fn clocks_and_randomness_come_from_the_host() {
    let body = format!(
        "(drop (call $clock (i32.const 0) (i64.const 1) (i32.const 4096)))
         (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 4104)))
         (drop (call $random (i32.const 4112) (i32.const 8)))
         {}",
        to_stderr("(i32.const 4096)", "(i32.const 24)")
    );
    let host = TestHost {
        now_ns: 1_700_000_000_000_000_000,
        rng: 42,
        ..TestHost::default()
    };
    let function = load(&guest(IMPORTS, &body, OK));
    let (outcome, _) = run_host(&function, Manifest::default(), host);
    let wall = u64::from_le_bytes(outcome.stderr[0..8].try_into().unwrap());
    let mono = u64::from_le_bytes(outcome.stderr[8..16].try_into().unwrap());
    assert_eq!(
        (wall, mono),
        (1_700_000_000_000_000_000, 850_000_000_000_000_000)
    );
    let mut expected = TestHost {
        rng: 42,
        ..TestHost::default()
    };
    let mut random = [0u8; 8];
    jinn_core::Entropy::fill_bytes(&mut expected, &mut random);
    assert_eq!(&outcome.stderr[16..24], &random);
}

#[test]
fn absent_capabilities_answer_with_errnos() {
    let body = format!(
        "{} {} {} {}
         (i32.store8 (i32.const 204) (call $fd_write (i32.const 7) (i32.const 0) (i32.const 1) (i32.const 8)))
         (i32.store8 (i32.const 205) (call $fd_write (i32.const 1) (i32.const 65530) (i32.const 1) (i32.const 8)))
         {}",
        errno_at(0, "(call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 16))"),
        errno_at(1, "(call $prestat (i32.const 3) (i32.const 16))"),
        errno_at(2, "(call $yield)"),
        errno_at(3, "(call $clock (i32.const 9) (i64.const 0) (i32.const 16))"),
        to_stderr("(i32.const 200)", "(i32.const 6)")
    );
    let (outcome, _) = run(&load(&guest(IMPORTS, &body, OK)), Manifest::default(), b"");
    // BADF (nothing preopened on 3), BADF, SUCCESS, INVAL, BADF (no fd 7),
    // FAULT (iovec out of memory).
    assert_eq!(outcome.stderr, [8, 8, 0, 28, 8, 21]);
    assert!(outcome.result.is_ok());
}

#[test]
fn every_wasi_preview1_function_links() {
    // A module importing all 46 functions with their exact types loads and runs.
    let imports: String = jinn_core::imports::signatures()
        .filter(|s| s.module == "wasi_snapshot_preview1" && s.name != "fd_write")
        .map(|s| {
            let ty = |prefix: &str, types: &[jinn_core::imports::ValType]| {
                types
                    .iter()
                    .map(|t| format!("({prefix} {})", t.as_str()))
                    .collect::<String>()
            };
            format!(
                r#"(import "{}" "{}" (func {} {}))"#,
                s.module,
                s.name,
                ty("param", s.params),
                ty("result", s.results)
            )
        })
        .collect();
    assert_eq!(
        jinn_core::imports::signatures()
            .filter(|s| s.module == "wasi_snapshot_preview1")
            .count(),
        46
    );
    let (outcome, _) = run(&load(&guest(&imports, "", OK)), Manifest::default(), b"");
    assert!(outcome.result.is_ok());
}

#[test]
fn iovec_rules_on_the_standard_streams() {
    // More than 1,024 buffers is EINVAL either way; a wrong descriptor is
    // EBADF before its iovecs (too many and out of memory here) are read.
    let body = format!(
        "{} {} {} {} {} {}",
        errno_at(
            0,
            "(call $fd_write (i32.const 1) (i32.const 16) (i32.const 1025) (i32.const 8))"
        ),
        errno_at(
            1,
            "(call $fd_read (i32.const 0) (i32.const 16) (i32.const 1025) (i32.const 8))"
        ),
        errno_at(
            2,
            "(call $fd_write (i32.const 7) (i32.const 65532) (i32.const 5000) (i32.const 8))"
        ),
        errno_at(
            3,
            "(call $fd_write (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 8))"
        ),
        errno_at(
            4,
            "(call $fd_read (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))"
        ),
        to_stderr("(i32.const 200)", "(i32.const 5)")
    );
    let (outcome, _) = run(&load(&guest(IMPORTS, &body, OK)), Manifest::default(), b"x");
    assert_eq!(outcome.stderr, [28, 28, 8, 8, 8]);

    // The same 8 bytes to stderr as one buffer and as eight: the same
    // instructions run, and eight buffers cost 7 more fuel.
    let eight_bytes = |whole: bool, count: u32| {
        let stores: String = (0..8)
            .map(|i| {
                let len = if whole && i == 0 { 8 } else { 1 };
                format!(
                    "(i32.store (i32.const {}) (i32.const {})) (i32.store (i32.const {}) (i32.const {len}))",
                    2048 + 8 * i,
                    1024 + i,
                    2052 + 8 * i
                )
            })
            .collect();
        let body = format!(
            "{stores} (drop (call $fd_write (i32.const 2) (i32.const 2048) (i32.const {count}) (i32.const 8)))"
        );
        run(&load(&guest(IMPORTS, &body, OK)), Manifest::default(), b"").0
    };
    let (one, eight) = (eight_bytes(true, 1), eight_bytes(false, 8));
    assert_eq!(one.stderr, &OK.as_bytes()[..8]);
    assert_eq!(eight.stderr, one.stderr);
    assert_eq!(
        eight.fuel_used - one.fuel_used,
        7 * jinn_core::metering::IOVEC_FUEL
    );
}
