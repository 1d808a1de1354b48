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

/// Logs that a panic happened, nothing of it: formatting its message keeps
/// every panic site's text and core::fmt in flash (about 130 KB here), and
/// its location every source path of every crate (48 KB of flash,
/// targets/README.md). A debugger (QEMU's `-s -S`, gdb) finds the site.
/// The boards build with immediate-abort panics (`.cargo/config.toml`): a
/// panic is then a `udf` at its site, which `HardFault` below reports with
/// the site's address, and this handler is not reached.
#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    crate::error!("panic");
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    crate::error!("hard fault at pc {=u32:#010x}", frame.pc());
    exit(false)
}
