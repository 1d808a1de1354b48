//! The `Content-Type` of a response whose function set none, as Gojinn's
//! server (Go's `net/http`) gives it: `http.DetectContentType` over the
//! first 512 bytes of the body — the WHATWG MIME sniffing algorithm, with
//! Go's table and order, byte for byte.

use crate::contract::Headers;

/// Bytes of the body looked at.
const SNIFF_LEN: usize = 512;

/// What Go sends when nothing matches.
pub const FALLBACK: &str = "application/octet-stream";

/// The `Content-Type` to add to a response, or `None` when it needs none:
/// the function set one (any case), the body is empty, or the status has
/// no body (1xx, 204, 304) — exactly when Go's server sniffs.
pub fn default_content_type(status: u16, headers: &Headers, body: &[u8]) -> Option<&'static str> {
    let has_type = headers
        .keys()
        .any(|name| name.eq_ignore_ascii_case("content-type"));
    let body_allowed = !(100..200).contains(&status) && status != 204 && status != 304;
    (!has_type && body_allowed && !body.is_empty()).then(|| detect(body))
}

/// Go's `http.DetectContentType`: always a valid MIME type,
/// [`FALLBACK`] when nothing more specific matches.
pub fn detect(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(SNIFF_LEN)];
    let first = data.iter().take_while(|b| is_ws(**b)).count();
    SIGNATURES
        .iter()
        .find_map(|sig| sig.matches(data, first))
        .unwrap_or(FALLBACK)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn is_tag_terminator(b: u8) -> bool {
    b == b' ' || b == b'>'
}

enum Sig {
    /// An HTML tag, case-insensitive, after white space, then space or `>`.
    Html(&'static [u8]),
    /// `data & mask == pattern`, optionally after white space.
    Masked {
        mask: &'static [u8],
        pattern: &'static [u8],
        skip_ws: bool,
        ct: &'static str,
    },
    /// A prefix.
    Exact(&'static [u8], &'static str),
    /// An ISO base media `ftyp` box with an `mp4` brand.
    Mp4,
    /// No binary bytes: plain text. Last.
    Text,
}

const HTML: &str = "text/html; charset=utf-8";

const fn masked(mask: &'static [u8], pattern: &'static [u8], ct: &'static str) -> Sig {
    Sig::Masked {
        mask,
        pattern,
        skip_ws: false,
        ct,
    }
}

/// Go's `sniffSignatures`, in order.
const SIGNATURES: &[Sig] = &[
    Sig::Html(b"<!DOCTYPE HTML"),
    Sig::Html(b"<HTML"),
    Sig::Html(b"<HEAD"),
    Sig::Html(b"<SCRIPT"),
    Sig::Html(b"<IFRAME"),
    Sig::Html(b"<H1"),
    Sig::Html(b"<DIV"),
    Sig::Html(b"<FONT"),
    Sig::Html(b"<TABLE"),
    Sig::Html(b"<A"),
    Sig::Html(b"<STYLE"),
    Sig::Html(b"<TITLE"),
    Sig::Html(b"<B"),
    Sig::Html(b"<BODY"),
    Sig::Html(b"<BR"),
    Sig::Html(b"<P"),
    Sig::Html(b"<!--"),
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\xFF",
        pattern: b"<?xml",
        skip_ws: true,
        ct: "text/xml; charset=utf-8",
    },
    Sig::Exact(b"%PDF-", "application/pdf"),
    Sig::Exact(b"%!PS-Adobe-", "application/postscript"),
    // UTF byte order marks.
    masked(b"\xFF\xFF\x00\x00", b"\xFE\xFF\x00\x00", "text/plain; charset=utf-16be"),
    masked(b"\xFF\xFF\x00\x00", b"\xFF\xFE\x00\x00", "text/plain; charset=utf-16le"),
    masked(b"\xFF\xFF\xFF\x00", b"\xEF\xBB\xBF\x00", "text/plain; charset=utf-8"),
    // Images.
    Sig::Exact(b"\x00\x00\x01\x00", "image/x-icon"),
    Sig::Exact(b"\x00\x00\x02\x00", "image/x-icon"),
    Sig::Exact(b"BM", "image/bmp"),
    Sig::Exact(b"GIF87a", "image/gif"),
    Sig::Exact(b"GIF89a", "image/gif"),
    masked(
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
        b"RIFF\x00\x00\x00\x00WEBPVP",
        "image/webp",
    ),
    Sig::Exact(b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    Sig::Exact(b"\xFF\xD8\xFF", "image/jpeg"),
    // Audio and video.
    masked(b"\xFF\xFF\xFF\xFF", b".snd", "audio/basic"),
    masked(
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        b"FORM\x00\x00\x00\x00AIFF",
        "audio/aiff",
    ),
    masked(b"\xFF\xFF\xFF", b"ID3", "audio/mpeg"),
    masked(b"\xFF\xFF\xFF\xFF\xFF", b"OggS\x00", "application/ogg"),
    masked(
        b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",
        b"MThd\x00\x00\x00\x06",
        "audio/midi",
    ),
    masked(
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        b"RIFF\x00\x00\x00\x00AVI ",
        "video/avi",
    ),
    masked(
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        b"RIFF\x00\x00\x00\x00WAVE",
        "audio/wave",
    ),
    Sig::Mp4,
    Sig::Exact(b"\x1A\x45\xDF\xA3", "video/webm"),
    // Fonts.
    masked(
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xFF\xFF",
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00LP",
        "application/vnd.ms-fontobject",
    ),
    Sig::Exact(b"\x00\x01\x00\x00", "font/ttf"),
    Sig::Exact(b"OTTO", "font/otf"),
    Sig::Exact(b"ttcf", "font/collection"),
    Sig::Exact(b"wOFF", "font/woff"),
    Sig::Exact(b"wOF2", "font/woff2"),
    // Archives.
    Sig::Exact(b"\x1F\x8B\x08", "application/x-gzip"),
    Sig::Exact(b"PK\x03\x04", "application/zip"),
    Sig::Exact(b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    Sig::Exact(b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    Sig::Exact(b"\x00\x61\x73\x6D", "application/wasm"),
    Sig::Text,
];

impl Sig {
    fn matches(&self, data: &[u8], first: usize) -> Option<&'static str> {
        match *self {
            Self::Html(tag) => {
                let data = &data[first..];
                if data.len() < tag.len() + 1 {
                    return None;
                }
                let same = tag.iter().zip(data).all(|(&t, &d)| {
                    let d = if t.is_ascii_uppercase() { d & 0xDF } else { d };
                    t == d
                });
                (same && is_tag_terminator(data[tag.len()])).then_some(HTML)
            }
            Self::Masked {
                mask,
                pattern,
                skip_ws,
                ct,
            } => {
                let data = if skip_ws { &data[first..] } else { data };
                if data.len() < pattern.len() {
                    return None;
                }
                pattern
                    .iter()
                    .zip(mask)
                    .zip(data)
                    .all(|((&p, &m), &d)| d & m == p)
                    .then_some(ct)
            }
            Self::Exact(prefix, ct) => data.starts_with(prefix).then_some(ct),
            Self::Mp4 => {
                if data.len() < 12 {
                    return None;
                }
                let size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
                if data.len() < size || !size.is_multiple_of(4) || &data[4..8] != b"ftyp" {
                    return None;
                }
                (8..size)
                    .step_by(4)
                    .filter(|&at| at != 12)
                    .any(|at| &data[at..at + 3] == b"mp4")
                    .then_some("video/mp4")
            }
            Self::Text => data[first..]
                .iter()
                .all(|&b| !matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F))
                .then_some("text/plain; charset=utf-8"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from Go's `net/http/sniff_test.go`.
    #[test]
    fn go_sniff_test_vectors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "text/plain; charset=utf-8"),
            (b"\x01\x02\x03", "application/octet-stream"),
            (b"<HtMl><bOdY>blah blah blah</body></html>", HTML),
            (b"\n<html>", HTML),
            (b"<!DOCTYPE HTML>...", HTML),
            (
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg></svg>",
                "text/xml; charset=utf-8",
            ),
            (b"\n<?xml!", "text/xml; charset=utf-8"),
            (b"<HTMLX>", "text/plain; charset=utf-8"),
            (b"%PDF-1.4", "application/pdf"),
            (b"\xFE\xFF\x00\x00", "text/plain; charset=utf-16be"),
            (b"\xEF\xBB\xBFhi", "text/plain; charset=utf-8"),
            (b"GIF87a", "image/gif"),
            (b"GIF89a...", "image/gif"),
            (b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
            (b"\xFF\xD8\xFF", "image/jpeg"),
            (b"RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
            (b"ID3\x03", "audio/mpeg"),
            (b"OggS\x00\x02", "application/ogg"),
            (b"RIFF,\x00\x00\x00WAVEfmt ", "audio/wave"),
            (
                b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat",
                "video/mp4",
            ),
            (b"\x1A\x45\xDF\xA3\x01", "video/webm"),
            (b"wOFF\x00\x01", "font/woff"),
            (b"PK\x03\x04", "application/zip"),
            (b"\x1F\x8B\x08\x00", "application/x-gzip"),
            (b"\x00asm\x01\x00\x00\x00", "application/wasm"),
            (b"{\"ok\":true}", "text/plain; charset=utf-8"),
        ];
        for (data, want) in cases {
            assert_eq!(detect(data), *want, "{data:?}");
        }
    }

    #[test]
    fn only_when_go_would_sniff() {
        let mut headers = Headers::new();
        assert_eq!(default_content_type(200, &headers, b"<p>x"), Some(HTML));
        assert_eq!(default_content_type(200, &headers, b""), None);
        assert_eq!(default_content_type(204, &headers, b"x"), None);
        assert_eq!(default_content_type(304, &headers, b"x"), None);
        headers.insert("content-type".into(), alloc::vec!["x/y".into()]);
        assert_eq!(default_content_type(200, &headers, b"<p>x"), None);
    }

    #[test]
    fn only_the_first_512_bytes_count() {
        let mut data = alloc::vec![b'a'; 600];
        data[550] = 0;
        assert_eq!(detect(&data), "text/plain; charset=utf-8");
    }
}
