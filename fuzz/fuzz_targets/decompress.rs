#![no_main]
//! Fuzz target: see `ferry_fuzz::decompress`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::decompress(data));
