//! Writing JSON without allocating: a byte [`Sink`], strings escaped as
//! serde_json escapes them, and [`JsonObject`], a flat object of scalars
//! (the bodies and payloads small functions answer with).

use heapless::Vec;

use super::json::Str;

/// Where JSON text goes: stdout, a fixed buffer, or a string being escaped.
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

/// A fixed buffer; what does not fit is dropped and remembered.
#[derive(Debug, Clone, Default)]
pub struct Buffer<const N: usize> {
    bytes: Vec<u8, N>,
    overflowed: bool,
}

impl<const N: usize> Buffer<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        Buffer {
            bytes: Vec::new(),
            overflowed: false,
        }
    }

    /// What was written, or `None` when some of it did not fit.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        (!self.overflowed).then_some(self.bytes.as_slice())
    }

    /// What was written as text, or `None` when some of it did not fit.
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()?).ok()
    }
}

impl<const N: usize> Sink for Buffer<N> {
    fn put(&mut self, bytes: &[u8]) {
        if self.bytes.extend_from_slice(bytes).is_err() {
            self.overflowed = true;
        }
    }
}

/// Writes what it is given escaped for the inside of a JSON string (a JSON
/// document written as a string value, e.g. a body).
pub(crate) struct Escaped<'s>(pub(crate) &'s mut dyn Sink);

impl Sink for Escaped<'_> {
    fn put(&mut self, bytes: &[u8]) {
        escape(self.0, bytes);
    }
}

/// Writes `text` escaped for the inside of a JSON string, exactly as
/// serde_json does: `"` and `\` escaped, `\b \f \n \r \t` by letter, other
/// control characters as `\u00XX`, everything else (`/`, DEL, non-ASCII) as
/// it is.
pub(crate) fn escape(out: &mut dyn Sink, text: &[u8]) {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\x08' => b"\\b",
            b'\x0c' => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.put(&text[start..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.put(short);
        }
        start = i + 1;
    }
    out.put(&text[start..]);
}

/// Writes `"text"`, escaped.
pub(crate) fn string(out: &mut dyn Sink, text: &str) {
    out.put(b"\"");
    escape(out, text.as_bytes());
    out.put(b"\"");
}

/// Writes a checked string still in its escaped form (`"raw"`).
pub(crate) fn raw_string(out: &mut dyn Sink, text: Str<'_>) {
    out.put(b"\"");
    out.put(text.raw().as_bytes());
    out.put(b"\"");
}

/// Writes an unsigned integer.
pub(crate) fn unsigned(out: &mut dyn Sink, value: u64) {
    out.put(itoa::Buffer::new().format(value).as_bytes());
}

/// One value of a [`JsonObject`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Str(&'a str),
    /// An unsigned integer.
    U64(u64),
    /// A signed integer.
    I64(i64),
    /// A float, written as serde_json writes it (shortest round-trip form
    /// with `.0` for whole numbers; `null` when not finite).
    F64(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// A flat JSON object of up to `N` fields, written in the order they were
/// added: `{"name":"door","count":1}`.
///
/// ```
/// use jinn_guest::tiny::{JsonObject, write::Buffer};
///
/// let object = JsonObject::<4>::new().str("name", "a\"b").u64("count", 3).bool("ok", true);
/// let mut out = Buffer::<64>::new();
/// object.write_to(&mut out);
/// assert_eq!(out.as_str(), Some(r#"{"name":"a\"b","count":3,"ok":true}"#));
/// ```
#[derive(Debug, Clone, Default)]
pub struct JsonObject<'a, const N: usize = 8> {
    fields: Vec<(&'a str, Scalar<'a>), N>,
    overflowed: bool,
}

impl<'a, const N: usize> JsonObject<'a, N> {
    /// An object with no fields.
    pub const fn new() -> Self {
        JsonObject {
            fields: Vec::new(),
            overflowed: false,
        }
    }

    /// Adds field `name` with `value`. More than `N` fields make the object
    /// unwritable ([`JsonObject::is_complete`] is false).
    pub fn field(mut self, name: &'a str, value: Scalar<'a>) -> Self {
        if self.fields.push((name, value)).is_err() {
            self.overflowed = true;
        }
        self
    }

    /// Adds a string field.
    pub fn str(self, name: &'a str, value: &'a str) -> Self {
        self.field(name, Scalar::Str(value))
    }

    /// Adds an unsigned integer field.
    pub fn u64(self, name: &'a str, value: u64) -> Self {
        self.field(name, Scalar::U64(value))
    }

    /// Adds a float field.
    pub fn f64(self, name: &'a str, value: f64) -> Self {
        self.field(name, Scalar::F64(value))
    }

    /// Adds a boolean field.
    pub fn bool(self, name: &'a str, value: bool) -> Self {
        self.field(name, Scalar::Bool(value))
    }

    /// Whether every field added fits (at most `N`).
    pub fn is_complete(&self) -> bool {
        !self.overflowed
    }

    /// Writes the object's JSON text.
    pub fn write_to(&self, out: &mut dyn Sink) {
        out.put(b"{");
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.put(b",");
            }
            string(out, name);
            out.put(b":");
            match *value {
                Scalar::Str(text) => string(out, text),
                Scalar::U64(v) => unsigned(out, v),
                Scalar::I64(v) => out.put(itoa::Buffer::new().format(v).as_bytes()),
                Scalar::F64(v) if v.is_finite() => {
                    out.put(zmij::Buffer::new().format_finite(v).as_bytes())
                }
                Scalar::F64(_) | Scalar::Null => out.put(b"null"),
                Scalar::Bool(v) => out.put(if v { b"true" } else { b"false" }),
            }
        }
        out.put(b"}");
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_serde_json_does() {
        let text = "q\"b\\s/\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é😀";
        let mut out = Buffer::<128>::new();
        string(&mut out, text);
        assert_eq!(out.as_str().unwrap(), serde_json::to_string(text).unwrap());
    }

    #[test]
    fn objects_write_like_serde_json() {
        let object = JsonObject::<8>::new()
            .str("s", "x")
            .f64("a", 40.0)
            .f64("b", 42.5)
            .f64("c", 1e20)
            .f64("d", 5e-5)
            .f64("nan", f64::NAN)
            .field("i", Scalar::I64(-7))
            .field("n", Scalar::Null);
        let mut out = Buffer::<256>::new();
        object.write_to(&mut out);
        let expected = serde_json::json!({
            "s": "x", "a": 40.0, "b": 42.5, "c": 1e20, "d": 5e-5, "nan": null, "i": -7, "n": null
        });
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(out.as_str().unwrap()).unwrap(),
            expected
        );
        assert_eq!(
            out.as_str().unwrap(),
            r#"{"s":"x","a":40.0,"b":42.5,"c":1e+20,"d":0.00005,"nan":null,"i":-7,"n":null}"#
        );
        for v in [
            0.1,
            -0.0,
            1e-7,
            123456789.125,
            1.7976931348623157e308,
            5e-324,
            1e16,
            1e15,
        ] {
            let mut out = Buffer::<64>::new();
            JsonObject::<1>::new().f64("v", v).write_to(&mut out);
            let expected = format!("{{\"v\":{}}}", serde_json::to_string(&v).unwrap());
            assert_eq!(out.as_str().unwrap(), expected);
        }
    }

    #[test]
    fn overflow_is_remembered() {
        let object = JsonObject::<1>::new().u64("a", 1).u64("b", 2);
        assert!(!object.is_complete());
        let mut out = Buffer::<4>::new();
        JsonObject::<1>::new().u64("long", 1).write_to(&mut out);
        assert_eq!(out.as_bytes(), None);
    }
}
