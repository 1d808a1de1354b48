//! Header names and values as the envelope carries them.
//!
//! Names are Go-style (`x-api-key` → `X-Api-Key`), as Go's `http.Header`
//! and so Gojinn guests see them; the values of one name are grouped in the
//! order they arrived. A function's response may not set the headers the
//! server owns (hop-by-hop), nor names and values HTTP cannot carry.

#[cfg(feature = "alloc")]
use alloc::collections::BTreeMap;
#[cfg(feature = "alloc")]
use alloc::string::String;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// Header name → values, as in Go's `http.Header`.
#[cfg(feature = "alloc")]
pub type Headers = BTreeMap<String, Vec<String>>;

/// Hop-by-hop headers (lowercase): a function's response may not set them,
/// the server owns them.
pub const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "proxy-connection",
];

/// Header values a function's response may carry (all names together);
/// more is a bad response. Far below what breaks an HTTP server (hyper
/// panics past 32,768 names).
pub const MAX_RESPONSE_HEADERS: usize = 128;

/// Bytes of header names and values a function's response may carry (a
/// name counted once per value); more is a bad response.
pub const MAX_RESPONSE_HEADER_BYTES: usize = 64 * 1024;

/// Which response-header cap [`over_caps`] found exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderCap {
    /// More than [`MAX_RESPONSE_HEADERS`] values.
    Values,
    /// More than [`MAX_RESPONSE_HEADER_BYTES`] bytes.
    Bytes,
}

impl HeaderCap {
    /// `header values` or `bytes of headers`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Values => "header values",
            Self::Bytes => "bytes of headers",
        }
    }

    /// The cap itself.
    pub const fn cap(self) -> usize {
        match self {
            Self::Values => MAX_RESPONSE_HEADERS,
            Self::Bytes => MAX_RESPONSE_HEADER_BYTES,
        }
    }
}

/// The first cap a response's `headers` exceed, with what they hold.
#[cfg(feature = "alloc")]
pub fn over_caps(headers: &Headers) -> Option<(HeaderCap, usize)> {
    let values: usize = headers.values().map(Vec::len).sum();
    if values > MAX_RESPONSE_HEADERS {
        return Some((HeaderCap::Values, values));
    }
    let bytes: usize = headers
        .iter()
        .map(|(k, vs)| vs.iter().map(|v| k.len() + v.len()).sum::<usize>())
        .sum();
    (bytes > MAX_RESPONSE_HEADER_BYTES).then_some((HeaderCap::Bytes, bytes))
}

#[cfg(feature = "alloc")]
/// `x-api-key` → `X-Api-Key`: the first letter and every letter after a `-`
/// upper case, the others lower case.
pub fn canonical_name(name: &str) -> String {
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

/// Is `name` one of [`HOP_BY_HOP`], in any case?
pub fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Is `name` an HTTP field name (a non-empty RFC 9110 token)?
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Can HTTP carry `value` (no control characters but tab)?
pub fn valid_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(feature = "alloc")]
/// Groups raw `(name, value)` pairs into envelope headers: canonical names,
/// values in arrival order, bytes that are not UTF-8 replaced (U+FFFD).
pub fn group<'h>(raw: impl IntoIterator<Item = (&'h str, &'h [u8])>) -> Headers {
    let mut headers = Headers::new();
    for (name, value) in raw {
        headers
            .entry(canonical_name(name))
            .or_default()
            .push(String::from_utf8_lossy(value).into_owned());
    }
    headers
}

#[cfg(feature = "alloc")]
/// The `(name, value)` pairs of a function's response headers that an HTTP
/// server sends: hop-by-hop headers, invalid names and invalid values are
/// left out.
pub fn forwarded(headers: &Headers) -> impl Iterator<Item = (&str, &str)> {
    headers
        .iter()
        .filter(|(name, _)| valid_name(name) && !is_hop_by_hop(name))
        .flat_map(|(name, values)| {
            values
                .iter()
                .filter(|v| valid_value(v))
                .map(move |v| (name.as_str(), v.as_str()))
        })
}

#[cfg(feature = "alloc")]
/// The first value of `name` (matched in any case).
pub fn first<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn header_count_and_size_are_capped() {
        let mut h = Headers::new();
        for i in 0..MAX_RESPONSE_HEADERS {
            h.insert(alloc::format!("H{i}"), vec!["v".into()]);
        }
        assert_eq!(over_caps(&h), None);
        h.insert("One-More".into(), vec!["v".into()]);
        assert_eq!(
            over_caps(&h),
            Some((HeaderCap::Values, MAX_RESPONSE_HEADERS + 1))
        );
        let mut h = Headers::new();
        h.insert("A".into(), vec!["v".repeat(MAX_RESPONSE_HEADER_BYTES)]);
        assert_eq!(
            over_caps(&h),
            Some((HeaderCap::Bytes, MAX_RESPONSE_HEADER_BYTES + 1))
        );
        let mut h = Headers::new();
        h.insert(
            "A".into(),
            (0..=MAX_RESPONSE_HEADERS).map(|_| "v".into()).collect(),
        );
        assert!(over_caps(&h).is_some(), "values of one name count too");
    }

    #[test]
    fn names_are_canonical_as_in_go() {
        assert_eq!(canonical_name("x-api-key"), "X-Api-Key");
        assert_eq!(canonical_name("CONTENT-TYPE"), "Content-Type");
        assert_eq!(canonical_name("te"), "Te");
    }

    #[test]
    fn raw_headers_are_grouped_in_order() {
        let raw = [
            ("content-type", &b"text/plain"[..]),
            ("x-a", b"1"),
            ("X-A", b"2"),
            ("x-bin", b"\xff"),
        ];
        let h = group(raw);
        assert_eq!(h["Content-Type"], ["text/plain"]);
        assert_eq!(h["X-A"], ["1", "2"]);
        assert_eq!(h["X-Bin"], ["\u{fffd}"]);
        assert_eq!(first(&h, "x-a"), Some("1"));
    }

    #[test]
    fn forwarded_headers_leave_out_what_http_owns_or_cannot_carry() {
        let mut h = Headers::new();
        h.insert("Content-Type".into(), vec!["text/plain".into()]);
        h.insert("Connection".into(), vec!["close".into()]);
        h.insert("Transfer-Encoding".into(), vec!["chunked".into()]);
        h.insert("Bad Name".into(), vec!["x".into()]);
        h.insert(
            "X-Many".into(),
            vec!["a".into(), "b\r\nX-Evil: 1".into(), "ü".into()],
        );
        let sent: Vec<_> = forwarded(&h).collect();
        assert_eq!(
            sent,
            [
                ("Content-Type", "text/plain"),
                ("X-Many", "a"),
                ("X-Many", "ü")
            ]
        );
    }
}
