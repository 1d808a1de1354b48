//! The ports of a Linux gateway: system clock, OS entropy, a KV store,
//! a publisher and the guest log, for one function.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use jinn_core::{
    Clock, Entropy, GuestLog, KvError, KvStore, LogLevel, PublishError, Publisher, Qos,
};

use crate::kv::Kv;

/// A message a function published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Topic.
    pub topic: String,
    /// Payload.
    pub payload: Vec<u8>,
    /// Quality of service.
    pub qos: Qos,
}

/// The host of one call on a gateway.
pub struct GatewayHost {
    function: Arc<str>,
    trace_id: Option<String>,
    kv: Kv,
    started: Instant,
    /// Messages published during the call, handed to the outbox afterwards.
    pub published: Vec<Published>,
}

impl GatewayHost {
    /// A host for one call of `function`.
    pub fn new(function: Arc<str>, trace_id: Option<String>, kv: Kv) -> Self {
        Self {
            function,
            trace_id,
            kv,
            started: Instant::now(),
            published: Vec::new(),
        }
    }
}

impl Clock for GatewayHost {
    fn wall_clock_ns(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    }

    fn monotonic_ns(&mut self) -> u64 {
        self.started.elapsed().as_nanos() as u64
    }
}

impl Entropy for GatewayHost {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            // The OS generator never fails on Linux after boot; if it ever
            // does, zeros are better than a panic inside a host call.
            buf.fill(0);
        }
    }
}

impl KvStore for GatewayHost {
    fn kv_get(&mut self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        self.kv.get(key, value)
    }

    fn kv_set(&mut self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv.set(key, value)
    }
}

impl Publisher for GatewayHost {
    fn publish(&mut self, topic: &str, payload: &[u8], qos: Qos) -> Result<(), PublishError> {
        self.published.push(Published {
            topic: topic.into(),
            payload: payload.to_vec(),
            qos,
        });
        Ok(())
    }
}

impl GuestLog for GatewayHost {
    fn guest_log(&mut self, level: LogLevel, message: &str) {
        let function = &*self.function;
        let trace_id = self.trace_id.as_deref().unwrap_or("");
        match level {
            LogLevel::Debug => tracing::debug!(function, trace_id, "{message}"),
            LogLevel::Info => tracing::info!(function, trace_id, "{message}"),
            LogLevel::Warn => tracing::warn!(function, trace_id, "{message}"),
            LogLevel::Error => tracing::error!(function, trace_id, "{message}"),
        }
    }
}
