//! The network namespace with the TAP device.

use std::process::Command;

use super::process::{run, run_ok};

/// The broker's side of the TAP device.
pub const HOST_IP: &str = "10.42.0.1";
/// The device (the embassy-net stack).
pub const DEVICE_IP: &str = "10.42.0.2";

/// Where the test's helper processes run (mosquitto, its clients, curl).
pub trait Place {
    /// `program` to run there.
    fn command(&self, program: &str) -> Command;
}

/// This host, for tools that reach a device through the loopback (QEMU's
/// port forwarding, its host address).
pub struct Loopback;

impl Place for Loopback {
    fn command(&self, program: &str) -> Command {
        Command::new(program)
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
}

impl Place for Netns {
    /// `program args…` inside the namespace.
    fn command(&self, program: &str) -> Command {
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
