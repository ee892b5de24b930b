#![no_main]
//! Fuzz target: see `ferry_fuzz::s3_chunked`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::s3_chunked(data));
