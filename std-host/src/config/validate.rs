//! From [`RawConfig`] to [`Config`]: defaults, checks, secrets resolved,
//! paths made absolute. Collects every problem rather than stopping at the first.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use jinn_core::ModuleLimits;
use jinn_core::excerpt::redact_literals;
use serde_path_to_error::Segment;
use toml::Spanned;

use super::raw::{RawConfig, RawFunction};
use super::values::SecretSource;
use super::{
    AdminSettings, Config, ConfigError, ConfigErrors, Cors, DEFAULT_FUEL_SLICE, FunctionSpec,
    HttpSettings, Location, ModuleSettings, Overrides, PoolSettings, Route, RouteKind, Source,
};

pub(super) const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
pub(super) const DEFAULT_ADMIN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9464);
const DEFAULT_CORS_HEADERS: [&str; 5] = [
    "content-type",
    "authorization",
    "x-api-key",
    "traceparent",
    "x-request-id",
];

pub(super) fn parse(source: &Source, overrides: &Overrides) -> Result<Config, ConfigErrors> {
    let raw = deserialize(source)?;
    let mut v = Validator {
        source,
        errors: Vec::new(),
    };
    let config = v.config(raw, overrides);
    if v.errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(v.errors))
    }
}

fn deserialize(source: &Source) -> Result<RawConfig, ConfigError> {
    let de = toml::Deserializer::parse(&source.text).map_err(|e| toml_error(source, &e, None))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = key_path(e.path());
        toml_error(source, e.inner(), Some(key))
    })
}

/// `function[0].limits.memory`, without the private keys of `Spanned`.
fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

fn toml_error(source: &Source, e: &toml::de::Error, key: Option<String>) -> ConfigError {
    let span = e.span().unwrap_or(0..0);
    let key = key.filter(|k| !k.is_empty()).unwrap_or_else(|| {
        // A syntax error: name what the line defines.
        let (line, _) = super::line_column(&source.text, span.start);
        let text = source.text.lines().nth(line - 1).unwrap_or("").trim();
        match text.split_once('=') {
            Some((k, _)) => k.trim().to_string(),
            None if text.starts_with('[') => text.trim_matches(['[', ']']).to_string(),
            None => "(document)".into(),
        }
    });
    let message = e.message().trim().replace('\n', "; ");
    Location::at(&source.name, &source.text, span, key).error(without_values(&message))
}

/// A parser's message without the value it quotes: the value may be a
/// mistyped secret (`TOKEN = 12345678`), and the line and column already
/// point at it. What was expected stays.
fn without_values(message: &str) -> String {
    let quotes_a_value = ["invalid type", "invalid value", "invalid length"]
        .iter()
        .any(|p| message.starts_with(p));
    if !quotes_a_value {
        return message.to_string();
    }
    match message.split_once(", expected ") {
        Some((found, expected)) => format!("{}, expected {expected}", redact_literals(found)),
        None => redact_literals(message),
    }
}

pub(super) struct Validator<'a> {
    pub(super) source: &'a Source,
    pub(super) errors: Vec<ConfigError>,
}

fn at_cli(flag: &str) -> Location {
    Location {
        file: "command line".into(),
        line: 0,
        column: 0,
        key: flag.into(),
    }
}

/// A listen address is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address such as \"127.0.0.1:8080\" or \"[::1]:8080\"")]
pub struct AddrError(pub String);

/// `127.0.0.1:8080`, `[::1]:8080` or `localhost:8080`.
///
/// # Errors
///
/// [`AddrError`] when it is none of these.
pub fn parse_addr(text: &str) -> Result<SocketAddr, AddrError> {
    let normalised = match text.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => text.to_string(),
    };
    normalised.parse().map_err(|_| AddrError(text.into()))
}

pub(super) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn valid_method(m: &str) -> bool {
    !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase())
}

pub(super) fn valid_path(p: &str) -> bool {
    p.starts_with('/') && !p.contains(['?', '#', ' ', '\t', '\n', '\r'])
}

fn valid_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '?', '#', ' ']))
}

impl Validator<'_> {
    pub(super) fn loc(&self, span: Range<usize>, key: impl Into<String>) -> Location {
        Location::at(&self.source.name, &self.source.text, span, key)
    }

    pub(super) fn err(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let e = self.loc(span, key).error(message);
        self.errors.push(e);
    }

    pub(super) fn secret(&mut self, s: &Spanned<SecretSource>, key: &str) -> Option<String> {
        match s.get_ref().resolve() {
            Ok(v) => Some(v),
            Err(e) => {
                self.err(s.span(), key, e.to_string());
                None
            }
        }
    }

    fn config(&mut self, raw: RawConfig, ov: &Overrides) -> Config {
        let base = self.source.base.clone();
        let data_dir = match (&ov.data_dir, &raw.data_dir) {
            (Some(dir), _) => std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
            (None, Some(d)) if d.get_ref().is_empty() => {
                self.err(d.span(), "data_dir", "must not be empty");
                PathBuf::new()
            }
            (None, Some(d)) => base.join(d.get_ref()),
            (None, None) => base.join("jinn-data"),
        };

        let http = self.http(&raw, ov);
        let https = self.https(&raw);
        let admin = self.admin(&raw, ov);
        let pool = self.pool(&raw);
        let modules = self.modules(&raw);
        let cors = self.cors(&raw);

        let watch_interval = raw.reload.interval.map_or(Duration::from_secs(1), |d| d.0);
        let security = self.security(&raw.security);
        let mqtt = self.mqtt(&raw.mqtt, &raw.mqtt_route);
        let connections: BTreeSet<String> =
            mqtt.connections.iter().map(|c| c.name.clone()).collect();
        let mut functions = Vec::new();
        for (i, f) in raw.functions.iter().enumerate() {
            let triggers = self.triggers(i, &f.get_ref().mqtt, &connections);
            let timers = self.timers(i, f.get_ref().name.get_ref(), &f.get_ref().timers);
            if let Some(mut spec) = self.function(i, f, &security) {
                spec.mqtt = triggers;
                spec.timers = timers;
                functions.push(spec);
            }
        }
        if raw.functions.is_empty() {
            self.err(0..0, "function", "no [[function]] is configured");
        }
        self.names_unique(&raw.functions);
        self.routes_disjoint(&functions);

        Config {
            source_name: self.source.name.clone(),
            file: self.source.path.clone(),
            data_dir,
            http,
            https,
            admin,
            pool,
            modules,
            watch: raw.reload.watch.unwrap_or(true),
            watch_interval: watch_interval.max(Duration::from_millis(100)),
            drain_timeout: raw
                .shutdown
                .drain_timeout
                .map_or(Duration::from_secs(10), |d| d.0),
            cors,
            outbox: {
                let d = crate::outbox::OutboxLimits::default();
                let o = &raw.outbox;
                crate::outbox::OutboxLimits {
                    max_messages: o.max_messages.unwrap_or(d.max_messages),
                    max_bytes: o.max_bytes.map_or(d.max_bytes, |s| s.0),
                    function_messages: o.function_messages.unwrap_or(d.function_messages),
                    function_bytes: o.function_bytes.map_or(d.function_bytes, |s| s.0),
                    when_full: self.when_full(o.when_full.as_ref()),
                }
            },
            crashes_max: raw.crashes.max_files.unwrap_or(100),
            guest_stderr_bytes: raw.log.guest_stderr_bytes.map_or(4096, |s| s.0 as usize),
            guest_stderr_lines: raw.log.guest_stderr_lines.unwrap_or(32) as usize,
            functions,
            mqtt,
        }
    }

    fn http(&mut self, raw: &RawConfig, ov: &Overrides) -> HttpSettings {
        let mut listen = Vec::new();
        if !ov.listen.is_empty() {
            listen.clone_from(&ov.listen);
        } else if let Some(addrs) = &raw.http.listen {
            for (i, a) in addrs.iter().enumerate() {
                match parse_addr(a.get_ref()) {
                    Ok(addr) => listen.push(addr),
                    Err(e) => self.err(a.span(), format!("http.listen[{i}]"), e.to_string()),
                }
            }
            if addrs.is_empty() {
                self.err(0..0, "http.listen", "needs at least one address");
            }
        } else {
            listen.push(DEFAULT_LISTEN);
        }
        let mut count = |n: &Option<Spanned<u32>>, key: &str, default: usize| match n {
            Some(n) if *n.get_ref() == 0 => {
                self.err(n.span(), key, "must be at least 1");
                1
            }
            Some(n) => *n.get_ref() as usize,
            None => default,
        };
        let max_connections = count(&raw.http.max_connections, "http.max_connections", 1024);
        let max_connections_per_peer = count(
            &raw.http.max_connections_per_peer,
            "http.max_connections_per_peer",
            128,
        );
        let idle_timeout = match &raw.http.idle_timeout {
            Some(t) if t.get_ref().0.is_zero() => {
                self.err(t.span(), "http.idle_timeout", "must be at least 1ms");
                Duration::from_secs(5)
            }
            Some(t) => t.get_ref().0,
            None => Duration::from_secs(5),
        };
        HttpSettings {
            listen,
            max_body: raw.http.max_body.map_or(1 << 20, |s| s.0),
            header_read_timeout: raw
                .http
                .header_read_timeout
                .map_or(Duration::from_secs(10), |d| d.0),
            body_read_timeout: raw
                .http
                .body_read_timeout
                .map_or(Duration::from_secs(30), |d| d.0),
            max_connections,
            max_connections_per_peer,
            idle_timeout,
            keep_alive: raw.http.keep_alive.unwrap_or(true),
        }
    }

    fn admin(&mut self, raw: &RawConfig, ov: &Overrides) -> AdminSettings {
        let (listen, at) = match (&ov.admin_listen, &raw.admin.listen) {
            (Some(addr), _) => (*addr, at_cli("--admin-listen")),
            (None, Some(a)) => {
                let at = self.loc(a.span(), "admin.listen");
                match parse_addr(a.get_ref()) {
                    Ok(addr) => (addr, at),
                    Err(m) => {
                        self.errors.push(at.error(m.to_string()));
                        (DEFAULT_ADMIN, at)
                    }
                }
            }
            (None, None) => (DEFAULT_ADMIN, self.loc(0..0, "admin.listen")),
        };
        let token = raw
            .admin
            .token
            .as_ref()
            .and_then(|t| self.secret(t, "admin.token"));
        if token.as_ref().is_some_and(String::is_empty) {
            let span = raw.admin.token.as_ref().map_or(0..0, Spanned::span);
            self.err(span, "admin.token", "must not be empty");
        }
        if !listen.ip().is_loopback() && token.is_none() {
            self.errors.push(at.error(format!(
                "{listen} is not a loopback address: set admin.token (a bearer token) to expose /metrics there"
            )));
        }
        let mut actions = Vec::new();
        if let Some(list) = &raw.admin.actions {
            for (i, a) in list.get_ref().iter().enumerate() {
                match crate::status::Action::parse(a.get_ref()) {
                    Some(action) => actions.push(action),
                    None => self.err(
                        a.span(),
                        format!("admin.actions[{i}]"),
                        format!(
                            "unknown action {:?} (known: {})",
                            a.get_ref(),
                            crate::status::Action::NAMES
                        ),
                    ),
                }
            }
            if !list.get_ref().is_empty() && token.is_none() {
                self.err(
                    list.span(),
                    "admin.actions",
                    "needs admin.token: the status page's actions are never open without it",
                );
            }
        }
        AdminSettings {
            listen,
            token,
            actions,
        }
    }

    fn pool(&mut self, raw: &RawConfig) -> PoolSettings {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = match &raw.pool.workers {
            Some(w) if *w.get_ref() > 1024 => {
                self.err(w.span(), "pool.workers", "at most 1024");
                cores
            }
            Some(w) if *w.get_ref() == 0 => cores,
            Some(w) => *w.get_ref() as usize,
            None => cores,
        };
        let queue = match &raw.pool.queue {
            Some(q) if *q.get_ref() > 100_000 => {
                self.err(q.span(), "pool.queue", "at most 100000");
                64
            }
            Some(q) => *q.get_ref() as usize,
            None => 64,
        };
        let fuel_slice = match &raw.pool.fuel_slice {
            Some(s) if *s.get_ref() < 1_000 => {
                self.err(s.span(), "pool.fuel_slice", "at least 1000");
                DEFAULT_FUEL_SLICE
            }
            Some(s) => *s.get_ref(),
            None => DEFAULT_FUEL_SLICE,
        };
        PoolSettings {
            workers,
            queue,
            queue_timeout: raw
                .pool
                .queue_timeout
                .map_or(Duration::from_secs(5), |d| d.0),
            retry_after: raw.pool.retry_after.map_or(Duration::from_secs(1), |d| d.0),
            fuel_slice,
        }
    }

    fn modules(&mut self, raw: &RawConfig) -> ModuleSettings {
        let on_first_use = match &raw.modules.compile {
            None => false,
            Some(c) if c.get_ref() == "eager" => false,
            Some(c) if c.get_ref() == "on_first_use" => true,
            Some(c) => {
                self.err(
                    c.span(),
                    "modules.compile",
                    format!("{:?}: use \"eager\" or \"on_first_use\"", c.get_ref()),
                );
                false
            }
        };
        let resident = raw
            .modules
            .resident
            .as_ref()
            .map_or(0, |r| *r.get_ref() as usize);
        ModuleSettings {
            limits: self.module_limits(raw),
            on_first_use,
            resident,
        }
    }

    fn module_limits(&mut self, raw: &RawConfig) -> ModuleLimits {
        let mut limits = ModuleLimits::default();
        if let Some(b) = &raw.modules.max_bytes {
            let bytes = b.get_ref().0;
            if !(1024..=1 << 32).contains(&bytes) {
                self.err(
                    b.span(),
                    "modules.max_bytes",
                    "must be between 1KiB and 4GiB",
                );
            }
            limits.max_bytes = bytes;
        }
        if let Some(n) = &raw.modules.max_functions {
            if *n.get_ref() == 0 {
                self.err(n.span(), "modules.max_functions", "must be at least 1");
            }
            limits.max_functions = *n.get_ref();
        }
        limits
    }

    fn cors(&mut self, raw: &RawConfig) -> Cors {
        let mut allow_origins = Vec::new();
        for (i, o) in raw.cors.allow_origins.iter().enumerate() {
            if valid_origin(o.get_ref()) {
                allow_origins.push(o.get_ref().clone());
            } else {
                self.err(
                    o.span(),
                    format!("cors.allow_origins[{i}]"),
                    "an origin is \"*\" or scheme://host[:port], without a path",
                );
            }
        }
        Cors {
            allow_origins,
            allow_headers: raw.cors.allow_headers.clone().map_or_else(
                || DEFAULT_CORS_HEADERS.iter().map(|h| (*h).into()).collect(),
                |hs| hs.iter().map(|h| h.to_ascii_lowercase()).collect(),
            ),
            max_age: raw.cors.max_age.map_or(Duration::from_secs(600), |d| d.0),
        }
    }

    fn names_unique(&mut self, functions: &[Spanned<RawFunction>]) {
        let mut seen = BTreeSet::new();
        for (i, f) in functions.iter().enumerate() {
            let name = f.get_ref().name.get_ref();
            if !seen.insert(name.clone()) {
                let span = f.get_ref().name.span();
                self.err(
                    span,
                    format!("function[{i}].name"),
                    format!("{name:?} is defined twice"),
                );
            }
        }
    }

    fn routes_disjoint(&mut self, functions: &[FunctionSpec]) {
        let all: Vec<(&FunctionSpec, &Route)> = functions
            .iter()
            .flat_map(|f| f.routes.iter().map(move |r| (f, r)))
            .collect();
        for (n, (f, r)) in all.iter().enumerate() {
            for (g, s) in &all[..n] {
                let overlap = r.methods.is_empty()
                    || s.methods.is_empty()
                    || r.methods.iter().any(|m| s.methods.contains(m));
                if r.kind == s.kind && r.path == s.path && overlap {
                    self.errors.push(r.at.error(format!(
                        "{} {:?} of function {:?} is already routed to function {:?} (line {})",
                        if r.kind == RouteKind::Path {
                            "path"
                        } else {
                            "prefix"
                        },
                        r.path,
                        f.name,
                        g.name,
                        s.at.line
                    )));
                }
            }
        }
    }
}
