//! MQTT-triggered functions and the outbox drain, over one embassy-net TCP
//! connection with [rust-mqtt] (MQTT 5).
//!
//! * Every topic filter of every function is subscribed at QoS 1, in a
//!   persistent session (clean start off, one hour of session expiry), so
//!   the broker keeps messages for the device while it is away.
//! * An incoming QoS 1 message runs each function whose filter matches it;
//!   the PUBACK is sent only after the calls ended and their published
//!   messages were committed to the flash outbox. A reset before that
//!   makes the broker deliver the message again.
//! * The outbox is sent oldest first, one message in flight, and a message
//!   leaves the outbox only when the broker acknowledged it (PUBACK for
//!   QoS 1, PUBCOMP for QoS 2, at once for QoS 0).
//! * The connection is retried forever, 1 s after a failure, doubling up
//!   to 5 s.

mod session;

use core::fmt;

use embassy_net::Stack;
use embassy_time::{Duration, Timer};
use embedded_storage::nor_flash::NorFlash;

use crate::config::{PAYLOAD_BYTES, TOPIC_BYTES};
use crate::device::{Jinn, MqttState};

/// Buffers of the MQTT connection: TCP windows, the packet buffer incoming
/// packets are decoded into (it bounds the largest message a function can
/// be triggered by), and a copy of the outbox message being sent.
pub struct MqttBuffers<const RX: usize = 2048, const TX: usize = 2048, const PACKET: usize = 2048> {
    rx: [u8; RX],
    tx: [u8; TX],
    packet: [u8; PACKET],
    topic: heapless::String<TOPIC_BYTES>,
    payload: heapless::Vec<u8, PAYLOAD_BYTES>,
}

impl<const RX: usize, const TX: usize, const PACKET: usize> MqttBuffers<RX, TX, PACKET> {
    /// Zeroed buffers, for a `StaticCell`.
    pub const fn new() -> Self {
        Self {
            rx: [0; RX],
            tx: [0; TX],
            packet: [0; PACKET],
            topic: heapless::String::new(),
            payload: heapless::Vec::new(),
        }
    }
}

impl<const RX: usize, const TX: usize, const PACKET: usize> Default
    for MqttBuffers<RX, TX, PACKET>
{
    fn default() -> Self {
        Self::new()
    }
}

/// Why a connection to the broker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SessionError {
    /// The TCP connection could not be made.
    Connect,
    /// The TCP connection or the broker did not answer in time.
    Timeout,
    /// The TCP connection failed.
    Network,
    /// The broker broke the protocol or refused something.
    Protocol,
    /// The broker refused the connection or disconnected.
    Disconnected,
    /// A packet did not fit the packet buffer.
    BufferFull,
    /// A function's topic filter is not valid MQTT.
    BadTopicFilter,
    /// The broker refused a subscription.
    SubscriptionRefused,
    /// The outbox failed.
    Outbox,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "cannot connect to the broker",
            Self::Timeout => "broker timed out",
            Self::Network => "connection failed",
            Self::Protocol => "protocol error",
            Self::Disconnected => "broker closed the session",
            Self::BufferFull => "packet larger than the packet buffer",
            Self::BadTopicFilter => "invalid topic filter",
            Self::SubscriptionRefused => "subscription refused",
            Self::Outbox => "outbox failed",
        })
    }
}

impl core::error::Error for SessionError {}

/// Keeps the device connected to its broker (from the catalog's device
/// settings), forever. Without a broker it waits forever.
pub async fn run<F: NorFlash + 'static, const RX: usize, const TX: usize, const PACKET: usize>(
    jinn: &'static Jinn<F>,
    stack: Stack<'_>,
    buffers: &mut MqttBuffers<RX, TX, PACKET>,
) -> ! {
    let Some(broker) = jinn.settings().broker else {
        info!("mqtt: no broker configured");
        loop {
            Timer::after(Duration::from_secs(3600)).await;
        }
    };
    let mut backoff = Duration::from_secs(1);
    loop {
        jinn.mqtt.set(MqttState::Down);
        stack.wait_config_up().await;
        let result = session::connect_and_serve(jinn, stack, broker, buffers).await;
        jinn.mqtt.set(MqttState::Down);
        match result {
            Ok(()) => backoff = Duration::from_secs(1),
            Err((connected, e)) => {
                warn!("mqtt: {}", e);
                if connected {
                    backoff = Duration::from_secs(1);
                }
            }
        }
        Timer::after(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
