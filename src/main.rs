//! `storesim`: the command line. Thin glue over the `sim`, `check` and
//! `reports` crates: parse flags, call them, print, pick the exit code.
//!
//! Exit codes: 0 every expectation holds, 1 one does not, 2 bad input or an
//! internal error.

mod cli;
mod evaluate;
mod output;
mod replay;
mod run;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run_cli() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run_cli() -> anyhow::Result<ExitCode> {
    let args = cli::Cli::parse();
    match args.command {
        cli::Command::Run(args) => run::run(&args),
        cli::Command::Replay(args) => replay::replay(&args),
    }
}
