//! `fd_read` and `fd_write` on a mounted file keep the rules they have on
//! the standard streams: at most 1,024 buffers (`EINVAL` beyond, nothing
//! moved), one more fuel per buffer, and a bad descriptor is `EBADF`
//! whatever its iovecs hold.

use std::sync::Arc;

use jinn_core::metering::IOVEC_FUEL;
use jinn_core::{EngineLimits, Manifest, RawOutcome, Runtime, Setup, Stdio};
use jinn_host::host::GatewayHost;
use jinn_host::kv::Kv;
use jinn_host::sandbox::{self, Mount, MountSpec};

const EINVAL: i32 = 28;
const EBADF: i32 = 8;
const ENOTCAPABLE: i32 = 76;

/// A guest that opens `f` in the preopen on fd 3 (created, read and write
/// rights), fills 8 iovecs at 1024 — buffer `i` is byte `i` of "abcdefgh",
/// except that with `whole` the first one covers all 8 — and exits with the
/// errno of `call` (`$fd` is the file's descriptor). Whatever `call` and
/// `whole` are, it runs the same instructions.
fn guest(whole: bool, call: &str) -> Vec<u8> {
    let stores: String = (0..8)
        .map(|i| {
            let len = if whole && i == 0 { 8 } else { 1 };
            format!(
                "(i32.store (i32.const {}) (i32.const {})) (i32.store (i32.const {}) (i32.const {len}))",
                1024 + 8 * i,
                200 + i,
                1028 + 8 * i
            )
        })
        .collect();
    let wat = format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "f")
  (data (i32.const 200) "abcdefgh")
  (func (export "_start") (local $fd i32)
    (if (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 1)
                    (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 300))
      (then unreachable))
    (local.set $fd (i32.load (i32.const 300)))
    {stores}
    (call $exit {call})))"#
    );
    wat::parse_str(wat).expect("test WAT")
}

/// Runs `wasm` with `dir` mounted writable on fd 3.
fn run(dir: &std::path::Path, wasm: &[u8]) -> RawOutcome {
    let runtime = Runtime::<GatewayHost>::new(EngineLimits::gateway());
    let function = runtime.load(wasm).expect("guest loads");
    let mount = Mount::open(&MountSpec {
        host: dir.to_path_buf(),
        guest: "/data".into(),
        writable: true,
        max_size: 1 << 20,
    })
    .expect("mount");
    let setup = Setup {
        stdio: Stdio::Captured(Vec::new()),
        files: sandbox::files(&[mount]),
    };
    let host = GatewayHost::new("files".into(), None, Kv::memory());
    let mut call = function.invoke_with(host, Arc::new(Manifest::default()), setup);
    while call.resume(u64::MAX).is_running() {}
    call.finish_raw().0
}

fn write_call(count: u32) -> String {
    format!("(call $fd_write (local.get $fd) (i32.const 1024) (i32.const {count}) (i32.const 400))")
}

#[test]
fn each_buffer_costs_one_more_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let one = run(dir.path(), &guest(true, &write_call(1)));
    assert_eq!(one.exit, Ok(0));
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abcdefgh");
    std::fs::remove_file(dir.path().join("f")).unwrap();
    let eight = run(dir.path(), &guest(false, &write_call(8)));
    assert_eq!(eight.exit, Ok(0));
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abcdefgh");
    assert_eq!(eight.fuel_used - one.fuel_used, 7 * IOVEC_FUEL);
}

#[test]
fn more_than_1024_buffers_are_refused_and_nothing_moves() {
    let dir = tempfile::tempdir().unwrap();
    // 1,025 entries from 1024 on: the 8 set above, then zeros (empty buffers).
    let out = run(dir.path(), &guest(false, &write_call(1025)));
    assert_eq!(out.exit, Ok(EINVAL));
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"");
    let ok = run(dir.path(), &guest(false, &write_call(1024)));
    assert_eq!(ok.exit, Ok(0));
    assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abcdefgh");

    let read = "(call $fd_read (local.get $fd) (i32.const 1024) (i32.const 1025) (i32.const 400))";
    assert_eq!(run(dir.path(), &guest(false, read)).exit, Ok(EINVAL));
}

#[test]
fn the_descriptor_is_checked_before_the_iovecs() {
    let dir = tempfile::tempdir().unwrap();
    // An unknown descriptor, and iovecs that are both too many and out of memory.
    let bad = "(call $fd_write (i32.const 9) (i32.const 65532) (i32.const 5000) (i32.const 400))";
    assert_eq!(run(dir.path(), &guest(false, bad)).exit, Ok(EBADF));
    // The preopened directory has no right to be written or read.
    let dir_write =
        "(call $fd_write (i32.const 3) (i32.const 1024) (i32.const 5000) (i32.const 400))";
    assert_eq!(
        run(dir.path(), &guest(false, dir_write)).exit,
        Ok(ENOTCAPABLE)
    );
    let dir_read = "(call $fd_read (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 400))";
    assert_eq!(
        run(dir.path(), &guest(false, dir_read)).exit,
        Ok(ENOTCAPABLE)
    );
    // Stdin is not written, stdout not read.
    let stdin_write =
        "(call $fd_write (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 400))";
    assert_eq!(run(dir.path(), &guest(false, stdin_write)).exit, Ok(EBADF));
    let stdout_read =
        "(call $fd_read (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 400))";
    assert_eq!(run(dir.path(), &guest(false, stdout_read)).exit, Ok(EBADF));
}
