//! `intrinsic_eval`: see `shoal_fuzz::intrinsic::intrinsic_eval` (src/intrinsic.rs) for the input layout and
//! the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| shoal_fuzz::intrinsic::intrinsic_eval(data));
