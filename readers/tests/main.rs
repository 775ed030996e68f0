//! Integration tests of shoal-readers: one binary, one module per concern.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod common;
mod fuzz_seeds;
mod limits;
mod resume;
mod s3;
mod security;
mod shapes;
mod stores;
mod writer;
