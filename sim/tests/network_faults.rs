//! Whole runs exercising the network model and the fault kinds: microsecond
//! latency really is microseconds, every message's fate is the one the trace
//! records, clock jumps reach LWW versions, pauses and the nemesis run and
//! heal, duplicated requests are harmless.

use check::{CheckName, Function, Outcome, Verdict};
use sim::fate::{Fate, Why};
use sim::trace::{Peer, TraceEvent};
use sim::{RunOptions, RunOutcome, Scenario};
use std::time::Duration;

fn scenario(body: &str) -> Scenario {
    let text = format!("name = \"t\"\ndescription = \"d\"\n{body}");
    Scenario::parse(&text, "t.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, seed: u64, trace_messages: bool) -> RunOutcome {
    let options = RunOptions {
        trace_messages,
        ..RunOptions::default()
    };
    sim::run_seed(s, seed, options).unwrap_or_else(|e| panic!("{e}"))
}

fn verdict(outcome: &RunOutcome, check: CheckName) -> Verdict {
    check::run(&outcome.history, &[check])[&check].verdict
}

fn faults(outcome: &RunOutcome) -> Vec<String> {
    (outcome.trace.iter())
        .filter_map(|e| match e {
            TraceEvent::Fault { what, .. } => Some(what.clone()),
            TraceEvent::Message { .. } => None,
        })
        .collect()
}

const QUIET: &str = "duration = \"200ms\"\nquiesce = \"50ms\"\n[cluster]\nnodes = 3\n";

/// With every hop `hop_us`, a get is four hops (client → coordinator →
/// replicas → coordinator → client); madsim's own 2 µs per hop is already
/// subtracted from the drawn delays (see `timescale::HOP_OVERHEAD`).
fn hops_take_their_latency(hop_us: u64) {
    let s = scenario(&format!(
        "{QUIET}[network]\nlatency = {{ dist = \"fixed\", value = \"{hop_us}us\" }}\n[workload]\nclients = 1\nops = 100\nmix = {{ get = 0.5, put = 0.5 }}\n"
    ));
    let outcome = run(&s, 1, true);
    let ops = check::op::pair(&outcome.history);
    let ok: Vec<u64> = (ops.iter())
        .filter(|o| o.outcome == Outcome::Ok && o.f == Function::Get)
        .map(|o| o.complete_time.unwrap() - o.invoke_time)
        .collect();
    assert!(ok.len() > 20, "{} gets", ok.len());
    for latency in &ok {
        let want = 4 * hop_us * 1000;
        assert!(
            latency.abs_diff(want) <= 10,
            "a get took {latency} ns, not {want}"
        );
    }
    // One way, from the trace: the (only) client's request is sent at t0 and
    // the coordinator's first replica request at t1 = t0 + one hop.
    let mut hops = Vec::new();
    let mut last_client: Option<u64> = None;
    for e in &outcome.trace {
        if let TraceEvent::Message { time_ns, kind, .. } = e {
            if kind.starts_with("client-get") {
                last_client = Some(*time_ns);
            } else if *kind == "replica-read"
                && let Some(t0) = last_client.take()
            {
                hops.push(time_ns - t0);
            }
        }
    }
    assert!(!hops.is_empty());
    for hop in hops {
        assert!(
            hop.abs_diff(hop_us * 1000) <= 10,
            "one hop took {hop} ns, not {hop_us} µs"
        );
    }
}

#[test]
fn a_fifty_microsecond_network_gives_fifty_microsecond_hops() {
    hops_take_their_latency(50);
}

#[test]
fn ten_microsecond_hops_are_still_faithful() {
    hops_take_their_latency(10);
    hops_take_their_latency(3);
}

/// A link's latency is drawn per message from its own distribution, one way:
/// with n0 → n1 at 100 µs and every other hop at 10 µs, n1 answers a replica
/// read from n0 100 µs after it was sent, and n0 answers n1 after 10 µs.
#[test]
fn a_slow_link_slows_one_direction_only() {
    let s = scenario(&format!(
        "{QUIET}[network]\nlatency = {{ dist = \"fixed\", value = \"10us\" }}\n\
         [[network.links]]\nfrom = 0\nto = 1\nlatency = {{ dist = \"fixed\", value = \"100us\" }}\n\
         [workload]\nclients = 1\nops = 100\nmix = {{ get = 1 }}\n"
    ));
    let outcome = run(&s, 3, true);
    let (node, read) = (sim::trace::Peer::Node, "replica-read");
    let answer_after = |from: u32, to: u32| -> Vec<u64> {
        let mut sent: Option<u64> = None;
        let mut waits = Vec::new();
        for e in &outcome.trace {
            if let TraceEvent::Message {
                time_ns,
                from: f,
                to: t,
                kind,
                ..
            } = e
                && *kind == read
            {
                if (*f, *t) == (node(from), node(to)) {
                    sent = Some(*time_ns);
                } else if (*f, *t) == (node(to), node(from))
                    && let Some(t0) = sent.take()
                {
                    waits.push(time_ns - t0);
                }
            }
        }
        waits
    };
    // The trace cannot tell a replica read's answer from the other node's own
    // read (same kind), so a few pairs are not request and answer; the most
    // common wait is the link's latency.
    let mode = |waits: &[u64]| {
        let mut counts = std::collections::BTreeMap::new();
        waits
            .iter()
            .for_each(|w| *counts.entry(w / 10).or_insert(0) += 1);
        counts
            .into_iter()
            .max_by_key(|&(_, n)| n)
            .map(|(w, _)| w * 10)
    };
    let (slow, fast) = (answer_after(0, 1), answer_after(1, 0));
    assert!(slow.len() > 20 && fast.len() > 20, "{slow:?} {fast:?}");
    assert_eq!(mode(&slow), Some(100_000), "{slow:?}");
    assert_eq!(mode(&fast), Some(10_000), "{fast:?}");
}

/// `coordinator = "sticky"` binds client c to node c, like a Jepsen client:
/// while node 2 is isolated, client 2 cannot gather a quorum and none of its
/// operations succeeds; with random coordinators it reaches the majority.
#[test]
fn sticky_clients_of_an_isolated_node_are_on_the_minority_side() {
    let ok_in_partition = |affinity: &str| {
        let s = scenario(&format!(
            "duration = \"1s\"\nquiesce = \"100ms\"\n[cluster]\nnodes = 3\n\
             [workload]\nclients = 3\nops = 300\ncoordinator = \"{affinity}\"\n\
             [[faults]]\nkind = \"isolate\"\nat = \"100ms\"\nduration = \"800ms\"\nnode = 2\n"
        ));
        let outcome = run(&s, 2, false);
        let (from, to) = (100_000_000, 900_000_000);
        (check::op::pair(&outcome.history).iter())
            .filter(|o| o.outcome == Outcome::Ok && o.process % 3 == 2)
            .filter(|o| o.invoke_time > from && o.complete_time.is_some_and(|t| t < to))
            .count()
    };
    assert_eq!(ok_in_partition("sticky"), 0);
    assert!(ok_in_partition("random") > 10);
}

/// Node 1's clock steps 10 s back: its later writes carry older timestamps,
/// lose to writes made earlier by the other nodes, and reads go stale.
#[test]
fn a_clock_jumped_back_makes_its_later_writes_lose() {
    let base = "duration = \"2s\"\nquiesce = \"500ms\"\n[workload]\nclients = 3\nkeys = 1\nops = 600\nmix = { get = 0.5, put = 0.5 }\n";
    let jump = "[[faults]]\nkind = \"clock-jump\"\nat = \"500ms\"\nnode = 1\nby = \"-10s\"\n";
    let jumped = scenario(&format!("{base}{jump}"));
    let straight = scenario(base);
    let stale = |s: &Scenario| {
        (1..=3)
            .filter(|&seed| {
                verdict(&run(s, seed, false), CheckName::ReadAfterWrite) == Verdict::Invalid
            })
            .count()
    };
    assert_eq!(stale(&straight), 0, "quorums with true clocks read fresh");
    assert!(stale(&jumped) > 0, "the jumped clock's writes lose");
    let trace = faults(&run(&jumped, 1, false));
    assert!(
        trace.iter().any(|f| f.contains("clock-jump n1 by -10s")),
        "{trace:?}"
    );
}

#[test]
fn every_fault_kind_runs_heals_and_converges() {
    let s = scenario(concat!(
        "duration = \"3s\"\nquiesce = \"2s\"\n[cluster]\nnodes = 5\n",
        "[network]\nlatency = { dist = \"lognormal\", median = \"300us\", sigma = 0.5 }\n",
        "[workload]\nclients = 4\nops = 400\n",
        "[[faults]]\nkind = \"isolate\"\nat = \"100ms\"\nduration = \"300ms\"\nnode = 4\n",
        "[[faults]]\nkind = \"bridge\"\nat = \"500ms\"\nduration = \"300ms\"\nnode = 2\n",
        "[[faults]]\nkind = \"random-halves\"\nat = \"900ms\"\nduration = \"300ms\"\n",
        "[[faults]]\nkind = \"clog\"\nat = \"1300ms\"\nduration = \"300ms\"\nfrom = 0\nto = 1\n",
        "[[faults]]\nkind = \"pause\"\nat = \"1700ms\"\nduration = \"300ms\"\nnode = 3\n",
        "[[faults]]\nkind = \"crash\"\nat = \"2100ms\"\nduration = \"300ms\"\nnode = 0\n",
    ));
    let outcome = run(&s, 1, false);
    let trace = faults(&outcome);
    for expected in [
        "isolate n4: [n4] | [n0 n1 n2 n3]: cut 8 links",
        "bridge n2: cut 8 links",
        "random-halves",
        "clog n0 -> n1: cut 1 links",
        "pause n3",
        "resume n3",
        "crash n0",
        "restart n0",
    ] {
        assert!(
            trace.iter().any(|f| f.contains(expected)),
            "{expected} not in {trace:#?}"
        );
    }
    assert_eq!(verdict(&outcome, CheckName::Convergence), Verdict::Valid);
    assert_eq!(verdict(&outcome, CheckName::ReadAfterWrite), Verdict::Valid);
    // Each fault's window, as the injector applied it (times within a few µs
    // of the schedule: the injector wakes at each action's time).
    let windows: Vec<(u64, u64, &str)> = (outcome.faults.iter())
        .map(|w| {
            (
                w.start_ns / 1_000_000,
                w.end_ns / 1_000_000,
                w.what.as_str(),
            )
        })
        .collect();
    assert_eq!(windows.len(), 6, "{windows:?}");
    assert_eq!(windows[0], (100, 400, "isolate n4: [n4] | [n0 n1 n2 n3]"));
    assert_eq!(windows[1], (500, 800, "bridge n2"));
    assert!(windows[2].2.starts_with("random-halves"), "{windows:?}");
    assert_eq!(windows[3], (1300, 1600, "clog n0 -> n1"));
    assert_eq!(windows[4], (1700, 2000, "pause n3"));
    assert_eq!(windows[5], (2100, 2400, "crash n0"));
}

#[test]
fn the_nemesis_is_replayable_and_heals() {
    let s = scenario(concat!(
        "duration = \"3s\"\nquiesce = \"3s\"\n[cluster]\nnodes = 5\n",
        "[workload]\nclients = 4\nops = 400\n",
        "[nemesis]\ninterval = \"200ms\"\nduration = \"150ms\"\n",
    ));
    let a = run(&s, 4, true);
    let b = run(&s, 4, true);
    assert_eq!(a.history.to_jsonl(), b.history.to_jsonl());
    assert_eq!(a.trace, b.trace);
    let trace = faults(&a);
    assert!(trace[0].starts_with("nemesis: "), "{}", trace[0]);
    assert!(
        trace
            .iter()
            .filter(|f| f.starts_with("nemesis plan: "))
            .count()
            > 5
    );
    assert_ne!(
        faults(&run(&s, 5, false)),
        trace,
        "another seed, another plan"
    );
    assert_eq!(verdict(&a, CheckName::Convergence), Verdict::Valid);
}

#[test]
fn duplicated_replica_requests_are_sent_and_harmless() {
    let body = "duration = \"1s\"\n[workload]\nclients = 4\nops = 300\n";
    let plain = run(&scenario(body), 2, false);
    let doubled = scenario(&format!("{body}[network]\nduplicate = 0.5\n"));
    let outcome = run(&doubled, 2, false);
    assert!(
        outcome.messages as f64 > plain.messages as f64 * 1.15,
        "{} vs {} messages",
        outcome.messages,
        plain.messages
    );
    assert_eq!(verdict(&outcome, CheckName::ReadAfterWrite), Verdict::Valid);
    assert_eq!(verdict(&outcome, CheckName::Convergence), Verdict::Valid);
}

/// What the trace says became of each message: a clogged link drops every
/// message on it (one way) while the clog lasts, a lossy link loses about
/// its share, every other message is delivered after the fixed latency,
/// and `replay --trace` prints each fate.
#[test]
fn the_trace_records_each_message_fate() {
    let s = scenario(concat!(
        "duration = \"400ms\"\nquiesce = \"100ms\"\n[cluster]\nnodes = 3\n",
        "[network]\nlatency = { dist = \"fixed\", value = \"10us\" }\n",
        "[[network.links]]\nfrom = 1\nto = 2\nloss = 0.5\n",
        "[workload]\nclients = 2\nops = 300\n",
        "[[faults]]\nkind = \"clog\"\nat = \"100ms\"\nduration = \"200ms\"\nfrom = 0\nto = 1\n",
    ));
    let outcome = run(&s, 1, true);
    let (mut clogged, mut lost, mut lossy, mut unsettled) = (0, 0, 0, 0);
    let ms = 1_000_000;
    for e in &outcome.trace {
        let TraceEvent::Message {
            time_ns,
            from,
            to,
            fate,
            ..
        } = e
        else {
            continue;
        };
        let on = |a, b| (*from, *to) == (Peer::Node(a), Peer::Node(b));
        let during_clog = (100 * ms + 1_000..300 * ms - 1_000).contains(time_ns);
        let near_edge = [100 * ms, 300 * ms]
            .iter()
            .any(|t| t.abs_diff(*time_ns) <= 1_000);
        if on(0, 1) && near_edge {
            continue; // its fate is decided a few ns after it is traced
        }
        let Some(fate) = fate else {
            unsettled += 1;
            continue;
        };
        let cut = Fate::Drop {
            why: Why::Cut {
                by: "clog n0 -> n1".into(),
            },
        };
        if on(0, 1) && during_clog {
            assert_eq!(fate, &cut, "{e}");
            clogged += 1;
        } else if on(1, 2) && fate == &(Fate::Drop { why: Why::Loss }) {
            lost += 1;
        } else {
            let after = Duration::from_micros(10);
            assert_eq!(fate, &Fate::Deliver { after }, "{e}");
            assert!(e.to_string().ends_with("  [after 0.010000 ms]"), "{e}");
        }
        if on(1, 2) {
            lossy += 1;
        }
    }
    assert!(clogged > 20, "{clogged} messages dropped by the clog");
    assert!(
        lost * 3 > lossy && lost * 3 < lossy * 2,
        "{lost} of {lossy} lost at 0.5"
    );
    assert!(unsettled < 5, "{unsettled} messages without a fate");
    let shown = outcome.trace.iter().map(|e| e.to_string());
    let shown: Vec<String> = shown.filter(|l| l.contains("[dropped")).collect();
    assert!(
        shown[0].ends_with("  [dropped: link cut by clog n0 -> n1]"),
        "{}",
        shown[0]
    );
}

/// `[network] bandwidth` end to end: a 1 MB PUT from a client to its
/// coordinator on a fixed 200 µs link at 100 MB/s takes 10.2 ms (plus its
/// headers and names, under 2 µs at that rate) before the coordinator acts
/// on it; the fate recorded on the request says the same.
#[test]
fn a_megabyte_at_100_mb_per_s_crosses_a_200_us_link_in_10_2_ms() {
    let s = scenario(
        "duration = \"500ms\"\nquiesce = \"100ms\"\n[cluster]\nnodes = 2\nreplicas = 2\n\
         client_timeout = \"100ms\"\n\
         [network]\nlatency = { dist = \"fixed\", value = \"200us\" }\nbandwidth = \"100MB/s\"\n\
         [workload]\napi = \"s3\"\nclients = 1\nkeys = 2\nops = 5\nthink = \"20ms\"\n\
         object_size = { dist = \"fixed\", value = \"1MB\" }\nmix = { put = 1.0 }\n",
    );
    let outcome = run(&s, 1, true);
    let mut hops = Vec::new();
    let mut sent: Option<u64> = None;
    for e in &outcome.trace {
        let TraceEvent::Message {
            time_ns,
            kind,
            fate,
            ..
        } = e
        else {
            continue;
        };
        if *kind == "client-put-object" {
            let after = fate.as_ref().and_then(|f| f.delivered_after());
            let after = after.expect("the put is delivered").as_nanos() as u64;
            assert!((10_200_000..10_202_000).contains(&after), "{after} ns");
            sent = Some(*time_ns);
        } else if kind.starts_with("replica-")
            && let Some(t0) = sent.take()
        {
            hops.push(time_ns - t0);
        }
    }
    let kinds: Vec<&str> = (outcome.trace.iter())
        .filter_map(|e| match e {
            TraceEvent::Message { kind, .. } => Some(*kind),
            _ => None,
        })
        .take(12)
        .collect();
    assert!(hops.len() >= 3, "{} puts; {kinds:?}", hops.len());
    for hop in hops {
        assert!(
            (10_200_000..10_202_010).contains(&hop),
            "a 1 MB hop took {hop} ns, not 10.2 ms"
        );
    }
}
