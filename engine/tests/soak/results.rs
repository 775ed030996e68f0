//! The end-of-cycle checks, on an engine that ran everything to the end:
//! every execution's outcome as [`expected`]; each map run's counters equal
//! to a recount from its children; no STANDARD history with a repeated
//! transition; and each ResultWriter's manifest and files complete, parsing,
//! holding every item exactly once with its expected outcome, and no file
//! left over from an interrupted attempt.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use shoal_engine::maprun::MapRunStatus;
use shoal_engine::{Engine, ExecutionStatus};
use shoal_readers::{open_reader, ReaderOptions, ReaderSpec, StoreRegistry};

use crate::crash_support::check_history;
use crate::workload::{expected, Outcomes, Setup, PLAIN_INPUTS};

/// Checks every outcome; returns the number of children checked.
pub async fn check_end(
    engine: &Engine,
    outcomes: &Outcomes,
    stores: &StoreRegistry,
    setup: &Setup,
    cycle: usize,
) -> u64 {
    for v in PLAIN_INPUTS {
        let name = format!("plain-{v}");
        let (id, status, result) = &outcomes[&name];
        match expected(v) {
            Ok(output) => assert_eq!(
                (status, result),
                (&ExecutionStatus::Succeeded, &output),
                "cycle {cycle}: {name}"
            ),
            Err(error) => {
                assert_eq!(*status, ExecutionStatus::Failed, "cycle {cycle}: {name}");
                assert_eq!(result["Error"], json!(error), "cycle {cycle}: {name}");
            }
        }
        let events = engine
            .get_execution_history(*id, 0, usize::MAX)
            .expect("history");
        check_history(&format!("cycle {cycle}: {name}"), &events);
    }
    let mut children = 0;
    for (name, bucket, prefix, express) in [
        ("standard-map", "out", "standard", false),
        ("express-map", setup.express_bucket(), "express", true),
    ] {
        let (id, status, output) = &outcomes[name];
        assert_eq!(
            *status,
            ExecutionStatus::Succeeded,
            "cycle {cycle}: {name}: {output}"
        );
        let events = engine
            .get_execution_history(*id, 0, usize::MAX)
            .expect("history");
        check_history(&format!("cycle {cycle}: {name}"), &events);
        let arns = engine.list_map_runs(*id).expect("map runs");
        assert_eq!(arns.len(), 1, "cycle {cycle}: {name}: one map run");
        check_counters(engine, &arns[0], setup.items, express, cycle);
        let details = &output["ResultWriterDetails"];
        assert_eq!(
            details["Bucket"],
            json!(bucket),
            "cycle {cycle}: {name}: {output}"
        );
        let manifest = details["Key"].as_str().expect("manifest key");
        check_result_files(stores, bucket, prefix, manifest, setup.items, cycle).await;
        children += setup.items;
    }
    children
}

/// The run's counters against a recount from its children and against
/// the expected outcomes; STANDARD children's histories checked.
fn check_counters(engine: &Engine, arn: &str, items: u64, express: bool, cycle: usize) {
    let run = engine.describe_map_run(arn).expect("map run");
    assert_eq!(
        run.status,
        MapRunStatus::Succeeded,
        "cycle {cycle}: {run:?}"
    );
    let children = engine.list_map_run_executions(arn).expect("children");
    assert_eq!(
        children.len() as u64,
        items,
        "cycle {cycle}: {arn}: one child per item"
    );
    let mut recount: BTreeMap<&str, u64> = BTreeMap::new();
    for (index, (child, status)) in children.iter().enumerate() {
        *recount.entry(status).or_default() += 1;
        let wanted = if expected(index as u64).is_ok() {
            "SUCCEEDED"
        } else {
            "FAILED"
        };
        assert_eq!(*status, wanted, "cycle {cycle}: {arn}: child {index}");
        if !express {
            let events = engine
                .get_execution_history(*child, 0, usize::MAX)
                .expect("history");
            check_history(&format!("cycle {cycle}: {arn} child {index}"), &events);
        }
    }
    let counts = run.execution_counts;
    let recounted = (
        recount.get("SUCCEEDED").copied().unwrap_or(0),
        recount.get("FAILED").copied().unwrap_or(0),
    );
    let wanted_failed = (0..items).filter(|v| expected(*v).is_err()).count() as u64;
    assert_eq!(
        recounted,
        (items - wanted_failed, wanted_failed),
        "cycle {cycle}: {arn}"
    );
    assert_eq!(
        (
            counts.total,
            counts.succeeded,
            counts.failed,
            counts.running,
            counts.pending
        ),
        (items, recounted.0, recounted.1, 0, 0),
        "cycle {cycle}: {arn}: counters differ from the recount: {run:?}"
    );
    assert_eq!(
        (
            run.item_counts.total,
            run.item_counts.succeeded,
            run.item_counts.failed
        ),
        (items, recounted.0, recounted.1),
        "cycle {cycle}: {arn}: item counters"
    );
}

/// Reads the manifest and every file it lists; each item exactly once.
async fn check_result_files(
    stores: &StoreRegistry,
    bucket: &str,
    prefix: &str,
    manifest_key: &str,
    items: u64,
    cycle: usize,
) {
    let store = stores.resolve(bucket).expect("result store");
    let limit = 64 * 1024 * 1024;
    let manifest = store
        .get_small(manifest_key, limit)
        .await
        .expect("manifest readable");
    let manifest: Value = serde_json::from_slice(&manifest).expect("manifest parses");
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut listed = BTreeSet::from(["manifest.json".to_owned()]);
    for group in ["SUCCEEDED", "FAILED", "PENDING"] {
        let files = manifest["ResultFiles"][group]
            .as_array()
            .expect("ResultFiles group");
        if group == "PENDING" {
            assert!(
                files.is_empty(),
                "cycle {cycle}: {manifest_key}: pending results: {manifest}"
            );
        }
        for file in files {
            let key = file["Key"].as_str().expect("file key");
            listed.insert(key.rsplit('/').next().unwrap_or(key).to_owned());
            let body = store
                .get_small(key, limit)
                .await
                .expect("result file readable");
            assert_eq!(
                Some(body.len() as u64),
                file["Size"].as_u64(),
                "cycle {cycle}: {key}: size"
            );
            let entries: Vec<Value> = serde_json::from_slice(&body).expect("result file parses");
            for entry in entries {
                check_entry(&entry, group, key, cycle, &mut seen);
            }
        }
    }
    let wanted: BTreeMap<u64, usize> = (0..items).map(|v| (v, 1)).collect();
    assert!(
        seen == wanted,
        "cycle {cycle}: {manifest_key}: items missing or repeated: {:?}",
        seen.iter().filter(|(_, n)| **n != 1).collect::<Vec<_>>()
    );
    let directory = manifest_key.rsplit_once('/').map_or("", |(d, _)| d);
    let present = list_names(stores, bucket, directory).await;
    assert_eq!(
        present, listed,
        "cycle {cycle}: {prefix}: files beside the manifest's"
    );
}

fn check_entry(
    entry: &Value,
    group: &str,
    key: &str,
    cycle: usize,
    seen: &mut BTreeMap<u64, usize>,
) {
    let input: Value =
        serde_json::from_str(entry["Input"].as_str().expect("Input string")).expect("Input parses");
    let v = input["v"].as_u64().expect("item v");
    *seen.entry(v).or_default() += 1;
    match (expected(v), group) {
        (Ok(output), "SUCCEEDED") => {
            let found: Value =
                serde_json::from_str(entry["Output"].as_str().expect("Output string"))
                    .expect("Output parses");
            assert_eq!(found, output, "cycle {cycle}: {key}: item {v}");
        }
        (Err(error), "FAILED") => assert_eq!(
            entry["Error"],
            json!(error),
            "cycle {cycle}: {key}: item {v}"
        ),
        (wanted, _) => panic!("cycle {cycle}: {key}: item {v} in {group}, expected {wanted:?}"),
    }
}

/// Names of the objects under `directory` of `bucket` (via a ListObjectsV2 reader).
async fn list_names(stores: &StoreRegistry, bucket: &str, directory: &str) -> BTreeSet<String> {
    let spec: ReaderSpec = serde_json::from_value(json!({
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": bucket, "Prefix": format!("{directory}/")}
    }))
    .expect("valid listing spec");
    let store = stores.resolve(bucket).expect("result store");
    let mut reader = open_reader(&spec, store, None, &ReaderOptions::new())
        .await
        .expect("listing opens");
    let mut names = BTreeSet::new();
    loop {
        let batch = reader.next_batch(1000).await.expect("listing reads");
        for item in &batch.items {
            let key = item["Key"].as_str().expect("Key");
            names.insert(key.rsplit('/').next().unwrap_or(key).to_owned());
        }
        if batch.exhausted {
            return names;
        }
    }
}
