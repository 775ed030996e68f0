//! [`ResultRecord`]: one child execution's outcome in Step Functions' result-file shape, and
//! how [`Transformation`] and [`OutputType`] turn records into file contents.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Transformation {
    /// Full records with execution metadata; `Input`/`Output` as JSON strings (the default when
    /// exporting without a WriterConfig).
    #[default]
    None,
    /// Only each succeeded child's output (parsed JSON). Failed and pending records stay whole.
    Compact,
    /// Like `Compact`, but an array output is spliced in element by element.
    Flatten,
}

/// `WriterConfig.OutputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OutputType {
    /// Each file is one JSON array.
    #[default]
    Json,
    /// Each file holds one JSON value per line.
    Jsonl,
}

/// `ResultWriter.WriterConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WriterConfig {
    /// How records are transformed.
    #[serde(default)]
    pub transformation: Transformation,
    /// How a file is laid out.
    #[serde(default)]
    pub output_type: OutputType,
}

/// One child execution's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRecord {
    /// The child's execution ARN.
    pub execution_arn: String,
    /// The child's input.
    pub input: Value,
    /// The child's name.
    pub name: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Times the child was redriven.
    pub redrive_count: u32,
    /// `REDRIVABLE`, `NOT_REDRIVABLE` or `REDRIVABLE_BY_MAP_RUN`.
    pub redrive_status: String,
    /// ISO-8601 start time.
    pub start_date: String,
    /// The child state machine's ARN.
    pub state_machine_arn: String,
    /// ISO-8601 stop time (None while pending).
    pub stop_date: Option<String>,
}

/// The outcome part of a [`ResultRecord`]; decides the file (SUCCEEDED, FAILED, PENDING).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Succeeded with this output.
    Succeeded(Value),
    /// Failed, timed out or aborted (`status` is `FAILED`, `TIMED_OUT` or `ABORTED`).
    Failed {
        /// The execution status.
        status: String,
        /// Error name.
        error: String,
        /// Cause text.
        cause: String,
    },
    /// Not run (the map run stopped before it).
    Pending,
}

/// The three result-file groups, in the manifest's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    Failed,
    Pending,
    Succeeded,
}

impl Group {
    pub(crate) const ALL: [Group; 3] = [Group::Failed, Group::Pending, Group::Succeeded];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Group::Failed => "FAILED",
            Group::Pending => "PENDING",
            Group::Succeeded => "SUCCEEDED",
        }
    }
}

impl ResultRecord {
    pub(crate) fn group(&self) -> Group {
        match self.outcome {
            Outcome::Succeeded(_) => Group::Succeeded,
            Outcome::Failed { .. } => Group::Failed,
            Outcome::Pending => Group::Pending,
        }
    }

    /// The full record (`Transformation: NONE`), fields in Step Functions' order.
    pub fn to_full_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("ExecutionArn".into(), json!(self.execution_arn));
        map.insert("Input".into(), json!(self.input.to_string()));
        map.insert("InputDetails".into(), json!({"Included": true}));
        map.insert("Name".into(), json!(self.name));
        let status = match &self.outcome {
            Outcome::Succeeded(output) => {
                map.insert("Output".into(), json!(output.to_string()));
                map.insert("OutputDetails".into(), json!({"Included": true}));
                "SUCCEEDED"
            }
            Outcome::Failed {
                status,
                error,
                cause,
            } => {
                map.insert("Error".into(), json!(error));
                map.insert("Cause".into(), json!(cause));
                status.as_str()
            }
            Outcome::Pending => "PENDING",
        };
        map.insert("RedriveCount".into(), json!(self.redrive_count));
        map.insert("RedriveStatus".into(), json!(self.redrive_status));
        map.insert("StartDate".into(), json!(self.start_date));
        map.insert("StateMachineArn".into(), json!(self.state_machine_arn));
        map.insert("Status".into(), json!(status));
        if let Some(stop) = &self.stop_date {
            map.insert("StopDate".into(), json!(stop));
        }
        Value::Object(map)
    }

    /// The values this record contributes to its file under `transformation`.
    pub(crate) fn entries(&self, transformation: Transformation) -> Vec<Value> {
        match (&self.outcome, transformation) {
            (Outcome::Succeeded(output), Transformation::Compact) => vec![output.clone()],
            (Outcome::Succeeded(Value::Array(items)), Transformation::Flatten) => items.clone(),
            (Outcome::Succeeded(output), Transformation::Flatten) => vec![output.clone()],
            _ => vec![self.to_full_json()],
        }
    }
}
