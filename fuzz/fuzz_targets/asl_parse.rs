//! `asl_parse`: see `shoal_fuzz::asl::asl_parse` (src/asl.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::asl::asl_parse(data));
