//! `shoal validate`: check a definition without running it.

use std::path::Path;

use serde_json::json;
use shoal_engine::asl::DefinitionError;

use super::definition;
use super::error::CliError;
use super::views;

/// `shoal validate DEF.json`: on success prints a confirmation (or
/// `{"valid": true, ...}`); on failure prints every problem, each naming
/// its state and field, and fails with exit code 2.
pub fn validate(path: &Path, json: bool) -> Result<(), CliError> {
    match definition::load(path) {
        Ok(_) => {
            if json {
                views::print_json(&json!({"valid": true, "errors": []}));
            } else {
                println!("{}: valid", path.display());
            }
            Ok(())
        }
        Err(CliError::InvalidDefinition { path, source }) => {
            if json {
                let errors: Vec<_> = source.errors.iter().map(error_json).collect();
                views::print_json(&json!({"valid": false, "errors": errors}));
            }
            for error in &source.errors {
                eprintln!("{path}: {error}");
            }
            let count = source.errors.len();
            Err(CliError::Usage(format!(
                "{path}: {count} error(s) in the definition"
            )))
        }
        Err(other) => Err(other),
    }
}

fn error_json(error: &DefinitionError) -> serde_json::Value {
    json!({
        "state": error.state,
        "field": error.field,
        "message": error.to_string(),
    })
}
