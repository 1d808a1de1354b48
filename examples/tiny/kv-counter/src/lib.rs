//! `kv-counter-tiny`: `kv-counter` on the tiny SDK — counts calls per name
//! in the host's key/value store.
//!
//! The name is the query parameter `name` (default `hits`); the count lives
//! at key `counter/<name>` as decimal text (missing means 0). Each call adds
//! one, stores the new count and answers `200` with
//! `{"name":"<name>","count":N}`. A stored value that is not a decimal number
//! is left alone and answered with `500`. A name longer than 256 bytes
//! (decoded) is a `400`.
#![cfg_attr(target_arch = "wasm32", no_std)]

use jinn_guest::logger;
use jinn_guest::tiny::kv::{self, Lookup};
use jinn_guest::tiny::write::{Buffer, Sink};
use jinn_guest::tiny::{JsonObject, Request, Response};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: Request<'_>) -> Response<'_> {
    let mut name = [0u8; 256];
    let name = match request.query("name", &mut name) {
        Ok(name) => name.filter(|name| !name.is_empty()).unwrap_or("hits"),
        Err(_) => return Response::error(400, "name longer than 256 bytes"),
    };
    let mut key = Buffer::<264>::new();
    key.put(b"counter/");
    key.put(name.as_bytes());
    let Some(key) = key.as_str() else {
        return Response::error(400, "name longer than 256 bytes");
    };

    let mut stored = [0u8; 64];
    let previous = match kv::get(key, &mut stored) {
        Lookup::Missing => Some(0),
        Lookup::Found(bytes) => core::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok()),
        Lookup::TooLarge(_) => None,
    };
    let Some(previous) = previous else {
        let mut message = Buffer::<320>::new();
        message.put(key.as_bytes());
        message.put(b" does not hold a decimal count");
        let message = message
            .as_str()
            .unwrap_or("the counter is not a decimal count");
        logger::error(message);
        return Response::error(500, message);
    };
    let count = previous.saturating_add(1);
    let mut digits = Buffer::<20>::new();
    digits.put_u64(count);
    kv::set(key, digits.as_bytes().unwrap_or_default());
    let mut line = Buffer::<300>::new();
    line.put_str(key);
    line.put(b" = ");
    line.put_u64(count);
    logger::debug(line.as_str().unwrap_or(key));

    Response::new(200).json(&JsonObject::<2>::new().str("name", name).u64("count", count))
}

jinn_guest::tiny::main!(handle);
