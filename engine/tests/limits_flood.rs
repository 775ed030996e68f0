//! A flood of `start_execution` calls keeps memory bounded
//! (docs/RELIABILITY.md, "Bad input and limits"): 64 callers start
//! executions as fast as the engine takes them, each execution a Task that
//! sleeps, on a SledLog. The engine admits at most `max_running_executions`
//! at once: further starts wait, so the number running, and the memory they
//! hold, stay bounded. The bound is reached and never passed; peak RSS
//! growth is printed and checked against a generous bound per admitted
//! execution. Knobs: `SHOAL_FLOOD_STARTS` (default 5,000),
//! `SHOAL_FLOOD_BOUND` (200), `SHOAL_FLOOD_SLEEP_MS` (1,000). Its own test
//! binary so that RSS is this test's alone.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use shoal_engine::task::HandlerRegistry;
use shoal_engine::Engine;
use shoal_storage::{EventLog, SledLog, SledLogOptions};

const CALLERS: usize = 64;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// VmRSS and VmHWM of this process, in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_starts_is_admitted_within_the_running_bound() {
    let starts = knob("SHOAL_FLOOD_STARTS", 5_000);
    let bound = knob("SHOAL_FLOOD_BOUND", 200);
    let sleep_ms = knob("SHOAL_FLOOD_SLEEP_MS", 1_000) as u64;
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut handlers = HandlerRegistry::new();
    let (gauge, high) = (Arc::clone(&now), Arc::clone(&peak));
    handlers.register_async("sleep", move |input, _| {
        let (gauge, high) = (Arc::clone(&gauge), Arc::clone(&high));
        async move {
            let running = gauge.fetch_add(1, Ordering::SeqCst) + 1;
            high.fetch_max(running, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
            gauge.fetch_sub(1, Ordering::SeqCst);
            Ok(input)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(
        SledLog::open(
            dir.path(),
            SledLogOptions::default().with_cache_capacity_bytes(32 * 1024 * 1024),
        )
        .unwrap(),
    );
    let engine = Engine::builder(log)
        .handlers(handlers)
        .max_running_executions(bound)
        .build()
        .await
        .unwrap();
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "sleep", "End": true}}});
    engine
        .register_state_machine("flood", &definition.to_string())
        .await
        .unwrap();
    let (rss_before, _) = rss_kib();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..CALLERS {
        let (engine, next) = (engine.clone(), Arc::clone(&next));
        callers.push(tokio::spawn(async move {
            let mut last = None;
            while next.fetch_add(1, Ordering::SeqCst) < starts {
                last = Some(
                    engine
                        .start_execution("flood", None, json!({"i": 1}))
                        .await
                        .unwrap(),
                );
            }
            last
        }));
    }
    let mut last = Vec::new();
    for caller in callers {
        last.extend(caller.await.unwrap());
    }
    let admitted = started.elapsed();
    for id in last {
        engine.wait_for_completion(id).await.unwrap();
    }
    let (_, rss_peak) = rss_kib();
    let growth_kib = rss_peak.saturating_sub(rss_before);
    println!(
        "{starts} starts by {CALLERS} callers, bound {bound}, tasks of {sleep_ms} ms: all admitted in {admitted:?}; \
         peak handlers running {}; RSS {rss_before} KiB before, peak {rss_peak} KiB \
         (+{growth_kib} KiB, {} bytes per start, {} KiB per admitted slot)",
        peak.load(Ordering::SeqCst),
        growth_kib * 1024 / starts as u64,
        growth_kib / bound as u64,
    );
    assert_eq!(peak.load(Ordering::SeqCst), bound, "reached, never passed");
    // Generous: 18 KB per running execution was measured; allow 200 KiB per
    // slot plus 96 MiB for sled's cache (32 MiB here) and allocator slack.
    assert!(
        growth_kib < (bound as u64) * 200 + 96 * 1024,
        "RSS grew {growth_kib} KiB"
    );
    engine.shutdown().await;
}
