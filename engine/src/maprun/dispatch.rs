//! Checkpointed dispatch: read a batch of items, build the children's
//! inputs (ItemSelector, ItemBatcher), and in ONE commit record every
//! child's Start plus the map run row with the reader checkpoint after
//! them; only then start the children.
//!
//! Items come from the reader as validated JSON text ([`RawItem`]): without
//! ItemSelector and ItemBatcher an item's text is the child's recorded input
//! as it is (the child parses it once when it starts), so no `Value` is
//! built and rendered again per item here. EXPRESS inputs records keep the
//! compact text of the started child's input, as before.

use std::sync::Arc;

use serde_json::Value;
use shoal_readers::RawItem;
use shoal_storage::{Seq, StreamId, WriteBatch};

use super::coordinator::Run;
use super::express::{inputs_record, inputs_stream, INPUTS_KIND};
use super::ids::child_id;
use super::record::{encode_row, MAP_RUNS};
use super::window::{PENDING, RUNNING};
use crate::api::EngineError;
use crate::asl::dataflow::{apply_template, with_map_item, DataFlowEnv, DataFlowOptions};
use crate::asl::{SeededRandom, StatesError};
use crate::interpreter::{self, Effect, ExecutionState, Input, StampedInput};
use crate::runtime::executions;
use crate::store::{self, TransitionRecord};

/// Children created per dispatch commit at most.
pub const DISPATCH_CHILDREN_MAX: usize = 1024;
/// Items read per dispatch at most when batching has no count limit.
const DISPATCH_ITEMS_MAX: usize = 4096;

/// Batches the log may have queued (not yet durable) before dispatch waits.
pub const QUEUED_BATCHES_MAX: u64 = 4096;
/// How long dispatch waits before looking at the log's queue again.
const BACKPRESSURE_PAUSE: std::time::Duration = std::time::Duration::from_millis(1);

/// A child's input (JSON text) and how many items it carries.
pub(crate) struct ChildInput {
    pub input_json: String,
    pub items: u32,
}

impl Run {
    /// Reads items for up to `slots` children, records them, starts up to
    /// `slots` of them (the rest wait as pending). Returns how many started.
    pub(crate) async fn dispatch(&mut self, slots: usize) -> Result<usize, EngineError> {
        // Back-pressure: while the log's committer is behind, new children
        // wait in the reader rather than as batches in memory.
        while self.shared.log.stats().queued_batches > QUEUED_BATCHES_MAX {
            if *self.shared.stopping.borrow() {
                return Ok(0);
            }
            tokio::time::sleep(BACKPRESSURE_PAUSE).await;
        }
        let Some(reader) = self.reader.as_mut() else {
            return Ok(0);
        };
        let children = slots.clamp(1, DISPATCH_CHILDREN_MAX);
        let want = match &self.spec.batcher {
            None => children,
            Some(b) if b.max_items > 0 => {
                children.saturating_mul(usize::try_from(b.max_items).unwrap_or(usize::MAX))
            }
            Some(_) => DISPATCH_ITEMS_MAX,
        }
        .min(DISPATCH_ITEMS_MAX.max(children));
        let batch = match reader.next_raw_batch(want).await {
            Ok(batch) => batch,
            Err(error) => {
                let (name, cause) = error.step_functions_error();
                self.fail(StatesError::new(name, cause));
                return Ok(0);
            }
        };
        let first_item = self.row.items_read;
        let inputs = match self.child_inputs(first_item, batch.items) {
            Ok(inputs) => inputs,
            Err(error) => {
                self.fail(error);
                return Ok(0);
            }
        };
        let mut log_batch = WriteBatch::new();
        let mut created = Vec::with_capacity(inputs.len());
        let mut express_inputs = Vec::new();
        let mut items_read = first_item;
        let first_child = self.row.next_child;
        for child in inputs {
            let index = first_child + created.len() as u64;
            items_read += u64::from(child.items);
            let started = if self.row.express {
                self.started(index, child.input_json)
                    .map(|(state, effects, record)| {
                        express_inputs.push(started_input(&record, &state));
                        (state, effects)
                    })
            } else {
                self.create_child(index, child.input_json, &mut log_batch)
            };
            match started {
                Ok(started) => created.push((index, started, child.items)),
                Err(error) => {
                    self.fail(error);
                    return Ok(0);
                }
            }
        }
        if self.row.express && !express_inputs.is_empty() {
            self.row.input_records += 1;
            let end = first_child + created.len() as u64;
            self.window
                .input_ranges
                .push_back((self.row.input_records, end));
            log_batch.append(
                inputs_stream(self.row.run),
                Seq(self.row.input_records),
                INPUTS_KIND,
                inputs_record(first_child, express_inputs),
            );
        }
        self.row.items_read = items_read;
        self.row.next_child += created.len() as u64;
        self.row.checkpoint = Some(batch.checkpoint);
        self.row.exhausted = batch.exhausted;
        self.window.settle(&mut self.row);
        let key = self.key.row_key();
        log_batch.put(MAP_RUNS, key, encode_row(&self.row));
        self.shared
            .log
            .commit(log_batch)
            .await
            .map_err(|e| EngineError::log("dispatching map run children", e))?;
        tracing::debug!(
            children = created.len(),
            first_child,
            items_read,
            exhausted = batch.exhausted,
            "map run dispatched children"
        );
        if batch.exhausted {
            self.reader = None;
        }
        let mut started = 0;
        for (index, (state, effects), items) in created {
            if started < slots {
                self.window.push(RUNNING, items);
                executions::spawn_driver(&self.shared, state, effects);
                started += 1;
            } else {
                if self.row.express {
                    self.express_inputs.insert(index, state.input().to_string());
                }
                self.window.push(PENDING, items);
            }
        }
        Ok(started)
    }

    /// The children for items `first..` (ItemSelector per item, then
    /// ItemBatcher groups).
    fn child_inputs(
        &self,
        first: u64,
        items: Vec<RawItem>,
    ) -> Result<Vec<ChildInput>, StatesError> {
        if self.selector.is_none() && self.spec.batcher.is_none() {
            return Ok(items
                .into_iter()
                .map(|item| ChildInput {
                    input_json: item.into_string(),
                    items: 1,
                })
                .collect());
        }
        let options = DataFlowOptions::new()
            .with_payload_limit_bytes(self.shared.options.payload_limit_bytes);
        let mut selected = Vec::with_capacity(items.len());
        for (offset, raw) in items.into_iter().enumerate() {
            let index = first + offset as u64;
            let item = raw.to_value().map_err(|e| {
                StatesError::new(
                    "States.ItemReaderFailed",
                    format!("item {index} is not JSON: {e}"),
                )
            })?;
            let value = match &self.selector {
                None => item,
                Some(selector) => {
                    let context = with_map_item(&self.spec.context, index, &item);
                    let mut random = SeededRandom::from_key(&format!("{}/{index}", self.row.arn));
                    let mut env = DataFlowEnv {
                        context: &context,
                        random: &mut random,
                        options: &options,
                    };
                    apply_template(selector, &self.spec.effective_input, &mut env)?
                }
            };
            selected.push(value);
        }
        let Some(batcher) = &self.spec.batcher else {
            return Ok(selected
                .into_iter()
                .map(|input| ChildInput {
                    input_json: input.to_string(),
                    items: 1,
                })
                .collect());
        };
        let mut out = Vec::new();
        let mut group: Vec<Value> = Vec::new();
        let mut group_bytes = 0u64;
        let close = |group: &mut Vec<Value>, out: &mut Vec<ChildInput>| {
            let items = std::mem::take(group);
            let count = items.len() as u32;
            let mut input = serde_json::Map::new();
            if let Some(batch_input) = &batcher.batch_input {
                input.insert("BatchInput".into(), batch_input.clone());
            }
            input.insert("Items".into(), Value::Array(items));
            out.push(ChildInput {
                input_json: Value::Object(input).to_string(),
                items: count,
            });
        };
        for item in selected {
            let bytes = item.to_string().len() as u64 + 1;
            let full_by_count = batcher.max_items > 0 && group.len() as u64 >= batcher.max_items;
            let full_by_bytes = batcher.max_bytes > 0 && group_bytes + bytes > batcher.max_bytes;
            if !group.is_empty() && (full_by_count || full_by_bytes) {
                close(&mut group, &mut out);
                group_bytes = 0;
            }
            group_bytes += bytes;
            group.push(item);
        }
        if !group.is_empty() {
            close(&mut group, &mut out);
        }
        Ok(out)
    }

    /// Steps `Start` for child `index` and adds its record to `batch`.
    /// `input_json` is recorded as given (the child parses it).
    fn create_child(
        &self,
        index: u64,
        input_json: String,
        batch: &mut WriteBatch,
    ) -> Result<(ExecutionState, Vec<Effect>), StatesError> {
        let (state, effects, record) = self.started(index, input_json)?;
        let payload = store::encode_transition(&record)
            .map_err(|e| StatesError::runtime(format!("child {index} cannot be recorded: {e}")))?;
        let id = child_id(self.row.run, index);
        batch.append(StreamId(id.0), Seq(1), store::TRANSITION_KIND, payload);
        Ok((state, effects))
    }

    /// Steps `Start` for child `index` without recording it (EXPRESS).
    pub(crate) fn start_child(
        &self,
        index: u64,
        input: &Value,
    ) -> Result<(ExecutionState, Vec<Effect>), StatesError> {
        let (state, effects, _) = self.started(index, input.to_string())?;
        Ok((state, effects))
    }

    /// Steps `Start` for child `index` on its input (JSON text).
    fn started(
        &self,
        index: u64,
        input_json: String,
    ) -> Result<(ExecutionState, Vec<Effect>, TransitionRecord), StatesError> {
        let id = child_id(self.row.run, index);
        let stamped = StampedInput {
            timestamp_ms: self.shared.clock.now_ms(),
            seed: rand::random::<u64>(),
            input: Input::Start {
                execution: id,
                name: id.to_string(),
                definition_hash: self.row.processor_hash.clone(),
                state_machine: self.row.child_state_machine.clone(),
                input_json,
            },
        };
        let (state, output) =
            interpreter::start(Arc::clone(&self.processor), &stamped, self.shared.options)
                .map_err(|e| StatesError::runtime(format!("child {index} cannot start: {e}")))?;
        let record = TransitionRecord {
            input: stamped,
            events: output.events,
        };
        Ok((state, output.effects, record))
    }
}

/// The compact text of a started child's input, for an EXPRESS inputs
/// record: the `ExecutionStarted` event already carries it.
fn started_input(record: &TransitionRecord, state: &ExecutionState) -> String {
    match record.events.first() {
        Some(event) if event.kind == crate::history::HistoryEventType::ExecutionStarted => {
            match &event.details.input {
                Some(input) => input.clone(),
                None => state.input().to_string(),
            }
        }
        _ => state.input().to_string(),
    }
}
