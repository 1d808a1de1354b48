//! Where the catalog, the KV map and the outbox live in the flash.

use core::fmt;
use core::ops::Range;

use embedded_storage::nor_flash::NorFlash;

use crate::config::Layout;

/// The flash is too small or oddly shaped for the requested [`Layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LayoutError {
    /// The KV map or the outbox was given fewer than 2 pages.
    TooFewPages,
    /// Nothing is left for the catalog.
    NoRoomForCatalog,
    /// The flash's write size is larger than 32 bytes (sequential-storage's limit).
    WordTooLarge,
    /// The flash is larger than 4 GiB.
    TooLarge,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooFewPages => "the KV map and the outbox need at least 2 erase pages each",
            Self::NoRoomForCatalog => "no erase page left for the catalog",
            Self::WordTooLarge => "flash write size over 32 bytes",
            Self::TooLarge => "flash larger than 4 GiB",
        })
    }
}

impl core::error::Error for LayoutError {}

/// Byte ranges of the three areas, from the start of the flash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitions {
    /// Function records and modules.
    pub catalog: Range<u32>,
    /// The KV map (sequential-storage).
    pub kv: Range<u32>,
    /// The outbox (sequential-storage).
    pub outbox: Range<u32>,
}

impl Partitions {
    /// Splits a flash of `capacity` bytes: catalog first, KV, then outbox at the end.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] when the areas do not fit.
    pub fn new<F: NorFlash>(capacity: usize, layout: Layout) -> Result<Self, LayoutError> {
        if F::WRITE_SIZE > 32 {
            return Err(LayoutError::WordTooLarge);
        }
        if layout.kv_pages < 2 || layout.outbox_pages < 2 {
            return Err(LayoutError::TooFewPages);
        }
        let page = u32::try_from(F::ERASE_SIZE).map_err(|_| LayoutError::TooLarge)?;
        let pages = u32::try_from(capacity / F::ERASE_SIZE).map_err(|_| LayoutError::TooLarge)?;
        let data_pages = layout.kv_pages + layout.outbox_pages;
        if pages <= data_pages {
            return Err(LayoutError::NoRoomForCatalog);
        }
        let catalog_end = (pages - data_pages) * page;
        let kv_end = catalog_end + layout.kv_pages * page;
        Ok(Self {
            catalog: 0..catalog_end,
            kv: catalog_end..kv_end,
            outbox: kv_end..kv_end + layout.outbox_pages * page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RamFlash;

    #[test]
    fn areas_tile_the_flash() {
        let p = Partitions::new::<RamFlash>(64 * 1024, Layout::const_default()).unwrap();
        assert_eq!(p.catalog, 0..48 * 1024);
        assert_eq!(p.kv, 48 * 1024..56 * 1024);
        assert_eq!(p.outbox, 56 * 1024..64 * 1024);
    }

    #[test]
    fn too_small_flash_is_refused() {
        assert_eq!(
            Partitions::new::<RamFlash>(16 * 1024, Layout::const_default()),
            Err(LayoutError::NoRoomForCatalog)
        );
        let bad = Layout {
            kv_pages: 1,
            outbox_pages: 2,
        };
        assert_eq!(
            Partitions::new::<RamFlash>(64 * 1024, bad),
            Err(LayoutError::TooFewPages)
        );
    }
}
