//! Errors the host ABI raises to end a call (they become traps in the guest).

use core::fmt;

use crate::error::Stream;

/// A host call ended the invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostFault {
    /// An output stream went over its cap.
    OutputTooLarge(Stream, u64),
    /// A pointer/length pair outside linear memory.
    MemoryOutOfBounds,
    /// The module exports no `memory`.
    NoMemory,
    /// The host call's fuel cost exceeds what is left of the budget.
    FuelExhausted,
    /// The target's KV store could not answer a read.
    Storage,
    /// The call's KV transaction would exceed `kv_transaction_bytes`.
    TransactionTooLarge,
    /// The target asked the call to stop (its deadline passed or its client left).
    Interrupted,
}

impl fmt::Display for HostFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutputTooLarge(s, limit) => write!(f, "{} over {limit} bytes", s.as_str()),
            Self::MemoryOutOfBounds => f.write_str("host call with out-of-bounds pointer"),
            Self::NoMemory => f.write_str("host call without an exported memory"),
            Self::FuelExhausted => f.write_str("fuel exhausted in a host call"),
            Self::Storage => f.write_str("the KV store could not answer"),
            Self::TransactionTooLarge => f.write_str("KV transaction over its cap"),
            Self::Interrupted => f.write_str("stopped by the host in a host call"),
        }
    }
}

impl wasmi::errors::HostError for HostFault {}

impl From<HostFault> for wasmi::Error {
    fn from(fault: HostFault) -> Self {
        wasmi::Error::host(fault)
    }
}
