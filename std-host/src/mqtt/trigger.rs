//! MQTT-triggered calls: message → envelope → call → commit → acknowledge.
//!
//! The messages of one connection are handled one at a time, in the order
//! they arrived, so that what the functions publish keeps that order. A
//! message calls every function with a trigger on its connection whose
//! filter matches its topic, in configuration order, through the same
//! dispatch path as HTTP ([`crate::dispatch`]: the worker pool, fuel,
//! limits, deadline, quota). A QoS 1 message is acknowledged only after
//! those calls ended and what they staged was committed (KV writes and
//! publishes, one transaction: [`crate::txn`]).
//!
//! * A full pool or a spent quota: the call waits (`pool.retry_after`, or
//!   until the quota refills) and is made again.
//! * `storage_unavailable` or `conflict` (nothing was kept): made again
//!   after a doubling pause, up to 5 s, for as long as it takes.
//! * Any other failure (a trap, fuel, a deadline…) is the function's: it is
//!   logged and counted like an HTTP call's (with a crash snapshot when the
//!   function has `record_crashes`), and the call made again as the
//!   trigger's `retries` and `backoff` say. When the last fails the message
//!   is dead-lettered ([`super::dead_letter`]: recorded, and published to
//!   the trigger's `dead_letter` topic) and acknowledged: a poison message
//!   never blocks its subscription.
//! * MQTT 5 request/response: when the message names a response topic, each
//!   call's response (its body; `status` and its headers as user
//!   properties; its content type) or error (`{"error","trace_id"}`) is
//!   stored in the outbox, to be published there on the same connection
//!   with the request's correlation data and QoS, before the request is
//!   acknowledged.
//! * A QoS 1 message that arrived on a connection that has dropped since is
//!   not handled: the broker sends it again on the resumed session.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jinn_core::contract::envelope::MqttMessage;
use jinn_core::contract::headers;
use jinn_core::{ErrorKind, Message, MqttReply, Qos, Request};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::Publish;

use super::connection::{Arrived, Link};
use super::dead_letter::{self, DeadLetter, FailureStats};
use crate::call::CallResult;
use crate::config::mqtt::FailurePolicy;
use crate::dispatch::{self, Cancel};
use crate::loaded::Loaded;
use crate::metrics::Rejection;
use crate::outbox::ReplyTo;
use crate::shared::Shared;

/// Counters of the trigger path of one connection.
#[derive(Default)]
pub struct TriggerStats {
    /// Messages that arrived.
    pub received: AtomicU64,
    /// Messages acknowledged after their calls committed (QoS 1).
    pub acknowledged: AtomicU64,
    /// Messages no trigger's filter matches.
    pub unmatched: AtomicU64,
    /// Messages left for the broker to send again (their connection dropped).
    pub left_for_redelivery: AtomicU64,
    /// Messages dead-lettered after their calls all failed.
    pub dead_letters: AtomicU64,
}

/// Handles the messages of connection `name`, one at a time.
///
/// Acknowledgements never wait for the client: one that does not fit its
/// queue now is kept here and handed over later, so that this path always
/// goes on taking messages (the connection task may be waiting for it to
/// take one while the client waits for its event loop to be polled).
pub async fn run(
    shared: Arc<Shared>,
    name: String,
    link: Arc<Link>,
    mut arrived: super::arrivals::Receiver,
    stats: Arc<TriggerStats>,
    failures: Arc<FailureStats>,
) {
    let mut acks: VecDeque<(u64, Publish)> = VecDeque::new();
    loop {
        flush_acks(&link, &mut acks, &stats);
        let next = tokio::select! {
            next = arrived.recv() => next,
            () = tokio::time::sleep(ACK_RETRY), if !acks.is_empty() => continue,
        };
        let Some(Arrived { epoch, publish }) = next else {
            return;
        };
        stats.received.fetch_add(1, Ordering::Relaxed);
        let qos1 = publish.qos != QoS::AtMostOnce;
        if qos1 && link.client_of(epoch).is_none() {
            stats.left_for_redelivery.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if !handle(&shared, &name, &publish, &stats, &failures).await {
            // Shutting down: not acknowledged, the broker sends it again.
            return;
        }
        if qos1 {
            // Only what the acknowledgement needs: the packet id and QoS.
            let mut ack = Publish::new("", publish.qos, Vec::new(), None);
            ack.pkid = publish.pkid;
            acks.push_back((epoch, ack));
        }
    }
}

/// How soon acknowledgements that did not fit the client's queue are tried again.
const ACK_RETRY: Duration = Duration::from_millis(20);

/// Hands the kept acknowledgements to the client, in order, while it takes
/// them; those of a connection that dropped are left to the broker's
/// redelivery.
fn flush_acks(link: &Link, acks: &mut VecDeque<(u64, Publish)>, stats: &TriggerStats) {
    while let Some((epoch, publish)) = acks.front() {
        let Some(client) = link.client_of(*epoch) else {
            stats.left_for_redelivery.fetch_add(1, Ordering::Relaxed);
            acks.pop_front();
            continue;
        };
        if client.try_ack(publish).is_err() {
            return;
        }
        stats.acknowledged.fetch_add(1, Ordering::Relaxed);
        acks.pop_front();
    }
}

/// Calls the functions `publish` triggers; false when the gateway is
/// shutting down before they ended.
async fn handle(
    shared: &Arc<Shared>,
    connection: &str,
    publish: &Publish,
    stats: &TriggerStats,
    failures: &FailureStats,
) -> bool {
    let Ok(topic) = std::str::from_utf8(&publish.topic) else {
        tracing::warn!(connection, "mqtt: a message's topic is not UTF-8: ignored");
        return true;
    };
    // The triggers of the start (their subscriptions are), the functions in force.
    let gateway = shared.current();
    let targets: Vec<(Arc<Loaded>, &FailurePolicy)> = shared
        .startup
        .functions
        .iter()
        .filter_map(|f| {
            // The first of its triggers that matches says what a failure does.
            let trigger = f.mqtt.iter().find(|t| {
                t.connection == connection
                    && jinn_core::permissions::topic_matches(&t.filter, topic)
            })?;
            let loaded = gateway
                .functions
                .iter()
                .find(|l| *l.name == *f.name)
                .cloned();
            if loaded.is_none() {
                tracing::warn!(
                    connection,
                    function = &*f.name,
                    "mqtt: the function is no longer configured: the message does not call it"
                );
            }
            Some((loaded?, &trigger.failure))
        })
        .collect();
    if targets.is_empty() {
        stats.unmatched.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(connection, topic, "mqtt: no trigger matches the message");
        return true;
    }
    let request = envelope(topic, publish);
    let reply_to = publish
        .properties
        .as_ref()
        .is_some_and(|p| p.response_topic.is_some());
    for (loaded, policy) in targets {
        let mut attempts = 1;
        let result = loop {
            let Some(result) = call(shared, &loaded, &request).await else {
                return false;
            };
            match result {
                Err(e) if attempts <= policy.retries => {
                    let pause = policy.pause(attempts);
                    tracing::warn!(
                        function = &*loaded.name,
                        trace_id = request.trace_id.as_deref().unwrap_or(""),
                        kind = e.kind().as_str(),
                        attempts,
                        "mqtt: the call failed; calling again in {pause:?}"
                    );
                    failures.retried(&loaded.name);
                    tokio::time::sleep(pause).await;
                    attempts += 1;
                }
                result => break result,
            }
        };
        if let Err(e) = &result {
            let letter = DeadLetter {
                time_ns: now_ns(),
                function: loaded.name.to_string(),
                connection: connection.to_string(),
                topic: topic.to_string(),
                qos: request_qos(publish),
                payload: BASE64.encode(&publish.payload),
                attempts,
                error: e.kind().as_str().to_string(),
                trace_id: request.trace_id.clone().unwrap_or_default(),
                message_id: headers::first(&request.headers, "x-mqtt-message-id")
                    .unwrap_or("")
                    .to_string(),
            };
            store_dead_letter(shared, policy, &letter).await;
            failures.dead_lettered(&loaded.name);
            stats.dead_letters.fetch_add(1, Ordering::Relaxed);
        }
        if reply_to && let Some(message) = reply(connection, &request, result) {
            store_reply(shared, &loaded.name, &request, message).await;
        }
    }
    true
}

fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn request_qos(publish: &Publish) -> u8 {
    match publish.qos {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 1,
        QoS::ExactlyOnce => 2,
    }
}

/// Records `letter` (and stores its publication in the outbox when the
/// trigger has a `dead_letter` destination), in one transaction, before
/// the message is acknowledged; tries again while the store fails.
async fn store_dead_letter(shared: &Arc<Shared>, policy: &FailurePolicy, letter: &DeadLetter) {
    tracing::warn!(
        function = letter.function,
        trace_id = letter.trace_id,
        kind = letter.error,
        attempts = letter.attempts,
        topic = letter.topic,
        to = policy
            .dead_letter
            .as_ref()
            .map(|d| d.topic_for(&letter.function)),
        "mqtt: the message is dead-lettered and acknowledged"
    );
    let letter = Arc::new(letter.clone());
    let to = policy.dead_letter.clone();
    let mut pause = Duration::from_millis(50);
    loop {
        let (s, l, to) = (shared.clone(), letter.clone(), to.clone());
        let stored = tokio::task::spawn_blocking(move || -> Result<(), String> {
            match &to {
                Some(to) => {
                    let (message, reply) = l.publication(to);
                    s.outbox
                        .append_reply_with(&l.function, &l.trace_id, &message, &reply, |tx| {
                            dead_letter::record_in(tx, &l)
                        })
                        .map_err(|e| e.to_string())
                }
                None => {
                    let Some(db) = s.kv.db() else {
                        return Ok(());
                    };
                    db.run(|db| -> Result<(), redb::Error> {
                        let tx = crate::db::begin_write(db)?;
                        dead_letter::record_in(&tx, &l)?;
                        tx.commit()?;
                        Ok(())
                    })
                    .map_err(|e| e.to_string())?;
                    db.mark_healthy();
                    Ok(())
                }
            }
        })
        .await;
        match stored {
            Ok(Ok(())) => return,
            Ok(Err(e)) => tracing::warn!(
                function = letter.function,
                trace_id = letter.trace_id,
                "mqtt: cannot store the dead letter, trying again: {e}"
            ),
            Err(e) => tracing::error!(
                function = letter.function,
                trace_id = letter.trace_id,
                "mqtt: storing the dead letter failed: {e}"
            ),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// The MQTT 5 response to `request` on `connection`: jinn-core's
/// [`MqttReply`] (the function's response, or its error as JSON, with the
/// request's correlation data and QoS), as an outbox message.
fn reply(
    connection: &str,
    request: &Request,
    result: Result<jinn_core::Response, jinn_core::InvokeError>,
) -> Option<(Message, ReplyTo)> {
    let reply = MqttReply::to(request, result)?;
    Some((
        Message {
            topic: reply.topic,
            payload: reply.payload,
            qos: reply.qos,
        },
        ReplyTo {
            connection: connection.to_string(),
            correlation_data: reply.correlation_data.map(|d| BASE64.encode(d)),
            content_type: reply.content_type,
            user_properties: reply.user_properties,
        },
    ))
}

/// Stores a response in the outbox before the request is acknowledged,
/// trying again while the store fails.
async fn store_reply(
    shared: &Arc<Shared>,
    function: &str,
    request: &Request,
    reply: (Message, ReplyTo),
) {
    let trace_id = request.trace_id.clone().unwrap_or_default();
    let reply = Arc::new(reply);
    let mut pause = Duration::from_millis(50);
    loop {
        let (s, r, f, t) = (
            shared.clone(),
            reply.clone(),
            function.to_string(),
            trace_id.clone(),
        );
        let stored =
            tokio::task::spawn_blocking(move || s.outbox.append_reply(&f, &t, &r.0, &r.1)).await;
        match stored {
            Ok(Ok(())) => return,
            Ok(Err(e)) => tracing::warn!(
                function,
                trace_id,
                "mqtt: cannot store the response, trying again: {e}"
            ),
            Err(e) => tracing::error!(function, trace_id, "mqtt: storing the response failed: {e}"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// The envelope of `publish` ([`MqttMessage`], defined once for every target).
pub fn envelope(topic: &str, publish: &Publish) -> Request {
    let qos = match publish.qos {
        QoS::AtMostOnce => Qos::AtMostOnce,
        QoS::AtLeastOnce => Qos::AtLeastOnce,
        QoS::ExactlyOnce => Qos::ExactlyOnce,
    };
    let props = publish.properties.as_ref();
    let user: Vec<(&str, &str)> = props
        .map(|p| {
            p.user_properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let message = MqttMessage {
        topic,
        payload: &publish.payload,
        qos,
        retain: publish.retain,
        packet_id: (qos != Qos::AtMostOnce).then_some(publish.pkid),
        content_type: props.and_then(|p| p.content_type.as_deref()),
        response_topic: props.and_then(|p| p.response_topic.as_deref()),
        correlation_data: props.and_then(|p| p.correlation_data.as_deref()),
        user_properties: &user,
    };
    message.envelope(|bytes| {
        let _ = getrandom::fill(bytes);
    })
}

/// One call of `loaded` on `request`, made again until it ended in a way
/// that is the function's (committed, or failed by itself): its result;
/// `None` when the gateway shut down first.
async fn call(
    shared: &Arc<Shared>,
    loaded: &Arc<Loaded>,
    request: &Request,
) -> Option<Result<jinn_core::Response, jinn_core::InvokeError>> {
    let trace_id = request.trace_id.clone().unwrap_or_default();
    let mut pause = Duration::from_millis(50);
    loop {
        if let Err(wait) = shared.quotas.admit(&loaded.name) {
            loaded.metrics.reject(Rejection::QuotaExceeded);
            tokio::time::sleep(wait).await;
            continue;
        }
        let cancel = Arc::new(Cancel::default());
        let submitted = dispatch::submit(
            shared,
            loaded.clone(),
            request.clone(),
            trace_id.clone(),
            cancel,
        );
        let Ok((rx, _ticket)) = submitted else {
            loaded.metrics.reject(Rejection::Overloaded);
            tokio::time::sleep(shared.startup.pool.retry_after).await;
            continue;
        };
        let Ok(CallResult { outcome, .. }) = rx.await else {
            return None;
        };
        match outcome.result {
            Ok(response) => return Some(Ok(response)),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::StorageUnavailable | ErrorKind::Conflict
                ) =>
            {
                tracing::warn!(
                    function = &*loaded.name,
                    trace_id,
                    kind = e.kind().as_str(),
                    "mqtt: nothing of the call was kept; calling again"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                tracing::warn!(
                    function = &*loaded.name,
                    trace_id,
                    kind = e.kind().as_str(),
                    "mqtt: the call failed"
                );
                return Some(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::v5::mqttbytes::v5::PublishProperties;

    #[test]
    fn the_envelope_carries_the_message_and_its_properties() {
        let mut p = Publish::new("sensors/t1", QoS::AtLeastOnce, "21.5", None);
        p.pkid = 7;
        p.properties = Some(PublishProperties {
            content_type: Some("text/plain".into()),
            response_topic: Some("replies/1".into()),
            correlation_data: Some(bytes::Bytes::from_static(&[1, 2])),
            user_properties: vec![("site".into(), "north".into())],
            ..Default::default()
        });
        let r = envelope("sensors/t1", &p);
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("MQTT", "sensors/t1"));
        assert_eq!(r.body, b"21.5");
        assert_eq!(r.headers["X-Mqtt-Qos"], ["1"]);
        assert_eq!(r.headers["Content-Type"], ["text/plain"]);
        assert_eq!(r.headers["X-Mqtt-Response-Topic"], ["replies/1"]);
        assert_eq!(r.headers["X-Mqtt-Correlation-Data"], ["AQI="]);
        assert_eq!(r.headers["X-Mqtt-User-site"], ["north"]);
        // A redelivery (same packet id, dup flag set) has the same message id.
        let mut again = p.clone();
        again.dup = true;
        let id = |r: &Request| r.headers["X-Mqtt-Message-Id"][0].clone();
        assert_eq!(id(&r), id(&envelope("sensors/t1", &again)));
        again.pkid = 8;
        assert_ne!(id(&r), id(&envelope("sensors/t1", &again)));
    }

    #[test]
    fn a_failed_call_answers_its_error_with_the_correlation_data() {
        let mut p = Publish::new("requests/x", QoS::AtLeastOnce, "x", None);
        p.properties = Some(PublishProperties {
            response_topic: Some("replies/x".into()),
            correlation_data: Some(bytes::Bytes::from_static(&[1, 2])),
            ..Default::default()
        });
        let mut request = envelope("requests/x", &p);
        request.trace_id = Some("t-1".into());
        let (message, to) =
            reply("local", &request, Err(jinn_core::InvokeError::Interrupted)).expect("a reply");
        assert_eq!(message.topic, "replies/x");
        assert_eq!(message.qos, Qos::AtLeastOnce);
        assert_eq!(
            String::from_utf8(message.payload).unwrap(),
            r#"{"error":"timeout","trace_id":"t-1"}"#
        );
        assert_eq!(to.connection, "local");
        assert_eq!(to.correlation_data.as_deref(), Some("AQI="));
        assert_eq!(
            to.user_properties,
            [("status".to_string(), "504".to_string())]
        );
    }
}
