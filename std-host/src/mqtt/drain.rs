//! Draining the outbox: a reader hands each stored message, in outbox
//! order, to the drainer of the connection its topic is routed to
//! ([`crate::config::mqtt::MqttSettings::route`]); each drainer publishes
//! through its connection's [`Window`]; a deleter removes from the outbox,
//! in batches, what the brokers acknowledged.
//!
//! An MQTT 5 response ([`crate::outbox::ReplyTo`]) goes to the connection
//! its request came on, whatever the routes.
//!
//! A message no route matches cannot be sent anywhere: it is removed with
//! a warning and counted (`jinn_mqtt_unrouted_total`), never kept silently
//! nor dropped silently. A stored record that does not decode is removed the
//! same way, with an error.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::QoS;
use tokio::sync::mpsc;

use super::connection::LinkEvent;
use super::window::Window;
use crate::config::mqtt::MqttSettings;
use crate::outbox::{Entry, Outbox, ReplyTo};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rumqttc::v5::mqttbytes::v5::PublishProperties;

/// Messages read from the outbox at once.
const READ_BATCH: usize = 1024;
/// How long acknowledgements are gathered before one removal commit.
const DELETE_GATHER: Duration = Duration::from_millis(50);
/// How often the reader looks even when nothing woke it.
const READ_POLL: Duration = Duration::from_secs(1);

/// Counters of the drain, per connection where it applies.
#[derive(Default)]
pub struct DrainStats {
    /// Messages removed because no route matches their topic.
    pub unrouted: AtomicU64,
    /// Records removed because they do not decode.
    pub undecodable: AtomicU64,
}

/// What a connection's queue holds, for `/metrics`.
#[derive(Default)]
pub struct QueueGauge {
    /// Messages waiting or in flight.
    pub depth: AtomicU64,
    /// Their payload bytes.
    pub bytes: AtomicU64,
    /// When the oldest of them was published (ns since the epoch; 0: none).
    pub oldest_ns: AtomicU64,
    /// Messages the broker acknowledged (or the client wrote, QoS 0).
    pub sent: AtomicU64,
    /// Messages sent again after a connection dropped.
    pub resent: AtomicU64,
}

/// Reads the outbox from the start and forever after, routing each message.
pub async fn read(
    outbox: Arc<OutboxRef>,
    settings: MqttSettings,
    drainers: HashMap<String, mpsc::UnboundedSender<Entry>>,
    deleter: mpsc::UnboundedSender<u64>,
    stats: Arc<DrainStats>,
) {
    let mut after: Option<u64> = None;
    loop {
        let o = outbox.clone();
        let read = tokio::task::spawn_blocking(move || o.get().read_after(after, READ_BATCH)).await;
        let (entries, bad) = match read {
            Ok(Ok(read)) => read,
            Ok(Err(e)) => {
                tracing::error!("mqtt: cannot read the outbox, retrying: {e}");
                tokio::time::sleep(READ_POLL).await;
                continue;
            }
            Err(e) => {
                tracing::error!("mqtt: outbox reader failed: {e}");
                tokio::time::sleep(READ_POLL).await;
                continue;
            }
        };
        let full = entries.len() + bad.len() >= READ_BATCH;
        for b in bad {
            after = after.max(Some(b.seq));
            tracing::error!(
                seq = b.seq,
                "mqtt: an outbox record does not decode: removed"
            );
            stats.undecodable.fetch_add(1, Ordering::Relaxed);
            let _ = deleter.send(b.seq);
        }
        for entry in entries {
            after = after.max(Some(entry.seq));
            // A response goes back on the connection of its request; the rest by route.
            let connection = match &entry.reply {
                Some(reply) => Some(reply.connection.as_str()),
                None => settings.route(&entry.topic),
            };
            match connection.and_then(|name| drainers.get(name)) {
                Some(drainer) => {
                    let _ = drainer.send(entry);
                }
                None => {
                    tracing::warn!(
                        function = &*entry.function,
                        trace_id = &*entry.trace_id,
                        topic = &*entry.topic,
                        "mqtt: no [[mqtt_route]] matches the topic: message removed"
                    );
                    stats.unrouted.fetch_add(1, Ordering::Relaxed);
                    let _ = deleter.send(entry.seq);
                }
            }
        }
        if !full {
            tokio::select! {
                () = outbox.get().appended_signal().notified() => {}
                () = tokio::time::sleep(READ_POLL) => {}
            }
        }
    }
}

/// The outbox as the bridge's tasks hold it (it lives in [`crate::shared::Shared`]).
pub struct OutboxRef(pub Arc<crate::shared::Shared>);

impl OutboxRef {
    fn get(&self) -> &Outbox {
        &self.0.outbox
    }
}

/// Deletes acknowledged messages, in batches (one transaction each,
/// gathered for [`DELETE_GATHER`]).
pub async fn delete(outbox: Arc<OutboxRef>, mut done: mpsc::UnboundedReceiver<u64>) {
    let mut batch = Vec::new();
    loop {
        if batch.is_empty() {
            match done.recv().await {
                Some(seq) => batch.push(seq),
                None => return,
            }
            // Every commit costs fsyncs that the calls' own commits wait
            // for: acknowledgements are gathered a moment first. (A message
            // acknowledged and not yet removed is sent again after a crash:
            // a duplicate, never a loss.)
            tokio::time::sleep(DELETE_GATHER).await;
        }
        while let Ok(seq) = done.try_recv() {
            batch.push(seq);
        }
        let o = outbox.clone();
        let seqs = std::mem::take(&mut batch);
        let result = tokio::task::spawn_blocking(move || {
            let r = o.get().delete_many(&seqs);
            (r, seqs)
        })
        .await;
        match result {
            Ok((Ok(_), _)) => {}
            Ok((Err(e), seqs)) => {
                tracing::error!(
                    messages = seqs.len(),
                    "mqtt: cannot remove sent messages from the outbox, retrying: {e}"
                );
                batch = seqs;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => tracing::error!("mqtt: outbox deleter failed: {e}"),
        }
    }
}

/// Publishes the messages routed to one connection, in order.
pub async fn drain(
    name: String,
    max_inflight: u16,
    mut entries: mpsc::UnboundedReceiver<Entry>,
    mut events: mpsc::UnboundedReceiver<LinkEvent>,
    deleter: mpsc::UnboundedSender<u64>,
    gauge: Arc<QueueGauge>,
    outbox: Arc<OutboxRef>,
) {
    let mut window = Window::new(usize::from(max_inflight));
    let mut client: Option<(u64, AsyncClient)> = None;
    // Published times and payload sizes of what is in the window, by
    // sequence number (for the gauges), and the sum of those sizes.
    let mut times: std::collections::BTreeMap<u64, (u64, u64)> = std::collections::BTreeMap::new();
    let mut bytes = 0u64;
    loop {
        tokio::select! {
            entry = entries.recv() => match entry {
                Some(entry) => {
                    let size = entry.payload.len() as u64;
                    if let Some((_, was)) = times.insert(entry.seq, (entry.time_ns, size)) {
                        bytes = bytes.saturating_sub(was);
                    }
                    bytes += size;
                    window.push(entry);
                }
                None => return,
            },
            event = events.recv() => {
                let Some(event) = event else { return };
                let done = |seq: u64, times: &mut std::collections::BTreeMap<u64, (u64, u64)>, bytes: &mut u64| {
                    *bytes = bytes.saturating_sub(times.remove(&seq).map_or(0, |(_, b)| b));
                    outbox.get().forget_dropped(seq);
                    gauge.sent.fetch_add(1, Ordering::Relaxed);
                    let _ = deleter.send(seq);
                };
                match event {
                    LinkEvent::Connected(epoch, c) => client = Some((epoch, c)),
                    LinkEvent::Written(epoch, pkid) if current(&client, epoch) => {
                        if let Some(seq) = window.written(pkid) {
                            done(seq, &mut times, &mut bytes);
                        }
                    }
                    LinkEvent::Acknowledged(epoch, pkid) if current(&client, epoch) => {
                        if let Some(seq) = window.acknowledged(pkid) {
                            done(seq, &mut times, &mut bytes);
                        }
                    }
                    LinkEvent::Disconnected(epoch) if current(&client, epoch) => {
                        client = None;
                        let again = window.in_flight() as u64;
                        if again > 0 {
                            gauge.resent.fetch_add(again, Ordering::Relaxed);
                            tracing::info!(
                                connection = &*name,
                                messages = again,
                                "mqtt: unacknowledged messages are sent again after the reconnect"
                            );
                        }
                        window.disconnected();
                    }
                    _ => {}
                }
            }
            // Looks again now and then when a hand-over found the client's queue full.
            () = tokio::time::sleep(Duration::from_millis(100)), if client.is_some() && window.next().is_some() => {}
        }
        if let Some((_, c)) = &client {
            while let Some(entry) = window.next() {
                if outbox.get().forget_dropped(entry.seq) {
                    // Dropped from a full outbox after it was read.
                    bytes = bytes.saturating_sub(times.remove(&entry.seq).map_or(0, |(_, b)| b));
                    window.skip();
                    continue;
                }
                let qos = if entry.qos == 0 {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                };
                let sent = match &entry.reply {
                    None => c.try_publish(entry.topic.clone(), qos, false, entry.payload.clone()),
                    Some(reply) => c.try_publish_with_properties(
                        entry.topic.clone(),
                        qos,
                        false,
                        entry.payload.clone(),
                        reply_properties(reply),
                    ),
                };
                match sent {
                    Ok(()) => window.handed(),
                    Err(_) => break,
                }
            }
        }
        gauge.depth.store(window.len() as u64, Ordering::Relaxed);
        gauge.bytes.store(bytes, Ordering::Relaxed);
        gauge.oldest_ns.store(
            times.first_key_value().map_or(0, |(_, (t, _))| *t),
            Ordering::Relaxed,
        );
    }
}

/// The MQTT 5 properties of a response.
fn reply_properties(reply: &ReplyTo) -> PublishProperties {
    PublishProperties {
        correlation_data: reply
            .correlation_data
            .as_ref()
            .and_then(|d| BASE64.decode(d).ok())
            .map(Into::into),
        content_type: reply.content_type.clone(),
        user_properties: reply.user_properties.clone(),
        ..PublishProperties::default()
    }
}

fn current(client: &Option<(u64, AsyncClient)>, epoch: u64) -> bool {
    client.as_ref().is_some_and(|(e, _)| *e == epoch)
}
