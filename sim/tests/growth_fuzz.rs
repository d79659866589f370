//! Random valid scenarios over issue 16's features — membership changes
//! (`join`, `leave`, `replace`, spares, the `membership` nemesis family,
//! `gc_grace`/`rejoin`), bandwidth (global and per link) and object sizes,
//! service time, concurrency, queues, slow nodes and every balancing
//! policy — mixed with crashes, pauses and partitions, run end to end.
//!
//! Two promises are held for every scenario that validates:
//! 1. the simulation ends without a panic (a run that refuses to start, such
//!    as a node that never comes back, is an error, never a panic);
//! 2. with the correct movement design (`moves = "correct"`), what the
//!    README promises holds: `abd` and `paxos` pass every check (all of
//!    them are linearizable registers or objects, acknowledged writes are
//!    durable and replicas converge), and `quorum`/`eventual` with
//!    anti-entropy converge (with `gc_grace` too, except `repair-first`
//!    with S3 bodies: see `promised`).
//!
//! The scenario is written as TOML text and read by `Scenario::parse`, as
//! a user's file would be: the generator draws values in range, and a draw
//! that validation refuses is counted and skipped (the refusal must name a
//! line). The suite test runs a bounded number of cases; the ignored
//! `growth_fuzz_campaign` runs as many as `GROWTH_FUZZ_CASES` says
//! (`GROWTH_FUZZ_FROM`, `GROWTH_FUZZ_SEEDS`, `GROWTH_FUZZ_PLANT` to plant a
//! store bug and see the invariants catch it).

use check::{CheckName, Verdict};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{RunOptions, Scenario};
use std::fmt::Write as _;
use std::sync::mpsc;
use std::time::Duration;

/// The protocols drawn, and the balancing policies.
const PROTOCOLS: [&str; 4] = ["eventual", "quorum", "abd", "paxos"];
const BALANCES: [&str; 5] = [
    "random",
    "round-robin",
    "least-outstanding",
    "power-of-two",
    "sticky",
];

/// A wall-clock bound on one seed's run: a hang fails the case instead of the
/// whole test binary waiting forever.
const HANG: Duration = Duration::from_secs(120);

fn pick<T: Copy>(rng: &mut ChaCha8Rng, of: &[T]) -> T {
    of[rng.gen_range(0..of.len())]
}

fn latency(rng: &mut ChaCha8Rng, scale_us: u64) -> String {
    let v = rng.gen_range(scale_us / 4 + 1..=scale_us * 2);
    match rng.gen_range(0..3) {
        0 => format!("{{ dist = \"fixed\", value = \"{v}us\" }}"),
        1 => format!("{{ dist = \"exponential\", mean = \"{v}us\" }}"),
        _ => format!(
            "{{ dist = \"uniform\", min = \"{}us\", max = \"{v}us\" }}",
            v / 2 + 1
        ),
    }
}

fn bandwidth(rng: &mut ChaCha8Rng) -> &'static str {
    pick(rng, &["10MB/s", "100Mbit/s", "1Gbit/s", "50MiB/s", "5MB/s"])
}

/// What one case draws besides its text: the facts the invariants need.
struct Drawn {
    text: String,
    protocol: &'static str,
    anti_entropy: bool,
    /// A wrong movement design or a lossy sync policy: nothing promised.
    lax: bool,
    /// The S3 API (object bodies, up to megabytes, travel in anti-entropy).
    s3: bool,
}

/// A scenario over issue 16's knobs, drawn from `case`. Mostly valid; the
/// few draws validation refuses are skipped by the caller.
fn draw(case: u64) -> Drawn {
    let mut rng = ChaCha8Rng::seed_from_u64(case);
    let r = &mut rng;
    let protocol = pick(r, &PROTOCOLS);
    let nodes: u32 = r.gen_range(1..=8);
    let spares: u32 = if protocol == "paxos" {
        0
    } else {
        r.gen_range(0..=3)
    };
    let replicas: u32 = r.gen_range(1..=nodes.min(5));
    let s3 = r.gen_bool(0.3);
    let anti_entropy = r.gen_bool(0.8);
    let duration_ms: u64 = r.gen_range(500..=3000);
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(w, "name = \"growth fuzz {case}\"\ndescription = \"drawn\"");
    // Anti-entropy visits every other node in turn (spares and replaced
    // nodes included), one per period: replicas that missed a write meet
    // within (nodes + spares) periods, so the quiet phase leaves room for
    // one and a half of those cycles (convergence is judged after it).
    let ae: u64 = r.gen_range(100..=600);
    let quiesce_ms = (u64::from(nodes + spares + 1) * ae * 3 / 2).max(2000);
    let _ = writeln!(
        w,
        "duration = \"{duration_ms}ms\"\nquiesce = \"{quiesce_ms}ms\"\n"
    );
    let _ = writeln!(w, "[cluster]\nnodes = {nodes}\nreplicas = {replicas}");
    let _ = writeln!(w, "protocol = \"{protocol}\"");
    if spares > 0 {
        let _ = writeln!(w, "spares = {spares}");
    }
    if matches!(protocol, "quorum" | "eventual") && (replicas < 2 || r.gen_bool(0.5)) {
        let _ = writeln!(w, "write_quorum = {}", r.gen_range(1..=replicas));
        let _ = writeln!(w, "read_quorum = {}", r.gen_range(1..=replicas));
    }
    if matches!(protocol, "quorum" | "eventual") && r.gen_bool(0.3) {
        let _ = writeln!(w, "hinted_handoff = true");
    }
    if r.gen_bool(0.3) {
        let _ = writeln!(
            w,
            "coordinators = \"routers\"\nrouters = {}",
            r.gen_range(1..=3)
        );
    }
    if anti_entropy {
        let _ = writeln!(w, "anti_entropy = \"{ae}ms\"");
    } else {
        let _ = writeln!(w, "anti_entropy = \"off\"");
    }
    // One draw in ten: a wrong movement design, or a sync policy that may
    // lose acknowledged writes in a crash. Nothing is promised for those
    // but an end without a panic.
    let lax = r.gen_bool(0.1);
    if lax {
        match r.gen_range(0..3) {
            0 if spares > 0 => {
                let design = pick(
                    r,
                    &[
                        "stream-from-any",
                        "reads-switch-early",
                        "ack-old-only",
                        "concurrent-moves",
                    ],
                );
                let _ = writeln!(w, "moves = \"{design}\"");
            }
            1 => {
                let _ = writeln!(w, "sync = \"never\"");
            }
            _ => {
                let _ = writeln!(w, "sync = {{ interval = \"{}ms\" }}", r.gen_range(1..=100));
            }
        }
    }
    if matches!(protocol, "quorum" | "eventual") && r.gen_bool(0.2) {
        let stamps = pick(
            r,
            &["coordinator", "newest-seen-plus-one", "completes-last"],
        );
        let _ = writeln!(w, "timestamps = \"{stamps}\"");
    }
    let _ = writeln!(w, "replica_timeout = \"{}ms\"", r.gen_range(20..=100));
    let _ = writeln!(w, "client_timeout = \"{}ms\"", r.gen_range(150..=500));
    if anti_entropy && matches!(protocol, "quorum" | "eventual") && r.gen_bool(0.3) {
        let _ = writeln!(w, "gc_grace = \"{}ms\"", r.gen_range(300..=3000));
        let rejoin = pick(r, &["as-is", "repair-first"]);
        let _ = writeln!(w, "rejoin = \"{rejoin}\"");
    }
    if r.gen_bool(0.4) {
        let _ = writeln!(w, "service_time = {}", latency(r, 300));
        if r.gen_bool(0.6) {
            let _ = writeln!(w, "concurrency = {}", r.gen_range(1..=8));
        }
        if r.gen_bool(0.5) {
            let _ = writeln!(w, "queue = {}", r.gen_range(1..=200));
        }
    }
    if r.gen_bool(0.2) {
        let _ = writeln!(
            w,
            "\n[[cluster.slow]]\nnode = {}\nservice_time = {}",
            r.gen_range(0..nodes + spares),
            latency(r, 5000)
        );
    }
    if r.gen_bool(0.5) {
        let _ = writeln!(w, "\n[clocks]\nskew = \"{}ms\"", r.gen_range(1..=50));
    }
    let _ = writeln!(w, "\n[network]\nlatency = {}", latency(r, 1000));
    if r.gen_bool(0.5) {
        let _ = writeln!(w, "bandwidth = \"{}\"", bandwidth(r));
    }
    if r.gen_bool(0.2) {
        let _ = writeln!(w, "loss = 0.01");
    }
    let all = nodes + spares;
    let mut linked = std::collections::BTreeSet::new();
    for _ in 0..r.gen_range(0..=2) {
        if all < 2 {
            break;
        }
        let from = r.gen_range(0..all);
        let to = (from + r.gen_range(1..all)) % all;
        // A link (either direction, `both` may add the reverse) once only.
        if !linked.insert((from.min(to), from.max(to))) {
            continue;
        }
        let _ = writeln!(
            w,
            "\n[[network.links]]\nfrom = {from}\nto = {to}\nboth = {}\nbandwidth = \"{}\"",
            r.gen_bool(0.5),
            bandwidth(r)
        );
    }
    workload(w, r, s3, protocol);
    faults(w, r, (protocol, nodes, spares, replicas), duration_ms);
    Drawn {
        text: t,
        protocol,
        anti_entropy,
        lax,
        s3,
    }
}

fn workload(w: &mut String, r: &mut ChaCha8Rng, s3: bool, protocol: &str) {
    let _ = writeln!(w, "\n[workload]");
    let _ = writeln!(w, "clients = {}", r.gen_range(1..=8));
    let _ = writeln!(w, "keys = {}", r.gen_range(1..=12));
    let _ = writeln!(w, "ops = {}", r.gen_range(20..=250));
    let _ = writeln!(w, "balance = \"{}\"", pick(r, &BALANCES));
    if r.gen_bool(0.3) {
        let _ = writeln!(w, "key_skew = {}", r.gen_range(0.0..1.5));
    }
    if r.gen_bool(0.3) {
        let _ = writeln!(w, "think = \"{}ms\"", r.gen_range(1..=40));
    }
    let cas = if protocol == "abd" { 0.0 } else { 0.1 };
    if s3 {
        let _ = writeln!(w, "api = \"s3\"");
        let _ = writeln!(
            w,
            "object_size = {}",
            pick(
                r,
                &[
                    "{ dist = \"fixed\", value = \"4KiB\" }",
                    "{ dist = \"lognormal\", median = \"64KiB\", sigma = 1.0 }",
                    "{ dist = \"uniform\", min = \"1KB\", max = \"1MB\" }",
                ]
            )
        );
        let _ = writeln!(
            w,
            "mix = {{ get = 0.4, put = {}, delete = 0.1, list = 0.2, cas = {cas} }}",
            0.3 - cas
        );
    } else {
        let _ = writeln!(
            w,
            "mix = {{ get = 0.5, put = {}, delete = 0.1, cas = {cas} }}",
            0.4 - cas
        );
    }
}

/// Explicit faults (membership changes with valid targets when the draw
/// allows, crashes, pauses, isolations, partitions) and sometimes a nemesis.
fn faults(w: &mut String, r: &mut ChaCha8Rng, cluster: (&str, u32, u32, u32), dur_ms: u64) {
    let (protocol, nodes, spares, n) = cluster;
    let all = nodes + spares;
    let mut members: Vec<u32> = (0..nodes).collect();
    let mut outside: Vec<u32> = (nodes..all).collect();
    // When each node's crash or pause ends: one at a time per node.
    let mut down_until = vec![0u64; all as usize];
    let mut at = r.gen_range(50..=dur_ms / 2);
    for _ in 0..r.gen_range(0..=5) {
        if at >= dur_ms {
            break;
        }
        let len = r.gen_range(20..=600).min(dur_ms - at).max(1);
        let node = r.gen_range(0..all);
        let head = format!("\n[[faults]]\nat = \"{at}ms\"");
        let timed = |kind: &str| format!("{head}\nduration = \"{len}ms\"\nkind = \"{kind}\"");
        match r.gen_range(0..8) {
            0 if !outside.is_empty() => {
                let j = outside.remove(r.gen_range(0..outside.len()));
                members.push(j);
                let _ = writeln!(w, "{head}\nkind = \"join\"\nnode = {j}");
            }
            1 if members.len() as u32 > n => {
                let l = members.remove(r.gen_range(0..members.len()));
                outside.push(l);
                let _ = writeln!(w, "{head}\nkind = \"leave\"\nnode = {l}");
            }
            2 if !outside.is_empty() && !members.is_empty() => {
                let old = members.remove(r.gen_range(0..members.len()));
                let by = outside.remove(r.gen_range(0..outside.len()));
                members.push(by);
                let _ = writeln!(w, "{head}\nkind = \"replace\"\nnode = {old}\nby = {by}");
            }
            k @ (3 | 4) if down_until[node as usize] < at => {
                down_until[node as usize] = at + len;
                let kind = if k == 3 { "crash" } else { "pause" };
                let _ = writeln!(w, "{}\nnode = {node}", timed(kind));
            }
            5 if nodes >= 2 => {
                let _ = writeln!(w, "{}\nnode = {node}", timed("isolate"));
            }
            6 | 7 if nodes >= 2 => {
                let _ = writeln!(w, "{}", timed("random-halves"));
            }
            _ => {}
        }
        at += r.gen_range(10..=800);
    }
    if r.gen_bool(0.5) {
        let membership = if protocol != "paxos" && r.gen_bool(0.7) {
            2
        } else {
            0
        };
        // Crashes and pauses need room for one node down: a minority of 3.
        let down = u32::from(nodes >= 3);
        let _ = writeln!(
            w,
            "\n[nemesis]\ninterval = \"{}ms\"\nduration = \"{}ms\"",
            r.gen_range(200..=1000),
            r.gen_range(50..=400)
        );
        let isolate = u32::from(nodes >= 2);
        let _ = writeln!(
            w,
            "families = {{ membership = {membership}, crash = {down}, isolate = {isolate}, pause = {down} }}"
        );
    }
}

/// What one case came to.
enum Outcome {
    /// Validation refused the draw (with a line): the error.
    Refused(String),
    /// Ran; the names of the checks that broke a promise (empty: none).
    Ran(Vec<String>),
}

/// Runs `seed` of `scenario` on a thread of its own, bounded by [`HANG`].
fn run_bounded(scenario: &Scenario, seed: u64) -> Result<sim::RunOutcome, String> {
    let (tx, rx) = mpsc::channel();
    let owned = scenario.clone();
    std::thread::spawn(move || {
        let _ = tx.send(sim::run_seed(&owned, seed, RunOptions::default()));
    });
    match rx.recv_timeout(HANG) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e @ sim::RunError::Panicked { .. })) => Err(format!("panic: {e}")),
        // A refusal to finish (a node still down after the liveness phase,
        // buckets not installed) is an error the CLI reports, not a panic.
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(_) => Err(format!("hang: seed {seed} ran longer than {HANG:?}")),
    }
}

/// The checks that `drawn`'s protocol promises to pass.
fn promised(drawn: &Drawn, scenario: &Scenario) -> Vec<CheckName> {
    let correct = scenario.cluster.moves == store::MoveDesign::Correct;
    match drawn.protocol {
        _ if !correct || drawn.lax => vec![],
        // Replicas a write missed (ABD writes a majority) catch up by
        // anti-entropy only: without it, convergence is not promised.
        "abd" | "paxos" => (CheckName::ALL.iter().copied())
            .filter(|&c| c != CheckName::Convergence || drawn.anti_entropy)
            .collect(),
        // With gc_grace too: a tombstone that missed a replica may bring its
        // value back (README's limits), but the replicas still converge.
        // Campaign cases 1184, 3577 and 3643 once did not: every owner was
        // rebuilding at once under `repair-first`, each waiting for the
        // others (`store::node::grace`). Not promised: `repair-first` with
        // S3 bodies, whose anti-entropy answers can take longer than
        // `replica_timeout` on a slow link, so no round completes, every
        // node is away and no rebuild page arrives in time (case 4453,
        // README's gc_grace limits).
        _ if drawn.anti_entropy
            && !(drawn.s3 && scenario.cluster.rejoin == store::Rejoin::RepairFirst) =>
        {
            vec![CheckName::Convergence]
        }
        _ => vec![],
    }
}

fn run_case(case: u64, seeds: u64) -> Result<Outcome, String> {
    let drawn = draw(case);
    let scenario = match Scenario::parse(&drawn.text, "fuzz.toml") {
        Ok(s) => s,
        Err(e) if e.line.is_some() => return Ok(Outcome::Refused(e.to_string())),
        Err(e) => return Err(format!("refused without a line: {e}")),
    };
    let mut broken = Vec::new();
    for seed in 1..=seeds {
        let outcome = run_bounded(&scenario, seed)?;
        let promised = promised(&drawn, &scenario);
        let results = check::run(&outcome.history, &promised);
        for (name, result) in results {
            if result.verdict == Verdict::Invalid {
                broken.push(format!("seed {seed}: {}", name.as_str()));
            }
        }
    }
    Ok(Outcome::Ran(broken))
}

/// Runs cases `from..from + cases` with `seeds` seeds each; panics listing
/// every case that broke a promise, with its text.
fn campaign(from: u64, cases: u64, seeds: u64) {
    let (mut ran, mut refused) = (0, 0);
    let mut failures = Vec::new();
    let verbose = std::env::var_os("GROWTH_FUZZ_VERBOSE").is_some();
    for case in from..from + cases {
        match run_case(case, seeds) {
            Ok(Outcome::Refused(e)) => {
                refused += 1;
                if verbose {
                    eprintln!("case {case} refused: {e}");
                }
            }
            Ok(Outcome::Ran(broken)) if broken.is_empty() => ran += 1,
            Ok(Outcome::Ran(broken)) => {
                ran += 1;
                failures.push(format!("case {case}: {broken:?}\n{}", draw(case).text));
            }
            Err(e) => failures.push(format!("case {case}: {e}\n{}", draw(case).text)),
        }
        if let Some(dir) = std::env::var_os("GROWTH_FUZZ_DUMP") {
            let path = std::path::Path::new(&dir).join(format!("case-{case}.toml"));
            std::fs::write(path, draw(case).text).expect("writes the case");
        }
        if verbose {
            eprintln!(
                "case {case}: ran {ran}, refused {refused}, failed {}",
                failures.len()
            );
        }
    }
    eprintln!(
        "growth fuzz: cases {from}..{}, {seeds} seed(s) each: {ran} ran, {refused} refused at validation, {} failed",
        from + cases,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        ran > cases / 2,
        "most draws must validate: {ran} of {cases}"
    );
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn plant_from_env() {
    if let Ok(name) = std::env::var("GROWTH_FUZZ_PLANT") {
        let bug = store::planted::Bug::parse(&name).expect("a planted bug's name");
        store::planted::plant(Some(bug)).expect("plantable");
    }
}

/// The suite's budget: a fixed range of cases, one seed each (about 15 s
/// in release on the shared 2-core machine). With
/// `GROWTH_FUZZ_PLANT=paxos-accept-ignores-promise` the campaign over the
/// same range fails on cases 20, 99, 224 and 226 (`linearizable`).
#[test]
fn growth_fuzz_suite() {
    campaign(1, 400, 1);
}

/// Offline: `GROWTH_FUZZ_CASES=2000 cargo test --release -p sim --test
/// growth_fuzz -- --ignored --nocapture`.
#[test]
#[ignore]
fn growth_fuzz_campaign() {
    plant_from_env();
    campaign(
        env("GROWTH_FUZZ_FROM", 1),
        env("GROWTH_FUZZ_CASES", 200),
        env("GROWTH_FUZZ_SEEDS", 1),
    );
}
