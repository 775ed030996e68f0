//! The Wait state: delays for a time or until a timestamp.

use time::OffsetDateTime;

use super::common::{parse_transition, Transition, MAX_SECONDS};
use super::fields::Fields;
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::path::JsonPath;
use crate::asl::timestamp::parse_timestamp;

/// How long a Wait state waits.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitFor {
    /// `Seconds`: a fixed number of seconds.
    Seconds(u64),
    /// `Timestamp`: until an absolute time.
    Timestamp(OffsetDateTime),
    /// `SecondsPath`: seconds read from the effective input.
    SecondsPath(JsonPath),
    /// `TimestampPath`: a timestamp read from the effective input.
    TimestampPath(JsonPath),
}

/// `"Type": "Wait"`.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
    /// The delay.
    pub wait: WaitFor,
    /// Next or End.
    pub transition: Transition,
}

const WAIT_FIELDS: [&str; 4] = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"];

pub(crate) fn parse(f: &mut Fields<'_>) -> WaitState {
    let present: Vec<&str> = WAIT_FIELDS.iter().copied().filter(|n| f.has(n)).collect();
    if present.is_empty() {
        f.error(
            "Seconds",
            DefinitionErrorKind::OneOfRequired {
                fields: WAIT_FIELDS.join(", "),
            },
        );
    }
    if present.len() > 1 {
        f.error(
            present[1],
            DefinitionErrorKind::Conflicts {
                other: present[0].to_string(),
            },
        );
    }
    let wait = parse_wait_for(f).unwrap_or(WaitFor::Seconds(0));
    WaitState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        output_path: f.nullable_path("OutputPath"),
        wait,
        transition: parse_transition(f).unwrap_or(Transition::End),
    }
}

fn parse_wait_for(f: &mut Fields<'_>) -> Option<WaitFor> {
    // Read every field so none is reported as unknown; keep the first valid one.
    let seconds = f.uint_at_least("Seconds", 0);
    if let Some(s) = seconds {
        if s > MAX_SECONDS {
            f.error(
                "Seconds",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be at most {MAX_SECONDS}"),
                },
            );
        }
    }
    let timestamp = f
        .string("Timestamp")
        .and_then(|text| match parse_timestamp(&text) {
            Some(t) => Some(t),
            None => {
                f.error(
                    "Timestamp",
                    DefinitionErrorKind::InvalidValue {
                        reason: format!("\"{text}\" is not an RFC 3339 timestamp"),
                    },
                );
                None
            }
        });
    let seconds_path = f.path("SecondsPath", true);
    let timestamp_path = f.path("TimestampPath", true);
    seconds
        .map(WaitFor::Seconds)
        .or(timestamp.map(WaitFor::Timestamp))
        .or(seconds_path.map(WaitFor::SecondsPath))
        .or(timestamp_path.map(WaitFor::TimestampPath))
}
