//! The directory lock: a log closed and reopened at once in one process
//! opens (sled releases its lock from a background thread some moments
//! after the last handle is dropped), while a log that stays open keeps
//! every other open out with a typed error naming the directory.
#![allow(clippy::unwrap_used)]

use std::thread;
use std::time::{Duration, Instant};

use shoal_storage::{LogError, SledLog, SledLogOptions};

#[test]
fn an_open_waits_for_a_lock_released_moments_later() {
    let dir = tempfile::tempdir().unwrap();
    let holder = SledLog::open(dir.path(), SledLogOptions::default()).unwrap();
    let released = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        drop(holder);
    });
    let started = Instant::now();
    let reopened = SledLog::open(dir.path(), SledLogOptions::default());
    released.join().unwrap();
    assert!(reopened.is_ok(), "{:?}", reopened.err());
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the lock was held, so the open must have waited"
    );
}

#[test]
fn a_log_held_open_refuses_a_second_open_naming_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _holder = SledLog::open(dir.path(), SledLogOptions::default()).unwrap();
    match SledLog::open(dir.path(), SledLogOptions::default()) {
        Err(LogError::Io { operation, detail }) => {
            assert_eq!(operation, "opening the sled database");
            assert!(detail.contains("is in use"), "{detail}");
            assert!(
                detail.contains(&dir.path().display().to_string()),
                "{detail}"
            );
        }
        other => panic!("expected an in-use error, got {:?}", other.err()),
    }
}

#[test]
fn closing_and_reopening_at_once_always_opens() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..30 {
        let log = SledLog::open(dir.path(), SledLogOptions::default());
        assert!(log.is_ok(), "round {round}: {:?}", log.err());
    }
}
