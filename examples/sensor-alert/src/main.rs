//! `sensor-alert`: records a sensor reading and raises an alert above a
//! threshold.
//!
//! The body is `{"sensor":"t1","value":42.5,"threshold":40.0}` (`threshold`
//! optional, default 30.0). The value is stored as text at KV key
//! `sensor/<sensor>/last`. When `value > threshold`, the function publishes
//! `{"sensor":"t1","value":42.5,"threshold":40.0,"level":"alert"}` on topic
//! `alerts/<sensor>` with QoS 1 and answers `{"alert":true,"published":true}`
//! (or `"published":false,"publish_error":"<name>"` when the host refused).
//! Otherwise it answers `{"alert":false}`. A body that is not such JSON, or a
//! sensor name that is empty or contains `/`, `+`, `#` or NUL, gets `400`
//! with `{"error":"..."}`.

use jinn_guest::{PublishError, QoS, Request, Response, kv, logger, publish};
use serde::{Deserialize, Serialize};

/// Threshold used when the reading does not carry one.
const DEFAULT_THRESHOLD: f64 = 30.0;

#[derive(Deserialize)]
struct Reading {
    sensor: String,
    value: f64,
    threshold: Option<f64>,
}

#[derive(Serialize)]
struct Alert<'a> {
    sensor: &'a str,
    value: f64,
    threshold: f64,
    level: &'static str,
}

#[derive(Serialize)]
struct Outcome {
    alert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publish_error: Option<&'static str>,
}

/// A sensor name must make exactly one topic level and one key segment.
fn valid_sensor(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '+', '#', '\0'])
}

fn handle(request: Request) -> Response {
    let reading: Reading = match request.json() {
        Ok(reading) => reading,
        Err(err) => return Response::error(400, &err.to_string()),
    };
    if !valid_sensor(&reading.sensor) {
        return Response::error(
            400,
            "sensor must be a non-empty name without '/', '+', '#' or NUL",
        );
    }
    let threshold = reading.threshold.unwrap_or(DEFAULT_THRESHOLD);

    kv::set(
        &format!("sensor/{}/last", reading.sensor),
        reading.value.to_string(),
    );

    if reading.value <= threshold {
        return Response::new(200).json(&Outcome {
            alert: false,
            published: None,
            publish_error: None,
        });
    }

    let alert = Alert {
        sensor: &reading.sensor,
        value: reading.value,
        threshold,
        level: "alert",
    };
    let payload = Response::new(200).json(&alert).body;
    let topic = format!("alerts/{}", reading.sensor);
    let result = publish(&topic, payload, QoS::AtLeastOnce);
    match result {
        Ok(()) => logger::warn(&format!(
            "{} = {} above {threshold}: alert published",
            reading.sensor, reading.value
        )),
        Err(err) => logger::error(&format!("publishing on {topic} failed: {err}")),
    }
    Response::new(200).json(&Outcome {
        alert: true,
        published: Some(result.is_ok()),
        publish_error: result.err().map(PublishError::name),
    })
}

fn main() {
    jinn_guest::run(handle);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> Response {
        handle(Request {
            method: "POST".to_string(),
            body: body.to_string(),
            ..Request::default()
        })
    }

    #[test]
    fn below_threshold_stores_and_does_not_alert() {
        let response = post(r#"{"sensor":"t1","value":21.5}"#);
        assert_eq!(response.status, 200);
        assert_eq!(response.body, r#"{"alert":false}"#);
        assert_eq!(kv::get_string("sensor/t1/last").as_deref(), Some("21.5"));
        // Equal to the threshold is not above it.
        assert_eq!(
            post(r#"{"sensor":"t1","value":40,"threshold":40}"#).body,
            r#"{"alert":false}"#
        );
    }

    #[test]
    fn above_threshold_reports_the_publish_error() {
        // Natively the publisher stand-in is always unavailable.
        let response = post(r#"{"sensor":"t2","value":42.5,"threshold":40.0,"extra":1}"#);
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body,
            r#"{"alert":true,"published":false,"publish_error":"unavailable"}"#
        );
        assert_eq!(kv::get_string("sensor/t2/last").as_deref(), Some("42.5"));
    }

    #[test]
    fn alert_payload_shape() {
        let alert = Alert {
            sensor: "t1",
            value: 42.5,
            threshold: 40.0,
            level: "alert",
        };
        assert_eq!(
            Response::new(200).json(&alert).body,
            r#"{"sensor":"t1","value":42.5,"threshold":40.0,"level":"alert"}"#
        );
    }

    #[test]
    fn bad_input_is_400() {
        for body in [
            "",
            "not json",
            r#"{"value":1}"#,
            r#"{"sensor":"t1"}"#,
            r#"{"sensor":"t1","value":"hot"}"#,
            r#"{"sensor":"","value":1}"#,
            r#"{"sensor":"a/#","value":1}"#,
        ] {
            let response = post(body);
            assert_eq!(response.status, 400, "{body}");
            assert!(response.body.starts_with(r#"{"error":""#), "{body}");
        }
    }
}
