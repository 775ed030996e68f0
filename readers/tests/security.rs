//! Local-file stores cannot be escaped, symlinks included (docs/RELIABILITY.md, "Security").
//! `stores.rs` covers `..`, absolute keys and one symlink to a file and to a directory; this
//! module covers the rest: symlinked parents at any depth, relative links, links that stay
//! inside, writes of new nested keys, listings, a symlink loop, and a root that is a link.

use std::os::unix::fs::symlink;
use std::path::Path;

use bytes::Bytes;
use serde_json::json;
use shoal_readers::{ReaderError, ReaderOptions, Store, StoreError};

use crate::common::*;

struct Tree {
    outside: tempfile::TempDir,
    root: tempfile::TempDir,
    store: Store,
}

/// `outside/{secret.jsonl, sub/secret.jsonl}` and a root with `ok.jsonl`, `inner/ok.jsonl` and
/// links: `up` → outside (absolute), `rel` → `../<outside>/secret.jsonl` (relative),
/// `deep/link` → outside/sub, `same` → `inner` (stays inside).
fn tree() -> Tree {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(outside.path().join("sub")).unwrap();
    for file in ["secret.jsonl", "sub/secret.jsonl"] {
        std::fs::write(outside.path().join(file), "{\"leak\":1}\n").unwrap();
    }
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("inner")).unwrap();
    std::fs::create_dir_all(r.join("deep")).unwrap();
    std::fs::write(r.join("ok.jsonl"), "{\"ok\":1}\n").unwrap();
    std::fs::write(r.join("inner/ok.jsonl"), "{\"ok\":2}\n").unwrap();
    symlink(outside.path(), r.join("up")).unwrap();
    let outside_name = outside.path().file_name().unwrap();
    symlink(
        Path::new("..").join(outside_name).join("secret.jsonl"),
        r.join("rel"),
    )
    .unwrap();
    symlink(outside.path().join("sub"), r.join("deep/link")).unwrap();
    symlink(r.join("inner"), r.join("same")).unwrap();
    let store = Store::local("local", r).unwrap();
    Tree {
        outside,
        root,
        store,
    }
}

fn jsonl(key: &str) -> shoal_readers::ReaderSpec {
    get_object(key, json!({"InputType": "JSONL"}))
}

#[test]
fn symlinked_parents_and_relative_links_cannot_be_read_through() {
    let t = tree();
    assert_eq!(
        t.outside.path().parent(),
        t.root.path().parent(),
        "the relative link needs both under one temp dir"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for key in [
        "up/secret.jsonl",
        "up/sub/secret.jsonl",
        "rel",
        "deep/link/secret.jsonl",
        "up",
        "deep/link",
    ] {
        let err = t.store.path(key).unwrap_err();
        assert!(matches!(err, StoreError::Escapes { .. }), "{key}: {err}");
        assert_eq!(
            err.to_string(),
            format!("key {key:?} escapes the root of local store local")
        );
        let err = runtime
            .block_on(read_all(&jsonl(key), &t.store, 10, &ReaderOptions::new()))
            .unwrap_err();
        assert!(
            matches!(err, ReaderError::Registry(StoreError::Escapes { .. })),
            "{key}: {err}"
        );
    }
    // A link that stays inside the root is followed.
    let items = runtime
        .block_on(read_all(
            &jsonl("same/ok.jsonl"),
            &t.store,
            10,
            &ReaderOptions::new(),
        ))
        .unwrap();
    assert_eq!(items, vec![json!({"ok": 2})]);
    // A link to itself is an I/O error naming the object, not an escape or a hang.
    symlink(t.root.path().join("loop"), t.root.path().join("loop")).unwrap();
    let err = runtime
        .block_on(read_all(
            &jsonl("loop"),
            &t.store,
            10,
            &ReaderOptions::new(),
        ))
        .unwrap_err();
    assert!(matches!(err, ReaderError::Store { .. }), "{err}");
    assert!(err.to_string().contains("local:loop"), "{err}");
}

#[test]
fn writes_of_new_nested_keys_under_a_symlinked_parent_are_refused() {
    let t = tree();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        for key in ["up/new.json", "up/a/b/c/new.json", "deep/link/x/y.json"] {
            let err = t.store.put(key, Bytes::from("{}")).await.unwrap_err();
            assert!(err.to_string().contains("escapes the root"), "{key}: {err}");
        }
        // Nothing was created outside.
        assert!(!t.outside.path().join("new.json").exists());
        assert!(!t.outside.path().join("a").exists());
        assert!(!t.outside.path().join("sub/x").exists());
        // New nested keys inside the root are fine.
        t.store
            .put("fresh/a/b.json", Bytes::from("{}"))
            .await
            .unwrap();
        assert!(t.root.path().join("fresh/a/b.json").exists());
    });
}

#[test]
fn listings_leave_out_what_links_outside_point_at() {
    let t = tree();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listing = spec(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "local", "Prefix": ""}}),
    );
    let items = runtime
        .block_on(read_all(&listing, &t.store, 10, &ReaderOptions::new()))
        .unwrap();
    let keys: Vec<&str> = items.iter().map(|i| i["Key"].as_str().unwrap()).collect();
    assert!(
        keys.iter()
            .all(|k| !k.starts_with("up") && !k.starts_with("deep") && *k != "rel"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"ok.jsonl") && keys.contains(&"inner/ok.jsonl"),
        "{keys:?}"
    );
    // A symlink loop fails the whole listing (object_store's directory walk), naming the store.
    symlink(t.root.path().join("loop"), t.root.path().join("loop")).unwrap();
    let err = runtime
        .block_on(read_all(&listing, &t.store, 10, &ReaderOptions::new()))
        .unwrap_err();
    assert!(matches!(err, ReaderError::Store { .. }), "{err}");
    assert!(
        err.to_string().starts_with("store error on local:: "),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("Too many levels of symbolic links"),
        "{err}"
    );
}

#[test]
fn a_root_reached_through_a_symlink_is_confined_to_its_target() {
    let t = tree();
    let links = tempfile::tempdir().unwrap();
    symlink(t.root.path(), links.path().join("root")).unwrap();
    let store = Store::local("local", links.path().join("root")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let items = runtime
        .block_on(read_all(
            &jsonl("ok.jsonl"),
            &store,
            10,
            &ReaderOptions::new(),
        ))
        .unwrap();
    assert_eq!(items, vec![json!({"ok": 1})]);
    assert!(matches!(
        store.path("up/secret.jsonl"),
        Err(StoreError::Escapes { .. })
    ));
}
