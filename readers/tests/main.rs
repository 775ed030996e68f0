//! Integration tests of shoal-readers: one binary, one module per concern.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod common;
mod resume;
mod s3;
mod shapes;
mod stores;
mod writer;
