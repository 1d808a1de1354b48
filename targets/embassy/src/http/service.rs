//! Routing: `/healthz` answers at once, every other path goes to the
//! function whose route holds it.

use alloc::string::String;
use core::fmt::Write as _;

use embedded_storage::nor_flash::NorFlash;
use jinn_core::contract::{envelope, trace};
use picoserve::ResponseSent;
use picoserve::io::Read;
use picoserve::request::{Path, Request};
use picoserve::response::{Response, ResponseWriter, StatusCode};
use picoserve::routing::PathRouterService;

use super::response::{GuestBody, GuestHeaders, SmallJson, content_type_of, error_body};
use crate::device::Jinn;

/// The path answered by the device itself.
pub const HEALTH_PATH: &str = "/healthz";

/// The device's HTTP service.
pub struct Service<F: NorFlash + 'static> {
    pub(crate) jinn: &'static Jinn<F>,
}

fn json(
    status: u16,
    body: SmallJson,
) -> Response<impl picoserve::response::HeadersIter, impl picoserve::response::Body> {
    Response::new(StatusCode::new(status), body).with_content_type("application/json")
}

impl<F: NorFlash + 'static> Service<F> {
    fn health(&self) -> SmallJson {
        let jinn = self.jinn;
        let counters = jinn.counters();
        let mut body = SmallJson::new();
        let status = if jinn.catalog_error().is_some() {
            "degraded"
        } else {
            "ok"
        };
        let _ = write!(
            body,
            r#"{{"status":"{status}","uptime_ms":{},"functions":{},"calls":{},"failed":{},"outbox":{},"mqtt":"{}","busy":{},"timer_runs":{},"timer_skipped":{}}}"#,
            jinn.uptime_ms(),
            jinn.function_count(),
            counters.calls,
            counters.failed,
            jinn.outbox_len(),
            jinn.mqtt_status().as_str(),
            jinn.busy(),
            counters.timer_runs,
            counters.timer_skipped,
        );
        body
    }
}

impl<F: NorFlash + 'static> PathRouterService<()> for Service<F> {
    async fn call_path_router_service<R: Read, W: ResponseWriter<Error = R::Error>>(
        &self,
        _state: &(),
        _path_parameters: (),
        path: Path<'_>,
        mut request: Request<'_, R>,
        response_writer: W,
    ) -> Result<ResponseSent, W::Error> {
        let jinn = self.jinn;
        let parts = request.parts;
        let path = path.encoded();
        if path == HEALTH_PATH {
            let connection = request.body_connection.finalize().await?;
            return response_writer
                .write_response(connection, json(200, self.health()))
                .await;
        }
        let Some(index) = jinn.route(path) else {
            let connection = request.body_connection.finalize().await?;
            return response_writer
                .write_response(connection, json(404, error_body("not_found", "")))
                .await;
        };

        let mut uri = String::from(path);
        if let Some(query) = parts.query() {
            uri.push('?');
            uri.push_str(query.0);
        }
        let headers = parts.headers().iter().filter_map(|(name, value)| {
            Some((core::str::from_utf8(name.as_raw()).ok()?, value.as_raw()))
        });
        let envelope = match request.body_connection.body().read_all().await {
            Ok(body) => {
                let mut request = envelope::http(parts.method(), uri, headers, body.to_vec());
                request.trace_id = Some(trace::of_headers(&request.headers, |b| jinn.random(b)));
                request
            }
            Err(_) => {
                let connection = request.body_connection.finalize().await?;
                return response_writer
                    .write_response(connection, json(413, error_body("input_too_large", "")))
                    .await;
            }
        };
        let connection = request.body_connection.finalize().await?;
        let trace_id = envelope.trace_id.clone().unwrap_or_default();

        let outcome = jinn.call(index, &envelope).await;
        drop(envelope);
        match outcome.result {
            Ok(response) => {
                debug!(
                    "{} {}: {} ({} fuel)",
                    jinn.name(index),
                    path,
                    response.status,
                    outcome.fuel_used
                );
                let body = GuestBody {
                    content_type: content_type_of(&response.headers, &response.body),
                    bytes: &response.body,
                };
                let http = Response::new(StatusCode::new(response.status), body)
                    .with_headers(GuestHeaders(&response.headers));
                response_writer.write_response(connection, http).await
            }
            Err(error) => {
                let kind = error.kind();
                warn!(
                    "{} {}: {} ({} fuel)",
                    jinn.name(index),
                    path,
                    error,
                    outcome.fuel_used
                );
                let status = kind.http_status();
                response_writer
                    .write_response(
                        connection,
                        json(status, error_body(kind.as_str(), &trace_id)),
                    )
                    .await
            }
        }
    }
}
