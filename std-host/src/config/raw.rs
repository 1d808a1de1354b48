//! The config file as written: serde structures with spans kept for the
//! values that are checked after parsing.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::mqtt::{RawConnection, RawRoute as RawMqttRoute, RawTrigger};
use super::timer::RawTimer;
use super::values::{Dur, KeySource, SecretSource, Size};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    pub data_dir: Option<Spanned<String>>,
    pub http: RawHttp,
    pub https: Option<super::https::RawHttps>,
    pub admin: RawAdmin,
    pub pool: RawPool,
    pub modules: RawModules,
    pub reload: RawReload,
    pub shutdown: RawShutdown,
    pub cors: RawCors,
    pub outbox: RawOutbox,
    pub crashes: RawCrashes,
    pub log: RawLog,
    pub security: RawSecurity,
    pub mqtt: BTreeMap<Spanned<String>, Spanned<RawConnection>>,
    pub mqtt_route: Vec<Spanned<RawMqttRoute>>,
    #[serde(rename = "function")]
    pub functions: Vec<Spanned<RawFunction>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawHttp {
    pub listen: Option<Vec<Spanned<String>>>,
    pub max_body: Option<Size>,
    pub header_read_timeout: Option<Dur>,
    pub body_read_timeout: Option<Dur>,
    pub max_connections: Option<Spanned<u32>>,
    pub max_connections_per_peer: Option<Spanned<u32>>,
    pub idle_timeout: Option<Spanned<Dur>>,
    pub keep_alive: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<Spanned<String>>,
    pub token: Option<Spanned<SecretSource>>,
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawPool {
    pub workers: Option<Spanned<u32>>,
    pub queue: Option<Spanned<u32>>,
    pub queue_timeout: Option<Dur>,
    pub retry_after: Option<Dur>,
    pub fuel_slice: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawModules {
    pub compile: Option<Spanned<String>>,
    pub resident: Option<Spanned<u32>>,
    pub max_bytes: Option<Spanned<Size>>,
    pub max_functions: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawReload {
    pub watch: Option<bool>,
    pub interval: Option<Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawShutdown {
    pub drain_timeout: Option<Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawCors {
    pub allow_origins: Vec<Spanned<String>>,
    pub allow_headers: Option<Vec<String>>,
    pub max_age: Option<Dur>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawOutbox {
    pub max_messages: Option<u64>,
    pub max_bytes: Option<Size>,
    pub function_messages: Option<u64>,
    pub function_bytes: Option<Size>,
    pub when_full: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawCrashes {
    pub max_files: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLog {
    pub guest_stderr_bytes: Option<Size>,
    pub guest_stderr_lines: Option<u32>,
}

/// One `[[function]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunction {
    pub name: Spanned<String>,
    pub module: Spanned<String>,
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<SecretSource>>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub permissions: RawPermissions,
    #[serde(default)]
    pub api_keys: Vec<Spanned<SecretSource>>,
    pub quota: Option<Spanned<RawQuota>>,
    #[serde(default)]
    pub record_crashes: bool,
    #[serde(default)]
    pub security: RawSecurity,
    #[serde(default)]
    pub mounts: Vec<Spanned<RawMount>>,
    #[serde(default)]
    pub mqtt: Vec<Spanned<RawTrigger>>,
    #[serde(default)]
    pub timers: Vec<Spanned<RawTimer>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub path: Option<String>,
    pub prefix: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLimits {
    pub fuel: Option<Spanned<u64>>,
    pub memory: Option<Spanned<Size>>,
    pub timeout: Option<Spanned<Dur>>,
    pub stdin: Option<Size>,
    pub stdout: Option<Size>,
    pub stderr: Option<Size>,
    pub table_elements: Option<u32>,
    pub tables: Option<u32>,
    pub log_lines: Option<u32>,
    pub log_line_bytes: Option<Size>,
    pub kv_key_bytes: Option<Size>,
    pub kv_value_bytes: Option<Size>,
    pub kv_transaction_bytes: Option<Size>,
    pub publishes: Option<u32>,
    pub publish_bytes: Option<Size>,
    pub topic_bytes: Option<Size>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawPermissions {
    pub kv_read: Vec<Spanned<String>>,
    pub kv_write: Vec<Spanned<String>>,
    pub publish: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMount {
    pub host: Spanned<String>,
    pub guest: Spanned<String>,
    #[serde(default)]
    pub writable: bool,
    pub max_size: Option<Spanned<Size>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuota {
    pub fuel: u64,
    pub window: Dur,
}

/// `[security]`, and a function's `security` (which overrides it).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawSecurity {
    pub policy: Option<Spanned<String>>,
    pub trusted_keys: Option<Spanned<Vec<Spanned<KeySource>>>>,
}
