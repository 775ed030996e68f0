//! The examples the README and docs/cli.md show, run as written.

use serde_json::json;

use crate::support::Sandbox;

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
