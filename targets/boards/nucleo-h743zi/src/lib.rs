//! Support code of the NUCLEO-H743ZI firmware: the clock tree, the heap
//! over two RAM blocks, and the logging shim (`info!`, `fatal!`, `unwrap!`
//! over defmt). The binary declares the `#[global_allocator]` and the
//! other singletons; this library picks none.
#![no_std]

mod clocks;
mod fmt;
mod heap;

pub use clocks::clocks;
pub use heap::TwoBlockHeap;
