//! # jinn-lan9118
//!
//! An [`embassy-net-driver`](embassy_net_driver) for the SMSC LAN9118
//! Ethernet controller, the one QEMU emulates on its Arm MPS2 boards
//! (`mps2-an386`, `mps2-an500`), written against the chip's registers:
//! the RX and TX FIFOs, the MAC's registers through the MAC CSR window, the
//! internal PHY through the MAC's MII registers.
//!
//! Interrupt-driven: a frame arriving, TX FIFO room and a PHY link change
//! each wake the network task through [`on_interrupt`], which the firmware
//! calls from the chip's interrupt line; nothing polls.
//!
//! ```text
//! static STATE: State = State::new();
//! let regs = unsafe { Mmio::new(0xA000_0000) };          // MPS2 AN500
//! let device = Lan9118::new(regs, &STATE, [0x02, 0, 0, 0, 0, 1])?;
//! // in the interrupt handler of IRQ 13:
//! jinn_lan9118::on_interrupt(&regs, &STATE);
//! ```
//!
//! The chip has no checksum offload (the LAN9220 it stands in for on the
//! real board does): embassy-net computes checksums in software.
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

mod bus;
mod csr;
mod driver;
mod error;
#[cfg(test)]
mod fake;
mod interrupt;
pub mod regs;
#[cfg(test)]
mod tests;

pub use bus::{Mmio, Registers};
pub use driver::{Lan9118, Lan9118Rx, Lan9118Tx, MTU, Stats};
pub use error::Error;
pub use interrupt::{State, on_interrupt};
