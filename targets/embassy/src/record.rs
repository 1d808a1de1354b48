//! What the catalog stores about each function and about the device,
//! encoded with postcard. The module bytes follow each record in flash.

use jinn_core::Manifest;
use jinn_core::signature::{PUBLIC_KEY_LEN, Policy};
use serde::{Deserialize, Serialize};

use crate::config::{
    CLIENT_ID_BYTES, MAX_TIMERS, MAX_TOPICS, MAX_TRUSTED_KEYS, NAME_BYTES, ROUTE_BYTES,
    TIMER_NAME_BYTES, TOPIC_BYTES,
};

/// A function name, e.g. `sensor-alert`.
pub type Name = heapless::String<NAME_BYTES>;
/// An HTTP route, e.g. `/hello`.
pub type Route = heapless::String<ROUTE_BYTES>;
/// An MQTT topic or topic filter.
pub type Topic = heapless::String<TOPIC_BYTES>;

/// A timer name, e.g. `sensor-alert.0`.
pub type TimerName = heapless::String<TIMER_NAME_BYTES>;

/// An interval timer: the function runs every `every_ms` milliseconds,
/// counted from boot, with the timer envelope (`jinn_core::timer` says when
/// runs are due and which are skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerRecord {
    /// Its name: the envelope's `uri` and `X-Timer-Name`
    /// (`<function>.<index>` unless the spec names it).
    pub name: TimerName,
    /// The interval in milliseconds, at least
    /// [`MIN_INTERVAL_MS`](jinn_core::timer::MIN_INTERVAL_MS).
    pub every_ms: u32,
}

/// One function: how it is triggered, what it may do, which module it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// Name used in logs.
    pub name: Name,
    /// HTTP path it answers: the exact path and everything below it
    /// (`/hello` answers `/hello` and `/hello/x`, not `/helloworld`).
    /// `None`: no HTTP trigger.
    pub route: Option<Route>,
    /// MQTT topic filters that trigger it (QoS 1 subscriptions).
    pub topics: heapless::Vec<Topic, MAX_TOPICS>,
    /// Interval timers that trigger it.
    pub timers: heapless::Vec<TimerRecord, MAX_TIMERS>,
    /// Limits, permissions, environment.
    pub manifest: Manifest,
    /// Length of the module that follows the record.
    pub wasm_len: u32,
    /// SHA-256 of the module, checked when it is loaded.
    pub wasm_sha256: [u8; 32],
}

/// IPv4 address and TCP port of the MQTT broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Broker {
    /// IPv4 address, e.g. `[10, 42, 0, 1]`.
    pub ip: [u8; 4],
    /// TCP port, usually 1883.
    pub port: u16,
}

/// Settings of the device kept in flash with its functions, so that one
/// firmware serves any site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceSettings {
    /// The broker; `None`: no MQTT (HTTP-triggered publishes stay in the outbox).
    pub broker: Option<Broker>,
    /// MQTT client identifier; the broker keeps the session under it.
    pub client_id: heapless::String<CLIENT_ID_BYTES>,
    /// MQTT keep-alive in seconds (0 means 30).
    pub keep_alive_secs: u16,
    /// Signature policy asked for by the settings; the firmware's
    /// ([`Config::signature_policy`](crate::Config::signature_policy)) is
    /// the floor.
    pub signature_policy: Policy,
    /// Ed25519 public keys that sign modules, used when the firmware has
    /// none ([`Config::trusted_keys`](crate::Config::trusted_keys)).
    pub trusted_keys: heapless::Vec<[u8; PUBLIC_KEY_LEN], MAX_TRUSTED_KEYS>,
}

impl DeviceSettings {
    /// Keep-alive with the default applied.
    pub fn keep_alive(&self) -> u16 {
        if self.keep_alive_secs == 0 {
            30
        } else {
            self.keep_alive_secs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_postcard() {
        let mut manifest = Manifest::default();
        manifest.limits.fuel = 1234;
        manifest.permissions.publish.push("alerts/+".into());
        manifest.env.push(("MODE".into(), "test".into()));
        let mut topics = heapless::Vec::new();
        topics.push(Topic::try_from("sensors/+").unwrap()).unwrap();
        let record = FunctionRecord {
            name: Name::try_from("sensor-alert").unwrap(),
            route: Some(Route::try_from("/sensor").unwrap()),
            topics,
            timers: heapless::Vec::from_slice(&[TimerRecord {
                name: TimerName::try_from("sensor-alert.0").unwrap(),
                every_ms: 500,
            }])
            .unwrap(),
            manifest,
            wasm_len: 42,
            wasm_sha256: [7; 32],
        };
        let mut buf = [0u8; 512];
        let bytes = postcard::to_slice(&record, &mut buf).unwrap();
        let back: FunctionRecord = postcard::from_bytes(bytes).unwrap();
        assert_eq!(back, record);
    }
}
