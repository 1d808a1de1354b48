//! What host calls cost in fuel, charged so that the total stays exact and
//! deterministic however an invocation is sliced, and the checkpoints at
//! which host calls ask the target whether the call must stop.
//!
//! A host call costs what it makes the host do, in units calibrated against
//! plain wasm code on a gateway (one unit of fuel is about a nanosecond of
//! interpreted code on x86-64): so a slice of fuel takes about as long whether the
//! guest computes or calls the host, and a target that checks its deadline
//! between slices stays on time. Work whose duration fuel cannot know
//! (a storage commit) is preceded by a [`checkpoint`] that always asks.

use wasmi::Caller;

use crate::fault::HostFault;
use crate::ports::Host;
use crate::state::HostState;

/// Fuel every host call costs on top of the wasm `call` itself: the
/// engine's dispatch into the host and back (about 100 ns on a gateway).
pub const HOST_CALL_FUEL: u64 = 100;
/// Host calls cost one more unit of fuel per this many bytes they move.
pub const BYTES_PER_FUEL: u64 = 16;
/// Fuel per buffer (iovec) an `fd_read` or `fd_write` takes, even an empty one.
pub const IOVEC_FUEL: u64 = 5;
/// Fuel per byte `random_get` produces (the gateway hashes its random
/// stream: SHA-256 in counter mode, about 5 ns a byte).
pub const RANDOM_BYTE_FUEL: u64 = 6;
/// Fuel of a KV read on top of the bytes moved: one lookup in the gateway's
/// store and the digest recorded for the commit's check (about 2 µs).
pub const KV_READ_FUEL: u64 = 2_000;
/// Fuel of a KV write on top of the bytes moved: staging it, and its insert
/// into the store when the call commits (about 2 µs).
pub const KV_WRITE_FUEL: u64 = 2_000;
/// Fuel of the commit a call that writes makes at its end, charged with its
/// first write: the processor time of one commit of the gateway's store
/// (about 250 µs). The time the commit then waits for the disk is not fuel;
/// it happens once per call, after the guest has run.
pub const KV_COMMIT_FUEL: u64 = 200_000;
/// Host calls ask [`Clock::should_stop`](crate::Clock::should_stop) at least
/// once per this much fuel: every [`charge`] is a [`checkpoint`].
pub const STOP_CHECK_FUEL: u64 = 10_000;

/// The cost of a host call that moves `bytes` bytes (counted in 64 bits:
/// sums of guest lengths must not wrap on a 32-bit host).
pub(crate) fn cost(bytes: u64) -> u64 {
    HOST_CALL_FUEL.saturating_add(bytes_fuel(bytes))
}

/// Fuel the call has used so far (wasm and host calls).
pub(crate) fn used<H>(caller: &Caller<'_, HostState<H>>) -> u64 {
    caller.data().fuel.granted - caller.get_fuel().unwrap_or(0)
}

/// Fuel for `bytes` bytes moved, without the call's fee.
pub(crate) fn bytes_fuel(bytes: u64) -> u64 {
    bytes / BYTES_PER_FUEL
}

/// Takes `cost` fuel from the store, granting more from the call's budget
/// when the current slice holds too little. The store is then left empty,
/// so the guest returns to the target at its next instruction block. Every
/// charge is a [`checkpoint`] first, so every host call that pays asks the
/// target whether to stop at least once per [`STOP_CHECK_FUEL`].
///
/// # Errors
///
/// [`HostFault::Interrupted`] when the target says stop,
/// [`HostFault::FuelExhausted`] when the budget cannot pay; nothing is charged then.
pub(crate) fn charge<H: Host>(
    caller: &mut Caller<'_, HostState<H>>,
    cost: u64,
) -> Result<(), HostFault> {
    checkpoint(caller, false)?;
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

/// The fee of a host call that does a fixed, small amount of work (a clock
/// read, a stub, a refusal): [`HOST_CALL_FUEL`].
///
/// # Errors
///
/// As [`charge`].
pub(crate) fn fee<H: Host>(caller: &mut Caller<'_, HostState<H>>) -> Result<(), HostFault> {
    charge(caller, HOST_CALL_FUEL)
}

/// Asks the target whether the call must stop, when [`STOP_CHECK_FUEL`]
/// has been used since the last time it asked, or always with `force`.
///
/// # Errors
///
/// [`HostFault::Interrupted`] when the target says stop.
pub(crate) fn checkpoint<H: Host>(
    caller: &mut Caller<'_, HostState<H>>,
    force: bool,
) -> Result<(), HostFault> {
    let used = used(caller);
    let state = caller.data_mut();
    if !force && used.saturating_sub(state.fuel.checked_at) < STOP_CHECK_FUEL {
        return Ok(());
    }
    ask(state, used)
}

/// Asks the target whether the call must stop at `used` fuel.
///
/// # Errors
///
/// [`HostFault::Interrupted`] when the target says stop.
pub(crate) fn ask<H: Host>(state: &mut HostState<H>, used: u64) -> Result<(), HostFault> {
    state.fuel.checked_at = used;
    if state.host.should_stop(used) {
        Err(HostFault::Interrupted)
    } else {
        Ok(())
    }
}
