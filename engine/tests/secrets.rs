//! Credentials never reach the log, the history, errors or traces
//! (docs/RELIABILITY.md, "Security").
//!
//! A Distributed Map reads a JSONL file from the real S3 test server with its
//! real secret, then another reads with a distinctive wrong secret and a
//! session token from a bucket that does not exist (an error path). Everything is captured at TRACE level (the
//! engine's, object_store's and the HTTP client's events, `log` records
//! included) into a buffer; afterwards every file of the sled data
//! directory, the captured output, every history event and every error
//! string is searched for the secrets. Its own test binary: the subscriber is
//! process-global.

#![allow(clippy::unwrap_used)]

mod maprun_support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use maprun_support::{handlers, map_definition};
use parking_lot::Mutex;
use serde_json::json;
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::runtime::TokioClock;
use shoal_engine::{Engine, ExecutionStatus};
use shoal_readers::{S3Options, StoreRegistry};
use shoal_storage::{EventLog, SledLog, SledLogOptions};

const WRONG_SECRET: &str = "wr0ng-S3CRET-never-in-any-output-7f3a";
const SESSION_TOKEN: &str = "sess10n-T0KEN-never-in-any-output-91c4";

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn s3_env() -> Option<(String, String)> {
    let Ok(secret) = std::env::var("AWS_SECRET_ACCESS_KEY") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the S3 test server's env is not"
        );
        eprintln!("SKIPPED (no S3 server): start scripts/s3-server.sh and source its env file");
        return None;
    };
    let key_id = std::env::var("AWS_ACCESS_KEY_ID").unwrap();
    Some((key_id, secret))
}

/// Every file under `dir`, recursively, as bytes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                out.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn registry(name: &str, url: &str, options: &S3Options) -> StoreRegistry {
    let mut stores = StoreRegistry::new();
    stores.register_url(name, url, options).unwrap();
    stores
}

#[test]
fn no_secret_reaches_the_log_history_errors_or_traces() {
    let Some((key_id, secret)) = s3_env() else {
        return;
    };
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut texts: Vec<String> = Vec::new();
    runtime.block_on(async {
        let real = S3Options::new().with_retry(1, Duration::from_secs(20));
        let wrong = S3Options::new()
            .with_credentials(key_id.clone(), WRONG_SECRET)
            .with_session_token(SESSION_TOKEN)
            .with_retry(1, Duration::from_secs(20));
        let key = format!("secrets-{}/items.jsonl", std::process::id());
        let upload = registry("up", "s3://shoal-test", &real)
            .resolve("up")
            .unwrap();
        let lines: String = (0..20).map(|i| format!("{{\"v\":{i}}}\n")).collect();
        upload.put(&key, Bytes::from(lines)).await.unwrap();

        let mut stores = registry("good", "s3://shoal-test", &real);
        // moto accepts any secret, RGW refuses it: a bucket that does not
        // exist makes the error path fail on both.
        let bad = registry("bad", "s3://shoal-no-such-bucket", &wrong);
        stores.insert("bad", bad.resolve("bad").unwrap());
        texts.push(format!("{stores:?} {real:?} {wrong:?}"));
        let log: Arc<dyn EventLog> =
            Arc::new(SledLog::open(data.path(), SledLogOptions::default()).unwrap());
        let (handlers, _) = handlers();
        let engine = Engine::builder(log)
            .handlers(handlers)
            .clock(TokioClock::starting_at(1_700_000_000_000))
            .map_run_options(MapRunOptions::new().with_stores(stores))
            .build()
            .await
            .unwrap();
        let definition = |bucket: &str| {
            map_definition(json!({"ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSONL"},
                "Parameters": {"Bucket": bucket, "Key": key}
            }}))
        };
        for (bucket, status) in [
            ("good", ExecutionStatus::Succeeded),
            ("bad", ExecutionStatus::Failed),
        ] {
            engine
                .register_state_machine(bucket, &definition(bucket).to_string())
                .await
                .unwrap();
            let id = engine
                .start_execution(bucket, None, json!({}))
                .await
                .unwrap();
            let done = engine.wait_for_completion(id).await.unwrap();
            assert_eq!(done.status, status, "{done:?}");
            texts.push(format!("{done:?}"));
            for event in engine.get_execution_history(id, 0, usize::MAX).unwrap() {
                texts.push(serde_json::to_string(&event).unwrap());
            }
            for arn in engine.list_map_runs(id).unwrap() {
                texts.push(format!("{:?}", engine.describe_map_run(&arn).unwrap()));
            }
            if status == ExecutionStatus::Failed {
                assert_eq!(done.error.as_deref(), Some("States.ItemReaderFailed"));
                assert!(
                    done.cause
                        .as_deref()
                        .unwrap()
                        .contains(&format!("bad:{key}")),
                    "{done:?}"
                );
            }
        }
        let err = engine.describe_map_run("no such run").unwrap_err();
        texts.push(format!("{err} {err:?}"));
        engine.shutdown().await;
    });
    drop(runtime);
    let captured = capture.0.lock().clone();
    assert!(!captured.is_empty(), "the subscriber captured nothing");
    assert!(
        contains(&captured, "shoal_engine")
            || contains(&captured, "object_store")
            || contains(&captured, "reqwest")
            || contains(&captured, "hyper"),
        "the capture holds no library events"
    );
    let files = files_under(data.path());
    assert!(!files.is_empty());
    for needle in [secret.as_str(), WRONG_SECRET, SESSION_TOKEN] {
        assert!(
            !contains(&captured, needle),
            "captured traces hold a secret"
        );
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, needle),
                "{} holds a secret",
                path.display()
            );
        }
        for text in &texts {
            assert!(!text.contains(needle), "{text}");
        }
    }
    println!(
        "searched {} bytes of traces, {} data files ({} bytes), {} strings: no secret",
        captured.len(),
        files.len(),
        files.iter().map(|(_, b)| b.len()).sum::<usize>(),
        texts.len()
    );
}
