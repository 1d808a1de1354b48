//! `jinn serve`'s configuration: a TOML file (`./jinn.toml`, `--config`, or
//! the built-in demo's),
//! parsed, checked and resolved into [`Config`].
//!
//! Relative paths (modules, `data_dir`, TLS files) resolve against the directory of the
//! config file; for the embedded default, against the working directory.
//! Every error names the file, line, column and key ([`ConfigError`]).

mod error;
mod function;
mod https;
pub mod mqtt;
#[cfg(test)]
mod mqtt_tests;
mod raw;
mod security;
#[cfg(test)]
mod tests;
pub mod timer;
#[cfg(test)]
mod timer_tests;
mod validate;
pub mod values;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sandbox::MountSpec;
use jinn_core::signature::{Policy, PublicKey};
use jinn_core::{Manifest, ModuleLimits};

pub use error::{ConfigError, ConfigErrors, Location, line_column};
pub use https::{ClientAuth, DEFAULT_HTTPS_LISTEN, HttpsSettings, TlsFile};
pub use validate::{AddrError, parse_addr};

/// The built-in demo's configuration (see [`crate::demo`]).
pub const EMBEDDED: &str = include_str!("../default.toml");
/// How the embedded default is named in errors.
pub const EMBEDDED_NAME: &str = "<embedded default>";

/// Config text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name as given (or [`EMBEDDED_NAME`]).
    pub name: String,
    /// The file, when there is one (watched for changes).
    pub path: Option<PathBuf>,
    /// The TOML text.
    pub text: String,
    /// Where relative paths start.
    pub base: PathBuf,
}

impl Source {
    /// The embedded default; relative paths resolve against the working directory.
    pub fn embedded() -> Self {
        Self {
            name: EMBEDDED_NAME.into(),
            path: None,
            text: EMBEDDED.into(),
            base: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// Reads a config file.
    ///
    /// # Errors
    ///
    /// [`SourceError`] naming the file when it cannot be read.
    pub fn read(path: &Path) -> Result<Self, SourceError> {
        let text = std::fs::read_to_string(path).map_err(|source| SourceError {
            path: path.to_path_buf(),
            source,
        })?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base = absolute
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Ok(Self {
            name: path.display().to_string(),
            path: Some(absolute),
            text,
            base,
        })
    }

    /// Reads `path`, or takes the embedded default.
    ///
    /// # Errors
    ///
    /// As [`Source::read`].
    pub fn load(path: Option<&Path>) -> Result<Self, SourceError> {
        path.map_or_else(|| Ok(Self::embedded()), Self::read)
    }
}

/// A configuration file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct SourceError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// A configuration could not be read, or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] SourceError),
    /// Its problems, each with file, line, column and key.
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

/// Command-line settings that take precedence over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `http.listen`.
    pub listen: Vec<SocketAddr>,
    /// Replaces `admin.listen`.
    pub admin_listen: Option<SocketAddr>,
    /// Replaces `data_dir` (relative to the working directory).
    pub data_dir: Option<PathBuf>,
}

/// The HTTP listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// Largest request body; more is `413`.
    pub max_body: u64,
    /// Time to receive a request's headers (slowloris guard).
    pub header_read_timeout: Duration,
    /// Time to receive a request's body; more is `408`.
    pub body_read_timeout: Duration,
    /// Open connections at most; when all are busy, more are refused (`503`).
    pub max_connections: usize,
    /// Open connections from one address at most.
    pub max_connections_per_peer: usize,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// HTTP/1.1 keep-alive.
    pub keep_alive: bool,
}

/// The admin listener (`/metrics`, `/healthz`, `/readyz`).
#[derive(Clone, PartialEq)]
pub struct AdminSettings {
    /// Address.
    pub listen: SocketAddr,
    /// Bearer token; required when `listen` is not a loopback address.
    pub token: Option<String>,
    /// The status page's actions allowed (`admin.actions`; none by default,
    /// and only with `token`).
    pub actions: Vec<crate::status::Action>,
}

impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("actions", &self.actions)
            .finish()
    }
}

/// The worker pool that runs guests.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSettings {
    /// Worker threads.
    pub workers: usize,
    /// Calls waiting for a worker; more get `503`.
    pub queue: usize,
    /// A call that waited longer than this for a worker gets `503` without running.
    pub queue_timeout: Duration,
    /// `Retry-After` of `503`.
    pub retry_after: Duration,
    /// Fuel run between two wall-clock checks. The engine never runs more
    /// than `EngineLimits::max_slice_fuel` (16,384) at once: larger values
    /// act as that cap.
    pub fuel_slice: u64,
}

/// `pool.fuel_slice` when the configuration sets none: the gateway engine's cap.
pub const DEFAULT_FUEL_SLICE: u64 = jinn_core::EngineLimits::gateway().max_slice_fuel;

/// What a module may be, when compiled modules are made and how many stay
/// in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModuleSettings {
    /// Size and function count, checked before a module is compiled.
    pub limits: ModuleLimits,
    /// Compile a module when its function is first called instead of at
    /// load (every module is still validated at load).
    pub on_first_use: bool,
    /// Compiled modules kept in memory at most (the least recently used
    /// are dropped and compiled again when called); 0 keeps them all.
    pub resident: usize,
}

/// CORS allowlist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cors {
    /// Allowed origins (`scheme://host[:port]`), or `*`.
    pub allow_origins: Vec<String>,
    /// Request headers a preflight may ask for.
    pub allow_headers: Vec<String>,
    /// `Access-Control-Max-Age`.
    pub max_age: Duration,
}

impl Cors {
    /// Is `origin` allowed?
    pub fn allows(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == "*" || o == origin)
    }
}

/// How a route matches paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Exactly this path.
    Path,
    /// This path and everything under it (`/a` matches `/a` and `/a/…`, not `/ab`).
    Prefix,
}

/// One route of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Exact or prefix.
    pub kind: RouteKind,
    /// The path.
    pub path: String,
    /// Allowed methods; empty means any.
    pub methods: Vec<String>,
    /// Where it was written.
    pub at: Location,
}

/// A fuel quota: at most `fuel` per `window`, refilled continuously.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSpec {
    /// Fuel per window (also the bucket's capacity).
    pub fuel: u64,
    /// The window.
    pub window: Duration,
}

/// One function, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// Name (letters, digits, `-`, `_`): metrics label, log field, crash file names.
    pub name: String,
    /// Module file.
    pub module: PathBuf,
    /// Where `module` was written (errors of loading it point there).
    pub module_at: Location,
    /// Routes.
    pub routes: Vec<Route>,
    /// Limits, permissions, resolved env and args.
    pub manifest: Manifest,
    /// Wall-clock limit of one call.
    pub timeout: Duration,
    /// SHA-256 of each API key; empty means the routes are open.
    pub api_keys: Vec<[u8; 32]>,
    /// Optional fuel quota.
    pub quota: Option<QuotaSpec>,
    /// Write failed calls to `<data_dir>/crashes/`.
    pub record_crashes: bool,
    /// How its module file's signature is checked.
    pub signature: SignatureSpec,
    /// Directories preopened for the guest (fd 3, 4, … in order).
    pub mounts: Vec<MountSpec>,
    /// Where each mount was written (errors opening it point there).
    pub mounts_at: Vec<Location>,
    /// MQTT subscriptions that call it.
    pub mqtt: Vec<mqtt::MqttTrigger>,
    /// Timers that call it.
    pub timers: Vec<timer::TimerSpec>,
}

/// How a module file's signature is checked before it is loaded
/// ([`jinn_core::signature::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureSpec {
    /// `off`, `audit` or `strict`.
    pub policy: Policy,
    /// The keys a module may be signed with.
    pub trusted: Vec<PublicKey>,
}

/// Everything `jinn serve` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Name of the source (file or embedded).
    pub source_name: String,
    /// The config file, if any.
    pub file: Option<PathBuf>,
    /// KV store, outbox and crash snapshots.
    pub data_dir: PathBuf,
    /// HTTP listeners.
    pub http: HttpSettings,
    /// HTTPS listeners (`[https]`), with the same limits as the HTTP ones.
    pub https: Option<HttpsSettings>,
    /// Admin listener.
    pub admin: AdminSettings,
    /// Worker pool.
    pub pool: PoolSettings,
    /// Compiled modules.
    pub modules: ModuleSettings,
    /// Watch the config and module files.
    pub watch: bool,
    /// How often they are checked.
    pub watch_interval: Duration,
    /// How long SIGTERM waits for in-flight calls.
    pub drain_timeout: Duration,
    /// CORS.
    pub cors: Cors,
    /// Outbox quotas, in total and per function.
    pub outbox: crate::outbox::OutboxLimits,
    /// Crash snapshots kept at most (oldest removed).
    pub crashes_max: u32,
    /// Guest stderr bytes logged per call.
    pub guest_stderr_bytes: usize,
    /// Guest stderr lines logged per call.
    pub guest_stderr_lines: usize,
    /// Functions.
    pub functions: Vec<FunctionSpec>,
    /// MQTT broker connections and output routes.
    pub mqtt: mqtt::MqttSettings,
}

/// Parses and checks a config.
///
/// # Errors
///
/// Every problem found, each with file, line, column and key.
pub fn parse(source: &Source, overrides: &Overrides) -> Result<Config, ConfigErrors> {
    validate::parse(source, overrides)
}
