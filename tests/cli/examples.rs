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
