//! `echo-tiny`: `echo` on the tiny SDK — the request body byte for byte.
//!
//! The response has status `200`, the request's body and `body_encoding`
//! unchanged (so binary bodies round-trip exactly), the request's
//! `Content-Type` (default `application/octet-stream`), and:
//!
//! - `X-Echo-Method` and `X-Echo-Uri`: the request's method and URI;
//! - `X-Echo-Trace-Id`: the trace id, when the request has one;
//! - `X-Echo-Header-<Name>`: for every request header `<Name>`, its values.
#![cfg_attr(target_arch = "wasm32", no_std)]

use jinn_guest::tiny::{Request, Response};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: Request<'_>) -> Response<'_> {
    let response = match request
        .header_values("Content-Type")
        .filter(|values| !values.is_empty())
    {
        Some(values) => Response::new(200).header_values("Content-Type", values),
        None => Response::new(200).set_header("Content-Type", "application/octet-stream"),
    };
    let mut response = response
        .header("X-Echo-Method", request.method)
        .header("X-Echo-Uri", request.uri);
    if let Some(trace_id) = request.trace_id {
        response = response.header("X-Echo-Trace-Id", trace_id);
    }
    // The body goes back exactly as it came, encoding included.
    response
        .forward_headers("X-Echo-Header-", request.headers)
        .encoded_body(request.body, request.body_encoding)
}

jinn_guest::tiny::main!(handle);

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_guest::tiny::write::Buffer;

    fn call(envelope: &str) -> String {
        let mut input = envelope.as_bytes().to_vec();
        let mut out = Buffer::<1024>::new();
        jinn_guest::tiny::run_with(&mut input, &mut out, handle);
        out.as_str().unwrap().to_string()
    }

    #[test]
    fn echoes_text() {
        assert_eq!(
            call(
                r#"{"method":"POST","uri":"/e?x=1","headers":{"Content-Type":["text/plain"],"X-A":["1","2"]},"body":"hi","trace_id":"t9"}"#
            ),
            r#"{"status":200,"headers":{"Content-Type":["text/plain"],"X-Echo-Method":["POST"],"X-Echo-Uri":["/e?x=1"],"X-Echo-Trace-Id":["t9"],"X-Echo-Header-Content-Type":["text/plain"],"X-Echo-Header-X-A":["1","2"]},"body":"hi"}"#
        );
    }

    #[test]
    fn echoes_binary_with_default_content_type() {
        assert_eq!(
            call(r#"{"body":"AP8Q","body_encoding":"base64"}"#),
            r#"{"status":200,"headers":{"Content-Type":["application/octet-stream"],"X-Echo-Method":["GET"],"X-Echo-Uri":["/"]},"body":"AP8Q","body_encoding":"base64"}"#
        );
    }
}
