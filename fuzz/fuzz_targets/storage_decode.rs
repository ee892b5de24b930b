#![no_main]
//! Fuzz target: see `ferry_fuzz::storage_decode`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::storage_decode(data));
