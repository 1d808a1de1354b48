//! MQTT 5 request/response on the device: when a message names a response
//! topic, each call's reply — jinn-core's [`MqttReply`], defined once with
//! the gateway — goes to the flash outbox before the message is
//! acknowledged, and leaves it as any message does, with its properties.
//!
//! Device limits: the reply's properties share the payload's room in an
//! outbox slot ([`PAYLOAD_BYTES`]), and it carries at most
//! [`USER_PROPERTIES`] user properties (`status` first): those that do not
//! fit are left out, last first. A body that cannot fit with `status` and
//! the correlation data is answered as an `output_too_large` error (502).

use alloc::vec::Vec;

use embedded_storage::nor_flash::NorFlash;
use jinn_core::error::Stream;
use jinn_core::{InvokeError, MqttReply, Request, Response};
use serde::{Deserialize, Serialize};

use super::session::USER_PROPERTIES;
use crate::config::PAYLOAD_BYTES;
use crate::device::Jinn;

/// A reply's MQTT 5 properties as the outbox keeps them (postcard).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyProperties<'a> {
    /// The request's correlation data.
    #[serde(borrow)]
    pub correlation_data: Option<&'a [u8]>,
    /// MQTT 5 content type.
    #[serde(borrow)]
    pub content_type: Option<&'a str>,
    /// `status`, then the response's headers.
    #[serde(borrow)]
    pub user_properties: heapless::Vec<(&'a str, &'a str), USER_PROPERTIES>,
}

/// The properties of `reply` that fit beside its payload in an outbox
/// slot, encoded; `None` when not even `status` fits.
pub(crate) fn encode(reply: &MqttReply) -> Option<Vec<u8>> {
    let room = PAYLOAD_BYTES.checked_sub(reply.payload.len())?;
    let mut buffer = alloc::vec![0u8; room];
    let mut count = reply.user_properties.len().min(USER_PROPERTIES);
    loop {
        let properties = ReplyProperties {
            correlation_data: reply.correlation_data.as_deref(),
            content_type: reply.content_type.as_deref(),
            user_properties: reply.user_properties[..count]
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect(),
        };
        if let Ok(used) = postcard::to_slice(&properties, &mut buffer).map(|b| b.len()) {
            buffer.truncate(used);
            return Some(buffer);
        }
        if count <= 1 {
            return None;
        }
        count -= 1;
    }
}

impl<F: NorFlash + 'static> Jinn<F> {
    /// Stores the reply to `request` (when it names a response topic) of a
    /// call that ended with `result` in the outbox, and wakes the MQTT task.
    pub(crate) fn store_reply(&self, request: &Request, result: Result<Response, InvokeError>) {
        let Some(mut reply) = MqttReply::to(request, result) else {
            return;
        };
        let properties = match encode(&reply) {
            Some(properties) => properties,
            None => {
                let too_large = InvokeError::OutputTooLarge {
                    stream: Stream::Stdout,
                    limit: PAYLOAD_BYTES as u64,
                };
                let Some(properties) = MqttReply::to(request, Err(too_large)).and_then(|r| {
                    let encoded = encode(&r);
                    reply = r;
                    encoded
                }) else {
                    error!(
                        "mqtt: reply to {}: correlation data too large, dropped",
                        reply.topic.as_str()
                    );
                    return;
                };
                warn!(
                    "mqtt: reply to {}: body over {} bytes, answered output_too_large",
                    reply.topic.as_str(),
                    PAYLOAD_BYTES
                );
                properties
            }
        };
        let stored = self.storage.outbox.borrow_mut().push_reply(
            &reply.topic,
            &properties,
            &reply.payload,
            reply.qos,
        );
        match stored {
            Ok(seq) => {
                trace!("outbox: reply {} to {}", seq, reply.topic.as_str());
                self.outbox_ready.signal(());
            }
            Err(e) => error!("outbox: reply to {} lost: {}", reply.topic.as_str(), e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use jinn_core::Qos;

    fn reply(payload: usize, properties: usize) -> MqttReply {
        MqttReply {
            topic: "replies/1".into(),
            qos: Qos::AtLeastOnce,
            payload: alloc::vec![b'x'; payload],
            content_type: Some("text/plain".into()),
            correlation_data: Some(alloc::vec![1, 2, 3]),
            user_properties: (0..properties)
                .map(|i| (alloc::format!("X-H{i}"), "v".repeat(40)))
                .chain(core::iter::once(("late".to_string(), "1".to_string())))
                .collect(),
        }
    }

    #[test]
    fn properties_round_trip_and_are_capped() {
        let r = reply(10, 20);
        let encoded = encode(&r).unwrap();
        let back: ReplyProperties<'_> = postcard::from_bytes(&encoded).unwrap();
        assert_eq!(back.correlation_data, Some(&[1u8, 2, 3][..]));
        assert_eq!(back.content_type, Some("text/plain"));
        assert_eq!(back.user_properties.len(), USER_PROPERTIES);
        assert_eq!(back.user_properties[0].0, "X-H0");
    }

    #[test]
    fn properties_make_room_for_the_body() {
        // 8 properties of ~45 bytes do not fit beside 800 bytes of body.
        let r = reply(800, 20);
        let encoded = encode(&r).unwrap();
        assert!(encoded.len() + 800 <= PAYLOAD_BYTES);
        let back: ReplyProperties<'_> = postcard::from_bytes(&encoded).unwrap();
        assert!(back.user_properties.len() < USER_PROPERTIES);
        assert!(!back.user_properties.is_empty());
        // A body that fills the slot leaves no room even for `status`.
        assert_eq!(encode(&reply(PAYLOAD_BYTES, 1)), None);
        assert_eq!(encode(&reply(PAYLOAD_BYTES + 1, 1)), None);
    }
}
