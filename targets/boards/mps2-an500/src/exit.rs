//! Ending the emulation: a panic or a fault is logged, then QEMU exits
//! with a failure status (semihosting, `-semihosting-config enable=on`),
//! so a test sees the crash at once instead of a hung board.

use core::panic::PanicInfo;

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::debug;

/// Stops QEMU, successfully or not.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Without semihosting the call above returns: wait for a debugger.
    loop {
        cortex_m::asm::bkpt();
    }
}

/// Logs where the panic happened. Not its message: formatting messages
/// keeps every panic site's text and core::fmt in flash (about 130 KB
/// here), which the NUCLEO-H743ZI's firmware does not carry either.
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    match info.location() {
        Some(at) => crate::error!("panic at {=str}:{=u32}", at.file(), at.line()),
        None => crate::error!("panic"),
    }
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    crate::error!("hard fault at pc {=u32:#010x}", frame.pc());
    exit(false)
}
