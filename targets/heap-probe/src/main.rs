//! `heap-probe`: a Jinn function (built for `wasm32-wasip1`, run by `jinn
//! run`) that measures what a guest costs in heap on a 32-bit target.
//!
//! The request body is a module (base64); the header `X-Probe-Request`
//! holds the envelope to call it with. The probe loads the module with
//! jinn-core (the same engine settings as a device) and calls it once,
//! counting every allocation, and answers
//! `{"resident":…,"load_peak":…,"call_peak":…,"fuel":…,"outcome":…}` in bytes
//! (`outcome`: `ok` or the error kind of the call):
//! heap kept after loading (engine, linker, compiled module), the most in
//! use while loading, and the most a call adds (instance, linear memory,
//! buffers). `jinn-footprint --probe` runs it for each example.
//!
//! Why a wasm guest: wasm32 has 32-bit pointers like a Cortex-M, so the
//! engine's structures have their MCU size, and any Linux machine can run
//! it (inside Jinn itself).

use std::io::{Read, Write};
use std::sync::Arc;

use jinn_core::{
    EngineLimits, Headers, Manifest, NullHost, Permissions, Request, Response, Runtime,
};
use jinn_heap_probe::{Counting, current, peak_since, reset_peak};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn answer(status: u16, body: String) {
    let mut headers = Headers::new();
    headers.insert("Content-Type".into(), vec!["application/json".into()]);
    let response = Response {
        status,
        headers,
        body: body.into_bytes(),
    };
    let _ = std::io::stdout().write_all(&response.to_json());
}

fn main() {
    let mut input = Vec::new();
    if std::io::stdin().read_to_end(&mut input).is_err() {
        return answer(400, r#"{"error":"unreadable input"}"#.into());
    }
    let Ok(request) = Request::from_json(&input) else {
        return answer(400, r#"{"error":"not an envelope"}"#.into());
    };
    drop(input);
    let call = request
        .headers
        .get("X-Probe-Request")
        .and_then(|v| v.first())
        .map_or("{}", String::as_str);
    let Ok(call) = Request::from_json(call.as_bytes()) else {
        return answer(400, r#"{"error":"bad X-Probe-Request"}"#.into());
    };

    let base = reset_peak();
    let runtime = Runtime::<NullHost>::new(EngineLimits::default());
    let function = match runtime.load(&request.body) {
        Ok(f) => f,
        Err(e) => return answer(422, format!(r#"{{"error":"{}"}}"#, e.kind())),
    };
    let resident = current() - base;
    let load_peak = peak_since(base);

    let manifest = Arc::new(Manifest {
        permissions: Permissions::allow_all(),
        ..Manifest::default()
    });
    let base = reset_peak();
    let (outcome, _) = function.run(NullHost, manifest, call.to_json());
    let call_peak = peak_since(base);
    let (status, kind) = match &outcome.result {
        Ok(_) => (200, "ok"),
        Err(e) => (500, e.kind().as_str()),
    };
    answer(
        status,
        format!(
            r#"{{"resident":{resident},"load_peak":{load_peak},"call_peak":{call_peak},"fuel":{},"outcome":"{kind}"}}"#,
            outcome.fuel_used
        ),
    );
}
