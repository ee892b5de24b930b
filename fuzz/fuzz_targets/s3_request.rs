#![no_main]
//! Fuzz target: see `ferry_fuzz::s3_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::s3_request(data));
