//! Signed modules on the device (the embassy code over TAP, in a network
//! namespace): the catalog refuses under `strict` what does not verify, runs
//! it under `audit`, the firmware's keys and policy win over the device
//! settings, and a module re-flashed with a bad signature is refused at the
//! next boot while the other functions keep serving. The modules and keys
//! are the vectors made with Gojinn's signer (`core/tests/vectors/gojinn/`).

#[path = "../harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::device::{Device, build_image};
use harness::files::TempDir;
use harness::http::http;
use harness::netns::Netns;
use harness::process::require_tools;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_jinn-tap");

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../core/tests/vectors/gojinn")
        .join(name)
}

fn key(name: &str) -> String {
    std::fs::read_to_string(vector(&format!("{name}.pub"))).unwrap()
}

/// One function per vector, each on its own route.
const FUNCTIONS: [(&str, &str); 7] = [
    ("good", "v1.signed.wasm"),
    ("unsigned", "v2.wasm"),
    ("wrong-key", "v1.other.wasm"),
    ("tampered", "tampered-body.wasm"),
    ("truncated", "truncated-signature.wasm"),
    ("swapped", "other-module-signature.wasm"),
    ("double", "double-signed.wasm"),
];

fn spec(policy: &str, keys: &[String], functions: &[(&str, &str)]) -> Value {
    let functions: Vec<Value> = functions
        .iter()
        .map(
            |(name, file)| json!({"name": name, "wasm": vector(file), "route": format!("/{name}")}),
        )
        .collect();
    json!({
        "device": {"client_id": "jinn-tap-sig", "signature_policy": policy, "trusted_keys": keys},
        "functions": functions,
    })
}

fn get(ns: &Netns, path: &str) -> (u16, String) {
    let reply = http(ns, "GET", path, None, &[], Duration::from_secs(10))
        .unwrap_or_else(|| panic!("{path} answers"));
    (reply.status, reply.text())
}

fn functions(device: &mut Device<'_>) -> u64 {
    device.wait_health(Duration::from_secs(5), |_| true)["functions"]
        .as_u64()
        .unwrap()
}

#[test]
fn strict_catalog_refuses_what_does_not_verify() {
    require_tools();
    let dir = TempDir::new("sig-strict");
    let ns = Netns::create("sig-strict");
    let flash = build_image(dir.path(), &spec("strict", &[key("gojinn")], &FUNCTIONS));
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, Path::new(BIN), &flash, &log);
    assert_eq!(functions(&mut device), 1, "{}", device.log());
    assert_eq!(get(&ns, "/good"), (200, "signed v1".into()));
    for (name, _) in &FUNCTIONS[1..] {
        assert_eq!(get(&ns, &format!("/{name}")).0, 404, "{name}");
    }
    let log = device.log();
    // The double signature's outer trailer is `other`'s.
    assert_eq!(
        log.matches("module signature verification failed").count(),
        6,
        "{log}"
    );
}

#[test]
fn audit_catalog_runs_them_and_warns() {
    require_tools();
    let dir = TempDir::new("sig-audit");
    let ns = Netns::create("sig-audit");
    let flash = build_image(dir.path(), &spec("audit", &[key("gojinn")], &FUNCTIONS));
    let log = dir.path().join("device.log");
    let mut device = Device::start(&ns, Path::new(BIN), &flash, &log);
    // What is still a module runs; a flipped or missing byte leaves no
    // valid module, and no policy loads a double signature.
    assert_eq!(functions(&mut device), 4, "{}", device.log());
    assert_eq!(get(&ns, "/good"), (200, "signed v1".into()));
    assert_eq!(get(&ns, "/unsigned"), (200, "signed v2".into()));
    assert_eq!(get(&ns, "/wrong-key"), (200, "signed v1".into()));
    assert_eq!(get(&ns, "/swapped"), (200, "signed v1".into()));
    for refused in ["/tampered", "/truncated", "/double"] {
        assert_eq!(get(&ns, refused).0, 404, "{refused}");
    }
    let log = device.log();
    assert_eq!(
        log.matches("Security Audit Failed (Allowing run due to audit policy)")
            .count(),
        5,
        "{log}"
    );
    assert!(
        log.contains("function double: module is signed twice"),
        "{log}"
    );
}

#[test]
fn firmware_keys_and_policy_win_over_the_settings() {
    require_tools();
    let dir = TempDir::new("sig-firmware");
    let ns = Netns::create("sig-firmware");
    // The settings (in flash) trust `other` and ask for nothing.
    let flash = build_image(dir.path(), &spec("off", &[key("other")], &FUNCTIONS[..3]));
    let log = dir.path().join("device.log");
    let gojinn = key("gojinn");
    let options = [
        "--signature-policy",
        "strict",
        "--trusted-key",
        gojinn.as_str(),
    ];
    let mut device = Device::start_with(&ns, Path::new(BIN), &flash, &log, &options);
    assert_eq!(functions(&mut device), 1, "{}", device.log());
    assert_eq!(get(&ns, "/good"), (200, "signed v1".into()));
    assert_eq!(
        get(&ns, "/wrong-key").0,
        404,
        "the settings cannot add a key"
    );
    assert_eq!(get(&ns, "/unsigned").0, 404, "nor lower the policy");
    assert!(device.log().contains("the settings' ignored"));
}

/// The device has no hot reload: a new catalog is written whole and read at
/// boot. A module re-flashed with a bad signature is refused at that boot,
/// and the functions beside it keep serving; signed again, it runs.
#[test]
fn reflashed_module_under_strict_is_refused_at_boot() {
    require_tools();
    let dir = TempDir::new("sig-reflash");
    let ns = Netns::create("sig-reflash");
    let log = dir.path().join("device.log");
    let keys = [key("gojinn")];
    let image = |f: &str| {
        build_image(
            dir.path(),
            &spec("strict", &keys, &[("a", f), ("b", "v2.signed.wasm")]),
        )
    };
    let flash = image("v1.signed.wasm");
    let mut device = Device::start(&ns, Path::new(BIN), &flash, &log);
    assert_eq!(get(&ns, "/a"), (200, "signed v1".into()));
    device.kill();

    for bad in ["tampered-body.wasm", "v1.other.wasm", "v2.wasm"] {
        let flash = image(bad);
        let mut device = Device::start(&ns, Path::new(BIN), &flash, &log);
        assert_eq!(functions(&mut device), 1, "{bad}");
        assert_eq!(get(&ns, "/a").0, 404, "{bad}");
        assert_eq!(get(&ns, "/b"), (200, "signed v2".into()), "{bad}");
        device.kill();
    }

    let flash = image("v1.signed.wasm");
    let _device = Device::start(&ns, Path::new(BIN), &flash, &log);
    assert_eq!(get(&ns, "/a"), (200, "signed v1".into()));
}
