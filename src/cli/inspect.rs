//! Opening a data directory for the read-only commands.
//!
//! The inspection commands (`list`, `describe`, `history`, `map-run`) must
//! not resume anything: building an [`Engine`](shoal_engine::Engine)
//! recovers and continues every unfinished execution, which would run task
//! handlers as a side effect of looking. They use the engine's read-only
//! [`Inspector`] instead, which answers from the log with the engine's own
//! query code and starts nothing.

use std::path::Path;

use shoal_engine::api::Inspector;

use super::error::CliError;
use super::open;

/// An [`Inspector`] on the log of `data_dir`; a missing directory is
/// `NotFound`.
pub fn open(data_dir: &Path) -> Result<Inspector, CliError> {
    Ok(Inspector::new(open::open_log(data_dir, false)?))
}
