//! Tiny guests: the SDK without Rust's `std`, serde or an allocator.
//!
//! The same shape as the std SDK — a handler from [`Request`] to
//! [`Response`], run once — for functions of a few kilobytes of wasm that
//! start in one 64 KiB page:
//!
//! ```no_run
//! // A guest's lib.rs starts with #![no_std].
//! use jinn_guest::tiny::{JsonObject, Request, Response, kv};
//!
//! fn handle(request: Request<'_>) -> Response<'_> {
//!     let mut name = [0u8; 64];
//!     let Ok(name) = request.query("name", &mut name) else {
//!         return Response::error(400, "name too long");
//!     };
//!     let name = name.unwrap_or("hits");
//!     kv::set("last", name.as_bytes());
//!     Response::new(200).json(&JsonObject::<1>::new().str("name", name))
//! }
//!
//! jinn_guest::tiny::main!(handle);
//! # fn main() {}
//! ```
//!
//! Build the guest as a `cdylib` for `wasm32-wasip1` with
//! `jinn-guest = { default-features = false }` (examples/tiny/ shows the
//! manifest and the stack size to link with).
//!
//! What is different from the std SDK, and why:
//!
//! * The request is read into the memory above the program's data and its
//!   strings are decoded in place ([`Request`] borrows from it); headers stay
//!   in their JSON form and are read when asked for ([`Headers`]). Bodies
//!   parse with [`json`], a reader that checks a document and hands out
//!   views (strings still escaped, numbers as written).
//! * The response is written straight to stdout. It holds up to
//!   [`MAX_HEADERS`] header entries and builds JSON bodies of up to
//!   [`INLINE_BODY`] bytes ([`JsonObject`]); beyond that it becomes a `500`
//!   that says so.
//! * Buffers are the caller's: [`Request::query`], [`kv::get`],
//!   [`Request::body_bytes`] take one.
//! * WASI calls: `fd_read` and `fd_write` only (returning from `_start` is
//!   exit 0); host calls: the ones a function uses ([`kv`],
//!   [`logger`](crate::logger), [`publish`](crate::publish())).
//!
//! The contract is jinn-contract's: the body encodings and the ABI's codes
//! come from it, and the tests check this reader and writer against its
//! JSON codec.

pub mod json;
pub mod kv;
mod request;
mod response;
mod scan;
#[cfg(target_arch = "wasm32")]
pub(crate) mod stdio;
pub mod write;

use core::fmt;

use write::Sink;

pub use request::{Headers, Request, Values, ValuesIter};
pub use response::{INLINE_BODY, MAX_HEADERS, Response};
pub use write::{JsonObject, Scalar};

/// Why a request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The envelope is not a JSON object.
    Envelope(json::Error),
    /// This envelope field has the wrong type.
    Field(&'static str),
    /// The body is not the JSON that was expected.
    Body(json::Error),
    /// The body says `body_encoding: "base64"` but is not valid base64 (or
    /// does not fit the buffer given).
    Base64,
    /// The body has a `body_encoding` other than text or base64.
    UnknownBodyEncoding,
    /// stdin could not be read (WASI errno).
    Stdin(u16),
    /// The request is larger than the memory may grow.
    TooLarge,
    /// A value does not fit the buffer it was to be decoded into.
    TooSmall,
}

impl Error {
    /// Writes what went wrong, without formatting machinery.
    pub fn describe(&self, out: &mut dyn Sink) {
        let (what, detail) = match *self {
            Error::Envelope(e) => ("invalid JSON: ", Some(e)),
            Error::Body(e) => ("invalid JSON body: ", Some(e)),
            Error::Field(name) => {
                out.put(b"invalid type of field ");
                return out.put(name.as_bytes());
            }
            Error::Base64 => ("invalid base64 body", None),
            Error::UnknownBodyEncoding => ("unknown body_encoding", None),
            Error::Stdin(errno) => {
                out.put(b"reading stdin failed: errno ");
                return out.put_u64(u64::from(errno));
            }
            Error::TooLarge => ("request too large for memory", None),
            Error::TooSmall => ("a value too long for its buffer", None),
        };
        out.put(what.as_bytes());
        if let Some(e) = detail {
            out.put(e.kind.message().as_bytes());
            out.put(b" at byte ");
            out.put_u64(e.at as u64);
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = write::Buffer::<160>::new();
        self.describe(&mut text);
        f.write_str(text.as_str().unwrap_or("invalid request"))
    }
}

impl core::error::Error for Error {}

/// Reads the request from `input`, calls `handler` and writes its response
/// to `out`; an input that is not an envelope gets a `400` with
/// `{"error": "invalid request envelope: ..."}` and `handler` is not called.
pub fn run_with<F>(input: &mut [u8], out: &mut dyn Sink, handler: F)
where
    F: for<'a> FnOnce(Request<'a>) -> Response<'a>,
{
    match Request::parse(input) {
        Ok(request) => apart(handler, request).write_to(out),
        Err(err) => rejected(err).write_to(out),
    }
}

/// Calls `handler` out of line, so that it and the SDK's reading and
/// writing are two functions instead of one large `_start`. wasmi
/// translates a function whole when it is first called, and a call's peak
/// heap follows its largest function: sensor-alert-tiny's `_start` was
/// 7.7 KB of wasm with its handler inlined, and the 256 KiB profile's peak
/// 4.3 KB higher (`tiny_guests_run_in_a_256_kib_budget`).
#[inline(never)]
fn apart<'a, F>(handler: F, request: Request<'a>) -> Response<'a>
where
    F: FnOnce(Request<'a>) -> Response<'a>,
{
    handler(request)
}

fn rejected(err: Error) -> Response<'static> {
    let mut message = write::Buffer::<160>::new();
    message.put(b"invalid request envelope: ");
    err.describe(&mut message);
    Response::error(400, message.as_str().unwrap_or("invalid request envelope"))
}

/// Runs a function: reads the request from stdin, calls `handler`, and writes
/// its response to stdout. [`main!`] calls it from `_start`.
#[cfg(target_arch = "wasm32")]
pub fn run<F>(handler: F)
where
    F: for<'a> FnOnce(Request<'a>) -> Response<'a>,
{
    let mut out = stdio::Stdout::new();
    // SAFETY: called once per instance, from `_start`; no allocator uses
    // the memory above the data.
    match unsafe { stdio::read_stdin() } {
        Ok(input) => run_with(input, &mut out, handler),
        Err(stdio::ReadError::Io(errno)) => rejected(Error::Stdin(errno)).write_to(&mut out),
        Err(stdio::ReadError::TooLarge) => rejected(Error::TooLarge).write_to(&mut out),
    }
    out.flush();
}

/// Exports `_start` running `handler` (a `fn(Request<'_>) -> Response<'_>`)
/// on wasm32; elsewhere it expands to nothing.
#[macro_export]
macro_rules! __tiny_main {
    ($handler:path) => {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() {
            $crate::tiny::run($handler)
        }
    };
}

#[doc(inline)]
pub use crate::__tiny_main as main;

/// `memcmp`, which slice comparisons call: without wasi-libc nothing else
/// provides it on wasm32-wasip1 (the other memory routines are bulk-memory
/// instructions).
///
/// # Safety
///
/// `a` and `b` must be valid for reads of `n` bytes.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller guarantees `n` readable bytes at both.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// A panic traps: the host reports a `trap` for the call.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn call(input: &str) -> std::string::String {
        let mut input = input.as_bytes().to_vec();
        let mut out = write::Buffer::<1024>::new();
        run_with(&mut input, &mut out, |request| {
            Response::new(200).body(request.method)
        });
        out.as_str().unwrap().into()
    }

    #[test]
    fn handler_gets_the_request() {
        assert_eq!(
            call(r#"{"method":"PUT"}"#),
            r#"{"status":200,"headers":{},"body":"PUT"}"#
        );
        assert_eq!(call(""), r#"{"status":200,"headers":{},"body":"GET"}"#);
    }

    #[test]
    fn bad_envelopes_are_400_with_the_reason() {
        assert_eq!(
            call("{"),
            r#"{"status":400,"headers":{"Content-Type":["application/json"]},"body":"{\"error\":\"invalid request envelope: invalid JSON: unexpected end of JSON at byte 1\"}"}"#
        );
        assert!(call(r#"{"uri":7}"#).contains("invalid type of field uri"));
        let mut bad = b"{\"body\":\"\xff\"}".to_vec();
        let mut out = write::Buffer::<512>::new();
        run_with(&mut bad, &mut out, |_| Response::ok());
        assert!(out.as_str().unwrap().contains("invalid UTF-8 at byte 9"));
    }
}
