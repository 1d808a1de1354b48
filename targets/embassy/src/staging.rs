//! Messages a call published, held in RAM until the call ends.
//!
//! As on the gateway, a call's messages reach the outbox together after
//! the call, whatever its outcome (a publish the guest saw accepted stays
//! accepted), and before the trigger is answered or acknowledged.

use jinn_core::{PublishError, Qos};

use crate::config::{STAGED_BYTES, STAGED_MESSAGES};

#[derive(Debug, Clone, Copy)]
struct Entry {
    qos: Qos,
    topic_len: u16,
    payload_len: u16,
}

/// The staged messages of the running call.
pub struct Staging {
    bytes: heapless::Vec<u8, STAGED_BYTES>,
    entries: heapless::Vec<Entry, STAGED_MESSAGES>,
}

impl Default for Staging {
    fn default() -> Self {
        Self::new()
    }
}

impl Staging {
    /// Empty.
    pub const fn new() -> Self {
        Self {
            bytes: heapless::Vec::new(),
            entries: heapless::Vec::new(),
        }
    }

    /// Messages staged.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Stages one message.
    ///
    /// # Errors
    ///
    /// [`PublishError::QueueFull`] when the staging area is full.
    pub fn push(&mut self, topic: &str, payload: &[u8], qos: Qos) -> Result<(), PublishError> {
        let need = topic.len() + payload.len();
        if self.entries.is_full() || self.bytes.capacity() - self.bytes.len() < need {
            return Err(PublishError::QueueFull);
        }
        let entry = Entry {
            qos,
            topic_len: topic.len() as u16,
            payload_len: payload.len() as u16,
        };
        // Both fit: checked above.
        let _ = self.bytes.extend_from_slice(topic.as_bytes());
        let _ = self.bytes.extend_from_slice(payload);
        let _ = self.entries.push(entry);
        Ok(())
    }

    /// The staged messages in order: `(topic, payload, qos)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8], Qos)> {
        let mut at = 0;
        self.entries.iter().map(move |e| {
            let topic_end = at + e.topic_len as usize;
            let end = topic_end + e.payload_len as usize;
            let topic = core::str::from_utf8(&self.bytes[at..topic_end]).unwrap_or("");
            let payload = &self.bytes[topic_end..end];
            at = end;
            (topic, payload, e.qos)
        })
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_bounds() {
        let mut s = Staging::new();
        s.push("a/1", b"x", Qos::AtLeastOnce).unwrap();
        s.push("b", b"yy", Qos::AtMostOnce).unwrap();
        let all: std::vec::Vec<_> = s.iter().collect();
        assert_eq!(
            all,
            [
                ("a/1", &b"x"[..], Qos::AtLeastOnce),
                ("b", &b"yy"[..], Qos::AtMostOnce)
            ]
        );
        assert_eq!(
            s.push("c", &[0; STAGED_BYTES], Qos::AtMostOnce),
            Err(PublishError::QueueFull)
        );
        s.clear();
        assert_eq!(s.len(), 0);
        for _ in 0..STAGED_MESSAGES {
            s.push("t", b"", Qos::AtMostOnce).unwrap();
        }
        assert_eq!(
            s.push("t", b"", Qos::AtMostOnce),
            Err(PublishError::QueueFull)
        );
    }
}
