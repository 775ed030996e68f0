//! Helpers shared by the crash tests that SIGKILL a child process
//! (`crash_resume.rs`, `maprun_crash.rs`, `maprun_redrive_crash.rs`, `soak/`):
//! a seeded generator for kill delays, a scaled clock that keeps running
//! forward across process restarts, the history checks ("no transition
//! twice"), and starting the test binary itself as the child.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shoal_engine::runtime::Clock;
use shoal_engine::{HistoryEvent, HistoryEventType};

/// A small deterministic generator (an LCG); the seed is printed by each
/// test so a failing run can be replayed.
pub struct Rng(pub u64);

impl Rng {
    /// A seed from `env` when set, else from the wall clock.
    pub fn from_env(env: &str) -> Rng {
        let seed = std::env::var(env)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| now_ms().unsigned_abs().wrapping_mul(2_654_435_761) | 1);
        Rng(seed)
    }

    /// The next value (31 random bits).
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// A value in `0..bound` (`bound` 0 is treated as 1).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

/// Milliseconds since the Unix epoch, by the wall clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Engine time running `scale` times faster than real time from a fixed
/// real-time `epoch_ms`. Every process of one test derives its time from
/// the same epoch, so engine time never goes backwards across a restart
/// (a durable timer armed by a killed process fires at the right moment in
/// the next one).
pub struct ScaledClock {
    /// Engine time at the epoch.
    pub base_ms: i64,
    /// The real time (ms since the Unix epoch) the scaling starts from.
    pub epoch_ms: i64,
    /// Speed-up: 1,000 makes a 1 s Wait last 1 ms.
    pub scale: i64,
}

impl Clock for ScaledClock {
    fn now_ms(&self) -> i64 {
        self.base_ms + (now_ms() - self.epoch_ms).max(0) * self.scale
    }

    fn sleep_for(&self, clock_ms: u64) -> Duration {
        Duration::from_micros((clock_ms * 1000 / self.scale as u64).max(200))
    }
}

/// Checks one history: ids 1, 2, 3…; one terminal event, last; each state
/// entered once per scope; each task attempt scheduled once. `name` labels
/// the failure message.
pub fn check_history(name: &str, events: &[HistoryEvent]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.id.0,
            index as u64 + 1,
            "{name}: ids must increase by one"
        );
        assert!(event.previous_event_id < event.id, "{name}: {event:?}");
    }
    let terminal = events.iter().filter(|e| is_terminal(e.kind)).count();
    assert_eq!(terminal, 1, "{name}: one terminal event");
    assert!(
        events.last().is_some_and(|e| is_terminal(e.kind)),
        "{name}: terminal event last"
    );
    let mut entered: HashMap<(Vec<u32>, String, &'static str), usize> = HashMap::new();
    let mut attempts: HashMap<(Vec<u32>, String, u32), usize> = HashMap::new();
    for event in events {
        let state = event.details.name.clone().unwrap_or_default();
        if event.kind.name().ends_with("StateEntered") {
            *entered
                .entry((event.scope.clone(), state.clone(), event.kind.name()))
                .or_default() += 1;
        }
        if event.kind == HistoryEventType::TaskScheduled {
            let attempt = event.details.attempt.unwrap_or(u32::MAX);
            *attempts
                .entry((event.scope.clone(), state, attempt))
                .or_default() += 1;
        }
    }
    for (key, count) in entered {
        assert_eq!(count, 1, "{name}: {key:?} entered {count} times");
    }
    for (key, count) in attempts {
        assert_eq!(count, 1, "{name}: attempt {key:?} scheduled {count} times");
    }
}

/// The four events that end an execution.
pub fn is_terminal(kind: HistoryEventType) -> bool {
    matches!(
        kind,
        HistoryEventType::ExecutionSucceeded
            | HistoryEventType::ExecutionFailed
            | HistoryEventType::ExecutionAborted
            | HistoryEventType::ExecutionTimedOut
    )
}

/// Re-runs this test binary as a child executing only the test `entry`,
/// with `envs` set, stdout piped and stderr discarded.
pub fn spawn_self(entry: &str, envs: &[(&str, String)]) -> (Child, BufReader<ChildStdout>) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdout)
}

/// Reads the child's stdout until a line containing `marker` (true) or the
/// end of the stream (false: the child exited first).
pub fn wait_for_line(stdout: &mut BufReader<ChildStdout>, marker: &str) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match stdout.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line.contains(marker) => return true,
            Ok(_) => {}
        }
    }
}

/// SIGKILLs `child` (no destructor, no flush) and reaps it; returns true
/// when it was still running, i.e. the kill interrupted it.
pub fn kill(child: &mut Child) -> bool {
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    child.wait().unwrap();
    running
}
