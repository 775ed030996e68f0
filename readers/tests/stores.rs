//! Store URLs, local-file confinement, and credentials kept out of every message.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use shoal_readers::{ReaderError, ReaderOptions, S3Options, Store, StoreError, StoreRegistry};

use crate::common::*;

#[test]
fn local_stores_cannot_be_escaped() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.jsonl"), "{\"leak\":1}\n").unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("ok.jsonl"), "{\"ok\":1}\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.jsonl"),
        root.path().join("link.jsonl"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("dir")).unwrap();
    let mut registry = StoreRegistry::new();
    let url = format!("file://{}", root.path().display());
    registry
        .register_url("local", &url, &S3Options::new())
        .unwrap();
    let store = registry.resolve("local").unwrap();

    for key in [
        "../secret.jsonl",
        "a/../../secret.jsonl",
        "/etc/passwd",
        "link.jsonl",
        "dir/secret.jsonl",
    ] {
        let err = store.path(key).unwrap_err();
        assert!(matches!(err, StoreError::Escapes { .. }), "{key}: {err}");
        assert_eq!(
            err.to_string(),
            format!("key {key:?} escapes the root of local store local")
        );
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let err = read_all(&get_object("link.jsonl", json!({"InputType": "JSONL"})), &store, 1, &ReaderOptions::new()).await.unwrap_err();
        assert!(matches!(err, ReaderError::Registry(StoreError::Escapes { .. })), "{err}");
        let ok = read_all(&get_object("ok.jsonl", json!({"InputType": "JSONL"})), &store, 1, &ReaderOptions::new()).await.unwrap();
        assert_eq!(ok, vec![json!({"ok": 1})]);
        // Listing the root shows the file inside, never what the symlinks point at.
        let listing = spec(json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "local", "Prefix": ""}}));
        let keys: Vec<String> = read_all(&listing, &store, 10, &ReaderOptions::new()).await.unwrap().iter().map(|i| i["Key"].as_str().unwrap().to_owned()).collect();
        assert_eq!(keys, ["ok.jsonl"]);
        // Writes cannot escape either.
        assert!(store.put("dir/new.json", Bytes::from("{}")).await.is_err());
        assert!(!outside.path().join("new.json").exists());
    });
}

#[test]
fn store_prefixes_scope_keys() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let base = Store::memory("m");
        let scoped = base.clone().with_prefix("/tenant/a/");
        put(&scoped, "x.jsonl", "1\n").await;
        assert_eq!(base.head("tenant/a/x.jsonl").await.unwrap().size, 2);
        let listing = spec(
            json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "m"}}),
        );
        let items = read_all(&listing, &scoped, 10, &ReaderOptions::new())
            .await
            .unwrap();
        assert_eq!(items[0]["Key"], json!("x.jsonl"));
    });
}

#[test]
fn no_secret_in_debug_or_errors_of_an_unreachable_server() {
    let secret = "NEVER-PRINT-THIS-SECRET-42";
    let options = S3Options::new()
        .with_endpoint("http://127.0.0.1:9")
        .with_allow_http(true)
        .with_credentials("AKIDVISIBLE", secret)
        .with_env(false)
        .with_region("us-east-1")
        .with_retry(0, Duration::from_secs(2));
    let mut registry = StoreRegistry::new();
    registry
        .register_url("remote", "s3://bucket/prefix", &options)
        .unwrap();
    let store = registry.resolve("remote").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(read_all(
            &get_object("k.json", json!({"InputType": "JSON"})),
            &store,
            1,
            &ReaderOptions::new(),
        ))
        .unwrap_err();
    let (name, cause) = err.step_functions_error();
    let text = format!("{registry:?} {store:?} {options:?} {err} {err:?} {name} {cause}");
    assert!(!text.contains(secret), "{text}");
    assert!(matches!(err, ReaderError::Store { .. }), "{err}");
    let bad_url = registry
        .register_url("x", "s3://AKID:NEVER-PRINT-THIS-SECRET-42@bucket", &options)
        .unwrap_err();
    assert!(!format!("{bad_url} {bad_url:?}").contains(secret));
}
