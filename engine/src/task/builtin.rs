//! Built-in task resources, for the CLI, tests and benchmarks.
//!
//! | Resource             | Input                                  | Result / error |
//! |----------------------|----------------------------------------|----------------|
//! | `shoal:noop`         | anything                               | the input |
//! | `shoal:sleep`        | `{"Milliseconds": n, ...}` or `{"UntilMs": t, ...}` | the input, after `n` ms (tokio time), or once the system clock reads `t` ms since the epoch (at once if it already has: a re-run after a crash does not sleep again); stops early when cancelled |
//! | `shoal:fail-at-rate` | `{"Rate": r, "PerAttempt": b?, ...}`   | the input, or `shoal.InjectedFailure` for a share `r` of idempotency keys |
//!
//! `shoal:fail-at-rate` decides from a SHA-256 of the idempotency key (and of
//! the attempt number too when `PerAttempt` is true), so a re-run after a
//! crash fails exactly the same items, and without `PerAttempt` a `Retry`
//! fails again too. Bad input fails with `shoal.InvalidInput` naming the
//! field.

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::context::TaskContext;
use super::error::{TaskError, TaskResult};
use super::registry::HandlerRegistry;

/// Resource name of the handler that returns its input.
pub const NOOP: &str = "shoal:noop";
/// Resource name of the handler that sleeps `Milliseconds` and returns its input.
pub const SLEEP: &str = "shoal:sleep";
/// Resource name of the handler that fails a deterministic share `Rate` of tasks.
pub const FAIL_AT_RATE: &str = "shoal:fail-at-rate";
/// Error name of a failure injected by [`FAIL_AT_RATE`].
pub const INJECTED_FAILURE: &str = "shoal.InjectedFailure";
/// Error name of a built-in handler given input it cannot use.
pub const INVALID_INPUT: &str = "shoal.InvalidInput";

impl HandlerRegistry {
    /// A registry holding only the built-in resources.
    pub fn with_builtins() -> HandlerRegistry {
        let mut registry = HandlerRegistry::new();
        registry.register_builtins();
        registry
    }

    /// Registers `shoal:noop`, `shoal:sleep` and `shoal:fail-at-rate`
    /// (replacing handlers registered earlier under those names).
    pub fn register_builtins(&mut self) -> &mut Self {
        self.register_async(NOOP, |input, _| async move { Ok(input) })
            .register_async(SLEEP, sleep)
            .register_async(FAIL_AT_RATE, |input, context| async move {
                fail_at_rate(input, &context)
            })
    }
}

async fn sleep(input: Value, context: TaskContext) -> TaskResult {
    let milliseconds = match input.get("UntilMs") {
        Some(until) => {
            let until_ms = until
                .as_u64()
                .ok_or_else(|| invalid_input(SLEEP, "UntilMs", "a non-negative integer"))?;
            until_ms.saturating_sub(epoch_ms())
        }
        None => input
            .get("Milliseconds")
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid_input(SLEEP, "Milliseconds", "a non-negative integer"))?,
    };
    tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(milliseconds)) => Ok(input),
        () = context.cancelled() => Err(TaskError::new(
            "shoal.Cancelled",
            "shoal:sleep was cancelled before it finished",
        )),
    }
}

/// The system clock in ms since the epoch (0 before it).
fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

fn fail_at_rate(input: Value, context: &TaskContext) -> TaskResult {
    let rate = input
        .get("Rate")
        .and_then(Value::as_f64)
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| invalid_input(FAIL_AT_RATE, "Rate", "a number from 0 to 1"))?;
    let per_attempt = match input.get("PerAttempt") {
        None => false,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| invalid_input(FAIL_AT_RATE, "PerAttempt", "a boolean"))?,
    };
    let attempt = per_attempt.then(|| context.attempt());
    if draw(context.idempotency_key(), attempt) < rate {
        return Err(TaskError::new(
            INJECTED_FAILURE,
            format!(
                "injected failure at rate {rate} for idempotency key {:?}",
                context.idempotency_key()
            ),
        ));
    }
    Ok(input)
}

/// A number in [0, 1) fixed by `key` (and `attempt`), the same on every
/// platform and release.
fn draw(key: &str, attempt: Option<u32>) -> f64 {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    if let Some(attempt) = attempt {
        hasher.update(attempt.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: exactly representable in an f64.
    (u64::from_be_bytes(first) >> 11) as f64 / (1_u64 << 53) as f64
}

fn invalid_input(resource: &str, field: &str, expected: &str) -> TaskError {
    TaskError::new(
        INVALID_INPUT,
        format!("{resource}: input field {field:?} must be {expected}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleep_until_a_past_time_returns_at_once() {
        let context = TaskContext::from_invocation(
            &super::super::TaskInvocation::new(SLEEP, Value::Null),
            super::super::CancellationToken::new(),
        );
        let started = std::time::Instant::now();
        let input = serde_json::json!({"UntilMs": epoch_ms() - 1, "i": 7});
        let output = sleep(input.clone(), context.clone()).await;
        assert_eq!(output, Ok(input));
        assert!(started.elapsed() < Duration::from_secs(5));
        let waited = std::time::Instant::now();
        let later = serde_json::json!({"UntilMs": epoch_ms() + 30});
        assert_eq!(sleep(later.clone(), context.clone()).await, Ok(later));
        assert!(waited.elapsed() >= Duration::from_millis(20));
        let bad = sleep(serde_json::json!({"UntilMs": "soon"}), context).await;
        assert!(matches!(bad, Err(error) if error.error == INVALID_INPUT));
    }

    #[test]
    fn draw_is_stable_and_spread() {
        assert_eq!(draw("k", None), draw("k", None));
        assert_ne!(draw("k", Some(0)), draw("k", Some(1)));
        let below_half = (0..1000)
            .filter(|i| draw(&format!("item-{i}"), None) < 0.5)
            .count();
        assert!(
            (400..600).contains(&below_half),
            "{below_half} of 1000 below 0.5"
        );
    }
}
