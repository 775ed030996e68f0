//! When an execution can be redriven: Step Functions' eligibility rules
//! for RedriveExecution, as one pure function of the execution's status,
//! its start and stop times and the clock's time, so `redrive_execution`
//! and `describe_execution` (its `redrive_status`) always agree.
//!
//! The rules (developer guide, "Redrive eligibility for unsuccessful
//! executions"; the `redriveStatusReason` texts of DescribeExecution):
//! only FAILED, ABORTED and TIMED_OUT executions; within the redrivable
//! period of 14 days after the execution stopped; and not past the
//! maximum execution time of one year after it started. Map-run children
//! are redriven through their parent. Step Functions also refuses an
//! execution whose history reached 24,999 events; shoal has no history
//! event limit, so it has no such refusal.

use super::types::{ExecutionStatus, RedriveStatus};

/// How long after it stopped an execution can be redriven (14 days):
/// Step Functions' redrivable period.
pub const REDRIVABLE_PERIOD_MS: i64 = 14 * DAY_MS;

/// How long after it started an execution can still be redriven (one
/// year, 365 days): Step Functions' maximum execution time.
pub const EXECUTION_TIME_MAX_MS: i64 = 365 * DAY_MS;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Why an execution cannot be redriven; its `Display` is Step Functions'
/// `redriveStatusReason` text where Step Functions has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum NotRedrivableReason {
    /// It is RUNNING.
    Running,
    /// It SUCCEEDED.
    Succeeded,
    /// It is a map run's child: redriving its parent redrives it.
    MapRunChild,
    /// It ended without a state to restart from.
    NoRedrivePoint,
    /// It stopped more than [`REDRIVABLE_PERIOD_MS`] ago.
    RedrivablePeriodExceeded,
    /// It started more than [`EXECUTION_TIME_MAX_MS`] ago.
    MaxExecutionTimeExceeded,
}

impl std::fmt::Display for NotRedrivableReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotRedrivableReason::Running => "Execution is RUNNING and cannot be redriven",
            NotRedrivableReason::Succeeded => "Execution is SUCCEEDED and cannot be redriven",
            NotRedrivableReason::MapRunChild => {
                "Execution is a map run's child execution; redrive the parent execution"
            }
            NotRedrivableReason::NoRedrivePoint => "Execution has no state to restart from",
            NotRedrivableReason::RedrivablePeriodExceeded => "Execution redrivable period exceeded",
            NotRedrivableReason::MaxExecutionTimeExceeded => {
                "Execution has exceeded the max execution time"
            }
        })
    }
}

/// Whether a top-level execution with `status`, started at `started_ms`
/// and stopped at `stopped_ms`, can be redriven at `now_ms` (all ms since
/// the epoch). A period ends at its last millisecond inclusive: exactly
/// 14 days after the stop is still redrivable.
pub(crate) fn check(
    status: ExecutionStatus,
    started_ms: i64,
    stopped_ms: Option<i64>,
    now_ms: i64,
) -> Result<(), NotRedrivableReason> {
    match status {
        ExecutionStatus::Running => return Err(NotRedrivableReason::Running),
        ExecutionStatus::Succeeded => return Err(NotRedrivableReason::Succeeded),
        ExecutionStatus::Failed | ExecutionStatus::Aborted | ExecutionStatus::TimedOut => {}
    }
    if now_ms.saturating_sub(started_ms) > EXECUTION_TIME_MAX_MS {
        return Err(NotRedrivableReason::MaxExecutionTimeExceeded);
    }
    if stopped_ms.is_some_and(|stopped| now_ms.saturating_sub(stopped) > REDRIVABLE_PERIOD_MS) {
        return Err(NotRedrivableReason::RedrivablePeriodExceeded);
    }
    Ok(())
}

/// `describe_execution`'s redrive status and reason at `now_ms`.
pub(crate) fn status_at(
    status: ExecutionStatus,
    map_run_child: bool,
    started_ms: i64,
    stopped_ms: Option<i64>,
    now_ms: i64,
) -> (RedriveStatus, Option<NotRedrivableReason>) {
    if map_run_child {
        return (RedriveStatus::of(status, true), None);
    }
    match check(status, started_ms, stopped_ms, now_ms) {
        Ok(()) => (RedriveStatus::Redrivable, None),
        Err(reason) => (RedriveStatus::NotRedrivable, Some(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOP: i64 = 1_700_000_000_000;

    #[test]
    fn only_unsuccessful_executions_are_redrivable() {
        for status in [
            ExecutionStatus::Failed,
            ExecutionStatus::Aborted,
            ExecutionStatus::TimedOut,
        ] {
            assert_eq!(check(status, STOP - 1, Some(STOP), STOP + 1), Ok(()));
        }
        assert_eq!(
            check(ExecutionStatus::Running, STOP, None, STOP),
            Err(NotRedrivableReason::Running)
        );
        assert_eq!(
            check(ExecutionStatus::Succeeded, STOP, Some(STOP), STOP),
            Err(NotRedrivableReason::Succeeded)
        );
    }

    #[test]
    fn the_redrivable_period_ends_14_days_after_the_stop() {
        let failed = |now| check(ExecutionStatus::Failed, STOP - 1000, Some(STOP), now);
        assert_eq!(failed(STOP + REDRIVABLE_PERIOD_MS), Ok(()));
        assert_eq!(
            failed(STOP + REDRIVABLE_PERIOD_MS + 1),
            Err(NotRedrivableReason::RedrivablePeriodExceeded)
        );
        assert_eq!(REDRIVABLE_PERIOD_MS, 1_209_600_000);
    }

    #[test]
    fn an_execution_older_than_a_year_is_not_redrivable() {
        let start = STOP - EXECUTION_TIME_MAX_MS;
        let failed = |now| check(ExecutionStatus::Failed, start, Some(STOP), now);
        assert_eq!(failed(STOP), Ok(()));
        assert_eq!(
            failed(STOP + 1),
            Err(NotRedrivableReason::MaxExecutionTimeExceeded)
        );
    }

    #[test]
    fn children_keep_their_map_run_status() {
        let late = STOP + REDRIVABLE_PERIOD_MS + 1;
        assert_eq!(
            status_at(ExecutionStatus::Failed, true, STOP, Some(STOP), late),
            (RedriveStatus::RedrivableByMapRun, None)
        );
        assert_eq!(
            status_at(ExecutionStatus::Failed, false, STOP, Some(STOP), late),
            (
                RedriveStatus::NotRedrivable,
                Some(NotRedrivableReason::RedrivablePeriodExceeded)
            )
        );
        assert_eq!(
            NotRedrivableReason::RedrivablePeriodExceeded.to_string(),
            "Execution redrivable period exceeded"
        );
    }
}
