//! [`TwoBlockHeap`]: the heap over two RAM blocks.
//!
//! The STM32H743 has 1 MiB of RAM in separate blocks; a guest's compiled
//! module and its linear memory need more than the largest one (AXI SRAM,
//! 512 KiB) can spare next to the statics. Allocations are served from the
//! AXI SRAM block first, then from D2 SRAM1..3.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

/// A heap made of two memory blocks, with usage counters.
pub struct TwoBlockHeap {
    first: LlffHeap,
    second: LlffHeap,
    /// Start and end of the first block, to route `dealloc`.
    first_start: AtomicUsize,
    first_end: AtomicUsize,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl TwoBlockHeap {
    /// An empty heap: call [`TwoBlockHeap::init`] before the first allocation.
    pub const fn empty() -> Self {
        Self {
            first: LlffHeap::empty(),
            second: LlffHeap::empty(),
            first_start: AtomicUsize::new(0),
            first_end: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Gives the heap its two blocks.
    ///
    /// # Safety
    ///
    /// Call it once, before any allocation; each block must be valid,
    /// unused memory of the given size for the rest of the program.
    pub unsafe fn init(&self, first: (usize, usize), second: (usize, usize)) {
        self.first_start.store(first.0, Ordering::Relaxed);
        self.first_end.store(first.0 + first.1, Ordering::Relaxed);
        // Safety: the caller hands over both blocks exclusively, once.
        unsafe {
            self.first.init(first.0, first.1);
            self.second.init(second.0, second.1);
        }
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Most bytes ever in use.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn in_first(&self, ptr: *mut u8) -> bool {
        let at = ptr as usize;
        at >= self.first_start.load(Ordering::Relaxed)
            && at < self.first_end.load(Ordering::Relaxed)
    }
}

// Safety: each allocation comes whole from one block's allocator, and is
// given back to the block its address lies in.
unsafe impl GlobalAlloc for TwoBlockHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: forwarded with the caller's layout.
        let mut ptr = unsafe { self.first.alloc(layout) };
        if ptr.is_null() {
            // Safety: as above.
            ptr = unsafe { self.second.alloc(layout) };
        }
        if !ptr.is_null() {
            let now = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        // Safety: `ptr` came from `alloc` above, from the block it lies in.
        unsafe {
            if self.in_first(ptr) {
                self.first.dealloc(ptr, layout);
            } else {
                self.second.dealloc(ptr, layout);
            }
        }
    }
}
