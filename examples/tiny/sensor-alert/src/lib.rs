//! `sensor-alert-tiny`: `sensor-alert` on the tiny SDK — records a sensor
//! reading and raises an alert above a threshold.
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
//!
//! What the tiny build does not take (a `400` too, where the std build
//! answers): a sensor name longer than 128 bytes, a body longer than 1 KiB
//! when it comes base64-encoded, and numbers of more than 15 significant
//! digits or a decimal exponent beyond ±22 (reading those exactly takes
//! ~14 KB of code and tables, as much as the rest of the function).
#![cfg_attr(target_arch = "wasm32", no_std)]

use jinn_guest::tiny::json::Value;
use jinn_guest::tiny::kv;
use jinn_guest::tiny::write::{Buffer, Sink, display_f64};
use jinn_guest::tiny::{JsonObject, Request, Response};
use jinn_guest::{PublishError, QoS, logger, publish};

/// Threshold used when the reading does not carry one.
const DEFAULT_THRESHOLD: f64 = 30.0;

/// The longest sensor name taken (decoded bytes).
const MAX_SENSOR: usize = 128;

struct Reading<'b> {
    sensor: &'b str,
    value: f64,
    threshold: f64,
}

/// A sensor name must make exactly one topic level and one key segment.
fn valid_sensor(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '+', '#', '\0'])
}

/// Reads the reading; the error is the message of the `400`.
fn read<'b>(
    request: &Request<'_>,
    body: &mut [u8],
    name: &'b mut [u8; MAX_SENSOR],
) -> Result<Reading<'b>, &'static str> {
    let Ok(Value::Object(object)) = request.json(body) else {
        return Err("the body is not a JSON object");
    };
    let Ok([sensor, value, threshold]) = object.fields(["sensor", "value", "threshold"]) else {
        return Err("a field is given twice");
    };
    let Some(Value::String(sensor)) = sensor else {
        return Err("sensor must be a string");
    };
    let Some(Value::Number(value)) = value else {
        return Err("value must be a number");
    };
    let threshold = match threshold {
        None | Some(Value::Null) => Some(DEFAULT_THRESHOLD),
        Some(Value::Number(threshold)) => threshold.as_f64_short(),
        Some(_) => return Err("threshold must be a number"),
    };
    let (Some(value), Some(threshold)) = (value.as_f64_short(), threshold) else {
        return Err("numbers may have at most 15 significant digits, exponents within 22");
    };
    let Some(sensor) = sensor.decode_into(name) else {
        return Err("sensor name longer than 128 bytes");
    };
    Ok(Reading {
        sensor,
        value,
        threshold,
    })
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: Request<'_>) -> Response<'_> {
    let mut body = [0u8; 1024];
    let mut name = [0u8; MAX_SENSOR];
    let reading = match read(&request, &mut body, &mut name) {
        Ok(reading) => reading,
        Err(message) => return Response::error(400, message),
    };
    if !valid_sensor(reading.sensor) {
        return Response::error(
            400,
            "sensor must be a non-empty name without '/', '+', '#' or NUL",
        );
    }

    let mut key = Buffer::<{ MAX_SENSOR + 12 }>::new();
    key.put_str("sensor/");
    key.put_str(reading.sensor);
    key.put_str("/last");
    let mut text = Buffer::<48>::new();
    display_f64(&mut text, reading.value);
    kv::set(
        key.as_str().unwrap_or_default(),
        text.as_bytes().unwrap_or_default(),
    );

    if reading.value <= reading.threshold {
        return Response::new(200).json(&JsonObject::<1>::new().bool("alert", false));
    }

    let mut payload = Buffer::<{ MAX_SENSOR + 160 }>::new();
    JsonObject::<4>::new()
        .str("sensor", reading.sensor)
        .f64("value", reading.value)
        .f64("threshold", reading.threshold)
        .str("level", "alert")
        .write_to(&mut payload);
    let mut topic = Buffer::<{ MAX_SENSOR + 7 }>::new();
    topic.put_str("alerts/");
    topic.put_str(reading.sensor);
    let topic = topic.as_str().unwrap_or_default();
    let result = publish(
        topic,
        payload.as_bytes().unwrap_or_default(),
        QoS::AtLeastOnce,
    );
    let mut line = Buffer::<320>::new();
    match result {
        Ok(()) => {
            line.put_str(reading.sensor);
            line.put_str(" = ");
            display_f64(&mut line, reading.value);
            line.put_str(" above ");
            display_f64(&mut line, reading.threshold);
            line.put_str(": alert published");
        }
        Err(err) => {
            line.put_str("publishing on ");
            line.put_str(topic);
            line.put_str(" failed: ");
            line.put_str(err.name());
        }
    }
    let line = line.as_str().unwrap_or("alert");
    match result {
        Ok(()) => logger::warn(line),
        Err(_) => logger::error(line),
    }
    let outcome = JsonObject::<3>::new()
        .bool("alert", true)
        .bool("published", result.is_ok());
    let outcome = match result {
        Ok(()) => outcome,
        Err(err) => outcome.str("publish_error", PublishError::name(err)),
    };
    Response::new(200).json(&outcome)
}

jinn_guest::tiny::main!(handle);
