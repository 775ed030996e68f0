//! The log checker, run on the data directory after every kill (and at the
//! end): every acknowledged record present and unchanged, every stream a
//! gap-free `1..=n`, everything read at an earlier reopen unchanged now,
//! and each batch in flight at the kill either wholly present or wholly
//! absent. It also tells which phase of the workload the kill hit, from
//! what the log (and the result stores) show.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use shoal_engine::maprun::{decode_row, MapRunRow, MapRunStatus, MAP_RUNS};
use shoal_engine::store::keys::{parse_execution_key, EXECUTIONS};
use shoal_engine::ExecutionStatus;
use shoal_readers::StoreRegistry;
use shoal_storage::{EventLog, Seq, StreamId};

use crate::tap::{digest, AckFile, BatchRecords};

/// What one reopen found about the batches in flight at the kill.
#[derive(Debug, Default, Clone, Copy)]
pub struct InFlight {
    /// Batches queued and not acknowledged when the child died.
    pub batches: usize,
    /// Of those, the ones found durable after reopen.
    pub durable: usize,
}

/// The checker's memory across the reopens of one cycle.
#[derive(Default)]
pub struct LogChecker {
    /// Every record read at an earlier reopen: `(stream, seq) -> digest`.
    seen: BatchRecords,
    /// Every acknowledged record so far.
    acknowledged: BatchRecords,
    /// Every stream ever queued.
    streams: BTreeSet<u64>,
}

impl LogChecker {
    /// Acknowledged records checked so far (unique).
    pub fn acknowledged(&self) -> usize {
        self.acknowledged.len()
    }

    /// Adds what one child process's side file says.
    pub fn absorb(&mut self, acks: &AckFile) {
        for records in acks.queued.values() {
            self.streams
                .extend(records.keys().map(|(stream, _)| *stream));
        }
        self.acknowledged.extend(acks.acknowledged());
    }

    /// Checks the log after a kill (or at the end); `last` is the side file
    /// of the process just killed. Panics naming the cycle on a violation.
    pub fn check(&mut self, log: &dyn EventLog, last: Option<&AckFile>, cycle: usize) -> InFlight {
        let mut now = BatchRecords::new();
        for stream in &self.streams {
            let records = log
                .read_stream(StreamId(*stream), Seq(0), usize::MAX)
                .unwrap_or_else(|e| panic!("cycle {cycle}: reading stream {stream}: {e}"));
            for (index, record) in records.iter().enumerate() {
                assert_eq!(
                    record.seq.0,
                    index as u64 + 1,
                    "cycle {cycle}: stream {stream} has a gap or a repeat before seq {}",
                    record.seq.0
                );
                now.insert(
                    (*stream, record.seq.0),
                    digest(record.kind, &record.payload),
                );
            }
        }
        for (key, wanted) in &self.acknowledged {
            match now.get(key) {
                None => panic!(
                    "cycle {cycle}: LOST acknowledged record stream {} seq {}",
                    key.0, key.1
                ),
                Some(found) => assert_eq!(
                    found, wanted,
                    "cycle {cycle}: CHANGED acknowledged record stream {} seq {}",
                    key.0, key.1
                ),
            }
        }
        for (key, before) in &self.seen {
            assert_eq!(
                now.get(key),
                Some(before),
                "cycle {cycle}: record stream {} seq {} read at an earlier reopen is gone or changed",
                key.0,
                key.1
            );
        }
        let mut in_flight = InFlight::default();
        for batch in last.map(AckFile::in_flight).into_iter().flatten() {
            in_flight.batches += 1;
            let present = batch
                .iter()
                .filter(|(key, hash)| now.get(key) == Some(hash))
                .count();
            assert!(
                present == 0 || present == batch.len(),
                "cycle {cycle}: a batch in flight at the kill is half present ({present} of {} records)",
                batch.len()
            );
            if present > 0 {
                in_flight.durable += 1;
            }
        }
        self.seen = now;
        in_flight
    }
}

/// The label of a kill after which every execution had ended.
pub const ALL_ENDED: &str = "everything ended";

/// What a map run was doing when the child died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunPhase {
    /// No row yet.
    NotStarted,
    /// The reader has more items: dispatching read batches.
    ReaderBatches,
    /// Every item read; children running (or all ended, export not begun).
    Children,
    /// Children ended and result files exist, the run is not yet recorded
    /// as ended: writing results (or just about to commit the end).
    ResultWriting,
    /// Ended.
    Ended,
}

/// The phase of each map run and of the plain executions at a kill.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Map runs by state machine name (`standard-map`, `express-map`).
    pub runs: BTreeMap<&'static str, RunPhase>,
    /// Top-level executions started / still running.
    pub executions: (usize, usize),
}

impl Phase {
    /// One label for the distribution: the most interesting thing going on.
    pub fn label(&self) -> &'static str {
        let any = |phase| self.runs.values().any(|p| *p == phase);
        if any(RunPhase::ResultWriting) {
            "result writing"
        } else if any(RunPhase::ReaderBatches) {
            "reader batches / dispatch"
        } else if any(RunPhase::Children) {
            "children running"
        } else if self.executions.0 < 7 {
            "start-up (executions not all started)"
        } else if self.executions.1 > 0 {
            "plain executions only"
        } else {
            ALL_ENDED
        }
    }
}

/// Reads the phase from the log and the result stores.
pub async fn phase(
    log: &dyn EventLog,
    stores: &StoreRegistry,
    setup: &crate::workload::Setup,
) -> Phase {
    let rows = log
        .scan_rows(EXECUTIONS, &[], None, usize::MAX)
        .expect("index scan");
    let started = rows.len();
    let running = rows
        .iter()
        .filter_map(|(key, _)| parse_execution_key(key))
        .filter(|(status, _)| *status == ExecutionStatus::Running)
        .count();
    let mut runs = BTreeMap::from([
        ("standard-map", RunPhase::NotStarted),
        ("express-map", RunPhase::NotStarted),
    ]);
    for (_, value) in log
        .scan_rows(MAP_RUNS, &[], None, usize::MAX)
        .expect("map run scan")
    {
        let row = decode_row(&value, "soak").expect("map run row decodes");
        let (name, bucket, prefix) = if row.express {
            ("express-map", setup.express_bucket(), "express")
        } else {
            ("standard-map", "out", "standard")
        };
        let phase = run_phase(&row, stores, bucket, prefix).await;
        runs.insert(name, phase);
    }
    Phase {
        runs,
        executions: (started, running),
    }
}

async fn run_phase(
    row: &MapRunRow,
    stores: &StoreRegistry,
    bucket: &str,
    prefix: &str,
) -> RunPhase {
    if row.status != MapRunStatus::Running {
        return RunPhase::Ended;
    }
    if !row.exhausted {
        return RunPhase::ReaderBatches;
    }
    let run_id = row.arn.rsplit(':').next().unwrap_or("run");
    let store = stores.resolve(bucket).expect("store registered");
    let mut written = false;
    for group in ["SUCCEEDED", "FAILED", "manifest"] {
        let key = match group {
            "manifest" => format!("{prefix}/{run_id}/manifest.json"),
            _ => format!("{prefix}/{run_id}/{group}_0.json"),
        };
        written |= store.head(&key).await.is_ok();
    }
    if written {
        RunPhase::ResultWriting
    } else {
        RunPhase::Children
    }
}

/// Counts kills by label, for the report.
#[derive(Debug, Default)]
pub struct Distribution {
    /// Kills by how they were timed.
    pub by_timing: BTreeMap<&'static str, usize>,
    /// Kills by phase label.
    pub by_label: BTreeMap<&'static str, usize>,
    /// Kills by (map, run phase).
    pub by_run: BTreeMap<(&'static str, RunPhase), usize>,
    /// Kills with at least one commit in flight; of those, with a durable
    /// but unacknowledged batch.
    pub commit_in_flight: (usize, usize),
    /// Batches in flight at kills, and the durable ones among them.
    pub batches_in_flight: (usize, usize),
}

impl Distribution {
    /// Adds one kill.
    pub fn add(&mut self, timing: &'static str, phase: &Phase, in_flight: InFlight) {
        *self.by_timing.entry(timing).or_default() += 1;
        *self.by_label.entry(phase.label()).or_default() += 1;
        for (name, run) in &phase.runs {
            *self.by_run.entry((name, *run)).or_default() += 1;
        }
        if in_flight.batches > 0 {
            self.commit_in_flight.0 += 1;
            if in_flight.durable > 0 {
                self.commit_in_flight.1 += 1;
            }
        }
        self.batches_in_flight.0 += in_flight.batches;
        self.batches_in_flight.1 += in_flight.durable;
    }

    /// Prints the distribution to stderr.
    pub fn print(&self, kills: usize) {
        eprintln!("soak: kill timing ({kills} kills):");
        for (timing, count) in &self.by_timing {
            eprintln!("soak:   {count:>6}  {timing}");
        }
        eprintln!("soak: kill phases, from the log and result stores after reopen:");
        for (label, count) in &self.by_label {
            eprintln!("soak:   {count:>6}  {label}");
        }
        for ((name, run), count) in &self.by_run {
            eprintln!("soak:   {count:>6}  {name} {run:?}");
        }
        eprintln!(
            "soak:   {:>6}  kills with a log commit in flight ({} with a durable, unacknowledged batch); {} batches in flight, {} of them durable",
            self.commit_in_flight.0, self.commit_in_flight.1, self.batches_in_flight.0, self.batches_in_flight.1
        );
    }
}

/// Opens the data directory's log outside the engine (no recovery runs).
pub fn open_log(dir: &Path) -> std::sync::Arc<shoal_storage::SledLog> {
    std::sync::Arc::new(
        shoal_storage::SledLog::open(dir.join("log"), shoal_storage::SledLogOptions::new())
            .expect("the log reopens after a kill"),
    )
}
