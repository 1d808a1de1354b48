//! `poll_oneoff`: descriptors are always ready (stdio, files), and clocks
//! are waited for by suspending the call ([`Suspend`]): the target resumes
//! it when the time has come, without blocking anything meanwhile. The
//! host's clock is told of the sleep ([`Clock::advance`](crate::Clock::advance))
//! so that a virtual clock moves on and a replay sleeps no real time.

use alloc::vec::Vec;

use wasmi::Linker;

use super::fds::Kind;
use super::{Ctx, errno, stdio};
use crate::files::Whence;
use crate::imports::WASI;
use crate::invoke::{Sleep, Suspend};
use crate::memory::{self, range};
use crate::metering::{charge, cost};
use crate::ports::Host;
use crate::state::HostState;

const SUBSCRIPTION: usize = 48;
const EVENT: usize = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
/// The most subscriptions one call may pass.
const MAX_SUBSCRIPTIONS: usize = 4096;

/// One event to report.
struct Event {
    userdata: u64,
    error: u16,
    kind: u8,
    nbytes: u64,
}

impl Event {
    fn bytes(&self) -> [u8; EVENT] {
        let mut out = [0u8; EVENT];
        out[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        out[8..10].copy_from_slice(&self.error.to_le_bytes());
        out[10] = self.kind;
        out[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        out
    }
}

fn u64_at(s: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(s: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"))
}

/// Whether descriptor `fd` is ready for `kind`, and how many bytes.
fn fd_event<H: Host>(state: &mut HostState<H>, fd: u32, kind: u8) -> (u16, u64) {
    let Ok(entry) = state.fds.get(fd as i32) else {
        return (errno::BADF as u16, 0);
    };
    match (&entry.kind, kind) {
        (Kind::Stdin, EVENTTYPE_FD_READ) => (0, stdio::stdin_pending(state)),
        (Kind::Out(_), EVENTTYPE_FD_WRITE) => (0, 0),
        (Kind::File { handle }, _) => {
            let handle = *handle;
            let Some(fs) = state.fs.as_deref_mut() else {
                return (errno::BADF as u16, 0);
            };
            if kind == EVENTTYPE_FD_WRITE {
                return (0, 0);
            }
            // A regular file is always readable: what is left after the position.
            let size = fs.stat(handle).map_or(0, |s| s.size);
            let at = fs.seek(handle, 0, Whence::Current).unwrap_or(size);
            (0, size.saturating_sub(at))
        }
        _ => (errno::BADF as u16, 0),
    }
}

fn poll_oneoff<H: Host>(
    mut caller: Ctx<'_, H>,
    subs: i32,
    events: i32,
    count: i32,
    nevents: i32,
) -> Result<i32, wasmi::Error> {
    let n = count as u32 as usize;
    if n == 0 || n > MAX_SUBSCRIPTIONS {
        return Ok(errno::INVAL);
    }
    let memory = memory::exported(&caller)?;
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let (Some(subs), Some(out)) = (
        range(data, subs, (n * SUBSCRIPTION) as i32),
        range(data, events, (n * EVENT) as i32),
    ) else {
        return Ok(errno::FAULT);
    };
    let subs: Vec<u8> = data[subs].to_vec();
    let mut ready = Vec::new();
    // (userdata, nanoseconds from now)
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    let mut monotonic = None;
    for sub in subs.chunks_exact(SUBSCRIPTION) {
        let userdata = u64_at(sub, 0);
        match sub[8] {
            EVENTTYPE_CLOCK => {
                let (id, timeout) = (u32_at(sub, 16), u64_at(sub, 24));
                let absolute = u16::from_le_bytes([sub[40], sub[41]]) & SUBCLOCKFLAGS_ABSTIME != 0;
                let now = match id {
                    CLOCK_REALTIME if absolute => state.host.wall_clock_ns(),
                    CLOCK_MONOTONIC if absolute => {
                        *monotonic.get_or_insert_with(|| state.host.monotonic_ns())
                    }
                    CLOCK_REALTIME | CLOCK_MONOTONIC => 0,
                    // CPU-time clocks do not move while the guest waits.
                    _ => {
                        ready.push(Event {
                            userdata,
                            error: errno::INVAL as u16,
                            kind: EVENTTYPE_CLOCK,
                            nbytes: 0,
                        });
                        continue;
                    }
                };
                clocks.push((userdata, timeout.saturating_sub(now)));
            }
            kind @ (EVENTTYPE_FD_READ | EVENTTYPE_FD_WRITE) => {
                let (error, nbytes) = fd_event(state, u32_at(sub, 16), kind);
                ready.push(Event {
                    userdata,
                    error,
                    kind,
                    nbytes,
                });
            }
            _ => return Ok(errno::INVAL),
        }
    }
    let mut sleep = 0;
    if ready.is_empty() {
        // Nothing is ready: wait for the earliest clock(s).
        sleep = clocks.iter().map(|c| c.1).min().unwrap_or(0);
    }
    for &(userdata, after) in &clocks {
        if after <= sleep {
            ready.push(Event {
                userdata,
                error: 0,
                kind: EVENTTYPE_CLOCK,
                nbytes: 0,
            });
        }
    }
    let mut bytes = Vec::with_capacity(ready.len() * EVENT);
    for event in &ready {
        bytes.extend_from_slice(&event.bytes());
    }
    data[out.start..out.start + bytes.len()].copy_from_slice(&bytes);
    if memory::write(data, nevents, &(ready.len() as u32).to_le_bytes()).is_none() {
        return Ok(errno::FAULT);
    }
    let suspend = sleep > 0 && state.resumable;
    if sleep > 0 {
        let wake_at_ns = monotonic
            .unwrap_or_else(|| state.host.monotonic_ns())
            .saturating_add(sleep);
        state.host.advance(sleep);
        state.sleep = suspend.then_some(Sleep {
            duration_ns: sleep,
            wake_at_ns,
        });
    }
    charge(&mut caller, cost((subs.len() + bytes.len()) as u64))?;
    if suspend {
        return Err(wasmi::Error::host(Suspend));
    }
    Ok(errno::SUCCESS)
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(WASI, "poll_oneoff", poll_oneoff::<H>)?;
    Ok(())
}
