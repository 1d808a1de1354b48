//! The data a store carries for one call: ports, buffers, meters and limiter.

use alloc::sync::Arc;
use alloc::vec::Vec;

use wasmi::ResourceLimiter;
use wasmi::errors::{MemoryError, TableError};

use crate::manifest::Manifest;
use crate::staged::Staged;
use crate::stats::CallStats;

/// Fuel bookkeeping that stays exact however the call is sliced.
///
/// `granted` is all the fuel ever put into the store; what the store still
/// holds is unspent, so `consumed = granted - store fuel`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FuelMeter {
    /// The call's total budget.
    pub limit: u64,
    /// Fuel put into the store so far.
    pub granted: u64,
}

impl FuelMeter {
    /// Fuel not yet put into the store.
    pub fn ungranted(&self) -> u64 {
        self.limit - self.granted
    }
}

/// Linear memory and table caps; remembers a refused grow so that the trap
/// which usually follows is reported as `memory_limit`.
#[derive(Debug)]
pub(crate) struct Limiter {
    memory: usize,
    table_elements: usize,
    tables: usize,
    /// A `memory.grow` (or the initial memory) was refused.
    pub refused_memory: bool,
}

impl Limiter {
    pub fn new(manifest: &Manifest) -> Self {
        let l = &manifest.limits;
        Self {
            memory: usize::try_from(l.memory).unwrap_or(usize::MAX),
            table_elements: l.table_elements as usize,
            tables: l.tables as usize,
            refused_memory: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        let allowed = desired <= self.memory && maximum.is_none_or(|m| desired <= m);
        if !allowed {
            self.refused_memory = true;
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(desired <= self.table_elements && maximum.is_none_or(|m| desired <= m))
    }

    fn memory_grow_failed(&mut self, _error: &MemoryError) -> Result<(), wasmi_core::LimiterError> {
        self.refused_memory = true;
        Ok(())
    }

    fn table_grow_failed(&mut self, _error: &TableError) -> Result<(), wasmi_core::LimiterError> {
        Ok(())
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        1
    }
}

/// Store data of one invocation.
pub(crate) struct HostState<H> {
    pub host: H,
    pub manifest: Arc<Manifest>,
    pub stdin: Vec<u8>,
    pub stdin_pos: usize,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub fuel: FuelMeter,
    pub limiter: Limiter,
    pub stats: CallStats,
    /// What the call leaves for the target to commit.
    pub staged: Staged,
    /// Reused buffer for KV values.
    pub scratch: Vec<u8>,
}

impl<H> HostState<H> {
    pub fn new(host: H, manifest: Arc<Manifest>, stdin: Vec<u8>) -> Self {
        let limiter = Limiter::new(&manifest);
        let fuel = FuelMeter {
            limit: manifest.limits.fuel,
            granted: 0,
        };
        Self {
            host,
            manifest,
            stdin,
            stdin_pos: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
            fuel,
            limiter,
            stats: CallStats::default(),
            staged: Staged::default(),
            scratch: Vec::new(),
        }
    }
}
