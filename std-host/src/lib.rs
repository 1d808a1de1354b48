//! # jinn-host
//!
//! Jinn on Linux gateways: binds [`jinn_core`] to the operating system — the
//! system clock and entropy, a durable KV store ([redb]) and the `jinn`
//! command line.

pub mod cli;
pub mod gateway;
pub mod kv;
pub mod logging;
pub mod module_file;
pub mod report;
pub mod run;
