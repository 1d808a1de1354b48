//! Fuzz target: `jinn_fuzz::contract::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jinn_fuzz::contract::check(data));
