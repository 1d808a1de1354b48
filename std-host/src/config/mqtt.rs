//! The MQTT part of the configuration: named broker connections
//! (`[mqtt.<name>]`), the triggers of a function (`mqtt = [...]` in a
//! `[[function]]`) and the routes of published messages (`[[mqtt_route]]`).
//!
//! ```toml
//! [mqtt.local]
//! url = "mqtt://127.0.0.1:1883"
//! client_id = "gateway-1"
//! username = { from_env = "MQTT_USER" }
//! password = { from_env = "MQTT_PASSWORD" }
//! keep_alive = "30s"
//! required = true            # /readyz is 503 while it is down
//!
//! [mqtt.uplink]
//! url = "mqtts://broker.example.com:8883"   # TLS; 8883 when no port is given
//! client_id = "gateway-1"
//! ca = "/etc/jinn/tls/broker-ca.pem"        # default: the system's trust store
//! client_cert = "/etc/jinn/tls/gateway-1.pem"   # mutual TLS, with client_key
//! client_key = "/etc/jinn/tls/gateway-1.key"
//!
//! [[function]]
//! name = "sensor-alert"
//! mqtt = [{ connection = "local", filter = "sensors/+/reading", qos = 1,
//!          retries = 3, backoff = "200ms",
//!          dead_letter = { connection = "local", topic = "jinn/dead/{function}" } }]
//!
//! [[mqtt_route]]
//! filter = "alerts/#"
//! connection = "local"
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use jinn_core::permissions::check_topic_filter;
use serde::Deserialize;
use toml::Spanned;

use super::validate::{Validator, valid_name};
use super::values::{Dur, SecretSource};
use super::{ConfigError, Location, TlsFile};
use crate::outbox::WhenFull;

/// `[mqtt.<name>]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnection {
    pub url: Spanned<String>,
    pub client_id: Spanned<String>,
    pub username: Option<Spanned<SecretSource>>,
    pub password: Option<Spanned<SecretSource>>,
    pub keep_alive: Option<Spanned<Dur>>,
    pub clean_start: Option<bool>,
    pub session_expiry: Option<Spanned<Dur>>,
    pub max_inflight: Option<Spanned<u16>>,
    pub reconnect_max: Option<Spanned<Dur>>,
    pub required: Option<bool>,
    pub ca: Option<Spanned<String>>,
    pub client_cert: Option<Spanned<String>>,
    pub client_key: Option<Spanned<String>>,
}

/// One trigger of a function as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    pub connection: Spanned<String>,
    pub filter: Spanned<String>,
    #[serde(default = "one")]
    pub qos: Spanned<u8>,
    pub retries: Option<Spanned<u32>>,
    pub backoff: Option<Spanned<Dur>>,
    pub dead_letter: Option<RawDeadLetter>,
}

/// `dead_letter = { connection, topic }` of a trigger, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeadLetter {
    pub connection: Spanned<String>,
    pub topic: Spanned<String>,
}

fn one() -> Spanned<u8> {
    Spanned::new(0..0, 1)
}

/// One `[[mqtt_route]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub filter: Spanned<String>,
    pub connection: Spanned<String>,
}

/// A broker connection, resolved. Its `Debug` never shows the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttConnection {
    /// Its name (`local`, `uplink`): the key of `[mqtt.<name>]`.
    pub name: String,
    /// Broker host.
    pub host: String,
    /// Broker port (1883 when the URL names none, 8883 for `mqtts://`).
    pub port: u16,
    /// TLS (`mqtts://`): the broker's certificate is checked against these
    /// CA certificates, for the URL's host name.
    pub tls: Option<MqttTls>,
    /// MQTT client identifier (the broker keeps the session under it).
    pub client_id: String,
    /// User name and password, read when the configuration is loaded.
    pub credentials: Option<(String, String)>,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// Start a new session at each connect (`false`: the broker keeps the
    /// session, its subscriptions and the QoS 1 messages not yet
    /// acknowledged, while the gateway is away).
    pub clean_start: bool,
    /// How long the broker keeps the session after a disconnect.
    pub session_expiry: Duration,
    /// QoS 1 messages sent and not yet acknowledged, at most.
    pub max_inflight: u16,
    /// The longest wait between two connection attempts.
    pub reconnect_max: Duration,
    /// `/readyz` answers `503` while this connection is down.
    pub required: bool,
}

impl fmt::Debug for MqttConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConnection")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("client_id", &self.client_id)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("keep_alive", &self.keep_alive)
            .field("clean_start", &self.clean_start)
            .field("session_expiry", &self.session_expiry)
            .field("max_inflight", &self.max_inflight)
            .field("reconnect_max", &self.reconnect_max)
            .field("required", &self.required)
            .finish()
    }
}

/// The TLS settings of an `mqtts://` connection. The files are read when
/// the gateway is built ([`crate::mqtt::tls`]), at start and by
/// `jinn check`, with errors at these keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttTls {
    /// The CA certificates the broker's certificate must chain to (`ca`);
    /// `None`: those of the system's trust store.
    pub ca: Option<TlsFile>,
    /// The gateway's certificate chain and its key (`client_cert`,
    /// `client_key`), shown to a broker that asks for one (mutual TLS).
    pub client: Option<(TlsFile, TlsFile)>,
    /// Where the URL was written: errors about the system's trust store
    /// point there.
    pub at: Location,
}

/// A function's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttTrigger {
    /// The connection it subscribes on.
    pub connection: String,
    /// The filter as subscribed (`$share/<group>/<filter>` included).
    pub subscription: String,
    /// The filter messages are matched with (without `$share/<group>/`).
    pub filter: String,
    /// QoS 0 or 1.
    pub qos: u8,
    /// What is done with a message whose call fails.
    pub failure: FailurePolicy,
}

/// A trigger's policy for a message whose call fails by the function's
/// fault (a trap, fuel, a deadline…): called again `retries` times, the
/// n-th time after `backoff` × 2^(n-1), then dead-lettered and acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Calls made again after the first failed, at most.
    pub retries: u32,
    /// The pause before the first of them; it doubles for each next one.
    pub backoff: Duration,
    /// Where the message is published once its calls all failed.
    pub dead_letter: Option<DeadLetterTo>,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        Self {
            retries: 0,
            backoff: DEFAULT_BACKOFF,
            dead_letter: None,
        }
    }
}

impl FailurePolicy {
    /// The pause before retry `n` (1 for the first), doubling, at most
    /// [`MAX_BACKOFF`].
    pub fn pause(&self, n: u32) -> Duration {
        let factor = 1u32 << n.saturating_sub(1).min(16);
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// A dead-letter destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterTo {
    /// The connection it is published on.
    pub connection: String,
    /// The topic; `{function}` stands for the function's name.
    pub topic: String,
}

impl DeadLetterTo {
    /// The topic for `function`.
    pub fn topic_for(&self, function: &str) -> String {
        self.topic.replace("{function}", function)
    }
}

/// Which connection a published topic goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttRoute {
    /// Topic filter.
    pub filter: String,
    /// Connection name.
    pub connection: String,
}

/// Connections and routes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MqttSettings {
    /// Broker connections, by name order.
    pub connections: Vec<MqttConnection>,
    /// Output routes, in file order: the first that matches a topic wins.
    pub routes: Vec<MqttRoute>,
}

impl MqttSettings {
    /// The connection a message published to `topic` goes to.
    pub fn route(&self, topic: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|r| jinn_core::permissions::topic_matches(&r.filter, topic))
            .map(|r| r.connection.as_str())
    }
}

/// A subscription filter is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A wildcard is misplaced, or the filter is empty.
    #[error("{0}")]
    Pattern(jinn_core::permissions::PatternError),
    /// `$share/<group>/<filter>` with an empty or invalid group or filter.
    #[error("a shared subscription is $share/<group>/<filter>, the group without `/`, `+` or `#`")]
    Share,
    /// A filter starting with `$` other than `$share/`.
    #[error("topics starting with `$` are the broker's; only $share/<group>/<filter> is allowed")]
    Dollar,
}

/// Splits `$share/<group>/<filter>` into the filter messages are matched
/// with; checks either form.
///
/// # Errors
///
/// [`FilterError`].
pub fn matching_filter(subscription: &str) -> Result<&str, FilterError> {
    let filter = match subscription.strip_prefix("$share/") {
        Some(rest) => {
            let (group, filter) = rest.split_once('/').ok_or(FilterError::Share)?;
            if group.is_empty() || group.contains(['+', '#']) || filter.is_empty() {
                return Err(FilterError::Share);
            }
            filter
        }
        None if subscription.starts_with('$') => return Err(FilterError::Dollar),
        None => subscription,
    };
    check_topic_filter(filter).map_err(FilterError::Pattern)?;
    Ok(filter)
}

/// The default keep-alive.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(30);
/// The default session expiry: a day.
pub const DEFAULT_SESSION_EXPIRY: Duration = Duration::from_secs(86_400);
/// The default in-flight window.
pub const DEFAULT_MAX_INFLIGHT: u16 = 64;
/// The default longest wait between connection attempts.
pub const DEFAULT_RECONNECT_MAX: Duration = Duration::from_secs(5);
/// The default pause before the first retry of a failed call.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause between two retries of a failed call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Retries of a failed call, at most.
pub const MAX_RETRIES: u32 = 100;

impl Validator<'_> {
    pub(super) fn mqtt(
        &mut self,
        raw: &std::collections::BTreeMap<Spanned<String>, Spanned<RawConnection>>,
        routes: &[Spanned<RawRoute>],
    ) -> MqttSettings {
        let mut connections = Vec::new();
        for (name, c) in raw {
            let key = |k: &str| format!("mqtt.{}.{k}", name.get_ref());
            if !valid_name(name.get_ref()) {
                self.err(
                    name.span(),
                    format!("mqtt.{}", name.get_ref()),
                    "a connection name is 1 to 64 letters, digits, `-` or `_`",
                );
            }
            let c = c.get_ref();
            let (host, port, secure) = match parse_url(c.url.get_ref()) {
                Ok(url) => url,
                Err(m) => {
                    self.err(c.url.span(), key("url"), m);
                    (String::new(), 0, false)
                }
            };
            let tls = self.mqtt_tls(c, secure, &key);
            let client_id = c.client_id.get_ref().clone();
            if client_id.is_empty() || client_id.len() > 256 || client_id.contains('\0') {
                self.err(
                    c.client_id.span(),
                    key("client_id"),
                    "a client id is 1 to 256 bytes without NUL",
                );
            }
            let username = c
                .username
                .as_ref()
                .and_then(|u| self.secret(u, &key("username")));
            let password = match &c.password {
                Some(p) if matches!(p.get_ref(), SecretSource::Literal(_)) => {
                    self.err(
                        p.span(),
                        key("password"),
                        "write the password as { from_env = \"VARIABLE\" }, not in the file",
                    );
                    None
                }
                Some(p) => self.secret(p, &key("password")),
                None => None,
            };
            let credentials = match (username, password, &c.password) {
                (Some(u), Some(p), _) => Some((u, p)),
                (Some(u), None, None) => Some((u, String::new())),
                (None, Some(_), _) => {
                    let span = c.password.as_ref().map_or(0..0, Spanned::span);
                    self.err(span, key("password"), "a password needs a username");
                    None
                }
                _ => None,
            };
            let keep_alive = match &c.keep_alive {
                Some(k) if k.get_ref().0 < Duration::from_secs(1) && !k.get_ref().0.is_zero() => {
                    self.err(
                        k.span(),
                        key("keep_alive"),
                        "at least 1s (or 0s: no keep-alive)",
                    );
                    DEFAULT_KEEP_ALIVE
                }
                Some(k) if k.get_ref().0 > Duration::from_secs(65_535) => {
                    self.err(k.span(), key("keep_alive"), "at most 65535s");
                    DEFAULT_KEEP_ALIVE
                }
                Some(k) => k.get_ref().0,
                None => DEFAULT_KEEP_ALIVE,
            };
            let session_expiry = match &c.session_expiry {
                Some(s) if s.get_ref().0.as_secs() > u64::from(u32::MAX) => {
                    self.err(s.span(), key("session_expiry"), "at most 4294967295s");
                    DEFAULT_SESSION_EXPIRY
                }
                Some(s) => s.get_ref().0,
                None => DEFAULT_SESSION_EXPIRY,
            };
            let max_inflight = match &c.max_inflight {
                Some(m) if *m.get_ref() == 0 => {
                    self.err(m.span(), key("max_inflight"), "must be at least 1");
                    DEFAULT_MAX_INFLIGHT
                }
                Some(m) => *m.get_ref(),
                None => DEFAULT_MAX_INFLIGHT,
            };
            let reconnect_max = match &c.reconnect_max {
                Some(r) if r.get_ref().0 < Duration::from_millis(100) => {
                    self.err(r.span(), key("reconnect_max"), "at least 100ms");
                    DEFAULT_RECONNECT_MAX
                }
                Some(r) => r.get_ref().0,
                None => DEFAULT_RECONNECT_MAX,
            };
            connections.push(MqttConnection {
                name: name.get_ref().clone(),
                host,
                port,
                tls,
                client_id,
                credentials,
                keep_alive,
                clean_start: c.clean_start.unwrap_or(false),
                session_expiry,
                max_inflight,
                reconnect_max,
                required: c.required.unwrap_or(false),
            });
        }
        let names: BTreeSet<&str> = raw.keys().map(|k| k.get_ref().as_str()).collect();
        let mut resolved = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            let r = r.get_ref();
            let key = |k: &str| format!("mqtt_route[{i}].{k}");
            if let Err(e) = check_topic_filter(r.filter.get_ref()) {
                self.err(
                    r.filter.span(),
                    key("filter"),
                    format!("{:?}: {e}", r.filter.get_ref()),
                );
            }
            if let Some(e) = self.unknown_connection(&names, &r.connection, key("connection")) {
                self.errors.push(e);
            }
            resolved.push(MqttRoute {
                filter: r.filter.get_ref().clone(),
                connection: r.connection.get_ref().clone(),
            });
        }
        MqttSettings {
            connections,
            routes: resolved,
        }
    }

    /// `ca`, `client_cert` and `client_key` of a connection: its TLS
    /// settings when its URL is `mqtts://`.
    fn mqtt_tls(
        &mut self,
        c: &RawConnection,
        secure: bool,
        key: &dyn Fn(&str) -> String,
    ) -> Option<MqttTls> {
        let files = [
            ("ca", &c.ca),
            ("client_cert", &c.client_cert),
            ("client_key", &c.client_key),
        ];
        if !secure {
            for (name, file) in files {
                if let Some(file) = file {
                    self.err(file.span(), key(name), "only with an mqtts:// url");
                }
            }
            return None;
        }
        let ca = c.ca.as_ref().map(|ca| self.tls_file(ca, &key("ca")));
        let client = match (&c.client_cert, &c.client_key) {
            (Some(cert), Some(k)) => Some((
                self.tls_file(cert, &key("client_cert")),
                self.tls_file(k, &key("client_key")),
            )),
            (Some(one), None) | (None, Some(one)) => {
                let (given, missing) = if c.client_cert.is_some() {
                    ("client_cert", "client_key")
                } else {
                    ("client_key", "client_cert")
                };
                self.err(
                    one.span(),
                    key(given),
                    format!("needs {missing}: a client certificate goes with its key"),
                );
                None
            }
            (None, None) => None,
        };
        Some(MqttTls {
            ca,
            client,
            at: self.loc(c.url.span(), key("url")),
        })
    }

    /// A function's triggers; `names`: the configured connections.
    pub(super) fn triggers(
        &mut self,
        i: usize,
        raw: &[Spanned<RawTrigger>],
        names: &BTreeSet<String>,
    ) -> Vec<MqttTrigger> {
        let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        for (t, trigger) in raw.iter().enumerate() {
            let key = |k: &str| format!("function[{i}].mqtt[{t}].{k}");
            let trigger = trigger.get_ref();
            if let Some(e) = self.unknown_connection(&names, &trigger.connection, key("connection"))
            {
                self.errors.push(e);
            }
            let qos = *trigger.qos.get_ref();
            if qos > 1 {
                self.err(
                    trigger.qos.span(),
                    key("qos"),
                    "QoS 0 or 1 (QoS 2 is not supported)",
                );
            }
            let subscription = trigger.filter.get_ref();
            let filter = match matching_filter(subscription) {
                Ok(f) => f.to_string(),
                Err(e) => {
                    self.err(
                        trigger.filter.span(),
                        key("filter"),
                        format!("{subscription:?}: {e}"),
                    );
                    continue;
                }
            };
            let failure = self.failure_policy(trigger, &names, &key);
            out.push(MqttTrigger {
                connection: trigger.connection.get_ref().clone(),
                subscription: subscription.clone(),
                filter,
                qos,
                failure,
            });
        }
        out
    }

    /// `outbox.when_full`: `refuse` (the default) or `drop_oldest_qos0`.
    pub(super) fn when_full(&mut self, raw: Option<&Spanned<String>>) -> WhenFull {
        match raw.map(|r| (r, r.get_ref().as_str())) {
            None | Some((_, "refuse")) => WhenFull::Refuse,
            Some((_, "drop_oldest_qos0")) => WhenFull::DropOldestQos0,
            Some((r, other)) => {
                self.err(
                    r.span(),
                    "outbox.when_full",
                    format!("{other:?}: \"refuse\" or \"drop_oldest_qos0\""),
                );
                WhenFull::Refuse
            }
        }
    }

    /// `retries`, `backoff` and `dead_letter` of a trigger.
    fn failure_policy(
        &mut self,
        trigger: &RawTrigger,
        names: &BTreeSet<&str>,
        key: &dyn Fn(&str) -> String,
    ) -> FailurePolicy {
        let mut policy = FailurePolicy::default();
        if let Some(r) = &trigger.retries {
            if *r.get_ref() > MAX_RETRIES {
                self.err(r.span(), key("retries"), format!("at most {MAX_RETRIES}"));
            } else {
                policy.retries = *r.get_ref();
            }
        }
        if let Some(b) = &trigger.backoff {
            let b_value = b.get_ref().0;
            if b_value < Duration::from_millis(1) || b_value > MAX_BACKOFF {
                self.err(b.span(), key("backoff"), "from 1ms to 60s");
            } else {
                policy.backoff = b_value;
            }
        }
        if let Some(d) = &trigger.dead_letter {
            if let Some(e) =
                self.unknown_connection(names, &d.connection, key("dead_letter.connection"))
            {
                self.errors.push(e);
            }
            let topic = d.topic.get_ref();
            // `{function}` stands for a name: letters, digits, `-`, `_`.
            if !jinn_core::permissions::valid_topic(&topic.replace("{function}", "f"))
                || topic.starts_with('$')
            {
                self.err(
                    d.topic.span(),
                    key("dead_letter.topic"),
                    format!(
                        "{topic:?} is not a topic to publish to (no `+`, `#` or leading `$`; \
                         `{{function}}` stands for the function's name)"
                    ),
                );
            }
            policy.dead_letter = Some(DeadLetterTo {
                connection: d.connection.get_ref().clone(),
                topic: topic.clone(),
            });
        }
        policy
    }

    fn unknown_connection(
        &self,
        names: &BTreeSet<&str>,
        name: &Spanned<String>,
        key: String,
    ) -> Option<ConfigError> {
        if names.contains(name.get_ref().as_str()) {
            return None;
        }
        let at: Location = self.loc(name.span(), key);
        let known = if names.is_empty() {
            "none is configured".to_string()
        } else {
            format!(
                "configured: {}",
                names.iter().copied().collect::<Vec<_>>().join(", ")
            )
        };
        Some(at.error(format!("no [mqtt.{}] connection ({known})", name.get_ref())))
    }
}

/// `mqtt://host[:port]` or `mqtts://host[:port]` → host, port, and
/// whether it is TLS.
fn parse_url(url: &str) -> Result<(String, u16, bool), String> {
    let (rest, secure) = match (url.strip_prefix("mqtt://"), url.strip_prefix("mqtts://")) {
        (Some(rest), _) => (rest, false),
        (_, Some(rest)) => (rest, true),
        _ => {
            return Err(format!(
                "{url:?} is not a broker URL such as \"mqtt://127.0.0.1:1883\" or \"mqtts://broker.lan:8883\""
            ));
        }
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let bad = || {
        format!(
            "{url:?} is not a broker URL such as \"mqtt://127.0.0.1:1883\" or \"mqtts://broker.lan:8883\""
        )
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad());
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(bad)?;
        (host.to_string(), after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
        None if secure => 8883,
        None => 1883,
    };
    Ok((host, port, secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1:1884"),
            Ok(("127.0.0.1".into(), 1884, false))
        );
        assert_eq!(
            parse_url("mqtt://broker.lan"),
            Ok(("broker.lan".into(), 1883, false))
        );
        assert_eq!(
            parse_url("mqtts://broker.lan"),
            Ok(("broker.lan".into(), 8883, true))
        );
        assert_eq!(
            parse_url("mqtts://127.0.0.1:9883/"),
            Ok(("127.0.0.1".into(), 9883, true))
        );
        assert_eq!(parse_url("mqtt://[::1]:99"), Ok(("::1".into(), 99, false)));
        for bad in [
            "tcp://x:1",
            "mqtt://",
            "mqtt://x:0",
            "mqtt://x:99999",
            "mqtt://u@x",
            "mqtt://x/y",
            "mqtts://",
            "mqtts://u@x",
            "ssl://x:8883",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shared_subscriptions_match_on_their_filter() {
        assert_eq!(matching_filter("sensors/+/t"), Ok("sensors/+/t"));
        assert_eq!(matching_filter("$share/g1/sensors/#"), Ok("sensors/#"));
        assert_eq!(matching_filter("$share//x"), Err(FilterError::Share));
        assert_eq!(matching_filter("$share/g"), Err(FilterError::Share));
        assert_eq!(matching_filter("$share/g+/x"), Err(FilterError::Share));
        assert_eq!(matching_filter("$SYS/#"), Err(FilterError::Dollar));
        assert!(matches!(
            matching_filter("a/#/b"),
            Err(FilterError::Pattern(_))
        ));
    }

    #[test]
    fn the_first_matching_route_wins() {
        let settings = MqttSettings {
            connections: Vec::new(),
            routes: vec![
                MqttRoute {
                    filter: "alerts/local/#".into(),
                    connection: "local".into(),
                },
                MqttRoute {
                    filter: "alerts/#".into(),
                    connection: "uplink".into(),
                },
            ],
        };
        assert_eq!(settings.route("alerts/local/t1"), Some("local"));
        assert_eq!(settings.route("alerts/t1"), Some("uplink"));
        assert_eq!(settings.route("other"), None);
    }
}
