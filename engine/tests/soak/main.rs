//! Crash soak: the workload of [`workload`] (STANDARD and EXPRESS
//! Distributed Maps with Retry, Wait, Catch, tolerated failures and two
//! ResultWriters, plus plain executions) runs in a child process on a
//! `SledLog` wrapped in [`tap::AckTap`], which writes every queued and
//! every acknowledged batch to a side file. The parent SIGKILLs the child
//! at random moments (1 to 3 kills a cycle, each in a fresh process that
//! resumes from the log), and after every kill reopens the directory and
//! runs [`checker::LogChecker`]: every acknowledged record present and
//! unchanged, streams gap-free, earlier reads unchanged, in-flight batches
//! all-or-nothing. It also records which phase the kill hit. At the end of
//! a cycle it runs everything to completion in-process and checks outcomes,
//! counters against recounts, histories and result files ([`results`]).
//!
//! Knobs (environment): `SHOAL_SOAK_CYCLES` (default 50),
//! `SHOAL_SOAK_SECONDS` (stop starting cycles after this long; with no
//! `SHOAL_SOAK_CYCLES` the cycle count is then unbounded),
//! `SHOAL_SOAK_ITEMS` (items per map run, default 100), `SHOAL_SOAK_SEED`
//! (replay). The S3 ResultWriter uses the server in the `AWS_*`
//! environment (scripts/test.sh exports it); without one it writes locally
//! and says so, except under `CI`, where a missing server is a failure.
//! Long runs: `cargo test --release -p shoal-engine --test soak -- --nocapture`.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../crash_support/mod.rs"]
mod crash_support;

mod checker;
mod results;
mod tap;
mod workload;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shoal_storage::EventLog;

use checker::{open_log, phase, Distribution, LogChecker};
use crash_support::{kill, now_ms, spawn_self, wait_for_line, Rng};
use tap::{AckFile, AckTap};
use workload::Setup;

const CHILD_DIR_ENV: &str = "SHOAL_SOAK_CHILD_DIR";
const RUN_ENV: &str = "SHOAL_SOAK_RUN";
const ITEMS_ENV: &str = "SHOAL_SOAK_ITEMS";
const EPOCH_ENV: &str = "SHOAL_SOAK_EPOCH_MS";
const S3_PREFIX_ENV: &str = "SHOAL_SOAK_S3_PREFIX";
const READY_LINE: &str = "soak-child-ready";
const DONE_LINE: &str = "soak-child-done";
const DEFAULT_CYCLES: usize = 50;
const DEFAULT_ITEMS: u64 = 100;

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn side_file(dir: &Path, run: &str) -> std::path::PathBuf {
    dir.join(format!("acks-{run}.log"))
}

/// Runs the whole workload on the log in `dir` (through an AckTap writing
/// to the side file of `run`) and returns the engine and the outcomes.
async fn run_workload(
    dir: &Path,
    setup: &Setup,
    run: &str,
    ready: impl FnOnce(),
) -> (shoal_engine::Engine, workload::Outcomes) {
    let log: Arc<dyn EventLog> = open_log(dir);
    let tap: Arc<dyn EventLog> = Arc::new(AckTap::new(
        log,
        &side_file(dir, run),
        tokio::runtime::Handle::current(),
    ));
    let engine = workload::open_engine(tap, dir, setup).await;
    let ids = workload::start_all(&engine, setup, ready).await;
    let outcomes = workload::wait_all(&engine, ids).await;
    (engine, outcomes)
}

/// The child's entry point: does nothing unless the parent set the env var.
#[test]
fn soak_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let setup = Setup {
        items: env_number(ITEMS_ENV).unwrap(),
        epoch_ms: env_number(EPOCH_ENV).unwrap(),
        s3_prefix: std::env::var(S3_PREFIX_ENV).ok(),
    };
    let run = std::env::var(RUN_ENV).unwrap();
    runtime().block_on(async move {
        let ready = || {
            println!("{READY_LINE}");
            let _ = std::io::Write::flush(&mut std::io::stdout());
        };
        let (engine, _) = run_workload(Path::new(&dir), &setup, &run, ready).await;
        println!("{DONE_LINE}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
        engine.shutdown().await;
    });
}

/// How a kill is timed.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Soon after spawn: while the engine opens and recovers.
    Early(u64),
    /// A delay after the ready line, anywhere in the workload's length.
    AfterReady(u64),
    /// As soon as the local ResultWriter's first file appears, plus a delay.
    ResultFiles(u64),
}

impl KillAt {
    fn name(self) -> &'static str {
        match self {
            KillAt::Early(_) => "early (0-60 ms after spawn: open, recovery)",
            KillAt::AfterReady(_) => "random delay within the work left",
            KillAt::ResultFiles(_) => "0-3 ms after the local ResultWriter's first file appears",
        }
    }
}

fn choose_kill(rng: &mut Rng, work_ms: u64) -> KillAt {
    match rng.below(8) {
        0 => KillAt::Early(rng.below(60)),
        1 => KillAt::ResultFiles(rng.below(4)),
        _ => KillAt::AfterReady(rng.below(work_ms)),
    }
}

fn any_file_under(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let path = entry.path();
            path.is_file() || any_file_under(&path)
        })
    })
}

/// The environment of child process `run` of a cycle.
fn child_envs(dir: &Path, setup: &Setup, run: usize) -> Vec<(&'static str, String)> {
    let mut envs = vec![
        (CHILD_DIR_ENV, dir.display().to_string()),
        (RUN_ENV, run.to_string()),
        (ITEMS_ENV, setup.items.to_string()),
        (EPOCH_ENV, setup.epoch_ms.to_string()),
    ];
    if let Some(prefix) = &setup.s3_prefix {
        envs.push((S3_PREFIX_ENV, prefix.clone()));
    }
    envs
}

/// Starts child process `run`, kills it as `at` says; true when the kill
/// interrupted it (it had not finished the workload).
fn spawn_and_kill(dir: &Path, setup: &Setup, run: usize, at: KillAt, limit: Duration) -> bool {
    let (mut child, mut stdout) = spawn_self("soak_child", &child_envs(dir, setup, run));
    match at {
        KillAt::Early(ms) => std::thread::sleep(Duration::from_millis(ms)),
        KillAt::AfterReady(ms) => {
            wait_for_line(&mut stdout, READY_LINE);
            std::thread::sleep(Duration::from_millis(ms));
        }
        KillAt::ResultFiles(ms) => {
            let results = dir.join("out").join("standard");
            let started = Instant::now();
            while !any_file_under(&results) && started.elapsed() < limit {
                std::thread::sleep(Duration::from_micros(500));
            }
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
    let interrupted = kill(&mut child);
    drop(stdout);
    interrupted
}

/// The soak's settings from the environment.
struct Knobs {
    cycles: usize,
    seconds: Option<u64>,
    setup: Setup,
    s3_base: Option<String>,
}

fn knobs() -> Knobs {
    let seconds = env_number("SHOAL_SOAK_SECONDS");
    let default_cycles = if seconds.is_some() {
        usize::MAX
    } else {
        DEFAULT_CYCLES
    };
    let s3_base = if std::env::var_os("AWS_ENDPOINT").is_some() {
        Some(format!("soak-{}-{}", std::process::id(), now_ms()))
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AWS_ENDPOINT is not: run under scripts/test.sh"
        );
        eprintln!("soak: SKIPPED the S3 ResultWriter (no AWS_ENDPOINT): both maps write locally");
        None
    };
    Knobs {
        cycles: env_number("SHOAL_SOAK_CYCLES").unwrap_or(default_cycles),
        seconds,
        setup: Setup {
            items: env_number(ITEMS_ENV).unwrap_or(DEFAULT_ITEMS),
            epoch_ms: now_ms(),
            s3_prefix: None,
        },
        s3_base,
    }
}

/// One uninterrupted run in a child process (timed from its ready line to
/// its done line: kill delays are drawn within that), then checked.
fn reference_run(runtime: &tokio::runtime::Runtime, knobs: &Knobs) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = knobs.setup.clone();
    setup.s3_prefix = knobs
        .s3_base
        .as_ref()
        .map(|base| format!("{base}/reference"));
    workload::prepare(dir.path(), setup.items);
    let (mut child, mut stdout) = spawn_self("soak_child", &child_envs(dir.path(), &setup, 0));
    assert!(
        wait_for_line(&mut stdout, READY_LINE),
        "the reference child starts"
    );
    let started = Instant::now();
    assert!(
        wait_for_line(&mut stdout, DONE_LINE),
        "the reference child finishes"
    );
    let work = started.elapsed();
    assert!(
        child.wait().unwrap().success(),
        "the reference child exits cleanly"
    );
    runtime.block_on(async {
        let (engine, outcomes) = run_workload(dir.path(), &setup, "end", || {}).await;
        let stores = workload::stores(dir.path(), &setup);
        results::check_end(&engine, &outcomes, &stores, &setup, usize::MAX).await;
        engine.shutdown().await;
    });
    work
}

/// Totals over the soak.
#[derive(Default)]
struct Totals {
    kills: usize,
    interrupted: usize,
    acknowledged: usize,
    children: u64,
    distribution: Distribution,
}

/// One cycle: 1–3 kills with checks after each, then the end run and its checks.
fn cycle(
    runtime: &tokio::runtime::Runtime,
    knobs: &Knobs,
    number: usize,
    rng: &mut Rng,
    work_ms: u64,
    totals: &mut Totals,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut setup = knobs.setup.clone();
    setup.s3_prefix = knobs
        .s3_base
        .as_ref()
        .map(|base| format!("{base}/c{number}"));
    workload::prepare(dir.path(), setup.items);
    let stores = workload::stores(dir.path(), &setup);
    // Create the log before any kill (a kill inside the very first open is
    // a separate storage case, covered by storage/tests/crash.rs).
    drop(open_log(dir.path()));
    let mut checker = LogChecker::default();
    let limit = Duration::from_millis(work_ms * 4 + 2_000);
    // Work done by earlier processes of this cycle, roughly: later kills
    // are drawn within what is left, so they too land mid-run.
    let mut progress_ms = 0;
    for run in 0..1 + rng.below(3) as usize {
        let left_ms = work_ms.saturating_sub(progress_ms).max(work_ms / 8);
        let at = choose_kill(rng, left_ms);
        if let KillAt::AfterReady(ms) = at {
            progress_ms += ms;
        }
        totals.kills += 1;
        totals.interrupted += usize::from(spawn_and_kill(dir.path(), &setup, run, at, limit));
        let acks = AckFile::read(&side_file(dir.path(), &run.to_string()));
        checker.absorb(&acks);
        let log = open_log(dir.path());
        let in_flight = checker.check(log.as_ref(), Some(&acks), number);
        let phase = runtime.block_on(phase(log.as_ref(), &stores, &setup));
        if std::env::var_os("SHOAL_SOAK_VERBOSE").is_some() {
            eprintln!(
                "soak: cycle {number} run {run}: {at:?} -> {} {:?} {in_flight:?}",
                phase.label(),
                phase.runs
            );
        }
        totals.distribution.add(at.name(), &phase, in_flight);
        if phase.label() == checker::ALL_ENDED {
            // Nothing left to interrupt: further kills would only hit the
            // recovery of a finished workload.
            break;
        }
    }
    runtime.block_on(async {
        let (engine, outcomes) = run_workload(dir.path(), &setup, "end", || {}).await;
        totals.children += results::check_end(&engine, &outcomes, &stores, &setup, number).await;
        engine.shutdown().await;
    });
    checker.absorb(&AckFile::read(&side_file(dir.path(), "end")));
    checker.check(open_log(dir.path()).as_ref(), None, number);
    totals.acknowledged += checker.acknowledged();
}

#[test]
fn soak_crash_cycles() {
    if std::env::var_os(CHILD_DIR_ENV).is_some() {
        return;
    }
    let knobs = knobs();
    let mut rng = Rng::from_env("SHOAL_SOAK_SEED");
    let runtime = runtime();
    let work = reference_run(&runtime, &knobs);
    let work_ms = work.as_millis() as u64 + 1;
    eprintln!(
        "soak: {} items per map; an uninterrupted workload takes {work_ms} ms; SHOAL_SOAK_SEED={}",
        knobs.setup.items, rng.0
    );
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut cycles = 0;
    while cycles < knobs.cycles
        && knobs
            .seconds
            .is_none_or(|s| started.elapsed().as_secs() < s)
    {
        cycle(&runtime, &knobs, cycles, &mut rng, work_ms, &mut totals);
        cycles += 1;
        if cycles % 50 == 0 {
            eprintln!("soak: {cycles} cycles, {} s", started.elapsed().as_secs());
        }
    }
    eprintln!(
        "soak: {cycles} crash cycles / {} acknowledged transitions, 0 lost, 0 duplicated; \
         {} kills ({} interrupted a running child); {} children checked; {} s",
        totals.acknowledged,
        totals.kills,
        totals.interrupted,
        totals.children,
        started.elapsed().as_secs()
    );
    totals.distribution.print(totals.kills);
}
