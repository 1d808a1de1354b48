//! Module `gojinn`: `host_log`, `host_kv_get`, `host_kv_set`, with Gojinn's exact signatures.
//!
//! Differences from Gojinn, all on purpose: `host_kv_get` never truncates —
//! when the value is longer than `out_max` nothing is written and the full
//! length is returned (Gojinn's Rust SDK reads `written > buffer.len()` as
//! "does not fit"); permissions match exactly (see `permissions`); and the
//! store behind it works.

use alloc::format;
use alloc::string::String;

use jinn_contract::abi::KV_MISSING as MISSING;
use wasmi::Linker;

use super::{Ctx, note, read_guest, read_str};
use crate::fault::HostFault;
use crate::imports::GOJINN;
use crate::memory;
use crate::metering::{charge, cost};
use crate::ports::{Host, LogLevel};
use crate::state::HostState;

fn host_log<H: Host>(
    mut caller: Ctx<'_, H>,
    level: i32,
    ptr: i32,
    len: i32,
) -> Result<(), wasmi::Error> {
    let bytes = read_guest(&caller, ptr, len)?;
    charge(&mut caller, cost(bytes.len() as u64))?;
    let state = caller.data_mut();
    let cap = state.manifest.limits.log_line_bytes as usize;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(cap)]);
    note(state, LogLevel::from_gojinn(level), &text);
    Ok(())
}

fn host_kv_get<H: Host>(
    mut caller: Ctx<'_, H>,
    k_ptr: i32,
    k_len: i32,
    out_ptr: i32,
    out_max: i32,
) -> Result<i64, wasmi::Error> {
    let key = read_str(&caller, k_ptr, k_len)?;
    {
        let memory = memory::exported(&caller)?;
        if memory::range(memory.data(&caller), out_ptr, out_max).is_none() {
            return Err(HostFault::MemoryOutOfBounds.into());
        }
    }
    let state = caller.data_mut();
    let limits = &state.manifest.limits;
    let key = match key {
        Some(k)
            if k.len() <= limits.kv_key_bytes as usize
                && state.manifest.permissions.may_read(&k) =>
        {
            k
        }
        other => {
            state.stats.kv_denied += 1;
            let shown = other.as_deref().unwrap_or("<not utf-8>");
            note(
                state,
                LogLevel::Warn,
                &format!("kv read denied: key `{shown}`"),
            );
            charge(&mut caller, cost(0))?;
            return Ok(MISSING);
        }
    };
    let mut value = core::mem::take(&mut state.scratch);
    let found = state.host.kv_get(&key, &mut value);
    let result = match found {
        Ok(true) => {
            state.stats.kv_reads += 1;
            Ok(value.len())
        }
        Ok(false) => {
            state.stats.kv_reads += 1;
            Err(())
        }
        Err(e) => {
            state.stats.kv_errors += 1;
            note(
                state,
                LogLevel::Warn,
                &format!("kv read of `{key}` failed: {e}"),
            );
            Err(())
        }
    };
    let answer = match result {
        Ok(len) if len <= out_max as u32 as usize => {
            let memory = memory::exported(&caller)?;
            // In bounds: the whole out buffer was checked above.
            let _ = memory::write(memory.data_mut(&mut caller), out_ptr, &value);
            charge(&mut caller, cost(key.len() as u64 + len as u64))?;
            len as i64
        }
        Ok(len) => {
            charge(&mut caller, cost(key.len() as u64))?;
            len as i64
        }
        Err(()) => {
            charge(&mut caller, cost(key.len() as u64))?;
            MISSING
        }
    };
    value.clear();
    caller.data_mut().scratch = value;
    Ok(answer)
}

fn host_kv_set<H: Host>(
    mut caller: Ctx<'_, H>,
    k_ptr: i32,
    k_len: i32,
    v_ptr: i32,
    v_len: i32,
) -> Result<(), wasmi::Error> {
    let key = read_str(&caller, k_ptr, k_len)?;
    let value = read_guest(&caller, v_ptr, v_len)?;
    charge(
        &mut caller,
        cost(u64::from(k_len as u32) + value.len() as u64),
    )?;
    let state = caller.data_mut();
    let limits = &state.manifest.limits;
    let refusal = match &key {
        None => Some("key is not UTF-8"),
        Some(k) if k.len() > limits.kv_key_bytes as usize => Some("key too long"),
        Some(_) if value.len() > limits.kv_value_bytes as usize => Some("value too large"),
        Some(k) if !state.manifest.permissions.may_write(k) => Some("not permitted"),
        Some(_) => None,
    };
    let shown = key.as_deref().unwrap_or("<not utf-8>");
    if let Some(why) = refusal {
        state.stats.kv_denied += 1;
        note(
            state,
            LogLevel::Warn,
            &format!("kv write denied ({why}): key `{shown}`"),
        );
        return Ok(());
    }
    match state.host.kv_set(shown, &value) {
        Ok(()) => state.stats.kv_writes += 1,
        Err(e) => {
            state.stats.kv_errors += 1;
            note(
                state,
                LogLevel::Warn,
                &format!("kv write of `{shown}` failed: {e}"),
            );
        }
    }
    Ok(())
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(GOJINN, "host_log", host_log::<H>)?;
    linker.func_wrap(GOJINN, "host_kv_get", host_kv_get::<H>)?;
    linker.func_wrap(GOJINN, "host_kv_set", host_kv_set::<H>)?;
    Ok(())
}
