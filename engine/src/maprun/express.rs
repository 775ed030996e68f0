//! EXPRESS children: their transitions are not recorded. What is:
//!
//! - **Inputs**, once per dispatch: one record on the run's inputs stream
//!   (child index [`INPUTS_INDEX`](super::ids::INPUTS_INDEX)) with the first
//!   child index and every input of the dispatch, in the dispatch commit.
//! - **Outcomes**, batched: when a child ends, its run writes one record at
//!   Seq 1 of the child's stream — a `Start` input with two events,
//!   `ExecutionStarted` and the terminal event — so reading results,
//!   describing the child and exporting work as for STANDARD children.
//!   All outcomes that arrived together go in one commit.
//!
//! After a crash, children without an outcome record run again from their
//! recorded input (at-least-once, as Step Functions' EXPRESS children).

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use shoal_storage::{EventLog, RecordKind, Seq, StreamId};

use super::ids::{child_id, INPUTS_INDEX};
use crate::api::EngineError;
use crate::history::{EventDetails, EventId, ExecutionId, HistoryEvent, HistoryEventType as T};
use crate::interpreter::{Completion, Input, StampedInput};
use crate::store::{self, StoreError, TransitionRecord};

/// Record kind of an inputs record.
pub const INPUTS_KIND: RecordKind = RecordKind(20);

/// One dispatch's inputs.
#[derive(Debug, Serialize, Deserialize)]
struct Inputs {
    first: u64,
    inputs: Vec<String>,
}

/// What an EXPRESS child is, for its outcome record.
pub(crate) struct ChildFacts<'a> {
    pub id: ExecutionId,
    pub definition_hash: &'a str,
    pub state_machine: &'a str,
    pub input_json: String,
    pub started_ms: i64,
}

/// The stream of run `run`'s inputs records.
pub(crate) fn inputs_stream(run: u64) -> StreamId {
    StreamId(child_id(run, INPUTS_INDEX).0)
}

/// Encodes one dispatch's inputs record.
pub(crate) fn inputs_record(first: u64, inputs: Vec<String>) -> Vec<u8> {
    let mut out = vec![1u8];
    if let Ok(body) = serde_json::to_vec(&Inputs { first, inputs }) {
        out.extend_from_slice(&body);
    }
    out
}

/// Inputs found by [`read_inputs`], and the (seq, end) ranges read.
type FoundInputs = (HashMap<u64, String>, VecDeque<(u64, u64)>);

/// The recorded inputs of the children `wanted` (child indexes), reading
/// the inputs records from seq `floor` on, with the range of each record.
pub(crate) fn read_inputs(
    log: &dyn EventLog,
    run: u64,
    floor: u64,
    wanted: &[u64],
) -> Result<FoundInputs, EngineError> {
    let mut found = HashMap::with_capacity(wanted.len());
    let mut ranges = VecDeque::new();
    let wanted: HashSet<u64> = wanted.iter().copied().collect();
    let Some(&low) = wanted.iter().min() else {
        return Ok((found, ranges));
    };
    let stream = inputs_stream(run);
    let mut next = floor;
    loop {
        let page = log
            .read_stream(stream, Seq(next), 256)
            .map_err(|e| EngineError::log("reading EXPRESS inputs", e))?;
        let count = page.len();
        for record in page {
            next = record.seq.0 + 1;
            let body = record.payload.get(1..).unwrap_or_default();
            let inputs: Inputs = serde_json::from_slice(body).map_err(|e| {
                EngineError::store(
                    "reading EXPRESS inputs",
                    StoreError::Corrupt {
                        what: "EXPRESS inputs record",
                        location: format!("{stream} {}", record.seq),
                        detail: e.to_string(),
                    },
                )
            })?;
            let end = inputs.first + inputs.inputs.len() as u64;
            ranges.push_back((record.seq.0, end));
            if end <= low {
                continue;
            }
            for (offset, input) in inputs.inputs.into_iter().enumerate() {
                let index = inputs.first + offset as u64;
                if wanted.contains(&index) {
                    found.insert(index, input);
                }
            }
        }
        if count < 256 {
            return Ok((found, ranges));
        }
    }
}

/// The outcome record of an EXPRESS child that ended with `completion`
/// at `now_ms`.
pub(crate) fn outcome_record(
    facts: ChildFacts<'_>,
    completion: &Completion,
    now_ms: i64,
) -> Vec<u8> {
    let started = HistoryEvent {
        id: EventId(1),
        previous_event_id: EventId(0),
        timestamp_ms: facts.started_ms,
        kind: T::ExecutionStarted,
        scope: Vec::new(),
        details: EventDetails {
            name: Some(facts.id.to_string()),
            input: Some(facts.input_json.clone()),
            ..EventDetails::default()
        },
    };
    let (kind, details) = match completion {
        Completion::Succeeded(output) => (
            T::ExecutionSucceeded,
            EventDetails {
                output: Some(output.to_string()),
                ..EventDetails::default()
            },
        ),
        Completion::Failed { error, cause } => (T::ExecutionFailed, failure(error, cause)),
        Completion::Aborted { error, cause } => (T::ExecutionAborted, failure(error, cause)),
        Completion::TimedOut => (
            T::ExecutionTimedOut,
            failure(crate::asl::error::TIMEOUT, "execution timed out"),
        ),
    };
    let ended = HistoryEvent {
        id: EventId(2),
        previous_event_id: EventId(1),
        timestamp_ms: now_ms,
        kind,
        scope: Vec::new(),
        details,
    };
    let record = TransitionRecord {
        input: StampedInput {
            timestamp_ms: facts.started_ms,
            seed: 0,
            input: Input::Start {
                execution: facts.id,
                name: facts.id.to_string(),
                definition_hash: facts.definition_hash.to_string(),
                state_machine: facts.state_machine.to_string(),
                input_json: facts.input_json,
            },
        },
        events: vec![started, ended],
    };
    // A record of strings and integers always encodes.
    store::encode_transition(&record).unwrap_or_default()
}

fn failure(error: &str, cause: &str) -> EventDetails {
    EventDetails {
        error: Some(error.to_string()),
        cause: Some(cause.to_string()),
        ..EventDetails::default()
    }
}
