//! Format version 1 of a transition record, kept so that logs written
//! before version 2 stay readable. Version 2 added
//! [`EventDetails::redrive_count`](crate::history::EventDetails) (redrive);
//! a version-1 record decodes into the same [`TransitionRecord`] with it
//! `None`.
//!
//! Byte layout (after the version byte `1`): bincode 2 standard of
//! `{input: StampedInput, events: Vec<{id, previous_event_id, timestamp_ms,
//! kind, scope, details: {name, input, output, error, cause, resource,
//! index, length, attempt, timeout_seconds, heartbeat_seconds,
//! map_run_arn}}>}`.

use super::records::TransitionRecord;
use crate::history::{EventDetails, EventId, HistoryEvent, HistoryEventType};
use crate::interpreter::StampedInput;

#[derive(bincode::Decode)]
struct RecordV1 {
    input: StampedInput,
    events: Vec<EventV1>,
}

#[derive(bincode::Decode)]
struct EventV1 {
    id: EventId,
    previous_event_id: EventId,
    timestamp_ms: i64,
    kind: HistoryEventType,
    scope: Vec<u32>,
    details: DetailsV1,
}

#[derive(bincode::Decode)]
struct DetailsV1 {
    name: Option<String>,
    input: Option<String>,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    resource: Option<String>,
    index: Option<u32>,
    length: Option<u32>,
    attempt: Option<u32>,
    timeout_seconds: Option<u64>,
    heartbeat_seconds: Option<u64>,
    map_run_arn: Option<String>,
}

/// Decodes the body (after the version byte) of a version-1 record.
pub(super) fn decode_v1(body: &[u8]) -> Result<TransitionRecord, String> {
    let (record, used): (RecordV1, usize) =
        bincode::decode_from_slice(body, shoal_storage::codec::decode_config())
            .map_err(|err| err.to_string())?;
    if used != body.len() {
        return Err(format!("{} trailing bytes", body.len() - used));
    }
    Ok(TransitionRecord {
        input: record.input,
        events: record.events.into_iter().map(upgrade).collect(),
    })
}

fn upgrade(event: EventV1) -> HistoryEvent {
    let d = event.details;
    HistoryEvent {
        id: event.id,
        previous_event_id: event.previous_event_id,
        timestamp_ms: event.timestamp_ms,
        kind: event.kind,
        scope: event.scope,
        details: EventDetails {
            name: d.name,
            input: d.input,
            output: d.output,
            error: d.error,
            cause: d.cause,
            resource: d.resource,
            index: d.index,
            length: d.length,
            attempt: d.attempt,
            timeout_seconds: d.timeout_seconds,
            heartbeat_seconds: d.heartbeat_seconds,
            map_run_arn: d.map_run_arn,
            redrive_count: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::Input;

    /// A version-1 record as session 1 wrote it (bytes built from the v1
    /// layout: the same fields without `redrive_count`).
    #[derive(bincode::Encode)]
    struct WriteV1 {
        input: StampedInput,
        events: Vec<(EventId, EventId, i64, HistoryEventType, Vec<u32>, DetailsW)>,
    }

    #[derive(bincode::Encode, Default)]
    struct DetailsW {
        name: Option<String>,
        input: Option<String>,
        output: Option<String>,
        error: Option<String>,
        cause: Option<String>,
        resource: Option<String>,
        index: Option<u32>,
        length: Option<u32>,
        attempt: Option<u32>,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
        map_run_arn: Option<String>,
    }

    #[test]
    fn version_1_records_still_decode() {
        let input = StampedInput {
            timestamp_ms: 7,
            seed: 9,
            input: Input::Continue { scope: vec![] },
        };
        let details = DetailsW {
            name: Some("P".into()),
            attempt: Some(2),
            map_run_arn: Some("arn".into()),
            ..DetailsW::default()
        };
        let old = WriteV1 {
            input: input.clone(),
            events: vec![(
                EventId(4),
                EventId(3),
                7,
                HistoryEventType::PassStateExited,
                vec![1],
                details,
            )],
        };
        let mut bytes = vec![1u8];
        bytes.extend(bincode::encode_to_vec(&old, bincode::config::standard()).expect("encodes"));
        let record = super::super::decode_transition(&bytes).expect("v1 decodes");
        assert_eq!(record.input, input);
        let event = &record.events[0];
        assert_eq!(event.id, EventId(4));
        assert_eq!(event.details.attempt, Some(2));
        assert_eq!(event.details.map_run_arn.as_deref(), Some("arn"));
        assert_eq!(event.details.redrive_count, None);
    }
}
