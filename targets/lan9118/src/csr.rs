//! The registers behind the direct ones: the MAC's control and status
//! registers through MAC_CSR_CMD/DATA, and the PHY's through the MAC's
//! MII_ACC/DATA. Every wait is bounded.

use crate::Error;
use crate::bus::Registers;
use crate::regs::*;

/// Polls for a busy bit to clear at most this many times (the chip takes
/// well under a microsecond per MAC access, about 1 µs per PHY access).
const POLLS: u32 = 100_000;

/// Waits until `bit` of the register at `offset` reads `set`.
fn wait_for(
    regs: &impl Registers,
    offset: u32,
    bit: u32,
    set: bool,
    error: Error,
) -> Result<(), Error> {
    for _ in 0..POLLS {
        if (regs.read(offset) & bit != 0) == set {
            return Ok(());
        }
    }
    Err(error)
}

/// Waits until `bit` of the register at `offset` reads 0.
pub(crate) fn wait_clear(
    regs: &impl Registers,
    offset: u32,
    bit: u32,
    error: Error,
) -> Result<(), Error> {
    wait_for(regs, offset, bit, false, error)
}

/// Waits until `bit` of the register at `offset` reads 1.
pub(crate) fn wait_set(
    regs: &impl Registers,
    offset: u32,
    bit: u32,
    error: Error,
) -> Result<(), Error> {
    wait_for(regs, offset, bit, true, error)
}

fn mac_command(regs: &impl Registers, command: u32) -> Result<(), Error> {
    wait_clear(regs, MAC_CSR_CMD, CSR_BUSY, Error::MacTimeout)?;
    regs.write(MAC_CSR_CMD, CSR_BUSY | command);
    wait_clear(regs, MAC_CSR_CMD, CSR_BUSY, Error::MacTimeout)
}

/// Reads MAC register `index`.
pub(crate) fn mac_read(regs: &impl Registers, index: u32) -> Result<u32, Error> {
    mac_command(regs, CSR_READ | index)?;
    Ok(regs.read(MAC_CSR_DATA))
}

/// Writes MAC register `index`.
pub(crate) fn mac_write(regs: &impl Registers, index: u32, value: u32) -> Result<(), Error> {
    wait_clear(regs, MAC_CSR_CMD, CSR_BUSY, Error::MacTimeout)?;
    regs.write(MAC_CSR_DATA, value);
    mac_command(regs, index)
}

fn mii_wait(regs: &impl Registers) -> Result<(), Error> {
    for _ in 0..POLLS {
        if mac_read(regs, MAC_MII_ACC)? & MII_BUSY == 0 {
            return Ok(());
        }
    }
    Err(Error::PhyTimeout)
}

fn mii_command(regs: &impl Registers, register: u32, write: bool) -> Result<(), Error> {
    let command = (PHY_ADDRESS << 11)
        | ((register & 0x1F) << 6)
        | MII_BUSY
        | if write { MII_WRITE } else { 0 };
    mac_write(regs, MAC_MII_ACC, command)?;
    mii_wait(regs)
}

/// Reads PHY register `register`.
pub(crate) fn phy_read(regs: &impl Registers, register: u32) -> Result<u16, Error> {
    mii_wait(regs)?;
    mii_command(regs, register, false)?;
    Ok((mac_read(regs, MAC_MII_DATA)? & 0xFFFF) as u16)
}

/// Writes PHY register `register`.
pub(crate) fn phy_write(regs: &impl Registers, register: u32, value: u16) -> Result<(), Error> {
    mii_wait(regs)?;
    mac_write(regs, MAC_MII_DATA, u32::from(value))?;
    mii_command(regs, register, true)
}
