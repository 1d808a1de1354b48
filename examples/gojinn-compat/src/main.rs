//! `gojinn-compat`: a function written the way Gojinn's Rust SDK talks to the
//! host, with raw `gojinn` imports and no Jinn SDK. It shows that such code
//! runs on Jinn unchanged.
//!
//! It logs one info line, reads the decimal counter at key `visits` with a
//! 4096-byte buffer (missing means 0), stores the counter plus one, and
//! prints `{"status":200,"headers":{"Content-Type":["application/json"],
//! "X-Runtime":["Gojinn-Rust"]},"body":"{\"visits\":N}"}`.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};

use serde::{Deserialize, Serialize};

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "gojinn")]
unsafe extern "C" {
    fn host_log(level: u32, ptr: u32, len: u32);
    fn host_kv_set(k_ptr: u32, k_len: u32, v_ptr: u32, v_len: u32);
    fn host_kv_get(k_ptr: u32, k_len: u32, out_ptr: u32, out_max: u32) -> u64;
}

/// Native stand-ins with the same signatures: no log, an always-empty store.
/// (Pointers do not fit in `u32` off wasm32, so nothing can be stored.)
#[cfg(not(target_arch = "wasm32"))]
mod native {
    pub unsafe fn host_log(_level: u32, _ptr: u32, _len: u32) {}
    pub unsafe fn host_kv_set(_k_ptr: u32, _k_len: u32, _v_ptr: u32, _v_len: u32) {}
    pub unsafe fn host_kv_get(_k_ptr: u32, _k_len: u32, _out_ptr: u32, _out_max: u32) -> u64 {
        u64::MAX
    }
}
#[cfg(not(target_arch = "wasm32"))]
use native::{host_kv_get, host_kv_set, host_log};

/// The request as Gojinn's Rust SDK reads it; other fields are ignored.
#[derive(Deserialize)]
struct Request {
    #[allow(dead_code)] // Read as Gojinn's SDK does, unused here.
    body: String,
    headers: Option<HashMap<String, Vec<String>>>,
    method: Option<String>,
}

/// The response as Gojinn's Rust SDK writes it. A `BTreeMap` keeps the header
/// order stable.
#[derive(Serialize)]
struct Response {
    status: u16,
    headers: BTreeMap<String, Vec<String>>,
    body: String,
}

fn log_info(msg: &str) {
    unsafe { host_log(1, msg.as_ptr() as u32, msg.len() as u32) };
}

fn kv_set(key: &str, value: &str) {
    unsafe {
        host_kv_set(
            key.as_ptr() as u32,
            key.len() as u32,
            value.as_ptr() as u32,
            value.len() as u32,
        )
    };
}

fn kv_get(key: &str) -> Option<String> {
    let mut buffer = vec![0u8; 4096];
    let written = unsafe {
        host_kv_get(
            key.as_ptr() as u32,
            key.len() as u32,
            buffer.as_mut_ptr() as u32,
            buffer.len() as u32,
        )
    };
    // Gojinn copies at most the buffer and returns the bytes written;
    // missing keys come back as -1, i.e. u64::MAX.
    if written > buffer.len() as u64 {
        return None;
    }
    Some(String::from_utf8_lossy(&buffer[..written as usize]).to_string())
}

fn read_input() -> Result<Request, String> {
    let mut buffer = String::new();
    io::stdin()
        .read_to_string(&mut buffer)
        .map_err(|e| e.to_string())?;
    if buffer.trim().is_empty() {
        return Ok(Request {
            body: String::new(),
            headers: None,
            method: None,
        });
    }
    serde_json::from_str(&buffer).map_err(|e| e.to_string())
}

fn send_response(status: u16, body: String) {
    let mut headers = BTreeMap::new();
    headers.insert(
        "Content-Type".to_string(),
        vec!["application/json".to_string()],
    );
    headers.insert("X-Runtime".to_string(), vec!["Gojinn-Rust".to_string()]);
    let response = Response {
        status,
        headers,
        body,
    };
    if let Ok(json) = serde_json::to_string(&response) {
        print!("{json}");
    }
}

fn main() {
    let request = match read_input() {
        Ok(request) => request,
        Err(err) => {
            send_response(400, serde_json::json!({ "error": err }).to_string());
            return;
        }
    };
    let method = request.method.as_deref().unwrap_or("GET");
    let header_count = request.headers.as_ref().map_or(0, HashMap::len);
    log_info(&format!(
        "gojinn-compat: {method} with {header_count} headers"
    ));

    let visits = kv_get("visits")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    kv_set("visits", &visits.to_string());

    send_response(200, format!("{{\"visits\":{visits}}}"));
}
