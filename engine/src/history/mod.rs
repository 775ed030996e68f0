//! Execution history: the events a transition appends, named as Step
//! Functions names them so a history reads without a glossary.
//!
//! Every event has an `id` (1-based, +1 per event within one execution), the
//! `previous_event_id` of the event it follows causally (the last event of
//! the same scope, or the parent's `ParallelStateStarted` /
//! `MapIterationStarted` for the first event of a branch or iteration; 0 for
//! `ExecutionStarted`), a timestamp and details as `GetExecutionHistory`
//! returns them. Events are stored inside transition records (see
//! [`crate::store`]) with bincode and printed as JSON with serde.

mod event;
mod ids;

pub use event::{EventDetails, HistoryEvent, HistoryEventType};
pub use ids::{EventId, ExecutionId};
