//! The firmware of targets/boards/mps2-an500 booted under qemu-system-arm
//! and driven over real sockets: HTTP through QEMU's port forward on
//! 127.0.0.1, MQTT through a mosquitto on the host's loopback that the
//! device reaches at 10.0.2.2. Needs qemu-system-arm, mosquitto (+ clients)
//! and the release firmware; a missing one fails the test. Every wait is
//! bounded.

#[path = "../../linux-tap/harness/mod.rs"]
mod harness;

use std::thread;
use std::time::{Duration, Instant};

use harness::broker::Broker;
use harness::burn::fuel_burner_result;
use harness::files::{TempDir, hostile_dir};
use harness::netns::Loopback;
use jinn_qemu::catalog::{example_spec, write_image};
use jinn_qemu::http;
use jinn_qemu::machine::{Boot, Machine, default_firmware, free_port, require_qemu};
use jinn_qemu::measure::CallLine;
use serde_json::{Value, json};

/// Boot, HTTP and MQTT waits: generous, the emulation shares the machine.
const BOOT: Duration = Duration::from_secs(90);
const CALL: Duration = Duration::from_secs(30);
/// fuel-burner's limit: a few seconds on the emulated core (7-14 Mfuel/s
/// measured on a loaded 2-core machine), well within the call deadline (10 s).
const BURN_FUEL: u64 = 20_000_000;

/// Boots the example functions (with a broker on the host's `broker_port`).
fn boot(dir: &TempDir, broker_port: Option<u16>) -> Machine {
    boot_spec(dir, &example_spec(broker_port, BURN_FUEL))
}

/// Boots the functions of `spec` and waits until all of them are loaded.
fn boot_spec(dir: &TempDir, spec: &Value) -> Machine {
    require_qemu();
    let functions = spec["functions"].as_array().map_or(0, Vec::len);
    let flash = write_image(dir.path(), spec).unwrap_or_else(|e| panic!("{e}"));
    let mut machine = Machine::boot(&Boot {
        firmware: default_firmware(),
        flash,
        dir: dir.path().to_path_buf(),
        icount: false,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    machine
        .wait_health(BOOT, |h| h["functions"] == functions)
        .unwrap_or_else(|e| panic!("{e}"));
    machine
}

#[test]
fn http_calls_run_the_functions_on_the_emulated_board() {
    let dir = TempDir::new("qemu-http");
    let machine = boot(&dir, None);
    let port = machine.http_port();
    let fail = |what: &str| -> ! { panic!("{what}\n{}", machine.report()) };

    let hello = http::get(port, "/hello", CALL).unwrap_or_else(|| fail("hello"));
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "Hello from Jinn\n");
    assert_eq!(
        hello.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    let body = b"\x00binary\xffbody";
    let echo = http::request(
        port,
        "POST",
        "/echo/deeper?x=1",
        &[
            ("X-Test", "one"),
            ("Content-Type", "application/octet-stream"),
        ],
        body,
        CALL,
    )
    .unwrap_or_else(|| fail("echo"));
    assert_eq!(echo.status, 200);
    assert_eq!(echo.body, body);
    assert_eq!(echo.header("x-echo-method"), Some("POST"));
    assert_eq!(echo.header("x-echo-uri"), Some("/echo/deeper?x=1"));
    assert_eq!(echo.header("x-echo-header-x-test"), Some("one"));
    assert_eq!(echo.header("x-echo-trace-id").map(str::len), Some(32));

    let c_hello = http::get(port, "/c-hello", CALL).unwrap_or_else(|| fail("c-hello"));
    assert_eq!(c_hello.status, 200, "{}", c_hello.text());

    let burn = http::get(port, "/burn?iterations=1000", CALL).unwrap_or_else(|| fail("burn"));
    assert_eq!(burn.status, 200);
    assert_eq!(burn.json()["result"], fuel_burner_result(1000));

    let missing = http::get(port, "/nothing-here", CALL).unwrap_or_else(|| fail("404"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "not_found");

    // fuel-burner without a bound burns until its fuel is gone: the typed
    // error comes back, and /healthz answers all the while.
    let burner = thread::spawn(move || http::get(port, "/burn", Duration::from_secs(60)));
    // The board keeps one compiled module resident: calling fuel-burner
    // after hello, echo… compiles it from flash first, and wasmi's compile
    // does not yield, so nothing answers until it is done (up to seconds
    // under QEMU on a loaded machine; the host's TCP retransmits meanwhile).
    // What is timed below is the guest running in fuel slices, from the
    // first /healthz that sees it busy.
    let running = Instant::now();
    loop {
        let health = machine
            .health(CALL)
            .unwrap_or_else(|| fail("/healthz did not answer while fuel-burner was loaded"));
        if health["busy"] == true {
            break;
        }
        assert!(
            !burner.is_finished() && running.elapsed() < CALL,
            "the burn never showed as running in /healthz"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let mut answered = 0;
    let mut busy = 0;
    let mut worst = Duration::ZERO;
    while !burner.is_finished() && started.elapsed() < Duration::from_secs(60) {
        let asked = Instant::now();
        let health = machine.health(Duration::from_secs(5)).unwrap_or_else(|| {
            fail("/healthz did not answer within 5 s while a guest burned fuel")
        });
        worst = worst.max(asked.elapsed());
        answered += 1;
        if health["busy"] == true {
            busy += 1;
        }
        thread::sleep(Duration::from_millis(100));
    }
    let burn = burner
        .join()
        .expect("burner thread")
        .unwrap_or_else(|| fail("the burn did not end"));
    assert_eq!(burn.status, 504, "{}", burn.text());
    let error = burn.json();
    assert_eq!(error["error"], "fuel_exhausted");
    assert_eq!(error["trace_id"].as_str().map(str::len), Some(32));
    assert!(
        busy >= 2,
        "/healthz saw the guest running {busy} times of {answered} in {:?}",
        started.elapsed()
    );
    eprintln!(
        "/healthz during a {BURN_FUEL}-fuel burn of {:?}: {answered} answers, worst {worst:?}",
        started.elapsed()
    );

    let health = machine.health(CALL).unwrap_or_else(|| fail("healthz"));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["calls"], 5);
    assert_eq!(health["failed"], 1);
    assert_eq!(health["mqtt"], "off");
    let log = machine.log().text();
    assert!(
        log.contains("call hello: 200"),
        "the meter logs each call:\n{log}"
    );
    assert!(log.contains("call fuel-burner: fuel_exhausted"), "{log}");
}

#[test]
fn mqtt_runs_a_function_and_the_outbox_drains_after_the_broker_returns() {
    let dir = TempDir::new("qemu-mqtt");
    let broker_port = free_port();
    let mut broker = Broker::start_at(&Loopback, "127.0.0.1", broker_port, dir.path());
    let alerts = broker.observe(&format!("qemu-alerts-{}", std::process::id()), "alerts/#");
    let mut machine = boot(&dir, Some(broker_port));
    machine
        .wait_health(BOOT, |h| h["mqtt"] == "up")
        .unwrap_or_else(|e| panic!("{e}\nbroker log:\n{}", broker.log()));

    // A message runs sensor-alert, whose alert comes back through the broker.
    broker.publish("sensors/t1", r#"{"sensor":"t1","value":42.5}"#);
    let got = alerts.collect(1, CALL);
    assert_eq!(got.len(), 1, "no alert\n{}", machine.report());
    assert_eq!(got[0].0, "alerts/t1");
    let alert: Value = serde_json::from_str(&got[0].1).expect("alert JSON");
    assert_eq!(alert["sensor"], "t1");
    assert_eq!(alert["value"], 42.5);
    assert_eq!(alert["level"], "alert");
    machine
        .wait_health(CALL, |h| h["calls"] == 1 && h["outbox"] == 0)
        .unwrap_or_else(|e| panic!("{e}"));

    // The broker goes away: the alert of an HTTP call waits in the outbox.
    broker.stop();
    machine
        .wait_health(CALL, |h| h["mqtt"] == "down")
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = http::request(
        machine.http_port(),
        "POST",
        "/sensor",
        &[("Content-Type", "application/json")],
        br#"{"sensor":"t2","value":99}"#,
        CALL,
    )
    .unwrap_or_else(|| panic!("sensor\n{}", machine.report()));
    assert_eq!(reply.status, 200, "{}", reply.text());
    machine
        .wait_health(CALL, |h| h["outbox"] == 1)
        .unwrap_or_else(|e| panic!("{e}"));

    // It comes back: the device reconnects and the outbox drains.
    broker.restart();
    let got = alerts.collect(1, Duration::from_secs(60));
    assert_eq!(
        got.len(),
        1,
        "the alert did not arrive\n{}",
        machine.report()
    );
    assert_eq!(got[0].0, "alerts/t2");
    let health = machine
        .wait_health(CALL, |h| h["outbox"] == 0 && h["mqtt"] == "up")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["failed"], 0);
}

/// The hostile guests that retry a refused `memory.grow` / `table.grow` a
/// million times (examples/hostile). Under wasmi's tail-call dispatch each
/// retry nests a native frame; the firmware interprets with the portable
/// dispatch, so they run to their end within the device's 128 KiB stack.
#[test]
fn guests_retrying_a_refused_grow_answer_and_the_board_lives_on() {
    let dir = TempDir::new("qemu-grow");
    let mut spec = example_spec(None, BURN_FUEL);
    let functions = spec["functions"].as_array_mut().expect("functions");
    for name in ["grow-retry", "table-grow-retry"] {
        let wasm = wat::parse_file(hostile_dir().join(format!("{name}.wat")))
            .unwrap_or_else(|e| panic!("{name}.wat: {e}"));
        let module = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&module, wasm).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
        functions.push(json!({"name": name, "wasm": module, "route": format!("/{name}")}));
    }
    let mut machine = boot_spec(&dir, &spec);
    let port = machine.http_port();
    let fail = |machine: &Machine, what: &str| -> ! { panic!("{what}\n{}", machine.report()) };
    let before = machine
        .health(CALL)
        .unwrap_or_else(|| fail(&machine, "healthz"));

    for name in ["grow-retry", "table-grow-retry"] {
        let skip = machine.log().lines().len();
        let started = Instant::now();
        let reply = http::get(port, &format!("/{name}"), CALL)
            .unwrap_or_else(|| fail(&machine, &format!("{name}: no answer")));
        if reply.status != 200 {
            fail(
                &machine,
                &format!("{name}: {} {}", reply.status, reply.text()),
            );
        }
        assert_eq!(reply.text(), "still here", "{name}");
        let (_, line) = machine
            .log()
            .wait_for(skip, &format!("call {name}: "), CALL)
            .unwrap_or_else(|| fail(&machine, &format!("no meter line for {name}")));
        let call = CallLine::parse(&line).unwrap_or_else(|| panic!("unreadable: {line}"));
        assert_eq!(call.result, "200", "{line}");
        // A million retries, each a few instructions' fuel.
        assert!(call.fuel > 1_000_000, "{line}");
        eprintln!(
            "{name}: 200 \"still here\" in {:?}, {} fuel, stack high-water mark {} of {} B",
            started.elapsed(),
            call.fuel,
            call.stack,
            call.stack_size
        );
    }

    // Alive afterwards: the same boot (no reset, QEMU still running),
    // other functions answer.
    let hello = http::get(port, "/hello", CALL).unwrap_or_else(|| fail(&machine, "hello"));
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), "Hello from Jinn\n");
    let health = machine
        .wait_health(CALL, |h| h["calls"] == 3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["failed"], 0);
    assert!(
        health["uptime_ms"].as_u64() > before["uptime_ms"].as_u64(),
        "{before} then {health}"
    );
    assert!(machine.exited().is_none(), "{}", machine.report());
    let log = machine.log().text();
    assert_eq!(
        log.matches("functions loaded").count(),
        1,
        "one boot:\n{log}"
    );
}
