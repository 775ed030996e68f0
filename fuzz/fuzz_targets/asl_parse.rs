//! Parses and validates arbitrary text as an Amazon States Language
//! definition: any input gets a definition or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shoal_engine::asl::StateMachine;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = StateMachine::from_json(text);
    }
});
