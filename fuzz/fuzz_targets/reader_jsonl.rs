//! `reader_jsonl`: see `shoal_fuzz::readers::reader_jsonl` (src/readers.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::readers::reader_jsonl(data));
