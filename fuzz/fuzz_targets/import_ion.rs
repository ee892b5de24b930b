#![no_main]
//! Fuzz target: see `ferry_fuzz::import_ion`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_fuzz::import_ion(data));
