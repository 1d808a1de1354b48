//! The functions the emulated board carries: the examples that fit flash
//! bank 2's catalog (512 KiB once the KV and outbox sectors are set aside),
//! written into an image with jinn-linux-tap's image writer.

use std::fs;
use std::path::{Path, PathBuf};

use jinn_linux_tap::image::{self, Board};
use serde_json::{Value, json};

use crate::harness::files::examples_dir;

/// QEMU's address for the host, as the device sees it (user-mode network).
pub const HOST_FROM_DEVICE: &str = "10.0.2.2";

/// hello (`/hello`), echo (`/echo`), sensor-alert (`/sensor` and
/// `sensors/+`, publishing on `alerts/+`), fuel-burner (`/burn`, at most
/// `burn_fuel` fuel) and c-hello (`/c-hello`); with a broker on the host's
/// port `broker_port` when given.
///
/// sensor-alert is the tiny build (`sensor-alert-tiny.wasm`, no_std SDK):
/// the std one compiles to about 451 KB, after which neither of the board's
/// heap blocks (440 and 288 KiB) holds its 128 KiB of linear memory
/// (targets/README.md, "Known limit").
pub fn example_spec(broker_port: Option<u16>, burn_fuel: u64) -> Value {
    let wasm = |name: &str| examples_dir().join(format!("{name}.wasm"));
    json!({
        "device": {
            "broker": broker_port.map(|port| format!("{HOST_FROM_DEVICE}:{port}")),
            "client_id": "jinn-mps2-an500",
            "keep_alive_secs": 10
        },
        "functions": [
            {"name": "hello", "wasm": wasm("hello"), "route": "/hello"},
            {"name": "echo", "wasm": wasm("echo"), "route": "/echo"},
            {"name": "sensor-alert", "wasm": wasm("sensor-alert-tiny"), "route": "/sensor",
             "topics": ["sensors/+"],
             "manifest": {"permissions": {"kv_write": ["sensor/*"], "publish": ["alerts/+"]}}},
            {"name": "fuel-burner", "wasm": wasm("fuel-burner"), "route": "/burn",
             "manifest": {"limits": {"fuel": burn_fuel}}},
            {"name": "c-hello", "wasm": wasm("c-hello"), "route": "/c-hello"}
        ]
    })
}

/// Writes `spec` to `dir/spec.json` and its flash bank 2 image to
/// `dir/bank2.bin`; returns the image.
///
/// # Errors
///
/// A module is missing (build them: `bash scripts/build-examples.sh`) or
/// the catalog does not fit.
pub fn write_image(dir: &Path, spec: &Value) -> Result<PathBuf, String> {
    let spec_path = dir.join("spec.json");
    fs::write(
        &spec_path,
        serde_json::to_vec_pretty(spec).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let out = dir.join("bank2.bin");
    image::build(Board::Mps2An500, &spec_path, &out).map_err(|e| format!("image: {e}"))?;
    Ok(out)
}
