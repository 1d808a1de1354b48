//! A window of a shared blocking NOR flash, seen as an async NOR flash.
//!
//! The catalog, the KV map and the outbox each get a [`Region`] of the one
//! flash the firmware hands over. Operations run to completion inside the
//! first poll (the flash is blocking), so a [`Region`] can be driven from a
//! synchronous host call with `embassy_futures::block_on`.

use core::cell::RefCell;
use core::fmt;

use embedded_storage::nor_flash::{NorFlash as BlockingNorFlash, NorFlashError, NorFlashErrorKind};
use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash};

/// A flash operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RegionError {
    /// The range is outside the region.
    OutOfBounds,
    /// The flash is in use by another operation (a bug: operations never overlap).
    Busy,
    /// The flash driver failed.
    Flash(FlashErrorKind),
}

/// Why the flash driver failed, mirrored from `embedded-storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FlashErrorKind {
    /// An offset or length was not aligned to the flash's read/write/erase size.
    NotAligned,
    /// The range is outside the flash.
    OutOfBounds,
    /// The driver reported something else.
    Other,
}

impl From<NorFlashErrorKind> for FlashErrorKind {
    fn from(kind: NorFlashErrorKind) -> Self {
        match kind {
            NorFlashErrorKind::NotAligned => Self::NotAligned,
            NorFlashErrorKind::OutOfBounds => Self::OutOfBounds,
            _ => Self::Other,
        }
    }
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfBounds => f.write_str("flash range outside its region"),
            Self::Busy => f.write_str("flash busy"),
            Self::Flash(FlashErrorKind::NotAligned) => f.write_str("unaligned flash access"),
            Self::Flash(FlashErrorKind::OutOfBounds) => f.write_str("flash access out of bounds"),
            Self::Flash(FlashErrorKind::Other) => f.write_str("flash driver error"),
        }
    }
}

impl core::error::Error for RegionError {}

impl NorFlashError for RegionError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::OutOfBounds | Self::Flash(FlashErrorKind::OutOfBounds) => {
                NorFlashErrorKind::OutOfBounds
            }
            Self::Flash(FlashErrorKind::NotAligned) => NorFlashErrorKind::NotAligned,
            Self::Busy | Self::Flash(FlashErrorKind::Other) => NorFlashErrorKind::Other,
        }
    }
}

/// `len` bytes of `flash` starting at `start`; offsets are relative to `start`.
pub struct Region<'a, F> {
    flash: &'a RefCell<F>,
    start: u32,
    len: u32,
}

impl<'a, F: BlockingNorFlash> Region<'a, F> {
    /// A window of `len` bytes at `start`.
    pub const fn new(flash: &'a RefCell<F>, start: u32, len: u32) -> Self {
        Self { flash, start, len }
    }

    /// Size in bytes.
    pub const fn len(&self) -> u32 {
        self.len
    }

    /// `true` for an empty region.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn check(&self, offset: u32, len: usize) -> Result<u32, RegionError> {
        let len = u32::try_from(len).map_err(|_| RegionError::OutOfBounds)?;
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(self.start + offset),
            _ => Err(RegionError::OutOfBounds),
        }
    }

    fn with_flash<R>(
        &self,
        f: impl FnOnce(&mut F) -> Result<R, F::Error>,
    ) -> Result<R, RegionError> {
        let mut flash = self.flash.try_borrow_mut().map_err(|_| RegionError::Busy)?;
        f(&mut flash).map_err(|e| RegionError::Flash(e.kind().into()))
    }

    /// Reads synchronously.
    ///
    /// # Errors
    ///
    /// [`RegionError`] when out of bounds or when the driver fails.
    pub fn read_blocking(&self, offset: u32, bytes: &mut [u8]) -> Result<(), RegionError> {
        let at = self.check(offset, bytes.len())?;
        self.with_flash(|f| f.read(at, bytes))
    }

    /// Writes synchronously (offset and length aligned to `WRITE_SIZE`).
    ///
    /// # Errors
    ///
    /// [`RegionError`] when out of bounds, unaligned or when the driver fails.
    pub fn write_blocking(&self, offset: u32, bytes: &[u8]) -> Result<(), RegionError> {
        let at = self.check(offset, bytes.len())?;
        self.with_flash(|f| f.write(at, bytes))
    }

    /// Erases `from..to` synchronously (aligned to `ERASE_SIZE`).
    ///
    /// # Errors
    ///
    /// [`RegionError`] when out of bounds, unaligned or when the driver fails.
    pub fn erase_blocking(&self, from: u32, to: u32) -> Result<(), RegionError> {
        if from > to {
            return Err(RegionError::OutOfBounds);
        }
        let at = self.check(from, (to - from) as usize)?;
        self.with_flash(|f| f.erase(at, at + (to - from)))
    }
}

impl<F: BlockingNorFlash> ErrorType for Region<'_, F> {
    type Error = RegionError;
}

impl<F: BlockingNorFlash> ReadNorFlash for Region<'_, F> {
    const READ_SIZE: usize = F::READ_SIZE;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.read_blocking(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.len as usize
    }
}

impl<F: BlockingNorFlash> NorFlash for Region<'_, F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.erase_blocking(from, to)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.write_blocking(offset, bytes)
    }
}
