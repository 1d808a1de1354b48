//! The response envelope, written straight to a [`Sink`].

use heapless::Vec;

use super::request::{Headers, Values};
use super::write::{self, Buffer, Escaped, JsonObject, Sink};

/// How many header entries a [`Response`] holds. One more makes it a `500`.
pub const MAX_HEADERS: usize = 16;

/// How many bytes a body built by [`Response::json`] or
/// [`Response::error`] may take. More make it a `500`.
pub const INLINE_BODY: usize = 512;

/// What a header entry holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Data<'a> {
    /// One value.
    One(&'a str),
    /// The values of a request header.
    Values(Values<'a>),
    /// Every header of a request, each name after a prefix.
    Forward(&'a str, Headers<'a>),
}

/// Writes an entry's part of the `headers` object. Chosen by the builder
/// method that made the entry, so a guest links only the writers it uses.
type WriteEntry = fn(&Response<'_>, usize, &mut dyn Sink, &mut bool);

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    /// The name; `None` for [`Data::Forward`].
    name: Option<&'a str>,
    data: Data<'a>,
    write: WriteEntry,
}

/// Writes `,` before all but the first member.
fn separate(out: &mut dyn Sink, first: &mut bool) {
    if !core::mem::take(first) {
        out.put(b",");
    }
}

/// Entry `i` as `"Name":[values…]`, with the values of every later entry of
/// the same name; nothing when an earlier entry had the name.
fn write_named(response: &Response<'_>, i: usize, out: &mut dyn Sink, first: &mut bool) {
    let entries = &response.headers;
    let name = entries[i].name;
    if entries[..i].iter().any(|e| same_name(e.name, name)) {
        return;
    }
    separate(out, first);
    write::string(out, name.unwrap_or_default());
    out.put(b":[");
    let mut first_value = true;
    for entry in &entries[i..] {
        if same_name(entry.name, name) {
            write_data(out, entry.data, &mut first_value);
        }
    }
    out.put(b"]");
}

/// Whether two entries have the same name; mostly the same `&'static str`
/// or names of different lengths.
#[inline]
fn same_name(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.len() == b.len() && (core::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
        }
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// The values of one entry of a name, after those of the entries before.
#[inline]
fn write_data(out: &mut dyn Sink, data: Data<'_>, first_value: &mut bool) {
    match data {
        Data::One(value) => {
            separate(out, first_value);
            write::string(out, value);
        }
        Data::Values(values) => write_values(out, values, first_value),
        Data::Forward(..) => {}
    }
}

fn write_values(out: &mut dyn Sink, values: Values<'_>, first: &mut bool) {
    for value in values.iter() {
        separate(out, first);
        write::raw_string(out, value);
    }
}

/// A [`Data::Forward`] entry: `"PrefixName":[values…]` for each header.
fn write_forward(response: &Response<'_>, i: usize, out: &mut dyn Sink, first: &mut bool) {
    let Data::Forward(prefix, headers) = response.headers[i].data else {
        return;
    };
    for (name, values) in headers.iter() {
        separate(out, first);
        out.put(b"\"");
        write::escape(out, prefix.as_bytes());
        out.put(name.raw().as_bytes());
        out.put(b"\":[");
        write_values(out, values, &mut true);
        out.put(b"]");
    }
}

/// Writes the body's text (inside the quotes) and returns its encoding.
type WriteBody = for<'r> fn(&'r Response<'_>, &mut dyn Sink) -> Option<&'r str>;

#[derive(Debug, Clone, Copy)]
enum Body<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    /// In [`Response::inline`].
    Inline,
}

fn write_text<'r>(response: &'r Response<'_>, out: &mut dyn Sink) -> Option<&'r str> {
    match response.body {
        Body::Text(text) => write::escape(out, text.as_bytes()),
        Body::Inline => Escaped(out).put(response.inline.as_bytes().unwrap_or_default()),
        Body::Bytes(_) => {}
    }
    response.body_encoding
}

fn write_bytes<'r>(response: &'r Response<'_>, out: &mut dyn Sink) -> Option<&'r str> {
    let Body::Bytes(bytes) = response.body else {
        return write_text(response, out);
    };
    if let Ok(text) = core::str::from_utf8(bytes) {
        write::escape(out, text.as_bytes());
        return None;
    }
    let mut chunk = [0u8; 64];
    for part in bytes.chunks(48) {
        let len = jinn_contract::body::base64_encode_into(part, &mut chunk).unwrap_or(0);
        out.put(&chunk[..len]);
    }
    Some(jinn_contract::body::BASE64)
}

/// One response, built with chained calls like the std SDK's and written
/// with [`Response::write_to`] (by `run` on wasm32, [`run_with`](super::run_with)
/// anywhere).
///
/// ```
/// use jinn_guest::tiny::{Response, write::Buffer};
///
/// let mut out = Buffer::<128>::new();
/// Response::new(201)
///     .header("Content-Type", "text/plain; charset=utf-8")
///     .body("created\n")
///     .write_to(&mut out);
/// assert_eq!(
///     out.as_str(),
///     Some(r#"{"status":201,"headers":{"Content-Type":["text/plain; charset=utf-8"]},"body":"created\n"}"#)
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Response<'a> {
    /// The HTTP status code. `0` is read by the runtime as `200`.
    pub status: u16,
    headers: Vec<Entry<'a>, MAX_HEADERS>,
    body: Body<'a>,
    write_body: WriteBody,
    inline: Buffer<INLINE_BODY>,
    body_encoding: Option<&'a str>,
    too_many_headers: bool,
}

impl Default for Response<'_> {
    /// `200` with no headers and an empty body.
    fn default() -> Self {
        Response::new(200)
    }
}

impl<'a> Response<'a> {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Text(""),
            write_body: write_text,
            inline: Buffer::new(),
            body_encoding: None,
            too_many_headers: false,
        }
    }

    /// A `200` response with no headers and an empty body.
    pub fn ok() -> Self {
        Response::new(200)
    }

    /// A response with `status` and the JSON body `{"error": message}`.
    pub fn error(status: u16, message: &str) -> Self {
        Response::new(status).json(&JsonObject::<1>::new().str("error", message))
    }

    fn push(mut self, entry: Entry<'a>) -> Self {
        if self.headers.push(entry).is_err() {
            self.too_many_headers = true;
        }
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.headers
            .retain(|entry| !entry.name.is_some_and(|n| n.eq_ignore_ascii_case(name)));
        self
    }

    fn named(self, name: &'a str, data: Data<'a>) -> Self {
        self.push(Entry {
            name: Some(name),
            data,
            write: write_named,
        })
    }

    /// Adds `value` to header `name` (appending when `name` already has
    /// values).
    pub fn header(self, name: &'a str, value: &'a str) -> Self {
        self.named(name, Data::One(value))
    }

    /// Sets header `name` to the single `value`, replacing any header whose
    /// name matches case-insensitively.
    pub fn set_header(self, name: &'a str, value: &'a str) -> Self {
        self.without(name).named(name, Data::One(value))
    }

    /// Sets header `name` to exactly `values` (a request header's), replacing
    /// any header whose name matches case-insensitively.
    pub fn header_values(self, name: &'a str, values: Values<'a>) -> Self {
        self.without(name).named(name, Data::Values(values))
    }

    /// Adds every header of `headers` (a request's), each name after
    /// `prefix`: `X-Echo-Header-` + `Accept`.
    pub fn forward_headers(self, prefix: &'a str, headers: Headers<'a>) -> Self {
        self.push(Entry {
            name: None,
            data: Data::Forward(prefix, headers),
            write: write_forward,
        })
    }

    /// Sets a text body (clearing any `body_encoding`).
    pub fn body(mut self, body: &'a str) -> Self {
        self.body = Body::Text(body);
        self.body_encoding = None;
        self
    }

    /// Sets a body of raw bytes: sent as text when they are UTF-8, otherwise
    /// as base64 with `body_encoding` set to `base64`.
    pub fn binary_body(mut self, bytes: &'a [u8]) -> Self {
        self.body = Body::Bytes(bytes);
        self.write_body = write_bytes;
        self.body_encoding = None;
        self
    }

    /// Sets the body text and its `body_encoding` exactly as given (a
    /// request's, to send a body back as it came).
    pub fn encoded_body(mut self, body: &'a str, encoding: Option<&'a str>) -> Self {
        self.body = Body::Text(body);
        self.body_encoding = encoding;
        self
    }

    /// Sets the body to `object` as JSON (copied, so it may borrow local
    /// data) and `Content-Type` to `application/json`. An object of more
    /// fields than it holds or longer than [`INLINE_BODY`] bytes makes the
    /// response a `500` that says so.
    pub fn json<const N: usize>(mut self, object: &JsonObject<'_, N>) -> Self {
        let mut body = Buffer::new();
        object.write_to(&mut body);
        if !object.is_complete() || body.as_bytes().is_none() {
            return Response::error(500, "response body too large");
        }
        self.inline = body;
        self.body = Body::Inline;
        self.body_encoding = None;
        self.set_header("Content-Type", "application/json")
    }

    /// Writes the response envelope. More than [`MAX_HEADERS`] header
    /// entries write a `500` that says so instead.
    pub fn write_to(&self, out: &mut dyn Sink) {
        if self.too_many_headers {
            return Response::error(500, "too many response headers").write_to(out);
        }
        out.put(b"{\"status\":");
        out.put_u64(u64::from(self.status));
        out.put(b",\"headers\":{");
        let mut first = true;
        for (i, entry) in self.headers.iter().enumerate() {
            (entry.write)(self, i, out, &mut first);
        }
        out.put(b"},\"body\":\"");
        let encoding = (self.write_body)(self, out);
        out.put(b"\"");
        if let Some(encoding) = encoding {
            out.put(b",\"body_encoding\":");
            write::string(out, encoding);
        }
        out.put(b"}");
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::tiny::Request;

    fn text(response: &Response<'_>) -> std::string::String {
        let mut out = Buffer::<2048>::new();
        response.write_to(&mut out);
        out.as_str().unwrap().into()
    }

    #[test]
    fn writes_what_the_std_sdk_writes() {
        let tiny = Response::new(200)
            .header("Set-Cookie", "a=1")
            .header("Content-Type", "text/plain")
            .header("Set-Cookie", "b=2")
            .body("Hello \"quoted\" é\n");
        let std = crate::Response::new(200)
            .header("Set-Cookie", "a=1")
            .header("Content-Type", "text/plain")
            .header("Set-Cookie", "b=2")
            .body("Hello \"quoted\" é\n");
        let parse = |s: &str| jinn_contract::Response::from_guest_output(s.as_bytes()).unwrap();
        assert_eq!(parse(&text(&tiny)), parse(&std.to_json()));
        assert_eq!(
            text(&Response::new(204)),
            r#"{"status":204,"headers":{},"body":""}"#
        );
    }

    #[test]
    fn replacing_headers_ignores_case() {
        let response = Response::new(200)
            .header("content-type", "text/plain")
            .json(&JsonObject::<1>::new().u64("n", 1));
        assert_eq!(
            text(&response),
            r#"{"status":200,"headers":{"Content-Type":["application/json"]},"body":"{\"n\":1}"}"#
        );
    }

    #[test]
    fn binary_bodies_go_as_base64() {
        let bytes: std::vec::Vec<u8> = (0..=255u8).rev().collect();
        let out = text(&Response::new(200).binary_body(&bytes));
        let parsed = jinn_contract::Response::from_guest_output(out.as_bytes()).unwrap();
        assert_eq!(parsed.body, bytes);
        assert!(out.ends_with(r#","body_encoding":"base64"}"#));
        assert_eq!(
            text(&Response::new(200).binary_body(b"plain")),
            r#"{"status":200,"headers":{},"body":"plain"}"#
        );
    }

    #[test]
    fn errors_and_overflows() {
        assert_eq!(
            text(&Response::error(400, "bad \"x\"")),
            crate::Response::error(400, "bad \"x\"").to_json()
        );
        let mut response = Response::new(200);
        for _ in 0..=MAX_HEADERS {
            response = response.header("X", "y");
        }
        assert!(text(&response).starts_with(r#"{"status":500,"#));
        let long = "x".repeat(INLINE_BODY);
        assert_eq!(
            Response::ok()
                .json(&JsonObject::<1>::new().str("a", &long))
                .status,
            500
        );
    }

    #[test]
    fn forwarded_headers_keep_their_values() {
        let mut input = br#"{"headers":{"Accept":["a","b"],"X-Q":"\"q\"","X-N":null}}"#.to_vec();
        let request = Request::parse(&mut input).unwrap();
        let response = Response::new(200)
            .header_values("Accept", request.header_values("accept").unwrap())
            .forward_headers("X-Echo-", request.headers);
        assert_eq!(
            text(&response),
            r#"{"status":200,"headers":{"Accept":["a","b"],"X-Echo-Accept":["a","b"],"X-Echo-X-Q":["\"q\""],"X-Echo-X-N":[]},"body":""}"#
        );
    }
}
