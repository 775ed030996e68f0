//! The `shoal` command line: argument parsing (clap), logging, dispatch and
//! exit codes. One module per command; `docs/cli.md` is the reference.

mod bench;
mod bench_recover;
mod definition;
mod error;
mod inspect;
mod inspect_commands;
mod map_run;
mod open;
mod progress;
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

/// Run Amazon States Language workflows durably on this machine.
///
/// Every state transition is written to an on-disk log before it takes
/// effect: after a crash or Ctrl-C, `shoal resume` continues where it
/// stopped. Exit codes: 0 ok, 1 execution failed, 2 usage or invalid
/// definition, 3 not found, 4 storage error, 5 conflict, 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "shoal", version, propagate_version = true)]
struct Cli {
    /// Data directory holding the log [default: $SHOAL_DATA_DIR, else ./.shoal]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of tables and text
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a definition; every error names its state and field (exit 2 when invalid)
    Validate {
        /// The ASL definition (JSON)
        definition: PathBuf,
    },
    /// Register a state machine, start an execution and wait for its output
    ///
    /// Prints the output JSON on stdout (with --json, the execution's
    /// description); exits 1 when the execution fails, with its error and
    /// cause on stderr. Ctrl-C stops cleanly (resume with `shoal resume`); a
    /// second Ctrl-C exits at once.
    Run {
        /// The ASL definition (JSON)
        definition: PathBuf,
        /// Execution input: JSON text, @FILE, or @- for stdin [default: {}]
        #[arg(long, value_name = "JSON|@FILE")]
        input: Option<String>,
        /// Execution name; starting the same name again with the same input returns that execution
        #[arg(long)]
        name: Option<String>,
        /// State machine name [default: the file name without .json; for definition.json, its directory]
        #[arg(long, value_name = "NAME")]
        state_machine: Option<String>,
        /// A store ItemReader/ResultWriter `Bucket` values can name: s3://bucket[/prefix], file://dir, memory://
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
    /// Continue every unfinished execution after a crash or Ctrl-C, and wait for them
    Resume {
        /// A store ItemReader/ResultWriter `Bucket` values can name (as for `run`)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
    /// List executions, by status then id
    List {
        /// Only this status: running, succeeded, failed, timed-out, aborted
        #[arg(long, value_parser = parse_status)]
        status: Option<ExecutionStatus>,
        /// Only executions of this state machine
        #[arg(long, value_name = "NAME")]
        state_machine: Option<String>,
        /// At most this many
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// Show an execution's status, input, output or error
    Describe {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
    },
    /// Show an execution's history events (Step Functions' event types)
    History {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
    },
    /// Show a Distributed Map run's status and child counters
    MapRun {
        /// The map run's ARN (as `describe` lists it)
        map_run_arn: String,
    },
    /// Whole-process benchmarks (one JSON object with --json)
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Abort a running execution of a data directory no other shoal process has open
    Stop {
        /// Execution name or id (exec-<16 hex digits>)
        execution: String,
        /// Error name recorded in ExecutionAborted
        #[arg(long, default_value = "")]
        error: String,
        /// Cause recorded in ExecutionAborted
        #[arg(long, default_value = "")]
        cause: String,
        /// Stores the unfinished executions' map runs use while the engine is open (as for `run`)
        #[arg(long = "store", value_name = "NAME=URL", value_parser = open::parse_store)]
        stores: Vec<StoreArg>,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// A DISTRIBUTED Map over N items on a SledLog in a fresh directory
    /// (under --data-dir, else the temporary directory; removed afterwards)
    Map {
        /// Items to map
        #[arg(long, default_value_t = 10_000)]
        items: u64,
        /// MaxConcurrency of the map run
        #[arg(long, default_value_t = 10_000)]
        concurrency: u32,
        /// Child execution type: standard or express
        #[arg(long, default_value = "standard")]
        child: String,
        /// Where the items come from: memory (an in-memory store) or jsonl (a local file)
        #[arg(long, default_value = "memory")]
        source: String,
        /// Each child's task: noop, or sleep-ms:N
        #[arg(long, default_value = "noop")]
        handler: String,
        /// Keep the benchmark's data directory
        #[arg(long)]
        keep: bool,
    },
    /// SIGKILL a `shoal run` whose map run has N children in flight, then
    /// reopen and time the recovery (open, first transition, completion)
    Recover {
        /// Children in flight at the kill (the map run's items and MaxConcurrency)
        #[arg(long, default_value_t = 10_000)]
        in_flight: u64,
        /// How long each child sleeps, ms (long enough to be in flight at the kill)
        #[arg(long, default_value_t = 3_000)]
        sleep_ms: u64,
        /// Kill this long after the run's data directory appears, ms
        #[arg(long, default_value_t = 2_000)]
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
    init_logging(cli.verbose);
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
            keep,
        }) => {
            let bench = bench::MapBench {
                items,
                concurrency,
                child,
                source,
                handler,
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

/// Logs go to stderr: RUST_LOG when set, else warn / info / debug / trace by `-v` count.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
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
