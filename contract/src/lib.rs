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
#![no_std]
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
