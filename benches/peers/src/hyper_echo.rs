//! A native HTTP/1.1 server (hyper on a tokio runtime with one I/O thread
//! per core, as `jinn serve`) that answers every request the way the
//! `echo` guest answers it through `jinn serve`: status 200, the request's
//! body and `Content-Type` (default `application/octet-stream`),
//! `X-Echo-Method`, `X-Echo-Uri`, `X-Echo-Trace-Id`, `X-Echo-Header-<Name>`
//! for each request header (names in Go's canonical form) and `x-trace-id`.

use std::cell::Cell;
use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use jinn_bench_kit::{Options, Record};
use tokio::net::TcpListener;

/// `content-type` → `Content-Type`, as Go's `CanonicalMIMEHeaderKey`.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1,
    );
}

/// A 128-bit trace id in hex, as the gateway makes one for a request without.
fn trace_id() -> String {
    RNG.with(|rng| {
        let next = || {
            let mut x = rng.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            rng.set(x);
            x
        };
        format!("{:016x}{:016x}", next(), next())
    })
}

async fn echo(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let trace = trace_id();
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(CONTENT_TYPE, content_type);
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    headers.insert("x-echo-method", value(parts.method.as_str()));
    headers.insert("x-echo-uri", value(&parts.uri.to_string()));
    headers.insert("x-echo-trace-id", value(&trace));
    for (name, v) in &parts.headers {
        let echoed = format!("X-Echo-Header-{}", canonical(name.as_str()));
        if let Ok(echoed) = HeaderName::from_bytes(echoed.as_bytes()) {
            headers.append(echoed, v.clone());
        }
    }
    headers.insert("x-trace-id", value(&trace));
    Ok(response)
}

pub fn main(options: &Options) -> Result<Option<Record>> {
    let listen = options.get("listen").unwrap_or("127.0.0.1:0").to_string();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(&listen).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service_fn(echo))
                    .await;
            });
        }
    })
}
