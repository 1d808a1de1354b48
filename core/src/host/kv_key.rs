//! The checks of a KV key both host modules make, and the note of a refusal
//! (the key quoted as a short excerpt, never copied whole into a log).

use alloc::format;

use super::note;
use crate::excerpt::{EXCERPT_BYTES, quoted_part};
use crate::ports::{Host, LogLevel};
use crate::state::HostState;

/// Why a key may not be used (for the log), or `None` when it may. `key` is
/// what was copied of it, `len` its full length.
pub(super) fn refused_key<H>(
    state: &HostState<H>,
    key: &[u8],
    len: usize,
    write: bool,
) -> Option<&'static str> {
    let limits = &state.manifest.limits;
    let permissions = &state.manifest.permissions;
    match core::str::from_utf8(key) {
        _ if len > limits.kv_key_bytes as usize => Some("key too long"),
        Err(_) => Some("key is not UTF-8"),
        Ok(k) if write && !permissions.may_write(k) => Some("not permitted"),
        Ok(k) if !write && !permissions.may_read(k) => Some("not permitted"),
        Ok(_) => None,
    }
}

/// Counts and logs a refused KV `op` (`read` or `write`): the key as an
/// excerpt of what was copied of it (`key`) and its full length.
pub(super) fn denied<H: Host>(
    state: &mut HostState<H>,
    op: &str,
    why: &str,
    key: &[u8],
    key_len: usize,
) {
    state.stats.kv_denied += 1;
    let shown = quoted_part(&key[..key.len().min(EXCERPT_BYTES)], key_len, EXCERPT_BYTES);
    note(
        state,
        LogLevel::Warn,
        &format!("kv {op} denied ({why}): key {shown}"),
    );
}
