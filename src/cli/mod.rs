//! The `shoal` command line: argument parsing (clap), logging, dispatch and
//! exit codes. One module per command; `docs/cli.md` is the reference.

mod bench;
mod bench_recover;
mod definition;
mod error;
mod help;
mod inspect;
mod inspect_commands;
mod map_run;
mod open;
mod progress;
mod redrive;
mod remembered;
mod run;
mod stop;
mod validate;
mod views;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};
use shoal_engine::ExecutionStatus;
use tracing_subscriber::EnvFilter;

use error::{CliError, EXIT_OK, EXIT_STORAGE};
use open::StoreArg;

/// Run Amazon States Language state machines durably on this machine.
///
/// shoal runs AWS Step Functions state machines (ASL JSON: Pass, Task,
/// Choice, Wait, Parallel, Map with Distributed Map, Retry, Catch, ...) in
/// one process, without AWS. Every state transition is written to an
/// on-disk event log before it takes effect, so after Ctrl-C, `kill -9` or a
/// power cut, `shoal resume` continues every execution where it stopped.
/// The commands mirror Step Functions' actions: run (StartExecution),
/// describe (DescribeExecution), history (GetExecutionHistory), list
/// (ListExecutions), map-run (DescribeMapRun), stop (StopExecution),
/// redrive (RedriveExecution).
#[derive(Debug, Parser)]
#[command(
    name = "shoal",
    version,
    propagate_version = true,
    after_help = help::SHOAL
)]
struct Cli {
    /// Data directory holding the event log [default: $SHOAL_DATA_DIR, else ./.shoal]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    data_dir: Option<PathBuf>,
    /// Print exactly one JSON document on stdout instead of tables and text
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = "Global options")]
    verbose: u8,
    /// Log filter for stderr, e.g. info or shoal_engine=debug,warn (EnvFilter syntax); overrides RUST_LOG and -v
    #[arg(
        long,
        global = true,
        value_name = "FILTER",
        help_heading = "Global options"
    )]
    log_level: Option<String>,
    /// After run, resume or redrive: print the engine's final metrics snapshot on stderr (one JSON object)
    #[arg(long, global = true, help_heading = "Global options")]
    metrics: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a definition without running it; every error names its state and field
    ///
    /// Parses the Amazon States Language JSON and checks it as
    /// `run` would before starting anything: state names and transitions,
    /// field types and ranges, JSONPaths and intrinsic functions, Retry and
    /// Catch, ItemReader / ItemBatcher / ResultWriter of Distributed Maps.
    /// Nothing is written; no data directory is needed.
    #[command(after_help = help::VALIDATE)]
    Validate {
        /// The state machine definition (ASL JSON file)
        definition: PathBuf,
    },
    /// Run a state machine durably and wait for its output (StartExecution)
    ///
    /// Validates the definition, registers it as a state machine, starts
    /// one execution and shows its progress on stderr (Distributed Map item
    /// counters, rate, ETA) until it ends. Prints the output JSON on stdout
    /// (with --json, the execution's description); a failed, timed-out or
    /// aborted execution prints its error and cause on stderr and exits 1.
    /// Ctrl-C stops cleanly and `shoal resume` continues; a second Ctrl-C
    /// exits at once (nothing acknowledged is lost either way).
    #[command(after_help = help::RUN)]
    Run {
        /// The state machine definition (ASL JSON file)
        definition: PathBuf,
        /// Execution input: JSON text, @FILE, or @- for stdin [default: {}]
        #[arg(long, value_name = "JSON|@FILE")]
        input: Option<String>,
        /// Execution name [default: its id]; the same name and input again returns that execution instead of starting another
        #[arg(long)]
        name: Option<String>,
        /// State machine name [default: the file name without .json; for .../NAME/definition.json, NAME]
        #[arg(long, value_name = "NAME")]
        state_machine: Option<String>,
        /// Store that ItemReader / ResultWriter `Bucket` NAME means: s3://bucket[/prefix], file://dir, memory:// (repeatable; remembered in the data directory)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
    /// Continue every unfinished execution after a crash or Ctrl-C, and wait for them
    ///
    /// Opens the data directory, replays each unfinished execution from its
    /// log and continues it (task attempts cut off by the crash run again
    /// with the same idempotency key; Distributed Maps read on from their
    /// checkpoint, starting no item twice), then prints one line per
    /// execution: id, name, status, output or error.
    #[command(after_help = help::RESUME)]
    Resume {
        /// Store for a `Bucket` NAME, as for `run` (the run's own stores are remembered; this adds or replaces one)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
    /// List executions, running ones first, then by id (ListExecutions)
    ///
    /// Shows id, name, state machine, status, start and stop dates of the
    /// top-level executions; Distributed Map children are counted by
    /// `map-run` instead.
    #[command(after_help = help::LIST)]
    List {
        /// Only this status: running, succeeded, failed, timed-out, aborted
        #[arg(long, value_parser = parse_status)]
        status: Option<ExecutionStatus>,
        /// Only executions of this state machine
        #[arg(long, value_name = "NAME")]
        state_machine: Option<String>,
        /// Show at most N executions
        #[arg(long, value_name = "N", default_value_t = 1000)]
        limit: usize,
    },
    /// Show an execution's status, input, output or error (DescribeExecution)
    ///
    /// Also lists the ARNs of its Distributed Map runs, for `map-run`.
    #[command(after_help = help::DESCRIBE)]
    Describe {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
    },
    /// Show an execution's history events (GetExecutionHistory)
    ///
    /// One line per event, with Step Functions' event types
    /// (ExecutionStarted, TaskStateEntered, TaskScheduled, TaskSucceeded,
    /// MapRunStarted, ...), in the order they were recorded.
    #[command(after_help = help::HISTORY)]
    History {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
    },
    /// Show a Distributed Map run's status and child counters (DescribeMapRun)
    ///
    /// Status, MaxConcurrency, tolerated failure, items read, and child
    /// executions running, succeeded, failed, timed out and aborted.
    #[command(after_help = help::MAP_RUN)]
    MapRun {
        /// The map run's ARN, as `describe` lists it
        map_run_arn: String,
    },
    /// Restart a failed, aborted or timed-out execution (RedriveExecution)
    ///
    /// Continues from the state that did not succeed, with the input it
    /// had; states that succeeded are not run again. Waits with the same
    /// progress display as `resume` and prints the output as `run` does.
    #[command(after_help = help::REDRIVE)]
    Redrive {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
        /// Store for a `Bucket` NAME, as for `run` (remembered ones need not be given again)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
    /// Whole-process benchmarks (one JSON object with --json)
    #[command(subcommand, after_help = help::BENCH)]
    Bench(BenchCommand),
    /// Abort an execution left running by an interrupted run (StopExecution)
    ///
    /// Records ExecutionAborted with the given error and cause, and aborts
    /// the execution's map runs and their children. For an execution a
    /// crashed or interrupted `shoal run` left unfinished: a live run owns
    /// the data directory, so stop that one with Ctrl-C.
    #[command(after_help = help::STOP)]
    Stop {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
        /// Error name recorded in ExecutionAborted [default: none]
        #[arg(long, default_value = "", hide_default_value = true)]
        error: String,
        /// Cause recorded in ExecutionAborted [default: none]
        #[arg(long, default_value = "", hide_default_value = true)]
        cause: String,
        /// Store for a `Bucket` NAME, as for `run` (remembered ones need not be given again)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Time one Distributed Map over N items, start to durable completion
    ///
    /// Runs in a fresh data directory (under --data-dir, else the system's
    /// temporary directory; removed afterwards unless --keep) and reports
    /// wall time, items and transitions per second, fsyncs, the peak of
    /// children in flight, peak RSS and log bytes.
    #[command(after_help = help::BENCH)]
    Map {
        /// Items to map
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        items: u64,
        /// MaxConcurrency of the map run
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        concurrency: u32,
        /// Child execution type: standard or express
        #[arg(long, value_name = "TYPE", default_value = "standard")]
        child: String,
        /// Where the items come from: memory (an in-memory store) or jsonl (a local file)
        #[arg(long, value_name = "SOURCE", default_value = "memory")]
        source: String,
        /// Each child's task: noop, or sleep-ms:N
        #[arg(long, value_name = "TASK", default_value = "noop")]
        handler: String,
        /// sled's page cache for the log, in MiB (default: the log's default)
        #[arg(long, value_name = "MIB")]
        log_cache_mib: Option<u64>,
        /// Keep the benchmark's data directory
        #[arg(long)]
        keep: bool,
    },
    /// SIGKILL a run with N children in flight, then time its recovery
    ///
    /// Starts `shoal run` on a Distributed Map whose N children sleep, kills
    /// it with SIGKILL while they are all in flight, reopens the directory
    /// and times the open, the first transition and completion; counts
    /// items lost or run twice (both must be 0).
    #[command(after_help = help::BENCH)]
    Recover {
        /// Children in flight at the kill (the map run's items and MaxConcurrency)
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        in_flight: u64,
        /// Each child sleeps until this many ms after the run is prepared (past the kill, so all are in flight then; their re-run after the kill returns at once)
        #[arg(long, value_name = "MS", default_value_t = 3_000)]
        sleep_ms: u64,
        /// Kill this many ms after the run's data directory appears
        #[arg(long, value_name = "MS", default_value_t = 2_000)]
        kill_after_ms: u64,
        /// Keep the benchmark's data directory
        #[arg(long)]
        keep: bool,
    },
}

fn parse_status(text: &str) -> Result<ExecutionStatus, String> {
    let wanted = text.to_ascii_uppercase().replace('-', "_");
    ExecutionStatus::ALL
        .into_iter()
        .find(|status| status.name() == wanted)
        .ok_or_else(|| {
            format!("{text:?} is not one of running, succeeded, failed, timed-out, aborted")
        })
}

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = init_logging(cli.verbose, cli.log_level.as_deref()) {
        eprintln!("error: {error}");
        return ExitCode::from(error.exit_code());
    }
    progress::print_final_metrics(cli.metrics);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_STORAGE);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(CliError::Interrupted) => ExitCode::from(CliError::Interrupted.exit_code()),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let explicit_data_dir = cli.data_dir.clone();
    let data_dir = open::data_dir(cli.data_dir);
    let json = cli.json;
    match cli.command {
        Command::Validate { definition } => validate::validate(&definition, json),
        Command::Run {
            definition,
            input,
            name,
            state_machine,
            stores,
        } => {
            let request = run::RunRequest {
                definition,
                input,
                name,
                state_machine,
                stores,
            };
            run::run(&data_dir, request, json).await
        }
        Command::Resume { stores } => run::resume(&data_dir, &stores, json).await,
        Command::List {
            status,
            state_machine,
            limit,
        } => inspect_commands::list(&data_dir, status, state_machine.as_deref(), limit, json),
        Command::Describe { execution } => inspect_commands::describe(&data_dir, &execution, json),
        Command::History { execution } => inspect_commands::history(&data_dir, &execution, json),
        Command::Bench(BenchCommand::Map {
            items,
            concurrency,
            child,
            source,
            handler,
            log_cache_mib,
            keep,
        }) => {
            let bench = bench::MapBench {
                items,
                concurrency,
                child,
                source,
                handler,
                log_cache_mib,
                keep,
            };
            bench::map(bench, explicit_data_dir, json).await
        }
        Command::Bench(BenchCommand::Recover {
            in_flight,
            sleep_ms,
            kill_after_ms,
            keep,
        }) => {
            let bench = bench_recover::RecoverBench {
                in_flight,
                sleep_ms,
                kill_after_ms,
                keep,
            };
            let base = explicit_data_dir.unwrap_or_else(std::env::temp_dir);
            bench_recover::recover(bench, &base, json).await
        }
        Command::MapRun { map_run_arn } => map_run::map_run(&data_dir, &map_run_arn, json),
        Command::Redrive { execution, stores } => {
            redrive::redrive(&data_dir, &execution, &stores, json).await
        }
        Command::Stop {
            execution,
            error,
            cause,
            stores,
        } => {
            let reason = stop::Reason {
                error: &error,
                cause: &cause,
            };
            stop::stop(&data_dir, &execution, reason, &stores, json).await
        }
    }
}

/// Logs go to stderr (stdout stays for `--json`): `--log-level` when given,
/// else RUST_LOG when set, else warn / info / debug / trace by `-v` count.
/// The engine emits the spans and events listed in docs/observability.md.
fn init_logging(verbose: u8, log_level: Option<&str>) -> Result<(), CliError> {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = match log_level {
        Some(text) => EnvFilter::try_new(text)
            .map_err(|e| CliError::Usage(format!("--log-level {text:?}: {e}")))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: logs redirected to a file stay plain.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_statuses_parse() {
        Cli::command().debug_assert();
        assert_eq!(parse_status("timed-out"), Ok(ExecutionStatus::TimedOut));
        assert_eq!(parse_status("SUCCEEDED"), Ok(ExecutionStatus::Succeeded));
        assert!(parse_status("done").is_err());
    }
}
