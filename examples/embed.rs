//! Embedding shoal in a tokio program: an async handler, a blocking
//! (CPU-bound) handler and the built-ins, on a durable sled log.
//!
//! Run with `cargo run --example embed [DATA_DIR]`. Run it twice on the same
//! directory: the second run finds the first execution by its name and
//! prints the same output without running anything again.

use std::sync::Arc;

use serde_json::{json, Value};
use shoal::engine::task::{TaskContext, TaskError};
use shoal::engine::{Engine, ExecutionStatus};
use shoal::storage::{SledLog, SledLogOptions};

const DEFINITION: &str = r#"{
  "StartAt": "Fetch",
  "States": {
    "Fetch": {"Type": "Task", "Resource": "demo:fetch", "ResultPath": "$.page",
              "Retry": [{"ErrorEquals": ["Demo.Throttled"], "IntervalSeconds": 1, "MaxAttempts": 3}],
              "Next": "Checksum"},
    "Checksum": {"Type": "Task", "Resource": "demo:checksum", "ResultPath": "$.checksum", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"#;

/// An async handler: awaits I/O (here a timer), stops early when cancelled.
async fn fetch(input: Value, context: TaskContext) -> Result<Value, TaskError> {
    let url = input["url"].as_str().unwrap_or("about:blank").to_string();
    tokio::select! {
        () = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
        () = context.cancelled() => return Err(TaskError::new("Demo.Cancelled", "fetch cancelled")),
    }
    // The key is the same if this attempt is re-run after a crash: use it
    // to make side effects idempotent.
    Ok(json!({"url": url, "body": format!("<html>{url}</html>"), "key": context.idempotency_key()}))
}

/// A blocking handler: CPU-bound work on shoal's worker pool.
fn checksum(input: Value, _context: TaskContext) -> Result<Value, TaskError> {
    let body = input["page"]["body"].as_str().unwrap_or_default();
    let sum = body
        .bytes()
        .fold(0u32, |acc, b| acc.rotate_left(5) ^ u32::from(b));
    Ok(json!(format!("{sum:08x}")))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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

    // Building recovers: unfinished executions from an earlier process
    // continue in the background before this returns.
    let engine = Engine::builder(log).handlers(handlers).build().await?;
    println!("recovered {} unfinished execution(s)", engine.recovered());

    engine.register_state_machine("crawl", DEFINITION).await?;
    // Idempotent on the name: a second run returns the same execution.
    let id = engine
        .start_execution(
            "crawl",
            Some("crawl-example"),
            json!({"url": "https://example.com"}),
        )
        .await?;
    let done = engine.wait_for_completion(id).await?;
    println!(
        "{} {}: {}",
        done.name,
        done.status,
        done.output.unwrap_or(Value::Null)
    );

    engine.shutdown().await;
    if done.status != ExecutionStatus::Succeeded {
        return Err(format!("{:?}: {:?}", done.error, done.cause).into());
    }
    Ok(())
}
