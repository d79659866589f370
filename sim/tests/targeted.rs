//! Targeted faults, whole runs: message faults by kind and window (what
//! they drop, delay or copy, shown on the message in the trace and as a
//! fault window).

use check::{Function, Outcome};
use sim::fate::{Fate, Why};
use sim::faults::windows::Effect;
use sim::trace::{Peer, TraceEvent};
use sim::{RunOptions, RunOutcome, Scenario};
use std::time::Duration;

fn scenario(body: &str) -> Scenario {
    let text = format!("name = \"t\"\ndescription = \"d\"\n{body}");
    Scenario::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, seed: u64) -> RunOutcome {
    let options = RunOptions {
        trace_messages: true,
        ..RunOptions::default()
    };
    sim::run_seed(s, seed, options).unwrap_or_else(|e| panic!("{e}"))
}

/// Three nodes, W = 3, one client writing one key through n0, fixed 1 ms hops.
const W3: &str = "duration = \"200ms\"\nquiesce = \"50ms\"\n\
    [cluster]\nnodes = 3\nreplicas = 3\nwrite_quorum = 3\nread_quorum = 1\n\
    [workload]\nclients = 1\nkeys = 1\nops = 20\nmix = { put = 1.0 }\ncoordinator = \"sticky\"\n";

fn messages(outcome: &RunOutcome) -> Vec<(u64, Peer, Peer, &'static str, Option<Fate>)> {
    (outcome.trace.iter())
        .filter_map(|e| match e {
            TraceEvent::Message {
                time_ns,
                from,
                to,
                kind,
                fate,
                ..
            } => Some((*time_ns, *from, *to, *kind, fate.clone())),
            TraceEvent::Fault { .. } => None,
        })
        .collect()
}

/// Dropping `replica-written` from n2 for the first 100 ms: every write
/// there misses one of the three acknowledgements it needs, so none is
/// acknowledged (each ends `info`: it may have happened), the trace names
/// the fault on each dropped answer, and the window says what it did.
#[test]
fn dropping_one_nodes_acks_keeps_w3_writes_from_being_acknowledged() {
    let s = scenario(&format!(
        "{W3}[[faults]]\nkind = \"drop-messages\"\nmessages = \"replica-written\"\nfrom = 2\nat = \"0ms\"\nduration = \"100ms\"\n"
    ));
    let outcome = run(&s, 1);
    let label = "drop-messages replica-written from n2 to any";
    let ms = 1_000_000;
    let ops = check::op::pair(&outcome.history);
    let early: Vec<Outcome> = (ops.iter())
        .filter(|o| o.f == Function::Put && o.invoke_time < 90 * ms)
        .map(|o| o.outcome)
        .collect();
    assert!(!early.is_empty(), "writes in the window");
    assert!(
        early.iter().all(|o| *o == Outcome::Info),
        "no W=3 write is acknowledged without n2's answer: {early:?}"
    );
    let late = (ops.iter()).filter(|o| o.invoke_time > 100 * ms && o.outcome == Outcome::Ok);
    assert!(late.count() > 0, "after the window writes succeed again");

    let dropped: Vec<_> = (messages(&outcome).into_iter())
        .filter(|m| {
            m.4 == Some(Fate::Drop {
                why: Why::Targeted { by: label.into() },
            })
        })
        .collect();
    assert!(!dropped.is_empty(), "the trace names the fault");
    for (time, from, _, kind, _) in &dropped {
        assert_eq!((*from, *kind), (Peer::Node(2), "replica-written"));
        assert!(*time < 100 * ms);
    }
    let others = messages(&outcome)
        .into_iter()
        .filter(|m| m.1 != Peer::Node(2) && matches!(m.4, Some(Fate::Drop { .. })));
    assert_eq!(others.count(), 0, "nothing else is dropped");
    let window = (outcome.faults.iter())
        .find(|w| w.what == label)
        .expect("a window");
    assert_eq!((window.start_ns, window.end_ns), (1_000, 100 * ms));
    assert!(
        matches!(&window.effect, Effect::Messages { action, from, .. }
        if action == "drop-messages" && from.as_deref() == Some(&[2][..]))
    );
}

/// A delay adds to the drawn latency of exactly the messages it covers, and
/// the trace says which fault delayed each; a duplicate sends a second copy
/// of a replica request, noted on the copy.
#[test]
fn delays_and_copies_land_on_the_kinds_and_nodes_named() {
    let s = scenario(&format!(
        "{W3}[[faults]]\nkind = \"delay-messages\"\nmessages = [\"replica-write\"]\nto = [1]\ndelay = \"5ms\"\nat = \"0ms\"\nduration = \"150ms\"\n\
         [[faults]]\nkind = \"duplicate-messages\"\nmessages = \"replica-write\"\nto = 2\nat = \"0ms\"\nduration = \"150ms\"\n"
    ));
    let outcome = run(&s, 3);
    let label = "delay-messages +5ms replica-write from any to n1";
    let mut delayed = 0;
    for (time, _, to, kind, fate) in messages(&outcome) {
        let in_window = (2_000..149_000_000).contains(&time);
        match fate {
            Some(Fate::Delayed { after, by }) => {
                assert_eq!(
                    (to, kind, by.as_str()),
                    (Peer::Node(1), "replica-write", label)
                );
                assert_eq!(after, Duration::from_millis(6), "1 ms drawn + 5 ms");
                delayed += 1;
            }
            Some(Fate::Deliver { .. }) if in_window => {
                assert!((to, kind) != (Peer::Node(1), "replica-write"), "{time}");
            }
            _ => {}
        }
    }
    assert!(delayed > 3, "{delayed}");
    let copies = (outcome.trace.iter()).filter(|e| {
        matches!(e, TraceEvent::Message { note: Some(n), to: Peer::Node(2), kind: "replica-write", .. }
            if n == "copy made by duplicate-messages replica-write from any to n2")
    });
    assert!(copies.count() > 3, "copies to n2 are traced as such");
}

/// Same seed, same trace, fates included.
#[test]
fn message_faults_replay_exactly() {
    let s = scenario(&format!(
        "{W3}[[faults]]\nkind = \"drop-messages\"\nmessages = [\"replica-write\", \"replica-written\"]\nprobability = 0.5\nat = \"10ms\"\nduration = \"100ms\"\n"
    ));
    let (a, b) = (run(&s, 7), run(&s, 7));
    assert_eq!(a.trace, b.trace);
    assert_eq!(a.history, b.history);
    let dropped = (messages(&a).into_iter())
        .filter(|m| {
            matches!(
                m.4,
                Some(Fate::Drop {
                    why: Why::Targeted { .. }
                })
            )
        })
        .count();
    let covered = (messages(&a).into_iter())
        .filter(|m| (10_000_000..110_000_000).contains(&m.0) && m.3.starts_with("replica-writ"))
        .count();
    assert!(
        dropped > 0 && dropped < covered,
        "{dropped} of {covered} at p = 0.5"
    );
}

/// Every replica that applies a write crashes before answering (one node
/// at a time: a majority stays up). Under W = 3 the write cannot be
/// acknowledged, so the client records `info`, yet the replicas hold it:
/// a later read returns it.
#[test]
fn a_buggify_crash_after_apply_gives_an_info_write_that_later_appears() {
    let s = scenario(&format!(
        "{}[buggify]\npoints = {{ after-apply = 1.0 }}\nactions = [\"crash\"]\nduration = \"5ms\"\n",
        W3.replace("mix = { put = 1.0 }", "mix = { get = 0.5, put = 0.5 }")
            .replace("ops = 20", "ops = 100")
            .replace("keys = 1", "keys = 30")
    ));
    let outcome = run(&s, 1);
    let ops = check::op::pair(&outcome.history);
    let info_puts: Vec<&check::op::Op> = (ops.iter())
        .filter(|o| o.f == Function::Put && o.outcome == Outcome::Info)
        .collect();
    assert!(!info_puts.is_empty(), "a write interrupted by the crash");
    let seen_later = info_puts.iter().any(|w| {
        ops.iter().any(|r| {
            r.f == Function::Get
                && r.outcome == Outcome::Ok
                && r.invoke_time > w.invoke_time
                && r.output == w.input
        }) || (outcome.history.finals.iter()).any(|f| {
            f.key == w.key
                && matches!(&w.input, check::Value::Str(v) if f.value.as_ref() == Some(v))
        })
    });
    assert!(
        seen_later,
        "an info write is read later, or held at the end"
    );
    let crashes = (outcome.faults.iter())
        .filter(|w| {
            w.what.starts_with("buggify crash n") && w.what.contains(" at after-apply (pass ")
        })
        .count();
    assert!(crashes > 0);
    let traced = (outcome.trace.iter()).filter(
        |e| matches!(e, TraceEvent::Fault { what, .. } if what.starts_with("buggify crash n")),
    );
    assert_eq!(traced.count(), crashes, "each hit is in the trace");
}

/// Buggify draws from the seed only: the same seed twice gives the same
/// trace, hits included; another seed hits elsewhere.
#[test]
fn buggify_replays_exactly() {
    let s = scenario(&format!(
        "{W3}[buggify]\nprobability = 0.2\nduration = \"2ms\"\n"
    ));
    let (a, b) = (run(&s, 5), run(&s, 5));
    assert_eq!(a.trace, b.trace);
    assert_eq!(a.history, b.history);
    assert_eq!(a.faults, b.faults);
    assert!(
        a.faults.iter().any(|w| w.what.starts_with("buggify ")),
        "{:?}",
        a.faults
    );
    assert_ne!(a.trace_hash, run(&s, 6).trace_hash);
}

/// The scenario with `hits` as explicit `buggify` faults instead of
/// `[buggify]`: each at the microsecond it happened, with its pass.
fn with_explicit_hits(s: &Scenario, hits: &[sim::buggify::SeenHit]) -> Scenario {
    let mut explicit = s.clone();
    explicit.buggify = None;
    explicit
        .faults
        .retain(|f| !matches!(f.kind, sim::scenario::FaultKind::BuggifyWindow { .. }));
    explicit.nemesis = None;
    explicit
        .faults
        .extend(hits.iter().map(|h| sim::scenario::Fault {
            at: Duration::from_micros(h.at_ns / 1000),
            duration: h.hold,
            kind: sim::scenario::FaultKind::Buggify(h.hit),
        }));
    explicit.faults.sort_by_key(|f| f.at);
    explicit
}

/// Issue 13: a seed's drawn buggify hits written out as explicit faults
/// (node, point, pass, action, hold) replay the same run without
/// `[buggify]`, and each hit matters: without the first, the run differs.
#[test]
fn drawn_buggify_hits_replay_as_explicit_faults() {
    let s = scenario(&format!(
        "{}[buggify]\nprobability = 0.1\nduration = \"3ms\"\n",
        W3.replace("mix = { put = 1.0 }", "mix = { get = 0.5, put = 0.5 }")
    ));
    let drawn = run(&s, 3);
    assert!(drawn.buggify_hits.len() >= 2, "{:?}", drawn.buggify_hits);
    let explicit = with_explicit_hits(&s, &drawn.buggify_hits);
    // Through the file, as shrink writes it.
    let explicit = Scenario::parse(&explicit.to_toml(), "explicit.toml").unwrap();
    let again = run(&explicit, 3);
    assert_eq!(again.history, drawn.history);
    assert_eq!(again.faults, drawn.faults);
    assert_eq!(again.buggify_hits, drawn.buggify_hits);
    let fewer = with_explicit_hits(&s, &drawn.buggify_hits[1..]);
    let other = run(&fewer, 3);
    assert_ne!(other.faults, drawn.faults, "the first hit is gone");
    assert!(other.buggify_hits.len() < drawn.buggify_hits.len());
}

/// The nemesis family `buggify` arms `[buggify]` on one node for each
/// drawn window: every hit falls inside a window of its node, and a plan
/// without windows (another family drawn by swarm) hits nothing.
#[test]
fn the_buggify_family_hits_only_inside_its_windows() {
    let s = scenario(&format!(
        "{}[buggify]\nprobability = 0.5\nactions = [\"delay\"]\nduration = \"1ms\"\n\
         [nemesis]\ninterval = \"40ms\"\nduration = \"20ms\"\nfamilies = {{ buggify = 1, clog = 1 }}\nswarm = true\n",
        W3.replace("ops = 20", "ops = 60")
    ));
    let (mut with_windows, mut without) = (0, 0);
    for seed in 1..=8 {
        let plan = sim::nemesis::plan(s.nemesis.as_ref().unwrap(), &[], 3, s.duration, seed);
        let windows: Vec<(u32, Duration, Duration)> = (plan.faults.iter())
            .filter_map(|f| match f.kind {
                sim::scenario::FaultKind::BuggifyWindow { node } => {
                    Some((node, f.at, (f.at + f.duration).min(s.duration)))
                }
                _ => None,
            })
            .collect();
        let outcome = run(&s, seed);
        for hit in &outcome.buggify_hits {
            let at = Duration::from_nanos(hit.at_ns);
            assert!(
                (windows.iter()).any(|&(n, from, to)| n == hit.hit.node && from <= at && at <= to),
                "seed {seed}: {hit:?} outside {windows:?}"
            );
        }
        if windows.is_empty() {
            assert!(outcome.buggify_hits.is_empty(), "seed {seed}");
            without += 1;
        } else if !outcome.buggify_hits.is_empty() {
            with_windows += 1;
            let armed = (outcome.trace.iter()).any(|e| {
                matches!(e, TraceEvent::Fault { what, .. }
                    if what.starts_with("nemesis plan: ") && what.contains(": buggify-window n"))
            });
            assert!(armed, "seed {seed}: the windows are in the plan's trace");
        }
    }
    assert!(with_windows > 0 && without > 0, "{with_windows} {without}");
}
