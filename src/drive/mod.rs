//! `storesim drive`: the scenario's workload against real S3 endpoints,
//! recorded as a history, checked by every check, and written as the same
//! run folder and report as a simulated run (one seed).
//!
//! 1. Probe every endpoint (a ListObjectsV2 of one key): unreachable, a
//!    refused credential (403) or an answer that is not S3's is bad input
//!    (exit 2, naming the endpoint); a missing bucket is created; a bucket
//!    that holds objects is refused (the checks assume every key starts
//!    absent).
//! 2. Run the clients ([`workload`]), one std thread each, outside any
//!    madsim runtime (madsim's clock and RNG are its runtime's only), with
//!    `--cluster`'s crashes and pauses on schedule ([`faults`]).
//! 3. End every fault, wait `quiesce`, read every key through every endpoint
//!    (the `final` lines: node `i` is endpoint `i`; each is that endpoint's
//!    answer, a quorum read on a storesimd cluster).
//! 4. Check and write the run folder as `run` does (`run::open_folder`,
//!    `run::close_folder`): exit 1 when an `[expect]` breaks.

mod access;
mod faults;
mod s3;
mod versions;
mod workload;

use crate::cli::DriveArgs;
use crate::evaluate::summarise_history;
use crate::kept::KeptSeed;
use crate::records::Sink;
use crate::{output, run};
use anyhow::{Context, bail};
use check::{CheckName, Final, History};
use reports::seedinfo::{FaultWindow, SeedInfo};
use sim::Scenario;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use workload::{ClientPlan, Recorder, Shared};

/// Largest body drive writes (bodies are held in memory while sent).
pub const MAX_DRIVE_OBJECT: u64 = 16 * 1024 * 1024;
/// How many times (50 ms apart) the probe reads a bucket it created before
/// it gives up on seeing it.
const BUCKET_WAITS: u32 = 40;
/// Longest wait before the final reads, whatever the scenario's `quiesce`.
const MAX_QUIESCE: Duration = Duration::from_secs(10);

/// Default credentials: storesimd's secret key (`scripts/cluster.sh`);
/// servers that ignore signatures (moto) accept anything.
pub const DEFAULT_ACCESS_KEY: &str = "storesim";
pub const DEFAULT_SECRET_KEY: &str = "storesimd";

pub fn drive(args: &DriveArgs) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let file = args.scenario.display().to_string();
    supported(&scenario, &args.scenario)?;
    let auth = access::DriveAuth::of(&scenario, |keys, why| refuse(&args.scenario, keys, why))?;
    let default_credentials = rusty_s3::Credentials::new(
        (args.access_key.clone())
            .or_else(|| std::env::var("AWS_ACCESS_KEY_ID").ok())
            .unwrap_or_else(|| DEFAULT_ACCESS_KEY.to_string()),
        (args.secret_key.clone())
            .or_else(|| std::env::var("AWS_SECRET_ACCESS_KEY").ok())
            .unwrap_or_else(|| DEFAULT_SECRET_KEY.to_string()),
    );
    // Under [auth] the owner is the scenario's administrator.
    let credentials = auth
        .as_ref()
        .map_or(default_credentials, |a| a.owner.clone());
    let timeout = Duration::from_secs_f64(args.timeout);
    let connect = |credentials: &rusty_s3::Credentials| {
        (args.endpoint.iter())
            .map(|url| {
                s3::Endpoint::new(url, &args.bucket, credentials.clone(), timeout)
                    .map_err(|e| anyhow::anyhow!("endpoint {url}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let endpoints = connect(&credentials)?;
    let by_client = match &auth {
        Some(auth) => (auth.clients.iter())
            .map(|(_, keys)| connect(keys))
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    probe(&endpoints, &args.bucket)?;
    if let Some(s3) = &scenario.workload.s3 {
        set_versioning(&endpoints[0], &args.bucket, s3.versioning)?;
    }
    if let Some(auth) = &auth {
        auth.install(&endpoints[0], &args.bucket)?;
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let (actions, skipped) = faults::plan(&scenario, seed);
    let mut cluster = match &args.cluster {
        Some(dir) => {
            let mut cluster = faults::Cluster::open(dir)?;
            cluster.check(&actions)?;
            cluster.arm(scenario.duration + MAX_QUIESCE);
            for what in &skipped {
                eprintln!("drive: not applied to a real cluster: {what}");
            }
            Some(cluster)
        }
        None => {
            if !actions.is_empty() || !skipped.is_empty() {
                eprintln!("drive: the scenario's faults are not applied: no --cluster");
            }
            None
        }
    };
    let driven = run_workload(
        &scenario,
        seed,
        Endpoints {
            shared: &endpoints,
            by_client: &by_client,
            auth: auth.as_ref(),
        },
        &args.bucket,
        cluster.as_mut(),
        &actions,
    )?;
    let out =
        (args.out.clone()).unwrap_or_else(|| output::default_run_dir(&scenario.name).join("drive"));
    write_folder(&scenario, &file, seed, &out, driven)
}

/// Refuses what drive cannot ask of an endpoint, naming the file, the line
/// of the knob (when the file spells it out) and the knob.
fn supported(scenario: &Scenario, path: &std::path::Path) -> anyhow::Result<()> {
    let w = &scenario.workload;
    let refuse = |keys: &[&str], why: &str| refuse(path, keys, why);
    if w.probes.is_some() {
        refuse(
            &["workload", "probes"],
            "probes are not driven against an endpoint",
        )?;
    }
    if w.rounds.is_some() {
        refuse(
            &["workload", "rounds"],
            "rounds are not driven against an endpoint",
        )?;
    }
    if let Some(s3) = &w.s3 {
        if s3.buckets != 1 {
            refuse(
                &["workload", "buckets"],
                "drive uses one bucket (--bucket): set buckets = 1",
            )?;
        }
        if let sim::scenario::ObjectSize::Fixed(b)
        | sim::scenario::ObjectSize::Uniform { max: b, .. } = s3.object_size
            && b > MAX_DRIVE_OBJECT
        {
            refuse(
                &["workload", "object_size"],
                "drive writes bodies of at most 16 MiB",
            )?;
        }
    }
    if w.clients == 0 || w.clients > 256 {
        refuse(
            &["workload", "clients"],
            "drive runs 1 to 256 clients (one thread each)",
        )?;
    }
    Ok(())
}

/// The error for a knob drive cannot apply: the file, the knob's line when
/// the file spells it out, the knob and why.
fn refuse(path: &std::path::Path, keys: &[&str], why: &str) -> anyhow::Result<()> {
    let at = match line_of(path, keys) {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    };
    bail!("{at}: {}: {why} (storesim drive)", keys.join("."))
}

/// The 1-based line where the file gives `keys` (a dotted path), if it does.
fn line_of(path: &std::path::Path, keys: &[&str]) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc = toml_edit::ImDocument::parse(text.as_str()).ok()?;
    let (first, rest) = keys.split_first()?;
    let mut item = doc.as_table().get(first)?;
    for key in rest {
        item = item.get(key)?;
    }
    let start = item.span()?.start;
    Some(text.get(..start)?.matches('\n').count() + 1)
}

/// Checks every endpoint before the run: reachable, S3, accepting the
/// credential, its bucket there (created if not) and empty.
fn probe(endpoints: &[s3::Endpoint], bucket: &str) -> anyhow::Result<()> {
    for (i, endpoint) in endpoints.iter().enumerate() {
        let url = &endpoint.url;
        let mut created = false;
        // Bounded: an eventual cluster may show a bucket created through
        // another endpoint a little late (R = 1 reads one replica).
        for attempt in 0..=BUCKET_WAITS {
            let answer = match endpoint.list_page("", 1, None) {
                s3::Reply::Status(a) => a,
                s3::Reply::NotSent(why) => bail!("endpoint {url} is unreachable: {why}"),
                s3::Reply::Lost(why) => {
                    bail!(
                        "endpoint {url} did not answer a ListObjectsV2 as an S3 server would: {why}"
                    )
                }
            };
            match answer.status {
                200 => {
                    let text = String::from_utf8_lossy(&answer.body);
                    let page = rusty_s3::actions::ListObjectsV2::parse_response(&text).map_err(|e| {
                        anyhow::anyhow!("endpoint {url} answered ListObjectsV2 with something that is not S3's ListBucketResult ({e})")
                    })?;
                    if i == 0 && !page.contents.is_empty() {
                        bail!(
                            "bucket {bucket} at {url} is not empty: drive's checks assume every key starts absent; use a fresh --bucket"
                        );
                    }
                    break;
                }
                403 => bail!(
                    "endpoint {url} refused the credential: {} (set --access-key/--secret-key)",
                    answer.describe()
                ),
                404 if answer.error_code().as_deref() == Some("NoSuchBucket")
                    && created
                    && attempt < BUCKET_WAITS =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                404 if answer.error_code().as_deref() == Some("NoSuchBucket") && !created => {
                    match endpoint.create_bucket() {
                        s3::Reply::Status(a) if a.status < 300 => {}
                        // Created through another endpoint, not yet seen here.
                        s3::Reply::Status(a)
                            if a.error_code().as_deref() == Some("BucketAlreadyOwnedByYou") => {}
                        s3::Reply::Status(a) => {
                            bail!("endpoint {url}: CreateBucket {bucket}: {}", a.describe())
                        }
                        s3::Reply::NotSent(why) | s3::Reply::Lost(why) => {
                            bail!("endpoint {url}: CreateBucket {bucket}: {why}")
                        }
                    }
                    created = true;
                }
                _ => bail!(
                    "endpoint {url} answered a ListObjectsV2 of bucket {bucket} with {}: not an S3 answer drive can use",
                    answer.describe()
                ),
            }
        }
    }
    Ok(())
}

/// Puts the scenario's versioning on the bucket (through the first
/// endpoint) before the run; `off` leaves the bucket as it is (a bucket
/// once versioned cannot be unversioned: drive wants a fresh one anyway).
fn set_versioning(
    endpoint: &s3::Endpoint,
    bucket: &str,
    versioning: store::Versioning,
) -> anyhow::Result<()> {
    let status = match versioning {
        store::Versioning::Off => return Ok(()),
        store::Versioning::Enabled => "Enabled",
        store::Versioning::Suspended => "Suspended",
    };
    let url = &endpoint.url;
    match endpoint.put_versioning(status) {
        s3::Reply::Status(a) if a.status < 300 => Ok(()),
        s3::Reply::Status(a) => bail!(
            "endpoint {url}: PutBucketVersioning {status} on {bucket}: {}",
            a.describe()
        ),
        s3::Reply::NotSent(why) | s3::Reply::Lost(why) => {
            bail!("endpoint {url}: PutBucketVersioning {status} on {bucket}: {why}")
        }
    }
}

/// What a drive produced.
struct Driven {
    history: History,
    windows: Vec<FaultWindow>,
    elapsed_ns: u64,
    requests: u64,
}

/// The endpoints a drive sends through, and who signs.
struct Endpoints<'a> {
    /// One per URL, signed with the owner's (or the given) keys: probe,
    /// finals, and every client without `[auth]`.
    shared: &'a [s3::Endpoint],
    /// Under `[auth]`, each client's own (see [`access`]).
    by_client: &'a [Vec<s3::Endpoint>],
    auth: Option<&'a access::DriveAuth>,
}

fn run_workload(
    scenario: &Scenario,
    seed: u64,
    through: Endpoints,
    bucket: &str,
    cluster: Option<&mut faults::Cluster>,
    actions: &[(Duration, sim::faults::Action)],
) -> anyhow::Result<Driven> {
    let w = &scenario.workload;
    let endpoints = through.shared;
    let start = Instant::now();
    let recorder = Recorder::new(start);
    let shared = Shared {
        endpoints,
        by_client: through.by_client,
        recorder: &recorder,
        written: Mutex::new(Default::default()),
        stop_at: start + scenario.duration,
        bucket: bucket.to_string(),
    };
    let plans: Vec<ClientPlan> = (0..w.clients)
        .map(|client| {
            let regular = u64::from(w.clients);
            let extra = u64::from(u64::from(client) < w.ops % regular);
            ClientPlan {
                client,
                clients: w.clients,
                ops: w.ops / regular + extra,
                seed,
                keys: w.keys,
                mix: w.mix,
                s3: w.s3.clone(),
                cas_from: w.cas_from,
                think: w.think,
            }
        })
        .collect();
    let done = AtomicBool::new(false);
    let windows = std::thread::scope(|scope| {
        let done = &done;
        let faults = cluster.map(|c| scope.spawn(move || faults::run(c, actions, start, done)));
        let clients: Vec<_> = (plans.iter())
            .map(|plan| scope.spawn(|| workload::run_client(plan, &shared)))
            .collect();
        for client in clients {
            if client.join().is_err() {
                done.store(true, Ordering::Relaxed);
                bail!("a drive client thread panicked");
            }
        }
        done.store(true, Ordering::Relaxed);
        match faults {
            Some(f) => f
                .join()
                .map_err(|_| anyhow::anyhow!("the fault thread panicked"))?,
            None => Ok(Vec::new()),
        }
    })?;
    let elapsed_ns = recorder.now_ns();
    std::thread::sleep(scenario.quiesce.min(MAX_QUIESCE));
    let Shared { written, .. } = shared;
    let mut events = recorder.into_events();
    if let Some(auth) = through.auth {
        auth.stamp(&mut events);
        events.splice(0..0, auth.grants(bucket));
    }
    let touched: BTreeSet<&str> = (events.iter())
        .filter(|e| !e.f.is_listing())
        .map(|e| e.key.as_str())
        .collect();
    let mut finals = Vec::new();
    for (node, endpoint) in (0u32..).zip(endpoints) {
        for key in &touched {
            let object = key.strip_prefix(bucket).and_then(|k| k.strip_prefix('/'));
            let Some(object) = object else { continue };
            if let Some(value) = workload::final_read(endpoint, &written, object) {
                finals.push(Final {
                    node,
                    key: key.to_string(),
                    value,
                });
            }
        }
    }
    let requests = (endpoints.iter())
        .chain(through.by_client.iter().flatten())
        .map(s3::Endpoint::requests)
        .sum();
    let history = History::new(events, finals);
    history
        .validate()
        .map_err(|e| anyhow::anyhow!("drive recorded an invalid history (a bug in drive): {e}"))?;
    Ok(Driven {
        history,
        windows,
        elapsed_ns,
        requests,
    })
}

/// Checks the history and writes the run folder, as `run` does for one seed.
fn write_folder(
    scenario: &Scenario,
    file: &str,
    seed: u64,
    out: &std::path::Path,
    driven: Driven,
) -> anyhow::Result<ExitCode> {
    run::open_folder(out, scenario, file)?;
    let results = check::run(&driven.history, CheckName::ALL);
    let jsonl = driven.history.to_jsonl();
    let context = reports::metrics::SeedContext {
        probes: None,
        faults: driven
            .windows
            .iter()
            .map(|w| (w.start_ns, w.end_ns))
            .collect(),
        duration_ns: driven.elapsed_ns.max(1),
        movements: Vec::new(), // a real cluster's membership is not driven
    };
    let mut record = summarise_history(&driven.history, &results, &jsonl, &context);
    record.seed = seed;
    record.messages = driven.requests;
    record.sim_time_ns = driven.elapsed_ns;
    let info = SeedInfo {
        clocks: Vec::new(),
        faults: driven.windows,
    };
    KeptSeed {
        history: jsonl,
        info: info.to_json(),
    }
    .write(out, seed)
    .context("writing the drive's history")?;
    let totals = record.metrics.clone();
    record.metrics = record.metrics.slim();
    let mut sink = Sink::create(out)?;
    sink.push(&record)?;
    let done = run::close_folder(out, scenario, file, sink.finish()?, totals)?;
    println!(
        "{}",
        reports::table::seeds_table(&done.results.digest, &done.rows, CheckName::ALL)
    );
    if let Some(line) = done.results.totals.conditional.line() {
        println!("{line}");
    }
    for (check, result) in &results {
        if result.verdict == check::Verdict::Invalid {
            println!("{}: {}", check.as_str(), result.explanation);
        }
    }
    for broken in &done.breaches {
        println!("breach: {}", crate::breaches::describe(broken));
    }
    println!(
        "history: {}",
        out.join("seeds")
            .join(seed.to_string())
            .join("history.jsonl")
            .display()
    );
    println!("report: {}", out.join("report.html").display());
    Ok(if done.breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
