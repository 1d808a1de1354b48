//! One connection to the broker: connect, subscribe, then serve triggers
//! and drain the outbox until the connection fails.

use core::num::NonZero;

use embassy_futures::select::{Either3, select3};
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, IpEndpoint, Ipv4Address, Stack};
use embassy_time::{Duration, Instant, Timer, with_timeout};
use embedded_storage::nor_flash::NorFlash;
use jinn_core::contract::envelope::MqttMessage;
use jinn_core::{Qos, Request};
use rust_mqtt::Bytes;
use rust_mqtt::buffer::BumpBuffer;
use rust_mqtt::client::event::{Event, Puback, Publish, Pubrej, Suback};
use rust_mqtt::client::options::{
    AckOptions, ConnectOptions, PublicationOptions, SubscriptionOptions, TopicReference,
};
use rust_mqtt::client::{Client, MqttError};
use rust_mqtt::config::{KeepAlive, SessionExpiryInterval};
use rust_mqtt::types::{
    IdentifiedQoS, MqttString, PacketIdentifier, QoS, ReasonCode, TopicFilter, TopicName,
};

use super::{MqttBuffers, SessionError};
use crate::config::{MAX_FUNCTIONS, TOPIC_BYTES};
use crate::device::Jinn;
use crate::record::Broker;

/// How long the broker may take to accept the TCP connection or answer CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the broker keeps the session while the device is away.
const SESSION_EXPIRY_SECS: u32 = 3600;

/// User properties of an incoming message passed on to the function (more are dropped).
const USER_PROPERTIES: usize = 8;

/// Subscriptions in flight at once, incoming QoS>0 messages in flight,
/// outgoing ones, subscription identifiers, user properties, topic aliases.
type MqttClient<'a, 'c, 's> =
    Client<'a, 'c, TcpSocket<'s>, BumpBuffer<'c>, 1, 4, 1, 0, USER_PROPERTIES, 0, 0>;

fn map_error<const N: usize>(e: &MqttError<'_, N>) -> SessionError {
    match e {
        MqttError::Network(_) => SessionError::Network,
        MqttError::Alloc => SessionError::BufferFull,
        MqttError::Disconnect { .. } => SessionError::Disconnected,
        _ => SessionError::Protocol,
    }
}

/// What an event asks for, owning everything it needs, so the packet
/// buffer can be reused before acting on it. A short-lived value on the
/// stack: the large variant is not boxed, to keep off the heap.
#[allow(clippy::large_enum_variant)]
enum Action {
    /// Run the functions subscribed to `topic`, then acknowledge with `ack`.
    Trigger {
        topic: heapless::String<TOPIC_BYTES>,
        request: Request,
        ack: Option<PacketIdentifier>,
    },
    /// The broker has an outbox message.
    Delivered(PacketIdentifier),
    /// The broker refused an outbox message.
    Refused(PacketIdentifier, ReasonCode),
    /// A subscription was answered.
    Subscribed(PacketIdentifier, ReasonCode),
    /// Nothing to do.
    None,
}

/// The outbox message waiting for the broker's acknowledgement.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    seq: u32,
    packet: PacketIdentifier,
}

struct Session<'j, 'a, 'c, 's, F: NorFlash + 'static> {
    jinn: &'j Jinn<F>,
    client: MqttClient<'a, 'c, 's>,
    in_flight: Option<InFlight>,
    topic: &'j mut heapless::String<TOPIC_BYTES>,
    payload: &'j mut heapless::Vec<u8, { crate::config::PAYLOAD_BYTES }>,
}

/// Connects, subscribes and serves until the connection fails. The error
/// says whether the session had been established.
pub(super) async fn connect_and_serve<
    F: NorFlash + 'static,
    const RX: usize,
    const TX: usize,
    const PACKET: usize,
>(
    jinn: &'static Jinn<F>,
    stack: Stack<'_>,
    broker: Broker,
    buffers: &mut MqttBuffers<RX, TX, PACKET>,
) -> Result<(), (bool, SessionError)> {
    let MqttBuffers {
        rx,
        tx,
        packet,
        topic,
        payload,
    } = buffers;
    let settings = jinn.settings();
    let keep_alive = settings.keep_alive();

    let mut socket = TcpSocket::new(stack, rx, tx);
    socket.set_timeout(Some(Duration::from_secs(u64::from(keep_alive) * 2)));
    let [a, b, c, d] = broker.ip;
    let endpoint = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(a, b, c, d)), broker.port);
    match with_timeout(CONNECT_TIMEOUT, socket.connect(endpoint)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return Err((false, SessionError::Connect)),
        Err(_) => return Err((false, SessionError::Timeout)),
    }

    let mut bump = BumpBuffer::new(packet);
    let mut client: MqttClient<'_, '_, '_> = Client::new(&mut bump);
    // Every QoS>0 message is acknowledged by hand, after its functions ran.
    client.ack_manually_when(&|_| true);
    let options = ConnectOptions::new()
        .keep_alive(KeepAlive::Seconds(
            NonZero::new(keep_alive).unwrap_or(NonZero::<u16>::MIN),
        ))
        .session_expiry_interval(SessionExpiryInterval::Seconds(
            NonZero::new(SESSION_EXPIRY_SECS).unwrap_or(NonZero::<u32>::MIN),
        ))
        .maximum_packet_size(NonZero::new(PACKET as u32).unwrap_or(NonZero::<u32>::MIN));
    let client_id = MqttString::from_str(settings.client_id.as_str()).ok();
    let session_present =
        match with_timeout(CONNECT_TIMEOUT, client.connect(socket, &options, client_id)).await {
            Ok(Ok(connected)) => connected.session_present,
            Ok(Err(e)) => return Err((false, map_error(&e))),
            Err(_) => return Err((false, SessionError::Timeout)),
        };
    reset_packet_buffer(&mut client);
    info!("mqtt: connected (session present: {})", session_present);

    let mut session = Session {
        jinn,
        client,
        in_flight: None,
        topic,
        payload,
    };
    session.subscribe_all().await.map_err(|e| (true, e))?;
    jinn.mqtt.set(crate::device::MqttState::Up);
    session.serve().await.map_err(|e| (true, e))
}

/// Reuses the packet buffer for the next packet.
fn reset_packet_buffer(client: &mut MqttClient<'_, '_, '_>) {
    #[allow(unsafe_code)]
    // Safety: the caller has dropped every value borrowed from the packet
    // buffer (events, their topics, payloads and properties, and errors):
    // each is turned into an owned `Action` or `SessionError` before this
    // call, so no reference into the buffer is alive.
    unsafe {
        client.buffer_mut().reset();
    }
}

impl<F: NorFlash + 'static> Session<'_, '_, '_, '_, F> {
    async fn subscribe_all(&mut self) -> Result<(), SessionError> {
        let jinn = self.jinn;
        for filter in jinn.topic_filters() {
            let string = MqttString::from_str(filter).map_err(|_| SessionError::BadTopicFilter)?;
            let filter_ok = TopicFilter::new(string).ok_or(SessionError::BadTopicFilter)?;
            let options = SubscriptionOptions::new().at_least_once();
            let packet = self
                .client
                .subscribe(filter_ok, &options)
                .await
                .map_err(|e| map_error(&e))?;
            let deadline = Instant::now() + CONNECT_TIMEOUT;
            loop {
                let remaining = deadline.saturating_duration_since(Instant::now());
                let action = with_timeout(remaining, self.next_action())
                    .await
                    .map_err(|_| SessionError::Timeout)??;
                match action {
                    Action::Subscribed(p, code) if p == packet => {
                        if !code.is_success() {
                            error!("mqtt: subscription to {} refused", filter);
                            return Err(SessionError::SubscriptionRefused);
                        }
                        info!("mqtt: subscribed to {}", filter);
                        break;
                    }
                    other => self.act(other).await?,
                }
            }
        }
        Ok(())
    }

    async fn serve(&mut self) -> Result<(), SessionError> {
        let jinn = self.jinn;
        let keep_alive = Duration::from_secs(u64::from(jinn.settings().keep_alive()));
        let mut next_ping = Instant::now() + keep_alive / 2;
        loop {
            self.send_next().await?;
            let woke = select3(
                self.client.poll_header(),
                Timer::at(next_ping),
                jinn.outbox_ready.wait(),
            )
            .await;
            match woke {
                Either3::First(header) => {
                    let header = header.map_err(|e| map_error(&e))?;
                    let action = {
                        let event = self.client.poll_body(header).await;
                        event.map(|e| self.classify(e)).map_err(|e| map_error(&e))?
                    };
                    reset_packet_buffer(&mut self.client);
                    self.act(action).await?;
                }
                Either3::Second(()) => {
                    self.client.ping().await.map_err(|e| map_error(&e))?;
                    next_ping = Instant::now() + keep_alive / 2;
                }
                Either3::Third(()) => {}
            }
        }
    }

    /// Reads one packet and turns it into an [`Action`].
    async fn next_action(&mut self) -> Result<Action, SessionError> {
        let action = {
            let event = self.client.poll().await;
            event.map(|e| self.classify(e)).map_err(|e| map_error(&e))?
        };
        reset_packet_buffer(&mut self.client);
        Ok(action)
    }

    fn classify<const S: usize, const U: usize>(&self, event: Event<'_, S, U>) -> Action {
        match event {
            Event::Publish(Publish {
                identified_qos,
                topic,
                message,
                retain,
                content_type,
                response_topic,
                correlation_data,
                user_properties,
                ..
            }) => {
                let Some(name) = topic.name() else {
                    warn!("mqtt: message with an unknown topic alias dropped");
                    return Action::None;
                };
                let (qos, ack) = match identified_qos {
                    IdentifiedQoS::AtMostOnce => (Qos::AtMostOnce, None),
                    IdentifiedQoS::AtLeastOnce(p) => (Qos::AtLeastOnce, Some(p)),
                    IdentifiedQoS::ExactlyOnce(p) => (Qos::ExactlyOnce, Some(p)),
                };
                let name = name.as_ref().as_str();
                let Ok(topic) = heapless::String::try_from(name) else {
                    warn!("mqtt: topic {} too long, message dropped", name);
                    return match ack {
                        Some(p) => Action::Trigger {
                            topic: heapless::String::new(),
                            request: Request::default(),
                            ack: Some(p),
                        },
                        None => Action::None,
                    };
                };
                let jinn = self.jinn;
                let properties: heapless::Vec<(&str, &str), USER_PROPERTIES> = user_properties
                    .iter()
                    .map(|p| (p.name.as_str(), p.value.as_str()))
                    .collect();
                let response_topic = response_topic.as_ref().map(|t| t.as_ref().as_str());
                let message = MqttMessage {
                    topic: name,
                    payload: message.as_bytes(),
                    qos,
                    retain,
                    packet_id: ack.map(|p| p.get().get()),
                    content_type: content_type.as_ref().map(MqttString::as_str),
                    response_topic,
                    correlation_data: correlation_data.as_ref().map(|d| d.as_bytes()),
                    user_properties: &properties,
                };
                let request = message.envelope(|b| jinn.random(b));
                Action::Trigger {
                    topic,
                    request,
                    ack,
                }
            }
            Event::PublishAcknowledged(Puback {
                packet_identifier, ..
            })
            | Event::PublishComplete(Puback {
                packet_identifier, ..
            }) => Action::Delivered(packet_identifier),
            Event::PublishRejected(Pubrej {
                packet_identifier,
                reason_code,
                ..
            }) => Action::Refused(packet_identifier, reason_code),
            Event::Suback(Suback {
                packet_identifier,
                reason_code,
                ..
            }) => Action::Subscribed(packet_identifier, reason_code),
            _ => Action::None,
        }
    }

    async fn act(&mut self, action: Action) -> Result<(), SessionError> {
        let jinn = self.jinn;
        match action {
            Action::Trigger {
                topic,
                request,
                ack,
            } => {
                let targets: heapless::Vec<usize, MAX_FUNCTIONS> =
                    jinn.subscribers(&topic).collect();
                if targets.is_empty() && !topic.is_empty() {
                    warn!("mqtt: no function for {}", topic.as_str());
                }
                for index in targets {
                    let outcome = jinn.call(index, &request).await;
                    match outcome.result {
                        Ok(response) => info!(
                            "mqtt {} -> {}: {} ({} fuel)",
                            topic.as_str(),
                            jinn.name(index),
                            response.status,
                            outcome.fuel_used
                        ),
                        Err(e) => warn!(
                            "mqtt {} -> {}: {} ({} fuel)",
                            topic.as_str(),
                            jinn.name(index),
                            e,
                            outcome.fuel_used
                        ),
                    }
                }
                // The calls ended and their messages are in the flash outbox.
                if let Some(packet) = ack {
                    self.client
                        .manual_acknowledge(packet, ReasonCode::Success, &AckOptions::new())
                        .await
                        .map_err(|e| map_error(&e))?;
                }
            }
            Action::Delivered(packet) => {
                if let Some(sent) = self.in_flight.filter(|f| f.packet == packet) {
                    self.acked(sent.seq)?;
                }
            }
            Action::Refused(packet, _code) => {
                if let Some(sent) = self.in_flight.filter(|f| f.packet == packet) {
                    error!("mqtt: broker refused outbox message {}, dropped", sent.seq);
                    self.acked(sent.seq)?;
                }
            }
            Action::Subscribed(..) | Action::None => {}
        }
        Ok(())
    }

    fn acked(&mut self, seq: u32) -> Result<(), SessionError> {
        self.in_flight = None;
        self.jinn
            .storage
            .outbox
            .borrow_mut()
            .ack(seq)
            .map_err(|e| {
                error!("mqtt: outbox: {}", e);
                SessionError::Outbox
            })?;
        trace!("mqtt: outbox message {} delivered", seq);
        Ok(())
    }

    /// Publishes the oldest outbox message when none is in flight.
    async fn send_next(&mut self) -> Result<(), SessionError> {
        if self.in_flight.is_some() {
            return Ok(());
        }
        let (seq, qos) = {
            let mut outbox = self.jinn.storage.outbox.borrow_mut();
            let pending = outbox.peek().map_err(|e| {
                error!("mqtt: outbox: {}", e);
                SessionError::Outbox
            })?;
            let Some(pending) = pending else {
                return Ok(());
            };
            self.topic.clear();
            self.payload.clear();
            // Both fit: the outbox holds nothing larger.
            let _ = self.topic.push_str(pending.topic);
            let _ = self.payload.extend_from_slice(pending.payload);
            (pending.seq, pending.qos)
        };
        let Some(name) = MqttString::from_str(self.topic.as_str())
            .ok()
            .and_then(TopicName::new)
        else {
            error!("mqtt: outbox message {} has an invalid topic, dropped", seq);
            return self.acked(seq);
        };
        let qos = match qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
            Qos::ExactlyOnce => QoS::ExactlyOnce,
        };
        let options = PublicationOptions::new(TopicReference::Name(name)).qos(qos);
        let packet = self
            .client
            .publish(&options, Bytes::Borrowed(self.payload.as_slice()))
            .await
            .map_err(|e| map_error(&e))?;
        match packet {
            Some(packet) => self.in_flight = Some(InFlight { seq, packet }),
            None => self.acked(seq)?,
        }
        Ok(())
    }
}
