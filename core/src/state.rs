//! The data a store carries for one call: ports, buffers, meters and limiter.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use wasmi::ResourceLimiter;
use wasmi::errors::{MemoryError, TableError};

use crate::files::FileSystem;
use crate::invoke::Sleep;
use crate::manifest::Manifest;
use crate::staged::Staged;
use crate::stats::CallStats;
use crate::streams::{Setup, Stdio, Streams};
use crate::wasi::FdTable;

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
    /// Fuel used when a host call last asked the target whether to stop.
    pub checked_at: u64,
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

    fn memory_grow_failed(&mut self, error: &MemoryError) -> Result<(), wasmi_core::LimiterError> {
        // A grow that ran out of the slice's fuel is resumed with more fuel,
        // not refused.
        if !matches!(error, MemoryError::OutOfFuel { .. }) {
            self.refused_memory = true;
        }
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
    /// [`Staged::transaction_bytes`] of `staged`, kept as it grows.
    pub kv_transaction_bytes: usize,
    /// Reused buffer for KV values.
    pub scratch: Vec<u8>,
    /// A raw run's streams (instead of `stdin`, `stdout`, `stderr`).
    pub streams: Option<Box<dyn Streams + Send>>,
    /// The guest's descriptors.
    pub fds: FdTable,
    /// The filesystem port, if the target has one.
    pub fs: Option<Box<dyn FileSystem + Send>>,
    /// The code of `proc_exit`, once called.
    pub exit_code: Option<i32>,
    /// Whether a host call may suspend the call (true inside `_start`; a
    /// `start` section cannot be resumed).
    pub resumable: bool,
    /// The sleep a `poll_oneoff` asked for, taken by the invocation.
    pub sleep: Option<Sleep>,
}

impl<H> HostState<H> {
    pub fn new(host: H, manifest: Arc<Manifest>, setup: Setup) -> Self {
        let limiter = Limiter::new(&manifest);
        let fuel = FuelMeter {
            limit: manifest.limits.fuel,
            granted: 0,
            checked_at: 0,
        };
        let (stdin, streams) = match setup.stdio {
            Stdio::Captured(stdin) => (stdin, None),
            Stdio::Streams(streams) => (Vec::new(), Some(streams)),
        };
        let (fds, fs) = match setup.files {
            Some(files) => (FdTable::new(&files.preopens), Some(files.fs)),
            None => (FdTable::new(&[]), None),
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
            kv_transaction_bytes: 0,
            scratch: Vec::new(),
            streams,
            fds,
            fs,
            exit_code: None,
            resumable: false,
            sleep: None,
        }
    }
}
