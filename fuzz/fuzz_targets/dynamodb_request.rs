#![no_main]
//! Fuzz target: see `ferry_fuzz::dynamodb_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::dynamodb_request(data));
