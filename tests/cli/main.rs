//! Tests of the `shoal` binary: each runs the real executable on a fresh
//! temporary data directory and checks its stdout, stderr and exit code.

#![allow(clippy::unwrap_used)]

mod bench;
mod command_runner;
mod crash;
mod examples;
mod inspect;
mod json_fields;
mod map_run;
mod observe;
mod redrive;
mod support;
mod validate;
