//! Resume property: for random data and batch sizes, reading with a crash-and-rebuild from the
//! checkpoint after every k batches yields exactly the uninterrupted sequence, for every source.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use shoal_readers::{InlineArray, ItemReader, ReaderOptions, Store};

use crate::common::*;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z ,;|\"\n\\\\€{}\\[\\]]{0,10}").expect("valid regex")
}

fn rows() -> impl Strategy<Value = Vec<(u32, String, String)>> {
    proptest::collection::vec((any::<u32>(), text(), text()), 0..40)
}

/// One dataset written in every file format; returns (spec, expected items) pairs.
async fn write_files(
    store: &Store,
    dir: &str,
    rows: &[(u32, String, String)],
) -> Vec<(shoal_readers::ReaderSpec, Vec<Value>)> {
    let objects: Vec<Value> = rows
        .iter()
        .map(|(n, a, b)| json!({"n": n, "a": a, "b": b}))
        .collect();
    let strings: Vec<Value> = rows
        .iter()
        .map(|(n, a, b)| json!({"n": n.to_string(), "a": a, "b": b}))
        .collect();
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(n, a, b)| vec![n.to_string(), a.clone(), b.clone()])
        .collect();
    let mut cases = Vec::new();
    let body = jsonl(&objects);
    put(store, &format!("{dir}items.jsonl"), body.clone()).await;
    put(
        store,
        &format!("{dir}items.jsonl.gz"),
        gzip(body.as_bytes()),
    )
    .await;
    for key in ["items.jsonl", "items.jsonl.gz"] {
        cases.push((
            get_object(&format!("{dir}{key}"), json!({"InputType": "JSONL"})),
            objects.clone(),
        ));
    }
    let nested = serde_json::to_vec(&json!({"meta": {"items": [0]}, "data": {"items": objects}}))
        .expect("JSON");
    put(store, &format!("{dir}items.json"), nested.clone()).await;
    put(store, &format!("{dir}items.json.gz"), gzip(&nested)).await;
    for key in ["items.json", "items.json.gz"] {
        cases.push((
            get_object(
                &format!("{dir}{key}"),
                json!({"InputType": "JSON", "ItemsPointer": "/data/items"}),
            ),
            objects.clone(),
        ));
    }
    let csv = csv_text(&["n", "a", "b"], &csv_rows, false, b',', true);
    put(store, &format!("{dir}items.csv"), csv.clone()).await;
    put(store, &format!("{dir}items.csv.gz"), gzip(&csv)).await;
    for key in ["items.csv", "items.csv.gz"] {
        cases.push((
            get_object(&format!("{dir}{key}"), json!({"InputType": "CSV"})),
            strings.clone(),
        ));
    }
    let piped = csv_text(&[], &csv_rows, false, b'|', false);
    put(store, &format!("{dir}given.csv"), piped).await;
    cases.push((
        get_object(&format!("{dir}given.csv"), json!({"InputType": "CSV", "CSVDelimiter": "PIPE", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["n", "a", "b"]})),
        strings,
    ));
    let split = rows.len() / 2;
    let inventory_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(n, a, _)| {
            vec![
                "src".into(),
                form_encode(&format!("k/{a}{n}")),
                n.to_string(),
            ]
        })
        .collect();
    let manifest = write_inventory(
        store,
        &format!("{dir}inv/"),
        &["Bucket", "Key", "Size"],
        &[
            inventory_rows[..split].to_vec(),
            vec![],
            inventory_rows[split..].to_vec(),
        ],
    )
    .await;
    let inventory_items: Vec<Value> = rows
        .iter()
        .map(
            |(n, a, _)| json!({"Bucket": "src", "Key": format!("k/{a}{n}"), "Size": n.to_string()}),
        )
        .collect();
    cases.push((
        get_object(&manifest, json!({"ManifestType": "S3_INVENTORY"})),
        inventory_items,
    ));
    cases
}

/// Checks the property for every file source of one dataset on `store`.
async fn check_files(store: &Store, rows: &[(u32, String, String)], batch: usize, every: usize) {
    let dir = unique_prefix("files");
    let options = ReaderOptions::new();
    for (spec, expected) in write_files(store, &dir, rows).await {
        let whole = read_all(&spec, store, batch, &options)
            .await
            .expect("uninterrupted read");
        assert_eq!(whole, expected, "{spec:?}");
        let resumed = read_with_crashes(&spec, store, batch, every, &options)
            .await
            .expect("resumed read");
        assert_eq!(resumed, expected, "{spec:?} batch {batch} every {every}");
    }
}

fn property_on(store: Store, cases: u32) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runner(cases)
        .run(&(rows(), 1usize..7, 1usize..4), |(rows, batch, every)| {
            runtime.block_on(check_files(&store, &rows, batch, every));
            Ok(())
        })
        .expect("resume property");
}

#[test]
fn files_resume_exactly_in_memory() {
    property_on(Store::memory("b"), 24);
}

#[test]
fn files_resume_exactly_on_local_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    property_on(Store::local("b", dir.path()).expect("local store"), 8);
}

#[test]
fn files_resume_exactly_on_the_s3_server() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    property_on(store, 3);
}

#[test]
fn inline_arrays_resume_exactly() {
    runner(32)
        .run(
            &(
                proptest::collection::vec(any::<i64>(), 0..50),
                1usize..9,
                1usize..4,
            ),
            |(values, batch, every)| {
                let items: Vec<Value> = values.iter().map(|v| json!(v)).collect();
                let mut checkpoint = None;
                let mut seen = Vec::new();
                'outer: loop {
                    let mut reader = InlineArray::new(items.clone(), checkpoint.as_ref())
                        .expect("inline reader");
                    for _ in 0..every {
                        let batch = futures::executor::block_on(reader.next_batch(batch))
                            .expect("inline batch");
                        seen.extend(batch.items);
                        checkpoint = Some(batch.checkpoint);
                        if batch.exhausted {
                            break 'outer;
                        }
                    }
                }
                prop_assert_eq!(seen, items);
                Ok(())
            },
        )
        .expect("inline property");
}

async fn check_listing(
    store: &Store,
    keys: &[String],
    prefix: &str,
    page: usize,
    batch: usize,
    every: usize,
) {
    let spec = spec(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": prefix}}),
    );
    let options = ReaderOptions::new().with_list_page_size(page);
    let whole = read_all(&spec, store, batch, &options)
        .await
        .expect("listing");
    let listed: Vec<&str> = whole
        .iter()
        .map(|v| v["Key"].as_str().expect("Key is a string"))
        .collect();
    assert_eq!(listed, keys.iter().map(String::as_str).collect::<Vec<_>>());
    let resumed = read_with_crashes(&spec, store, batch, every, &options)
        .await
        .expect("resumed listing");
    assert_eq!(resumed, whole, "page {page} batch {batch} every {every}");
}

#[test]
fn listings_resume_exactly_in_memory() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runner(16)
        .run(
            &(
                proptest::collection::btree_set("[a-c]{1,3}(/[a-c]{1,2})?", 0..40),
                1usize..6,
                1usize..9,
                1usize..4,
            ),
            |(names, page, batch, every)| {
                runtime.block_on(async {
                    let store = Store::memory("b");
                    let prefix = "p/";
                    for name in &names {
                        put(&store, &format!("{prefix}{name}"), "x").await;
                    }
                    put(&store, "other/x", "x").await;
                    let keys: Vec<String> = names.iter().map(|n| format!("{prefix}{n}")).collect();
                    check_listing(&store, &keys, prefix, page, batch, every).await;
                });
                Ok(())
            },
        )
        .expect("listing property");
}

/// More than 1,000 keys on the real server, uploaded once; pages of 1,000 (the server's) and
/// small pages, with crashes at random batch boundaries.
#[test]
fn s3_listing_over_a_thousand_keys_resumes_exactly() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let prefix = unique_prefix("list");
    let keys: Vec<String> = (0..1105)
        .map(|i| format!("{prefix}obj-{i:05}.json"))
        .collect();
    runtime.block_on(async {
        use futures::StreamExt;
        futures::stream::iter(keys.iter())
            .for_each_concurrent(32, |key| {
                let store = store.clone();
                async move { put(&store, key, "{}").await }
            })
            .await;
    });
    runtime.block_on(check_listing(&store, &keys, &prefix, 1000, 400, 1));
    runner(3)
        .run(
            &(
                prop_oneof![Just(1000usize), 50usize..300],
                100usize..700,
                1usize..3,
            ),
            |(page, batch, every)| {
                runtime.block_on(check_listing(&store, &keys, &prefix, page, batch, every));
                Ok(())
            },
        )
        .expect("S3 listing property");
}
