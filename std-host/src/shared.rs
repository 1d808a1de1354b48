//! What every part of a running gateway shares.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::config::{Config, Overrides};
use crate::connections::{ConnectionLimits, Connections};
use crate::kv::Kv;
use crate::loaded::Gateway;
use crate::metrics::{Gauges, Metrics};
use crate::modules::Modules;
use crate::outbox::Outbox;
use crate::pool::Pool;
use crate::quota::Quotas;

/// The state of `jinn serve`.
pub struct Shared {
    /// The configuration in force; swapped by reloads.
    current: RwLock<Arc<Gateway>>,
    /// The configuration at start: listeners, data dir and pool size come from it.
    pub startup: Config,
    /// The config file (None: the embedded default).
    pub config_path: Option<PathBuf>,
    /// Command-line overrides, applied again at each reload.
    pub overrides: Overrides,
    /// Compiled modules, shared by every generation.
    pub modules: Arc<Modules>,
    /// Workers.
    pub pool: Pool,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Fuel quotas.
    pub quotas: Quotas,
    /// The KV store.
    pub kv: Kv,
    /// The outbox.
    pub outbox: Outbox,
    /// False while starting and once draining (see [`Shared::is_ready`]).
    pub ready: AtomicBool,
    /// The data plane's open connections.
    pub connections: Arc<Connections>,
    /// One reload at a time.
    pub reload_lock: tokio::sync::Mutex<()>,
    /// What the status page remembers of recent calls and reloads.
    pub status: crate::status::Board,
    /// The MQTT bridge's state, once it started (see [`crate::mqtt`]).
    pub mqtt: std::sync::OnceLock<Arc<crate::mqtt::BridgeState>>,
    /// The timers' counters, once they started (see [`crate::timer`]).
    pub timers: std::sync::OnceLock<Arc<crate::timer::TimersState>>,
}

impl Shared {
    /// Everything, with `gateway` in force.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        gateway: Gateway,
        config_path: Option<PathBuf>,
        overrides: Overrides,
        modules: Arc<Modules>,
        pool: Pool,
        metrics: Metrics,
        kv: Kv,
        outbox: Outbox,
    ) -> Self {
        let quotas = Quotas::default();
        quotas.configure(
            gateway
                .config
                .functions
                .iter()
                .map(|f| (f.name.as_str(), f.quota)),
        );
        let http = &gateway.config.http;
        let connections = Connections::new(ConnectionLimits {
            total: http.max_connections,
            per_peer: http.max_connections_per_peer,
            idle: http.idle_timeout,
        });
        Self {
            startup: gateway.config.clone(),
            current: RwLock::new(Arc::new(gateway)),
            config_path,
            overrides,
            modules,
            pool,
            metrics: Arc::new(metrics),
            quotas,
            kv,
            outbox,
            ready: AtomicBool::new(false),
            connections,
            reload_lock: tokio::sync::Mutex::new(()),
            status: crate::status::Board::default(),
            mqtt: std::sync::OnceLock::new(),
            timers: std::sync::OnceLock::new(),
        }
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<Gateway> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Swaps in a new configuration; calls in flight keep the old one.
    pub fn swap(&self, gateway: Gateway) {
        self.quotas.configure(
            gateway
                .config
                .functions
                .iter()
                .map(|f| (f.name.as_str(), f.quota)),
        );
        let names: Vec<&str> = gateway
            .config
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        self.metrics.retain(&names);
        self.status.retain(&names);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(gateway);
    }

    /// Ready: started, not draining, the store commits, and the MQTT
    /// connections marked `required` are up.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
            && self.kv.healthy()
            && self
                .mqtt
                .get()
                .is_none_or(|m| crate::mqtt::metrics::required_up(m))
    }

    /// The gauges of `/metrics`.
    pub fn gauges(&self) -> Gauges {
        Gauges {
            in_flight: self.pool.running(),
            queue_depth: self.pool.queued(),
            workers: self.pool.workers() as u64,
            queue_capacity: self.pool.capacity() as u64,
            connections: self.connections.open(),
            connections_evicted: self.connections.evictions(),
            outbox_messages: self.outbox.len(),
            functions: self.current().functions.len() as u64,
            storage_healthy: u64::from(self.kv.healthy()),
            quota_remaining: self.quotas.levels(),
        }
    }
}
