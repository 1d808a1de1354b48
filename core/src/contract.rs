//! The function contract: the request envelope on stdin and the response document on stdout.
//!
//! Request (what the guest reads):
//! `{"method","uri","headers":{name:[values]},"body","trace_id"?,"body_encoding"?}`.
//! Response (what the guest writes): `{"status","headers","body","body_encoding"?}` where
//! `status` 0 or absent means 200 and a header value is a string or an array of strings
//! (normalised to arrays). Unknown fields are ignored in both directions.
//!
//! Bodies that are not UTF-8 travel as standard base64 with `"body_encoding": "base64"`;
//! the field is absent for UTF-8 bodies, so Gojinn guests never see it.

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::error::{Detail, bounded, bounded_display};

/// Header name → values, as in Go's `http.Header`.
pub type Headers = BTreeMap<String, Vec<String>>;

/// The request envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// HTTP method, or the trigger's (`MQTT`, `TIMER`).
    pub method: String,
    /// Request target with query, e.g. `/api/x?id=1`.
    pub uri: String,
    /// Headers, every value an array.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Vec<u8>,
    /// W3C trace id or request id.
    pub trace_id: Option<String>,
}

impl Default for Request {
    fn default() -> Self {
        Self {
            method: "GET".into(),
            uri: "/".into(),
            headers: Headers::new(),
            body: Vec::new(),
            trace_id: None,
        }
    }
}

/// Hop-by-hop headers: a function's response may not set them, the server owns them.
pub const HOP_BY_HOP_HEADERS: [&str; 8] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "proxy-connection",
];

/// `x-api-key` → `X-Api-Key`: header names as Go's `http.Header`, and so
/// Gojinn guests, see them. Every target builds envelopes with it.
pub fn canonical_header_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

/// One header value or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum HeaderValues {
    One(String),
    Many(Vec<String>),
}

impl HeaderValues {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(v) => alloc::vec![v],
            Self::Many(v) => v,
        }
    }
}

fn normalise(headers: Option<BTreeMap<String, HeaderValues>>) -> Headers {
    headers
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.into_vec()))
        .collect()
}

/// Splits a body into its JSON string and encoding marker.
fn encode_body(body: &[u8]) -> (Cow<'_, str>, Option<&'static str>) {
    match core::str::from_utf8(body) {
        Ok(text) => (Cow::Borrowed(text), None),
        Err(_) => (Cow::Owned(BASE64.encode(body)), Some("base64")),
    }
}

/// Joins a body string and its encoding marker into bytes.
fn decode_body(body: Option<String>, encoding: Option<&str>) -> Result<Vec<u8>, Detail> {
    let body = body.unwrap_or_default();
    match encoding {
        None | Some("utf-8" | "utf8") => Ok(body.into_bytes()),
        Some("base64") => BASE64
            .decode(body.as_bytes())
            .map_err(|e| bounded_display(&e)),
        Some(other) => {
            let mut d: Detail = bounded("unknown body_encoding `");
            let _ = d.push_str(&bounded::<64>(other));
            let _ = d.push('`');
            Err(d)
        }
    }
}

#[derive(Serialize)]
struct RequestOut<'a> {
    method: &'a str,
    uri: &'a str,
    headers: &'a Headers,
    body: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct RequestIn {
    method: Option<String>,
    uri: Option<String>,
    headers: Option<BTreeMap<String, HeaderValues>>,
    body: Option<String>,
    body_encoding: Option<String>,
    trace_id: Option<String>,
}

impl Request {
    /// Encodes the envelope the guest reads on stdin.
    pub fn to_json(&self) -> Vec<u8> {
        let (body, body_encoding) = encode_body(&self.body);
        let out = RequestOut {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            body,
            body_encoding,
            trace_id: self.trace_id.as_deref(),
        };
        // Serialising maps of strings cannot fail.
        serde_json::to_vec(&out).unwrap_or_default()
    }

    /// Parses an envelope (for `jinn run --input` and replays). Missing fields
    /// take the defaults of a `GET /` request; unknown fields are ignored.
    ///
    /// # Errors
    ///
    /// A bounded description when the JSON or the body encoding is bad.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Detail> {
        let wire: RequestIn = serde_json::from_slice(bytes).map_err(|e| bounded_display(&e))?;
        let body = decode_body(wire.body, wire.body_encoding.as_deref())?;
        let default = Self::default();
        Ok(Self {
            method: wire.method.unwrap_or(default.method),
            uri: wire.uri.unwrap_or(default.uri),
            headers: normalise(wire.headers),
            body,
            trace_id: wire.trace_id,
        })
    }
}

/// A guest's response, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status, 100–599 (0 in the document means 200).
    pub status: u16,
    /// Headers, every value an array.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Vec<u8>,
}

#[derive(Serialize)]
struct ResponseOut<'a> {
    status: u16,
    headers: &'a Headers,
    body: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_encoding: Option<&'static str>,
}

#[derive(Deserialize)]
struct ResponseIn {
    status: Option<i64>,
    headers: Option<BTreeMap<String, HeaderValues>>,
    body: Option<String>,
    body_encoding: Option<String>,
}

/// Stdout could not be turned into a [`Response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputError {
    /// Nothing but white space.
    Empty,
    /// Not a valid response document.
    Bad(Detail),
}

impl Response {
    /// Parses what the guest wrote on stdout.
    ///
    /// # Errors
    ///
    /// [`OutputError::Empty`] for no output, [`OutputError::Bad`] for anything
    /// that is not one response document (trailing white space is fine).
    pub fn from_guest_output(stdout: &[u8]) -> Result<Self, OutputError> {
        if stdout.iter().all(u8::is_ascii_whitespace) {
            return Err(OutputError::Empty);
        }
        let wire: ResponseIn =
            serde_json::from_slice(stdout).map_err(|e| OutputError::Bad(bounded_display(&e)))?;
        let status = match wire.status.unwrap_or(0) {
            0 => 200,
            s @ 100..=599 => s as u16,
            other => {
                let mut d: Detail = bounded("status ");
                let _ = d.push_str(&bounded_display::<24>(&other));
                let _ = d.push_str(" is not an HTTP status (100-599, or 0 for 200)");
                return Err(OutputError::Bad(d));
            }
        };
        let body =
            decode_body(wire.body, wire.body_encoding.as_deref()).map_err(OutputError::Bad)?;
        Ok(Self {
            status,
            headers: normalise(wire.headers),
            body,
        })
    }

    /// Encodes the normalised document (headers as arrays, base64 when binary).
    pub fn to_json(&self) -> Vec<u8> {
        let (body, body_encoding) = encode_body(&self.body);
        let out = ResponseOut {
            status: self.status,
            headers: &self.headers,
            body,
            body_encoding,
        };
        serde_json::to_vec(&out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Response, OutputError> {
        Response::from_guest_output(s.as_bytes())
    }

    #[test]
    fn status_zero_or_missing_is_200() {
        assert_eq!(parse(r#"{"status":0,"body":"x"}"#).unwrap().status, 200);
        assert_eq!(parse(r#"{"body":"x"}"#).unwrap().status, 200);
        assert_eq!(parse(r#"{"status":404}"#).unwrap().status, 404);
    }

    #[test]
    fn header_strings_become_arrays() {
        let r = parse(r#"{"headers":{"A":"1","B":["2","3"]}}"#).unwrap();
        assert_eq!(r.headers["A"], ["1"]);
        assert_eq!(r.headers["B"], ["2", "3"]);
        let back = String::from_utf8(r.to_json()).unwrap();
        assert!(back.contains(r#""A":["1"]"#), "{back}");
    }

    #[test]
    fn unknown_fields_and_trailing_newline_are_fine() {
        let r = parse("{\"status\":201,\"x-extra\":{\"deep\":[1]},\"body\":\"ok\"}\n").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (201, &b"ok"[..]));
    }

    #[test]
    fn bad_documents_are_typed() {
        assert_eq!(parse(""), Err(OutputError::Empty));
        assert_eq!(parse(" \n\t"), Err(OutputError::Empty));
        for bad in [
            "not json",
            r#"{"status":"200"}"#,
            r#"{"status":42}"#,
            r#"{"status":200.5}"#,
            r#"{"headers":{"A":1}}"#,
            r#"{"body":"x"}{"body":"y"}"#,
            r#"{"body":"@@","body_encoding":"base64"}"#,
            r#"{"body":"x","body_encoding":"rot13"}"#,
            "[1,2]",
        ] {
            assert!(matches!(parse(bad), Err(OutputError::Bad(_))), "{bad}");
        }
    }

    #[test]
    fn unicode_round_trips() {
        let r = Response {
            status: 200,
            headers: Headers::new(),
            body: "héllo \u{1F600} \"q\" \\ \n".as_bytes().to_vec(),
        };
        let json = r.to_json();
        assert!(!String::from_utf8_lossy(&json).contains("body_encoding"));
        assert_eq!(Response::from_guest_output(&json).unwrap(), r);
    }

    #[test]
    fn binary_bodies_round_trip_both_ways() {
        let bytes: Vec<u8> = (0..=255u8).rev().collect();
        let req = Request {
            body: bytes.clone(),
            ..Request::default()
        };
        let json = req.to_json();
        assert!(String::from_utf8_lossy(&json).contains(r#""body_encoding":"base64""#));
        assert_eq!(Request::from_json(&json).unwrap().body, bytes);

        let resp = Response {
            status: 200,
            headers: Headers::new(),
            body: bytes.clone(),
        };
        assert_eq!(
            Response::from_guest_output(&resp.to_json()).unwrap().body,
            bytes
        );
    }

    #[test]
    fn request_envelope_shape() {
        let mut req = Request {
            method: "POST".into(),
            uri: "/a?b=1".into(),
            body: b"hi".to_vec(),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ..Request::default()
        };
        req.headers
            .insert("X-Api-Key".into(), alloc::vec!["k".into()]);
        let json = String::from_utf8(req.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"method":"POST","uri":"/a?b=1","headers":{"X-Api-Key":["k"]},"body":"hi","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#
        );
        assert_eq!(Request::from_json(json.as_bytes()).unwrap(), req);
    }

    #[test]
    fn header_names_are_canonical_as_in_go() {
        assert_eq!(canonical_header_name("x-api-key"), "X-Api-Key");
        assert_eq!(canonical_header_name("CONTENT-TYPE"), "Content-Type");
        assert_eq!(canonical_header_name("te"), "Te");
    }

    #[test]
    fn request_defaults_and_string_headers() {
        let r = Request::from_json(br#"{"headers":{"A":"x"},"future_field":true}"#).unwrap();
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("GET", "/"));
        assert_eq!(r.headers["A"], ["x"]);
        assert!(Request::from_json(b"{").is_err());
    }
}
