//! The trace id of a call: the trace-id of a W3C `traceparent`, else an
//! `X-Request-Id` of 1–128 printable ASCII characters, else 16 random bytes
//! in lowercase hex. Every target applies this one rule; the id reaches the
//! guest as `trace_id` and comes back in the target's answer and logs.

use alloc::string::String;

use crate::headers::{self, Headers};

/// The trace-id of a W3C `traceparent` value (`version-traceid-parentid-flags`),
/// lowercase; `None` unless it is 32 hex digits, not all zero.
pub fn from_traceparent(value: &str) -> Option<String> {
    let mut parts = value.trim().split('-');
    let (_version, id) = (parts.next()?, parts.next()?);
    let ok = parts.count() >= 2
        && id.len() == 32
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && id.bytes().any(|b| b != b'0');
    ok.then(|| id.to_ascii_lowercase())
}

/// An `X-Request-Id` value as a trace id: trimmed, 1–128 printable ASCII
/// characters, else `None`.
pub fn from_request_id(value: &str) -> Option<String> {
    let value = value.trim();
    ((1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| String::from(value))
}

/// The rule: `traceparent`, else `request_id`, else 16 bytes from `random`.
pub fn trace_id(
    traceparent: Option<&str>,
    request_id: Option<&str>,
    random: impl FnOnce(&mut [u8]),
) -> String {
    traceparent
        .and_then(from_traceparent)
        .or_else(|| request_id.and_then(from_request_id))
        .unwrap_or_else(|| {
            let mut id = [0u8; 16];
            random(&mut id);
            hex(&id)
        })
}

/// The rule applied to envelope headers (`Traceparent`, `X-Request-Id`, any case).
pub fn of_headers(headers: &Headers, random: impl FnOnce(&mut [u8])) -> String {
    trace_id(
        headers::first(headers, "traceparent"),
        headers::first(headers, "x-request-id"),
        random,
    )
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const TP: &str = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparent_then_request_id_then_random() {
        let never = |_: &mut [u8]| panic!("not needed");
        assert_eq!(
            trace_id(Some(TP), Some("req-1"), never),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(trace_id(Some("garbage"), Some(" req-1 "), never), "req-1");
        assert_eq!(
            trace_id(None, None, |b| b.fill(0xab)),
            "abababababababababababababababab"
        );
    }

    #[test]
    fn bad_values_fall_through() {
        let zero = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        assert_eq!(from_traceparent(zero), None);
        assert_eq!(
            from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736"),
            None
        );
        assert_eq!(from_request_id(""), None);
        assert_eq!(from_request_id("has space"), None);
        assert_eq!(from_request_id(&"x".repeat(129)), None);
        assert!(from_request_id(&"x".repeat(128)).is_some());
    }

    #[test]
    fn headers_are_looked_up_in_any_case() {
        let mut h = Headers::new();
        h.insert("Traceparent".into(), vec![TP.into()]);
        assert_eq!(
            of_headers(&h, |_| panic!("not needed")),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let mut h = Headers::new();
        h.insert("X-Request-Id".into(), vec!["r".into()]);
        assert_eq!(of_headers(&h, |_| panic!("not needed")), "r");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0, 0xab, 255]), "00abff");
    }
}
