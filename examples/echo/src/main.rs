//! `echo`: returns the request body byte for byte.
//!
//! The response has status `200`, the request's body and `body_encoding`
//! unchanged (so binary bodies round-trip exactly), the request's
//! `Content-Type` (default `application/octet-stream`), and:
//!
//! - `X-Echo-Method` and `X-Echo-Uri`: the request's method and URI;
//! - `X-Echo-Trace-Id`: the trace id, when the request has one;
//! - `X-Echo-Header-<Name>`: for every request header `<Name>`, its values.

use jinn_guest::{Request, Response};

fn handle(request: Request) -> Response {
    let content_type = request
        .header_values("Content-Type")
        .filter(|values| !values.is_empty())
        .map(<[String]>::to_vec)
        .unwrap_or_else(|| vec!["application/octet-stream".to_string()]);

    let mut response = Response::new(200)
        .header_values("Content-Type", content_type)
        .header("X-Echo-Method", request.method)
        .header("X-Echo-Uri", request.uri);
    if let Some(trace_id) = request.trace_id {
        response = response.header("X-Echo-Trace-Id", trace_id);
    }
    for (name, values) in request.headers {
        response = response.header_values(format!("X-Echo-Header-{name}"), values);
    }
    // The body goes back exactly as it came, encoding included.
    response.body = request.body;
    response.body_encoding = request.body_encoding;
    response
}

fn main() {
    jinn_guest::run(handle);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_text() {
        let request = Request::parse(
            br#"{"method":"POST","uri":"/e?x=1","headers":{"Content-Type":["text/plain"],"X-A":["1","2"]},"body":"hi","trace_id":"t9"}"#,
        )
        .unwrap();
        let response = handle(request);
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "hi");
        assert_eq!(response.body_encoding, None);
        assert_eq!(response.headers["Content-Type"], vec!["text/plain"]);
        assert_eq!(response.headers["X-Echo-Method"], vec!["POST"]);
        assert_eq!(response.headers["X-Echo-Uri"], vec!["/e?x=1"]);
        assert_eq!(response.headers["X-Echo-Trace-Id"], vec!["t9"]);
        assert_eq!(response.headers["X-Echo-Header-X-A"], vec!["1", "2"]);
        assert_eq!(
            response.headers["X-Echo-Header-Content-Type"],
            vec!["text/plain"]
        );
    }

    #[test]
    fn echoes_binary_with_default_content_type() {
        let request = Request::parse(br#"{"body":"AP8Q","body_encoding":"base64"}"#).unwrap();
        let response = handle(request);
        assert_eq!(response.body, "AP8Q");
        assert_eq!(response.body_encoding.as_deref(), Some("base64"));
        assert_eq!(
            response.headers["Content-Type"],
            vec!["application/octet-stream"]
        );
        assert!(!response.headers.contains_key("X-Echo-Trace-Id"));
    }
}
