//! # jinn-core
//!
//! The sans-IO heart of Jinn: it validates untrusted WebAssembly modules,
//! runs each call in a fresh [wasmi] instance under a deterministic fuel
//! budget, implements the Gojinn function contract (JSON request on stdin,
//! JSON response on stdout) and the host ABI (`wasi_snapshot_preview1`,
//! `gojinn`, `jinn`). It knows nothing of sockets, executors or clocks: time,
//! entropy, storage, publishing and logging come in through the traits of
//! [`ports`], which each target implements.
//!
//! ```text
//! let runtime = Runtime::<MyHost>::new(EngineLimits::default());
//! let function = runtime.load(&wasm_bytes)?;           // validate + compile once
//! let mut call = function.invoke(host, manifest, request.to_json());
//! while call.resume(100_000).is_running() {
//!     executor_yield().await;                          // never starve the network stack
//! }
//! let (outcome, host) = call.finish();                 // response or typed error, fuel used
//! ```
//!
//! Needs a target with atomic compare-and-swap: wasmi uses `alloc::sync::Arc`,
//! so `thumbv6m` (Cortex-M0/M0+) is not supported; `thumbv7em`, `thumbv8m.main`
//! and `riscv32imac` are.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

/// The contract with functions (envelopes, JSON form, header rules, trigger
/// envelopes), from `jinn-contract`.
pub use jinn_contract as contract;

#[macro_use]
mod fmt;

mod decimal;
pub mod error;
pub mod excerpt;
mod fault;
pub mod files;
mod host;
pub mod imports;
pub mod invoke;
pub mod limits;
pub mod manifest;
mod memory;
pub mod metering;
pub mod permissions;
pub mod ports;
mod prepare;
pub mod reply;
pub mod runtime;
pub mod signature;
pub mod sniff;
pub mod staged;
mod state;
pub mod stats;
pub mod streams;
pub mod timer;
mod wasi;

pub use error::{ErrorKind, InvokeError, LoadError, Oversize, Stream, TrapKind};
pub use files::{Errno, FileSystem, Files, Preopen};
pub use invoke::{Invocation, Outcome, Progress, RawOutcome, Sleep};
pub use jinn_contract::abi::{
    PUBLISH_DENIED, PUBLISH_INVALID, PUBLISH_OK, PUBLISH_TOO_LARGE, PUBLISH_UNAVAILABLE,
};
pub use jinn_contract::{Headers, Request, Response};
pub use limits::{Limits, ModuleLimits};
pub use manifest::Manifest;
pub use permissions::Permissions;
pub use ports::{
    Clock, Entropy, GuestLog, Host, KvError, KvStore, LogLevel, NullHost, Publisher, Qos,
};
pub use reply::MqttReply;
pub use runtime::{EngineLimits, Function, Runtime};
pub use signature::{Policy, PublicKey};
pub use staged::{Message, Staged};
pub use stats::CallStats;
pub use streams::{Setup, Stdio, Streams};
