//! A JSON reader over text in place.
//!
//! [`parse`] checks a whole document once (RFC 8259: strings, escapes and
//! surrogate pairs, numbers, nesting up to [`MAX_DEPTH`] levels like
//! serde_json, nothing but white space after it) and hands out views:
//! objects and arrays as their text, read again lazily when iterated;
//! strings still escaped ([`Str`]); numbers as written ([`Number`]). Nothing
//! is allocated and nothing recurses: nesting is tracked in a bit set.

use core::fmt;

/// How deep arrays and objects may nest (serde_json's limit).
pub const MAX_DEPTH: usize = 128;

/// What is wrong with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text ends inside the document.
    Eof,
    /// A character that cannot stand here.
    Syntax,
    /// A bad escape in a string (unknown letter, bad hex, lone surrogate).
    Escape,
    /// A control character inside a string.
    Control,
    /// A number that is not JSON's (`01`, `1.`, `-`, `.5`, `1e`).
    Number,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    Depth,
    /// More than white space after the document.
    Trailing,
    /// A value of the wrong type for what the reader expected.
    Type,
    /// A field given twice where a document allows it once.
    Duplicate,
    /// A field the document must have is absent.
    Missing,
    /// Bytes that are not UTF-8.
    Utf8,
}

impl ErrorKind {
    /// A short description.
    pub const fn message(self) -> &'static str {
        match self {
            ErrorKind::Eof => "unexpected end of JSON",
            ErrorKind::Syntax => "unexpected character",
            ErrorKind::Escape => "invalid escape",
            ErrorKind::Control => "control character in a string",
            ErrorKind::Number => "invalid number",
            ErrorKind::Depth => "nested too deeply",
            ErrorKind::Trailing => "trailing characters",
            ErrorKind::Type => "a value of the wrong type",
            ErrorKind::Duplicate => "a duplicate field",
            ErrorKind::Missing => "a missing field",
            ErrorKind::Utf8 => "invalid UTF-8",
        }
    }
}

/// A document could not be read: what and where (byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// The byte offset in the text where it was found.
    pub at: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.message(), self.at)
    }
}

impl core::error::Error for Error {}

/// One JSON value, as a view into the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(Number<'a>),
    /// A string, still escaped.
    String(Str<'a>),
    /// An array.
    Array(Array<'a>),
    /// An object.
    Object(Object<'a>),
}

/// Reads one document: a value with nothing but white space around it.
///
/// # Errors
///
/// [`Error`] with the first problem and its offset.
pub fn parse(text: &str) -> Result<Value<'_>, Error> {
    let mut cursor = Cursor::new(text);
    cursor.ws();
    let value = cursor.value()?;
    cursor.ws();
    if cursor.pos != text.len() {
        return Err(cursor.error(ErrorKind::Trailing));
    }
    Ok(value)
}

/// A string's text between its quotes, escapes not yet decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Str<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Str<'a> {
    /// The text between the quotes as written (valid inside a JSON string).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The text, when it holds no escape (the usual case).
    pub fn as_str(&self) -> Option<&'a str> {
        (!self.escaped).then_some(self.raw)
    }

    /// The characters, escapes decoded.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            raw: self.raw,
            pos: 0,
        }
    }

    /// Is the decoded text `text`?
    pub fn eq_str(&self, text: &str) -> bool {
        match self.as_str() {
            Some(plain) => plain == text,
            None => self.chars().eq(text.chars()),
        }
    }

    /// Is the decoded text `text`, ignoring ASCII case?
    pub fn eq_ignore_ascii_case(&self, text: &str) -> bool {
        match self.as_str() {
            Some(plain) => plain.eq_ignore_ascii_case(text),
            None => self
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .eq(text.chars().map(|c| c.to_ascii_lowercase())),
        }
    }

    /// The decoded text in `out`; `None` when it does not fit.
    pub fn decode_into<'b>(&self, out: &'b mut [u8]) -> Option<&'b str> {
        if let Some(plain) = self.as_str() {
            let bytes = plain.as_bytes();
            let out = out.get_mut(..bytes.len())?;
            out.copy_from_slice(bytes);
            return core::str::from_utf8(out).ok();
        }
        let mut len = 0;
        for c in self.chars() {
            let width = c.len_utf8();
            c.encode_utf8(out.get_mut(len..len + width)?);
            len += width;
        }
        core::str::from_utf8(&out[..len]).ok()
    }
}

/// Decodes the escapes of a checked string's text in place; returns the
/// length of the decoded text (never longer than the escaped one).
pub(crate) fn unescape_in_place(bytes: &mut [u8]) -> usize {
    let (mut read, mut write) = (0, 0);
    while read < bytes.len() {
        if bytes[read] != b'\\' {
            bytes[write] = bytes[read];
            read += 1;
            write += 1;
            continue;
        }
        let (c, used) = escape_at(&bytes[read..]).unwrap_or(('\u{fffd}', 2));
        read += used;
        let width = c.len_utf8();
        c.encode_utf8(&mut bytes[write..write + width]);
        write += width;
    }
    write
}

/// The escape at the start of `bytes` (which starts with `\`): its character
/// and how many bytes it takes. `None` when it is not a valid escape.
fn escape_at(bytes: &[u8]) -> Option<(char, usize)> {
    let c = match *bytes.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let high = hex4(bytes.get(2..6)?)?;
            return match high {
                0xD800..=0xDBFF => {
                    if bytes.get(6..8)? != b"\\u" {
                        return None;
                    }
                    let low = hex4(bytes.get(8..12)?)?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return None;
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    Some((char::from_u32(code)?, 12))
                }
                0xDC00..=0xDFFF => None,
                _ => Some((char::from_u32(high)?, 6)),
            };
        }
        _ => return None,
    };
    Some((c, 2))
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + (d as char).to_digit(16)?))
}

/// The characters of a [`Str`], escapes decoded.
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    raw: &'a str,
    pos: usize,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let rest = self.raw.get(self.pos..)?;
        if rest.as_bytes().first() == Some(&b'\\') {
            // Checked when the document was read; a bad one ends the text.
            let (c, used) = escape_at(rest.as_bytes())?;
            self.pos += used;
            return Some(c);
        }
        let c = rest.chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }
}

/// A number as written (JSON's grammar, checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    raw: &'a str,
}

impl<'a> Number<'a> {
    /// The number's text.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The value as the nearest `f64`; `None` when it is out of `f64`'s
    /// range (as serde_json refuses it).
    pub fn as_f64(&self) -> Option<f64> {
        self.raw.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// The value as the nearest `f64` when that is cheap to know exactly:
    /// at most 15 significant digits and a decimal exponent within ±22 (the
    /// fast path of every correct parser, one rounding). `None` otherwise;
    /// [`Number::as_f64`] reads every number, at the cost of ~14 KB of code
    /// and tables in a guest.
    pub fn as_f64_short(&self) -> Option<f64> {
        const POWERS: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let bytes = self.raw.as_bytes();
        let (negative, bytes) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, bytes),
        };
        let (mut mantissa, mut significant, mut exponent) = (0u64, 0u32, 0i32);
        let mut in_fraction = false;
        let mut rest = bytes;
        while let Some((&b, tail)) = rest.split_first() {
            match b {
                b'0'..=b'9' => {
                    if mantissa != 0 || b != b'0' {
                        significant += 1;
                        if significant > 15 {
                            return None;
                        }
                    }
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    if in_fraction {
                        exponent -= 1;
                    }
                }
                b'.' => in_fraction = true,
                _ => break,
            }
            rest = tail;
        }
        if let Some((_, digits)) = rest.split_first() {
            let (sign, digits) = match digits.split_first() {
                Some((b'-', d)) => (-1, d),
                Some((b'+', d)) => (1, d),
                _ => (1, digits),
            };
            let mut written = 0i32;
            for &d in digits {
                written = written
                    .saturating_mul(10)
                    .saturating_add(i32::from(d - b'0'));
            }
            exponent = exponent.saturating_add(sign * written);
        }
        let magnitude = if mantissa == 0 {
            0.0
        } else {
            let power = *POWERS.get(exponent.unsigned_abs() as usize)?;
            if exponent < 0 {
                mantissa as f64 / power
            } else {
                mantissa as f64 * power
            }
        };
        Some(if negative { -magnitude } else { magnitude })
    }

    /// The value when it is an integer (no fraction, no exponent) that fits
    /// a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        self.raw.parse().ok()
    }

    /// The value when it is an integer (no fraction, no exponent) that fits
    /// an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.raw.parse().ok()
    }
}

/// An array's text, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Array<'a> {
    raw: &'a str,
}

impl<'a> Array<'a> {
    /// The array's text, brackets included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The elements, in order.
    pub fn iter(&self) -> Elements<'a> {
        Elements {
            cursor: Cursor::new(self.raw).at(1),
        }
    }
}

impl<'a> IntoIterator for Array<'a> {
    type Item = Value<'a>;
    type IntoIter = Elements<'a>;

    fn into_iter(self) -> Elements<'a> {
        self.iter()
    }
}

/// The elements of an [`Array`].
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    cursor: Cursor<'a>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        self.cursor.next_item(b']')?;
        self.cursor.value().ok()
    }
}

/// An object's text, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    raw: &'a str,
}

impl<'a> Object<'a> {
    /// An object whose text was checked as part of a document.
    pub(crate) fn checked(raw: &'a str) -> Self {
        Object { raw }
    }

    /// The object's text, braces included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The members (name, value), in order, repeated names included.
    pub fn iter(&self) -> Members<'a> {
        Members {
            cursor: Cursor::new(self.raw).at(1),
        }
    }

    /// The value of the first member named `name`.
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        self.iter()
            .find(|(key, _)| key.eq_str(name))
            .map(|(_, value)| value)
    }

    /// The values of the members named in `names`, as a struct reads them:
    /// at most once each (a second is [`ErrorKind::Duplicate`]), others
    /// ignored.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Duplicate`], at the offset of the second one in the
    /// object's text.
    pub fn fields<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<[Option<Value<'a>>; N], Error> {
        let mut found = [None; N];
        for (key, value) in self.iter() {
            if let Some(i) = names.iter().position(|name| key.eq_str(name)) {
                if found[i].is_some() {
                    return Err(Error {
                        kind: ErrorKind::Duplicate,
                        at: offset_in(self.raw, key.raw),
                    });
                }
                found[i] = Some(value);
            }
        }
        Ok(found)
    }
}

/// The byte offset of `part` (a slice of `whole`) in `whole`.
pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

impl<'a> IntoIterator for Object<'a> {
    type Item = (Str<'a>, Value<'a>);
    type IntoIter = Members<'a>;

    fn into_iter(self) -> Members<'a> {
        self.iter()
    }
}

/// The members of an [`Object`].
#[derive(Debug, Clone)]
pub struct Members<'a> {
    cursor: Cursor<'a>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Str<'a>, Value<'a>);

    fn next(&mut self) -> Option<(Str<'a>, Value<'a>)> {
        let c = &mut self.cursor;
        c.next_item(b'}')?;
        let key = c.string().ok()?;
        c.ws();
        c.pos += 1; // the ':' checked when the document was read
        c.ws();
        Some((key, c.value().ok()?))
    }
}

/// Reads checked or unchecked text; every method leaves `pos` after what it
/// read.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    fn at(mut self, pos: usize) -> Self {
        self.pos = pos;
        self
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error { kind, at: self.pos }
    }

    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// In a checked array or object: past the `,` before the next item;
    /// `None` at `close` (or the end).
    fn next_item(&mut self, close: u8) -> Option<()> {
        self.ws();
        if self.peek() == Some(b',') {
            self.pos += 1;
            self.ws();
        }
        (self.peek()? != close).then_some(())
    }

    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// `:` between a member's name and value, with the white space around.
    #[inline(always)]
    pub(crate) fn colon(&mut self) -> Result<(), Error> {
        self.ws();
        self.expect(b':')?;
        self.ws();
        Ok(())
    }

    /// The length of the text.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// After a member or element: past a `,` (`true`) or the `close`
    /// (`false`); anything else is an error.
    #[inline(always)]
    pub(crate) fn separator(&mut self, close: u8) -> Result<bool, Error> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.ws();
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            Some(_) => Err(self.error(ErrorKind::Syntax)),
            None => Err(self.error(ErrorKind::Eof)),
        }
    }

    /// At `open` (`{` or `[`): past it and the white space after; `false`
    /// when the container is empty (its close read too).
    pub(crate) fn open(&mut self, close: u8) -> bool {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return false;
        }
        true
    }

    #[inline]
    pub(crate) fn expect(&mut self, byte: u8) -> Result<(), Error> {
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error(ErrorKind::Syntax)),
            None => Err(self.error(ErrorKind::Eof)),
        }
    }

    fn value(&mut self) -> Result<Value<'a>, Error> {
        // Strings, the usual value, without the general reader: wasmi
        // would charge all of its body.
        if self.peek() == Some(b'"') {
            return self.string().map(Value::String);
        }
        self.value_within(MAX_DEPTH)
    }

    /// A value whose arrays and objects may nest `depth` levels.
    #[inline(never)]
    pub(crate) fn value_within(&mut self, depth: usize) -> Result<Value<'a>, Error> {
        match self.peek() {
            None => Err(self.error(ErrorKind::Eof)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => Ok(Value::Number(self.number()?)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(open @ (b'{' | b'[')) => {
                let start = self.pos;
                self.container(depth, false)?;
                let raw = self.text.get(start..self.pos).unwrap_or_default();
                Ok(if open == b'{' {
                    Value::Object(Object { raw })
                } else {
                    Value::Array(Array { raw })
                })
            }
            Some(_) => Err(self.error(ErrorKind::Syntax)),
        }
    }

    #[inline(never)]
    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, Error> {
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(value)
        } else if end > self.text.len()
            && word
                .as_bytes()
                .starts_with(&self.text.as_bytes()[self.pos..])
        {
            Err(Error {
                kind: ErrorKind::Eof,
                at: self.text.len(),
            })
        } else {
            Err(self.error(ErrorKind::Syntax))
        }
    }

    /// The length of the escape at `pos`.
    #[inline]
    fn escape(&self) -> Result<usize, Error> {
        let bytes = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        match escape_at(bytes) {
            Some((_, used)) => Ok(used),
            None => Err(self.error(ErrorKind::Escape)),
        }
    }

    #[inline(never)]
    pub(crate) fn string(&mut self) -> Result<Str<'a>, Error> {
        self.expect(b'"')?;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let end = super::scan::plain_run(bytes, start);
        if bytes.get(end) != Some(&b'"') {
            return self.string_rest(start, end);
        }
        self.pos = end + 1;
        Ok(Str {
            raw: self.slice(start, end),
            escaped: false,
        })
    }

    /// [`Cursor::string`] from its first escape (or error) at `pos`.
    #[inline]
    fn string_rest(&mut self, start: usize, mut pos: usize) -> Result<Str<'a>, Error> {
        let bytes = self.text.as_bytes();
        loop {
            self.pos = pos;
            match bytes.get(pos) {
                None => return Err(self.error(ErrorKind::Eof)),
                Some(b'"') => break,
                Some(b'\\') => pos += self.escape()?,
                Some(_) => return Err(self.error(ErrorKind::Control)),
            }
            pos = super::scan::plain_run(bytes, pos);
        }
        self.pos = pos + 1;
        Ok(Str {
            raw: self.slice(start, pos),
            escaped: true,
        })
    }

    /// The text from `start` to `end`, two offsets of ASCII bytes (or the
    /// end) found by reading it.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        debug_assert!(start <= end && self.text.is_char_boundary(start));
        debug_assert!(self.text.is_char_boundary(end));
        // SAFETY: `start <= end <= len`, both at ASCII bytes or the end of
        // the text, so at character boundaries.
        unsafe { self.text.get_unchecked(start..end) }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    #[inline]
    fn number(&mut self) -> Result<Number<'a>, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = self.digits();
        if int_digits == 0 || (int_digits > 1 && self.text.as_bytes()[int_start] == b'0') {
            return Err(self.error(ErrorKind::Number));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::Number));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::Number));
            }
        }
        Ok(Number {
            raw: self.text.get(start..self.pos).unwrap_or_default(),
        })
    }

    /// Skips an array or object (at `[` or `{`) nesting at most `max_depth`
    /// levels, checking all of it. With `headers`, it is an object of
    /// headers: `false` when one of its values is not a string, an array of
    /// strings or `null` (the text is checked all the same).
    #[inline(never)]
    pub(crate) fn container(&mut self, max_depth: usize, headers: bool) -> Result<bool, Error> {
        // Bit i set: level i is an object.
        let mut objects = [0u8; MAX_DEPTH / 8];
        let mut depth = 0usize;
        let mut typed = true;
        loop {
            // At the start of a value.
            if headers && depth != 0 {
                typed &= header_value(self.peek(), depth, objects[0] & 2 != 0);
            }
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth >= max_depth {
                        return Err(self.error(ErrorKind::Depth));
                    }
                    let is_object = open == b'{';
                    let bit = 1u8 << (depth % 8);
                    if is_object {
                        objects[depth / 8] |= bit;
                    } else {
                        objects[depth / 8] &= !bit;
                    }
                    depth += 1;
                    if self.open(if is_object { b'}' } else { b']' }) {
                        if is_object {
                            self.member_name()?;
                        }
                        continue;
                    }
                    depth -= 1;
                }
                _ => {
                    self.value()?;
                }
            }
            // After a value: a separator, a close, or the end.
            loop {
                if depth == 0 {
                    return Ok(typed);
                }
                let in_object = objects[(depth - 1) / 8] & (1 << ((depth - 1) % 8)) != 0;
                if !self.separator(if in_object { b'}' } else { b']' })? {
                    depth -= 1;
                    continue;
                }
                if in_object {
                    self.member_name()?;
                }
                break;
            }
        }
    }

    /// `"name" :` and the white space after it.
    fn member_name(&mut self) -> Result<(), Error> {
        self.string()?;
        self.colon()
    }
}

/// Whether a value starting with `first`, `depth` levels inside an object
/// of headers (`in_object`: level 1 is an object, not an array), may be
/// there: at level 1 a string, `null` (its text is checked as it is read)
/// or an array, at level 2 in an array a string. Deeper values are inside
/// one already refused.
#[inline]
fn header_value(first: Option<u8>, depth: usize, in_object: bool) -> bool {
    match depth {
        1 => matches!(first, Some(b'"' | b'n' | b'[')),
        _ => in_object || first == Some(b'"'),
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_documents_lazily() {
        let doc = r#" {"a": [1, -2.5e3, "x\"y", null, true], "b": {"c": {}}, "a": false} "#;
        let Value::Object(object) = parse(doc).unwrap() else {
            panic!("object")
        };
        let Some(Value::Array(a)) = object.get("a") else {
            panic!("a")
        };
        let items: std::vec::Vec<_> = a.iter().collect();
        assert_eq!(items.len(), 5);
        assert!(matches!(items[1], Value::Number(n) if n.as_f64() == Some(-2500.0)));
        assert!(matches!(items[2], Value::String(s) if s.eq_str("x\"y") && s.raw() == "x\\\"y"));
        assert_eq!(items[3], Value::Null);
        assert_eq!(object.iter().count(), 3);
        assert_eq!(
            object.fields(["a", "b"]).unwrap_err().kind,
            ErrorKind::Duplicate
        );
        assert!(matches!(object.get("b"), Some(Value::Object(o)) if o.raw() == r#"{"c": {}}"#));
    }

    #[test]
    fn strings_decode_escapes_and_surrogates() {
        let Value::String(s) = parse(r#""a\u00e9\ud83d\ude00\n\/""#).unwrap() else {
            panic!("string")
        };
        assert_eq!(s.as_str(), None);
        assert!(s.eq_str("aé😀\n/"));
        let mut out = [0u8; 16];
        assert_eq!(s.decode_into(&mut out), Some("aé😀\n/"));
        assert_eq!(s.decode_into(&mut out[..3]), None);
        let mut bytes = *br#"a\u00e9\ud83d\ude00\n\/"#;
        let n = unescape_in_place(&mut bytes);
        assert_eq!(core::str::from_utf8(&bytes[..n]).unwrap(), "aé😀\n/");
        assert!(s.eq_ignore_ascii_case("Aé😀\n/"));
    }

    #[test]
    fn bad_documents_are_typed_with_their_offset() {
        let cases = [
            ("", ErrorKind::Eof, 0),
            ("{", ErrorKind::Eof, 1),
            ("nul", ErrorKind::Eof, 3),
            ("nulx", ErrorKind::Syntax, 0),
            ("[1,]", ErrorKind::Syntax, 3),
            ("{\"a\" 1}", ErrorKind::Syntax, 5),
            ("{\"a\":1,}", ErrorKind::Syntax, 7),
            ("[1 2]", ErrorKind::Syntax, 3),
            ("\"\\x\"", ErrorKind::Escape, 1),
            ("\"\\ud800\"", ErrorKind::Escape, 1),
            ("\"\\udc00\"", ErrorKind::Escape, 1),
            ("\"a\nb\"", ErrorKind::Control, 2),
            ("01", ErrorKind::Number, 2),
            ("1.", ErrorKind::Number, 2),
            ("-", ErrorKind::Number, 1),
            ("1e+", ErrorKind::Number, 3),
            ("{} {}", ErrorKind::Trailing, 3),
            ("[}", ErrorKind::Syntax, 1),
        ];
        for (doc, kind, at) in cases {
            assert_eq!(parse(doc), Err(Error { kind, at }), "{doc:?}");
        }
    }

    #[test]
    fn nesting_is_limited_without_recursion() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            parse(&deep(MAX_DEPTH + 1)).unwrap_err().kind,
            ErrorKind::Depth
        );
        let objects = "{\"a\":".repeat(100) + "1" + &"}".repeat(100);
        assert!(parse(&objects).is_ok());
    }

    #[test]
    fn numbers_convert_as_serde_json_does() {
        let n = |s| Number { raw: s };
        assert_eq!(n("40").as_f64(), Some(40.0));
        assert_eq!(n("0.1").as_f64(), Some(0.1));
        assert_eq!(n("1e400").as_f64(), None);
        assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(n("1.0").as_u64(), None);
        assert_eq!(n("-3").as_i64(), Some(-3));
        for text in [
            "0",
            "-0",
            "40",
            "42.5",
            "0.1",
            "-273.15",
            "1e22",
            "1.5e-7",
            "123456789012345",
            "0.000000000000000000001",
            "99999.99999",
            "1E3",
            "2.5e+2",
            "0.30000000000000",
        ] {
            let short = n(text).as_f64_short().unwrap();
            let exact = n(text).as_f64().unwrap();
            assert_eq!(short.to_bits(), exact.to_bits(), "{text}");
        }
        for text in [
            "1e23",
            "1234567890123456",
            "0.30000000000000004",
            "1e-23",
            "1e400",
        ] {
            assert_eq!(n(text).as_f64_short(), None, "{text}");
        }
    }
}
