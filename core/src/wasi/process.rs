//! Arguments, environment, clocks, randomness, exit and yield.

use alloc::string::String;

use wasmi::{Caller, Linker};

use super::{errno, write_out};
use crate::imports::WASI;
use crate::memory;
use crate::metering::{self, HOST_CALL_FUEL, RANDOM_BYTE_FUEL, charge, checkpoint, cost, fee};
use crate::ports::Host;
use crate::state::HostState;

type Ctx<'a, H> = Caller<'a, HostState<H>>;

const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME: i32 = 2;
const CLOCK_THREAD_CPUTIME: i32 = 3;

/// Which string list: `argv` or `environ`.
#[derive(Clone, Copy)]
enum List {
    Args,
    Env,
}

fn for_each_entry<H>(state: &HostState<H>, list: List, mut f: impl FnMut(&[&str])) {
    match list {
        List::Args => state.manifest.args.iter().for_each(|a| f(&[a.as_str()])),
        List::Env => state
            .manifest
            .env
            .iter()
            .for_each(|(k, v)| f(&[k.as_str(), "=", v.as_str()])),
    }
}

fn sizes_get<H: Host>(
    mut caller: Ctx<'_, H>,
    list: List,
    count_out: i32,
    size_out: i32,
) -> Result<i32, wasmi::Error> {
    let (mut count, mut size) = (0u32, 0u32);
    for_each_entry(caller.data(), list, |parts| {
        count = count.saturating_add(1);
        let len = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        size = size.saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
    });
    checkpoint(&mut caller, false)?;
    charge(&mut caller, cost(u64::from(size)))?;
    let memory = memory::exported(&caller)?;
    let data = memory.data_mut(&mut caller);
    let ok = memory::write(data, count_out, &count.to_le_bytes())
        .and_then(|()| memory::write(data, size_out, &size.to_le_bytes()));
    Ok(ok.map_or(errno::FAULT, |()| errno::SUCCESS))
}

fn list_get<H: Host>(
    mut caller: Ctx<'_, H>,
    list: List,
    pointers: i32,
    buf: i32,
) -> Result<i32, wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let mut entries = alloc::vec::Vec::new();
    for_each_entry(caller.data(), list, |parts| {
        let mut s = String::new();
        parts.iter().for_each(|p| s.push_str(p));
        s.push('\0');
        entries.push(s);
    });
    let memory = memory::exported(&caller)?;
    let data = memory.data_mut(&mut caller);
    let mut at = Some(buf as u32);
    let mut moved = 0u64;
    for (i, entry) in entries.iter().enumerate() {
        // Pointers that would wrap past 4 GiB are out of bounds, not wrapped.
        let slot = u32::try_from(i)
            .ok()
            .and_then(|i| i.checked_mul(4))
            .and_then(|offset| (pointers as u32).checked_add(offset));
        let ok = slot.zip(at).and_then(|(slot, at)| {
            memory::write(data, slot as i32, &at.to_le_bytes())
                .and_then(|()| memory::write(data, at as i32, entry.as_bytes()))
        });
        if ok.is_none() {
            return Ok(errno::FAULT);
        }
        at = at.and_then(|a| a.checked_add(u32::try_from(entry.len()).ok()?));
        moved += entry.len() as u64;
    }
    charge(&mut caller, cost(moved))?;
    Ok(errno::SUCCESS)
}

fn clock_time_get<H: Host>(
    mut caller: Ctx<'_, H>,
    id: i32,
    _precision: i64,
    out: i32,
) -> Result<i32, wasmi::Error> {
    let now = match id {
        CLOCK_REALTIME => caller.data_mut().host.wall_clock_ns(),
        CLOCK_MONOTONIC => caller.data_mut().host.monotonic_ns(),
        // CPU time is the fuel used so far (one unit ≈ one nanosecond):
        // deterministic, and it measures what the call is billed for.
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => {
            let in_store = caller.get_fuel().unwrap_or(0);
            caller.data().fuel.granted - in_store
        }
        _ => {
            fee(&mut caller)?;
            return Ok(errno::INVAL);
        }
    };
    fee(&mut caller)?;
    write_out(&mut caller, out, &now.to_le_bytes())
}

fn clock_res_get<H: Host>(mut caller: Ctx<'_, H>, id: i32, out: i32) -> Result<i32, wasmi::Error> {
    let resolution: u64 = match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC => 1_000,
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => 1,
        _ => {
            fee(&mut caller)?;
            return Ok(errno::INVAL);
        }
    };
    fee(&mut caller)?;
    write_out(&mut caller, out, &resolution.to_le_bytes())
}

/// `random_get` fills at most this many bytes between two checks of the deadline.
const RANDOM_CHUNK: usize = 16 * 1024;

fn random_get<H: Host>(mut caller: Ctx<'_, H>, buf: i32, len: i32) -> Result<i32, wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let memory = memory::exported(&caller)?;
    let Some(r) = memory::range(memory.data(&caller), buf, len) else {
        return Ok(errno::FAULT);
    };
    charge(
        &mut caller,
        HOST_CALL_FUEL + r.len() as u64 * RANDOM_BYTE_FUEL,
    )?;
    let used = metering::used(&caller);
    let (data, state) = memory.data_and_store_mut(&mut caller);
    for (i, chunk) in data[r].chunks_mut(RANDOM_CHUNK).enumerate() {
        if i > 0 {
            metering::ask(state, used)?;
        }
        state.host.fill_bytes(chunk);
    }
    Ok(errno::SUCCESS)
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(WASI, "args_sizes_get", |c: Ctx<'_, H>, n: i32, s: i32| {
        sizes_get(c, List::Args, n, s)
    })?;
    linker.func_wrap(WASI, "args_get", |c: Ctx<'_, H>, p: i32, b: i32| {
        list_get(c, List::Args, p, b)
    })?;
    linker.func_wrap(
        WASI,
        "environ_sizes_get",
        |c: Ctx<'_, H>, n: i32, s: i32| sizes_get(c, List::Env, n, s),
    )?;
    linker.func_wrap(WASI, "environ_get", |c: Ctx<'_, H>, p: i32, b: i32| {
        list_get(c, List::Env, p, b)
    })?;
    linker.func_wrap(WASI, "clock_time_get", clock_time_get::<H>)?;
    linker.func_wrap(WASI, "clock_res_get", clock_res_get::<H>)?;
    linker.func_wrap(WASI, "random_get", random_get::<H>)?;
    linker.func_wrap(WASI, "sched_yield", |mut c: Ctx<'_, H>| {
        fee(&mut c)?;
        Ok::<_, wasmi::Error>(errno::SUCCESS)
    })?;
    linker.func_wrap(
        WASI,
        "proc_exit",
        |mut c: Ctx<'_, H>, code: i32| -> Result<(), wasmi::Error> {
            c.data_mut().exit_code = Some(code);
            Err(wasmi::Error::i32_exit(code))
        },
    )?;
    Ok(())
}
