//! [`Heap`]: the global allocator of a board, over `N` RAM blocks, with
//! usage counters. Blocks are tried in order, so the first one fills first.
//!
//! Microcontrollers often have their RAM in several blocks (the STM32H743:
//! AXI SRAM, D2 SRAM, ...); a guest's compiled module and linear memory need
//! more than the largest one can spare next to the statics.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

/// A heap made of `N` memory blocks, counting bytes in use and the most
/// ever in use (the high-water mark, which [`Heap::reset_peak`] restarts).
pub struct Heap<const N: usize> {
    blocks: [LlffHeap; N],
    /// Start and end address of each block, to route `dealloc`.
    bounds: [(AtomicUsize, AtomicUsize); N],
    used: AtomicUsize,
    peak: AtomicUsize,
    size: AtomicUsize,
}

impl<const N: usize> Heap<N> {
    /// An empty heap: call [`Heap::init`] before the first allocation.
    pub const fn empty() -> Self {
        Self {
            blocks: [const { LlffHeap::empty() }; N],
            bounds: [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; N],
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            size: AtomicUsize::new(0),
        }
    }

    /// Gives the heap its blocks, as `(start address, size in bytes)`.
    ///
    /// # Safety
    ///
    /// Call it once, before any allocation; each block must be valid,
    /// unused memory of the given size for the rest of the program, and
    /// the blocks must not overlap.
    pub unsafe fn init(&self, blocks: [(usize, usize); N]) {
        for (i, (start, size)) in blocks.into_iter().enumerate() {
            self.bounds[i].0.store(start, Ordering::Relaxed);
            self.bounds[i].1.store(start + size, Ordering::Relaxed);
            self.size.fetch_add(size, Ordering::Relaxed);
            // Safety: the caller hands each block over exclusively, once.
            unsafe { self.blocks[i].init(start, size) };
        }
    }

    /// Bytes of all the blocks.
    pub fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// Bytes of the largest block: the most one allocation (a guest's
    /// linear memory, say) can ever get.
    pub fn largest_block(&self) -> usize {
        self.bounds
            .iter()
            .map(|(start, end)| end.load(Ordering::Relaxed) - start.load(Ordering::Relaxed))
            .max()
            .unwrap_or(0)
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Most bytes in use since start or since the last [`Heap::reset_peak`].
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Restarts the high-water mark from the bytes in use now, and returns them.
    pub fn reset_peak(&self) -> usize {
        let used = self.used();
        self.peak.store(used, Ordering::Relaxed);
        used
    }

    fn block_of(&self, ptr: *mut u8) -> usize {
        let at = ptr as usize;
        self.bounds
            .iter()
            .position(|(start, end)| {
                at >= start.load(Ordering::Relaxed) && at < end.load(Ordering::Relaxed)
            })
            .unwrap_or(N - 1)
    }
}

// Safety: each allocation comes whole from one block's allocator, and is
// given back to the block its address lies in.
unsafe impl<const N: usize> GlobalAlloc for Heap<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        for block in &self.blocks {
            // Safety: forwarded with the caller's layout.
            let ptr = unsafe { block.alloc(layout) };
            if !ptr.is_null() {
                let now = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
                self.peak.fetch_max(now, Ordering::Relaxed);
                return ptr;
            }
        }
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        // Safety: `ptr` came from `alloc` above, from the block it lies in.
        unsafe { self.blocks[self.block_of(ptr)].dealloc(ptr, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_fill_in_order_and_the_peak_restarts() {
        let mut first = vec![0u8; 4096];
        let mut second = vec![0u8; 8192];
        let heap = Heap::<2>::empty();
        // Safety: two distinct vectors that outlive the heap's use here.
        unsafe {
            heap.init([
                (first.as_mut_ptr() as usize, first.len()),
                (second.as_mut_ptr() as usize, second.len()),
            ])
        };
        assert_eq!(heap.size(), 12288);
        assert_eq!(heap.largest_block(), 8192);
        let big = Layout::from_size_align(3000, 8).unwrap();
        // Safety: valid layouts; each pointer is freed once with its layout.
        unsafe {
            let a = heap.alloc(big);
            let b = heap.alloc(big);
            assert!(first.as_ptr_range().contains(&(a as *const u8)));
            assert!(second.as_ptr_range().contains(&(b as *const u8)));
            assert_eq!(heap.used(), 6000);
            assert_eq!(heap.peak(), 6000);
            heap.dealloc(a, big);
            assert_eq!(heap.reset_peak(), 3000);
            let c = heap.alloc(Layout::from_size_align(100, 4).unwrap());
            assert_eq!(heap.peak(), 3100);
            heap.dealloc(c, Layout::from_size_align(100, 4).unwrap());
            heap.dealloc(b, big);
            assert!(
                heap.alloc(Layout::from_size_align(20_000, 8).unwrap())
                    .is_null()
            );
        }
        assert_eq!(heap.used(), 0);
    }
}
