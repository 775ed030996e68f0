//! The `shoal` command-line tool: run, resume and inspect durable Amazon
//! States Language workflows in a local data directory. See `docs/cli.md`.

mod cli;

/// The binary's allocator. A map run allocates and frees small JSON values and
/// futures at a high rate; mimalloc cut the CPU of `shoal bench map` by 20-38 %
/// against glibc malloc (docs/BENCHMARKS.md). Embedders choose their own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
