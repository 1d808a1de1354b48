//! defmt's log frames out of UART0 (the CMSDK APB UART at 0x4000_4000),
//! which QEMU connects to `-serial`. The host decodes them with the
//! firmware's ELF (`jinn-qemu`, or `defmt-print`).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::mmio::{read, write};

const UART0: usize = 0x4000_4000;
const DATA: usize = 0x0;
const STATE: usize = 0x4;
const CTRL: usize = 0x8;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_ENABLE: u32 = 1 << 0;

/// Enables the transmitter (115,200 baud from the 25 MHz clock).
pub fn start() {
    // Safety: UART0 belongs to the logger.
    unsafe {
        write(UART0 + BAUDDIV, 217);
        write(UART0 + CTRL, CTRL_TX_ENABLE);
    }
}

fn send(bytes: &[u8]) {
    for &byte in bytes {
        // Safety: UART0 belongs to the logger, which holds a critical section.
        unsafe {
            while read(UART0 + STATE) & STATE_TX_FULL != 0 {}
            write(UART0 + DATA, u32::from(byte));
        }
    }
}

#[defmt::global_logger]
struct Logger;

static TAKEN: AtomicBool = AtomicBool::new(false);

/// The frame in progress: the encoder and how to leave the critical section.
struct Frame {
    restore: critical_section::RestoreState,
    encoder: defmt::Encoder,
}

struct FrameCell(UnsafeCell<Frame>);

// Safety: only touched between `acquire` and `release`, inside one
// critical section (see `frame`).
unsafe impl Sync for FrameCell {}

static FRAME: FrameCell = FrameCell(UnsafeCell::new(Frame {
    restore: critical_section::RestoreState::invalid(),
    encoder: defmt::Encoder::new(),
}));

/// The frame in progress.
///
/// # Safety
///
/// Only inside a frame: the logger's critical section makes it exclusive.
unsafe fn frame() -> &'static mut Frame {
    // Safety: the caller's.
    unsafe { &mut *FRAME.0.get() }
}

// Safety: frames are written inside one critical section each, from
// `acquire` to `release`, which is all defmt asks of a logger.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        // Safety: released in `release`, the only way out of a frame.
        let restore = unsafe { critical_section::acquire() };
        if TAKEN.swap(true, Ordering::Relaxed) {
            // A log line inside a log line: a panic while logging.
            crate::exit::exit(false);
        }
        // Safety: inside the critical section, the logger is ours alone.
        unsafe {
            let frame = frame();
            frame.restore = restore;
            frame.encoder.start_frame(send);
        }
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // Safety: called after `acquire`, inside its critical section.
        unsafe {
            let frame = frame();
            frame.encoder.end_frame(send);
            TAKEN.store(false, Ordering::Relaxed);
            critical_section::release(frame.restore);
        }
    }

    unsafe fn write(bytes: &[u8]) {
        // Safety: as for `release`.
        unsafe { frame().encoder.write(bytes, send) }
    }
}
