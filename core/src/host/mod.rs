//! The host modules: `gojinn` (Gojinn's ABI, same signatures) and `jinn`
//! (what the edge needs beyond it). A pointer or length outside linear
//! memory ends the call with a trap; the host never panics on guest input.

mod gojinn;
mod jinn;
mod kv_key;
mod kv_read;

use wasmi::{Caller, Linker};

use crate::excerpt::escaped;
use crate::fault::HostFault;
use crate::imports::KvResult;
use crate::memory;
use crate::ports::{Host, LogLevel};
use crate::state::HostState;

type Ctx<'a, H> = Caller<'a, HostState<H>>;

/// Defines both host modules in `linker`, with `gojinn.host_kv_get`
/// returning `kv_result`.
pub(crate) fn link<H: Host>(
    linker: &mut Linker<HostState<H>>,
    kv_result: KvResult,
) -> Result<(), wasmi::Error> {
    gojinn::link(linker, kv_result)?;
    jinn::link(linker)
}

/// Copies at most `max` bytes from `ptr`; traps when any of `ptr..ptr+len`
/// is out of bounds (so a guest cannot tell the cap from the bounds).
fn read_prefix<H>(
    caller: &Ctx<'_, H>,
    ptr: i32,
    len: i32,
    max: usize,
) -> Result<alloc::vec::Vec<u8>, HostFault> {
    let memory = memory::exported(caller)?;
    let data = memory.data(caller);
    let r = memory::range(data, ptr, len).ok_or(HostFault::MemoryOutOfBounds)?;
    let end = r.start + r.len().min(max);
    Ok(data[r.start..end].to_vec())
}

/// A note from the core about the call, through the same sink as `host_log`
/// (counted against the same per-call cap, cut to the same line length).
fn note<H: Host>(state: &mut HostState<H>, level: LogLevel, message: &str) {
    if state.stats.log_lines + state.stats.log_dropped >= state.manifest.limits.log_lines {
        state.stats.log_dropped += 1;
        return;
    }
    state.stats.log_lines += 1;
    let line = escaped(message, state.manifest.limits.log_line_bytes as usize);
    state.host.guest_log(level, &line);
}
