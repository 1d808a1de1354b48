//! [`Machine`]: one run of `qemu-system-arm -machine mps2-an500` with the
//! firmware, a flash image, a random seed and the device's HTTP port
//! forwarded to the host's loopback.

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http;
use crate::log::DeviceLog;

/// Where QEMU's mps2-an500 firmware is built by `targets/boards`
/// (`JINN_QEMU_FIRMWARE` overrides it).
pub fn default_firmware() -> PathBuf {
    std::env::var_os("JINN_QEMU_FIRMWARE").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../boards/target/thumbv7em-none-eabihf/release/jinn-mps2-an500")
        },
        PathBuf::from,
    )
}

/// The machine's address for flash bank 2 (see the board's memory.x).
const FLASH_BANK2: u32 = 0x0010_0000;
/// Where the firmware reads its seed (memory.x `SEED`).
const SEED_AT: u32 = 0x203F_FFE0;

/// A free TCP port on the loopback (free when asked: QEMU or mosquitto
/// binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on the loopback: {e}"))
}

/// Fails unless `qemu-system-arm` is installed.
///
/// # Panics
///
/// When it is missing.
pub fn require_qemu() {
    let found = Command::new("qemu-system-arm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "qemu-system-arm is missing: apt-get install qemu-system-arm (targets/ci.sh does)"
    );
}

/// How to boot.
#[derive(Debug, Clone)]
pub struct Boot {
    /// The firmware ELF.
    pub firmware: PathBuf,
    /// The flash bank 2 image (`jinn-tap image --board mps2-an500`).
    pub flash: PathBuf,
    /// Scratch directory: the seed, QEMU's stderr, the decoded log.
    pub dir: PathBuf,
    /// Count instructions: `-icount shift=0`, one instruction per
    /// nanosecond of emulated time.
    pub icount: bool,
}

/// A running QEMU.
pub struct Machine {
    child: Child,
    log: DeviceLog,
    http_port: u16,
    started: Instant,
    dir: PathBuf,
}

fn random_seed() -> [u8; 32] {
    use std::io::Read;
    let mut seed = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .unwrap_or_else(|e| panic!("/dev/urandom: {e}"));
    seed
}

impl Machine {
    /// Starts QEMU. The HTTP port is forwarded from a free port of
    /// 127.0.0.1 (tried again with another one if QEMU cannot bind it).
    ///
    /// # Errors
    ///
    /// QEMU or the firmware cannot be started.
    pub fn boot(boot: &Boot) -> Result<Self, String> {
        let elf = fs::read(&boot.firmware).map_err(|e| {
            format!(
                "{}: {e} (build it: cd targets/boards && RUSTC_BOOTSTRAP=1 cargo build --release)",
                boot.firmware.display()
            )
        })?;
        let seed = boot.dir.join("seed.bin");
        fs::write(&seed, random_seed()).map_err(|e| format!("{}: {e}", seed.display()))?;
        let mut last_error = String::new();
        for _ in 0..3 {
            let http_port = free_port();
            let stderr = fs::File::create(boot.dir.join("qemu.stderr"))
                .map_err(|e| format!("qemu.stderr: {e}"))?;
            let mut cmd = Command::new("qemu-system-arm");
            cmd.args(["-machine", "mps2-an500", "-nographic", "-monitor", "none"])
                .args(["-semihosting-config", "enable=on,target=native"])
                .arg("-kernel")
                .arg(&boot.firmware)
                .arg("-device")
                .arg(format!(
                    "loader,file={},addr={FLASH_BANK2:#x},force-raw=on",
                    boot.flash.display()
                ))
                .arg("-device")
                .arg(format!(
                    "loader,file={},addr={SEED_AT:#x},force-raw=on",
                    seed.display()
                ))
                .arg("-nic")
                .arg(format!(
                    "user,id=net0,model=lan9118,hostfwd=tcp:127.0.0.1:{http_port}-:80"
                ));
            if let Some(dir) = std::env::var_os("JINN_QEMU_PCAP") {
                // Every frame between the device and QEMU's network, for
                // Wireshark: `$JINN_QEMU_PCAP/qemu-<port>.pcap`.
                let file = Path::new(&dir).join(format!("qemu-{http_port}.pcap"));
                cmd.arg("-object").arg(format!(
                    "filter-dump,id=dump0,netdev=net0,file={}",
                    file.display()
                ));
            }
            if boot.icount {
                cmd.args(["-icount", "shift=0"]);
            }
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(stderr)
                .spawn()
                .map_err(|e| format!("qemu-system-arm: {e}"))?;
            let started = Instant::now();
            let uart = child.stdout.take().ok_or("no stdout")?;
            let copy = fs::File::create(boot.dir.join("device.log"))
                .map_err(|e| format!("device.log: {e}"))?;
            let (log, _reader) = DeviceLog::follow(&elf, uart, copy)?;
            let mut machine = Self {
                child,
                log,
                http_port,
                started,
                dir: boot.dir.clone(),
            };
            // A port taken meanwhile makes QEMU exit at once.
            sleep(Duration::from_millis(300));
            match machine.exited() {
                None => return Ok(machine),
                Some(status) => {
                    last_error = format!("QEMU exited ({status}): {}", machine.stderr())
                }
            }
        }
        Err(last_error)
    }

    /// The host port forwarded to the device's port 80.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The decoded log.
    pub fn log(&self) -> &DeviceLog {
        &self.log
    }

    /// Time since QEMU was started.
    pub fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    /// QEMU's exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// QEMU's own messages.
    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.join("qemu.stderr")).unwrap_or_default()
    }

    /// What to show when something fails: QEMU's messages and the log.
    pub fn report(&self) -> String {
        format!(
            "qemu stderr:\n{}\ndevice log:\n{}",
            self.stderr(),
            self.log.text()
        )
    }

    /// `/healthz` as JSON, if it answers 200 within `timeout`.
    pub fn health(&self, timeout: Duration) -> Option<Value> {
        let reply = http::get(self.http_port, "/healthz", timeout)?;
        (reply.status == 200)
            .then(|| serde_json::from_slice(&reply.body).ok())
            .flatten()
    }

    /// Polls `/healthz` until `ready` holds; returns it.
    ///
    /// # Errors
    ///
    /// Not within `timeout`, or QEMU exited; with the last `/healthz` and
    /// the log.
    pub fn wait_health(
        &mut self,
        timeout: Duration,
        ready: impl Fn(&Value) -> bool,
    ) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Err(format!("QEMU exited ({status})\n{}", self.report()));
            }
            if let Some(health) = self.health(Duration::from_secs(2)) {
                if ready(&health) {
                    return Ok(health);
                }
                last = Some(health);
            }
            sleep(Duration::from_millis(100));
        }
        Err(format!(
            "not ready in {timeout:?} (last /healthz: {last:?})\n{}",
            self.report()
        ))
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
