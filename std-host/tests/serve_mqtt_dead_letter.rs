//! A poison MQTT message, against a real mosquitto broker started here on a
//! free loopback port (the test fails when mosquitto is missing): its calls
//! are made again as the trigger's `retries` say, then it is dead-lettered
//! (recorded in the database, published to the `dead_letter` topic) and
//! acknowledged, while the messages after it keep being processed.

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::time::{Duration, Instant};

use broker::Broker;
use support::{BASE, Server, guest};

const OK: &str = "jinn_invocations_total{function=\"poisoned\",outcome=\"ok\"}";

/// Waits (20 s at most) until `series` reads at least `value`.
#[track_caller]
fn wait_at_least(server: &Server, series: &str, value: f64) {
    let start = Instant::now();
    while server.metric(series) < value && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.metric(series) >= value,
        "{series} = {}, want {value}\n{}",
        server.metric(series),
        server.log_text()
    );
}

#[test]
fn a_poison_message_is_retried_then_dead_lettered_and_the_stream_goes_on() {
    let local = Broker::start();
    let dead = {
        local.register("dead-sub", "jinn/dead/#");
        local.resume_format("dead-sub", "jinn/dead/#", "%t %p %P")
    };
    let data = broker::data_dir();
    let config = format!(
        "data_dir = \"{data}\"\n{BASE}\
         [mqtt.local]\nurl = \"{url}\"\nclient_id = \"dl\"\nkeep_alive = \"5s\"\nreconnect_max = \"500ms\"\n\
         [[function]]\nname = \"poisoned\"\nmodule = \"{module}\"\nrecord_crashes = true\n\
         mqtt = [{{ connection = \"local\", filter = \"in/#\", qos = 1, retries = 2, backoff = \"50ms\", \
         dead_letter = {{ connection = \"local\", topic = \"jinn/dead/{{function}}\" }} }}]\n",
        data = data.path().display(),
        url = local.url(),
        module = guest("trap-on-poison.wat"),
    );
    let mut server = Server::start(&config);
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    assert_eq!(
        server.metric("jinn_mqtt_dead_letters_total{function=\"poisoned\"}"),
        0.0
    );
    // Good messages until the subscription is in place.
    let start = Instant::now();
    while server.metric(OK) < 1.0 && start.elapsed() < Duration::from_secs(20) {
        local.publish("in/a", "good", &[]);
        std::thread::sleep(Duration::from_millis(200));
    }
    // Every one of them handled before counting on.
    let settled = || {
        server.metric("jinn_mqtt_acknowledged_total{connection=\"local\"}")
            == server.metric("jinn_mqtt_received_total{connection=\"local\"}")
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(300));
        if settled() {
            break;
        }
    }
    let before = server.metric(OK);
    assert!(before >= 1.0, "{}", server.log_text());

    local.publish("in/a", "poison", &[]);
    for i in 0..3 {
        local.publish("in/a", &format!("good-{i}"), &[]);
    }
    // The three good messages after the poison one are processed.
    wait_at_least(&server, OK, before + 3.0);
    assert_eq!(server.metric(OK), before + 3.0);
    // The poison one: called 3 times (2 retries), each a trap with a snapshot.
    assert_eq!(
        server.metric("jinn_invocations_total{function=\"poisoned\",outcome=\"trap\"}"),
        3.0,
        "{}",
        server.metrics()
    );
    assert_eq!(
        server.metric("jinn_mqtt_retries_total{function=\"poisoned\"}"),
        2.0
    );
    assert_eq!(
        server.metric("jinn_mqtt_dead_letters_total{function=\"poisoned\"}"),
        1.0
    );
    assert_eq!(
        server.metric("jinn_crash_snapshots_total{function=\"poisoned\"}"),
        3.0
    );
    // Every message was acknowledged, the poison one too.
    wait_at_least(
        &server,
        "jinn_mqtt_acknowledged_total{connection=\"local\"}",
        server.metric("jinn_mqtt_received_total{connection=\"local\"}"),
    );
    // Published on the dead-letter topic, with what failed.
    let lines = dead.wait(Duration::from_secs(10), |l| !l.is_empty());
    assert_eq!(lines.len(), 1, "{lines:?}\n{}", server.log_text());
    let line = &lines[0];
    assert!(line.starts_with("jinn/dead/poisoned poison "), "{line}");
    for property in [
        "function:poisoned",
        "topic:in/a",
        "attempts:3",
        "error:trap",
        "connection:local",
    ] {
        assert!(line.contains(property), "{property} in {line}");
    }

    // The record, in the database once the gateway stopped.
    server.signal(libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0));
    let records = jinn_host::mqtt::dead_letter::read_file(&data.path().join("kv.redb")).unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(
        (
            r.function.as_str(),
            r.connection.as_str(),
            r.topic.as_str(),
            r.qos,
            r.attempts,
            r.error.as_str()
        ),
        ("poisoned", "local", "in/a", 1, 3, "trap")
    );
    assert_eq!(r.payload, "cG9pc29u"); // base64 of `poison`
    assert_eq!(r.trace_id.len(), 32, "{r:?}");
    assert!(line.contains(&format!("trace_id:{}", r.trace_id)), "{line}");
    assert_eq!(r.message_id.len(), 32, "{r:?}");
}
