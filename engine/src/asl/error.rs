//! Runtime errors of a state machine (`States.*` names) and the rules by
//! which a Retrier's or Catcher's `ErrorEquals` matches an error.
//!
//! Matching rules, from the ASL specification and the Step Functions
//! developer guide (error handling):
//! - names are compared exactly (case-sensitive);
//! - `States.ALL` matches every error **except** the terminal ones,
//!   `States.DataLimitExceeded` and `States.Runtime` (the developer guide:
//!   States.ALL "can't catch the States.DataLimitExceeded terminal error or
//!   Runtime error types"); `States.Runtime` "will always cause the execution
//!   to fail", so nothing matches it, while `States.DataLimitExceeded` is
//!   matched only by its own name;
//! - `States.TaskFailed` used in `ErrorEquals` matches every error except
//!   `States.Timeout` (and `States.HeartbeatTimeout`, a kind of timeout) and
//!   the terminal ones;
//! - `States.Timeout` in `ErrorEquals` also matches `States.HeartbeatTimeout`,
//!   because the developer guide describes a missed heartbeat as a Timeout.

use std::fmt;

/// `States.ALL`: wildcard matching any catchable error.
pub const STATES_ALL: &str = "States.ALL";
/// `States.DataLimitExceeded`: a payload exceeded the configured limit. Terminal.
pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
/// `States.HeartbeatTimeout`: a Task did not heartbeat within HeartbeatSeconds.
pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
/// `States.Timeout`: a Task ran longer than TimeoutSeconds (or the execution did).
pub const TIMEOUT: &str = "States.Timeout";
/// `States.TaskFailed`: a Task failed; as a matcher, any error but a timeout.
pub const TASK_FAILED: &str = "States.TaskFailed";
/// `States.Permissions`: insufficient privileges to run the task.
pub const PERMISSIONS: &str = "States.Permissions";
/// `States.ResultPathMatchFailure`: ResultPath cannot be applied to the input.
pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
/// `States.ParameterPathFailure`: a `.$` path in a payload template failed.
pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
/// `States.BranchFailed`: a branch of a Parallel state failed.
pub const BRANCH_FAILED: &str = "States.BranchFailed";
/// `States.NoChoiceMatched`: no Choice rule matched and there is no Default.
pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
/// `States.IntrinsicFailure`: an intrinsic function failed.
pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
/// `States.ExceedToleratedFailureThreshold`: a Map run had too many failures.
pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
/// `States.ItemReaderFailed`: a Map state's ItemReader failed.
pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
/// `States.ResultWriterFailed`: a Map state's ResultWriter failed.
pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
/// `States.Runtime`: an error while processing input/output (e.g. InputPath
/// matching nothing). Terminal: never retried or caught.
pub const RUNTIME: &str = "States.Runtime";
/// `States.QueryEvaluationError`: a JSONata evaluation failed (not produced by shoal).
pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// Every predefined `States.*` error name, in the order of the specification.
pub const PREDEFINED_ERRORS: &[&str] = &[
    STATES_ALL,
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    TIMEOUT,
    TASK_FAILED,
    PERMISSIONS,
    RESULT_PATH_MATCH_FAILURE,
    PARAMETER_PATH_FAILURE,
    BRANCH_FAILED,
    NO_CHOICE_MATCHED,
    INTRINSIC_FAILURE,
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    ITEM_READER_FAILED,
    RESULT_WRITER_FAILED,
    RUNTIME,
    QUERY_EVALUATION_ERROR,
];

/// An error raised while a state runs: the `Error` name and the `Cause` text,
/// exactly what a Catcher passes on as `{"Error": .., "Cause": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatesError {
    /// The error name, e.g. `States.Timeout` or a handler's own name.
    pub error: String,
    /// Human-readable detail.
    pub cause: String,
}

impl StatesError {
    /// An error with the given name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Runtime` with `cause`.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(RUNTIME, cause)
    }

    /// `States.IntrinsicFailure` with `cause`.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(INTRINSIC_FAILURE, cause)
    }

    /// `States.ParameterPathFailure` with `cause`.
    pub fn parameter_path(cause: impl Into<String>) -> Self {
        Self::new(PARAMETER_PATH_FAILURE, cause)
    }

    /// `States.ResultPathMatchFailure` with `cause`.
    pub fn result_path(cause: impl Into<String>) -> Self {
        Self::new(RESULT_PATH_MATCH_FAILURE, cause)
    }

    /// True for errors no wildcard (`States.ALL`, `States.TaskFailed`)
    /// matches: `States.DataLimitExceeded`, `States.Runtime`.
    pub fn is_terminal(&self) -> bool {
        is_terminal_error(&self.error)
    }

    /// The Catcher's error output `{"Error": error, "Cause": cause}`.
    pub fn to_output(&self) -> serde_json::Value {
        serde_json::json!({ "Error": self.error, "Cause": self.cause })
    }
}

impl fmt::Display for StatesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for StatesError {}

/// True for the errors no wildcard matches (`States.DataLimitExceeded`,
/// `States.Runtime`).
pub fn is_terminal_error(error: &str) -> bool {
    error == DATA_LIMIT_EXCEEDED || error == RUNTIME
}

/// Whether one `ErrorEquals` entry matches the error name `error`, with the
/// wildcard rules in the module documentation.
pub fn error_name_matches(pattern: &str, error: &str) -> bool {
    if error == RUNTIME {
        return false;
    }
    if error == DATA_LIMIT_EXCEEDED {
        return pattern == DATA_LIMIT_EXCEEDED;
    }
    match pattern {
        STATES_ALL => true,
        TASK_FAILED => error != TIMEOUT && error != HEARTBEAT_TIMEOUT,
        TIMEOUT => error == TIMEOUT || error == HEARTBEAT_TIMEOUT,
        _ => pattern == error,
    }
}

/// Whether a whole `ErrorEquals` list matches `error` (any entry matches).
pub fn error_equals_matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|p| error_name_matches(p, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_matches_user_errors_but_not_terminal_ones() {
        assert!(error_name_matches(STATES_ALL, "MyError"));
        assert!(error_name_matches(STATES_ALL, TIMEOUT));
        assert!(!error_name_matches(STATES_ALL, RUNTIME));
        assert!(!error_name_matches(STATES_ALL, DATA_LIMIT_EXCEEDED));
        assert!(!error_name_matches(TASK_FAILED, DATA_LIMIT_EXCEEDED));
        // Only its own name matches DataLimitExceeded; nothing matches Runtime.
        assert!(error_name_matches(DATA_LIMIT_EXCEEDED, DATA_LIMIT_EXCEEDED));
        assert!(!error_name_matches(RUNTIME, RUNTIME));
    }

    #[test]
    fn task_failed_excludes_timeouts() {
        assert!(error_name_matches(TASK_FAILED, "Lambda.Unknown"));
        assert!(error_name_matches(TASK_FAILED, TASK_FAILED));
        assert!(!error_name_matches(TASK_FAILED, TIMEOUT));
        assert!(!error_name_matches(TASK_FAILED, HEARTBEAT_TIMEOUT));
    }

    #[test]
    fn exact_names_are_case_sensitive() {
        assert!(error_name_matches("MyError", "MyError"));
        assert!(!error_name_matches("MyError", "myerror"));
        assert!(error_name_matches(TIMEOUT, HEARTBEAT_TIMEOUT));
        let list = vec!["A".to_string(), "B".to_string()];
        assert!(error_equals_matches(&list, "B"));
        assert!(!error_equals_matches(&list, "C"));
    }
}
