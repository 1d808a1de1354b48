//! [`Lan9118`]: bring-up, and embassy-net's [`Driver`] over the chip's FIFOs.
//!
//! Receiving: each frame leaves a status word in the RX status FIFO (its
//! length, CRC included, and an error bit) and its bytes, padded to whole
//! words, in the RX data FIFO. The driver pops the status, then reads the
//! frame's words into its buffer; frames with errors or of impossible
//! lengths are read and thrown away, so the two FIFOs stay in step.
//! Sending: two command words (segment flags and lengths, a tag) and the
//! frame's words go into the TX data FIFO; the chip sends the frame once
//! its last word is in.

use core::sync::atomic::Ordering;
use core::task::Context;

use embassy_net_driver::{Capabilities, Driver, HardwareAddress, LinkState, RxToken, TxToken};

use crate::Error;
use crate::bus::Registers;
use crate::csr::{mac_read, mac_write, phy_read, phy_write, wait_clear, wait_set};
use crate::interrupt::{State, update_int_en};
use crate::regs::*;

/// Largest frame the driver sends or accepts, without its CRC (1500 bytes
/// of payload, 14 of header).
pub const MTU: usize = 1514;
/// Largest frame the chip may report, CRC included.
const MAX_RX_LEN: usize = MTU + 4;
/// Smallest frame worth handing on: an Ethernet header and a CRC.
const MIN_RX_LEN: usize = 14 + 4;
/// TX FIFO room one frame needs: two command words and the padded data.
const TX_ROOM: u32 = 8 + MTU.next_multiple_of(4) as u32;

/// Counters since the driver started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Frames handed to the network stack.
    pub received: u32,
    /// Frames dropped: receive errors, impossible lengths.
    pub dropped: u32,
    /// Frames sent.
    pub sent: u32,
    /// Receiver/transmitter errors the chip interrupted for, and failed sends.
    pub errors: u32,
}

/// A LAN9118 serving as embassy-net's Ethernet device.
pub struct Lan9118<'d, R: Registers> {
    regs: R,
    state: &'d State,
    mac: [u8; 6],
    link: LinkState,
    rx: [u8; MAX_RX_LEN.next_multiple_of(4)],
    tx: [u8; MTU],
    tag: u16,
    stats: Stats,
}

/// A usable unicast MAC address (not all zeros, not multicast).
fn valid_mac(mac: &[u8; 6]) -> bool {
    mac.iter().any(|&b| b != 0) && mac[0] & 1 == 0
}

impl<'d, R: Registers> Lan9118<'d, R> {
    /// Resets and configures the chip: MAC address (the chip's own, loaded
    /// from its EEPROM, or else `fallback_mac`), PHY auto-negotiation, the
    /// transmitter and receiver, and interrupts (RX, PHY, errors; pin
    /// active high, push-pull). Enable the chip's interrupt line in the
    /// NVIC afterwards and call [`on_interrupt`](crate::on_interrupt) from it.
    ///
    /// # Errors
    ///
    /// [`Error`] when the chip is absent, does not come out of reset, or
    /// its MAC or PHY does not answer.
    pub fn new(regs: R, state: &'d State, fallback_mac: [u8; 6]) -> Result<Self, Error> {
        let test = regs.read(BYTE_TEST);
        if test != BYTE_TEST_VALUE {
            return Err(Error::NotFound(test));
        }
        regs.write(INT_EN, 0);
        regs.write(HW_CFG, regs.read(HW_CFG) | HW_CFG_SRST);
        wait_clear(&regs, HW_CFG, HW_CFG_SRST, Error::ResetTimeout)?;
        wait_set(&regs, PMT_CTRL, PMT_READY, Error::NotReady)?;

        let low = mac_read(&regs, MAC_ADDRL)?.to_le_bytes();
        let high = mac_read(&regs, MAC_ADDRH)?.to_le_bytes();
        let mut mac = [low[0], low[1], low[2], low[3], high[0], high[1]];
        if !valid_mac(&mac) {
            mac = fallback_mac;
            mac_write(
                &regs,
                MAC_ADDRL,
                u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]),
            )?;
            mac_write(&regs, MAC_ADDRH, u32::from_le_bytes([mac[4], mac[5], 0, 0]))?;
        }

        phy_write(&regs, PHY_BCR, BCR_RESET)?;
        phy_write(&regs, PHY_ANAR, ANAR_ALL)?;
        phy_write(&regs, PHY_BCR, BCR_ANEG | BCR_ANEG_RESTART)?;
        phy_write(&regs, PHY_IMR, PHY_INT_LINK_DOWN | PHY_INT_ANEG_DONE)?;

        // Receive whole frames with 4-byte end alignment and no offset;
        // transmit without needing the status FIFO drained.
        regs.write(RX_CFG, 0);
        regs.write(TX_CFG, TX_ON | TX_SAO);
        mac_write(&regs, MAC_CR, MAC_TXEN | MAC_RXEN)?;
        regs.write(FIFO_INT, (TX_ROOM.div_ceil(64)) << FIFO_INT_TDAL_SHIFT);
        regs.write(INT_STS, u32::MAX);
        regs.write(INT_EN, INT_RSFL | INT_PHY | INT_RXE | INT_TXE);
        regs.write(IRQ_CFG, IRQ_EN | IRQ_POL_HIGH | IRQ_TYPE_PUSH_PULL);

        state.phy_event.store(true, Ordering::Release);
        Ok(Self {
            regs,
            state,
            mac,
            link: LinkState::Down,
            rx: [0; MAX_RX_LEN.next_multiple_of(4)],
            tx: [0; MTU],
            tag: 0,
            stats: Stats::default(),
        })
    }

    /// The MAC address in use.
    pub fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    /// Counters since the driver started.
    pub fn stats(&self) -> Stats {
        Stats {
            errors: self.stats.errors + self.state.errors.load(Ordering::Relaxed),
            ..self.stats
        }
    }

    fn tx_room(&self) -> bool {
        self.regs.read(TX_FIFO_INF) & 0xFFFF >= TX_ROOM
    }

    /// Whether a frame can be sent now; if not, arms the "TX room"
    /// interrupt to wake `cx`.
    fn tx_ready(&self, cx: &mut Context) -> bool {
        if self.tx_room() {
            return true;
        }
        self.state.tx.register(cx.waker());
        update_int_en(&self.regs, |en| en | INT_TDFA);
        // Room may have appeared before the interrupt was armed.
        self.tx_room()
    }

    /// Drops frames the stack must not see; returns the length (without
    /// CRC) of the next good frame, read into `self.rx`.
    fn next_frame(&mut self) -> Option<usize> {
        loop {
            let waiting = (self.regs.read(RX_FIFO_INF) >> 16) & 0xFF;
            if waiting == 0 {
                return None;
            }
            let status = self.regs.read(RX_STATUS_FIFO);
            let len = ((status >> RX_STS_LEN_SHIFT) & RX_STS_LEN_MASK) as usize;
            let words = len.div_ceil(4);
            let good = status & RX_STS_ERROR == 0 && (MIN_RX_LEN..=MAX_RX_LEN).contains(&len);
            if good {
                for chunk in self.rx[..words * 4].chunks_exact_mut(4) {
                    chunk.copy_from_slice(&self.regs.read(RX_DATA_FIFO).to_le_bytes());
                }
                self.stats.received = self.stats.received.wrapping_add(1);
                return Some(len - 4);
            }
            for _ in 0..words {
                self.regs.read(RX_DATA_FIFO);
            }
            self.stats.dropped = self.stats.dropped.wrapping_add(1);
        }
    }

    /// Re-reads the link after a PHY interrupt, and sets the MAC's duplex
    /// to what auto-negotiation agreed.
    fn refresh_link(&mut self) -> Result<(), Error> {
        phy_read(&self.regs, PHY_ISR)?;
        let up = phy_read(&self.regs, PHY_BSR)? & BSR_LINK != 0;
        if up {
            let common = phy_read(&self.regs, PHY_ANAR)? & phy_read(&self.regs, PHY_ANLPAR)?;
            let control = mac_read(&self.regs, MAC_CR)?;
            let duplex = if common & AN_FULL_DUPLEX != 0 {
                control | MAC_FDPX
            } else {
                control & !MAC_FDPX
            };
            if duplex != control {
                mac_write(&self.regs, MAC_CR, duplex)?;
            }
        }
        self.link = if up { LinkState::Up } else { LinkState::Down };
        Ok(())
    }
}

/// A received frame, already out of the chip.
pub struct Lan9118Rx<'a> {
    frame: &'a mut [u8],
}

impl RxToken for Lan9118Rx<'_> {
    fn consume<T, F: FnOnce(&mut [u8]) -> T>(self, f: F) -> T {
        f(self.frame)
    }
}

/// Room for one frame in the TX FIFO.
pub struct Lan9118Tx<'a, R: Registers> {
    regs: &'a R,
    buffer: &'a mut [u8; MTU],
    tag: &'a mut u16,
    stats: &'a mut Stats,
}

impl<R: Registers> TxToken for Lan9118Tx<'_, R> {
    fn consume<T, F: FnOnce(&mut [u8]) -> T>(self, len: usize, f: F) -> T {
        // embassy-net never asks for more than the MTU it was given.
        assert!(len <= MTU, "frame of {len} bytes over the MTU");
        let result = f(&mut self.buffer[..len]);
        *self.tag = self.tag.wrapping_add(1);
        let len32 = len as u32;
        self.regs
            .write(TX_DATA_FIFO, TX_CMD_A_FIRST | TX_CMD_A_LAST | len32);
        self.regs
            .write(TX_DATA_FIFO, (u32::from(*self.tag) << 16) | len32);
        for chunk in self.buffer[..len].chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            self.regs.write(TX_DATA_FIFO, u32::from_le_bytes(word));
        }
        // Statuses may overrun (TX_SAO); read those there are, for errors.
        while (self.regs.read(TX_FIFO_INF) >> 16) & 0xFF != 0 {
            if self.regs.read(TX_STATUS_FIFO) & TX_STS_ERROR != 0 {
                self.stats.errors = self.stats.errors.wrapping_add(1);
            }
        }
        self.stats.sent = self.stats.sent.wrapping_add(1);
        result
    }
}

impl<R: Registers> Driver for Lan9118<'_, R> {
    type RxToken<'a>
        = Lan9118Rx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = Lan9118Tx<'a, R>
    where
        Self: 'a;

    fn receive(&mut self, cx: &mut Context) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        if !self.tx_ready(cx) {
            return None;
        }
        self.state.rx.register(cx.waker());
        let len = self.next_frame()?;
        Some((
            Lan9118Rx {
                frame: &mut self.rx[..len],
            },
            Lan9118Tx {
                regs: &self.regs,
                buffer: &mut self.tx,
                tag: &mut self.tag,
                stats: &mut self.stats,
            },
        ))
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<Self::TxToken<'_>> {
        if !self.tx_ready(cx) {
            return None;
        }
        Some(Lan9118Tx {
            regs: &self.regs,
            buffer: &mut self.tx,
            tag: &mut self.tag,
            stats: &mut self.stats,
        })
    }

    fn link_state(&mut self, cx: &mut Context) -> LinkState {
        self.state.link.register(cx.waker());
        if self.state.phy_event.swap(false, Ordering::AcqRel) {
            // Acknowledge first: a change after the PHY's source is read
            // below raises the interrupt again once it is enabled.
            self.regs.write(INT_STS, INT_PHY);
            if self.refresh_link().is_err() {
                // Try again on the next poll.
                self.state.phy_event.store(true, Ordering::Release);
                cx.waker().wake_by_ref();
            }
            update_int_en(&self.regs, |en| en | INT_PHY);
        }
        self.link
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = MTU;
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}
