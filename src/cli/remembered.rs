//! `--store` options remembered in the data directory, so that `resume`
//! (and `stop`, and later runs) open the stores a run's map runs read and
//! write without the user repeating them.
//!
//! Without this, `shoal resume` after Ctrl-C would reopen an unfinished map
//! run with no store under its `Bucket` name, and the run would fail with
//! `States.ItemReaderFailed` for want of a command-line option.
//!
//! The file is `DIR/stores.json`, one JSON object `{"NAME": "URL", ...}`.
//! URLs never hold credentials (`--store` refuses them) and `file://` ones
//! are absolute, so the file is safe to keep and valid from any directory.
//! It is written only by a process holding the data directory's log open
//! (sled's lock), through a temporary file and a rename, so a reader sees
//! the old or the new file, never half of one.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::CliError;
use super::open::StoreArg;

/// The file's name inside the data directory.
const FILE_NAME: &str = "stores.json";

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// The stores remembered in `data_dir` (none when the file is absent).
pub fn load(data_dir: &Path) -> Result<Vec<StoreArg>, CliError> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(CliError::Storage(format!(
                "cannot read {}: {error}",
                path.display()
            )))
        }
    };
    let corrupt = |why: String| {
        CliError::Storage(format!(
            "{} is not a JSON object of store URLs ({why}); fix or delete it",
            path.display()
        ))
    };
    let object: Map<String, Value> =
        serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    object
        .into_iter()
        .map(|(name, url)| match url {
            Value::String(url) => Ok(StoreArg { name, url }),
            other => Err(corrupt(format!("{name:?} maps to {other}"))),
        })
        .collect()
}

/// The remembered stores with `given` laid over them (a name given again
/// takes its new URL), saved back when that changed anything.
pub fn merge(data_dir: &Path, given: &[StoreArg]) -> Result<Vec<StoreArg>, CliError> {
    let remembered = load(data_dir)?;
    let mut merged = remembered.clone();
    for arg in given {
        match merged.iter_mut().find(|known| known.name == arg.name) {
            Some(known) => known.url.clone_from(&arg.url),
            None => merged.push(arg.clone()),
        }
    }
    if merged != remembered {
        save(data_dir, &merged)?;
    }
    Ok(merged)
}

fn save(data_dir: &Path, stores: &[StoreArg]) -> Result<(), CliError> {
    let object: Map<String, Value> = stores
        .iter()
        .map(|arg| (arg.name.clone(), Value::String(arg.url.clone())))
        .collect();
    let path = path(data_dir);
    let temporary = data_dir.join(format!("{FILE_NAME}.tmp"));
    let io = |e: std::io::Error| CliError::Storage(format!("cannot write {}: {e}", path.display()));
    let mut text = serde_json::to_string_pretty(&Value::Object(object))
        .map_err(|e| io(std::io::Error::other(e)))?;
    text.push('\n');
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, &path).map_err(io)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn arg(name: &str, url: &str) -> StoreArg {
        StoreArg {
            name: name.into(),
            url: url.into(),
        }
    }

    #[test]
    fn given_stores_are_remembered_and_overridden_by_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), Vec::new());
        let first = merge(dir.path(), &[arg("a", "file:///x"), arg("b", "memory://")]).unwrap();
        assert_eq!(first, [arg("a", "file:///x"), arg("b", "memory://")]);
        // Nothing given: the remembered ones.
        assert_eq!(merge(dir.path(), &[]).unwrap(), first);
        // One given again with another URL replaces it; a new one is added.
        let second = merge(
            dir.path(),
            &[arg("a", "s3://bucket/p"), arg("c", "memory://")],
        )
        .unwrap();
        assert_eq!(
            second,
            [
                arg("a", "s3://bucket/p"),
                arg("b", "memory://"),
                arg("c", "memory://")
            ]
        );
        assert_eq!(load(dir.path()).unwrap(), second);
        assert!(!dir.path().join("stores.json.tmp").exists());
    }

    #[test]
    fn a_corrupt_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stores.json"), r#"{"a": 1}"#).unwrap();
        let error = load(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("stores.json") && error.contains("\"a\" maps to 1"),
            "{error}"
        );
        std::fs::write(dir.path().join("stores.json"), "[").unwrap();
        assert!(matches!(load(dir.path()), Err(CliError::Storage(_))));
    }
}
