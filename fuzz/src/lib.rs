//! The checks behind shoal's fuzz targets, one function per target.
//!
//! Every function takes the fuzzer's bytes and panics only when a property of
//! the code under test is broken: a panic inside the library, a decoder that
//! accepts what it then cannot re-read, a reader that resumes from its own
//! checkpoint to different items. Rejecting bad input with an error is fine.
//!
//! The targets in `fuzz_targets/` are one-line wrappers. The workspace's tests
//! include these files by path (`engine/tests/fuzz_seeds.rs`,
//! `readers/tests/fuzz_seeds.rs`) and feed every committed seed
//! (`fuzz/seeds/<target>/`) and every crash input ever found
//! (`fuzz/regressions/<target>/`) through the same functions, so a regression
//! fails `cargo test` without cargo-fuzz.

//!
//! The target modules reach their one shared helper as `super::split_line`,
//! so that a test crate can include them beside `input.rs` the same way.

pub mod asl;
mod input;
pub mod intrinsic;
pub mod path;
pub mod readers;
pub mod record;
pub mod seeds;

pub use input::split_line;
