//! The request envelope of each trigger, built the same way on every target.
//!
//! * [`http()`]: an HTTP request — Go-style header names, values grouped in
//!   arrival order; the target sets the trace id ([`crate::trace`]).
//! * [`MqttMessage::envelope`]: an MQTT message — method `MQTT`, `uri` the
//!   topic, the message's properties in `X-Mqtt-*` headers, a message id
//!   that survives redelivery (see [`mqtt`]).
//! * [`TimerTick::envelope`]: a timer run — method `TIMER`, `uri` the
//!   timer's name (see [`timer`]).

mod http;
pub mod mqtt;
pub mod timer;

pub use http::http;
pub use mqtt::MqttMessage;
pub use timer::TimerTick;

use alloc::string::String;

use crate::headers::Headers;

/// Sets header `name` to the single value `value`.
fn set(headers: &mut Headers, name: &str, value: String) {
    headers.insert(name.into(), alloc::vec![value]);
}

/// The first 16 bytes of the SHA-256 of length-prefixed `parts`, in hex: an
/// id that changes when any part changes, and cannot be confused by moving
/// bytes from one part to the next.
fn digest_id(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    let digest: [u8; 32] = hash.finalize().into();
    crate::trace::hex(&digest[..16])
}
