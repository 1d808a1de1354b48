//! `kv-counter`: counts calls per name in the host's key/value store.
//!
//! The name is the query parameter `name` (default `hits`); the count lives
//! at key `counter/<name>` as decimal text (missing means 0). Each call adds
//! one, stores the new count and answers `200` with
//! `{"name":"<name>","count":N}`. A stored value that is not a decimal number
//! is left alone and answered with `500`.

use jinn_guest::{Request, Response, kv, logger};
use serde::Serialize;

#[derive(Serialize)]
struct Count<'a> {
    name: &'a str,
    count: u64,
}

fn handle(request: Request) -> Response {
    let name = request
        .query("name")
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "hits".to_string());
    let key = format!("counter/{name}");

    let previous = match kv::get_string(&key) {
        None => 0,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(count) => count,
            Err(_) => {
                logger::error(&format!("{key} holds {text:?}, not a count"));
                return Response::error(500, &format!("{key} does not hold a decimal count"));
            }
        },
    };
    let count = previous.saturating_add(1);
    kv::set(&key, count.to_string());
    logger::debug(&format!("{key} = {count}"));

    Response::new(200).json(&Count { name: &name, count })
}

fn main() {
    jinn_guest::run(handle);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str) -> Response {
        handle(Request {
            uri: uri.to_string(),
            ..Request::default()
        })
    }

    #[test]
    fn counts_per_name() {
        assert_eq!(get("/").body, r#"{"name":"hits","count":1}"#);
        assert_eq!(get("/?name=").body, r#"{"name":"hits","count":2}"#);
        assert_eq!(get("/?name=door").body, r#"{"name":"door","count":1}"#);
        let response = get("/?name=hits");
        assert_eq!(response.body, r#"{"name":"hits","count":3}"#);
        assert_eq!(response.headers["Content-Type"], vec!["application/json"]);
        assert_eq!(kv::get_string("counter/hits").as_deref(), Some("3"));
    }

    #[test]
    fn name_is_json_escaped() {
        assert_eq!(get("/?name=a%22b").body, r#"{"name":"a\"b","count":1}"#);
    }

    #[test]
    fn garbage_count_is_a_500() {
        kv::set("counter/bad", "lots");
        assert_eq!(get("/?name=bad").status, 500);
        assert_eq!(kv::get_string("counter/bad").as_deref(), Some("lots"));
    }
}
