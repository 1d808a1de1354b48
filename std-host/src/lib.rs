//! # jinn-host
//!
//! Jinn on Linux gateways: binds [`jinn_core`] to the operating system — the
//! system clock and entropy, a durable KV store ([redb]) and the `jinn`
//! command line: `jinn run` (one call), `jinn serve` (HTTP and MQTT gateway),
//! `jinn check` (validate a configuration), `jinn replay` (re-run a crash
//! snapshot), `jinn keygen`/`sign`/`verify` (signed modules) and
//! `jinn new`/`build`/`doctor` (functions from templates, built and checked).

pub mod admin;
pub mod auth;
pub mod build_cmd;
pub mod call;
pub mod call_thread;
pub mod check;
pub mod cli;
pub mod config;
pub mod connections;
pub mod crash;
pub mod db;
pub mod demo;
pub mod dev;
pub mod dispatch;
pub mod host;
pub mod http;
pub mod kv;
pub mod lang;
pub mod listener;
pub mod loaded;
pub mod logging;
pub mod manual;
pub mod memory;
pub mod metrics;
pub mod module_file;
pub mod modules;
pub mod mqtt;
pub mod new;
pub mod outbox;
pub mod pool;
pub mod progress;
pub mod quota;
pub mod raw;
pub mod reload;
pub mod replay;
pub mod report;
pub mod router;
pub mod run;
pub mod sandbox;
pub mod serve;
pub mod shared;
pub mod signing;
pub mod status;
pub mod systemd;
pub mod timer;
pub mod tls;
pub mod toolchain;
pub mod txn;
