//! The test bed: a network namespace with a TAP device, a mosquitto broker
//! and the runner inside it, driven with curl and the mosquitto clients.
//!
//! Everything happens inside a namespace created here (`jinntap-<pid>-<tag>`),
//! on 10.42.0.0/24: the host side of the TAP is 10.42.0.1 (the broker
//! listens there), the device is 10.42.0.2. Nothing leaves the namespace.
//! Every wait is bounded in time and tries; every process and namespace is
//! removed on drop, also when a test fails.
//!
//! Needs root, `/dev/net/tun`, iproute2, curl, mosquitto and the mosquitto
//! clients: [`require_tools`] panics (the test fails) when one is missing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The broker's side of the TAP device.
pub const HOST_IP: &str = "10.42.0.1";
/// The device (the embassy-net stack).
pub const DEVICE_IP: &str = "10.42.0.2";
/// The broker's port.
pub const BROKER_PORT: u16 = 1883;

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Panics unless everything the TAP tests need is here.
pub fn require_tools() {
    let missing: Vec<&str> = ["ip", "curl", "mosquitto", "mosquitto_sub", "mosquitto_pub"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?}: apt-get install iproute2 curl mosquitto mosquitto-clients (targets/ci.sh does)"
    );
    assert!(
        Path::new("/dev/net/tun").exists(),
        "/dev/net/tun is missing: the TAP tests need the tun driver"
    );
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn run_ok(cmd: &mut Command) {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory under the system temp dir, unique in this process
    /// even when tests running side by side use the same tag.
    pub fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("jinntap-{}-{n}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A network namespace with `tap0` (10.42.0.1/24) and loopback up.
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates `jinntap-<pid>-<tag>`.
    pub fn create(tag: &str) -> Self {
        let name = format!("jinntap-{}-{tag}", std::process::id());
        let _ = run(Command::new("ip").args(["netns", "del", &name]));
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let ns = Self { name };
        run_ok(Command::new("ip").args(["-n", &ns.name, "link", "set", "lo", "up"]));
        run_ok(Command::new("ip").args([
            "-n", &ns.name, "tuntap", "add", "dev", "tap0", "mode", "tap",
        ]));
        run_ok(Command::new("ip").args([
            "-n",
            &ns.name,
            "addr",
            "add",
            &format!("{HOST_IP}/24"),
            "dev",
            "tap0",
        ]));
        run_ok(Command::new("ip").args(["-n", &ns.name, "link", "set", "tap0", "up"]));
        ns
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `program args…` inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run(Command::new("ip").args(["netns", "del", &self.name]));
    }
}

fn stop(child: &mut Child, gracefully: bool) {
    if gracefully {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// mosquitto inside a namespace, listening on 10.42.0.1:1883 only, with
/// its persistence file in a scratch directory (so that stopping and
/// starting it keeps the subscribers' sessions, as a real broker does).
/// It stays root (`user root`): the scratch directory is root's, and
/// mosquitto would otherwise drop to its own user and fail to save.
pub struct Broker<'a> {
    ns: &'a Netns,
    dir: PathBuf,
    child: Option<Child>,
}

impl<'a> Broker<'a> {
    /// Starts it and waits until it accepts clients.
    pub fn start(ns: &'a Netns, dir: &Path) -> Self {
        let mut broker = Self {
            ns,
            dir: dir.to_path_buf(),
            child: None,
        };
        broker.restart();
        broker
    }

    /// Starts it again after [`Broker::stop`].
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "broker already running");
        let conf = self.dir.join("mosquitto.conf");
        fs::write(
            &conf,
            format!(
                "listener {BROKER_PORT} {HOST_IP}\nallow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval 1\nuser root\n",
                self.dir.display()
            ),
        )
        .expect("write mosquitto.conf");
        let log = fs::File::create(self.dir.join("mosquitto.log")).expect("mosquitto.log");
        let child = self
            .ns
            .command("mosquitto")
            .args(["-c", conf.to_str().unwrap_or_default()])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn mosquitto");
        self.child = Some(child);
        for _ in 0..100 {
            let probe = run(self.ns.command("mosquitto_pub").args([
                "-h",
                HOST_IP,
                "-t",
                "jinn/probe",
                "-m",
                "x",
                "-q",
                "0",
            ]));
            if probe.status.success() {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        panic!("mosquitto did not start: {}", self.log());
    }

    /// Stops it (SIGTERM, so it saves its sessions).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, true);
        }
    }

    /// Its log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
    }

    /// Publishes one message at QoS 1.
    pub fn publish(&self, topic: &str, payload: &str) {
        run_ok(
            self.ns
                .command("mosquitto_pub")
                .args(["-h", HOST_IP, "-q", "1", "-t", topic, "-m", payload]),
        );
    }

    /// Creates a persistent QoS 1 session `id` subscribed to `filter`; the
    /// broker keeps its messages from now on, even while it is offline.
    pub fn observe(&self, id: &str, filter: &str) -> Observer<'a> {
        run_ok(
            self.ns
                .command("mosquitto_sub")
                .args(["-h", HOST_IP, "-c", "-i", id, "-q", "1", "-t", filter, "-E"]),
        );
        Observer {
            ns: self.ns,
            id: id.into(),
            filter: filter.into(),
        }
    }
}

impl Drop for Broker<'_> {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, false);
        }
    }
}

/// A persistent subscriber session.
pub struct Observer<'a> {
    ns: &'a Netns,
    id: String,
    filter: String,
}

impl Observer<'_> {
    /// Waits up to `timeout` for `count` messages: `(topic, payload)` pairs.
    pub fn collect(&self, count: usize, timeout: Duration) -> Vec<(String, String)> {
        let out = run(self.ns.command("mosquitto_sub").args([
            "-h",
            HOST_IP,
            "-c",
            "-i",
            &self.id,
            "-q",
            "1",
            "-t",
            &self.filter,
            "-C",
            &count.to_string(),
            "-W",
            &timeout.as_secs().max(1).to_string(),
            "-v",
        ]));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(t, p)| (t.to_string(), p.to_string()))
            .collect()
    }
}

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

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to the device with curl; `None` when it does not answer in `timeout`.
pub fn http(
    ns: &Netns,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Option<Reply> {
    let mut cmd = ns.command("curl");
    cmd.args(["-s", "-i", "-X", method, "-m"])
        .arg(format!("{:.3}", timeout.as_secs_f64()));
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    if body.is_some() {
        cmd.args(["--data-binary", "@-"]);
    }
    cmd.arg(format!("http://{DEVICE_IP}{path}"));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn curl");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body.unwrap_or_default());
    }
    let out = child.wait_with_output().expect("curl");
    if !out.status.success() {
        return None;
    }
    parse_reply(&out.stdout)
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// Per-request times of `count` GETs of `path` with curl, on one kept-alive
/// connection (`keep_alive`) or one connection each. Each entry is
/// `(seconds, new connections made)`.
pub fn timed_gets(ns: &Netns, path: &str, count: usize, keep_alive: bool) -> Vec<(f64, u32)> {
    let url = format!("http://{DEVICE_IP}{path}");
    let mut cmd = ns.command("curl");
    cmd.args(["-s", "-m", "60", "-w", "%{time_total} %{num_connects}\\n"]);
    if !keep_alive {
        cmd.args(["-H", "Connection: close"]);
    }
    for _ in 0..count {
        cmd.args(["-o", "/dev/null", &url]);
    }
    let out = run(&mut cmd);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (t, c) = l.split_once(' ')?;
            Some((t.parse().ok()?, c.parse().ok()?))
        })
        .collect()
}

/// One GET on a new connection: `(status, seconds)` as curl measured it,
/// `None` when it did not answer within `timeout`.
pub fn timed_get_once(ns: &Netns, path: &str, timeout: Duration) -> Option<(u16, f64)> {
    let out = run(ns.command("curl").args([
        "-s",
        "-o",
        "/dev/null",
        "-m",
        &format!("{:.3}", timeout.as_secs_f64()),
        "-w",
        "%{http_code} %{time_total}",
        &format!("http://{DEVICE_IP}{path}"),
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, time) = text.trim().split_once(' ')?;
    let status: u16 = status.parse().ok()?;
    (out.status.success() && status != 0).then_some((status, time.parse().ok()?))
}

/// Median and 99th percentile of `samples` (sorted in place).
pub fn median_p99(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Where the example modules are.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wasm")
}

/// Where the hand-written hostile guests are (`.wat`).
pub fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hostile")
}

/// The target directory a test binary was built in (`<target>/<profile>/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    exe.ancestors()
        .nth(3)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// A build artefact next to the test, or a panic saying how to build it.
fn artefact(path: PathBuf, build: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: build it first ({build})",
        path.display()
    );
    path
}

/// The gateway's `jinn` binary, built in the same target directory and profile.
pub fn gateway_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile = exe.ancestors().nth(2).expect("<profile>/deps/<test>");
    artefact(profile.join("jinn"), "cargo build -p jinn-host --bin jinn")
}

/// `jinn run MODULE --input INPUT --report ARGS...` with the gateway binary:
/// the report, or a panic with what the command printed.
pub fn jinn_run_report(module: &Path, input: &Path, args: &[&str]) -> Value {
    let out = Command::new(gateway_bin())
        .arg("run")
        .arg(module)
        .arg("--input")
        .arg(input)
        .arg("--report")
        .args(args)
        .output()
        .expect("run jinn");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "jinn run: {e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `heap-probe.wasm`: jinn-core built for a 32-bit target, run inside `jinn run`.
pub fn heap_probe_wasm() -> PathBuf {
    artefact(
        target_dir().join("wasm32-wasip1/release/heap-probe.wasm"),
        "cargo build -p jinn-heap-probe --release --target wasm32-wasip1",
    )
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
    crate::image::build(crate::image::Board::Host, &spec_path, &flash)
        .unwrap_or_else(|e| panic!("image: {e}"));
    flash
}
