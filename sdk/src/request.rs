//! The request envelope a function reads from stdin.

use std::borrow::Cow;
use std::collections::BTreeMap;

use jinn_contract::body::{self, BodyError};
use jinn_contract::json::RawRequest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// One HTTP-style request, as the runtime hands it to a function.
///
/// On the wire (stdin) it is a JSON object:
///
/// ```json
/// {"method": "GET", "uri": "/path?query", "headers": {"Name": ["v1", "v2"]},
///  "body": "...", "trace_id": "...", "body_encoding": "base64"}
/// ```
///
/// Every field is optional (`null` reads as absent); unknown fields are
/// ignored. `body_encoding` is present only when the body is not UTF-8, and
/// then `body` is padded standard base64. The format is jinn-contract's, the
/// one the runtime writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// The request target: path and optional query, e.g. `/items?id=3`.
    pub uri: String,
    /// Header names to their values, in the order received. The runtime sends
    /// Go-style names (`X-Api-Key`, whatever case the client used); use
    /// [`Request::header`] for a case-insensitive lookup.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body as text; base64 when [`Request::body_encoding`] says so. Use
    /// [`Request::body_bytes`] to get the raw bytes in either case.
    pub body: String,
    /// `Some("base64")` when the body was not UTF-8 and `body` holds base64.
    pub body_encoding: Option<String>,
    /// The runtime's trace id for this invocation, when it has one.
    pub trace_id: Option<String>,
}

impl From<RawRequest> for Request {
    fn from(raw: RawRequest) -> Self {
        Request {
            method: raw.method,
            uri: raw.uri,
            headers: raw.headers,
            body: raw.body,
            body_encoding: raw.body_encoding,
            trace_id: raw.trace_id,
        }
    }
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawRequest::deserialize(deserializer).map(Request::from)
    }
}

impl Serialize for Request {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        jinn_contract::json::RequestDoc {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            body: &self.body,
            body_encoding: self.body_encoding.as_deref(),
            trace_id: self.trace_id.as_deref(),
        }
        .serialize(serializer)
    }
}

impl Default for Request {
    /// `GET /` with no headers and an empty body.
    fn default() -> Self {
        Request {
            method: "GET".to_string(),
            uri: "/".to_string(),
            headers: BTreeMap::new(),
            body: String::new(),
            body_encoding: None,
            trace_id: None,
        }
    }
}

impl Request {
    /// Reads the request envelope from stdin. Empty stdin (or only
    /// whitespace) gives the default `GET /` request.
    pub fn read() -> Result<Request, Error> {
        Request::parse(&crate::stdio::read_stdin()?)
    }

    /// Parses a request envelope from JSON bytes. Empty (or whitespace-only)
    /// input gives the default `GET /` request.
    pub fn parse(input: &[u8]) -> Result<Request, Error> {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Ok(Request::default());
        }
        // The runtime's plain form takes the short path; anything else (and
        // every error) is read by jinn-contract's codec.
        match crate::envelope::read(input) {
            Some(request) => Ok(request),
            None => parse_with_codec(input),
        }
    }

    /// Whether `body` holds base64 rather than text.
    pub fn is_base64(&self) -> bool {
        body::is_base64(self.body_encoding.as_deref())
    }

    /// The body's raw bytes: base64-decoded when `body_encoding` is
    /// `base64`, the text's bytes when there is no encoding.
    pub fn body_bytes(&self) -> Result<Cow<'_, [u8]>, Error> {
        body::decode(&self.body, self.body_encoding.as_deref()).map_err(|e| match e {
            BodyError::Base64(e) => Error::Base64(e.into()),
            BodyError::UnknownEncoding => {
                Error::UnknownBodyEncoding(self.body_encoding.clone().unwrap_or_default())
            }
        })
    }

    /// Parses the body (decoded first if it is base64) as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(serde_json::from_slice(&self.body_bytes()?)?)
    }

    /// The path part of the URI, without the query (or fragment).
    pub fn path(&self) -> &str {
        let end = self.uri.find(['?', '#']).unwrap_or(self.uri.len());
        &self.uri[..end]
    }

    /// The raw query string (after `?`, before any `#`), if there is one.
    pub fn query_string(&self) -> Option<&str> {
        let uri = &self.uri[..self.uri.find('#').unwrap_or(self.uri.len())];
        Some(&uri[uri.find('?')? + 1..])
    }

    /// The first value of query parameter `name`, percent-decoded (and with
    /// `+` read as a space). A parameter given without `=` has the value `""`.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_string()?
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .find(|(key, _)| decode_component(key) == name)
            .map(|(_, value)| decode_component(value))
    }

    /// All values of header `name`, matched case-insensitively.
    pub fn header_values(&self, name: &str) -> Option<&[String]> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, values)| values.as_slice())
    }

    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name)?.first().map(String::as_str)
    }
}

/// Reads an envelope with jinn-contract's serde codec. Out of line: the
/// runtime charges a function's code when it is entered, whatever part of
/// it runs, and this is the rare path.
#[cold]
#[inline(never)]
fn parse_with_codec(input: &[u8]) -> Result<Request, Error> {
    Ok(serde_json::from_slice(input)?)
}

/// Reads the request from stdin, like Gojinn's `read_input`. Same as
/// [`Request::read`].
pub fn read_input() -> Result<Request, Error> {
    Request::read()
}

/// Percent-decodes one query component and reads `+` as a space. Invalid
/// escapes are kept as written; invalid UTF-8 becomes U+FFFD.
fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match hex_pair(bytes[i + 1], bytes[i + 2]) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_default_get_root() {
        for input in [&b""[..], b"  \n\t"] {
            let req = Request::parse(input).unwrap();
            assert_eq!(req, Request::default());
            assert_eq!(req.method, "GET");
            assert_eq!(req.uri, "/");
        }
    }

    #[test]
    fn full_envelope() {
        let req = Request::parse(
            br#"{"method":"POST","uri":"/a/b?x=1","headers":{"Content-Type":["text/plain"],"X-Many":["1","2"]},"body":"hi","trace_id":"t-1"}"#,
        )
        .unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.uri, "/a/b?x=1");
        assert_eq!(req.path(), "/a/b");
        assert_eq!(req.header("content-type"), Some("text/plain"));
        assert_eq!(
            req.header_values("x-many"),
            Some(&["1".to_string(), "2".to_string()][..])
        );
        assert_eq!(req.body, "hi");
        assert_eq!(req.body_bytes().unwrap().as_ref(), b"hi");
        assert_eq!(req.trace_id.as_deref(), Some("t-1"));
        assert_eq!(req.body_encoding, None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_fields_default() {
        let req = Request::parse(
            br#"{"body":"x","future":{"nested":[1,2,3]},"remote_addr":"10.0.0.1","version":2}"#,
        )
        .unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.uri, "/");
        assert!(req.headers.is_empty());
        assert_eq!(req.body, "x");
    }

    #[test]
    fn nulls_and_single_string_headers_are_accepted() {
        let req = Request::parse(br#"{"headers":null,"body":null}"#).unwrap();
        assert!(req.headers.is_empty());
        assert_eq!(req.body, "");
        let req = Request::parse(br#"{"headers":{"A":"one","B":null,"C":["x"]}}"#).unwrap();
        assert_eq!(req.headers["A"], vec!["one"]);
        assert!(req.headers["B"].is_empty());
        assert_eq!(req.headers["C"], vec!["x"]);
    }

    #[test]
    fn base64_body() {
        let req = Request::parse(br#"{"method":"PUT","body":"AP8Qgn4=","body_encoding":"base64"}"#)
            .unwrap();
        assert!(req.is_base64());
        assert_eq!(
            req.body_bytes().unwrap().as_ref(),
            &[0x00, 0xff, 0x10, 0x82, 0x7e]
        );
    }

    #[test]
    fn bad_base64_body_is_an_error() {
        let req = Request::parse(br#"{"body":"@@@@","body_encoding":"base64"}"#).unwrap();
        assert!(matches!(req.body_bytes(), Err(Error::Base64(_))));
        let req = Request::parse(br#"{"body":"x","body_encoding":"gzip"}"#).unwrap();
        assert!(matches!(
            req.body_bytes(),
            Err(Error::UnknownBodyEncoding(_))
        ));
    }

    #[test]
    fn json_body_plain_and_base64() {
        #[derive(Deserialize, PartialEq, Debug)]
        struct Reading {
            v: i32,
        }
        let req = Request::parse(br#"{"body":"{\"v\":3}"}"#).unwrap();
        assert_eq!(req.json::<Reading>().unwrap(), Reading { v: 3 });
        let encoded = crate::base64::encode(br#"{"v":4}"#);
        let input = format!(r#"{{"body":"{encoded}","body_encoding":"base64"}}"#);
        let req = Request::parse(input.as_bytes()).unwrap();
        assert_eq!(req.json::<Reading>().unwrap(), Reading { v: 4 });
        let req = Request::parse(br#"{"body":"not json"}"#).unwrap();
        assert!(matches!(req.json::<Reading>(), Err(Error::Json(_))));
    }

    #[test]
    fn malformed_envelope_is_an_error() {
        assert!(matches!(Request::parse(b"{"), Err(Error::Json(_))));
        assert!(matches!(
            Request::parse(br#"{"method":5}"#),
            Err(Error::Json(_))
        ));
        assert!(matches!(Request::parse(b"42"), Err(Error::Json(_))));
    }

    #[test]
    fn query_parameters() {
        let req = Request {
            uri: "/c?name=a%20b&flag&x=1+2&name=second&bad=%zz&utf=%C3%A9#frag".to_string(),
            ..Request::default()
        };
        assert_eq!(req.path(), "/c");
        assert_eq!(req.query("name").as_deref(), Some("a b"));
        assert_eq!(req.query("flag").as_deref(), Some(""));
        assert_eq!(req.query("x").as_deref(), Some("1 2"));
        assert_eq!(req.query("bad").as_deref(), Some("%zz"));
        assert_eq!(req.query("utf").as_deref(), Some("é"));
        assert_eq!(req.query("missing"), None);
        assert_eq!(Request::default().query("name"), None);
        let req = Request {
            uri: "/p#x?y=1".to_string(),
            ..Request::default()
        };
        assert_eq!(req.path(), "/p");
        assert_eq!(req.query("y"), None);
    }
}
