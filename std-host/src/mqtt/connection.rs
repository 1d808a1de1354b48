//! One broker connection: connects, subscribes to the triggers on it, and
//! reports what happens to the drainer ([`super::drain`]) and the trigger
//! path ([`super::trigger`]). It reconnects with a doubling backoff
//! (100 ms up to `reconnect_max`) for as long as the gateway runs.
//!
//! Each connection attempt gets a fresh client and event loop (an
//! *epoch*): what the previous one had queued or in flight is dropped
//! with it, and the drainer sends it again from the outbox. The broker
//! keeps the session (`clean_start = false`, `session_expiry`), so the
//! subscriptions and the QoS 1 messages not acknowledged yet survive a
//! reconnect; the broker sends those again.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    Filter, Packet, PubAckReason, Publish, RetainForwardRule, SubscribeReasonCode,
};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use rumqttc::{TlsConfiguration, Transport};
use tokio::sync::mpsc;

use super::arrivals::{self, PushError};
use crate::config::mqtt::{MqttConnection, MqttTrigger};

/// What the drainer hears from the connection.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected: publish through this client.
    Connected(u64, AsyncClient),
    /// The client wrote out a publish with this packet id (0: QoS 0).
    Written(u64, u16),
    /// The broker acknowledged a publish.
    Acknowledged(u64, u16),
    /// The connection of this epoch is gone.
    Disconnected(u64),
}

/// A message that arrived, with the epoch of the connection it came on.
#[derive(Debug)]
pub struct Arrived {
    /// The connection attempt it arrived on.
    pub epoch: u64,
    /// The message.
    pub publish: Publish,
}

/// Where a connection stands, for the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet since the gateway started.
    Connecting,
    /// Connected to its broker.
    Connected,
    /// Lost, or the last attempt failed; retried with backoff.
    Down,
}

impl LinkState {
    /// Its name on the status page.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Down => "down",
        }
    }
}

const CONNECTING: u8 = 0;
const CONNECTED: u8 = 1;
const DOWN: u8 = 2;

/// The state of a connection, shared with the trigger path, `/metrics` and
/// the status page.
#[derive(Default)]
pub struct Link {
    connected: AtomicBool,
    epoch: AtomicU64,
    client: Mutex<Option<AsyncClient>>,
    /// Connections made.
    pub connects: AtomicU64,
    /// [`LinkState`] as `CONNECTING`, `CONNECTED` or `DOWN`.
    state: AtomicU8,
    /// When it entered that state, ms since the epoch (0: not yet known).
    since_ms: AtomicU64,
}

impl Link {
    /// Connected now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Its state and since when (ms since the epoch; `None` before the
    /// connection task started).
    pub fn state(&self) -> (LinkState, Option<u64>) {
        let state = match self.state.load(Ordering::Relaxed) {
            CONNECTED => LinkState::Connected,
            DOWN => LinkState::Down,
            _ => LinkState::Connecting,
        };
        let since = self.since_ms.load(Ordering::Relaxed);
        (state, (since > 0).then_some(since))
    }

    /// Enters `state` now, unless it is in it already (its time is kept).
    fn enter(&self, state: u8) {
        if self.state.swap(state, Ordering::Relaxed) != state
            || self.since_ms.load(Ordering::Relaxed) == 0
        {
            self.since_ms
                .store(crate::status::now_ms(), Ordering::Relaxed);
        }
    }

    /// The client of `epoch`, while that connection lasts.
    pub fn client_of(&self, epoch: u64) -> Option<AsyncClient> {
        if self.epoch.load(Ordering::Relaxed) != epoch || !self.is_connected() {
            return None;
        }
        self.client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn up(&self, epoch: u64, client: AsyncClient) {
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = Some(client);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.connected.store(true, Ordering::Relaxed);
        self.connects.fetch_add(1, Ordering::Relaxed);
        self.enter(CONNECTED);
    }

    fn down(&self) {
        self.connected.store(false, Ordering::Relaxed);
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.enter(DOWN);
    }
}

/// QoS 1 messages the broker may send before they are acknowledged (the
/// trigger path's queue holds more).
const RECEIVE_MAXIMUM: u16 = 128;

/// The largest packet the gateway takes, advertised to the broker as the
/// MQTT 5 Maximum Packet Size so that it drops a larger message instead of
/// sending it. Without it the client's own 10 KiB limit is unknown to the
/// broker: a larger QoS 1 message ends the connection, comes back on the
/// reconnect, and blocks the subscription for good.
const MAX_PACKET_SIZE: u32 = 1024 * 1024;

/// The client options of `spec` (credentials included, never logged), over
/// TLS with `tls` when given (the server name checked is the URL's host).
fn options(spec: &MqttConnection, tls: Option<&Arc<rustls::ClientConfig>>) -> MqttOptions {
    let mut o = MqttOptions::new(spec.client_id.clone(), spec.host.clone(), spec.port);
    if let Some(tls) = tls {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            tls.clone(),
        )));
    }
    o.set_keep_alive(spec.keep_alive)
        .set_clean_start(spec.clean_start)
        .set_manual_acks(true)
        .set_session_expiry_interval(Some(
            u32::try_from(spec.session_expiry.as_secs()).unwrap_or(u32::MAX),
        ))
        .set_outgoing_inflight_upper_limit(spec.max_inflight)
        .set_receive_maximum(Some(RECEIVE_MAXIMUM))
        .set_max_packet_size(Some(MAX_PACKET_SIZE))
        .set_connection_timeout(5);
    if let Some((user, password)) = &spec.credentials {
        o.set_credentials(user.clone(), password.clone());
    }
    o
}

/// The subscriptions of `triggers` on connection `name`, one per filter
/// (the highest QoS asked for it).
pub fn subscriptions(name: &str, triggers: &[MqttTrigger]) -> Vec<Filter> {
    let mut filters: Vec<Filter> = Vec::new();
    for t in triggers.iter().filter(|t| t.connection == name) {
        let qos = if t.qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        };
        match filters.iter_mut().find(|f| f.path == t.subscription) {
            Some(f) if qos == QoS::AtLeastOnce => f.qos = qos,
            Some(_) => {}
            None => {
                let mut f = Filter::new(t.subscription.clone(), qos);
                // A resubscription after a reconnect does not bring the retained messages again.
                f.retain_forward_rule = RetainForwardRule::OnNewSubscribe;
                filters.push(f);
            }
        }
    }
    filters
}

/// Channel capacity of a client: its window, acknowledgements of arrived
/// messages and subscriptions.
fn capacity(spec: &MqttConnection) -> usize {
    usize::from(spec.max_inflight) * 2 + 1024
}

/// Runs connection `spec` (over TLS with `tls`) until the task is aborted.
pub async fn run(
    spec: MqttConnection,
    tls: Option<Arc<rustls::ClientConfig>>,
    filters: Vec<Filter>,
    link: Arc<Link>,
    events: mpsc::UnboundedSender<LinkEvent>,
    arrived: arrivals::Sender,
) {
    let mut backoff = Duration::from_millis(100);
    let mut epoch = 0u64;
    let mut failures = 0u64;
    link.enter(CONNECTING);
    loop {
        epoch += 1;
        let (client, mut eventloop) =
            AsyncClient::new(options(&spec, tls.as_ref()), capacity(&spec));
        match connect(&mut eventloop).await {
            Ok(session_present) => {
                failures = 0;
                backoff = Duration::from_millis(100);
                tracing::info!(
                    connection = &*spec.name,
                    broker = format!("{}:{}", spec.host, spec.port),
                    session_present,
                    "mqtt: connected"
                );
                if !filters.is_empty()
                    && let Err(e) = client.try_subscribe_many(filters.clone())
                {
                    tracing::warn!(connection = &*spec.name, "mqtt: cannot subscribe: {e}");
                }
                link.up(epoch, client.clone());
                let _ = events.send(LinkEvent::Connected(epoch, client));
                let why = serve(&spec.name, &mut eventloop, epoch, &events, &arrived).await;
                link.down();
                let _ = events.send(LinkEvent::Disconnected(epoch));
                tracing::warn!(
                    connection = &*spec.name,
                    "mqtt: connection lost, reconnecting: {why}"
                );
            }
            Err(e) => {
                failures += 1;
                link.enter(DOWN);
                // Logged at the first failure and then now and then, not at every attempt.
                if failures == 1 || failures.is_power_of_two() {
                    tracing::warn!(
                        connection = &*spec.name,
                        broker = format!("{}:{}", spec.host, spec.port),
                        attempts = failures,
                        "mqtt: cannot connect, retrying: {e}"
                    );
                }
            }
        }
        drop(eventloop);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(spec.reconnect_max);
    }
}

/// Polls until the broker accepted the connection: whether it had a session.
async fn connect(eventloop: &mut EventLoop) -> Result<bool, String> {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => return Ok(ack.session_present),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Polls a connected event loop until it fails; why it did.
async fn serve(
    name: &str,
    eventloop: &mut EventLoop,
    epoch: u64,
    events: &mpsc::UnboundedSender<LinkEvent>,
    arrived: &arrivals::Sender,
) -> String {
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(rumqttc::Outgoing::Publish(pkid))) => {
                let _ = events.send(LinkEvent::Written(epoch, pkid));
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if !matches!(
                    ack.reason,
                    PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                ) {
                    // The broker answered for good: the message is not sent again.
                    tracing::warn!(
                        connection = name,
                        "mqtt: the broker refused a message: {:?}",
                        ack.reason
                    );
                }
                let _ = events.send(LinkEvent::Acknowledged(epoch, ack.pkid));
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                // Never waits: the event loop must go on being polled.
                match arrived.push(Arrived { epoch, publish }) {
                    Ok(()) => {}
                    // At most once: dropped when the trigger path is that far behind.
                    Err(PushError::Qos0Dropped(_)) => {}
                    Err(e) => return e.to_string(),
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = ack
                    .return_codes
                    .iter()
                    .filter(|c| !matches!(c, SubscribeReasonCode::Success(_)))
                    .count();
                if refused == 0 {
                    tracing::info!(
                        connection = name,
                        filters = ack.return_codes.len(),
                        "mqtt: subscribed"
                    );
                } else {
                    tracing::error!(
                        connection = name,
                        refused,
                        "mqtt: the broker refused subscriptions: {:?}",
                        ack.return_codes
                    );
                }
            }
            Ok(Event::Incoming(Packet::Disconnect(d))) => {
                return format!("the broker disconnected: {:?}", d.reason_code);
            }
            Ok(_) => {}
            Err(e) => return e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(connection: &str, subscription: &str, qos: u8) -> MqttTrigger {
        MqttTrigger {
            connection: connection.into(),
            subscription: subscription.into(),
            filter: subscription.into(),
            qos,
            failure: Default::default(),
        }
    }

    #[test]
    fn one_subscription_per_filter_at_the_highest_qos() {
        let triggers = [
            trigger("local", "a/+", 0),
            trigger("uplink", "b/#", 1),
            trigger("local", "a/+", 1),
            trigger("local", "c", 0),
        ];
        let filters = subscriptions("local", &triggers);
        let got: Vec<(&str, QoS)> = filters.iter().map(|f| (f.path.as_str(), f.qos)).collect();
        assert_eq!(got, [("a/+", QoS::AtLeastOnce), ("c", QoS::AtMostOnce)]);
    }

    #[test]
    fn options_keep_the_session_and_ack_by_hand() {
        let spec = MqttConnection {
            name: "local".into(),
            host: "127.0.0.1".into(),
            port: 1884,
            tls: None,
            client_id: "gw".into(),
            credentials: Some(("u".into(), "p".into())),
            keep_alive: Duration::from_secs(30),
            clean_start: false,
            session_expiry: Duration::from_secs(3600),
            max_inflight: 16,
            reconnect_max: Duration::from_secs(5),
            required: false,
        };
        let o = options(&spec, None);
        assert!(!o.clean_start());
        assert!(o.manual_acks());
        assert_eq!(o.session_expiry_interval(), Some(3600));
        assert_eq!(o.get_outgoing_inflight_upper_limit(), Some(16));
        assert_eq!(o.broker_address(), ("127.0.0.1".into(), 1884));
        assert!(matches!(o.transport(), Transport::Tcp));
        let tls = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        let o = options(&spec, Some(&Arc::new(tls)));
        assert!(matches!(
            o.transport(),
            Transport::Tls(TlsConfiguration::Rustls(_))
        ));
    }
}
