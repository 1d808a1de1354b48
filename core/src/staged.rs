//! What a call leaves for its target to make durable: the messages it
//! published.
//!
//! A guest's `jinn.publish` does not reach the target: the message is
//! staged in the call (bounded by the function's `publishes`,
//! `publish_bytes` and `topic_bytes` and by the room the target's outbox
//! reports) and handed over in [`Outcome::staged`](crate::Outcome::staged)
//! when the call ends, whatever its outcome (a publish the guest saw
//! accepted stays accepted). The target commits the whole list to its
//! outbox in one step before it answers or acknowledges the trigger. Every
//! target therefore has the same staging rules, and a later change can stage
//! the call's KV writes here too, so that they and the outbox entries commit
//! together.

use alloc::string::String;
use alloc::vec::Vec;

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

/// What a call staged, in the order the guest did it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staged {
    /// Messages published.
    pub published: Vec<Message>,
}

impl Staged {
    /// Nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.published.is_empty()
    }

    /// Bytes of topics and payloads staged.
    pub fn published_bytes(&self) -> usize {
        self.published
            .iter()
            .map(|m| m.topic.len() + m.payload.len())
            .sum()
    }
}
