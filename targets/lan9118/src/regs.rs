//! The LAN9118's registers: byte offsets in its 256-byte window and their
//! bits, as the SMSC datasheet names them.

/// RX data FIFO port (any offset up to 0x1C reads the same FIFO).
pub const RX_DATA_FIFO: u32 = 0x00;
/// TX data FIFO port (any offset 0x20..=0x3C writes the same FIFO).
pub const TX_DATA_FIFO: u32 = 0x20;
/// RX status FIFO port: one status word per received frame.
pub const RX_STATUS_FIFO: u32 = 0x40;
/// TX status FIFO port: one status word per transmitted frame.
pub const TX_STATUS_FIFO: u32 = 0x48;
/// Chip ID and revision.
pub const ID_REV: u32 = 0x50;
/// Interrupt pin configuration.
pub const IRQ_CFG: u32 = 0x54;
/// Interrupt status (write 1 to clear).
pub const INT_STS: u32 = 0x58;
/// Interrupt enable.
pub const INT_EN: u32 = 0x5C;
/// Reads [`BYTE_TEST_VALUE`] when the bus is wired right.
pub const BYTE_TEST: u32 = 0x64;
/// FIFO levels that raise interrupts.
pub const FIFO_INT: u32 = 0x68;
/// Receive configuration (alignment, offset, dump).
pub const RX_CFG: u32 = 0x6C;
/// Transmit configuration.
pub const TX_CFG: u32 = 0x70;
/// Hardware configuration (soft reset, FIFO sizes).
pub const HW_CFG: u32 = 0x74;
/// RX FIFO fill: status words and data bytes waiting.
pub const RX_FIFO_INF: u32 = 0x7C;
/// TX FIFO room: free data bytes and status words waiting.
pub const TX_FIFO_INF: u32 = 0x80;
/// Power management control (READY bit).
pub const PMT_CTRL: u32 = 0x84;
/// MAC CSR command: reaches the MAC's own registers, one at a time.
pub const MAC_CSR_CMD: u32 = 0xA4;
/// MAC CSR data, read or written through [`MAC_CSR_CMD`].
pub const MAC_CSR_DATA: u32 = 0xA8;

/// [`BYTE_TEST`]'s fixed value.
pub const BYTE_TEST_VALUE: u32 = 0x8765_4321;

/// IRQ_CFG: the interrupt pin is enabled.
pub const IRQ_EN: u32 = 1 << 8;
/// IRQ_CFG: the pin is active high.
pub const IRQ_POL_HIGH: u32 = 1 << 4;
/// IRQ_CFG: the pin is push-pull (not open drain).
pub const IRQ_TYPE_PUSH_PULL: u32 = 1 << 0;

/// INT_STS / INT_EN: the RX status FIFO passed its level (a frame arrived).
pub const INT_RSFL: u32 = 1 << 3;
/// INT_STS / INT_EN: the TX data FIFO has room above its level.
pub const INT_TDFA: u32 = 1 << 9;
/// INT_STS / INT_EN: transmitter error.
pub const INT_TXE: u32 = 1 << 13;
/// INT_STS / INT_EN: receiver error.
pub const INT_RXE: u32 = 1 << 14;
/// INT_STS / INT_EN: the PHY raised one of its interrupt sources.
pub const INT_PHY: u32 = 1 << 18;

/// FIFO_INT: the TX-data-available level, in 64-byte units, bits 31:24.
pub const FIFO_INT_TDAL_SHIFT: u32 = 24;

/// HW_CFG: soft reset, self-clearing.
pub const HW_CFG_SRST: u32 = 1 << 0;
/// PMT_CTRL: the chip is ready after reset.
pub const PMT_READY: u32 = 1 << 0;
/// TX_CFG: transmitter on.
pub const TX_ON: u32 = 1 << 1;
/// TX_CFG: the TX status FIFO may overrun (statuses are optional).
pub const TX_SAO: u32 = 1 << 2;

/// MAC_CSR_CMD: a command is in progress.
pub const CSR_BUSY: u32 = 1 << 31;
/// MAC_CSR_CMD: the command reads (else writes).
pub const CSR_READ: u32 = 1 << 30;

/// MAC register: control.
pub const MAC_CR: u32 = 1;
/// MAC register: address, bytes 4 and 5.
pub const MAC_ADDRH: u32 = 2;
/// MAC register: address, bytes 0 to 3.
pub const MAC_ADDRL: u32 = 3;
/// MAC register: MII (PHY) access command.
pub const MAC_MII_ACC: u32 = 6;
/// MAC register: MII (PHY) data.
pub const MAC_MII_DATA: u32 = 7;

/// MAC_CR: receiver enabled.
pub const MAC_RXEN: u32 = 1 << 2;
/// MAC_CR: transmitter enabled.
pub const MAC_TXEN: u32 = 1 << 3;
/// MAC_CR: promiscuous (set after reset).
pub const MAC_PRMS: u32 = 1 << 18;
/// MAC_CR: full duplex.
pub const MAC_FDPX: u32 = 1 << 20;

/// MII_ACC: a PHY access is in progress.
pub const MII_BUSY: u32 = 1 << 0;
/// MII_ACC: the access writes (else reads).
pub const MII_WRITE: u32 = 1 << 1;
/// The internal PHY's address on the MII.
pub const PHY_ADDRESS: u32 = 1;

/// PHY register: basic control.
pub const PHY_BCR: u32 = 0;
/// PHY register: basic status.
pub const PHY_BSR: u32 = 1;
/// PHY register: auto-negotiation advertisement.
pub const PHY_ANAR: u32 = 4;
/// PHY register: the link partner's abilities.
pub const PHY_ANLPAR: u32 = 5;
/// PHY register: interrupt source (reading clears it).
pub const PHY_ISR: u32 = 29;
/// PHY register: interrupt mask.
pub const PHY_IMR: u32 = 30;

/// BCR: reset the PHY.
pub const BCR_RESET: u16 = 1 << 15;
/// BCR: auto-negotiation enabled.
pub const BCR_ANEG: u16 = 1 << 12;
/// BCR: restart auto-negotiation.
pub const BCR_ANEG_RESTART: u16 = 1 << 9;
/// BSR: the link is up.
pub const BSR_LINK: u16 = 1 << 2;
/// ANAR/ANLPAR: 10BASE-T half/full, 100BASE-TX half/full, IEEE 802.3 selector.
pub const ANAR_ALL: u16 = 0x01E1;
/// ANAR/ANLPAR: the full-duplex abilities (100 and 10 Mb/s).
pub const AN_FULL_DUPLEX: u16 = (1 << 8) | (1 << 6);
/// PHY interrupt: link down.
pub const PHY_INT_LINK_DOWN: u16 = 1 << 4;
/// PHY interrupt: auto-negotiation complete (link up).
pub const PHY_INT_ANEG_DONE: u16 = 1 << 6;

/// RX status: error summary.
pub const RX_STS_ERROR: u32 = 1 << 15;
/// RX status: frame length including the 4-byte CRC, bits 29:16.
pub const RX_STS_LEN_SHIFT: u32 = 16;
/// RX status: frame length mask (after the shift).
pub const RX_STS_LEN_MASK: u32 = 0x3FFF;

/// TX command A: first segment of a frame.
pub const TX_CMD_A_FIRST: u32 = 1 << 13;
/// TX command A: last segment of a frame.
pub const TX_CMD_A_LAST: u32 = 1 << 12;
/// TX status: error summary.
pub const TX_STS_ERROR: u32 = 1 << 15;
