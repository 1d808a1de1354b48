//! MQTT-triggered functions and the outbox drain, over one embassy-net TCP
//! connection with [rust-mqtt] (MQTT 5). [`state`] is the session's rules
//! as a state machine without I/O, [`session`] the event loop around it,
//! this module the reconnection loop and what the session needs of the
//! device.
//!
//! * Every topic filter of every function is subscribed at QoS 1, in a
//!   persistent session (clean start off, one hour of session expiry), so
//!   the broker keeps messages for the device while it is away.
//! * An incoming QoS 1 message runs each function whose filter matches it;
//!   the PUBACK is sent only after the calls ended and their published
//!   messages were committed to the flash outbox. A reset before that
//!   makes the broker deliver the message again. While functions run, the
//!   session keeps reading and pinging: a long call never loses the
//!   connection.
//! * MQTT 5 request/response: when the message names a response topic,
//!   each call's reply (jinn-core's `MqttReply`: the response's body,
//!   `status` and headers as user properties, its content type, or its
//!   error; with the request's correlation data) is stored in the outbox
//!   before the PUBACK, and sent from there ([`reply`]).
//! * The outbox is sent oldest first, one message in flight, and a message
//!   leaves the outbox only when the broker acknowledged it (PUBACK for
//!   QoS 1, PUBCOMP for QoS 2, at once for QoS 0).
//! * The connection is retried forever, 1 s after a failure, doubling up
//!   to 5 s.

mod reply;
mod session;
mod state;
#[cfg(test)]
mod tests;

use core::fmt;

use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, IpEndpoint, Ipv4Address, Stack};
use embassy_time::{Duration, Timer, with_timeout};
use embedded_storage::nor_flash::NorFlash;
use jinn_core::Qos;
use rust_mqtt::types::PacketIdentifier;

use crate::config::{MAX_FUNCTIONS, PAYLOAD_BYTES, TOPIC_BYTES};
use crate::device::{Jinn, MqttStatus};
use crate::record::Topic;
pub use reply::ReplyProperties;
use session::{Backend, CONNECT_TIMEOUT, Settings};
use state::{Backoff, Trigger};

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
    let MqttBuffers {
        rx,
        tx,
        packet,
        topic,
        payload,
    } = buffers;
    let settings = Settings {
        client_id: jinn.settings().client_id.as_str(),
        keep_alive: jinn.settings().keep_alive(),
    };
    let [a, b, c, d] = broker.ip;
    let endpoint = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(a, b, c, d)), broker.port);
    let mut backoff = Backoff::new();
    loop {
        jinn.mqtt.set(MqttStatus::Down);
        stack.wait_config_up().await;
        let mut socket = TcpSocket::new(stack, rx, tx);
        socket.set_timeout(Some(Duration::from_secs(
            u64::from(settings.keep_alive) * 2,
        )));
        let result = match with_timeout(CONNECT_TIMEOUT, socket.connect(endpoint)).await {
            Ok(Ok(())) => session::serve(jinn, socket, settings, packet, topic, payload).await,
            Ok(Err(_)) => Err((false, SessionError::Connect)),
            Err(_) => Err((false, SessionError::Timeout)),
        };
        jinn.mqtt.set(MqttStatus::Down);
        match result {
            Ok(()) => backoff.reset(),
            Err((connected, e)) => {
                warn!("mqtt: {}", e);
                if connected {
                    backoff.reset();
                }
            }
        }
        Timer::after(Duration::from_millis(backoff.next())).await;
    }
}

impl<F: NorFlash + 'static> Backend for Jinn<F> {
    fn filters(&self) -> impl Iterator<Item = &str> {
        self.topic_filters()
    }

    async fn run(&self, trigger: &Trigger<PacketIdentifier>) {
        let topic = trigger.topic.as_str();
        let targets: heapless::Vec<usize, MAX_FUNCTIONS> = self.subscribers(topic).collect();
        if targets.is_empty() && !topic.is_empty() {
            warn!("mqtt: no function for {}", topic);
        }
        for index in targets {
            let outcome = self.call(index, &trigger.request).await;
            match &outcome.result {
                Ok(response) => info!(
                    "mqtt {} -> {}: {} ({} fuel)",
                    topic,
                    self.name(index),
                    response.status,
                    outcome.fuel_used
                ),
                Err(e) => warn!(
                    "mqtt {} -> {}: {} ({} fuel)",
                    topic,
                    self.name(index),
                    e,
                    outcome.fuel_used
                ),
            }
            // MQTT 5 request/response: stored before the message is acknowledged.
            self.store_reply(&trigger.request, outcome.result);
        }
    }

    fn outbox_next(
        &self,
        topic: &mut Topic,
        payload: &mut heapless::Vec<u8, PAYLOAD_BYTES>,
    ) -> Result<Option<(u32, Qos, usize)>, SessionError> {
        let mut outbox = self.storage.outbox.borrow_mut();
        let pending = outbox.peek().map_err(|e| {
            error!("mqtt: outbox: {}", e);
            SessionError::Outbox
        })?;
        let Some(pending) = pending else {
            return Ok(None);
        };
        topic.clear();
        payload.clear();
        // They fit: the outbox holds nothing larger.
        let _ = topic.push_str(pending.topic);
        let _ = payload.extend_from_slice(pending.properties);
        let _ = payload.extend_from_slice(pending.payload);
        Ok(Some((pending.seq, pending.qos, pending.properties.len())))
    }

    fn outbox_delivered(&self, seq: u32) -> Result<(), SessionError> {
        self.storage.outbox.borrow_mut().ack(seq).map_err(|e| {
            error!("mqtt: outbox: {}", e);
            SessionError::Outbox
        })
    }

    async fn outbox_ready(&self) {
        self.outbox_ready.wait().await;
    }

    fn random(&self, buf: &mut [u8]) {
        Jinn::random(self, buf);
    }

    fn set_up(&self, up: bool) {
        self.mqtt
            .set(if up { MqttStatus::Up } else { MqttStatus::Down });
    }
}
