//! One KV read for both host modules: permission and cap checks, the store,
//! stats and notes; they differ only in what happens when the value does not
//! fit the guest's buffer ([`Fit`]).

use alloc::format;

use jinn_contract::abi::KV_MISSING as MISSING;

use super::{Ctx, note, read_str};
use crate::fault::HostFault;
use crate::memory;
use crate::metering::{charge, cost};
use crate::ports::{Host, LogLevel};

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
    let found = match state.host.kv_get(&key, &mut value) {
        Ok(found) => {
            state.stats.kv_reads += 1;
            found
        }
        Err(e) => {
            state.stats.kv_errors += 1;
            note(
                state,
                LogLevel::Warn,
                &format!("kv read of `{key}` failed: {e}"),
            );
            false
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
