#![no_main]
//! Fuzz target: see `ferry_fuzz::sigv4`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::sigv4(data));
