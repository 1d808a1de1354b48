//! What can go wrong bringing the chip up or talking to its MAC and PHY.

use core::fmt;

/// The driver could not bring up or reach the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// BYTE_TEST did not read 0x87654321: no LAN9118 at this address, or
    /// the bus is wired for another width or byte order.
    NotFound(u32),
    /// The soft reset did not complete.
    ResetTimeout,
    /// The chip did not report READY after its reset.
    NotReady,
    /// A MAC CSR access stayed busy.
    MacTimeout,
    /// A PHY (MII) access stayed busy.
    PhyTimeout,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(read) => write!(f, "no LAN9118: BYTE_TEST reads {read:#010x}"),
            Self::ResetTimeout => f.write_str("soft reset did not complete"),
            Self::NotReady => f.write_str("chip not ready after reset"),
            Self::MacTimeout => f.write_str("MAC CSR access timed out"),
            Self::PhyTimeout => f.write_str("PHY access timed out"),
        }
    }
}

impl core::error::Error for Error {}
