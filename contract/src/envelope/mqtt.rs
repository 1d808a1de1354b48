//! An MQTT message → the envelope.
//!
//! ```json
//! {"method": "MQTT", "uri": "sensors/t1",
//!  "headers": {"X-Mqtt-Topic": ["sensors/t1"], "X-Mqtt-Qos": ["1"], "X-Mqtt-Retain": ["false"],
//!              "X-Mqtt-Message-Id": ["5d41402abc4b2a76b9719d911017c592"],
//!              "Content-Type": ["application/json"], "X-Mqtt-Response-Topic": ["replies/t1"],
//!              "X-Mqtt-Correlation-Data": ["AQI="], "X-Mqtt-User-Site": ["north"]},
//!  "body": "{\"value\":42.5}", "trace_id": "…"}
//! ```
//!
//! * `X-Mqtt-Topic`, `X-Mqtt-Qos` (the QoS the message was delivered with,
//!   `0`–`2`), `X-Mqtt-Retain` (`true`/`false`) and `X-Mqtt-Message-Id` are
//!   always there.
//! * The MQTT 5 properties when the message has them: the content type as
//!   `Content-Type`, `X-Mqtt-Response-Topic`, the correlation data (binary)
//!   in standard base64 as `X-Mqtt-Correlation-Data`, and each user property
//!   `name: value` as `X-Mqtt-User-<name>` (the name as sent; a repeated
//!   name gives several values, in order).
//! * The payload is the body (base64 with `body_encoding` when not UTF-8).
//! * The trace id is the trace-id of a `traceparent` user property (W3C
//!   Trace Context over MQTT), else random.
//!
//! ## The message id
//!
//! MQTT delivers QoS 1 and 2 messages at least once: a broker sends a
//! message again when the subscriber's session resumes without having
//! acknowledged it (after a reset, a lost connection, a killed process), and
//! the function runs again. `X-Mqtt-Message-Id` lets it notice: it is the
//! first 16 bytes, in hex, of a SHA-256 over the topic, the **packet
//! identifier**, the payload, the content type, the response topic, the
//! correlation data and the user properties. MQTT requires a redelivery in
//! the same session to carry the original packet identifier, so the id is
//! the same. QoS, retain and duplicate flags are left out: they may differ
//! between deliveries of one message.
//!
//! Where it breaks:
//!
//! * QoS 0 messages have no packet identifier and are never redelivered:
//!   their id is random.
//! * A redelivery in *another* session has another packet identifier, and so
//!   another id: after the session expired or was started clean, or when a
//!   broker hands the message of a member of a shared subscription
//!   (`$share/…`) to another member.
//! * Brokers reuse packet identifiers once acknowledged: two *distinct*
//!   messages with the same topic, payload and properties that happen to be
//!   given the same packet identifier get the same id (with brokers that
//!   count identifiers up, as mosquitto does, that takes 65,535 messages
//!   in between to the same subscriber).
//! * A publisher that sends its message twice (its own retry) sends two
//!   messages: they have different packet identifiers towards the
//!   subscriber. An end-to-end id is the publisher's business (a user
//!   property, which the function sees).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{digest_id, set};
use crate::abi::Qos;
use crate::body::base64_encode;
use crate::headers::Headers;
use crate::request::Request;
use crate::trace;

/// The method of an MQTT envelope.
pub const METHOD: &str = "MQTT";
/// The prefix of the headers that carry user properties.
pub const USER_PROPERTY_PREFIX: &str = "X-Mqtt-User-";

/// A received MQTT message, as the target's client decoded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MqttMessage<'a> {
    /// The topic it was published to.
    pub topic: &'a str,
    /// The payload.
    pub payload: &'a [u8],
    /// The QoS it was delivered with.
    pub qos: Qos,
    /// The retain flag as delivered.
    pub retain: bool,
    /// The packet identifier (QoS 1 and 2).
    pub packet_id: Option<u16>,
    /// MQTT 5 content type.
    pub content_type: Option<&'a str>,
    /// MQTT 5 response topic.
    pub response_topic: Option<&'a str>,
    /// MQTT 5 correlation data.
    pub correlation_data: Option<&'a [u8]>,
    /// MQTT 5 user properties, in order.
    pub user_properties: &'a [(&'a str, &'a str)],
}

impl<'a> MqttMessage<'a> {
    /// A message with no MQTT 5 properties.
    pub const fn new(topic: &'a str, payload: &'a [u8], qos: Qos, packet_id: Option<u16>) -> Self {
        Self {
            topic,
            payload,
            qos,
            retain: false,
            packet_id,
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: &[],
        }
    }

    /// The message id (see the module documentation); `random` is used for
    /// QoS 0 messages only.
    pub fn message_id(&self, random: impl FnOnce(&mut [u8])) -> String {
        let Some(packet_id) = self.packet_id.filter(|_| self.qos != Qos::AtMostOnce) else {
            let mut id = [0u8; 16];
            random(&mut id);
            return trace::hex(&id);
        };
        let packet_id = packet_id.to_be_bytes();
        let mut parts: Vec<&[u8]> = alloc::vec![
            b"jinn-mqtt-message-id-1",
            self.topic.as_bytes(),
            &packet_id,
            self.payload,
            self.content_type.unwrap_or("").as_bytes(),
            self.response_topic.unwrap_or("").as_bytes(),
            self.correlation_data.unwrap_or(&[]),
        ];
        for (name, value) in self.user_properties {
            parts.push(name.as_bytes());
            parts.push(value.as_bytes());
        }
        digest_id(&parts)
    }

    /// The envelope. `random` gives the bytes of a random trace id (and of
    /// a QoS 0 message's id).
    pub fn envelope(&self, mut random: impl FnMut(&mut [u8])) -> Request {
        let mut headers = Headers::new();
        set(&mut headers, "X-Mqtt-Topic", self.topic.into());
        set(&mut headers, "X-Mqtt-Qos", format!("{}", self.qos.as_u8()));
        let retain = if self.retain { "true" } else { "false" };
        set(&mut headers, "X-Mqtt-Retain", retain.into());
        set(
            &mut headers,
            "X-Mqtt-Message-Id",
            self.message_id(&mut random),
        );
        if let Some(content_type) = self.content_type {
            set(&mut headers, "Content-Type", content_type.into());
        }
        if let Some(topic) = self.response_topic {
            set(&mut headers, "X-Mqtt-Response-Topic", topic.into());
        }
        if let Some(data) = self.correlation_data {
            set(&mut headers, "X-Mqtt-Correlation-Data", base64_encode(data));
        }
        let mut traceparent = None;
        for (name, value) in self.user_properties {
            if name.eq_ignore_ascii_case("traceparent") && traceparent.is_none() {
                traceparent = Some(*value);
            }
            headers
                .entry(format!("{USER_PROPERTY_PREFIX}{name}"))
                .or_default()
                .push((*value).into());
        }
        Request {
            method: METHOD.into(),
            uri: self.topic.into(),
            headers,
            body: self.payload.to_vec(),
            trace_id: Some(trace::trace_id(traceparent, None, random)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &mut [u8]) {
        panic!("no randomness expected");
    }

    #[test]
    fn plain_message_envelope() {
        let m = MqttMessage::new("sensors/t1", b"{}", Qos::AtLeastOnce, Some(7));
        let r = m.envelope(|b| b.fill(0xab));
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("MQTT", "sensors/t1"));
        assert_eq!(r.headers["X-Mqtt-Topic"], ["sensors/t1"]);
        assert_eq!(r.headers["X-Mqtt-Qos"], ["1"]);
        assert_eq!(r.headers["X-Mqtt-Retain"], ["false"]);
        assert_eq!(r.headers["X-Mqtt-Message-Id"], [m.message_id(never)]);
        assert_eq!(r.headers.len(), 4);
        assert_eq!(r.body, b"{}");
        assert_eq!(
            r.trace_id.as_deref(),
            Some("abababababababababababababababab")
        );
    }

    #[test]
    fn mqtt5_properties_become_headers() {
        let props = [
            ("site", "north"),
            ("site", "south"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ];
        let m = MqttMessage {
            retain: true,
            content_type: Some("application/json"),
            response_topic: Some("replies/t1"),
            correlation_data: Some(&[1, 2]),
            user_properties: &props,
            ..MqttMessage::new("s/t", b"\xff", Qos::ExactlyOnce, Some(9))
        };
        let r = m.envelope(never);
        assert_eq!(r.headers["X-Mqtt-Retain"], ["true"]);
        assert_eq!(r.headers["X-Mqtt-Qos"], ["2"]);
        assert_eq!(r.headers["Content-Type"], ["application/json"]);
        assert_eq!(r.headers["X-Mqtt-Response-Topic"], ["replies/t1"]);
        assert_eq!(r.headers["X-Mqtt-Correlation-Data"], ["AQI="]);
        assert_eq!(r.headers["X-Mqtt-User-site"], ["north", "south"]);
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(r.body, b"\xff");
    }

    #[test]
    fn the_id_survives_a_redelivery_and_tells_messages_apart() {
        let first = MqttMessage::new("s/t", b"21.5", Qos::AtLeastOnce, Some(42));
        let redelivered = MqttMessage {
            retain: true,
            ..first
        };
        assert_eq!(first.message_id(never), redelivered.message_id(never));
        let id = first.message_id(never);
        assert_eq!(id.len(), 32);
        let other_payload = MqttMessage::new("s/t", b"21.6", Qos::AtLeastOnce, Some(42));
        let other_packet = MqttMessage::new("s/t", b"21.5", Qos::AtLeastOnce, Some(43));
        let other_topic = MqttMessage::new("s/u", b"21.5", Qos::AtLeastOnce, Some(42));
        let props = [("k", "v")];
        let with_property = MqttMessage {
            user_properties: &props,
            ..first
        };
        for other in [other_payload, other_packet, other_topic, with_property] {
            assert_ne!(other.message_id(never), id, "{other:?}");
        }
        // Bytes moved between parts do not collide.
        let a = MqttMessage::new("ab", b"c", Qos::AtLeastOnce, Some(1));
        let b = MqttMessage::new("a", b"bc", Qos::AtLeastOnce, Some(1));
        assert_ne!(a.message_id(never), b.message_id(never));
    }

    #[test]
    fn qos0_ids_are_random() {
        let m = MqttMessage::new("s/t", b"x", Qos::AtMostOnce, None);
        assert_eq!(
            m.message_id(|b| b.fill(1)),
            "01010101010101010101010101010101"
        );
        assert_ne!(m.message_id(|b| b.fill(2)), m.message_id(|b| b.fill(1)));
    }
}
