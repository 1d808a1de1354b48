//! What the heap measurements share: [`Counting`], a global allocator that
//! forwards to the system allocator and counts the bytes in use and their
//! peak. A reallocation counts as a new block and the old one freed (the
//! default `realloc`), so a peak includes both, as with the allocators of
//! microcontrollers. `heap-probe` (wasm32) and `jinn-footprint` (the host) register it
//! with `#[global_allocator]`; this library picks no allocator itself.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The counting allocator.
pub struct Counting;

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// Safety: every method forwards to the system allocator with the caller's
// arguments unchanged; the counters do not affect the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if current().saturating_add(layout.size()) > CAP.load(Ordering::Relaxed) {
            return core::ptr::null_mut();
        }
        // Safety: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // Safety: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Refuses (returns null for) every allocation that would take the bytes in
/// use above `bytes`, as a device's heap of that size would (less its
/// fragmentation): the TAP runner's heap budget (`jinn-tap serve
/// --heap-cap`). `usize::MAX`: no cap.
pub fn set_cap(bytes: usize) {
    CAP.store(bytes, Ordering::Relaxed);
}

/// The most in use since the program started (or [`reset_peak`]).
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Bytes in use now.
pub fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// Starts a new peak at what is in use now, and returns that.
pub fn reset_peak() -> usize {
    let now = current();
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// The most in use since [`reset_peak`] returned `base`, above `base`.
pub fn peak_since(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}
