//! The LAN9118 at 0xA000_0000 on the AN500 (0x4020_0000 on the AN385/AN386),
//! interrupt line 13, through jinn-lan9118.

use jinn_lan9118::{Error, Lan9118, Mmio, State};

use crate::vectors::{Interrupt, unmask};

/// The chip's registers on the AN500.
const BASE: usize = 0xA000_0000;

/// Shared by the driver and the interrupt handler.
static STATE: State = State::new();

fn registers() -> Mmio {
    // Safety: the AN500's LAN9118 window; only the driver below and the
    // interrupt handler use it.
    unsafe { Mmio::new(BASE) }
}

/// The Ethernet device, with its interrupt enabled. The MAC address is the
/// chip's (QEMU's `-nic …,mac=`), or `fallback_mac` if it has none.
///
/// # Errors
///
/// The chip did not come up (see [`Error`]).
pub fn device(fallback_mac: [u8; 6]) -> Result<Lan9118<'static, Mmio>, Error> {
    let device = Lan9118::new(registers(), &STATE, fallback_mac)?;
    unmask(Interrupt::Ethernet);
    Ok(device)
}

pub(crate) fn on_interrupt() {
    jinn_lan9118::on_interrupt(&registers(), &STATE);
}
