//! The Task state: runs a registered handler named by `Resource`.

use serde_json::Value;

use super::common::{
    parse_catch, parse_integer_source, parse_retry, parse_transition, Catcher, IntegerSource,
    Retrier, Transition, MAX_SECONDS,
};
use super::fields::Fields;
use crate::asl::definition_error::DefinitionErrorKind;
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;

/// The suffix of a Resource that selects the callback pattern.
pub const WAIT_FOR_TASK_TOKEN_SUFFIX: &str = ".waitForTaskToken";

/// `"Type": "Task"`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskState {
    /// Comment.
    pub comment: Option<String>,
    /// Resource exactly as written.
    pub resource: String,
    /// The handler name: Resource without a `.waitForTaskToken` suffix.
    pub handler: String,
    /// True when Resource ends in `.waitForTaskToken`: the task completes
    /// when `send_task_success`/`send_task_failure` is called with its token.
    pub wait_for_task_token: bool,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// Parameters.
    pub parameters: Option<PayloadTemplate>,
    /// ResultSelector.
    pub result_selector: Option<PayloadTemplate>,
    /// ResultPath; `None` means `null` (discard the result).
    pub result_path: Option<ReferencePath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
    /// Retry, in order.
    pub retry: Vec<Retrier>,
    /// Catch, in order.
    pub catch: Vec<Catcher>,
    /// TimeoutSeconds / TimeoutSecondsPath. Step Functions' default is 99999999.
    pub timeout: Option<IntegerSource>,
    /// HeartbeatSeconds / HeartbeatSecondsPath.
    pub heartbeat: Option<IntegerSource>,
    /// Credentials, kept as written (shoal does not assume roles).
    pub credentials: Option<Value>,
    /// Next or End.
    pub transition: Transition,
}

pub(crate) fn parse(f: &mut Fields<'_>) -> TaskState {
    let resource = f.required_string("Resource").unwrap_or_default();
    let (handler, wait_for_task_token) = match resource.strip_suffix(WAIT_FOR_TASK_TOKEN_SUFFIX) {
        Some(base) => (base.to_string(), true),
        None => (resource.clone(), false),
    };
    if f.has("Resource") && handler.is_empty() {
        f.error(
            "Resource",
            DefinitionErrorKind::InvalidValue {
                reason: "must name a handler".into(),
            },
        );
    }
    let timeout = parse_integer_source(f, "TimeoutSeconds", 1, MAX_SECONDS);
    let heartbeat = parse_integer_source(f, "HeartbeatSeconds", 1, MAX_SECONDS);
    if let (Some(IntegerSource::Literal(t)), Some(IntegerSource::Literal(h))) =
        (&timeout, &heartbeat)
    {
        if h >= t {
            f.error(
                "HeartbeatSeconds",
                DefinitionErrorKind::HeartbeatNotBelowTimeout,
            );
        }
    }
    TaskState {
        comment: f.string("Comment"),
        resource,
        handler,
        wait_for_task_token,
        input_path: f.nullable_path("InputPath"),
        parameters: f.template("Parameters"),
        result_selector: f.template("ResultSelector"),
        result_path: f.result_path("ResultPath"),
        output_path: f.nullable_path("OutputPath"),
        retry: parse_retry(f),
        catch: parse_catch(f),
        timeout,
        heartbeat,
        credentials: f.take("Credentials").cloned(),
        transition: parse_transition(f).unwrap_or(Transition::End),
    }
}
