//! The KV host API on flash: a sequential-storage map from key strings to bytes.
//!
//! A call's writes are staged by the core and written here when it has
//! succeeded (`Storage::commit`), before its answer or acknowledgement.

use alloc::vec::Vec;

use embedded_storage::nor_flash::NorFlash;
use jinn_core::KvError;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{Key, MapConfig, MapStorage, SerializationError};

use crate::config::{KV_KEY_BYTES, KV_VALUE_BYTES};
use crate::flash::{Region, complete};

/// A key as stored: one length byte, then the UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvKey(pub(crate) heapless::String<KV_KEY_BYTES>);

impl KvKey {
    /// `None` when the key is longer than [`KV_KEY_BYTES`].
    pub fn new(key: &str) -> Option<Self> {
        heapless::String::try_from(key).ok().map(Self)
    }
}

impl Key for KvKey {
    fn serialize_into(&self, buffer: &mut [u8]) -> Result<usize, SerializationError> {
        let bytes = self.0.as_bytes();
        let out = buffer
            .get_mut(..1 + bytes.len())
            .ok_or(SerializationError::BufferTooSmall)?;
        out[0] = bytes.len() as u8;
        out[1..].copy_from_slice(bytes);
        Ok(1 + bytes.len())
    }

    fn deserialize_from(buffer: &[u8]) -> Result<(Self, usize), SerializationError> {
        let len = Self::get_len(buffer)?;
        let text =
            core::str::from_utf8(&buffer[1..len]).map_err(|_| SerializationError::InvalidFormat)?;
        let key =
            heapless::String::try_from(text).map_err(|_| SerializationError::InvalidFormat)?;
        Ok((Self(key), len))
    }

    fn get_len(buffer: &[u8]) -> Result<usize, SerializationError> {
        let len = 1 + *buffer.first().ok_or(SerializationError::BufferTooSmall)? as usize;
        if len > buffer.len() || len > 1 + KV_KEY_BYTES {
            return Err(SerializationError::InvalidFormat);
        }
        Ok(len)
    }
}

/// Bytes sequential-storage needs to hold one item, rounded up for 32-byte words.
const BUFFER_BYTES: usize = (1 + KV_KEY_BYTES + KV_VALUE_BYTES + 8).div_ceil(32) * 32;

#[repr(C, align(4))]
struct Buffer([u8; BUFFER_BYTES]);

/// The KV map.
pub struct KvStore<'a, F: NorFlash> {
    map: MapStorage<KvKey, Region<'a, F>, Cache<Uncached, Uncached, Uncached, KvKey>>,
    buffer: Buffer,
}

impl<'a, F: NorFlash> KvStore<'a, F> {
    /// A map over `region` (at least 2 erase pages).
    pub fn new(region: Region<'a, F>) -> Self {
        let len = region.len();
        Self {
            map: MapStorage::new(region, MapConfig::new(0..len), Cache::new_uncached()),
            buffer: Buffer([0; BUFFER_BYTES]),
        }
    }

    /// Looks `key` up; its value goes to `value`.
    ///
    /// # Errors
    ///
    /// [`KvError::Io`] when the flash fails or the map is corrupted.
    pub fn get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        let Some(key) = KvKey::new(key) else {
            return Ok(false);
        };
        let found = complete(self.map.fetch_item::<&[u8]>(&mut self.buffer.0, &key))
            .map_err(|_| KvError::Io)?;
        value.clear();
        match found {
            Some(bytes) => {
                value.extend_from_slice(bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Stores `value` at `key`.
    ///
    /// # Errors
    ///
    /// [`KvError::Full`] for a key or value over the device's caps or a full
    /// map, [`KvError::Io`] when the flash fails.
    pub fn set(&mut self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let key = KvKey::new(key).ok_or(KvError::Full)?;
        if value.len() > KV_VALUE_BYTES {
            return Err(KvError::Full);
        }
        complete(self.map.store_item(&mut self.buffer.0, &key, &value)).map_err(|e| match e {
            sequential_storage::Error::FullStorage | sequential_storage::Error::ItemTooBig => {
                KvError::Full
            }
            _ => KvError::Io,
        })
    }
}

#[cfg(test)]
mod tests {
    use core::cell::RefCell;

    use super::*;
    use crate::testing::RamFlash;

    #[test]
    fn values_persist_in_flash() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let mut out = Vec::new();
        {
            let mut kv = KvStore::new(Region::new(&flash, 0, 8192));
            assert_eq!(kv.get("counter/hits", &mut out), Ok(false));
            kv.set("counter/hits", b"1").unwrap();
            kv.set("counter/hits", b"2").unwrap();
            kv.set("other", b"x").unwrap();
        }
        // A fresh map over the same flash: what a reset sees.
        let mut kv = KvStore::new(Region::new(&flash, 0, 8192));
        assert_eq!(kv.get("counter/hits", &mut out), Ok(true));
        assert_eq!(out, b"2");
        assert_eq!(kv.get("other", &mut out), Ok(true));
        assert_eq!(out, b"x");
    }

    #[test]
    fn rewriting_one_key_many_times_reuses_pages() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let mut kv = KvStore::new(Region::new(&flash, 0, 8192));
        for i in 0..2000u32 {
            kv.set("n", &i.to_le_bytes()).unwrap();
        }
        let mut out = Vec::new();
        assert!(kv.get("n", &mut out).unwrap());
        assert_eq!(out, 1999u32.to_le_bytes());
    }

    #[test]
    fn oversized_keys_and_values_are_refused() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let mut kv = KvStore::new(Region::new(&flash, 0, 8192));
        let long_key = "k".repeat(KV_KEY_BYTES + 1);
        assert_eq!(kv.set(&long_key, b"v"), Err(KvError::Full));
        assert_eq!(kv.get(&long_key, &mut Vec::new()), Ok(false));
        assert_eq!(kv.set("k", &[0; KV_VALUE_BYTES + 1]), Err(KvError::Full));
    }
}
