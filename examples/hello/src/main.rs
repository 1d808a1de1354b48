//! `hello`: the smallest Jinn function. Whatever the request, it answers
//! `200` with `Content-Type: text/plain; charset=utf-8` and the body
//! `Hello from Jinn\n`.

use jinn_guest::{Request, Response};

fn handle(_request: Request) -> Response {
    Response::new(200)
        .header("Content-Type", "text/plain; charset=utf-8")
        .body("Hello from Jinn\n")
}

fn main() {
    jinn_guest::run(handle);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        assert_eq!(
            handle(Request::default()).to_json(),
            r#"{"status":200,"headers":{"Content-Type":["text/plain; charset=utf-8"]},"body":"Hello from Jinn\n"}"#
        );
    }
}
