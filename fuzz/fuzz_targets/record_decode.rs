//! `record_decode`: see `shoal_fuzz::record::record_decode` (src/record.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::record::record_decode(data));
