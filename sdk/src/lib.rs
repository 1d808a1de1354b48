//! Guest SDK for Jinn functions.
//!
//! A Jinn function is a WASI preview1 command module. The runtime writes one
//! request envelope (JSON) to the function's stdin, runs `_start`, and reads
//! exactly one response envelope (JSON) from its stdout. While it runs, the
//! function may call the host: log lines, a key/value store and a publisher.
//!
//! The shape follows Gojinn's Rust SDK, so code written for it reads the same:
//!
//! ```no_run
//! use jinn_guest::{Request, Response, kv, logger};
//!
//! fn handle(req: Request) -> Response {
//!     logger::info(&format!("{} {}", req.method, req.uri));
//!     let visits = kv::get_string("visits")
//!         .and_then(|v| v.parse::<u64>().ok())
//!         .unwrap_or(0)
//!         + 1;
//!     kv::set("visits", visits.to_string());
//!     Response::new(200).body(format!("visit number {visits}\n"))
//! }
//!
//! fn main() {
//!     jinn_guest::run(handle);
//! }
//! ```
//!
//! On targets other than `wasm32` the host calls are replaced by in-process
//! stand-ins (see [`imports`]), so functions and their unit tests build and
//! run natively — a handler is a plain function of a `Request`:
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use jinn_guest::{Request, Response, kv};
//!
//! fn count(req: Request) -> Response {
//!     let name = req.query("name").unwrap_or_else(|| "door".into());
//!     let count = kv::get_string(&name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
//!     kv::set(&name, count.to_string());
//!     Response::new(200).json(&std::collections::BTreeMap::from([(name, count)]))
//! }
//!
//! let req = Request::parse(br#"{"method":"GET","uri":"/count?name=gate"}"#).unwrap();
//! assert_eq!(count(req.clone()).body, r#"{"gate":1}"#);
//! assert_eq!(count(req).body, r#"{"gate":2}"#);
//! # }
//! ```
//!
//! Writing a function outside this repository, step by step: the crate's
//! README (“A function of your own, in a fresh directory”).

//!
//! # Tiny guests
//!
//! [`tiny`] is the same shape without Rust's `std`, serde or an allocator:
//! the request is read in place, the response is written straight to
//! stdout, buffers are fixed (heapless). Build with `default-features =
//! false` (the crate is then `no_std`) for guests of a few kilobytes; see
//! the module.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[cfg(all(
    feature = "allocator",
    target_arch = "wasm32",
    not(target_feature = "atomics")
))]
mod alloc;
#[cfg(feature = "std")]
pub mod base64;
#[cfg(feature = "std")]
mod envelope;
#[cfg(feature = "std")]
mod error;
pub mod imports;
#[cfg(feature = "std")]
pub mod kv;
pub mod logger;
pub mod publish;
#[cfg(feature = "std")]
mod request;
#[cfg(feature = "std")]
mod response;
#[cfg(feature = "std")]
mod scan;
#[cfg(feature = "std")]
mod stdio;
pub mod tiny;
#[cfg(feature = "std")]
mod wire;

#[cfg(feature = "std")]
pub use error::Error;
pub use publish::{PublishError, QoS, publish};
#[cfg(feature = "std")]
pub use request::{Request, read_input};
#[cfg(feature = "std")]
pub use response::{Response, send_response};

/// Runs a function: reads the request from stdin, calls `handler`, and writes
/// its response to stdout.
///
/// When stdin holds no request (it is empty), `handler` gets the default
/// `GET /` request. When stdin does not hold a valid envelope, `handler` is not
/// called and a `400` response with `{"error": "..."}` is written instead.
#[cfg(feature = "std")]
pub fn run<F>(handler: F)
where
    F: FnOnce(Request) -> Response,
{
    let response = match Request::read() {
        Ok(request) => handler(request),
        Err(err) => rejected(&err),
    };
    response.send();
}

/// The `400` for a request that is not an envelope. Out of line: the
/// runtime charges a function's code when it is entered, whatever part of
/// it runs.
#[cfg(feature = "std")]
#[cold]
#[inline(never)]
fn rejected(err: &Error) -> Response {
    Response::error(400, &format!("invalid request envelope: {err}"))
}
