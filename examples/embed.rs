//! Embedding shoal in a tokio daemon: an async (I/O-bound) handler, a
//! blocking (CPU-bound) handler and the built-ins, on a durable sled log,
//! with several executions in flight and a clean stop on Ctrl-C.
//!
//! Run with `cargo run --example embed [DATA_DIR]` (default: a directory
//! under the system's temporary directory). Run it twice on the same
//! directory: the second run finds each execution by its name and prints the
//! same outputs without running anything again. Stop it with Ctrl-C halfway
//! and run it again: the unfinished executions continue where they stopped.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use shoal::engine::api::ExecutionDescription;
use shoal::engine::task::{TaskContext, TaskError};
use shoal::engine::{Engine, EngineError, ExecutionStatus};
use shoal::storage::{SledLog, SledLogOptions};

/// Fetch a page (async), checksum it (blocking), pause on a durable timer.
const DEFINITION: &str = r#"{
  "StartAt": "Fetch",
  "States": {
    "Fetch": {"Type": "Task", "Resource": "demo:fetch", "ResultPath": "$.page",
              "TimeoutSeconds": 10,
              "Retry": [{"ErrorEquals": ["Demo.Throttled"], "IntervalSeconds": 1, "MaxAttempts": 3}],
              "Next": "Checksum"},
    "Checksum": {"Type": "Task", "Resource": "demo:checksum", "ResultPath": "$.checksum", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"#;

/// The daemon's work: one execution per URL.
const URLS: [&str; 3] = [
    "https://example.com/",
    "https://example.org/about",
    "https://example.net/news",
];

/// An async handler: awaits I/O (here a timer) as a tokio task, and stops
/// early when the attempt is cancelled (timeout, stop, shutdown).
async fn fetch(input: Value, context: TaskContext) -> Result<Value, TaskError> {
    let url = input["url"].as_str().unwrap_or("about:blank").to_string();
    tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(200)) => {}
        () = context.cancelled() => return Err(TaskError::new("Demo.Cancelled", "fetch cancelled")),
    }
    // The key is the same if this attempt is re-run after a crash: use it
    // to make side effects (a payment, an upload) idempotent.
    Ok(json!({
        "url": url,
        "body": format!("<html><title>{url}</title></html>"),
        "key": context.idempotency_key(),
    }))
}

/// A blocking handler: CPU-bound work runs on shoal's pool of worker
/// threads, never on the async runtime's threads.
fn checksum(input: Value, _context: TaskContext) -> Result<Value, TaskError> {
    let body = input["page"]["body"]
        .as_str()
        .ok_or_else(|| TaskError::new("Demo.NoBody", "input has no page.body string"))?;
    // Many rounds of a simple hash stand in for real CPU work (parsing,
    // compression, image resizing).
    let mut sum = 0xcbf2_9ce4_8422_2325_u64;
    for round in 0..20_000_u64 {
        for byte in body.bytes() {
            sum = (sum ^ u64::from(byte) ^ round).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(json!(format!("{sum:016x}")))
}

/// Starts (or, after a restart, finds) one execution per URL and waits
/// for all of them concurrently.
async fn crawl_all(engine: &Engine) -> Result<Vec<ExecutionDescription>, EngineError> {
    let mut jobs = tokio::task::JoinSet::new();
    for (index, url) in URLS.iter().enumerate() {
        let engine = engine.clone();
        jobs.spawn(async move {
            // Idempotent on the name: a second start returns the same execution.
            let name = format!("crawl-{index}");
            let id = engine
                .start_execution("crawl", Some(&name), json!({ "url": url }))
                .await?;
            engine.wait_for_completion(id).await
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok(outcome) => done.push(outcome?),
            Err(panicked) => std::panic::resume_unwind(panicked.into_panic()),
        }
    }
    done.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(done)
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("shoal-embed-example"));
    let log = Arc::new(SledLog::open(&dir, SledLogOptions::new())?);

    // The CLI's handler set (shoal:noop, shoal:sleep, shoal:fail-at-rate,
    // shoal:command) plus our own.
    let mut handlers = shoal::builtin_handlers();
    handlers.register_async("demo:fetch", fetch);
    handlers.register_blocking("demo:checksum", checksum);

    // Building recovers: executions an earlier process left unfinished
    // continue in the background before this returns.
    let engine = Engine::builder(log).handlers(handlers).build().await?;
    println!("recovered {} unfinished execution(s)", engine.recovered());
    engine.register_state_machine("crawl", DEFINITION).await?;

    let outcome = tokio::select! {
        outcome = crawl_all(&engine) => Some(outcome),
        _ = tokio::signal::ctrl_c() => None,
    };
    // Every acknowledged transition is already durable: shutting down only
    // stops the work in flight, which the next start continues.
    engine.shutdown().await;
    let Some(outcome) = outcome else {
        println!("interrupted: run again on {} to continue", dir.display());
        return Ok(ExitCode::from(130));
    };
    let mut all_succeeded = true;
    for done in outcome? {
        println!(
            "{} {}: {}",
            done.name,
            done.status,
            done.output.unwrap_or(Value::Null)
        );
        all_succeeded &= done.status == ExecutionStatus::Succeeded;
    }
    Ok(if all_succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
