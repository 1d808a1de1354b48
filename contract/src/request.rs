//! The request envelope, decoded.

use alloc::string::String;
use alloc::vec::Vec;

use crate::headers::Headers;

/// The request a function reads, with its body as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// HTTP method, or the trigger's (`MQTT`, `TIMER`).
    pub method: String,
    /// Request target with query (`/api/x?id=1`), the MQTT topic, or the timer's name.
    pub uri: String,
    /// Headers, every value an array.
    pub headers: Headers,
    /// Raw body bytes.
    pub body: Vec<u8>,
    /// The trace id ([`crate::trace`]), absent when there is none.
    pub trace_id: Option<String>,
}

impl Default for Request {
    /// `GET /` with no headers, an empty body and no trace id.
    fn default() -> Self {
        Self {
            method: "GET".into(),
            uri: "/".into(),
            headers: Headers::new(),
            body: Vec::new(),
            trace_id: None,
        }
    }
}
