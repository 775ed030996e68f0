//! [`Run`]: one map run's coordinator (one tokio task): opens or creates
//! the row, recovers the window, admits children within MaxConcurrency and
//! the global bound, follows their ends, enforces the tolerated failure,
//! and reports the outcome to the parent execution.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use shoal_readers::{open_reader, InlineArray, ItemReader, ReaderOptions, ReaderSpec};
use shoal_storage::WriteBatch;
use tokio::sync::mpsc;

use super::api::MapRunCounts;
use super::export::{export, exports};
use super::express::{outcome_record, read_inputs, ChildFacts};
use super::ids::{child_id, MapRunKey, EXPRESS_RUN, RUN_NUMBER_MAX};
use super::record::{
    decode_row, encode_row, Ended, MapRunRow, MapRunStatus, MAP_RUNS, NEXT_MAP_RUN, OPEN_MAP_RUNS,
};
use super::redrive::{
    child_items, follow_events, last_record, record_at, redrive_allowed, redrive_row,
};
use super::registry::{RunEvent, DEFAULT_MAX_CONCURRENCY};
use super::results::{assemble, child_outcome};
use super::window::{status_code, Window, PENDING};
use crate::api::EngineError;
use crate::asl::error::EXCEED_TOLERATED_FAILURE_THRESHOLD;
use crate::asl::template::PayloadTemplate;
use crate::asl::{StateMachine, StatesError};
use crate::interpreter::{Input, MapItems, MapRunSpec};
use crate::runtime::executions;
use crate::runtime::inbox::Mailbox;
use crate::runtime::shared::{Command, Shared};
use crate::store::keys;

/// Dispatch waits until 1/`DISPATCH_SHARE` of MaxConcurrency is free…
const DISPATCH_SHARE: u64 = 8;
/// …or this many slots, whichever is fewer.
const DISPATCH_CHUNK_MAX: u64 = 256;

/// A live map run.
pub(crate) struct Run {
    pub shared: Arc<Shared>,
    pub spec: Arc<MapRunSpec>,
    pub key: MapRunKey,
    pub row: MapRunRow,
    pub reader: Option<Box<dyn ItemReader>>,
    pub window: Window,
    pub processor: Arc<StateMachine>,
    pub selector: Option<PayloadTemplate>,
    /// Set once the run must end without success; no more dispatch.
    pub failure: Option<(MapRunStatus, StatesError)>,
    /// EXPRESS: inputs of pending children.
    pub express_inputs: HashMap<u64, String>,
    /// EXPRESS: outcome records received, not yet written.
    outcomes: Vec<(u64, u8, Vec<u8>)>,
    /// Children redriven by this coordinator and not started yet.
    redrive_pending: HashSet<u64>,
    /// EXPRESS children re-running after a redrive: the sequence number
    /// and the event id their outcome record follows.
    express_redriven: HashMap<u64, (u64, u64)>,
    events: mpsc::UnboundedReceiver<RunEvent>,
    parent: Mailbox,
}

/// Starts (or resumes) the map run of `spec` on its own task; a second
/// call for a run already live does nothing.
pub(crate) fn launch(shared: &Arc<Shared>, spec: Arc<MapRunSpec>, parent: Mailbox) {
    launch_run(shared, spec, parent, false);
}

/// Starts a coordinator that only closes the run `spec` names as ABORTED
/// (its parent ended while the run was RUNNING: a crash came between the
/// parent's stop and the run's abort).
pub(crate) fn launch_orphan(shared: &Arc<Shared>, spec: Arc<MapRunSpec>) {
    // Closed at once (its receiver is dropped): nobody takes the outcome.
    let (parent, _) = crate::runtime::inbox::inbox();
    launch_run(shared, spec, parent, true);
}

fn launch_run(shared: &Arc<Shared>, spec: Arc<MapRunSpec>, parent: Mailbox, orphan: bool) {
    let Some(events) = shared.maprun.claim(&spec.arn) else {
        return;
    };
    shared.driver_started();
    let shared = Arc::clone(shared);
    let span = tracing::info_span!(
        "map_run",
        map_run_arn = spec.arn.as_str(),
        state = spec.state.as_str(),
        express = spec.express,
    );
    crate::runtime::trace::spawn_in(span, async move {
        let arn = spec.arn.clone();
        tracing::info!(
            max_concurrency = spec.max_concurrency,
            "map run coordinator started"
        );
        if let Err(error) = coordinate(&shared, spec, parent, events, orphan).await {
            tracing::error!("map run {arn} failed: {error}");
            shared.stop_on(format!("map run {arn} failed"), &error);
        }
        shared.maprun.close(&arn);
        shared.driver_ended();
    });
}

async fn coordinate(
    shared: &Arc<Shared>,
    spec: Arc<MapRunSpec>,
    parent: Mailbox,
    events: mpsc::UnboundedReceiver<RunEvent>,
    orphan: bool,
) -> Result<(), EngineError> {
    let key = MapRunKey {
        parent: spec.parent,
        entered_event: spec.entered_event,
        attempt: spec.attempt,
    };
    let (mut row, processor) = match open_or_create(shared, &spec, key).await? {
        Ok(opened) => opened,
        Err(error) => {
            report(&parent, &spec, Err(error)).await;
            return Ok(());
        }
    };
    shared.maprun.attach(&spec.arn, row.run);
    let mut redriven = Vec::new();
    if !orphan && spec.redrive_count > row.redrive_count && row.status != MapRunStatus::Succeeded {
        if let Err(refused) = redrive_allowed(&row, shared.maprun.options.redrives_max) {
            report(&parent, &spec, Err(refused)).await;
            return Ok(());
        }
        (row, redriven) = redrive_row(shared, &spec, key, row).await?;
    }
    if row.status != MapRunStatus::Running {
        let outcome = outcome_of(shared, &spec, &row).await?;
        if row.status != MapRunStatus::Aborted {
            report(&parent, &spec, outcome).await;
        }
        return Ok(());
    }
    let selector = match spec.item_selector.as_ref().map(PayloadTemplate::compile) {
        None => None,
        Some(Ok(selector)) => Some(selector),
        Some(Err(e)) => {
            let error = StatesError::runtime(format!("ItemSelector: {e}"));
            report(&parent, &spec, Err(error)).await;
            return Ok(());
        }
    };
    let mut run = Run {
        shared: Arc::clone(shared),
        window: Window::after(&row),
        spec,
        key,
        row,
        reader: None,
        processor,
        selector,
        failure: None,
        express_inputs: HashMap::new(),
        outcomes: Vec::new(),
        redrive_pending: redriven.into_iter().collect(),
        express_redriven: HashMap::new(),
        events,
        parent,
    };
    run.recover()?;
    if orphan {
        run.end_with(
            MapRunStatus::Aborted,
            StatesError::new("States.Aborted", "the parent execution ended"),
        );
    } else {
        run.open_reader().await;
    }
    run.drive().await
}

/// The existing row, or a new one (with the processor definition and the
/// run-number counter) committed before anything else happens.
async fn open_or_create(
    shared: &Arc<Shared>,
    spec: &MapRunSpec,
    key: MapRunKey,
) -> Result<Result<(MapRunRow, Arc<StateMachine>), StatesError>, EngineError> {
    let location = spec.arn.as_str();
    let stored = shared
        .log
        .get_row(MAP_RUNS, &key.row_key())
        .map_err(|e| EngineError::log("reading a map run", e))?;
    if let Some(bytes) = stored {
        let row =
            decode_row(&bytes, location).map_err(|e| EngineError::store("reading a map run", e))?;
        let machine = crate::runtime::definitions::machine(shared, &row.processor_hash)?;
        return Ok(Ok((row, machine)));
    }
    let machine = match StateMachine::from_json(&spec.processor_json) {
        Ok(machine) => Arc::new(machine),
        Err(e) => return Ok(Err(StatesError::runtime(format!("ItemProcessor: {e}")))),
    };
    let hash = machine.content_hash().as_str().to_string();
    let _creating = shared.maprun.creating.lock().await;
    let counter = shared
        .log
        .get_row(keys::META, NEXT_MAP_RUN)
        .map_err(|e| EngineError::log("reading the map run counter", e))?;
    let run = counter.as_deref().and_then(keys::parse_u64).unwrap_or(1);
    if run > RUN_NUMBER_MAX {
        return Ok(Err(StatesError::runtime(
            "the engine ran out of map run numbers",
        )));
    }
    let shown = spec.label.clone().unwrap_or_else(|| spec.state.clone());
    let row = MapRunRow {
        arn: spec.arn.clone(),
        run: if spec.express { run | EXPRESS_RUN } else { run },
        parent: spec.parent.0,
        state: spec.state.clone(),
        label: spec.label.clone(),
        processor_hash: hash.clone(),
        child_state_machine: format!("{}/{shown}", spec.parent_state_machine),
        express: spec.express,
        status: MapRunStatus::Running,
        started_ms: shared.clock.now_ms(),
        stopped_ms: None,
        max_concurrency: resolve_concurrency(spec.max_concurrency),
        tolerated_failure_count: spec.tolerated_failure_count,
        tolerated_failure_percentage: spec.tolerated_failure_percentage,
        checkpoint: None,
        exhausted: false,
        items_read: 0,
        next_child: 0,
        watermark: 0,
        settled: Ended::default(),
        settled_items: Ended::default(),
        input_records: 0,
        input_floor: 1,
        // A run first created by a redriven parent (it never started
        // before) has nothing to redrive.
        redrive_count: spec.redrive_count,
        redriven_ms: None,
        error: None,
        cause: None,
    };
    let mut batch = WriteBatch::new();
    batch.put(OPEN_MAP_RUNS, key.row_key(), Vec::new());
    batch.put(
        keys::DEFINITIONS,
        hash.as_bytes(),
        spec.processor_json.as_bytes(),
    );
    batch.put(keys::META, NEXT_MAP_RUN, keys::u64_value(run + 1));
    batch.put(MAP_RUNS, key.row_key(), encode_row(&row));
    shared
        .log
        .commit(batch)
        .await
        .map_err(|e| EngineError::log("creating a map run", e))?;
    shared.machines.lock().insert(hash, Arc::clone(&machine));
    Ok(Ok((row, machine)))
}

/// MaxConcurrency 0 (or absent) means the map run default.
pub(crate) fn resolve_concurrency(requested: u32) -> u32 {
    if requested == 0 {
        DEFAULT_MAX_CONCURRENCY
    } else {
        requested
    }
}

/// What an ended run reports: its output, or its error.
async fn outcome_of(
    shared: &Shared,
    spec: &MapRunSpec,
    row: &MapRunRow,
) -> Result<Result<String, StatesError>, EngineError> {
    if row.status == MapRunStatus::Succeeded {
        return output_of(shared, spec, row, false).await;
    }
    Ok(Err(StatesError::new(
        row.error.clone().unwrap_or_default(),
        row.cause.clone().unwrap_or_default(),
    )))
}

/// The Map output: the ResultWriter reference after exporting every
/// child's result, or the results array in child order.
/// `run_failed`: the run is ending FAILED, so its failed children's
/// result records say `REDRIVABLE_BY_MAP_RUN`.
async fn output_of(
    shared: &Shared,
    spec: &MapRunSpec,
    row: &MapRunRow,
    run_failed: bool,
) -> Result<Result<String, StatesError>, EngineError> {
    if let Some(writer) = spec.result_writer.as_ref().filter(|w| exports(Some(w))) {
        let stores = &shared.maprun.options.stores;
        let exported = export(shared.log.as_ref(), stores, row, writer, run_failed).await?;
        return Ok(exported.map(|output| output.to_string()));
    }
    if spec.results_discarded {
        return Ok(Ok("null".to_string()));
    }
    assemble(shared.log.as_ref(), row, shared.options.payload_limit_bytes)
}

/// Sends the outcome to the parent's driver as `MapRunCompleted`; a parent
/// that is gone (engine stopping) gets it again after recovery.
async fn report(parent: &Mailbox, spec: &MapRunSpec, outcome: Result<String, StatesError>) {
    let (output_json, error, cause) = match outcome {
        Ok(output) => (Some(output), String::new(), String::new()),
        Err(e) => (None, e.error, e.cause),
    };
    tracing::info!(
        succeeded = output_json.is_some(),
        error = error.as_str(),
        "map run ended"
    );
    let input = Input::MapRunCompleted {
        scope: spec.scope.clone(),
        state: spec.state.clone(),
        output_json,
        error,
        cause,
    };
    let _ = parent.send(Command::new(input)).await;
}

impl Run {
    /// Rebuilds the window above the watermark from the children's last
    /// records: ended ones count, the others wait as pending.
    fn recover(&mut self) -> Result<(), EngineError> {
        let log = Arc::clone(&self.shared.log);
        let batched = self.spec.batcher.is_some();
        for index in self.row.watermark..self.row.next_child {
            if !self.row.express && !batched {
                // Whether a STANDARD child ended is learnt when it is
                // replayed to start (`start_pending`), so the first children
                // run again without every child being read first.
                self.window.push(PENDING, 1);
                continue;
            }
            let id = child_id(self.row.run, index);
            let items = child_items(log.as_ref(), id, batched)?;
            match child_outcome(log.as_ref(), id)? {
                Some((status, _)) => self.window.push(status, items),
                None => self.window.push(PENDING, items),
            }
        }
        if self.row.express && !self.window.pending.is_empty() {
            let wanted = self.recover_express_redriven()?;
            let (inputs, ranges) = read_inputs(
                self.shared.log.as_ref(),
                self.row.run,
                self.row.input_floor.max(1),
                &wanted,
            )?;
            self.express_inputs.extend(inputs);
            self.window.input_ranges = ranges;
        }
        Ok(())
    }

    /// EXPRESS: pending children that ran before (their stream ends with a
    /// redrive marker) take their input from their own first record; the
    /// others are returned, to be found in the inputs records.
    fn recover_express_redriven(&mut self) -> Result<Vec<u64>, EngineError> {
        let log = Arc::clone(&self.shared.log);
        let mut wanted = Vec::new();
        for &index in &self.window.pending {
            let id = child_id(self.row.run, index);
            let last = log
                .last_seq(shoal_storage::StreamId(id.0))
                .map_err(|e| EngineError::log("reading a map run child", e))?;
            if last.is_none() {
                wanted.push(index);
                continue;
            }
            let (seq, record) = last_record(log.as_ref(), id)?;
            let last_event = record.events.last().map_or(0, |e| e.id.0);
            let (_, first) = record_at(log.as_ref(), id, shoal_storage::Seq(1))?;
            if let Input::Start { input_json, .. } = first.input.input {
                self.express_inputs.insert(index, input_json);
            }
            self.express_redriven.insert(index, (seq.0 + 1, last_event));
        }
        Ok(wanted)
    }

    /// Where EXPRESS child `index`'s outcome record goes: Seq 1, or after
    /// its redrive marker (with its event ids shifted to follow it).
    fn express_outcome(&self, index: u64, record: Vec<u8>) -> (shoal_storage::Seq, Vec<u8>) {
        match self.express_redriven.get(&index) {
            Some(&(seq, last_event)) => {
                (shoal_storage::Seq(seq), follow_events(record, last_event))
            }
            None => (shoal_storage::Seq(1), record),
        }
    }

    async fn open_reader(&mut self) {
        if self.row.exhausted {
            return;
        }
        let checkpoint = self.row.checkpoint.as_ref();
        let opened: Result<Box<dyn ItemReader>, StatesError> = match &self.spec.items {
            MapItems::Inline(items) => InlineArray::new(items.clone(), checkpoint)
                .map(|r| Box::new(r) as Box<dyn ItemReader>)
                .map_err(|e| reader_error(&e)),
            MapItems::Reader(json) => {
                let stores = Arc::clone(&self.shared.maprun.options.stores);
                open_store_reader(&stores, json, checkpoint).await
            }
        };
        match opened {
            Ok(reader) => self.reader = Some(reader),
            Err(error) => self.fail(error),
        }
    }

    /// Ends dispatch with `error` (first reason wins) and stops the children.
    pub(crate) fn fail(&mut self, error: StatesError) {
        self.end_with(MapRunStatus::Failed, error);
    }

    fn end_with(&mut self, status: MapRunStatus, error: StatesError) {
        if self.failure.is_some() {
            return;
        }
        self.failure = Some((status, error));
        self.reader = None;
        for index in self.window.running_indexes() {
            let id = child_id(self.row.run, index);
            let running = self.shared.running.lock().get(&id).cloned();
            if let Some(running) = running {
                let input = Input::Stop {
                    error: "States.Aborted".into(),
                    cause: "the map run ended".into(),
                };
                tokio::spawn(async move {
                    let _ = running.sender.send(Command::new(input)).await;
                });
            }
        }
    }

    /// The tolerated failure is exceeded (items count; the percentage is
    /// judged once the total is known, except 0 %, which any failure passes).
    fn exceeded(&self) -> bool {
        let failures = self.window.ended_items.failures();
        if failures == 0 {
            return false;
        }
        let count = self.row.tolerated_failure_count;
        let percentage = self.row.tolerated_failure_percentage;
        if count.is_none() && percentage.is_none() {
            return true;
        }
        if count.is_some_and(|limit| failures > limit) {
            return true;
        }
        match percentage {
            Some(p) if p <= 0.0 => true,
            Some(p) if self.row.exhausted => {
                let total = self.row.items_read.max(1) as f64;
                failures as f64 * 100.0 > p * total
            }
            _ => false,
        }
    }

    /// Admission then waiting, until every child ended.
    async fn drive(&mut self) -> Result<(), EngineError> {
        let mut stopping = self.shared.stopping.subscribe();
        loop {
            if *stopping.borrow() {
                self.shared.maprun.leave(self.row.run);
                self.shared.maprun.finished(self.window.running as usize);
                return Ok(());
            }
            if self.failure.is_none() && self.exceeded() {
                self.fail(StatesError::new(
                    EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    "The specified tolerated failure threshold was exceeded",
                ));
            }
            // Created before admitting, so a slot freed meanwhile still wakes it.
            let shared = Arc::clone(&self.shared);
            let freed = shared.maprun.slot_freed.notified();
            let blocked = self.admit().await?;
            if self.window.running == 0
                && (self.failure.is_some()
                    || (self.reader.is_none() && self.window.pending.is_empty()))
            {
                self.shared.maprun.leave(self.row.run);
                return self.finish().await;
            }
            self.publish();
            tokio::select! {
                biased;
                _ = stopping.changed() => {}
                event = self.events.recv() => {
                    if let Some(event) = event {
                        self.handle(event).await?;
                    }
                    while let Ok(event) = self.events.try_recv() {
                        self.handle(event).await?;
                    }
                    self.write_outcomes().await?;
                }
                _ = freed, if blocked => {}
            }
        }
    }

    async fn handle(&mut self, event: RunEvent) -> Result<(), EngineError> {
        match event {
            RunEvent::ChildDone {
                index,
                status,
                record: Some(record),
            } => self.outcomes.push((index, status, record)),
            RunEvent::ChildDone { index, status, .. } => {
                if self.window.ended(index, status) {
                    self.shared.maprun.finished(1);
                }
            }
            RunEvent::Stop => self.end_with(
                MapRunStatus::Aborted,
                StatesError::new("States.Aborted", "the parent execution was stopped"),
            ),
            RunEvent::Update { update, ack } => {
                let result = self.update(update).await;
                let _ = ack.send(result);
            }
        }
        Ok(())
    }

    /// Starts pending children and dispatches new ones while MaxConcurrency
    /// and the global bound allow; true when the global bound held it back.
    async fn admit(&mut self) -> Result<bool, EngineError> {
        while self.failure.is_none() {
            let limit = u64::from(self.row.max_concurrency);
            let room = limit.saturating_sub(self.window.running) as usize;
            let wanted = if !self.window.pending.is_empty() {
                room.min(self.window.pending.len())
            } else if self.reader.is_some() {
                // One commit per dispatch: wait until a useful share of
                // the window is free rather than committing per child.
                let chunk = (limit / DISPATCH_SHARE).clamp(1, DISPATCH_CHUNK_MAX);
                if (room as u64) < chunk && self.window.running > 0 {
                    0
                } else {
                    room
                }
            } else {
                0
            };
            if wanted == 0 {
                self.shared.maprun.leave(self.row.run);
                return Ok(false);
            }
            let got = self.shared.maprun.reserve(self.row.run, wanted);
            if got == 0 {
                return Ok(true);
            }
            let started = if self.window.pending.is_empty() {
                self.dispatch(got).await?
            } else {
                self.start_pending(got)?
            };
            if started < got {
                self.shared.maprun.finished(got - started);
            }
        }
        Ok(false)
    }

    /// Starts up to `count` pending children by replaying their streams.
    fn start_pending(&mut self, count: usize) -> Result<usize, EngineError> {
        let mut started = 0;
        while started < count {
            let Some(index) = self.window.pending.pop_front() else {
                break;
            };
            self.redrive_pending.remove(&index);
            let id = child_id(self.row.run, index);
            let (state, effects) = if self.row.express {
                let input = self.express_inputs.remove(&index).unwrap_or_default();
                let input: serde_json::Value = serde_json::from_str(&input).unwrap_or_default();
                match self.start_child(index, &input) {
                    Ok(started) => started,
                    Err(error) => {
                        self.fail(error);
                        break;
                    }
                }
            } else {
                let state = executions::replay(&self.shared, id)?;
                if let Some(completion) = state.completion() {
                    // It ended before the crash (see `recover`).
                    self.window.ended_unqueued(index, status_code(completion));
                    continue;
                }
                let effects = state.outstanding_effects();
                (state, effects)
            };
            self.window.started(index);
            executions::spawn_driver(&self.shared, state, effects);
            started += 1;
        }
        Ok(started)
    }

    /// Every child ended: records the final row, then tells the parent.
    async fn finish(&mut self) -> Result<(), EngineError> {
        self.abort_pending().await?;
        let outcome = match &self.failure {
            Some((MapRunStatus::Aborted, error)) => Err(error.clone()),
            Some((_, error)) => {
                // A failed run still exports what its children did.
                if exports(self.spec.result_writer.as_ref()) {
                    self.window.settle(&mut self.row);
                    let _ = output_of(&self.shared, &self.spec, &self.row, true).await?;
                }
                Err(error.clone())
            }
            None => output_of(&self.shared, &self.spec, &self.row, false).await?,
        };
        let status = match (&self.failure, &outcome) {
            (Some((status, _)), _) => *status,
            (None, Ok(_)) => MapRunStatus::Succeeded,
            (None, Err(_)) => MapRunStatus::Failed,
        };
        self.window.settle(&mut self.row);
        self.row.status = status;
        self.row.stopped_ms = Some(self.shared.clock.now_ms());
        if let Err(error) = &outcome {
            self.row.error = Some(error.error.clone());
            self.row.cause = Some(error.cause.clone());
        }
        self.save().await?;
        if status == MapRunStatus::Aborted {
            // The parent ended already; nothing waits for this outcome.
            return Ok(());
        }
        report(&self.parent, &self.spec, outcome).await;
        Ok(())
    }

    /// Pending children of a run that ended early get an `ExecutionAborted`
    /// record, so every dispatched child ends.
    async fn abort_pending(&mut self) -> Result<(), EngineError> {
        if self.window.pending.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        let pending: Vec<u64> = self.window.pending.iter().copied().collect();
        for index in pending {
            let id = child_id(self.row.run, index);
            if self.row.express {
                let facts = ChildFacts {
                    id,
                    definition_hash: &self.row.processor_hash,
                    state_machine: &self.row.child_state_machine,
                    input_json: self.express_inputs.remove(&index).unwrap_or_default(),
                    started_ms: self.shared.clock.now_ms(),
                };
                let completion = crate::interpreter::Completion::Aborted {
                    error: "States.Aborted".into(),
                    cause: "the map run ended before this child started".into(),
                };
                let record = outcome_record(facts, &completion, self.shared.clock.now_ms());
                let (seq, record) = self.express_outcome(index, record);
                batch.append(
                    shoal_storage::StreamId(id.0),
                    seq,
                    crate::store::TRANSITION_KIND,
                    record,
                );
                self.window.ended(index, super::window::ABORTED);
                continue;
            }
            let state = executions::replay(&self.shared, id)?;
            if let Some(completion) = state.completion() {
                // It ended before the crash (see `recover`).
                self.window.ended(index, status_code(completion));
                continue;
            }
            let stamped = crate::interpreter::StampedInput {
                timestamp_ms: self.shared.clock.now_ms(),
                seed: rand::random::<u64>(),
                input: Input::Stop {
                    error: "States.Aborted".into(),
                    cause: "the map run ended before this child started".into(),
                },
            };
            let Ok((next, output)) = crate::interpreter::step(&state, &stamped) else {
                continue;
            };
            let record = crate::store::TransitionRecord {
                input: stamped,
                events: output.events,
            };
            if let Ok(payload) = crate::store::encode_transition(&record) {
                batch.append(
                    shoal_storage::StreamId(id.0),
                    shoal_storage::Seq(next.transitions()),
                    crate::store::TRANSITION_KIND,
                    payload,
                );
            }
            self.window.ended(index, super::window::ABORTED);
        }
        self.redrive_pending.clear();
        self.window.settle(&mut self.row);
        batch.put(MAP_RUNS, self.key.row_key(), encode_row(&self.row));
        self.shared
            .log
            .commit(batch)
            .await
            .map_err(|e| EngineError::log("aborting pending map run children", e))?;
        Ok(())
    }

    /// Publishes the live counters for `describe_map_run`.
    fn publish(&self) {
        let w = &self.window;
        let pending_redrive = self.redrive_pending.len() as u64;
        let counts = |pending: u64, running: u64, ended: &Ended, total: u64| MapRunCounts {
            pending,
            running,
            succeeded: ended.succeeded,
            failed: ended.failed,
            timed_out: ended.timed_out,
            aborted: ended.aborted,
            total,
            pending_redrive,
            ..MapRunCounts::default()
        };
        let items = counts(
            w.pending_items,
            w.running_items,
            &w.ended_items,
            self.row.items_read,
        );
        let executions = counts(
            w.pending.len() as u64,
            w.running,
            &w.ended,
            self.row.next_child,
        );
        self.shared
            .maprun
            .publish(&self.row.arn, [items, executions]);
    }

    /// EXPRESS: writes the outcome records received, in one commit, then
    /// counts those children ended.
    async fn write_outcomes(&mut self) -> Result<(), EngineError> {
        if self.outcomes.is_empty() {
            return Ok(());
        }
        let mut ended = Vec::with_capacity(self.outcomes.len());
        let mut batch = WriteBatch::new();
        for (index, status, record) in std::mem::take(&mut self.outcomes) {
            let id = child_id(self.row.run, index);
            let (seq, record) = self.express_outcome(index, record);
            batch.append(
                shoal_storage::StreamId(id.0),
                seq,
                crate::store::TRANSITION_KIND,
                record,
            );
            ended.push((index, status));
        }
        self.shared
            .log
            .commit(batch)
            .await
            .map_err(|e| EngineError::log("recording EXPRESS outcomes", e))?;
        for (index, status) in ended {
            if self.window.ended(index, status) {
                self.shared.maprun.finished(1);
            }
        }
        Ok(())
    }

    /// Writes the row.
    pub(crate) async fn save(&mut self) -> Result<(), EngineError> {
        let mut batch = WriteBatch::new();
        batch.put(MAP_RUNS, self.key.row_key(), encode_row(&self.row));
        if self.row.status != MapRunStatus::Running {
            batch.delete(OPEN_MAP_RUNS, self.key.row_key());
        }
        self.shared
            .log
            .commit(batch)
            .await
            .map_err(|e| EngineError::log("saving a map run", e))?;
        Ok(())
    }

    async fn update(&mut self, update: super::registry::MapRunUpdate) -> Result<(), EngineError> {
        if let Some(max) = update.max_concurrency {
            self.row.max_concurrency = resolve_concurrency(max);
        }
        if let Some(count) = update.tolerated_failure_count {
            self.row.tolerated_failure_count = Some(count);
        }
        if let Some(p) = update.tolerated_failure_percentage {
            self.row.tolerated_failure_percentage = Some(p);
        }
        self.window.settle(&mut self.row);
        self.save().await
    }
}

async fn open_store_reader(
    stores: &shoal_readers::StoreRegistry,
    json: &serde_json::Value,
    checkpoint: Option<&shoal_readers::Checkpoint>,
) -> Result<Box<dyn ItemReader>, StatesError> {
    let spec: ReaderSpec = serde_json::from_value(json.clone()).map_err(|e| {
        StatesError::new(
            shoal_readers::ITEM_READER_FAILED,
            format!("ItemReader: {e}"),
        )
    })?;
    let store = stores
        .resolve(spec.source.bucket())
        .map_err(|e| StatesError::new(shoal_readers::ITEM_READER_FAILED, e.to_string()))?;
    open_reader(&spec, store, checkpoint, &ReaderOptions::new())
        .await
        .map_err(|e| reader_error(&e))
}

fn reader_error(error: &shoal_readers::ReaderError) -> StatesError {
    let (name, cause) = error.step_functions_error();
    StatesError::new(name, cause)
}
