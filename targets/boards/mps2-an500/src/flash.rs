//! Flash bank 2 of the STM32H743, emulated in QEMU's SSRAM at 0x0010_0000:
//! 1 MiB in 8 sectors of 128 KiB, written in 32-byte words, each word
//! written once between erases (the H7's ECC flash refuses a second write).
//! QEMU loads the image `jinn-tap image --board mps2-an500` made there at
//! reset (`-device loader`). Erase and program are instantaneous here; the
//! part takes about a second per sector erase.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

const BASE: usize = 0x0010_0000;
/// Bytes of the bank.
pub const CAPACITY: usize = 1024 * 1024;
const WORD: usize = 32;
const SECTOR: usize = 128 * 1024;

/// A flash operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum FlashError {
    /// Not aligned to a word (write) or a sector (erase).
    NotAligned,
    /// Outside the bank.
    OutOfBounds,
    /// A word written twice without an erase.
    NotErased,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotErased => NorFlashErrorKind::Other,
        }
    }
}

/// The emulated bank. Only one exists: [`DataFlash::take`].
pub struct DataFlash(());

impl DataFlash {
    /// The bank, once.
    ///
    /// # Panics
    ///
    /// On a second call.
    pub fn take() -> Self {
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        assert!(
            !TAKEN.swap(true, core::sync::atomic::Ordering::Relaxed),
            "the data flash is taken once"
        );
        Self(())
    }

    fn bytes(&mut self) -> &mut [u8] {
        // Safety: the 1 MiB at BASE is RAM in QEMU's memory map, linked to
        // nothing (memory.x), and this is its only owner (`take`).
        unsafe { core::slice::from_raw_parts_mut(BASE as *mut u8, CAPACITY) }
    }
}

fn range(offset: u32, len: usize) -> Result<core::ops::Range<usize>, FlashError> {
    let start = offset as usize;
    match start.checked_add(len) {
        Some(end) if end <= CAPACITY => Ok(start..end),
        _ => Err(FlashError::OutOfBounds),
    }
}

impl ErrorType for DataFlash {
    type Error = FlashError;
}

impl ReadNorFlash for DataFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let r = range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.bytes()[r]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        CAPACITY
    }
}

impl NorFlash for DataFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = SECTOR;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        if from > to
            || !(from as usize).is_multiple_of(SECTOR)
            || !(to as usize).is_multiple_of(SECTOR)
        {
            return Err(FlashError::NotAligned);
        }
        let r = range(from, (to - from) as usize)?;
        self.bytes()[r].fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        if !(offset as usize).is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(FlashError::NotAligned);
        }
        let r = range(offset, bytes.len())?;
        let flash = self.bytes();
        if flash[r.clone()].iter().any(|&b| b != 0xFF) {
            return Err(FlashError::NotErased);
        }
        flash[r].copy_from_slice(bytes);
        Ok(())
    }
}
