//! `jinn serve` with MQTT, against real mosquitto brokers started here on
//! free loopback ports (the tests fail when mosquitto is missing):
//! a message on the local broker triggers `sensor-alert`, whose alert goes
//! to the uplink broker its topic is routed to; through an uplink outage
//! and `kill -9` of the gateway, nothing is lost.
//!
//! Throughput is printed (`--nocapture`), never asserted.

#[path = "support/broker.rs"]
mod broker;
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use broker::Broker;
use support::{BASE, Server, example, request};

const INVOCATIONS_OK: &str = "jinn_invocations_total{function=\"sensor-alert\",outcome=\"ok\"}";

/// A gateway config: `sensor-alert` triggered by `sensors/+/reading` on
/// `local`, its alerts routed to `uplink`.
fn config(data: &std::path::Path, local: &Broker, uplink: &Broker, id: &str) -> String {
    config_with(data, local, uplink, id, "sensors/+/reading")
}

/// As [`config`], with the trigger's subscription `filter`.
fn config_with(
    data: &std::path::Path,
    local: &Broker,
    uplink: &Broker,
    id: &str,
    filter: &str,
) -> String {
    format!(
        "data_dir = \"{data}\"\n{BASE}\
         [outbox]\nmax_messages = 100000\nmax_bytes = \"256MiB\"\nfunction_messages = 100000\nfunction_bytes = \"256MiB\"\n\
         [mqtt.local]\nurl = \"{local}\"\nclient_id = \"{id}-local\"\nkeep_alive = \"5s\"\nreconnect_max = \"500ms\"\n\
         [mqtt.uplink]\nurl = \"{uplink}\"\nclient_id = \"{id}-uplink\"\nkeep_alive = \"5s\"\nreconnect_max = \"500ms\"\nrequired = true\n\
         [[mqtt_route]]\nfilter = \"alerts/#\"\nconnection = \"uplink\"\n\
         [[function]]\nname = \"sensor-alert\"\nmodule = \"{module}\"\n\
         mqtt = [{{ connection = \"local\", filter = \"{filter}\", qos = 1 }}]\n\
         limits = {{ fuel = 20_000_000, memory = \"8MiB\", timeout = \"5s\" }}\n\
         permissions = {{ kv_read = [\"sensor/*\"], kv_write = [\"sensor/*\"], publish = [\"alerts/+\"] }}\n",
        data = data.display(),
        local = local.url(),
        uplink = uplink.url(),
        module = example("sensor-alert"),
    )
}

/// Waits (5 s at most) until `series` reads `value`.
#[track_caller]
fn wait_metric(server: &Server, series: &str, value: f64) {
    let start = Instant::now();
    while server.metric(series) != value && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        server.metric(series),
        value,
        "{series}\n{}\n{}",
        server.metrics(),
        server.log_text()
    );
}

fn readyz(server: &Server) -> u16 {
    request(server.admin, "GET", "/readyz", &[], b"").status
}

/// `n` readings of sensor `t1`, each above its threshold: values 0..n.
fn readings(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{{\"sensor\":\"t1\",\"value\":{i},\"threshold\":-1}}"))
        .collect()
}

/// The values of the alerts a subscriber printed (`alerts/t1 {json}`), in arrival order.
fn alert_values(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("alerts/t1 "))
        .map(|json| {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(v["level"], "alert", "{json}");
            v["value"].as_f64().unwrap() as u64
        })
        .collect()
}

fn distinct(values: &[u64]) -> usize {
    values.iter().collect::<HashSet<_>>().len()
}

/// Waits until the gateway has made `n` successful calls, for as long as
/// calls keep being made: fails once none was made for `stall`.
#[track_caller]
fn wait_calls(server: &Server, n: f64, stall: Duration) {
    let mut last = (0.0, Instant::now());
    loop {
        let done = server.metric(INVOCATIONS_OK);
        if done >= n {
            return;
        }
        if done > last.0 {
            last = (done, Instant::now());
        }
        assert!(
            last.1.elapsed() < stall,
            "{done} of {n} calls, none for {stall:?}\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_local_message_triggers_a_function_whose_alert_reaches_the_uplink() {
    let local = Broker::start();
    let uplink = Broker::start();
    let sub = uplink.subscribe("a-sub", "alerts/#");
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &local, &uplink, "a"));
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    // Its session on the local broker is there once connected: publish until it is subscribed.
    let sent = local.publish_until_seen(
        &sub,
        "sensors/t1/reading",
        "{\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40}",
        Duration::from_secs(20),
    );
    let lines = sub.wait(Duration::from_secs(5), |l| l.len() >= sent);
    assert!(!lines.is_empty(), "no alert arrived\n{}", server.log_text());
    assert_eq!(
        lines[0],
        "alerts/t1 {\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40.0,\"level\":\"alert\"}",
        "{lines:?}"
    );
    // A reading below the threshold publishes nothing; the KV write is committed.
    local.publish(
        "sensors/t2/reading",
        "{\"sensor\":\"t2\",\"value\":1,\"threshold\":40}",
        &[],
    );
    wait_calls(&server, (sent + 1) as f64, Duration::from_secs(10));
    assert_eq!(server.metric("jinn_outbox_messages"), 0.0);
    assert!(sub.lines().iter().all(|l| l.starts_with("alerts/t1 ")));
}

#[test]
fn a_message_over_10_kib_is_served_and_one_over_the_packet_limit_blocks_nothing() {
    let local = Broker::start();
    let uplink = Broker::start();
    let sub = uplink.subscribe("big-sub", "alerts/#");
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &local, &uplink, "big"));
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    local.publish_until_seen(
        &sub,
        "sensors/t1/reading",
        "{\"sensor\":\"t1\",\"value\":42.5,\"threshold\":40}",
        Duration::from_secs(20),
    );
    assert!(
        !sub.lines().is_empty(),
        "not subscribed\n{}",
        server.log_text()
    );
    // 32 KiB: over rumqttc's default incoming limit, under the gateway's.
    let pad = "x".repeat(32 * 1024);
    local.publish(
        "sensors/t3/reading",
        &format!("{{\"sensor\":\"t3\",\"value\":50,\"threshold\":40,\"pad\":\"{pad}\"}}"),
        &[],
    );
    // 2 MiB: over the advertised maximum packet size; the broker drops it.
    let huge = data.path().join("huge.json");
    let pad = "x".repeat(2 * 1024 * 1024);
    std::fs::write(
        &huge,
        format!("{{\"sensor\":\"t5\",\"value\":50,\"threshold\":40,\"pad\":\"{pad}\"}}"),
    )
    .unwrap();
    local.publish_file("sensors/t5/reading", &huge);
    local.publish(
        "sensors/t4/reading",
        "{\"sensor\":\"t4\",\"value\":41,\"threshold\":40}",
        &[],
    );
    let lines = sub.wait(Duration::from_secs(20), |l| {
        l.iter().any(|x| x.starts_with("alerts/t4 "))
    });
    assert!(
        lines.iter().any(|x| x.starts_with("alerts/t3 ")),
        "the 32 KiB message was not served: {:?}\n{}",
        lines
            .iter()
            .map(|l| &l[..l.len().min(40)])
            .collect::<Vec<_>>(),
        server.log_text()
    );
    assert!(
        lines.iter().any(|x| x.starts_with("alerts/t4 ")),
        "the message after the oversized one was not served\n{}",
        server.log_text()
    );
    assert!(!lines.iter().any(|x| x.starts_with("alerts/t5 ")));
}

#[test]
fn messages_processed_while_the_uplink_is_down_all_arrive_in_order_when_it_returns() {
    const N: usize = 10_000;
    let local = Broker::start();
    let mut uplink = Broker::start();
    uplink.register("b-sub", "alerts/#");
    uplink.stop();
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &local, &uplink, "b"));
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    // The gateway's session on the local broker exists from its first connect on.
    let start = Instant::now();
    local.publish_lines("sensors/t1/reading", &readings(N));
    wait_calls(&server, N as f64, Duration::from_secs(60));
    let processed = start.elapsed();
    assert_eq!(
        server.metric("jinn_outbox_messages"),
        N as f64,
        "{}\n{}",
        server.metrics(),
        server.log_text()
    );
    // The uplink is down, and required: not ready; its queue holds everything.
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"uplink\"}"),
        0.0
    );
    assert_eq!(
        server.metric("jinn_mqtt_connected{connection=\"local\"}"),
        1.0
    );
    assert_eq!(readyz(&server), 503);
    wait_metric(
        &server,
        "jinn_mqtt_outbox_messages{connection=\"uplink\"}",
        N as f64,
    );
    assert!(server.metric("jinn_mqtt_outbox_oldest_age_seconds{connection=\"uplink\"}") > 0.0);
    // Every trigger message acknowledged once committed.
    wait_metric(
        &server,
        "jinn_mqtt_acknowledged_total{connection=\"local\"}",
        N as f64,
    );

    let start = Instant::now();
    uplink.restart();
    let sub = uplink.resume("b-sub", "alerts/#");
    let lines = sub.wait_progressing(Duration::from_secs(60), |l| distinct(&alert_values(l)) >= N);
    let drained = start.elapsed();
    let values = alert_values(&lines);
    let missing: Vec<u64> = (0..N as u64).filter(|v| !values.contains(v)).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} lost, from {:?} to {:?}; {} lines\n{}",
        missing.len(),
        missing.first(),
        missing.last(),
        lines.len(),
        server.log_text()
    );
    assert_eq!(values, (0..N as u64).collect::<Vec<_>>(), "in order, once");
    // Sent messages are removed; the uplink is up again: ready.
    wait_metric(&server, "jinn_outbox_messages", 0.0);
    wait_metric(
        &server,
        "jinn_mqtt_outbox_messages{connection=\"uplink\"}",
        0.0,
    );
    wait_metric(
        &server,
        "jinn_mqtt_outbox_oldest_age_seconds{connection=\"uplink\"}",
        0.0,
    );
    wait_metric(
        &server,
        "jinn_mqtt_sent_total{connection=\"uplink\"}",
        N as f64,
    );
    assert_eq!(readyz(&server), 200);
    eprintln!(
        "uplink down: {N} messages processed in {:.2} s ({:.0} msg/s, local broker → sensor-alert → outbox); \
         drained to the returned uplink in {:.2} s ({:.0} msg/s)",
        processed.as_secs_f64(),
        N as f64 / processed.as_secs_f64(),
        drained.as_secs_f64(),
        N as f64 / drained.as_secs_f64()
    );
}

#[test]
fn kill_9_mid_stream_loses_nothing() {
    const N: usize = 1_500;
    let local = Broker::start();
    let uplink = Broker::start();
    let sub = uplink.subscribe("c-sub", "alerts/#");
    let data = broker::data_dir();
    let cfg = config(data.path(), &local, &uplink, "c");
    let mut server = Server::start(&cfg);
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    let start = Instant::now();
    local.publish_lines("sensors/t1/reading", &readings(N));
    let mut kills = 0;
    for fraction in [3.0, 1.5] {
        // Killed once a part of the messages arrived at the uplink.
        let target = (N as f64 / fraction) as usize;
        let seen = sub.wait(Duration::from_secs(60), |l| {
            distinct(&alert_values(l)) >= target
        });
        assert!(
            distinct(&alert_values(&seen)) >= target,
            "stalled before the kill\n{}",
            server.log_text()
        );
        server.signal(libc::SIGKILL);
        let _ = server.wait_exit(Duration::from_secs(5));
        kills += 1;
        server = Server::start(&cfg);
    }
    let lines = sub.wait(Duration::from_secs(60), |l| distinct(&alert_values(l)) >= N);
    let elapsed = start.elapsed();
    let values = alert_values(&lines);
    let missing: Vec<u64> = (0..N as u64)
        .filter(|v| !values.contains(v))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "lost after {kills} kills, e.g. {missing:?}\n{}",
        server.log_text()
    );
    let duplicates = values.len() - distinct(&values);
    eprintln!(
        "kill -9 ×{kills}: {N} messages, 0 lost, {duplicates} duplicates, {:.2} s in all",
        elapsed.as_secs_f64()
    );
}

/// The values in the order they first arrived.
fn first_arrivals(values: &[u64]) -> Vec<u64> {
    let mut seen = HashSet::new();
    values.iter().copied().filter(|v| seen.insert(*v)).collect()
}

#[test]
fn an_uplink_lost_mid_drain_gets_its_unacknowledged_messages_again_in_order() {
    const N: usize = 2_000;
    let local = Broker::start();
    let mut uplink = Broker::start();
    uplink.register("e-sub", "alerts/#");
    uplink.stop();
    let data = broker::data_dir();
    let server = Server::start(&config(data.path(), &local, &uplink, "e"));
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    local.publish_lines("sensors/t1/reading", &readings(N));
    wait_calls(&server, N as f64, Duration::from_secs(60));

    // The spooled messages start to drain; the broker goes away at once.
    uplink.restart();
    let first = uplink.resume("e-sub", "alerts/#");
    let early = first.wait(Duration::from_secs(20), |l| !l.is_empty());
    assert!(!early.is_empty(), "nothing drained\n{}", server.log_text());
    uplink.stop();
    let mut values = alert_values(&first.lines());
    drop(first);
    let cut = values.len();
    std::thread::sleep(Duration::from_millis(500));
    uplink.restart();
    let second = uplink.resume("e-sub", "alerts/#");
    let lines = second.wait(Duration::from_secs(60), |l| {
        let mut all = values.clone();
        all.extend(alert_values(l));
        distinct(&all) >= N
    });
    values.extend(alert_values(&lines));
    let missing: Vec<u64> = (0..N as u64).filter(|v| !values.contains(v)).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} lost, from {:?} to {:?}\n{}",
        missing.len(),
        missing.first(),
        missing.last(),
        server.log_text()
    );
    assert_eq!(
        first_arrivals(&values),
        (0..N as u64).collect::<Vec<_>>(),
        "order kept"
    );
    eprintln!(
        "uplink lost mid-drain after {cut} of {N}: 0 lost, order kept, {} duplicates, {} sent again by the gateway",
        values.len() - N,
        server.metric("jinn_mqtt_resent_total{connection=\"uplink\"}")
    );
}

#[test]
fn two_gateways_share_a_subscription_and_one_killed_loses_nothing() {
    const N: usize = 600;
    let local = Broker::start();
    let uplink = Broker::start();
    let sub = uplink.subscribe("d-sub", "alerts/#");
    let filter = "$share/gateways/sensors/+/reading";
    let (data_a, data_b) = (broker::data_dir(), broker::data_dir());
    let a = Server::start(&config_with(data_a.path(), &local, &uplink, "d-a", filter));
    let cfg_b = config_with(data_b.path(), &local, &uplink, "d-b", filter);
    let mut b = Server::start(&cfg_b);
    for s in [&a, &b] {
        assert!(
            s.wait_log("mqtt: subscribed", Duration::from_secs(10)),
            "{}",
            s.log_text()
        );
    }
    let all = readings(N);
    local.publish_lines("sensors/t1/reading", &all[..N / 2]);
    let seen = sub.wait(Duration::from_secs(60), |l| {
        distinct(&alert_values(l)) >= N / 4
    });
    assert!(distinct(&alert_values(&seen)) >= N / 4, "{}", a.log_text());
    let (by_a, by_b) = (a.metric(INVOCATIONS_OK), b.metric(INVOCATIONS_OK));
    assert!(
        by_a > 0.0 && by_b > 0.0,
        "the load is split: {by_a} and {by_b}"
    );
    // One gateway dies; the other keeps serving the subscription.
    b.signal(libc::SIGKILL);
    let _ = b.wait_exit(Duration::from_secs(5));
    local.publish_lines("sensors/t1/reading", &all[N / 2..]);
    // The survivor serves messages published after the kill (the broker
    // may keep a share of them for the dead member's session).
    let second_half = |l: &[String]| {
        alert_values(l)
            .into_iter()
            .filter(|v| *v >= (N / 2) as u64)
            .collect::<HashSet<_>>()
            .len()
    };
    let seen = sub.wait(Duration::from_secs(30), |l| second_half(l) >= N / 8);
    assert!(
        second_half(&seen) >= N / 8,
        "the survivor stopped serving\n{}",
        a.log_text()
    );
    // The dead one comes back for what its session held.
    b = Server::start(&cfg_b);
    let lines = sub.wait(Duration::from_secs(60), |l| distinct(&alert_values(l)) >= N);
    let values = alert_values(&lines);
    let missing: Vec<u64> = (0..N as u64).filter(|v| !values.contains(v)).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} lost, e.g. {:?}\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        b.log_text()
    );
    eprintln!(
        "$share: {N} messages over two gateways ({by_a} and {by_b} before the kill), one killed and restarted: \
         0 lost, {} duplicates",
        values.len() - N
    );
}

#[test]
fn an_mqtt5_request_gets_the_function_response_on_its_response_topic() {
    let local = Broker::start();
    let uplink = Broker::start();
    local.register("g-sub", "replies/#");
    let replies = local.resume_format("g-sub", "replies/#", "%t|%C|%D|%P|%p");
    let data = broker::data_dir();
    let config = format!(
        "{}[[function]]\nname = \"echo\"\nmodule = \"{}\"\n\
         mqtt = [{{ connection = \"local\", filter = \"requests/echo\" }}]\n",
        config(data.path(), &local, &uplink, "g"),
        example("echo")
    );
    let server = Server::start(&config);
    assert!(
        server.wait_log("mqtt: subscribed", Duration::from_secs(10)),
        "{}",
        server.log_text()
    );
    let request = [
        "-D",
        "publish",
        "response-topic",
        "replies/42",
        "-D",
        "publish",
        "correlation-data",
        "req-42",
        "-D",
        "publish",
        "content-type",
        "text/plain",
    ];
    local.publish("requests/echo", "ping", &request);
    let lines = replies.wait(Duration::from_secs(20), |l| !l.is_empty());
    assert!(!lines.is_empty(), "no response\n{}", server.log_text());
    let parts: Vec<&str> = lines[0].splitn(5, '|').collect();
    assert_eq!(
        parts[..3],
        ["replies/42", "text/plain", "req-42"],
        "{}",
        lines[0]
    );
    assert!(parts[3].starts_with("status:200 "), "{}", lines[0]);
    assert!(parts[3].contains("X-Echo-Method:MQTT"), "{}", lines[0]);
    assert!(
        parts[3].contains("X-Echo-Uri:requests/echo"),
        "{}",
        lines[0]
    );
    assert_eq!(parts[4], "ping");
    // The response went through the outbox, on the request's connection, and left it.
    wait_metric(&server, "jinn_mqtt_sent_total{connection=\"local\"}", 1.0);
    assert_eq!(server.metric("jinn_mqtt_unrouted_total"), 0.0);
}
