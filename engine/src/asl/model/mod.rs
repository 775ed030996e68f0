//! The typed model of an ASL definition and its parser/validator.
//!
//! [`StateMachine::from_json`] parses and validates in one pass and returns
//! every error found ([`crate::asl::InvalidDefinition`]), each naming the
//! enclosing branches, the state and the field.

mod choice;
mod common;
mod context_use;
mod fields;
mod graph;
mod machine;
mod map;
mod map_distributed;
mod parallel;
mod pass;
mod reader_config;
mod task;
mod terminal;
mod wait;

pub use choice::{
    parse_pattern, ChoiceRule, ChoiceState, CompareOp, Condition, Operand, PatternPart, Test,
    TypeTest, ValueKind,
};
pub use common::{
    Catcher, IntegerSource, JitterStrategy, NumberSource, Retrier, Transition,
    DEFAULT_BACKOFF_RATE, DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_ATTEMPTS, MAX_SECONDS,
};
pub use context_use::template_uses_context;
pub use machine::{Branch, QueryLanguage, State, StateMachine, States, MAX_STATE_NAME_CHARS};
pub use map::{ExecutionType, ItemProcessor, MapState, ProcessorMode};
pub use map_distributed::{
    check_label, ItemBatcher, ItemReader, OutputType, ResultWriter, Transformation, WriterConfig,
    MAX_LABEL_CHARS, S3_GET_OBJECT, S3_LIST_OBJECTS_V2, S3_PUT_OBJECT,
};
pub use parallel::ParallelState;
pub use pass::PassState;
pub use reader_config::MAX_ITEMS_LIMIT;
pub use task::{TaskState, WAIT_FOR_TASK_TOKEN_SUFFIX};
pub use terminal::{FailState, FailText, SucceedState};
pub use wait::{WaitFor, WaitState};
