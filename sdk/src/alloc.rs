//! The std SDK's global allocator on wasm32 (feature `allocator`, on by
//! default): size classes with free lists over chunks taken from std's
//! allocator ([`System`], wasi-libc's malloc), for a process that lives for
//! one call.
//!
//! Why not std's dlmalloc: the runtime meters fuel per block of code
//! entered, whatever part of it runs, so an allocator with large function
//! bodies costs its whole size on every call — about 1,300 fuel per
//! allocation or free with dlmalloc, the bulk of a small function's call.
//! Here an allocation of up to [`LARGEST`] bytes pops a free list or bumps a
//! pointer, a free pushes the block on its class's list (about 40 fuel
//! each); larger or more aligned blocks go to std's allocator.
//!
//! The chunks ([`CHUNK`] bytes) come from [`System`], never from
//! `memory.grow` directly: the classes share the free memory of the
//! module's initial pages with std's allocator, so a call grows linear
//! memory no more than it would without them. (Taking whole pages with
//! `memory.grow` made every call grow the memory, which the runtime pays
//! for in time and heap: it copies the memory into a larger buffer.)
//!
//! A guest that brings its own `#[global_allocator]` turns the feature off:
//! `jinn-guest = { version = "…", default-features = false, features =
//! ["std"] }`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// The smallest block (and the alignment of every block): 16 bytes.
const SMALLEST_SHIFT: u32 = 4;
/// The largest block served from the classes; larger ones go to [`System`].
const LARGEST: usize = 1024;
/// Classes: 16, 32, 64, …, [`LARGEST`] bytes.
const CLASSES: usize = 7;
/// What the classes take from [`System`] at a time.
const CHUNK: usize = 4096;

/// The allocator. Wasm32 guests here are single-threaded (no `atomics`
/// target feature), so its state needs no lock.
struct Allocator {
    state: UnsafeCell<State>,
}

struct State {
    /// The first free block of each class; a free block holds the next.
    free: [*mut u8; CLASSES],
    /// The unused rest of the last chunk taken: `next..end`.
    next: usize,
    end: usize,
}

// SAFETY: wasm32 without the `atomics` feature has one thread.
unsafe impl Sync for Allocator {}

impl Allocator {
    /// An allocator with no memory yet.
    const fn new() -> Self {
        Allocator {
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: 0,
                end: 0,
            }),
        }
    }
}

/// The class of a block of `size` bytes (at most [`LARGEST`]).
fn class(size: usize) -> usize {
    let bits = usize::BITS - (size.max(1) - 1).leading_zeros();
    bits.saturating_sub(SMALLEST_SHIFT) as usize
}

/// Whether `layout` is served from the classes.
fn small(layout: Layout) -> bool {
    layout.size() <= LARGEST && layout.align() <= 1 << SMALLEST_SHIFT
}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !small(layout) {
            // SAFETY: the caller's contract is System's.
            return unsafe { System.alloc(layout) };
        }
        let class = class(layout.size());
        // SAFETY: one thread, and no reference to the state outlives this call.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if !head.is_null() {
            // SAFETY: a free block starts with the address of the next one.
            state.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = 1 << (class as u32 + SMALLEST_SHIFT);
        if state.end - state.next < size {
            refill(state);
            if state.end - state.next < size {
                return ptr::null_mut();
            }
        }
        let block = state.next;
        state.next += size;
        block as *mut u8
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if !small(layout) {
            // SAFETY: the block came from System with this layout.
            return unsafe { System.dealloc(block, layout) };
        }
        let class = class(layout.size());
        // SAFETY: one thread; the block is ours, at least 16 bytes, 16-aligned.
        unsafe {
            let state = &mut *self.state.get();
            block.cast::<*mut u8>().write(state.free[class]);
            state.free[class] = block;
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if small(layout) && new_size <= LARGEST && class(layout.size()) == class(new_size) {
            return block;
        }
        // SAFETY: the caller's contract; `move_block` copies the smaller size.
        unsafe { move_block(self, block, layout, new_size) }
    }
}

/// A new chunk for the classes (what is left of the last one is dropped:
/// less than a block of the class that asked).
#[cold]
#[inline(never)]
fn refill(state: &mut State) {
    // SAFETY: the layout is valid and not zero-sized.
    let chunk = unsafe {
        System.alloc(Layout::from_size_align_unchecked(
            CHUNK,
            1 << SMALLEST_SHIFT,
        ))
    };
    if !chunk.is_null() {
        state.next = chunk as usize;
        state.end = state.next + CHUNK;
    }
}

/// `realloc` to another class or to or from [`System`]: allocate, copy,
/// free.
#[cold]
#[inline(never)]
unsafe fn move_block(
    allocator: &Allocator,
    block: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    // SAFETY: the caller guarantees `new_size` rounded to the alignment
    // does not overflow.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    // SAFETY: the layouts are valid, the blocks distinct.
    unsafe {
        let moved = allocator.alloc(new_layout);
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
            allocator.dealloc(block, layout);
        }
        moved
    }
}

/// The global allocator of std guests.
#[global_allocator]
static ALLOCATOR: Allocator = Allocator::new();
