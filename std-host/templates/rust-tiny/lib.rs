//! `{{name}}`: a Jinn function on the tiny SDK (`no_std`, no allocator). It
//! answers 200 with a JSON body naming itself and the request's method and path.
//!
//! Build: `jinn build` (or `cargo build --release --target wasm32-wasip1`),
//! serve: `jinn serve`, then `curl localhost:8080/{{name}}`.
#![cfg_attr(target_arch = "wasm32", no_std)]

use jinn_guest::tiny::write::JsonObject;
use jinn_guest::tiny::{Request, Response};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: Request<'_>) -> Response<'_> {
    let body = JsonObject::<4>::new()
        .str("function", "{{name}}")
        .str("lang", "rust-tiny")
        .str("method", request.method)
        .str("path", request.path());
    Response::new(200).json(&body)
}

jinn_guest::tiny::main!(handle);
