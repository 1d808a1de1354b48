//! A model of the LAN9118 for the unit tests: the registers the driver
//! uses, with the chip's behaviour as its datasheet describes it (FIFOs,
//! MAC CSR and MII indirection, a PHY with a link and interrupt sources,
//! the interrupt pin), plus hooks to deliver frames, pull the link and
//! fill the TX FIFO.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::bus::Registers;
use crate::regs::*;

/// TX FIFO of the chip's default configuration: 4608 bytes.
pub const TX_FIFO_BYTES: u32 = 4608;

#[derive(Default)]
struct Assembly {
    /// Command A and B of the frame being written, if any.
    command_a: Option<u32>,
    command_b: Option<u32>,
    /// Bytes of the current segment still expected.
    remaining: usize,
    frame: Vec<u8>,
}

pub struct Chip {
    pub byte_test: u32,
    pub mac: [u8; 6],
    pub mac_cr: u32,
    pub mii_acc: u32,
    pub mii_data: u32,
    pub csr_data: u32,
    /// MAC CSR commands stay busy (a broken chip).
    pub csr_stuck: bool,
    pub resets: u32,
    pub irq_cfg: u32,
    pub int_sts: u32,
    pub int_en: u32,
    pub fifo_int: u32,
    pub rx_cfg: u32,
    pub tx_cfg: u32,
    pub rx_status: VecDeque<u32>,
    pub rx_data: VecDeque<u32>,
    pub tx_status: VecDeque<u32>,
    /// Free TX data FIFO bytes, as the chip reports them.
    pub tx_free: u32,
    assembly: Assembly,
    pub sent: Vec<Vec<u8>>,
    pub link_up: bool,
    pub phy_bcr: u16,
    pub phy_anar: u16,
    pub phy_anlpar: u16,
    pub phy_isr: u16,
    pub phy_imr: u16,
}

pub struct FakeChip(pub RefCell<Chip>);

impl FakeChip {
    /// A chip after power-on, link up, with `mac` in its EEPROM.
    pub fn new(mac: [u8; 6]) -> Self {
        Self(RefCell::new(Chip {
            byte_test: BYTE_TEST_VALUE,
            mac,
            mac_cr: MAC_PRMS,
            mii_acc: 0,
            mii_data: 0,
            csr_data: 0,
            csr_stuck: false,
            resets: 0,
            irq_cfg: 0,
            int_sts: 0,
            int_en: 0,
            fifo_int: 0x4800_0000,
            rx_cfg: 0,
            tx_cfg: 0,
            rx_status: VecDeque::new(),
            rx_data: VecDeque::new(),
            tx_status: VecDeque::new(),
            tx_free: TX_FIFO_BYTES,
            assembly: Assembly::default(),
            sent: Vec::new(),
            link_up: true,
            phy_bcr: 0x3000,
            phy_anar: ANAR_ALL,
            phy_anlpar: ANAR_ALL,
            phy_isr: 0,
            phy_imr: 0,
        }))
    }

    pub fn chip(&self) -> std::cell::RefMut<'_, Chip> {
        self.0.borrow_mut()
    }

    /// The frame arrives on the wire: into the FIFOs if the receiver is on.
    /// `error` sets the status's error bit (a CRC error, say).
    pub fn deliver(&self, frame: &[u8], error: bool) {
        let mut c = self.chip();
        if c.mac_cr & MAC_RXEN == 0 {
            return;
        }
        let mut bytes = frame.to_vec();
        bytes.extend_from_slice(&[0xC0, 0xC1, 0xC2, 0xC3]); // the CRC
        let status =
            ((bytes.len() as u32) << RX_STS_LEN_SHIFT) | if error { RX_STS_ERROR } else { 0 };
        c.rx_status.push_back(status);
        for chunk in bytes.chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            c.rx_data.push_back(u32::from_le_bytes(word));
        }
        if c.rx_status.len() as u32 > c.fifo_int & 0xFF {
            c.int_sts |= INT_RSFL;
        }
    }

    /// Plugs or unplugs the cable.
    pub fn set_link(&self, up: bool) {
        let mut c = self.chip();
        c.link_up = up;
        c.phy_isr |= if up {
            PHY_INT_ANEG_DONE
        } else {
            PHY_INT_LINK_DOWN
        };
    }

    /// The TX FIFO drains to `free` bytes of room; raises TDFA when that
    /// passes the level.
    pub fn set_tx_free(&self, free: u32) {
        let mut c = self.chip();
        c.tx_free = free;
        if free >= ((c.fifo_int >> FIFO_INT_TDAL_SHIFT) & 0xFF) * 64 {
            c.int_sts |= INT_TDFA;
        }
    }

    /// The level of the interrupt pin as the CPU sees it.
    pub fn irq_asserted(&self) -> bool {
        let c = self.0.borrow();
        let active = c.irq_cfg & IRQ_EN != 0 && c.status() & c.int_en != 0;
        let high_when_active =
            c.irq_cfg & (IRQ_POL_HIGH | IRQ_TYPE_PUSH_PULL) == (IRQ_POL_HIGH | IRQ_TYPE_PUSH_PULL);
        active == high_when_active
    }

    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.0.borrow().sent.clone()
    }
}

impl Chip {
    /// INT_STS as read: the latched bits plus the PHY's level.
    fn status(&self) -> u32 {
        let phy = if self.phy_isr & self.phy_imr != 0 {
            INT_PHY
        } else {
            0
        };
        (self.int_sts & !INT_PHY) | phy
    }

    fn reset(&mut self) {
        self.resets += 1;
        self.mac_cr = MAC_PRMS;
        self.irq_cfg = 0;
        self.int_sts = 0;
        self.int_en = 0;
        self.fifo_int = 0x4800_0000;
        self.rx_cfg = 0;
        self.tx_cfg = 0;
        self.rx_status.clear();
        self.rx_data.clear();
        self.tx_status.clear();
        self.tx_free = TX_FIFO_BYTES;
        self.assembly = Assembly::default();
        self.phy_imr = 0;
    }

    fn phy_read(&mut self, register: u32) -> u16 {
        match register {
            PHY_BCR => self.phy_bcr,
            PHY_BSR => 0x7809 | if self.link_up { BSR_LINK | (1 << 5) } else { 0 },
            PHY_ANAR => self.phy_anar,
            PHY_ANLPAR => self.phy_anlpar,
            PHY_ISR => std::mem::take(&mut self.phy_isr),
            PHY_IMR => self.phy_imr,
            other => panic!("the driver read PHY register {other}"),
        }
    }

    fn phy_write(&mut self, register: u32, value: u16) {
        match register {
            PHY_BCR if value & BCR_RESET != 0 => {
                self.phy_bcr = 0x3000;
                self.phy_anar = ANAR_ALL;
                self.phy_imr = 0;
                self.phy_isr = if self.link_up { PHY_INT_ANEG_DONE } else { 0 };
            }
            PHY_BCR => self.phy_bcr = value & !BCR_ANEG_RESTART,
            PHY_ANAR => self.phy_anar = value,
            PHY_IMR => self.phy_imr = value,
            other => panic!("the driver wrote PHY register {other}"),
        }
    }

    fn mac_read(&mut self, index: u32) -> u32 {
        match index {
            MAC_CR => self.mac_cr,
            MAC_ADDRH => u32::from_le_bytes([self.mac[4], self.mac[5], 0, 0]),
            MAC_ADDRL => u32::from_le_bytes([self.mac[0], self.mac[1], self.mac[2], self.mac[3]]),
            MAC_MII_ACC => self.mii_acc,
            MAC_MII_DATA => self.mii_data,
            other => panic!("the driver read MAC register {other}"),
        }
    }

    fn mac_write(&mut self, index: u32, value: u32) {
        match index {
            MAC_CR => self.mac_cr = value,
            MAC_ADDRH => self.mac[4..].copy_from_slice(&value.to_le_bytes()[..2]),
            MAC_ADDRL => self.mac[..4].copy_from_slice(&value.to_le_bytes()),
            MAC_MII_ACC => {
                assert_eq!((value >> 11) & 0x1F, PHY_ADDRESS, "internal PHY address");
                assert!(value & MII_BUSY != 0, "MII access without the busy bit");
                let register = (value >> 6) & 0x1F;
                if value & MII_WRITE != 0 {
                    self.phy_write(register, self.mii_data as u16);
                } else {
                    self.mii_data = u32::from(self.phy_read(register));
                }
                self.mii_acc = value & !MII_BUSY;
            }
            MAC_MII_DATA => self.mii_data = value & 0xFFFF,
            other => panic!("the driver wrote MAC register {other}"),
        }
    }

    fn tx_push(&mut self, word: u32) {
        let a = &mut self.assembly;
        match (a.command_a, a.command_b) {
            (None, _) => {
                a.command_a = Some(word);
                a.remaining = (word & 0x7FF) as usize;
                assert_eq!((word >> 16) & 0x1F, 0, "the driver uses no data offset");
                if word & TX_CMD_A_FIRST != 0 {
                    a.frame.clear();
                }
            }
            (Some(_), None) => a.command_b = Some(word),
            (Some(command_a), Some(command_b)) => {
                let take = a.remaining.min(4);
                a.frame.extend_from_slice(&word.to_le_bytes()[..take]);
                a.remaining -= take;
                if a.remaining == 0 {
                    a.command_a = None;
                    if command_a & TX_CMD_A_LAST != 0 {
                        assert_eq!(
                            (command_b & 0x7FF) as usize,
                            a.frame.len(),
                            "command B length"
                        );
                        a.command_b = None;
                        let frame = std::mem::take(&mut a.frame);
                        if self.tx_cfg & TX_ON != 0 && self.mac_cr & MAC_TXEN != 0 {
                            self.sent.push(frame);
                            self.tx_status.push_back(command_b & 0xFFFF_0000);
                        }
                    }
                }
            }
        }
    }
}

impl Registers for FakeChip {
    fn read(&self, offset: u32) -> u32 {
        let mut c = self.chip();
        match offset {
            0x00..=0x1C => c
                .rx_data
                .pop_front()
                .expect("the driver read past the RX data"),
            RX_STATUS_FIFO => c
                .rx_status
                .pop_front()
                .expect("the driver read an empty RX status FIFO"),
            TX_STATUS_FIFO => c.tx_status.pop_front().unwrap_or(0),
            ID_REV => 0x0118_0001,
            IRQ_CFG => c.irq_cfg,
            INT_STS => c.status(),
            INT_EN => c.int_en,
            BYTE_TEST => c.byte_test,
            FIFO_INT => c.fifo_int,
            RX_CFG => c.rx_cfg,
            TX_CFG => c.tx_cfg,
            HW_CFG => 0x0005_0000,
            RX_FIFO_INF => ((c.rx_status.len() as u32) << 16) | (c.rx_data.len() as u32 * 4),
            TX_FIFO_INF => ((c.tx_status.len() as u32) << 16) | c.tx_free,
            PMT_CTRL => PMT_READY,
            MAC_CSR_CMD => {
                if c.csr_stuck {
                    CSR_BUSY
                } else {
                    0
                }
            }
            MAC_CSR_DATA => c.csr_data,
            other => panic!("the driver read register {other:#x}"),
        }
    }

    fn write(&self, offset: u32, value: u32) {
        let mut c = self.chip();
        match offset {
            0x20..=0x3C => c.tx_push(value),
            IRQ_CFG => c.irq_cfg = value,
            INT_STS => c.int_sts &= !value,
            INT_EN => c.int_en = value,
            FIFO_INT => c.fifo_int = value,
            RX_CFG => c.rx_cfg = value,
            TX_CFG => c.tx_cfg = value,
            HW_CFG if value & HW_CFG_SRST != 0 => c.reset(),
            HW_CFG => {}
            MAC_CSR_CMD => {
                if value & CSR_BUSY != 0 && !c.csr_stuck {
                    let index = value & 0xFF;
                    if value & CSR_READ != 0 {
                        c.csr_data = c.mac_read(index);
                    } else {
                        let data = c.csr_data;
                        c.mac_write(index, data);
                    }
                }
            }
            MAC_CSR_DATA => c.csr_data = value,
            other => panic!("the driver wrote register {other:#x}"),
        }
    }
}
