//! What every board firmware shares (feature `board`): a [`Heap`] over RAM
//! blocks that keeps its high-water mark, a [`StackGauge`] that reads the
//! stack's high-water mark from a painted stack, and a [`Meter`] that logs
//! both, and the cycles, of every call; and [`board_tasks!`](crate::board_tasks),
//! the tasks every firmware spawns; [`config`], the configuration it runs with. A board crate adds its clocks, pins,
//! network driver and memory map.
//!
//! Reading raw memory and implementing an allocator needs `unsafe`: these
//! two modules are the crate's only unsafe code.

mod config;
mod heap;
mod meter;
mod stack;
mod tasks;

pub use config::config;
pub use heap::Heap;
pub use meter::Meter;
pub use stack::StackGauge;
pub use tasks::announce;
