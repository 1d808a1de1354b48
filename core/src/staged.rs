//! What a call leaves for its target to make durable: its KV writes and the
//! messages it published, and what it read, to validate them against.
//!
//! Nothing a guest does through `host_kv_set` or `jinn.publish` reaches the
//! target while it runs: writes and messages are staged in the call
//! (bounded by the function's limits and by the room the target's outbox
//! reports), and reads are recorded — the key and a digest of the value
//! seen, or that it was missing. A call reads its own staged writes. When
//! the call succeeds, [`Outcome::staged`](crate::Outcome::staged) holds it
//! all and the target commits it as **one transaction**: it checks
//! [`Staged::reads_hold`] against the store as it is at commit time and, if
//! every read still holds, applies the writes and appends the messages
//! together; if a read no longer holds, another call changed what this one
//! saw and the target runs it again in a fresh sandbox. Committed calls are
//! therefore serializable: each behaves as if it ran alone at the moment it
//! committed. A call that fails (trap, fuel, timeout, bad output…) leaves
//! nothing: its `staged` is empty.
//!
//! Every target shares these rules. A target that runs one guest at a time
//! (a microcontroller) has no concurrent call to conflict with, so its
//! reads always hold and it simply applies the writes and messages.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest as _, Sha256};

use crate::ports::Qos;

/// One published message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Topic name (valid, permitted, within `topic_bytes`).
    pub topic: String,
    /// Payload (within `publish_bytes`).
    pub payload: Vec<u8>,
    /// Quality of service the guest asked for.
    pub qos: Qos,
}

/// What a read saw: the SHA-256 of the value, or `None` when the key was missing.
pub type ValueDigest = Option<[u8; 32]>;

/// The digest of a value as [`Staged::reads`] records it.
pub fn digest(value: Option<&[u8]>) -> ValueDigest {
    value.map(|v| Sha256::digest(v).into())
}

/// Bytes a recorded read counts against `kv_transaction_bytes`: its key and digest.
pub(crate) const READ_OVERHEAD: usize = 32;

/// What a call staged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staged {
    /// Messages published, in the order the guest published them.
    pub published: Vec<Message>,
    /// KV writes, the last value written to each key.
    pub writes: BTreeMap<String, Vec<u8>>,
    /// KV reads that reached the store: each key's first read.
    pub reads: BTreeMap<String, ValueDigest>,
}

impl Staged {
    /// Nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.published.is_empty() && self.writes.is_empty()
    }

    /// Bytes of topics and payloads staged.
    pub fn published_bytes(&self) -> usize {
        self.published
            .iter()
            .map(|m| m.topic.len() + m.payload.len())
            .sum()
    }

    /// Bytes the transaction holds: keys and values written, keys read
    /// plus [`READ_OVERHEAD`] each (what `kv_transaction_bytes` bounds).
    pub fn transaction_bytes(&self) -> usize {
        let writes: usize = self.writes.iter().map(|(k, v)| k.len() + v.len()).sum();
        let reads: usize = self.reads.keys().map(|k| k.len() + READ_OVERHEAD).sum();
        writes + reads
    }

    /// Whether every recorded read still sees what it saw, `current` giving
    /// the value a key holds now (into the buffer; `Ok(false)`: missing).
    ///
    /// # Errors
    ///
    /// The first error of `current`.
    pub fn reads_hold<E>(
        &self,
        mut current: impl FnMut(&str, &mut Vec<u8>) -> Result<bool, E>,
    ) -> Result<bool, E> {
        let mut value = Vec::new();
        for (key, seen) in &self.reads {
            let found = current(key, &mut value)?;
            if digest(found.then_some(value.as_slice())) != *seen {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hold_until_a_value_changes() {
        let mut store: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        store.insert("a".into(), b"1".to_vec());
        let mut staged = Staged::default();
        staged.reads.insert("a".into(), digest(Some(b"1")));
        staged.reads.insert("b".into(), digest(None));
        let current = |store: &BTreeMap<String, Vec<u8>>| {
            let store = store.clone();
            move |k: &str, v: &mut Vec<u8>| -> Result<bool, ()> {
                v.clear();
                Ok(store.get(k).map(|x| v.extend_from_slice(x)).is_some())
            }
        };
        assert_eq!(staged.reads_hold(current(&store)), Ok(true));
        store.insert("b".into(), Vec::new());
        assert_eq!(staged.reads_hold(current(&store)), Ok(false), "created");
        store.remove("b");
        store.insert("a".into(), b"2".to_vec());
        assert_eq!(staged.reads_hold(current(&store)), Ok(false), "changed");
        assert_ne!(digest(Some(b"")), digest(None), "empty is not missing");
    }
}
