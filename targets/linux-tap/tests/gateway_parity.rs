//! The example functions run unchanged on the device and on the gateway:
//! the same module and request envelope give the same response and the
//! same fuel through jinn-embassy (flash KV, staged outbox, sliced calls)
//! and through `jinn run` (the gateway's host). So do the limits: a device
//! lowers a function's limits to its caps when it loads it, and then
//! answers exactly as a gateway given those limits (`--limit`); and every
//! way a call can fail ends with the same error kind (and fuel) on both.
//!
//! Needs the gateway's `jinn` binary next to this test's target directory
//! (`cargo build -p jinn-host --bin jinn`, which targets/ci.sh does).

#[path = "../harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::artefacts::jinn_run_report;
use harness::files::{TempDir, examples_dir, hostile_dir};
use jinn_core::{Limits, Manifest, Permissions};
use jinn_embassy::{Config, Jinn};
use jinn_linux_tap::image::HostFlash;
use jinn_linux_tap::in_process;
use serde_json::Value;

/// `jinn run <module> --input <envelope> --report ARGS…`: the report, with
/// the device's fuel and memory unless `args` set them.
fn gateway_report(dir: &Path, module: &Path, envelope: &str, args: &[&str]) -> Value {
    let input = dir.join("envelope.json");
    std::fs::write(&input, envelope).expect("envelope");
    // The device runs with jinn-core's defaults; `jinn run` with the
    // gateway's (more fuel and memory, for Go): compare like with like
    // unless the case sets its own.
    let limits = Limits::default();
    let (fuel, memory) = (limits.fuel.to_string(), limits.memory.to_string());
    let mut all: Vec<&str> = Vec::new();
    if !args.contains(&"--fuel") {
        all.extend(["--fuel", &fuel]);
    }
    if !args.contains(&"--memory") {
        all.extend(["--memory", &memory]);
    }
    all.extend(args);
    jinn_run_report(module, &input, &all)
}

/// The gateway's response and fuel.
fn on_gateway(dir: &Path, module: &Path, envelope: &str) -> (Value, u64) {
    let report = gateway_report(dir, module, envelope, &[]);
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

/// A hostile or probe guest from its WAT text, as a module file in `dir`.
fn wat_module(dir: &Path, wat: &Path) -> PathBuf {
    let module = dir.join(format!(
        "{}.wasm",
        wat.file_stem().and_then(|s| s.to_str()).expect("name")
    ));
    let wasm = wat::parse_file(wat).unwrap_or_else(|e| panic!("{}: {e}", wat.display()));
    std::fs::write(&module, wasm).expect("module");
    module
}

/// The probe answers one character per limit it tries (see the WAT).
#[test]
fn device_caps_give_the_codes_of_a_gateway_with_those_limits() {
    let dir = TempDir::new("parity-limits");
    let probe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/limits-probe.wat");
    let module = wat_module(dir.path(), &probe);
    // The manifest asks for the defaults (64 KiB payloads, 256-byte keys…):
    // more than the device can keep.
    let jinn = device(dir.path(), &module);
    let limits = jinn.limits(0).expect("function 0").clone();
    let caps = jinn_embassy::config::CAPS;
    assert_eq!(limits, Limits::default().within(&caps));
    let (device, device_fuel) = on_device(jinn, "{}");
    // 2 KiB payload: -4; 129-byte topic: -2; eight publishes staged, the
    // ninth -3; a 65-byte key and a 1,025-byte value never written; a
    // 64-byte key with 1,024 bytes kept.
    assert_eq!(device["body"], "13555555552mmf", "on the device");

    let flags: Vec<String> = [
        ("kv_key_bytes", u64::from(limits.kv_key_bytes)),
        ("kv_value_bytes", u64::from(limits.kv_value_bytes)),
        (
            "kv_transaction_bytes",
            u64::from(limits.kv_transaction_bytes),
        ),
        ("publishes", u64::from(limits.publishes)),
        ("publish_bytes", u64::from(limits.publish_bytes)),
        ("topic_bytes", u64::from(limits.topic_bytes)),
    ]
    .iter()
    .flat_map(|(name, value)| ["--limit".to_string(), format!("{name}={value}")])
    .collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let report = gateway_report(dir.path(), &module, "{}", &flags);
    assert_eq!(
        report["response"], device,
        "the gateway with the device's limits"
    );
    assert_eq!(report["fuel_used"].as_u64(), Some(device_fuel));

    // With its own (default) limits the gateway keeps all of it: the device
    // answered differently because it lowered the limits, not by accident.
    let report = gateway_report(dir.path(), &module, "{}", &[]);
    assert_eq!(report["response"]["body"], "55555555555fff");
}

/// One way for a call to fail, tried on both.
struct Failure {
    module: PathBuf,
    envelope: String,
    /// The function's limits (the gateway gets the same through `flags`).
    limits: Limits,
    flags: &'static [&'static str],
    /// The device's deadline, for `timeout` (the gateway's is in `flags`).
    deadline: Option<Duration>,
    kind: &'static str,
}

impl Failure {
    /// Whether fuel decides where the call ends, so that both use the same.
    /// Not for the deadline, and not for the call stack: a gateway's engine
    /// allows deeper recursion (`EngineLimits::gateway`) than a device's, so
    /// `deep-recursion` traps later there.
    fn same_fuel(&self) -> bool {
        self.deadline.is_none() && !self.module.ends_with("deep-recursion.wasm")
    }
}

/// Every error kind a call can end with, on both: same kind, and the same
/// fuel where fuel decides (everything but the deadline and the call stack).
#[test]
fn every_error_kind_is_the_same_on_device_and_gateway() {
    let hostile = hostile_dir();
    let dir = TempDir::new("parity-errors");
    let failure = |module: PathBuf, kind| Failure {
        module,
        envelope: "{}".into(),
        limits: Limits::default(),
        flags: &[],
        deadline: None,
        kind,
    };
    let wat = |name: &str| wat_module(dir.path(), &hostile.join(format!("{name}.wat")));
    let example = |name: &str| examples_dir().join(format!("{name}.wasm"));
    let mut cases: Vec<Failure> = [
        ("unreachable", "trap"),
        ("bad-pointer", "trap"),
        ("deep-recursion", "trap"),
        ("exit-code", "exit_code"),
        ("bad-output", "bad_output"),
        ("empty-output", "empty_output"),
        ("output-flood", "output_too_large"),
        ("iovec-overflow", "output_too_large"),
        ("memory-hog", "memory_limit"),
    ]
    .into_iter()
    .map(|(name, kind)| failure(wat(name), kind))
    .collect();
    cases.push(Failure {
        limits: Limits {
            fuel: 50_000,
            ..Limits::default()
        },
        flags: &["--fuel", "50000"],
        ..failure(example("fuel-burner"), "fuel_exhausted")
    });
    cases.push(Failure {
        envelope: format!(r#"{{"body":"{}"}}"#, "x".repeat(100)),
        limits: Limits {
            stdin: 64,
            ..Limits::default()
        },
        flags: &["--limit", "stdin=64"],
        ..failure(example("hello"), "input_too_large")
    });
    cases.push(Failure {
        limits: Limits {
            fuel: 1 << 40,
            ..Limits::default()
        },
        flags: &["--fuel", "1099511627776", "--timeout", "200ms"],
        deadline: Some(Duration::from_millis(200)),
        ..failure(example("fuel-burner"), "timeout")
    });
    for (i, case) in cases.iter().enumerate() {
        let name = case.module.display().to_string();
        let case_dir = dir.path().join(format!("case-{i}"));
        std::fs::create_dir_all(&case_dir).expect("case dir");
        let report = gateway_report(&case_dir, &case.module, &case.envelope, case.flags);
        assert_eq!(report["outcome"], case.kind, "gateway, {name}: {report}");

        let manifest = Manifest {
            limits: case.limits.clone(),
            permissions: Permissions::allow_all(),
            ..Manifest::default()
        };
        let flash = in_process::flash_with_manifest(&case_dir, &[&case.module], &manifest);
        let mut config = Config::default();
        if let Some(deadline) = case.deadline {
            config.call_deadline = embassy_time::Duration::from_millis(deadline.as_millis() as u64);
        }
        let jinn = in_process::start(flash, config);
        let outcome = in_process::call(jinn, 0, &case.envelope);
        let error = outcome.result.expect_err(&name);
        assert_eq!(error.kind().as_str(), case.kind, "device, {name}");
        let gateway_fuel = report["fuel_used"].as_u64().expect("fuel_used");
        if case.same_fuel() {
            assert_eq!(gateway_fuel, outcome.fuel_used, "fuel of {name}");
        } else if case.deadline.is_none() {
            assert!(
                gateway_fuel > outcome.fuel_used,
                "deeper on the gateway: {name}"
            );
        }
    }

    // Modules that do not load: the gateway names the kind, the device
    // refuses to take the function (the same loader decides).
    for (name, kind) in [
        ("invalid-module", "invalid_module"),
        ("missing-import", "missing_import"),
    ] {
        let case_dir = dir.path().join(name);
        std::fs::create_dir_all(&case_dir).expect("case dir");
        let module = wat_module(&case_dir, &hostile.join(format!("{name}.wat")));
        let report = gateway_report(&case_dir, &module, "{}", &[]);
        assert_eq!(report["outcome"], kind, "gateway, {name}");
        let jinn = in_process::start(
            in_process::flash_with(&case_dir, &[&module]),
            Config::default(),
        );
        assert_eq!(jinn.function_count(), 0, "device, {name}");
    }
}
