//! One connection to the broker: the event loop around [`MqttState`]. It
//! owns the rust-mqtt client and the transport, turns packets into
//! [`Incoming`] events, carries out the [`Action`]s, and runs a message's
//! functions *beside* the I/O: while they run it keeps reading packets and
//! sending pings, so a long function never costs the connection.

use core::future::{Future, poll_fn};
use core::num::NonZero;
use core::pin::{Pin, pin};
use core::task::Poll;

use embassy_futures::select::{Either4, select4};
use embassy_time::{Duration, Instant, Timer, with_timeout};
use jinn_core::Qos;
use jinn_core::contract::envelope::MqttMessage;
use rust_mqtt::Bytes;
use rust_mqtt::buffer::BumpBuffer;
use rust_mqtt::client::event::{Event, Puback, Publish, Pubrej, Suback};
use rust_mqtt::client::options::{
    AckOptions, ConnectOptions, PublicationOptions, SubscriptionOptions, TopicReference,
};
use rust_mqtt::client::{Client, MqttError};
use rust_mqtt::config::{KeepAlive, SessionExpiryInterval};
use rust_mqtt::io::Transport;
use rust_mqtt::types::{
    IdentifiedQoS, MqttBinary, MqttString, MqttStringPair, PacketIdentifier, QoS, ReasonCode,
    TopicFilter, TopicName,
};

use super::SessionError;
use super::reply::ReplyProperties;
use super::state::{Action, Incoming, Millis, MqttState, RECEIVE_MAXIMUM, Trigger};
use crate::config::PAYLOAD_BYTES;
use crate::record::Topic;

/// How long the broker may take to answer CONNECT.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the broker keeps the session while the device is away.
const SESSION_EXPIRY_SECS: u32 = 3600;
/// User properties of an incoming message passed on to the function (more
/// are dropped), and of a reply sent (rust-mqtt's `MAX_USER_PROPERTIES`).
pub(crate) const USER_PROPERTIES: usize = 8;

/// Subscriptions in flight at once, incoming QoS>0 messages in flight,
/// outgoing ones, subscription identifiers, user properties, topic aliases.
type MqttClient<'a, 'c, T> =
    Client<'a, 'c, T, BumpBuffer<'c>, 1, RECEIVE_MAXIMUM, 1, 0, USER_PROPERTIES, 0, 0>;

/// What the session needs of the device: its topic filters, running the
/// functions of a message, and the outbox. Implemented by
/// [`Jinn`](crate::Jinn); the host tests give it slow fakes.
pub(crate) trait Backend {
    /// Topic filters to subscribe, each once.
    fn filters(&self) -> impl Iterator<Item = &str>;
    /// Runs every function subscribed to the trigger's topic; what they
    /// published is committed to the outbox when this returns.
    async fn run(&self, trigger: &Trigger<PacketIdentifier>);
    /// Copies the oldest outbox message into `topic` and `payload` (a
    /// reply's encoded properties first, then its payload); gives its
    /// number, QoS and the length of the properties.
    fn outbox_next(
        &self,
        topic: &mut Topic,
        payload: &mut heapless::Vec<u8, PAYLOAD_BYTES>,
    ) -> Result<Option<(u32, Qos, usize)>, SessionError>;
    /// The broker answered outbox message `seq`: take it out.
    fn outbox_delivered(&self, seq: u32) -> Result<(), SessionError>;
    /// Returns when the outbox got messages.
    async fn outbox_ready(&self);
    /// Random bytes (trace ids, QoS 0 message ids).
    fn random(&self, buf: &mut [u8]);
    /// Connected and subscribed (`true`) or not.
    fn set_up(&self, up: bool);
}

/// Settings of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings<'s> {
    /// The MQTT client identifier.
    pub client_id: &'s str,
    /// Keep-alive in seconds.
    pub keep_alive: u16,
}

fn now() -> Millis {
    Instant::now().as_millis()
}

fn map_error<const N: usize>(e: &MqttError<'_, N>) -> SessionError {
    match e {
        MqttError::Network(_) => SessionError::Network,
        MqttError::Alloc => SessionError::BufferFull,
        MqttError::Disconnect { .. } => SessionError::Disconnected,
        _ => SessionError::Protocol,
    }
}

/// Reuses the packet buffer for the next packet.
fn reset_packet_buffer<T: Transport>(client: &mut MqttClient<'_, '_, T>) {
    #[allow(unsafe_code)]
    // Safety: the caller has dropped every value borrowed from the packet
    // buffer (events, their topics, payloads and properties, and errors):
    // each is turned into an owned `Incoming` or `SessionError` before this
    // call, so no reference into the buffer is alive.
    unsafe {
        client.buffer_mut().reset();
    }
}

/// Runs the functions of `trigger` (owned, so the future outlives the loop
/// iteration that started it).
async fn run_trigger<B: Backend>(backend: &B, trigger: Trigger<PacketIdentifier>) {
    backend.run(&trigger).await;
}

/// Resolves when the future in `slot` ends (and empties the slot); pending
/// forever while the slot is empty. Dropping it leaves the future in place.
fn ended<F: Future>(mut slot: Pin<&mut Option<F>>) -> impl Future<Output = F::Output> + '_ {
    poll_fn(move |cx| {
        let Some(running) = slot.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let out = core::task::ready!(running.poll(cx));
        slot.set(None);
        Poll::Ready(out)
    })
}

/// The client, its buffers for an outbox message, and the device.
struct Io<'j, 'a, 'c, B, T: Transport> {
    backend: &'j B,
    client: MqttClient<'a, 'c, T>,
    topic: &'j mut Topic,
    payload: &'j mut heapless::Vec<u8, PAYLOAD_BYTES>,
}

/// Connects over `transport`, subscribes and serves until the connection
/// fails. The error says whether the connection had come up. A message's
/// functions that are running when it fails are let finish first (their
/// message is not acknowledged: the broker delivers it again).
pub(crate) async fn serve<B: Backend, T: Transport>(
    backend: &B,
    transport: T,
    settings: Settings<'_>,
    packet: &mut [u8],
    topic: &mut Topic,
    payload: &mut heapless::Vec<u8, PAYLOAD_BYTES>,
) -> Result<(), (bool, SessionError)> {
    let max_packet = u32::try_from(packet.len()).unwrap_or(u32::MAX);
    let mut bump = BumpBuffer::new(packet);
    let mut client: MqttClient<'_, '_, T> = Client::new(&mut bump);
    // QoS 1 messages are acknowledged by hand, after their functions ran.
    client.ack_manually_when(&|p| matches!(p.identified_qos, IdentifiedQoS::AtLeastOnce(_)));
    let options = ConnectOptions::new()
        .keep_alive(KeepAlive::Seconds(
            NonZero::new(settings.keep_alive).unwrap_or(NonZero::<u16>::MIN),
        ))
        .session_expiry_interval(SessionExpiryInterval::Seconds(
            NonZero::new(SESSION_EXPIRY_SECS).unwrap_or(NonZero::<u32>::MIN),
        ))
        .maximum_packet_size(NonZero::new(max_packet).unwrap_or(NonZero::<u32>::MIN));
    let client_id = MqttString::from_str(settings.client_id).ok();
    let session_present = match with_timeout(
        CONNECT_TIMEOUT,
        client.connect(transport, &options, client_id),
    )
    .await
    {
        Ok(Ok(connected)) => connected.session_present,
        Ok(Err(e)) => return Err((false, map_error(&e))),
        Err(_) => return Err((false, SessionError::Timeout)),
    };
    reset_packet_buffer(&mut client);
    info!("mqtt: connected (session present: {})", session_present);

    let filters = backend.filters().count();
    let mut state = MqttState::new(filters, settings.keep_alive, now());
    let mut io = Io {
        backend,
        client,
        topic,
        payload,
    };
    let mut call = pin!(None.map(|t| run_trigger(backend, t)));
    let mut up = false;
    let ended_with = 'connection: {
        if let Err(e) = state.handle(Incoming::Connected, now()) {
            break 'connection e;
        }
        loop {
            loop {
                let action = match state.poll(now()) {
                    Ok(Some(action)) => action,
                    Ok(None) => break,
                    Err(e) => break 'connection e,
                };
                let done = match action {
                    Action::Run(trigger) => {
                        call.set(Some(run_trigger(backend, trigger)));
                        Ok(())
                    }
                    other => io.act(other, &mut state).await,
                };
                if let Err(e) = done {
                    break 'connection e;
                }
            }
            if state.is_up() != up {
                up = state.is_up();
                backend.set_up(up);
            }
            let deadline = embassy_time::Instant::from_millis(state.next_deadline());
            let woke = select4(
                io.client.poll_header(),
                Timer::at(deadline),
                backend.outbox_ready(),
                ended(call.as_mut()),
            )
            .await;
            let incoming = match woke {
                Either4::First(Ok(header)) => {
                    let incoming = {
                        let event = io.client.poll_body(header).await;
                        event
                            .map(|e| classify(backend, e))
                            .map_err(|e| map_error(&e))
                    };
                    reset_packet_buffer(&mut io.client);
                    match incoming {
                        Ok(incoming) => incoming,
                        Err(e) => break 'connection e,
                    }
                }
                Either4::First(Err(e)) => break 'connection map_error(&e),
                Either4::Second(()) => None,
                Either4::Third(()) => Some(Incoming::OutboxReady),
                Either4::Fourth(()) => Some(Incoming::CallsDone),
            };
            if let Some(incoming) = incoming
                && let Err(e) = state.handle(incoming, now())
            {
                break 'connection e;
            }
        }
    };
    if let Some(running) = call.as_mut().as_pin_mut() {
        running.await;
    }
    Err((true, ended_with))
}

/// A packet from the broker as an [`Incoming`] event (`None`: nothing for
/// the state).
fn classify<B: Backend, const S: usize, const U: usize>(
    backend: &B,
    event: Event<'_, S, U>,
) -> Option<Incoming<PacketIdentifier>> {
    match event {
        Event::Publish(publish) => message(backend, publish).map(Incoming::Message),
        Event::PublishAcknowledged(Puback {
            packet_identifier, ..
        })
        | Event::PublishComplete(Puback {
            packet_identifier, ..
        }) => Some(Incoming::PublishAnswered {
            packet: packet_identifier,
            accepted: true,
        }),
        Event::PublishRejected(Pubrej {
            packet_identifier, ..
        }) => Some(Incoming::PublishAnswered {
            packet: packet_identifier,
            accepted: false,
        }),
        Event::Suback(Suback {
            packet_identifier,
            reason_code,
            ..
        }) => Some(Incoming::Suback {
            packet: packet_identifier,
            granted: reason_code.is_success(),
        }),
        Event::Pingresp => Some(Incoming::Pingresp),
        _ => None,
    }
}

/// A PUBLISH as a trigger: the envelope of jinn-contract, built before the
/// packet buffer is reused.
fn message<B: Backend, const S: usize, const U: usize>(
    backend: &B,
    publish: Publish<'_, S, U>,
) -> Option<Trigger<PacketIdentifier>> {
    let (qos, ack) = match publish.identified_qos {
        IdentifiedQoS::AtMostOnce => (Qos::AtMostOnce, None),
        IdentifiedQoS::AtLeastOnce(p) => (Qos::AtLeastOnce, Some(p)),
        // Subscriptions are QoS 1; a QoS 2 message was received (PUBREC) by
        // the client already.
        IdentifiedQoS::ExactlyOnce(_) => (Qos::ExactlyOnce, None),
    };
    let Some(name) = publish.topic.name() else {
        warn!("mqtt: message with an unknown topic alias dropped");
        return ack.map(|p| Trigger {
            topic: Topic::new(),
            request: jinn_core::Request::default(),
            ack: Some(p),
        });
    };
    let name = name.as_ref().as_str();
    let Ok(topic) = Topic::try_from(name) else {
        // Acknowledged without running anything: no function can match it.
        warn!("mqtt: topic {} too long, message dropped", name);
        return ack.map(|p| Trigger {
            topic: Topic::new(),
            request: jinn_core::Request::default(),
            ack: Some(p),
        });
    };
    let properties: heapless::Vec<(&str, &str), U> = publish
        .user_properties
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    let message = MqttMessage {
        topic: name,
        payload: publish.message.as_bytes(),
        qos,
        retain: publish.retain,
        packet_id: match publish.identified_qos {
            IdentifiedQoS::AtMostOnce => None,
            IdentifiedQoS::AtLeastOnce(p) | IdentifiedQoS::ExactlyOnce(p) => Some(p.get().get()),
        },
        content_type: publish.content_type.as_ref().map(MqttString::as_str),
        response_topic: publish.response_topic.as_ref().map(|t| t.as_ref().as_str()),
        correlation_data: publish.correlation_data.as_ref().map(|d| d.as_bytes()),
        user_properties: &properties,
    };
    Some(Trigger {
        topic,
        request: message.envelope(|b| backend.random(b)),
        ack,
    })
}

impl<B: Backend, T: Transport> Io<'_, '_, '_, B, T> {
    /// Carries out one action (all but [`Action::Run`]).
    async fn act(
        &mut self,
        action: Action<PacketIdentifier>,
        state: &mut MqttState<PacketIdentifier>,
    ) -> Result<(), SessionError> {
        match action {
            Action::Subscribe(index) => {
                let filter = self
                    .backend
                    .filters()
                    .nth(index)
                    .ok_or(SessionError::BadTopicFilter)?;
                let string =
                    MqttString::from_str(filter).map_err(|_| SessionError::BadTopicFilter)?;
                let filter_ok = TopicFilter::new(string).ok_or(SessionError::BadTopicFilter)?;
                let options = SubscriptionOptions::new().at_least_once();
                let packet = self
                    .client
                    .subscribe(filter_ok, &options)
                    .await
                    .map_err(|e| map_error(&e))?;
                state.sent(now());
                info!("mqtt: subscribing to {}", filter);
                state.handle(Incoming::SubscribeSent { packet }, now())
            }
            Action::Ack(packet) => {
                self.client
                    .manual_acknowledge(packet, ReasonCode::Success, &AckOptions::new())
                    .await
                    .map_err(|e| map_error(&e))?;
                state.sent(now());
                Ok(())
            }
            Action::Publish => self.publish_next(state).await,
            Action::Delivered { seq, accepted } => {
                if !accepted {
                    error!("mqtt: broker refused outbox message {}, dropped", seq);
                }
                self.backend.outbox_delivered(seq)?;
                trace!("mqtt: outbox message {} delivered", seq);
                Ok(())
            }
            Action::Ping => {
                self.client.ping().await.map_err(|e| map_error(&e))?;
                state.sent(now());
                Ok(())
            }
            Action::Run(_) => Ok(()),
        }
    }

    /// Publishes the oldest outbox message.
    async fn publish_next(
        &mut self,
        state: &mut MqttState<PacketIdentifier>,
    ) -> Result<(), SessionError> {
        let Some((seq, qos, properties)) = self.backend.outbox_next(self.topic, self.payload)?
        else {
            return state.handle(Incoming::OutboxEmpty, now());
        };
        let Some(name) = MqttString::from_str(self.topic.as_str())
            .ok()
            .and_then(TopicName::new)
        else {
            error!("mqtt: outbox message {} has an invalid topic, dropped", seq);
            return state.handle(Incoming::Published { seq, packet: None }, now());
        };
        let qos = match qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
            Qos::ExactlyOnce => QoS::ExactlyOnce,
        };
        let (properties, body) = self.payload.split_at(properties.min(self.payload.len()));
        let reply = (!properties.is_empty())
            .then(|| postcard::from_bytes::<ReplyProperties<'_>>(properties).ok())
            .flatten();
        let pairs: heapless::Vec<MqttStringPair<'_>, USER_PROPERTIES> = reply
            .iter()
            .flat_map(|r| r.user_properties.iter())
            .filter_map(|(n, v)| {
                Some(MqttStringPair::new(
                    MqttString::from_str(n).ok()?,
                    MqttString::from_str(v).ok()?,
                ))
            })
            .collect();
        let mut options = PublicationOptions::new(TopicReference::Name(name))
            .qos(qos)
            .user_properties(&pairs);
        if let Some(r) = &reply {
            if let Some(data) = r
                .correlation_data
                .and_then(|d| MqttBinary::try_from(d).ok())
            {
                options = options.correlation_data(data);
            }
            if let Some(ct) = r.content_type.and_then(|c| MqttString::from_str(c).ok()) {
                options = options.content_type(ct);
            }
        }
        let packet = self
            .client
            .publish(&options, Bytes::Borrowed(body))
            .await
            .map_err(|e| map_error(&e))?;
        state.sent(now());
        state.handle(Incoming::Published { seq, packet }, now())
    }
}
