//! `json_path`: see `shoal_fuzz::path::json_path` (src/path.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::path::json_path(data));
