//! Outcomes → HTTP responses, and the small JSON answers of the device.
//!
//! Errors are `{"error":"<kind>","trace_id":"…"}` with the kind's status,
//! as on the gateway. A guest response keeps its status, body and headers
//! (hop-by-hop headers dropped, values with CR or LF dropped).

use core::fmt::Write as _;

use embassy_sync::once_lock::OnceLock;
use jinn_core::Headers;
use jinn_core::contract::headers;
use picoserve::io::Write;
use picoserve::response::{Content, ForEachHeader, HeadersIter};

/// Headers picoserve writes itself (on top of the hop-by-hop ones, which
/// [`headers::forwarded`] leaves out).
fn written_by_picoserve(name: &str) -> bool {
    ["content-type", "date"]
        .iter()
        .any(|o| o.eq_ignore_ascii_case(name))
}

/// Content types written without interning.
const KNOWN_TYPES: [&str; 10] = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/plain; charset=utf-8",
    "text/html",
    "text/html; charset=utf-8",
    "application/octet-stream",
    "text/csv",
    "application/cbor",
    "application/xml",
];

/// Other content types, kept once each for the life of the device
/// (picoserve wants a `&'static str`).
static INTERNED: [OnceLock<heapless::String<64>>; 8] = [const { OnceLock::new() }; 8];

/// The fallback when a function sets too many distinct Content-Types.
const OCTET_STREAM: &str = "application/octet-stream";

/// A `&'static str` equal to `content_type`.
pub(crate) fn intern(content_type: &str) -> &'static str {
    if let Some(known) = KNOWN_TYPES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(content_type))
    {
        return known;
    }
    if content_type.contains(['\r', '\n']) {
        return OCTET_STREAM;
    }
    let Ok(wanted) = heapless::String::<64>::try_from(content_type) else {
        return OCTET_STREAM;
    };
    for slot in &INTERNED {
        match slot.try_get() {
            Some(have) if have == &wanted => return have.as_str(),
            Some(_) => {}
            None => return slot.get_or_init(|| wanted.clone()).as_str(),
        }
    }
    warn!(
        "content type {} not kept: too many distinct types",
        content_type
    );
    OCTET_STREAM
}

/// A function's body with its content type.
pub(crate) struct GuestBody<'a> {
    pub(crate) content_type: &'static str,
    pub(crate) bytes: &'a [u8],
}

impl Content for GuestBody<'_> {
    fn content_type(&self) -> &'static str {
        self.content_type
    }

    fn content_length(&self) -> usize {
        self.bytes.len()
    }

    async fn write_content<W: Write>(self, mut writer: W) -> Result<(), W::Error> {
        writer.write_all(self.bytes).await
    }
}

/// A function's headers, minus the ones the server owns.
pub(crate) struct GuestHeaders<'a>(pub(crate) &'a Headers);

impl HeadersIter for GuestHeaders<'_> {
    async fn for_each_header<F: ForEachHeader>(self, mut f: F) -> Result<F::Output, F::Error> {
        for (name, value) in headers::forwarded(self.0) {
            if !written_by_picoserve(name) {
                f.call(name, value).await?;
            }
        }
        f.finalize().await
    }
}

/// The Content-Type a function chose (its first value); when it chose none,
/// the one Go's `http.DetectContentType` sniffs from the body, as on the
/// gateway (picoserve always writes one, so an empty body gets the sniffer's
/// answer for empty data, `text/plain; charset=utf-8`).
pub(crate) fn content_type_of(headers: &Headers, body: &[u8]) -> &'static str {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, values)| values.first())
        .map_or_else(|| jinn_core::sniff::detect(body), |v| intern(v))
}

/// A JSON document of at most 256 bytes.
pub(crate) type SmallJson = heapless::String<256>;

/// `{"error":"<kind>","trace_id":"<id>"}`.
pub(crate) fn error_body(kind: &str, trace_id: &str) -> SmallJson {
    let mut body = SmallJson::new();
    let id: heapless::String<128> = trace_id
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .take(128)
        .collect();
    let _ = write!(body, r#"{{"error":"{kind}","trace_id":"{id}"}}"#);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_kept_or_interned() {
        assert_eq!(intern("Application/JSON"), "application/json");
        let a = intern("image/png");
        assert_eq!(a, "image/png");
        assert!(core::ptr::eq(a, intern("image/png")), "interned once");
        assert_eq!(intern("evil\r\nX: y"), OCTET_STREAM);
        assert_eq!(
            content_type_of(&Headers::new(), b"<html><p>hi"),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type_of(&Headers::new(), b"\x00\x01"), OCTET_STREAM);
    }

    #[test]
    fn error_bodies_are_json() {
        assert_eq!(
            error_body("fuel_exhausted", "ab\"c"),
            r#"{"error":"fuel_exhausted","trace_id":"abc"}"#
        );
    }
}
