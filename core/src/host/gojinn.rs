//! Module `gojinn`: `host_log`, `host_kv_get`, `host_kv_set`, with Gojinn's exact signatures.
//!
//! `host_kv_get` is Gojinn's (v1.0.0 `host_functions.go`): it copies
//! `min(len, out_max)` bytes and returns the number written, −1 when the key
//! is missing or denied. Its result is `i64` in Gojinn and `i32` in the
//! gojinn-io fork and Gojinn's Go SDK; a module gets the one it imports
//! ([`crate::imports::KvResult`]). Differences from Gojinn, on purpose:
//! permissions match exactly (see `permissions`), an out-of-bounds pointer
//! traps instead of reading as 0, the store behind it works, and a call's
//! reads and writes are one transaction (writes staged, reads recorded: see
//! [`crate::staged`]), so concurrent read-modify-writes never lose an update.

use alloc::string::String;

use wasmi::Linker;

use super::kv_key::{denied, refused_key};
use super::kv_read::{Fit, kv_read};
use super::{Ctx, note, read_prefix};
use crate::excerpt::EXCERPT_BYTES;
use crate::fault::HostFault;
use crate::imports::{GOJINN, KvResult};
use crate::metering::{KV_COMMIT_FUEL, KV_WRITE_FUEL, charge, checkpoint, cost};
use crate::ports::{Host, LogLevel};
use crate::state::HostState;

fn host_log<H: Host>(
    mut caller: Ctx<'_, H>,
    level: i32,
    ptr: i32,
    len: i32,
) -> Result<(), wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let cap = caller.data().manifest.limits.log_line_bytes as usize;
    let bytes = read_prefix(&caller, ptr, len, cap)?;
    charge(&mut caller, cost(bytes.len() as u64))?;
    let state = caller.data_mut();
    note(
        state,
        LogLevel::from_gojinn(level),
        &String::from_utf8_lossy(&bytes),
    );
    Ok(())
}

fn host_kv_get<H: Host>(
    caller: Ctx<'_, H>,
    k_ptr: i32,
    k_len: i32,
    out_ptr: i32,
    out_max: i32,
) -> Result<i64, wasmi::Error> {
    kv_read(caller, k_ptr, k_len, out_ptr, out_max, Fit::Truncate)
}

fn host_kv_set<H: Host>(
    mut caller: Ctx<'_, H>,
    k_ptr: i32,
    k_len: i32,
    v_ptr: i32,
    v_len: i32,
) -> Result<(), wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let key_len = k_len as u32 as usize;
    let value_len = v_len as u32 as usize;
    let key_cap = caller.data().manifest.limits.kv_key_bytes as usize;
    let key = read_prefix(&caller, k_ptr, k_len, EXCERPT_BYTES.max(key_cap))?;
    let value_cap = caller.data().manifest.limits.kv_value_bytes as usize;
    // One byte over the cap is enough to know it is over.
    let value = read_prefix(&caller, v_ptr, v_len, value_cap.saturating_add(1))?;
    let state = caller.data_mut();
    let refusal = refused_key(state, &key, key_len, true)
        .or((value_len > value_cap).then_some("value too large"));
    if let Some(why) = refusal {
        denied(state, "write", why, &key, key_len);
        charge(&mut caller, cost(key.len() as u64))?;
        return Ok(());
    }
    // The call's first write pays for its one commit at the end.
    let commit = if state.staged.writes.is_empty() {
        KV_COMMIT_FUEL
    } else {
        0
    };
    charge(
        &mut caller,
        commit + KV_WRITE_FUEL + cost(key_len as u64 + value_len as u64),
    )?;
    let state = caller.data_mut();
    // Checked above: the key is UTF-8 and within the cap.
    let key = String::from_utf8(key).unwrap_or_default();
    let cap = state.manifest.limits.kv_transaction_bytes as usize;
    let grows_by = match state.staged.writes.get(&key) {
        Some(old) => value.len().saturating_sub(old.len()),
        None => key.len() + value.len(),
    };
    if state.kv_transaction_bytes + grows_by > cap {
        return Err(HostFault::TransactionTooLarge.into());
    }
    let shrinks_by = state
        .staged
        .writes
        .get(&key)
        .map_or(0, |old| old.len().saturating_sub(value.len()));
    state.kv_transaction_bytes = state.kv_transaction_bytes + grows_by - shrinks_by;
    state.staged.writes.insert(key, value);
    state.stats.kv_writes += 1;
    Ok(())
}

pub(super) fn link<H: Host>(
    linker: &mut Linker<HostState<H>>,
    kv_result: KvResult,
) -> Result<(), wasmi::Error> {
    linker.func_wrap(GOJINN, "host_log", host_log::<H>)?;
    match kv_result {
        KvResult::I64 => linker.func_wrap(GOJINN, "host_kv_get", host_kv_get::<H>)?,
        // The fork's and the Go SDK's `uint32`: −1 reads as 0xFFFFFFFF.
        KvResult::I32 => linker.func_wrap(
            GOJINN,
            "host_kv_get",
            |c: Ctx<'_, H>, kp: i32, kl: i32, op: i32, om: i32| {
                host_kv_get(c, kp, kl, op, om).map(|n| n as i32)
            },
        )?,
    };
    linker.func_wrap(GOJINN, "host_kv_set", host_kv_set::<H>)?;
    Ok(())
}
