//! Triggers → the request envelope the guest reads, built as the gateway
//! builds it: Go-style header names (`x-api-key` → `X-Api-Key`), the trace
//! id from `traceparent`, else `X-Request-Id`, else a fresh random one.
//!
//! An MQTT message becomes `{"method":"MQTT","uri":"<topic>","headers":
//! {"X-Mqtt-Topic":[topic],"X-Mqtt-Qos":["1"]},"body":"<payload>"}`.

use alloc::string::String;
use alloc::vec::Vec;

pub use jinn_core::contract::canonical_header_name as canonical;
use jinn_core::{Headers, Request};

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// The trace id of a request: W3C `traceparent`'s trace-id, else
/// `X-Request-Id`, else 16 random bytes from `random`.
pub fn trace_id(headers: &Headers, random: impl FnOnce(&mut [u8])) -> String {
    let from_traceparent = headers
        .get("Traceparent")
        .and_then(|v| v.first())
        .and_then(|v| {
            let mut parts = v.trim().split('-');
            let (_, id) = (parts.next()?, parts.next()?);
            let ok = parts.count() >= 2
                && id.len() == 32
                && id.bytes().all(|b| b.is_ascii_hexdigit())
                && id.bytes().any(|b| b != b'0');
            ok.then(|| id.to_ascii_lowercase())
        });
    from_traceparent
        .or_else(|| {
            headers
                .get("X-Request-Id")
                .and_then(|v| v.first())
                .map(|v| v.trim())
                .filter(|v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
                .map(String::from)
        })
        .unwrap_or_else(|| {
            let mut id = [0u8; 16];
            random(&mut id);
            hex(&id)
        })
}

/// An HTTP request: `uri` is the raw path and query as received.
pub fn http<'h>(
    method: &str,
    uri: String,
    headers: impl Iterator<Item = (&'h str, &'h [u8])>,
    body: &[u8],
    random: impl FnOnce(&mut [u8]),
) -> Request {
    let mut map = Headers::new();
    for (name, value) in headers {
        map.entry(canonical(name))
            .or_default()
            .push(String::from_utf8_lossy(value).into_owned());
    }
    let trace_id = trace_id(&map, random);
    Request {
        method: method.into(),
        uri,
        headers: map,
        body: body.to_vec(),
        trace_id: Some(trace_id),
    }
}

/// An MQTT message on `topic` delivered at `qos`.
pub fn mqtt(topic: &str, payload: &[u8], qos: u8, random: impl FnOnce(&mut [u8])) -> Request {
    let mut headers = Headers::new();
    headers.insert("X-Mqtt-Topic".into(), alloc::vec![topic.into()]);
    headers.insert(
        "X-Mqtt-Qos".into(),
        alloc::vec![String::from(char::from(b'0' + qos.min(2)))],
    );
    let mut id = [0u8; 16];
    random(&mut id);
    Request {
        method: "MQTT".into(),
        uri: topic.into(),
        headers,
        body: Vec::from(payload),
        trace_id: Some(hex(&id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_canonical_and_grouped() {
        let headers = [
            ("content-type", &b"text/plain"[..]),
            ("x-a", b"1"),
            ("X-A", b"2"),
        ];
        let r = http("POST", "/e?x=1".into(), headers.into_iter(), b"hi", |b| {
            b.fill(1)
        });
        assert_eq!(r.headers["Content-Type"], ["text/plain"]);
        assert_eq!(r.headers["X-A"], ["1", "2"]);
        assert_eq!(
            r.trace_id.as_deref(),
            Some("01010101010101010101010101010101")
        );
        assert_eq!(
            (r.method.as_str(), r.uri.as_str(), r.body.as_slice()),
            ("POST", "/e?x=1", &b"hi"[..])
        );
    }

    #[test]
    fn trace_id_prefers_traceparent_then_request_id() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let headers = [("traceparent", tp.as_bytes()), ("x-request-id", b"req-1")];
        let r = http("GET", "/".into(), headers.into_iter(), b"", |_| {
            panic!("not needed")
        });
        assert_eq!(
            r.trace_id.as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        let headers = [("x-request-id", &b"req-1"[..])];
        let r = http("GET", "/".into(), headers.into_iter(), b"", |_| {
            panic!("not needed")
        });
        assert_eq!(r.trace_id.as_deref(), Some("req-1"));
    }

    #[test]
    fn mqtt_envelope_names_the_topic() {
        let r = mqtt("sensors/t1", b"{}", 1, |b| b.fill(0xab));
        assert_eq!(r.method, "MQTT");
        assert_eq!(r.uri, "sensors/t1");
        assert_eq!(r.headers["X-Mqtt-Topic"], ["sensors/t1"]);
        assert_eq!(r.headers["X-Mqtt-Qos"], ["1"]);
        assert_eq!(r.body, b"{}");
    }
}
