//! The admin listener: `GET /metrics` (Prometheus text), `/healthz` (the
//! process answers) and `/readyz` (serving; `503` while starting or
//! draining, and while the store fails to commit), and the status page
//! (`/status`, `/status.json`: [`crate::status`]). With `admin.token` set, every endpoint wants
//! `Authorization: Bearer <token>`; the token is required when the admin
//! listener is not on a loopback address.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use std::time::Duration;

use crate::auth;
use crate::connections::ConnectionLimits;
use crate::http::{Body, error};
use crate::shared::Shared;
use crate::status;

/// The admin listener's connection caps. It runs on a thread and runtime of
/// its own, so no flood of the data plane reaches it; idle sockets on it
/// make room for new ones (see [`crate::connections`]).
pub const LIMITS: ConnectionLimits = ConnectionLimits {
    total: 64,
    per_peer: 64,
    idle: Duration::from_secs(5),
};

/// Time an admin client has to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// Serves one admin request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    // The status page's files hold no data: served without the token.
    if let Some(r) = status::page::asset(&req) {
        return Ok(r);
    }
    if let Some(token) = &shared.startup.admin.token
        && !auth::bearer_matches(req.headers(), token)
    {
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", "");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"jinn-admin\""),
        );
        return Ok(r);
    }
    if let Some(r) = status::page::serve(&shared, &req).await {
        return Ok(r);
    }
    if req.method() != Method::GET {
        return Ok(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "",
        ));
    }
    Ok(match req.uri().path() {
        "/metrics" => {
            let mut body = shared.metrics.encode(&shared.gauges());
            body.push_str(&shared.outbox.encode_metrics());
            if let Some(mqtt) = shared.mqtt.get() {
                body.push_str(&crate::mqtt::metrics::encode(mqtt));
            }
            if let Some(timers) = shared.timers.get() {
                body.push_str(&crate::timer::metrics::encode(timers));
            }
            text(
                StatusCode::OK,
                body,
                "text/plain; version=0.0.4; charset=utf-8",
            )
        }
        "/healthz" => text(StatusCode::OK, "ok\n".into(), "text/plain; charset=utf-8"),
        "/readyz" if shared.is_ready() => text(
            StatusCode::OK,
            "ready\n".into(),
            "text/plain; charset=utf-8",
        ),
        "/readyz" => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready\n".into(),
            "text/plain; charset=utf-8",
        ),
        _ => error(StatusCode::NOT_FOUND, "not_found", ""),
    })
}
