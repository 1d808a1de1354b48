//! Writing JSON without allocating: a byte [`Sink`], strings escaped as
//! serde_json escapes them, and [`JsonObject`], a flat object of scalars
//! (the bodies and payloads small functions answer with).

use heapless::Vec;

use super::json::Str;

/// Where JSON text goes: stdout, a fixed buffer, or a string being escaped.
pub trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);

    /// Appends `text`.
    fn put_str(&mut self, text: &str) {
        self.put(text.as_bytes());
    }

    /// Appends `value` in decimal.
    fn put_u64(&mut self, value: u64) {
        self.put(itoa::Buffer::new().format(value).as_bytes());
    }
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

/// For guests that choose `core::fmt` (`write!(buffer, "{value}")`); it
/// costs a few kilobytes of code, floats more.
impl<const N: usize> core::fmt::Write for Buffer<N> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.put(text.as_bytes());
        if self.overflowed {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}

impl<const N: usize> Sink for Buffer<N> {
    fn put(&mut self, bytes: &[u8]) {
        append(self.bytes.as_mut_view(), &mut self.overflowed, bytes);
    }
}

/// One copy for buffers of every size.
#[inline(never)]
fn append(buffer: &mut heapless::vec::VecView<u8>, overflowed: &mut bool, bytes: &[u8]) {
    if buffer.extend_from_slice(bytes).is_err() {
        *overflowed = true;
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
    let end = super::scan::plain_run(text, 0);
    if end == text.len() {
        return out.put(text);
    }
    escape_from(out, text, end);
}

/// [`escape`] of text with a byte to escape: out of line, as wasmi charges
/// a loop's whole body on every step.
#[inline(never)]
fn escape_from(out: &mut dyn Sink, text: &[u8], mut end: usize) {
    let mut start = 0;
    loop {
        if end > start {
            out.put(&text[start..end]);
        }
        let Some(&b) = text.get(end) else {
            return;
        };
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\x08' => b"\\b",
            b'\x0c' => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => b"",
        };
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
        start = end + 1;
        end = super::scan::plain_run(text, start);
    }
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

/// One value of a [`JsonObject`]. Numbers are written to text when they
/// are added, so a guest links only the formatting it uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Str(&'a str),
    /// A number (or `null`), as JSON text.
    Number(Vec<u8, 24>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl Scalar<'_> {
    /// An unsigned integer.
    pub fn u64(value: u64) -> Self {
        let mut text = Buffer::<24>::new();
        text.put_u64(value);
        Scalar::Number(text.bytes)
    }

    /// A signed integer.
    pub fn i64(value: i64) -> Self {
        let mut text = Buffer::<24>::new();
        text.put(itoa::Buffer::new().format(value).as_bytes());
        Scalar::Number(text.bytes)
    }

    /// A float as serde_json writes it (the shortest text that reads back
    /// as the same value, `.0` on whole numbers, an exponent beyond 1e16
    /// and below 1e-5); `null` when it is not finite.
    pub fn f64(value: f64) -> Self {
        if !value.is_finite() {
            return Scalar::Null;
        }
        let mut text = Buffer::<24>::new();
        text.put(zmij::Buffer::new().format_finite(value).as_bytes());
        Scalar::Number(text.bytes)
    }
}

/// One writer for objects of every size (a guest links one copy).
fn write_object(fields: &[(&str, Scalar<'_>)], out: &mut dyn Sink) {
    out.put(b"{");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.put(b",");
        }
        string(out, name);
        out.put(b":");
        match value {
            Scalar::Str(text) => string(out, text),
            Scalar::Number(text) => out.put(text),
            Scalar::Null => out.put(b"null"),
            Scalar::Bool(v) => out.put(if *v { b"true" } else { b"false" }),
        }
    }
    out.put(b"}");
}

/// Writes `value` as Rust's `{}` (`Display`) does — the shortest digits that
/// read back as the same value, never an exponent, no `.0` on whole numbers
/// (`40`, `42.5`, `0.00001`, `-0`, `NaN`, `inf`) — without `core::fmt`.
///
/// The digits are [`Scalar::f64`]'s. Where the shortest form needs 16 or 17
/// digits, two forms may be equally short and the last digit can differ
/// from Rust's choice (both read back as `value`); up to 15 digits (every
/// number read with [`Number::as_f64_short`](super::json::Number::as_f64_short))
/// the text is Rust's.
pub fn display_f64(out: &mut dyn Sink, value: f64) {
    if value.is_nan() {
        return out.put(b"NaN");
    }
    if value.is_sign_negative() {
        out.put(b"-");
    }
    if value.is_infinite() {
        return out.put(b"inf");
    }
    let mut shortest = zmij::Buffer::new();
    let text = shortest.format_finite(value.abs()).as_bytes();
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => {
            let exponent = &text[e + 1..];
            let (negative, digits) = match exponent.first() {
                Some(b'-') => (true, &exponent[1..]),
                Some(b'+') => (false, &exponent[1..]),
                _ => (false, exponent),
            };
            let magnitude = digits
                .iter()
                .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'));
            (&text[..e], if negative { -magnitude } else { magnitude })
        }
        None => (text, 0),
    };
    // digits × 10^(point - digits.len()), leading and trailing zeros dropped.
    let mut digits = Vec::<u8, 24>::new();
    let mut point = exponent;
    let mut seen_point = false;
    for &b in mantissa {
        match b {
            b'.' => seen_point = true,
            b'0' if digits.is_empty() => {
                if seen_point {
                    point -= 1;
                }
            }
            _ => {
                let _ = digits.push(b);
                if !seen_point {
                    point += 1;
                }
            }
        }
    }
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return out.put(b"0");
    }
    let len = digits.len() as i32;
    if point <= 0 {
        out.put(b"0.");
        zeros(out, -point);
        out.put(&digits);
    } else if point >= len {
        out.put(&digits);
        zeros(out, point - len);
    } else {
        out.put(&digits[..point as usize]);
        out.put(b".");
        out.put(&digits[point as usize..]);
    }
}

fn zeros(out: &mut dyn Sink, count: i32) {
    for _ in 0..count {
        out.put(b"0");
    }
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
        self.field(name, Scalar::u64(value))
    }

    /// Adds a float field, written as serde_json writes it ([`Scalar::f64`]).
    pub fn f64(self, name: &'a str, value: f64) -> Self {
        self.field(name, Scalar::f64(value))
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
        write_object(&self.fields, out);
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
            .field("i", Scalar::i64(-7))
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
    fn display_matches_rust_display() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = std::vec![
            0.0,
            -0.0,
            40.0,
            42.5,
            1e20,
            5e-5,
            1e-7,
            0.1,
            123456789.125,
            1e16,
            1e15,
            9007199254740993.0,
            1.7976931348623157e308,
            5e-324,
            2.2250738585072014e-308,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.5e-3,
        ];
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            values.push(f64::from_bits(seed));
            values.push((seed % 2_000_000) as f64 / 1000.0 - 1000.0);
            values.push(
                ((seed >> 20) % 100_000_000_000_000) as f64 * 10f64.powi((seed % 40) as i32 - 20),
            );
        }
        for v in values {
            let mut out = Buffer::<400>::new();
            display_f64(&mut out, v);
            let text = out.as_str().unwrap();
            let rust = std::format!("{v}");
            let digits = std::format!("{v:e}")
                .bytes()
                .take_while(|&b| b != b'e')
                .filter(u8::is_ascii_digit)
                .count();
            if digits <= 15 {
                assert_eq!(text, rust, "{v:e}");
            } else {
                assert_eq!(text.len(), rust.len(), "{v:e}");
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v:e}");
            }
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
