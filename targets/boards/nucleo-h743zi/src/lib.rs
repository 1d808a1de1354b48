//! Support code of the NUCLEO-H743ZI firmware: the clock tree, the cycle
//! counter, and the logging shim (`info!`, `fatal!`, `unwrap!` over defmt).
//! The heap, the stack gauge and the call meter are jinn-embassy's
//! (`jinn_embassy::board`); the binary declares the `#[global_allocator]`
//! and the other singletons; this library picks none.
#![no_std]

mod clocks;
#[path = "../../fmt.rs"]
mod fmt;

pub use clocks::{clocks, cycles, start_cycle_counter};
