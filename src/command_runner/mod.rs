//! The `shoal:command` task resource: runs a program per task, the task's
//! input JSON on its stdin, its result JSON read from its stdout.
//!
//! A Task state names it with `"Resource": "shoal:command"` and gives the
//! program in its (effective) input:
//!
//! | Field     | Required | Meaning |
//! |-----------|----------|---------|
//! | `Command` | yes      | argv as a non-empty array of strings; `Command[0]` is looked up on `PATH` |
//! | `Input`   | no       | the JSON written to stdin; when absent, the input without `Command` |
//!
//! 1. The program starts in its own process group, with `SHOAL_EXECUTION_ID`,
//!    `SHOAL_EXECUTION_NAME`, `SHOAL_STATE_NAME`, `SHOAL_ATTEMPT` and
//!    `SHOAL_IDEMPOTENCY_KEY` (plus `SHOAL_TASK_TOKEN` for
//!    `.waitForTaskToken`) in its environment, so that it can make its side
//!    effect idempotent: a task runs at least once.
//! 2. The stdin JSON is written and stdin closed; stdout and stderr are read
//!    at the same time (so neither pipe can fill and stall the program).
//! 3. Exit status 0: stdout parsed as JSON is the result (empty stdout is
//!    `null`); anything else fails the task with
//!    [`INVALID_COMMAND_OUTPUT`]. Stdout beyond
//!    [`CommandRunnerOptions::with_stdout_bytes_max`] is drained and fails the
//!    task with the same error.
//! 4. A non-zero status or a signal fails the task with [`COMMAND_FAILED`],
//!    the cause naming the program and status followed by the last
//!    [`CommandRunnerOptions::with_stderr_tail_bytes`] of its stderr.
//! 5. A stderr line that is exactly [`HEARTBEAT_LINE`] restarts the task's
//!    `HeartbeatSeconds` timer (and is left out of the cause).
//! 6. When the attempt is cancelled (`TimeoutSeconds`, `HeartbeatSeconds`,
//!    `stop_execution`, engine shutdown), the whole process group gets
//!    SIGKILL, so shell pipelines do not outlive their task.
//!
//! A crash of the process that runs the engine (kill -9) leaves a running
//! program orphaned until it ends by itself; on recovery the attempt is
//! invoked again with the same idempotency key.

mod request;
mod streams;

use std::process::Stdio;
use std::sync::Arc;

use serde_json::Value;
use shoal_engine::task::{HandlerRegistry, TaskContext, TaskError, TaskResult};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use request::CommandRequest;

/// The resource name of the command runner.
pub const COMMAND: &str = "shoal:command";
/// Error name of a program that could not start, exited non-zero or was killed by a signal.
pub const COMMAND_FAILED: &str = "shoal.CommandFailed";
/// Error name of a program whose stdout is not one JSON document (or is too large).
pub const INVALID_COMMAND_OUTPUT: &str = "shoal.InvalidCommandOutput";
/// Error name of a program cancelled before it ended (its result is discarded).
pub const COMMAND_CANCELLED: &str = "shoal.Cancelled";
/// A stderr line with exactly this text is a heartbeat.
pub const HEARTBEAT_LINE: &str = "HEARTBEAT";

/// Limits of the command runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRunnerOptions {
    stdout_bytes_max: usize,
    stderr_tail_bytes: usize,
}

impl Default for CommandRunnerOptions {
    fn default() -> Self {
        CommandRunnerOptions {
            stdout_bytes_max: 256 * 1024,
            stderr_tail_bytes: 4 * 1024,
        }
    }
}

impl CommandRunnerOptions {
    /// Defaults: stdout up to 256 KiB (the engine's default payload limit),
    /// the last 4 KiB of stderr in a failure's cause.
    pub fn new() -> Self {
        Self::default()
    }

    /// Largest stdout accepted as a result, in bytes.
    pub fn with_stdout_bytes_max(mut self, bytes: usize) -> Self {
        self.stdout_bytes_max = bytes;
        self
    }

    /// How much of the end of stderr a failure's cause keeps, in bytes.
    pub fn with_stderr_tail_bytes(mut self, bytes: usize) -> Self {
        self.stderr_tail_bytes = bytes;
        self
    }
}

/// Registers `shoal:command` in `registry` as an async handler.
pub fn register_command_runner(registry: &mut HandlerRegistry, options: CommandRunnerOptions) {
    let options = Arc::new(options);
    registry.register_async(COMMAND, move |input, context| {
        let options = Arc::clone(&options);
        async move { run_command(input, context, &options).await }
    });
}

/// Runs one attempt: see the module documentation for the protocol.
async fn run_command(
    input: Value,
    context: TaskContext,
    options: &CommandRunnerOptions,
) -> TaskResult {
    let request = CommandRequest::from_input(input)?;
    let mut command = Command::new(request.program());
    command
        .args(request.args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0)
        .env("SHOAL_EXECUTION_ID", context.execution_id())
        .env("SHOAL_EXECUTION_NAME", context.execution_name())
        .env("SHOAL_STATE_NAME", context.state_name())
        .env("SHOAL_ATTEMPT", context.attempt().to_string())
        .env("SHOAL_IDEMPOTENCY_KEY", context.idempotency_key());
    if let Some(token) = context.task_token() {
        command.env("SHOAL_TASK_TOKEN", token);
    }
    let mut child = command.spawn().map_err(|error| {
        TaskError::new(
            COMMAND_FAILED,
            format!("could not start {}: {error}", request.describe()),
        )
    })?;
    let pid = child.id();
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let stdin_bytes = request.stdin_bytes();
    let exchange = async {
        let write = async {
            if let Some(mut stdin) = stdin {
                // A program that exits without reading its stdin closes the
                // pipe; that is its business, not a failure.
                let _ = stdin.write_all(&stdin_bytes).await;
                let _ = stdin.shutdown().await;
            }
        };
        let (_, stdout, stderr, status) = tokio::join!(
            write,
            streams::read_bounded(stdout, options.stdout_bytes_max),
            streams::read_stderr(stderr, options.stderr_tail_bytes, &context),
            child.wait(),
        );
        (stdout, stderr, status)
    };
    let outcome = {
        tokio::pin!(exchange);
        tokio::select! {
            done = &mut exchange => Some(done),
            () = context.cancelled() => None,
        }
    };
    let Some((stdout, stderr_tail, status)) = outcome else {
        // Only while the program is unreaped is its pid sure to still name
        // its group; after that the number may belong to someone else.
        if matches!(child.try_wait(), Ok(None)) {
            kill_group(pid);
        }
        return Err(TaskError::new(
            COMMAND_CANCELLED,
            format!("{} was killed: its task was cancelled", request.describe()),
        ));
    };
    let status = status.map_err(|error| {
        TaskError::new(
            COMMAND_FAILED,
            format!("waiting for {} failed: {error}", request.describe()),
        )
    })?;
    if !status.success() {
        return Err(TaskError::new(
            COMMAND_FAILED,
            format!(
                "{} {}{}",
                request.describe(),
                streams::describe_status(status),
                streams::cause_suffix(&stderr_tail)
            ),
        ));
    }
    streams::parse_stdout(stdout, options.stdout_bytes_max, &request.describe())
}

/// SIGKILL to the process group led by `pid` (the program's own group).
fn kill_group(pid: Option<u32>) {
    let Some(pid) = pid.and_then(|pid| i32::try_from(pid).ok()) else {
        return;
    };
    // ESRCH (the group is gone) is the common, fine outcome.
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}
