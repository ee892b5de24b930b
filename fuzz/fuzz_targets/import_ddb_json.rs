#![no_main]
//! Fuzz target: see `ferry_fuzz::import_ddb_json`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::import_ddb_json(data));
