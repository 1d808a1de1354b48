//! Flash images: a JSON spec of the device and its functions, written into
//! a flash (a file) through jinn-embassy's own catalog code.
//!
//! ```json
//! {
//!   "device": {"broker": "10.42.0.1:1883", "client_id": "jinn-tap", "keep_alive_secs": 30},
//!   "functions": [
//!     {"name": "hello", "wasm": "../../examples/wasm/hello.wasm", "route": "/hello"},
//!     {"name": "sensor-alert", "wasm": "...", "route": "/sensor", "topics": ["sensors/+"],
//!      "manifest": {"limits": {"fuel": 50000000},
//!                   "permissions": {"kv_write": ["sensor/*"], "publish": ["alerts/+"]}}},
//!     {"name": "report", "wasm": "...", "timers": [{"every_ms": 10000}, {"every_ms": 500, "name": "fast"}]}
//!   ]
//! }
//! ```
//!
//! `wasm` paths are relative to the spec file. `manifest` is jinn-core's
//! `Manifest` (limits, permissions, env, args); omitted fields take its defaults.
//! Modules are written as they are: a signed module keeps its signature, which
//! the device checks. `device` may also hold `"signature_policy"` (`off`,
//! `audit`, `strict`) and `"trusted_keys"` (hex public keys, at most 4).
//! A function's `timers` (at most 4) run it every `every_ms` milliseconds
//! (at least 10) from boot; a timer's name (the envelope's `uri`; 1 to 64
//! letters, digits, `-` or `_`) is `<function>.<index>` unless given, as
//! on the gateway.

use std::fmt;
use std::path::{Path, PathBuf};

use embedded_storage::nor_flash::NorFlash;
use jinn_core::Manifest;
use jinn_core::permissions::check_topic_filter;
use jinn_core::signature::{Policy, PublicKey};
use jinn_embassy::catalog::CatalogWriter;
use jinn_embassy::config::{MAX_FUNCTIONS, MAX_TIMERS, MAX_TOPICS, MAX_TRUSTED_KEYS};
use jinn_embassy::flash::{Partitions, Region};
use jinn_embassy::record::{Name, Route, TimerName, Topic};
use jinn_embassy::{Broker, DeviceSettings, FunctionRecord, Layout, TimerRecord};
use serde::Deserialize;

use crate::file_flash::FileFlash;

/// A device and its functions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Device settings.
    #[serde(default)]
    pub device: DeviceSpec,
    /// The functions, in order.
    pub functions: Vec<FunctionSpec>,
}

/// Device settings of a [`Spec`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// `ip:port` of the MQTT broker; none: no MQTT.
    pub broker: Option<String>,
    /// MQTT client id (default `jinn`).
    #[serde(default)]
    pub client_id: Option<String>,
    /// MQTT keep-alive in seconds (0: 30).
    #[serde(default)]
    pub keep_alive_secs: u16,
    /// `off`, `audit` or `strict` (the firmware's policy is the floor).
    #[serde(default)]
    pub signature_policy: Policy,
    /// Public keys (hex) trusted to sign modules, when the firmware has none.
    #[serde(default)]
    pub trusted_keys: Vec<PublicKey>,
}

/// One function of a [`Spec`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// Name in logs.
    pub name: String,
    /// The module, relative to the spec file.
    pub wasm: PathBuf,
    /// HTTP route.
    #[serde(default)]
    pub route: Option<String>,
    /// MQTT topic filters.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Interval timers.
    #[serde(default)]
    pub timers: Vec<TimerSpec>,
    /// Limits, permissions, environment.
    #[serde(default)]
    pub manifest: Manifest,
}

/// An interval timer of a [`FunctionSpec`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimerSpec {
    /// The interval in milliseconds.
    pub every_ms: u32,
    /// Its name (default `<function>.<index>`).
    #[serde(default)]
    pub name: Option<String>,
}

/// Flash chips images are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    /// The Linux runner: 2 MiB, 4-byte words, 4 KiB pages, 16 pages of KV and of outbox.
    Host,
    /// NUCLEO-H743ZI bank 2 (0x0810_0000): 1 MiB, 32-byte words, 128 KiB
    /// sectors, 2 sectors of KV and 2 of outbox (as in the board firmware).
    NucleoH743zi,
    /// QEMU's mps2-an500 firmware: the same bank as the NUCLEO-H743ZI's,
    /// emulated at 0x0010_0000.
    Mps2An500,
}

/// The Linux runner's flash.
pub type HostFlash = FileFlash<4, 4096>;
/// An image of the NUCLEO-H743ZI's flash bank 2.
pub type H743Flash = FileFlash<32, { 128 * 1024 }>;

impl Board {
    /// From `host`, `nucleo-h743zi` or `mps2-an500`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "host" => Some(Self::Host),
            "nucleo-h743zi" => Some(Self::NucleoH743zi),
            "mps2-an500" => Some(Self::Mps2An500),
            _ => None,
        }
    }

    /// Flash size in bytes.
    pub const fn capacity(self) -> usize {
        match self {
            Self::Host => 2 * 1024 * 1024,
            Self::NucleoH743zi | Self::Mps2An500 => 1024 * 1024,
        }
    }

    /// Where the data areas go.
    pub const fn layout(self) -> Layout {
        match self {
            Self::Host => Layout {
                kv_pages: 16,
                outbox_pages: 16,
            },
            Self::NucleoH743zi | Self::Mps2An500 => Layout::const_default(),
        }
    }
}

/// An image could not be made.
#[derive(Debug)]
pub struct ImageError(pub String);

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImageError {}

fn err(message: impl Into<String>) -> ImageError {
    ImageError(message.into())
}

impl Spec {
    /// Reads a spec file.
    ///
    /// # Errors
    ///
    /// The file is unreadable or not a valid spec.
    pub fn read(path: &Path) -> Result<Self, ImageError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| err(format!("{}: {e}", path.display())))
    }

    fn settings(&self) -> Result<DeviceSettings, ImageError> {
        let broker = match &self.device.broker {
            None => None,
            Some(text) => {
                let addr: std::net::SocketAddrV4 = text
                    .parse()
                    .map_err(|_| err(format!("broker `{text}` is not ipv4:port")))?;
                Some(Broker {
                    ip: addr.ip().octets(),
                    port: addr.port(),
                })
            }
        };
        if self.device.trusted_keys.len() > MAX_TRUSTED_KEYS {
            return Err(err(format!("more than {MAX_TRUSTED_KEYS} trusted keys")));
        }
        let id = self.device.client_id.as_deref().unwrap_or("jinn");
        Ok(DeviceSettings {
            broker,
            client_id: heapless::String::try_from(id)
                .map_err(|_| err(format!("client id `{id}` over 23 bytes")))?,
            keep_alive_secs: self.device.keep_alive_secs,
            signature_policy: self.device.signature_policy,
            trusted_keys: self
                .device
                .trusted_keys
                .iter()
                .map(|k| *k.as_bytes())
                .collect::<heapless::Vec<_, MAX_TRUSTED_KEYS>>(),
        })
    }
}

impl FunctionSpec {
    fn record(&self) -> Result<FunctionRecord, ImageError> {
        let name = Name::try_from(self.name.as_str())
            .map_err(|_| err(format!("name `{}` too long", self.name)))?;
        let route = match &self.route {
            None => None,
            Some(r) if r.starts_with('/') => Some(
                Route::try_from(r.as_str()).map_err(|_| err(format!("route `{r}` too long")))?,
            ),
            Some(r) => return Err(err(format!("route `{r}` must start with `/`"))),
        };
        if self.topics.len() > MAX_TOPICS {
            return Err(err(format!("{}: more than {MAX_TOPICS} topics", self.name)));
        }
        let mut topics = heapless::Vec::new();
        for t in &self.topics {
            check_topic_filter(t).map_err(|e| err(format!("topic `{t}`: {e}")))?;
            let topic =
                Topic::try_from(t.as_str()).map_err(|_| err(format!("topic `{t}` too long")))?;
            let _ = topics.push(topic);
        }
        if self.timers.len() > MAX_TIMERS {
            return Err(err(format!("{}: more than {MAX_TIMERS} timers", self.name)));
        }
        let mut timers = heapless::Vec::new();
        for (i, t) in self.timers.iter().enumerate() {
            let name = t
                .name
                .clone()
                .unwrap_or_else(|| format!("{}.{i}", self.name));
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !valid || (t.name.is_some() && name.contains('.')) {
                return Err(err(format!(
                    "{}: timer name `{name}`: 1 to 64 letters, digits, `-` or `_`",
                    self.name
                )));
            }
            if u64::from(t.every_ms) < jinn_core::timer::MIN_INTERVAL_MS {
                return Err(err(format!(
                    "{}: timer `{name}`: every_ms must be at least {}",
                    self.name,
                    jinn_core::timer::MIN_INTERVAL_MS
                )));
            }
            let name = TimerName::try_from(name.as_str()).map_err(|_| {
                err(format!(
                    "{}: timer name `{name}`: 1 to 64 letters, digits, `-` or `_`",
                    self.name
                ))
            })?;
            if timers.iter().any(|o: &TimerRecord| o.name == name) {
                return Err(err(format!("{}: a second timer named `{name}`", self.name)));
            }
            let _ = timers.push(TimerRecord {
                name,
                every_ms: t.every_ms,
            });
        }
        self.manifest
            .permissions
            .check()
            .map_err(|(p, e)| err(format!("{}: permission `{p}`: {e}", self.name)))?;
        Ok(FunctionRecord {
            name,
            route,
            topics,
            timers,
            manifest: self.manifest.clone(),
            wasm_len: 0,
            wasm_sha256: [0; 32],
        })
    }
}

/// What went into an image.
#[derive(Debug, Clone)]
pub struct ImageSummary {
    /// Functions and module sizes.
    pub functions: Vec<(String, usize)>,
    /// Catalog bytes used / available.
    pub catalog: (u32, u32),
}

/// Writes `spec` into `flash` (which must be erased).
///
/// # Errors
///
/// [`ImageError`] when a module is unreadable, a field is invalid or the
/// catalog does not fit.
pub fn write<F: NorFlash>(
    flash: F,
    layout: Layout,
    spec: &Spec,
    base: &Path,
) -> Result<ImageSummary, ImageError> {
    if spec.functions.len() > MAX_FUNCTIONS {
        return Err(err(format!("more than {MAX_FUNCTIONS} functions")));
    }
    let parts = Partitions::new::<F>(flash.capacity(), layout).map_err(|e| err(e.to_string()))?;
    let flash = std::cell::RefCell::new(flash);
    let region = Region::new(&flash, 0, parts.catalog.end);
    let mut writer =
        CatalogWriter::create(region, &spec.settings()?).map_err(|e| err(e.to_string()))?;
    let mut functions = Vec::new();
    for f in &spec.functions {
        let record = f.record()?;
        let path = base.join(&f.wasm);
        let wasm = std::fs::read(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        writer
            .add(&record, &wasm)
            .map_err(|e| err(format!("{}: {e}", f.name)))?;
        functions.push((f.name.clone(), wasm.len()));
    }
    Ok(ImageSummary {
        functions,
        catalog: (writer.used(), parts.catalog.end),
    })
}

/// Creates the flash file `out` for `board` from the spec file `spec_path`.
///
/// # Errors
///
/// [`ImageError`] as for [`write`], or when the file cannot be created.
pub fn build(board: Board, spec_path: &Path, out: &Path) -> Result<ImageSummary, ImageError> {
    let spec = Spec::read(spec_path)?;
    let base = spec_path.parent().unwrap_or(Path::new("."));
    let io = |e: std::io::Error| err(format!("{}: {e}", out.display()));
    match board {
        Board::Host => write(
            HostFlash::create(out, board.capacity()).map_err(io)?,
            board.layout(),
            &spec,
            base,
        ),
        Board::NucleoH743zi | Board::Mps2An500 => write(
            H743Flash::create(out, board.capacity()).map_err(io)?,
            board.layout(),
            &spec,
            base,
        ),
    }
}
