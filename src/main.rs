//! The `shoal` command-line tool: run, resume and inspect durable Amazon
//! States Language workflows in a local data directory. See `docs/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
