//! 32-bit register access to the MPS2's peripherals.

/// Reads the register at `address`.
///
/// # Safety
///
/// `address` is one of the machine's 32-bit registers.
pub(crate) unsafe fn read(address: usize) -> u32 {
    // Safety: the caller's.
    unsafe { core::ptr::read_volatile(address as *const u32) }
}

/// Writes the register at `address`.
///
/// # Safety
///
/// `address` is one of the machine's 32-bit registers, and writing
/// `value` there does not break what another part of the firmware owns.
pub(crate) unsafe fn write(address: usize, value: u32) {
    // Safety: the caller's.
    unsafe { core::ptr::write_volatile(address as *mut u32, value) }
}
