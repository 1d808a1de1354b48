//! The five ports of `jinn-core` on a device: embassy-time clocks, the
//! seeded generator, the flash KV map, the room in the flash outbox and the
//! log shim.

use alloc::vec::Vec;

use embassy_time::Instant;
use embedded_storage::nor_flash::NorFlash;
use jinn_core::{Clock, Entropy, GuestLog, KvError, KvStore, LogLevel, Publisher};

use crate::record::Name;
use crate::storage::Storage;

/// What a guest's host calls reach on a device.
pub struct DeviceHost<F: NorFlash + 'static> {
    storage: &'static Storage<'static, F>,
    function: Name,
}

impl<F: NorFlash + 'static> DeviceHost<F> {
    pub(crate) fn new(storage: &'static Storage<'static, F>, function: &Name) -> Self {
        Self {
            storage,
            function: function.clone(),
        }
    }
}

fn now_ns() -> u64 {
    Instant::now().as_micros().saturating_mul(1000)
}

impl<F: NorFlash + 'static> Clock for DeviceHost<F> {
    fn wall_clock_ns(&mut self) -> u64 {
        self.storage.unix_ns_at_boot.saturating_add(now_ns())
    }

    fn monotonic_ns(&mut self) -> u64 {
        now_ns()
    }
}

impl<F: NorFlash + 'static> Entropy for DeviceHost<F> {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        self.storage.random(buf);
    }
}

impl<F: NorFlash + 'static> KvStore for DeviceHost<F> {
    fn kv_get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        self.storage.kv.borrow_mut().get(key, value)
    }
}

impl<F: NorFlash + 'static> Publisher for DeviceHost<F> {
    fn outbox_room(&mut self) -> usize {
        self.storage.outbox.borrow().free() as usize
    }
}

impl<F: NorFlash + 'static> GuestLog for DeviceHost<F> {
    fn guest_log(&mut self, level: LogLevel, message: &str) {
        let name = self.function.as_str();
        match level {
            LogLevel::Debug => debug!("{}: {}", name, message),
            LogLevel::Info => info!("{}: {}", name, message),
            LogLevel::Warn => warn!("{}: {}", name, message),
            LogLevel::Error => error!("{}: {}", name, message),
        }
    }
}
