//! `storesimd`: one node of the store as a real service. See the crate docs
//! and README ("storesimd").

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use storesimd::config::Settings;

/// One storesimd node: the store over TCP with an S3 HTTP API.
#[derive(Debug, Parser)]
#[command(name = "storesimd", version)]
struct Cli {
    /// A TOML file of settings (flags override it).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match &cli.config {
        Some(path) => Settings::from_file(path).map(|file| file.overridden_by(cli.settings)),
        None => Ok(cli.settings),
    };
    let config = match settings.and_then(Settings::validate) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("storesimd: error: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("storesimd: error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(storesimd::run::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("storesimd: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
