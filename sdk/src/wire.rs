//! The response envelope's JSON in the std SDK, written with the tiny SDK's
//! escapes ([`crate::tiny::write`]) between plain runs found a word at a
//! time ([`crate::scan`]) instead of serde_json's generic
//! serializer: the same bytes serde_json writes for
//! [`ResponseDoc`](jinn_contract::json::ResponseDoc), for a fraction of the
//! fuel. (The request is read by [`crate::envelope`].)

use crate::Response;
use crate::scan::plain_len;
use crate::tiny::write::{Sink, escape};

/// A [`Sink`] appending to a byte vector.
struct Bytes<'v>(&'v mut Vec<u8>);

impl Sink for Bytes<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Writes `"text"`, escaped as serde_json escapes it: the plain runs in
/// one piece each ([`plain_len`]), the bytes between them with the tiny
/// writer's escapes.
fn string(out: &mut Bytes<'_>, text: &str) {
    out.put(b"\"");
    let mut rest = text.as_bytes();
    loop {
        let plain = plain_len(rest);
        out.put(&rest[..plain]);
        let Some(special) = rest.get(plain..=plain) else {
            break;
        };
        escape(out, special);
        rest = &rest[plain + 1..];
    }
    out.put(b"\"");
}

/// The response envelope: `status`, `headers`, `body`, then `body_encoding`
/// when present, as one line of JSON.
pub(crate) fn write_response(response: &Response) -> Vec<u8> {
    // Room for a few headers; the vector grows for more.
    let mut bytes = Vec::with_capacity(256 + response.body.len());
    let out = &mut Bytes(&mut bytes);
    out.put(b"{\"status\":");
    out.put_u64(u64::from(response.status));
    out.put(b",\"headers\":{");
    for (i, (name, values)) in response.headers.iter().enumerate() {
        if i > 0 {
            out.put(b",");
        }
        string(out, name);
        out.put(b":[");
        for (j, value) in values.iter().enumerate() {
            if j > 0 {
                out.put(b",");
            }
            string(out, value);
        }
        out.put(b"]");
    }
    out.put(b"},\"body\":");
    string(out, &response.body);
    if let Some(encoding) = &response.body_encoding {
        out.put(b",\"body_encoding\":");
        string(out, encoding);
    }
    out.put(b"}");
    bytes
}

/// `{"error":"message"}`, as serde_json writes it.
pub(crate) fn error_body(message: &str) -> String {
    let mut bytes = Vec::with_capacity(message.len() + 16);
    let out = &mut Bytes(&mut bytes);
    out.put(b"{\"error\":");
    string(out, message);
    out.put(b"}");
    // Escaping keeps UTF-8 text UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_contract::json::ResponseDoc;

    #[test]
    fn writes_what_serde_json_writes() {
        let responses = [
            Response::new(204),
            Response::new(200)
                .header("Content-Type", "text/plain; charset=utf-8")
                .header("X-Two", "a")
                .header("X-Two", "b\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}/é😀")
                .header_values("X-None", Vec::<String>::new())
                .body("Hello \"quoted\" é\n\u{0}"),
            Response::new(500).binary_body(&[0, 0xff, 0x10]),
        ];
        for response in responses {
            let doc = ResponseDoc {
                status: response.status,
                headers: &response.headers,
                body: &response.body,
                body_encoding: response.body_encoding.as_deref(),
            };
            assert_eq!(
                String::from_utf8(write_response(&response)).unwrap(),
                serde_json::to_string(&doc).unwrap()
            );
        }
    }

    #[test]
    fn error_bodies_match_serde_json() {
        #[derive(serde::Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
        }
        for message in ["", "plain", "bad \"x\" \\ \n \u{1} é"] {
            assert_eq!(
                error_body(message),
                serde_json::to_string(&ErrorBody { error: message }).unwrap()
            );
        }
    }
}
