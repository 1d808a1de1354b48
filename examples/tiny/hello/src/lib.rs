//! `hello-tiny`: `hello` on the tiny SDK. Whatever the request, it answers
//! `200` with `Content-Type: text/plain; charset=utf-8` and the body
//! `Hello from Jinn\n`.
#![cfg_attr(target_arch = "wasm32", no_std)]

use jinn_guest::tiny::{Request, Response};

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(_request: Request<'_>) -> Response<'_> {
    Response::new(200)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body("Hello from Jinn\n")
}

jinn_guest::tiny::main!(handle);

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_guest::tiny::write::Buffer;

    #[test]
    fn greets() {
        let mut out = Buffer::<256>::new();
        jinn_guest::tiny::run_with(&mut [], &mut out, handle);
        assert_eq!(
            out.as_str(),
            Some(
                r#"{"status":200,"headers":{"Content-Type":["text/plain; charset=utf-8"]},"body":"Hello from Jinn\n"}"#
            )
        );
    }
}
