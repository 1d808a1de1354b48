//! Bodies in the envelope: UTF-8 text as it is, anything else as standard
//! base64 with `"body_encoding": "base64"`.
//!
//! Encoding pads; decoding takes padded and unpadded input and refuses
//! anything outside the alphabet (white space included). Without the `alloc`
//! feature, [`base64_encode_into`] and [`base64_decode_into`] work in
//! caller's buffers.

#[cfg(feature = "alloc")]
use alloc::borrow::Cow;
#[cfg(feature = "alloc")]
use alloc::string::String;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use base64::{DecodeError, DecodeSliceError, EncodeSliceError};

/// The value of `body_encoding` for a base64 body.
pub const BASE64: &str = "base64";

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Writes the padded standard base64 of `bytes` into `out`; returns its
/// length.
///
/// # Errors
///
/// [`EncodeSliceError`] when `out` is too small (it needs
/// `bytes.len().div_ceil(3) * 4` bytes).
pub fn base64_encode_into(bytes: &[u8], out: &mut [u8]) -> Result<usize, EncodeSliceError> {
    ENGINE.encode_slice(bytes, out)
}

/// Decodes standard base64, padded or not, into `out`; returns the number of
/// bytes written.
///
/// # Errors
///
/// [`DecodeSliceError`] for bad input (as [`base64_decode`]) or when `out`
/// is too small (`text.len() / 4 * 3 + 2` bytes always suffice).
pub fn base64_decode_into(text: &str, out: &mut [u8]) -> Result<usize, DecodeSliceError> {
    ENGINE.decode_slice(text.as_bytes(), out)
}

/// Padded standard base64 of `bytes`.
#[cfg(feature = "alloc")]
pub fn base64_encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Decodes standard base64, padded or not.
///
/// # Errors
///
/// [`DecodeError`] for a byte outside the alphabet, misplaced padding or a
/// length that cannot encode whole bytes.
#[cfg(feature = "alloc")]
pub fn base64_decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    ENGINE.decode(text.as_bytes())
}

/// A body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// `body_encoding` is `base64` and the body is not.
    Base64(DecodeError),
    /// `body_encoding` is neither absent, `utf-8` nor `base64`.
    UnknownEncoding,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Base64(e) => write!(f, "body is not base64: {e}"),
            Self::UnknownEncoding => f.write_str("unknown body_encoding (use base64, or none)"),
        }
    }
}

impl core::error::Error for BodyError {}

/// Is `encoding` (a `body_encoding` value) base64, in any case?
pub fn is_base64(encoding: Option<&str>) -> bool {
    encoding.is_some_and(|e| e.eq_ignore_ascii_case(BASE64))
}

/// Is `encoding` (a `body_encoding` value) text, that is absent, empty or
/// `utf-8` (`utf8`) in any case? Text and [`is_base64`] are the two
/// encodings a body may have; any other is an error.
pub fn is_text(encoding: Option<&str>) -> bool {
    match encoding {
        None | Some("") => true,
        Some(e) => e.eq_ignore_ascii_case("utf-8") || e.eq_ignore_ascii_case("utf8"),
    }
}

/// A body as the envelope carries it: its text and the `body_encoding`
/// (`None` when it is UTF-8).
#[cfg(feature = "alloc")]
pub fn encode(body: &[u8]) -> (Cow<'_, str>, Option<&'static str>) {
    match core::str::from_utf8(body) {
        Ok(text) => (Cow::Borrowed(text), None),
        Err(_) => (Cow::Owned(base64_encode(body)), Some(BASE64)),
    }
}

/// The bytes of a body given as `text` with `encoding`.
///
/// # Errors
///
/// [`BodyError`] when the encoding is unknown or the base64 is bad.
#[cfg(feature = "alloc")]
pub fn decode<'a>(text: &'a str, encoding: Option<&str>) -> Result<Cow<'a, [u8]>, BodyError> {
    match encoding {
        e if is_text(e) => Ok(Cow::Borrowed(text.as_bytes())),
        Some(e) if e.eq_ignore_ascii_case(BASE64) => base64_decode(text)
            .map(Cow::Owned)
            .map_err(BodyError::Base64),
        _ => Err(BodyError::UnknownEncoding),
    }
}

/// [`decode`], taking the text by value (no copy for text bodies).
///
/// # Errors
///
/// As [`decode`].
#[cfg(feature = "alloc")]
pub fn decode_owned(text: String, encoding: Option<&str>) -> Result<Vec<u8>, BodyError> {
    match decode(&text, encoding)? {
        Cow::Borrowed(_) => Ok(text.into_bytes()),
        Cow::Owned(bytes) => Ok(bytes),
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, text) in cases {
            assert_eq!(base64_encode(raw), text);
            assert_eq!(base64_decode(text).unwrap(), raw);
        }
        assert_eq!(base64_decode("Zg").unwrap(), b"f", "unpadded");
        assert!(base64_decode("Zm 9").is_err(), "white space");
        assert!(base64_decode("Z").is_err(), "lone sextet");
        let mut out = [0u8; 8];
        assert_eq!(base64_encode_into(b"foob", &mut out), Ok(8));
        assert_eq!(&out, b"Zm9vYg==");
        assert_eq!(base64_decode_into("Zm9vYg", &mut out), Ok(4));
        assert_eq!(&out[..4], b"foob");
        assert!(base64_encode_into(b"foob", &mut out[..7]).is_err());
    }

    #[test]
    fn text_stays_text_and_binary_becomes_base64() {
        assert_eq!(encode(b"hi"), (Cow::Borrowed("hi"), None));
        let (text, encoding) = encode(&[0, 0xff, 0x10]);
        assert_eq!((text.as_ref(), encoding), ("AP8Q", Some(BASE64)));
        assert_eq!(
            decode("AP8Q", Some("BASE64")).unwrap().as_ref(),
            [0, 0xff, 0x10]
        );
        assert_eq!(decode_owned("x".into(), Some("utf-8")).unwrap(), b"x");
        assert_eq!(decode("x", Some("rot13")), Err(BodyError::UnknownEncoding));
        assert!(is_text(None) && is_text(Some("UTF8")) && !is_text(Some("base64")));
        assert!(matches!(
            decode("@@", Some(BASE64)),
            Err(BodyError::Base64(_))
        ));
    }
}
