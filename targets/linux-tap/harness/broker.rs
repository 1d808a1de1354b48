//! mosquitto in the namespace, and subscribers to it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::thread::sleep;
use std::time::Duration;

use super::netns::{HOST_IP, Netns};
use super::process::{run, run_ok, stop};

/// The broker's port.
pub const BROKER_PORT: u16 = 1883;

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
