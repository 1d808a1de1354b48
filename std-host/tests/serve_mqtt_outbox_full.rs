//! `outbox.when_full`, with the uplink broker (a real mosquitto started
//! here on a free loopback port; the test fails when mosquitto is missing)
//! down so that nothing drains: `refuse` answers `-3` to the publish that
//! does not fit; `drop_oldest_qos0` drops the function's oldest QoS 0
//! messages to make room. Both are visible on `/metrics`.

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::time::Duration;

use broker::Broker;
use support::{BASE, Server, function, guest, wait_metric};

fn config(data: &std::path::Path, uplink: &Broker, when_full: &str) -> String {
    let permit = "[function.permissions]\npublish = [\"alerts/#\"]\n";
    format!(
        "data_dir = \"{data}\"\n{BASE}\
         [outbox]\nfunction_messages = 3\nwhen_full = \"{when_full}\"\n\
         [mqtt.uplink]\nurl = \"{url}\"\nclient_id = \"full-{when_full}\"\nkeep_alive = \"5s\"\nreconnect_max = \"200ms\"\n\
         [[mqtt_route]]\nfilter = \"alerts/#\"\nconnection = \"uplink\"\n{}",
        function("noisy", &guest("publish-qos0.wat"), "/noisy", permit),
        data = data.display(),
        url = uplink.url(),
    )
}

#[test]
fn refuse_answers_minus_3_when_the_share_is_full() {
    let mut uplink = Broker::start();
    uplink.stop();
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &uplink, "refuse"));
    let answers: String = (0..5).map(|_| server.get("/noisy").text()).collect();
    assert_eq!(answers, "00033");
    assert_eq!(
        server.metric("jinn_outbox_when_full{policy=\"refuse\"}"),
        1.0
    );
    assert_eq!(server.metric("jinn_outbox_messages"), 3.0);
    assert_eq!(server.metric("jinn_outbox_dropped_total"), 0.0);
}

#[test]
fn drop_oldest_qos0_makes_room_counts_and_logs_what_it_dropped() {
    let mut uplink = Broker::start();
    uplink.stop();
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &uplink, "drop_oldest_qos0"));
    let answers: String = (0..5).map(|_| server.get("/noisy").text()).collect();
    assert_eq!(answers, "00000", "every publish accepted");
    assert_eq!(
        server.metric("jinn_outbox_when_full{policy=\"drop_oldest_qos0\"}"),
        1.0
    );
    assert_eq!(server.metric("jinn_outbox_messages"), 3.0);
    assert_eq!(server.metric("jinn_outbox_dropped_total"), 2.0);
    // Topic `alerts/x` (8 bytes) and 1,000 bytes of payload each.
    assert_eq!(server.metric("jinn_outbox_dropped_bytes_total"), 2016.0);
    assert!(
        server.wait_log("outbox full: dropped", Duration::from_secs(5)),
        "{}",
        server.log_text()
    );
    // The uplink returns: the three kept are sent, nothing else.
    uplink.restart();
    let sent = wait_metric(
        &server,
        "jinn_mqtt_sent_total{connection=\"uplink\"}",
        3.0,
        Duration::from_secs(20),
    );
    assert_eq!(sent, 3.0, "{}", server.metrics());
    let left = wait_metric(
        &server,
        "jinn_outbox_messages",
        0.0,
        Duration::from_secs(10),
    );
    assert_eq!(left, 0.0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.metric("jinn_mqtt_sent_total{connection=\"uplink\"}"),
        3.0
    );
}
