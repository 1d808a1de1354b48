//! One KV read for both host modules: permission and cap checks, the call's
//! own staged writes, else the store (the read recorded for the commit's
//! validation, see [`crate::staged`]), stats and notes; they differ only in
//! what happens when the value does not fit the guest's buffer ([`Fit`]).

use alloc::format;

use jinn_contract::abi::KV_MISSING as MISSING;

use alloc::string::String;

use super::kv_key::{denied, refused_key};
use super::{Ctx, note, read_prefix};
use crate::excerpt::{EXCERPT_BYTES, quoted};
use crate::fault::HostFault;
use crate::memory;
use crate::metering::{KV_READ_FUEL, charge, checkpoint, cost};
use crate::ports::{Host, LogLevel};
use crate::staged::{READ_OVERHEAD, digest};
use crate::state::HostState;

/// What a read does with a value longer than the guest's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fit {
    /// Gojinn's `host_kv_get`: copy what fits, return the bytes written.
    Truncate,
    /// `jinn.kv_get`: write nothing, return the full length, so the guest
    /// can retry with a buffer of that size.
    Whole,
}

/// Reads the key at `k_ptr..k_ptr+k_len` into `out_ptr..out_ptr+out_max`.
pub(super) fn kv_read<H: Host>(
    mut caller: Ctx<'_, H>,
    k_ptr: i32,
    k_len: i32,
    out_ptr: i32,
    out_max: i32,
    fit: Fit,
) -> Result<i64, wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let key_len = k_len as u32 as usize;
    let key_cap = caller.data().manifest.limits.kv_key_bytes as usize;
    let key = read_prefix(&caller, k_ptr, k_len, EXCERPT_BYTES.max(key_cap))?;
    {
        let memory = memory::exported(&caller)?;
        if memory::range(memory.data(&caller), out_ptr, out_max).is_none() {
            return Err(HostFault::MemoryOutOfBounds.into());
        }
    }
    let state = caller.data_mut();
    if let Some(why) = refused_key(state, &key, key_len, false) {
        denied(state, "read", why, &key, key_len);
        charge(&mut caller, cost(key.len() as u64))?;
        return Ok(MISSING);
    }
    // The lookup is paid for before it is made.
    charge(&mut caller, KV_READ_FUEL)?;
    let state = caller.data_mut();
    // Checked above: the key is UTF-8 and within the cap.
    let key = String::from_utf8(key).unwrap_or_default();
    let mut value = core::mem::take(&mut state.scratch);
    let found = match read(state, &key, &mut value) {
        Ok(found) => {
            state.stats.kv_reads += 1;
            found
        }
        Err(fault) => {
            caller.data_mut().scratch = value;
            return Err(fault.into());
        }
    };
    let room = out_max as u32 as usize;
    let answer = if !found {
        charge(&mut caller, cost(key.len() as u64))?;
        MISSING
    } else {
        let written = match fit {
            Fit::Truncate => value.len().min(room),
            Fit::Whole if value.len() <= room => value.len(),
            Fit::Whole => 0,
        };
        charge(&mut caller, cost((key.len() + written) as u64))?;
        let memory = memory::exported(&caller)?;
        // In bounds: the whole out buffer was checked above.
        let _ = memory::write(memory.data_mut(&mut caller), out_ptr, &value[..written]);
        match fit {
            Fit::Truncate => written as i64,
            Fit::Whole => value.len() as i64,
        }
    };
    value.clear();
    caller.data_mut().scratch = value;
    Ok(answer)
}

/// A read as the call sees it: its own staged write of `key`, else the
/// store's value, whose digest is recorded at the key's first read.
fn read<H: Host>(
    state: &mut HostState<H>,
    key: &str,
    value: &mut alloc::vec::Vec<u8>,
) -> Result<bool, HostFault> {
    value.clear();
    if let Some(staged) = state.staged.writes.get(key) {
        value.extend_from_slice(staged);
        return Ok(true);
    }
    let first = !state.staged.reads.contains_key(key);
    if first {
        let size = key.len() + READ_OVERHEAD;
        if state.kv_transaction_bytes + size > state.manifest.limits.kv_transaction_bytes as usize {
            return Err(HostFault::TransactionTooLarge);
        }
        state.kv_transaction_bytes += size;
    }
    match state.host.kv_get(key, value) {
        Ok(found) => {
            if first {
                let seen = digest(found.then_some(value.as_slice()));
                state.staged.reads.insert(key.into(), seen);
            }
            Ok(found)
        }
        Err(e) => {
            state.stats.kv_errors += 1;
            let shown = quoted(key.as_bytes(), EXCERPT_BYTES);
            note(
                state,
                LogLevel::Warn,
                &format!("kv read of {shown} failed: {e}"),
            );
            Err(HostFault::Storage)
        }
    }
}
