//! The host's key/value store (`jinn.kv_get` / `gojinn.host_kv_set`).
//!
//! Reads use `jinn.kv_get`, which reports a value's full length when it does
//! not fit (Gojinn's `host_kv_get` would cut it to the buffer).
//!
//! Which keys a function may read or write is up to the host; a key it may
//! not read looks missing.

use crate::imports;

/// Size of the buffer offered on the first read. Larger values cost one more
/// host call, with a buffer of exactly the value's size.
pub const FIRST_READ_SIZE: usize = 4096;

/// How many exact-size retries [`get`] makes before giving up on a value that
/// keeps growing between calls.
const MAX_RETRIES: usize = 4;

/// Reads the value stored under `key`, or `None` when it is missing (or the
/// host denies access).
///
/// Offers the host a [`FIRST_READ_SIZE`] buffer first; when the value is
/// larger, the host writes nothing and reports its length, and the read is
/// retried with a buffer of exactly that length.
pub fn get(key: &str) -> Option<Vec<u8>> {
    let mut buffer = vec![0u8; FIRST_READ_SIZE];
    for _ in 0..=MAX_RETRIES {
        let length = imports::kv_get(key.as_bytes(), &mut buffer);
        let length = usize::try_from(length).ok()?;
        if length <= buffer.len() {
            buffer.truncate(length);
            return Some(buffer);
        }
        buffer = vec![0u8; length];
    }
    None
}

/// Reads the value stored under `key` as text; bytes that are not UTF-8 are
/// replaced with U+FFFD. `None` when the key is missing.
pub fn get_string(key: &str) -> Option<String> {
    let bytes = get(key)?;
    Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Stores `value` under `key`, replacing any previous value.
///
/// The host gives no answer: a write it refuses is dropped silently.
pub fn set(key: &str, value: impl AsRef<[u8]>) {
    imports::kv_set(key.as_bytes(), value.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_is_none() {
        assert_eq!(get("nope"), None);
        assert_eq!(get_string("nope"), None);
    }

    #[test]
    fn small_and_empty_values() {
        set("a", "1");
        set("empty", "");
        assert_eq!(get("a").as_deref(), Some(&b"1"[..]));
        assert_eq!(get("empty"), Some(Vec::new()));
        assert_eq!(get_string("a").as_deref(), Some("1"));
    }

    #[test]
    fn value_exactly_first_read_size() {
        let value = vec![7u8; FIRST_READ_SIZE];
        set("k", &value);
        assert_eq!(get("k"), Some(value));
    }

    #[test]
    fn large_value_is_read_with_an_exact_retry() {
        let value: Vec<u8> = (0..FIRST_READ_SIZE * 3 + 5).map(|i| i as u8).collect();
        set("big", &value);
        assert_eq!(get("big"), Some(value));
    }

    #[test]
    fn non_utf8_value_is_lossy_text() {
        set("bin", [b'o', b'k', 0xff]);
        assert_eq!(get_string("bin").as_deref(), Some("ok\u{fffd}"));
    }
}
