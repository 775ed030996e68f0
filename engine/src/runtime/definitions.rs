//! Definitions by content hash: parsed once, cached, stored in the log.

use std::sync::Arc;

use shoal_storage::WriteBatch;

use super::shared::Shared;
use crate::api::{EngineError, StateMachineInfo};
use crate::asl::StateMachine;
use crate::store::{keys, StoreError};

/// Validates `definition_json`, stores it under its content hash and
/// points `name` at it, durably.
pub(crate) async fn register(
    shared: &Shared,
    name: &str,
    definition_json: &str,
) -> Result<StateMachineInfo, EngineError> {
    if name.is_empty() || name.len() > 80 {
        return Err(EngineError::InvalidArgument {
            what: "state machine name",
            reason: format!("{name:?} must be 1 to 80 bytes"),
        });
    }
    let machine = StateMachine::from_json(definition_json).map_err(|source| {
        EngineError::InvalidDefinition {
            name: name.to_string(),
            source,
        }
    })?;
    let hash = machine.content_hash().as_str().to_string();
    let mut batch = WriteBatch::new();
    batch.put(
        keys::DEFINITIONS,
        hash.as_bytes(),
        definition_json.as_bytes(),
    );
    batch.put(keys::STATE_MACHINES, name.as_bytes(), hash.as_bytes());
    shared
        .log
        .commit(batch)
        .await
        .map_err(|e| shared.commit_failed("registering a state machine", e))?;
    shared
        .machines
        .lock()
        .insert(hash.clone(), Arc::new(machine));
    Ok(StateMachineInfo {
        name: name.to_string(),
        definition_hash: hash,
    })
}

/// The hash `name` points at.
pub(crate) fn hash_of(shared: &Shared, name: &str) -> Result<String, EngineError> {
    let row = shared
        .log
        .get_row(keys::STATE_MACHINES, name.as_bytes())
        .map_err(|e| EngineError::log("looking up a state machine", e))?
        .ok_or_else(|| EngineError::StateMachineNotFound {
            name: name.to_string(),
        })?;
    String::from_utf8(row).map_err(|_| corrupt("state machine row", name, "not UTF-8"))
}

/// The parsed definition with content hash `hash`.
pub(crate) fn machine(shared: &Shared, hash: &str) -> Result<Arc<StateMachine>, EngineError> {
    if let Some(machine) = shared.machines.lock().get(hash) {
        return Ok(Arc::clone(machine));
    }
    let row = shared
        .log
        .get_row(keys::DEFINITIONS, hash.as_bytes())
        .map_err(|e| EngineError::log("reading a definition", e))?
        .ok_or_else(|| corrupt("definition", hash, "missing"))?;
    let text = String::from_utf8(row).map_err(|_| corrupt("definition", hash, "not UTF-8"))?;
    let machine = StateMachine::from_json(&text)
        .map_err(|e| corrupt("definition", hash, &format!("no longer valid: {e}")))?;
    let machine = Arc::new(machine);
    shared
        .machines
        .lock()
        .insert(hash.to_string(), Arc::clone(&machine));
    Ok(machine)
}

fn corrupt(what: &'static str, key: &str, detail: &str) -> EngineError {
    EngineError::Corrupt {
        operation: "loading a definition",
        source: StoreError::Corrupt {
            what,
            location: key.to_string(),
            detail: detail.to_string(),
        },
    }
}
