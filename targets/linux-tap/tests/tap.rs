//! The device's embassy code on Linux over TAP, in a network namespace,
//! driven by curl and a real mosquitto. Needs root, /dev/net/tun, iproute2,
//! curl and mosquitto (+ clients); a missing one fails the test.

#[path = "../harness/mod.rs"]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::broker::Broker;
use harness::burn::{burn_and_poll, fuel_burner_result};
use harness::device::{Device, build_image, test_spec};
use harness::files::TempDir;
use harness::http::http;
use harness::netns::Netns;
use harness::process::require_tools;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_jinn-tap");
/// Enough fuel for about two seconds of burning on a PC.
const BURN_FUEL: u64 = 2_000_000_000;

fn bin() -> &'static Path {
    Path::new(BIN)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[test]
fn http_requests_reach_functions() {
    require_tools();
    let dir = TempDir::new("http");
    let ns = Netns::create("http");
    let flash = build_image(dir.path(), &test_spec(false, BURN_FUEL));
    let _device = Device::start(&ns, bin(), &flash, &dir.path().join("device.log"));
    let t = Duration::from_secs(10);

    let hello = http(&ns, "GET", "/hello", None, &[], t).expect("hello answers");
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "Hello from Jinn\n");
    assert_eq!(
        hello.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    let body = b"\x00binary\xffbody";
    let echo = http(
        &ns,
        "POST",
        "/echo/deeper?x=1",
        Some(body),
        &[
            ("X-Test", "one"),
            ("Content-Type", "application/octet-stream"),
        ],
        t,
    )
    .expect("echo answers");
    assert_eq!(echo.status, 200);
    assert_eq!(echo.body, body);
    assert_eq!(echo.header("x-echo-method"), Some("POST"));
    assert_eq!(echo.header("x-echo-uri"), Some("/echo/deeper?x=1"));
    assert_eq!(echo.header("x-echo-header-x-test"), Some("one"));
    assert_eq!(
        echo.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(echo.header("x-echo-trace-id").map(str::len), Some(32));

    let burn = http(&ns, "GET", "/burn?iterations=1000", None, &[], t).expect("burn answers");
    assert_eq!(burn.status, 200);
    let result = json(&burn.body);
    assert_eq!(result["iterations"], 1000);
    assert_eq!(result["result"], fuel_burner_result(1000));

    let missing = http(&ns, "GET", "/helloworld", None, &[], t).expect("404 answers");
    assert_eq!(missing.status, 404);
    assert_eq!(json(&missing.body)["error"], "not_found");

    let health = http(&ns, "GET", "/healthz", None, &[], t).expect("healthz answers");
    let health = json(&health.body);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["functions"], 5);
    assert_eq!(health["calls"], 3);
    assert_eq!(health["mqtt"], "off");
}

#[test]
fn kv_survives_a_restart() {
    require_tools();
    let dir = TempDir::new("kv");
    let ns = Netns::create("kv");
    let flash = build_image(dir.path(), &test_spec(false, BURN_FUEL));
    let log = dir.path().join("device.log");
    let t = Duration::from_secs(10);
    let count = |ns: &Netns| {
        let reply = http(ns, "GET", "/count?name=door", None, &[], t).expect("kv-counter answers");
        assert_eq!(reply.status, 200, "{}", reply.text());
        json(&reply.body)["count"].as_u64().expect("a count")
    };

    let mut device = Device::start(&ns, bin(), &flash, &log);
    assert_eq!(count(&ns), 1);
    assert_eq!(count(&ns), 2);
    device.kill();
    let _device = Device::start(&ns, bin(), &flash, &log);
    assert_eq!(count(&ns), 3, "the count lives in the flash file");
}

#[test]
fn mqtt_message_runs_the_function_which_publishes() {
    require_tools();
    let dir = TempDir::new("mqtt");
    let ns = Netns::create("mqtt");
    let broker = Broker::start(&ns, dir.path());
    let alerts = broker.observe("alerts-observer", "alerts/#");
    let flash = build_image(dir.path(), &test_spec(true, BURN_FUEL));
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");

    broker.publish("sensors/t1", r#"{"sensor":"t1","value":42.5}"#);
    let got = alerts.collect(1, Duration::from_secs(20));
    assert_eq!(
        got.len(),
        1,
        "no alert published; device log:\n{}",
        device.log()
    );
    assert_eq!(got[0].0, "alerts/t1");
    let alert = json(got[0].1.as_bytes());
    assert_eq!(alert["sensor"], "t1");
    assert_eq!(alert["value"], 42.5);
    assert_eq!(alert["level"], "alert");
    let h = device.wait_health(Duration::from_secs(10), |h| {
        h["calls"] == 1 && h["outbox"] == 0
    });
    assert_eq!(h["failed"], 0);

    // The message was acknowledged once the call ended: after a reset the
    // broker does not deliver it again.
    device.kill();
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");
    std::thread::sleep(Duration::from_secs(2));
    let h = device.wait_health(Duration::from_secs(5), |_| true);
    assert_eq!(h["calls"], 0, "an acknowledged message came back");
}

#[test]
fn qos1_message_is_acknowledged_only_after_its_call() {
    require_tools();
    let dir = TempDir::new("ack");
    let ns = Netns::create("ack");
    let broker = Broker::start(&ns, dir.path());
    let flash = build_image(dir.path(), &test_spec(true, BURN_FUEL));
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");

    // fuel-burner runs for about two seconds; reset the device in the middle.
    broker.publish("burn/now", "{}");
    device.wait_health(Duration::from_secs(10), |h| h["busy"] == true);
    device.kill();

    // The broker kept the unacknowledged message and delivers it again.
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(30), |h| {
        h["busy"] == true || h["calls"] == 1
    });
    let h = device.wait_health(Duration::from_secs(30), |h| h["calls"] == 1);
    assert_eq!(h["failed"], 1, "the burner ends with fuel_exhausted");

    // Acknowledged after the call, even a failed one: not delivered a third time.
    device.kill();
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        device.wait_health(Duration::from_secs(5), |_| true)["calls"],
        0
    );
}

#[test]
fn outbox_survives_an_outage_and_a_reset_then_drains() {
    require_tools();
    let dir = TempDir::new("outbox");
    let ns = Netns::create("outbox");
    let mut broker = Broker::start(&ns, dir.path());
    let alerts = broker.observe("outage-observer", "alerts/#");
    let flash = build_image(dir.path(), &test_spec(true, BURN_FUEL));
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, bin(), &flash, &log);
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");

    broker.stop();
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "down");
    let reading = br#"{"sensor":"t9","value":99.5,"threshold":50}"#;
    let reply = http(
        &ns,
        "POST",
        "/sensor",
        Some(reading),
        &[],
        Duration::from_secs(10),
    )
    .expect("sensor-alert answers");
    assert_eq!(reply.status, 200);
    assert_eq!(
        json(&reply.body),
        serde_json::json!({"alert": true, "published": true})
    );
    assert_eq!(
        device.wait_health(Duration::from_secs(5), |_| true)["outbox"],
        1
    );

    // A reset while the uplink is down: the message is in flash.
    device.kill();
    let mut device = Device::start(&ns, bin(), &flash, &log);
    let h = device.wait_health(Duration::from_secs(5), |_| true);
    assert_eq!(h["outbox"], 1);
    assert_eq!(h["mqtt"], "down");

    broker.restart();
    let started = Instant::now();
    let got = alerts.collect(1, Duration::from_secs(30));
    assert_eq!(
        got.len(),
        1,
        "outbox not drained; device log:\n{}\nbroker log:\n{}",
        device.log(),
        broker.log()
    );
    assert_eq!(got[0].0, "alerts/t9");
    let alert = json(got[0].1.as_bytes());
    assert_eq!(
        (alert["value"].as_f64(), alert["threshold"].as_f64()),
        (Some(99.5), Some(50.0))
    );
    device.wait_health(Duration::from_secs(10), |h| h["outbox"] == 0);
    println!(
        "outbox drained {:.1} s after the broker came back",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn healthz_answers_while_a_guest_burns_fuel() {
    require_tools();
    let dir = TempDir::new("burn");
    let ns = Netns::create("burn");
    let flash = build_image(dir.path(), &test_spec(false, BURN_FUEL));
    let _device = Device::start(&ns, bin(), &flash, &dir.path().join("device.log"));

    let report = burn_and_poll(&ns);
    assert_eq!(
        report.burner_status, 504,
        "the burner ends with fuel_exhausted"
    );
    let answered = report
        .health
        .iter()
        .filter(|(status, _)| *status == 200)
        .count();
    assert_eq!(
        answered,
        report.health.len(),
        "some /healthz failed during the burn: {:?}",
        report.health
    );
    assert!(
        answered >= 5,
        "only {answered} /healthz answered during a {:?} burn",
        report.burn
    );
    println!(
        "burn {:.2} s: {answered} /healthz answered, worst {:.3} ms",
        report.burn.as_secs_f64(),
        report.worst() * 1e3
    );
}

/// The 256 KiB profile (targets/README.md): a part with 256 KiB of RAM
/// holds the firmware's statics (those of the board image
/// `JINN_QEMU_FIRMWARE`, which targets/ci.sh builds and sets), a 40 KiB
/// stack (the emulated board's high-water mark is 35.7 KB) and the heap,
/// capped at the rest.
const PROFILE_RAM: usize = 256 * 1024;
const PROFILE_STACK: usize = 40 * 1024;

/// Static RAM of the board firmware (`.data` + `.bss`).
fn firmware_static_ram() -> usize {
    let path = std::env::var("JINN_QEMU_FIRMWARE").unwrap_or_else(|_| {
        panic!("JINN_QEMU_FIRMWARE is not set: the 256 KiB profile needs the board firmware (targets/ci.sh builds it)")
    });
    let elf = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let sections = jinn_linux_tap::elf::sections(&elf).unwrap_or_else(|e| panic!("{path}: {e}"));
    jinn_linux_tap::elf::Footprint::of(&sections).static_ram as usize
}

/// The tiny guests serve HTTP, KV and MQTT on a device whose heap is capped
/// at the 256 KiB profile's budget (`--heap-cap`: an allocation beyond it
/// fails, which aborts the runner and fails the test) with one resident
/// module, every call switching module; the peak the runner logs is within
/// the budget. On a 64-bit host, so the engine's share is larger than on a
/// Cortex-M.
#[test]
fn tiny_guests_run_in_a_256_kib_budget() {
    require_tools();
    let dir = TempDir::new("profile256");
    let ns = Netns::create("p256");
    let broker = Broker::start(&ns, dir.path());
    let alerts = broker.observe("alerts-observer", "alerts/#");
    let wasm = |name: &str| harness::files::examples_dir().join(format!("{name}.wasm"));
    let spec = serde_json::json!({
        "device": {
            "broker": format!("{}:{}", harness::netns::HOST_IP, harness::broker::BROKER_PORT),
            "client_id": "jinn-tap-256k",
            "keep_alive_secs": 10
        },
        "functions": [
            {"name": "hello", "wasm": wasm("hello-tiny"), "route": "/hello"},
            {"name": "kv-counter", "wasm": wasm("kv-counter-tiny"), "route": "/count",
             "manifest": {"permissions": {"kv_read": ["counter/*"], "kv_write": ["counter/*"]}}},
            {"name": "sensor-alert", "wasm": wasm("sensor-alert-tiny"), "route": "/sensor",
             "topics": ["sensors/+"],
             "manifest": {"permissions": {"kv_write": ["sensor/*"], "publish": ["alerts/+"]}}}
        ]
    });
    let flash = build_image(dir.path(), &spec);
    let static_ram = firmware_static_ram();
    let heap_cap = PROFILE_RAM - static_ram - PROFILE_STACK;
    let cap = heap_cap.to_string();
    let mut device = Device::start_with(
        &ns,
        bin(),
        &flash,
        &dir.path().join("device.log"),
        &["--resident-modules", "1", "--heap-cap", &cap],
    );
    device.wait_health(Duration::from_secs(20), |h| h["mqtt"] == "up");
    let t = Duration::from_secs(10);
    let hello = |ns: &Netns| {
        let reply = http(ns, "GET", "/hello", None, &[], t).expect("hello answers");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "Hello from Jinn\n");
    };
    let count = |ns: &Netns| {
        let reply = http(ns, "GET", "/count?name=door", None, &[], t).expect("kv-counter answers");
        assert_eq!(reply.status, 200, "{}", reply.text());
        json(&reply.body)["count"].as_u64().expect("a count")
    };

    hello(&ns);
    assert_eq!(count(&ns), 1);
    broker.publish("sensors/t1", r#"{"sensor":"t1","value":42.5}"#);
    let got = alerts.collect(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1, "no alert; device log:\n{}", device.log());
    assert_eq!(got[0].0, "alerts/t1");
    assert_eq!(json(got[0].1.as_bytes())["level"], "alert");
    hello(&ns);
    assert_eq!(count(&ns), 2);
    let h = device.wait_health(Duration::from_secs(10), |h| h["calls"] == 5);
    assert_eq!(h["failed"], 0);

    let log = device.log();
    for line in log.lines().filter(|l| l.contains("heap: ")) {
        println!("{}", line.split("] ").nth(1).unwrap_or(line));
    }
    let peaks: Vec<usize> = log
        .lines()
        .filter(|l| l.contains("heap: call "))
        .filter_map(|l| l.split("peak ").nth(1)?.split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(peaks.len(), 5, "a heap line per call:\n{log}");
    let peak = peaks.iter().copied().max().unwrap_or_default();
    assert!(peak <= heap_cap, "{peak} > {heap_cap}");
    println!(
        "256 KiB profile: heap peak {peak} B of {heap_cap} B; static {static_ram} + heap {peak} \
         + stack {PROFILE_STACK} = {} B of {PROFILE_RAM} B",
        static_ram + peak + PROFILE_STACK
    );
}
