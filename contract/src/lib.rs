//! # jinn-contract
//!
//! The contract between Jinn and its functions, defined once for every
//! target and for the guest SDK: a function reads one request envelope on
//! stdin and writes one response document on stdout.
//!
//! Request (what the guest reads):
//! `{"method","uri","headers":{name:[values]},"body","body_encoding"?,"trace_id"?}`.
//! Response (what the guest writes): `{"status","headers","body","body_encoding"?}`,
//! where `status` 0 or absent means 200 and a header value is a string or an
//! array of strings (normalised to arrays). Unknown fields are ignored in
//! both directions; `null` reads as absent.
//!
//! Bodies that are not UTF-8 travel as standard base64 with
//! `"body_encoding": "base64"` ([`body`]); the field is absent for UTF-8
//! bodies, so Gojinn guests never see it.
//!
//! What else lives here, so that no target has a copy of its own:
//!
//! * [`headers`]: Go-style header names (`x-api-key` → `X-Api-Key`), which
//!   headers a function may not set (hop-by-hop), which names and values are
//!   valid;
//! * [`trace`]: the trace-id rule;
//! * [`envelope`]: the request envelope of each trigger — an HTTP request,
//!   an MQTT message, a timer tick;
//! * [`abi`]: the values the host ABI shares with guests (publish codes, QoS);
//! * [`json`] (feature `json`, on by default): the JSON form.
//!
//! `no_std` + `alloc`; without the `json` feature it needs neither serde nor
//! serde_json, and without the `alloc` feature no allocator at all: then it
//! holds [`abi`], the header rules of [`headers`] and the body encoding of
//! [`body`] into caller's buffers, for guests without an allocator.
//!
//! # Example
//!
//! What a host does around a call: write the envelope for the guest's
//! stdin, read the document the guest wrote on stdout.
//!
//! ```
//! # #[cfg(feature = "json")] {
//! use jinn_contract::{Request, Response, headers};
//!
//! let request = Request {
//!     method: "POST".into(),
//!     uri: "/sensor?id=t1".into(),
//!     body: vec![0xff, 0x00], // not UTF-8: travels as base64
//!     ..Request::default()
//! };
//! let stdin = request.to_json();
//! assert!(String::from_utf8_lossy(&stdin).contains(r#""body_encoding":"base64""#));
//! assert_eq!(Request::from_json(&stdin).unwrap(), request);
//!
//! // A guest's output: status 0 means 200, a header value may be a string.
//! let stdout = br#"{"status":0,"headers":{"content-type":"text/plain"},"body":"ok"}"#;
//! let response = Response::from_guest_output(stdout).unwrap();
//! assert_eq!(response.status, 200);
//! assert_eq!(headers::first(&response.headers, "content-type"), Some("text/plain"));
//! assert_eq!(response.body, b"ok");
//! assert_eq!(headers::canonical_name("x-api-key"), "X-Api-Key");
//! # }
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod abi;
pub mod body;
#[cfg(feature = "alloc")]
pub mod envelope;
pub mod headers;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "alloc")]
mod request;
#[cfg(feature = "alloc")]
mod response;
#[cfg(feature = "alloc")]
pub mod time;
#[cfg(feature = "alloc")]
pub mod trace;

pub use abi::Qos;
#[cfg(feature = "alloc")]
pub use headers::Headers;
#[cfg(feature = "json")]
pub use json::{DecodeError, OutputError};
#[cfg(feature = "alloc")]
pub use request::Request;
#[cfg(feature = "alloc")]
pub use response::Response;
