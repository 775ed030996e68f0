//! The examples the README and docs/cli.md show, run as written.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::{path_str, Run, Sandbox};

#[test]
fn the_hello_example_runs_as_documented() {
    let sandbox = Sandbox::new();
    let definition = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/hello/definition.json"
    );
    sandbox.shoal(&["validate", definition]).expect_code(0);
    let output = sandbox
        .shoal(&[
            "run",
            definition,
            "--input",
            r#"{"who": "world", "nap_ms": 300}"#,
        ])
        .expect_code(0)
        .json();
    assert_eq!(output["greeting"], "hello, world");
    assert_eq!(output["nap"], json!({"slept_ms": 300}));
    let listed = sandbox.shoal(&["list", "--json"]).expect_code(0).json();
    assert_eq!(listed["executions"][0]["stateMachine"], "hello");
    // The Choice sends long naps to a Fail state: exit 1.
    let run = sandbox
        .shoal(&[
            "run",
            definition,
            "--input",
            r#"{"who": "world", "nap_ms": 9000}"#,
        ])
        .expect_code(1);
    assert!(run.stderr().contains("Hello.TooSleepy"), "{}", run.stderr());
}

/// The README's main-job command, word for word (run from the repository
/// root, as cargo runs tests): a Distributed Map over the bundled text
/// files, one child per file, each counted by a shell script.
#[test]
fn the_readme_main_job_counts_every_bundled_file() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .shoal(&[
            "run",
            "examples/word-count/definition.json",
            "--store",
            "texts=file://examples/word-count/data",
        ])
        .expect_code(0)
        .json();
    let results = output.as_array().expect("the map's output is an array");
    let data_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/word-count/data");
    let mut keys: Vec<String> = std::fs::read_dir(data_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    keys.sort();
    assert_eq!(results.len(), keys.len());
    for (result, key) in results.iter().zip(&keys) {
        let text = std::fs::read_to_string(format!("{data_dir}/{key}")).unwrap();
        assert_eq!(result["Key"], json!(key), "results come in listing order");
        assert_eq!(
            result["Words"],
            json!(text.split_whitespace().count()),
            "{key}"
        );
        assert_eq!(result["Lines"], json!(text.lines().count()), "{key}");
    }
}

/// Runs `sh SCRIPT ARGS` from the repository root with `SHOAL` set to the
/// binary under test (so the script builds nothing), and returns its output.
fn run_script(script: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new("sh");
    command
        .arg(script)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SHOAL", env!("CARGO_BIN_EXE_shoal"))
        .env_remove("RUST_LOG")
        .env_remove("SHOAL_DATA_DIR");
    for (name, value) in env {
        command.env(name, value);
    }
    Run(command.output().unwrap())
}

/// examples/csv-report: every CSV row ends in exactly one result file
/// record, SUCCEEDED or FAILED, and the tolerated failures are the bad rows.
#[test]
fn the_csv_report_example_writes_a_manifest_and_result_files() {
    let work = tempfile::tempdir().unwrap();
    let work_dir = work.path().join("work");
    let run = run_script("examples/csv-report/run.sh", &[path_str(&work_dir)], &[]).expect_code(0);
    let stdout = run.stdout();
    for part in [
        "\"ResultWriterDetails\"",
        "\"DestinationBucket\":\"reports\"",
        "first 3 of 786",
        "14 rows tolerated",
        "unknown currency 'XXX'",
        "unit price '74,52' is not a decimal number",
        "  DE ",
    ] {
        assert!(stdout.contains(part), "no {part:?} in: {stdout}");
    }

    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/csv-report/data/orders.csv"
    ))
    .unwrap();
    let mut orders: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap().to_string())
        .collect();
    let runs = work_dir.join("reports/orders-2026-q3");
    let run_dir = std::fs::read_dir(&runs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut seen = Vec::new();
    for file in ["SUCCEEDED_0.json", "FAILED_0.json"] {
        for line in std::fs::read_to_string(run_dir.join(file)).unwrap().lines() {
            let record: Value = serde_json::from_str(line).unwrap();
            // COMPACT: a succeeded line is the child's output; a failed one
            // is the whole record, with the child's input as JSON text.
            let order = match record.get("Input") {
                Some(input) => {
                    serde_json::from_str::<Value>(input.as_str().unwrap()).unwrap()["order"].clone()
                }
                None => record["order"].clone(),
            };
            seen.push(order.as_str().unwrap().to_string());
        }
    }
    orders.sort();
    seen.sort();
    assert_eq!(seen, orders, "each order line once, none lost");
}

/// examples/crash-resume/demo.sh: kill -9 mid-run, resume, and the script's
/// own checks (output identical, nothing lost or started twice) pass.
#[test]
fn the_crash_resume_demo_passes_its_checks() {
    let work = tempfile::tempdir().unwrap();
    let work_dir = work.path().join("work");
    let run = run_script(
        "examples/crash-resume/demo.sh",
        &[path_str(&work_dir)],
        &[("ITEMS", "120")],
    )
    .expect_code(0);
    assert_eq!(
        run.stdout(),
        "OK: 120 items, lost 0, started twice 0, output identical\n",
        "{}",
        run.stderr()
    );
    let stderr = run.stderr();
    assert!(
        stderr.contains("RUNNING"),
        "describe after the kill: {stderr}"
    );
    assert!(stderr.contains("SUCCEEDED"), "{stderr}");
    // The clean run's output is the job's: n and n² for every item.
    let clean: Value =
        serde_json::from_str(&std::fs::read_to_string(work_dir.join("clean.json")).unwrap())
            .unwrap();
    let expected: Vec<Value> = (0..120).map(|n| json!({"n": n, "square": n * n})).collect();
    assert_eq!(clean, Value::Array(expected));
}

/// examples/s3/run.sh against the S3-compatible test server that
/// scripts/test.sh starts (its env file gives AWS_ENDPOINT and the keys).
#[test]
fn the_s3_example_runs_against_the_test_server() {
    if std::env::var_os("AWS_ENDPOINT").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but AWS_ENDPOINT is not: run the tests through scripts/test.sh"
        );
        eprintln!("SKIPPED (no S3 server): run through `bash scripts/test.sh`, or start scripts/s3-server.sh and source its env file");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let work_dir = work.path().join("work");
    let run = run_script("examples/s3/run.sh", &[path_str(&work_dir)], &[]).expect_code(0);
    let stdout = run.stdout();
    for part in [
        "\"ResultWriterDetails\"",
        "\"DestinationBucket\":\"out\"",
        "\"FAILED\":[]",
        "texts/log-000.txt",
    ] {
        assert!(stdout.contains(part), "no {part:?} in: {stdout}");
    }
    // The size classes of all 120 uploaded files.
    let classified: u32 = stdout
        .lines()
        .filter(|line| line.ends_with(" large") || line.ends_with(" small"))
        .map(|line| {
            line.split_whitespace()
                .next()
                .unwrap()
                .parse::<u32>()
                .unwrap()
        })
        .sum();
    assert_eq!(classified, 120, "{stdout}");
}

/// examples/embed.rs, as `cargo test` builds it: three executions through an
/// async and a blocking handler; a second run on the same directory finds
/// them by name and prints the same outputs.
#[test]
fn the_embed_example_runs_and_is_idempotent_on_a_second_start() {
    let shoal = std::path::Path::new(env!("CARGO_BIN_EXE_shoal"));
    let embed = shoal.with_file_name("examples").join("embed");
    if !embed.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} was not built: run `cargo test` without a target filter",
            embed.display()
        );
        eprintln!(
            "SKIPPED: {} not built (cargo test --test cli builds no examples)",
            embed.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |expected_recovered: &str| {
        let output = Command::new(&embed).arg(dir.path()).output().unwrap();
        let run = Run(output).expect_code(0);
        let stdout = run.stdout();
        assert!(stdout.starts_with(expected_recovered), "{stdout}");
        stdout
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let first = run("recovered 0 unfinished execution(s)\n");
    assert_eq!(first.len(), 3, "{first:?}");
    for (index, line) in first.iter().enumerate() {
        assert!(
            line.starts_with(&format!("crawl-{index} SUCCEEDED: ")),
            "{line}"
        );
        let output: Value = serde_json::from_str(line.split_once(": ").unwrap().1).unwrap();
        assert_eq!(output["checksum"].as_str().unwrap().len(), 16, "{output}");
        assert!(output["page"]["key"].is_string(), "{output}");
    }
    assert_eq!(run("recovered 0 unfinished execution(s)\n"), first);
}

/// The README: "Ctrl-C stops it cleanly; `cargo run --release -- resume`
/// continues it" — a plain `resume`, without the run's `--store`, which
/// the data directory remembers.
#[test]
fn the_readme_main_job_continues_after_ctrl_c_with_a_plain_resume() {
    let sandbox = Sandbox::new();
    let child = sandbox.spawn_started(&[
        "run",
        "examples/word-count/definition.json",
        "--store",
        "texts=file://examples/word-count/data",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let interrupted = child.wait_with_output().unwrap();
    let resumed = sandbox.shoal(&["resume", "--json"]);
    if interrupted.status.code() == Some(0) {
        return; // finished before the signal: nothing left to resume
    }
    assert_eq!(interrupted.status.code(), Some(130));
    let resumed = resumed.expect_code(0).json();
    let output = &resumed["executions"][0]["output"];
    assert_eq!(output.as_array().map(Vec::len), Some(120), "{resumed}");
    assert_eq!(output[0]["Key"], "log-000.txt");
}
