//! The contract codec and the excerpts of guest bytes: guest output and
//! request envelopes never panic the parser, what is accepted round-trips,
//! and what reaches a log or an error message is bounded and escaped.

use arbitrary::{Arbitrary, Unstructured};
use jinn_core::contract::OutputError;
use jinn_core::contract::headers::{
    MAX_RESPONSE_HEADER_BYTES, MAX_RESPONSE_HEADERS, canonical_name,
};
use jinn_core::excerpt::{EXCERPT_BYTES, escaped, quoted, redact_literals};
use jinn_core::{Headers, InvokeError, Request, Response};

/// A request as a target builds it from an HTTP request.
#[derive(Debug, Arbitrary)]
struct Envelope {
    method: String,
    uri: String,
    headers: Vec<(String, Vec<String>)>,
    body: Vec<u8>,
    trace_id: Option<String>,
}

/// Checks the parsers on `data` as guest output and as an envelope, the
/// envelope builder on an envelope made from `data`, and the excerpts.
///
/// # Panics
///
/// When a property fails.
pub fn check(data: &[u8]) {
    guest_output(data);
    if let Ok(request) = Request::from_json(data) {
        assert_eq!(Request::from_json(&request.to_json()).ok(), Some(request));
    }
    if let Ok(envelope) = Envelope::arbitrary(&mut Unstructured::new(data)) {
        built_envelope(envelope);
    }
    excerpts(data);
}

fn guest_output(data: &[u8]) {
    match Response::from_guest_output(data) {
        Ok(response) => {
            assert!(
                (200..=599).contains(&response.status),
                "{}",
                response.status
            );
            let values: usize = response.headers.values().map(Vec::len).sum();
            assert!(values <= MAX_RESPONSE_HEADERS);
            let bytes: usize = response
                .headers
                .iter()
                .map(|(k, vs)| vs.iter().map(|v| k.len() + v.len()).sum::<usize>())
                .sum();
            assert!(bytes <= MAX_RESPONSE_HEADER_BYTES);
            let again = Response::from_guest_output(&response.to_json());
            assert_eq!(again.ok(), Some(response));
        }
        Err(e @ OutputError::Bad(_)) => {
            // What the call reports never carries a string the guest wrote.
            let InvokeError::BadOutput(detail) = InvokeError::from(e) else {
                panic!("bad output is not BadOutput");
            };
            assert!(detail.len() <= 160);
            if let Some(quoted) = detail.split('"').nth(1) {
                assert_eq!(quoted, "…", "{detail}");
            }
        }
        Err(OutputError::Empty) => assert!(data.iter().all(u8::is_ascii_whitespace)),
    }
}

fn built_envelope(e: Envelope) {
    let mut headers = Headers::new();
    for (name, values) in e.headers {
        let canonical = canonical_name(&name);
        assert_eq!(canonical_name(&canonical), canonical);
        headers.entry(canonical).or_default().extend(values);
    }
    let request = Request {
        method: e.method,
        uri: e.uri,
        headers,
        body: e.body,
        trace_id: e.trace_id,
    };
    let json = request.to_json();
    assert!(!json.is_empty());
    assert_eq!(Request::from_json(&json).ok(), Some(request));
}

fn excerpts(data: &[u8]) {
    let shown = quoted(data, EXCERPT_BYTES);
    assert!(shown.len() <= EXCERPT_BYTES + 40, "{}", shown.len());
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    let text = String::from_utf8_lossy(data);
    let line = escaped(&text, 256);
    assert!(line.len() <= 256 + '…'.len_utf8());
    assert!(!line.chars().any(char::is_control), "{line:?}");
    let redacted = redact_literals(&text);
    assert!(redacted.len() <= text.len() + 8 * (text.matches(['"', '`']).count() + 1));
}
