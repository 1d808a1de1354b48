//! The host's key/value store, into caller's buffers.
//!
//! Which keys a function may read or write is up to the host; a key it may
//! not read looks missing.

use crate::imports;

/// What [`get`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'b> {
    /// No such key (or no permission to read it).
    Missing,
    /// The value, in the caller's buffer.
    Found(&'b [u8]),
    /// The value is this many bytes, more than the buffer holds; nothing was
    /// copied.
    TooLarge(usize),
}

/// Reads the value stored under `key` into `buf`.
pub fn get<'b>(key: &str, buf: &'b mut [u8]) -> Lookup<'b> {
    let length = imports::kv_get(key.as_bytes(), buf);
    match usize::try_from(length) {
        Err(_) => Lookup::Missing,
        Ok(length) if length <= buf.len() => Lookup::Found(&buf[..length]),
        Ok(length) => Lookup::TooLarge(length),
    }
}

/// Stores `value` under `key`, replacing any previous value.
///
/// The host gives no answer: a write it refuses is dropped silently.
pub fn set(key: &str, value: &[u8]) {
    imports::kv_set(key.as_bytes(), value);
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn values_fit_or_say_how_large_they_are() {
        let mut buf = [0u8; 4];
        assert_eq!(get("tiny/none", &mut buf), Lookup::Missing);
        set("tiny/a", b"12");
        assert_eq!(get("tiny/a", &mut buf), Lookup::Found(b"12"));
        set("tiny/big", b"12345");
        assert_eq!(get("tiny/big", &mut buf), Lookup::TooLarge(5));
    }
}
