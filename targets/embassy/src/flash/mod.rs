//! The flash Jinn is given, split into the catalog, the KV map and the outbox.

mod layout;
mod region;

pub use layout::{LayoutError, Partitions};
pub use region::{FlashErrorKind, Region, RegionError};

/// Runs a flash future that never waits (every [`Region`] operation is
/// blocking underneath) from synchronous code, such as a guest's host call.
pub(crate) fn complete<T>(future: impl core::future::Future<Output = T>) -> T {
    embassy_futures::block_on(future)
}
