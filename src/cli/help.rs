//! The text `--help` shows after each command's options: example lines and
//! the exit codes that command can give. Kept here, out of the clap
//! definitions, so that the argument list in `mod.rs` stays readable; each
//! constant is named after its command. `docs/cli.md` says the same at length.

/// After `shoal --help`: a first session, the data directory, every exit code.
pub const SHOAL: &str = "\
Examples:
  shoal validate examples/hello/definition.json
  shoal run examples/hello/definition.json --input '{\"who\": \"world\", \"nap_ms\": 300}'
  shoal run examples/word-count/definition.json --store texts=file://examples/word-count/data
  shoal resume                       # continue after Ctrl-C or a crash
  shoal list --status failed
  shoal history NAME --json

The data directory is --data-dir DIR, else $SHOAL_DATA_DIR, else ./.shoal;
one shoal process at a time uses it.

Built-in Task resources: shoal:noop, shoal:sleep, shoal:fail-at-rate, and
shoal:command (runs a program: task input on stdin, result JSON on stdout).

Exit codes:
  0    success
  1    the execution failed, timed out or was aborted (error and cause on stderr)
  2    usage error, or an invalid definition
  3    not found: execution, map run, definition file or data directory
  4    storage error: the log is locked by another shoal process, corrupt, or I/O failed
  5    conflict: --name already used with other input; stop of an execution that ended
  130  interrupted by Ctrl-C or SIGTERM (`shoal resume` continues)

Reference: docs/cli.md";

/// After `shoal validate --help`.
pub const VALIDATE: &str = "\
Examples:
  shoal validate machine.json
  shoal validate machine.json --json    # {\"valid\": false, \"errors\": [{\"state\", \"field\", \"message\"}]}

Exit codes: 0 valid, 2 invalid (one line per error on stderr), 3 no such file.";

/// After `shoal run --help`.
pub const RUN: &str = "\
Examples:
  shoal run machine.json --input '{\"orderId\": 42}' --name order-42
  shoal run machine.json --input @input.json
  shoal run map.json --store images=s3://my-bucket/raw --store reports=file:///tmp/reports

Stores: an ItemReader or ResultWriter `Bucket` names a store given with
--store NAME=URL (repeatable). s3:// takes its credentials, region and
endpoint from the AWS_* environment variables (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, ...); a relative file:// path is taken from the current
directory. Stores are remembered in the data directory (stores.json), so
`resume`, `stop` and later runs need not repeat them; a NAME given again
replaces its URL.

Exit codes: 0 succeeded, 1 failed / timed out / aborted, 2 invalid
definition or arguments, 4 storage error, 5 --name used with other input,
130 interrupted (continue with `shoal resume`).";

/// After `shoal resume --help`.
pub const RESUME: &str = "\
Examples:
  shoal resume                                   # with the stores the runs were given
  shoal resume --store texts=file:///new/place   # replace a remembered store

Exit codes: 0 every resumed execution succeeded (or none was unfinished),
1 one or more did not, 3 no data directory, 4 storage error, 130 interrupted.";

/// After `shoal list --help`.
pub const LIST: &str = "\
Examples:
  shoal list
  shoal list --status running --state-machine word-count --json

Exit codes: 0 listed (possibly nothing), 3 no data directory, 4 storage error.";

/// After `shoal describe --help`.
pub const DESCRIBE: &str = "\
Examples:
  shoal describe order-42
  shoal describe exec-0000000000000001 --json

Exit codes: 0 found, 3 no such execution or data directory, 4 storage error.";

/// After `shoal history --help`.
pub const HISTORY: &str = "\
Examples:
  shoal history order-42
  shoal history order-42 --json     # {\"executionId\", \"events\": [{\"id\", \"previousEventId\", \"timestampMs\", \"type\", \"details\"}]}

Exit codes: 0 found, 3 no such execution or data directory, 4 storage error.";

/// After `shoal map-run --help`.
pub const MAP_RUN: &str = "\
Examples:
  shoal describe word-count-1         # its `Map run` lines give the ARNs
  shoal map-run 'shoal:mapRun:word-count/WordCount:0000000000000001-00000002' --json

Exit codes: 0 found, 3 no such map run or data directory, 4 storage error.";

/// After `shoal stop --help`.
pub const STOP: &str = "\
Examples:
  shoal stop order-42 --error Ops.Cancelled --cause 'customer withdrew the order'

A running `shoal run` owns its data directory: stop it with Ctrl-C instead.

Exit codes: 0 stopped, 3 no such execution or data directory, 4 storage
error (for example the directory is in use), 5 the execution already ended.";

/// After `shoal redrive --help`.
pub const REDRIVE: &str = "\
Examples:
  shoal redrive order-42
  shoal redrive exec-0000000000000007 --store images=file://./images --json

Restarts from the state that did not succeed, with the input it had; a
Distributed Map whose map run failed re-runs only its failed, aborted and
timed-out children and reads the items it had not read.

Exit codes: 0 the redriven execution succeeded, 1 it failed again, 3 no
such execution or data directory, 4 storage error (for example the
directory is in use), 5 not redrivable (running or succeeded), 130
interrupted (`shoal resume` continues it).";

/// After `shoal bench --help` and its subcommands.
pub const BENCH: &str = "\
Examples:
  shoal bench map --items 10000 --concurrency 10000 --child standard --json
  shoal bench recover --in-flight 10000 --json

Figures measured on this project's machines are in docs/BENCHMARKS.md.

Exit codes: 0 measured, 1 the benchmark's execution did not succeed (for
`recover`, also any item lost or duplicated), 2 bad arguments (for
`recover`, also a run that ended before the kill: raise --sleep-ms), 4
storage error.";
