//! `shoal bench map` prints one JSON object with the documented fields.

use crate::support::Sandbox;

#[test]
fn bench_map_reports_its_measurements_as_json() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    let report = sandbox
        .shoal(&[
            "bench",
            "map",
            "--items",
            "300",
            "--concurrency",
            "40",
            "--handler",
            "sleep-ms:5",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(report["items"], 300);
    assert_eq!(report["concurrency"], 40);
    assert_eq!(report["child"], "standard");
    assert_eq!(report["status"], "SUCCEEDED");
    let max_in_flight = report["max_in_flight"].as_u64().unwrap();
    assert!((1..=40).contains(&max_in_flight), "{report}");
    assert!(report["transitions"].as_u64().unwrap() >= 300, "{report}");
    for field in ["wall_s", "items_per_s", "transitions_per_s"] {
        assert!(report[field].as_f64().unwrap() > 0.0, "{field}: {report}");
    }
    assert!(report["peak_rss_bytes"].as_u64().unwrap() > 0, "{report}");
    assert!(report["log_bytes"].as_u64().unwrap() > 0, "{report}");
    assert!(report["rss_before_bytes"].as_u64().unwrap() > 0, "{report}");
    // Null unless all 40 children were in flight at one sample.
    let per_child = &report["rss_per_in_flight_child_bytes"];
    assert!(per_child.is_null() || per_child.is_u64(), "{report}");
    // The benchmark's directory is removed afterwards.
    assert_eq!(std::fs::read_dir(sandbox.data_dir()).unwrap().count(), 0);
    sandbox
        .shoal(&["bench", "map", "--handler", "spin"])
        .expect_code(2);
}

#[test]
fn bench_recover_kills_a_run_and_counts_nothing_lost_or_duplicated() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    // Generous margins: with the other tests loading both cores, the run
    // can take over a second to start its execution after its directory
    // appears, and every child must still be asleep at the kill.
    let report = sandbox
        .shoal(&[
            "bench",
            "recover",
            "--in-flight",
            "200",
            "--sleep-ms",
            "4000",
            "--kill-after-ms",
            "2000",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(report["in_flight"], 200);
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["duplicated"], 0, "{report}");
    assert_eq!(report["status"], "SUCCEEDED");
    let open = report["open_s"].as_f64().unwrap();
    let recovered = report["recovered_s"].as_f64().unwrap();
    let first = report["first_transition_s"].as_f64().unwrap();
    let complete = report["complete_s"].as_f64().unwrap();
    assert!(
        open <= recovered && recovered <= first && first <= complete,
        "{report}"
    );
}
