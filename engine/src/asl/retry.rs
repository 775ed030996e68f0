//! Retry and Catch arithmetic (pure).
//!
//! A state's Retry list is scanned in order; the first retrier whose
//! ErrorEquals matches the error decides. Each retrier counts its own
//! retries (as the ASL specification says), so the caller keeps one counter
//! per retrier. The n-th retry (n = 1, 2, ...) of a retrier waits
//! `IntervalSeconds × BackoffRate^(n-1)` seconds, capped by
//! `MaxDelaySeconds`; with `JitterStrategy: FULL` the wait is that value
//! times a caller-supplied random number in `[0, 1)`.

use crate::asl::error::{error_equals_matches, StatesError};
use crate::asl::model::{Catcher, JitterStrategy, Retrier, MAX_SECONDS};

/// What to do with an error raised by a state with a Retry list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RetryDecision {
    /// Retry after `delay_ms`; `retrier` is the index into Retry whose
    /// counter the caller increments; `attempt` is this retry's number (1-based).
    Retry {
        /// Index of the retrier that matched.
        retrier: usize,
        /// 1-based number of this retry for that retrier.
        attempt: u64,
        /// Delay before the retry, in milliseconds.
        delay_ms: u64,
    },
    /// No retrier matches, or the matching one has no attempts left: go
    /// on to Catch.
    Exhausted,
}

/// The first retrier matching `error`, with its index.
pub fn find_retrier<'r>(retry: &'r [Retrier], error: &str) -> Option<(usize, &'r Retrier)> {
    retry
        .iter()
        .enumerate()
        .find(|(_, r)| error_equals_matches(&r.error_equals, error))
}

/// The first catcher matching `error`, with its index.
pub fn find_catcher<'c>(catch: &'c [Catcher], error: &str) -> Option<(usize, &'c Catcher)> {
    catch
        .iter()
        .enumerate()
        .find(|(_, c)| error_equals_matches(&c.error_equals, error))
}

/// Delay before retry number `attempt` (1-based) of `retrier`, in
/// milliseconds. `random01` (in `[0, 1)`) is used only with FULL jitter.
pub fn retry_delay_ms(retrier: &Retrier, attempt: u64, random01: f64) -> u64 {
    let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
    let mut seconds = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(exponent);
    let cap = retrier.max_delay_seconds.unwrap_or(MAX_SECONDS) as f64;
    if !seconds.is_finite() || seconds > cap {
        seconds = cap;
    }
    if retrier.jitter_strategy == JitterStrategy::Full {
        seconds *= random01.clamp(0.0, 1.0);
    }
    // Rounded to whole milliseconds: timers are stored in ms.
    (seconds * 1000.0).round() as u64
}

/// Decides whether `error` is retried. `retries_done[i]` is how many retries
/// retrier `i` has already made for this state entry (missing = 0).
/// `States.Runtime` never matches; `States.DataLimitExceeded` only by name.
pub fn decide_retry(
    retry: &[Retrier],
    error: &StatesError,
    retries_done: &[u64],
    random01: f64,
) -> RetryDecision {
    let Some((index, retrier)) = find_retrier(retry, &error.error) else {
        return RetryDecision::Exhausted;
    };
    let done = retries_done.get(index).copied().unwrap_or(0);
    if done >= retrier.max_attempts {
        return RetryDecision::Exhausted;
    }
    RetryDecision::Retry {
        retrier: index,
        attempt: done + 1,
        delay_ms: retry_delay_ms(retrier, done + 1, random01),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retrier(interval: u64, attempts: u64, rate: f64, max_delay: Option<u64>) -> Retrier {
        Retrier {
            error_equals: vec!["States.ALL".into()],
            interval_seconds: interval,
            max_attempts: attempts,
            backoff_rate: rate,
            max_delay_seconds: max_delay,
            jitter_strategy: JitterStrategy::None,
            comment: None,
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let r = retrier(3, 5, 2.0, Some(10));
        let delays: Vec<u64> = (1..=4).map(|a| retry_delay_ms(&r, a, 0.5)).collect();
        assert_eq!(delays, vec![3000, 6000, 10000, 10000]);
    }

    #[test]
    fn full_jitter_scales_the_delay() {
        let mut r = retrier(4, 3, 1.0, None);
        r.jitter_strategy = JitterStrategy::Full;
        assert_eq!(retry_delay_ms(&r, 1, 0.25), 1000);
        assert_eq!(retry_delay_ms(&r, 1, 0.0), 0);
    }

    #[test]
    fn attempts_run_out() {
        let r = vec![retrier(1, 2, 2.0, None)];
        let e = StatesError::new("Boom", "");
        assert!(matches!(
            decide_retry(&r, &e, &[0], 0.0),
            RetryDecision::Retry {
                retrier: 0,
                attempt: 1,
                delay_ms: 1000
            }
        ));
        assert!(matches!(
            decide_retry(&r, &e, &[1], 0.0),
            RetryDecision::Retry {
                attempt: 2,
                delay_ms: 2000,
                ..
            }
        ));
        assert_eq!(decide_retry(&r, &e, &[2], 0.0), RetryDecision::Exhausted);
        let runtime = StatesError::runtime("x");
        assert_eq!(
            decide_retry(&r, &runtime, &[], 0.0),
            RetryDecision::Exhausted
        );
    }
}
