//! `storesim`: the command line. Thin glue over the `sim`, `check` and
//! `reports` crates: parse flags, call them, print, pick the exit code.
//!
//! Exit codes: 0 every expectation holds, 1 one does not, 2 bad input or an
//! internal error.

mod bench;
mod breaches;
mod check_cmd;
mod cli;
mod determinism;
mod drive;
mod evaluate;
mod explore;
mod kept;
mod merge;
mod output;
mod records;
mod replay;
mod report_cmd;
mod run;
mod scenario_edit;
mod seeds;
mod shrink;
mod summary;
mod sweep;

use clap::Parser;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

/// mimalloc instead of the system allocator: a simulated message allocates
/// a dozen small objects (tasks, timers, packets), and glibc's malloc/free
/// was a quarter of all instructions of a run (callgrind, `storesim bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands the memory of finished seed threads back, every
/// [`SEEDS_PER_COLLECT`]th call (once per seed): each seed runs on a fresh
/// thread (see `sim::runner`), and mimalloc keeps an exited thread's pages
/// for reuse, which over thousands of seeds lets a run's memory creep up.
/// Collecting after every seed would cost ~4% of the run; every 32nd, noise.
pub fn release_memory() {
    static SEEDS: AtomicU64 = AtomicU64::new(0);
    if SEEDS.fetch_add(1, Ordering::Relaxed) % SEEDS_PER_COLLECT == SEEDS_PER_COLLECT - 1 {
        // SAFETY: `mi_collect` only walks mimalloc's own bookkeeping; it is
        // thread-safe and may be called at any time.
        unsafe { libmimalloc_sys::mi_collect(true) }
    }
}

const SEEDS_PER_COLLECT: u64 = 32;

fn main() -> ExitCode {
    restore_default_sigpipe();
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
    init_logging(args.verbose);
    store::planted::plant(args.plant).map_err(|e| anyhow::anyhow!("--plant: {e}"))?;
    match args.command {
        cli::Command::Run(args) => run::run(&args),
        cli::Command::Replay(args) => replay::replay(&args),
        cli::Command::Check(args) => check_cmd::check(&args),
        cli::Command::Merge(args) => merge::merge(&args),
        cli::Command::Bench(args) => bench::bench(&args),
        cli::Command::Report(args) => report_cmd::report(&args),
        cli::Command::Sweep(args) => sweep::sweep(&args),
        cli::Command::Shrink(args) => shrink::shrink(&args),
        cli::Command::Explore(args) => explore::explore(&args),
        cli::Command::Drive(args) => drive::drive(&args),
    }
}

/// Lets `storesim ... | head` end quietly, as Unix tools do, instead of
/// panicking on the first write to a closed pipe (Rust ignores SIGPIPE).
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; restoring a
    // signal's default disposition has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `-v`: our info logs; `-vv`: our debug logs; `-vvv`: everything at trace
/// level, madsim's included. Logs go to stderr and never into any output file.
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let ours = match verbose {
        0 => return,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let others = if verbose >= 3 {
        LevelFilter::TRACE
    } else {
        LevelFilter::WARN
    };
    let filter = Targets::new()
        .with_default(others)
        .with_target("storesim", ours)
        .with_target("sim", ours);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .without_time();
    tracing_subscriber::registry()
        .with(filter)
        .with(format)
        .init();
}
