//! The interrupt side: [`State`] is shared by the driver (thread mode) and
//! [`on_interrupt`] (the chip's interrupt handler).
//!
//! The handler only reads INT_STS/INT_EN, acknowledges what it saw and
//! wakes the task waiting for it. A frame arriving keeps its interrupt
//! enabled (the driver drains the FIFO and then waits again); the "TX room"
//! and PHY interrupts are one-shot: the handler disables them and the
//! driver enables them again when it next has to wait, after it has read
//! the PHY's interrupt source (a multi-register MII access that must not
//! run inside the handler).

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use embassy_sync::waitqueue::AtomicWaker;

use crate::bus::Registers;
use crate::regs::*;

/// Wakers and flags shared with the interrupt handler. Put one in a
/// `static` and hand it to both [`Lan9118::new`](crate::Lan9118::new) and
/// [`on_interrupt`].
pub struct State {
    pub(crate) rx: AtomicWaker,
    pub(crate) tx: AtomicWaker,
    pub(crate) link: AtomicWaker,
    /// The PHY interrupted: the link may have changed.
    pub(crate) phy_event: AtomicBool,
    /// Receiver and transmitter errors reported by the chip.
    pub(crate) errors: AtomicU32,
}

impl State {
    /// Empty state, for a `static`.
    pub const fn new() -> Self {
        Self {
            rx: AtomicWaker::new(),
            tx: AtomicWaker::new(),
            link: AtomicWaker::new(),
            phy_event: AtomicBool::new(true),
            errors: AtomicU32::new(0),
        }
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

/// Updates INT_EN with `f` (read, modify, write) without the interrupt
/// handler running in between.
pub(crate) fn update_int_en(regs: &impl Registers, f: impl FnOnce(u32) -> u32) {
    critical_section::with(|_| regs.write(INT_EN, f(regs.read(INT_EN))));
}

/// Handles the chip's interrupt: call it from the interrupt handler of the
/// LAN9118's line (MPS2: IRQ 13), with the same [`State`] as the driver.
pub fn on_interrupt(regs: &impl Registers, state: &State) {
    let enabled = regs.read(INT_EN);
    let pending = regs.read(INT_STS) & enabled;
    let one_shot = pending & (INT_TDFA | INT_PHY);
    if one_shot != 0 {
        regs.write(INT_EN, enabled & !one_shot);
    }
    regs.write(INT_STS, pending);
    if pending & INT_RSFL != 0 {
        state.rx.wake();
    }
    if pending & INT_TDFA != 0 {
        state.tx.wake();
    }
    if pending & INT_PHY != 0 {
        state.phy_event.store(true, Ordering::Release);
        state.link.wake();
    }
    if pending & (INT_RXE | INT_TXE) != 0 {
        state.errors.fetch_add(1, Ordering::Relaxed);
    }
}
