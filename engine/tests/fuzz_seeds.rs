//! Replays the committed fuzz inputs of the engine's and the storage codec's
//! targets (`fuzz/seeds/<target>/`, `fuzz/regressions/<target>/`) through the
//! very functions the fuzz targets call, so a regression fails `cargo test`
//! without cargo-fuzz. See `fuzz/src/lib.rs`.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../../fuzz/src/asl.rs"]
mod asl;
#[path = "../../fuzz/src/input.rs"]
mod input;
#[path = "../../fuzz/src/intrinsic.rs"]
mod intrinsic;
#[path = "../../fuzz/src/path.rs"]
mod path;
#[path = "../../fuzz/src/record.rs"]
mod record;
#[path = "../../fuzz/src/seeds.rs"]
mod seeds;

use input::split_line;

fn fuzz_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

#[test]
fn record_decode_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "record_decode", record::record_decode) > 0);
}

#[test]
fn asl_parse_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "asl_parse", asl::asl_parse) > 0);
}

#[test]
fn intrinsic_eval_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "intrinsic_eval", intrinsic::intrinsic_eval) > 0);
}

#[test]
fn json_path_inputs() {
    assert!(seeds::run_all(&fuzz_dir(), "json_path", path::json_path) > 0);
}

#[test]
fn split_line_cuts_at_the_first_newline() {
    assert_eq!(split_line(b"a\nb\nc"), (&b"a"[..], &b"b\nc"[..]));
    assert_eq!(split_line(b"abc"), (&b"abc"[..], &b""[..]));
}
