//! Command-line interface. `jinn run`'s flags are relied on by scripts: keep them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Examples shown after `jinn --help`.
const EXAMPLES: &str = "\
Examples:
  jinn serve                          serve ./jinn.toml (without one: a built-in demo)
  jinn new rust hello                 a function in ./hello/, routed at /hello in ./jinn.toml
  jinn build                          build every function of ./jinn.toml and call each once
  jinn doctor                         check the toolchains and say what to install
  jinn run hello/hello.wasm --report  one call, a JSON report (outcome, fuel, response)
  jinn check --config jinn.toml       validate a configuration and load its modules
  jinn completions bash > /etc/bash_completion.d/jinn
  jinn man > jinn.1

Exit codes: 0 success, 1 failure (a refused configuration, a failed call or
build), 2 usage errors. Logging: RUST_LOG=debug (filters), --log-json.";

/// Jinn: WebAssembly functions for edge devices, a fresh sandbox and a fuel
/// budget per call.
#[derive(Debug, Parser)]
#[command(name = "jinn", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a function once on a request and print its response.
    Run(RunArgs),
    /// Serve functions over HTTP (./jinn.toml, else a built-in demo).
    Serve(ServeArgs),
    /// Validate a configuration and load its modules, without serving.
    Check(CheckArgs),
    /// Run a crash snapshot again and say whether it reproduced.
    Replay(ReplayArgs),
    /// Make an Ed25519 key pair for signing modules (Gojinn's key files).
    Keygen(KeygenArgs),
    /// Sign a module (Gojinn's format: module, signature, "GJSIG").
    Sign(SignArgs),
    /// Verify a signed module against trusted public keys.
    Verify(VerifyArgs),
    /// Make a function from a built-in template, routed in ./jinn.toml.
    New(crate::new::NewArgs),
    /// Build functions with their language's compiler, then load and call each once.
    Build(crate::build_cmd::BuildArgs),
    /// Check the toolchains `jinn build` needs and say what to install.
    Doctor(crate::build_cmd::DoctorArgs),
    /// Serve ./jinn.toml and rebuild a function when its sources change.
    Dev(crate::dev::DevArgs),
    /// Print a shell completion script.
    Completions(crate::manual::CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

/// `jinn keygen [--name PREFIX] [--force]`
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Writes PREFIX.priv and PREFIX.pub (hex, mode 0600).
    #[arg(long, value_name = "PREFIX", default_value = "jinn")]
    pub name: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

/// `jinn sign --key FILE MODULE [--out FILE]`
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The private key file (`jinn keygen`'s or Gojinn's `.priv`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The `.wasm` file; signed in place unless --out is given. A signature
    /// it already has is replaced.
    pub module: PathBuf,
    /// Write the signed module here instead.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `jinn verify --trusted-key KEY... MODULE`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A trusted public key: 64 hex digits or a `.pub` file (repeatable).
    #[arg(long = "trusted-key", value_name = "HEX|FILE", required = true)]
    pub trusted_keys: Vec<String>,
    /// The signed `.wasm` file.
    pub module: PathBuf,
}

/// `jinn serve [--config FILE] [--listen ADDR]... [--admin-listen ADDR] [--data-dir DIR]`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration; without it, ./jinn.toml when there is one, else
    /// the built-in demo (modules and data in a temporary directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// HTTP address, replacing `http.listen` (repeatable; port 0 picks a free port).
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub listen: Vec<SocketAddr>,
    /// Admin address (`/metrics`, `/healthz`, `/readyz`), replacing `admin.listen`.
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub admin_listen: Option<SocketAddr>,
    /// Data directory (KV store, outbox, crash snapshots), replacing `data_dir`.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `jinn check [--config FILE]`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// TOML configuration; without it, ./jinn.toml, else the built-in demo.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `jinn replay FILE [--module PATH] [--config FILE] [--env KEY=VALUE]...`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A crash snapshot from `<data_dir>/crashes/`.
    pub file: PathBuf,
    /// The module to run, instead of the path recorded in the snapshot.
    #[arg(long, value_name = "PATH")]
    pub module: Option<PathBuf>,
    /// Take the function's env values from this configuration (they are masked in snapshots).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// An env value of the function (repeatable; wins over --config).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
}

/// `jinn run MODULE [--input FILE|-] [--fuel N] [--memory SIZE] [--limit NAME=VALUE]... [--timeout DURATION] [--env KEY=VALUE]... [--kv DIR] [--report]`
/// or `jinn run --raw MODULE [--arg ARG]... [--env KEY=VALUE]... [--dir HOST::GUEST]... [--fuel N] [--memory SIZE]`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run a plain WASI command: no contract, the process's own stdin,
    /// stdout and stderr, the guest's exit code as ours.
    #[arg(long)]
    pub raw: bool,
    /// An argument of the guest after argv[0], the module's file name
    /// (repeatable, in order; --raw only).
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// A directory preopened for the guest on fd 3, 4, … in order (repeatable; --raw only).
    #[arg(long = "dir", value_name = "HOST::GUEST", value_parser = parse_dir)]
    pub dirs: Vec<(PathBuf, String)>,
    /// The module: a `.wasm` file (or `.wat` text).
    pub module: PathBuf,
    /// Request envelope JSON: a file, or `-` for stdin. Without it, `GET /`.
    #[arg(long, value_name = "FILE|-")]
    pub input: Option<String>,
    /// Fuel limit of the call.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Linear-memory cap, e.g. `16MiB` (powers of 1024) or `128MB` (powers of 1000).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory: Option<u64>,
    /// Any other limit of the call, by its configuration name (repeatable),
    /// e.g. `--limit publish_bytes=1KiB --limit kv_key_bytes=64`.
    #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = parse_limit)]
    pub limits: Vec<(String, u64)>,
    /// Wall-clock deadline of the call, e.g. `500ms`, `10s` (none by default).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Environment variable of the guest (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Back the KV host API with a durable store in DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub kv: Option<PathBuf>,
    /// Print one JSON report instead of the response.
    #[arg(long)]
    pub report: bool,
}

fn parse_size(text: &str) -> Result<u64, jinn_core::limits::SizeError> {
    jinn_core::limits::parse_size(text)
}

/// A command-line value is not of the form its option takes.
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    /// No `=`, or nothing before it.
    #[error("expected NAME=VALUE")]
    NotAPair,
    /// `--dir` without `::`, or with nothing on one side of it.
    #[error("expected HOST::GUEST")]
    NotADir,
    /// The value of `--limit` is not a size.
    #[error(transparent)]
    Size(#[from] jinn_core::limits::SizeError),
}

fn parse_limit(text: &str) -> Result<(String, u64), ArgError> {
    let (name, value) = text.split_once('=').ok_or(ArgError::NotAPair)?;
    Ok((name.trim().into(), jinn_core::limits::parse_size(value)?))
}

fn parse_duration(text: &str) -> Result<std::time::Duration, crate::config::values::DurationError> {
    crate::config::values::parse_duration(text)
}

fn parse_addr(text: &str) -> Result<SocketAddr, crate::config::AddrError> {
    crate::config::parse_addr(text)
}

fn parse_dir(text: &str) -> Result<(PathBuf, String), ArgError> {
    match text.split_once("::") {
        Some((host, guest)) if !host.is_empty() && !guest.is_empty() => {
            Ok((host.into(), guest.into()))
        }
        _ => Err(ArgError::NotADir),
    }
}

fn parse_env(text: &str) -> Result<(String, String), ArgError> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.into(), value.into())),
        _ => Err(ArgError::NotAPair),
    }
}
