//! Per-function limits, their defaults, and the parser of sizes such as `16MiB`.
//!
//! Sizes: `KiB`, `MiB`, `GiB` (and the short `K`, `M`, `G`) are binary (IEC,
//! powers of 1024); `kB`/`KB`, `MB`, `GB` are decimal (SI, powers of 1000), as
//! in Gojinn where `128MB` is 128,000,000 bytes. A bare number is bytes.

use core::fmt;

use serde::{Deserialize, Serialize};

/// One wasm page.
pub const WASM_PAGE: u64 = 65_536;

/// What one call may use. Every field has a documented default ([`Limits::default`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Fuel per call (wasm instructions plus host-call costs). Default 100,000,000.
    pub fuel: u64,
    /// Linear memory cap in bytes. Default 16 MiB.
    pub memory: u64,
    /// Request (stdin) cap in bytes. Default 1 MiB.
    pub stdin: u64,
    /// Stdout cap in bytes; going over ends the call with `output_too_large`. Default 5 MiB.
    pub stdout: u64,
    /// Stderr cap in bytes; going over ends the call with `output_too_large`. Default 5 MiB.
    pub stderr: u64,
    /// Elements per table. Default 10,000.
    pub table_elements: u32,
    /// Tables per instance. Default 4.
    pub tables: u32,
    /// `host_log` lines per call kept; further lines are counted and dropped. Default 100.
    pub log_lines: u32,
    /// Bytes kept of one `host_log` line. Default 4 KiB.
    pub log_line_bytes: u32,
    /// Longest KV key in bytes. Default 256.
    pub kv_key_bytes: u32,
    /// Largest KV value in bytes. Default 64 KiB.
    pub kv_value_bytes: u32,
    /// Bytes one call's KV transaction may hold: the keys and values it
    /// writes (the last value of each key) and the keys it reads (plus 32
    /// each); going over ends the call with `transaction_too_large`.
    /// Default 1 MiB.
    pub kv_transaction_bytes: u32,
    /// Publishes per call. Default 16.
    pub publishes: u32,
    /// Largest publish payload in bytes. Default 64 KiB.
    pub publish_bytes: u32,
    /// Longest topic a publish may name, in bytes. Default 256.
    pub topic_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 100_000_000,
            memory: 16 * 1024 * 1024,
            stdin: 1024 * 1024,
            stdout: 5 * 1024 * 1024,
            stderr: 5 * 1024 * 1024,
            table_elements: 10_000,
            tables: 4,
            log_lines: 100,
            log_line_bytes: 4096,
            kv_key_bytes: 256,
            kv_value_bytes: 64 * 1024,
            kv_transaction_bytes: 1024 * 1024,
            publishes: 16,
            publish_bytes: 64 * 1024,
            topic_bytes: 256,
        }
    }
}

impl Limits {
    /// No limit at all: every field at its maximum. The starting point of a
    /// target's caps (`Limits { kv_key_bytes: 64, ..Limits::UNBOUNDED }`).
    pub const UNBOUNDED: Self = Self {
        fuel: u64::MAX,
        memory: u64::MAX,
        stdin: u64::MAX,
        stdout: u64::MAX,
        stderr: u64::MAX,
        table_elements: u32::MAX,
        tables: u32::MAX,
        log_lines: u32::MAX,
        log_line_bytes: u32::MAX,
        kv_key_bytes: u32::MAX,
        kv_value_bytes: u32::MAX,
        kv_transaction_bytes: u32::MAX,
        publishes: u32::MAX,
        publish_bytes: u32::MAX,
        topic_bytes: u32::MAX,
    };

    /// These limits, each no higher than the same field of `caps`: what a
    /// target that cannot give more than `caps` (a device's buffers and
    /// flash records) enforces when it loads a function, so that the core
    /// answers with the codes of one set of limits on every target.
    pub fn within(&self, caps: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(caps.fuel),
            memory: self.memory.min(caps.memory),
            stdin: self.stdin.min(caps.stdin),
            stdout: self.stdout.min(caps.stdout),
            stderr: self.stderr.min(caps.stderr),
            table_elements: self.table_elements.min(caps.table_elements),
            tables: self.tables.min(caps.tables),
            log_lines: self.log_lines.min(caps.log_lines),
            log_line_bytes: self.log_line_bytes.min(caps.log_line_bytes),
            kv_key_bytes: self.kv_key_bytes.min(caps.kv_key_bytes),
            kv_value_bytes: self.kv_value_bytes.min(caps.kv_value_bytes),
            kv_transaction_bytes: self.kv_transaction_bytes.min(caps.kv_transaction_bytes),
            publishes: self.publishes.min(caps.publishes),
            publish_bytes: self.publish_bytes.min(caps.publish_bytes),
            topic_bytes: self.topic_bytes.min(caps.topic_bytes),
        }
    }
}

impl Limits {
    /// The defaults of a Linux gateway (`jinn serve`, `jinn run`): room for
    /// standard Go functions, whose runtime alone takes 12–43 million fuel to
    /// start and which want 64 MB or more of memory. Fuel 1,000,000,000;
    /// memory 128 MB (128,000,000 bytes, Gojinn's default `memory_limit`);
    /// everything else as [`Limits::default`], which stays sized for a
    /// microcontroller.
    pub fn gateway() -> Self {
        Self {
            fuel: 1_000_000_000,
            memory: 128_000_000,
            ..Self::default()
        }
    }
}

/// Iovecs one `fd_read` or `fd_write` may pass (POSIX `IOV_MAX` on Linux);
/// more is `EINVAL`, without walking the table.
pub const MAX_IOVECS: u32 = 1024;

/// Header values and bytes a response may carry: the contract's rule.
pub use jinn_contract::headers::{MAX_RESPONSE_HEADER_BYTES, MAX_RESPONSE_HEADERS};

/// What a module may be, checked by [`Runtime::load`](crate::Runtime::load)
/// before it is compiled: compiled code costs the host memory for as long as
/// the module stays loaded, roughly 100 bytes per function on top of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ModuleLimits {
    /// Largest module in bytes. Default 16 MiB.
    pub max_bytes: u64,
    /// Most functions a module may define (imports not counted). Default 50,000.
    pub max_functions: u32,
}

impl Default for ModuleLimits {
    fn default() -> Self {
        Self {
            max_bytes: 16 * 1024 * 1024,
            max_functions: 50_000,
        }
    }
}

/// A size string could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SizeError {
    /// Empty input.
    Empty,
    /// The number part is missing or not a whole number.
    BadNumber,
    /// The unit is not one of B, K, KiB, kB, KB, M, MiB, MB, G, GiB, GB.
    UnknownUnit,
    /// The size does not fit 64 bits.
    Overflow,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty size",
            Self::BadNumber => "size must start with a whole number",
            Self::UnknownUnit => {
                "unknown unit (use B, KiB, MiB, GiB for powers of 1024 or kB, MB, GB for powers of 1000)"
            }
            Self::Overflow => "size too large",
        })
    }
}

impl core::error::Error for SizeError {}

/// Parses `16MiB`, `128MB`, `64 KiB`, `65536` into bytes.
///
/// ```
/// use jinn_core::limits::parse_size;
/// assert_eq!(parse_size("16MiB"), Ok(16 * 1024 * 1024));
/// assert_eq!(parse_size("128MB"), Ok(128_000_000));
/// assert_eq!(parse_size("4096"), Ok(4096));
/// ```
///
/// # Errors
///
/// [`SizeError`] when the number or unit is not understood.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SizeError::Empty);
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(SizeError::BadNumber);
    }
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| SizeError::Overflow)?;
    let multiplier: u64 = match unit.trim() {
        "" | "B" | "b" => 1,
        "K" | "k" | "KiB" | "Ki" => 1 << 10,
        "kB" | "KB" => 1_000,
        "M" | "MiB" | "Mi" => 1 << 20,
        "MB" => 1_000_000,
        "G" | "GiB" | "Gi" => 1 << 30,
        "GB" => 1_000_000_000,
        _ => return Err(SizeError::UnknownUnit),
    };
    number.checked_mul(multiplier).ok_or(SizeError::Overflow)
}

/// Wasm pages needed to hold `bytes` (rounded up), as Gojinn computes it.
pub const fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(WASM_PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iec_and_si_units() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("128MB"), Ok(128_000_000));
        assert_eq!(parse_size("64 KiB"), Ok(65_536));
        assert_eq!(parse_size("64kB"), Ok(64_000));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size(" 512 "), Ok(512));
    }

    #[test]
    fn caps_clamp_each_field() {
        let caps = Limits {
            kv_key_bytes: 64,
            publish_bytes: 1024,
            ..Limits::UNBOUNDED
        };
        let clamped = Limits::default().within(&caps);
        assert_eq!(
            clamped,
            Limits {
                kv_key_bytes: 64,
                publish_bytes: 1024,
                ..Limits::default()
            }
        );
        let small = Limits {
            kv_key_bytes: 8,
            ..Limits::default()
        };
        assert_eq!(small.within(&caps).kv_key_bytes, 8, "lower limits stay");
        assert_eq!(
            Limits::default().within(&Limits::UNBOUNDED),
            Limits::default()
        );
    }

    #[test]
    fn gojinn_default_is_1954_pages() {
        assert_eq!(pages_for(parse_size("128MB").unwrap()), 1954);
    }

    #[test]
    fn bad_sizes_are_typed_errors() {
        assert_eq!(parse_size(""), Err(SizeError::Empty));
        assert_eq!(parse_size("BATATA"), Err(SizeError::BadNumber));
        assert_eq!(parse_size("12 parsecs"), Err(SizeError::UnknownUnit));
        assert_eq!(parse_size("99999999999999999999"), Err(SizeError::Overflow));
        assert_eq!(
            parse_size("18446744073709551615GiB"),
            Err(SizeError::Overflow)
        );
    }
}
