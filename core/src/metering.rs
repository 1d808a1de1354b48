//! What host calls cost in fuel, charged so that the total stays exact and
//! deterministic however an invocation is sliced.

use wasmi::Caller;

use crate::fault::HostFault;
use crate::state::HostState;

/// Fuel every host call costs on top of the wasm `call` itself.
pub const HOST_CALL_FUEL: u64 = 20;
/// Host calls cost one more unit of fuel per this many bytes they move.
pub const BYTES_PER_FUEL: u64 = 16;
/// `fd_read` and `fd_write` cost this much more per buffer (iovec) they take.
pub const IOVEC_FUEL: u64 = 1;

/// The cost of a host call that moves `bytes` bytes (counted in 64 bits:
/// sums of guest lengths must not wrap on a 32-bit host).
pub(crate) fn cost(bytes: u64) -> u64 {
    HOST_CALL_FUEL.saturating_add(bytes / BYTES_PER_FUEL)
}

/// Takes `cost` fuel from the store, granting more from the call's budget
/// when the current slice holds too little.
///
/// # Errors
///
/// [`HostFault::FuelExhausted`] when the budget cannot pay; nothing is charged then.
pub(crate) fn charge<H>(caller: &mut Caller<'_, HostState<H>>, cost: u64) -> Result<(), HostFault> {
    // Fuel metering is always on in a jinn engine, so get/set cannot fail.
    let in_store = caller.get_fuel().unwrap_or(0);
    if in_store >= cost {
        let _ = caller.set_fuel(in_store - cost);
        return Ok(());
    }
    let extra = cost - in_store;
    let meter = &mut caller.data_mut().fuel;
    if meter.ungranted() < extra {
        return Err(HostFault::FuelExhausted);
    }
    meter.granted += extra;
    let _ = caller.set_fuel(0);
    Ok(())
}
