//! Behaviour only a real S3 server shows: keys object_store cannot represent, odd characters
//! in keys, inventories across buckets, and errors that must not leak the secret.

use std::process::Command;

use serde_json::json;
use shoal_readers::{open_reader, ReaderError, ReaderOptions, UnrepresentableKeys};

use crate::common::*;

/// Uploads `key` byte for byte with a SigV4-signed curl PUT (object_store cannot address it).
fn raw_put(bucket: &str, key: &str) {
    let endpoint = std::env::var("AWS_ENDPOINT").unwrap();
    let user = format!(
        "{}:{}",
        std::env::var("AWS_ACCESS_KEY_ID").unwrap(),
        std::env::var("AWS_SECRET_ACCESS_KEY").unwrap()
    );
    let status = Command::new("curl")
        .args([
            "-sf",
            "--path-as-is",
            "-X",
            "PUT",
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            &user,
        ])
        .args([
            "-H",
            "x-amz-content-sha256: UNSIGNED-PAYLOAD",
            "--data-binary",
            "x",
        ])
        .arg(format!("{endpoint}/{bucket}/{key}"))
        .status()
        .expect("curl runs");
    assert!(status.success(), "raw PUT of {key:?} failed");
}

#[test]
fn unrepresentable_keys_fail_with_the_key_after_every_earlier_item() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let prefix = unique_prefix("weird");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for name in ["k1", "k3", "k4"] {
            put(&store, &format!("{prefix}{name}"), "x").await;
        }
    });
    raw_put(TEST_BUCKET, &format!("{prefix}k2//bad"));
    let spec = spec(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": prefix}}),
    );
    runtime.block_on(async {
        let mut reader = open_reader(&spec, store.clone(), None, &ReaderOptions::new()).await.unwrap();
        let first = reader.next_batch(1).await.unwrap();
        assert_eq!(first.items[0]["Key"], json!(format!("{prefix}k1")));
        let err = reader.next_batch(1).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("listing shoal-test:{prefix}: key \"{prefix}k2//bad\" cannot be represented as an object path (empty path segment)")
        );
        assert!(matches!(err, ReaderError::UnrepresentableKey { .. }));
        // Resuming from the last checkpoint reaches the same error: nothing is skipped silently.
        let mut resumed = open_reader(&spec, store.clone(), Some(&first.checkpoint), &ReaderOptions::new()).await.unwrap();
        assert!(matches!(resumed.next_batch(5).await, Err(ReaderError::UnrepresentableKey { .. })));

        let skip = ReaderOptions::new().with_unrepresentable_keys(UnrepresentableKeys::Skip);
        let items = read_all(&spec, &store, 2, &skip).await.unwrap();
        let keys: Vec<String> = items.iter().map(|i| i["Key"].as_str().unwrap().to_owned()).collect();
        assert_eq!(keys, ["k1", "k3", "k4"].map(|k| format!("{prefix}{k}")));
        assert_eq!(read_with_crashes(&spec, &store, 1, 1, &skip).await.unwrap(), items);
    });
}

#[test]
fn keys_with_reserved_characters_are_read_byte_for_byte() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let prefix = unique_prefix("odd");
    let key = format!("{prefix}a~b*c 100%+x.jsonl");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        put(&store, &key, "{\"v\":1}\n").await;
        let items = read_all(&get_object(&key, json!({"InputType": "JSONL"})), &store, 5, &ReaderOptions::new()).await.unwrap();
        assert_eq!(items, vec![json!({"v": 1})]);
        let listing = spec(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": prefix}}));
        let listed = read_all(&listing, &store, 5, &ReaderOptions::new()).await.unwrap();
        assert_eq!(listed[0]["Key"], json!(key));
    });
}

#[test]
fn inventory_in_its_own_bucket_lists_objects_of_the_source_bucket() {
    let Some(inventory) = s3_store(INVENTORY_BUCKET) else {
        return;
    };
    let Some(source) = s3_store(TEST_BUCKET) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prefix = unique_prefix("inv");
    runtime.block_on(async {
        let keys: Vec<String> = (0..30)
            .map(|i| format!("{prefix}src/file {i}+€.csv"))
            .collect();
        for key in &keys {
            put(&source, key, "a\n").await;
        }
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| vec![TEST_BUCKET.to_owned(), form_encode(k), "2".into()])
            .collect();
        let manifest = write_inventory(
            &inventory,
            &format!("{prefix}dest/"),
            &["Bucket", "Key", "Size"],
            &[rows[..10].to_vec(), rows[10..].to_vec()],
        )
        .await;
        let spec = get_object(&manifest, json!({"ManifestType": "S3_INVENTORY"}));
        let items = read_with_crashes(&spec, &inventory, 4, 2, &ReaderOptions::new())
            .await
            .unwrap();
        let listed: Vec<&str> = items.iter().map(|i| i["Key"].as_str().unwrap()).collect();
        assert_eq!(listed, keys.iter().map(String::as_str).collect::<Vec<_>>());
        // Every decoded key names a readable object of the source bucket.
        for item in items.iter().take(3) {
            let key = item["Key"].as_str().unwrap();
            assert_eq!(source.head(key).await.unwrap().size, 2);
        }
    });
}

#[test]
fn errors_from_the_server_never_contain_the_secret() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(read_all(
            &get_object("definitely/missing.json", json!({"InputType": "JSON"})),
            &store,
            1,
            &ReaderOptions::new(),
        ))
        .unwrap_err();
    let text = format!("{err} {err:?} {store:?}");
    assert!(matches!(err, ReaderError::NotFound { .. }), "{err}");
    assert!(!text.contains(&secret), "{text}");
    // A wrong secret (rejected by a SigV4-checking server, or accepted by moto) must not leak either.
    let wrong = shoal_readers::S3Options::new()
        .with_credentials("shoal-wrong-key", "WRONG-SECRET-abc123")
        .with_retry(0, std::time::Duration::from_secs(5));
    let url = shoal_readers::StoreUrl::parse(&format!("s3://{TEST_BUCKET}")).unwrap();
    let bad = shoal_readers::open_url("bad", &url, &wrong).unwrap();
    let result = runtime.block_on(read_all(
        &get_object("definitely/missing.json", json!({"InputType": "JSON"})),
        &bad,
        1,
        &ReaderOptions::new(),
    ));
    let text = format!("{result:?} {bad:?} {wrong:?}");
    assert!(result.is_err());
    assert!(
        !text.contains("WRONG-SECRET-abc123") && !text.contains(&secret),
        "{text}"
    );
}
