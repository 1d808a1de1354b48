//! # jinn-embassy
//!
//! Jinn on microcontrollers: the same `.wasm` functions as the gateway,
//! triggered by HTTP (picoserve) and MQTT (rust-mqtt) over embassy-net,
//! with the KV store, the outbox and the functions themselves in flash,
//! and guests run in fuel slices that yield to the executor.
//!
//! The crate is generic over the network (any embassy-net [`Stack`]) and
//! the flash (any blocking `embedded-storage` [`NorFlash`]); it picks no
//! global singleton (allocator, time driver, critical section, logger,
//! panic handler): the firmware does.
//!
//! ```text
//! static RESOURCES: StaticCell<Resources<MyFlash>> = StaticCell::new();
//! let jinn = Jinn::start(RESOURCES.init(Resources::new()), flash, Config::default(), seed)?;
//! spawner.spawn(http_task(jinn, stack));   // calls jinn_embassy::http::serve, N tasks
//! spawner.spawn(mqtt_task(jinn, stack));   // calls jinn_embassy::mqtt::run
//! spawner.spawn(timer_task(jinn));          // calls jinn_embassy::timer::run
//! ```
//!
//! Static RAM is sized by the constants of [`config`]; the only heap use is
//! the guest runtime's (wasmi: compiled modules, one instance and its linear
//! memory at a time, the request and response of the running call).
//!
//! [`Stack`]: embassy_net::Stack
//! [`NorFlash`]: embedded_storage::nor_flash::NorFlash
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[macro_use]
mod fmt;

#[cfg(feature = "board")]
pub mod board;
pub mod catalog;
pub mod config;
mod device;
mod entropy;
pub mod flash;
mod host;
pub mod http;
pub mod kv;
mod modules;
pub mod mqtt;
mod observer;
pub mod outbox;
pub mod record;
mod signing;
mod storage;
#[cfg(test)]
mod testing;
pub mod timer;

pub use config::{Config, Layout};
pub use device::{BootError, Counters, Jinn, MqttStatus, Resources};
pub use host::DeviceHost;
pub use jinn_core::EngineLimits;
pub use jinn_core::signature::Policy;
pub use observer::CallObserver;
pub use record::{Broker, DeviceSettings, FunctionRecord, TimerRecord};
pub use storage::Storage;
