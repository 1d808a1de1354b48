//! The device's durable state and the per-call scratch the host uses.

use core::cell::RefCell;

use embedded_storage::nor_flash::NorFlash;

use crate::entropy::Entropy;
use crate::kv::KvStore;
use crate::outbox::Outbox;
use crate::staging::Staging;

/// KV map, outbox, staged messages and the random generator. Every field
/// is borrowed only inside synchronous sections, never across an `.await`.
pub struct Storage<'a, F: NorFlash> {
    pub(crate) kv: RefCell<KvStore<'a, F>>,
    pub(crate) outbox: RefCell<Outbox<'a, F>>,
    pub(crate) staging: RefCell<Staging>,
    pub(crate) entropy: RefCell<Entropy>,
    pub(crate) unix_ns_at_boot: u64,
}

impl<F: NorFlash> Storage<'_, F> {
    /// Moves the staged messages of the call that just ended into the
    /// outbox; returns how many were committed.
    pub(crate) fn commit_staged(&self) -> usize {
        let mut staging = self.staging.borrow_mut();
        let mut outbox = self.outbox.borrow_mut();
        let mut committed = 0;
        for (topic, payload, qos) in staging.iter() {
            match outbox.push(topic, payload, qos) {
                Ok(seq) => {
                    trace!("outbox: message {} to {}", seq, topic);
                    committed += 1;
                }
                Err(e) => error!("outbox: message to {} lost: {}", topic, e),
            }
        }
        staging.clear();
        committed
    }

    /// Random bytes.
    pub(crate) fn random(&self, buf: &mut [u8]) {
        self.entropy.borrow_mut().fill(buf);
    }
}
