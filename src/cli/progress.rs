//! Waiting for executions: the live progress line (stderr) and Ctrl-C.
//!
//! 1. Every [`TICK`] the line is redrawn from the engine's metrics
//!    snapshot (`Engine::metrics`): executions done, the transitions this
//!    process made durable and their rate, map-run children in flight; and, every
//!    [`MAP_RUN_TICK`], the counters of the executions' map runs
//!    (succeeded, failed, running, pending, items per second, ETA).
//! 2. The first SIGINT (Ctrl-C) or SIGTERM stops the engine cleanly:
//!    commits in flight finish, task attempts are cancelled (their
//!    programs killed), and the command exits with 130 after saying how to
//!    continue. Nothing recorded is lost; `shoal resume` re-runs the
//!    cancelled attempts.
//! 3. A second SIGINT during that stop exits at once with 130. The log's
//!    acknowledged transitions are already durable, so `shoal resume`
//!    continues from them just as it would after a crash.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use shoal_engine::api::ExecutionDescription;
use shoal_engine::maprun::{MapRunCounts, MapRunStatus};
use shoal_engine::{Engine, ExecutionId};
use tokio::signal::unix::{signal, SignalKind};

use super::error::{CliError, EXIT_INTERRUPTED};

/// Whether `wait_all` prints the final metrics snapshot (`--metrics`).
static PRINT_FINAL_METRICS: AtomicBool = AtomicBool::new(false);

/// Sets whether [`wait_all`] prints the engine's metrics snapshot on
/// stderr when it returns (the global `--metrics` flag).
pub fn print_final_metrics(on: bool) {
    PRINT_FINAL_METRICS.store(on, Ordering::Relaxed);
}

/// Prints `{"metrics": <EngineMetrics>}` on stderr when `--metrics` was given.
fn report_metrics(engine: &Engine) {
    if PRINT_FINAL_METRICS.load(Ordering::Relaxed) {
        let snapshot = serde_json::json!({ "metrics": engine.metrics() });
        eprintln!("{snapshot}");
    }
}

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(200);
/// How often map runs are described (each reads its unsettled children).
const MAP_RUN_TICK: Duration = Duration::from_secs(1);
/// Beyond this many executions the line does not sum their map runs.
const COUNTED_EXECUTIONS_MAX: usize = 64;

/// The progress line: hidden when stderr is not a terminal or output is JSON.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    map_runs: std::sync::Mutex<MapRunLine>,
}

/// The map-run part of the line, refreshed every [`MAP_RUN_TICK`].
#[derive(Default)]
struct MapRunLine {
    refreshed: Option<Instant>,
    text: String,
}

impl Progress {
    /// A spinner on stderr, or a hidden one.
    pub fn new(visible: bool) -> Progress {
        let target = if visible && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            map_runs: std::sync::Mutex::new(MapRunLine::default()),
        }
    }

    fn update(&self, engine: &Engine, ids: &[ExecutionId], done: usize) {
        let metrics = engine.metrics();
        // Start transitions are counted by `started`, the others by
        // `transitions`; both count from this engine's start.
        let transitions = metrics.executions.started + metrics.executions.transitions;
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let mut text = format!(
            "{done}/{} executions done · {transitions} transitions · {:.0}/s",
            ids.len(),
            transitions as f64 / seconds
        );
        let in_flight = metrics.map_runs.children_in_flight;
        if in_flight > 0 {
            text.push_str(&format!(" · {in_flight} children in flight"));
        }
        if let Ok(mut line) = self.map_runs.lock() {
            if line.refreshed.is_none_or(|at| at.elapsed() >= MAP_RUN_TICK) {
                line.text = map_run_text(engine, ids);
                line.refreshed = Some(Instant::now());
            }
            text.push_str(&line.text);
        }
        self.bar.set_message(text);
        self.bar.tick();
    }

    /// Prints a line above the progress line (stderr).
    pub fn println(&self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }
}

/// " · map runs: 9,000 ok · 12 failed · 988 running · 0 pending · 850/s · ETA 1s",
/// summed over the map runs of `ids` (the first [`COUNTED_EXECUTIONS_MAX`]).
fn map_run_text(engine: &Engine, ids: &[ExecutionId]) -> String {
    let mut counts = MapRunCounts::default();
    let mut earliest_ms = i64::MAX;
    let mut open = false;
    for id in ids.iter().take(COUNTED_EXECUTIONS_MAX) {
        for arn in engine.list_map_runs(*id).unwrap_or_default() {
            let Ok(run) = engine.describe_map_run(&arn) else {
                continue;
            };
            let c = run.item_counts;
            counts.succeeded += c.succeeded;
            counts.failed += c.failed + c.timed_out + c.aborted;
            counts.running += c.running;
            counts.pending += c.pending;
            counts.total += c.total;
            earliest_ms = earliest_ms.min(run.start_ms);
            open |= run.status == MapRunStatus::Running;
        }
    }
    if earliest_ms == i64::MAX {
        return String::new();
    }
    let done = counts.succeeded + counts.failed;
    let now_ms = time_now_ms();
    let seconds = ((now_ms - earliest_ms).max(1) as f64) / 1000.0;
    let rate = done as f64 / seconds;
    let mut text = format!(
        " · items: {} ok · {} failed · {} running · {} pending · {rate:.0}/s",
        counts.succeeded, counts.failed, counts.running, counts.pending
    );
    let left = counts.total.saturating_sub(done);
    if open && rate > 0.0 && left > 0 {
        text.push_str(&format!(" · ETA {:.0}s", left as f64 / rate));
    }
    text
}

fn time_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Waits until every execution in `ids` ended, drawing `progress`; on
/// Ctrl-C stops the engine as the module doc says and returns `Interrupted`.
pub async fn wait_all(
    engine: &Engine,
    ids: &[ExecutionId],
    progress: &Progress,
    data_dir: &Path,
) -> Result<Vec<ExecutionDescription>, CliError> {
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| CliError::Storage(format!("cannot listen for Ctrl-C: {e}")))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|e| CliError::Storage(format!("cannot listen for SIGTERM: {e}")))?;
    let done = AtomicUsize::new(0);
    let all = async {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(engine.wait_for_completion(*id).await?);
            done.fetch_add(1, Ordering::Relaxed);
        }
        Ok::<_, CliError>(out)
    };
    tokio::pin!(all);
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            result = &mut all => {
                progress.bar.finish_and_clear();
                report_metrics(engine);
                return result;
            }
            _ = tick.tick() => progress.update(engine, ids, done.load(Ordering::Relaxed)),
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        }
    }
    progress.println(
        "stopping cleanly (in-flight work is recorded); press Ctrl-C again to exit at once",
    );
    let data_dir_text = data_dir.display().to_string();
    tokio::spawn(async move {
        if interrupt.recv().await.is_some() {
            eprintln!("exiting at once; continue with: shoal resume --data-dir {data_dir_text}");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    engine.shutdown().await;
    progress.bar.finish_and_clear();
    report_metrics(engine);
    eprintln!(
        "stopped; nothing recorded is lost. Continue with: shoal resume --data-dir {}",
        data_dir.display()
    );
    Err(CliError::Interrupted)
}
