//! The HTTP front: request → envelope → worker → response.
//!
//! Gateway answers carry a small JSON body `{"error": "<kind>", "trace_id": …}`
//! and nothing of the guest's or the gateway's internals.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use jinn_core::contract::{envelope, headers as contract_headers, trace};

use crate::auth;
use crate::call::CallResult;
use crate::config::Cors;
use crate::dispatch::{self, Cancel};
use crate::loaded::Loaded;
use crate::metrics::Rejection;
use crate::router::Found;
use crate::shared::Shared;

/// The response body type.
pub type Body = Full<Bytes>;

/// A JSON error answer.
pub fn error(status: StatusCode, kind: &str, trace_id: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": kind, "trace_id": trace_id }).to_string();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn with_retry_after(mut r: Response<Body>, wait: Duration) -> Response<Body> {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    r
}

/// The trace id of a request ([`trace`]'s rule).
pub fn trace_id(headers: &HeaderMap) -> String {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    trace::trace_id(value("traceparent"), value("x-request-id"), |id| {
        let _ = getrandom::fill(id);
    })
}

/// A function's response as HTTP: its status, body and the headers HTTP may carry.
fn into_http(response: jinn_core::Response) -> Response<Body> {
    // A function that sets no Content-Type gets Go's sniffed one, as under Gojinn.
    let sniffed =
        jinn_core::sniff::default_content_type(response.status, &response.headers, &response.body);
    let mut r = Response::new(Full::new(Bytes::new()));
    if let Some(ct) = sniffed {
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    *r.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let headers = r.headers_mut();
    for (name, value) in contract_headers::forwarded(&response.headers) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    *r.body_mut() = Full::new(Bytes::from(response.body));
    r
}

/// Sets a flag when dropped before being disarmed: the client went away.
struct CancelOnDrop(Arc<Cancel>, bool);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.1 {
            self.0.cancel();
        }
    }
}

/// Serves one request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let trace = trace_id(req.headers());
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let gateway = shared.current();
    let mut response = route(&shared, &gateway, req, &trace).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&trace) {
        headers.insert("x-trace-id", v);
    }
    if let Some(origin) = origin {
        cors_headers(headers, &gateway.config.cors, &origin);
    }
    Ok(response)
}

fn cors_headers(headers: &mut HeaderMap, cors: &Cors, origin: &str) {
    if !cors.allows(origin) {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-trace-id"),
        );
    }
}

async fn route(
    shared: &Arc<Shared>,
    gateway: &crate::loaded::Gateway,
    req: Request<Incoming>,
    trace: &str,
) -> Response<Body> {
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let method = if preflight {
        req.headers()[header::ACCESS_CONTROL_REQUEST_METHOD]
            .to_str()
            .unwrap_or("")
            .to_string()
    } else {
        req.method().as_str().to_string()
    };
    let loaded = match gateway.router.find(&method, req.uri().path()) {
        Found::Function(i) => gateway.functions[i].clone(),
        Found::MethodNotAllowed(allowed) => {
            let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", trace);
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return r;
        }
        Found::NotFound => {
            shared.metrics.not_found();
            return error(StatusCode::NOT_FOUND, "not_found", trace);
        }
    };
    if preflight {
        return preflight_response(&gateway.config.cors, &req, &method, trace);
    }
    invoke(shared, &loaded, req, trace).await
}

fn preflight_response(
    cors: &Cors,
    req: &Request<Incoming>,
    method: &str,
    trace: &str,
) -> Response<Body> {
    let origin = req.headers()[header::ORIGIN].to_str().unwrap_or("");
    if !cors.allows(origin) {
        return error(StatusCode::FORBIDDEN, "cors_origin_not_allowed", trace);
    }
    let asked = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let refused = asked
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .find(|h| !h.is_empty() && !cors.allow_headers.contains(h));
    if refused.is_some() {
        return error(StatusCode::FORBIDDEN, "cors_header_not_allowed", trace);
    }
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(method) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cors.allow_headers.join(", ")) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(cors.max_age.as_secs()),
    );
    r
}

async fn invoke(
    shared: &Arc<Shared>,
    loaded: &Arc<Loaded>,
    req: Request<Incoming>,
    trace: &str,
) -> Response<Body> {
    let metrics = &loaded.metrics;
    let keyed = !loaded.spec.api_keys.is_empty();
    if keyed
        && !auth::presented(req.headers())
            .is_some_and(|k| auth::key_matches(k, &loaded.spec.api_keys))
    {
        metrics.reject(Rejection::Unauthorized);
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", trace);
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"jinn\""),
        );
        return r;
    }
    if let Err(wait) = shared.quotas.admit(&loaded.name) {
        metrics.reject(Rejection::QuotaExceeded);
        return with_retry_after(
            error(StatusCode::TOO_MANY_REQUESTS, "quota_exceeded", trace),
            wait,
        );
    }

    let http = &shared.startup.http;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > http.max_body) {
        metrics.reject(Rejection::BodyTooLarge);
        return error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", trace);
    }
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, usize::try_from(http.max_body).unwrap_or(usize::MAX));
    let body = match tokio::time::timeout(http.body_read_timeout, limited.collect()).await {
        Err(_) => {
            metrics.reject(Rejection::BodyTimeout);
            return error(StatusCode::REQUEST_TIMEOUT, "body_timeout", trace);
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            metrics.reject(Rejection::BodyTooLarge);
            return error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", trace);
        }
        Ok(Err(_)) => return error(StatusCode::BAD_REQUEST, "bad_request", trace),
        Ok(Ok(collected)) => collected.to_bytes(),
    };

    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".into(), |pq| pq.as_str().into());
    // The credentials of a keyed route are the gateway's business, not the guest's.
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| {
            !(keyed && (*name == header::AUTHORIZATION || name.as_str() == "x-api-key"))
        })
        .map(|(name, value)| (name.as_str(), value.as_bytes()));
    let mut request = envelope::http(parts.method.as_str(), uri, headers, body.to_vec());
    request.trace_id = Some(trace.to_string());

    let cancel = Arc::new(Cancel::default());
    let overloaded = || {
        metrics.reject(Rejection::Overloaded);
        with_retry_after(
            error(StatusCode::SERVICE_UNAVAILABLE, "overloaded", trace),
            shared.startup.pool.retry_after,
        )
    };
    let Ok((mut rx, ticket)) = dispatch::submit(
        shared,
        loaded.clone(),
        request,
        trace.to_string(),
        cancel.clone(),
    ) else {
        return overloaded();
    };
    let mut guard = CancelOnDrop(cancel, true);
    // The client waits for a worker at most `queue_timeout`; then the call is
    // withdrawn, and dropped unrun, unless a worker took it meanwhile.
    let result = match tokio::time::timeout(shared.startup.pool.queue_timeout, &mut rx).await {
        Ok(result) => result,
        Err(_) if ticket.withdraw() => {
            guard.1 = false;
            return overloaded();
        }
        Err(_) => rx.await,
    };
    guard.1 = false;
    match result {
        Ok(CallResult { outcome, .. }) => match outcome.result {
            Ok(response) => into_http(response),
            Err(e) => {
                let status = StatusCode::from_u16(e.http_status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let r = error(status, e.kind().as_str(), trace);
                // storage_unavailable, conflict: nothing was kept; try again later.
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    with_retry_after(r, shared.startup.pool.retry_after)
                } else {
                    r
                }
            }
        },
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", trace),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids() {
        let mut h = HeaderMap::new();
        h.insert(
            "traceparent",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        h.insert("x-request-id", "req-1".parse().unwrap());
        assert_eq!(trace_id(&h), "4bf92f3577b34da6a3ce929d0e0e4736");
        h.insert("traceparent", "garbage".parse().unwrap());
        assert_eq!(trace_id(&h), "req-1");
        h.remove("x-request-id");
        let generated = trace_id(&h);
        assert_eq!(generated.len(), 32);
        assert_ne!(generated, trace_id(&h));
    }
}
