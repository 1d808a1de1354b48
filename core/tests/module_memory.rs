//! An unloaded module gives its memory back: live heap bytes, counted by
//! this test binary's allocator, return to where they were once the
//! function, every call of it and its runtime are dropped (the gateway
//! gives each distinct module a runtime of its own).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use jinn_core::Manifest;
use support::*;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// 20,000 functions that each compute a little, called from `_start`.
fn big_module() -> Vec<u8> {
    let mut wat = String::from(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $f0 (i32.const 1))))"#,
    );
    for i in 0..20_000 {
        wat.push_str(&format!(
            "\n  (func $f{i} (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {i})) (i32.const 7)))"
        ));
    }
    wat.push(')');
    wat::parse_str(&wat).unwrap()
}

#[test]
fn an_unloaded_module_gives_its_memory_back() {
    let wasm = big_module();
    // Warm up what lives as long as the process (thread locals, caches).
    drop(runtime().load(&wasm).unwrap());

    let before = LIVE.load(Ordering::Relaxed);
    let runtime = runtime();
    let function = runtime.load(&wasm).unwrap();
    let loaded = LIVE.load(Ordering::Relaxed) - before;
    let (outcome, _) = run(&function, Manifest::default(), b"");
    assert!(outcome.result.is_err(), "it writes no response");
    drop(outcome);
    drop(function);
    drop(runtime);
    let left = LIVE.load(Ordering::Relaxed) - before;
    eprintln!("20,000 functions: {loaded} bytes while loaded, {left} bytes left after unloading");

    assert!(
        loaded > 1 << 20,
        "20,000 compiled functions: {loaded} bytes"
    );
    assert!(
        left < 64 * 1024,
        "{left} of {loaded} bytes still held after the module was dropped"
    );
}
