//! The bridge's series on `/metrics`, per connection, and what `/readyz`
//! needs to know of it.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::BridgeState;

/// The Prometheus text of the bridge.
pub fn encode(state: &BridgeState) -> String {
    let mut out = String::new();
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    type Series = (
        &'static str,
        &'static str,
        &'static str,
        fn(&super::ConnectionState, u64) -> f64,
    );
    let series: [Series; 10] = [
        (
            "jinn_mqtt_connected",
            "gauge",
            "1 while the broker connection is up.",
            |c, _| f64::from(u8::from(c.link.is_connected())),
        ),
        (
            "jinn_mqtt_connects_total",
            "counter",
            "Connections made to the broker.",
            |c, _| c.link.connects.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_outbox_messages",
            "gauge",
            "Outbox messages routed to the connection, not yet acknowledged by its broker.",
            |c, _| c.queue.depth.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_outbox_oldest_age_seconds",
            "gauge",
            "Age of the oldest of those messages (0 when none).",
            |c, now| {
                let oldest = c.queue.oldest_ns.load(Ordering::Relaxed);
                if oldest == 0 {
                    0.0
                } else {
                    now.saturating_sub(oldest) as f64 / 1e9
                }
            },
        ),
        (
            "jinn_mqtt_sent_total",
            "counter",
            "Outbox messages the broker acknowledged (QoS 1) or the client wrote (QoS 0), then removed.",
            |c, _| c.queue.sent.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_resent_total",
            "counter",
            "Outbox messages sent again after the connection dropped before their acknowledgement.",
            |c, _| c.queue.resent.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_received_total",
            "counter",
            "Messages that arrived on the connection.",
            |c, _| c.triggers.received.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_acknowledged_total",
            "counter",
            "QoS 1 messages acknowledged after their calls committed.",
            |c, _| c.triggers.acknowledged.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_unmatched_total",
            "counter",
            "Messages no trigger's filter matches.",
            |c, _| c.triggers.unmatched.load(Ordering::Relaxed) as f64,
        ),
        (
            "jinn_mqtt_redelivery_left_total",
            "counter",
            "QoS 1 messages left to the broker to send again (their connection dropped first).",
            |c, _| c.triggers.left_for_redelivery.load(Ordering::Relaxed) as f64,
        ),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for c in &state.connections {
            let _ = writeln!(
                out,
                "{name}{{connection=\"{}\"}} {}",
                c.name,
                value(c, now_ns)
            );
        }
    }
    for (name, help, value) in [
        (
            "jinn_mqtt_unrouted_total",
            "Outbox messages removed because no [[mqtt_route]] matches their topic.",
            &state.drain.unrouted,
        ),
        (
            "jinn_mqtt_undecodable_total",
            "Outbox records removed because they do not decode.",
            &state.drain.undecodable,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            value.load(Ordering::Relaxed)
        );
    }
    let failures = state.failures.snapshot();
    for (name, help, pick) in [
        (
            "jinn_mqtt_retries_total",
            "Calls made again after the function failed on an MQTT message.",
            (|(_, r, _)| *r) as fn(&(String, u64, u64)) -> u64,
        ),
        (
            "jinn_mqtt_dead_letters_total",
            "MQTT messages dead-lettered (recorded, published to the trigger's dead_letter topic) and acknowledged after their calls all failed.",
            |(_, _, d)| *d,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for f in &failures {
            let _ = writeln!(out, "{name}{{function=\"{}\"}} {}", f.0, pick(f));
        }
    }
    out
}

/// Every connection marked `required` is up.
pub fn required_up(state: &BridgeState) -> bool {
    state
        .connections
        .iter()
        .all(|c| !c.required || c.link.is_connected())
}
