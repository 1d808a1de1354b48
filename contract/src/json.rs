//! The JSON form of the envelopes (feature `json`).
//!
//! [`RawRequest`] and [`RawResponse`] are the documents as they are on the
//! wire, bodies still text, read leniently: every field may be absent or
//! `null`, a header value may be a string, an array of strings or `null`,
//! unknown fields are ignored. [`RequestDoc`] and [`ResponseDoc`] write them.
//! Hosts use the decoded [`Request`] and [`Response`]; the guest SDK exposes
//! the raw form.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::body::{self, BodyError};
use crate::headers::{self, HeaderCap, Headers};
use crate::request::Request;
use crate::response::Response;

/// A document could not be read.
#[derive(Debug)]
pub enum DecodeError {
    /// Not JSON, or not an envelope (a field of the wrong type, a second document, …).
    Json(serde_json::Error),
    /// The body does not match its `body_encoding`.
    Body(BodyError),
    /// A response status outside 200–599 (and not 0, which means 200): an
    /// informational status (1xx) is not a response a function can give.
    Status(i64),
    /// The response headers are over a cap
    /// ([`MAX_RESPONSE_HEADERS`](headers::MAX_RESPONSE_HEADERS),
    /// [`MAX_RESPONSE_HEADER_BYTES`](headers::MAX_RESPONSE_HEADER_BYTES)).
    Headers {
        /// Which cap.
        cap: HeaderCap,
        /// What the response holds.
        actual: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => fmt::Display::fmt(e, f),
            Self::Body(e) => fmt::Display::fmt(e, f),
            Self::Status(s) => write!(
                f,
                "status {s} is not a final HTTP status (200-599, or 0 for 200)"
            ),
            Self::Headers { cap, actual } => write!(
                f,
                "{actual} {}, over the cap of {}",
                cap.as_str(),
                cap.cap()
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e)
    }
}

impl From<BodyError> for DecodeError {
    fn from(e: BodyError) -> Self {
        Self::Body(e)
    }
}

/// A guest's stdout is not a response.
#[derive(Debug)]
pub enum OutputError {
    /// Nothing but white space.
    Empty,
    /// Not one valid response document.
    Bad(DecodeError),
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no output"),
            Self::Bad(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl core::error::Error for OutputError {}

/// A request envelope as written: the body is text, base64 when
/// `body_encoding` says so. Absent or `null` fields read as `GET /` with no
/// headers and an empty body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// The method.
    pub method: String,
    /// The request target.
    pub uri: String,
    /// Header name → values.
    pub headers: Headers,
    /// The body text.
    pub body: String,
    /// `Some("base64")` for a base64 body.
    pub body_encoding: Option<String>,
    /// The trace id.
    pub trace_id: Option<String>,
}

impl RawRequest {
    /// Reads one request document (trailing white space is fine).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Json`] when it is not one.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// The request with its body decoded.
    ///
    /// # Errors
    ///
    /// [`BodyError`] when the body does not match its encoding.
    pub fn into_request(self) -> Result<Request, BodyError> {
        let body = body::decode_owned(self.body, self.body_encoding.as_deref())?;
        Ok(Request {
            method: self.method,
            uri: self.uri,
            headers: self.headers,
            body,
            trace_id: self.trace_id,
        })
    }

    /// The document that writes it.
    pub fn doc(&self) -> RequestDoc<'_> {
        RequestDoc {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            body: &self.body,
            body_encoding: self.body_encoding.as_deref(),
            trace_id: self.trace_id.as_deref(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RequestIn {
    method: Option<String>,
    uri: Option<String>,
    #[serde(deserialize_with = "headers")]
    headers: Headers,
    body: Option<String>,
    body_encoding: Option<String>,
    trace_id: Option<String>,
}

impl<'de> Deserialize<'de> for RawRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = RequestIn::deserialize(deserializer)?;
        Ok(Self {
            method: wire.method.unwrap_or_else(|| "GET".into()),
            uri: wire.uri.unwrap_or_else(|| "/".into()),
            headers: wire.headers,
            body: wire.body.unwrap_or_default(),
            body_encoding: wire.body_encoding,
            trace_id: wire.trace_id,
        })
    }
}

impl Serialize for RawRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.doc().serialize(serializer)
    }
}

/// Writes a request envelope: `method`, `uri`, `headers`, `body`, then
/// `body_encoding` and `trace_id` when present.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RequestDoc<'a> {
    /// The method.
    pub method: &'a str,
    /// The request target.
    pub uri: &'a str,
    /// Headers.
    pub headers: &'a Headers,
    /// The body text.
    pub body: &'a str,
    /// `body_encoding`, written when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<&'a str>,
    /// `trace_id`, written when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<&'a str>,
}

/// A response document as written: status as given (0 means 200), the body
/// text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// The status as written; 0 when absent.
    pub status: i64,
    /// Header name → values.
    pub headers: Headers,
    /// The body text.
    pub body: String,
    /// `Some("base64")` for a base64 body.
    pub body_encoding: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ResponseIn {
    status: Option<i64>,
    #[serde(deserialize_with = "headers")]
    headers: Headers,
    body: Option<String>,
    body_encoding: Option<String>,
}

impl<'de> Deserialize<'de> for RawResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ResponseIn::deserialize(deserializer)?;
        Ok(Self {
            status: wire.status.unwrap_or(0),
            headers: wire.headers,
            body: wire.body.unwrap_or_default(),
            body_encoding: wire.body_encoding,
        })
    }
}

impl RawResponse {
    /// The response, normalised: status 0 becomes 200, the body decoded.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Status`] outside 200–599, [`DecodeError::Headers`]
    /// over the header caps, [`DecodeError::Body`] for a bad body.
    pub fn into_response(self) -> Result<Response, DecodeError> {
        let status = match self.status {
            0 => 200,
            s @ 200..=599 => s as u16,
            other => return Err(DecodeError::Status(other)),
        };
        if let Some((cap, actual)) = headers::over_caps(&self.headers) {
            return Err(DecodeError::Headers { cap, actual });
        }
        let body = body::decode_owned(self.body, self.body_encoding.as_deref())?;
        Ok(Response {
            status,
            headers: self.headers,
            body,
        })
    }
}

/// Writes a response document: `status`, `headers`, `body`, then
/// `body_encoding` when present.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ResponseDoc<'a> {
    /// The status.
    pub status: u16,
    /// Headers.
    pub headers: &'a Headers,
    /// The body text.
    pub body: &'a str,
    /// `body_encoding`, written when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_encoding: Option<&'a str>,
}

impl ResponseDoc<'_> {
    /// One line of JSON.
    pub fn to_vec(&self) -> Vec<u8> {
        // Maps of strings and plain fields: serialising cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The body of a call's error answer: `{"error":"<kind>","trace_id":"<id>"}`.
#[derive(Serialize)]
pub struct ErrorDoc<'a> {
    /// The error kind (`fuel_exhausted`, `trap`…).
    pub error: &'a str,
    /// The call's trace id.
    pub trace_id: &'a str,
}

impl ErrorDoc<'_> {
    /// One line of JSON.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl RequestDoc<'_> {
    /// One line of JSON.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl Request {
    /// The envelope the guest reads on stdin.
    pub fn to_json(&self) -> Vec<u8> {
        let (body, body_encoding) = body::encode(&self.body);
        RequestDoc {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            body: &body,
            body_encoding,
            trace_id: self.trace_id.as_deref(),
        }
        .to_vec()
    }

    /// Reads an envelope (`jinn run --input`, replays). Missing fields take
    /// the defaults of `GET /`; unknown fields are ignored.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when the JSON or the body encoding is bad.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(RawRequest::parse(bytes)?.into_request()?)
    }
}

impl Response {
    /// Reads what the guest wrote on stdout.
    ///
    /// # Errors
    ///
    /// [`OutputError::Empty`] for no output (or only white space),
    /// [`OutputError::Bad`] for anything that is not one response document
    /// (trailing white space is fine).
    pub fn from_guest_output(stdout: &[u8]) -> Result<Self, OutputError> {
        if stdout.iter().all(u8::is_ascii_whitespace) {
            return Err(OutputError::Empty);
        }
        let raw: RawResponse =
            serde_json::from_slice(stdout).map_err(|e| OutputError::Bad(DecodeError::Json(e)))?;
        raw.into_response().map_err(OutputError::Bad)
    }

    /// The normalised document (headers as arrays, base64 when binary).
    pub fn to_json(&self) -> Vec<u8> {
        let (body, body_encoding) = body::encode(&self.body);
        ResponseDoc {
            status: self.status,
            headers: &self.headers,
            body: &body,
            body_encoding,
        }
        .to_vec()
    }
}

/// Headers: an object whose values are arrays of strings, a single string,
/// or `null`; the whole object may be `null`.
fn headers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Headers, D::Error> {
    struct HeadersVisitor;

    impl<'de> serde::de::Visitor<'de> for HeadersVisitor {
        type Value = Headers;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of header names to strings or arrays of strings")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Headers, E> {
            Ok(Headers::new())
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Headers, E> {
            Ok(Headers::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Headers, D::Error> {
            d.deserialize_map(self)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
            let mut headers = BTreeMap::new();
            while let Some((name, Values(values))) = map.next_entry()? {
                headers.insert(name, values);
            }
            Ok(headers)
        }
    }

    deserializer.deserialize_option(HeadersVisitor)
}

/// The values of one header: `["a", "b"]`, `"a"` or `null`.
struct Values(Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;

        impl<'de> serde::de::Visitor<'de> for ValuesVisitor {
            type Value = Values;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(alloc::vec![v.into()]))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(alloc::vec![v]))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Values, E> {
                Ok(Values(Vec::new()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Values, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
                while let Some(value) = seq.next_element()? {
                    values.push(value);
                }
                Ok(Values(values))
            }
        }

        deserializer.deserialize_any(ValuesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn parse(s: &str) -> Result<Response, OutputError> {
        Response::from_guest_output(s.as_bytes())
    }

    #[test]
    fn status_zero_or_missing_is_200() {
        assert_eq!(parse(r#"{"status":0,"body":"x"}"#).unwrap().status, 200);
        assert_eq!(parse(r#"{"body":"x"}"#).unwrap().status, 200);
        assert_eq!(parse(r#"{"status":null}"#).unwrap().status, 200);
        assert_eq!(parse(r#"{"status":404}"#).unwrap().status, 404);
    }

    #[test]
    fn header_strings_and_nulls_become_arrays() {
        let r = parse(r#"{"headers":{"A":"1","B":["2","3"],"C":null}}"#).unwrap();
        assert_eq!(r.headers["A"], ["1"]);
        assert_eq!(r.headers["B"], ["2", "3"]);
        assert!(r.headers["C"].is_empty());
        assert!(parse(r#"{"headers":null}"#).unwrap().headers.is_empty());
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
        assert!(matches!(parse(""), Err(OutputError::Empty)));
        assert!(matches!(parse(" \n\t"), Err(OutputError::Empty)));
        for bad in [
            "not json",
            r#"{"status":"200"}"#,
            r#"{"status":42}"#,
            r#"{"status":100}"#,
            r#"{"status":101}"#,
            r#"{"status":103}"#,
            r#"{"status":199}"#,
            r#"{"status":200.5}"#,
            r#"{"headers":{"A":1}}"#,
            r#"{"headers":"x"}"#,
            r#"{"body":"x"}{"body":"y"}"#,
            r#"{"body":"@@","body_encoding":"base64"}"#,
            r#"{"body":"x","body_encoding":"rot13"}"#,
            "[1,2]",
        ] {
            assert!(matches!(parse(bad), Err(OutputError::Bad(_))), "{bad}");
        }
        let status = parse(r#"{"status":42}"#).unwrap_err().to_string();
        assert_eq!(
            status,
            "status 42 is not a final HTTP status (200-599, or 0 for 200)"
        );
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
            body: bytes.clone(),
            ..Response::new(200)
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
    fn request_defaults_nulls_and_string_headers() {
        let r = Request::from_json(br#"{"headers":{"A":"x"},"future_field":true}"#).unwrap();
        assert_eq!((r.method.as_str(), r.uri.as_str()), ("GET", "/"));
        assert_eq!(r.headers["A"], ["x"]);
        let r = Request::from_json(br#"{"method":null,"headers":null,"body":null}"#).unwrap();
        assert_eq!(r, Request::default());
        assert!(Request::from_json(b"{").is_err());
    }

    #[test]
    fn raw_documents_keep_the_body_text() {
        let raw = RawRequest::parse(br#"{"body":"AP8Q","body_encoding":"base64"}"#).unwrap();
        assert_eq!(raw.body, "AP8Q");
        assert_eq!(raw.into_request().unwrap().body, [0, 0xff, 0x10]);
        let raw: RawResponse = serde_json::from_str(r#"{"status":7}"#).unwrap();
        assert_eq!(raw.status, 7);
        assert!(matches!(raw.into_response(), Err(DecodeError::Status(7))));
    }
}
