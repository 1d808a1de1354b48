//! How the driver reaches the chip: 32-bit reads and writes at byte
//! offsets. [`Mmio`] is the memory-mapped chip; the unit tests use a model
//! of it.

/// 32-bit register access to a LAN9118.
pub trait Registers {
    /// Reads the register at byte `offset`.
    fn read(&self, offset: u32) -> u32;
    /// Writes `value` to the register at byte `offset`.
    fn write(&self, offset: u32, value: u32);
}

impl<T: Registers + ?Sized> Registers for &T {
    fn read(&self, offset: u32) -> u32 {
        T::read(self, offset)
    }

    fn write(&self, offset: u32, value: u32) {
        T::write(self, offset, value);
    }
}

/// A LAN9118 mapped at a fixed address, read and written with volatile
/// accesses. Copies share the chip: the interrupt handler holds one, the
/// driver another.
#[derive(Debug, Clone, Copy)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    /// The chip at `base` (MPS2 AN386: `0x4020_0000`, AN500: `0xA000_0000`).
    ///
    /// # Safety
    ///
    /// `base` must be the address of a LAN9118's 256-byte register window,
    /// and nothing but this driver (and its interrupt handler) may use it.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base }
    }
}

impl Registers for Mmio {
    fn read(&self, offset: u32) -> u32 {
        // Safety: `new`'s contract: `base + offset` is one of the chip's
        // registers, aligned, inside its window (offsets come from `regs`).
        unsafe { core::ptr::read_volatile((self.base + offset as usize) as *const u32) }
    }

    fn write(&self, offset: u32, value: u32) {
        // Safety: as for `read`.
        unsafe { core::ptr::write_volatile((self.base + offset as usize) as *mut u32, value) }
    }
}
