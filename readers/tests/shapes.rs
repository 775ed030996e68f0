//! Item shapes field for field as Step Functions shows them.

use serde_json::{json, Value};
use shoal_readers::{ReaderOptions, Store};

use crate::common::*;

fn listing_spec(prefix: &str) -> shoal_readers::ReaderSpec {
    spec(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": prefix}}),
    )
}

async fn check_listing_shape(store: &Store, prefix: &str) {
    put(
        store,
        &format!("{prefix}images/n02085620_1073.jpg"),
        vec![7u8; 34910],
    )
    .await;
    let items = read_all(&listing_spec(prefix), store, 10, &ReaderOptions::new())
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let fields: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    );
    assert_eq!(
        item["Key"],
        json!(format!("{prefix}images/n02085620_1073.jpg"))
    );
    assert_eq!(item["Size"], json!(34910));
    assert_eq!(item["StorageClass"], json!("STANDARD"));
    let modified = item["LastModified"]
        .as_i64()
        .expect("LastModified is an integer number of seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - modified).abs() < 3600, "{modified} vs {now}");
    assert!(item["Etag"].is_string());
}

#[test]
fn listing_items_have_the_step_functions_shape_in_memory() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(check_listing_shape(&Store::memory("b"), "processData/"));
}

#[test]
fn listing_items_have_the_step_functions_shape_on_s3() {
    let Some(store) = s3_store(TEST_BUCKET) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prefix = unique_prefix("shape");
    runtime.block_on(check_listing_shape(&store, &prefix));
    // S3 ETags are the quoted MD5 of a single-part upload.
    let items = runtime
        .block_on(read_all(
            &listing_spec(&prefix),
            &store,
            10,
            &ReaderOptions::new(),
        ))
        .unwrap();
    use md5::{Digest, Md5};
    let md5: String = Md5::digest(vec![7u8; 34910])
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(items[0]["Etag"], json!(format!("\"{md5}\"")));
}

#[test]
fn inventory_items_have_the_step_functions_shape() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::memory("b");
        let rows = vec![
            vec!["amzn-s3-demo-source-bucket".into(), "csvDataset/".into(), "0".into(), "2022-11-16T00:27:19.000Z".into()],
            vec!["amzn-s3-demo-source-bucket".into(), "csvDataset/titles.csv".into(), "3399671".into(), "2022-11-16T00:29:32.000Z".into()],
            vec!["amzn-s3-demo-source-bucket".into(), form_encode("odd/a b+c~*%.csv"), "1".into(), "2022-11-16T00:29:32.000Z".into()],
        ];
        let manifest = write_inventory(&store, "inv/", &["Bucket", "Key", "Size", "LastModifiedDate"], &[rows]).await;
        let items = read_all(&get_object(&manifest, json!({"ManifestType": "S3_INVENTORY"})), &store, 10, &ReaderOptions::new()).await.unwrap();
        assert_eq!(
            items[1],
            json!({"Bucket": "amzn-s3-demo-source-bucket", "Key": "csvDataset/titles.csv", "Size": "3399671", "LastModifiedDate": "2022-11-16T00:29:32.000Z"})
        );
        assert_eq!(items[0]["Key"], json!("csvDataset/"));
        assert_eq!(items[2]["Key"], json!("odd/a b+c~*%.csv"));
        let fields: Vec<&str> = items[1].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, ["Bucket", "Key", "Size", "LastModifiedDate"]);
        assert!(items.iter().all(|i| i.as_object().unwrap().values().all(Value::is_string)));
        // The older form InputType MANIFEST reads the same items.
        let old = read_all(&get_object(&manifest, json!({"InputType": "MANIFEST"})), &store, 2, &ReaderOptions::new()).await.unwrap();
        assert_eq!(old, items);
    });
}

#[test]
fn max_items_caps_every_source() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::memory("b");
        put(&store, "x.jsonl", "1\n2\n3\n4\n5\n").await;
        let spec = get_object("x.jsonl", json!({"InputType": "JSONL", "MaxItems": 3}));
        assert_eq!(
            read_all(&spec, &store, 2, &ReaderOptions::new())
                .await
                .unwrap(),
            vec![json!(1), json!(2), json!(3)]
        );
        assert_eq!(
            read_with_crashes(&spec, &store, 1, 1, &ReaderOptions::new())
                .await
                .unwrap(),
            vec![json!(1), json!(2), json!(3)]
        );
        let unlimited = get_object("x.jsonl", json!({"InputType": "JSONL", "MaxItems": 0}));
        assert_eq!(
            read_all(&unlimited, &store, 10, &ReaderOptions::new())
                .await
                .unwrap()
                .len(),
            5
        );
    });
}
