//! `{{name}}`: a Jinn function (Rust, std SDK). It answers 200 with a JSON
//! body naming itself and the request's method and path.
//!
//! Build: `jinn build` (or `cargo build --release --target wasm32-wasip1`),
//! serve: `jinn serve`, then `curl localhost:8080/{{name}}`.

use std::collections::BTreeMap;

use jinn_guest::{Request, Response};

fn handle(request: Request) -> Response {
    let body = BTreeMap::from([
        ("function", "{{name}}"),
        ("lang", "rust"),
        ("method", request.method.as_str()),
        ("path", request.path()),
    ]);
    Response::new(200).json(&body)
}

fn main() {
    jinn_guest::run(handle);
}
