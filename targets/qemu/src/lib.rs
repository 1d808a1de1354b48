//! # jinn-qemu
//!
//! The firmware of `targets/boards/mps2-an500` booted under
//! `qemu-system-arm -machine mps2-an500`: an emulated Cortex-M7 with the
//! memory of an STM32H743, the LAN9118 on QEMU's user-mode network, the
//! functions in an emulated flash bank. The host reaches the device's HTTP
//! port through a port forward on 127.0.0.1; the device reaches a broker
//! on the host's loopback at QEMU's host address, 10.0.2.2.
//!
//! * [`machine::Machine`]: one QEMU run, its decoded defmt log, its ports.
//! * [`http`]: requests over a plain TCP socket.
//! * `jinn-qemu run` boots the example catalog and prints the log;
//!   `jinn-qemu measure` reports the emulated numbers ([`measure`]).

// The test bed's helpers (scratch directories, HTTP replies, the broker),
// shared with jinn-linux-tap's tests and tools: included by path, as they
// do, and not part of this library's API either.
#[path = "../../linux-tap/harness/mod.rs"]
mod harness;

pub mod catalog;
pub mod http;
pub mod log;
pub mod machine;
pub mod measure;
