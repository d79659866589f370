//! Command-line flags (clap derive).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Deterministic simulation testbed for storage consistency.
#[derive(Debug, Parser)]
#[command(name = "storesim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log to stderr: -v progress of seeds, -vv details, -vvv also madsim's own logs.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Test builds only (`--features planted`): plant this bug in the store
    /// for every seed this command runs (see `scripts/planted.sh`; names in
    /// `store::planted`). A normal build refuses it (exit 2).
    #[arg(long, global = true, value_name = "BUG", value_parser = parse_bug)]
    pub plant: Option<store::planted::Bug>,
}

/// A planted bug by name; the error lists the names.
fn parse_bug(name: &str) -> Result<store::planted::Bug, String> {
    use store::planted::Bug;
    Bug::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        format!("no planted bug {name:?}; one of: {}", names.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario on one or more seeds and judge its [expect] block.
    Run(RunArgs),
    /// Re-run one seed, print its verdicts and counterexamples, write its history.
    Replay(ReplayArgs),
    /// Check history files (JSONL) from storesim or any other system.
    Check(CheckArgs),
    /// Combine the run folders of shards (`run --shard K/N`) into one.
    Merge(MergeArgs),
    /// Measure simulation speed against a raw madsim request/response loop.
    Bench(BenchArgs),
    /// Re-render a run folder's report (report.md, report.html, plots) from its results.json.
    Report(ReportArgs),
    /// Run a scenario over a grid of values (--set path=v1,v2) and compare the points.
    Sweep(SweepArgs),
    /// Search for a smaller scenario that still fails the way seed S fails.
    Shrink(ShrinkArgs),
    /// Run fresh seeds until a `pass` expectation breaks or time is up; write and shrink the breach.
    Explore(ExploreArgs),
    /// Run the scenario's workload against real S3 endpoints, check the history, write a run folder.
    Drive(DriveArgs),
}

#[derive(Debug, Args)]
pub struct DriveArgs {
    /// Scenario file (TOML): its [workload] is driven, its faults (and a [nemesis]'s) applied with --cluster.
    pub scenario: PathBuf,
    /// S3 endpoint URL (http://host:port); repeat for several nodes of one
    /// store: each operation goes to one drawn from the seed (node i in the history).
    #[arg(long, required = true)]
    pub endpoint: Vec<String>,
    /// Bucket to use (created if missing; must be empty).
    #[arg(long)]
    pub bucket: String,
    /// Run folder [default: runs/<scenario name>/drive].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the clients' draws [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Access key id [default: $AWS_ACCESS_KEY_ID, else "storesim"].
    #[arg(long)]
    pub access_key: Option<String>,
    /// Secret key [default: $AWS_SECRET_ACCESS_KEY, else "storesimd", storesimd's].
    #[arg(long)]
    pub secret_key: Option<String>,
    /// Seconds one request may take before it is recorded `info`.
    #[arg(long, default_value_t = 5.0, value_parser = parse_timeout)]
    pub timeout: f64,
    /// A local storesimd cluster's folder (`scripts/cluster.sh up --dir DIR`):
    /// apply the scenario's faults to it: crash (kill -9, restart from disk), pause, partitions and clock jumps (storesimd's control files).
    #[arg(long)]
    pub cluster: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Wall-clock time to explore for (a duration: "30s", "10m", "2h"). It
    /// decides how many seeds run, never what a seed does.
    #[arg(long, default_value = "10m")]
    pub time: String,
    /// Stop after this many seeds, if time is not up first.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_seeds: Option<u64>,
    /// First seed [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seeds run in parallel [default: available cores]. Which breach is found does not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Explore only the K-th of N disjoint slices of the seeds (seed S+i when i mod N = K-1).
    #[arg(long)]
    pub shard: Option<crate::seeds::Shard>,
    /// Folder for the breach (a run folder) and its shrunk scenario [default: runs/<name>/explore].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The failing seed.
    #[arg(long)]
    pub seed: u64,
    /// The check to keep failing [default: the first that breaks a `pass`
    /// expectation, else the first invalid one].
    #[arg(long)]
    pub check: Option<String>,
    /// Seeds tried per candidate (from the current failing seed on).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub tries: u64,
    /// Where to write the shrunk scenario [default: runs/<name>/shrunk-seed-<S>.toml].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Scenario to measure.
    #[arg(default_value = "scenarios/quorum-partition.toml")]
    pub scenario: PathBuf,
    /// Seeds per measurement.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub seeds: u64,
    /// Calls in the raw madsim loop.
    #[arg(long, default_value_t = 400_000, value_parser = clap::value_parser!(u64).range(4..=100_000_000))]
    pub raw_calls: u64,
    /// Times each row is measured, interleaved; the fastest counts (the
    /// least disturbed by whatever else the machine does).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeat: u64,
    /// A second scenario measured on one job, interleaved with the others, to
    /// compare messages per second with (e.g. scenarios/quorum-partition.toml).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Seeds per measurement of --baseline.
    #[arg(long, default_value_t = 50, requires = "baseline", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub baseline_seeds: u64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run folder (holds results.json, and seeds/<S>/ for kept seeds).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// PATH=V1,V2,...: a dotted path into the scenario (cluster.read_quorum)
    /// and TOML values (1, "2ms", true). Repeat for a grid.
    #[arg(long = "set", required = true)]
    pub set: Vec<String>,
    /// Seeds per point: SEED, SEED+1, ...
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub seeds: u64,
    /// First seed [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seeds run in parallel [default: available cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Sweep folder: one run folder per point, plus sweep.md and sweep.html.
    #[arg(long)]
    pub out: PathBuf,
    /// Keep every seed's history in the points' run folders.
    #[arg(long)]
    pub keep_histories: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Run folders to combine (each holds results.json and seeds.jsonl).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged run folder.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Number of seeds to run: SEED, SEED+1, ...
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub seeds: u64,
    /// First seed [default: the scenario's `seed`].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seeds run in parallel [default: available cores]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Run folder for results.json, seeds.jsonl and failing histories [default: runs/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only the K-th of N disjoint slices of the seeds (1-based, e.g. 2/8).
    #[arg(long)]
    pub shard: Option<crate::seeds::Shard>,
    /// Run every seed twice and compare histories and traces event by event.
    #[arg(long)]
    pub check_determinism: bool,
    /// Append seeds that break an expectation to regressions/<scenario>.seeds
    /// next to the scenario; they run first on every later run.
    #[arg(long)]
    pub save_regressions: bool,
    /// Skip the saved regression seeds.
    #[arg(long)]
    pub no_regressions: bool,
    /// Keep every seed's history in the run folder, not only the failing ones.
    #[arg(long)]
    pub keep_histories: bool,
    /// Test-only: plant nondeterminism, to show that --check-determinism catches it.
    #[arg(long, hide = true)]
    pub plant_nondeterminism: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The seed to replay.
    #[arg(long)]
    pub seed: u64,
    /// Folder for history.jsonl [default: runs/<scenario name>/seeds/<SEED>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print every simulated message and fault with its simulated time.
    #[arg(long)]
    pub trace: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// History files (JSONL, one event per line).
    #[arg(required = true)]
    pub histories: Vec<PathBuf>,
    /// Checks to run, comma-separated [default: every implemented check].
    #[arg(long)]
    pub checks: Option<String>,
    /// Time budget per file in seconds; a search that runs out says `unknown`.
    #[arg(long, value_parser = parse_timeout)]
    pub timeout: Option<f64>,
    /// Linearizability search steps per key before it says `unknown`
    /// (deterministic, unlike --timeout).
    #[arg(long, default_value_t = check::Budget::default().max_steps, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps: u64,
    /// Memory the linearizability search may hold per key, in MiB, before it
    /// says `unknown`.
    #[arg(long = "memory", value_name = "MIB", default_value_t = check::Budget::default().max_memory_mib, value_parser = parse_memory)]
    pub max_memory_mib: usize,
    /// One JSON object per file and line instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_memory(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(mib) if (1..=1 << 20).contains(&mib) => Ok(mib),
        _ => Err(format!("{text:?} is not a number of MiB in [1, 1048576]")),
    }
}

fn parse_timeout(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 1e6 => Ok(secs),
        _ => Err(format!(
            "{text:?} is not a number of seconds in (0, 1000000]"
        )),
    }
}
