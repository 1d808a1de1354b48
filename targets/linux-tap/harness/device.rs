//! The runner in the namespace, and the image it boots.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::broker::BROKER_PORT;
use super::files::examples_dir;
use super::http::http;
use super::netns::{DEVICE_IP, HOST_IP, Netns, Place};
use super::process::stop;

/// The runner (`jinn-tap serve`) inside a namespace, on `tap0` as 10.42.0.2.
pub struct Device<'a> {
    ns: &'a Netns,
    child: Option<Child>,
    log: PathBuf,
}

impl<'a> Device<'a> {
    /// Starts `bin serve --flash <flash>` and waits for `/healthz`.
    pub fn start(ns: &'a Netns, bin: &Path, flash: &Path, log: &Path) -> Self {
        Self::start_with(ns, bin, flash, log, &[])
    }

    /// The same with more `serve` options (the firmware's settings).
    pub fn start_with(
        ns: &'a Netns,
        bin: &Path,
        flash: &Path,
        log: &Path,
        options: &[&str],
    ) -> Self {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("device log");
        let child = ns
            .command(bin.to_str().unwrap_or_default())
            .args([
                "serve",
                "--flash",
                flash.to_str().unwrap_or_default(),
                "--tap",
                "tap0",
                "--ip",
                &format!("{DEVICE_IP}/24"),
                "--gateway",
                HOST_IP,
            ])
            .args(options)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("spawn jinn-tap");
        let mut device = Self {
            ns,
            child: Some(child),
            log: log.to_path_buf(),
        };
        device.wait_health(Duration::from_secs(20), |_| true);
        device
    }

    /// Kills it like a reset (SIGKILL: nothing is flushed or closed).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, false);
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `/healthz` as JSON, if it answers within a second.
    pub fn health(&self) -> Option<Value> {
        let reply = http(
            self.ns,
            "GET",
            "/healthz",
            None,
            &[],
            Duration::from_secs(1),
        )?;
        (reply.status == 200)
            .then(|| serde_json::from_slice(&reply.body).ok())
            .flatten()
    }

    /// Polls `/healthz` until `ready` holds; panics after `timeout`.
    pub fn wait_health(&mut self, timeout: Duration, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        for _ in 0..10_000 {
            if let Some(h) = self.health() {
                if ready(&h) {
                    return h;
                }
                last = Some(h);
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("the device exited ({status}):\n{}", self.log());
            }
            if Instant::now() > deadline {
                break;
            }
            sleep(Duration::from_millis(50));
        }
        panic!(
            "device not ready in {timeout:?} (last /healthz: {last:?}):\n{}",
            self.log()
        );
    }
}

impl Drop for Device<'_> {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The spec of the test device: hello, echo, kv-counter, sensor-alert
/// (HTTP and `sensors/+`), fuel-burner (`/burn`, `burn/+`, `burn_fuel` fuel).
pub fn test_spec(broker: bool, burn_fuel: u64) -> Value {
    let wasm = |name: &str| examples_dir().join(format!("{name}.wasm"));
    serde_json::json!({
        "device": {
            "broker": if broker { Some(format!("{HOST_IP}:{BROKER_PORT}")) } else { None },
            "client_id": "jinn-tap-test",
            "keep_alive_secs": 10
        },
        "functions": [
            {"name": "hello", "wasm": wasm("hello"), "route": "/hello"},
            {"name": "echo", "wasm": wasm("echo"), "route": "/echo"},
            {"name": "kv-counter", "wasm": wasm("kv-counter"), "route": "/count",
             "manifest": {"permissions": {"kv_read": ["counter/*"], "kv_write": ["counter/*"]}}},
            {"name": "sensor-alert", "wasm": wasm("sensor-alert"), "route": "/sensor",
             "topics": ["sensors/+"],
             "manifest": {"permissions": {"kv_write": ["sensor/*"], "publish": ["alerts/+"]}}},
            {"name": "fuel-burner", "wasm": wasm("fuel-burner"), "route": "/burn",
             "topics": ["burn/+"],
             "manifest": {"limits": {"fuel": burn_fuel}}}
        ]
    })
}

/// Writes `spec` and builds the host flash image from it into `dir/flash.bin`.
pub fn build_image(dir: &Path, spec: &Value) -> PathBuf {
    let spec_path = dir.join("spec.json");
    fs::write(&spec_path, serde_json::to_vec_pretty(spec).expect("json")).expect("spec.json");
    let flash = dir.join("flash.bin");
    jinn_linux_tap::image::build(jinn_linux_tap::image::Board::Host, &spec_path, &flash)
        .unwrap_or_else(|e| panic!("image: {e}"));
    flash
}
