//! A redriven map run's ResultWriter export leaves nothing stale: the
//! first export of a failed run writes `FAILED_0.json`; after a redrive in
//! which every child succeeds, the prefix holds exactly the new manifest
//! and the files it lists. Run against a `file://` store and the S3 test
//! server (skipped without `AWS_ENDPOINT`, refused under `CI`).

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use maprun_support::{engine_with, map_definition, run};
use serde_json::{json, Value};
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::ExecutionStatus;
use shoal_readers::{PageRequest, S3Options, Store, StoreRegistry};
use shoal_storage::MemoryLog;

/// `item` fails for the `failing` values of `v` until `healed`.
fn handlers(failing: &[u64]) -> (HandlerRegistry, Arc<AtomicBool>) {
    let healed = Arc::new(AtomicBool::new(false));
    let failing: Arc<HashSet<u64>> = Arc::new(failing.iter().copied().collect());
    let mut handlers = HandlerRegistry::new();
    let inner = Arc::clone(&healed);
    handlers.register_async("item", move |input: Value, _| {
        let v = input["v"].as_u64().unwrap();
        let fail = failing.contains(&v) && !inner.load(Ordering::SeqCst);
        async move {
            if fail {
                Err(TaskError::new("Item.Failed", format!("item {v}")))
            } else {
                Ok(json!(v))
            }
        }
    });
    (handlers, healed)
}

/// Every key under `directory/` (relative to the store), sorted.
async fn keys_under(store: &Store, directory: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut request = PageRequest::default();
    loop {
        let page = store
            .list_page(&format!("{directory}/"), &request, 1000)
            .await
            .unwrap();
        keys.extend(page.objects.into_iter().map(|object| object.key));
        match page.next {
            Some(next) => request = next,
            None => return keys,
        }
    }
}

/// The manifest's key and every result file it lists.
async fn manifest_keys(store: &Store, manifest_key: &str) -> BTreeSet<String> {
    let manifest: Value =
        serde_json::from_slice(&store.get_small(manifest_key, 1 << 20).await.unwrap()).unwrap();
    let mut keys = BTreeSet::from([manifest_key.to_string()]);
    for group in ["FAILED", "PENDING", "SUCCEEDED"] {
        for file in manifest["ResultFiles"][group].as_array().unwrap() {
            keys.insert(file["Key"].as_str().unwrap().to_string());
        }
    }
    keys
}

/// Runs 12 items (3 failing, none tolerated) with a ResultWriter into
/// `store` under `prefix`, checks the first export lists a FAILED file,
/// redrives once healed, and checks only the new export's files remain.
async fn redrive_leaves_no_stale_files(store: Store, prefix: &str) {
    let failing = [2, 7, 9];
    let (handlers, healed) = handlers(&failing);
    let mut stores = StoreRegistry::new();
    stores.insert("out", store.clone());
    let log = MemoryLog::new();
    let engine = engine_with(&log, handlers, MapRunOptions::new().with_stores(stores)).await;
    let mut definition = map_definition(json!({
        "MaxConcurrency": 3,
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "out", "Prefix": prefix}
        }
    }));
    definition["States"]["M"]["ItemProcessor"]["States"]["W"]["Resource"] = json!("item");
    let items: Vec<Value> = (0..12u64).map(|v| json!({"v": v})).collect();
    let id = run(&engine, &definition, Value::Array(items)).await;
    assert_eq!(
        engine.describe_execution(id).unwrap().status,
        ExecutionStatus::Failed
    );
    let arn = engine.list_map_runs(id).unwrap().pop().unwrap();
    let directory = format!("{prefix}/{}", arn.rsplit(':').next().unwrap());
    let manifest_key = format!("{directory}/manifest.json");
    let first = keys_under(&store, &directory).await;
    assert_eq!(first, manifest_keys(&store, &manifest_key).await);
    let failed_file = format!("{directory}/FAILED_0.json");
    assert!(first.contains(&failed_file), "{first:?}");

    healed.store(true, Ordering::SeqCst);
    engine.redrive_execution(id).await.unwrap();
    let done = engine.wait_for_completion(id).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let after = keys_under(&store, &directory).await;
    assert_eq!(
        after,
        BTreeSet::from([
            manifest_key.clone(),
            format!("{directory}/SUCCEEDED_0.json")
        ]),
        "only the new manifest and its files remain"
    );
    assert_eq!(after, manifest_keys(&store, &manifest_key).await);
    assert!(!after.contains(&failed_file));
    engine.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_redriven_export_to_a_local_directory_leaves_no_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::local("out", dir.path()).unwrap();
    redrive_leaves_no_stale_files(store, "results").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redriven_export_to_s3_leaves_no_stale_files() {
    if std::env::var_os("AWS_ENDPOINT").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AWS_ENDPOINT is not"
        );
        eprintln!("SKIPPED (no S3 server): start scripts/s3-server.sh and source its env file");
        return;
    }
    let mut stores = StoreRegistry::new();
    stores
        .register_url("out", "s3://shoal-test", &S3Options::new())
        .unwrap();
    let store = stores.resolve("out").unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("redrive-export-{}-{nanos}", std::process::id());
    redrive_leaves_no_stale_files(store, &prefix).await;
}
