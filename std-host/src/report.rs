//! The JSON report of `jinn run --report`.

use jinn_core::{ErrorKind, Outcome};
use serde::Serialize;
use serde_json::Value;

/// `{"outcome","http_status","response","fuel_used","error","stderr"}`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `ok` or an error kind such as `fuel_exhausted`.
    pub outcome: &'static str,
    /// The response's status, or the error kind's.
    pub http_status: u16,
    /// The normalised response, or null.
    pub response: Option<Value>,
    /// Fuel used by the call (0 when it never started).
    pub fuel_used: u64,
    /// The error message, or null.
    pub error: Option<String>,
    /// The guest's stderr (lossy UTF-8).
    pub stderr: String,
}

impl Report {
    /// The report of a call that ran.
    pub fn from_outcome(outcome: &Outcome) -> Self {
        let stderr = String::from_utf8_lossy(&outcome.stderr).into_owned();
        match &outcome.result {
            Ok(response) => Self {
                outcome: "ok",
                http_status: response.status,
                response: serde_json::from_slice(&response.to_json()).ok(),
                fuel_used: outcome.fuel_used,
                error: None,
                stderr,
            },
            Err(e) => Self {
                stderr,
                fuel_used: outcome.fuel_used,
                ..Self::failure(e.kind(), e.to_string())
            },
        }
    }

    /// The report of a call that could not start (a load error, a bad request).
    pub fn failure(kind: ErrorKind, message: String) -> Self {
        Self {
            outcome: kind.as_str(),
            http_status: kind.http_status(),
            response: None,
            fuel_used: 0,
            error: Some(message),
            stderr: String::new(),
        }
    }
}
