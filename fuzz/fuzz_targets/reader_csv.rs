//! `reader_csv`: see `shoal_fuzz::readers::reader_csv` (src/readers.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::readers::reader_csv(data));
