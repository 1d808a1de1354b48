//! The device's durable state: KV map, outbox, random generator.

use core::cell::RefCell;

use embedded_storage::nor_flash::NorFlash;
use jinn_core::Staged;

use crate::entropy::Entropy;
use crate::kv::KvStore;
use crate::outbox::Outbox;

/// KV map, outbox and the random generator. Every field
/// is borrowed only inside synchronous sections, never across an `.await`.
pub struct Storage<'a, F: NorFlash> {
    pub(crate) kv: RefCell<KvStore<'a, F>>,
    pub(crate) outbox: RefCell<Outbox<'a, F>>,
    pub(crate) entropy: RefCell<Entropy>,
    pub(crate) unix_ns_at_boot: u64,
}

impl<F: NorFlash> Storage<'_, F> {
    /// Commits what a call staged (only a call that succeeded stages
    /// anything): its KV writes to the flash map, then its messages to the
    /// flash outbox; returns how many messages were committed. One guest
    /// runs at a time, so nothing changed what the call read and its reads
    /// need no check (`jinn_core::staged`). Each write and message is its
    /// own flash record: a reset half-way through keeps a prefix of them.
    pub(crate) fn commit(&self, staged: &Staged) -> usize {
        let mut kv = self.kv.borrow_mut();
        for (key, value) in &staged.writes {
            if let Err(e) = kv.set(key, value) {
                error!("kv: write of {} lost: {}", key.as_str(), e);
            }
        }
        drop(kv);
        let mut outbox = self.outbox.borrow_mut();
        let mut committed = 0;
        for message in &staged.published {
            let topic = message.topic.as_str();
            match outbox.push(topic, &message.payload, message.qos) {
                Ok(seq) => {
                    trace!("outbox: message {} to {}", seq, topic);
                    committed += 1;
                }
                Err(e) => error!("outbox: message to {} lost: {}", topic, e),
            }
        }
        committed
    }

    /// Random bytes.
    pub(crate) fn random(&self, buf: &mut [u8]) {
        self.entropy.borrow_mut().fill(buf);
    }
}
