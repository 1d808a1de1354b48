//! WASI preview1, implemented in the core: stdio on descriptors 0–2,
//! environment and arguments from the manifest, clocks and randomness from
//! the target's ports, `proc_exit`. Everything else links to a stub that
//! returns the errno a program expects when a capability is absent.

pub(crate) mod errno;
mod process;
mod stdio;

use wasmi::{Caller, FuncType, Linker, Val};

use crate::imports::{Provided, SIGNATURES, WASI};
use crate::memory;
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
    stdio::link(linker)?;
    process::link(linker)?;
    for sig in SIGNATURES.iter().filter(|s| s.module == WASI) {
        if let Provided::Stub(code) = sig.provided {
            let ty = FuncType::new(
                sig.params.iter().map(|t| t.engine()),
                sig.results.iter().map(|t| t.engine()),
            );
            linker.func_new(WASI, sig.name, ty, move |_caller, _params, results| {
                results[0] = Val::I32(code);
                Ok(())
            })?;
        }
    }
    Ok(())
}
