//! The request envelope, read in place.
//!
//! [`Request::parse`] checks the envelope as jinn-contract's codec reads it
//! (every field optional, `null` as absent, a header value a string, an
//! array of strings or `null`, unknown fields ignored, a field given twice
//! refused) and decodes the escapes of `method`, `uri`, `body`,
//! `body_encoding` and `trace_id` over their own bytes in the input buffer,
//! so they are plain `&str`. Headers stay in their JSON form and are read
//! when asked for.

use jinn_contract::body;

use super::Error;
use super::json::{self, Cursor, Elements, ErrorKind, Object, Str, Value};

/// One request, borrowed from the input buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request<'a> {
    /// The HTTP method (`GET`), or the trigger's (`MQTT`, `TIMER`).
    pub method: &'a str,
    /// The request target: path and optional query (`/items?id=3`), the
    /// MQTT topic or the timer's name.
    pub uri: &'a str,
    /// The headers, Go-style names, each with its values.
    pub headers: Headers<'a>,
    /// The body as text; base64 when [`Request::body_encoding`] says so.
    pub body: &'a str,
    /// `Some("base64")` when the body was not UTF-8 and `body` holds base64.
    pub body_encoding: Option<&'a str>,
    /// The runtime's trace id, when it has one.
    pub trace_id: Option<&'a str>,
}

impl Default for Request<'_> {
    /// `GET /` with no headers and an empty body.
    fn default() -> Self {
        Request {
            method: "GET",
            uri: "/",
            headers: Headers::default(),
            body: "",
            body_encoding: None,
            trace_id: None,
        }
    }
}

/// The envelope's fields, in [`Request::parse`]'s slot order.
const FIELDS: [&str; 6] = [
    "method",
    "uri",
    "body",
    "body_encoding",
    "trace_id",
    "headers",
];
const HEADERS: usize = 5;

impl<'a> Request<'a> {
    /// Reads a request envelope from `input`, decoding its strings in place.
    /// Empty input (or only white space) is the default `GET /`.
    ///
    /// # Errors
    ///
    /// [`Error::Envelope`] when it is not JSON, [`Error::Field`] when a field
    /// has the wrong type.
    pub fn parse(input: &'a mut [u8]) -> Result<Request<'a>, Error> {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Ok(Request::default());
        }
        let [method, uri, body, body_encoding, trace_id, headers] = scan(input)?;
        let base = input.as_mut_ptr();
        // SAFETY (each `piece`): the spans are inside `input` and do not
        // overlap (each is the text of another value of the envelope), and
        // `input` is borrowed for 'a: every byte is handed out once.
        let request = unsafe {
            Request {
                method: piece(base, method).unwrap_or("GET"),
                uri: piece(base, uri).unwrap_or("/"),
                headers: Headers {
                    object: piece(base, headers).map(Object::checked),
                },
                body: piece(base, body).unwrap_or_default(),
                body_encoding: piece(base, body_encoding),
                trace_id: piece(base, trace_id),
            }
        };
        Ok(request)
    }

    /// Whether `body` holds base64 rather than text.
    pub fn is_base64(&self) -> bool {
        body::is_base64(self.body_encoding)
    }

    /// The body's bytes: the text's, or decoded from base64 into `buf`.
    ///
    /// # Errors
    ///
    /// [`Error::Base64`] for bad base64 or a `buf` too small (the decoded
    /// length is at most `body.len() / 4 * 3 + 2`),
    /// [`Error::UnknownBodyEncoding`] for an encoding that is neither.
    pub fn body_bytes<'b>(&'b self, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
        if body::is_text(self.body_encoding) {
            Ok(self.body.as_bytes())
        } else if self.is_base64() {
            let len = body::base64_decode_into(self.body, buf).map_err(|_| Error::Base64)?;
            Ok(&buf[..len])
        } else {
            Err(Error::UnknownBodyEncoding)
        }
    }

    /// The body (decoded into `buf` first when it is base64) as a JSON
    /// document.
    ///
    /// # Errors
    ///
    /// As [`Request::body_bytes`], and [`Error::Body`] when it is not JSON.
    pub fn json<'b>(&'b self, buf: &'b mut [u8]) -> Result<Value<'b>, Error> {
        let bytes = self.body_bytes(buf)?;
        let text = core::str::from_utf8(bytes).map_err(|e| {
            Error::Body(json::Error {
                kind: ErrorKind::Utf8,
                at: e.valid_up_to(),
            })
        })?;
        json::parse(text).map_err(Error::Body)
    }

    /// The path part of the URI, without the query (or fragment).
    pub fn path(&self) -> &'a str {
        let end = self.uri.find(['?', '#']).unwrap_or(self.uri.len());
        &self.uri[..end]
    }

    /// The raw query string (after `?`, before any `#`), if there is one.
    pub fn query_string(&self) -> Option<&'a str> {
        let uri = &self.uri[..self.uri.find('#').unwrap_or(self.uri.len())];
        Some(&uri[uri.find('?')? + 1..])
    }

    /// The first value of query parameter `name`, percent-decoded (`+` read
    /// as a space, invalid escapes kept as written, bytes that are not UTF-8
    /// replaced by U+FFFD) into `buf`; `None` when it is absent. A parameter
    /// given without `=` has the value `""`.
    ///
    /// # Errors
    ///
    /// [`Error::TooSmall`] when the value does not fit `buf`.
    pub fn query<'b>(&self, name: &str, buf: &'b mut [u8]) -> Result<Option<&'b str>, Error> {
        let Some((_, value)) = self.query_string().and_then(|query| {
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
                .find(|(key, _)| decoded_eq(key, name))
        }) else {
            return Ok(None);
        };
        percent_decode_lossy(value, buf)
            .map(Some)
            .ok_or(Error::TooSmall)
    }

    /// All values of header `name`, matched case-insensitively.
    pub fn header_values(&self, name: &str) -> Option<Values<'a>> {
        self.headers.get(name)
    }

    /// The first value of header `name`, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<Str<'a>> {
        self.headers.get(name)?.iter().next()
    }
}

/// The text of a field at `span` of the input at `base`, its escapes
/// decoded in place.
///
/// # Safety
///
/// `span` is inside the input, which is borrowed for `'a`, and no other
/// reference to its bytes is handed out.
#[inline(never)]
unsafe fn piece<'a>(base: *mut u8, span: Option<Span>) -> Option<&'a str> {
    let (start, end, escaped) = span?;
    // SAFETY: as the caller guarantees.
    let piece = unsafe { core::slice::from_raw_parts_mut(base.add(start), end - start) };
    let len = if escaped {
        json::unescape_in_place(piece)
    } else {
        piece.len()
    };
    let piece: &'a [u8] = piece;
    let text = &piece[..len];
    debug_assert!(core::str::from_utf8(text).is_ok());
    // SAFETY: `scan` checked that the input is UTF-8 and cut it at ASCII
    // quotes and braces, so the piece is UTF-8 too; its escapes were
    // checked (a surrogate only in a pair), so each decodes to a `char`,
    // written as UTF-8 where the escape was (a `\` is never part of a
    // multi-byte character).
    Some(unsafe { core::str::from_utf8_unchecked(text) })
}

/// A field's text in the input: start, end, whether it holds escapes.
type Span = (usize, usize, bool);

/// Checks the envelope in one pass and finds the text of each field:
/// [`Span`]s in [`FIELDS`] order, `None` for absent or `null`.
///
/// The errors are the ones of checking the whole document first, then the
/// fields: bytes that are not UTF-8, then the first syntax error, then the
/// first field given twice, then the first field (in [`FIELDS`] order) of
/// the wrong type.
fn scan(input: &[u8]) -> Result<[Option<Span>; 6], Error> {
    let text = core::str::from_utf8(input).map_err(|e| {
        Error::Envelope(json::Error {
            kind: ErrorKind::Utf8,
            at: e.valid_up_to(),
        })
    })?;
    let mut c = Cursor::new(text);
    c.ws();
    if c.peek() != Some(b'{') {
        // Not an object: a syntax error first, if it has one.
        json::parse(text).map_err(Error::Envelope)?;
        return Err(Error::Envelope(json::Error {
            kind: ErrorKind::Type,
            at: 0,
        }));
    }
    let mut fields = Fields {
        object_start: c.pos,
        spans: [None; 6],
        seen: 0,
        wrong: 0,
        duplicate: None,
    };
    members(&mut c, &mut fields).map_err(Error::Envelope)?;
    if let Some(at) = fields.duplicate {
        return Err(Error::Envelope(json::Error {
            kind: ErrorKind::Duplicate,
            at,
        }));
    }
    if fields.wrong != 0 {
        return Err(Error::Field(FIELDS[fields.wrong.trailing_zeros() as usize]));
    }
    Ok(fields.spans)
}

/// What [`scan`] has found so far.
struct Fields {
    /// Where the envelope's `{` is (offsets of duplicates count from it).
    object_start: usize,
    spans: [Option<Span>; 6],
    /// Bit i: field i was given.
    seen: u8,
    /// Bit i: field i has the wrong type.
    wrong: u8,
    /// The offset of the first field given twice.
    duplicate: Option<usize>,
}

/// Reads the envelope's members (at its `{`) and what follows them. Each
/// step of the loop stays small: wasmi charges a loop's whole body on
/// every step, so what only some members need is in functions of its own.
#[inline(never)]
fn members(c: &mut Cursor<'_>, fields: &mut Fields) -> Result<(), json::Error> {
    let mut more = c.open(b'}');
    while more {
        let key_at = c.pos + 1;
        let key = c.string()?;
        c.colon()?;
        match slot_of(key) {
            Some(slot) => field(c, fields, slot, key_at)?,
            None => {
                c.value_within(json::MAX_DEPTH - 1)?;
            }
        }
        more = c.separator(b'}')?;
    }
    c.ws();
    if c.pos != c.len() {
        return Err(c.error(ErrorKind::Trailing));
    }
    Ok(())
}

/// The slot in [`FIELDS`] of the member named `key`.
#[inline]
fn slot_of(key: Str<'_>) -> Option<usize> {
    FIELDS.iter().position(|name| key.eq_str(name))
}

/// Reads the value of envelope field `slot` (named at `key_at`).
#[inline]
fn field(
    c: &mut Cursor<'_>,
    fields: &mut Fields,
    slot: usize,
    key_at: usize,
) -> Result<(), json::Error> {
    let bit = 1u8 << slot;
    let first = fields.seen & bit == 0;
    if !first && fields.duplicate.is_none() {
        fields.duplicate = Some(key_at - fields.object_start);
    }
    fields.seen |= bit;
    let start = c.pos;
    let span = match c.peek() {
        Some(b'"') if slot != HEADERS => {
            let s = c.string()?;
            Some((start + 1, c.pos - 1, s.as_str().is_none()))
        }
        // The envelope is one level, the headers a second.
        Some(b'{') if slot == HEADERS => c
            .container(json::MAX_DEPTH - 1, true)?
            .then_some((start, c.pos, false)),
        _ => match c.value_within(json::MAX_DEPTH - 1)? {
            Value::Null => return Ok(()),
            _ => None,
        },
    };
    match span {
        Some(span) if first => fields.spans[slot] = Some(span),
        Some(_) => {}
        None => fields.wrong |= bit,
    }
    Ok(())
}

/// The request's headers, in their JSON form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    object: Option<Object<'a>>,
}

impl<'a> Headers<'a> {
    /// Each header's name and values, in the envelope's order (Jinn sends
    /// them sorted by name).
    pub fn iter(&self) -> impl Iterator<Item = (Str<'a>, Values<'a>)> + use<'a> {
        self.object
            .into_iter()
            .flat_map(|object| object.iter().map(|(name, value)| (name, Values { value })))
    }

    /// The values of header `name`, matched case-insensitively.
    pub fn get(&self, name: &str) -> Option<Values<'a>> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, values)| values)
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// The values of one header: a string, an array of strings or `null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Values<'a> {
    value: Value<'a>,
}

impl<'a> Values<'a> {
    /// The values, in order.
    pub fn iter(&self) -> ValuesIter<'a> {
        ValuesIter {
            single: match self.value {
                Value::String(s) => Some(s),
                _ => None,
            },
            array: match self.value {
                Value::Array(a) => Some(a.iter()),
                _ => None,
            },
        }
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// The values of a header, in order.
#[derive(Debug, Clone)]
pub struct ValuesIter<'a> {
    single: Option<Str<'a>>,
    array: Option<Elements<'a>>,
}

impl<'a> Iterator for ValuesIter<'a> {
    type Item = Str<'a>;

    fn next(&mut self) -> Option<Str<'a>> {
        if let Some(s) = self.single.take() {
            return Some(s);
        }
        match self.array.as_mut()?.next()? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// The percent-decoded bytes of a query component (`+` is a space, invalid
/// escapes stay as written).
fn percent_decoded(text: &str) -> impl Iterator<Item = u8> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    core::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        i += 1;
        Some(match b {
            b'+' => b' ',
            b'%' if i + 1 < bytes.len() => match hex_pair(bytes[i], bytes[i + 1]) {
                Some(byte) => {
                    i += 2;
                    byte
                }
                None => b'%',
            },
            other => other,
        })
    })
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

fn decoded_eq(component: &str, name: &str) -> bool {
    percent_decoded(component).eq(name.bytes())
}

/// Percent-decodes `text` into `buf`, replacing what is not UTF-8 with
/// U+FFFD; `None` when it does not fit.
fn percent_decode_lossy<'b>(text: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let mut len = 0;
    for b in percent_decoded(text) {
        *buf.get_mut(len)? = b;
        len += 1;
    }
    if core::str::from_utf8(&buf[..len]).is_err() {
        // Rare: decode again into a scratch copy, then rebuild lossily.
        let mut scratch = [0u8; 256];
        let copy = scratch.get_mut(..len)?;
        copy.copy_from_slice(&buf[..len]);
        len = 0;
        for chunk in copy.utf8_chunks() {
            for part in [chunk.valid().as_bytes(), {
                if chunk.invalid().is_empty() {
                    &[][..]
                } else {
                    "\u{fffd}".as_bytes()
                }
            }] {
                buf.get_mut(len..len + part.len())?.copy_from_slice(part);
                len += part.len();
            }
        }
    }
    core::str::from_utf8(&buf[..len]).ok()
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use jinn_contract::json::RawRequest;

    fn parse_both(doc: &str) -> (Result<RawRequest, ()>, Result<std::string::String, Error>) {
        let serde = RawRequest::parse(doc.as_bytes()).map_err(|_| ());
        let mut buf = doc.as_bytes().to_vec();
        let tiny = Request::parse(&mut buf).map(|r| describe(&r));
        (serde, tiny)
    }

    /// The request as jinn-contract's codec would hold it, as JSON text.
    fn describe(r: &Request<'_>) -> std::string::String {
        let mut headers = std::collections::BTreeMap::new();
        for (name, values) in r.headers.iter() {
            let name: std::string::String = name.chars().collect();
            let values: std::vec::Vec<std::string::String> =
                values.iter().map(|v| v.chars().collect()).collect();
            headers.insert(name, values);
        }
        let raw = RawRequest {
            method: r.method.into(),
            uri: r.uri.into(),
            headers,
            body: r.body.into(),
            body_encoding: r.body_encoding.map(Into::into),
            trace_id: r.trace_id.map(Into::into),
        };
        std::string::String::from_utf8(raw.doc().to_vec()).unwrap()
    }

    #[track_caller]
    fn agree(doc: &str) {
        let (serde, tiny) = parse_both(doc);
        match (serde, tiny) {
            (Ok(serde), Ok(tiny)) => {
                assert_eq!(
                    std::string::String::from_utf8(serde.doc().to_vec()).unwrap(),
                    tiny,
                    "{doc}"
                )
            }
            (Err(()), Err(_)) => {}
            (serde, tiny) => panic!("{doc}: serde {serde:?}, tiny {tiny:?}"),
        }
    }

    #[test]
    fn reads_envelopes_as_jinn_contract_does() {
        for doc in [
            r#"{"method":"POST","uri":"/e?x=1","headers":{"Content-Type":["text/plain"],"X-A":["1","2"]},"body":"{\"v\":1}","trace_id":"t9"}"#,
            r#"{"body":"AP8Q","body_encoding":"base64"}"#,
            r#"{"method":null,"headers":null,"body":null,"trace_id":null}"#,
            r#"{"headers":{"A":"x","B":null,"C":[]},"future":{"deep":[1,{"x":null}]}}"#,
            r#"{"uri":"/caf\u00e9\ud83d\ude00\t","body":"line\nnext \\ \/"}"#,
            "  {\"method\" : \"GET\" , \"uri\":\"/\"}\n ",
            r#"{}"#,
            r#"{"method":5}"#,
            r#"{"headers":{"A":1}}"#,
            r#"{"headers":{"A":[1]}}"#,
            r#"{"headers":{"A":{}}}"#,
            r#"{"headers":{"A":true}}"#,
            r#"{"headers":{"A":[[]]}}"#,
            r#"{"headers":{"A":["a",null]}}"#,
            r#"{"headers":{"A":[{"b":"c"}]}}"#,
            r#"{"headers":{"A":["a"],"B":nul}}"#,
            r#"{"headers":{"A":["a"],"B":[ "b" , "c" ] }}"#,
            r#"{"headers":"x"}"#,
            r#"{"method":"A","method":"B"}"#,
            r#"{"body":"x"}{"body":"y"}"#,
            r#"[1]"#,
            r#"42"#,
            r#"{"#,
            r#"{"body":"\ud800"}"#,
        ] {
            agree(doc);
        }
    }

    #[test]
    fn errors_come_as_if_the_document_were_checked_first() {
        let error = |doc: &str| Request::parse(&mut doc.as_bytes().to_vec()).unwrap_err();
        let envelope = |kind, at| Error::Envelope(json::Error { kind, at });
        assert_eq!(
            error(r#"{"method":5,"x":}"#),
            envelope(ErrorKind::Syntax, 16)
        );
        assert_eq!(
            error(r#" {"method":5,"method":"a"}"#),
            envelope(ErrorKind::Duplicate, 13)
        );
        assert_eq!(error(r#"{"headers":{"A":1},"uri":7}"#), Error::Field("uri"));
        assert_eq!(
            error(r#"{"headers":{"A":[1,{]}}"#),
            envelope(ErrorKind::Syntax, 20)
        );
        assert_eq!(error(r#"{"meth\u006fd":1}"#), Error::Field("method"));
        assert_eq!(error(r#"{"uri":"/"} x"#), envelope(ErrorKind::Trailing, 12));
        assert_eq!(error(r#"["#), envelope(ErrorKind::Eof, 1));
        assert_eq!(error(r#"[]"#), envelope(ErrorKind::Type, 0));
        // Nesting counts from the document's top, the envelope included.
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        let field = |n: usize| std::format!("{{\"x\":{}}}", nest(n));
        let header = |n: usize| std::format!("{{\"headers\":{{\"A\":[\"a\",{}]}}}}", nest(n));
        let depth = |doc: std::string::String| {
            Request::parse(&mut doc.into_bytes())
                .err()
                .and_then(|e| match e {
                    Error::Envelope(e) => Some(e.kind),
                    _ => None,
                })
        };
        assert_eq!(depth(field(json::MAX_DEPTH - 1)), None);
        assert_eq!(depth(field(json::MAX_DEPTH)), Some(ErrorKind::Depth));
        assert_eq!(depth(header(json::MAX_DEPTH - 3)), None);
        assert_eq!(depth(header(json::MAX_DEPTH - 2)), Some(ErrorKind::Depth));
    }

    #[test]
    fn empty_input_is_get_slash() {
        let mut buf = *b" \n";
        assert_eq!(Request::parse(&mut buf).unwrap(), Request::default());
    }

    #[test]
    fn body_bytes_decode_base64() {
        let mut input = br#"{"body":"AP8Q","body_encoding":"base64"}"#.to_vec();
        let request = Request::parse(&mut input).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(request.body_bytes(&mut buf).unwrap(), [0, 0xff, 0x10]);
        let mut input = br#"{"body":"x","body_encoding":"rot13"}"#.to_vec();
        let request = Request::parse(&mut input).unwrap();
        assert_eq!(
            request.body_bytes(&mut buf),
            Err(Error::UnknownBodyEncoding)
        );
    }

    #[test]
    fn query_parameters_decode_like_the_std_sdk() {
        let request = Request {
            uri: "/c?name=a%20b&flag&x=1+2&name=second&bad=%zz&utf=%C3%A9&bin=%FFok#frag",
            ..Request::default()
        };
        let mut buf = [0u8; 32];
        assert_eq!(request.path(), "/c");
        assert_eq!(request.query("name", &mut buf), Ok(Some("a b")));
        assert_eq!(request.query("flag", &mut buf), Ok(Some("")));
        assert_eq!(request.query("x", &mut buf), Ok(Some("1 2")));
        assert_eq!(request.query("bad", &mut buf), Ok(Some("%zz")));
        assert_eq!(request.query("utf", &mut buf), Ok(Some("é")));
        assert_eq!(request.query("bin", &mut buf), Ok(Some("\u{fffd}ok")));
        assert_eq!(request.query("missing", &mut buf), Ok(None));
        assert_eq!(request.query("name", &mut buf[..2]), Err(Error::TooSmall));
        let std_request = crate::Request {
            uri: request.uri.into(),
            ..crate::Request::default()
        };
        for name in ["name", "flag", "x", "bad", "utf", "bin", "missing"] {
            assert_eq!(
                request.query(name, &mut buf).unwrap(),
                std_request.query(name).as_deref()
            );
        }
    }

    #[test]
    fn headers_are_found_in_any_case() {
        let mut input =
            br#"{"headers":{"Content-Type":["text/plain"],"X-A":["1","2"],"X-B":"one"}}"#.to_vec();
        let request = Request::parse(&mut input).unwrap();
        assert!(request.header("content-type").unwrap().eq_str("text/plain"));
        let values: std::vec::Vec<&str> = request
            .header_values("x-a")
            .unwrap()
            .iter()
            .map(|v| v.raw())
            .collect();
        assert_eq!(values, ["1", "2"]);
        assert!(request.header("X-B").unwrap().eq_str("one"));
        assert!(request.header("X-C").is_none());
    }
}
