//! Writes the `record_decode` seeds that the fuzzer could not easily build
//! itself: real transition payloads, index rows and map-run rows, taken from
//! an engine that ran a small state machine (with an inline Map) on the
//! in-memory log, plus their framed forms (addressed record, row value with
//! checksum). Run from `fuzz/`: `cargo run --example record_seeds`.

use std::sync::Arc;

use shoal_engine::Engine;
use shoal_storage::codec::{encode_addressed_record, encode_row_value};
use shoal_storage::{EventLog, Keyspace, MemoryLog, Seq, StreamId};

const DEFINITION: &str = r#"{"StartAt": "P", "States": {
  "P": {"Type": "Pass", "Parameters": {"list.$": "$.items", "n": 1}, "Next": "M"},
  "M": {"Type": "Map", "ItemsPath": "$.list", "ItemProcessor": {"StartAt": "I",
        "States": {"I": {"Type": "Pass", "End": true}}}, "ResultPath": "$.out", "Next": "F"},
  "F": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "S"}],
        "Default": "X"},
  "S": {"Type": "Succeed"},
  "X": {"Type": "Fail", "Error": "E", "Cause": "c"}}}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/record_decode");
    std::fs::create_dir_all(&out)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let log = Arc::new(MemoryLog::new());
    let id = runtime.block_on(async {
        let engine = Engine::builder(log.clone()).build().await?;
        engine.register_state_machine("seeds", DEFINITION).await?;
        let input = serde_json::json!({"items": [1, "two", {"three": 3}]});
        let id = engine
            .start_execution("seeds", Some("run-1"), input)
            .await?;
        engine.wait_for_completion(id).await?;
        engine.shutdown().await;
        Ok::<_, Box<dyn std::error::Error>>(id)
    })?;
    let mut written = 0;
    for stream in [id.0] {
        for record in log.read_stream(StreamId(stream), Seq(1), 100)? {
            std::fs::write(
                out.join(format!("payload-{stream}-{}", record.seq.0)),
                &record.payload,
            )?;
            let mut framed = Vec::new();
            encode_addressed_record(&mut framed, &record);
            std::fs::write(
                out.join(format!("addressed-{stream}-{}", record.seq.0)),
                framed,
            )?;
            written += 2;
        }
    }
    for space in 0..=255u8 {
        for (index, (key, value)) in log
            .scan_rows(Keyspace(space), b"", None, 8)?
            .iter()
            .enumerate()
        {
            std::fs::write(out.join(format!("row-{space}-{index}")), value)?;
            let stored = encode_row_value(Keyspace(space), key, value);
            std::fs::write(out.join(format!("rowvalue-{space}-{index}")), stored)?;
            written += 2;
        }
    }
    println!("wrote {written} seeds to {}", out.display());
    Ok(())
}
