//! The MQTT bridge of `jinn serve`: functions triggered by MQTT messages,
//! and the outbox drained to the brokers, through outages of any length.
//!
//! * [`connection`]: one task per `[mqtt.<name>]`, connecting with MQTT 5
//!   (`rumqttc::v5`), persistent sessions and a doubling reconnect backoff.
//! * [`trigger`]: a message → the MQTT envelope → a call through the HTTP
//!   calls' dispatch path → commit → only then the QoS 1 acknowledgement.
//! * [`tls`]: the rustls client configuration of an `mqtts://` connection.
//! * [`drain`] and [`window`]: the outbox read in order, each message routed
//!   by `[[mqtt_route]]` to one connection and removed once its broker
//!   acknowledged it; unacknowledged messages are sent again after a
//!   reconnect.
//!
//! The bridge starts with the gateway when at least one connection is
//! configured; its configuration is the one at start (a reload does not
//! change connections, triggers or routes).

pub mod arrivals;
pub mod connection;
pub mod dead_letter;
pub mod drain;
pub mod metrics;
pub mod tls;
pub mod trigger;
pub mod window;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::shared::Shared;
use connection::Link;
use drain::{DrainStats, OutboxRef, QueueGauge};
use trigger::TriggerStats;

/// One connection's state, for `/metrics`, `/readyz` and the status page.
pub struct ConnectionState {
    /// Its name.
    pub name: String,
    /// Its broker as `mqtt://host:port` or `mqtts://host:port`, without
    /// credentials.
    pub broker: String,
    /// `/readyz` needs it up.
    pub required: bool,
    /// Connected or not.
    pub link: Arc<Link>,
    /// Its outbox queue.
    pub queue: Arc<QueueGauge>,
    /// Its trigger path.
    pub triggers: Arc<TriggerStats>,
}

/// What the bridge shows of itself (`/metrics`, `/readyz`, the status page).
pub struct BridgeState {
    /// Per connection, in configuration order.
    pub connections: Vec<ConnectionState>,
    /// Unrouted and undecodable messages.
    pub drain: Arc<DrainStats>,
    /// Retries and dead letters per function.
    pub failures: Arc<dead_letter::FailureStats>,
}

/// `mqtt://host:port` (`mqtts://` with TLS) of `spec`: the URL never
/// carries credentials (they are separate settings).
pub fn broker_url(spec: &crate::config::mqtt::MqttConnection) -> String {
    let scheme = if spec.tls.is_some() { "mqtts" } else { "mqtt" };
    if spec.host.contains(':') {
        format!("{scheme}://[{}]:{}", spec.host, spec.port)
    } else {
        format!("{scheme}://{}:{}", spec.host, spec.port)
    }
}

/// The running bridge.
pub struct Bridge {
    tasks: Vec<JoinHandle<()>>,
}

impl Bridge {
    /// Stops every task: messages not acknowledged yet are sent again by
    /// the broker, and the outbox keeps what was not sent.
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Starts the bridge when MQTT connections are configured, and gives its
/// state to `shared` ([`Shared::mqtt`]).
pub fn start(shared: &Arc<Shared>) -> Option<Bridge> {
    let settings = shared.startup.mqtt.clone();
    if settings.connections.is_empty() {
        return None;
    }
    let triggers: Vec<_> = shared
        .startup
        .functions
        .iter()
        .flat_map(|f| f.mqtt.iter().cloned())
        .collect();
    let (deleted_tx, deleted_rx) = mpsc::unbounded_channel();
    let outbox = Arc::new(OutboxRef(shared.clone()));
    let mut tasks = Vec::new();
    let mut drainers = HashMap::new();
    let mut connections = Vec::new();
    // Made when the first generation was built (its errors stopped the start).
    let tls_configs = shared.current().mqtt_tls.clone();
    let failures = Arc::new(dead_letter::FailureStats::new(
        shared
            .startup
            .functions
            .iter()
            .filter(|f| !f.mqtt.is_empty())
            .map(|f| &*f.name),
    ));
    for spec in &settings.connections {
        let link = Arc::new(Link::default());
        let queue = Arc::new(QueueGauge::default());
        let stats = Arc::new(TriggerStats::default());
        let (entries_tx, entries_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (arrived_tx, arrived_rx) = arrivals::queue();
        drainers.insert(spec.name.clone(), entries_tx);
        let filters = connection::subscriptions(&spec.name, &triggers);
        tasks.push(tokio::spawn(connection::run(
            spec.clone(),
            tls_configs.get(&spec.name).cloned(),
            filters,
            link.clone(),
            events_tx,
            arrived_tx,
        )));
        tasks.push(tokio::spawn(drain::drain(
            spec.name.clone(),
            spec.max_inflight,
            entries_rx,
            events_rx,
            deleted_tx.clone(),
            queue.clone(),
            outbox.clone(),
        )));
        tasks.push(tokio::spawn(trigger::run(
            shared.clone(),
            spec.name.clone(),
            link.clone(),
            arrived_rx,
            stats.clone(),
            failures.clone(),
        )));
        connections.push(ConnectionState {
            name: spec.name.clone(),
            broker: broker_url(spec),
            required: spec.required,
            link,
            queue,
            triggers: stats,
        });
    }
    let drain_stats = Arc::new(DrainStats::default());
    tasks.push(tokio::spawn(drain::read(
        outbox.clone(),
        settings,
        drainers,
        deleted_tx,
        drain_stats.clone(),
    )));
    tasks.push(tokio::spawn(drain::delete(outbox, deleted_rx)));
    let _ = shared.mqtt.set(Arc::new(BridgeState {
        connections,
        drain: drain_stats,
        failures,
    }));
    Some(Bridge { tasks })
}
