//! mosquitto in the namespace (or on the loopback), and subscribers to it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread::sleep;
use std::time::Duration;

use super::netns::{HOST_IP, Netns, Place};
use super::process::{run, run_ok, stop};

/// The broker's port.
pub const BROKER_PORT: u16 = 1883;

/// mosquitto listening on one address and port of a [`Place`] (in a
/// namespace: 10.42.0.1:1883; on the loopback: 127.0.0.1 and a free port),
/// with its persistence file in a scratch directory (so that stopping and
/// starting it keeps the subscribers' sessions, as a real broker does).
/// It stays root (`user root`): the scratch directory is root's, and
/// mosquitto would otherwise drop to its own user and fail to save.
pub struct Broker<'a> {
    place: &'a dyn Place,
    host: String,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl<'a> Broker<'a> {
    /// Starts it in `ns` on the TAP's host side and waits until it accepts clients.
    pub fn start(ns: &'a Netns, dir: &Path) -> Self {
        Self::start_at(ns, HOST_IP, BROKER_PORT, dir)
    }

    /// Starts it in `place` on `host:port` and waits until it accepts clients.
    pub fn start_at(place: &'a dyn Place, host: &str, port: u16, dir: &Path) -> Self {
        let mut broker = Self {
            place,
            host: host.to_string(),
            port,
            dir: dir.to_path_buf(),
            child: None,
        };
        broker.restart();
        broker
    }

    /// `host` and `-p port` for the mosquitto clients.
    fn client(&self, program: &str) -> Command {
        let mut cmd = self.place.command(program);
        cmd.args(["-h", &self.host, "-p", &self.port.to_string()]);
        cmd
    }

    /// Starts it again after [`Broker::stop`].
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "broker already running");
        let conf = self.dir.join("mosquitto.conf");
        fs::write(
            &conf,
            format!(
                "listener {} {}\nallow_anonymous true\npersistence true\npersistence_location {}/\nautosave_interval 1\nuser root\n",
                self.port,
                self.host,
                self.dir.display()
            ),
        )
        .expect("write mosquitto.conf");
        let log = fs::File::create(self.dir.join("mosquitto.log")).expect("mosquitto.log");
        let child = self
            .place
            .command("mosquitto")
            .args(["-c", conf.to_str().unwrap_or_default()])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn mosquitto");
        self.child = Some(child);
        for _ in 0..100 {
            let probe =
                run(self
                    .client("mosquitto_pub")
                    .args(["-t", "jinn/probe", "-m", "x", "-q", "0"]));
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
            self.client("mosquitto_pub")
                .args(["-q", "1", "-t", topic, "-m", payload]),
        );
    }

    /// Publishes one message at QoS 1 over MQTT 5 with `properties`
    /// (`(name, value)` as `mosquitto_pub -D publish <name> <value>`, e.g.
    /// `("response-topic", "replies/1")`; `user-property` takes `"k v"`).
    pub fn publish_v5(&self, topic: &str, payload: &str, properties: &[(&str, &str)]) {
        let mut cmd = self.client("mosquitto_pub");
        cmd.args(["-V", "mqttv5", "-q", "1", "-t", topic, "-m", payload]);
        for (name, value) in properties {
            cmd.args(["-D", "publish", name]);
            cmd.args(value.split(' '));
        }
        run_ok(&mut cmd);
    }

    /// Creates a persistent MQTT 5 QoS 1 session `id` subscribed to
    /// `filter`; [`Observer::collect_v5`] reads its messages with their
    /// properties.
    pub fn observe_v5(&self, id: &str, filter: &str) -> Observer<'a> {
        run_ok(self.client("mosquitto_sub").args([
            "-V", "mqttv5", "-x", "3600", "-c", "-i", id, "-q", "1", "-t", filter, "-E",
        ]));
        Observer {
            place: self.place,
            host: self.host.clone(),
            port: self.port,
            id: id.into(),
            filter: filter.into(),
        }
    }

    /// Creates a persistent QoS 1 session `id` subscribed to `filter`; the
    /// broker keeps its messages from now on, even while it is offline.
    pub fn observe(&self, id: &str, filter: &str) -> Observer<'a> {
        run_ok(
            self.client("mosquitto_sub")
                .args(["-c", "-i", id, "-q", "1", "-t", filter, "-E"]),
        );
        Observer {
            place: self.place,
            host: self.host.clone(),
            port: self.port,
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
    place: &'a dyn Place,
    host: String,
    port: u16,
    id: String,
    filter: String,
}

impl Observer<'_> {
    /// Waits up to `timeout` for `count` messages of an MQTT 5 session
    /// ([`Broker::observe_v5`]), each printed as `format` (mosquitto_sub's
    /// `-F`: `%t` topic, `%p` payload, `%D` correlation data, `%C` content
    /// type, `%P` user properties), one line each.
    pub fn collect_v5(&self, count: usize, timeout: Duration, format: &str) -> Vec<String> {
        let mut sub = self.subscriber(count, timeout);
        sub.args(["-V", "mqttv5", "-x", "3600", "-F", format]);
        String::from_utf8_lossy(&run(&mut sub).stdout)
            .lines()
            .map(String::from)
            .collect()
    }

    /// Waits up to `timeout` for `count` messages: `(topic, payload)` pairs.
    pub fn collect(&self, count: usize, timeout: Duration) -> Vec<(String, String)> {
        let mut sub = self.subscriber(count, timeout);
        sub.arg("-v");
        String::from_utf8_lossy(&run(&mut sub).stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(t, p)| (t.to_string(), p.to_string()))
            .collect()
    }

    /// mosquitto_sub resuming this session at QoS 1, ending after `count`
    /// messages or `timeout`.
    fn subscriber(&self, count: usize, timeout: Duration) -> Command {
        let mut sub = self.place.command("mosquitto_sub");
        sub.args([
            "-h",
            &self.host,
            "-p",
            &self.port.to_string(),
            "-c",
            "-i",
            &self.id,
        ])
        .args(["-q", "1", "-t", &self.filter, "-C", &count.to_string()])
        .args(["-W", &timeout.as_secs().max(1).to_string()]);
        sub
    }
}
