//! One generation of the gateway: the functions of a configuration, loaded
//! and compiled, and their routing table. Immutable once built; a reload
//! builds a new one and swaps it in (see [`crate::reload`]).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use jinn_core::signature::{self, Checked, Status};
use jinn_core::{Files, Function, InvokeError, Manifest};
use sha2::{Digest, Sha256};

use crate::config::{Config, ConfigErrors, FunctionSpec};
use crate::host::GatewayHost;
use crate::metrics::{FunctionMetrics, Metrics};
use crate::module_file;
use crate::modules::Modules;
use crate::router::Router;
use crate::sandbox::{self, Mount};

/// A function ready to be called.
pub struct Loaded {
    /// Its configuration.
    pub spec: FunctionSpec,
    /// Its name, shared with every call's host.
    pub name: Arc<str>,
    /// Limits, permissions, env.
    pub manifest: Arc<Manifest>,
    /// SHA-256 of the module file as read (with its signature, if any).
    pub sha256: [u8; 32],
    /// Its counters.
    pub metrics: Arc<FunctionMetrics>,
    /// Where its compiled module is (shared with functions of the same bytes).
    modules: Arc<Modules>,
    /// Its directory mounts, opened.
    pub mounts: Vec<Arc<Mount>>,
}

impl Loaded {
    /// Its compiled module (compiled now when it is not in memory).
    ///
    /// # Errors
    ///
    /// See [`Modules::get`].
    #[allow(clippy::result_large_err)]
    pub fn function(&self) -> Result<Function<GatewayHost>, InvokeError> {
        self.modules.get(&self.sha256)
    }

    /// The preopened directories of one call (none without mounts).
    pub fn files(&self) -> Option<Files> {
        sandbox::files(&self.mounts)
    }
}

/// A configuration, loaded.
pub struct Gateway {
    /// Increases with each successful reload.
    pub generation: u64,
    /// The configuration.
    pub config: Config,
    /// Functions, in configuration order.
    pub functions: Vec<Arc<Loaded>>,
    /// The routing table (indices into `functions`).
    pub router: Router,
    /// The TLS configuration of the HTTPS listeners, from `[https]` (or
    /// the previous generation's when a reload removed the section).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The TLS client configuration of each `mqtts://` connection, by name
    /// (the bridge takes those of the first generation).
    pub mqtt_tls: BTreeMap<String, Arc<rustls::ClientConfig>>,
    /// Holds its modules there while it exists.
    modules: Arc<Modules>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.modules.release(&self.digests());
    }
}

impl Gateway {
    /// Loads every module of `config` into `modules`: each distinct module
    /// once, several at a time; modules already there (same bytes) are not
    /// compiled again. The gateway holds its modules until it is dropped
    /// (when the last call that started on it has ended).
    ///
    /// # Errors
    ///
    /// Every module that cannot be read or loaded, at its `module` key.
    pub fn build(
        config: Config,
        modules: &Arc<Modules>,
        metrics: &Metrics,
        previous: Option<&Gateway>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut read = Vec::new();
        // One copy of each distinct module's bytes (and of each file while
        // loading), so 50 functions of 7 modules never hold 50 copies at
        // once (freed heap is not given back to the system).
        let mut distinct: std::collections::HashMap<[u8; 32], Arc<[u8]>> = Default::default();
        // Each file is read and hashed once, however many functions name it.
        let mut files: std::collections::HashMap<&std::path::Path, (Vec<u8>, [u8; 32])> =
            Default::default();
        for spec in &config.functions {
            let (bytes, sha256) = match files.entry(spec.module.as_path()) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    match module_file::read(&spec.module) {
                        Ok(bytes) => {
                            let sha256: [u8; 32] = Sha256::digest(&bytes).into();
                            e.insert((bytes, sha256))
                        }
                        Err(err) => {
                            errors.push(spec.module_at.error(err.to_string()));
                            continue;
                        }
                    }
                }
            };
            let sha256 = *sha256;
            match signature::check(bytes, spec.signature.policy, &spec.signature.trusted) {
                Ok(checked) => {
                    log_signature(spec, &checked);
                    // Keyed by the file as read; compiled without its signature.
                    let shared = distinct
                        .entry(sha256)
                        .or_insert_with(|| Arc::from(checked.module))
                        .clone();
                    read.push((spec, sha256, shared));
                }
                Err(e) => errors.push(
                    spec.module_at
                        .error(format!("{}: {e}", spec.module.display())),
                ),
            }
        }
        let wanted: Vec<_> = distinct.into_iter().collect();
        let failed = modules.prepare(&wanted);
        let mut functions = Vec::new();
        for (spec, sha256, _) in read {
            if let Some(e) = failed.get(&sha256) {
                errors.push(
                    spec.module_at
                        .error(format!("{}: {e}", spec.module.display())),
                );
                continue;
            }
            let mut mounts = Vec::new();
            for (spec, at) in spec.mounts.iter().zip(&spec.mounts_at) {
                match Mount::open(spec) {
                    Ok(m) => mounts.push(m),
                    Err(e) => errors.push(at.error(e.to_string())),
                }
            }
            functions.push(Arc::new(Loaded {
                mounts,
                name: spec.name.as_str().into(),
                manifest: Arc::new(spec.manifest.clone()),
                metrics: metrics.function(&spec.name),
                spec: spec.clone(),
                sha256,
                modules: modules.clone(),
            }));
        }
        let tls = match &config.https {
            Some(https) => crate::tls::server_config(https)
                .map_err(|e| errors.extend(e.0))
                .ok(),
            None => previous.and_then(|p| p.tls.clone()),
        };
        let mut mqtt_tls = BTreeMap::new();
        for c in &config.mqtt.connections {
            let Some(tls) = &c.tls else { continue };
            match crate::mqtt::tls::client_config(tls) {
                Ok(client) => {
                    mqtt_tls.insert(c.name.clone(), client);
                }
                Err(e) => errors.extend(e.0),
            }
        }
        if !errors.is_empty() {
            // Forget what this failed build added (what others hold stays).
            modules.forget_unheld(&wanted.iter().map(|(d, _)| *d).collect());
            return Err(ConfigErrors(errors));
        }
        let router = Router::new(&config.functions);
        let gateway = Self {
            generation: previous.map_or(1, |p| p.generation + 1),
            config,
            functions,
            router,
            tls,
            mqtt_tls,
            modules: modules.clone(),
        };
        modules.hold(&gateway.digests());
        Ok(gateway)
    }

    /// The modules this configuration uses.
    pub fn digests(&self) -> HashSet<[u8; 32]> {
        self.functions.iter().map(|f| f.sha256).collect()
    }

    /// The files a change of which triggers a reload: the config file, the
    /// modules and the TLS files.
    pub fn watched_files(&self) -> Vec<std::path::PathBuf> {
        self.config
            .file
            .iter()
            .cloned()
            .chain(self.functions.iter().map(|f| f.spec.module.clone()))
            .chain(self.config.https.iter().flat_map(|h| h.files().cloned()))
            .collect()
    }
}

/// What the signature check found, in Gojinn's words.
fn log_signature(spec: &FunctionSpec, checked: &Checked<'_>) {
    let function = spec.name.as_str();
    let file = spec.module.display();
    match checked.status {
        Status::Verified { key } => tracing::info!(
            function,
            %file,
            key = %spec.signature.trusted[key],
            size_clean = checked.module.len(),
            "{}",
            checked.status
        ),
        Status::AuditFailed(_) => tracing::warn!(function, %file, "{}", checked.status),
        Status::NotChecked => {}
    }
}
