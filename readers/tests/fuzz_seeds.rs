//! Replays the committed fuzz inputs of the reader targets
//! (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`) through the very
//! functions the fuzz targets call (`fuzz/src/readers.rs`), so a regression
//! fails `cargo test` without cargo-fuzz.

#[path = "../../fuzz/src/input.rs"]
mod input;
#[path = "../../fuzz/src/readers.rs"]
mod readers;
#[path = "../../fuzz/src/seeds.rs"]
mod seeds;

use input::split_line;

fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn reader_json_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "reader_json", readers::reader_json) > 0);
}

#[test]
fn reader_jsonl_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "reader_jsonl", readers::reader_jsonl) > 0);
}

#[test]
fn reader_csv_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "reader_csv", readers::reader_csv) > 0);
}

#[test]
fn reader_inventory_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "reader_inventory", readers::reader_inventory) > 0);
}
