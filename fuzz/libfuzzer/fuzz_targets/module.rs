//! Fuzz target: `jinn_fuzz::module::check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jinn_fuzz::module::check(data));
