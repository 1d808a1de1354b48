//! A reader of the request envelope as the runtime writes it, for the std
//! SDK: one pass over the bytes, straight into the [`Request`]'s strings.
//!
//! It reads only the plain form — an object of the six known fields, each a
//! string, `null` or (headers) an object of strings, arrays of strings or
//! `null`, strings with the short escapes — and declines everything else
//! (an unknown field, a number, a `\u` escape, a field given twice, bad
//! JSON), so [`Request::parse`] falls back on jinn-contract's serde codec,
//! which then answers exactly as before. What it accepts, the codec reads
//! to the same request (the tests compare them).
//!
//! Why: the runtime meters fuel per block of code entered, whatever part of
//! it runs, and serde_json's generic deserializer costs about 25,000 fuel
//! for a 127-byte envelope; this reader a few thousand.

use std::collections::BTreeMap;

use crate::Request;

/// Reads `input` (not empty or white space only, which the caller
/// handles); `None` when it is not in the plain form.
pub(crate) fn read(input: &[u8]) -> Option<Request> {
    let mut reader = Reader { input, pos: 0 };
    // Per field: `None` while not seen, then `Some` of its value or `null`.
    let mut fields: [Option<Option<String>>; 5] = Default::default();
    let mut headers = None;
    reader.expect(b'{')?;
    if reader.peek()? == b'}' {
        reader.pos += 1;
    } else {
        loop {
            let name = reader.key()?;
            reader.expect(b':')?;
            if name == b"headers" {
                if headers.is_some() {
                    return None;
                }
                headers = Some(reader.headers()?);
            } else {
                let slot = match name {
                    b"method" => 0,
                    b"uri" => 1,
                    b"body" => 2,
                    b"body_encoding" => 3,
                    b"trace_id" => 4,
                    _ => return None,
                };
                // The codec refuses a field given twice, even as `null`.
                if fields[slot].is_some() {
                    return None;
                }
                fields[slot] = Some(reader.optional_string()?);
            }
            if reader.separator(b'}')? {
                break;
            }
        }
    }
    reader.skip_ws();
    if reader.pos != input.len() {
        return None;
    }
    let [method, uri, body, body_encoding, trace_id] = fields.map(Option::flatten);
    Some(Request {
        method: method.unwrap_or_else(|| "GET".to_owned()),
        uri: uri.unwrap_or_else(|| "/".to_owned()),
        headers: headers.unwrap_or_default(),
        body: body.unwrap_or_default(),
        body_encoding,
        trace_id,
    })
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Skips white space and returns the next byte.
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Skips white space and `byte`.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// After a member or element: `true` at `close`, `false` after a `,`.
    fn separator(&mut self, close: u8) -> Option<bool> {
        let byte = self.peek()?;
        self.pos += 1;
        match byte {
            b',' => Some(false),
            _ if byte == close => Some(true),
            _ => None,
        }
    }

    /// `null` (as `None`) or a string.
    fn optional_string(&mut self) -> Option<Option<String>> {
        if self.peek()? == b'n' {
            self.null()?;
            return Some(None);
        }
        self.string().map(Some)
    }

    fn null(&mut self) -> Option<()> {
        let end = self.pos + 4;
        (self.input.get(self.pos..end)? == b"null").then(|| self.pos = end)
    }

    /// A member name without escapes, as its bytes.
    fn key(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let rest = self.input.get(self.pos..)?;
        let len = crate::scan::plain_len(rest);
        if *rest.get(len)? != b'"' {
            return None;
        }
        self.pos += len + 1;
        Some(&rest[..len])
    }

    /// A string with short escapes only, decoded; `None` for anything else.
    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let rest = self.input.get(self.pos..)?;
        let plain = crate::scan::plain_len(rest);
        if *rest.get(plain)? == b'"' {
            self.pos += plain + 1;
            return std::str::from_utf8(&rest[..plain]).ok().map(str::to_owned);
        }
        self.escaped_string()
    }

    /// The rest of a string that has an escape: from where [`Self::string`]
    /// started, decoded.
    #[inline(never)]
    fn escaped_string(&mut self) -> Option<String> {
        let mut text = Vec::new();
        loop {
            let rest = self.input.get(self.pos..)?;
            let plain = crate::scan::plain_len(rest);
            let stop = *rest.get(plain)?;
            text.extend_from_slice(&rest[..plain]);
            self.pos += plain + 1;
            match stop {
                b'"' => break,
                b'\\' => {
                    text.push(unescape(*rest.get(plain + 1)?)?);
                    self.pos += 1;
                }
                _ => return None,
            }
        }
        String::from_utf8(text).ok()
    }

    /// `null` or an object of header name to a string, an array of strings
    /// or `null`; a name given twice keeps its last values, as the codec's
    /// map does. Out of line, so that the other fields' turns of
    /// [`read`]'s loop do not pay for its code.
    #[inline(never)]
    fn headers(&mut self) -> Option<BTreeMap<String, Vec<String>>> {
        let mut headers = BTreeMap::new();
        if self.peek()? == b'n' {
            self.null()?;
            return Some(headers);
        }
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(headers);
        }
        loop {
            let name = self.string()?;
            self.expect(b':')?;
            let values = match self.peek()? {
                b'n' => self.null().map(|()| Vec::new())?,
                b'"' => vec![self.string()?],
                _ => self.values()?,
            };
            headers.insert(name, values);
            if self.separator(b'}')? {
                return Some(headers);
            }
        }
    }

    /// An array of strings.
    fn values(&mut self) -> Option<Vec<String>> {
        self.expect(b'[')?;
        let mut values = Vec::new();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(values);
        }
        loop {
            values.push(self.string()?);
            if self.separator(b']')? {
                return Some(values);
            }
        }
    }
}

/// The byte a short escape (`\"`, `\n`, …) stands for; `None` for `\u` and
/// invalid ones.
fn unescape(letter: u8) -> Option<u8> {
    Some(match letter {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_contract::json::RawRequest;

    fn by_codec(input: &str) -> Option<Request> {
        RawRequest::parse(input.as_bytes()).ok().map(Request::from)
    }

    #[test]
    fn reads_the_plain_form_as_the_codec_does() {
        for input in [
            r#"{"method":"POST","uri":"/echo?x=1","headers":{"Content-Type":["application/json"]},"body":"{\"sensor\":\"t1\",\"value\":42.5}"}"#,
            r#"{"method":"POST","uri":"/a?b=1","headers":{"Content-Type":["text/plain"],"X-Many":["1","2"]},"body":"hi","body_encoding":"base64","trace_id":"t-1"}"#,
            "{}",
            " { } \n",
            r#" { "method" : "GET" , "headers" : { } , "body" : "" } "#,
            r#"{"headers":null,"body":null,"method":null,"uri":null,"body_encoding":null,"trace_id":null}"#,
            r#"{"headers":{"A":"one","B":null,"C":[],"D":["x","y"]}}"#,
            r#"{"headers":{"A":["1"],"A":["2"],"a":["3"]}}"#,
            r#"{"body":"\"\\\/\b\f\n\r\t é 😀"}"#,
        ] {
            let fast = read(input.as_bytes());
            assert!(fast.is_some(), "{input}");
            assert_eq!(fast, by_codec(input), "{input}");
        }
    }

    #[test]
    fn declines_everything_else() {
        for input in [
            "{",
            "{\"method\":\"GET\"",
            "42",
            "[]",
            r#"["GET","/"]"#,
            r#"{"method":5}"#,
            r#"{"method":"GET","method":"PUT"}"#,
            r#"{"method":null,"method":"PUT"}"#,
            r#"{"headers":{},"headers":null}"#,
            r#"{"m\u0065thod":"GET"}"#,
            r#"{"future":1}"#,
            r#"{"method":"GET",}"#,
            r#"{"method":"GET"} x"#,
            r#"{"method":"GET"}{}"#,
            r#"{"uri":"\u0041"}"#,
            r#"{"uri":"\x"}"#,
            r#"{"headers":["A"]}"#,
            r#"{"headers":{"A":[1]}}"#,
            r#"{"headers":{"A":["x",]}}"#,
            r#"{"headers":{"A":true}}"#,
            r#"{"headers":nul}"#,
            "{\"body\":\"\u{1}\"}",
        ] {
            assert_eq!(read(input.as_bytes()), None, "{input}");
        }
        assert_eq!(read(b"{\"body\":\"\xff\"}"), None);
    }
}
