#![no_main]
//! Fuzz target: see `ferry_fuzz::expressions`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::expressions(data));
