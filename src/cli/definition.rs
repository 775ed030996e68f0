//! Reading a definition file and an execution input argument.

use std::path::Path;

use serde_json::Value;
use shoal_engine::asl::StateMachine;

use super::error::CliError;

/// The text of `path` and its validated state machine.
pub fn load(path: &Path) -> Result<(String, StateMachine), CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            CliError::NotFound(format!("definition file {} does not exist", path.display()))
        }
        _ => CliError::Usage(format!("cannot read {}: {e}", path.display())),
    })?;
    let machine = StateMachine::from_json(&text).map_err(|source| CliError::InvalidDefinition {
        path: path.display().to_string(),
        source,
    })?;
    Ok((text, machine))
}

/// The state machine's name: `--state-machine`, else the file stem.
pub fn machine_name(path: &Path, flag: Option<&str>) -> Result<String, CliError> {
    if let Some(name) = flag {
        return Ok(name.to_string());
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    // `examples/hello/definition.json` is better named after its directory.
    let name = if stem == "definition" {
        path.canonicalize()
            .ok()
            .and_then(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|d| d.to_string_lossy().to_string())
            })
            .unwrap_or_else(|| stem.to_string())
    } else {
        stem.to_string()
    };
    if name.is_empty() {
        return Err(CliError::Usage(format!(
            "cannot name a state machine after {}; give --state-machine",
            path.display()
        )));
    }
    Ok(name)
}

/// `--input`: JSON text, `@FILE` (a file's JSON), `@-` (stdin), or `{}` when absent.
pub fn input(flag: Option<&str>) -> Result<Value, CliError> {
    let Some(flag) = flag else {
        return Ok(Value::Object(serde_json::Map::new()));
    };
    let (text, origin) = match flag.strip_prefix('@') {
        Some("-") => {
            let text = std::io::read_to_string(std::io::stdin())
                .map_err(|e| CliError::Usage(format!("cannot read --input from stdin: {e}")))?;
            (text, "stdin".to_string())
        }
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::Usage(format!("cannot read --input file {file}: {e}")))?;
            (text, file.to_string())
        }
        None => (flag.to_string(), "--input".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| CliError::Usage(format!("{origin} is not JSON: {e}")))
}
