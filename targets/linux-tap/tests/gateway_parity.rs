//! The example functions run unchanged on the device and on the gateway:
//! the same module and request envelope give the same response and the
//! same fuel through jinn-embassy (flash KV, staged outbox, sliced calls)
//! and through `jinn run` (the gateway's host).
//!
//! Needs the gateway's `jinn` binary next to this test's target directory
//! (`cargo build -p jinn-host --bin jinn`, which targets/ci.sh does).

use std::path::Path;

use jinn_embassy::{Config, Jinn};
use jinn_linux_tap::harness::{TempDir, examples_dir, hostile_dir, jinn_run_report};
use jinn_linux_tap::image::HostFlash;
use jinn_linux_tap::in_process;
use serde_json::Value;

/// `jinn run <module> --input <envelope> --report`: the response and fuel.
fn on_gateway(dir: &Path, module: &Path, envelope: &str) -> (Value, u64) {
    let input = dir.join("envelope.json");
    std::fs::write(&input, envelope).expect("envelope");
    let report = jinn_run_report(module, &input, &[]);
    assert_eq!(report["outcome"], "ok", "gateway: {report}");
    (
        report["response"].clone(),
        report["fuel_used"].as_u64().expect("fuel_used"),
    )
}

/// A device with one function, its flash in `dir`.
fn device(dir: &Path, module: &Path) -> &'static Jinn<HostFlash> {
    let jinn = in_process::start(in_process::flash_with(dir, &[module]), Config::default());
    assert_eq!(jinn.function_count(), 1);
    jinn
}

fn on_device(jinn: &'static Jinn<HostFlash>, envelope: &str) -> (Value, u64) {
    let outcome = in_process::call(jinn, 0, envelope);
    let response = outcome.result.unwrap_or_else(|e| panic!("device: {e}"));
    (
        serde_json::from_slice(&response.to_json()).expect("json"),
        outcome.fuel_used,
    )
}

fn same_everywhere(name: &str, envelopes: &[&str]) -> (Vec<Value>, &'static Jinn<HostFlash>) {
    let dir = TempDir::new(&format!("parity-{name}"));
    let module = examples_dir().join(format!("{name}.wasm"));
    let jinn = device(dir.path(), &module);
    let responses = envelopes
        .iter()
        .map(|envelope| {
            let (gateway, gateway_fuel) = on_gateway(dir.path(), &module, envelope);
            let (device, device_fuel) = on_device(jinn, envelope);
            assert_eq!(device, gateway, "{name} answers differently to {envelope}");
            assert_eq!(
                device_fuel, gateway_fuel,
                "{name} uses different fuel on {envelope}"
            );
            device
        })
        .collect();
    (responses, jinn)
}

#[test]
fn hello_is_the_same_on_device_and_gateway() {
    let (got, _) = same_everywhere(
        "hello",
        &["{}", r#"{"method":"POST","uri":"/x","body":"ignored"}"#],
    );
    assert_eq!(got[0]["body"], "Hello from Jinn\n");
}

#[test]
fn echo_is_the_same_on_device_and_gateway() {
    let (got, _) = same_everywhere(
        "echo",
        &[
            r#"{"method":"POST","uri":"/e?x=1","headers":{"X-A":["1","2"],"Content-Type":["text/plain"]},"body":"hi","trace_id":"t-1"}"#,
            r#"{"method":"PUT","uri":"/bin","body":"AP8QgA==","body_encoding":"base64"}"#,
        ],
    );
    assert_eq!(got[0]["body"], "hi");
    assert_eq!(
        got[0]["headers"]["X-Echo-Trace-Id"],
        serde_json::json!(["t-1"])
    );
    assert_eq!(got[1]["body_encoding"], "base64");
}

#[test]
fn sensor_alert_is_the_same_on_device_and_gateway() {
    let (got, jinn) = same_everywhere(
        "sensor-alert",
        &[
            r#"{"method":"POST","uri":"/sensor","body":"{\"sensor\":\"t1\",\"value\":42.5}"}"#,
            r#"{"method":"POST","uri":"/sensor","body":"{\"sensor\":\"t2\",\"value\":3.5}"}"#,
            r#"{"method":"POST","uri":"/sensor","body":"not json"}"#,
        ],
    );
    assert_eq!(got[0]["body"], r#"{"alert":true,"published":true}"#);
    assert_eq!(got[1]["body"], r#"{"alert":false}"#);
    assert_eq!(got[2]["status"], 400);
    assert_eq!(
        jinn.outbox_len(),
        1,
        "the alert waits in the device's flash outbox"
    );
}

/// The hostile guests that retry a refused grow a million times (they used
/// to overflow the native stack under wasmi's tail-call dispatch) run to
/// their end on the device path too, with the same response and fuel.
#[test]
fn refused_grow_loops_end_the_same_on_device_and_gateway() {
    let hostile = hostile_dir();
    for name in ["grow-retry", "table-grow-retry"] {
        let dir = TempDir::new(&format!("parity-{name}"));
        let module = dir.path().join(format!("{name}.wasm"));
        let wasm = wat::parse_file(hostile.join(format!("{name}.wat"))).expect("hostile guest");
        std::fs::write(&module, wasm).expect("module");
        let jinn = device(dir.path(), &module);
        let (gateway, gateway_fuel) = on_gateway(dir.path(), &module, "{}");
        let (device, device_fuel) = on_device(jinn, "{}");
        assert_eq!(device, gateway, "{name}");
        assert_eq!(device_fuel, gateway_fuel, "{name}");
        assert_eq!(device["body"], "still here", "{name}");
    }
}
