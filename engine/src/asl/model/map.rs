//! The Map state: runs an item processor for each item of an array (INLINE)
//! or of a dataset read by an ItemReader (DISTRIBUTED).

use serde_json::Value;

use super::common::{
    parse_catch, parse_integer_source, parse_retry, parse_transition, Catcher, IntegerSource,
    NumberSource, Retrier, Transition,
};
use super::fields::{Ctx, Fields};
use super::machine::{parse_branch, Branch};
use super::map_distributed::{
    check_label, parse_item_batcher, parse_item_reader, parse_result_writer, ItemBatcher,
    ItemReader, ResultWriter,
};
use crate::asl::definition_error::{DefinitionErrorKind, Scope};
use crate::asl::path::{JsonPath, ReferencePath};
use crate::asl::template::PayloadTemplate;

/// `ProcessorConfig.Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProcessorMode {
    /// Iterations run inside the parent execution (the default).
    #[default]
    Inline,
    /// Each item (or batch) runs as a child execution of a map run.
    Distributed,
}

/// `ProcessorConfig.ExecutionType` (DISTRIBUTED only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionType {
    /// Durable children with their own history.
    Standard,
    /// Children whose history is kept in memory; at-least-once.
    Express,
}

/// The item processor (`ItemProcessor`, or the legacy `Iterator`).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemProcessor {
    /// INLINE or DISTRIBUTED.
    pub mode: ProcessorMode,
    /// STANDARD or EXPRESS; `Some` exactly when the mode is DISTRIBUTED.
    pub execution_type: Option<ExecutionType>,
    /// The states run for each item.
    pub branch: Branch,
}

/// `"Type": "Map"`.
#[derive(Debug, Clone, PartialEq)]
pub struct MapState {
    /// Comment.
    pub comment: Option<String>,
    /// InputPath; `None` means `null`.
    pub input_path: Option<JsonPath>,
    /// ItemsPath (default `$`): where the items array is in the effective input.
    pub items_path: JsonPath,
    /// ItemSelector (or the legacy Parameters): builds each item's input.
    pub item_selector: Option<PayloadTemplate>,
    /// The processor run per item.
    pub processor: ItemProcessor,
    /// MaxConcurrency / MaxConcurrencyPath (0 = no limit).
    pub max_concurrency: Option<IntegerSource>,
    /// ItemReader (DISTRIBUTED only).
    pub item_reader: Option<ItemReader>,
    /// ItemBatcher (DISTRIBUTED only).
    pub item_batcher: Option<ItemBatcher>,
    /// ToleratedFailurePercentage(Path), 0 to 100 (DISTRIBUTED only).
    pub tolerated_failure_percentage: Option<NumberSource>,
    /// ToleratedFailureCount(Path) (DISTRIBUTED only).
    pub tolerated_failure_count: Option<IntegerSource>,
    /// Label (DISTRIBUTED only).
    pub label: Option<String>,
    /// ResultWriter (DISTRIBUTED only).
    pub result_writer: Option<ResultWriter>,
    /// ResultSelector.
    pub result_selector: Option<PayloadTemplate>,
    /// ResultPath; `None` means `null`.
    pub result_path: Option<ReferencePath>,
    /// OutputPath; `None` means `null`.
    pub output_path: Option<JsonPath>,
    /// Retry.
    pub retry: Vec<Retrier>,
    /// Catch.
    pub catch: Vec<Catcher>,
    /// Next or End.
    pub transition: Transition,
}

const DISTRIBUTED_ONLY: [&str; 8] = [
    "ItemReader",
    "ItemBatcher",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
    "ResultWriter",
];

pub(crate) fn parse(f: &mut Fields<'_>, ctx: &mut Ctx, name: &str) -> MapState {
    let processor = parse_processor(f, ctx, name);
    if processor.mode == ProcessorMode::Inline {
        for field in DISTRIBUTED_ONLY {
            if f.has(field) {
                f.error(field, DefinitionErrorKind::RequiresDistributedMode);
            }
        }
    }
    if f.has("ItemSelector") && f.has("Parameters") {
        f.error(
            "Parameters",
            DefinitionErrorKind::Conflicts {
                other: "ItemSelector".into(),
            },
        );
    }
    let item_selector = f.template("ItemSelector");
    let legacy_parameters = f.template("Parameters");
    let item_selector = item_selector.or(legacy_parameters);
    let tolerated_failure_percentage = parse_percentage(f);
    let label = f.string("Label");
    if let Some(l) = &label {
        if let Err(reason) = check_label(l) {
            f.error("Label", DefinitionErrorKind::InvalidValue { reason });
        }
    }
    MapState {
        comment: f.string("Comment"),
        input_path: f.nullable_path("InputPath"),
        items_path: f
            .path("ItemsPath", true)
            .unwrap_or_else(JsonPath::data_root),
        item_selector,
        processor,
        max_concurrency: parse_integer_source(f, "MaxConcurrency", 0, u64::MAX),
        item_reader: parse_item_reader(f),
        item_batcher: parse_item_batcher(f),
        tolerated_failure_percentage,
        tolerated_failure_count: parse_integer_source(f, "ToleratedFailureCount", 0, u64::MAX),
        label,
        result_writer: parse_result_writer(f),
        result_selector: f.template("ResultSelector"),
        result_path: f.result_path("ResultPath"),
        output_path: f.nullable_path("OutputPath"),
        retry: parse_retry(f),
        catch: parse_catch(f),
        transition: parse_transition(f).unwrap_or(Transition::End),
    }
}

fn parse_percentage(f: &mut Fields<'_>) -> Option<NumberSource> {
    const FIELD: &str = "ToleratedFailurePercentage";
    const PATH_FIELD: &str = "ToleratedFailurePercentagePath";
    if f.has(FIELD) && f.has(PATH_FIELD) {
        f.error(
            PATH_FIELD,
            DefinitionErrorKind::Conflicts {
                other: FIELD.into(),
            },
        );
    }
    if let Some(path) = f.path(PATH_FIELD, true) {
        let _ = f.take(FIELD);
        return Some(NumberSource::Path(path));
    }
    let value = f.number(FIELD)?;
    if !(0.0..=100.0).contains(&value) {
        f.error(
            FIELD,
            DefinitionErrorKind::InvalidValue {
                reason: format!("must be between 0 and 100, got {value}"),
            },
        );
        return None;
    }
    Some(NumberSource::Literal(value))
}

fn parse_processor(f: &mut Fields<'_>, ctx: &mut Ctx, name: &str) -> ItemProcessor {
    let field = match (f.has("ItemProcessor"), f.has("Iterator")) {
        (true, true) => {
            f.error(
                "Iterator",
                DefinitionErrorKind::Conflicts {
                    other: "ItemProcessor".into(),
                },
            );
            "ItemProcessor"
        }
        (false, true) => "Iterator",
        _ => "ItemProcessor",
    };
    let empty = ItemProcessor {
        mode: ProcessorMode::Inline,
        execution_type: None,
        branch: Branch {
            comment: None,
            start_at: String::new(),
            states: Default::default(),
        },
    };
    let Some(obj) = f.object(field) else {
        if !f.has(field) {
            f.error(field, DefinitionErrorKind::MissingField);
        }
        let _ = f.take("Iterator");
        return empty;
    };
    let _ = f.take("Iterator");
    let mut p = Fields::new(obj, f.name(field));
    let (mode, execution_type) = match p.object("ProcessorConfig") {
        Some(config) => {
            let mut c = Fields::new(config, p.name("ProcessorConfig"));
            let parsed = parse_processor_config(&mut c);
            p.absorb(c.finish());
            parsed
        }
        None => (ProcessorMode::Inline, None),
    };
    f.absorb(p.errors);
    ctx.scope.push(Scope::MapProcessor {
        state: name.to_string(),
    });
    let branch = parse_branch(obj, ctx, &["ProcessorConfig"]);
    ctx.scope.pop();
    ItemProcessor {
        mode,
        execution_type,
        branch,
    }
}

fn parse_processor_config(c: &mut Fields<'_>) -> (ProcessorMode, Option<ExecutionType>) {
    let mode = match c.string("Mode").as_deref() {
        None | Some("INLINE") => ProcessorMode::Inline,
        Some("DISTRIBUTED") => ProcessorMode::Distributed,
        Some(other) => {
            c.error(
                "Mode",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be INLINE or DISTRIBUTED, got \"{other}\""),
                },
            );
            ProcessorMode::Inline
        }
    };
    let execution_type = match c.string("ExecutionType").as_deref() {
        None => None,
        Some("STANDARD") => Some(ExecutionType::Standard),
        Some("EXPRESS") => Some(ExecutionType::Express),
        Some(other) => {
            c.error(
                "ExecutionType",
                DefinitionErrorKind::InvalidValue {
                    reason: format!("must be STANDARD or EXPRESS, got \"{other}\""),
                },
            );
            None
        }
    };
    match (mode, execution_type) {
        (ProcessorMode::Inline, Some(_)) => {
            c.error(
                "ExecutionType",
                DefinitionErrorKind::RequiresDistributedMode,
            );
            (mode, None)
        }
        (ProcessorMode::Distributed, None) => {
            if !c.has("ExecutionType") {
                c.error("ExecutionType", DefinitionErrorKind::MissingField);
            }
            (mode, Some(ExecutionType::Standard))
        }
        _ => (mode, execution_type),
    }
}

/// The raw JSON of an optional object field, for the readers crate.
pub(crate) fn raw_object(f: &mut Fields<'_>, field: &str) -> Option<Value> {
    f.object(field).map(|m| Value::Object(m.clone()))
}
