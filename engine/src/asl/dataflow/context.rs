//! The context object (`$$`), built from plain fields.
//!
//! Layout (Step Functions' names):
//! `{"Execution": {"Id", "Input", "Name", "RoleArn"?, "StartTime", "RedriveCount"},
//!   "State": {"EnteredTime", "Name", "RetryCount"},
//!   "StateMachine": {"Id", "Name"},
//!   "Task": {"Token"}?,
//!   "Map": {"Item": {"Index", "Value"}}?}`

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::asl::timestamp::format_timestamp;

/// Everything the context object holds. Times are formatted like Step
/// Functions (`2019-03-26T20:14:13.192Z`).
#[derive(Debug, Clone, PartialEq)]
pub struct ContextObject {
    /// `Execution.Id`.
    pub execution_id: String,
    /// `Execution.Name`.
    pub execution_name: String,
    /// `Execution.Input`: the execution's original input.
    pub execution_input: Value,
    /// `Execution.StartTime`.
    pub execution_start_time: OffsetDateTime,
    /// `Execution.RoleArn`, omitted when `None`.
    pub role_arn: Option<String>,
    /// `Execution.RedriveCount`.
    pub redrive_count: u64,
    /// `State.Name`.
    pub state_name: String,
    /// `State.EnteredTime`.
    pub state_entered_time: OffsetDateTime,
    /// `State.RetryCount`: retries done so far for this state entry.
    pub retry_count: u64,
    /// `StateMachine.Id`.
    pub state_machine_id: String,
    /// `StateMachine.Name`.
    pub state_machine_name: String,
    /// `Task.Token`, for `.waitForTaskToken` tasks.
    pub task_token: Option<String>,
    /// `Map.Item.Index` and `Map.Item.Value`, inside a Map's ItemSelector.
    pub map_item: Option<(u64, Value)>,
}

impl ContextObject {
    /// The context as JSON.
    pub fn to_value(&self) -> Value {
        let mut execution = Map::new();
        execution.insert("Id".into(), self.execution_id.clone().into());
        execution.insert("Input".into(), self.execution_input.clone());
        execution.insert("Name".into(), self.execution_name.clone().into());
        if let Some(role) = &self.role_arn {
            execution.insert("RoleArn".into(), role.clone().into());
        }
        execution.insert(
            "StartTime".into(),
            format_timestamp(self.execution_start_time).into(),
        );
        execution.insert("RedriveCount".into(), self.redrive_count.into());
        let mut root = Map::new();
        root.insert("Execution".into(), Value::Object(execution));
        root.insert(
            "State".into(),
            json!({
                "EnteredTime": format_timestamp(self.state_entered_time),
                "Name": self.state_name,
                "RetryCount": self.retry_count,
            }),
        );
        root.insert(
            "StateMachine".into(),
            json!({"Id": self.state_machine_id, "Name": self.state_machine_name}),
        );
        if let Some(token) = &self.task_token {
            root.insert("Task".into(), json!({ "Token": token }));
        }
        if let Some((index, value)) = &self.map_item {
            root.insert(
                "Map".into(),
                json!({"Item": {"Index": index, "Value": value}}),
            );
        }
        Value::Object(root)
    }
}

/// Adds (or replaces) `Map.Item` in an already built context value; used
/// per item of a Map state without rebuilding the rest.
pub fn with_map_item(context: &Value, index: u64, item: &Value) -> Value {
    let mut out = context.clone();
    if let Value::Object(map) = &mut out {
        map.insert(
            "Map".into(),
            json!({"Item": {"Index": index, "Value": item}}),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn builds_the_step_functions_layout() {
        let ctx = ContextObject {
            execution_id: "exec-1".into(),
            execution_name: "run".into(),
            execution_input: json!({"a": 1}),
            execution_start_time: datetime!(2024-01-02 03:04:05.678 UTC),
            role_arn: None,
            redrive_count: 0,
            state_name: "S".into(),
            state_entered_time: datetime!(2024-01-02 03:04:06 UTC),
            retry_count: 2,
            state_machine_id: "sm".into(),
            state_machine_name: "SM".into(),
            task_token: Some("tok".into()),
            map_item: None,
        };
        let v = ctx.to_value();
        assert_eq!(v["Execution"]["StartTime"], "2024-01-02T03:04:05.678Z");
        assert_eq!(v["State"]["RetryCount"], 2);
        assert_eq!(v["Task"]["Token"], "tok");
        assert!(v["Execution"].get("RoleArn").is_none());
        assert!(v.get("Map").is_none());
        let item = with_map_item(&v, 3, &json!("x"));
        assert_eq!(item["Map"]["Item"], json!({"Index": 3, "Value": "x"}));
    }
}
