//! The soak's workload: a STANDARD and an EXPRESS Distributed Map over
//! JSONL files (Retry on `shoal:fail-at-rate`, a Wait, a Catch, tolerated
//! failures, a ResultWriter each: one to a local `file://` store, one to
//! the S3 test server when its environment is set) and a few plain
//! executions, with an outcome per item that does not depend on ids,
//! attempts or crashes, so the checker knows what the end must be.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use shoal_engine::maprun::MapRunOptions;
use shoal_engine::task::{HandlerRegistry, TaskError};
use shoal_engine::{Engine, ExecutionId, ExecutionStatus};
use shoal_readers::{S3Options, StoreRegistry};
use shoal_storage::EventLog;

use crate::crash_support::ScaledClock;

/// Speed-up of engine time: a 1 s Wait or retry interval lasts 1 ms.
pub const CLOCK_SCALE: i64 = 1000;
/// Engine time at the soak's epoch (2024-01-01).
const CLOCK_BASE_MS: i64 = 1_704_067_200_000;
/// Inputs of the plain (non-map) executions.
pub const PLAIN_INPUTS: [u64; 5] = [1, 3, 7, 100, 5];
/// The S3 bucket scripts/s3-server.sh creates for tests.
pub const S3_BUCKET: &str = "shoal-test";

/// What one process of the soak needs to know.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Items in each map run.
    pub items: u64,
    /// Real time the scaled clock counts from (the same in every process).
    pub epoch_ms: i64,
    /// Key prefix on the S3 server for this cycle, when S3 is used.
    pub s3_prefix: Option<String>,
}

impl Setup {
    /// The store the EXPRESS map's ResultWriter writes to.
    pub fn express_bucket(&self) -> &'static str {
        if self.s3_prefix.is_some() {
            "s3out"
        } else {
            "out"
        }
    }
}

/// The item processor both maps share; `execution_type` STANDARD or EXPRESS.
fn processor(execution_type: &str) -> Value {
    let retry = json!([{"ErrorEquals": ["shoal.InjectedFailure"], "IntervalSeconds": 1,
                        "MaxAttempts": 20, "BackoffRate": 1.0}]);
    json!({
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": "Flaky",
        "States": {
            "Flaky": {"Type": "Task", "Resource": "shoal:fail-at-rate",
                      "Parameters": {"Rate": 0.3, "PerAttempt": true, "v.$": "$.v"},
                      "ResultSelector": {"v.$": "$.v"}, "Retry": retry, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Judge"},
            "Judge": {"Type": "Task", "Resource": "judge", "End": true,
                      "Catch": [{"ErrorEquals": ["Item.Bad"], "ResultPath": "$.error", "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "Parameters": {"v.$": "$.v", "caught": true}, "End": true}
        }
    })
}

fn map_machine(setup: &Setup, express: bool) -> Value {
    let (key, bucket, tolerance) = if express {
        let count = setup.items / 10 + 5;
        (
            "express.jsonl",
            setup.express_bucket(),
            json!({"ToleratedFailureCount": count}),
        )
    } else {
        (
            "standard.jsonl",
            "out",
            json!({"ToleratedFailurePercentage": 15}),
        )
    };
    let mut map = json!({
        "Type": "Map",
        "MaxConcurrency": 40,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "JSONL"},
                       "Parameters": {"Bucket": "data", "Key": key}},
        "ItemProcessor": processor(if express { "EXPRESS" } else { "STANDARD" }),
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": bucket, "Prefix": if express { "express" } else { "standard" }}},
        "End": true
    });
    for (field, value) in tolerance.as_object().expect("an object literal") {
        map[field] = value.clone();
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

fn plain_machine() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "shoal:fail-at-rate",
              "Parameters": {"Rate": 0.5, "PerAttempt": true, "v.$": "$.v"},
              "ResultSelector": {"v.$": "$.v"},
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 30, "BackoffRate": 1.0}],
              "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 3, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericGreaterThanEquals": 100, "Next": "Big"}],
              "Default": "J"},
        "Big": {"Type": "Pass", "Parameters": {"v.$": "$.v", "big": true}, "End": true},
        "J": {"Type": "Task", "Resource": "judge", "End": true,
              "Catch": [{"ErrorEquals": ["Item.Bad"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "Parameters": {"v.$": "$.v", "caught": true}, "End": true}
    }})
}

/// The outcome item (or plain input) `v` must end with: the output, or
/// the error of a failed child.
pub fn expected(v: u64) -> Result<Value, &'static str> {
    match v % 10 {
        _ if v >= 100 => Ok(json!({"v": v, "big": true})),
        3 => Ok(json!({"v": v, "caught": true})),
        7 => Err("Item.Worse"),
        _ => Ok(json!({"v": v, "sq": v * v})),
    }
}

fn handlers() -> HandlerRegistry {
    let mut handlers = HandlerRegistry::with_builtins();
    handlers.register_async("judge", |input, _context| async move {
        let v = input["v"].as_u64().unwrap_or(u64::MAX);
        match expected(v) {
            Ok(_) if v % 10 == 3 => Err(TaskError::new("Item.Bad", format!("item {v} is bad"))),
            Ok(output) => Ok(output),
            Err(error) => Err(TaskError::new(error, format!("item {v} is worse"))),
        }
    });
    handlers
}

/// Writes the item files into `<dir>/data` and creates `<dir>/out`.
pub fn prepare(dir: &Path, items: u64) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::create_dir_all(dir.join("out")).expect("out dir");
    let lines: String = (0..items).map(|v| format!("{{\"v\":{v}}}\n")).collect();
    std::fs::write(data.join("standard.jsonl"), &lines).expect("items file");
    std::fs::write(data.join("express.jsonl"), &lines).expect("items file");
}

/// The stores the workload names: `data`, `out` and (with S3) `s3out`.
pub fn stores(dir: &Path, setup: &Setup) -> StoreRegistry {
    let mut stores = StoreRegistry::new();
    let s3 = S3Options::new().with_retry(3, std::time::Duration::from_secs(10));
    for (name, sub) in [("data", "data"), ("out", "out")] {
        let url = format!("file://{}", dir.join(sub).display());
        stores
            .register_url(name, &url, &s3)
            .expect("local store opens");
    }
    if let Some(prefix) = &setup.s3_prefix {
        let url = format!("s3://{S3_BUCKET}/{prefix}");
        stores
            .register_url("s3out", &url, &s3)
            .expect("S3 store builds from the AWS_* environment");
    }
    stores
}

/// Opens an engine on `log` with the workload's handlers, clock and stores.
pub async fn open_engine(log: Arc<dyn EventLog>, dir: &Path, setup: &Setup) -> Engine {
    let clock = ScaledClock {
        base_ms: CLOCK_BASE_MS,
        epoch_ms: setup.epoch_ms,
        scale: CLOCK_SCALE,
    };
    Engine::builder(log)
        .handlers(handlers())
        .clock(clock)
        .map_run_options(MapRunOptions::new().with_stores(stores(dir, setup)))
        .build()
        .await
        .expect("engine opens")
}

/// Registers the machines and starts (idempotently, by name) every
/// execution; `ready` runs once registration is durable.
pub async fn start_all(
    engine: &Engine,
    setup: &Setup,
    ready: impl FnOnce(),
) -> Vec<(String, ExecutionId)> {
    let machines = [
        ("standard-map", map_machine(setup, false)),
        ("express-map", map_machine(setup, true)),
        ("plain", plain_machine()),
    ];
    for (name, definition) in machines {
        engine
            .register_state_machine(name, &definition.to_string())
            .await
            .expect("valid definition");
    }
    ready();
    let mut starts = vec![
        ("standard-map".to_owned(), "standard-map", json!({})),
        ("express-map".to_owned(), "express-map", json!({})),
    ];
    for v in PLAIN_INPUTS {
        starts.push((format!("plain-{v}"), "plain", json!({"v": v})));
    }
    let mut ids = Vec::new();
    for (name, machine, input) in starts {
        let id = engine
            .start_execution(machine, Some(&name), input)
            .await
            .expect("start is idempotent");
        ids.push((name, id));
    }
    ids
}

/// Each execution's id, status, and output (or `{"Error", "Cause"}`), by name.
pub type Outcomes = BTreeMap<String, (ExecutionId, ExecutionStatus, Value)>;

/// Waits for every execution in `ids`.
pub async fn wait_all(engine: &Engine, ids: Vec<(String, ExecutionId)>) -> Outcomes {
    let mut out = BTreeMap::new();
    for (name, id) in ids {
        let done = engine.wait_for_completion(id).await.expect("completes");
        let result = match done.output {
            Some(output) => output,
            None => json!({"Error": done.error, "Cause": done.cause}),
        };
        out.insert(name, (id, done.status, result));
    }
    out
}
