//! Calls into sled behind `catch_unwind`, with sled's errors mapped to
//! [`LogError`].
//!
//! sled 0.34 can panic on damaged files (an `unwrap` or index out of range
//! while recovering or reading a page). The log must answer a corrupt
//! directory with a typed error, so every sled call goes through [`guarded`],
//! which turns a panic into [`LogError::Corrupt`] naming what was being read.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::LogError;

/// Runs `call`; a panic inside it becomes `Corrupt { location, .. }`.
///
/// Only for calls whose panic means "sled found something it cannot read":
/// sled's state after such a panic is not trusted, which is why the
/// committer poisons the log when its own step panics.
pub(crate) fn guarded<T>(
    location: impl FnOnce() -> String,
    call: impl FnOnce() -> Result<T, LogError>,
) -> Result<T, LogError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(outcome) => outcome,
        Err(panic) => Err(LogError::Corrupt {
            location: location(),
            detail: format!("sled panicked: {}", panic_message(panic.as_ref())),
        }),
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        return (*text).to_owned();
    }
    if let Some(text) = panic.downcast_ref::<String>() {
        return text.clone();
    }
    "a panic without a message".to_owned()
}

/// Maps a sled error met while doing `operation` at `location`.
pub(crate) fn sled_error(
    error: sled::Error,
    operation: &'static str,
    location: impl FnOnce() -> String,
) -> LogError {
    match error {
        sled::Error::Corruption { at, .. } => LogError::Corrupt {
            location: location(),
            detail: match at {
                Some(pointer) => {
                    format!("sled reports corruption at {pointer:?} during {operation}")
                }
                None => format!("sled reports corruption during {operation}"),
            },
        },
        // sled reads its config and log headers first: a version it does
        // not support there means a damaged file (or a foreign one).
        sled::Error::Unsupported(why) => LogError::Corrupt {
            location: location(),
            detail: format!("sled cannot read its files during {operation}: {why}"),
        },
        // The database is open, so a file it cannot find is one of its
        // blob files: the log lost a file.
        sled::Error::Io(err) if err.kind() == std::io::ErrorKind::NotFound => LogError::Corrupt {
            location: location(),
            detail: format!("a file of the log is missing during {operation}: {err}"),
        },
        other => LogError::Io {
            operation,
            detail: format!("{}: {other}", location()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_files_and_missing_files_are_corrupt_not_io() {
        let unsupported = sled::Error::Unsupported("pagecache version 0.3".into());
        let err = sled_error(unsupported, "opening", || "conf".to_owned());
        assert!(matches!(err, LogError::Corrupt { ref location, ref detail }
            if location == "conf" && detail.contains("pagecache version 0.3")));
        let missing = sled::Error::Io(std::io::ErrorKind::NotFound.into());
        let err = sled_error(missing, "reading chunks", || {
            "chunks of stream 0".to_owned()
        });
        assert!(matches!(err, LogError::Corrupt { ref detail, .. } if detail.contains("missing")));
        let other = sled::Error::Io(std::io::ErrorKind::PermissionDenied.into());
        let err = sled_error(other, "reading chunks", || "chunks of stream 0".to_owned());
        assert!(matches!(err, LogError::Io { .. }));
    }

    #[test]
    fn a_panic_becomes_a_corrupt_error_naming_the_location() {
        let outcome: Result<(), LogError> = guarded(
            || "journal block 3".to_owned(),
            || panic!("index out of bounds"),
        );
        let err = outcome.expect_err("panic mapped");
        assert!(matches!(err, LogError::Corrupt { ref location, ref detail }
            if location == "journal block 3" && detail.contains("index out of bounds")));
    }
}
