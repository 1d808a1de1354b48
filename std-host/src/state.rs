//! One generation of the gateway: the functions of a configuration, loaded
//! and compiled, and their routing table. Immutable once built; a reload
//! builds a new one and swaps it in (see [`crate::reload`]).

use std::sync::Arc;

use jinn_core::signature::{self, Checked, Status};
use jinn_core::{Function, Manifest, Runtime};
use sha2::{Digest, Sha256};

use crate::config::{Config, ConfigErrors, FunctionSpec};
use crate::gateway::GatewayHost;
use crate::metrics::{FunctionMetrics, Metrics};
use crate::module_file;
use crate::router::Router;

/// A function ready to be called.
pub struct Loaded {
    /// Its configuration.
    pub spec: FunctionSpec,
    /// Its name, shared with every call's host.
    pub name: Arc<str>,
    /// The compiled module.
    pub function: Function<GatewayHost>,
    /// Limits, permissions, env.
    pub manifest: Arc<Manifest>,
    /// SHA-256 of the module file as read (with its signature, if any).
    pub sha256: [u8; 32],
    /// Its counters.
    pub metrics: Arc<FunctionMetrics>,
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
}

impl Gateway {
    /// Loads every module of `config`. Modules whose bytes did not change
    /// since `previous` are not compiled again.
    ///
    /// # Errors
    ///
    /// Every module that cannot be read or loaded, at its `module` key.
    pub fn build(
        config: Config,
        runtime: &Runtime<GatewayHost>,
        metrics: &Metrics,
        previous: Option<&Gateway>,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut functions = Vec::new();
        for spec in &config.functions {
            let bytes = match module_file::read(&spec.module) {
                Ok(b) => b,
                Err(e) => {
                    errors.push(spec.module_at.error(e.to_string()));
                    continue;
                }
            };
            let module =
                match signature::check(&bytes, spec.signature.policy, &spec.signature.trusted) {
                    Ok(checked) => {
                        log_signature(spec, &checked);
                        checked.module
                    }
                    Err(e) => {
                        errors.push(
                            spec.module_at
                                .error(format!("{}: {e}", spec.module.display())),
                        );
                        continue;
                    }
                };
            let sha256: [u8; 32] = Sha256::digest(&bytes).into();
            let reused = previous.and_then(|p| {
                p.functions
                    .iter()
                    .find(|l| l.sha256 == sha256 && l.spec.module == spec.module)
                    .map(|l| l.function.clone())
            });
            let loaded = match reused {
                Some(f) => Ok(f),
                None => runtime.load(module),
            };
            let function = match loaded {
                Ok(f) => f,
                Err(e) => {
                    errors.push(
                        spec.module_at
                            .error(format!("{}: {e}", spec.module.display())),
                    );
                    continue;
                }
            };
            functions.push(Arc::new(Loaded {
                name: spec.name.as_str().into(),
                manifest: Arc::new(spec.manifest.clone()),
                metrics: metrics.function(&spec.name),
                spec: spec.clone(),
                function,
                sha256,
            }));
        }
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        let router = Router::new(&config.functions);
        Ok(Self {
            generation: previous.map_or(1, |p| p.generation + 1),
            config,
            functions,
            router,
        })
    }

    /// The files a change of which triggers a reload: the config file and the modules.
    pub fn watched_files(&self) -> Vec<std::path::PathBuf> {
        self.config
            .file
            .iter()
            .cloned()
            .chain(self.functions.iter().map(|f| f.spec.module.clone()))
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
