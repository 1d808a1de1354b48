//! The status page over HTTP, on the admin listener:
//!
//! * `GET /status`, `/status/status.js`, `/status/status.css`: the page,
//!   embedded in the binary. They hold no data (the same bytes for
//!   everyone), so they are served without the admin token: a browser cannot
//!   send a bearer token when it opens a page, and the page asks for the
//!   token itself when `/status.json` wants one.
//! * `GET /status.json`: the [`model`](super::model), under the admin
//!   listener's rule (the token when `admin.token` is set).
//! * `POST /status/actions/<name>`: an [`Action`]: `401` without the admin
//!   token, `403` unless `admin.actions` lists it (which needs a token).
//!
//! Every answer carries a strict Content-Security-Policy: the page's own
//! script and style files only, no inline script or style, no framing.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::{Action, model, now_ms};
use crate::auth;
use crate::http::{Body, error};
use crate::shared::Shared;

/// The Content-Security-Policy of every status answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// The page's files: path, content type, bytes.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "/status",
        "text/html; charset=utf-8",
        include_str!("assets/index.html"),
    ),
    (
        "/status/status.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/status.js"),
    ),
    (
        "/status/status.css",
        "text/css; charset=utf-8",
        include_str!("assets/status.css"),
    ),
];

/// Where `GET /status.json` is.
pub const JSON_PATH: &str = "/status.json";
/// Where actions are: `POST /status/actions/<name>`.
pub const ACTIONS_PATH: &str = "/status/actions/";

/// The security headers of every status answer.
fn secured(mut r: Response<Body>, cache: &'static str) -> Response<Body> {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

fn body(status: StatusCode, content_type: &'static str, bytes: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(bytes));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "");
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    secured(r, "no-store")
}

/// The page's files, which need no token; `None` for any other path.
pub fn asset(req: &Request<Incoming>) -> Option<Response<Body>> {
    let path = match req.uri().path() {
        "/status/" => "/status",
        p => p,
    };
    let (_, content_type, text) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    if req.method() != Method::GET {
        return Some(method_not_allowed("GET"));
    }
    let r = body(
        StatusCode::OK,
        content_type,
        Bytes::from_static(text.as_bytes()),
    );
    Some(secured(r, "no-cache"))
}

/// `/status.json` and the actions, once the admin listener's token rule
/// let the request through; `None` for any other path.
pub async fn serve(shared: &Arc<Shared>, req: &Request<Incoming>) -> Option<Response<Body>> {
    let path = req.uri().path();
    if path == JSON_PATH {
        if req.method() != Method::GET {
            return Some(method_not_allowed("GET"));
        }
        return Some(status_json(shared).await);
    }
    let name = path.strip_prefix(ACTIONS_PATH)?;
    if req.method() != Method::POST {
        return Some(method_not_allowed("POST"));
    }
    let Some(action) = Action::parse(name) else {
        return Some(secured(
            error(StatusCode::NOT_FOUND, "no_such_action", ""),
            "no-store",
        ));
    };
    Some(secured(act(shared, req, action).await, "no-store"))
}

async fn status_json(shared: &Arc<Shared>) -> Response<Body> {
    let worker = shared.clone();
    // Reads the outbox's oldest message from the store: off the admin reactor.
    let built = tokio::task::spawn_blocking(move || {
        let oldest = match worker.outbox.oldest_time_ns() {
            Ok(ns) => ns.map(|ns| ns / 1_000_000),
            Err(e) => {
                tracing::debug!("status: {e}");
                None
            }
        };
        let view = worker.status.view(now_ms());
        serde_json::to_vec(&model::build(&worker, view, oldest))
    })
    .await;
    match built {
        Ok(Ok(json)) => secured(
            body(StatusCode::OK, "application/json", Bytes::from(json)),
            "no-store",
        ),
        Ok(Err(e)) => {
            tracing::error!("status: cannot encode the status: {e}");
            secured(
                error(StatusCode::INTERNAL_SERVER_ERROR, "internal", ""),
                "no-store",
            )
        }
        Err(e) => {
            tracing::error!("status: building the status failed: {e}");
            secured(
                error(StatusCode::INTERNAL_SERVER_ERROR, "internal", ""),
                "no-store",
            )
        }
    }
}

/// Runs `action` when the token is presented and the configuration allows it.
async fn act(shared: &Arc<Shared>, req: &Request<Incoming>, action: Action) -> Response<Body> {
    let admin = &shared.startup.admin;
    let Some(token) = &admin.token else {
        // Actions need the token: without one configured, none is allowed.
        return error(StatusCode::FORBIDDEN, "actions_need_admin_token", "");
    };
    if !auth::bearer_matches(req.headers(), token) {
        let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", "");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"jinn-admin\""),
        );
        return r;
    }
    if !admin.actions.contains(&action) {
        return error(StatusCode::FORBIDDEN, "action_not_enabled", "");
    }
    match action {
        Action::Reload => {
            tracing::info!(action = action.as_str(), "status page: action");
            let ok = crate::reload::reload(shared, "status page").await;
            let generation = shared.current().generation;
            let (status, json) = if ok {
                (
                    StatusCode::OK,
                    serde_json::json!({ "action": "reload", "ok": true, "generation": generation }),
                )
            } else {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    serde_json::json!({ "action": "reload", "ok": false, "error": "reload_refused", "generation": generation }),
                )
            };
            body(status, "application/json", Bytes::from(json.to_string()))
        }
    }
}
