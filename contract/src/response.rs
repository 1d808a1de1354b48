//! The response document, decoded and normalised.

use alloc::vec::Vec;

use crate::headers::Headers;

/// A function's response: status 200–599 (0 or absent in the document
/// means 200), headers with every value an array, the body as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status, 200–599.
    pub status: u16,
    /// Headers, every value an array.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }
}
