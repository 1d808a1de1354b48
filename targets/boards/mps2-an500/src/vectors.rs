//! The interrupt vector table of the MPS2 (AN385/AN386/AN500 share it) and
//! the handlers the firmware uses. The machine has no PAC crate; this is
//! the part of one the firmware needs.

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;

/// The interrupt lines the firmware uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Interrupt {
    /// CMSDK APB TIMER0 (0x4000_0000).
    Timer0 = 8,
    /// CMSDK APB TIMER1 (0x4000_1000).
    Timer1 = 9,
    /// The LAN9118 Ethernet controller.
    Ethernet = 13,
}

// Safety: the numbers are the machine's external interrupt lines (< 32).
unsafe impl InterruptNumber for Interrupt {
    fn number(self) -> u16 {
        self as u16
    }
}

/// Enables `irq` in the NVIC.
pub fn unmask(irq: Interrupt) {
    // Safety: every handler of the table is ready to run once its
    // peripheral is set up, which the caller has done.
    unsafe { NVIC::unmask(irq) };
}

/// An entry of the table.
pub type Vector = unsafe extern "C" fn();

unsafe extern "C" {
    fn DefaultHandler();
}

extern "C" fn timer0() {
    crate::clock::on_timer0();
}

extern "C" fn timer1() {
    crate::clock::on_timer1();
}

extern "C" fn ethernet() {
    crate::ethernet::on_interrupt();
}

/// The 32 external interrupts of the MPS2, after cortex-m-rt's exceptions.
#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
pub static __INTERRUPTS: [Vector; 32] = {
    let mut table: [Vector; 32] = [DefaultHandler; 32];
    table[Interrupt::Timer0 as usize] = timer0;
    table[Interrupt::Timer1 as usize] = timer1;
    table[Interrupt::Ethernet as usize] = ethernet;
    table
};
