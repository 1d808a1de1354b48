//! Values the host ABI shares with guests: the answers of `jinn.publish`,
//! `gojinn.host_kv_get` and `jinn.kv_get`, and MQTT's quality of service.

/// `jinn.publish` accepted (staged) the message.
pub const PUBLISH_OK: i32 = 0;
/// The topic is not in the function's publish allowlist.
pub const PUBLISH_DENIED: i32 = -1;
/// The topic is not a valid MQTT topic name (empty, wildcards, NUL, longer
/// than the function's `topic_bytes`), or the QoS is not 0, 1 or 2.
pub const PUBLISH_INVALID: i32 = -2;
/// No publisher, its queue is full, or the per-call publish cap is reached.
pub const PUBLISH_UNAVAILABLE: i32 = -3;
/// The payload is larger than the function's `publish_bytes`.
pub const PUBLISH_TOO_LARGE: i32 = -4;

/// The answer of `gojinn.host_kv_get` and `jinn.kv_get` for a missing,
/// denied or unreadable key.
pub const KV_MISSING: i64 = -1;

/// MQTT quality of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Qos {
    /// At most once (QoS 0).
    #[default]
    AtMostOnce = 0,
    /// At least once (QoS 1).
    AtLeastOnce = 1,
    /// Exactly once (QoS 2).
    ExactlyOnce = 2,
}

impl Qos {
    /// From the wire value 0, 1 or 2.
    pub const fn from_i32(value: i32) -> Option<Self> {
        match value {
            0 => Some(Self::AtMostOnce),
            1 => Some(Self::AtLeastOnce),
            2 => Some(Self::ExactlyOnce),
            _ => None,
        }
    }

    /// The wire value 0, 1 or 2.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_round_trips_its_wire_value() {
        for qos in [Qos::AtMostOnce, Qos::AtLeastOnce, Qos::ExactlyOnce] {
            assert_eq!(Qos::from_i32(i32::from(qos.as_u8())), Some(qos));
        }
        assert_eq!(Qos::from_i32(3), None);
        assert_eq!(Qos::from_i32(-1), None);
        assert_eq!(Qos::default(), Qos::AtMostOnce);
    }
}
