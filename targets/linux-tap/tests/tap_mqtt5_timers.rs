//! MQTT 5 request/response and interval timers on the device's embassy code
//! over TAP, in a network namespace, against a real mosquitto (or none).
//! Needs root, /dev/net/tun, iproute2, curl and mosquitto (+ clients); a
//! missing one fails the test.

#[path = "../harness/mod.rs"]
mod harness;

use std::path::Path;
use std::time::Duration;

use harness::broker::{BROKER_PORT, Broker};
use harness::device::{Device, build_image, test_spec};
use harness::files::{TempDir, examples_dir};
use harness::http::http;
use harness::netns::{HOST_IP, Netns};
use harness::process::require_tools;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_jinn-tap");

fn bin() -> &'static Path {
    Path::new(BIN)
}

/// A message with a response topic gets the function's response there,
/// with its correlation data, `status` and headers as user properties and
/// its content type; a failing call answers its error the same way.
#[test]
fn a_request_gets_its_response_with_the_correlation_data() {
    require_tools();
    let dir = TempDir::new("reply");
    let ns = Netns::create("reply");
    let broker = Broker::start(&ns, dir.path());
    let replies = broker.observe_v5("reply-observer", "replies/#");
    let mut spec = test_spec(true, 50_000_000);
    spec["functions"][1]["topics"] = serde_json::json!(["requests/+"]);
    let flash = build_image(dir.path(), &spec);
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");

    broker.publish_v5(
        "requests/1",
        "ping",
        &[
            ("response-topic", "replies/one"),
            ("correlation-data", "req-42"),
            ("content-type", "text/plain"),
        ],
    );
    // fuel-burner runs out of fuel: its error is the reply.
    broker.publish_v5(
        "burn/x",
        "{}",
        &[
            ("response-topic", "replies/two"),
            ("correlation-data", "req-43"),
        ],
    );
    let got = replies.collect_v5(2, Duration::from_secs(30), "%t|%D|%C|%p|%P");
    assert_eq!(
        got.len(),
        2,
        "replies: {got:?}; device log:\n{}",
        device.log()
    );
    let one: Vec<&str> = got[0].splitn(5, '|').collect();
    assert_eq!(
        one[..4],
        ["replies/one", "req-42", "text/plain", "ping"],
        "{got:?}"
    );
    assert!(one[4].starts_with("status:200"), "{got:?}");
    // The response's headers, as many as the device carries (8 with `status`).
    assert!(
        one[4].contains("X-Echo-Header-X-Mqtt-Response-Topic:replies/one"),
        "{got:?}"
    );
    let two: Vec<&str> = got[1].splitn(5, '|').collect();
    assert_eq!(
        two[..3],
        ["replies/two", "req-43", "application/json"],
        "{got:?}"
    );
    let error: Value = serde_json::from_str(two[3]).expect("an error document");
    assert_eq!(error["error"], "fuel_exhausted");
    assert_eq!(error["trace_id"].as_str().map(str::len), Some(32));
    assert_eq!(two[4], "status:504", "{got:?}");
    device.wait_health(Duration::from_secs(10), |h| h["outbox"] == 0);
}

/// A timer runs its function on schedule with no broker reachable: the
/// runs made and skipped add up to the time since boot over the interval,
/// and the function's KV writes are there.
#[test]
fn a_timer_fires_on_schedule_with_no_broker() {
    require_tools();
    let dir = TempDir::new("timer");
    let ns = Netns::create("timer");
    const EVERY_MS: u64 = 200;
    let spec = serde_json::json!({
        "device": {
            // Nothing listens there.
            "broker": format!("{HOST_IP}:{BROKER_PORT}"),
            "client_id": "jinn-tap-timer",
            "keep_alive_secs": 10
        },
        "functions": [
            {"name": "kv-counter", "wasm": examples_dir().join("kv-counter.wasm"),
             "route": "/count", "timers": [{"every_ms": EVERY_MS, "name": "tick"}],
             "manifest": {"permissions": {"kv_read": ["counter/*"], "kv_write": ["counter/*"]}}}
        ]
    });
    let flash = build_image(dir.path(), &spec);
    let mut device = Device::start(&ns, bin(), &flash, &dir.path().join("device.log"));
    let first = device.wait_health(Duration::from_secs(20), |h| {
        h["timer_runs"].as_u64() >= Some(3)
    });
    std::thread::sleep(Duration::from_secs(2));
    let h = device.wait_health(Duration::from_secs(5), |_| true);
    assert_eq!(h["mqtt"], "down", "no broker is reachable");
    let count = |h: &Value, key: &str| h[key].as_u64().unwrap_or_else(|| panic!("{key}: {h}"));
    let due = count(&h, "uptime_ms") / EVERY_MS;
    let made = count(&h, "timer_runs") + count(&h, "timer_skipped");
    assert!(
        made + 2 >= due && made <= due,
        "{made} runs made or skipped, {due} due in {} ms; device log:\n{}",
        count(&h, "uptime_ms"),
        device.log()
    );
    let ran = count(&h, "timer_runs") - count(&first, "timer_runs");
    let expected = (count(&h, "uptime_ms") - count(&first, "uptime_ms")) / EVERY_MS;
    assert!(
        ran + 2 >= expected && ran <= expected + 1,
        "{ran} runs in {expected} intervals"
    );
    assert_eq!(count(&h, "failed"), 0);

    // The runs' writes: the timer envelope has no query, so kv-counter counts `hits`.
    let before = count(
        &device.wait_health(Duration::from_secs(5), |_| true),
        "timer_runs",
    );
    let reply = http(&ns, "GET", "/count", None, &[], Duration::from_secs(10)).expect("count");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let counted = reply.json()["count"].as_u64().expect("a count");
    let after = count(
        &device.wait_health(Duration::from_secs(5), |_| true),
        "timer_runs",
    );
    assert!(
        (before + 1..=after + 1).contains(&counted),
        "count {counted}, timer runs {before}..{after}"
    );
    let log = device.log();
    assert!(
        log.contains("timer tick -> kv-counter: 200"),
        "no timer run logged:\n{log}"
    );
}
