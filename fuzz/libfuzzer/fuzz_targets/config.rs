//! Fuzz target: `jinn_fuzz::config::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jinn_fuzz::config::check(data));
