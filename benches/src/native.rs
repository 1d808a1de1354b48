//! Native Rust functions doing the work of the example guests: parse the
//! envelope, answer, write the response document. What a call would cost
//! with no sandbox at all.

use std::hint::black_box;

use jinn_core::{Request, Response};

/// A native function: request envelope in, response document out.
pub type Native = fn(&[u8]) -> Vec<u8>;

/// The native counterpart of a guest, by name.
pub fn by_name(name: &str) -> Option<Native> {
    match name {
        "hello" => Some(hello),
        "echo" => Some(echo),
        "compute" => Some(compute),
        _ => None,
    }
}

fn parse(envelope: &[u8]) -> Request {
    Request::from_json(envelope).unwrap_or_default()
}

fn respond(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Vec<u8> {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), vec![(*v).to_string()]))
            .collect(),
        body,
    }
    .to_json()
}

/// `examples/hello`.
pub fn hello(envelope: &[u8]) -> Vec<u8> {
    let _ = parse(envelope);
    respond(
        200,
        &[("Content-Type", "text/plain; charset=utf-8")],
        b"Hello from Jinn\n".to_vec(),
    )
}

/// `examples/echo`.
pub fn echo(envelope: &[u8]) -> Vec<u8> {
    let request = parse(envelope);
    let mut response = Response {
        status: 200,
        headers: Default::default(),
        body: request.body,
    };
    let content_type = request
        .headers
        .get("Content-Type")
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| vec!["application/octet-stream".into()]);
    let h = &mut response.headers;
    h.insert("Content-Type".into(), content_type);
    h.insert("X-Echo-Method".into(), vec![request.method]);
    h.insert("X-Echo-Uri".into(), vec![request.uri]);
    if let Some(trace) = request.trace_id {
        h.insert("X-Echo-Trace-Id".into(), vec![trace]);
    }
    for (name, values) in request.headers {
        h.insert(format!("X-Echo-Header-{name}"), values);
    }
    response.to_json()
}

/// `examples/fuel-burner` with `?iterations=N`: N rounds of xorshift64.
pub fn compute(envelope: &[u8]) -> Vec<u8> {
    let request = parse(envelope);
    let iterations: u64 = request
        .uri
        .split_once("iterations=")
        .and_then(|(_, n)| n.split('&').next()?.parse().ok())
        .unwrap_or(0);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..iterations {
        let mut y = black_box(x);
        y ^= y << 13;
        y ^= y >> 7;
        y ^= y << 17;
        x = black_box(y);
    }
    let body = format!(r#"{{"iterations":{iterations},"result":"{x:016x}"}}"#);
    respond(
        200,
        &[("Content-Type", "application/json")],
        body.into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_matches_the_guest_documented_seed_and_loop() {
        let zero = compute(br#"{"method":"GET","uri":"/c?iterations=0"}"#);
        let r = Response::from_guest_output(&zero).unwrap();
        assert_eq!(r.body, br#"{"iterations":0,"result":"9e3779b97f4a7c15"}"#);
    }

    #[test]
    fn echo_returns_body_method_uri_and_headers() {
        let out = echo(br#"{"method":"POST","uri":"/e","headers":{"X-A":["1"]},"body":"hi"}"#);
        let r = Response::from_guest_output(&out).unwrap();
        assert_eq!(r.body, b"hi");
        assert_eq!(r.headers["X-Echo-Header-X-A"], vec!["1"]);
        assert_eq!(r.headers["Content-Type"], vec!["application/octet-stream"]);
    }
}
