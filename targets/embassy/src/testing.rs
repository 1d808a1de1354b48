//! Test doubles shared by the unit tests.

use alloc::vec;
use alloc::vec::Vec;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// NOR flash in RAM with the rules of ECC flash such as the STM32H7's: a word
/// can be written once after an erase. 4-byte words, 4 KiB pages.
pub struct RamFlash {
    pub bytes: Vec<u8>,
}

impl RamFlash {
    pub fn new(len: usize) -> Self {
        Self {
            bytes: vec![0xFF; len],
        }
    }
}

#[derive(Debug)]
pub struct RamFlashError(NorFlashErrorKind);

impl NorFlashError for RamFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl ErrorType for RamFlash {
    type Error = RamFlashError;
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        let src = self
            .bytes
            .get(at..at + bytes.len())
            .ok_or(RamFlashError(NorFlashErrorKind::OutOfBounds))?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 4096;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let (from, to) = (from as usize, to as usize);
        if !from.is_multiple_of(Self::ERASE_SIZE) || !to.is_multiple_of(Self::ERASE_SIZE) {
            return Err(RamFlashError(NorFlashErrorKind::NotAligned));
        }
        self.bytes
            .get_mut(from..to)
            .ok_or(RamFlashError(NorFlashErrorKind::OutOfBounds))?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let at = offset as usize;
        if !at.is_multiple_of(Self::WRITE_SIZE) || !bytes.len().is_multiple_of(Self::WRITE_SIZE) {
            return Err(RamFlashError(NorFlashErrorKind::NotAligned));
        }
        let dst = self
            .bytes
            .get_mut(at..at + bytes.len())
            .ok_or(RamFlashError(NorFlashErrorKind::OutOfBounds))?;
        for (word, new) in dst
            .chunks_mut(Self::WRITE_SIZE)
            .zip(bytes.chunks(Self::WRITE_SIZE))
        {
            if word.iter().any(|&b| b != 0xFF) {
                return Err(RamFlashError(NorFlashErrorKind::Other));
            }
            word.copy_from_slice(new);
        }
        Ok(())
    }
}
