//! [`Clock`]: the engine's only source of wall time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall time for stamping transitions and computing timer fire times.
///
/// Timers sleep on tokio time for `fire_at - now_ms()`, so a clock that
/// follows tokio's (possibly paused) time makes timers fire instantly in
/// tests on `#[tokio::test(start_paused = true)]`.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// How long to sleep on tokio time for this clock to advance by
    /// `clock_ms`. The default assumes the clock runs at tokio's pace; a
    /// clock that runs faster (a scaled test clock) shortens it. Timers
    /// re-read [`Clock::now_ms`] after each sleep, so an estimate is fine.
    fn sleep_for(&self, clock_ms: u64) -> std::time::Duration {
        std::time::Duration::from_millis(clock_ms)
    }
}

/// The system's real-time clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
            // A clock set before 1970: count backwards.
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock that starts at a given wall time and advances with tokio's
/// clock, including when tokio's time is paused and auto-advanced.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_ms: i64,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `start_ms` now. Must be called inside a tokio runtime
    /// when its time is paused, so it measures that runtime's time.
    pub fn starting_at(start_ms: i64) -> TokioClock {
        TokioClock {
            start_ms,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> i64 {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.start);
        self.start_ms
            .saturating_add(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = TokioClock::starting_at(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        assert_eq!(clock.now_ms(), 1_000 + 3_600_000);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }
}
