//! Checks of one `[[function]]`: name, module, routes, limits, env,
//! permissions, API keys and quota.

use std::time::Duration;

use jinn_core::limits::WASM_PAGE;
use jinn_core::permissions::{check_key_pattern, check_topic_filter};
use jinn_core::{Limits, Manifest, Permissions};
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::raw::{RawFunction, RawLimits, RawPermissions};
use super::security::Inherited;
use super::validate::{Validator, valid_method, valid_name, valid_path};
use super::values::Size;
use super::{FunctionSpec, QuotaSpec, Route, RouteKind};
use crate::sandbox::MountSpec;

/// The size cap of a writable mount without `max_size`.
pub const DEFAULT_MOUNT_SIZE: u64 = 16 << 20;

impl Validator<'_> {
    pub(super) fn function(
        &mut self,
        i: usize,
        f: &Spanned<RawFunction>,
        security: &Inherited,
    ) -> Option<FunctionSpec> {
        let before = self.errors.len();
        let fspan = f.span();
        let f = f.get_ref();
        let key = |k: &str| format!("function[{i}].{k}");

        let name = f.name.get_ref().clone();
        if !valid_name(&name) {
            self.err(
                f.name.span(),
                key("name"),
                "a name is 1 to 64 letters, digits, `-` or `_`",
            );
        }
        if f.module.get_ref().is_empty() {
            self.err(f.module.span(), key("module"), "must not be empty");
        }
        let module = self.source.base.join(f.module.get_ref());
        let module_at = self.loc(f.module.span(), key("module"));

        let mut routes = Vec::new();
        if f.routes.is_empty() && f.mqtt.is_empty() && f.timers.is_empty() {
            self.err(
                fspan.clone(),
                key("routes"),
                format!("function {name:?} has no routes and no mqtt triggers, and no timers"),
            );
        }
        for (r, route) in f.routes.iter().enumerate() {
            let at = self.loc(route.span(), key(&format!("routes[{r}]")));
            let raw = route.get_ref();
            let (kind, path) = match (&raw.path, &raw.prefix) {
                (Some(p), None) => (RouteKind::Path, p.clone()),
                (None, Some(p)) => (RouteKind::Prefix, p.clone()),
                _ => {
                    self.errors.push(
                        at.error("a route has either `path` or `prefix`, not both or neither"),
                    );
                    continue;
                }
            };
            if !valid_path(&path) {
                self.errors.push(at.error(format!(
                    "{path:?} must start with `/` and contain no query, fragment or white space"
                )));
            }
            let mut methods = Vec::new();
            for m in &raw.methods {
                let upper = m.to_ascii_uppercase();
                if valid_method(&upper) {
                    methods.push(upper);
                } else {
                    self.errors
                        .push(at.error(format!("{m:?} is not an HTTP method")));
                }
            }
            routes.push(Route {
                kind,
                path,
                methods,
                at,
            });
        }

        let (limits, timeout) = self.limits(i, &f.limits);
        let permissions = self.permissions(i, &f.permissions);

        let mut env = Vec::new();
        for (k, v) in &f.env {
            let name_ok = !k.get_ref().is_empty() && !k.get_ref().contains(['=', '\0']);
            let ekey = key(&format!("env.{}", k.get_ref()));
            if !name_ok {
                self.err(
                    k.span(),
                    ekey.clone(),
                    "a variable name is non-empty, without `=` or NUL",
                );
            }
            if let Some(value) = self.secret(v, &ekey) {
                if value.contains('\0') {
                    self.err(v.span(), ekey, "the value contains NUL");
                }
                env.push((k.get_ref().clone(), value));
            }
        }

        let mut api_keys = Vec::new();
        for (k, s) in f.api_keys.iter().enumerate() {
            let akey = key(&format!("api_keys[{k}]"));
            if let Some(value) = self.secret(s, &akey) {
                if value.is_empty() {
                    self.err(s.span(), akey, "an API key must not be empty");
                } else {
                    api_keys.push(Sha256::digest(value.as_bytes()).into());
                }
            }
        }

        let quota = f.quota.as_ref().and_then(|q| {
            let raw = q.get_ref();
            if raw.fuel == 0 || raw.window.0.is_zero() {
                self.err(q.span(), key("quota"), "fuel and window must be positive");
                None
            } else {
                Some(QuotaSpec {
                    fuel: raw.fuel,
                    window: raw.window.0,
                })
            }
        });

        let signature = self.function_security(i, &f.security, security);

        let mut mounts = Vec::new();
        let mut mounts_at = Vec::new();
        for (m, raw) in f.mounts.iter().enumerate() {
            let at = self.loc(raw.span(), key(&format!("mounts[{m}]")));
            let raw = raw.get_ref();
            let guest = raw.guest.get_ref();
            if !guest.starts_with('/')
                || guest.contains('\0')
                || guest.split('/').any(|c| c == "..")
            {
                self.err(
                    raw.guest.span(),
                    key(&format!("mounts[{m}].guest")),
                    format!("{guest:?} must be an absolute guest path without `..`"),
                );
            }
            if raw.host.get_ref().is_empty() {
                self.err(
                    raw.host.span(),
                    key(&format!("mounts[{m}].host")),
                    "must not be empty",
                );
            }
            if raw.max_size.is_some() && !raw.writable {
                self.err(
                    raw.max_size.as_ref().map_or(0..0, Spanned::span),
                    key(&format!("mounts[{m}].max_size")),
                    "only a writable mount has a size cap",
                );
            }
            mounts.push(MountSpec {
                host: self.source.base.join(raw.host.get_ref()),
                guest: guest.clone(),
                writable: raw.writable,
                max_size: raw
                    .max_size
                    .as_ref()
                    .map_or(DEFAULT_MOUNT_SIZE, |s| s.get_ref().0),
            });
            mounts_at.push(at);
        }

        (self.errors.len() == before).then(|| FunctionSpec {
            name,
            module,
            module_at,
            routes,
            manifest: Manifest {
                limits,
                permissions,
                env,
                args: f.args.clone(),
            },
            timeout,
            api_keys,
            quota,
            record_crashes: f.record_crashes,
            signature,

            mounts,
            mounts_at,
            mqtt: Vec::new(),
            timers: Vec::new(),
        })
    }

    fn limits(&mut self, i: usize, raw: &RawLimits) -> (Limits, Duration) {
        let key = |k: &str| format!("function[{i}].limits.{k}");
        let mut l = Limits::gateway();
        if let Some(fuel) = &raw.fuel {
            if *fuel.get_ref() == 0 {
                self.err(fuel.span(), key("fuel"), "must be at least 1");
            }
            l.fuel = *fuel.get_ref();
        }
        if let Some(m) = &raw.memory {
            let bytes = m.get_ref().0;
            if !(WASM_PAGE..=4 << 30).contains(&bytes) {
                self.err(m.span(), key("memory"), "must be between 64KiB and 4GiB");
            }
            l.memory = bytes;
        }
        let mut timeout = Duration::from_secs(10);
        if let Some(t) = &raw.timeout {
            let d = t.get_ref().0;
            if d.is_zero() || d > Duration::from_secs(3600) {
                self.err(t.span(), key("timeout"), "must be between 1ms and 1h");
            }
            timeout = d;
        }
        let mut small = |v: Option<Size>, name: &str, slot: &mut u32| {
            if let Some(s) = v {
                match u32::try_from(s.0) {
                    Ok(n) => *slot = n,
                    Err(_) => self.err(0..0, key(name), "too large (at most 4GiB)"),
                }
            }
        };
        small(raw.log_line_bytes, "log_line_bytes", &mut l.log_line_bytes);
        small(raw.kv_key_bytes, "kv_key_bytes", &mut l.kv_key_bytes);
        small(raw.kv_value_bytes, "kv_value_bytes", &mut l.kv_value_bytes);
        small(
            raw.kv_transaction_bytes,
            "kv_transaction_bytes",
            &mut l.kv_transaction_bytes,
        );
        small(raw.publish_bytes, "publish_bytes", &mut l.publish_bytes);
        small(raw.topic_bytes, "topic_bytes", &mut l.topic_bytes);
        if let Some(s) = raw.stdin {
            l.stdin = s.0;
        }
        if let Some(s) = raw.stdout {
            l.stdout = s.0;
        }
        if let Some(s) = raw.stderr {
            l.stderr = s.0;
        }
        if let Some(n) = raw.table_elements {
            l.table_elements = n;
        }
        if let Some(n) = raw.tables {
            l.tables = n;
        }
        if let Some(n) = raw.log_lines {
            l.log_lines = n;
        }
        if let Some(n) = raw.publishes {
            l.publishes = n;
        }
        (l, timeout)
    }

    fn permissions(&mut self, i: usize, raw: &RawPermissions) -> Permissions {
        let mut p = Permissions::default();
        let lists = [
            ("kv_read", &raw.kv_read, &mut p.kv_read),
            ("kv_write", &raw.kv_write, &mut p.kv_write),
            ("publish", &raw.publish, &mut p.publish),
        ];
        for (name, patterns, out) in lists {
            for (n, pattern) in patterns.iter().enumerate() {
                let checked = if name == "publish" {
                    check_topic_filter(pattern.get_ref())
                } else {
                    check_key_pattern(pattern.get_ref())
                };
                match checked {
                    Ok(()) => out.push(pattern.get_ref().clone()),
                    Err(e) => {
                        let e = self
                            .loc(
                                pattern.span(),
                                format!("function[{i}].permissions.{name}[{n}]"),
                            )
                            .error(format!("{:?}: {e}", pattern.get_ref()));
                        self.errors.push(e);
                    }
                }
            }
        }
        p
    }
}
