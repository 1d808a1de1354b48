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
//!
//! Not part of jinn-linux-tap's library: the test files, `jinn-tap measure`
//! and `jinn-footprint` include it with `#[path]`, each using what it needs.
#![allow(dead_code)]

pub mod artefacts;
pub mod broker;
pub mod burn;
pub mod device;
pub mod files;
pub mod http;
pub mod netns;
pub mod process;
