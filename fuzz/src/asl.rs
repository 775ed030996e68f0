//! `asl_parse`: a definition's text through parsing and validation
//! ([`StateMachine::from_json`] builds the typed model and validates every
//! state, path, template and intrinsic in it).
//!
//! Properties: never a panic; a rejected definition carries at least one
//! error, each printable; an accepted one is accepted again from its parsed
//! value, with the same content hash.

use shoal_engine::asl::StateMachine;

/// The `asl_parse` target.
pub fn asl_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match StateMachine::from_json(text) {
        Ok(machine) => {
            let value: serde_json::Value =
                serde_json::from_str(text).expect("an accepted definition is JSON");
            let again = StateMachine::from_value(&value)
                .expect("a definition accepted as text is accepted as a value");
            assert_eq!(again.content_hash(), machine.content_hash());
        }
        Err(invalid) => {
            assert!(!invalid.errors.is_empty(), "a rejection names no error");
            for error in &invalid.errors {
                let _ = error.to_string();
            }
        }
    }
}
