//! The SDK's error type.

use core::fmt;

use crate::base64::DecodeError;

/// Why reading or decoding a request failed.
#[derive(Debug)]
pub enum Error {
    /// Reading stdin failed.
    Io(std::io::Error),
    /// The envelope or the body is not the JSON that was expected.
    Json(serde_json::Error),
    /// The body says `body_encoding: "base64"` but is not valid base64.
    Base64(DecodeError),
    /// The body has a `body_encoding` this SDK does not know.
    UnknownBodyEncoding(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => write!(f, "reading stdin: {err}"),
            Error::Json(err) => write!(f, "invalid JSON: {err}"),
            Error::Base64(err) => write!(f, "invalid base64 body: {err}"),
            Error::UnknownBodyEncoding(name) => write!(f, "unknown body_encoding {name:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::Json(err) => Some(err),
            Error::Base64(err) => Some(err),
            Error::UnknownBodyEncoding(_) => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(err)
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::Json(err)
    }
}

impl From<DecodeError> for Error {
    fn from(err: DecodeError) -> Self {
        Error::Base64(err)
    }
}
