//! Support code of the firmware for QEMU's `mps2-an500` (Arm MPS2 with the
//! AN500 image: Cortex-M7, CMSDK timers and UART, LAN9118 Ethernet): the
//! interrupt vector table, embassy-time's driver on the CMSDK timers, the
//! defmt logger on UART0, the Ethernet device (jinn-lan9118), flash bank 2
//! of the STM32H743 emulated in RAM, the seed, and the exit on a panic or
//! fault. The machine is the board's hardware: the singletons here are its
//! peripherals; the binary declares the heap and the rest.
#![no_std]

pub mod clock;
pub mod ethernet;
pub mod exit;
pub mod flash;
#[path = "../../fmt.rs"]
mod fmt;
mod mmio;
pub mod seed;
pub mod uart;
pub mod vectors;
