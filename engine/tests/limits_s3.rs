//! An S3 server that answers 500 or drops connections (docs/RELIABILITY.md,
//! "Bad input and limits"): a fault proxy in front of the real S3 test
//! server. Faults below the retry bound are retried and the map run
//! succeeds; past it the map run fails with `States.ItemReaderFailed` naming
//! the object, after exactly 1 + retries requests.

#![allow(clippy::unwrap_used)]

mod fault_proxy;
mod maprun_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fault_proxy::{upstream_from_env, Fault, FaultProxy};
use maprun_support::{engine_with, handlers, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::{MapRunOptions, MapRunStatus};
use shoal_engine::{Engine, ExecutionStatus};
use shoal_readers::{S3Options, StoreRegistry};
use shoal_storage::MemoryLog;

const ITEMS: usize = 50;

/// The real server's address, or None (skip) when no S3 server is configured.
fn upstream() -> Option<SocketAddr> {
    if std::env::var_os("AWS_ENDPOINT").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AWS_ENDPOINT is not"
        );
        eprintln!("SKIPPED (no S3 server): start scripts/s3-server.sh and source its env file");
        return None;
    }
    Some(upstream_from_env().expect("AWS_ENDPOINT is http://127.0.0.1:PORT"))
}

fn stores(name: &str, endpoint: Option<&str>, retries: usize) -> StoreRegistry {
    let mut options = S3Options::new().with_retry(retries, Duration::from_secs(60));
    if let Some(endpoint) = endpoint {
        options = options.with_endpoint(endpoint);
    }
    let mut stores = StoreRegistry::new();
    stores
        .register_url(name, "s3://shoal-test", &options)
        .unwrap();
    stores
}

/// Uploads `ITEMS` JSONL lines straight to the server; returns the key.
async fn fixture(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let key = format!("limits-{}-{nanos}-{label}/items.jsonl", std::process::id());
    let store = stores("up", None, 2).resolve("up").unwrap();
    let lines: String = (0..ITEMS).map(|i| format!("{{\"v\":{i}}}\n")).collect();
    store.put(&key, Bytes::from(lines)).await.unwrap();
    key
}

async fn engine_through(proxy: &FaultProxy, retries: usize) -> Engine {
    let options =
        MapRunOptions::new().with_stores(stores("data", Some(&proxy.endpoint()), retries));
    let (handlers, _) = handlers();
    engine_with(&MemoryLog::new(), handlers, options).await
}

fn get_object(key: &str) -> Value {
    map_definition(json!({"ItemReader": {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSONL"},
        "Parameters": {"Bucket": "data", "Key": key}
    }}))
}

async fn assert_all_items(engine: &Engine, definition: &Value) {
    let id = run(engine, definition, json!({})).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let expected: Vec<Value> = (0..ITEMS).map(|i| json!(i)).collect();
    assert_eq!(done.output, Some(Value::Array(expected)));
}

/// Runs `definition`, expects `States.ItemReaderFailed` on the parent and
/// the map run; returns the cause.
async fn assert_reader_failed(engine: &Engine, definition: &Value) -> String {
    let started = Instant::now();
    let id = run(engine, definition, json!({})).await;
    let done = engine.describe_execution(id).unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed, "{done:?}");
    assert_eq!(done.error.as_deref(), Some("States.ItemReaderFailed"));
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let map_run = engine.describe_map_run(&arn).unwrap();
    assert_eq!(map_run.status, MapRunStatus::Failed);
    assert_eq!(map_run.error.as_deref(), Some("States.ItemReaderFailed"));
    println!(
        "failed after {:?}: {}",
        started.elapsed(),
        done.cause.as_deref().unwrap()
    );
    done.cause.unwrap()
}

#[tokio::test]
async fn s3_500s_below_the_retry_bound_are_retried_and_the_run_succeeds() {
    let Some(upstream) = upstream() else { return };
    let key = fixture("500-then-ok").await;
    let proxy = FaultProxy::start(upstream, Fault::Status500, 2).await;
    let engine = engine_through(&proxy, 3).await;
    assert_all_items(&engine, &get_object(&key)).await;
    assert!(proxy.connections() >= 3, "{}", proxy.connections());
    engine.shutdown().await;
}

#[tokio::test]
async fn s3_500s_past_the_retry_bound_fail_with_item_reader_failed() {
    let Some(upstream) = upstream() else { return };
    let key = fixture("500-always").await;
    let proxy = FaultProxy::start(upstream, Fault::Status500, usize::MAX).await;
    let engine = engine_through(&proxy, 2).await;
    let cause = assert_reader_failed(&engine, &get_object(&key)).await;
    assert!(cause.contains(&format!("data:{key}")), "{cause}");
    assert!(cause.contains("500"), "{cause}");
    assert_eq!(proxy.connections(), 3, "one request and two retries");
    engine.shutdown().await;
}

#[tokio::test]
async fn s3_connections_dropped_mid_response_are_resumed() {
    let Some(upstream) = upstream() else { return };
    let key = fixture("drop-then-ok").await;
    // Headers and a few body bytes reach the client, then the connection closes.
    let proxy = FaultProxy::start(upstream, Fault::DropAfter(500), 2).await;
    let engine = engine_through(&proxy, 3).await;
    assert_all_items(&engine, &get_object(&key)).await;
    assert!(proxy.connections() >= 3, "{}", proxy.connections());
    engine.shutdown().await;
}

#[tokio::test]
async fn s3_connections_always_dropped_fail_after_the_retry_bound() {
    let Some(upstream) = upstream() else { return };
    let key = fixture("drop-always").await;
    let proxy = FaultProxy::start(upstream, Fault::DropAfter(0), usize::MAX).await;
    let engine = engine_through(&proxy, 2).await;
    let cause = assert_reader_failed(&engine, &get_object(&key)).await;
    assert!(cause.contains(&format!("data:{key}")), "{cause}");
    assert_eq!(proxy.connections(), 3, "one request and two retries");
    engine.shutdown().await;
}

#[tokio::test]
async fn s3_listings_answering_500_fail_with_item_reader_failed() {
    let Some(upstream) = upstream() else { return };
    let key = fixture("list-500").await;
    let prefix = key.trim_end_matches("items.jsonl").to_owned();
    let proxy = FaultProxy::start(upstream, Fault::Status500, usize::MAX).await;
    let engine = engine_through(&proxy, 1).await;
    let definition = map_definition(json!({"ItemReader": {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": "data", "Prefix": prefix}
    }}));
    let cause = assert_reader_failed(&engine, &definition).await;
    assert!(cause.contains(&format!("data:{prefix}")), "{cause}");
    assert_eq!(proxy.connections(), 2, "one request and one retry");
    engine.shutdown().await;
}
