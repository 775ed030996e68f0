//! [`CliError`]: every way a command fails, and the exit code it maps to.

use shoal_engine::asl::InvalidDefinition;
use shoal_engine::EngineError;
use shoal_storage::LogError;

/// Exit code: the command did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: an execution the command waited for failed, timed out or was aborted.
pub const EXIT_EXECUTION_FAILED: u8 = 1;
/// Exit code: bad usage, an invalid definition, input or argument (clap uses 2 too).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the execution, state machine or data directory does not exist.
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit code: the event log or engine failed (I/O, corruption, a locked data directory).
pub const EXIT_STORAGE: u8 = 4;
/// Exit code: the request conflicts with what exists (name taken, execution not running).
pub const EXIT_CONFLICT: u8 = 5;
/// Exit code: interrupted by Ctrl-C (after a clean stop, or at once on the second).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or input.
    #[error("{0}")]
    Usage(String),
    /// The definition file failed validation.
    #[error("{path}: {source}")]
    InvalidDefinition {
        /// The file.
        path: String,
        /// Every problem, each naming state and field.
        source: InvalidDefinition,
    },
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the stored state.
    #[error("{0}")]
    Conflict(String),
    /// The log or engine failed.
    #[error("{0}")]
    Storage(String),
    /// An execution ended other than SUCCEEDED (already reported).
    #[error("{0}")]
    ExecutionFailed(String),
    /// Ctrl-C stopped the command (already reported).
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::InvalidDefinition { .. } => EXIT_USAGE,
            CliError::NotFound(_) => EXIT_NOT_FOUND,
            CliError::Conflict(_) => EXIT_CONFLICT,
            CliError::Storage(_) => EXIT_STORAGE,
            CliError::ExecutionFailed(_) => EXIT_EXECUTION_FAILED,
            CliError::Interrupted => EXIT_INTERRUPTED,
        }
    }

    /// Opening the log failed.
    pub fn log(path: &std::path::Path, error: LogError) -> CliError {
        CliError::Storage(format!(
            "cannot open the data directory {}: {error} (is another shoal process using it?)",
            path.display()
        ))
    }
}

impl From<EngineError> for CliError {
    fn from(error: EngineError) -> CliError {
        let text = error.to_string();
        match error {
            EngineError::StateMachineNotFound { .. }
            | EngineError::ExecutionNotFound { .. }
            | EngineError::MapRunDoesNotExist { .. } => CliError::NotFound(text),
            EngineError::InvalidDefinition { .. } | EngineError::InvalidArgument { .. } => {
                CliError::Usage(text)
            }
            EngineError::ExecutionAlreadyExists { .. }
            | EngineError::ExecutionNotRunning { .. }
            | EngineError::ExecutionNotRedrivable { .. }
            | EngineError::TaskDoesNotExist { .. } => CliError::Conflict(text),
            _ => CliError::Storage(text),
        }
    }
}
