//! Publishing messages through the host (`jinn.publish`), typically to an MQTT
//! broker.

use core::fmt;

use jinn_contract::abi::{
    PUBLISH_DENIED, PUBLISH_INVALID, PUBLISH_OK, PUBLISH_TOO_LARGE, PUBLISH_UNAVAILABLE,
};

use crate::imports;

/// Delivery guarantee asked of the publisher (MQTT QoS levels): `AtMostOnce`
/// (the default), `AtLeastOnce`, `ExactlyOnce`. The runtime's own type.
pub use jinn_contract::Qos as QoS;

/// Why the host refused a [`publish`]. Each variant is one of the host's
/// negative return codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublishError {
    /// `-1`: this function may not publish on that topic.
    PermissionDenied,
    /// `-2`: the topic is not a valid topic name (empty, has wildcards or NUL,
    /// too long) or the QoS is not 0, 1 or 2.
    InvalidTopic,
    /// `-3`: there is no publisher, or its queue is full. Retrying later may
    /// succeed.
    Unavailable,
    /// `-4`: the payload is larger than the host accepts.
    PayloadTooLarge,
    /// Any other non-zero code (a newer host).
    Other(i32),
}

impl PublishError {
    /// Maps a host return code to a result: `0` is `Ok`.
    pub fn from_code(code: i32) -> Result<(), PublishError> {
        match code {
            PUBLISH_OK => Ok(()),
            PUBLISH_DENIED => Err(PublishError::PermissionDenied),
            PUBLISH_INVALID => Err(PublishError::InvalidTopic),
            PUBLISH_UNAVAILABLE => Err(PublishError::Unavailable),
            PUBLISH_TOO_LARGE => Err(PublishError::PayloadTooLarge),
            other => Err(PublishError::Other(other)),
        }
    }

    /// The host's return code for this error.
    pub fn code(self) -> i32 {
        match self {
            PublishError::PermissionDenied => PUBLISH_DENIED,
            PublishError::InvalidTopic => PUBLISH_INVALID,
            PublishError::Unavailable => PUBLISH_UNAVAILABLE,
            PublishError::PayloadTooLarge => PUBLISH_TOO_LARGE,
            PublishError::Other(code) => code,
        }
    }

    /// A short snake_case name, suitable for JSON: `permission_denied`,
    /// `invalid_topic`, `unavailable`, `payload_too_large` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            PublishError::PermissionDenied => "permission_denied",
            PublishError::InvalidTopic => "invalid_topic",
            PublishError::Unavailable => "unavailable",
            PublishError::PayloadTooLarge => "payload_too_large",
            PublishError::Other(_) => "other",
        }
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::PermissionDenied => f.write_str("permission denied"),
            PublishError::InvalidTopic => f.write_str("invalid topic or QoS"),
            PublishError::Unavailable => f.write_str("publisher unavailable or queue full"),
            PublishError::PayloadTooLarge => f.write_str("payload too large"),
            PublishError::Other(code) => write!(f, "publish failed with code {code}"),
        }
    }
}

impl core::error::Error for PublishError {}

/// Publishes `payload` on `topic` with the given QoS.
///
/// `Ok(())` means the host accepted the message (queued it); delivery to
/// subscribers happens after the function returns.
pub fn publish(topic: &str, payload: impl AsRef<[u8]>, qos: QoS) -> Result<(), PublishError> {
    PublishError::from_code(imports::publish(
        topic.as_bytes(),
        payload.as_ref(),
        qos as i32,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        assert_eq!(PublishError::from_code(0), Ok(()));
        for code in [-1, -2, -3, -4, -9, 7] {
            assert_eq!(PublishError::from_code(code).unwrap_err().code(), code);
        }
        assert_eq!(
            PublishError::from_code(-4),
            Err(PublishError::PayloadTooLarge)
        );
    }

    #[test]
    fn native_stand_in_is_unavailable() {
        assert_eq!(
            publish("alerts/t1", b"{}", QoS::AtLeastOnce),
            Err(PublishError::Unavailable)
        );
        assert_eq!(PublishError::Unavailable.name(), "unavailable");
    }
}
