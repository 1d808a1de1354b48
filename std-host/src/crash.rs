//! Crash snapshots: a failed call of a function with `record_crashes = true`
//! is written to `<data_dir>/crashes/` as one JSON file (mode 0600), enough
//! for `jinn replay` to run it again deterministically.
//!
//! Secrets are masked: env values and the values of credential headers
//! (`Authorization`, `Proxy-Authorization`, `X-Api-Key`, `Cookie`) become
//! `*` repeated to the same length, so a replay feeds the guest inputs of the
//! same sizes. The directory keeps at most `crashes.max_files` snapshots;
//! the oldest are removed.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
pub use jinn_core::contract::time::rfc3339;
pub use jinn_core::contract::trace::hex;
use jinn_core::{Limits, Permissions};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::host::{CLOCK_STEP_NS, KvReads, Seeds};

/// Format version of the snapshot files.
pub const VERSION: u32 = 1;

/// Headers whose values are masked.
pub const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "cookie",
];

/// The error of the failed call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CrashError {
    /// Error kind, e.g. `trap`.
    pub kind: String,
    /// The message.
    pub message: String,
}

/// The seeds of the call's clocks and random generator.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedRecord {
    /// Wall clock at the start of the call (ns since the epoch).
    pub wall_clock_ns: u64,
    /// Monotonic clock at the start of the call (ns).
    pub monotonic_ns: u64,
    /// The random seed, hex.
    pub random: String,
    /// How far the clocks move per read (ns).
    pub clock_step_ns: u64,
}

/// One KV read of the call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KvRead {
    /// Key.
    pub key: String,
    /// Value in base64, or null when the key was missing.
    pub value: Option<String>,
}

/// A crash snapshot file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CrashSnapshot {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// When the call started, RFC 3339 UTC.
    pub time: String,
    /// Function name.
    pub function: String,
    /// Module file.
    pub module: PathBuf,
    /// SHA-256 of the module, hex.
    pub module_sha256: String,
    /// Trace id of the request.
    pub trace_id: Option<String>,
    /// What went wrong.
    pub error: CrashError,
    /// Fuel used until then.
    pub fuel_used: u64,
    /// Limits of the call.
    pub limits: Limits,
    /// Wall-clock limit of the call in ms.
    pub timeout_ms: u64,
    /// Permissions of the call.
    pub permissions: Permissions,
    /// Environment, values masked.
    pub env: Vec<(String, String)>,
    /// Arguments.
    pub args: Vec<String>,
    /// Clock and random seeds.
    pub seeds: SeedRecord,
    /// First read of each KV key, for replay without the store.
    pub kv_reads: Vec<KvRead>,
    /// False when some reads were not recorded (over 1 MiB).
    pub kv_reads_complete: bool,
    /// The request envelope the guest read, credential headers masked.
    pub input: Value,
}

/// `*` repeated to the byte length of `value`.
pub fn mask(value: &str) -> String {
    "*".repeat(value.len())
}

/// Bytes of lowercase or uppercase hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The envelope as JSON with credential headers masked.
pub fn masked_input(stdin: &[u8]) -> Value {
    let mut value: Value = serde_json::from_slice(stdin).unwrap_or(Value::Null);
    if let Some(headers) = value.get_mut("headers").and_then(Value::as_object_mut) {
        for (name, values) in headers.iter_mut() {
            if CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str())
                && let Some(list) = values.as_array_mut()
            {
                for v in list {
                    if let Some(s) = v.as_str() {
                        *v = Value::String(mask(s));
                    }
                }
            }
        }
    }
    value
}

/// The seed record of `seeds`.
pub fn seed_record(seeds: &Seeds) -> SeedRecord {
    SeedRecord {
        wall_clock_ns: seeds.wall_clock_ns,
        monotonic_ns: seeds.monotonic_ns,
        random: hex(&seeds.random),
        clock_step_ns: CLOCK_STEP_NS,
    }
}

/// The KV reads as recorded.
pub fn kv_record(reads: Option<&KvReads>) -> (Vec<KvRead>, bool) {
    reads.map_or((Vec::new(), true), |r| {
        let list = r
            .values
            .iter()
            .map(|(k, v)| KvRead {
                key: k.clone(),
                value: v.as_ref().map(|v| BASE64.encode(v)),
            })
            .collect();
        (list, r.complete)
    })
}

/// Writes a snapshot and keeps at most `max_files`; returns its path.
///
/// # Errors
///
/// I/O errors creating or writing the file.
pub fn write(
    dir: &Path,
    snapshot: &CrashSnapshot,
    unix_ns: u64,
    max_files: u32,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let trace: String = snapshot
        .trace_id
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let name = format!(
        "{:013}-{}-{trace}.json",
        unix_ns / 1_000_000,
        snapshot.function
    );
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    serde_json::to_writer_pretty(&mut file, snapshot)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    prune(dir, max_files as usize);
    Ok(path)
}

fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for old in &files[..files.len() - keep] {
        let _ = std::fs::remove_file(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_masked_to_the_same_length() {
        let input = br#"{"method":"GET","uri":"/","headers":{"X-Api-Key":["k3y"],"Accept":["*/*"]},"body":""}"#;
        let v = masked_input(input);
        assert_eq!(v["headers"]["X-Api-Key"][0], "***");
        assert_eq!(v["headers"]["Accept"][0], "*/*");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(unhex(&hex(&[0, 0xab, 255])), Some(vec![0, 0xab, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn old_snapshots_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5 {
            std::fs::write(dir.path().join(format!("{i:013}-f-.json")), "{}").unwrap();
        }
        prune(dir.path(), 2);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["0000000000003-f-.json", "0000000000004-f-.json"]);
    }
}
