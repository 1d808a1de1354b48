//! The messages that arrived on a connection and wait for its trigger path.
//!
//! The connection task never waits for the trigger path: while it waits,
//! its event loop is not polled, so the broker's answer to a keep-alive
//! ping stays unread behind the messages and the client drops the
//! connection ("Last pingreq isn't acked") — and every QoS 1 message
//! handled and not yet acknowledged comes again, a duplicate. The queue
//! is therefore not bounded by waiting but by what it holds: a broker
//! should send at most the gateway's Receive Maximum of unacknowledged
//! QoS 1 messages, yet with mosquitto 2.0.11 more than a thousand were seen
//! waiting here. Past [`MAX_MESSAGES`] or
//! [`MAX_BYTES`] the connection is dropped (the broker sends what was not
//! acknowledged again); QoS 0 messages are dropped once [`QOS0_BEHIND`]
//! wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rumqttc::v5::mqttbytes::QoS;
use tokio::sync::mpsc;

use super::connection::Arrived;

/// QoS 0 messages are dropped while this many messages wait.
pub const QOS0_BEHIND: usize = 1024;
/// Messages waiting, at most.
pub const MAX_MESSAGES: usize = 100_000;
/// Bytes (topics and payloads) waiting, at most.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct Held {
    messages: AtomicUsize,
    bytes: AtomicUsize,
}

/// The connection's end.
pub struct Sender {
    tx: mpsc::UnboundedSender<Arrived>,
    held: Arc<Held>,
}

/// The trigger path's end.
pub struct Receiver {
    rx: mpsc::UnboundedReceiver<Arrived>,
    held: Arc<Held>,
}

/// A message was not queued.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// A QoS 0 message while the trigger path is [`QOS0_BEHIND`] behind.
    #[error("a QoS 0 message dropped: {0} messages wait for the functions")]
    Qos0Dropped(usize),
    /// The queue holds its most: drop the connection.
    #[error(
        "the broker sent more than the gateway holds unacknowledged ({messages} messages, {bytes} bytes wait for the functions)"
    )]
    Full {
        /// Messages waiting.
        messages: usize,
        /// Their bytes.
        bytes: usize,
    },
    /// The trigger path is gone (shutting down).
    #[error("shutting down")]
    Closed,
}

/// A queue of arrived messages.
pub fn queue() -> (Sender, Receiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let held = Arc::new(Held::default());
    (
        Sender {
            tx,
            held: held.clone(),
        },
        Receiver { rx, held },
    )
}

fn size(a: &Arrived) -> usize {
    a.publish.topic.len() + a.publish.payload.len()
}

impl Sender {
    /// Queues `message` without waiting.
    ///
    /// # Errors
    ///
    /// [`PushError`].
    pub fn push(&self, message: Arrived) -> Result<(), PushError> {
        let messages = self.held.messages.load(Ordering::Relaxed);
        let bytes = self.held.bytes.load(Ordering::Relaxed);
        if message.publish.qos == QoS::AtMostOnce {
            if messages >= QOS0_BEHIND {
                return Err(PushError::Qos0Dropped(messages));
            }
        } else if messages >= MAX_MESSAGES || bytes >= MAX_BYTES {
            return Err(PushError::Full { messages, bytes });
        }
        let n = size(&message);
        self.held.messages.fetch_add(1, Ordering::Relaxed);
        self.held.bytes.fetch_add(n, Ordering::Relaxed);
        self.tx.send(message).map_err(|_| PushError::Closed)
    }
}

impl Receiver {
    /// The next message (cancel-safe); `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<Arrived> {
        let message = self.rx.recv().await?;
        self.held.messages.fetch_sub(1, Ordering::Relaxed);
        self.held.bytes.fetch_sub(size(&message), Ordering::Relaxed);
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::Publish;

    fn arrived(qos: QoS) -> Arrived {
        Arrived {
            epoch: 1,
            publish: Publish::new("t", qos, "xy", None),
        }
    }

    #[tokio::test]
    async fn the_sender_never_waits_and_qos0_gives_way_first() {
        let (tx, mut rx) = queue();
        for _ in 0..QOS0_BEHIND {
            tx.push(arrived(QoS::AtLeastOnce)).unwrap();
        }
        assert_eq!(
            tx.push(arrived(QoS::AtMostOnce)),
            Err(PushError::Qos0Dropped(QOS0_BEHIND))
        );
        tx.push(arrived(QoS::AtLeastOnce)).unwrap();
        assert_eq!(rx.recv().await.unwrap().publish.payload, "xy");
        assert_eq!(rx.held.messages.load(Ordering::Relaxed), QOS0_BEHIND);
        assert_eq!(rx.held.bytes.load(Ordering::Relaxed), QOS0_BEHIND * 3);
        tx.held.messages.store(MAX_MESSAGES, Ordering::Relaxed);
        assert!(matches!(
            tx.push(arrived(QoS::AtLeastOnce)),
            Err(PushError::Full { .. })
        ));
        drop(rx);
        tx.held.messages.store(0, Ordering::Relaxed);
        assert_eq!(tx.push(arrived(QoS::AtLeastOnce)), Err(PushError::Closed));
    }
}
