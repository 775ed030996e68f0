//! shoal: an embeddable durable workflow engine.
//!
//! This facade re-exports the three crates that make up shoal:
//! - [`storage`]: the durable event log ([`storage::EventLog`]) on sled;
//! - [`engine`]: the Amazon States Language engine;
//! - [`readers`]: item readers and the result writer on `object_store`.
//!
//! It adds the `shoal:command` task resource ([`command_runner`]) and
//! [`builtin_handlers`], the handler set the `shoal` command-line tool runs
//! with.

pub mod command_runner;

pub use shoal_engine as engine;
pub use shoal_readers as readers;
pub use shoal_storage as storage;

/// The handlers the `shoal` CLI registers: the engine's built-ins
/// (`shoal:noop`, `shoal:sleep`, `shoal:fail-at-rate`) and `shoal:command`
/// with default options.
pub fn builtin_handlers() -> engine::task::HandlerRegistry {
    let mut registry = engine::task::HandlerRegistry::with_builtins();
    command_runner::register_command_runner(
        &mut registry,
        command_runner::CommandRunnerOptions::new(),
    );
    registry
}
