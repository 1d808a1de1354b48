//! An HTTP request → the envelope.

use alloc::string::String;
use alloc::vec::Vec;

use crate::headers;
use crate::request::Request;

/// The envelope of an HTTP request: `uri` is the request target (path and
/// query) as received, header names are Go-style and the values of one name
/// grouped in arrival order (bytes that are not UTF-8 become U+FFFD).
///
/// The trace id is left to the target, which applies [`crate::trace`] to the
/// request's headers, usually before the envelope exists (its error answers
/// carry the id too).
pub fn http<'h>(
    method: &str,
    uri: String,
    raw_headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    body: Vec<u8>,
) -> Request {
    Request {
        method: method.into(),
        uri,
        headers: headers::group(raw_headers),
        body,
        trace_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_canonical_and_values_grouped() {
        let raw = [
            ("content-type", &b"text/plain"[..]),
            ("x-a", b"1"),
            ("X-A", b"2"),
        ];
        let r = http("POST", "/e?x=1".into(), raw, b"hi".to_vec());
        assert_eq!(r.headers["Content-Type"], ["text/plain"]);
        assert_eq!(r.headers["X-A"], ["1", "2"]);
        assert_eq!(
            (r.method.as_str(), r.uri.as_str(), r.body.as_slice()),
            ("POST", "/e?x=1", &b"hi"[..])
        );
        assert_eq!(r.trace_id, None);
    }
}
