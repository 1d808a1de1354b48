//! The response envelope a function writes to stdout.

use std::collections::BTreeMap;
use std::io::Write;

use jinn_contract::body;
use jinn_contract::json::{RawResponse, ResponseDoc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One response, built with chained calls and written with
/// [`Response::send`].
///
/// On the wire (stdout) it is a JSON object:
///
/// ```json
/// {"status": 200, "headers": {"Content-Type": ["text/plain"]}, "body": "hi"}
/// ```
///
/// with `"body_encoding": "base64"` added when the body is binary.
///
/// ```
/// use jinn_guest::Response;
///
/// let resp = Response::new(201)
///     .header("Content-Type", "text/plain; charset=utf-8")
///     .body("created\n");
/// assert_eq!(
///     resp.to_json(),
///     r#"{"status":201,"headers":{"Content-Type":["text/plain; charset=utf-8"]},"body":"created\n"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code. `0` is read by the runtime as `200`.
    pub status: u16,
    /// Header names to their values.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body: text, or base64 when `body_encoding` is `Some("base64")`.
    pub body: String,
    /// `Some("base64")` when `body` holds base64-encoded bytes.
    pub body_encoding: Option<String>,
}

impl Response {
    /// The document that writes it (jinn-contract's response format).
    fn doc(&self) -> ResponseDoc<'_> {
        ResponseDoc {
            status: self.status,
            headers: &self.headers,
            body: &self.body,
            body_encoding: self.body_encoding.as_deref(),
        }
    }
}

impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.doc().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Response {
    /// Reads a response document as the runtime does (absent fields and
    /// `null` are defaults, header values may be single strings); a status
    /// that is not a `u16` is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawResponse::deserialize(deserializer)?;
        let status = u16::try_from(raw.status).map_err(|_| {
            serde::de::Error::custom(format_args!("status {} out of range", raw.status))
        })?;
        Ok(Response {
            status,
            headers: raw.headers,
            body: raw.body,
            body_encoding: raw.body_encoding,
        })
    }
}

impl Default for Response {
    /// `200` with no headers and an empty body.
    fn default() -> Self {
        Response::new(200)
    }
}

impl Response {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: BTreeMap::new(),
            body: String::new(),
            body_encoding: None,
        }
    }

    /// A `200` response with no headers and an empty body.
    pub fn ok() -> Self {
        Response::new(200)
    }

    /// A response with `status` and the JSON body `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        Response::new(status)
            .header_values("Content-Type", ["application/json"])
            .body(crate::wire::error_body(message))
    }

    /// Adds `value` to header `name` (appending when `name` already has
    /// values).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers
            .entry(name.into())
            .or_default()
            .push(value.into());
        self
    }

    /// Sets header `name` to exactly `values`, replacing any header whose
    /// name matches case-insensitively.
    pub fn header_values<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        let name = name.into();
        self.headers
            .retain(|key, _| !key.eq_ignore_ascii_case(&name));
        self.headers
            .insert(name, values.into_iter().map(Into::into).collect());
        self
    }

    /// Sets a text body (clearing any `body_encoding`).
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self.body_encoding = None;
        self
    }

    /// Sets a body of raw bytes: sent as text when they are UTF-8, otherwise
    /// as base64 with `body_encoding` set to `base64`.
    pub fn binary_body(mut self, bytes: &[u8]) -> Self {
        let (text, encoding) = body::encode(bytes);
        self.body = text.into_owned();
        self.body_encoding = encoding.map(str::to_string);
        self
    }

    /// Sets the body to `value` serialized as JSON and `Content-Type` to
    /// `application/json`.
    ///
    /// If `value` cannot be serialized (a map with non-string keys, a
    /// failing `Serialize` impl), the response becomes a `500` whose body
    /// says why.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let response = self.header_values("Content-Type", ["application/json"]);
        match serde_json::to_string(value) {
            Ok(body) => response.body(body),
            Err(err) => {
                let message = serde_json::to_string(&err.to_string()).unwrap_or_default();
                Response {
                    status: 500,
                    ..response.body(format!("{{\"error\":{message}}}"))
                }
            }
        }
    }

    /// The response envelope as one line of JSON.
    pub fn to_json(&self) -> String {
        // The writer escapes UTF-8 text into UTF-8 text.
        String::from_utf8(crate::wire::write_response(self)).unwrap_or_default()
    }

    /// Writes the response envelope to `out` and flushes it.
    pub fn write_to(&self, mut out: impl Write) -> std::io::Result<()> {
        out.write_all(self.to_json().as_bytes())?;
        out.flush()
    }

    /// Writes the response envelope to stdout. A function should send exactly
    /// one response. Write errors are ignored: there is nowhere to report
    /// them.
    pub fn send(&self) {
        crate::stdio::write_stdout(&crate::wire::write_response(self));
    }
}

/// Writes a response with `status`, `Content-Type: application/json` and
/// `body` to stdout, like Gojinn's `send_response`.
pub fn send_response(status: u16, body: String) {
    Response::new(status)
        .header("Content-Type", "application/json")
        .body(body)
        .send();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_response_encoding() {
        let resp = Response::new(200)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body("Hello \"quoted\" é\n");
        assert_eq!(
            resp.to_json(),
            r#"{"status":200,"headers":{"Content-Type":["text/plain; charset=utf-8"]},"body":"Hello \"quoted\" é\n"}"#
        );
    }

    #[test]
    fn empty_response_still_has_all_fields() {
        assert_eq!(
            Response::new(204).to_json(),
            r#"{"status":204,"headers":{},"body":""}"#
        );
        assert_eq!(Response::default().status, 200);
        assert_eq!(Response::ok().status, 200);
    }

    #[test]
    fn repeated_headers_append() {
        let resp = Response::new(200)
            .header("Set-Cookie", "a=1")
            .header("Set-Cookie", "b=2");
        assert_eq!(resp.headers["Set-Cookie"], vec!["a=1", "b=2"]);
        let resp = resp.header_values("set-cookie", ["c=3"]);
        assert_eq!(resp.headers.len(), 1);
        assert_eq!(resp.headers["set-cookie"], vec!["c=3"]);
    }

    #[test]
    fn binary_body_uses_base64_only_when_needed() {
        let text = Response::new(200).binary_body(b"plain");
        assert_eq!(text.body, "plain");
        assert_eq!(text.body_encoding, None);
        let binary = Response::new(200).binary_body(&[0x00, 0xff, 0x10]);
        assert_eq!(binary.body, "AP8Q");
        assert_eq!(binary.body_encoding.as_deref(), Some("base64"));
        assert_eq!(
            binary.to_json(),
            r#"{"status":200,"headers":{},"body":"AP8Q","body_encoding":"base64"}"#
        );
        // A later text body clears the encoding.
        assert_eq!(binary.body("x").body_encoding, None);
    }

    #[test]
    fn json_body_sets_content_type() {
        #[derive(Serialize)]
        struct Count<'a> {
            name: &'a str,
            count: u64,
        }
        let resp = Response::new(200)
            .header("content-type", "text/plain")
            .json(&Count {
                name: "hits",
                count: 3,
            });
        assert_eq!(
            resp.to_json(),
            r#"{"status":200,"headers":{"Content-Type":["application/json"]},"body":"{\"name\":\"hits\",\"count\":3}"}"#
        );
    }

    #[test]
    fn json_failure_becomes_500() {
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let resp = Response::new(200).json(&bad);
        assert_eq!(resp.status, 500);
        let body: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
        assert!(body["error"].is_string());
    }

    #[test]
    fn error_helper() {
        assert_eq!(
            Response::error(400, "bad \"x\"").to_json(),
            r#"{"status":400,"headers":{"Content-Type":["application/json"]},"body":"{\"error\":\"bad \\\"x\\\"\"}"}"#
        );
    }

    #[test]
    fn write_to_writes_one_envelope() {
        let mut out = Vec::new();
        Response::new(404).body("nope").write_to(&mut out).unwrap();
        assert_eq!(out, br#"{"status":404,"headers":{},"body":"nope"}"#);
    }
}
