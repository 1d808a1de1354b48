//! The catalog: device settings and functions (record + module) laid out
//! one after the other at the start of the flash.
//!
//! ```text
//! entry  := header | record (postcard) | body | padding to the write size
//! header := magic u32 LE | record length u32 LE | body length u32 LE | 0xFFFF_FFFF
//! ```
//!
//! The first entry holds the [`DeviceSettings`] (magic `JSET`, no body);
//! each function entry (magic `JFN3`) holds a [`FunctionRecord`] and its
//! module. Erased flash (magic `0xFFFF_FFFF`) ends the catalog. Modules are
//! larger than an erase page, so the catalog is written as a whole (by
//! `jinn-tap image` on a PC, or on the device) rather than through
//! sequential-storage.

use alloc::vec::Vec;
use core::fmt;

use embedded_storage::nor_flash::NorFlash;
use sha2::{Digest, Sha256};

use crate::config::RECORD_BYTES;
use crate::flash::{Region, RegionError};
use crate::record::{DeviceSettings, FunctionRecord};

const SETTINGS_MAGIC: u32 = u32::from_le_bytes(*b"JSET");
/// `JFN3`: records with interval timers (`JFN1` and `JFN2` records, older,
/// are refused as bad entries: rewrite the image).
const FUNCTION_MAGIC: u32 = u32::from_le_bytes(*b"JFN3");
const END_MAGIC: u32 = u32::MAX;
const HEADER_BYTES: usize = 16;
/// Largest write or read size the catalog handles.
const MAX_WORD: usize = 32;

/// The catalog could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CatalogError {
    /// The flash failed.
    Flash(RegionError),
    /// The catalog does not start with device settings: the flash was never written.
    Empty,
    /// An entry header is not one the catalog writes (corrupted or foreign data).
    BadEntry {
        /// Offset of the entry in the catalog area.
        offset: u32,
    },
    /// A record could not be encoded or decoded, or is over [`RECORD_BYTES`].
    BadRecord {
        /// Offset of the entry in the catalog area.
        offset: u32,
    },
    /// The entries do not fit in the catalog area.
    Full,
    /// A module does not match the SHA-256 in its record.
    HashMismatch {
        /// Offset of the entry in the catalog area.
        offset: u32,
    },
    /// The flash's read or write size is over 32 bytes.
    WordTooLarge,
}

impl From<RegionError> for CatalogError {
    fn from(e: RegionError) -> Self {
        Self::Flash(e)
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flash(e) => write!(f, "catalog flash: {e}"),
            Self::Empty => f.write_str("no catalog in flash (write an image first)"),
            Self::BadEntry { offset } => write!(f, "bad catalog entry at {offset}"),
            Self::BadRecord { offset } => write!(f, "bad function record at {offset}"),
            Self::Full => f.write_str("catalog area full"),
            Self::HashMismatch { offset } => write!(f, "module at {offset} fails its SHA-256"),
            Self::WordTooLarge => f.write_str("flash word over 32 bytes"),
        }
    }
}

impl core::error::Error for CatalogError {}

fn word<F: NorFlash>() -> u32 {
    F::WRITE_SIZE.max(F::READ_SIZE).max(4) as u32
}

fn align<F: NorFlash>(n: u32) -> u32 {
    n.div_ceil(word::<F>()) * word::<F>()
}

/// Writes a catalog from scratch: erases the area, then appends entries.
pub struct CatalogWriter<'a, F: NorFlash> {
    region: Region<'a, F>,
    offset: u32,
}

impl<'a, F: NorFlash> CatalogWriter<'a, F> {
    /// Erases the catalog area and writes the device settings.
    ///
    /// # Errors
    ///
    /// [`CatalogError`] when the flash fails or the settings do not encode.
    pub fn create(region: Region<'a, F>, settings: &DeviceSettings) -> Result<Self, CatalogError> {
        if F::WRITE_SIZE > MAX_WORD || F::READ_SIZE > MAX_WORD {
            return Err(CatalogError::WordTooLarge);
        }
        region.erase_blocking(0, region.len())?;
        let mut writer = Self { region, offset: 0 };
        let mut buf = [0u8; RECORD_BYTES];
        let record = postcard::to_slice(settings, &mut buf)
            .map_err(|_| CatalogError::BadRecord { offset: 0 })?;
        writer.entry(SETTINGS_MAGIC, record, &[])?;
        Ok(writer)
    }

    /// Appends a function. `record.wasm_len` and `record.wasm_sha256` are
    /// set from `wasm`.
    ///
    /// # Errors
    ///
    /// [`CatalogError::Full`] when it does not fit, or a flash/encoding error.
    pub fn add(&mut self, record: &FunctionRecord, wasm: &[u8]) -> Result<(), CatalogError> {
        let mut record = record.clone();
        record.wasm_len = u32::try_from(wasm.len()).map_err(|_| CatalogError::Full)?;
        record.wasm_sha256 = Sha256::digest(wasm).into();
        let mut buf = [0u8; RECORD_BYTES];
        let bytes = postcard::to_slice(&record, &mut buf).map_err(|_| CatalogError::BadRecord {
            offset: self.offset,
        })?;
        self.entry(FUNCTION_MAGIC, bytes, wasm)
    }

    /// Bytes used so far.
    pub fn used(&self) -> u32 {
        self.offset
    }

    fn entry(&mut self, magic: u32, record: &[u8], body: &[u8]) -> Result<(), CatalogError> {
        let record_len = record.len() as u32;
        let body_len = u32::try_from(body.len()).map_err(|_| CatalogError::Full)?;
        let total = align::<F>(HEADER_BYTES as u32) + align::<F>(record_len) + align::<F>(body_len);
        // Keep one word free so that the end marker stays readable.
        if self.offset + total + word::<F>() > self.region.len() {
            return Err(CatalogError::Full);
        }
        let mut header = [0xFFu8; HEADER_BYTES];
        header[0..4].copy_from_slice(&magic.to_le_bytes());
        header[4..8].copy_from_slice(&record_len.to_le_bytes());
        header[8..12].copy_from_slice(&body_len.to_le_bytes());
        let mut at = self.offset;
        at = self.section(at, &header)?;
        at = self.section(at, record)?;
        at = self.section(at, body)?;
        self.offset = at;
        Ok(())
    }

    /// Writes `bytes` at `at` padded with 0xFF to the word size; returns the next offset.
    fn section(&self, at: u32, bytes: &[u8]) -> Result<u32, CatalogError> {
        let w = word::<F>() as usize;
        let whole = bytes.len() / w * w;
        if whole > 0 {
            self.region.write_blocking(at, &bytes[..whole])?;
        }
        let tail = &bytes[whole..];
        if !tail.is_empty() {
            let mut last = [0xFFu8; MAX_WORD];
            last[..tail.len()].copy_from_slice(tail);
            self.region.write_blocking(at + whole as u32, &last[..w])?;
        }
        Ok(at + align::<F>(bytes.len() as u32))
    }
}

/// Where a function's module is in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ModuleAt {
    offset: u32,
    len: u32,
    entry: u32,
}

/// An entry as read: magic, record bytes, where the body is.
type Entry<'b> = (u32, &'b [u8], ModuleAt);

/// Reads a catalog.
pub struct CatalogReader<'a, F: NorFlash> {
    region: Region<'a, F>,
    offset: u32,
}

impl<'a, F: NorFlash> CatalogReader<'a, F> {
    /// Opens the catalog and reads the device settings.
    ///
    /// # Errors
    ///
    /// [`CatalogError::Empty`] when no catalog was written, or a flash/decoding error.
    pub fn open(region: Region<'a, F>) -> Result<(Self, DeviceSettings), CatalogError> {
        if F::WRITE_SIZE > MAX_WORD || F::READ_SIZE > MAX_WORD {
            return Err(CatalogError::WordTooLarge);
        }
        let mut reader = Self { region, offset: 0 };
        let mut buf = [0u8; RECORD_BYTES];
        match reader.next_entry(&mut buf)? {
            Some((SETTINGS_MAGIC, record, _)) => {
                let settings = postcard::from_bytes(record)
                    .map_err(|_| CatalogError::BadRecord { offset: 0 })?;
                Ok((reader, settings))
            }
            Some(_) => Err(CatalogError::BadEntry { offset: 0 }),
            None => Err(CatalogError::Empty),
        }
    }

    /// The next function record and where its module is; `None` at the end.
    ///
    /// # Errors
    ///
    /// [`CatalogError`] when an entry is corrupted or the flash fails.
    pub fn next_function(&mut self) -> Result<Option<(FunctionRecord, ModuleAt)>, CatalogError> {
        let entry = self.offset;
        let mut buf = [0u8; RECORD_BYTES];
        let Some((magic, record, module)) = self.next_entry(&mut buf)? else {
            return Ok(None);
        };
        if magic != FUNCTION_MAGIC {
            return Err(CatalogError::BadEntry { offset: entry });
        }
        let record: FunctionRecord =
            postcard::from_bytes(record).map_err(|_| CatalogError::BadRecord { offset: entry })?;
        if record.wasm_len != module.len {
            return Err(CatalogError::BadRecord { offset: entry });
        }
        Ok(Some((record, module)))
    }

    /// Reads a module into a buffer of the runtime's heap (freed once the
    /// module is compiled) and checks its hash.
    ///
    /// # Errors
    ///
    /// [`CatalogError::HashMismatch`] or a flash error.
    pub fn read_module(&self, at: ModuleAt, sha256: &[u8; 32]) -> Result<Vec<u8>, CatalogError> {
        read_module(&self.region, at, sha256)
    }

    fn next_entry<'b>(
        &mut self,
        buf: &'b mut [u8; RECORD_BYTES],
    ) -> Result<Option<Entry<'b>>, CatalogError> {
        let entry = self.offset;
        if entry + HEADER_BYTES as u32 > self.region.len() {
            return Ok(None);
        }
        let mut header = [0u8; HEADER_BYTES];
        self.read(entry, &mut header)?;
        let field =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let (magic, record_len, body_len) = (field(0), field(4), field(8));
        if magic == END_MAGIC {
            return Ok(None);
        }
        if magic != SETTINGS_MAGIC && magic != FUNCTION_MAGIC {
            return Err(CatalogError::BadEntry { offset: entry });
        }
        if record_len as usize > RECORD_BYTES {
            return Err(CatalogError::BadRecord { offset: entry });
        }
        let record_at = entry + align::<F>(HEADER_BYTES as u32);
        let body_at = record_at + align::<F>(record_len);
        let next = body_at
            .checked_add(align::<F>(body_len))
            .filter(|&n| n <= self.region.len())
            .ok_or(CatalogError::BadEntry { offset: entry })?;
        let record = &mut buf[..record_len as usize];
        self.read(record_at, record)?;
        self.offset = next;
        let module = ModuleAt {
            offset: body_at,
            len: body_len,
            entry,
        };
        Ok(Some((magic, record, module)))
    }

    fn read(&self, at: u32, out: &mut [u8]) -> Result<(), CatalogError> {
        read_at(&self.region, at, out)
    }
}

/// Reads the module at `at` of the catalog in `region` and checks its hash
/// (see [`CatalogReader::read_module`]).
///
/// # Errors
///
/// [`CatalogError::HashMismatch`] or a flash error.
pub fn read_module<F: NorFlash>(
    region: &Region<'_, F>,
    at: ModuleAt,
    sha256: &[u8; 32],
) -> Result<Vec<u8>, CatalogError> {
    let mut wasm = alloc::vec![0u8; at.len as usize];
    read_at(region, at.offset, &mut wasm)?;
    if Sha256::digest(&wasm).as_slice() != sha256 {
        return Err(CatalogError::HashMismatch { offset: at.entry });
    }
    Ok(wasm)
}

/// Reads any length at a word-aligned offset, whatever the flash's read size.
fn read_at<F: NorFlash>(
    region: &Region<'_, F>,
    at: u32,
    out: &mut [u8],
) -> Result<(), CatalogError> {
    let r = F::READ_SIZE.max(1);
    let whole = out.len() / r * r;
    if whole > 0 {
        region.read_blocking(at, &mut out[..whole])?;
    }
    let tail = out.len() - whole;
    if tail > 0 {
        let mut last = [0u8; MAX_WORD];
        region.read_blocking(at + whole as u32, &mut last[..r])?;
        out[whole..].copy_from_slice(&last[..tail]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use core::cell::RefCell;

    use super::*;
    use crate::record::{Broker, Name, Route};
    use crate::testing::RamFlash;

    fn record(name: &str) -> FunctionRecord {
        FunctionRecord {
            name: Name::try_from(name).unwrap(),
            route: Some(Route::try_from("/x").unwrap()),
            topics: heapless::Vec::new(),
            timers: heapless::Vec::new(),
            manifest: jinn_core::Manifest::default(),
            wasm_len: 0,
            wasm_sha256: [0; 32],
        }
    }

    #[test]
    fn written_catalog_reads_back() {
        let flash = RefCell::new(RamFlash::new(64 * 1024));
        let settings = DeviceSettings {
            broker: Some(Broker {
                ip: [10, 42, 0, 1],
                port: 1883,
            }),
            client_id: heapless::String::try_from("dev-1").unwrap(),
            keep_alive_secs: 0,
            signature_policy: jinn_core::Policy::Strict,
            trusted_keys: heapless::Vec::from_slice(&[[9; 32]]).unwrap(),
        };
        let mut w = CatalogWriter::create(Region::new(&flash, 0, 32 * 1024), &settings).unwrap();
        let a: Vec<u8> = (0..1001u32).map(|i| i as u8).collect();
        let b = b"\0asm tiny".to_vec();
        w.add(&record("a"), &a).unwrap();
        w.add(&record("b"), &b).unwrap();

        let (mut r, read_settings) =
            CatalogReader::open(Region::new(&flash, 0, 32 * 1024)).unwrap();
        assert_eq!(read_settings, settings);
        let (ra, at) = r.next_function().unwrap().unwrap();
        assert_eq!((ra.name.as_str(), ra.wasm_len), ("a", 1001));
        assert_eq!(r.read_module(at, &ra.wasm_sha256).unwrap(), a);
        let (rb, at) = r.next_function().unwrap().unwrap();
        assert_eq!(r.read_module(at, &rb.wasm_sha256).unwrap(), b);
        assert!(r.next_function().unwrap().is_none());
    }

    #[test]
    fn erased_flash_is_an_empty_catalog() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let err = CatalogReader::open(Region::new(&flash, 0, 16 * 1024)).err();
        assert_eq!(err, Some(CatalogError::Empty));
    }

    #[test]
    fn corrupted_module_fails_its_hash() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let mut w = CatalogWriter::create(
            Region::new(&flash, 0, 16 * 1024),
            &DeviceSettings::default(),
        )
        .unwrap();
        w.add(&record("a"), &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let (mut r, _) = CatalogReader::open(Region::new(&flash, 0, 16 * 1024)).unwrap();
        let (rec, at) = r.next_function().unwrap().unwrap();
        flash.borrow_mut().bytes[at.offset as usize] = 0;
        assert_eq!(
            r.read_module(at, &rec.wasm_sha256),
            Err(CatalogError::HashMismatch { offset: at.entry })
        );
    }

    #[test]
    fn full_catalog_is_refused() {
        let flash = RefCell::new(RamFlash::new(8 * 1024));
        let mut w =
            CatalogWriter::create(Region::new(&flash, 0, 8 * 1024), &DeviceSettings::default())
                .unwrap();
        assert_eq!(w.add(&record("big"), &[0u8; 9000]), Err(CatalogError::Full));
    }
}
