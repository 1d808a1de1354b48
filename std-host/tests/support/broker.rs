//! A real mosquitto broker on a free loopback port, and its command-line
//! clients: tests fail (never skip) when mosquitto is missing.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The path of a mosquitto program (`/usr/sbin` is not always on `PATH`).
#[track_caller]
pub fn program(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!("{name} is missing: install mosquitto and mosquitto-clients (scripts/setup.sh does)")
    })
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether a broker on `port` answers an MQTT 3.1.1 CONNECT (clean
/// session, empty client id) with a CONNACK that accepts it.
fn answers_connect(port: u16) -> bool {
    use std::io::Read;
    const CONNECT: [u8; 14] = [0x10, 12, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60, 0, 0];
    const DISCONNECT: [u8; 2] = [0xe0, 0];
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut connack = [0u8; 4];
    let accepted = stream.write_all(&CONNECT).is_ok()
        && stream.read_exact(&mut connack).is_ok()
        && connack == [0x20, 2, 0, 0];
    let _ = stream.write_all(&DISCONNECT);
    accepted
}

/// A TLS listener of a broker: its certificate and key, and the CA client
/// certificates are checked against.
pub struct BrokerTls {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Clients must present a certificate signed by `ca`.
    pub require_certificate: bool,
}

/// A mosquitto broker; stopped when dropped.
pub struct Broker {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// A second listener, with TLS, and its port.
    tls: Option<(u16, BrokerTls)>,
}

impl Broker {
    /// Starts a broker that keeps its sessions across restarts (persistence)
    /// and queues messages for absent persistent sessions without a cap.
    #[track_caller]
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// As [`Broker::start`], with a TLS listener beside the plain one (the
    /// command-line clients keep using the plain one).
    #[track_caller]
    pub fn start_tls(tls: BrokerTls) -> Self {
        Self::start_with(Some((free_port(), tls)))
    }

    #[track_caller]
    fn start_with(tls: Option<(u16, BrokerTls)>) -> Self {
        let mut broker = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            tls,
        };
        // A free port can be taken by another test's client before mosquitto
        // binds it: mosquitto then exits, and a fresh port is tried.
        for _ in 0..5 {
            match broker.launch() {
                Ok(()) => return broker,
                Err(_) => {
                    broker.port = free_port();
                    if let Some((port, _)) = broker.tls.as_mut() {
                        *port = free_port();
                    }
                }
            }
        }
        panic!("mosquitto exited at start five times (ports taken?)");
    }

    /// Starts it again on the same port with the sessions it saved.
    #[track_caller]
    pub fn restart(&mut self) {
        if let Err(status) = self.launch() {
            panic!("mosquitto exited at start on port {}: {status}", self.port);
        }
    }

    /// Starts mosquitto and waits until it serves; `Err` with its exit
    /// status when it exits first.
    #[track_caller]
    fn launch(&mut self) -> Result<(), std::process::ExitStatus> {
        assert!(self.child.is_none(), "the broker is running");
        let conf = self.dir.path().join("mosquitto.conf");
        let data = self.dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        // Run as root, mosquitto switches to its own user, which could not
        // save the sessions in this directory: it stays root here.
        // SAFETY: geteuid has no preconditions.
        let stay = if unsafe { libc::geteuid() } == 0 {
            "user root\n"
        } else {
            ""
        };
        let tls = match &self.tls {
            Some((port, t)) => format!(
                "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {}\n",
                t.ca.display(),
                t.cert.display(),
                t.key.display(),
                t.require_certificate
            ),
            None => String::new(),
        };
        std::fs::write(
            &conf,
            format!(
                "allow_anonymous true\npersistence true\npersistence_location {}/\n\
                 max_queued_messages 0\nlog_dest stderr\nlog_type error\n{stay}\
                 listener {} 127.0.0.1\n{tls}",
                data.display(),
                self.port,
            ),
        )
        .unwrap();
        let mut child = Command::new(program("mosquitto"))
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        let start = Instant::now();
        // mosquitto listens before it installs its signal handlers: a
        // SIGTERM in between kills it without saving. A CONNACK comes from
        // its main loop, after the handlers; the TLS listener must accept.
        let ready = |port: u16, mqtt: bool| {
            if mqtt {
                answers_connect(port)
            } else {
                TcpStream::connect(("127.0.0.1", port)).is_ok()
            }
        };
        let ports = [
            Some((self.port, true)),
            self.tls.as_ref().map(|(p, _)| (*p, false)),
        ];
        for (port, mqtt) in ports.into_iter().flatten() {
            while !ready(port, mqtt) {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(status);
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "mosquitto does not serve on {port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Someone else's listener may have answered: ours must still run.
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops it (SIGTERM: it saves its sessions) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: a signal to our own child.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let status = child.wait();
            let saved = self.dir.path().join("data/mosquitto.db");
            assert!(
                saved.exists(),
                "mosquitto did not save its sessions (exit: {status:?})"
            );
        }
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The URL of its TLS listener.
    #[track_caller]
    pub fn tls_url(&self) -> String {
        let (port, _) = self.tls.as_ref().expect("a broker with a TLS listener");
        format!("mqtts://127.0.0.1:{port}")
    }

    /// Publishes each line as a message to `topic` (QoS 1), and waits.
    #[track_caller]
    pub fn publish_lines(&self, topic: &str, lines: &[String]) {
        let mut child = Command::new(program("mosquitto_pub"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-l"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("mosquitto_pub starts");
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
        drop(stdin);
        assert!(child.wait().unwrap().success(), "mosquitto_pub failed");
    }

    /// Publishes one message with MQTT 5 properties given as mosquitto_pub
    /// arguments (`-D publish response-topic x` …).
    #[track_caller]
    pub fn publish(&self, topic: &str, payload: &str, extra: &[&str]) {
        let status = Command::new(program("mosquitto_pub"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-m", payload])
            .args(extra)
            .status()
            .expect("mosquitto_pub starts");
        assert!(status.success(), "mosquitto_pub failed");
    }

    /// Publishes `payload` on `topic` every 200 ms until `sub` has received
    /// something or `limit` has passed (a gateway's subscription exists only
    /// once its session is up, so the first messages may find no
    /// subscriber); returns how many were published.
    pub fn publish_until_seen(
        &self,
        sub: &Sub,
        topic: &str,
        payload: &str,
        limit: Duration,
    ) -> usize {
        let start = Instant::now();
        let mut sent = 0;
        while sub.lines().is_empty() && start.elapsed() < limit {
            self.publish(topic, payload, &[]);
            sent += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
        sent
    }

    /// Publishes the contents of file `path` as one QoS 1 message.
    #[track_caller]
    pub fn publish_file(&self, topic: &str, path: &Path) {
        let status = Command::new(program("mosquitto_pub"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-V", "mqttv5", "-q", "1", "-t", topic, "-f"])
            .arg(path)
            .status()
            .expect("mosquitto_pub starts");
        assert!(status.success(), "mosquitto_pub failed");
    }

    /// A persistent subscriber `id` on `filter` (QoS 1): its session is
    /// made first, so that nothing published from now on is missed.
    #[track_caller]
    pub fn subscribe(&self, id: &str, filter: &str) -> Sub {
        self.register(id, filter);
        self.resume(id, filter)
    }

    /// Makes the persistent session of subscriber `id` and leaves.
    #[track_caller]
    pub fn register(&self, id: &str, filter: &str) {
        let status = Command::new(program("mosquitto_sub"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-V", "mqttv5", "-q", "1", "-c", "-x", "3600", "-i", id])
            .args(["-t", filter, "-E"])
            .status()
            .expect("mosquitto_sub starts");
        assert!(status.success(), "mosquitto_sub -E failed");
    }

    /// Resumes the session of subscriber `id` (made with [`Broker::register`]).
    pub fn resume(&self, id: &str, filter: &str) -> Sub {
        self.resume_format(id, filter, "%t %p")
    }

    /// As [`Broker::resume`], printing each message in mosquitto_sub's `format`.
    pub fn resume_format(&self, id: &str, filter: &str, format: &str) -> Sub {
        let mut cmd = Command::new(program("mosquitto_sub"));
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-V", "mqttv5", "-q", "1", "-c", "-x", "3600", "-i", id])
            .args(["-t", filter, "-F", format]);
        Sub::spawn(cmd)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running mosquitto_sub: the `topic payload` lines it printed.
pub struct Sub {
    child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Sub {
    fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto_sub starts");
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the lines, for as long as lines keep
    /// coming: it gives up once none came for `stall`; the lines.
    pub fn wait_progressing(
        &self,
        stall: Duration,
        done: impl Fn(&[String]) -> bool,
    ) -> Vec<String> {
        let mut seen = 0;
        let mut last = Instant::now();
        loop {
            let lines = self.lines();
            if done(&lines) || last.elapsed() > stall {
                return lines;
            }
            if lines.len() > seen {
                seen = lines.len();
                last = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `done` holds for the lines, at most `limit`; the lines.
    pub fn wait(&self, limit: Duration, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.lines();
            if done(&lines) || start.elapsed() > limit {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory of data kept across restarts of a gateway.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path_text(p: &Path) -> String {
    p.display().to_string()
}
