//! The driver against the chip model: bring-up, frames both ways, the
//! interrupt paths, the link, and a chip that does not answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Wake, Waker};

use embassy_net_driver::{Driver, HardwareAddress, LinkState, RxToken, TxToken};

use crate::fake::FakeChip;
use crate::regs::*;
use crate::{Error, Lan9118, MTU, State, on_interrupt};

const CHIP_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const FALLBACK: [u8; 6] = [0x02, 0, 0, 0, 0, 1];

/// A waker that counts its wakes.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn waker() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (counter.clone(), Waker::from(counter))
}

fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

fn receive_one(driver: &mut Lan9118<'_, &FakeChip>, cx: &mut Context) -> Option<Vec<u8>> {
    let (rx, _tx) = driver.receive(cx)?;
    Some(rx.consume(|bytes| bytes.to_vec()))
}

/// Runs the interrupt handler while the pin is asserted, as the NVIC would.
fn service(chip: &FakeChip, state: &State) -> usize {
    let mut runs = 0;
    while chip.irq_asserted() {
        on_interrupt(&chip, state);
        runs += 1;
        assert!(runs < 10, "the interrupt stays asserted");
    }
    runs
}

#[test]
fn bring_up_resets_and_configures_the_chip() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let driver = Lan9118::new(&chip, &state, FALLBACK).expect("bring-up");
    assert_eq!(
        driver.hardware_address(),
        HardwareAddress::Ethernet(CHIP_MAC)
    );
    let c = chip.chip();
    assert_eq!(c.resets, 1, "one soft reset");
    assert_eq!(c.mac_cr & (MAC_TXEN | MAC_RXEN), MAC_TXEN | MAC_RXEN);
    assert_eq!(c.mac_cr & MAC_PRMS, 0, "not promiscuous");
    assert_eq!(c.tx_cfg & TX_ON, TX_ON);
    assert_eq!(c.irq_cfg, IRQ_EN | IRQ_POL_HIGH | IRQ_TYPE_PUSH_PULL);
    assert_eq!(c.int_en, INT_RSFL | INT_PHY | INT_RXE | INT_TXE);
    assert_eq!(c.phy_imr, PHY_INT_LINK_DOWN | PHY_INT_ANEG_DONE);
    assert_eq!(c.phy_bcr & BCR_ANEG, BCR_ANEG, "auto-negotiation on");
}

#[test]
fn a_chip_without_an_address_takes_the_fallback() {
    let chip = FakeChip::new([0; 6]);
    let state = State::new();
    let driver = Lan9118::new(&chip, &state, FALLBACK).expect("bring-up");
    assert_eq!(driver.mac_address(), FALLBACK);
    assert_eq!(
        chip.chip().mac,
        FALLBACK,
        "written to the MAC's address registers"
    );
}

#[test]
fn a_missing_or_silent_chip_is_an_error() {
    let state = State::new();
    let absent = FakeChip::new(CHIP_MAC);
    absent.chip().byte_test = 0;
    assert!(matches!(
        Lan9118::new(&absent, &state, FALLBACK),
        Err(Error::NotFound(0))
    ));
    let stuck = FakeChip::new(CHIP_MAC);
    stuck.chip().csr_stuck = true;
    assert!(matches!(
        Lan9118::new(&stuck, &state, FALLBACK),
        Err(Error::MacTimeout)
    ));
}

#[test]
fn frames_of_every_length_are_sent_word_by_word() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (_, waker) = waker();
    let mut cx = Context::from_waker(&waker);
    let lengths = [60, 61, 62, 63, 64, 333, MTU];
    for (i, &len) in lengths.iter().enumerate() {
        let bytes = frame(len, i as u8);
        let tx = driver.transmit(&mut cx).expect("room to send");
        tx.consume(len, |buf| buf.copy_from_slice(&bytes));
    }
    let sent = chip.sent();
    assert_eq!(sent.len(), lengths.len());
    for (i, (&len, got)) in lengths.iter().zip(&sent).enumerate() {
        assert_eq!(got, &frame(len, i as u8), "frame {i} of {len} bytes");
    }
    assert_eq!(driver.stats().sent, lengths.len() as u32);
    assert!(chip.chip().tx_status.is_empty(), "TX statuses are read");
}

#[test]
fn frames_of_every_length_are_received_without_their_crc() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (_, waker) = waker();
    let mut cx = Context::from_waker(&waker);
    let lengths = [60, 61, 62, 63, 64, 1000, MTU];
    for (i, &len) in lengths.iter().enumerate() {
        chip.deliver(&frame(len, i as u8), false);
    }
    for (i, &len) in lengths.iter().enumerate() {
        assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(len, i as u8)));
    }
    assert_eq!(receive_one(&mut driver, &mut cx), None);
    assert!(chip.chip().rx_data.is_empty(), "every word read");
    assert_eq!(driver.stats().received, lengths.len() as u32);
}

#[test]
fn bad_frames_are_dropped_and_the_fifos_stay_in_step() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (_, waker) = waker();
    let mut cx = Context::from_waker(&waker);
    chip.deliver(&frame(100, 1), true); // CRC error
    chip.deliver(&frame(MTU + 4, 2), false); // a VLAN-tagged giant
    chip.deliver(&frame(10, 3), false); // a runt
    chip.deliver(&frame(77, 4), false);
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(77, 4)));
    assert_eq!(receive_one(&mut driver, &mut cx), None);
    assert!(chip.chip().rx_data.is_empty());
    assert_eq!(driver.stats().dropped, 3);
    assert_eq!(driver.stats().received, 1);
}

#[test]
fn an_arriving_frame_interrupts_and_wakes_the_receiver() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (woken, waker) = waker();
    let mut cx = Context::from_waker(&waker);
    driver.link_state(&mut cx);
    service(&chip, &state);
    let before = woken.0.load(Ordering::SeqCst);

    assert_eq!(receive_one(&mut driver, &mut cx), None, "nothing yet");
    assert!(!chip.irq_asserted());
    chip.deliver(&frame(64, 9), false);
    assert!(chip.irq_asserted(), "a frame raises the pin");
    assert_eq!(service(&chip, &state), 1, "one interrupt, acknowledged");
    assert_eq!(
        woken.0.load(Ordering::SeqCst),
        before + 1,
        "the receiver woke"
    );
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(64, 9)));
    assert_eq!(chip.chip().int_en & INT_RSFL, INT_RSFL, "stays enabled");
}

#[test]
fn a_full_tx_fifo_waits_for_the_room_interrupt() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (woken, waker) = waker();
    let mut cx = Context::from_waker(&waker);
    driver.link_state(&mut cx);
    service(&chip, &state);
    let before = woken.0.load(Ordering::SeqCst);

    chip.chip().tx_free = 100;
    assert!(driver.transmit(&mut cx).is_none(), "no room");
    chip.deliver(&frame(64, 1), false);
    assert!(
        driver.receive(&mut cx).is_none(),
        "no answer could be sent either"
    );
    assert_eq!(
        chip.chip().int_en & INT_TDFA,
        INT_TDFA,
        "room interrupt armed"
    );
    chip.chip().int_sts &= !INT_RSFL;

    chip.set_tx_free(4000);
    assert!(chip.irq_asserted());
    service(&chip, &state);
    assert_eq!(
        woken.0.load(Ordering::SeqCst),
        before + 1,
        "the sender woke"
    );
    assert_eq!(chip.chip().int_en & INT_TDFA, 0, "one-shot");
    assert!(driver.transmit(&mut cx).is_some());
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(64, 1)));
}

#[test]
fn the_link_follows_the_phy_and_sets_the_duplex() {
    let chip = FakeChip::new(CHIP_MAC);
    let state = State::new();
    let mut driver = Lan9118::new(&chip, &state, FALLBACK).unwrap();
    let (woken, waker) = waker();
    let mut cx = Context::from_waker(&waker);

    assert!(driver.link_state(&mut cx) == LinkState::Up);
    assert_eq!(
        chip.chip().mac_cr & MAC_FDPX,
        MAC_FDPX,
        "full duplex agreed"
    );
    service(&chip, &state);
    assert!(!chip.irq_asserted());

    let before = woken.0.load(Ordering::SeqCst);
    chip.set_link(false);
    assert!(chip.irq_asserted(), "the PHY interrupts");
    service(&chip, &state);
    assert_eq!(woken.0.load(Ordering::SeqCst), before + 1);
    assert!(driver.link_state(&mut cx) == LinkState::Down);

    // A half-duplex partner.
    chip.chip().phy_anlpar = 0x00A1;
    chip.set_link(true);
    service(&chip, &state);
    assert!(driver.link_state(&mut cx) == LinkState::Up);
    assert_eq!(chip.chip().mac_cr & MAC_FDPX, 0, "half duplex agreed");
    assert_eq!(chip.chip().int_en & INT_PHY, INT_PHY, "re-armed");
    assert!(!chip.irq_asserted());
}
