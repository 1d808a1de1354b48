//! # jinn-fuzz
//!
//! What fuzzing checks, as plain functions over raw fuzz input: each panics
//! when a property fails. The libFuzzer targets in `fuzz/libfuzzer/`
//! (nightly, `scripts/fuzz.sh`) call them on generated input; the tests in
//! `fuzz/tests/` call them on every input in `fuzz/regressions/` (stable,
//! `cargo test`), so a crash found once stays fixed.

pub mod config;
pub mod contract;
pub mod module;
