//! WASI preview1, implemented in the core: the descriptor table with stdio
//! on 0–2 (the contract's buffers or a raw run's streams) and preopened
//! directories from 3 (through the filesystem port), arguments and
//! environment from the manifest, clocks and randomness from the target's
//! ports, `poll_oneoff` suspending the call while the guest sleeps, and
//! `proc_exit`. Only `proc_raise` is a stub (`ENOSYS`: no signals).

pub(crate) mod errno;
mod fd;
mod fds;
mod path;
mod poll;
mod process;
mod stdio;

pub(crate) use fds::FdTable;

use wasmi::{Caller, FuncType, Linker, Val};

type Ctx<'a, H> = Caller<'a, HostState<H>>;

/// `SUCCESS` or the errno of `result`.
fn ok_or_errno(result: Result<(), i32>) -> i32 {
    result.err().unwrap_or(errno::SUCCESS)
}

use crate::imports::{Provided, SIGNATURES, WASI};
use crate::memory;
use crate::metering::fee;
use crate::ports::Host;
use crate::state::HostState;

/// Writes `bytes` at `ptr` in guest memory: `SUCCESS`, or `FAULT` when out of bounds.
fn write_out<H>(
    caller: &mut Caller<'_, HostState<H>>,
    ptr: i32,
    bytes: &[u8],
) -> Result<i32, wasmi::Error> {
    let memory = memory::exported(caller)?;
    let data = memory.data_mut(caller);
    Ok(memory::write(data, ptr, bytes).map_or(errno::FAULT, |()| errno::SUCCESS))
}

/// Defines every WASI function in `linker`.
pub(crate) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    fd::link(linker)?;
    path::link(linker)?;
    poll::link(linker)?;
    process::link(linker)?;
    for sig in SIGNATURES.iter().filter(|s| s.module == WASI) {
        if let Provided::Stub(code) = sig.provided {
            let ty = FuncType::new(
                sig.params.iter().map(|t| t.engine()),
                sig.results.iter().map(|t| t.engine()),
            );
            linker.func_new(WASI, sig.name, ty, move |mut caller, _params, results| {
                fee(&mut caller)?;
                results[0] = Val::I32(code);
                Ok(())
            })?;
        }
    }
    Ok(())
}
