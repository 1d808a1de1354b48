//! NOR flash in a file: the "flash chip" of the Linux runner, and the image
//! format written to a board with probe-rs.
//!
//! The file is the raw content of the flash (0xFF where erased). The rules
//! of ECC NOR flash are enforced, as on an STM32H7: aligned writes, and a
//! word written once between erases. Writes go straight to the file, so a
//! killed process (a reset) keeps everything written before it died.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// A flash of `len` bytes in a file, with `WRITE`-byte words and `ERASE`-byte pages.
pub struct FileFlash<const WRITE: usize, const ERASE: usize> {
    file: File,
    bytes: Vec<u8>,
}

/// A flash operation failed.
#[derive(Debug)]
pub enum FileFlashError {
    /// Not aligned to the word or page size.
    NotAligned,
    /// Outside the flash.
    OutOfBounds,
    /// A word was written twice without an erase.
    NotErased,
    /// The file could not be written.
    Io(io::ErrorKind),
}

impl NorFlashError for FileFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotErased | Self::Io(_) => NorFlashErrorKind::Other,
        }
    }
}

impl<const WRITE: usize, const ERASE: usize> FileFlash<WRITE, ERASE> {
    /// Creates (or truncates) `path` as an erased flash of `len` bytes.
    ///
    /// # Errors
    ///
    /// The file cannot be created or written.
    pub fn create(path: &Path, len: usize) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let bytes = vec![0xFF; len];
        file.write_all_at(&bytes, 0)?;
        Ok(Self { file, bytes })
    }

    /// Opens an existing flash file of exactly `len` bytes.
    ///
    /// # Errors
    ///
    /// The file is missing, unreadable or of another size.
    pub fn open(path: &Path, len: usize) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let bytes = std::fs::read(path)?;
        if bytes.len() != len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is {} bytes, the flash is {len}",
                    path.display(),
                    bytes.len()
                ),
            ));
        }
        Ok(Self { file, bytes })
    }

    fn range(&self, offset: u32, len: usize) -> Result<std::ops::Range<usize>, FileFlashError> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(FileFlashError::OutOfBounds)?;
        if end > self.bytes.len() {
            return Err(FileFlashError::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl<const WRITE: usize, const ERASE: usize> ErrorType for FileFlash<WRITE, ERASE> {
    type Error = FileFlashError;
}

impl<const WRITE: usize, const ERASE: usize> ReadNorFlash for FileFlash<WRITE, ERASE> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let r = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.bytes[r]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl<const WRITE: usize, const ERASE: usize> NorFlash for FileFlash<WRITE, ERASE> {
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if !(from as usize).is_multiple_of(ERASE)
            || !(to as usize).is_multiple_of(ERASE)
            || from > to
        {
            return Err(FileFlashError::NotAligned);
        }
        let r = self.range(from, (to - from) as usize)?;
        self.bytes[r.clone()].fill(0xFF);
        self.file
            .write_all_at(&self.bytes[r], u64::from(from))
            .map_err(|e| FileFlashError::Io(e.kind()))
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !(offset as usize).is_multiple_of(WRITE) || !bytes.len().is_multiple_of(WRITE) {
            return Err(FileFlashError::NotAligned);
        }
        let r = self.range(offset, bytes.len())?;
        if self.bytes[r.clone()]
            .chunks(WRITE)
            .zip(bytes.chunks(WRITE))
            .any(|(old, _)| old.iter().any(|&b| b != 0xFF))
        {
            return Err(FileFlashError::NotErased);
        }
        self.bytes[r].copy_from_slice(bytes);
        self.file
            .write_all_at(bytes, u64::from(offset))
            .map_err(|e| FileFlashError::Io(e.kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_nor_rules_and_persists() {
        let dir = std::env::temp_dir().join(format!("jinn-file-flash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("flash.bin");
        let mut f = FileFlash::<4, 4096>::create(&path, 8192).unwrap();
        f.write(4, &[1, 2, 3, 4]).unwrap();
        assert!(matches!(
            f.write(4, &[5, 6, 7, 8]),
            Err(FileFlashError::NotErased)
        ));
        assert!(matches!(
            f.write(4, &[1, 2, 3, 4]),
            Err(FileFlashError::NotErased)
        ));
        assert!(matches!(
            f.write(2, &[0; 4]),
            Err(FileFlashError::NotAligned)
        ));
        assert!(matches!(
            f.write(8190, &[0; 4]),
            Err(FileFlashError::NotAligned)
        ));
        drop(f);
        let mut f = FileFlash::<4, 4096>::open(&path, 8192).unwrap();
        let mut out = [0u8; 8];
        f.read(0, &mut out).unwrap();
        assert_eq!(out, [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]);
        f.erase(0, 4096).unwrap();
        f.write(4, &[5, 6, 7, 8]).unwrap();
        assert!(FileFlash::<4, 4096>::open(&path, 4096).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
